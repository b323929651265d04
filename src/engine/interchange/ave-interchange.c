/* ave-interchange.c — format names, exact frame time and timecode, the plan
 * laid out in whole frames, and the dispatch of export and import. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <sys/stat.h>

#include <stdio.h>

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ave-interchange-private.h"
#include "director/ave-project.h"
#include "core/ave-error.h"

G_DEFINE_QUARK (ave-interchange-error-quark, ave_interchange_error)

/* An exchange file is refused beyond this size, like plan.json. */
#define MAX_FILE_BYTES AVE_PLAN_MAX_FILE_BYTES

static const char * const file_names[AVE_INTERCHANGE_N_FORMATS] = {
  [AVE_INTERCHANGE_MLT]      = "edit.mlt",
  [AVE_INTERCHANGE_KDENLIVE] = "edit.kdenlive",
  [AVE_INTERCHANGE_FCPXML]   = "edit.fcpxml",
  [AVE_INTERCHANGE_XMEML]    = "edit.xml",
  [AVE_INTERCHANGE_OTIO]     = "edit.otio",
  [AVE_INTERCHANGE_EDL]      = "edit.edl",
};

const char *
ave_interchange_format_name (AveInterchangeFormat format)
{
  if (format == AVE_INTERCHANGE_PLAN_JSON)
    return "plan.json";
  return ave_export_format_to_string ((AveExportFormat) format);
}

const char *
ave_interchange_format_file_name (AveInterchangeFormat format)
{
  g_return_val_if_fail ((guint) format < AVE_INTERCHANGE_N_FORMATS, NULL);
  return file_names[format];
}

gboolean
ave_interchange_format_from_name (const char *name, AveInterchangeFormat *format)
{
  AveExportFormat f;

  if (!ave_export_format_from_string (name, &f))
    return FALSE;
  *format = (AveInterchangeFormat) f;
  return TRUE;
}

gboolean
ave_interchange_parse_format_list (const char *list, guint *mask, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (ave_export_formats_parse (list, mask, &local_error))
    return TRUE;
  g_set_error_literal (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT, local_error->message);
  return FALSE;
}

/* ------------------------------------------------------ rate and timecode */

