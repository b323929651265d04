#define G_LOG_DOMAIN "ave-plan"

/* ave-plan-json.c — plan.json: the plan model (ave-plan.c) written as JSON
 * and read back through the engine's document reader (core/ave-json-doc.h),
 * so every error names the file and the member ("plan.json: segments[2].end:
 * …").  What is written must stay byte-for-byte what earlier versions
 * wrote: people diff plans and keep them under version control. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ave-error.h"
#include "ave-plan.h"
#include "ave-plan-private.h"
#include "ave-project.h"
#include "core/ave-json-doc.h"
#include "core/ave-json-read.h"
#include "core/ave-json-write.h"

const AveJsonDocType _ave_plan_document = {
  .kind = "plan",
  .file_noun = "a plan file",
  /* plan.json is edited by hand: errors name the field ("segments[2].end"). */
  .format = { ave_plan_error_quark, AVE_PLAN_ERROR_INVALID, "a number of seconds", NULL },
  .parse_code = AVE_PLAN_ERROR_PARSE,
  .version_code = AVE_PLAN_ERROR_VERSION,
  .newest_version = AVE_PLAN_VERSION,
  .max_bytes = AVE_PLAN_MAX_FILE_BYTES,
  .too_new_advice = "update AI Video Editor or plan the video again",
};

/* -------------------------------------------------------------- JSON out */

/* Only the members that mean something for the card's kind are written. */
static void
add_card_json (JsonBuilder   *builder,
               const AveCard *card)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, _ave_plan_card_kind_names[card->kind]);
  ave_json_add_string (builder, "title", card->title);
  ave_json_add_string (builder, "subtitle", card->subtitle);
  ave_json_add_string (builder, "image", card->image_path);
  json_builder_set_member_name (builder, "style");
  json_builder_add_string_value (builder, _ave_plan_card_style_names[card->style]);
  if (card->kind == AVE_CARD_TITLE)
    {
      json_builder_set_member_name (builder, "insert_before");
      json_builder_add_int_value (builder, card->insert_before);
    }
  else
    ave_json_add_double (builder, "time", card->output_time);
  ave_json_add_double (builder, "duration", card->duration);
  if (card->kind == AVE_CARD_OVERLAY)
    {
      ave_json_add_double (builder, "x", card->x);
      ave_json_add_double (builder, "y", card->y);
      ave_json_add_double (builder, "width", card->width);
      ave_json_add_double (builder, "height", card->height);
      ave_json_add_double (builder, "opacity", card->opacity);
    }
  json_builder_set_member_name (builder, "transition");
  json_builder_add_string_value (builder, _ave_plan_transition_names[card->transition]);
  ave_json_add_double (builder, "transition_duration", card->transition_duration);
  json_builder_end_object (builder);
}

