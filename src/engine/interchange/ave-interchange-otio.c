/* ave-interchange-otio.c — OpenTimelineIO JSON (.otio) with the schema
 * versions OpenTimelineIO 0.15 and later write: Timeline.1, Stack.1,
 * Track.1, Clip.2, Gap.1, Transition.1, ExternalReference.1, Marker.2,
 * RationalTime.1 and TimeRange.1.  A video track and an audio track hold
 * the same clips; items are laid end to end and a crossfade is a
 * Transition between two clips (in_offset before the cut, out_offset
 * after it); a title card is a Gap named after it with a marker; chapters
 * and notes are markers on the stack. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-interchange-private.h"
#include "core/ave-json-read.h"

static double
rate_value (AveRate rate)
{
  return (double) rate.num / (double) rate.den;
}

static void
add_time (JsonBuilder *b, const char *member, AveRate rate, gint64 frames)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "OTIO_SCHEMA");
  json_builder_add_string_value (b, "RationalTime.1");
  json_builder_set_member_name (b, "rate");
  json_builder_add_double_value (b, rate_value (rate));
  json_builder_set_member_name (b, "value");
  json_builder_add_double_value (b, (double) frames);
  json_builder_end_object (b);
}

static void
add_range (JsonBuilder *b, const char *member, AveRate rate, gint64 start, gint64 duration)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "OTIO_SCHEMA");
  json_builder_add_string_value (b, "TimeRange.1");
  add_time (b, "duration", rate, duration);
  add_time (b, "start_time", rate, start);
  json_builder_end_object (b);
}

static void
add_common (JsonBuilder *b, const char *schema, const char *name)
{
  json_builder_set_member_name (b, "OTIO_SCHEMA");
  json_builder_add_string_value (b, schema);
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name != NULL ? name : "");
}

static void
add_item_fields (JsonBuilder *b)
{
  json_builder_set_member_name (b, "effects");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "markers");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, TRUE);
}

static void
add_clip (JsonBuilder *b, AveIcTimeline *t, gint64 src_in, gint64 len)
{
  const AveMediaInfo *m = t->media;
  g_autofree char *frame_rate = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, t->rate.num, t->rate.den);

  json_builder_begin_object (b);
  add_common (b, "Clip.2", t->source_name);
  add_range (b, "source_range", t->rate, src_in, len);
  add_item_fields (b);
  json_builder_set_member_name (b, "media_references");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "DEFAULT_MEDIA");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "OTIO_SCHEMA");
  json_builder_add_string_value (b, "ExternalReference.1");
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ai-video-editor");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, t->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, t->height);
  json_builder_set_member_name (b, "frame_rate");
  json_builder_add_string_value (b, frame_rate);
  json_builder_set_member_name (b, "audio_channels");
  json_builder_add_int_value (b, m->has_audio ? m->channels : 0);
  json_builder_set_member_name (b, "audio_sample_rate");
  json_builder_add_int_value (b, m->has_audio ? m->sample_rate : 0);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, t->source_name);
  add_range (b, "available_range", t->rate, 0, t->source_frames);
  json_builder_set_member_name (b, "available_image_bounds");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "target_url");
  json_builder_add_string_value (b, t->source_url);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "active_media_reference_key");
  json_builder_add_string_value (b, "DEFAULT_MEDIA");
  json_builder_end_object (b);
}

static void
add_track (JsonBuilder *b, AveIcTimeline *t, gboolean audio)
{
  guint n = t->items->len;

  json_builder_begin_object (b);
  add_common (b, "Track.1", audio ? "A1" : "V1");
  json_builder_set_member_name (b, "source_range");
  json_builder_add_null_value (b);
  add_item_fields (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, audio ? "Audio" : "Video");
  json_builder_set_member_name (b, "children");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      const AveIcItem *next = i + 1 < n ? &g_array_index (t->items, AveIcItem, i + 1) : NULL;
      gint64 head = item->transition == AVE_TRANSITION_CROSSFADE ? item->overlap / 2 : 0;
      gint64 tail = next != NULL && next->transition == AVE_TRANSITION_CROSSFADE ? next->overlap - next->overlap / 2 : 0;
      gint64 len = item->rec_out - tail - (item->rec_in + head);

      if (item->transition == AVE_TRANSITION_CROSSFADE)
        {
          json_builder_begin_object (b);
          add_common (b, "Transition.1", audio ? "Audio Crossfade" : "Cross Dissolve");
          json_builder_set_member_name (b, "transition_type");
          json_builder_add_string_value (b, "SMPTE_Dissolve");
          add_time (b, "in_offset", t->rate, head);
          add_time (b, "out_offset", t->rate, item->overlap - head);
          json_builder_end_object (b);
        }
      if (item->kind == AVE_IC_CLIP)
        add_clip (b, t, item->src_in + head, len);
      else
        {
          g_autofree char *text = ave_ic_card_text (item->card);
          g_autofree char *name = g_strdup_printf ("Title card: %s", text);
          json_builder_begin_object (b);
          add_common (b, "Gap.1", name);
          add_range (b, "source_range", t->rate, 0, len);
          add_item_fields (b);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static const char *
marker_colour (AveIcMarkerKind kind)
{
  switch (kind)
    {
    case AVE_IC_MARKER_CHAPTER: return "BLUE";
    case AVE_IC_MARKER_RETAKE: return "ORANGE";
    case AVE_IC_MARKER_FILLER: return "YELLOW";
    case AVE_IC_MARKER_CARD:
    default: return "GREEN";
    }
}

char *
ave_ic_write_otio (AveIcTimeline *t, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *name = g_strdup_printf ("%s (edited)", t->source_name);

  json_builder_begin_object (b);
  add_common (b, "Timeline.1", name);
  json_builder_set_member_name (b, "global_start_time");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_object (b);
  add_common (b, "Stack.1", "tracks");
  json_builder_set_member_name (b, "source_range");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "effects");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "markers");
  json_builder_begin_array (b);
  for (guint i = 0; i < t->markers->len; i++)
    {
      const AveIcMarker *m = &g_array_index (t->markers, AveIcMarker, i);
      json_builder_begin_object (b);
      add_common (b, "Marker.2", m->name);
      json_builder_set_member_name (b, "color");
      json_builder_add_string_value (b, marker_colour (m->kind));
      add_range (b, "marked_range", t->rate, m->frame, 0);
      json_builder_set_member_name (b, "comment");
      json_builder_add_string_value (b, m->kind == AVE_IC_MARKER_CHAPTER ? "chapter" : m->note != NULL ? m->note : "");
      json_builder_end_object (b);
    }
  for (guint i = 0; i < t->items->len; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      if (item->kind == AVE_IC_CARD)
        {
          g_autofree char *text = ave_ic_card_text (item->card);
          json_builder_begin_object (b);
          add_common (b, "Marker.2", text);
          json_builder_set_member_name (b, "color");
          json_builder_add_string_value (b, marker_colour (AVE_IC_MARKER_CARD));
          add_range (b, "marked_range", t->rate, item->rec_in, item->rec_out - item->rec_in);
          json_builder_set_member_name (b, "comment");
          json_builder_add_string_value (b, "title card");
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "children");
  json_builder_begin_array (b);
  add_track (b, t, FALSE);
  if (t->media->has_audio)
    add_track (b, t, TRUE);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 4);
  return json_generator_to_data (generator, NULL);
}

/* ------------------------------------------------------------------ read */