gboolean
ave_rate_from_fps (double fps, AveRate *rate)
{
  double n;

  if (!(fps > 0.5 && fps < 1000.0))
    return FALSE;
  n = round (fps);
  if (fabs (fps - n) < 0.002)
    {
      *rate = (AveRate) { (gint64) n, 1 };
      return TRUE;
    }
  n = round (fps * 1.001);
  if (fabs (fps - n / 1.001) < 0.002)
    {
      *rate = (AveRate) { (gint64) n * 1000, 1001 };
      return TRUE;
    }
  for (gint64 den = 2; den <= 1000; den++)
    {
      double num = round (fps * den);
      if (fabs (num / den - fps) < 1e-4)
        {
          *rate = (AveRate) { (gint64) num, den };
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
ave_rate_is_ntsc (AveRate rate)
{
  return rate.den == 1001 && rate.num % 1000 == 0;
}

int
ave_rate_timebase (AveRate rate)
{
  if (rate.den == 1)
    return (int) rate.num;
  if (ave_rate_is_ntsc (rate))
    return (int) (rate.num / 1000);
  return 0;
}

gboolean
ave_rate_drop_frame (AveRate rate)
{
  int base = ave_rate_timebase (rate);
  return ave_rate_is_ntsc (rate) && (base == 30 || base == 60);
}

gint64
ave_rate_frames (AveRate rate, double seconds)
{
  /* Round half a millionth of a frame up: 0.5-frame plan times written as
   * decimals come back on the frame they were meant for. */
  return (gint64) floor (seconds * (double) rate.num / (double) rate.den + 0.5 + 1e-6);
}

double
ave_rate_seconds (AveRate rate, gint64 frames)
{
  return (double) frames * (double) rate.den / (double) rate.num;
}

char *
ave_timecode_from_frames (AveRate rate, gint64 frames)
{
  int base = ave_rate_timebase (rate);
  gboolean drop = ave_rate_drop_frame (rate);
  gint64 f = MAX (frames, 0);

  g_return_val_if_fail (base > 0, NULL);
  if (drop)
    {
      /* Drop-frame skips the labels :00 and :01 (:00 to :03 at 59.94) at
       * the start of every minute except each tenth: count the skipped
       * labels back in. */
      gint64 dropped = base / 15;
      gint64 per_10min = base * 600 - dropped * 9;
      gint64 per_min = base * 60 - dropped;
      gint64 tens = f / per_10min, rest = f % per_10min;

      f += dropped * 9 * tens;
      if (rest > dropped)
        f += dropped * ((rest - dropped) / per_min);
    }
  return g_strdup_printf ("%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT "%c%02" G_GINT64_FORMAT,
                          f / (base * 3600), f / (base * 60) % 60, f / base % 60,
                          drop ? ';' : ':', f % base);
}

gint64
ave_timecode_to_frames (AveRate rate, const char *text)
{
  int base = ave_rate_timebase (rate);
  unsigned hh, mm, ss, ff;
  char sep1, sep2, sep3;
  gint64 frames;

  if (base <= 0 || text == NULL
      || sscanf (text, "%2u%c%2u%c%2u%c%2u", &hh, &sep1, &mm, &sep2, &ss, &sep3, &ff) != 7
      || mm > 59 || ss > 59 || ff >= (unsigned) base)
    return -1;
  frames = ((gint64) hh * 3600 + mm * 60 + ss) * base + ff;
  if (ave_rate_drop_frame (rate))
    {
      gint64 minutes = (gint64) hh * 60 + mm;
      frames -= (base / 15) * (minutes - minutes / 10);
    }
  return frames;
}

/* ------------------------------------------------------------ the layout */

static void
marker_clear (gpointer data)
{
  AveIcMarker *m = data;
  g_free (m->name);
  g_free (m->note);
}

static void
add_marker (GArray *markers, AveIcMarkerKind kind, gint64 frame, const char *name, const char *note)
{
  AveIcMarker m = { kind, frame, g_strdup (name), g_strdup (note) };
  g_array_append_val (markers, m);
}

static int
compare_markers (gconstpointer a, gconstpointer b)
{
  const AveIcMarker *x = a, *y = b;
  return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Where a disabled segment would have played: the start of the first item
 * after it in the plan's order. */
static gint64
retake_frame (AveIcTimeline *t, guint segment_index)
{
  for (guint i = 0; i < t->items->len; i++)
    {
      AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      if ((item->kind == AVE_IC_CLIP && item->index > segment_index)
          || (item->kind == AVE_IC_CARD && item->card->insert_before > segment_index))
        return item->rec_in;
    }
  return t->total;
}

static void
add_filler_markers (AveIcTimeline *t, AveAnalysis *analysis)
{
  for (guint w = 0; analysis != NULL && w < analysis->words->len; w++)
    {
      const AveWord *word = &g_array_index (analysis->words, AveWord, w);
      double mid = (word->start + word->end) / 2;

      if (!word->filler || ave_plan_source_to_output (t->plan, mid) >= 0)
        continue;
      /* The join where it was cut: the first clip that starts after it in
       * the source, right after one that ended before it. */
      for (guint i = 1; i < t->items->len; i++)
        {
          AveIcItem *prev = &g_array_index (t->items, AveIcItem, i - 1);
          AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
          if (prev->kind == AVE_IC_CLIP && item->kind == AVE_IC_CLIP
              && prev->segment->end <= mid && item->segment->start >= mid)
            {
              g_autofree char *name = g_strdup_printf ("Filler cut: %s", word->word);
              g_autofree char *note = g_strdup_printf ("source %.2f–%.2f s", word->start, word->end);
              add_marker (t->markers, AVE_IC_MARKER_FILLER, item->rec_in, name, note);
              break;
            }
        }
    }
}

AveIcTimeline *
ave_ic_timeline_new (AvePlan *plan, const AveMediaInfo *media, AveAnalysis *analysis,
                     const char *export_path, AveExportPaths paths, GError **error)
{
  g_autoptr(AveIcTimeline) t = g_new0 (AveIcTimeline, 1);
  gint64 rec = 0;

  t->plan = g_object_ref (plan);
  t->media = media;
  t->rate_ok = media->has_video && ave_rate_from_fps (media->frame_rate, &t->rate);
  if (!t->rate_ok)
    {
      if (media->has_video)
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                       "%s: its frame rate (%.4f fps) is not one an editor's timeline can hold",
                       media->path, media->frame_rate);
          return NULL;
        }
      /* Sound only: a nominal video rate for the timeline. */
      t->rate = (AveRate) { 25, 1 };
    }

  t->source_abs = g_canonicalize_filename (ave_plan_get_source (plan), NULL);
  t->source_name = g_path_get_basename (t->source_abs);
  if (paths == AVE_EXPORT_PATHS_RELATIVE && export_path != NULL)
    {
      g_autofree char *abs_export = g_canonicalize_filename (export_path, NULL);
      g_autofree char *folder = g_path_get_dirname (abs_export);
      t->source_ref = ave_project_relative_path (folder, t->source_abs);
    }
  if (t->source_ref == NULL)
    t->source_ref = g_strdup (t->source_abs);
  if (g_path_is_absolute (t->source_ref))
    t->source_url = g_filename_to_uri (t->source_ref, NULL, NULL);
  else
    t->source_url = g_uri_escape_string (t->source_ref, "/", TRUE);
  if (t->source_url == NULL)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: the source's name cannot be written as a URL", t->source_abs);
      return NULL;
    }
  t->source_frames = MAX (1, ave_rate_frames (t->rate, media->duration));
  t->width = media->display_width > 0 ? media->display_width : media->width;
  t->height = media->display_height > 0 ? media->display_height : media->height;
  if (t->width <= 0 || t->height <= 0)
    {
      t->width = 1920;
      t->height = 1080;
    }

  t->items = g_array_new (FALSE, TRUE, sizeof (AveIcItem));
  t->markers = g_array_new (FALSE, TRUE, sizeof (AveIcMarker));
  g_array_set_clear_func (t->markers, marker_clear);
  t->output_items = ave_plan_list_output_items (plan);
  for (guint i = 0; i < t->output_items->len; i++)
    {
      const AveOutputItem *o = &g_array_index (t->output_items, AveOutputItem, i);
      AveIcItem item = { 0 };
      gint64 len;

      item.segment = o->segment;
      item.card = o->card;
      item.index = o->index;
      if (o->segment != NULL)
        {
          item.kind = AVE_IC_CLIP;
          item.src_in = CLAMP (ave_rate_frames (t->rate, o->segment->start), 0, t->source_frames - 1);
          item.src_out = CLAMP (ave_rate_frames (t->rate, o->segment->end), item.src_in + 1, t->source_frames);
          len = item.src_out - item.src_in;
        }
      else
        {
          item.kind = AVE_IC_CARD;
          len = MAX (1, ave_rate_frames (t->rate, o->card->duration));
        }
      item.transition = i == 0 ? AVE_TRANSITION_CUT : o->transition;
      if (item.transition == AVE_TRANSITION_CROSSFADE)
        {
          AveIcItem *prev = &g_array_index (t->items, AveIcItem, i - 1);
          item.overlap = MIN (ave_rate_frames (t->rate, o->overlap),
                              MIN (len, prev->rec_out - prev->rec_in) - 1);
          if (item.overlap <= 0)
            {
              item.overlap = 0;
              item.transition = AVE_TRANSITION_CUT;
            }
        }
      else if (item.transition == AVE_TRANSITION_FADE)
        {
          item.fade = ave_rate_frames (t->rate, o->transition_duration);
          if (item.fade < 2)
            {
              item.fade = 0;
              item.transition = AVE_TRANSITION_CUT;
            }
        }
      item.rec_in = rec - item.overlap;
      item.rec_out = item.rec_in + len;
      rec = item.rec_out;
      g_array_append_val (t->items, item);
    }
  t->total = rec;

  for (guint i = 0; i < ave_plan_get_n_chapters (plan); i++)
    {
      const AveChapter *c = ave_plan_get_chapter (plan, i);
      add_marker (t->markers, AVE_IC_MARKER_CHAPTER,
                  CLAMP (ave_rate_frames (t->rate, c->time), 0, MAX (0, t->total - 1)), c->title, NULL);
    }
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *s = ave_plan_get_segment (plan, i);
      if (!s->enabled)
        {
          g_autofree char *note = g_strdup_printf ("source %.2f–%.2f s cut%s%s", s->start, s->end,
                                                   s->reason != NULL ? ": " : "",
                                                   s->reason != NULL ? s->reason : "");
          add_marker (t->markers, AVE_IC_MARKER_RETAKE,
                      MIN (retake_frame (t, i), MAX (0, t->total - 1)),
                      s->reason != NULL && g_str_has_prefix (s->reason, "retake") ? "Retake cut" : "Cut (disabled segment)",
                      note);
        }
    }
  add_filler_markers (t, analysis);
  g_array_sort (t->markers, compare_markers);
  return g_steal_pointer (&t);
}

