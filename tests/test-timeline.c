/* test-timeline.c — the timeline, its filmstrip and the preview as widgets
 * (needs a display: run under xvfb-run). */
#define G_LOG_DOMAIN "ave-test-timeline"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

#include "assets/ave-captions.h"
#include "director/ave-plan-history.h"
#include "ave-filmstrip.h"
#include "ave-preview.h"
#include "ave-timeline.h"
#include "ave-timeline-bin.h"
#include "ave-timeline-layer.h"
#include "ave-timeline-private.h"
#include "ave-test-util.h"

#define THUMB_W 64
#define THUMB_H 36

static JsonObject *
load_truth (const char *sample,
            JsonParser *parser)
{
  g_autofree char *path = g_strconcat (sample, ".truth.json", NULL);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until `condition` holds; fails after `seconds`. */
static void
wait_for (Condition    condition,
          gpointer     data,
          double       seconds,
          const char  *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %.0f s waiting for %s", seconds, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* ------------------------------------------------------------ filmstrip */

typedef struct
{
  AveFilmstrip *filmstrip;
  double        time, step;
  double        peaks_until;
} FilmstripWait;

static gboolean
thumbnail_ready (gpointer data)
{
  FilmstripWait *w = data;

  return ave_filmstrip_lookup (w->filmstrip, w->time, w->step) != NULL;
}

static gboolean
peaks_ready (gpointer data)
{
  FilmstripWait *w = data;

  return ave_filmstrip_get_peaks_end (w->filmstrip) >= w->peaks_until;
}

/* Mean absolute difference (0..255) between a texture and the frame
 * FFmpeg's own decoder and scaler give at that time. */
static double
compare_with_ffmpeg (GdkTexture *texture,
                     const char *sample,
                     double      time)
{
  g_autofree char *raw = ave_test_path ("frame.rgb");
  g_autofree guchar *pixels = g_malloc (THUMB_W * THUMB_H * 4);
  g_autofree char *contents = NULL;
  gsize length = 0;
  double total = 0.0;

  ave_test_sh ("ffmpeg -v error -y -ss %.3f -i '%s' -frames:v 1 -s %dx%d -pix_fmt rgb24 -f rawvideo '%s'",
               time, sample, THUMB_W, THUMB_H, raw);
  g_assert_true (g_file_get_contents (raw, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, THUMB_W * THUMB_H * 3);

  /* Cairo's ARGB32: B, G, R, A in memory on little-endian machines. */
  gdk_texture_download (texture, pixels, THUMB_W * 4);
  for (int i = 0; i < THUMB_W * THUMB_H; i++)
    {
      total += fabs ((double) pixels[4 * i + 2] - (guchar) contents[3 * i + 0]);
      total += fabs ((double) pixels[4 * i + 1] - (guchar) contents[3 * i + 1]);
      total += fabs ((double) pixels[4 * i + 0] - (guchar) contents[3 * i + 2]);
    }
  return total / (THUMB_W * THUMB_H * 3);
}

static void
test_filmstrip (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *truth = load_truth (sample, parser);
  JsonArray *pauses = json_object_get_array_member (truth, "pauses");
  JsonArray *sentences = json_object_get_array_member (truth, "sentences");
  g_autoptr(AveFilmstrip) filmstrip = ave_filmstrip_new (sample, THUMB_W, THUMB_H);
  FilmstripWait w = { .filmstrip = filmstrip, .time = 1.3, .step = 0.25, .peaks_until = 7.5 };
  JsonObject *pause = json_array_get_object_element (pauses, 0);
  JsonObject *sentence = json_array_get_object_element (sentences, 0);
  GdkTexture *texture;
  gint64 before;
  float lo, hi, pause_peak, speech_peak;
  double difference;

  /* Nothing is decoded on the caller's thread: the lookup returns at once. */
  before = g_get_monotonic_time ();
  g_assert_null (ave_filmstrip_lookup (filmstrip, w.time, w.step));
  g_assert_cmpint (g_get_monotonic_time () - before, <, 5000);

  wait_for (thumbnail_ready, &w, 30, "a thumbnail");
  texture = ave_filmstrip_lookup (filmstrip, w.time, w.step);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, THUMB_W);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, THUMB_H);
  /* The grid point at or before 1.3 s on a 0.25 s grid is 1.25 s. */
  difference = compare_with_ffmpeg (texture, sample, 1.25);
  g_test_message ("thumbnail at 1.25 s differs from FFmpeg's by %.2f / 255", difference);
  g_assert_cmpfloat (difference, <, 10.0);

  /* A coarser grid's picture stands in while a finer one is decoded. */
  g_assert_true (ave_filmstrip_lookup (filmstrip, 1.3, 0.125) == texture ||
                 ave_filmstrip_lookup (filmstrip, 1.3, 0.125) == NULL);

  /* The waveform: speech is loud, the first pause is quiet. */
  wait_for (peaks_ready, &w, 30, "the waveform");
  g_assert_true (ave_filmstrip_get_peaks (filmstrip,
                                          json_object_get_double_member (pause, "start") + 0.05,
                                          json_object_get_double_member (pause, "end") - 0.05, &lo, &hi));
  pause_peak = MAX (hi, -lo);
  g_assert_true (ave_filmstrip_get_peaks (filmstrip, json_object_get_double_member (sentence, "start"),
                                          json_object_get_double_member (sentence, "end"), &lo, &hi));
  speech_peak = MAX (hi, -lo);
  g_test_message ("peaks: speech %.3f, pause %.3f", speech_peak, pause_peak);
  g_assert_cmpfloat (speech_peak, >, 0.1);
  g_assert_cmpfloat (speech_peak, >, 5 * pause_peak);
  g_assert_false (ave_filmstrip_get_peaks (filmstrip, 60.0, 61.0, &lo, &hi));
}

/* ------------------------------------------------------------- timeline */

static char *
plan_json (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);

  return json_to_string (node, FALSE);
}

