/* ave-interchange-xmeml.c — xmeml version 5 ("Final Cut Pro 7 XML"), as
 * Premiere Pro and Resolve import it.  Rates are a whole timebase with an
 * NTSC flag; times are frame counts.  One video track and one audio track
 * per source channel (at most two), every audio clip linked to its video
 * clip so the editor keeps them together.  A crossfade is a
 * transitionitem centred on the edit point; title cards are Text
 * generators; chapters and notes are sequence markers. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <string.h>

#include "ave-interchange-private.h"

static void
write_rate (GString *out, int indent, AveIcTimeline *t)
{
  ave_ic_appendf (out, indent, "<rate><timebase>%d</timebase><ntsc>%s</ntsc></rate>\n",
                  ave_rate_timebase (t->rate), ave_rate_is_ntsc (t->rate) ? "TRUE" : "FALSE");
}

static void
write_text (GString *out, int indent, const char *element, const char *text)
{
  ave_ic_appendf (out, indent, "<%s>", element);
  ave_ic_append_escaped (out, text);
  g_string_append_printf (out, "</%s>\n", element);
}

static void
write_file (GString *out, int indent, AveIcTimeline *t, gboolean *written)
{
  const AveMediaInfo *m = t->media;
  g_autofree char *tc = ave_timecode_from_frames (t->rate, 0);
  g_autofree char *url = g_path_is_absolute (t->source_ref)
                       ? g_strdup_printf ("file://localhost%s", t->source_url + strlen ("file://"))
                       : g_strdup (t->source_url);

  if (*written)
    {
      ave_ic_appendf (out, indent, "<file id=\"file-1\"/>\n");
      return;
    }
  *written = TRUE;
  ave_ic_appendf (out, indent, "<file id=\"file-1\">\n");
  write_text (out, indent + 2, "name", t->source_name);
  write_text (out, indent + 2, "pathurl", url);
  write_rate (out, indent + 2, t);
  ave_ic_appendf (out, indent + 2, "<duration>%" G_GINT64_FORMAT "</duration>\n", t->source_frames);
  ave_ic_appendf (out, indent + 2, "<timecode>\n");
  write_rate (out, indent + 4, t);
  ave_ic_appendf (out, indent + 4, "<string>%s</string><frame>0</frame><displayformat>%s</displayformat>\n",
                  tc, ave_rate_drop_frame (t->rate) ? "DF" : "NDF");
  ave_ic_appendf (out, indent + 2, "</timecode>\n");
  ave_ic_appendf (out, indent + 2, "<media>\n");
  if (m->has_video)
    {
      ave_ic_appendf (out, indent + 4, "<video><samplecharacteristics>\n");
      write_rate (out, indent + 6, t);
      ave_ic_appendf (out, indent + 6, "<width>%d</width><height>%d</height><anamorphic>FALSE</anamorphic>"
                      "<pixelaspectratio>square</pixelaspectratio><fielddominance>none</fielddominance>\n",
                      t->width, t->height);
      ave_ic_appendf (out, indent + 4, "</samplecharacteristics></video>\n");
    }
  if (m->has_audio)
    ave_ic_appendf (out, indent + 4, "<audio><samplecharacteristics><depth>16</depth><samplerate>%d</samplerate>"
                    "</samplecharacteristics><channelcount>%d</channelcount></audio>\n",
                    m->sample_rate, m->channels);
  ave_ic_appendf (out, indent + 2, "</media>\n");
  ave_ic_appendf (out, indent, "</file>\n");
}

/* Where item i starts and ends on the timeline and in the source, with
 * each crossfade's edit point at its centre. */
static void
item_range (AveIcTimeline *t, guint i, gint64 *start, gint64 *end, gint64 *in)
{
  const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
  const AveIcItem *next = i + 1 < t->items->len ? &g_array_index (t->items, AveIcItem, i + 1) : NULL;
  gint64 head = item->transition == AVE_TRANSITION_CROSSFADE ? item->overlap / 2 : 0;
  gint64 tail = next != NULL && next->transition == AVE_TRANSITION_CROSSFADE ? next->overlap - next->overlap / 2 : 0;

  *start = item->rec_in + head;
  *end = item->rec_out - tail;
  *in = (item->kind == AVE_IC_CLIP ? item->src_in : 0) + head;
}

