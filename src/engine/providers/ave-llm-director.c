#define G_LOG_DOMAIN "ave-llm-director"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-llm-director.h"
#include "director/ave-local-director.h"

#define SENTENCE_PAUSE     0.6
#define SENTENCE_MAX_WORDS 40
/* Sentences per chunk; --batch-api-calls sends api_batch_size chunks in one request. */
#define CHUNK_SENTENCES    40

#define OPENAI_URL "https://api.openai.com/v1"
#define GEMINI_URL "https://generativelanguage.googleapis.com/v1beta"

struct _AveLlmDirector
{
  GObject    parent_instance;
  AveRemote *remote;
};

static void ave_llm_director_iface_init (AveDirectorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AveLlmDirector, ave_llm_director, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AVE_TYPE_DIRECTOR, ave_llm_director_iface_init))

typedef struct
{
  guint first, last;
} SentenceRange;

GArray *
ave_llm_director_split_sentences (const AveAnalysis *analysis)
{
  GArray *sentences = g_array_new (FALSE, FALSE, sizeof (SentenceRange));
  GArray *words = analysis->words;
  SentenceRange current = { 0, 0 };

  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);
      const AveWord *next = i + 1 < words->len ? &g_array_index (words, AveWord, i + 1) : NULL;
      gsize length = strlen (w->word);
      gboolean ends = next == NULL || next->start - w->end >= SENTENCE_PAUSE
                      || (length > 0 && strchr (".?!", w->word[length - 1]) != NULL)
                      || i - current.first + 1 >= SENTENCE_MAX_WORDS;

      if (ends)
        {
          current.last = i;
          g_array_append_val (sentences, current);
          current.first = i + 1;
        }
    }
  return sentences;
}

/* ------------------------------------------------------------- prompt */

static const char system_prompt[] =
  "You are the editor of a video. You get its transcript as numbered sentences with start and end "
  "times in seconds, its shots, its silences, its most interesting moments and its content type. "
  "Decide for EVERY numbered sentence whether the edited video keeps it. Drop false starts, "
  "repeated takes (keep the last, best take), off-topic tangents, dead air and filler-only sentences; "
  "keep everything that carries the content. If a target duration is given, keep the best sentences "
  "that add up to about that many seconds. Give a short reason for every decision. Also give chapters "
  "(the sentence each starts at and a short title), a title, a one-paragraph description and up to "
  "10 tags for the video, and the sentence whose moment makes the best thumbnail with a short text "
  "for it. Answer only with JSON that follows the given schema.";

static const char system_prompt_compact[] =
  "Edit this video. Lines: n|start|end|text. For EVERY n decide keep (true/false) with a short reason: "
  "drop false starts, repeated takes (keep the last), tangents, dead air. Target (if given): total "
  "seconds to keep. Also: chapters (n, title), title, description, up to 10 tags, thumbnail (n, text). "
  "JSON per schema only.";

/* --cost-aware near the budget splits the request: the decisions and
 * chapters (required) first, then the title, description, tags and
 * thumbnail (optional: skipped when they could take the budget past 80 %). */
typedef enum
{
  PART_PLAN     = 1 << 0,    /* sentences, chapters */
  PART_METADATA = 1 << 1,    /* title, description, tags, thumbnail */
  PART_ALL      = PART_PLAN | PART_METADATA,
} Parts;

static const char system_prompt_plan[] =
  "You are the editor of a video. You get its transcript as numbered sentences with start and end "
  "times in seconds, its shots, its silences, its most interesting moments and its content type. "
  "Decide for EVERY numbered sentence whether the edited video keeps it. Drop false starts, "
  "repeated takes (keep the last, best take), off-topic tangents, dead air and filler-only sentences; "
  "keep everything that carries the content. If a target duration is given, keep the best sentences "
  "that add up to about that many seconds. Give a short reason for every decision. Also give chapters "
  "(the sentence each starts at and a short title). Answer only with JSON that follows the given schema.";

static const char system_prompt_plan_compact[] =
  "Edit this video. Lines: n|start|end|text. For EVERY n decide keep (true/false) with a short reason: "
  "drop false starts, repeated takes (keep the last), tangents, dead air. Target (if given): total "
  "seconds to keep. Also: chapters (n, title). JSON per schema only.";

static const char system_prompt_metadata[] =
  "You get the transcript of a video as numbered sentences with start and end times in seconds. "
  "Give a title, a one-paragraph description and up to 10 tags for the video, and the sentence whose "
  "moment makes the best thumbnail with a short text for it. Answer only with JSON that follows the "
  "given schema.";