static gboolean
frames_drawn (gpointer data)
{
  guint *frames = data;

  return *frames >= 3;
}

static gboolean
count_frame (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static void
on_seek (AveTimeline *timeline,
         double       time,
         double      *seen)
{
  *seen = time;
}

static void
test_timeline (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(AvePlan) plan = ave_plan_new (sample, 8.0);
  g_autoptr(AvePlanHistory) history = NULL;
  g_autofree char *original = NULL;
  g_autofree char *undone = NULL;
  AveSegment s = { .enabled = TRUE };
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *timeline = ave_timeline_new ();
  GtkWidget *bin = ave_timeline_bin_new (AVE_TIMELINE (timeline));
  guint frames = 0;
  double seen = -1;

  s.start = 0.0; s.end = 3.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 4.0; s.end = 7.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  history = ave_plan_history_new (plan);
  original = plan_json (plan);

  gtk_box_append (GTK_BOX (box), timeline);
  gtk_box_append (GTK_BOX (box), bin);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 300);
  ave_timeline_set_model (AVE_TIMELINE (timeline), history, NULL);
  g_signal_connect (timeline, "seek", G_CALLBACK (on_seek), &seen);
  gtk_widget_add_tick_callback (timeline, count_frame, &frames, NULL);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (frames_drawn, &frames, 30, "the timeline on screen");

  /* Fitted to the width: 6 s of segments in about 800 px. */
  g_assert_cmpfloat (ave_timeline_get_zoom (AVE_TIMELINE (timeline)), >, 100.0);
  g_assert_cmpfloat (ave_timeline_get_zoom (AVE_TIMELINE (timeline)), <, 140.0);
  /* The bin offers an intro, an outro and a lower third. */
  g_assert_cmpuint (ave_timeline_bin_get_n_cards (AVE_TIMELINE_BIN (bin)), >=, 3);

  /* Delete cuts the selected segment; R restores it. */
  ave_timeline_set_selected_segment (AVE_TIMELINE (timeline), 1);
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.delete", NULL));
  g_assert_false (ave_plan_get_segment (plan, 1)->enabled);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Cut segment");
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.restore", NULL));
  g_assert_true (ave_plan_get_segment (plan, 1)->enabled);

  /* S splits at the playhead. */
  ave_timeline_set_playhead (AVE_TIMELINE (timeline), 5.5);
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.split", NULL));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 2)->start, ==, 5.5);

  /* A crossfade into the selected (second half) segment. */
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.transition", "s", "crossfade"));
  g_assert_cmpint (ave_plan_get_segment (plan, 2)->transition, ==, AVE_TRANSITION_CROSSFADE);

  /* A bin card added at the playhead, then deleted with Delete. */
  g_assert_true (ave_timeline_insert_card (AVE_TIMELINE (timeline),
                                           ave_timeline_bin_get_card (AVE_TIMELINE_BIN (bin), 0)));
  g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 1);
  g_assert_cmpint (ave_timeline_get_selected_card (AVE_TIMELINE (timeline)), ==, 0);
  frames = 0;
  wait_for (frames_drawn, &frames, 30, "a redraw with the card");
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.delete", NULL));
  g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 0);

  /* Zoom keys change the zoom; every edit undoes back to the start. */
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.zoom-in", NULL));
  g_assert_cmpfloat (ave_timeline_get_zoom (AVE_TIMELINE (timeline)), >, 140.0);
  while (ave_plan_history_undo (history))
    ;
  undone = plan_json (plan);
  g_assert_cmpstr (undone, ==, original);
  frames = 0;
  wait_for (frames_drawn, &frames, 30, "a redraw after undo");
  g_assert_cmpfloat (seen, ==, -1);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Widget x of a source time inside segment `index`. */
static double
segment_x (AveTimeline *timeline,
           guint        index,
           double       source_time)
{
  const AveTimelineLayout *layout = _ave_timeline_get_layout (timeline);

  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = &g_array_index (layout->items, AveTimelineItem, i);

      if (item->kind == AVE_TIMELINE_ITEM_SEGMENT && item->index == index)
        return _ave_timeline_content_to_widget_x (timeline, item->x + (source_time - item->start)
                                                                      * layout->pixels_per_second);
    }
  g_error ("segment %u is not on the timeline", index);
}

