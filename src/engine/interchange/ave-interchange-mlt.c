/* ave-interchange-mlt.c — MLT XML as Shotcut writes it, and the Kdenlive
 * project (an MLT document in Kdenlive's layout, document version 1.04,
 * which Kdenlive 22.12 and later open).  Both are rendered by `melt` in the
 * tests.  All positions are frames of the profile's rate; out points are
 * inclusive, as MLT counts them.
 *
 * Shotcut: one track (V1) over a black background; each clip has its own
 * producer (so fades can be filters on it); a crossfade is Shotcut's
 * transition: a small tractor between the two shortened clips that mixes
 * the overlapping frames (luma for the picture, mix for the sound).
 *
 * Kdenlive: an audio track (A1) and a video track (V1) holding the same
 * clips, each a tractor of two playlists so that a crossfade is a
 * same-track mix: the incoming clip goes on the other playlist, the two
 * overlap, and a luma (video) or mix (audio) transition inside the track
 * tractor dissolves between them. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <stdio.h>

#include <string.h>

#include "ave-interchange-private.h"

static void
property (GString *out, int indent, const char *name, const char *value)
{
  ave_ic_appendf (out, indent, "<property name=\"%s\">", name);
  ave_ic_append_escaped (out, value);
  g_string_append (out, "</property>\n");
}

static void
property_int (GString *out, int indent, const char *name, gint64 value)
{
  ave_ic_appendf (out, indent, "<property name=\"%s\">%" G_GINT64_FORMAT "</property>\n", name, value);
}

/* "#rrggbb" → MLT's "0xrrggbbff". */
static char *
mlt_colour (const char *hex)
{
  return g_strdup_printf ("0x%sff", hex + 1);
}

static void
write_profile (GString *out, AveIcTimeline *t)
{
  const AveMediaInfo *m = t->media;
  int sar_num = m->sample_aspect_num > 0 ? m->sample_aspect_num : 1;
  int sar_den = m->sample_aspect_den > 0 ? m->sample_aspect_den : 1;
  gint64 dar_num = (gint64) t->width * sar_num, dar_den = (gint64) t->height * sar_den;
  gint64 a = dar_num, b = dar_den;

  while (b != 0)
    {
      gint64 r = a % b;
      a = b;
      b = r;
    }
  ave_ic_appendf (out, 2, "<profile description=\"%dx%d %.3f fps\" width=\"%d\" height=\"%d\" progressive=\"1\" "
                  "sample_aspect_num=\"%d\" sample_aspect_den=\"%d\" display_aspect_num=\"%" G_GINT64_FORMAT "\" "
                  "display_aspect_den=\"%" G_GINT64_FORMAT "\" frame_rate_num=\"%" G_GINT64_FORMAT "\" "
                  "frame_rate_den=\"%" G_GINT64_FORMAT "\" colorspace=\"%d\"/>\n",
                  t->width, t->height, (double) t->rate.num / t->rate.den, t->width, t->height,
                  sar_num, sar_den, dar_num / a, dar_den / a, t->rate.num, t->rate.den,
                  /* The matrix of untagged video, as FFmpeg and our
                   * composer assume it: BT.601 below 720 lines.  MLT
                   * converts through RGB with it when it composites. */
                  t->height >= 720 ? 709 : 601);
}

/* The source as an avformat producer; `streams` limits it to the picture
 * ("video") or the sound ("audio") for Kdenlive's split tracks. */
static void
write_source_producer (GString *out, AveIcTimeline *t, const char *id, const char *streams, gboolean kdenlive)
{
  const AveMediaInfo *m = t->media;
  g_autofree char *duration = g_strdup_printf ("%.6f", m->duration);

  ave_ic_appendf (out, 2, "<producer id=\"%s\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", id, t->source_frames - 1);
  property_int (out, 4, "length", t->source_frames);
  property (out, 4, "eof", "pause");
  property (out, 4, "resource", t->source_ref);
  property (out, 4, "mlt_service", "avformat-novalidate");
  property (out, 4, "seekable", "1");
  if (g_strcmp0 (streams, "video") == 0 || !m->has_audio)
    property (out, 4, "audio_index", "-1");
  if (g_strcmp0 (streams, "audio") == 0 || !m->has_video)
    property (out, 4, "video_index", "-1");
  /* What the media is, so that an editor can link it before probing. */
  property (out, 4, "ave:source_duration", duration);
  property_int (out, 4, "meta.media.width", t->width);
  property_int (out, 4, "meta.media.height", t->height);
  if (m->has_audio)
    {
      property_int (out, 4, "meta.media.sample_rate", m->sample_rate);
      property_int (out, 4, "meta.media.channels", m->channels);
    }
  if (kdenlive)
    {
      property (out, 4, "kdenlive:id", "2");
      property (out, 4, "kdenlive:clipname", t->source_name);
      property (out, 4, "kdenlive:clip_type", "0");
      property (out, 4, "kdenlive:folderid", "-1");
    }
  else
    property (out, 4, "shotcut:caption", t->source_name);
  ave_ic_appendf (out, 2, "</producer>\n");
}

