/* test-interchange.c — the plan in other editors' formats: structure
 * against the published formats, exact frame times at 23.976, 25, 29.97
 * (drop-frame) and 59.94 fps on 10-second and 3-hour sources, round trips
 * through the importer, and one test per refusal.  (test-interchange-melt
 * renders the MLT and Kdenlive exports with Debian's melt.) */
#define G_LOG_DOMAIN "ave-test-interchange"

#include "config.h"

#include <unistd.h>

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "core/ave-error.h"
#include "interchange/ave-interchange-private.h"
#include "ave-test-util.h"

typedef struct
{
  const char *label;
  gint64      num, den;
  gboolean    drop;
  const char *frame_duration;   /* FCPXML */
} RateCase;

static const RateCase rate_cases[] = {
  { "23.976", 24000, 1001, FALSE, "1001/24000s" },
  { "25", 25, 1, FALSE, "1/25s" },
  { "29.97DF", 30000, 1001, TRUE, "1001/30000s" },
  { "59.94", 60000, 1001, TRUE, "1001/60000s" },
};

static double
frame_seconds (const RateCase *rc, gint64 f)
{
  return (double) f * (double) rc->den / (double) rc->num;
}

/* A short real file at the rate (the EDL reader probes its source for the
 * rate, and every reference must name a file that exists). */
static const char *
rate_media (const RateCase *rc)
{
  g_autofree char *name = g_strdup_printf ("src-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ".mp4", rc->num, rc->den);
  g_autofree char *args = g_strdup_printf ("-f lavfi -i testsrc=s=64x48:r=%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT ":d=0.5 "
                                           "-f lavfi -i anullsrc=r=48000:cl=stereo -t 0.5 -c:v libx264 -preset ultrafast "
                                           "-c:a aac", rc->num, rc->den);
  return ave_test_ffmpeg_media (name, args);
}

static AveMediaInfo *
media_info (const char *path, const RateCase *rc, gint64 frames)
{
  AveMediaInfo *m = g_new0 (AveMediaInfo, 1);

  m->path = g_strdup (path);
  m->duration = frame_seconds (rc, frames);
  m->has_video = TRUE;
  m->frame_rate = (double) rc->num / rc->den;
  m->width = m->display_width = 1920;
  m->height = m->display_height = 1080;
  m->sample_aspect_num = m->sample_aspect_den = 1;
  m->has_audio = TRUE;
  m->sample_rate = 48000;
  m->channels = 2;
  return m;
}

/* Segments on frame boundaries over `frames` of source: lengths, pauses
 * and crossfades (even and odd frame counts) drawn from a fixed seed, one
 * fade, one disabled retake, chapters; with `card`, a title card. */
static AvePlan *
make_plan (const char *source, const RateCase *rc, gint64 frames, gboolean card)
{
  AvePlan *plan = ave_plan_new (source, frame_seconds (rc, frames));
  g_autoptr(GRand) rand = g_rand_new_with_seed (15);
  gint64 fps = (rc->num + rc->den - 1) / rc->den;
  gboolean long_source = frames > fps * 60;
  gint64 pos = g_rand_int_range (rand, 0, fps);
  guint n = 0;

  for (;;)
    {
      gint64 len = long_source ? g_rand_int_range (rand, (gint32) fps * 5, (gint32) fps * 90)
                               : g_rand_int_range (rand, (gint32) fps * 7 / 10, (gint32) fps * 14 / 10);
      gint64 pause = g_rand_int_range (rand, 1, (gint32) fps / 3);
      AveSegment s = { 0 };

      if (pos + len > frames)
        break;
      s.start = frame_seconds (rc, pos);
      s.end = frame_seconds (rc, pos + len);
      s.enabled = n != 4;
      s.reason = n == 4 ? (char *) "retake of 1.00–2.00 s (\"the result\")" : NULL;
      g_assert_true (ave_plan_append_segment (plan, &s));
      if (n > 0 && n % 3 == 0)
        g_assert_true (ave_plan_set_transition (plan, n, AVE_TRANSITION_CROSSFADE,
                                                frame_seconds (rc, n % 2 == 0 ? 12 : 13)));
      else if (n == 2)
        g_assert_true (ave_plan_set_transition (plan, n, AVE_TRANSITION_FADE, frame_seconds (rc, 10)));
      n++;
      pos += len + pause;
    }
  g_assert_cmpuint (n, >=, 6);
  ave_plan_add_chapter (plan, 0, "Opening");
  for (guint i = 5; i < n; i += long_source ? 40 : 3)
    {
      double t = ave_plan_source_to_output (plan, ave_plan_get_segment (plan, i)->start);
      if (t > 0)
        ave_plan_add_chapter (plan, t, "Chapter & <more>");
    }
  if (card)
    {
      g_autoptr(AveCard) c = ave_card_new_title ("Part two", "the \"middle\"", 3, frame_seconds (rc, 2 * fps));
      c->transition = AVE_TRANSITION_CROSSFADE;
      c->transition_duration = frame_seconds (rc, 10);
      g_assert_cmpint (ave_plan_add_card (plan, c), >=, 0);
    }
  return plan;
}

static gint64
to_frames (const RateCase *rc, double seconds)
{
  return (gint64) llround (seconds * rc->num / rc->den);
}

/* The output length in frames: the items' lengths less the crossfades. */
static gint64
expected_total (AvePlan *plan, const RateCase *rc)
{
  g_autoptr(GArray) items = ave_plan_list_output_items (plan);
  gint64 total = 0;

  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *o = &g_array_index (items, AveOutputItem, i);
      total += to_frames (rc, o->duration) - (i > 0 ? to_frames (rc, o->overlap) : 0);
    }
  return total;
}