static const char *
system_for (Parts parts, gboolean compact)
{
  if (parts == PART_PLAN)
    return compact ? system_prompt_plan_compact : system_prompt_plan;
  if (parts == PART_METADATA)
    return system_prompt_metadata;
  return compact ? system_prompt_compact : system_prompt;
}

static void
append_time_list (GString *out, const char *label, GArray *intervals, gboolean compact)
{
  if (intervals->len == 0)
    return;
  g_string_append_printf (out, "%s: ", label);
  for (guint i = 0; i < intervals->len; i++)
    {
      const AveInterval *iv = &g_array_index (intervals, AveInterval, i);
      g_string_append_printf (out, compact ? "%s%.1f-%.1f" : "%s%.2f-%.2f", i > 0 ? (compact ? "," : ", ") : "",
                              iv->start, iv->end);
    }
  g_string_append_c (out, '\n');
}

static int
compare_highlight_score (gconstpointer a, gconstpointer b)
{
  double x = ((const AveHighlight *) a)->score, y = ((const AveHighlight *) b)->score;
  return (x < y) - (x > y);
}

/* The user message of one chunk: sentences [from, to) of `sentences`. */
static char *
build_prompt (const AveAnalysis *a, const AveSettings *s, GArray *sentences, guint from, guint to, gboolean compact)
{
  GString *out = g_string_new (NULL);
  double duration = a->media != NULL ? a->media->duration : 0;
  g_autoptr(GArray) shots = g_array_new (FALSE, FALSE, sizeof (AveInterval));
  double lo = g_array_index (a->words, AveWord, g_array_index (sentences, SentenceRange, from).first).start;
  double hi = g_array_index (a->words, AveWord, g_array_index (sentences, SentenceRange, to - 1).last).end;

  g_string_append_printf (out, compact ? "type:%s duration:%.1f" : "Content type: %s\nDuration: %.2f s\n",
                          ave_content_type_to_string (s->content_type), duration);
  if (s->target_duration > 0)
    g_string_append_printf (out, compact ? " target:%.0f" : "Target duration: %.0f s (keep about this much)\n",
                            s->target_duration);
  if (compact)
    g_string_append_c (out, '\n');
  if (from > 0 || to < sentences->len)
    g_string_append_printf (out, compact ? "part %.1f-%.1f of the video\n"
                                         : "This is the part from %.2f s to %.2f s of the video; the rest is sent separately.\n",
                            lo, hi);

  for (guint i = 0; i < a->shots->len; i++)
    {
      const AveShot *shot = &g_array_index (a->shots, AveShot, i);
      AveInterval iv = { shot->start, shot->end };

      if (shot->end > lo && shot->start < hi)
        g_array_append_val (shots, iv);
    }
  append_time_list (out, compact ? "shots" : "Shots (start-end s)", shots, compact);
  if (!compact)
    {
      g_autoptr(GArray) silences = g_array_new (FALSE, FALSE, sizeof (AveInterval));

      for (guint i = 0; i < a->silences->len; i++)
        {
          const AveInterval *iv = &g_array_index (a->silences, AveInterval, i);
          if (iv->end > lo && iv->start < hi)
            g_array_append_val (silences, *iv);
        }
      append_time_list (out, "Silences (start-end s)", silences, FALSE);
    }
  if (a->highlights->len > 0)
    {
      g_autoptr(GArray) best = g_array_new (FALSE, FALSE, sizeof (AveHighlight));
      guint n = 0;

      for (guint i = 0; i < a->highlights->len; i++)
        {
          const AveHighlight *h = &g_array_index (a->highlights, AveHighlight, i);
          if (h->time >= lo && h->time <= hi)
            g_array_append_val (best, *h);
        }
      g_array_sort (best, compare_highlight_score);
      if (best->len > 0)
        g_string_append (out, compact ? "highlights:" : "Most interesting moments (time s: score 0-1): ");
      for (guint i = 0; i < best->len && n < (compact ? 5u : 10u); i++, n++)
        {
          const AveHighlight *h = &g_array_index (best, AveHighlight, i);
          g_string_append_printf (out, compact ? "%s%.1f:%.2f" : "%s%.2f: %.2f", i > 0 ? (compact ? "," : ", ") : "",
                                  h->time, h->score);
        }
      if (best->len > 0)
        g_string_append_c (out, '\n');
    }

  g_string_append (out, compact ? "sentences:\n" : "Sentences:\n");
  for (guint i = from; i < to; i++)
    {
      const SentenceRange *r = &g_array_index (sentences, SentenceRange, i);
      const AveWord *first = &g_array_index (a->words, AveWord, r->first);
      const AveWord *last = &g_array_index (a->words, AveWord, r->last);

      g_string_append_printf (out, compact ? "%u|%.1f|%.1f|" : "[%u] %.2f-%.2f s: ", i + 1, first->start, last->end);
      for (guint w = r->first; w <= r->last; w++)
        g_string_append_printf (out, "%s%s", w > r->first ? " " : "", g_array_index (a->words, AveWord, w).word);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------- schema */

static void
schema_property (JsonBuilder *b, const char *name, const char *type)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_end_object (b);
}

static void
schema_object_begin (JsonBuilder *b, gboolean strict)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "object");
  if (strict)
    {
      json_builder_set_member_name (b, "additionalProperties");
      json_builder_add_boolean_value (b, FALSE);
    }
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
}