void
ave_ic_timeline_free (AveIcTimeline *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->plan);
  g_free (self->source_abs);
  g_free (self->source_ref);
  g_free (self->source_url);
  g_free (self->source_name);
  g_clear_pointer (&self->items, g_array_unref);
  g_clear_pointer (&self->markers, g_array_unref);
  g_clear_pointer (&self->output_items, g_array_unref);
  g_free (self);
}

gboolean
ave_ic_require_timebase (AveIcTimeline *self, const char *format_name, GError **error)
{
  static const int allowed[] = { 24, 25, 30, 48, 50, 60 };
  int base = ave_rate_timebase (self->rate);

  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    if (base == allowed[i])
      return TRUE;
  g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
               "%s: %s cannot express a timeline of %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
               " fps (%.3f); it holds 23.976, 24, 25, 29.97, 30, 47.95, 48, 50, 59.94 and 60 fps. "
               "Export MLT, Kdenlive or OTIO instead, or convert the video to one of those rates",
               self->source_abs, format_name, self->rate.num, self->rate.den,
               (double) self->rate.num / self->rate.den);
  return FALSE;
}

char *
ave_ic_card_text (const AveCard *card)
{
  const char *title = card->title != NULL ? card->title : "";
  if (card->subtitle != NULL && *card->subtitle != '\0')
    return g_strdup_printf ("%s — %s", title, card->subtitle);
  if (*title == '\0' && card->image_path != NULL)
    return g_path_get_basename (card->image_path);
  return g_strdup (title);
}