/* ------------------------------------------------------------- structure */

/* "N/Ds" → frames; fails the test unless it is a whole number of frames. */
static gint64
fcp_frames (const RateCase *rc, const char *text)
{
  gint64 n, d = 1;
  char *end = NULL;

  g_assert_nonnull (text);
  n = g_ascii_strtoll (text, &end, 10);
  if (*end == '/')
    d = g_ascii_strtoll (end + 1, &end, 10);
  g_assert_cmpstr (end, ==, "s");
  if ((n * rc->num) % (d * rc->den) != 0)
    g_error ("FCPXML time %s is not a whole number of frames at %s", text, rc->label);
  return n * rc->num / (d * rc->den);
}

static void
check_fcpxml (const char *text, const RateCase *rc, gint64 source_frames, gint64 total)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveXmlNode) root = ave_xml_parse (text, strlen (text), &error);
  AveXmlNode *resources, *format, *asset, *sequence, *spine;
  gint64 pos = 0;
  guint clips = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (root->name, ==, "fcpxml");
  g_assert_cmpstr (ave_xml_attr (root, "version"), ==, "1.10");
  g_assert_nonnull (strstr (text, "<!DOCTYPE fcpxml>"));
  resources = ave_xml_child (root, "resources");
  format = ave_xml_child (resources, "format");
  asset = ave_xml_child (resources, "asset");
  g_assert_cmpstr (ave_xml_attr (format, "frameDuration"), ==, rc->frame_duration);
  g_assert_cmpstr (ave_xml_attr (format, "width"), ==, "1920");
  g_assert_cmpstr (ave_xml_attr (asset, "format"), ==, ave_xml_attr (format, "id"));
  g_assert_cmpint (fcp_frames (rc, ave_xml_attr (asset, "duration")), ==, source_frames);
  g_assert_cmpstr (ave_xml_attr (asset, "hasAudio"), ==, "1");
  g_assert_cmpstr (ave_xml_attr (asset, "audioChannels"), ==, "2");
  g_assert_cmpstr (ave_xml_attr (asset, "audioRate"), ==, "48000");
  g_assert_true (g_str_has_prefix (ave_xml_attr (ave_xml_child (asset, "media-rep"), "src"), "file:///"));
  g_assert_cmpstr (ave_xml_attr (ave_xml_child (asset, "media-rep"), "kind"), ==, "original-media");
  sequence = ave_xml_find (root, "sequence");
  g_assert_nonnull (ave_xml_find (root, "library"));
  g_assert_nonnull (ave_xml_find (root, "event"));
  g_assert_nonnull (ave_xml_find (root, "project"));
  g_assert_cmpstr (ave_xml_attr (sequence, "tcFormat"), ==, rc->drop ? "DF" : "NDF");
  g_assert_cmpint (fcp_frames (rc, ave_xml_attr (sequence, "duration")), ==, total);
  spine = ave_xml_child (sequence, "spine");
  /* The primary storyline: clips end to end from 0, transitions inside
   * the clips they join. */
  for (guint i = 0; i < spine->children->len; i++)
    {
      AveXmlNode *e = g_ptr_array_index (spine->children, i);
      gint64 offset = fcp_frames (rc, ave_xml_attr (e, "offset"));
      gint64 duration = fcp_frames (rc, ave_xml_attr (e, "duration"));

      g_assert_cmpint (duration, >, 0);
      if (g_str_equal (e->name, "transition"))
        {
          g_assert_cmpint (offset, <, pos);
          g_assert_cmpint (offset + duration, >, pos);
          g_assert_nonnull (ave_xml_child (e, "filter-video"));
          continue;
        }
      g_assert_true (g_str_equal (e->name, "asset-clip") || g_str_equal (e->name, "title"));
      g_assert_cmpint (offset, ==, pos);
      fcp_frames (rc, ave_xml_attr (e, "start"));
      for (guint k = 0; k < e->children->len; k++)
        {
          AveXmlNode *m = g_ptr_array_index (e->children, k);
          if (g_str_equal (m->name, "marker") || g_str_equal (m->name, "chapter-marker"))
            {
              gint64 at = fcp_frames (rc, ave_xml_attr (m, "start")) - fcp_frames (rc, ave_xml_attr (e, "start"));
              g_assert_cmpint (at, >=, 0);
              g_assert_cmpint (at, <, duration);
              g_assert_nonnull (ave_xml_attr (m, "value"));
            }
        }
      pos = offset + duration;
      clips++;
    }
  g_assert_cmpint (pos, ==, total);
  g_assert_cmpuint (clips, >, 0);
}

static gint64
node_int (const AveXmlNode *node, const char *name)
{
  const char *text = ave_xml_child_text (node, name);
  g_assert_nonnull (text);
  return g_ascii_strtoll (text, NULL, 10);
}