JsonNode *
ave_plan_to_json (AvePlan *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, AVE_PLAN_VERSION);
  json_builder_set_member_name (builder, "source");
  if (self->source != NULL)
    json_builder_add_string_value (builder, self->source);
  else
    json_builder_add_null_value (builder);
  ave_json_add_double (builder, "source_duration", self->source_duration);
  json_builder_set_member_name (builder, "director");
  if (self->director != NULL)
    json_builder_add_string_value (builder, self->director);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "segments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->segments->len; i++)
    {
      const AveSegment *segment = &g_array_index (self->segments, AveSegment, i);

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "start", segment->start);
      ave_json_add_double (builder, "end", segment->end);
      json_builder_set_member_name (builder, "transition");
      json_builder_add_string_value (builder, _ave_plan_transition_names[segment->transition]);
      ave_json_add_double (builder, "transition_duration", segment->transition_duration);
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, segment->enabled);
      json_builder_set_member_name (builder, "reason");
      if (segment->reason != NULL)
        json_builder_add_string_value (builder, segment->reason);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "origin");
      json_builder_add_string_value (builder, _ave_plan_origin_names[segment->origin]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (self->meta_title != NULL)
    {
      json_builder_set_member_name (builder, "metadata");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, self->meta_title);
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, self->meta_description != NULL ? self->meta_description : "");
      json_builder_set_member_name (builder, "tags");
      json_builder_begin_array (builder);
      for (guint i = 0; self->meta_tags != NULL && self->meta_tags[i] != NULL; i++)
        json_builder_add_string_value (builder, self->meta_tags[i]);
      json_builder_end_array (builder);
      if (self->meta_thumbnail_time >= 0)
        {
          json_builder_set_member_name (builder, "thumbnail");
          json_builder_begin_object (builder);
          ave_json_add_double (builder, "time", self->meta_thumbnail_time);
          json_builder_set_member_name (builder, "text");
          json_builder_add_string_value (builder, self->meta_thumbnail_text != NULL ? self->meta_thumbnail_text : "");
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "chapters");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->chapters->len; i++)
    {
      const AveChapter *chapter = &g_array_index (self->chapters, AveChapter, i);

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "time", chapter->time);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, chapter->title);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "cards");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->cards->len; i++)
    add_card_json (builder, &g_array_index (self->cards, AveCard, i));
  json_builder_end_array (builder);

  /* For people and scripts reading the file; recomputed on load. */
  ave_json_add_double (builder, "output_duration", ave_plan_get_output_duration (self));

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* --------------------------------------------------------------- JSON in */

/* Every error names the field by its path ("segments[2].end") and the
 * value found, because plan.json is meant to be edited by hand. */

static gboolean
read_transition (const AveJsonFormat  *fmt,
                 JsonObject           *object,
                 const char           *parent,
                 AveTransitionType    *out,
                 GError              **error)
{
  g_autofree char *name = NULL;

  if (!ave_json_read_string (fmt, object, parent, "transition", &name, error))
    return FALSE;

  *out = AVE_TRANSITION_CUT;
  if (name == NULL)
    return TRUE;

  for (guint t = 0; t < G_N_ELEMENTS (_ave_plan_transition_names); t++)
    if (g_str_equal (name, _ave_plan_transition_names[t]))
      {
        *out = t;
        return TRUE;
      }

  {
    g_autofree char *path = ave_json_member_path (parent, "transition");

    ave_json_set_invalid (fmt, error, path, "unknown transition \"%s\" (allowed: cut, crossfade, fade)", name);
  }
  return FALSE;
}

/* "metadata" (version 2): what a director proposed for publishing. */
static gboolean
read_metadata (const AveJsonFormat  *fmt,
               AvePlan              *self,
               JsonObject           *root,
               GError              **error)
{
  JsonNode *node = json_object_get_member (root, "metadata");
  JsonObject *obj;
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array = NULL;
  double time = -1;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (fmt, error, "metadata", "expected an object with title, description and tags, found %s",
                            ave_json_node_describe (node));
      return FALSE;
    }
  obj = json_node_get_object (node);
  if (!ave_json_read_string_max (fmt, obj, "metadata", "title", AVE_PLAN_MAX_TITLE_CHARS, &title, error)
      || !ave_json_read_string_max (fmt, obj, "metadata", "description", AVE_PLAN_MAX_REASON_CHARS,
                                    &description, error)
      || !ave_json_read_array_in (fmt, obj, "metadata", "tags", 50, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *tag = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (tag) || json_node_get_value_type (tag) != G_TYPE_STRING)
        {
          g_autofree char *p = g_strdup_printf ("metadata.tags[%u]", i);

          ave_json_set_invalid (fmt, error, p, "expected a string, found %s", ave_json_node_describe (tag));
          return FALSE;
        }
      g_ptr_array_add (tags, g_strdup (json_node_get_string (tag)));
    }
  node = json_object_get_member (obj, "thumbnail");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      if (!ave_json_read_number (fmt, json_node_get_object (node), "metadata.thumbnail", "time", FALSE, -1,
                                 &time, error)
          || !ave_json_read_string_max (fmt, json_node_get_object (node), "metadata.thumbnail", "text",
                                        AVE_PLAN_MAX_TITLE_CHARS, &text, error))
        return FALSE;
    }
  if (title == NULL)
    return TRUE;
  self->meta_title = g_steal_pointer (&title);
  self->meta_description = g_steal_pointer (&description);
  g_ptr_array_add (tags, NULL);
  self->meta_tags = (char **) g_ptr_array_steal (tags, NULL);
  self->meta_thumbnail_time = time;
  self->meta_thumbnail_text = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
