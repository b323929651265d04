/* ave-interchange-edl.c — CMX 3600 EDL: one video track with its sound.
 *
 * Conventions (docs/interchange.md): source timecode 00:00:00:00 is the
 * start of the recording; record timecode starts at 01:00:00:00; the reel
 * is "AX" (auxiliary source) with the file named by "* FROM CLIP NAME:" and
 * "* SOURCE FILE:" comments; the channel field carries the sound with the
 * picture ("B" for mono, "AA/V" for stereo, "V" without sound); a
 * crossfade is the standard C + D event pair; a title card is a black
 * ("BL") event with a "* TITLE CARD:" comment; chapters and notes are
 * "* LOC:" locators.  Drop-frame timecode (";") at 29.97 and 59.94. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <stdio.h>

#include <string.h>

#include "ave-interchange-private.h"

static void
event_line (GString *out, guint number, const char *reel, const char *channels, const char *transition,
            gint64 dissolve, AveRate rate, gint64 src_in, gint64 src_out, gint64 rec_in, gint64 rec_out)
{
  /* 01:00:00:00 in frames: at NTSC rates a timecode hour is 108000 (30)
   * labels, fewer frames with drop-frame: count through the timecode. */
  gint64 rec0 = ave_timecode_to_frames (rate, ave_rate_drop_frame (rate) ? "01:00:00;00" : "01:00:00:00");
  g_autofree char *si = ave_timecode_from_frames (rate, src_in);
  g_autofree char *so = ave_timecode_from_frames (rate, src_out);
  g_autofree char *ri = NULL;
  g_autofree char *ro = NULL;
  g_autofree char *trans = dissolve > 0 ? g_strdup_printf ("%-4s %03" G_GINT64_FORMAT, transition, dissolve)
                                        : g_strdup_printf ("%-8s", transition);

  ri = ave_timecode_from_frames (rate, rec0 + rec_in);
  ro = ave_timecode_from_frames (rate, rec0 + rec_out);
  g_string_append_printf (out, "%03u  %-8s %-5s %-8s %s %s %s %s\n",
                          number, reel, channels, trans, si, so, ri, ro);
}

static const char *
locator_colour (AveIcMarkerKind kind)
{
  switch (kind)
    {
    case AVE_IC_MARKER_CHAPTER: return "BLUE";
    case AVE_IC_MARKER_RETAKE: return "RED";
    case AVE_IC_MARKER_FILLER: return "YELLOW";
    case AVE_IC_MARKER_CARD:
    default: return "GREEN";
    }
}

static void
comment_line (GString *out, const char *key, const char *value)
{
  /* A comment is one line: line breaks in a title would start events. */
  g_autofree char *flat = g_strdup (value != NULL ? value : "");
  g_strdelimit (flat, "\r\n", ' ');
  g_string_append_printf (out, "* %s: %s\n", key, flat);
}