static void
write_card_producer (GString *out, AveIcTimeline *t, const AveIcItem *item, const char *id, gboolean kdenlive)
{
  gint64 len = item->rec_out - item->rec_in;
  g_autofree char *text = item->card->title != NULL && item->card->subtitle != NULL
                        ? g_strdup_printf ("%s\n%s", item->card->title, item->card->subtitle)
                        : ave_ic_card_text (item->card);
  g_autofree char *bg = mlt_colour (ave_ic_card_background (item->card));
  g_autofree char *fg = mlt_colour (ave_ic_card_foreground (item->card));
  g_autofree char *name = ave_ic_card_text (item->card);

  /* pango draws the text on the card's colour; melt, Shotcut and
   * Kdenlive all play it (a title card, silent). */
  ave_ic_appendf (out, 2, "<producer id=\"%s\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", id, len - 1);
  property_int (out, 4, "length", len);
  property (out, 4, "eof", "pause");
  property (out, 4, "mlt_service", "pango");
  property (out, 4, "text", text);
  property (out, 4, "bgcolour", bg);
  property (out, 4, "fgcolour", fg);
  property (out, 4, "family", "Sans");
  property (out, 4, "weight", "700");
  property_int (out, 4, "size", MAX (24, t->height / 12));
  property (out, 4, "align", "1");
  if (kdenlive)
    {
      /* Its own bin clip (the source is 2). */
      property_int (out, 4, "kdenlive:id", 3 + item->index);
      property (out, 4, "kdenlive:clipname", name);
      property (out, 4, "kdenlive:clip_type", "0");
      property (out, 4, "kdenlive:folderid", "-1");
    }
  else
    property (out, 4, "shotcut:caption", name);
  property (out, 4, "ave:card", name);
  ave_ic_appendf (out, 2, "</producer>\n");
}

/* Fades through black on one clip: the picture's brightness and the
 * sound's level over `frames` at its start or end (positions are relative
 * to the filter's in point). */
static void
write_fade_filters (GString *out, int indent, gint64 in, gint64 out_point, gint64 frames, gboolean fade_in)
{
  gint64 len = out_point - in + 1;
  g_autofree char *level = fade_in
    ? g_strdup_printf ("0=0;%" G_GINT64_FORMAT "=1", frames - 1)
    : g_strdup_printf ("%" G_GINT64_FORMAT "=1;%" G_GINT64_FORMAT "=0", len - frames, len - 1);
  g_autofree char *gain = fade_in
    ? g_strdup_printf ("0=-60;%" G_GINT64_FORMAT "=0", frames - 1)
    : g_strdup_printf ("%" G_GINT64_FORMAT "=0;%" G_GINT64_FORMAT "=-60", len - frames, len - 1);

  ave_ic_appendf (out, indent, "<filter in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\">\n", in, out_point);
  property (out, indent + 2, "mlt_service", "brightness");
  property (out, indent + 2, "level", level);
  property (out, indent + 2, "alpha", "1");
  property (out, indent + 2, "shotcut:filter", fade_in ? "fadeInBrightness" : "fadeOutBrightness");
  property_int (out, indent + 2, "shotcut:animIn", fade_in ? frames : 0);
  property_int (out, indent + 2, "shotcut:animOut", fade_in ? 0 : frames);
  ave_ic_appendf (out, indent, "</filter>\n");
  ave_ic_appendf (out, indent, "<filter in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\">\n", in, out_point);
  property (out, indent + 2, "mlt_service", "volume");
  property (out, indent + 2, "level", gain);
  property (out, indent + 2, "shotcut:filter", fade_in ? "fadeInVolume" : "fadeOutVolume");
  ave_ic_appendf (out, indent, "</filter>\n");
}

/* The fade frames at the start and end of item i (half of each fade
 * through black on either side of the join). */
static void
fade_frames (AveIcTimeline *t, guint i, gint64 *head, gint64 *tail)
{
  const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
  *head = item->transition == AVE_TRANSITION_FADE ? item->fade - item->fade / 2 : 0;
  *tail = 0;
  if (i + 1 < t->items->len)
    {
      const AveIcItem *next = &g_array_index (t->items, AveIcItem, i + 1);
      if (next->transition == AVE_TRANSITION_FADE)
        *tail = next->fade / 2;
    }
}

static gint64
item_first_frame (const AveIcItem *item)
{
  return item->kind == AVE_IC_CLIP ? item->src_in : 0;
}