static void
test_drag (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(AvePlan) plan = ave_plan_new (sample, 8.0);
  g_autoptr(AvePlanHistory) history = NULL;
  AveMediaInfo media = { .duration = 8.0, .has_video = TRUE, .display_width = 320, .display_height = 180 };
  g_autoptr(AveAnalysis) analysis = ave_analysis_new (sample, &media);
  AveShot shots[] = { { .start = 0.0, .end = 2.0 }, { .start = 2.0, .end = 8.0 } };
  AveSegment s = { .enabled = TRUE };
  GtkWidget *window = gtk_window_new ();
  AveTimeline *timeline = AVE_TIMELINE (ave_timeline_new ());
  double segment_row = _ave_timeline_row_y (AVE_TIMELINE_ROW_SEGMENT);
  double zoom, seen = -1, x;
  guint frames = 0;

  g_array_append_vals (analysis->shots, shots, 2);
  ave_analysis_add_word (analysis, "hello", 4.2, 4.6, 0.9, FALSE);
  s.start = 0.0; s.end = 3.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 4.0; s.end = 7.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  history = ave_plan_history_new (plan);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (timeline));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 300);
  ave_timeline_set_model (timeline, history, analysis);
  g_signal_connect (timeline, "seek", G_CALLBACK (on_seek), &seen);
  gtk_widget_add_tick_callback (GTK_WIDGET (timeline), count_frame, &frames, NULL);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (frames_drawn, &frames, 30, "the timeline on screen");
  zoom = ave_timeline_get_zoom (timeline);

  /* The first segment's end dragged near the shot cut at 2.0 s lands on
   * it exactly. */
  _ave_timeline_drag (timeline, segment_x (timeline, 0, 3.0), segment_row,
                      segment_x (timeline, 0, 2.03), TRUE);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 0)->end, ==, 2.0);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Trim segment");

  /* With Shift (no snapping) it follows the pointer to the pixel. */
  _ave_timeline_drag (timeline, segment_x (timeline, 0, 2.0), segment_row,
                      segment_x (timeline, 0, 2.5), FALSE);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_segment (plan, 0)->end, 2.5, 1.0 / zoom);

  /* The second segment's start (grabbed just right of the boundary, which
   * itself belongs to the left segment's end) dragged near the word
   * "hello" (4.2 s). */
  _ave_timeline_drag (timeline, segment_x (timeline, 1, 4.0) + 3, segment_row,
                      segment_x (timeline, 1, 4.23), TRUE);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->start, ==, 4.2);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->end, ==, 7.0);

  /* The second segment dragged before the first: reordered. */
  x = segment_x (timeline, 1, 5.5);
  _ave_timeline_drag (timeline, x, segment_row, segment_x (timeline, 0, 0.2), TRUE);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 0)->start, ==, 4.2);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->start, ==, 0.0);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Move segment");
  g_assert_cmpint (ave_timeline_get_selected_segment (timeline), ==, 0);

  /* A click seeks to the source time under the pointer. */
  x = segment_x (timeline, 1, 1.0);
  _ave_timeline_drag (timeline, x, segment_row, x, TRUE);
  g_assert_cmpfloat_with_epsilon (seen, 1.0, 1.0 / zoom);
  g_assert_cmpfloat_with_epsilon (ave_timeline_get_playhead (timeline), 1.0, 1.0 / zoom);
  g_assert_cmpint (ave_timeline_get_selected_segment (timeline), ==, 1);

  /* Cards: a title card dragged from the first slot to the end, an
   * overlay dragged later along output time. */
  {
    g_autoptr(AveCard) title = ave_card_new_title ("Intro", NULL, 0, 1.0);
    g_autoptr(AveCard) overlay = ave_card_new_overlay ("Jane", NULL, 0.5, 1.0);
    const AveTimelineLayout *layout;
    const AveTimelineItem *card_item;
    double overlay_row = _ave_timeline_row_y (AVE_TIMELINE_ROW_OVERLAY);
    double before;

    g_assert_cmpint (ave_plan_history_add_card (history, overlay), ==, 0);
    g_assert_cmpint (ave_plan_history_add_card (history, title), ==, 1);
    before = ave_plan_get_card (plan, 0)->output_time;
    g_assert_cmpfloat_with_epsilon (before, 1.5, 1e-9);   /* pushed by the 1 s title */

    layout = _ave_timeline_get_layout (timeline);
    card_item = &g_array_index (layout->items, AveTimelineItem, 0);
    g_assert_cmpint (card_item->kind, ==, AVE_TIMELINE_ITEM_TITLE_CARD);
    _ave_timeline_drag (timeline,
                        _ave_timeline_content_to_widget_x (timeline, card_item->x + card_item->width / 2),
                        segment_row,
                        _ave_timeline_content_to_widget_x (timeline, layout->total_width - 2), TRUE);
    g_assert_cmpuint (ave_plan_get_card (plan, 1)->insert_before, ==, 2);
    g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Move title card");
    g_assert_cmpint (ave_timeline_get_selected_card (timeline), ==, 1);
    /* The title left the start: the overlay moved back with its picture. */
    g_assert_cmpfloat_with_epsilon (ave_plan_get_card (plan, 0)->output_time, 0.5, 1e-9);

    /* Half a second to the right, inside the first segment: +0.5 s. */
    layout = _ave_timeline_get_layout (timeline);
    g_assert_true (ave_timeline_layout_output_to_x (layout, 0.7, &x));
    _ave_timeline_drag (timeline, _ave_timeline_content_to_widget_x (timeline, x), overlay_row,
                        _ave_timeline_content_to_widget_x (timeline, x + 0.5 * layout->pixels_per_second),
                        TRUE);
    g_assert_cmpfloat_with_epsilon (ave_plan_get_card (plan, 0)->output_time, 1.0, 1.5 / zoom);
    g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Move overlay");
    g_assert_cmpint (ave_timeline_get_selected_card (timeline), ==, 0);

    /* Delete removes the selected card. */
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (timeline), "timeline.delete", NULL));
    g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 1);
    for (int i = 0; i < 5; i++)
      g_assert_true (ave_plan_history_undo (history));
    g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 0);
  }

  /* Four edits, four undos back to where it started. */
  for (int i = 0; i < 4; i++)
    g_assert_true (ave_plan_history_undo (history));
  g_assert_false (ave_plan_history_get_can_undo (history));
  g_assert_cmpfloat (ave_plan_get_segment (plan, 0)->end, ==, 3.0);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->start, ==, 4.0);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* -------------------------------------------------------------- colours */