static void
check_xmeml (const char *text, const RateCase *rc, gint64 source_frames, gint64 total)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveXmlNode) root = ave_xml_parse (text, strlen (text), &error);
  AveXmlNode *sequence, *rate, *media, *video, *audio, *track;
  gint64 pos = 0;
  guint audio_tracks = 0;
  int base = (int) ((rc->num + rc->den - 1) / rc->den);

  g_assert_no_error (error);
  g_assert_cmpstr (root->name, ==, "xmeml");
  g_assert_cmpstr (ave_xml_attr (root, "version"), ==, "5");
  sequence = ave_xml_child (root, "sequence");
  rate = ave_xml_child (sequence, "rate");
  g_assert_cmpint (node_int (rate, "timebase"), ==, base);
  g_assert_cmpstr (ave_xml_child_text (rate, "ntsc"), ==, rc->den == 1001 ? "TRUE" : "FALSE");
  g_assert_cmpint (node_int (sequence, "duration"), ==, total);
  g_assert_cmpstr (ave_xml_child_text (ave_xml_child (sequence, "timecode"), "displayformat"), ==, rc->drop ? "DF" : "NDF");
  media = ave_xml_child (sequence, "media");
  video = ave_xml_child (media, "video");
  audio = ave_xml_child (media, "audio");
  track = ave_xml_child (video, "track");
  for (guint i = 0; i < track->children->len; i++)
    {
      AveXmlNode *e = g_ptr_array_index (track->children, i);
      if (g_str_equal (e->name, "transitionitem"))
        {
          g_assert_cmpint (node_int (e, "start"), <, pos + 1);
          g_assert_cmpint (node_int (e, "end"), >, node_int (e, "start"));
          g_assert_nonnull (ave_xml_find (e, "effectid"));
          continue;
        }
      g_assert_true (g_str_equal (e->name, "clipitem") || g_str_equal (e->name, "generatoritem"));
      g_assert_cmpint (node_int (e, "start"), ==, pos);
      g_assert_cmpint (node_int (e, "out") - node_int (e, "in"), ==, node_int (e, "end") - node_int (e, "start"));
      if (g_str_equal (e->name, "clipitem"))
        {
          AveXmlNode *file = ave_xml_child (e, "file");
          g_assert_nonnull (file);
          g_assert_cmpstr (ave_xml_attr (file, "id"), ==, "file-1");
          g_assert_cmpint (node_int (e, "out"), <=, source_frames);
          g_assert_nonnull (ave_xml_child (e, "link"));
        }
      pos = node_int (e, "end");
    }
  g_assert_cmpint (pos, ==, total);
  {
    AveXmlNode *file = ave_xml_find (track, "file");
    g_assert_true (g_str_has_prefix (ave_xml_child_text (file, "pathurl"), "file://localhost/"));
    g_assert_cmpint (node_int (file, "duration"), ==, source_frames);
    g_assert_cmpint (node_int (ave_xml_find (file, "audio"), "channelcount"), ==, 2);
    g_assert_cmpint (node_int (ave_xml_find (ave_xml_find (file, "video"), "samplecharacteristics"), "width"), ==, 1920);
  }
  for (guint i = 0; i < audio->children->len; i++)
    if (g_str_equal (((AveXmlNode *) g_ptr_array_index (audio->children, i))->name, "track"))
      audio_tracks++;
  g_assert_cmpuint (audio_tracks, ==, 2);
  g_assert_nonnull (ave_xml_find (audio, "sourcetrack"));
}

static JsonObject *
obj (JsonObject *o, const char *member)
{
  g_assert_true (json_object_has_member (o, member));
  return json_object_get_object_member (o, member);
}

static gint64
otio_frames (const RateCase *rc, JsonObject *time)
{
  double rate = json_object_get_double_member (time, "rate");
  double value = json_object_get_double_member (time, "value");

  g_assert_cmpstr (json_object_get_string_member (time, "OTIO_SCHEMA"), ==, "RationalTime.1");
  g_assert_cmpfloat (fabs (rate - (double) rc->num / rc->den), <, 1e-9);
  g_assert_cmpfloat (value, ==, floor (value));
  return (gint64) value;
}

static void
check_otio (const char *text, const RateCase *rc, gint64 source_frames, gint64 total)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *stack;
  JsonArray *tracks;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "OTIO_SCHEMA"), ==, "Timeline.1");
  stack = obj (root, "tracks");
  g_assert_cmpstr (json_object_get_string_member (stack, "OTIO_SCHEMA"), ==, "Stack.1");
  tracks = json_object_get_array_member (stack, "children");
  g_assert_cmpuint (json_array_get_length (tracks), ==, 2);
  for (guint t = 0; t < 2; t++)
    {
      JsonObject *track = json_array_get_object_element (tracks, t);
      JsonArray *items = json_object_get_array_member (track, "children");
      gint64 sum = 0;

      g_assert_cmpstr (json_object_get_string_member (track, "OTIO_SCHEMA"), ==, "Track.1");
      g_assert_cmpstr (json_object_get_string_member (track, "kind"), ==, t == 0 ? "Video" : "Audio");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);
          const char *schema = json_object_get_string_member (item, "OTIO_SCHEMA");

          if (g_str_equal (schema, "Transition.1"))
            {
              g_assert_cmpstr (json_object_get_string_member (item, "transition_type"), ==, "SMPTE_Dissolve");
              g_assert_cmpint (otio_frames (rc, obj (item, "in_offset")) + otio_frames (rc, obj (item, "out_offset")), >, 0);
              continue;
            }
          g_assert_true (g_str_equal (schema, "Clip.2") || g_str_equal (schema, "Gap.1"));
          otio_frames (rc, obj (obj (item, "source_range"), "start_time"));
          sum += otio_frames (rc, obj (obj (item, "source_range"), "duration"));
          if (g_str_equal (schema, "Clip.2"))
            {
              JsonObject *ref = obj (obj (item, "media_references"), "DEFAULT_MEDIA");
              g_assert_cmpstr (json_object_get_string_member (item, "active_media_reference_key"), ==, "DEFAULT_MEDIA");
              g_assert_cmpstr (json_object_get_string_member (ref, "OTIO_SCHEMA"), ==, "ExternalReference.1");
              g_assert_true (g_str_has_prefix (json_object_get_string_member (ref, "target_url"), "file:///"));
              g_assert_cmpint (otio_frames (rc, obj (obj (ref, "available_range"), "duration")), ==, source_frames);
            }
        }
      g_assert_cmpint (sum, ==, total);
    }
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (stack, "markers")); i++)
    {
      JsonObject *m = json_array_get_object_element (json_object_get_array_member (stack, "markers"), i);
      g_assert_cmpstr (json_object_get_string_member (m, "OTIO_SCHEMA"), ==, "Marker.2");
      g_assert_cmpint (otio_frames (rc, obj (obj (m, "marked_range"), "start_time")), <, total);
    }
}