static void
write_transition (GString *out, int indent, AveIcTimeline *t, const AveIcItem *item, gboolean audio)
{
  ave_ic_appendf (out, indent, "<transitionitem>\n");
  write_rate (out, indent + 2, t);
  ave_ic_appendf (out, indent + 2, "<start>%" G_GINT64_FORMAT "</start><end>%" G_GINT64_FORMAT "</end>"
                  "<alignment>center</alignment><cutPointTicks>0</cutPointTicks>\n",
                  item->rec_in, item->rec_in + item->overlap);
  ave_ic_appendf (out, indent + 2, "<effect><name>%s</name><effectid>%s</effectid>"
                  "<effectcategory>%s</effectcategory><effecttype>transition</effecttype>"
                  "<mediatype>%s</mediatype></effect>\n",
                  audio ? "Cross Fade (+3dB)" : "Cross Dissolve", audio ? "KGAudioTransCrossFade3dB" : "Cross Dissolve",
                  audio ? "Audio Transitions" : "Dissolve", audio ? "audio" : "video");
  ave_ic_appendf (out, indent, "</transitionitem>\n");
}

static void
write_links (GString *out, int indent, guint clip_number, guint n_audio)
{
  ave_ic_appendf (out, indent, "<link><linkclipref>clipitem-v%u</linkclipref><mediatype>video</mediatype>"
                  "<trackindex>1</trackindex><clipindex>%u</clipindex></link>\n", clip_number, clip_number);
  for (guint a = 1; a <= n_audio; a++)
    ave_ic_appendf (out, indent, "<link><linkclipref>clipitem-a%u-%u</linkclipref><mediatype>audio</mediatype>"
                    "<trackindex>%u</trackindex><clipindex>%u</clipindex><groupindex>1</groupindex></link>\n",
                    a, clip_number, a, clip_number);
}