static double
luminance (const GdkRGBA *c)
{
  double rgb[3] = { c->red, c->green, c->blue };

  for (int i = 0; i < 3; i++)
    rgb[i] = rgb[i] <= 0.03928 ? rgb[i] / 12.92 : pow ((rgb[i] + 0.055) / 1.055, 2.4);
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

/* WCAG's contrast ratio (1 to 21). */
static double
contrast (const GdkRGBA *a,
          const GdkRGBA *b)
{
  double la = luminance (a), lb = luminance (b);

  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

/* The timeline's colours come from the style, so its text, the focus
 * ring and the selection read in the light and in the dark style. */
static void
test_palette (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *timeline = ave_timeline_new ();
  GtkSettings *settings = gtk_settings_get_default ();
  gboolean was_dark = FALSE;
  GdkRGBA fg[2];
  guint frames = 0;

  g_object_get (settings, "gtk-application-prefer-dark-theme", &was_dark, NULL);
  gtk_window_set_child (GTK_WINDOW (window), timeline);
  gtk_widget_add_tick_callback (timeline, count_frame, &frames, NULL);
  gtk_window_present (GTK_WINDOW (window));

  for (int dark = 0; dark <= 1; dark++)
    {
      AveTimelinePalette palette;

      g_object_set (settings, "gtk-application-prefer-dark-theme", dark, NULL);
      frames = 0;
      wait_for (frames_drawn, &frames, 30, "the timeline in the new style");
      ave_timeline_palette_init (&palette, timeline);
      g_test_message ("%s: text/background %.1f, selection/background %.1f, selection/accent %.1f, "
                      "accent text %.1f", dark ? "dark" : "light", contrast (&palette.fg, &palette.bg),
                      contrast (&palette.selection, &palette.bg), contrast (&palette.selection, &palette.accent),
                      contrast (&palette.accent_fg, &palette.accent));
      g_assert_cmpint (palette.dark, ==, dark);
      /* Text (ruler, cut segments, the focus ring) on the background:
       * WCAG AA for normal text. */
      g_assert_cmpfloat (contrast (&palette.fg, &palette.bg), >=, 4.5);
      /* The selection outline against the background and the accent of a
       * kept segment it surrounds: WCAG's 3:1 for graphics. */
      g_assert_cmpfloat (contrast (&palette.selection, &palette.bg), >=, 3.0);
      g_assert_cmpfloat (contrast (&palette.selection, &palette.accent), >=, 2.5);
      g_assert_cmpfloat (contrast (&palette.accent_fg, &palette.accent), >=, 3.0);
      fg[dark] = palette.fg;
    }
  /* The text colour did follow the style. */
  g_assert_cmpfloat (contrast (&fg[0], &fg[1]), >=, 4.5);

  g_object_set (settings, "gtk-application-prefer-dark-theme", was_dark, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------- keyboard */
#ifdef GDK_WINDOWING_X11

typedef struct
{
  GtkWidget *window;
  gulong     xid;
} KeyTarget;

/* Presses `keys` (xdotool names, e.g. "ctrl+z") as the X server's own key
 * events into the window, then runs the main loop until `condition`
 * holds: the keys go through GTK's whole event path (the focus widget,
 * its shortcuts, the timeline's bindings), as a user's do. */
static void
press (KeyTarget   *target,
       const char  *keys,
       Condition    condition,
       gpointer     data)
{
  g_autofree char *what = g_strdup_printf ("the timeline to take %s", keys);

  ave_test_sh ("xdotool windowfocus --sync %lu key --delay 20 %s", target->xid, keys);
  wait_for (condition, data, 20, what);
}

typedef struct
{
  AveTimeline *timeline;
  AvePlan     *plan;
  int          selected;        /* segment expected selected (and focused) */
  int          card;            /* card expected selected (and focused), or -1 */
  guint        segment;         /* the segment the checks below look at */
  int          enabled;         /* -1: any */
  double       start, end;      /* < 0: any */
  char        *json;            /* the whole plan, NULL: any */
} KeyState;

static gboolean
focus_is (KeyState *s)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (s->timeline)));
  GtkWidget *piece = s->card >= 0
                     ? _ave_timeline_find_piece (s->timeline, AVE_TIMELINE_PIECE_OVERLAY, s->card)
                     : _ave_timeline_find_piece (s->timeline, AVE_TIMELINE_PIECE_SEGMENT, s->selected);

  if (s->card >= 0 && piece == NULL)
    piece = _ave_timeline_find_piece (s->timeline, AVE_TIMELINE_PIECE_TITLE_CARD, s->card);
  return piece != NULL && focus == piece;
}

static gboolean
state_reached (gpointer data)
{
  KeyState *s = data;
  const AveSegment *segment;

  if (s->card >= 0 ? ave_timeline_get_selected_card (s->timeline) != s->card
                   : ave_timeline_get_selected_segment (s->timeline) != s->selected)
    return FALSE;
  if (!focus_is (s))
    return FALSE;
  if (s->json != NULL)
    {
      g_autofree char *now = plan_json (s->plan);

      return g_str_equal (now, s->json);
    }
  if (s->segment >= ave_plan_get_n_segments (s->plan))
    return FALSE;
  segment = ave_plan_get_segment (s->plan, s->segment);
  return (s->enabled < 0 || segment->enabled == s->enabled) &&
         (s->start < 0 || fabs (segment->start - s->start) < 1e-9) &&
         (s->end < 0 || fabs (segment->end - s->end) < 1e-9);
}

typedef struct
{
  AveTimeline *timeline;
  AvePlan     *plan;
  guint        n_cards;
  int          card;            /* expected selected and focused, -1: none selected */
  guint        slot;            /* its insert_before */
} CardState;

static gboolean
menu_open (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (data));

  /* The focus is in the popover menu, a descendant of the timeline that
   * is no piece. */
  return focus != NULL && gtk_widget_is_ancestor (focus, data) && !AVE_IS_TIMELINE_PIECE (focus) &&
         gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER) != NULL &&
         gtk_widget_get_visible (gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER));
}

static gboolean
undo_spent (gpointer data)
{
  return !ave_plan_history_get_can_undo (data);
}

static gboolean
card_state_reached (gpointer data)
{
  CardState *c = data;
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (c->timeline)));

  if (ave_plan_get_n_cards (c->plan) != c->n_cards)
    return FALSE;
  if (c->card < 0)
    return ave_timeline_get_selected_card (c->timeline) == -1;
  return ave_timeline_get_selected_card (c->timeline) == c->card &&
         ave_plan_get_card (c->plan, c->card)->insert_before == c->slot &&
         focus == _ave_timeline_find_piece (c->timeline, AVE_TIMELINE_PIECE_TITLE_CARD, c->card);
}