static void
schema_object_end (JsonBuilder *b, const char * const *required)
{
  json_builder_end_object (b);
  json_builder_set_member_name (b, "required");
  json_builder_begin_array (b);
  for (guint i = 0; required[i] != NULL; i++)
    json_builder_add_string_value (b, required[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* The answer's schema; `strict` (OpenAI's strict mode) also forbids
 * members it does not name, which Gemini's schema dialect cannot say. */
static void
add_schema (JsonBuilder *b, gboolean strict, Parts parts)
{
  static const char * const top_all[] = { "sentences", "chapters", "title", "description", "tags", "thumbnail", NULL };
  static const char * const sentence[] = { "n", "keep", "reason", NULL };
  static const char * const chapter[] = { "n", "title", NULL };
  static const char * const thumbnail[] = { "n", "text", NULL };
  static const char * const top_plan[] = { "sentences", "chapters", NULL };
  const char * const *top = parts == PART_PLAN ? top_plan : parts == PART_METADATA ? top_all + 2 : top_all;

  schema_object_begin (b, strict);
  if (!(parts & PART_PLAN))
    goto metadata;
  json_builder_set_member_name (b, "sentences");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "array");
  json_builder_set_member_name (b, "items");
  schema_object_begin (b, strict);
  schema_property (b, "n", "integer");
  schema_property (b, "keep", "boolean");
  schema_property (b, "reason", "string");
  schema_object_end (b, sentence);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "chapters");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "array");
  json_builder_set_member_name (b, "items");
  schema_object_begin (b, strict);
  schema_property (b, "n", "integer");
  schema_property (b, "title", "string");
  schema_object_end (b, chapter);
  json_builder_end_object (b);
  if (!(parts & PART_METADATA))
    goto end;

metadata:
  schema_property (b, "title", "string");
  schema_property (b, "description", "string");
  json_builder_set_member_name (b, "tags");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "array");
  json_builder_set_member_name (b, "items");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "string");
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "thumbnail");
  schema_object_begin (b, strict);
  schema_property (b, "n", "integer");
  schema_property (b, "text", "string");
  schema_object_end (b, thumbnail);
end:
  schema_object_end (b, top);
}

/* ------------------------------------------------------------- bodies */

typedef struct
{
  const char *role;     /* "user" or "assistant" */
  const char *text;
} Turn;

static GBytes *
body_openai (const char *model, const char *system, const Turn *turns, guint n_turns, guint max_tokens, Parts parts)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "system");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, system);
  json_builder_end_object (b);
  for (guint i = 0; i < n_turns; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, turns[i].role);
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, turns[i].text);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "temperature");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "max_tokens");
  json_builder_add_int_value (b, max_tokens);
  json_builder_set_member_name (b, "response_format");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "json_schema");
  json_builder_set_member_name (b, "json_schema");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "edit_decisions");
  json_builder_set_member_name (b, "strict");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "schema");
  add_schema (b, TRUE, parts);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

static GBytes *
body_gemini (const char *system, const Turn *turns, guint n_turns, guint max_tokens, Parts parts)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "systemInstruction");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "parts");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, system);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "contents");
  json_builder_begin_array (b);
  for (guint i = 0; i < n_turns; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, g_str_equal (turns[i].role, "assistant") ? "model" : "user");
      json_builder_set_member_name (b, "parts");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, turns[i].text);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "generationConfig");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "temperature");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "maxOutputTokens");
  json_builder_add_int_value (b, max_tokens);
  json_builder_set_member_name (b, "responseMimeType");
  json_builder_add_string_value (b, "application/json");
  json_builder_set_member_name (b, "responseSchema");
  add_schema (b, FALSE, parts);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

static guint64
member_count (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return 0;
  return (guint64) MAX (0, json_node_get_int (n));
}

