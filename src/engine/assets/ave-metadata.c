#define G_LOG_DOMAIN "ave-metadata"

#include "config.h"

#include <math.h>
#include <string.h>

#include "director/ave-keywords.h"
#include "ave-assets.h"

#define METADATA_VERSION 1
#define MAX_TAGS 10
#define N_TITLES 3
/* The opening sentence of the description ends at a pause this long, or
 * after this many words: recognisers give no punctuation. */
#define SENTENCE_PAUSE 0.6
#define SENTENCE_MAX_WORDS 25
#define SENTENCE_MIN_WORDS 4

/* Title patterns, best first; {1}, {2}, {3} are the top keywords in Title Case.
 * No stopwords around them ("&", not "and"): a title is a list of what the
 * video is about, and short titles survive truncation in search results.
 * Each list ends with patterns needing a single keyword, so three titles
 * can always be made. */
typedef struct
{
  guint       n_keywords;
  const char *pattern;
} TitlePattern;

static const TitlePattern general_titles[] = {
  { 2, "{1} & {2}" },
  { 3, "{1}, {2} & {3}" },
  { 2, "{1} & {2}: Highlights" },
  { 1, "{1}" },
  { 1, "{1}: Highlights" },
  { 1, "{1} Spotlight" },
};

static const TitlePattern educational_titles[] = {
  { 2, "{1} & {2} Explained" },
  { 3, "Learn {1}: {2} & {3}" },
  { 2, "Understanding {1} & {2}" },
  { 1, "{1} Explained" },
  { 1, "Understanding {1}" },
  { 1, "{1} Basics" },
};

static const TitlePattern music_titles[] = {
  { 1, "{1}" },
  { 2, "{1} & {2}" },
};