static void
expect (KeyState *s,
        int       selected,
        guint     segment,
        int       enabled,
        double    start,
        double    end)
{
  s->selected = selected;
  s->card = -1;
  s->segment = segment;
  s->enabled = enabled;
  s->start = start;
  s->end = end;
  g_clear_pointer (&s->json, g_free);
}

static void
test_keyboard (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(AvePlan) plan = ave_plan_new (sample, 8.0);
  g_autoptr(AvePlanHistory) history = NULL;
  AveMediaInfo media = { .duration = 8.0, .has_video = TRUE, .display_width = 320, .display_height = 180,
                         .frame_rate = 25.0 };
  g_autoptr(AveAnalysis) analysis = ave_analysis_new (sample, &media);
  AveSegment s = { .enabled = TRUE };
  GtkWidget *window = gtk_window_new ();
  AveTimeline *timeline = AVE_TIMELINE (ave_timeline_new ());
  g_autofree char *original = NULL;
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  KeyState state = { .timeline = timeline, .plan = plan, .card = -1 };
  KeyTarget target = { .window = window };
  const double frame = 1.0 / 25.0;
  guint frames = 0;

  if (xdotool == NULL || !GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_test_skip ("needs xdotool and an X display (xvfb-run; tools/setup.sh installs xdotool)");
      gtk_window_destroy (GTK_WINDOW (window));
      return;
    }

  s.start = 0.0; s.end = 3.0; s.reason = (char *) "opening";
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 4.0; s.end = 7.0; s.reason = (char *) "long pause removed";
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 7.2; s.end = 8.0; s.reason = NULL;
  g_assert_true (ave_plan_append_segment (plan, &s));
  history = ave_plan_history_new (plan);
  original = plan_json (plan);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (timeline));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 300);
  ave_timeline_set_model (timeline, history, analysis);
  gtk_widget_add_tick_callback (GTK_WIDGET (timeline), count_frame, &frames, NULL);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (frames_drawn, &frames, 30, "the timeline on screen");
  target.xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window)));

  /* Segments and cards are widgets a screen reader reads: list items,
   * focusable, named by what they are. */
  g_assert_cmpuint (_ave_timeline_get_n_pieces (timeline), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      GtkWidget *piece = _ave_timeline_get_piece (timeline, i);

      g_assert_true (gtk_widget_get_focusable (piece));
      gtk_test_accessible_assert_role (GTK_ACCESSIBLE (piece), GTK_ACCESSIBLE_ROLE_LIST_ITEM);
    }
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (_ave_timeline_get_piece (timeline, 0)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Segment 1 of 3, kept, 0:00.0 to 0:03.0, 3.0 s, local director: opening");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (_ave_timeline_get_piece (timeline, 1)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Segment 2 of 3, kept, 0:04.0 to 0:07.0, 3.0 s, "
                                       "local director: long pause removed");
  /* After the name, how to act on it. */
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (_ave_timeline_get_piece (timeline, 1)),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Delete cuts it, R restores it, brackets trim its start, "
                                       "braces its end, by a frame; Control with an arrow moves it");

  /* Tab puts the keyboard on the first segment; Right walks to the
   * second. */
  gtk_root_set_focus (GTK_ROOT (window), NULL);
  expect (&state, 0, 0, TRUE, -1, -1);
  press (&target, "Tab", state_reached, &state);
  expect (&state, 1, 1, TRUE, -1, -1);
  press (&target, "Right", state_reached, &state);

  /* Delete cuts it (the name says so), Ctrl+Z brings it back. */
  expect (&state, 1, 1, FALSE, -1, -1);
  press (&target, "Delete", state_reached, &state);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Cut segment");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (_ave_timeline_get_piece (timeline, 1)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Segment 2 of 3, cut, 0:04.0 to 0:07.0, 3.0 s, "
                                       "local director: long pause removed");
  gtk_test_accessible_assert_state (GTK_ACCESSIBLE (_ave_timeline_get_piece (timeline, 1)),
                                    GTK_ACCESSIBLE_STATE_SELECTED, TRUE);
  expect (&state, 1, 1, TRUE, -1, -1);
  press (&target, "ctrl+z", state_reached, &state);
  /* R restores a cut one too. */
  expect (&state, 1, 1, FALSE, -1, -1);
  press (&target, "Delete", state_reached, &state);
  expect (&state, 1, 1, TRUE, -1, -1);
  press (&target, "r", state_reached, &state);

  /* Menu opens the segment menu there (transitions are in it); Escape
   * closes it and the keyboard is back on the segment. */
  press (&target, "Menu", menu_open, timeline);
  press (&target, "Escape", state_reached, &state);

  /* ] moves the start a frame later, { (Shift+[) the end a frame
   * earlier: exactly one frame of the 25 fps source each. */
  expect (&state, 1, 1, TRUE, 4.0 + frame, 7.0);
  press (&target, "bracketright", state_reached, &state);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Trim segment");
  expect (&state, 1, 1, TRUE, 4.0 + frame, 7.0 - frame);
  press (&target, "shift+bracketleft", state_reached, &state);
  expect (&state, 1, 1, TRUE, 4.0, 7.0 - frame);
  press (&target, "bracketleft", state_reached, &state);
  expect (&state, 1, 1, TRUE, 4.0, 7.0);
  press (&target, "shift+bracketright", state_reached, &state);

  /* Ctrl+Right moves it after the third; the focus goes with it. */
  expect (&state, 2, 2, TRUE, 4.0, 7.0);
  press (&target, "ctrl+Right", state_reached, &state);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Move segment");
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->start, ==, 7.2);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (_ave_timeline_get_piece (timeline, 2)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Segment 3 of 3, kept, 0:04.0 to 0:07.0, 3.0 s, "
                                       "edited by hand: long pause removed");
  /* Home: back to the first. */
  expect (&state, 0, 0, TRUE, 0.0, 3.0);
  press (&target, "Home", state_reached, &state);

  /* Ctrl+Z undoes the seven edits (cut, restore, four trims, the move;
   * the eighth has nothing left), Shift+Ctrl+Z redoes them. */
  expect (&state, 0, 0, TRUE, -1, -1);
  state.json = g_strdup (original);
  press (&target, "ctrl+z ctrl+z ctrl+z ctrl+z ctrl+z ctrl+z ctrl+z ctrl+z", state_reached, &state);
  /* (Undoing the trims already gives the original plan back.) */
  wait_for (undo_spent, history, 20, "every edit undone");
  g_assert_true (state_reached (&state));
  expect (&state, 0, 2, TRUE, 4.0, 7.0);
  press (&target, "ctrl+shift+z ctrl+shift+z ctrl+shift+z ctrl+shift+z ctrl+shift+z ctrl+shift+z "
                  "ctrl+shift+z", state_reached, &state);
  g_assert_false (ave_plan_history_get_can_redo (history));

  /* Cards: named, reached with End, moved with Ctrl+Left, removed with
   * Delete. */
  {
    g_autoptr(AveCard) title = ave_card_new_title ("Intro", NULL, 3, 2.0);
    g_autoptr(AveCard) overlay = ave_card_new_overlay ("Jane", NULL, 0.5, 1.0);
    CardState cards = { .timeline = timeline, .plan = plan, .n_cards = 2, .card = 1, .slot = 3 };
    GtkWidget *piece;

    g_assert_cmpint (ave_plan_history_add_card (history, overlay), ==, 0);
    g_assert_cmpint (ave_plan_history_add_card (history, title), ==, 1);
    g_assert_cmpuint (_ave_timeline_get_n_pieces (timeline), ==, 5);
    piece = _ave_timeline_find_piece (timeline, AVE_TIMELINE_PIECE_OVERLAY, 0);
    g_assert_nonnull (piece);
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (piece), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Card 1 of 2, overlay Jane, 1.0 s from 0:00.5 of the output");
    /* The overlay starts in the first segment: it comes right after it. */
    g_assert_true (_ave_timeline_get_piece (timeline, 1) == piece);
    piece = _ave_timeline_find_piece (timeline, AVE_TIMELINE_PIECE_TITLE_CARD, 1);
    g_assert_true (_ave_timeline_get_piece (timeline, 4) == piece);
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (piece), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Card 2 of 2, title card Intro, 2.0 s, at the end");

    press (&target, "End", card_state_reached, &cards);
    cards.slot = 2;
    press (&target, "ctrl+Left", card_state_reached, &cards);
    g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Move title card");
    /* Now before the last segment in the walk too. */
    piece = _ave_timeline_find_piece (timeline, AVE_TIMELINE_PIECE_TITLE_CARD, 1);
    g_assert_true (_ave_timeline_get_piece (timeline, 3) == piece);
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (piece), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Card 2 of 2, title card Intro, 2.0 s, before segment 3");
    cards.n_cards = 1;
    cards.card = -1;
    press (&target, "Delete", card_state_reached, &cards);
  }

  g_clear_pointer (&state.json, g_free);
  gtk_window_destroy (GTK_WINDOW (window));
}
#endif /* GDK_WINDOWING_X11 */