read_segment (const AveJsonFormat  *fmt,
              AvePlan              *self,
              JsonNode             *node,
              guint                 index,
              GError              **error)
{
  g_autofree char *path = g_strdup_printf ("segments[%u]", index);
  JsonObject *obj;
  AveSegment segment = { 0 };
  g_autofree char *reason = NULL;
  g_autofree char *origin = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (fmt, error, path, "expected an object with start and end, found %s",
                            ave_json_node_describe (node));
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!ave_json_read_number (fmt, obj, path, "start", TRUE, 0, &segment.start, error) ||
      !ave_json_read_number (fmt, obj, path, "end", TRUE, 0, &segment.end, error))
    return FALSE;

  if (segment.start < 0.0)
    {
      g_autofree char *p = ave_json_member_path (path, "start");

      ave_json_set_invalid (fmt, error, p, "must not be negative (%.3f)", segment.start);
      return FALSE;
    }
  if (segment.end - segment.start < MIN_SEGMENT_DURATION - 1e-9)
    {
      g_autofree char *p = ave_json_member_path (path, "end");

      if (segment.end <= segment.start)
        ave_json_set_invalid (fmt, error, p, "must be greater than start (%.3f)", segment.start);
      else
        ave_json_set_invalid (fmt, error, p, "the segment must last at least %.2f s (it lasts %.3f s)",
                     MIN_SEGMENT_DURATION, segment.end - segment.start);
      return FALSE;
    }
  if (self->source_duration > 0.0 &&
      segment.end > self->source_duration + DURATION_TOLERANCE)
    {
      g_autofree char *p = ave_json_member_path (path, "end");

      ave_json_set_invalid (fmt, error, p, "%.3f is beyond the end of the source (source_duration %.3f)",
                   segment.end, self->source_duration);
      return FALSE;
    }

  if (!read_transition (fmt, obj, path, &segment.transition, error))
    return FALSE;
  if (!ave_json_read_number (fmt, obj, path, "transition_duration", FALSE,
                    segment.transition == AVE_TRANSITION_CUT ? 0.0 : DEFAULT_TRANSITION_DURATION,
                    &segment.transition_duration, error))
    return FALSE;

  if (segment.transition == AVE_TRANSITION_CUT)
    segment.transition_duration = 0.0;
  else
    {
      g_autofree char *p = ave_json_member_path (path, "transition_duration");
      double limit = segment.end - segment.start;

      if (segment.transition_duration <= 0.0)
        {
          ave_json_set_invalid (fmt, error, p, "a %s needs a duration greater than 0 (got %.3f)",
                       _ave_plan_transition_names[segment.transition], segment.transition_duration);
          return FALSE;
        }
      if (index > 0)
        {
          const AveSegment *previous = &g_array_index (self->segments, AveSegment, index - 1);

          limit = MIN (limit, previous->end - previous->start);
        }
      if (segment.transition_duration >= limit)
        {
          ave_json_set_invalid (fmt, error, p, "%.3f must be shorter than this segment%s (%.3f s)",
                       segment.transition_duration,
                       index > 0 ? " and the previous one" : "", limit);
          return FALSE;
        }
    }

  if (!ave_json_read_bool (fmt, obj, path, "enabled", TRUE, &segment.enabled, error))
    return FALSE;

  if (!ave_json_read_string_max (fmt, obj, path, "reason", AVE_PLAN_MAX_REASON_CHARS, &reason, error))
    return FALSE;
  /* Version 1 had no origin: its plans came from the local director. */
  if (!ave_json_read_string (fmt, obj, path, "origin", &origin, error))
    return FALSE;
  if (origin != NULL && !ave_segment_origin_from_string (origin, &segment.origin))
    {
      g_autofree char *p = ave_json_member_path (path, "origin");

      ave_json_set_invalid (fmt, error, p, "unknown origin \"%s\" (allowed: local, llm, user, import)", origin);
      return FALSE;
    }
  segment.reason = g_steal_pointer (&reason);

  g_array_append_val (self->segments, segment);
  return TRUE;
}