static void
usage_openai (JsonNode *answer, guint64 *prompt, guint64 *completion)
{
  JsonObject *root = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode *usage = root != NULL ? json_object_get_member (root, "usage") : NULL;
  JsonObject *u = usage != NULL && JSON_NODE_HOLDS_OBJECT (usage) ? json_node_get_object (usage) : NULL;

  *prompt = member_count (u, "prompt_tokens");
  *completion = member_count (u, "completion_tokens");
}

static void
usage_gemini (JsonNode *answer, guint64 *prompt, guint64 *completion)
{
  JsonObject *root = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode *usage = root != NULL ? json_object_get_member (root, "usageMetadata") : NULL;
  JsonObject *u = usage != NULL && JSON_NODE_HOLDS_OBJECT (usage) ? json_node_get_object (usage) : NULL;

  *prompt = member_count (u, "promptTokenCount");
  /* Thinking models count their thoughts apart; they are billed as output. */
  *completion = member_count (u, "candidatesTokenCount") + member_count (u, "thoughtsTokenCount");
}

/* -------------------------------------------------------- validation */

typedef struct
{
  gboolean  keep;
  gboolean  decided;
  char     *reason;
} Decision;

typedef struct
{
  gboolean   gemini;
  Parts      parts;            /* what this request asks for */
  guint      from, to;         /* the chunk's sentences [from, to), numbered from 1 in the prompt */
  Decision  *decisions;        /* all sentences */
  GArray    *chapters;         /* ChapterMark */
  char      *title;
  char      *description;
  GPtrArray *tags;
  int        thumbnail;        /* sentence index, -1 */
  char      *thumbnail_text;
  char      *content;          /* the model's text, for a repair request */
} Answer;

typedef struct
{
  guint sentence;
  char *title;
} ChapterMark;

static const char *
answer_text (JsonNode *answer, gboolean gemini)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonArray *list;
  JsonNode *n;

  if (o == NULL)
    return NULL;
  list = json_object_has_member (o, gemini ? "candidates" : "choices")
         && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, gemini ? "candidates" : "choices"))
         ? json_object_get_array_member (o, gemini ? "candidates" : "choices") : NULL;
  if (list == NULL || json_array_get_length (list) == 0 || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (list, 0)))
    return NULL;
  o = json_array_get_object_element (list, 0);
  n = json_object_get_member (o, gemini ? "content" : "message");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  o = json_node_get_object (n);
  if (gemini)
    {
      n = json_object_get_member (o, "parts");
      if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (json_node_get_array (n)) == 0
          || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (n), 0)))
        return NULL;
      o = json_array_get_object_element (json_node_get_array (n), 0);
      n = json_object_get_member (o, "text");
    }
  else
    n = json_object_get_member (o, "content");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

static JsonNode *
member_of (JsonObject *o, const char *name, JsonNodeType type, GType value_type)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || json_node_get_node_type (n) != type)
    return NULL;
  if (type == JSON_NODE_VALUE && json_node_get_value_type (n) != value_type
      && !(value_type == G_TYPE_INT64 && json_node_get_value_type (n) == G_TYPE_DOUBLE
           && json_node_get_double (n) == floor (json_node_get_double (n))))
    return NULL;
  return n;
}

static gboolean
read_sentence_number (JsonObject *o, const Answer *a, const char *where, guint *index, GError **error)
{
  JsonNode *n = member_of (o, "n", JSON_NODE_VALUE, G_TYPE_INT64);
  gint64 value;

  if (n == NULL)
    return invalid (error, "%s: \"n\" is missing or not a whole number", where);
  value = json_node_get_value_type (n) == G_TYPE_DOUBLE ? (gint64) json_node_get_double (n) : json_node_get_int (n);
  if (value < (gint64) a->from + 1 || value > (gint64) a->to)
    return invalid (error, "%s: sentence %" G_GINT64_FORMAT " is not one of %u to %u", where, value, a->from + 1, a->to);
  *index = (guint) value - 1;
  return TRUE;
}

static void
answer_clear_chunk (Answer *a)
{
  for (guint i = a->from; i < a->to; i++)
    {
      a->decisions[i].decided = FALSE;
      g_clear_pointer (&a->decisions[i].reason, g_free);
    }
}

static gboolean validate_answer_members (JsonNode *answer, gpointer user_data, GError **error);

/* Checks the model's text against the schema and takes its decisions;
 * nothing of a refused answer is kept. */