static void
write_markers (GString *out, AveIcTimeline *t, gboolean kdenlive)
{
  if (kdenlive)
    {
      /* Kdenlive keeps guides as JSON in a document property. */
      GString *json = g_string_new ("[");
      for (guint i = 0; i < t->markers->len; i++)
        {
          const AveIcMarker *m = &g_array_index (t->markers, AveIcMarker, i);
          g_autofree char *escaped = g_strescape (m->name, NULL);
          g_string_append_printf (json, "%s{\"comment\":\"%s\",\"pos\":%" G_GINT64_FORMAT ",\"type\":%d}",
                                  i > 0 ? "," : "", escaped, m->frame, (int) m->kind);
        }
      g_string_append (json, "]");
      property (out, 4, "kdenlive:docproperties.guides", json->str);
      g_string_free (json, TRUE);
      return;
    }
  /* Shotcut's markers: shotcut:markers.N.{text,start,end,color}. */
  for (guint i = 0; i < t->markers->len; i++)
    {
      const AveIcMarker *m = &g_array_index (t->markers, AveIcMarker, i);
      g_autofree char *key = NULL;
      static const char * const colours[] = { "#0080ff", "#ff8000", "#ffd000", "#80ff80" };

      key = g_strdup_printf ("shotcut:markers.%u.text", i);
      property (out, 4, key, m->name);
      g_free (key);
      key = g_strdup_printf ("shotcut:markers.%u.start", i);
      property_int (out, 4, key, m->frame);
      g_free (key);
      key = g_strdup_printf ("shotcut:markers.%u.end", i);
      property_int (out, 4, key, m->frame);
      g_free (key);
      key = g_strdup_printf ("shotcut:markers.%u.color", i);
      property (out, 4, key, colours[m->kind]);
    }
}

static void
write_background (GString *out, AveIcTimeline *t, const char *id)
{
  ave_ic_appendf (out, 2, "<producer id=\"%s\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", id, t->total - 1);
  property_int (out, 4, "length", t->total);
  property (out, 4, "eof", "pause");
  property (out, 4, "resource", "0");
  property (out, 4, "aspect_ratio", "1");
  property (out, 4, "mlt_service", "color");
  property (out, 4, "mlt_image_format", "rgba");
  property (out, 4, "set.test_audio", "0");
  ave_ic_appendf (out, 2, "</producer>\n");
}

static void
write_mix_transition (GString *out, int indent, const char *service, int a, int b, gint64 in, gint64 out_point,
                      gboolean reverse, gboolean kdenlive_mix)
{
  if (out_point >= 0)
    ave_ic_appendf (out, indent, "<transition in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\">\n", in, out_point);
  else
    ave_ic_appendf (out, indent, "<transition>\n");
  property_int (out, indent + 2, "a_track", a);
  property_int (out, indent + 2, "b_track", b);
  property (out, indent + 2, "mlt_service", service);
  if (g_str_equal (service, "mix"))
    {
      if (out_point >= 0)
        property (out, indent + 2, "start", "-1");
      else
        {
          property (out, indent + 2, "always_active", "1");
          property (out, indent + 2, "sum", "1");
        }
      property (out, indent + 2, "accepts_blanks", "1");
    }
  else if (g_str_equal (service, "luma"))
    property (out, indent + 2, "factory", "loader");
  else
    property (out, indent + 2, "always_active", "1");
  if (reverse)
    property (out, indent + 2, "reverse", "1");
  if (kdenlive_mix)
    {
      property (out, indent + 2, "kdenlive_id", g_str_equal (service, "luma") ? "luma" : "mix");
      property_int (out, indent + 2, "kdenlive:mixcut", (out_point - in + 1) / 2);
    }
  else if (out_point < 0)
    property (out, indent + 2, "internal_added", "237");
  ave_ic_appendf (out, indent, "</transition>\n");
}

/* ---------------------------------------------------------------- Shotcut */