static gboolean
read_chapter (const AveJsonFormat  *fmt,
              AvePlan              *self,
              JsonNode             *node,
              guint                 index,
              GError              **error)
{
  g_autofree char *path = g_strdup_printf ("chapters[%u]", index);
  g_autofree char *title = NULL;
  JsonObject *obj;
  double time;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (fmt, error, path, "expected an object with time and title, found %s",
                            ave_json_node_describe (node));
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!ave_json_read_number (fmt, obj, path, "time", TRUE, 0, &time, error) ||
      !ave_json_read_string_max (fmt, obj, path, "title", AVE_PLAN_MAX_TITLE_CHARS, &title, error))
    return FALSE;
  if (time < 0.0 || time > AVE_PLAN_MAX_SECONDS)
    {
      g_autofree char *p = ave_json_member_path (path, "time");

      if (time < 0.0)
        ave_json_set_invalid (fmt, error, p, "must not be negative (%.3f)", time);
      else
        ave_json_set_invalid (fmt, error, p, "must be at most %.0f s (got %.3f)", AVE_PLAN_MAX_SECONDS, time);
      return FALSE;
    }
  if (title == NULL)
    {
      g_autofree char *p = ave_json_member_path (path, "title");

      ave_json_set_invalid (fmt, error, p, "missing (expected a string)");
      return FALSE;
    }

  {
    AveChapter chapter = { time, g_steal_pointer (&title) };

    /* Sorted once all are read (ave_plan_new_from_json). */
    g_array_append_val (self->chapters, chapter);
  }
  return TRUE;
}

static int
compare_chapters (gconstpointer a,
                  gconstpointer b)
{
  double ta = ((const AveChapter *) a)->time, tb = ((const AveChapter *) b)->time;

  return (ta > tb) - (ta < tb);
}

/* A name from `names` (a table of n entries); `fallback` when absent. */
static gboolean
read_name (const AveJsonFormat  *fmt,
           JsonObject           *object,
           const char           *parent,
           const char           *member,
           const char * const   *names,
           guint                 n_names,
           guint                 fallback,
           guint                *out,
           GError              **error)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GString) allowed = NULL;

  if (!ave_json_read_string (fmt, object, parent, member, &name, error))
    return FALSE;
  *out = fallback;
  if (name == NULL)
    return TRUE;
  for (guint i = 0; i < n_names; i++)
    if (g_str_equal (name, names[i]))
      {
        *out = i;
        return TRUE;
      }

  allowed = g_string_new (NULL);
  for (guint i = 0; i < n_names; i++)
    g_string_append_printf (allowed, "%s%s", i > 0 ? ", " : "", names[i]);
  path = ave_json_member_path (parent, member);
  ave_json_set_invalid (fmt, error, path, "unknown %s \"%s\" (allowed: %s)", member, name, allowed->str);
  return FALSE;
}