static gboolean
validate_answer (JsonNode *answer, gpointer user_data, GError **error)
{
  Answer *a = user_data;
  guint n_chapters = a->chapters->len;
  gboolean had_title = a->title != NULL, had_thumbnail = a->thumbnail >= 0;

  if (validate_answer_members (answer, user_data, error))
    return TRUE;
  g_array_set_size (a->chapters, n_chapters);
  if (a->parts & PART_PLAN)
    answer_clear_chunk (a);
  if (!had_title)
    {
      g_clear_pointer (&a->title, g_free);
      g_clear_pointer (&a->description, g_free);
      g_ptr_array_set_size (a->tags, 0);
    }
  if (!had_thumbnail)
    {
      a->thumbnail = -1;
      g_clear_pointer (&a->thumbnail_text, g_free);
    }
  return FALSE;
}

static gboolean
validate_answer_members (JsonNode *answer, gpointer user_data, GError **error)
{
  Answer *a = user_data;
  const char *text = answer_text (answer, a->gemini);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *stripped = NULL;
  JsonObject *o;
  JsonNode *n;
  JsonArray *list;

  g_clear_pointer (&a->content, g_free);
  if (text == NULL)
    return invalid (error, "the answer has no message text");
  a->content = g_strdup (text);
  /* Some servers wrap JSON in a Markdown fence despite the schema. */
  stripped = g_strstrip (g_strdup (text));
  if (g_str_has_prefix (stripped, "```"))
    {
      char *start = strchr (stripped, '\n');
      char *end = g_strrstr (stripped, "```");
      if (start != NULL && end != NULL && end > start)
        {
          *end = '\0';
          memmove (stripped, start + 1, strlen (start + 1) + 1);
        }
    }
  if (!json_parser_load_from_data (parser, stripped, -1, &parse_error))
    return invalid (error, "the message is not JSON (%s)", parse_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return invalid (error, "the message is not a JSON object");
  o = json_node_get_object (json_parser_get_root (parser));
  if (!(a->parts & PART_PLAN))
    goto metadata;

  answer_clear_chunk (a);
  n = member_of (o, "sentences", JSON_NODE_ARRAY, 0);
  if (n == NULL)
    return invalid (error, "\"sentences\" is missing or not an array");
  list = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *item = json_array_get_element (list, i);
      g_autofree char *where = g_strdup_printf ("sentences[%u]", i);
      JsonNode *keep, *reason;
      guint index;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return invalid (error, "%s: not an object", where);
      if (!read_sentence_number (json_node_get_object (item), a, where, &index, error))
        return FALSE;
      keep = member_of (json_node_get_object (item), "keep", JSON_NODE_VALUE, G_TYPE_BOOLEAN);
      reason = member_of (json_node_get_object (item), "reason", JSON_NODE_VALUE, G_TYPE_STRING);
      if (keep == NULL)
        return invalid (error, "%s: \"keep\" is missing or not true/false", where);
      if (reason == NULL)
        return invalid (error, "%s: \"reason\" is missing or not a string", where);
      if (a->decisions[index].decided)
        return invalid (error, "%s: sentence %u is decided twice", where, index + 1);
      a->decisions[index].decided = TRUE;
      a->decisions[index].keep = json_node_get_boolean (keep);
      a->decisions[index].reason = g_utf8_make_valid (json_node_get_string (reason), MIN (strlen (json_node_get_string (reason)), 300));
    }
  for (guint i = a->from; i < a->to; i++)
    if (!a->decisions[i].decided)
      return invalid (error, "sentence %u has no decision", i + 1);

  n = member_of (o, "chapters", JSON_NODE_ARRAY, 0);
  if (n == NULL)
    return invalid (error, "\"chapters\" is missing or not an array");
  list = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *item = json_array_get_element (list, i);
      g_autofree char *where = g_strdup_printf ("chapters[%u]", i);
      JsonNode *title;
      ChapterMark mark;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return invalid (error, "%s: not an object", where);
      if (!read_sentence_number (json_node_get_object (item), a, where, &mark.sentence, error))
        return FALSE;
      title = member_of (json_node_get_object (item), "title", JSON_NODE_VALUE, G_TYPE_STRING);
      if (title == NULL)
        return invalid (error, "%s: \"title\" is missing or not a string", where);
      mark.title = g_utf8_make_valid (json_node_get_string (title), MIN (strlen (json_node_get_string (title)), 200));
      g_array_append_val (a->chapters, mark);
    }
  if (!(a->parts & PART_METADATA))
    return TRUE;