static void
write_shotcut (GString *out, AveIcTimeline *t)
{
  guint n = t->items->len;

  write_background (out, t, "background");

  /* Per clip: its producer (with fade filters) and, for a crossfade into
   * it, the transition tractor that comes before it in the playlist. */
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      g_autofree char *id = g_strdup_printf ("clip%u", i);
      gint64 first = item_first_frame (item), len = item->rec_out - item->rec_in;
      gint64 head, tail;

      fade_frames (t, i, &head, &tail);
      if (item->kind == AVE_IC_CARD)
        write_card_producer (out, t, item, id, FALSE);
      else
        {
          write_source_producer (out, t, id, NULL, FALSE);
          /* Remove the closing tag to add the filters inside. */
          g_string_truncate (out, out->len - strlen ("  </producer>\n"));
          if (head > 0)
            write_fade_filters (out, 4, first, first + len - 1, head, TRUE);
          if (tail > 0)
            write_fade_filters (out, 4, first, first + len - 1, tail, FALSE);
          ave_ic_appendf (out, 2, "</producer>\n");
        }
      if (item->kind == AVE_IC_CARD && (head > 0 || tail > 0))
        {
          g_string_truncate (out, out->len - strlen ("  </producer>\n"));
          if (head > 0)
            write_fade_filters (out, 4, 0, len - 1, head, TRUE);
          if (tail > 0)
            write_fade_filters (out, 4, 0, len - 1, tail, FALSE);
          ave_ic_appendf (out, 2, "</producer>\n");
        }
      if (item->transition == AVE_TRANSITION_CROSSFADE)
        {
          const AveIcItem *prev = &g_array_index (t->items, AveIcItem, i - 1);
          gint64 prev_last = item_first_frame (prev) + (prev->rec_out - prev->rec_in) - 1;
          gint64 f = item->overlap;

          ave_ic_appendf (out, 2, "<tractor id=\"transition%u\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", i, f - 1);
          property (out, 4, "shotcut:transition", "lumaMix");
          ave_ic_appendf (out, 4, "<track producer=\"clip%u\" in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\"/>\n",
                          i - 1, prev_last - f + 1, prev_last);
          ave_ic_appendf (out, 4, "<track producer=\"clip%u\" in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\"/>\n",
                          i, first, first + f - 1);
          write_mix_transition (out, 4, "luma", 0, 1, 0, f - 1, FALSE, FALSE);
          write_mix_transition (out, 4, "mix", 0, 1, 0, f - 1, FALSE, FALSE);
          ave_ic_appendf (out, 2, "</tractor>\n");
        }
    }

  ave_ic_appendf (out, 2, "<playlist id=\"playlist0\">\n");
  property (out, 4, "shotcut:video", "1");
  property (out, 4, "shotcut:name", "V1");
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      gint64 first = item_first_frame (item), last = first + (item->rec_out - item->rec_in) - 1;
      gint64 cut_next = i + 1 < n ? g_array_index (t->items, AveIcItem, i + 1).overlap : 0;

      if (item->transition == AVE_TRANSITION_CROSSFADE)
        ave_ic_appendf (out, 4, "<entry producer=\"transition%u\" in=\"0\" out=\"%" G_GINT64_FORMAT "\"/>\n",
                        i, item->overlap - 1);
      ave_ic_appendf (out, 4, "<entry producer=\"clip%u\" in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\"/>\n",
                      i, first + item->overlap, last - cut_next);
    }
  ave_ic_appendf (out, 2, "</playlist>\n");

  ave_ic_appendf (out, 2, "<tractor id=\"tractor0\" title=\"ai-video-editor: ");
  ave_ic_append_escaped (out, t->source_name);
  g_string_append_printf (out, "\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", t->total - 1);
  property (out, 4, "shotcut", "1");
  property (out, 4, "shotcut:projectAudioChannels", t->media->channels > 0 ? (t->media->channels == 1 ? "1" : "2") : "2");
  write_markers (out, t, FALSE);
  ave_ic_appendf (out, 4, "<track producer=\"background\"/>\n");
  ave_ic_appendf (out, 4, "<track producer=\"playlist0\"/>\n");
  write_mix_transition (out, 4, "mix", 0, 1, 0, -1, FALSE, FALSE);
  write_mix_transition (out, 4, "qtblend", 0, 1, 0, -1, FALSE, FALSE);
  ave_ic_appendf (out, 2, "</tractor>\n");
}

/* --------------------------------------------------------------- Kdenlive */

/* One Kdenlive track: a tractor of two playlists; an item joined to the
 * previous by a crossfade goes on the other playlist than it. */
static void
write_kdenlive_track (GString *out, AveIcTimeline *t, gboolean audio)
{
  const char *kind = audio ? "a" : "v";
  guint n = t->items->len;
  g_autofree guint *lane = g_new0 (guint, MAX (n, 1));

  for (guint i = 1; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      lane[i] = item->transition == AVE_TRANSITION_CROSSFADE ? 1 - lane[i - 1] : lane[i - 1];
    }
  for (guint p = 0; p < 2; p++)
    {
      gint64 pos = 0;

      ave_ic_appendf (out, 2, "<playlist id=\"playlist_%s%u\">\n", kind, p);
      if (audio)
        property (out, 4, "kdenlive:audio_track", "1");
      for (guint i = 0; i < n; i++)
        {
          const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
          gint64 first = item_first_frame (item);

          if (lane[i] != p || (audio && item->kind == AVE_IC_CARD))
            continue;
          if (item->rec_in > pos)
            ave_ic_appendf (out, 4, "<blank length=\"%" G_GINT64_FORMAT "\"/>\n", item->rec_in - pos);
          ave_ic_appendf (out, 4, "<entry producer=\"clip%u_%s\" in=\"%" G_GINT64_FORMAT "\" out=\"%" G_GINT64_FORMAT "\">\n",
                          i, kind, first, first + (item->rec_out - item->rec_in) - 1);
          property_int (out, 6, "kdenlive:id", item->kind == AVE_IC_CARD ? 3 + item->index : 2);
          ave_ic_appendf (out, 4, "</entry>\n");
          pos = item->rec_out;
        }
      ave_ic_appendf (out, 2, "</playlist>\n");
    }
  ave_ic_appendf (out, 2, "<tractor id=\"tractor_%s1\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", kind, t->total - 1);
  if (audio)
    property (out, 4, "kdenlive:audio_track", "1");
  property (out, 4, "kdenlive:track_name", audio ? "A1" : "V1");
  property (out, 4, "kdenlive:trackheight", "69");
  property (out, 4, "kdenlive:timeline_active", "1");
  ave_ic_appendf (out, 4, "<track producer=\"playlist_%s0\"%s/>\n", kind, audio ? " hide=\"video\"" : " hide=\"audio\"");
  ave_ic_appendf (out, 4, "<track producer=\"playlist_%s1\"%s/>\n", kind, audio ? " hide=\"video\"" : " hide=\"audio\"");
  for (guint i = 1; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      const AveIcItem *prev = &g_array_index (t->items, AveIcItem, i - 1);

      if (item->transition != AVE_TRANSITION_CROSSFADE
          || (audio && (item->kind == AVE_IC_CARD || prev->kind == AVE_IC_CARD)))
        continue;
      /* From the lane of the previous clip to this one's. */
      write_mix_transition (out, 4, audio ? "mix" : "luma", 0, 1, item->rec_in, prev->rec_out - 1,
                            lane[i] == 0, TRUE);
    }
  ave_ic_appendf (out, 2, "</tractor>\n");
}