static gboolean
read_card (const AveJsonFormat  *fmt,
           AvePlan              *self,
           JsonNode             *node,
           guint                 index,
           GError              **error)
{
  g_autofree char *path = g_strdup_printf ("cards[%u]", index);
  g_autofree char *kind_path = ave_json_member_path (path, "kind");
  JsonObject *obj;
  AveCard card = { 0 };
  guint kind, style;
  gboolean ok = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (fmt, error, path, "expected an object with kind, title and duration, found %s",
                            ave_json_node_describe (node));
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!json_object_has_member (obj, "kind"))
    {
      ave_json_set_invalid (fmt, error, kind_path, "missing (expected \"title\" or \"overlay\")");
      return FALSE;
    }
  if (!read_name (fmt, obj, path, "kind", _ave_plan_card_kind_names, G_N_ELEMENTS (_ave_plan_card_kind_names),
                  AVE_CARD_TITLE, &kind, error) ||
      !read_name (fmt, obj, path, "style", _ave_plan_card_style_names, G_N_ELEMENTS (_ave_plan_card_style_names),
                  AVE_CARD_STYLE_DARK, &style, error))
    return FALSE;
  card.kind = kind;
  card.style = style;
  card.opacity = 1.0;
  if (card.kind == AVE_CARD_TITLE)
    card.width = card.height = 1.0;
  else
    {
      card.x = LOWER_THIRD_X;
      card.y = LOWER_THIRD_Y;
      card.width = LOWER_THIRD_WIDTH;
      card.height = LOWER_THIRD_HEIGHT;
    }

  if (!ave_json_read_string_max (fmt, obj, path, "title", AVE_PLAN_MAX_TITLE_CHARS, &card.title, error) ||
      !ave_json_read_string_max (fmt, obj, path, "subtitle", AVE_PLAN_MAX_TITLE_CHARS, &card.subtitle, error) ||
      !ave_json_read_string_max (fmt, obj, path, "image", AVE_PLAN_MAX_PATH_CHARS, &card.image_path, error) ||
      !ave_json_read_number (fmt, obj, path, "duration", TRUE, 0, &card.duration, error) ||
      !read_transition (fmt, obj, path, &card.transition, error) ||
      !ave_json_read_number (fmt, obj, path, "transition_duration", FALSE,
                    card.transition == AVE_TRANSITION_CUT ? 0.0 : DEFAULT_TRANSITION_DURATION,
                    &card.transition_duration, error))
    goto out;

  if (card.kind == AVE_CARD_TITLE)
    {
      JsonNode *slot = json_object_get_member (obj, "insert_before");
      g_autofree char *p = ave_json_member_path (path, "insert_before");
      double value;

      if (slot == NULL)
        {
          ave_json_set_invalid (fmt, error, p, "missing (expected the index of the segment the card plays before)");
          goto out;
        }
      if (!ave_json_node_get_number (fmt, slot, p, 0, G_MAXUINT, &value, error))
        goto out;
      if (value != floor (value))
        {
          ave_json_set_invalid (fmt, error, p, "expected a whole number from 0 (got %g)", value);
          goto out;
        }
      card.insert_before = (guint) value;
    }
  else if (!ave_json_read_number (fmt, obj, path, "time", TRUE, 0, &card.output_time, error) ||
           !ave_json_read_number (fmt, obj, path, "x", FALSE, card.x, &card.x, error) ||
           !ave_json_read_number (fmt, obj, path, "y", FALSE, card.y, &card.y, error) ||
           !ave_json_read_number (fmt, obj, path, "width", FALSE, card.width, &card.width, error) ||
           !ave_json_read_number (fmt, obj, path, "height", FALSE, card.height, &card.height, error) ||
           !ave_json_read_number (fmt, obj, path, "opacity", FALSE, card.opacity, &card.opacity, error))
    goto out;

  if (!_ave_plan_check_card (self, &card, fmt, path, error))
    goto out;

  _ave_plan_normalise_card (&card);
  g_array_append_val (self->cards, card);
  memset (&card, 0, sizeof card);
  ok = TRUE;

out:
  _ave_plan_clear_card (&card);
  return ok;
}