metadata:
  if (member_of (o, "title", JSON_NODE_VALUE, G_TYPE_STRING) == NULL
      || member_of (o, "description", JSON_NODE_VALUE, G_TYPE_STRING) == NULL)
    return invalid (error, "\"title\" or \"description\" is missing or not a string");
  n = member_of (o, "tags", JSON_NODE_ARRAY, 0);
  if (n == NULL)
    return invalid (error, "\"tags\" is missing or not an array");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (n)); i++)
    if (!JSON_NODE_HOLDS_VALUE (json_array_get_element (json_node_get_array (n), i))
        || json_node_get_value_type (json_array_get_element (json_node_get_array (n), i)) != G_TYPE_STRING)
      return invalid (error, "tags[%u]: not a string", i);
  if (a->title == NULL)
    {
      /* The first chunk's title, description, tags and thumbnail speak for the video. */
      a->title = g_strdup (json_object_get_string_member (o, "title"));
      a->description = g_strdup (json_object_get_string_member (o, "description"));
      for (guint i = 0; i < json_array_get_length (json_node_get_array (n)) && i < 10; i++)
        g_ptr_array_add (a->tags, g_strdup (json_array_get_string_element (json_node_get_array (n), i)));
    }
  n = member_of (o, "thumbnail", JSON_NODE_OBJECT, 0);
  if (n == NULL)
    return invalid (error, "\"thumbnail\" is missing or not an object");
  if (a->thumbnail < 0)
    {
      guint index;
      JsonNode *t = member_of (json_node_get_object (n), "text", JSON_NODE_VALUE, G_TYPE_STRING);

      if (!read_sentence_number (json_node_get_object (n), a, "thumbnail", &index, error))
        return FALSE;
      if (t == NULL)
        return invalid (error, "thumbnail: \"text\" is missing or not a string");
      a->thumbnail = index;
      a->thumbnail_text = g_strdup (json_node_get_string (t));
    }
  return TRUE;
}

/* ---------------------------------------------------------------- plan */

static const char *
llm_get_name (AveDirector *self)
{
  return "llm";
}

static char *
endpoint (const AveSettings *s, gboolean gemini, const char *model)
{
  g_autofree char *base = g_strdup (s->llm_url != NULL ? s->llm_url : gemini ? GEMINI_URL : OPENAI_URL);
  gsize length = strlen (base);

  while (length > 0 && base[length - 1] == '/')
    base[--length] = '\0';
  if (gemini)
    {
      g_autofree char *escaped = g_uri_escape_string (model, NULL, FALSE);
      return g_strdup_printf ("%s/models/%s:generateContent", base, escaped);
    }
  return g_strdup_printf ("%s/chat/completions", base);
}

/* One chunk: the request, and one repair request when the answer breaks
 * the schema.  FALSE with the cause when no usable answer came. */
static gboolean
ask_chunk (AveLlmDirector *self, const AveAnalysis *analysis, const AveSettings *s, GArray *sentences,
           Answer *answer, const char *key, GCancellable *cancellable, GError **error)
{
  gboolean gemini = answer->gemini;
  const char *model = ave_remote_choose_model (self->remote, s->llm_model != NULL ? s->llm_model
                                                             : gemini ? "gemini-1.5-flash" : "gpt-4o-mini");
  g_autofree char *url = endpoint (s, gemini, model);
  g_autofree char *user = build_prompt (analysis, s, sentences, answer->from, answer->to, s->optimize_requests);
  const char *system = system_for (answer->parts, s->optimize_requests);
  g_autoptr(GError) first_error = NULL;

  if (s->optimize_requests && answer->parts == PART_ALL)
    {
      g_autofree char *full = build_prompt (analysis, s, sentences, answer->from, answer->to, FALSE);

      ave_director_message (AVE_DIRECTOR (self), AVE_DIRECTOR_NOTICE,
                            "--optimize-requests: prompt of sentences %u-%u is %zu bytes instead of %zu",
                            answer->from + 1, answer->to, strlen (user) + strlen (system),
                            strlen (full) + strlen (system_prompt));
    }

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *repair = NULL;
      Turn turns[3] = { { "user", user } };
      guint n_turns = 1;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonNode) reply = NULL;
      g_autoptr(GError) local = NULL;
      AveRemoteCall call = {
        .kind = "chat",
        .provider = gemini ? "gemini" : "openai",
        .model = model,
        .url = url,
        .key_header = gemini ? "x-goog-api-key" : "Authorization",
        .key = key,
        .content_type = "application/json",
        .max_completion_tokens = s->llm_max_tokens,
        .optional = answer->parts == PART_METADATA,
        .read_usage = gemini ? usage_gemini : usage_openai,
      };

      if (attempt > 0)
        {
          repair = answer->parts & PART_PLAN
            ? g_strdup_printf ("Your answer could not be used: %s. Answer again with only JSON that follows "
                               "the schema, with a decision for every sentence from %u to %u.",
                               first_error->message, answer->from + 1, answer->to)
            : g_strdup_printf ("Your answer could not be used: %s. Answer again with only JSON that follows "
                               "the schema.", first_error->message);
          turns[1] = (Turn) { "assistant", answer->content != NULL ? answer->content : "" };
          turns[2] = (Turn) { "user", repair };
          n_turns = 3;
        }
      body = gemini ? body_gemini (system, turns, n_turns, s->llm_max_tokens, answer->parts)
                    : body_openai (model, system, turns, n_turns, s->llm_max_tokens, answer->parts);
      call.body = body;
      reply = ave_remote_call (self->remote, &call, validate_answer, answer, cancellable, &local);
      if (reply != NULL)
        return TRUE;
      /* Only a broken answer is worth a repair: a refusal, a cancel or a
       * provider that is down answers the same again. */
      if (attempt > 0 || !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
        {
          if (attempt > 0)
            g_prefix_error (&local, "after a repair request: ");
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      first_error = g_steal_pointer (&local);
    }
  g_return_val_if_reached (FALSE);
}