static void
write_kdenlive (GString *out, AveIcTimeline *t)
{
  guint n = t->items->len;
  int base = ave_rate_timebase (t->rate);
  g_autofree char *suffix = !ave_rate_is_ntsc (t->rate) ? g_strdup_printf ("%d", base)
                          : g_strdup (base == 24 ? "2398" : base == 30 ? "2997" : base == 60 ? "5994" : "custom");
  /* Kdenlive's name for the profile (its own, when the size and rate are
   * standard); the <profile> element says what it is in any case. */
  g_autofree char *profile = base > 0 ? g_strdup_printf ("atsc_%dp_%s", t->height, suffix) : g_strdup ("custom");

  /* The bin: the source once, and the card clips. */
  write_source_producer (out, t, "producer_bin", NULL, TRUE);
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      g_autofree char *vid = g_strdup_printf ("clip%u_v", i);
      if (item->kind == AVE_IC_CARD)
        write_card_producer (out, t, item, vid, TRUE);
    }
  ave_ic_appendf (out, 2, "<playlist id=\"main_bin\">\n");
  property (out, 4, "kdenlive:docproperties.version", "1.04");
  property (out, 4, "kdenlive:docproperties.kdenliveversion", "22.12.3");
  property (out, 4, "kdenlive:docproperties.profile", profile);
  property (out, 4, "kdenlive:docproperties.audioChannels", t->media->channels == 1 ? "1" : "2");
  property (out, 4, "kdenlive:docproperties.documentid", "1");
  property (out, 4, "kdenlive:docproperties.decimalPoint", ".");
  property (out, 4, "kdenlive:docproperties.seekOffset", "30000");
  write_markers (out, t, TRUE);
  property (out, 4, "xml_retain", "1");
  ave_ic_appendf (out, 4, "<entry producer=\"producer_bin\" in=\"0\" out=\"%" G_GINT64_FORMAT "\"/>\n",
                  t->source_frames - 1);
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      if (item->kind == AVE_IC_CARD)
        ave_ic_appendf (out, 4, "<entry producer=\"clip%u_v\" in=\"0\" out=\"%" G_GINT64_FORMAT "\"/>\n",
                        i, item->rec_out - item->rec_in - 1);
    }
  ave_ic_appendf (out, 2, "</playlist>\n");

  write_background (out, t, "black_track");
  for (guint i = 0; i < n; i++)
    {
      const AveIcItem *item = &g_array_index (t->items, AveIcItem, i);
      g_autofree char *vid = g_strdup_printf ("clip%u_v", i);
      g_autofree char *aid = g_strdup_printf ("clip%u_a", i);
      gint64 first = item_first_frame (item), len = item->rec_out - item->rec_in;
      gint64 head, tail;

      fade_frames (t, i, &head, &tail);
      if (item->kind == AVE_IC_CLIP)
        {
          write_source_producer (out, t, vid, "video", TRUE);
          write_source_producer (out, t, aid, "audio", TRUE);
        }
      if (head > 0 || tail > 0)
        {
          /* The fades on each copy: the filters go inside its element. */
          const char *ids[] = { vid, item->kind == AVE_IC_CLIP ? aid : NULL };
          for (guint k = 0; k < G_N_ELEMENTS (ids) && ids[k] != NULL; k++)
            {
              g_autofree char *open = g_strdup_printf ("<producer id=\"%s\"", ids[k]);
              char *start = strstr (out->str, open);
              char *close = start != NULL ? strstr (start, "</producer>") : NULL;
              GString *filters = g_string_new (NULL);

              if (head > 0)
                write_fade_filters (filters, 4, first, first + len - 1, head, TRUE);
              if (tail > 0)
                write_fade_filters (filters, 4, first, first + len - 1, tail, FALSE);
              if (close != NULL)
                g_string_insert (out, close - out->str - 2, filters->str);
              g_string_free (filters, TRUE);
            }
        }
    }
  write_kdenlive_track (out, t, TRUE);
  write_kdenlive_track (out, t, FALSE);

  ave_ic_appendf (out, 2, "<tractor id=\"maintractor\" in=\"0\" out=\"%" G_GINT64_FORMAT "\">\n", t->total - 1);
  property (out, 4, "kdenlive:projectTractor", "1");
  ave_ic_appendf (out, 4, "<track producer=\"black_track\"/>\n");
  ave_ic_appendf (out, 4, "<track producer=\"tractor_a1\" hide=\"video\"/>\n");
  ave_ic_appendf (out, 4, "<track producer=\"tractor_v1\" hide=\"audio\"/>\n");
  write_mix_transition (out, 4, "mix", 0, 1, 0, -1, FALSE, FALSE);
  write_mix_transition (out, 4, "mix", 0, 2, 0, -1, FALSE, FALSE);
  write_mix_transition (out, 4, "qtblend", 0, 2, 0, -1, FALSE, FALSE);
  ave_ic_appendf (out, 2, "</tractor>\n");
}