static void
check_edl (const char *text, const RateCase *rc, gint64 total)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  AveRate rate = { rc->num, rc->den };
  gint64 first = -1, pos = -1;
  guint events = 0;

  g_assert_true (g_str_has_prefix (lines[0], "TITLE: "));
  g_assert_cmpstr (lines[1], ==, rc->drop ? "FCM: DROP FRAME" : "FCM: NON-DROP FRAME");
  for (guint i = 2; lines[i] != NULL; i++)
    {
      g_auto(GStrv) w = NULL;
      guint n;
      gint64 si, so, ri, ro;

      if (!g_ascii_isdigit (lines[i][0]))
        {
          g_assert_true (*lines[i] == '\0' || g_str_has_prefix (lines[i], "* "));
          continue;
        }
      w = g_strsplit_set (lines[i], " ", -1);
      {
        GPtrArray *words = g_ptr_array_new ();
        for (guint k = 0; w[k] != NULL; k++)
          if (*w[k] != '\0')
            g_ptr_array_add (words, w[k]);
        n = words->len;
        g_assert_true (n == 8 || n == 9);
        g_assert_cmpuint (strlen (g_ptr_array_index (words, 0)), >=, 3);
        for (guint k = n - 4; k < n; k++)
          {
            const char *tc = g_ptr_array_index (words, k);
            g_assert_cmpuint (strlen (tc), ==, 11);
            g_assert_cmpint (tc[8], ==, rc->drop ? ';' : ':');
          }
        si = ave_timecode_to_frames (rate, g_ptr_array_index (words, n - 4));
        so = ave_timecode_to_frames (rate, g_ptr_array_index (words, n - 3));
        ri = ave_timecode_to_frames (rate, g_ptr_array_index (words, n - 2));
        ro = ave_timecode_to_frames (rate, g_ptr_array_index (words, n - 1));
        g_ptr_array_unref (words);
      }
      g_assert_cmpint (si, >=, 0);
      g_assert_cmpint (so - si, ==, ro - ri);
      if (first < 0)
        first = pos = ri;
      /* Events follow each other with neither gap nor overlap. */
      g_assert_cmpint (ri, ==, pos);
      pos = ro;
      events++;
    }
  g_assert_cmpuint (events, >, 0);
  g_assert_cmpint (first, ==, ave_timecode_to_frames (rate, rc->drop ? "01:00:00;00" : "01:00:00:00"));
  g_assert_cmpint (pos - first, ==, total);
}

static void
check_mlt (const char *text, const RateCase *rc, gint64 total, gboolean kdenlive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveXmlNode) root = ave_xml_parse (text, strlen (text), &error);
  AveXmlNode *profile;
  g_autofree char *num = g_strdup_printf ("%" G_GINT64_FORMAT, rc->num);
  g_autofree char *den = g_strdup_printf ("%" G_GINT64_FORMAT, rc->den);
  g_autofree char *last = g_strdup_printf ("%" G_GINT64_FORMAT, total - 1);
  gint64 sum = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (root->name, ==, "mlt");
  profile = ave_xml_child (root, "profile");
  g_assert_cmpstr (ave_xml_attr (profile, "frame_rate_num"), ==, num);
  g_assert_cmpstr (ave_xml_attr (profile, "frame_rate_den"), ==, den);
  for (guint i = 0; i < root->children->len; i++)
    {
      AveXmlNode *e = g_ptr_array_index (root->children, i);
      if (g_str_equal (e->name, "tractor") && (kdenlive ? g_strcmp0 (ave_xml_attr (e, "id"), "maintractor") == 0
                                                        : g_strcmp0 (ave_xml_attr (e, "id"), "tractor0") == 0))
        g_assert_cmpstr (ave_xml_attr (e, "out"), ==, last);
      if (!kdenlive && g_str_equal (e->name, "playlist") && g_strcmp0 (ave_xml_attr (e, "id"), "playlist0") == 0)
        for (guint k = 0; k < e->children->len; k++)
          {
            AveXmlNode *entry = g_ptr_array_index (e->children, k);
            if (g_str_equal (entry->name, "entry"))
              sum += g_ascii_strtoll (ave_xml_attr (entry, "out"), NULL, 10)
                   - g_ascii_strtoll (ave_xml_attr (entry, "in"), NULL, 10) + 1;
          }
    }
  if (kdenlive)
    {
      g_assert_nonnull (strstr (text, "kdenlive:docproperties.version"));
      g_assert_nonnull (strstr (text, "<playlist id=\"main_bin\">"));
    }
  else
    g_assert_cmpint (sum, ==, total);
}

/* ---------------------------------------------------------- round trips */

/* What the importer must give back: the enabled segments in output order,
 * crossfades between two of them kept, everything else a cut. */
