/* ave-interchange-fcpxml.c — FCPXML 1.10 (Final Cut Pro 10.6+, DaVinci
 * Resolve).  Times are rational seconds ("1001/30000s"), each a whole
 * number of frame durations.  The spine holds asset-clips end to end; a
 * crossfade is a <transition> centred on the edit point, the clips' media
 * beyond it being the handles the dissolve uses; a title card is a Basic
 * Title; chapters are chapter-markers, other notes markers. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <string.h>

#include "ave-interchange-private.h"

static gint64
gcd64 (gint64 a, gint64 b)
{
  while (b != 0)
    {
      gint64 r = a % b;
      a = b;
      b = r;
    }
  return a < 0 ? -a : a;
}

/* frames × den/num seconds, reduced: "2s", "1001/30000s", "0s". */
static char *
fcp_time (AveRate rate, gint64 frames)
{
  gint64 n = frames * rate.den, d = rate.num, g;

  if (n == 0)
    return g_strdup ("0s");
  g = gcd64 (n, d);
  n /= g;
  d /= g;
  if (d == 1)
    return g_strdup_printf ("%" G_GINT64_FORMAT "s", n);
  return g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "s", n, d);
}

static const char *
format_name (AveIcTimeline *t)
{
  static char name[64];
  int base = ave_rate_timebase (t->rate);
  const char *suffix;

  switch (base)
    {
    case 24: suffix = ave_rate_is_ntsc (t->rate) ? "2398" : "24"; break;
    case 25: suffix = "25"; break;
    case 30: suffix = ave_rate_is_ntsc (t->rate) ? "2997" : "30"; break;
    case 48: suffix = ave_rate_is_ntsc (t->rate) ? "4795" : "48"; break;
    case 50: suffix = "50"; break;
    case 60: suffix = ave_rate_is_ntsc (t->rate) ? "5994" : "60"; break;
    default: return NULL;
    }
  if (t->width == 1920 && t->height == 1080)
    g_snprintf (name, sizeof name, "FFVideoFormat1080p%s", suffix);
  else if (t->width == 1280 && t->height == 720)
    g_snprintf (name, sizeof name, "FFVideoFormat720p%s", suffix);
  else if (t->width == 3840 && t->height == 2160)
    g_snprintf (name, sizeof name, "FFVideoFormat3840x2160p%s", suffix);
  else
    return NULL;   /* a custom format: FCP takes the size and rate */
  return name;
}

static void
write_markers_in (GString *out, AveIcTimeline *t, gint64 from, gint64 to, gint64 local_start, int indent)
{
  for (guint i = 0; i < t->markers->len; i++)
    {
      const AveIcMarker *m = &g_array_index (t->markers, AveIcMarker, i);
      g_autofree char *start = NULL;
      g_autofree char *one = fcp_time (t->rate, 1);

      if (m->frame < from || m->frame >= to)
        continue;
      start = fcp_time (t->rate, local_start + (m->frame - from));
      ave_ic_appendf (out, indent, "<%s start=\"%s\" duration=\"%s\" value=\"",
                      m->kind == AVE_IC_MARKER_CHAPTER ? "chapter-marker" : "marker", start, one);
      ave_ic_append_escaped (out, m->name);
      g_string_append (out, "\"");
      if (m->note != NULL)
        {
          g_string_append (out, " note=\"");
          ave_ic_append_escaped (out, m->note);
          g_string_append (out, "\"");
        }
      if (m->kind == AVE_IC_MARKER_CHAPTER)
        g_string_append (out, " posterOffset=\"0s\"");
      g_string_append (out, "/>\n");
    }
}