const char *
ave_ic_card_background (const AveCard *card)
{
  switch (card->style)
    {
    case AVE_CARD_STYLE_LIGHT:
      return "#eceff4";
    case AVE_CARD_STYLE_ACCENT:
      return "#1c3d7a";
    case AVE_CARD_STYLE_DARK:
    default:
      return "#16181d";
    }
}

const char *
ave_ic_card_foreground (const AveCard *card)
{
  return card->style == AVE_CARD_STYLE_LIGHT ? "#16181d" : "#ffffff";
}

void
ave_ic_append_escaped (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);
  g_string_append (out, escaped);
}

void
ave_ic_appendf (GString *out, int indent, const char *format, ...)
{
  va_list args;

  for (int i = 0; i < indent; i++)
    g_string_append_c (out, ' ');
  va_start (args, format);
  g_string_append_vprintf (out, format, args);
  va_end (args);
}

/* ---------------------------------------------------------------- export */

char *
ave_interchange_export (AvePlan             *plan,
                        const AveMediaInfo  *media,
                        AveAnalysis         *analysis,
                        AveInterchangeFormat format,
                        const char          *export_path,
                        AveExportPaths       paths,
                        GError             **error)
{
  g_autoptr(AveIcTimeline) t = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail ((guint) format < AVE_INTERCHANGE_N_FORMATS, NULL);

  t = ave_ic_timeline_new (plan, media, analysis, export_path, paths, error);
  if (t == NULL)
    return NULL;
  if (t->items->len == 0)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "nothing to export: the plan keeps no segment and no title card");
      return NULL;
    }
  switch (format)
    {
    case AVE_INTERCHANGE_MLT:
      return ave_ic_write_mlt (t, FALSE, error);
    case AVE_INTERCHANGE_KDENLIVE:
      return ave_ic_write_mlt (t, TRUE, error);
    case AVE_INTERCHANGE_FCPXML:
      return ave_ic_write_fcpxml (t, error);
    case AVE_INTERCHANGE_XMEML:
      return ave_ic_write_xmeml (t, error);
    case AVE_INTERCHANGE_OTIO:
      return ave_ic_write_otio (t, error);
    case AVE_INTERCHANGE_EDL:
      return ave_ic_write_edl (t, error);
    case AVE_INTERCHANGE_PLAN_JSON:
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
ave_interchange_check_media (const AveMediaInfo  *media,
                             AveInterchangeFormat format,
                             GError             **error)
{
  AveIcTimeline t = { 0 };
  static const char * const names[AVE_INTERCHANGE_N_FORMATS] = {
    [AVE_INTERCHANGE_FCPXML] = "FCPXML", [AVE_INTERCHANGE_XMEML] = "xmeml (Premiere/FCP7 XML)",
    [AVE_INTERCHANGE_EDL] = "a CMX 3600 EDL",
  };

  g_return_val_if_fail ((guint) format < AVE_INTERCHANGE_N_FORMATS, FALSE);
  if (!media->has_video)
    return TRUE;
  if (!ave_rate_from_fps (media->frame_rate, &t.rate))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                   "%s: its frame rate (%.4f fps) is not one an editor's timeline can hold",
                   media->path, media->frame_rate);
      return FALSE;
    }
  if (names[format] == NULL)
    return TRUE;
  t.source_abs = media->path;
  return ave_ic_require_timebase (&t, names[format], error);
}