static void
assert_round_trip (AvePlan *plan, AvePlan *back, const RateCase *rc, const char *label)
{
  g_autoptr(GArray) items = ave_plan_list_output_items (plan);
  guint k = 0;
  gboolean prev_clip = FALSE;

  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *o = &g_array_index (items, AveOutputItem, i);
      const AveSegment *b;
      AveTransitionType expected;

      if (o->segment == NULL)
        {
          prev_clip = FALSE;
          continue;
        }
      if (k >= ave_plan_get_n_segments (back))
        g_error ("%s: %u segments came back, expected more", label, ave_plan_get_n_segments (back));
      b = ave_plan_get_segment (back, k);
      if (to_frames (rc, b->start) != to_frames (rc, o->segment->start)
          || to_frames (rc, b->end) != to_frames (rc, o->segment->end)
          || fabs (b->start - o->segment->start) > 1e-6 || fabs (b->end - o->segment->end) > 1e-6)
        g_error ("%s: segment %u came back as %.6f–%.6f, expected %.6f–%.6f", label, k,
                 b->start, b->end, o->segment->start, o->segment->end);
      expected = k > 0 && prev_clip && o->transition == AVE_TRANSITION_CROSSFADE ? AVE_TRANSITION_CROSSFADE
                                                                                   : AVE_TRANSITION_CUT;
      if (b->transition != expected
          || (expected == AVE_TRANSITION_CROSSFADE
              && to_frames (rc, b->transition_duration) != to_frames (rc, o->transition_duration)))
        g_error ("%s: segment %u came back joined by %d (%.4f s), expected %d (%.4f s)", label, k,
                 b->transition, b->transition_duration, expected, o->transition_duration);
      k++;
      prev_clip = TRUE;
    }
  g_assert_cmpuint (k, ==, ave_plan_get_n_segments (back));
}

static void
assert_chapters (AvePlan *plan, AvePlan *back, const RateCase *rc, const char *label)
{
  if (ave_plan_get_n_chapters (back) != ave_plan_get_n_chapters (plan))
    g_error ("%s: %u chapters came back, expected %u", label, ave_plan_get_n_chapters (back),
             ave_plan_get_n_chapters (plan));
  for (guint i = 0; i < ave_plan_get_n_chapters (plan); i++)
    {
      g_assert_cmpint (to_frames (rc, ave_plan_get_chapter (back, i)->time), ==,
                       to_frames (rc, ave_plan_get_chapter (plan, i)->time));
      g_assert_cmpstr (ave_plan_get_chapter (back, i)->title, ==, ave_plan_get_chapter (plan, i)->title);
    }
}

static void
run_rate_case (const RateCase *rc, gint64 source_frames, gboolean card)
{
  const char *source = rate_media (rc);
  g_autoptr(AveMediaInfo) media = media_info (source, rc, source_frames);
  g_autoptr(AvePlan) plan = make_plan (source, rc, source_frames, card);
  gint64 total = expected_total (plan, rc);

  for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("rt-%s-%" G_GINT64_FORMAT "%s.%s", rc->label, source_frames,
                                               card ? "-card" : "", ave_interchange_format_name (f));
      g_autofree char *path = ave_test_path (name);
      g_autofree char *text = ave_interchange_export (plan, media, NULL, f, path, AVE_EXPORT_PATHS_ABSOLUTE, &error);
      g_autoptr(AvePlan) back = NULL;
      AveInterchangeFormat sniffed;

      g_assert_no_error (error);
      g_assert_nonnull (text);
      switch (f)
        {
        case AVE_INTERCHANGE_MLT: check_mlt (text, rc, total, FALSE); break;
        case AVE_INTERCHANGE_KDENLIVE: check_mlt (text, rc, total, TRUE); break;
        case AVE_INTERCHANGE_FCPXML: check_fcpxml (text, rc, source_frames, total); break;
        case AVE_INTERCHANGE_XMEML: check_xmeml (text, rc, source_frames, total); break;
        case AVE_INTERCHANGE_OTIO: check_otio (text, rc, source_frames, total); break;
        case AVE_INTERCHANGE_EDL: check_edl (text, rc, total); break;
        default: g_assert_not_reached ();
        }
      g_assert_true (ave_interchange_sniff (text, strlen (text), &sniffed));
      g_assert_cmpint (sniffed, ==, f);
      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      back = ave_interchange_import (path, &error);
      g_assert_no_error (error);
      g_assert_true (ave_plan_check_source (back, source, &error));
      g_assert_no_error (error);
      assert_round_trip (plan, back, rc, name);
      /* plan.json v2 says who decided each segment: here, the other editor */
      for (guint k = 0; k < ave_plan_get_n_segments (back); k++)
        g_assert_cmpint (ave_plan_get_segment (back, k)->origin, ==, AVE_SEGMENT_ORIGIN_IMPORT);
      /* Chapters come back from every format but the EDL's locators that
       * a card's black event hides; all formats here keep them. */
      assert_chapters (plan, back, rc, name);
      g_unlink (path);
    }
}

static void
test_rates_10s (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rate_cases); i++)
    {
      const RateCase *rc = &rate_cases[i];
      run_rate_case (rc, to_frames (rc, 10.0), FALSE);
      run_rate_case (rc, to_frames (rc, 10.0), TRUE);
    }
}

static void
test_rates_3h (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rate_cases); i++)
    {
      const RateCase *rc = &rate_cases[i];
      run_rate_case (rc, to_frames (rc, 3 * 3600.0), FALSE);
    }
}

/* ------------------------------------------------------------ timecode */