/* Reads a plan from its document: the header is checked already. */
static AvePlan *
plan_from_document (AveJsonDoc  *document,
                    GError      **error)
{
  const AveJsonFormat *fmt = ave_json_doc_get_format (document);
  JsonObject *root = ave_json_doc_get_root (document);
  g_autoptr(AvePlan) self = NULL;
  g_autofree char *source = NULL;
  g_autofree char *director = NULL;
  JsonNode *member;
  JsonArray *array;
  double source_duration;

  if (!ave_json_read_string_max (fmt, root, NULL, "source", AVE_PLAN_MAX_PATH_CHARS, &source, error))
    return NULL;
  if (source == NULL || *source == '\0')
    {
      ave_json_set_invalid (fmt, error, "source", "missing (expected the path of the video the plan edits)");
      return NULL;
    }

  if (!ave_json_read_number (fmt, root, NULL, "source_duration", TRUE, 0, &source_duration, error))
    return NULL;
  if (source_duration <= 0.0 || source_duration > AVE_PLAN_MAX_SECONDS)
    {
      ave_json_set_invalid (fmt, error, "source_duration", "must be greater than 0 and at most %.0f (got %.3f)",
                            AVE_PLAN_MAX_SECONDS, source_duration);
      return NULL;
    }

  if (!ave_json_read_string_max (fmt, root, NULL, "director", AVE_PLAN_MAX_NAME_CHARS, &director, error))
    return NULL;

  self = ave_plan_new (source, source_duration);
  self->director = g_steal_pointer (&director);

  member = json_object_get_member (root, "segments");
  if (member == NULL)
    {
      ave_json_set_invalid (fmt, error, "segments", "missing (expected a list of segments)");
      return NULL;
    }
  if (!ave_json_read_array_max (fmt, root, "segments", AVE_PLAN_MAX_SEGMENTS, &array, error))
    return NULL;
  if (array == NULL)
    {
      ave_json_set_invalid (fmt, error, "segments", "expected an array");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!read_segment (fmt, self, json_array_get_element (array, i), i, error))
      return NULL;

  if (!ave_json_read_array_max (fmt, root, "chapters", AVE_PLAN_MAX_CHAPTERS, &array, error))
    return NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (!read_chapter (fmt, self, json_array_get_element (array, i), i, error))
      return NULL;
  /* Appended as read and sorted once: a stable sort keeps chapters of
   * the same time in the file's order. */
  g_array_sort (self->chapters, compare_chapters);

  /* Cards came after version 1 was first written: a plan without them
   * is still a version 1 plan. */
  if (!ave_json_read_array_max (fmt, root, "cards", AVE_PLAN_MAX_CARDS, &array, error))
    return NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (!read_card (fmt, self, json_array_get_element (array, i), i, error))
      return NULL;

  if (!read_metadata (fmt, self, root, error))
    return NULL;

  /* "output_duration" is derived from the segments and deliberately not
   * read: a hand edit of the segments must not leave it contradicting them. */

  return g_steal_pointer (&self);
}

AvePlan *
ave_plan_new_from_json (JsonNode  *node,
                        GError   **error)
{
  g_autoptr(AveJsonDoc) document = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  document = ave_json_doc_new (&_ave_plan_document, node, NULL, error);
  if (document == NULL)
    return NULL;
  return plan_from_document (document, error);
}

/* ------------------------------------------------------------- files */

/* json-glib prints doubles with 17 significant digits (0.1 becomes
 * 0.10000000000000001).  plan.json is edited by hand, so numbers are
 * written with the fewest digits that read back to the same double. */
static void
append_number (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* %g would write 20 as 2e+01 */
  if (value == floor (value) && fabs (value) < 1e15)
    {
      g_ascii_formatd (buffer, sizeof buffer, "%.0f", value);
      g_string_append (out, buffer);
      return;
    }

  for (int digits = 1; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
}

static void
append_string (GString    *out,
               const char *str)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) str; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static gboolean
is_scalar_object (JsonNode *node)
{
  JsonObject *obj;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  obj = json_node_get_object (node);
  members = json_object_get_values (obj);
  for (GList *l = members; l != NULL; l = l->next)
    if (JSON_NODE_HOLDS_OBJECT (l->data) || JSON_NODE_HOLDS_ARRAY (l->data))
      return FALSE;
  return TRUE;
}