gboolean
ave_interchange_export_file (AvePlan             *plan,
                             const AveMediaInfo  *media,
                             AveAnalysis         *analysis,
                             AveInterchangeFormat format,
                             const char          *path,
                             AveExportPaths       paths,
                             GError             **error)
{
  g_autofree char *text = NULL;
  GStatBuf st;

  /* Only an edit of this format is replaced: never a link (it would be
   * replaced, not followed), a folder or a file of another kind that a
   * mistyped -o names. */
  if (g_lstat (path, &st) == 0)
    {
      g_autofree char *old = NULL;
      gsize old_length = 0;
      AveInterchangeFormat old_format;

      if (!S_ISREG (st.st_mode) ||
          !g_file_get_contents (path, &old, &old_length, NULL) ||
          !ave_interchange_sniff (old, old_length, &old_format) || old_format != format)
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                       "%s exists and is not a %s edit: it is left alone; choose another name or remove it",
                       path, ave_interchange_format_name (format));
          return FALSE;
        }
    }
  text = ave_interchange_export (plan, media, analysis, format, path, paths, error);
  if (text == NULL)
    return FALSE;
  /* g_file_set_contents writes a temporary file and renames it. */
  if (!g_file_set_contents (path, text, -1, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

/* ----------------------------------------------------------------- sniff */

static const char *
skip_xml_prolog (const char *p, const char *end)
{
  for (;;)
    {
      while (p < end && g_ascii_isspace (*p))
        p++;
      if (end - p >= 2 && p[0] == '<' && (p[1] == '?' || p[1] == '!'))
        {
          const char *close = memchr (p, '>', end - p);
          if (close == NULL)
            return end;
          /* A comment may hold '>': skip to its end. */
          if (end - p >= 4 && strncmp (p, "<!--", 4) == 0)
            {
              const char *c = g_strstr_len (p, end - p, "-->");
              close = c != NULL ? c + 2 : end - 1;
            }
          p = close + 1;
          continue;
        }
      return p;
    }
}

static gboolean
looks_like_edl (const char *data, gsize length)
{
  g_autofree char *head = g_strndup (data, MIN (length, 65536));
  g_auto(GStrv) lines = g_strsplit (head, "\n", 64);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);
      guint digits = 0;

      if (g_str_has_prefix (line, "TITLE:") || g_str_has_prefix (line, "FCM:"))
        return TRUE;
      while (g_ascii_isdigit (line[digits]))
        digits++;
      if (digits >= 3 && g_ascii_isspace (line[digits]) && strchr (line, ':') != NULL)
        return TRUE;
    }
  return FALSE;
}