static void
test_timecode (void)
{
  AveRate df = { 30000, 1001 }, df60 = { 60000, 1001 }, pal = { 25, 1 }, film = { 24000, 1001 };
  static const struct { gint64 frame; const char *tc; } df_cases[] = {
    { 0, "00:00:00;00" }, { 1799, "00:00:59;29" }, { 1800, "00:01:00;02" },
    { 17981, "00:09:59;29" }, { 17982, "00:10:00;00" }, { 107892, "01:00:00;00" },
    { 323676, "03:00:00;00" },
  };
  AveRate r;

  for (guint i = 0; i < G_N_ELEMENTS (df_cases); i++)
    {
      g_autofree char *tc = ave_timecode_from_frames (df, df_cases[i].frame);
      g_assert_cmpstr (tc, ==, df_cases[i].tc);
      g_assert_cmpint (ave_timecode_to_frames (df, tc), ==, df_cases[i].frame);
    }
  /* Every frame of the first 11 minutes, and around each hour of three,
   * converts both ways at 29.97 and 59.94. */
  for (gint64 f = 0; f < 20000; f++)
    {
      g_autofree char *a = ave_timecode_from_frames (df, f);
      g_autofree char *b = ave_timecode_from_frames (df60, f * 2 + 1);
      g_assert_cmpint (ave_timecode_to_frames (df, a), ==, f);
      g_assert_cmpint (ave_timecode_to_frames (df60, b), ==, f * 2 + 1);
    }
  {
    g_autofree char *tc = ave_timecode_from_frames (df60, 647352);
    g_assert_cmpstr (tc, ==, "03:00:00;00");
  }
  {
    g_autofree char *tc = ave_timecode_from_frames (pal, 25 * 3600 * 3 + 24);
    g_assert_cmpstr (tc, ==, "03:00:00:24");
  }
  {
    /* 23.976 counts 24 labels a second, without dropping. */
    g_autofree char *tc = ave_timecode_from_frames (film, 24 * 60);
    g_assert_cmpstr (tc, ==, "00:01:00:00");
  }
  g_assert_cmpint (ave_timecode_to_frames (df, "00:00:00:30"), ==, -1);
  g_assert_true (ave_rate_from_fps (29.97002997, &r));
  g_assert_cmpint (r.num, ==, 30000);
  g_assert_cmpint (r.den, ==, 1001);
  g_assert_true (ave_rate_from_fps (23.976, &r) && r.num == 24000 && r.den == 1001);
  g_assert_true (ave_rate_from_fps (12.5, &r) && r.num == 25 && r.den == 2);
  g_assert_cmpint (ave_rate_timebase (r), ==, 0);
  /* No drift: the last frame of a 3-hour 29.97 source is where its
   * rational time says. */
  g_assert_cmpint (ave_rate_frames (df, ave_rate_seconds (df, 323676)), ==, 323676);
}

/* ------------------------------------------------------------- refusals */

/* Writes `text` to the test folder as `name` and imports it, which must
 * be refused: the error is left in `error`. */
static void
import_refused (const char  *name,
                const char  *text,
                GError     **error)
{
  g_autofree char *path = ave_test_path (name);
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  plan = ave_interchange_import (path, error);
  g_assert_null (plan);
}

static void
test_refuse_unknown_format (void)
{
  g_autoptr(GError) error = NULL;
  guint mask;

  import_refused ("notes.txt", "shopping list\nmilk\n", &error);
  g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT);
  g_assert_nonnull (strstr (error->message, "FCPXML"));
  g_clear_error (&error);

  import_refused ("page.xml", "<?xml version=\"1.0\"?><html><body/></html>", &error);
  g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT);
  g_clear_error (&error);

  g_assert_false (ave_interchange_parse_format_list ("mlt,avid", &mask, &error));
  g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT);
  g_assert_nonnull (strstr (error->message, "'avid'"));
  g_clear_error (&error);
  g_assert_true (ave_interchange_parse_format_list (" mlt , EDL ", &mask, &error));
  g_assert_cmpuint (mask, ==, (1u << AVE_INTERCHANGE_MLT) | (1u << AVE_INTERCHANGE_EDL));
}

/* XML that GMarkup reads but that is not one document. */
static void
test_refuse_malformed_xml (void)
{
  g_autoptr(GError) error = NULL;

  /* A second root element (found by fuzz-interchange: the parser kept a
   * pointer to it after freeing it) is refused with the element named. */
  import_refused ("page.xml", "<mlt><producer id=\"a\"/></mlt><mlt>more</mlt>", &error);
  g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "<mlt> after the root element"));
  g_clear_error (&error);

  /* Deeper than any editor nests (docs/interchange.md: 256 levels). */
  {
    g_autoptr(GString) deep = g_string_new (NULL);

    for (guint i = 0; i < 300; i++)
      g_string_append (deep, i == 0 ? "<mlt>" : "<tractor>");
    import_refused ("deep.mlt", deep->str, &error);
    g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "more than 256 deep"));
    g_clear_error (&error);
  }

  /* GMarkup's own refusal: an element left open. */
  import_refused ("open.mlt", "<mlt><producer id=\"a\">", &error);
  g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "open.mlt"));
}

static void
test_refuse_other_source (void)
{
  const RateCase *rc = &rate_cases[1];
  const char *source = rate_media (rc);
  const char *other = rate_media (&rate_cases[0]);
  g_autoptr(AveMediaInfo) media = media_info (source, rc, 250);
  g_autoptr(AvePlan) plan = make_plan (source, rc, 250, FALSE);

  for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("other.%s", ave_interchange_format_name (f));
      g_autofree char *path = ave_test_path (name);
      g_autoptr(AvePlan) back = NULL;

      g_assert_true (ave_interchange_export_file (plan, media, NULL, f, path, AVE_EXPORT_PATHS_RELATIVE, &error));
      back = ave_interchange_import (path, &error);
      g_assert_no_error (error);
      /* What `process OTHER --plan FILE` runs before rendering. */
      g_assert_false (ave_plan_check_source (back, other, &error));
      g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, source));
    }
}