/* -------------------------------------------------------------- preview */

typedef struct
{
  AvePreview *preview;
  GArray     *positions;
  double      until;
} PreviewLog;

static void
on_position (AvePreview *preview,
             GParamSpec *pspec,
             PreviewLog *log)
{
  double position = ave_preview_get_position (preview);

  g_array_append_val (log->positions, position);
}

static gboolean
played_until (gpointer data)
{
  PreviewLog *log = data;

  return !ave_preview_get_playing (log->preview) ||
         ave_preview_get_position (log->preview) >= log->until;
}

static gboolean
has_duration (gpointer data)
{
  return ave_preview_get_duration (data) > 0;
}

static void
test_preview (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(AvePlan) plan = ave_plan_new (sample, 8.0);
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (double));
  GtkWidget *window = gtk_window_new ();
  GtkWidget *preview = ave_preview_new ();
  AveSegment s = { .enabled = TRUE };
  PreviewLog log = { AVE_PREVIEW (preview), positions, 3.0 };
  gboolean jumped = FALSE;

  /* Plays [0.5, 1.5] then [2.5, 3.5]: the second half of a second in
   * between is cut. */
  s.start = 0.5; s.end = 1.5;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 2.5; s.end = 3.5;
  g_assert_true (ave_plan_append_segment (plan, &s));

  gtk_window_set_child (GTK_WINDOW (window), preview);
  gtk_window_set_default_size (GTK_WINDOW (window), 320, 240);
  gtk_window_present (GTK_WINDOW (window));
  ave_preview_set_source (AVE_PREVIEW (preview), sample);
  ave_preview_set_plan (AVE_PREVIEW (preview), plan);
  wait_for (has_duration, preview, 30, "the media to load");
  g_assert_cmpfloat_with_epsilon (ave_preview_get_duration (AVE_PREVIEW (preview)), 8.0, 0.1);

  /* Frame steps move by one frame of the edit (30 fps, output time) and
   * over the cut. */
  ave_preview_seek (AVE_PREVIEW (preview), 1.0);
  ave_preview_step (AVE_PREVIEW (preview), 1);
  g_assert_cmpfloat_with_epsilon (ave_preview_get_position (AVE_PREVIEW (preview)), 31.5 / 30.0, 1e-6);
  ave_preview_step (AVE_PREVIEW (preview), -1);
  g_assert_cmpfloat_with_epsilon (ave_preview_get_position (AVE_PREVIEW (preview)), 30.5 / 30.0, 1e-6);
  /* source 1.48 s is output frame 29; two frames on is output frame 31,
   * the second frame of [2.5, 3.5] (its middle: 2.5 + 1.5 / 30) */
  ave_preview_seek (AVE_PREVIEW (preview), 1.48);
  ave_preview_step (AVE_PREVIEW (preview), 2);
  g_assert_cmpfloat_with_epsilon (ave_preview_get_position (AVE_PREVIEW (preview)), 2.5 + 1.5 / 30.0, 1e-6);

  g_signal_connect (preview, "notify::position", G_CALLBACK (on_position), &log);
  ave_preview_seek (AVE_PREVIEW (preview), 0.5);
  g_assert_true (gtk_widget_activate_action (preview, "preview.play", NULL));
  wait_for (played_until, &log, 30, "playback through the cut");

  /* Positions reported while playing never fall inside the cut
   * (1.5, 2.5) beyond a report's lateness, and playback went on after it. */
  for (guint i = 0; i < positions->len; i++)
    {
      double p = g_array_index (positions, double, i);

      g_assert_false (p > 1.5 + 0.15 && p < 2.5 - 0.01);
      if (p >= 2.5)
        jumped = TRUE;
    }
  g_test_message ("%u positions reported", positions->len);
  g_assert_true (jumped);
  g_assert_cmpuint (positions->len, >=, 5);

  /* K pauses. */
  g_assert_true (gtk_widget_activate_action (preview, "preview.pause", NULL));
  g_assert_false (ave_preview_get_playing (AVE_PREVIEW (preview)));

  g_signal_handlers_disconnect_by_data (preview, &log);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The widget drawn as the window would draw it, as RGBA bytes. */