char *
ave_ic_write_fcpxml (AveIcTimeline *t, GError **error)
{
  GString *out;
  const AveMediaInfo *m = t->media;
  const char *name;
  const char *tc_format = ave_rate_drop_frame (t->rate) ? "DF" : "NDF";
  g_autofree char *frame_duration = NULL;
  g_autofree char *asset_duration = NULL;
  g_autofree char *total = NULL;
  g_autofree char *title_start = NULL;
  g_autofree char *stem = NULL;
  guint n = t->items->len;

  if (!ave_ic_require_timebase (t, "FCPXML", error))
    return NULL;
  out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE fcpxml>\n");
  frame_duration = fcp_time (t->rate, 1);
  asset_duration = fcp_time (t->rate, t->source_frames);
  total = fcp_time (t->rate, t->total);
  title_start = g_strdup ("0s");
  stem = g_strdup (t->source_name);
  if (strrchr (stem, '.') != NULL)
    *strrchr (stem, '.') = '\0';
  name = format_name (t);

  g_string_append (out, "<fcpxml version=\"1.10\">\n");
  ave_ic_appendf (out, 2, "<resources>\n");
  ave_ic_appendf (out, 4, "<format id=\"r1\"");
  if (name != NULL)
    g_string_append_printf (out, " name=\"%s\"", name);
  g_string_append_printf (out, " frameDuration=\"%s\" width=\"%d\" height=\"%d\" colorSpace=\"1-1-1 (Rec. 709)\"/>\n",
                          frame_duration, t->width, t->height);
  ave_ic_appendf (out, 4, "<asset id=\"r2\" name=\"");
  ave_ic_append_escaped (out, stem);
  g_string_append_printf (out, "\" start=\"0s\" duration=\"%s\" hasVideo=\"%d\" format=\"r1\"",
                          asset_duration, m->has_video ? 1 : 0);
  if (m->has_video)
    g_string_append (out, " videoSources=\"1\"");
  if (m->has_audio)
    g_string_append_printf (out, " hasAudio=\"1\" audioSources=\"1\" audioChannels=\"%d\" audioRate=\"%d\"",
                            m->channels, m->sample_rate);
  g_string_append (out, ">\n");
  ave_ic_appendf (out, 6, "<media-rep kind=\"original-media\" src=\"");
  ave_ic_append_escaped (out, t->source_url);
  g_string_append (out, "\"/>\n");
  ave_ic_appendf (out, 4, "</asset>\n");
  ave_ic_appendf (out, 4, "<effect id=\"r3\" name=\"Cross Dissolve\" uid=\"FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265\"/>\n");
  ave_ic_appendf (out, 4, "<effect id=\"r4\" name=\"Audio Crossfade\" uid=\"FFAudioTransition\"/>\n");
  ave_ic_appendf (out, 4, "<effect id=\"r5\" name=\"Basic Title\" "
                  "uid=\".../Titles.localized/Bumper:Opener.localized/Basic Title.localized/Basic Title.moti\"/>\n");
  ave_ic_appendf (out, 2, "</resources>\n");

  ave_ic_appendf (out, 2, "<library>\n");
  ave_ic_appendf (out, 4, "<event name=\"ai-video-editor\">\n");
  ave_ic_appendf (out, 6, "<project name=\"");
  ave_ic_append_escaped (out, stem);
  g_string_append (out, " (edited)\">\n");
  ave_ic_appendf (out, 8, "<sequence format=\"r1\" duration=\"%s\" tcStart=\"0s\" tcFormat=\"%s\" "
                  "audioLayout=\"%s\" audioRate=\"%s\">\n",
                  total, tc_format, m->channels == 1 ? "mono" : "stereo",
                  m->sample_rate == 44100 ? "44.1k" : m->sample_rate == 96000 ? "96k" : "48k");
  ave_ic_appendf (out, 10, "<spine>\n");

  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      const AveIcItem *next = i + 1 < n ? &g_array_index (t->items, AveIcItem, i + 1) : NULL;
      /* The edit point of a crossfade is its centre: h1 frames of it
       * before, h2 after. */
      gint64 head = item->transition == AVE_TRANSITION_CROSSFADE ? item->overlap / 2 : 0;
      gint64 tail = next != NULL && next->transition == AVE_TRANSITION_CROSSFADE ? next->overlap - next->overlap / 2 : 0;
      gint64 offset_f = item->rec_in + head;
      gint64 len = (item->rec_out - tail) - offset_f;
      g_autofree char *offset = fcp_time (t->rate, offset_f);
      g_autofree char *duration = fcp_time (t->rate, len);

      if (item->transition == AVE_TRANSITION_CROSSFADE)
        {
          g_autofree char *t_offset = fcp_time (t->rate, item->rec_in);
          g_autofree char *t_duration = fcp_time (t->rate, item->overlap);
          ave_ic_appendf (out, 12, "<transition name=\"Cross Dissolve\" offset=\"%s\" duration=\"%s\">\n",
                          t_offset, t_duration);
          ave_ic_appendf (out, 14, "<filter-video ref=\"r3\" name=\"Cross Dissolve\"/>\n");
          ave_ic_appendf (out, 14, "<filter-audio ref=\"r4\" name=\"Audio Crossfade\"/>\n");
          ave_ic_appendf (out, 12, "</transition>\n");
        }
      if (item->kind == AVE_IC_CLIP)
        {
          g_autofree char *start = fcp_time (t->rate, item->src_in + head);
          ave_ic_appendf (out, 12, "<asset-clip ref=\"r2\" offset=\"%s\" name=\"", offset);
          ave_ic_append_escaped (out, stem);
          g_string_append_printf (out, "\" start=\"%s\" duration=\"%s\" format=\"r1\" tcFormat=\"%s\"%s>\n",
                                  start, duration, tc_format, m->has_audio ? " audioRole=\"dialogue\"" : "");
          write_markers_in (out, t, offset_f, offset_f + len, item->src_in + head, 14);
          ave_ic_appendf (out, 12, "</asset-clip>\n");
        }
      else
        {
          g_autofree char *text = ave_ic_card_text (item->card);
          const char *fg = ave_ic_card_foreground (item->card);
          double r = g_ascii_xdigit_value (fg[1]) * 16 + g_ascii_xdigit_value (fg[2]);
          double g = g_ascii_xdigit_value (fg[3]) * 16 + g_ascii_xdigit_value (fg[4]);
          double b = g_ascii_xdigit_value (fg[5]) * 16 + g_ascii_xdigit_value (fg[6]);

          ave_ic_appendf (out, 12, "<title ref=\"r5\" offset=\"%s\" name=\"", offset);
          ave_ic_append_escaped (out, text);
          g_string_append_printf (out, "\" start=\"%s\" duration=\"%s\">\n", title_start, duration);
          ave_ic_appendf (out, 14, "<text>\n");
          ave_ic_appendf (out, 16, "<text-style ref=\"ts%u\">", i);
          ave_ic_append_escaped (out, text);
          g_string_append (out, "</text-style>\n");
          ave_ic_appendf (out, 14, "</text>\n");
          ave_ic_appendf (out, 14, "<text-style-def id=\"ts%u\">\n", i);
          ave_ic_appendf (out, 16, "<text-style font=\"Helvetica\" fontSize=\"72\" fontFace=\"Bold\" "
                          "fontColor=\"%.3g %.3g %.3g 1\" alignment=\"center\"/>\n", r / 255, g / 255, b / 255);
          ave_ic_appendf (out, 14, "</text-style-def>\n");
          write_markers_in (out, t, offset_f, offset_f + len, 0, 14);
          ave_ic_appendf (out, 12, "</title>\n");
        }
    }
  ave_ic_appendf (out, 10, "</spine>\n");
  ave_ic_appendf (out, 8, "</sequence>\n");
  ave_ic_appendf (out, 6, "</project>\n");
  ave_ic_appendf (out, 4, "</event>\n");
  ave_ic_appendf (out, 2, "</library>\n");
  g_string_append (out, "</fcpxml>\n");
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ read */