static void
append_node (GString  *out,
             JsonNode *node,
             int       indent,
             gboolean  one_line)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;

    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);

        if (type == G_TYPE_STRING)
          append_string (out, json_node_get_string (node));
        else if (type == G_TYPE_BOOLEAN)
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
        else if (type == G_TYPE_INT64)
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
        else
          append_number (out, json_node_get_double (node));
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        if (n == 0)
          {
            g_string_append (out, "[]");
            break;
          }
        g_string_append (out, "[\n");
        for (guint i = 0; i < n; i++)
          {
            JsonNode *element = json_array_get_element (array, i);

            g_string_append_printf (out, "%*s", indent + 2, "");
            /* One segment or chapter per line keeps the file short and
             * makes a diff of two plans readable. */
            append_node (out, element, indent + 2, is_scalar_object (element));
            g_string_append (out, i + 1 < n ? ",\n" : "\n");
          }
        g_string_append_printf (out, "%*s]", indent, "");
      }
      break;

    case JSON_NODE_OBJECT:
      {
        JsonObject *obj = json_node_get_object (node);
        g_autoptr(GList) names = json_object_get_members (obj);
        const char *separator = one_line ? ", " : ",\n";

        if (names == NULL)
          {
            g_string_append (out, "{}");
            break;
          }
        g_string_append (out, one_line ? "{ " : "{\n");
        for (GList *l = names; l != NULL; l = l->next)
          {
            if (!one_line)
              g_string_append_printf (out, "%*s", indent + 2, "");
            append_string (out, l->data);
            g_string_append (out, ": ");
            append_node (out, json_object_get_member (obj, l->data), indent + 2, one_line);
            if (l->next != NULL)
              g_string_append (out, separator);
          }
        if (one_line)
          g_string_append (out, " }");
        else
          g_string_append_printf (out, "\n%*s}", indent, "");
      }
      break;
    }
}

gboolean
ave_plan_save (AvePlan     *self,
               const char  *path,
               GError     **error)
{
  return ave_plan_save_in (self, path, NULL, error);
}

gboolean
ave_plan_save_in (AvePlan     *self,
                  const char  *path,
                  const char  *final_folder,
                  GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  root = ave_plan_to_json (self);
  if (self->source != NULL)
    {
      /* Relative to the plan's folder, so the folder can move with its
       * video; in memory the path stays as it was given. */
      g_autofree char *plan_path = g_canonicalize_filename (path, NULL);
      g_autofree char *folder = final_folder != NULL ? g_canonicalize_filename (final_folder, NULL)
                                                     : g_path_get_dirname (plan_path);
      g_autofree char *source = g_canonicalize_filename (self->source, NULL);
      g_autofree char *relative = ave_project_relative_path (folder, source);

      json_object_set_string_member (json_node_get_object (root), "source",
                                     relative != NULL ? relative : source);
    }
  append_node (text, root, 0, FALSE);
  g_string_append_c (text, '\n');
  if (text->len > AVE_PLAN_MAX_FILE_BYTES)
    {
      /* Never write a file that ave_plan_load() would refuse. */
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                   "%s not written: the plan is %.0f MiB, more than the %.0f MiB plan.json may be",
                   path, text->len / 1048576.0, AVE_PLAN_MAX_FILE_BYTES / 1048576.0);
      return FALSE;
    }

  /* Written to a temporary name in the same folder and renamed, so a
   * crash never leaves a half-written plan that looks complete. */
  return g_file_set_contents (path, text->str, (gssize) text->len, error);
}

AvePlan *
ave_plan_load (const char  *path,
               GError     **error)
{
  g_autoptr(AveJsonDoc) document = NULL;
  AvePlan *self;

  g_return_val_if_fail (path != NULL, NULL);

  /* Every error names the file: ave_json_doc_load() puts it first. */
  document = ave_json_doc_load (&_ave_plan_document, path, error);
  if (document == NULL)
    return NULL;
  self = plan_from_document (document, error);
  if (self == NULL)
    return NULL;
  if (!g_path_is_absolute (self->source))
    {
      g_autofree char *plan_path = g_canonicalize_filename (path, NULL);
      g_autofree char *folder = g_path_get_dirname (plan_path);
      char *source = g_canonicalize_filename (self->source, folder);

      g_free (self->source);
      self->source = source;
    }
  return self;
}