static guint8 *
render_widget (GtkWidget *widget,
               int       *width,
               int       *height)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  guint8 *pixels;

  *width = gtk_widget_get_width (widget);
  *height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, snapshot, *width, *height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, *width, *height));
  pixels = g_malloc ((gsize) *width * *height * 4);
  gdk_texture_download (texture, pixels, *width * 4);
  return pixels;
}

/* Mean absolute difference of two renders over rows [y0, y1). */
static double
rows_difference (const guint8 *a,
                 const guint8 *b,
                 int           width,
                 int           y0,
                 int           y1)
{
  double sum = 0.0;

  for (int y = y0; y < y1; y++)
    for (int x = 0; x < width * 4; x++)
      sum += abs ((int) a[y * width * 4 + x] - (int) b[y * width * 4 + x]);
  return sum / MAX (1.0, (double) (y1 - y0) * width * 4);
}

static void
spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* Three sentences of the 8 s sample, each word 0.4 s with 0.1 s between. */
static AveAnalysis *
make_captioned_analysis (const char *sample)
{
  AveMediaInfo info = { 0 };
  AveAnalysis *analysis;
  const struct { const char *text; double start; } sentences[] = {
    { "welcome to the talk", 0.6 },
    { "this part is cut later", 3.0 },
    { "and here we end", 6.0 },
  };

  info.path = (char *) sample;
  info.duration = 8.0;
  info.has_audio = info.has_video = TRUE;
  info.frame_rate = 30.0;
  info.display_width = 320;
  info.display_height = 180;
  analysis = ave_analysis_new (sample, &info);
  for (guint k = 0; k < G_N_ELEMENTS (sentences); k++)
    {
      g_auto(GStrv) words = g_strsplit (sentences[k].text, " ", -1);

      for (guint i = 0; words[i] != NULL; i++)
        ave_analysis_add_word (analysis, words[i], sentences[k].start + i * 0.5,
                               sentences[k].start + i * 0.5 + 0.4, 0.9, FALSE);
    }
  return analysis;
}

static gboolean
cues_mention (GArray     *cues,
              const char *word)
{
  for (guint i = 0; cues != NULL && i < cues->len; i++)
    if (strstr (g_array_index (cues, AveCue, i).text, word) != NULL)
      return TRUE;
  return FALSE;
}

/* The caption lane follows the plan as it is edited on the timeline: a
 * cut segment's words lose their cue, undo brings it back, a trim
 * dragged over words removes them from the cues. */
static void
test_timeline_captions (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(AvePlan) plan = ave_plan_new (sample, 8.0);
  g_autoptr(AveAnalysis) analysis = make_captioned_analysis (sample);
  g_autoptr(AvePlanHistory) history = NULL;
  AveSegment s = { .enabled = TRUE };
  GtkWidget *window = gtk_window_new ();
  GtkWidget *timeline = ave_timeline_new ();
  const AveTimelineLayout *layout;
  const AveTimelineItem *item;
  double zoom, x0;

  s.start = 0.5; s.end = 2.7;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 2.9; s.end = 5.6;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 5.8; s.end = 8.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  history = ave_plan_history_new (plan);

  gtk_window_set_child (GTK_WINDOW (window), timeline);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 300);
  gtk_window_present (GTK_WINDOW (window));
  ave_timeline_set_model (AVE_TIMELINE (timeline), history, analysis);
  spin (0.5);

  g_assert_nonnull (_ave_timeline_get_captions (AVE_TIMELINE (timeline)));
  g_assert_true (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "part"));
  g_assert_true (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "here"));

  /* Delete cuts segment 1: its sentence has no cue any more. */
  ave_timeline_set_selected_segment (AVE_TIMELINE (timeline), 1);
  g_assert_true (gtk_widget_activate_action (timeline, "timeline.delete", NULL));
  g_assert_false (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "part"));
  g_assert_true (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "Welcome"));
  g_assert_true (ave_plan_history_undo (history));
  g_assert_true (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "part"));

  /* Drag segment 2's start a second later (no snapping): "and here"
   * (6.0 to 6.9 s) are cut, "we end" stay. */
  layout = _ave_timeline_get_layout (AVE_TIMELINE (timeline));
  item = &g_array_index (layout->items, AveTimelineItem, 2);
  zoom = layout->pixels_per_second;
  x0 = _ave_timeline_content_to_widget_x (AVE_TIMELINE (timeline), item->x + 1.0);
  _ave_timeline_drag (AVE_TIMELINE (timeline), x0, _ave_timeline_row_y (AVE_TIMELINE_ROW_SEGMENT),
                      x0 + 1.0 * zoom, FALSE);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_segment (plan, 2)->start, 6.8, 0.05);
  g_assert_false (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "here"));
  g_assert_true (cues_mention (_ave_timeline_get_captions (AVE_TIMELINE (timeline)), "end"));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The cue the engine gives for the plan at the output time of `source`. */