static const AveJsonFormat otio_format = {
  ave_interchange_error_quark, AVE_INTERCHANGE_ERROR_INVALID, "a number",
};

static const char *
schema_of (JsonObject *o)
{
  return o != NULL ? json_object_get_string_member_with_default (o, "OTIO_SCHEMA", "") : "";
}

static JsonObject *
member_object (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* A RationalTime in frames of `rate` (rescaled when it has another
 * rate); FALSE when missing or off the frame grid. */
static gboolean
read_time (JsonObject *time, AveRate *rate, gboolean set_rate, gint64 *frames)
{
  JsonNode *r = time != NULL ? json_object_get_member (time, "rate") : NULL;
  JsonNode *v = time != NULL ? json_object_get_member (time, "value") : NULL;
  double tr, tv, f;

  if (r == NULL || v == NULL || !ave_json_node_is_number (r) || !ave_json_node_is_number (v))
    return FALSE;
  tr = json_node_get_double (r);
  tv = json_node_get_double (v);
  if (!isfinite (tr) || !isfinite (tv) || tr <= 0 || fabs (tv) > AVE_JSON_MAX_MAGNITUDE)
    return FALSE;
  if (set_rate && rate->num == 0)
    {
      if (!ave_rate_from_fps (tr, rate))
        return FALSE;
    }
  f = tv * rate->num / rate->den / tr;
  if (fabs (f) > (double) AVE_IC_MAX_FRAMES || fabs (f - round (f)) > 1e-3)
    return FALSE;
  *frames = (gint64) round (f);
  return TRUE;
}

static gboolean
read_range (JsonObject *range, AveRate *rate, gint64 *start, gint64 *duration)
{
  return range != NULL
      && read_time (member_object (range, "start_time"), rate, TRUE, start)
      && read_time (member_object (range, "duration"), rate, TRUE, duration);
}

static gboolean
invalid (GError **error, const char *path, const char *what)
{
  g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID, "%s: %s", path, what);
  return FALSE;
}