static char *
expand_pattern (const char *pattern,
                char       *keywords[3])
{
  GString *out = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; p++)
    {
      if (p[0] == '{' && p[1] >= '1' && p[1] <= '3' && p[2] == '}')
        {
          const char *k = keywords[p[1] - '1'];

          g_string_append (out, k != NULL ? k : "");
          p += 2;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Which words are kept in the output, in order: a cut word must not be
 * quoted in the description or suggested as a topic. */
static GPtrArray *
kept_words (const AveAnalysis *analysis,
            AvePlan           *plan,
            const AveSettings *settings)
{
  GPtrArray *words = g_ptr_array_new ();

  for (guint i = 0; i < analysis->words->len; i++)
    {
      const AveWord *w = &g_array_index (analysis->words, AveWord, i);

      if (w->word == NULL || w->filler ||
          (settings != NULL && ave_settings_is_filler_word (settings, w->word)))
        continue;
      if (plan != NULL && ave_plan_source_to_output (plan, (w->start + w->end) / 2.0) < 0.0)
        continue;
      g_ptr_array_add (words, (gpointer) w);
    }
  return words;
}

char *
ave_metadata_title_from_path (const char *source)
{
  g_autofree char *base = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) words = g_ptr_array_new ();
  char *dot;

  if (source == NULL || *source == '\0')
    return g_strdup ("Untitled Video");

  base = g_path_get_basename (source);
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';

  g_strdelimit (base, "_-.+", ' ');
  parts = g_strsplit (base, " ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_ptr_array_add (words, parts[i]);

  if (words->len == 0)
    return g_strdup ("Untitled Video");
  return ave_keywords_title_case ((const char * const *) words->pdata, words->len);
}

static char *
format_duration (double seconds)
{
  gint64 total = (gint64) llround (MAX (0.0, seconds));
  gint64 h = total / 3600, m = (total / 60) % 60, s = total % 60;

  if (h > 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min", h, m);
  if (m > 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s", m, s);
  return g_strdup_printf ("%" G_GINT64_FORMAT " s", s);
}

static void
add_titles (JsonBuilder        *builder,
            char              **keywords,
            const char         *fallback,
            guint               n_shots,
            const AveSettings  *settings)
{
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);
  guint n_keywords = keywords != NULL ? g_strv_length (keywords) : 0;

  if (n_keywords > 0)
    {
      const TitlePattern *patterns = general_titles;
      guint n_patterns = G_N_ELEMENTS (general_titles);
      char *k[3] = { NULL, NULL, NULL };

      if (settings != NULL && settings->content_type == AVE_CONTENT_EDUCATIONAL)
        {
          patterns = educational_titles;
          n_patterns = G_N_ELEMENTS (educational_titles);
        }
      else if (settings != NULL && settings->content_type == AVE_CONTENT_MUSIC)
        {
          patterns = music_titles;
          n_patterns = G_N_ELEMENTS (music_titles);
        }

      for (guint i = 0; i < 3 && i < n_keywords; i++)
        k[i] = ave_keywords_title_case ((const char * const *) keywords + i, 1);

      for (guint i = 0; i < n_patterns && titles->len < N_TITLES; i++)
        {
          char *title;

          if (patterns[i].n_keywords > n_keywords)
            continue;
          title = expand_pattern (patterns[i].pattern, k);
          g_ptr_array_add (titles, title);
        }

      for (guint i = 0; i < 3; i++)
        g_free (k[i]);
    }
  else
    {
      /* No transcript: the file's own name is the best description. */
      g_ptr_array_add (titles, g_strdup (fallback));
      if (n_shots > 1)
        g_ptr_array_add (titles, g_strdup_printf ("%s: %u Shots", fallback, n_shots));
      g_ptr_array_add (titles, g_strdup_printf ("%s (Edited)", fallback));
      if (titles->len < N_TITLES)
        g_ptr_array_add (titles, g_strdup_printf ("%s: Highlights", fallback));
    }

  json_builder_set_member_name (builder, "titles");
  json_builder_begin_array (builder);
  for (guint i = 0; i < titles->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (titles, i));
  json_builder_end_array (builder);
}

/* The opening of the talk, up to the first real pause: recognisers give
 * no punctuation, so a pause is the best sentence boundary there is. */
static char *
opening_sentences (GPtrArray *words)
{
  GString *text = g_string_new (NULL);
  guint n_in_sentence = 0;
  guint n_sentences = 0;

  for (guint i = 0; i < words->len && n_sentences < 2; i++)
    {
      const AveWord *w = g_ptr_array_index (words, i);
      const AveWord *next = i + 1 < words->len ? g_ptr_array_index (words, i + 1) : NULL;
      gboolean ends;

      if (n_in_sentence == 0)
        {
          if (text->len > 0)
            g_string_append_c (text, ' ');
          g_string_append_unichar (text, g_unichar_toupper (g_utf8_get_char (w->word)));
          g_string_append (text, g_utf8_next_char (w->word));
        }
      else
        {
          g_string_append_c (text, ' ');
          /* "i" is always a capital in English prose. */
          g_string_append (text, g_str_equal (w->word, "i") ? "I" : w->word);
        }
      n_in_sentence++;

      ends = next == NULL || n_in_sentence >= SENTENCE_MAX_WORDS ||
             (next->start - w->end >= SENTENCE_PAUSE && n_in_sentence >= SENTENCE_MIN_WORDS);
      if (ends)
        {
          g_string_append_c (text, '.');
          n_in_sentence = 0;
          n_sentences++;
        }
    }
  return g_string_free (text, FALSE);
}

static char *
join_list (char  **items,
           guint   max)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  while (items[n] != NULL && n < max)
    n++;
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (out, i + 1 == n ? " and " : ", ");
      g_string_append (out, items[i]);
    }
  return g_string_free (out, FALSE);
}

JsonNode *
ave_metadata_build (const AveAnalysis  *analysis,
                    AvePlan            *plan,
                    const AveSettings  *settings)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) words = NULL;
  g_autoptr(AveKeywordCounter) counter = NULL;
  g_auto(GStrv) keywords = NULL;
  g_autofree char *fallback = NULL;
  g_autofree char *running_time = NULL;
  g_autoptr(GString) description = g_string_new (NULL);
  /* Owns its keys: the tags come from arrays freed before the last lookup. */
  g_autoptr(GHashTable) tags_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *content_type;
  gboolean transcribed;
  double duration;
  guint n_tags = 0;

  g_return_val_if_fail (analysis != NULL, NULL);
  g_return_val_if_fail (plan == NULL || AVE_IS_PLAN (plan), NULL);

  content_type = ave_content_type_to_string (settings != NULL ? settings->content_type
                                                              : AVE_CONTENT_GENERAL);
  transcribed = analysis->transcriber != NULL || analysis->words->len > 0;
  if (plan != NULL)
    duration = ave_plan_get_output_duration (plan);
  else
    duration = analysis->media != NULL ? analysis->media->duration : 0.0;

  words = kept_words (analysis, plan, settings);
  counter = ave_keyword_counter_new (settings);
  for (guint i = 0; i < words->len; i++)
    ave_keyword_counter_add (counter, g_ptr_array_index (words, i));
  keywords = ave_keyword_counter_top (counter, MAX_TAGS);
  fallback = ave_metadata_title_from_path (analysis->source);
  running_time = format_duration (duration);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, METADATA_VERSION);

  add_titles (builder, keywords, fallback, analysis->shots->len, settings);

  if (keywords[0] != NULL)
    {
      g_autofree char *opening = opening_sentences (words);
      g_autofree char *topics = join_list (keywords, 3);

      g_string_append_printf (description, "%s This video covers %s. Running time: %s.",
                              opening, topics, running_time);
    }
  else if (analysis->shots->len > 1)
    g_string_append_printf (description, "%s, edited from %u shots. Running time: %s.",
                            fallback, analysis->shots->len, running_time);
  else
    g_string_append_printf (description, "%s, edited for publishing. Running time: %s.",
                            fallback, running_time);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, description->str);

  json_builder_set_member_name (builder, "tags");
  json_builder_begin_array (builder);
  if (keywords[0] != NULL)
    {
      for (guint i = 0; keywords[i] != NULL && n_tags < MAX_TAGS; i++)
        if (g_hash_table_add (tags_seen, g_strdup (keywords[i])))
          {
            json_builder_add_string_value (builder, keywords[i]);
            n_tags++;
          }
    }
  else
    {
      g_autofree char *lower = g_utf8_strdown (fallback, -1);
      g_auto(GStrv) parts = g_strsplit (lower, " ", -1);

      for (guint i = 0; parts[i] != NULL && n_tags < MAX_TAGS; i++)
        {
          AveWord w = { parts[i], 0, 0, 1, FALSE };

          if (ave_keywords_is_content_word (&w, settings) && g_hash_table_add (tags_seen, g_strdup (parts[i])))
            {
              json_builder_add_string_value (builder, parts[i]);
              n_tags++;
            }
        }
    }
  if (!g_hash_table_contains (tags_seen, content_type))
    json_builder_add_string_value (builder, content_type);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "chapters");
  json_builder_begin_array (builder);
  for (guint i = 0; plan != NULL && i < ave_plan_get_n_chapters (plan); i++)
    {
      const AveChapter *chapter = ave_plan_get_chapter (plan, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "time");
      /* JSON has no infinity; the plan keeps chapter times finite anyway. */
      json_builder_add_double_value (builder, isfinite (chapter->time) ? chapter->time : 0.0);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, chapter->title);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "duration");
  json_builder_add_double_value (builder, isfinite (duration) ? duration : 0.0);
  json_builder_set_member_name (builder, "content_type");
  json_builder_add_string_value (builder, content_type);
  json_builder_set_member_name (builder, "language");
  /* The language the recogniser heard, not an assumption. */
  if (transcribed && ave_analysis_get_language (analysis) != NULL)
    json_builder_add_string_value (builder, ave_analysis_get_language (analysis));
  else
    json_builder_add_null_value (builder);

  json_builder_end_object (builder);
  {
    JsonNode *root = json_builder_get_root (builder);
    const char *title, *text, *proposed_description;
    const char * const *proposed_tags;
    double thumbnail_time;

    /* A director's own proposal (the LLM director's) comes first. */
    if (plan != NULL && ave_plan_get_metadata (plan, &title, &proposed_description, &proposed_tags,
                                               &thumbnail_time, &text))
      {
        JsonObject *o = json_node_get_object (root);
        JsonArray *titles = json_object_get_array_member (o, "titles");
        JsonArray *tags = json_array_new ();
        JsonArray *rest = json_array_new ();

        json_array_add_string_element (rest, title);
        for (guint i = 0; i < json_array_get_length (titles); i++)
          if (g_strcmp0 (json_array_get_string_element (titles, i), title) != 0)
            json_array_add_string_element (rest, json_array_get_string_element (titles, i));
        json_object_set_array_member (o, "titles", rest);
        if (proposed_description != NULL && *proposed_description != '\0')
          json_object_set_string_member (o, "description", proposed_description);
        for (guint i = 0; proposed_tags != NULL && proposed_tags[i] != NULL; i++)
          json_array_add_string_element (tags, proposed_tags[i]);
        if (json_array_get_length (tags) > 0)
          json_object_set_array_member (o, "tags", tags);
        else
          json_array_unref (tags);
        if (thumbnail_time >= 0)
          {
            JsonObject *thumbnail = json_object_new ();
            json_object_set_double_member (thumbnail, "source_time", thumbnail_time);
            json_object_set_string_member (thumbnail, "text", text != NULL ? text : "");
            json_object_set_object_member (o, "thumbnail", thumbnail);
          }
        json_object_set_string_member (o, "proposed_by", ave_plan_get_director (plan));
      }
    return root;
  }
}