char *
ave_ic_write_edl (AveIcTimeline *t, GError **error)
{
  GString *out;
  const AveMediaInfo *m = t->media;
  const char *channels = !m->has_audio ? "V" : m->channels >= 2 ? "AA/V" : "B";
  guint n = t->items->len, event = 0, next_marker = 0;
  gint64 rec0;
  g_autofree char *stem = NULL;

  if (!ave_ic_require_timebase (t, "a CMX 3600 EDL", error))
    return NULL;
  rec0 = ave_timecode_to_frames (t->rate, ave_rate_drop_frame (t->rate) ? "01:00:00;00" : "01:00:00:00");
  stem = g_strdup (t->source_name);
  if (strrchr (stem, '.') != NULL)
    *strrchr (stem, '.') = '\0';
  out = g_string_new (NULL);
  g_string_append_printf (out, "TITLE: %s (edited)\n", stem);
  g_string_append_printf (out, "FCM: %s\n\n", ave_rate_drop_frame (t->rate) ? "DROP FRAME" : "NON-DROP FRAME");

  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      const AveIcItem *next = i + 1 < n ? &g_array_index (t->items, AveIcItem, i + 1) : NULL;
      /* An event ends where the next one's dissolve begins. */
      gint64 shown_end = item->rec_out - (next != NULL ? next->overlap : 0);
      gint64 src_in = item->kind == AVE_IC_CLIP ? item->src_in : 0;
      const char *reel = item->kind == AVE_IC_CLIP ? "AX" : "BL";
      const char *ch = item->kind == AVE_IC_CLIP ? channels : "V";

      event++;
      if (item->transition == AVE_TRANSITION_CROSSFADE)
        {
          const AveIcItem *prev = &g_array_index (t->items, AveIcItem, i - 1);
          gint64 prev_at = (prev->kind == AVE_IC_CLIP ? prev->src_in : 0) + (prev->rec_out - prev->rec_in) - item->overlap;
          event_line (out, event, prev->kind == AVE_IC_CLIP ? "AX" : "BL", prev->kind == AVE_IC_CLIP ? channels : "V",
                      "C", 0, t->rate, prev_at, prev_at, item->rec_in, item->rec_in);
          event_line (out, event, reel, ch, "D", item->overlap, t->rate,
                      src_in, src_in + (shown_end - item->rec_in), item->rec_in, shown_end);
        }
      else
        event_line (out, event, reel, ch, "C", 0, t->rate,
                    src_in, src_in + (shown_end - item->rec_in), item->rec_in, shown_end);
      if (item->kind == AVE_IC_CLIP)
        {
          comment_line (out, "FROM CLIP NAME", t->source_name);
          comment_line (out, "SOURCE FILE", t->source_ref);
        }
      else
        {
          g_autofree char *text = ave_ic_card_text (item->card);
          comment_line (out, "TITLE CARD", text);
        }
      if (next != NULL && next->transition == AVE_TRANSITION_FADE)
        {
          g_autofree char *note = g_strdup_printf ("%" G_GINT64_FORMAT " frames, played as a cut here", next->fade);
          comment_line (out, "FADE THROUGH BLACK", note);
        }
      /* Locators inside this event. */
      while (next_marker < t->markers->len
             && (g_array_index (t->markers, AveIcMarker, next_marker).frame < shown_end || next == NULL))
        {
          const AveIcMarker *mk = &g_array_index (t->markers, AveIcMarker, next_marker++);
          g_autofree char *tc = ave_timecode_from_frames (t->rate, rec0 + mk->frame);
          g_autofree char *value = g_strdup_printf ("%s %-7s %s%s%s", tc, locator_colour (mk->kind), mk->name,
                                                    mk->note != NULL ? " — " : "", mk->note != NULL ? mk->note : "");
          comment_line (out, "LOC", value);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ read */

typedef struct
{
  guint   number;
  char    reel[16];
  char    transition;      /* 'C' or 'D' */
  gint64  dissolve;
  gint64  src_in, src_out, rec_in, rec_out;
} EdlEvent;

static gboolean
parse_event (AveRate rate, const char *line, EdlEvent *e)
{
  g_auto(GStrv) f = g_strsplit_set (line, " \t", -1);
  const char *w[10];
  guint n = 0;

  for (guint i = 0; f[i] != NULL && n < G_N_ELEMENTS (w); i++)
    if (*f[i] != '\0')
      w[n++] = f[i];
  if (n < 8)
    return FALSE;
  e->number = (guint) g_ascii_strtoull (w[0], NULL, 10);
  g_strlcpy (e->reel, w[1], sizeof e->reel);
  e->transition = w[3][0];
  e->dissolve = 0;
  if (e->transition != 'C')
    {
      if (n < 9)
        return FALSE;
      e->dissolve = g_ascii_strtoll (w[4], NULL, 10);
      if (e->dissolve < 0 || e->dissolve > 100000)
        return FALSE;
    }
  e->src_in = ave_timecode_to_frames (rate, w[n - 4]);
  e->src_out = ave_timecode_to_frames (rate, w[n - 3]);
  e->rec_in = ave_timecode_to_frames (rate, w[n - 2]);
  e->rec_out = ave_timecode_to_frames (rate, w[n - 1]);
  return e->src_in >= 0 && e->src_out >= 0 && e->rec_in >= 0 && e->rec_out >= 0;
}

AvePlan *
ave_ic_read_edl (const char *path, const char *data, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);
  g_autoptr(AveMediaInfo) media = NULL;
  g_autofree char *source = NULL;
  g_autofree char *clip_name = NULL;
  gboolean drop = FALSE;
  AveIcEdit edit;
  AvePlan *plan = NULL;
  gint64 rec0 = -1;
  EdlEvent outgoing = { 0 };
  gboolean have_outgoing = FALSE;
  GError *local = NULL;

  /* The EDL has no rate of its own: it is the source's.  Find the file
   * first (its comments), then read the events in its timecode. */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (g_str_has_prefix (line, "FCM:"))
        drop = strstr (line, "NON") == NULL && strstr (line, "DROP") != NULL;
      else if (source == NULL && g_str_has_prefix (line, "* SOURCE FILE:"))
        source = g_strdup (g_strstrip (line + strlen ("* SOURCE FILE:")));
      else if (clip_name == NULL && g_str_has_prefix (line, "* FROM CLIP NAME:"))
        clip_name = g_strdup (g_strstrip (line + strlen ("* FROM CLIP NAME:")));
    }
  ave_ic_edit_init (&edit, "EDL", path);
  if (!ave_ic_edit_set_source (&edit, source != NULL ? source : clip_name, &local))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_SOURCES,
                   "%s: the EDL names no media file (a \"* SOURCE FILE:\" or \"* FROM CLIP NAME:\" comment)", path);
      g_clear_error (&local);
      goto out;
    }
  media = ave_media_probe (edit.source, error);
  if (media == NULL)
    {
      g_prefix_error (error, "%s: its source: ", path);
      goto out;
    }
  if (!media->has_video || !ave_rate_from_fps (media->frame_rate, &edit.rate) || ave_rate_timebase (edit.rate) == 0)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                   "%s: the source %s has no frame rate a timecode counts (%.3f fps)", path, edit.source,
                   media->frame_rate);
      goto out;
    }
  if (drop != ave_rate_drop_frame (edit.rate))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                   "%s: the EDL counts %s timecode but its source runs at %.3f fps; was it made for another file?",
                   path, drop ? "drop-frame" : "non-drop-frame", media->frame_rate);
      goto out;
    }
  edit.source_frames = ave_rate_frames (edit.rate, media->duration);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      EdlEvent e;

      if (!g_ascii_isdigit (line[0]))
        {
          /* "* LOC: TC COLOUR NAME": blue locators are chapters. */
          if (g_str_has_prefix (line, "* LOC:") && rec0 >= 0)
            {
              char tc[32], colour[32];
              int used = 0;

              if (sscanf (line + strlen ("* LOC:"), " %31s %31s %n", tc, colour, &used) >= 2 && used > 0
                  && g_str_equal (colour, "BLUE"))
                {
                  gint64 at = ave_timecode_to_frames (edit.rate, tc);
                  g_autofree char *name = g_strdup (line + strlen ("* LOC:") + used);
                  if (at >= rec0)
                    ave_ic_edit_add_chapter (&edit, at - rec0, g_strstrip (name));
                }
            }
          continue;
        }
      if (!parse_event (edit.rate, line, &e))
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                       "%s: line %u is not a CMX 3600 event: %s", path, i + 1, line);
          goto out;
        }
      if (rec0 < 0)
        rec0 = e.rec_in;
      if (e.transition == 'C' && e.src_in == e.src_out)
        {
          /* The outgoing half of a dissolve. */
          outgoing = e;
          have_outgoing = TRUE;
          continue;
        }
      {
        gboolean black = g_ascii_strcasecmp (e.reel, "BL") == 0 || g_ascii_strcasecmp (e.reel, "BLK") == 0;
        /* A dissolve from a clip of the source: it plays its frames
         * through the dissolve (they follow its event in the source). */
        gboolean from_clip = e.transition == 'D' && have_outgoing && e.dissolve > 0 && edit.clips->len > 0
                          && g_ascii_strcasecmp (outgoing.reel, "BL") != 0 && g_ascii_strcasecmp (outgoing.reel, "BLK") != 0
                          && g_array_index (edit.clips, AveIcClip, edit.clips->len - 1).src_out == outgoing.src_in;
        AveIcClip clip = { e.src_in, e.src_out, e.rec_in - rec0, AVE_TRANSITION_CUT, 0 };

        if (from_clip)
          g_array_index (edit.clips, AveIcClip, edit.clips->len - 1).src_out += e.dissolve;
        have_outgoing = FALSE;
        /* Black (a title card here) is not taken back into the plan. */
        if (black)
          continue;
        if (from_clip)
          {
            clip.transition = AVE_TRANSITION_CROSSFADE;
            clip.transition_frames = e.dissolve;
          }
        g_array_append_val (edit.clips, clip);
      }
    }
  plan = ave_ic_edit_to_plan (&edit, error);

out:
  ave_ic_edit_clear (&edit);
  return plan;
}