static const char *
clip_url (JsonObject *clip)
{
  JsonObject *refs = member_object (clip, "media_references");
  const char *key = json_object_get_string_member_with_default (clip, "active_media_reference_key", "DEFAULT_MEDIA");
  JsonObject *ref = refs != NULL ? member_object (refs, key) : member_object (clip, "media_reference");

  if (ref == NULL || !g_str_has_prefix (schema_of (ref), "ExternalReference."))
    return NULL;
  return json_object_get_string_member_with_default (ref, "target_url", NULL);
}

static gboolean
read_track (AveIcEdit *edit, JsonArray *children, GError **error)
{
  gint64 pos = 0, pending_in = -1, pending_out = -1;
  gboolean last_was_clip = FALSE;

  for (guint i = 0; i < json_array_get_length (children); i++)
    {
      JsonNode *node = json_array_get_element (children, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *schema = schema_of (o);
      gint64 start, duration;

      if (g_str_has_prefix (schema, "Transition."))
        {
          if (!read_time (member_object (o, "in_offset"), &edit->rate, TRUE, &pending_in)
              || !read_time (member_object (o, "out_offset"), &edit->rate, TRUE, &pending_out))
            return invalid (error, edit->path, "a Transition without in_offset and out_offset on the frame grid");
          continue;
        }
      if (!read_range (member_object (o, "source_range"), &edit->rate, &start, &duration))
        return invalid (error, edit->path, "an item without a source_range of whole frames");
      /* The item before a transition shows out_offset frames of media past
       * its range; a crossfade of the plan joins two clips only (next to a
       * gap or generator, which the plan does not take back, a cut). */
      if (pending_in >= 0 && last_was_clip)
        g_array_index (edit->clips, AveIcClip, edit->clips->len - 1).src_out += pending_out;
      if (g_str_has_prefix (schema, "Clip."))
        {
          AveIcClip clip = { start, start + duration, pos, AVE_TRANSITION_CUT, 0 };
          JsonObject *refs = member_object (o, "media_references");
          JsonObject *ref = refs != NULL ? member_object (refs, json_object_get_string_member_with_default (o, "active_media_reference_key", "DEFAULT_MEDIA")) : NULL;
          gint64 a_start, a_duration;

          if (!ave_ic_edit_set_source (edit, clip_url (o), error))
            return FALSE;
          if (ref != NULL && read_range (member_object (ref, "available_range"), &edit->rate, &a_start, &a_duration))
            edit->source_frames = MAX (edit->source_frames, a_start + a_duration);
          if (pending_in >= 0)
            {
              clip.src_in -= pending_in;
              clip.rec_in -= pending_in;
              if (last_was_clip)
                {
                  clip.transition = AVE_TRANSITION_CROSSFADE;
                  clip.transition_frames = pending_in + pending_out;
                }
            }
          g_array_append_val (edit->clips, clip);
          last_was_clip = TRUE;
        }
      else
        last_was_clip = FALSE;
      pending_in = pending_out = -1;
      pos += duration;
    }
  return TRUE;
}

AvePlan *
ave_ic_read_otio (const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root_node;
  JsonObject *root, *stack;
  JsonNode *children;
  AveIcEdit edit;
  AvePlan *plan = NULL;
  gboolean found = FALSE;

  if (!ave_json_load_file (&otio_format, parser, path, AVE_PLAN_MAX_FILE_BYTES, error))
    return NULL;
  root_node = json_parser_get_root (parser);
  root = root_node != NULL && JSON_NODE_HOLDS_OBJECT (root_node) ? json_node_get_object (root_node) : NULL;
  if (!g_str_has_prefix (schema_of (root), "Timeline."))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: the OTIO file holds a %s, not a Timeline", path,
                   *schema_of (root) != '\0' ? schema_of (root) : "nothing");
      return NULL;
    }
  ave_ic_edit_init (&edit, "OTIO", path);
  stack = member_object (root, "tracks");
  children = stack != NULL ? json_object_get_member (stack, "children") : NULL;
  if (children == NULL || !JSON_NODE_HOLDS_ARRAY (children))
    {
      invalid (error, path, "the Timeline has no tracks");
      goto out;
    }
  /* The first video track (its clips carry the picture and, in one
   * recording, the sound). */
  for (guint i = 0; i < json_array_get_length (json_node_get_array (children)) && !found; i++)
    {
      JsonNode *tn = json_array_get_element (json_node_get_array (children), i);
      JsonObject *track = JSON_NODE_HOLDS_OBJECT (tn) ? json_node_get_object (tn) : NULL;
      JsonNode *items = track != NULL ? json_object_get_member (track, "children") : NULL;

      if (!g_str_has_prefix (schema_of (track), "Track.")
          || g_strcmp0 (json_object_get_string_member_with_default (track, "kind", "Video"), "Video") != 0
          || items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
        continue;
      found = TRUE;
      if (!read_track (&edit, json_node_get_array (items), error))
        goto out;
    }
  if (json_object_get_member (stack, "markers") != NULL && JSON_NODE_HOLDS_ARRAY (json_object_get_member (stack, "markers")))
    {
      JsonArray *markers = json_object_get_array_member (stack, "markers");
      for (guint i = 0; i < json_array_get_length (markers) && i < AVE_PLAN_MAX_CHAPTERS; i++)
        {
          JsonNode *mn = json_array_get_element (markers, i);
          JsonObject *m = JSON_NODE_HOLDS_OBJECT (mn) ? json_node_get_object (mn) : NULL;
          gint64 start, duration;

          if (m != NULL && g_strcmp0 (json_object_get_string_member_with_default (m, "comment", ""), "chapter") == 0
              && read_range (member_object (m, "marked_range"), &edit.rate, &start, &duration))
            ave_ic_edit_add_chapter (&edit, start, json_object_get_string_member_with_default (m, "name", NULL));
        }
    }
  plan = ave_ic_edit_to_plan (&edit, error);

out:
  ave_ic_edit_clear (&edit);
  return plan;
}