static const char overlapping_xmeml[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE xmeml>\n<xmeml version=\"5\"><sequence>"
  "<rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate><media><video><track>"
  "<clipitem id=\"a\"><start>0</start><end>50</end><in>0</in><out>50</out>"
  "<file id=\"f\"><pathurl>%s</pathurl><duration>250</duration></file></clipitem>"
  "<clipitem id=\"b\"><start>40</start><end>90</end><in>100</in><out>150</out><file id=\"f\"/></clipitem>"
  "</track></video></media></sequence></xmeml>\n";

static void
test_refuse_overlap (void)
{
  const char *source = rate_media (&rate_cases[1]);
  g_autofree char *url = g_filename_to_uri (source, NULL, NULL);
  g_autofree char *text = g_strdup_printf (overlapping_xmeml, url);
  g_autofree char *path = ave_test_path ("overlap.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  plan = ave_interchange_import (path, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_OVERLAP);
  g_assert_nonnull (strstr (error->message, "10 frames"));

  /* Two media files in one edit are refused too. */
  g_clear_error (&error);
  {
    g_autofree char *other = g_filename_to_uri (rate_media (&rate_cases[0]), NULL, NULL);
    g_autofree char *two = g_strdup_printf (overlapping_xmeml, url);
    char *second = strstr (two, "<file id=\"f\"/>");
    g_autofree char *mixed = NULL;
    *second = '\0';
    mixed = g_strdup_printf ("%s<file id=\"g\"><pathurl>%s</pathurl></file>%s", two, other,
                             second + strlen ("<file id=\"f\"/>"));
    g_assert_true (g_file_set_contents (path, mixed, -1, NULL));
    plan = ave_interchange_import (path, &error);
    g_assert_null (plan);
    g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_SOURCES);
  }
}

static void
test_refuse_rate (void)
{
  RateCase odd = { "12.5", 25, 2, FALSE, "2/25s" };
  const char *source = rate_media (&odd);
  g_autoptr(AveMediaInfo) media = media_info (source, &odd, 125);
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  AveSegment s = { .start = 1.0, .end = 5.0, .enabled = TRUE };

  g_assert_true (ave_plan_append_segment (plan, &s));
  for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = ave_interchange_export (plan, media, NULL, f, NULL, AVE_EXPORT_PATHS_ABSOLUTE, &error);

      if (f == AVE_INTERCHANGE_FCPXML || f == AVE_INTERCHANGE_XMEML || f == AVE_INTERCHANGE_EDL)
        {
          /* Timecode and the editors' timelines count whole frames a
           * second (or NTSC ones): 12.5 fps is none of them. */
          g_assert_null (text);
          g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE);
          g_assert_nonnull (strstr (error->message, "12.500"));
        }
      else
        {
          /* MLT and OTIO hold any rational rate exactly. */
          g_assert_no_error (error);
          g_assert_nonnull (text);
          if (f == AVE_INTERCHANGE_MLT)
            g_assert_nonnull (strstr (text, "frame_rate_num=\"25\" frame_rate_den=\"2\""));
        }
    }
  /* A rate that is no rational of a sane size at all. */
  media->frame_rate = 1e-3;
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *text = ave_interchange_export (plan, media, NULL, AVE_INTERCHANGE_MLT, NULL,
                                                    AVE_EXPORT_PATHS_ABSOLUTE, &error);
    g_assert_null (text);
    g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE);
  }
}

/* Relative references resolve against the export's folder, and the
 * markers name chapters, retakes and cards. */
static void
test_paths_and_markers (void)
{
  const RateCase *rc = &rate_cases[2];
  const char *source = rate_media (rc);
  g_autoptr(AveMediaInfo) media = media_info (source, rc, to_frames (rc, 10.0));
  g_autoptr(AvePlan) plan = make_plan (source, rc, to_frames (rc, 10.0), TRUE);
  g_autofree char *folder = ave_test_path ("exports/deeper");
  g_autofree char *path = g_build_filename (folder, "edit.otio", NULL);
  g_autofree char *edl_path = g_build_filename (folder, "edit.edl", NULL);
  g_autofree char *base = g_path_get_basename (source);
  g_autofree char *relative = g_strdup_printf ("../../%s", base);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *edl = NULL;
  g_autoptr(AvePlan) back = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_assert_true (ave_interchange_export_file (plan, media, NULL, AVE_INTERCHANGE_OTIO, path,
                                              AVE_EXPORT_PATHS_RELATIVE, &error));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, relative));
  g_assert_null (strstr (text, "file://"));
  g_assert_nonnull (strstr (text, "Title card: Part two"));
  g_assert_nonnull (strstr (text, "Retake cut"));
  back = ave_interchange_import (path, &error);
  g_assert_no_error (error);
  g_assert_true (ave_plan_check_source (back, source, &error));

  g_assert_true (ave_interchange_export_file (plan, media, NULL, AVE_INTERCHANGE_EDL, edl_path,
                                              AVE_EXPORT_PATHS_RELATIVE, &error));
  g_assert_true (g_file_get_contents (edl_path, &edl, NULL, NULL));
  g_assert_nonnull (strstr (edl, "* TITLE CARD: Part two — the \"middle\""));
  g_assert_nonnull (strstr (edl, " BL "));
  g_assert_nonnull (strstr (edl, "* LOC: 01:00:00;00 BLUE    Opening"));
  g_assert_nonnull (strstr (edl, "RED     Retake cut"));
  g_assert_nonnull (strstr (edl, "* FADE THROUGH BLACK:"));

  /* Writing again over our own export of that format replaces it; any
   * other existing file, and a link, is refused and left as it was. */
  g_assert_true (ave_interchange_export_file (plan, media, NULL, AVE_INTERCHANGE_EDL, edl_path,
                                              AVE_EXPORT_PATHS_RELATIVE, &error));
  g_assert_no_error (error);
  {
    g_autofree char *notes = g_build_filename (folder, "notes.txt", NULL);
    g_autofree char *link = g_build_filename (folder, "link.edl", NULL);
    g_autofree char *after = NULL;
    g_autofree char *edl_after = NULL;

    g_assert_true (g_file_set_contents (notes, "my notes\n", -1, NULL));
    g_assert_false (ave_interchange_export_file (plan, media, NULL, AVE_INTERCHANGE_EDL, notes,
                                                 AVE_EXPORT_PATHS_RELATIVE, &error));
    g_assert_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (notes, &after, NULL, NULL));
    g_assert_cmpstr (after, ==, "my notes\n");

    /* an edit of another format is not this one's to replace */
    g_assert_false (ave_interchange_export_file (plan, media, NULL, AVE_INTERCHANGE_OTIO, edl_path,
                                                 AVE_EXPORT_PATHS_RELATIVE, &error));
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (edl_path, &edl_after, NULL, NULL));
    g_assert_cmpstr (edl_after, ==, edl);

    g_assert_cmpint (symlink (edl_path, link), ==, 0);
    g_assert_false (ave_interchange_export_file (plan, media, NULL, AVE_INTERCHANGE_EDL, link,
                                                 AVE_EXPORT_PATHS_RELATIVE, &error));
    g_clear_error (&error);
    g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  }
}