static void
clear_chapter_mark (gpointer data)
{
  g_free (((ChapterMark *) data)->title);
}

static AvePlan *
llm_plan (AveDirector        *director,
          const AveAnalysis  *analysis,
          const AveSettings  *settings,
          GCancellable       *cancellable,
          GError            **error)
{
  AveLlmDirector *self = AVE_LLM_DIRECTOR (director);
  gboolean gemini = g_strcmp0 (settings->llm_provider, "gemini") == 0;
  const char *provider = gemini ? "gemini" : "openai";
  g_autoptr(GArray) sentences = ave_llm_director_split_sentences (analysis);
  g_autoptr(GArray) guide_sentences = g_array_new (FALSE, FALSE, sizeof (AveGuideSentence));
  g_autofree char *key = NULL;
  g_autofree char *why_no_key = NULL;
  const char *key_provider, *key_url;
  g_autofree char *director_name = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(AvePlan) plan = NULL;
  Answer answer = { .gemini = gemini, .parts = PART_ALL, .thumbnail = -1 };
  guint per_request = CHUNK_SENTENCES * (settings->batch_api_calls ? MAX (1, settings->api_batch_size) : 1);
  gboolean ok = TRUE;

  if (sentences->len == 0)
    {
      ave_director_message (director, AVE_DIRECTOR_NOTICE,
                            "LLM director: the recording has no transcript to send; the local rules plan it");
      return ave_local_director_plan (analysis, settings, error);
    }

  ave_remote_key_target (settings, "llm", &key_provider, &key_url);
  key = ave_remote_find_key ("llm", key_provider, key_url, &why_no_key);
  /* A server of one's own (Ollama, llama.cpp) needs none; the public APIs do. */
  if (key == NULL && settings->llm_url == NULL)
    {
      ave_director_message (director, AVE_DIRECTOR_WARNING,
                            "LLM director (%s): %s; the local rules planned this video", provider, why_no_key);
      return ave_local_director_plan (analysis, settings, error);
    }

  answer.decisions = g_new0 (Decision, sentences->len);
  answer.chapters = g_array_new (FALSE, FALSE, sizeof (ChapterMark));
  g_array_set_clear_func (answer.chapters, clear_chapter_mark);
  answer.tags = g_ptr_array_new_with_free_func (g_free);
  if (sentences->len > per_request)
    ave_director_message (director, AVE_DIRECTOR_NOTICE,
                          "LLM director: %u sentences sent in %u requests of at most %u",
                          sentences->len, (sentences->len + per_request - 1) / per_request, per_request);

  /* --cost-aware: when what is left of the budget is under twice the
   * first request's worst case, the metadata becomes a call of its own
   * after the decisions, one that may be skipped. */
  if (settings->cost_aware && settings->budget_limit_usd > 0)
    {
      const char *model = ave_remote_choose_model (self->remote, settings->llm_model != NULL ? settings->llm_model
                                                   : gemini ? "gemini-1.5-flash" : "gpt-4o-mini");
      g_autofree char *user = build_prompt (analysis, settings, sentences, 0, MIN (sentences->len, per_request),
                                            settings->optimize_requests);
      const char *system = system_for (PART_PLAN, settings->optimize_requests);
      Turn turns[1] = { { "user", user } };
      g_autoptr(GBytes) body = gemini ? body_gemini (system, turns, 1, settings->llm_max_tokens, PART_PLAN)
                                      : body_openai (model, system, turns, 1, settings->llm_max_tokens, PART_PLAN);
      AveRemoteCall probe = { .kind = "chat", .model = model, .body = body,
                              .max_completion_tokens = settings->llm_max_tokens };

      if (ave_remote_budget_is_near (self->remote, &probe))
        {
          answer.parts = PART_PLAN;
          ave_director_message (director, AVE_DIRECTOR_NOTICE,
                                "--cost-aware: the budget is near; the title, description, tags and thumbnail "
                                "are asked for after the decisions, if the budget still allows");
        }
    }

  for (guint from = 0; from < sentences->len && ok; from += per_request)
    {
      answer.from = from;
      answer.to = MIN (sentences->len, from + per_request);
      ok = ask_chunk (self, analysis, settings, sentences, &answer, key, cancellable, &local);
    }

  if (ok && answer.parts == PART_PLAN)
    {
      g_autoptr(GError) optional_error = NULL;

      answer.parts = PART_METADATA;
      answer.from = 0;
      answer.to = sentences->len;
      if (!ask_chunk (self, analysis, settings, sentences, &answer, key, cancellable, &optional_error))
        {
          if (g_error_matches (optional_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (&local, g_steal_pointer (&optional_error));
              ok = FALSE;
            }
          else
            ave_director_message (director, AVE_DIRECTOR_NOTICE,
                                  "LLM director (%s): no title, description, tags or thumbnail from the model "
                                  "(%s); the local proposals stand", provider, optional_error->message);
        }
    }

  if (!ok)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          plan = NULL;
          goto out;
        }
      ave_director_message (director, AVE_DIRECTOR_WARNING,
                            "LLM director (%s): %s; the local rules planned this video instead",
                            provider, local->message);
      plan = ave_local_director_plan (analysis, settings, error);
      goto out;
    }

  for (guint i = 0; i < sentences->len; i++)
    {
      const SentenceRange *r = &g_array_index (sentences, SentenceRange, i);
      AveGuideSentence g = { r->first, r->last, answer.decisions[i].keep, answer.decisions[i].reason };

      g_array_append_val (guide_sentences, g);
    }
  {
    const char *model = settings->llm_model != NULL ? settings->llm_model : gemini ? "gemini-1.5-flash" : "gpt-4o-mini";
    AveDirectorGuide guide = {
      (const AveGuideSentence *) guide_sentences->data, guide_sentences->len, AVE_SEGMENT_ORIGIN_LLM, NULL,
    };

    director_name = g_strdup_printf ("llm:%s/%s", provider, model);
    guide.director = director_name;
    plan = ave_local_director_plan_guided (analysis, settings, &guide, error);
  }
  if (plan != NULL && answer.chapters->len > 0)
    {
      ave_plan_clear_chapters (plan);
      for (guint i = 0; i < answer.chapters->len; i++)
        {
          const ChapterMark *mark = &g_array_index (answer.chapters, ChapterMark, i);
          const SentenceRange *r = &g_array_index (sentences, SentenceRange, mark->sentence);
          double t = ave_plan_source_to_output (plan, g_array_index (analysis->words, AveWord, r->first).start);

          /* A chapter on a dropped sentence starts where the cut resumes: skip it. */
          if (t >= 0)
            ave_plan_add_chapter (plan, i == 0 ? 0.0 : t, mark->title);
        }
    }
  if (plan != NULL && answer.title != NULL)
    {
      double thumbnail_time = answer.thumbnail >= 0
        ? g_array_index (analysis->words, AveWord,
                         g_array_index (sentences, SentenceRange, answer.thumbnail).first).start : -1;

      ave_plan_set_metadata (plan, answer.title, answer.description,
                             (const char * const *) answer.tags->pdata, answer.tags->len,
                             thumbnail_time, answer.thumbnail_text);
    }

out:
  for (guint i = 0; i < sentences->len; i++)
    g_free (answer.decisions[i].reason);
  g_free (answer.decisions);
  g_array_unref (answer.chapters);
  g_ptr_array_unref (answer.tags);
  g_free (answer.title);
  g_free (answer.description);
  g_free (answer.thumbnail_text);
  g_free (answer.content);
  return g_steal_pointer (&plan);
}

static void
ave_llm_director_iface_init (AveDirectorInterface *iface)
{
  iface->get_name = llm_get_name;
  iface->plan = llm_plan;
}

static void
ave_llm_director_class_init (AveLlmDirectorClass *klass)
{
}

static void
ave_llm_director_init (AveLlmDirector *self)
{
}

AveDirector *
ave_llm_director_new (AveRemote *remote)
{
  AveLlmDirector *self = g_object_new (AVE_TYPE_LLM_DIRECTOR, NULL);

  self->remote = remote;
  return AVE_DIRECTOR (self);
}