/* "N/Ds", "Ns" or "N.Fs" as a whole number of frames of `rate`; FALSE
 * when it is not a time or not on a frame boundary. */
static gboolean
parse_fcp_time (AveRate rate, const char *text, gint64 *frames)
{
  gint64 n, d = 1;
  char *end = NULL;

  if (text == NULL)
    return FALSE;
  n = g_ascii_strtoll (text, &end, 10);
  if (end == text)
    return FALSE;
  if (*end == '/')
    {
      const char *p = end + 1;
      d = g_ascii_strtoll (p, &end, 10);
      if (end == p || d <= 0)
        return FALSE;
    }
  if (g_strcmp0 (end, "s") != 0 || n > AVE_IC_MAX_FRAMES || n < -AVE_IC_MAX_FRAMES || d > 1000000)
    return FALSE;
  /* frames = n/d × num/den */
  if ((n * rate.num) % (d * rate.den) != 0)
    return FALSE;
  *frames = n * rate.num / (d * rate.den);
  return TRUE;
}

static gboolean
bad_time (GError **error, const char *path, const char *element, const char *attribute, const char *value)
{
  g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
               "%s: <%s %s=\"%s\"> is not a time on a frame boundary of the sequence's rate",
               path, element, attribute, value != NULL ? value : "");
  return FALSE;
}