gboolean
ave_interchange_sniff (const char *data, gsize length, AveInterchangeFormat *format)
{
  const char *p = data, *end = data + length;

  if (length >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  p = skip_xml_prolog (p, end);
  if (p < end && *p == '<')
    {
      gsize n = 0;
      p++;
      while (p + n < end && (g_ascii_isalnum (p[n]) || p[n] == '_' || p[n] == ':' || p[n] == '-'))
        n++;
      if (n == 3 && strncmp (p, "mlt", 3) == 0)
        {
          *format = g_strstr_len (p, end - p, "kdenlive:docproperties") != NULL
                  ? AVE_INTERCHANGE_KDENLIVE : AVE_INTERCHANGE_MLT;
          return TRUE;
        }
      if (n == 6 && strncmp (p, "fcpxml", 6) == 0)
        {
          *format = AVE_INTERCHANGE_FCPXML;
          return TRUE;
        }
      if (n == 5 && strncmp (p, "xmeml", 5) == 0)
        {
          *format = AVE_INTERCHANGE_XMEML;
          return TRUE;
        }
      return FALSE;
    }
  if (p < end && *p == '{')
    {
      if (g_strstr_len (p, MIN (end - p, 4096), "\"OTIO_SCHEMA\"") != NULL)
        {
          *format = AVE_INTERCHANGE_OTIO;
          return TRUE;
        }
      if (g_strstr_len (p, end - p, "\"segments\"") != NULL)
        {
          *format = AVE_INTERCHANGE_PLAN_JSON;
          return TRUE;
        }
      return FALSE;
    }
  if (looks_like_edl (p, end - p))
    {
      *format = AVE_INTERCHANGE_EDL;
      return TRUE;
    }
  return FALSE;
}

/* ----------------------------------------------------------------- import */

AvePlan *
ave_interchange_import (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  GStatBuf st;
  AveInterchangeFormat format;
  g_autoptr(AveXmlNode) root = NULL;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || (guint64) st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: not a regular file of at most %u MiB; is it the right file?",
                   path, MAX_FILE_BYTES / (1024 * 1024));
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &length, error))
    return NULL;
  if (!ave_interchange_sniff (data, length, &format))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT,
                   "%s: not an edit this program reads: give a plan.json, an MLT or Kdenlive project, "
                   "FCPXML, Premiere/FCP7 XML (xmeml), OpenTimelineIO (.otio) or a CMX 3600 EDL",
                   path);
      return NULL;
    }
  switch (format)
    {
    case AVE_INTERCHANGE_PLAN_JSON:
      return ave_plan_load (path, error);
    case AVE_INTERCHANGE_OTIO:
      return ave_ic_read_otio (path, error);
    case AVE_INTERCHANGE_EDL:
      return ave_ic_read_edl (path, data, error);
    case AVE_INTERCHANGE_MLT:
    case AVE_INTERCHANGE_KDENLIVE:
    case AVE_INTERCHANGE_FCPXML:
    case AVE_INTERCHANGE_XMEML:
    default:
      break;
    }
  root = ave_xml_parse (data, length, error);
  if (root == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  switch (format)
    {
    case AVE_INTERCHANGE_MLT:
      return ave_ic_read_mlt (path, root, FALSE, error);
    case AVE_INTERCHANGE_KDENLIVE:
      return ave_ic_read_mlt (path, root, TRUE, error);
    case AVE_INTERCHANGE_FCPXML:
      return ave_ic_read_fcpxml (path, root, error);
    case AVE_INTERCHANGE_XMEML:
    default:
      return ave_ic_read_xmeml (path, root, error);
    }
}