char *
ave_ic_write_xmeml (AveIcTimeline *t, GError **error)
{
  GString *out;
  const AveMediaInfo *m = t->media;
  guint n = t->items->len;
  guint n_audio = m->has_audio ? MIN (MAX (m->channels, 1), 2) : 0;
  gboolean file_written = FALSE;
  g_autofree char *tc = NULL;
  g_autofree char *stem = NULL;

  if (!ave_ic_require_timebase (t, "xmeml (Premiere/FCP7 XML)", error))
    return NULL;
  tc = ave_timecode_from_frames (t->rate, 0);
  stem = g_strdup (t->source_name);
  if (strrchr (stem, '.') != NULL)
    *strrchr (stem, '.') = '\0';

  out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE xmeml>\n<xmeml version=\"5\">\n");
  ave_ic_appendf (out, 2, "<sequence id=\"sequence-1\">\n");
  ave_ic_appendf (out, 4, "<name>");
  ave_ic_append_escaped (out, stem);
  g_string_append (out, " (edited)</name>\n");
  ave_ic_appendf (out, 4, "<duration>%" G_GINT64_FORMAT "</duration>\n", t->total);
  write_rate (out, 4, t);
  ave_ic_appendf (out, 4, "<timecode>\n");
  write_rate (out, 6, t);
  ave_ic_appendf (out, 6, "<string>%s</string><frame>0</frame><displayformat>%s</displayformat>\n",
                  tc, ave_rate_drop_frame (t->rate) ? "DF" : "NDF");
  ave_ic_appendf (out, 4, "</timecode>\n");
  ave_ic_appendf (out, 4, "<in>-1</in><out>-1</out>\n");
  ave_ic_appendf (out, 4, "<media>\n");

  /* Video. */
  ave_ic_appendf (out, 6, "<video>\n");
  ave_ic_appendf (out, 8, "<format><samplecharacteristics>\n");
  write_rate (out, 10, t);
  ave_ic_appendf (out, 10, "<width>%d</width><height>%d</height><anamorphic>FALSE</anamorphic>"
                  "<pixelaspectratio>square</pixelaspectratio><fielddominance>none</fielddominance>\n",
                  t->width, t->height);
  ave_ic_appendf (out, 8, "</samplecharacteristics></format>\n");
  ave_ic_appendf (out, 8, "<track>\n");
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      gint64 start, end, in;

      item_range (t, i, &start, &end, &in);
      if (item->transition == AVE_TRANSITION_CROSSFADE)
        write_transition (out, 10, t, item, FALSE);
      if (item->kind == AVE_IC_CLIP)
        {
          ave_ic_appendf (out, 10, "<clipitem id=\"clipitem-v%u\">\n", i + 1);
          ave_ic_appendf (out, 12, "<masterclipid>masterclip-1</masterclipid>\n");
          write_text (out, 12, "name", t->source_name);
          ave_ic_appendf (out, 12, "<enabled>TRUE</enabled><duration>%" G_GINT64_FORMAT "</duration>\n", t->source_frames);
          write_rate (out, 12, t);
          ave_ic_appendf (out, 12, "<start>%" G_GINT64_FORMAT "</start><end>%" G_GINT64_FORMAT "</end>"
                          "<in>%" G_GINT64_FORMAT "</in><out>%" G_GINT64_FORMAT "</out>\n",
                          start, end, in, in + (end - start));
          write_file (out, 12, t, &file_written);
          if (n_audio > 0)
            write_links (out, 12, i + 1, n_audio);
          ave_ic_appendf (out, 10, "</clipitem>\n");
        }
      else
        {
          g_autofree char *text = ave_ic_card_text (item->card);
          ave_ic_appendf (out, 10, "<generatoritem id=\"generator-%u\">\n", i + 1);
          write_text (out, 12, "name", text);
          ave_ic_appendf (out, 12, "<enabled>TRUE</enabled><duration>%" G_GINT64_FORMAT "</duration>\n",
                          item->rec_out - item->rec_in);
          write_rate (out, 12, t);
          ave_ic_appendf (out, 12, "<start>%" G_GINT64_FORMAT "</start><end>%" G_GINT64_FORMAT "</end>"
                          "<in>%" G_GINT64_FORMAT "</in><out>%" G_GINT64_FORMAT "</out>\n",
                          start, end, in, in + (end - start));
          ave_ic_appendf (out, 12, "<effect><name>Text</name><effectid>Text</effectid><effectcategory>Text</effectcategory>"
                          "<effecttype>generator</effecttype><mediatype>video</mediatype>\n");
          ave_ic_appendf (out, 14, "<parameter><parameterid>str</parameterid><name>Text</name><value>");
          ave_ic_append_escaped (out, text);
          g_string_append (out, "</value></parameter>\n");
          ave_ic_appendf (out, 12, "</effect>\n");
          ave_ic_appendf (out, 10, "</generatoritem>\n");
        }
    }
  ave_ic_appendf (out, 8, "</track>\n");
  ave_ic_appendf (out, 6, "</video>\n");

  /* Audio: one track per channel (two for stereo and more). */
  ave_ic_appendf (out, 6, "<audio>\n");
  if (n_audio > 0)
    {
      ave_ic_appendf (out, 8, "<numOutputChannels>%u</numOutputChannels>\n", n_audio);
      ave_ic_appendf (out, 8, "<format><samplecharacteristics><depth>16</depth><samplerate>%d</samplerate>"
                      "</samplecharacteristics></format>\n", m->sample_rate);
    }
  for (guint a = 1; a <= n_audio; a++)
    {
      ave_ic_appendf (out, 8, "<track>\n");
      for (guint i = 0; i < n; i++)
        {
          const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
          const AveIcItem *prev = i > 0 ? &g_array_index (t->items, AveIcItem, i - 1) : NULL;
          gint64 start, end, in;

          if (item->kind != AVE_IC_CLIP)
            continue;
          item_range (t, i, &start, &end, &in);
          if (item->transition == AVE_TRANSITION_CROSSFADE && prev != NULL && prev->kind == AVE_IC_CLIP)
            write_transition (out, 10, t, item, TRUE);
          ave_ic_appendf (out, 10, "<clipitem id=\"clipitem-a%u-%u\">\n", a, i + 1);
          ave_ic_appendf (out, 12, "<masterclipid>masterclip-1</masterclipid>\n");
          write_text (out, 12, "name", t->source_name);
          ave_ic_appendf (out, 12, "<enabled>TRUE</enabled><duration>%" G_GINT64_FORMAT "</duration>\n", t->source_frames);
          write_rate (out, 12, t);
          ave_ic_appendf (out, 12, "<start>%" G_GINT64_FORMAT "</start><end>%" G_GINT64_FORMAT "</end>"
                          "<in>%" G_GINT64_FORMAT "</in><out>%" G_GINT64_FORMAT "</out>\n",
                          start, end, in, in + (end - start));
          write_file (out, 12, t, &file_written);
          ave_ic_appendf (out, 12, "<sourcetrack><mediatype>audio</mediatype><trackindex>%u</trackindex></sourcetrack>\n", a);
          write_links (out, 12, i + 1, n_audio);
          ave_ic_appendf (out, 10, "</clipitem>\n");
        }
      ave_ic_appendf (out, 8, "</track>\n");
    }
  ave_ic_appendf (out, 6, "</audio>\n");
  ave_ic_appendf (out, 4, "</media>\n");

  for (guint i = 0; i < t->markers->len; i++)
    {
      const AveIcMarker *mk = &g_array_index (t->markers, AveIcMarker, i);
      ave_ic_appendf (out, 4, "<marker>\n");
      write_text (out, 6, "name", mk->name);
      write_text (out, 6, "comment", mk->kind == AVE_IC_MARKER_CHAPTER ? "chapter"
                                     : mk->note != NULL ? mk->note : "");
      ave_ic_appendf (out, 6, "<in>%" G_GINT64_FORMAT "</in><out>-1</out>\n", mk->frame);
      ave_ic_appendf (out, 4, "</marker>\n");
    }
  ave_ic_appendf (out, 2, "</sequence>\n");
  g_string_append (out, "</xmeml>\n");
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ read */