char *
ave_ic_write_mlt (AveIcTimeline *t, gboolean kdenlive, GError **error)
{
  GString *out = g_string_new ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
  g_autofree char *root = g_path_get_dirname (t->source_abs);

  g_string_append (out, "<mlt LC_NUMERIC=\"C\" version=\"7.12.0\" ");
  if (kdenlive)
    g_string_append (out, "producer=\"main_bin\" ");
  else
    g_string_append (out, "producer=\"tractor0\" ");
  /* A relative resource is resolved against `root`: leave it out then,
   * so that MLT resolves it against the file's own folder. */
  if (g_path_is_absolute (t->source_ref))
    {
      g_string_append (out, "root=\"");
      ave_ic_append_escaped (out, root);
      g_string_append (out, "\" ");
    }
  g_string_append (out, "title=\"");
  ave_ic_append_escaped (out, t->source_name);
  g_string_append (out, "\">\n");
  write_profile (out, t);
  if (kdenlive)
    write_kdenlive (out, t);
  else
    write_shotcut (out, t);
  g_string_append (out, "</mlt>\n");
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ read */

typedef struct
{
  const AveXmlNode *root;
  GHashTable       *by_id;   /* id → element */
  AveRate           rate;
} MltDoc;

static void
index_ids (MltDoc *doc, const AveXmlNode *node)
{
  const char *id = ave_xml_attr (node, "id");
  if (id != NULL)
    g_hash_table_insert (doc->by_id, (gpointer) id, (gpointer) node);
  for (guint i = 0; i < node->children->len; i++)
    index_ids (doc, g_ptr_array_index (node->children, i));
}

static gboolean
parse_frame (const char *text, gint64 *value)
{
  char *end = NULL;
  gint64 v;

  if (text == NULL)
    return FALSE;
  v = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0' || v > AVE_IC_MAX_FRAMES || v < -AVE_IC_MAX_FRAMES)
    return FALSE;
  *value = v;
  return TRUE;
}

/* A position as MLT writes it: a frame number, a clock time
 * ("00:01:02.500", as Shotcut and Kdenlive save) or a timecode
 * ("00:01:02:15"). */
static gboolean
parse_time (AveRate rate, const char *text, gint64 *value)
{
  unsigned h, m;
  double sec;
  int used = 0;

  if (parse_frame (text, value))
    return TRUE;
  if (text == NULL || rate.num <= 0 || rate.den <= 0)
    return FALSE;
  if (strchr (text, '.') != NULL && sscanf (text, "%u:%u:%lf%n", &h, &m, &sec, &used) == 3
      && text[used] == '\0' && m < 60 && sec >= 0 && sec < 60 && h < 100000)
    {
      *value = ave_rate_frames (rate, h * 3600.0 + m * 60.0 + sec);
      return TRUE;
    }
  *value = ave_timecode_to_frames (rate, text);
  return *value >= 0;
}

static gboolean
is_media_producer (const AveXmlNode *node)
{
  const char *service = ave_xml_mlt_property (node, "mlt_service");
  return node != NULL && (g_str_equal (node->name, "producer") || g_str_equal (node->name, "chain"))
      && service != NULL && g_str_has_prefix (service, "avformat");
}

static gboolean
invalid (GError **error, const char *path, const char *what)
{
  g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID, "%s: %s", path, what);
  return FALSE;
}

/* A playlist's entries into clips: a media entry is a clip, a Shotcut
 * transition tractor makes the next clip a crossfade (its length extends
 * both neighbours), a blank advances the position. */