static int
engine_cue (AveAnalysis *analysis,
            AvePlan     *plan,
            double       source,
            char       **text)
{
  g_autoptr(GArray) words = ave_caption_words_map (analysis, plan);
  g_autoptr(GArray) cues = ave_captions_build (words, ave_captions_frame_rate (analysis), "en");
  double t = ave_plan_source_to_output (plan, source);
  int cue = t >= 0.0 ? ave_captions_cue_at (cues, t) : -1;

  *text = cue >= 0 ? g_strdup (g_array_index (cues, AveCue, cue).text) : NULL;
  return cue;
}

/* Captions over the picture: the engine's cue at the output time of the
 * playhead, drawn at the bottom in the caption style, gone with the
 * toggle, and following the plan as it is edited. */
static void
test_preview_captions (void)
{
  const char *sample = ave_test_sample ("strip.mp4", 8.0, 320, 180);
  g_autoptr(AvePlan) plan = ave_plan_new (sample, 8.0);
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree guint8 *shown = NULL;
  g_autofree guint8 *hidden = NULL;
  g_autofree char *text = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *preview = ave_preview_new ();
  AveSegment s = { .enabled = TRUE };
  int width, height, expected;

  analysis = make_captioned_analysis (sample);
  s.start = 0.5; s.end = 2.7;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 2.9; s.end = 5.6;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 5.8; s.end = 8.0;
  g_assert_true (ave_plan_append_segment (plan, &s));

  gtk_window_set_child (GTK_WINDOW (window), preview);
  gtk_window_set_default_size (GTK_WINDOW (window), 320, 260);
  gtk_window_present (GTK_WINDOW (window));
  ave_preview_set_source (AVE_PREVIEW (preview), sample);
  ave_preview_set_plan (AVE_PREVIEW (preview), plan);
  ave_preview_set_analysis (AVE_PREVIEW (preview), analysis);
  wait_for (has_duration, preview, 30, "the media to load");

  /* Off by default: nothing shown. */
  ave_preview_seek (AVE_PREVIEW (preview), 3.6);
  g_assert_cmpint (ave_preview_get_caption (AVE_PREVIEW (preview)), ==, -1);

  ave_preview_set_show_captions (AVE_PREVIEW (preview), TRUE);
  expected = engine_cue (analysis, plan, 3.6, &text);
  g_assert_cmpint (expected, >=, 0);
  g_assert_nonnull (strstr (text, "part"));
  g_assert_cmpint (ave_preview_get_caption (AVE_PREVIEW (preview)), ==, expected);

  /* Drawn over the lower part of the picture only (position=bottom),
   * and gone when hidden; the same paused frame both times. */
  spin (1.0);
  shown = render_widget (preview, &width, &height);
  ave_preview_set_show_captions (AVE_PREVIEW (preview), FALSE);
  g_assert_cmpint (ave_preview_get_caption (AVE_PREVIEW (preview)), ==, -1);
  spin (0.2);
  hidden = render_widget (preview, &width, &height);
  g_test_message ("caption: top half differs by %.2f, bottom half by %.2f",
                  rows_difference (shown, hidden, width, 0, height / 3),
                  rows_difference (shown, hidden, width, height / 3, height));
  g_assert_cmpfloat (rows_difference (shown, hidden, width, 0, height / 3), <, 0.5);
  g_assert_cmpfloat (rows_difference (shown, hidden, width, height / 3, height), >, 2.0);

  /* The plan edited: the words of a cut segment have no caption, and the
   * cues after it follow the new output times. */
  ave_preview_set_show_captions (AVE_PREVIEW (preview), TRUE);
  g_assert_true (ave_plan_set_segment_enabled (plan, 1, FALSE));
  ave_preview_seek (AVE_PREVIEW (preview), 6.6);
  g_clear_pointer (&text, g_free);
  expected = engine_cue (analysis, plan, 6.6, &text);
  g_assert_cmpint (expected, >=, 0);
  g_assert_null (strstr (text, "part"));
  g_assert_nonnull (strstr (text, "here"));
  g_assert_cmpint (ave_preview_get_caption (AVE_PREVIEW (preview)), ==, expected);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  ave_test_init (&argc, &argv);
  gtk_init ();

  g_test_add_func ("/app/timeline/filmstrip", test_filmstrip);
  g_test_add_func ("/app/timeline/edit", test_timeline);
  g_test_add_func ("/app/timeline/drag", test_drag);
  g_test_add_func ("/app/timeline/palette", test_palette);
#ifdef GDK_WINDOWING_X11
  g_test_add_func ("/app/timeline/keyboard", test_keyboard);
#endif
  g_test_add_func ("/app/timeline/preview", test_preview);
  g_test_add_func ("/app/timeline/captions", test_timeline_captions);
  g_test_add_func ("/app/timeline/preview-captions", test_preview_captions);

  return g_test_run ();
}