static gboolean
node_int (const AveXmlNode *node, const char *name, gint64 *value)
{
  const char *text = ave_xml_child_text (node, name);
  char *end = NULL;

  if (text == NULL)
    return FALSE;
  *value = g_ascii_strtoll (text, &end, 10);
  return end != text && *end == '\0' && *value <= AVE_IC_MAX_FRAMES && *value >= -AVE_IC_MAX_FRAMES;
}

static gboolean
read_rate (const AveXmlNode *node, AveRate *rate)
{
  AveXmlNode *r = ave_xml_child (node, "rate");
  gint64 base;
  const char *ntsc;

  if (r == NULL || !node_int (r, "timebase", &base) || base <= 0 || base > 1000)
    return FALSE;
  ntsc = ave_xml_child_text (r, "ntsc");
  if (ntsc != NULL && g_ascii_strcasecmp (ntsc, "TRUE") == 0)
    *rate = (AveRate) { base * 1000, 1001 };
  else
    *rate = (AveRate) { base, 1 };
  return TRUE;
}

AvePlan *
ave_ic_read_xmeml (const char *path, AveXmlNode *root, GError **error)
{
  AveIcEdit edit;
  AveXmlNode *sequence = ave_xml_find (root, "sequence");
  AveXmlNode *media = sequence != NULL ? ave_xml_child (sequence, "media") : NULL;
  AveXmlNode *video = media != NULL ? ave_xml_child (media, "video") : NULL;
  AveXmlNode *track = video != NULL ? ave_xml_child (video, "track") : NULL;
  GHashTable *files = g_hash_table_new (g_str_hash, g_str_equal);
  AvePlan *plan = NULL;
  gint64 pending_start = -1, pending_end = -1;
  gboolean last_was_clip = FALSE;

  ave_ic_edit_init (&edit, "xmeml", path);
  if (track == NULL)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: no <sequence><media><video><track>", path);
      goto out;
    }
  if (!read_rate (sequence, &edit.rate))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                   "%s: the sequence has no <rate><timebase> of whole frames", path);
      goto out;
    }
  for (guint i = 0; i < track->children->len; i++)
    {
      AveXmlNode *e = g_ptr_array_index (track->children, i);
      AveXmlNode *file;
      gint64 start, end, in, out_point, duration;
      AveIcClip clip = { 0 };
      const char *url;

      if (g_str_equal (e->name, "transitionitem"))
        {
          if (!node_int (e, "start", &pending_start) || !node_int (e, "end", &pending_end) || pending_end <= pending_start)
            {
              g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                           "%s: a <transitionitem> has no <start> and <end> frames", path);
              goto out;
            }
          continue;
        }
      if (!g_str_equal (e->name, "clipitem"))
        {
          /* A generator (title): a transition into it still uses the
           * previous clip's handle; the plan does not take it back. */
          if (pending_start >= 0 && last_was_clip && node_int (e, "start", &start) && start >= pending_start)
            g_array_index (edit.clips, AveIcClip, edit.clips->len - 1).src_out += MAX (0, pending_end - start);
          pending_start = pending_end = -1;
          last_was_clip = FALSE;
          continue;
        }
      if (!node_int (e, "start", &start) || !node_int (e, "end", &end)
          || !node_int (e, "in", &in) || !node_int (e, "out", &out_point))
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                       "%s: clipitem \"%s\" lacks <start>, <end>, <in> or <out>", path,
                       ave_xml_attr (e, "id") != NULL ? ave_xml_attr (e, "id") : "?");
          goto out;
        }
      /* A clip next to a transition may say -1 (FCP 7): its edge is the
       * transition's. */
      if (start < 0)
        start = pending_start >= 0 ? pending_start + (pending_end - pending_start) / 2 : 0;
      if (end < 0)
        end = start + (out_point - in);
      file = ave_xml_child (e, "file");
      if (file != NULL && ave_xml_attr (file, "id") != NULL && ave_xml_child (file, "pathurl") != NULL)
        g_hash_table_insert (files, (gpointer) ave_xml_attr (file, "id"), file);
      else if (file != NULL && ave_xml_attr (file, "id") != NULL)
        file = g_hash_table_lookup (files, ave_xml_attr (file, "id"));
      url = file != NULL ? ave_xml_child_text (file, "pathurl") : NULL;
      if (url != NULL && g_str_has_prefix (url, "file://localhost/"))
        url += strlen ("file://localhost");
      if (!ave_ic_edit_set_source (&edit, url, error))
        goto out;
      if (file != NULL && node_int (file, "duration", &duration))
        edit.source_frames = MAX (edit.source_frames, duration);
      clip = (AveIcClip) { in, in + (end - start), start, AVE_TRANSITION_CUT, 0 };
      if (pending_start >= 0)
        {
          gint64 before = start - pending_start, after = pending_end - start;
          if (before < 0 || after < 0)
            {
              g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                           "%s: a <transitionitem> does not cover the edit point after it", path);
              goto out;
            }
          clip.src_in -= before;
          clip.rec_in -= before;
          if (last_was_clip)
            {
              g_array_index (edit.clips, AveIcClip, edit.clips->len - 1).src_out += after;
              clip.transition = AVE_TRANSITION_CROSSFADE;
              clip.transition_frames = pending_end - pending_start;
            }
        }
      g_array_append_val (edit.clips, clip);
      pending_start = pending_end = -1;
      last_was_clip = TRUE;
    }
  for (guint i = 0; i < sequence->children->len; i++)
    {
      AveXmlNode *mk = g_ptr_array_index (sequence->children, i);
      gint64 at;
      if (g_str_equal (mk->name, "marker") && node_int (mk, "in", &at)
          && g_strcmp0 (ave_xml_child_text (mk, "comment"), "chapter") == 0)
        ave_ic_edit_add_chapter (&edit, at, ave_xml_child_text (mk, "name"));
    }
  plan = ave_ic_edit_to_plan (&edit, error);

out:
  g_hash_table_unref (files);
  ave_ic_edit_clear (&edit);
  return plan;
}