static gboolean
read_playlist (MltDoc *doc, AveIcEdit *edit, const AveXmlNode *playlist, GError **error)
{
  gint64 pos = 0, pending_fade = 0;
  /* A transition joins two clips of the source only when both sides are
   * clips: one next to a title or colour clip (which the plan does not
   * take back) becomes a cut, each clip keeping its own frames. */
  gboolean last_was_media = FALSE, pending_from_media = FALSE;

  for (guint i = 0; i < playlist->children->len; i++)
    {
      AveXmlNode *e = g_ptr_array_index (playlist->children, i);
      const AveXmlNode *producer;
      gint64 in, out;

      if (g_str_equal (e->name, "blank"))
        {
          gint64 len;
          if (!parse_time (doc->rate, ave_xml_attr (e, "length"), &len) || len < 0)
            return invalid (error, edit->path, "a <blank> has no length in frames");
          pos += len;
          continue;
        }
      if (!g_str_equal (e->name, "entry"))
        continue;
      producer = g_hash_table_lookup (doc->by_id, ave_xml_attr (e, "producer") != NULL ? ave_xml_attr (e, "producer") : "");
      if (producer == NULL || !parse_time (doc->rate, ave_xml_attr (e, "in"), &in)
          || !parse_time (doc->rate, ave_xml_attr (e, "out"), &out))
        return invalid (error, edit->path, "an <entry> names no producer defined before it, or its in/out are not frame numbers");
      if (g_str_equal (producer->name, "tractor"))
        {
          /* A Shotcut transition: the overlap of the clips on each side. */
          gint64 f = out - in + 1;
          guint n_tracks = 0;

          for (guint k = 0; k < producer->children->len; k++)
            {
              AveXmlNode *c = g_ptr_array_index (producer->children, k);
              if (g_str_equal (c->name, "track"))
                n_tracks++;
            }
          if (n_tracks != 2)
            return invalid (error, edit->path, "a transition tractor that is not between two clips");
          if (last_was_media)
            g_array_index (edit->clips, AveIcClip, edit->clips->len - 1).src_out += f;
          pending_fade = f;
          pending_from_media = last_was_media;
          last_was_media = FALSE;
          pos += f;
          continue;
        }
      if (!is_media_producer (producer))
        {
          /* A title or colour clip: the plan keeps only the source's clips. */
          pos += out - in + 1;
          pending_fade = 0;
          last_was_media = FALSE;
          continue;
        }
      if (!ave_ic_edit_set_source (edit, ave_xml_mlt_property (producer, "resource"), error))
        return FALSE;
      {
        gboolean crossfade = pending_fade > 0 && pending_from_media;
        AveIcClip clip = { in - pending_fade, out + 1, pos - pending_fade,
                           crossfade ? AVE_TRANSITION_CROSSFADE : AVE_TRANSITION_CUT, crossfade ? pending_fade : 0 };
        const char *length = ave_xml_mlt_property (producer, "length");
        gint64 frames;
        if (parse_time (doc->rate, length, &frames))
          edit->source_frames = MAX (edit->source_frames, frames);
        g_array_append_val (edit->clips, clip);
      }
      pending_fade = 0;
      last_was_media = TRUE;
      pos += out - in + 1;
    }
  return TRUE;
}

/* Kdenlive's track: two playlists whose clips interleave; overlapping
 * clips of the two are a same-track mix. */
static gboolean
read_kdenlive_track (MltDoc *doc, AveIcEdit *edit, const AveXmlNode *tractor, GError **error)
{
  g_autoptr(GArray) clips = g_array_new (FALSE, TRUE, sizeof (AveIcClip));

  for (guint k = 0; k < tractor->children->len; k++)
    {
      AveXmlNode *track = g_ptr_array_index (tractor->children, k);
      const AveXmlNode *playlist;
      AveIcEdit lane;

      if (!g_str_equal (track->name, "track"))
        continue;
      playlist = g_hash_table_lookup (doc->by_id, ave_xml_attr (track, "producer") != NULL ? ave_xml_attr (track, "producer") : "");
      if (playlist == NULL || !g_str_equal (playlist->name, "playlist"))
        continue;
      ave_ic_edit_init (&lane, edit->format_name, edit->path);
      if (edit->source != NULL)
        lane.source = g_strdup (edit->source);
      if (!read_playlist (doc, &lane, playlist, error))
        {
          ave_ic_edit_clear (&lane);
          return FALSE;
        }
      if (lane.source != NULL && !ave_ic_edit_set_source (edit, lane.source, error))
        {
          ave_ic_edit_clear (&lane);
          return FALSE;
        }
      edit->source_frames = MAX (edit->source_frames, lane.source_frames);
      g_array_append_vals (clips, lane.clips->data, lane.clips->len);
      ave_ic_edit_clear (&lane);
    }
  /* In time order; a clip starting inside the previous one on the other
   * lane crossfades into it. */
  for (guint i = 1; i < clips->len; i++)
    for (guint j = i; j > 0 && g_array_index (clips, AveIcClip, j).rec_in < g_array_index (clips, AveIcClip, j - 1).rec_in; j--)
      {
        AveIcClip tmp = g_array_index (clips, AveIcClip, j);
        g_array_index (clips, AveIcClip, j) = g_array_index (clips, AveIcClip, j - 1);
        g_array_index (clips, AveIcClip, j - 1) = tmp;
      }
  for (guint i = 1; i < clips->len; i++)
    {
      AveIcClip *prev = &g_array_index (clips, AveIcClip, i - 1);
      AveIcClip *c = &g_array_index (clips, AveIcClip, i);
      gint64 prev_end = prev->rec_in + (prev->src_out - prev->src_in);
      if (c->rec_in < prev_end)
        {
          c->transition = AVE_TRANSITION_CROSSFADE;
          c->transition_frames = prev_end - c->rec_in;
        }
    }
  g_array_append_vals (edit->clips, clips->data, clips->len);
  return TRUE;
}