static gboolean
get_time (AveRate rate, const AveXmlNode *node, const char *attribute, gint64 fallback,
          gint64 *frames, const char *path, GError **error)
{
  const char *value = ave_xml_attr (node, attribute);
  if (value == NULL && fallback >= 0)
    {
      *frames = fallback;
      return TRUE;
    }
  if (!parse_fcp_time (rate, value, frames))
    return bad_time (error, path, node->name, attribute, value);
  return TRUE;
}

AvePlan *
ave_ic_read_fcpxml (const char *path, AveXmlNode *root, GError **error)
{
  AveIcEdit edit;
  AveXmlNode *resources = ave_xml_child (root, "resources");
  AveXmlNode *sequence = ave_xml_find (root, "sequence");
  AveXmlNode *spine = sequence != NULL ? ave_xml_child (sequence, "spine") : NULL;
  const AveXmlNode *format = NULL;
  const char *format_id;
  AvePlan *plan = NULL;
  gint64 pending = 0, pending_offset = 0;
  gboolean last_was_clip = FALSE;

  ave_ic_edit_init (&edit, "FCPXML", path);
  if (spine == NULL || resources == NULL)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: no <resources> or no <sequence> with a <spine>", path);
      goto out;
    }
  format_id = ave_xml_attr (sequence, "format");
  for (guint i = 0; i < resources->children->len; i++)
    {
      AveXmlNode *r = g_ptr_array_index (resources->children, i);
      if (g_str_equal (r->name, "format") && g_strcmp0 (ave_xml_attr (r, "id"), format_id) == 0)
        format = r;
    }
  {
    const char *fd = ave_xml_attr (format, "frameDuration");
    gint64 a, b = 1;
    char *end = NULL;

    if (fd == NULL)
      {
        g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                     "%s: the sequence's <format> has no frameDuration", path);
        goto out;
      }
    a = g_ascii_strtoll (fd, &end, 10);
    if (*end == '/')
      b = g_ascii_strtoll (end + 1, &end, 10);
    if (a <= 0 || b <= 0 || a > 1000000 || b > 1000000 || g_strcmp0 (end, "s") != 0)
      {
        g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                     "%s: frameDuration \"%s\" is not a frame duration", path, fd);
        goto out;
      }
    edit.rate = (AveRate) { b, a };
  }

  for (guint i = 0; i < spine->children->len; i++)
    {
      AveXmlNode *e = g_ptr_array_index (spine->children, i);
      gint64 offset, start, duration, before = 0, after = 0;

      if (g_str_equal (e->name, "transition"))
        {
          if (!get_time (edit.rate, e, "offset", -1, &pending_offset, path, error)
              || !get_time (edit.rate, e, "duration", -1, &pending, path, error))
            goto out;
          continue;
        }
      if (!g_str_equal (e->name, "asset-clip") && !g_str_equal (e->name, "clip")
          && !g_str_equal (e->name, "title") && !g_str_equal (e->name, "gap"))
        continue;
      if (!get_time (edit.rate, e, "offset", -1, &offset, path, error)
          || !get_time (edit.rate, e, "start", 0, &start, path, error)
          || !get_time (edit.rate, e, "duration", -1, &duration, path, error))
        goto out;
      /* A transition before this element: the clips on both sides extend
       * into it (their handles) on either side of the edit point; it is a
       * crossfade of the plan only between two clips of the source (next
       * to a title, which the plan does not take back, it becomes a cut). */
      if (pending > 0)
        {
          before = offset - pending_offset;
          after = pending - before;
          if (before < 0 || after < 0)
            {
              g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                           "%s: a <transition> does not cover the edit point after it", path);
              goto out;
            }
          if (last_was_clip)
            g_array_index (edit.clips, AveIcClip, edit.clips->len - 1).src_out += after;
        }
      if (g_str_equal (e->name, "asset-clip") || g_str_equal (e->name, "clip"))
        {
          const AveXmlNode *ref_node = g_str_equal (e->name, "clip") ? ave_xml_child (e, "video") : e;
          const char *ref = ave_xml_attr (ref_node, "ref");
          const AveXmlNode *asset = NULL;
          AveIcClip clip = { start, start + duration, offset, AVE_TRANSITION_CUT, 0 };
          gint64 asset_duration;

          for (guint k = 0; k < resources->children->len; k++)
            {
              AveXmlNode *r = g_ptr_array_index (resources->children, k);
              if (g_str_equal (r->name, "asset") && g_strcmp0 (ave_xml_attr (r, "id"), ref) == 0)
                asset = r;
            }
          if (asset == NULL)
            {
              g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                           "%s: <%s ref=\"%s\"> names no <asset> in <resources>", path, e->name, ref != NULL ? ref : "");
              goto out;
            }
          if (!ave_ic_edit_set_source (&edit, ave_xml_attr (ave_xml_child (asset, "media-rep"), "src") != NULL
                                              ? ave_xml_attr (ave_xml_child (asset, "media-rep"), "src")
                                              : ave_xml_attr (asset, "src"), error))
            goto out;
          if (parse_fcp_time (edit.rate, ave_xml_attr (asset, "duration"), &asset_duration))
            edit.source_frames = MAX (edit.source_frames, asset_duration);
          /* A transition before this clip: both clips extend into it
           * (their handles) on either side of the edit point. */
          if (pending > 0)
            {
              clip.src_in -= before;
              clip.rec_in -= before;
              if (last_was_clip)
                {
                  clip.transition = AVE_TRANSITION_CROSSFADE;
                  clip.transition_frames = pending;
                }
            }
          g_array_append_val (edit.clips, clip);
          for (guint k = 0; k < e->children->len; k++)
            {
              AveXmlNode *mk = g_ptr_array_index (e->children, k);
              gint64 at;
              if (g_str_equal (mk->name, "chapter-marker") && parse_fcp_time (edit.rate, ave_xml_attr (mk, "start"), &at))
                ave_ic_edit_add_chapter (&edit, offset + (at - start), ave_xml_attr (mk, "value"));
            }
          last_was_clip = TRUE;
        }
      else
        last_was_clip = FALSE;
      pending = 0;
    }
  plan = ave_ic_edit_to_plan (&edit, error);

out:
  ave_ic_edit_clear (&edit);
  return plan;
}