/* Shotcut and Kdenlive save positions as clock times ("00:00:01.500"):
 * an edit trimmed there reads back as well as our frame numbers. */
static const char shotcut_mlt[] =
  "<?xml version=\"1.0\" standalone=\"no\"?>\n"
  "<mlt LC_NUMERIC=\"C\" version=\"7.12.0\" title=\"Shotcut version 22.12.21\" producer=\"main_bin\">\n"
  "  <profile description=\"PAL\" width=\"64\" height=\"48\" progressive=\"1\" sample_aspect_num=\"1\" sample_aspect_den=\"1\""
  " display_aspect_num=\"4\" display_aspect_den=\"3\" frame_rate_num=\"25\" frame_rate_den=\"1\" colorspace=\"601\"/>\n"
  "  <playlist id=\"main_bin\"><property name=\"xml_retain\">1</property></playlist>\n"
  "  <producer id=\"black\" in=\"00:00:00.000\" out=\"00:00:04.960\"><property name=\"length\">00:00:05.000</property>"
  "<property name=\"resource\">0</property><property name=\"mlt_service\">color</property></producer>\n"
  "  <playlist id=\"background\"><entry producer=\"black\" in=\"00:00:00.000\" out=\"00:00:04.960\"/></playlist>\n"
  "  <chain id=\"chain0\" out=\"00:00:00.480\"><property name=\"length\">00:00:00.520</property>"
  "<property name=\"resource\">%s</property><property name=\"mlt_service\">avformat-novalidate</property></chain>\n"
  "  <playlist id=\"playlist0\"><property name=\"shotcut:video\">1</property><property name=\"shotcut:name\">V1</property>\n"
  "    <entry producer=\"chain0\" in=\"00:00:00.040\" out=\"00:00:00.200\"/>\n"
  "    <blank length=\"00:00:00.080\"/>\n"
  "    <entry producer=\"chain0\" in=\"00:00:00.280\" out=\"00:00:00.440\"/>\n"
  "  </playlist>\n"
  "  <tractor id=\"tractor0\" title=\"Shotcut version 22.12.21\" in=\"00:00:00.000\" out=\"00:00:00.400\">"
  "<property name=\"shotcut\">1</property>"
  "<track producer=\"background\"/><track producer=\"playlist0\"/></tractor>\n"
  "</mlt>\n";

static void
test_mlt_clock_times (void)
{
  const char *source = rate_media (&rate_cases[1]);
  g_autofree char *text = g_strdup_printf (shotcut_mlt, source);
  g_autofree char *path = ave_test_path ("shotcut.mlt");
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  plan = ave_interchange_import (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  /* Frames 1–5 and 7–11 at 25 fps (out points are inclusive); the blank
   * between them is closed. */
  g_assert_cmpfloat (fabs (ave_plan_get_segment (plan, 0)->start - 0.04), <, 1e-9);
  g_assert_cmpfloat (fabs (ave_plan_get_segment (plan, 0)->end - 0.24), <, 1e-9);
  g_assert_cmpfloat (fabs (ave_plan_get_segment (plan, 1)->start - 0.28), <, 1e-9);
  g_assert_cmpfloat (fabs (ave_plan_get_segment (plan, 1)->end - 0.48), <, 1e-9);
  g_assert_true (ave_plan_check_source (plan, source, &error));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/interchange/timecode", test_timecode);
  g_test_add_func ("/interchange/rates-10s", test_rates_10s);
  g_test_add_func ("/interchange/rates-3h", test_rates_3h);
  g_test_add_func ("/interchange/paths-and-markers", test_paths_and_markers);
  g_test_add_func ("/interchange/mlt-clock-times", test_mlt_clock_times);
  g_test_add_func ("/interchange/refuse/unknown-format", test_refuse_unknown_format);
  g_test_add_func ("/interchange/refuse/malformed-xml", test_refuse_malformed_xml);
  g_test_add_func ("/interchange/refuse/other-source", test_refuse_other_source);
  g_test_add_func ("/interchange/refuse/overlap", test_refuse_overlap);
  g_test_add_func ("/interchange/refuse/rate", test_refuse_rate);
  return g_test_run ();
}