static void
read_markers (AveIcEdit *edit, const AveXmlNode *tractor, const AveXmlNode *bin)
{
  /* Shotcut: shotcut:markers.N.text / .start; Kdenlive: the guides'
   * JSON.  Only chapters come back into the plan (the other markers are
   * notes about what was cut). */
  for (guint i = 0; tractor != NULL; i++)
    {
      g_autofree char *text_key = g_strdup_printf ("shotcut:markers.%u.text", i);
      g_autofree char *start_key = g_strdup_printf ("shotcut:markers.%u.start", i);
      g_autofree char *colour_key = g_strdup_printf ("shotcut:markers.%u.color", i);
      const char *text = ave_xml_mlt_property (tractor, text_key);
      gint64 frame;

      if (text == NULL)
        break;
      if (parse_time (edit->rate, ave_xml_mlt_property (tractor, start_key), &frame)
          && g_strcmp0 (ave_xml_mlt_property (tractor, colour_key), "#0080ff") == 0)
        ave_ic_edit_add_chapter (edit, frame, text);
    }
  if (bin != NULL)
    {
      const char *guides = ave_xml_mlt_property (bin, "kdenlive:docproperties.guides");
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;

      if (guides == NULL || !json_parser_load_from_data (parser, guides, -1, NULL))
        return;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
        return;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (root)) && i < AVE_PLAN_MAX_CHAPTERS; i++)
        {
          JsonNode *g = json_array_get_element (json_node_get_array (root), i);
          JsonObject *o = JSON_NODE_HOLDS_OBJECT (g) ? json_node_get_object (g) : NULL;
          if (o != NULL && json_object_get_int_member_with_default (o, "type", -1) == AVE_IC_MARKER_CHAPTER
              && json_object_has_member (o, "pos"))
            ave_ic_edit_add_chapter (edit, json_object_get_int_member (o, "pos"),
                                     json_object_get_string_member_with_default (o, "comment", NULL));
        }
    }
}

AvePlan *
ave_ic_read_mlt (const char *path, AveXmlNode *root, gboolean kdenlive, GError **error)
{
  MltDoc doc = { root, g_hash_table_new (g_str_hash, g_str_equal) };
  AveIcEdit edit;
  AveXmlNode *profile = ave_xml_child (root, "profile");
  const AveXmlNode *main_tractor = NULL;
  AvePlan *plan = NULL;
  gboolean ok = TRUE;

  ave_ic_edit_init (&edit, kdenlive ? "Kdenlive" : "MLT", path);
  index_ids (&doc, root);
  if (profile == NULL || !parse_frame (ave_xml_attr (profile, "frame_rate_num"), &edit.rate.num)
      || !parse_frame (ave_xml_attr (profile, "frame_rate_den"), &edit.rate.den))
    {
      invalid (error, path, "no <profile> with frame_rate_num and frame_rate_den");
      goto out;
    }
  if (edit.rate.num <= 0 || edit.rate.den <= 0 || edit.rate.num > 1000000 || edit.rate.den > 1000000)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                   "%s: the profile's frame rate %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " is not a frame rate",
                   path, edit.rate.num, edit.rate.den);
      goto out;
    }
  doc.rate = edit.rate;
  /* The main tractor: the document's "producer" attribute (Shotcut), or
   * the last top-level tractor (Kdenlive's maintractor). */
  main_tractor = g_hash_table_lookup (doc.by_id, ave_xml_attr (root, "producer") != NULL ? ave_xml_attr (root, "producer") : "");
  if (main_tractor == NULL || !g_str_equal (main_tractor->name, "tractor"))
    for (guint i = 0; i < root->children->len; i++)
      {
        AveXmlNode *c = g_ptr_array_index (root->children, i);
        if (g_str_equal (c->name, "tractor"))
          main_tractor = c;
      }
  if (main_tractor == NULL)
    {
      invalid (error, path, "no <tractor> (the timeline)");
      goto out;
    }
  /* The one track that holds clips of a media file: Kdenlive's video
   * track (a tractor of two playlists) or Shotcut's V1 playlist. */
  for (guint i = main_tractor->children->len; ok && i > 0 && edit.clips->len == 0; i--)
    {
      AveXmlNode *track = g_ptr_array_index (main_tractor->children, i - 1);
      const AveXmlNode *producer;

      if (!g_str_equal (track->name, "track") || g_strcmp0 (ave_xml_attr (track, "hide"), "video") == 0
          || g_strcmp0 (ave_xml_attr (track, "hide"), "both") == 0)
        continue;
      producer = g_hash_table_lookup (doc.by_id, ave_xml_attr (track, "producer") != NULL ? ave_xml_attr (track, "producer") : "");
      if (producer == NULL)
        continue;
      if (g_str_equal (producer->name, "playlist"))
        ok = read_playlist (&doc, &edit, producer, error);
      else if (g_str_equal (producer->name, "tractor"))
        ok = read_kdenlive_track (&doc, &edit, producer, error);
    }
  if (!ok)
    goto out;
  read_markers (&edit, main_tractor, g_hash_table_lookup (doc.by_id, "main_bin"));
  plan = ave_ic_edit_to_plan (&edit, error);

out:
  g_hash_table_unref (doc.by_id);
  ave_ic_edit_clear (&edit);
  return plan;
}
