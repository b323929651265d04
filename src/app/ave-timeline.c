#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "director/ave-snap.h"
#include "ave-filmstrip.h"
#include "ave-timeline-layout.h"
#include "ave-timeline.h"
#include "ave-timeline-private.h"

/* Rows, top to bottom. */
#define RULER_H    18
#define FILM_H     54
#define WAVE_H     40
#define MARKS_H    14
#define OVERLAY_H  16
#define SEGMENT_H  28
#define CAPTION_H  20
#define ROWS_H     (RULER_H + FILM_H + WAVE_H + MARKS_H + OVERLAY_H + SEGMENT_H + CAPTION_H)
#define FILM_Y     RULER_H
#define WAVE_Y     (FILM_Y + FILM_H)
#define MARKS_Y    (WAVE_Y + WAVE_H)
#define OVERLAY_Y  (MARKS_Y + MARKS_H)
#define SEGMENT_Y  (OVERLAY_Y + OVERLAY_H)
#define CAPTION_Y  (SEGMENT_Y + SEGMENT_H)

/* Margin so the first and last edges can be grabbed. */
#define PAD              10.0
#define EDGE_TOLERANCE    6.0
/* Snapping reaches this far on screen whatever the zoom. */
#define SNAP_PIXELS       8.0
/* A drag shorter than this is a click. */
#define DRAG_THRESHOLD    4.0
/* The shortest segment a trim leaves: a few frames, visible on screen. */
#define MIN_TRIM_LENGTH   0.05
#define MIN_ZOOM          0.01
#define MAX_ZOOM        800.0
#define ZOOM_STEP         1.25

typedef enum {
  DRAG_NONE,
  DRAG_TRIM_START,
  DRAG_TRIM_END,
  DRAG_MOVE,
  DRAG_MOVE_TITLE,     /* a title card to another slot */
  DRAG_MOVE_OVERLAY,   /* an overlay card along output time */
} DragMode;

struct _AveTimeline
{
  GtkWidget          parent_instance;

  AvePlanHistory    *history;
  AvePlan           *plan;           /* the history's */
  gulong             plan_changed_id;
  AveAnalysis       *analysis;
  AveTimelineLayout *layout;
  AveFilmstrip      *filmstrip;
  gulong             filmstrip_id;
  int                thumb_width;

  /* The captions of the plan as it is now, built by the engine
   * (ave-captions.h) from the analysis' words, and their blocks at the
   * current zoom. */
  GArray            *caption_words;
  GArray            *caption_cues;
  GArray            *caption_blocks;

  GtkWidget         *scrollbar;
  GtkAdjustment     *hadjustment;
  GtkWidget         *menu;

  double             zoom;
  gboolean           zoom_chosen;    /* FALSE: keep fitting the width */
  double             playhead;
  int                selected;
  int                selected_card;
  double             pointer_x;
  double             drop_hover_x;   /* content x of a card dragged over us, or -1 */

  /* the drag in progress */
  DragMode           drag_mode;
  guint              drag_item;
  gboolean           drag_active;
  double             drag_start_x;   /* content x */
  double             drag_x;         /* content x */
  double             drag_time;      /* trim: the snapped source time */
  AveSnapKind        drag_snap;
  guint              drag_slot;      /* move: the target index */
  guint              drag_card;      /* card moves: the card's index */
  double             drag_card_time; /* overlay moves: its output time at the start */
};

G_DEFINE_FINAL_TYPE (AveTimeline, ave_timeline, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_PLAYHEAD,
  PROP_ZOOM,
  PROP_SELECTED_SEGMENT,
  PROP_SELECTED_CARD,
  N_PROPS
};

enum { SEEK, N_SIGNALS };

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------ geometry */

static double
scroll_offset (AveTimeline *self)
{
  return gtk_adjustment_get_value (self->hadjustment);
}

static double
to_content_x (AveTimeline *self,
              double       widget_x)
{
  return widget_x + scroll_offset (self) - PAD;
}

static double
to_widget_x (AveTimeline *self,
             double       content_x)
{
  return content_x - scroll_offset (self) + PAD;
}

static const AveTimelineItem *
layout_item (AveTimeline *self,
             guint        i)
{
  return &g_array_index (self->layout->items, AveTimelineItem, i);
}

static void
update_adjustment (AveTimeline *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double content = self->layout != NULL ? self->layout->total_width : 0.0;
  double upper = MAX (content + 2 * PAD, width);

  gtk_adjustment_configure (self->hadjustment,
                            CLAMP (gtk_adjustment_get_value (self->hadjustment), 0.0,
                                   MAX (0.0, upper - width)),
                            0.0, upper, 20.0, MAX (1.0, width * 0.9), MAX (1.0, width));
}

static void
rebuild_layout (AveTimeline *self)
{
  g_clear_pointer (&self->layout, ave_timeline_layout_free);
  g_clear_pointer (&self->caption_blocks, g_array_unref);
  if (self->plan != NULL)
    {
      self->layout = ave_timeline_layout_new (self->plan, self->zoom);
      self->caption_blocks = ave_timeline_layout_captions (self->layout, self->caption_cues);
    }
  update_adjustment (self);
}

/* The cues final.srt would hold for the plan as edited: the engine maps
 * the words through the plan and builds the cues, so a cut word's cue
 * goes and a restored one comes back. */
static void
rebuild_captions (AveTimeline *self)
{
  g_clear_pointer (&self->caption_words, g_array_unref);
  g_clear_pointer (&self->caption_cues, g_array_unref);
  if (self->plan == NULL || self->analysis == NULL || self->analysis->words == NULL ||
      self->analysis->words->len == 0)
    return;
  self->caption_words = ave_caption_words_map (self->analysis, self->plan);
  self->caption_cues = ave_captions_build (self->caption_words, ave_captions_frame_rate (self->analysis),
                                           ave_analysis_get_language (self->analysis));
}

static void
fit_if_not_chosen (AveTimeline *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * PAD;

  if (self->zoom_chosen || self->plan == NULL || width <= 0)
    return;
  self->zoom = CLAMP (ave_timeline_layout_fit_zoom (self->plan, width), MIN_ZOOM, MAX_ZOOM);
  rebuild_layout (self);
}

/* --------------------------------------------------------------- actions */

static void
update_actions (AveTimeline *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  const AveSegment *segment = NULL;
  gboolean splittable = FALSE;
  guint item;

  if (self->plan != NULL && self->selected >= 0 &&
      (guint) self->selected < ave_plan_get_n_segments (self->plan))
    segment = ave_plan_get_segment (self->plan, self->selected);
  if (self->layout != NULL)
    splittable = ave_timeline_layout_source_to_x (self->layout, self->playhead, NULL, &item);

  gtk_widget_action_set_enabled (widget, "timeline.cut", segment != NULL && segment->enabled);
  gtk_widget_action_set_enabled (widget, "timeline.restore", segment != NULL && !segment->enabled);
  gtk_widget_action_set_enabled (widget, "timeline.toggle-cut", segment != NULL);
  gtk_widget_action_set_enabled (widget, "timeline.remove", segment != NULL);
  gtk_widget_action_set_enabled (widget, "timeline.transition", segment != NULL && self->selected > 0);
  gtk_widget_action_set_enabled (widget, "timeline.split", splittable);
  gtk_widget_action_set_enabled (widget, "timeline.remove-card", self->selected_card >= 0);
  gtk_widget_action_set_enabled (widget, "timeline.delete",
                                 self->selected_card >= 0 || (segment != NULL && segment->enabled));
}

static void
set_selected_card (AveTimeline *self,
                   int          index);

/* One thing is selected at a time: a segment or a card. */
static void
set_selected (AveTimeline *self,
              int          index)
{
  if (self->plan == NULL || index < 0 || (guint) index >= ave_plan_get_n_segments (self->plan))
    index = -1;
  if (index >= 0)
    set_selected_card (self, -1);
  if (self->selected == index)
    return;
  self->selected = index;
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_SEGMENT]);
}

static void
set_selected_card (AveTimeline *self,
                   int          index)
{
  if (self->plan == NULL || index < 0 || (guint) index >= ave_plan_get_n_cards (self->plan))
    index = -1;
  if (index >= 0)
    set_selected (self, -1);
  if (self->selected_card == index)
    return;
  self->selected_card = index;
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_CARD]);
}

static void
set_segment_enabled (AveTimeline *self,
                     gboolean     enabled)
{
  if (self->history != NULL && self->selected >= 0)
    ave_plan_history_set_enabled (self->history, self->selected, enabled);
}

static void
action_cut (GtkWidget  *widget,
            const char *name,
            GVariant   *param)
{
  set_segment_enabled (AVE_TIMELINE (widget), FALSE);
}

static void
action_restore (GtkWidget  *widget,
                const char *name,
                GVariant   *param)
{
  set_segment_enabled (AVE_TIMELINE (widget), TRUE);
}

static void
action_toggle_cut (GtkWidget  *widget,
                   const char *name,
                   GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);

  if (self->plan != NULL && self->selected >= 0)
    set_segment_enabled (self, !ave_plan_get_segment (self->plan, self->selected)->enabled);
}

static void
action_remove (GtkWidget  *widget,
               const char *name,
               GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  int index = self->selected;

  if (self->history != NULL && index >= 0 && ave_plan_history_remove (self->history, index))
    set_selected (self, MIN (index, (int) ave_plan_get_n_segments (self->plan) - 1));
}

static void
action_remove_card (GtkWidget  *widget,
                    const char *name,
                    GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  int index = self->selected_card;

  if (self->history != NULL && index >= 0 && ave_plan_history_remove_card (self->history, index))
    set_selected_card (self, -1);
}

/* Delete: a selected card goes; a selected segment is cut (kept, greyed,
 * restorable). */
static void
action_delete (GtkWidget  *widget,
               const char *name,
               GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);

  if (self->selected_card >= 0)
    action_remove_card (widget, name, param);
  else
    set_segment_enabled (self, FALSE);
}

static void
action_split (GtkWidget  *widget,
              const char *name,
              GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  guint item;

  if (self->history == NULL || self->layout == NULL ||
      !ave_timeline_layout_source_to_x (self->layout, self->playhead, NULL, &item))
    return;
  if (ave_plan_history_split (self->history, layout_item (self, item)->index, self->playhead))
    set_selected (self, layout_item (self, item)->index + 1);
  else
    gtk_widget_error_bell (widget);
}

static void
action_transition (GtkWidget  *widget,
                   const char *name,
                   GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  const char *kind = g_variant_get_string (param, NULL);
  AveTransitionType type = AVE_TRANSITION_CUT;
  double duration = 0.0;

  if (self->history == NULL || self->selected <= 0)
    return;

  if (g_str_equal (kind, "crossfade"))
    type = AVE_TRANSITION_CROSSFADE;
  else if (g_str_equal (kind, "fade"))
    type = AVE_TRANSITION_FADE;

  if (type != AVE_TRANSITION_CUT)
    {
      const AveSegment *segment = ave_plan_get_segment (self->plan, self->selected);
      const AveSegment *previous = ave_plan_get_segment (self->plan, self->selected - 1);
      double shortest = MIN (segment->end - segment->start, previous->end - previous->start);

      /* Half a second, as the director uses, unless a neighbour is too
       * short for it. */
      duration = MIN (0.5, shortest / 2.0);
    }
  if (!ave_plan_history_set_transition (self->history, self->selected, type, duration))
    gtk_widget_error_bell (widget);
}

static void
zoom_around (AveTimeline *self,
             double       zoom,
             double       widget_x)
{
  double content_x = to_content_x (self, widget_x);
  double old = self->zoom;

  zoom = CLAMP (zoom, MIN_ZOOM, MAX_ZOOM);
  self->zoom_chosen = TRUE;
  if (zoom == old)
    return;

  self->zoom = zoom;
  rebuild_layout (self);
  gtk_adjustment_set_value (self->hadjustment, content_x * zoom / old - (widget_x - PAD));
  if (self->filmstrip != NULL)
    ave_filmstrip_drop_requests (self->filmstrip);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

static double
playhead_or_centre_x (AveTimeline *self)
{
  double x;

  if (self->layout != NULL &&
      ave_timeline_layout_source_to_x (self->layout, self->playhead, &x, NULL))
    {
      double wx = to_widget_x (self, x);

      if (wx >= 0 && wx <= gtk_widget_get_width (GTK_WIDGET (self)))
        return wx;
    }
  return gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
}

static void
action_zoom_in (GtkWidget  *widget,
                const char *name,
                GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);

  zoom_around (self, self->zoom * ZOOM_STEP, playhead_or_centre_x (self));
}

static void
action_zoom_out (GtkWidget  *widget,
                 const char *name,
                 GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);

  zoom_around (self, self->zoom / ZOOM_STEP, playhead_or_centre_x (self));
}

static void
action_zoom_fit (GtkWidget  *widget,
                 const char *name,
                 GVariant   *param)
{
  ave_timeline_zoom_to_fit (AVE_TIMELINE (widget));
}

/* ---------------------------------------------------------------- model */

static void
on_plan_changed (AvePlan     *plan,
                 AveTimeline *self)
{
  rebuild_captions (self);
  rebuild_layout (self);
  if (self->selected >= (int) ave_plan_get_n_segments (plan))
    set_selected (self, (int) ave_plan_get_n_segments (plan) - 1);
  if (self->selected_card >= (int) ave_plan_get_n_cards (plan))
    set_selected_card (self, -1);
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_filmstrip_updated (AveFilmstrip *filmstrip,
                      AveTimeline  *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
clear_model (AveTimeline *self)
{
  if (self->plan != NULL)
    g_clear_signal_handler (&self->plan_changed_id, self->plan);
  if (self->filmstrip != NULL)
    g_clear_signal_handler (&self->filmstrip_id, self->filmstrip);
  g_clear_object (&self->filmstrip);
  g_clear_object (&self->plan);
  g_clear_object (&self->history);
  g_clear_pointer (&self->analysis, ave_analysis_unref);
  g_clear_pointer (&self->layout, ave_timeline_layout_free);
  g_clear_pointer (&self->caption_blocks, g_array_unref);
  g_clear_pointer (&self->caption_cues, g_array_unref);
  g_clear_pointer (&self->caption_words, g_array_unref);
}

void
ave_timeline_set_model (AveTimeline    *self,
                        AvePlanHistory *history,
                        AveAnalysis    *analysis)
{
  const char *source = NULL;

  g_return_if_fail (AVE_IS_TIMELINE (self));
  g_return_if_fail (history == NULL || AVE_IS_PLAN_HISTORY (history));

  if (history != NULL)
    g_object_ref (history);
  if (analysis != NULL)
    ave_analysis_ref (analysis);
  clear_model (self);
  self->history = history;
  self->analysis = analysis;

  if (history != NULL)
    {
      self->plan = g_object_ref (ave_plan_history_get_plan (history));
      self->plan_changed_id = g_signal_connect (self->plan, "changed",
                                                G_CALLBACK (on_plan_changed), self);
      source = ave_plan_get_source (self->plan);
    }

  if (source != NULL && g_file_test (source, G_FILE_TEST_IS_REGULAR))
    {
      double aspect = 16.0 / 9.0;
      const AveMediaInfo *media = analysis != NULL ? analysis->media : NULL;

      if (media != NULL && media->has_video && media->display_width > 0 && media->display_height > 0)
        aspect = (double) media->display_width / media->display_height;
      self->thumb_width = MAX (8, (int) lround ((FILM_H - 4) * aspect));
      self->filmstrip = ave_filmstrip_new (source, self->thumb_width, FILM_H - 4);
      self->filmstrip_id = g_signal_connect (self->filmstrip, "updated",
                                             G_CALLBACK (on_filmstrip_updated), self);
    }

  self->zoom_chosen = FALSE;
  self->selected = -1;
  self->selected_card = -1;
  self->drag_mode = DRAG_NONE;
  rebuild_captions (self);
  rebuild_layout (self);
  fit_if_not_chosen (self);
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_SEGMENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_CARD]);
}

/* -------------------------------------------------------------- drawing */

static void
append_rect (GtkSnapshot   *snapshot,
             const GdkRGBA *color,
             double         x,
             double         y,
             double         width,
             double         height)
{
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (x, y, width, height));
}

static void
append_text (AveTimeline   *self,
             GtkSnapshot   *snapshot,
             const char    *text,
             const GdkRGBA *color,
             double         x,
             double         y,
             double         max_width)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoFontDescription *font = pango_font_description_from_string ("Sans 8");

  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static char *
format_time (double seconds,
             double precision)
{
  int minutes = (int) (seconds / 60.0);
  double rest = seconds - minutes * 60.0;

  if (precision >= 1.0)
    return g_strdup_printf ("%d:%02d", minutes, (int) floor (rest + 1e-6));
  return g_strdup_printf ("%d:%04.1f", minutes, rest);
}

/* Ticks in OUTPUT time: the ruler reads what the render will show. */
static void
draw_ruler (AveTimeline *self,
            GtkSnapshot *snapshot,
            double       visible_start,
            double       visible_end)
{
  static const double spacings[] = { 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600 };
  GdkRGBA tick = { 0.5, 0.5, 0.5, 0.8 };
  GdkRGBA label = { 0.55, 0.55, 0.55, 1.0 };
  double spacing = spacings[G_N_ELEMENTS (spacings) - 1];

  for (guint i = 0; i < G_N_ELEMENTS (spacings); i++)
    if (spacings[i] * self->zoom >= 70.0)
      {
        spacing = spacings[i];
        break;
      }

  for (guint i = 0; i < self->layout->items->len; i++)
    {
      const AveTimelineItem *item = layout_item (self, i);
      double duration = item->width / self->zoom;

      if (!item->enabled || item->x + item->width < visible_start || item->x > visible_end)
        continue;

      for (double t = ceil (item->output_start / spacing - 1e-9) * spacing;
           t <= item->output_start + duration + 1e-9; t += spacing)
        {
          double x = to_widget_x (self, item->x + (t - item->output_start) * self->zoom);
          g_autofree char *text = format_time (t, spacing);

          append_rect (snapshot, &tick, x, RULER_H - 6, 1, 6);
          append_text (self, snapshot, text, &label, x + 2, 1, -1);
        }
    }
}

static void
draw_filmstrip (AveTimeline           *self,
                GtkSnapshot           *snapshot,
                const AveTimelineItem *item,
                double                 visible_start,
                double                 visible_end)
{
  double tile_seconds, grid;
  double first_x, last_x;

  if (self->filmstrip == NULL || self->thumb_width <= 0)
    return;

  /* Pictures are requested on a power-of-two grid of seconds no coarser
   * than a tile, so zoom levels share what was decoded. */
  tile_seconds = self->thumb_width / self->zoom;
  grid = exp2 (floor (log2 (tile_seconds)));
  first_x = MAX (item->x, visible_start);
  last_x = MIN (item->x + item->width, visible_end);
  first_x = item->x + floor ((first_x - item->x) / self->thumb_width) * self->thumb_width;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (to_widget_x (self, item->x), FILM_Y,
                                                         item->width, FILM_H));
  for (double x = first_x; x < last_x; x += self->thumb_width)
    {
      double t = item->start + (x - item->x) / self->zoom;
      GdkTexture *texture = ave_filmstrip_lookup (self->filmstrip, t, grid);

      if (texture != NULL)
        gtk_snapshot_append_texture (snapshot, texture,
                                     &GRAPHENE_RECT_INIT (to_widget_x (self, x), FILM_Y + 2,
                                                          self->thumb_width, FILM_H - 4));
    }
  gtk_snapshot_pop (snapshot);
}

static void
draw_waveform (AveTimeline           *self,
               GtkSnapshot           *snapshot,
               const AveTimelineItem *item,
               double                 visible_start,
               double                 visible_end)
{
  double first_x = MAX (item->x, visible_start);
  double last_x = MIN (item->x + item->width, visible_end);
  double mid = WAVE_Y + WAVE_H / 2.0;
  double half = WAVE_H / 2.0 - 2.0;
  cairo_t *cr;

  if (self->filmstrip == NULL || last_x <= first_x)
    return;

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (to_widget_x (self, first_x), WAVE_Y,
                                                       last_x - first_x + 1, WAVE_H));
  cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, item->enabled ? 0.9 : 0.45);
  cairo_set_line_width (cr, 1.0);
  for (double x = floor (first_x); x < last_x; x += 1.0)
    {
      double t0 = item->start + (x - item->x) / self->zoom;
      double t1 = t0 + 1.0 / self->zoom;
      float lo, hi;
      double wx = floor (to_widget_x (self, x)) + 0.5;

      if (!ave_filmstrip_get_peaks (self->filmstrip, MAX (t0, item->start),
                                    MIN (t1, item->end), &lo, &hi))
        break;
      cairo_move_to (cr, wx, mid - MAX (hi, 0.01f) * half);
      cairo_line_to (cr, wx, mid - MIN (lo, -0.01f) * half);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}

/* The x of a source time inside an item (the time may lie outside it). */
static double
item_time_x (AveTimeline           *self,
             const AveTimelineItem *item,
             double                 t)
{
  return to_widget_x (self, item->x + (t - item->start) * self->zoom);
}

static void
draw_analysis (AveTimeline           *self,
               GtkSnapshot           *snapshot,
               const AveTimelineItem *item)
{
  GdkRGBA shot_line = { 1, 1, 1, 0.85 };
  GdkRGBA silence = { 0.5, 0.5, 0.5, 0.25 };
  GdkRGBA word = { 0.55, 0.55, 0.6, 0.45 };
  GdkRGBA filler = { 0.96, 0.47, 0.0, 0.95 };
  GdkRGBA highlight = { 0.2, 0.76, 0.49, 0.5 };
  const AveAnalysis *a = self->analysis;

  if (a == NULL)
    return;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (to_widget_x (self, item->x), FILM_Y,
                                                         item->width, SEGMENT_Y - FILM_Y));

  for (guint i = 0; a->silences != NULL && i < a->silences->len; i++)
    {
      const AveInterval *s = &g_array_index (a->silences, AveInterval, i);

      if (s->end <= item->start || s->start >= item->end)
        continue;
      append_rect (snapshot, &silence, item_time_x (self, item, MAX (s->start, item->start)),
                   WAVE_Y, (MIN (s->end, item->end) - MAX (s->start, item->start)) * self->zoom,
                   WAVE_H);
    }

  for (guint i = 0; a->highlights != NULL && i < a->highlights->len; i++)
    {
      const AveHighlight *h = &g_array_index (a->highlights, AveHighlight, i);
      double next = i + 1 < a->highlights->len
                    ? g_array_index (a->highlights, AveHighlight, i + 1).time : h->time + 1.0;
      double height = CLAMP (h->score, 0.0, 1.0) * MARKS_H;

      if (next <= item->start || h->time >= item->end)
        continue;
      append_rect (snapshot, &highlight, item_time_x (self, item, h->time), MARKS_Y + MARKS_H - height,
                   MAX (1.0, (next - h->time) * self->zoom), height);
    }

  for (guint i = 0; a->words != NULL && i < a->words->len; i++)
    {
      const AveWord *w = &g_array_index (a->words, AveWord, i);

      if (w->end <= item->start || w->start >= item->end)
        continue;
      append_rect (snapshot, w->filler ? &filler : &word, item_time_x (self, item, w->start),
                   w->filler ? MARKS_Y + 1 : MARKS_Y + 4,
                   MAX (2.0, (w->end - w->start) * self->zoom - 1.0),
                   w->filler ? MARKS_H - 2 : MARKS_H - 8);
    }

  for (guint i = 0; a->shots != NULL && i < a->shots->len; i++)
    {
      const AveShot *shot = &g_array_index (a->shots, AveShot, i);

      if (i == 0 || shot->start <= item->start || shot->start >= item->end)
        continue;
      append_rect (snapshot, &shot_line, item_time_x (self, item, shot->start) - 1, FILM_Y, 2, FILM_H);
    }

  gtk_snapshot_pop (snapshot);
}

static void
draw_transition (GtkSnapshot       *snapshot,
                 AveTransitionType  transition,
                 double             x)
{
  cairo_t *cr;

  if (transition == AVE_TRANSITION_CUT)
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x - 8, SEGMENT_Y, 16, SEGMENT_H));
  cairo_set_source_rgba (cr, 1, 1, 1, 0.95);
  cairo_set_line_width (cr, 2.0);
  if (transition == AVE_TRANSITION_CROSSFADE)
    {
      /* One picture dissolving into the other: a cross. */
      cairo_move_to (cr, x - 6, SEGMENT_Y + 6);
      cairo_line_to (cr, x + 6, SEGMENT_Y + SEGMENT_H - 6);
      cairo_move_to (cr, x - 6, SEGMENT_Y + SEGMENT_H - 6);
      cairo_line_to (cr, x + 6, SEGMENT_Y + 6);
    }
  else
    {
      /* Down to black and back up. */
      cairo_move_to (cr, x - 6, SEGMENT_Y + 6);
      cairo_line_to (cr, x, SEGMENT_Y + SEGMENT_H - 6);
      cairo_line_to (cr, x + 6, SEGMENT_Y + 6);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}

/* How a played item joins the played item before it, as the composer
 * does it: a title card's own transition on both of its sides, otherwise
 * the segment's; nothing before the first. */
static AveTransitionType
join_before (AveTimeline           *self,
             const AveTimelineItem *item)
{
  const AveTimelineItem *previous = NULL;

  for (const AveTimelineItem *p = item; p > layout_item (self, 0); )
    {
      p--;
      if (p->output_start >= 0.0)
        {
          previous = p;
          break;
        }
    }
  if (previous == NULL)
    return AVE_TRANSITION_CUT;
  if (item->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    return ave_plan_get_card (self->plan, item->index)->transition;
  if (previous->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    return ave_plan_get_card (self->plan, previous->index)->transition;
  return ave_plan_get_segment (self->plan, item->index)->transition;
}

/* Diagonal stripes over a retake, so it reads as "cut" even without
 * colour. */
static void
draw_stripes (GtkSnapshot *snapshot,
              double       x,
              double       y,
              double       width,
              double       height)
{
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x, y, width, height));

  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.18);
  cairo_set_line_width (cr, 3.0);
  for (double sx = x - height; sx < x + width; sx += 10.0)
    {
      cairo_move_to (cr, sx, y + height);
      cairo_line_to (cr, sx + height, y);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
draw_segment (AveTimeline           *self,
              GtkSnapshot           *snapshot,
              const AveTimelineItem *item)
{
  GdkRGBA kept = { 0.21, 0.52, 0.89, 1.0 };
  GdkRGBA cut = { 0.47, 0.46, 0.48, 0.55 };
  /* An earlier take: amber with dark text, readable on dark and light
   * backgrounds alike, so it stands out from the grey of other cuts. */
  GdkRGBA retake = { 0.96, 0.66, 0.12, 1.0 };
  GdkRGBA retake_text = { 0.1, 0.08, 0.0, 1.0 };
  GdkRGBA dim = { 0.0, 0.0, 0.0, 0.55 };
  GdkRGBA text = { 1, 1, 1, 1 };
  GdkRGBA separator = { 0, 0, 0, 0.6 };
  const AveSegment *segment = ave_plan_get_segment (self->plan, item->index);
  double x = to_widget_x (self, item->x);
  g_autofree char *label = NULL;

  if (!item->enabled)
    append_rect (snapshot, &dim, x, FILM_Y, item->width, SEGMENT_Y - FILM_Y);

  append_rect (snapshot, item->enabled ? &kept : item->retake ? &retake : &cut, x + 1, SEGMENT_Y + 2,
               MAX (1.0, item->width - 2), SEGMENT_H - 4);
  if (item->retake)
    draw_stripes (snapshot, x + 1, SEGMENT_Y + 2, MAX (1.0, item->width - 2), SEGMENT_H - 4);
  append_rect (snapshot, &separator, x, FILM_Y, 1, ROWS_H - FILM_Y);

  if (item->width > 30)
    {
      g_autofree char *start = format_time (item->start, 0.1);

      if (item->enabled)
        label = segment->reason != NULL
                ? g_strdup_printf ("%s · %.1f s · %s", start, item->end - item->start, segment->reason)
                : g_strdup_printf ("%s · %.1f s", start, item->end - item->start);
      else if (item->retake)
        /* "retake of 6.00–9.00 s (…)": the kept take is named after "of". */
        label = g_strdup_printf ("Retake · %.1f s · kept: %s", item->end - item->start,
                                 segment->reason + strlen ("retake of "));
      else
        label = g_strdup_printf ("Cut · %s · %.1f s", start, item->end - item->start);
      append_text (self, snapshot, label, item->retake ? &retake_text : &text,
                   x + 6, SEGMENT_Y + 7, item->width - 12);
    }

  if (item->enabled)
    draw_transition (snapshot, join_before (self, item), x);

  if ((int) item->index == self->selected)
    {
      GskRoundedRect outline;
      GdkRGBA focus = { 1.0, 0.78, 0.0, 1.0 };
      const GdkRGBA colors[4] = { focus, focus, focus, focus };
      const float widths[4] = { 2, 2, 2, 2 };

      gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, SEGMENT_Y, item->width, SEGMENT_H), 3);
      gtk_snapshot_append_border (snapshot, &outline, widths, colors);
    }
}

static void
draw_title_card (AveTimeline           *self,
                 GtkSnapshot           *snapshot,
                 const AveTimelineItem *item)
{
  GdkRGBA body = { 0.38, 0.21, 0.51, 0.9 };
  GdkRGBA chip = { 0.57, 0.25, 0.67, 1.0 };
  GdkRGBA text = { 1, 1, 1, 1 };
  const AveCard *card = ave_plan_get_card (self->plan, item->index);
  double x = to_widget_x (self, item->x);
  g_autofree char *label = g_strdup_printf ("%s · %.1f s", card->title != NULL ? card->title : "Picture",
                                            card->duration);

  append_rect (snapshot, &body, x + 1, FILM_Y + 2, MAX (1.0, item->width - 2), OVERLAY_Y - FILM_Y - 4);
  append_rect (snapshot, &chip, x + 1, SEGMENT_Y + 2, MAX (1.0, item->width - 2), SEGMENT_H - 4);
  if (item->width > 24)
    {
      append_text (self, snapshot, card->title != NULL ? card->title : "", &text,
                   x + 6, FILM_Y + 8, item->width - 12);
      if (card->subtitle != NULL)
        append_text (self, snapshot, card->subtitle, &text, x + 6, FILM_Y + 24, item->width - 12);
      append_text (self, snapshot, label, &text, x + 6, SEGMENT_Y + 7, item->width - 12);
    }
  draw_transition (snapshot, join_before (self, item), x);
  if ((int) item->index == self->selected_card)
    {
      GskRoundedRect outline;
      GdkRGBA focus = { 1.0, 0.78, 0.0, 1.0 };
      const GdkRGBA colors[4] = { focus, focus, focus, focus };
      const float widths[4] = { 2, 2, 2, 2 };

      gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, SEGMENT_Y, item->width, SEGMENT_H), 3);
      gtk_snapshot_append_border (snapshot, &outline, widths, colors);
    }
}

/* Content x range an overlay card covers (its output span). */
static gboolean
overlay_span (AveTimeline   *self,
              const AveCard *card,
              double        *x0,
              double        *x1)
{
  if (card->kind != AVE_CARD_OVERLAY ||
      !ave_timeline_layout_output_to_x (self->layout, card->output_time, x0))
    return FALSE;
  if (!ave_timeline_layout_output_to_x (self->layout, card->output_time + card->duration, x1))
    *x1 = *x0 + card->duration * self->zoom;
  *x1 = MAX (*x1, *x0 + 4.0);
  return TRUE;
}

static int
overlay_at (AveTimeline *self,
            double       content_x)
{
  for (int i = (int) ave_plan_get_n_cards (self->plan) - 1; i >= 0; i--)
    {
      double x0, x1;

      if (overlay_span (self, ave_plan_get_card (self->plan, i), &x0, &x1) &&
          content_x >= x0 && content_x <= x1)
        return i;
    }
  return -1;
}

static void
draw_overlays (AveTimeline *self,
               GtkSnapshot *snapshot)
{
  GdkRGBA bar = { 0.57, 0.25, 0.67, 0.9 };
  GdkRGBA selected = { 1.0, 0.78, 0.0, 1.0 };
  GdkRGBA text = { 1, 1, 1, 1 };

  for (guint i = 0; i < ave_plan_get_n_cards (self->plan); i++)
    {
      const AveCard *card = ave_plan_get_card (self->plan, i);
      double x0, x1;

      if (!overlay_span (self, card, &x0, &x1))
        continue;
      if (self->drag_active && self->drag_mode == DRAG_MOVE_OVERLAY && self->drag_card == i)
        {
          x0 += self->drag_x - self->drag_start_x;
          x1 += self->drag_x - self->drag_start_x;
        }
      append_rect (snapshot, (int) i == self->selected_card ? &selected : &bar,
                   to_widget_x (self, x0), OVERLAY_Y + 1, x1 - x0, OVERLAY_H - 2);
      if (card->title != NULL && x1 - x0 > 24)
        append_text (self, snapshot, card->title, &text, to_widget_x (self, x0) + 4, OVERLAY_Y + 1,
                     x1 - x0 - 8);
    }
}

/* The output time under the playhead, for the cue being said; -1 when
 * the playhead is in a cut. */
static double
playhead_output_time (AveTimeline *self)
{
  return self->plan != NULL ? ave_playback_output_time (self->plan, -1, self->playhead) : -1.0;
}

/* The caption lane: one block a cue, where the output plays it, with its
 * text on one line; the cue under the playhead is outlined. */
static void
draw_captions (AveTimeline *self,
               GtkSnapshot *snapshot,
               double       visible_start,
               double       visible_end)
{
  GdkRGBA block = { 0.15, 0.50, 0.46, 1.0 };
  GdkRGBA current_color = { 1.0, 0.78, 0.0, 1.0 };
  GdkRGBA text = { 1, 1, 1, 1 };
  double now;
  int current;

  if (self->caption_blocks == NULL || self->caption_cues == NULL)
    return;
  now = playhead_output_time (self);
  current = now >= 0.0 ? ave_captions_cue_at (self->caption_cues, now) : -1;

  for (guint i = 0; i < self->caption_blocks->len; i++)
    {
      const AveTimelineCaption *c = &g_array_index (self->caption_blocks, AveTimelineCaption, i);
      const AveCue *cue = &g_array_index (self->caption_cues, AveCue, c->cue);
      double x = to_widget_x (self, c->x);

      if (c->x + c->width < visible_start || c->x > visible_end)
        continue;
      append_rect (snapshot, &block, x + 1, CAPTION_Y + 2, MAX (1.0, c->width - 2), CAPTION_H - 4);
      if (c->width > 24)
        {
          g_autofree char *line = g_strdelimit (g_strdup (cue->text), "\n", ' ');

          append_text (self, snapshot, line, &text, x + 5, CAPTION_Y + 3, c->width - 10);
        }
      if ((int) c->cue == current)
        {
          GskRoundedRect outline;
          const GdkRGBA colors[4] = { current_color, current_color, current_color, current_color };
          const float widths[4] = { 2, 2, 2, 2 };

          gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, CAPTION_Y + 1, c->width, CAPTION_H - 2), 2);
          gtk_snapshot_append_border (snapshot, &outline, widths, colors);
        }
    }
}

static const char *
snap_name (AveSnapKind kind)
{
  switch (kind)
    {
    case AVE_SNAP_SHOT: return "shot";
    case AVE_SNAP_WORD: return "word";
    case AVE_SNAP_SEGMENT: return "segment";
    case AVE_SNAP_NONE:
    default: return NULL;
    }
}

static void
draw_drag (AveTimeline *self,
           GtkSnapshot *snapshot)
{
  GdkRGBA snapped = { 1.0, 0.78, 0.0, 1.0 };
  GdkRGBA free_edge = { 1, 1, 1, 0.9 };
  GdkRGBA drop = { 0.21, 0.52, 0.89, 1.0 };
  GdkRGBA ghost = { 0.21, 0.52, 0.89, 0.45 };
  GdkRGBA label = { 1.0, 0.78, 0.0, 1.0 };
  const AveTimelineItem *item;

  if (self->drop_hover_x >= 0 && self->layout != NULL)
    {
      /* A card from the bin over the timeline: a title card would go in
       * at this slot boundary. */
      double x = ave_timeline_layout_drop_x (self->layout, G_MAXUINT,
                                             ave_timeline_layout_drop_index (self->layout, G_MAXUINT,
                                                                             self->drop_hover_x));

      append_rect (snapshot, &drop, to_widget_x (self, x) - 2, FILM_Y, 4, ROWS_H - FILM_Y);
      append_rect (snapshot, &ghost, to_widget_x (self, self->drop_hover_x) - 1, OVERLAY_Y, 2, OVERLAY_H);
    }

  if (!self->drag_active || self->layout == NULL || self->drag_item >= self->layout->items->len)
    return;

  item = layout_item (self, self->drag_item);
  if (self->drag_mode == DRAG_TRIM_START || self->drag_mode == DRAG_TRIM_END)
    {
      double x = item_time_x (self, item, self->drag_time);
      const char *name = snap_name (self->drag_snap);

      append_rect (snapshot, name != NULL ? &snapped : &free_edge, x - 1, 0, 2, ROWS_H);
      if (name != NULL)
        append_text (self, snapshot, name, &label, x + 4, FILM_Y + 2, -1);
    }
  else if (self->drag_mode == DRAG_MOVE_TITLE)
    {
      double x = to_widget_x (self, ave_timeline_layout_drop_x (self->layout, G_MAXUINT,
                                                               self->drag_slot));
      GdkRGBA card_ghost = { 0.57, 0.25, 0.67, 0.45 };

      append_rect (snapshot, &card_ghost,
                   to_widget_x (self, item->x + self->drag_x - self->drag_start_x),
                   SEGMENT_Y, item->width, SEGMENT_H);
      append_rect (snapshot, &drop, x - 2, FILM_Y, 4, ROWS_H - FILM_Y);
    }
  else if (self->drag_mode == DRAG_MOVE)
    {
      double x = to_widget_x (self, ave_timeline_layout_drop_x (self->layout, self->drag_item,
                                                               self->drag_slot));

      append_rect (snapshot, &ghost,
                   to_widget_x (self, item->x + self->drag_x - self->drag_start_x),
                   SEGMENT_Y, item->width, SEGMENT_H);
      append_rect (snapshot, &drop, x - 2, FILM_Y, 4, ROWS_H - FILM_Y);
    }
}

static void
ave_timeline_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  double width = gtk_widget_get_width (widget);
  GdkRGBA background = { 0.5, 0.5, 0.5, 0.12 };
  GdkRGBA playhead = { 0.88, 0.11, 0.14, 1.0 };
  double visible_start, visible_end, x;

  append_rect (snapshot, &background, 0, 0, width, ROWS_H);

  if (self->layout != NULL && self->layout->items->len > 0)
    {
      visible_start = to_content_x (self, 0);
      visible_end = to_content_x (self, width);

      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, ROWS_H));
      draw_ruler (self, snapshot, visible_start, visible_end);
      for (guint i = 0; i < self->layout->items->len; i++)
        {
          const AveTimelineItem *item = layout_item (self, i);

          if (item->x + item->width < visible_start || item->x > visible_end)
            continue;
          if (item->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
            {
              draw_title_card (self, snapshot, item);
              continue;
            }
          draw_filmstrip (self, snapshot, item, visible_start, visible_end);
          draw_waveform (self, snapshot, item, visible_start, visible_end);
          draw_analysis (self, snapshot, item);
          draw_segment (self, snapshot, item);
        }
      draw_overlays (self, snapshot);
      draw_captions (self, snapshot, visible_start, visible_end);
      draw_drag (self, snapshot);

      if (ave_timeline_layout_source_to_x (self->layout, self->playhead, &x, NULL))
        {
          x = to_widget_x (self, x);
          append_rect (snapshot, &playhead, x - 1, 0, 2, ROWS_H);
          append_rect (snapshot, &playhead, x - 4, 0, 8, 5);
        }
      gtk_snapshot_pop (snapshot);
    }

  /* The menu is a popover: its own surface draws it. */
  gtk_widget_snapshot_child (widget, self->scrollbar, snapshot);
}

/* ---------------------------------------------------------------- input */

static double
clamp_trim (AveTimeline           *self,
            const AveTimelineItem *item,
            DragMode               mode,
            double                 t)
{
  double duration = ave_plan_get_source_duration (self->plan);

  if (mode == DRAG_TRIM_START)
    return CLAMP (t, 0.0, item->end - MIN_TRIM_LENGTH);
  return CLAMP (t, item->start + MIN_TRIM_LENGTH, duration > 0 ? duration : G_MAXDOUBLE);
}

static gboolean
drag_begin_at (AveTimeline *self,
               double       x,
               double       y)
{
  AveTimelineHit hit;
  guint item = 0;

  self->drag_mode = DRAG_NONE;
  self->drag_active = FALSE;
  if (self->layout == NULL || y > ROWS_H)
    return FALSE;

  self->drag_start_x = self->drag_x = to_content_x (self, x);

  if (y >= OVERLAY_Y && y < OVERLAY_Y + OVERLAY_H)
    {
      int card = overlay_at (self, self->drag_start_x);

      if (card >= 0)
        {
          self->drag_mode = DRAG_MOVE_OVERLAY;
          self->drag_card = card;
          self->drag_card_time = ave_plan_get_card (self->plan, card)->output_time;
          return TRUE;
        }
    }

  hit = ave_timeline_layout_hit (self->layout, self->drag_start_x, EDGE_TOLERANCE, &item);
  self->drag_item = item;
  if (hit != AVE_TIMELINE_HIT_NONE && layout_item (self, item)->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    {
      /* Cards are moved whole; their length is edited in the card itself. */
      self->drag_mode = DRAG_MOVE_TITLE;
      self->drag_card = layout_item (self, item)->index;
      return TRUE;
    }
  switch (hit)
    {
    case AVE_TIMELINE_HIT_START: self->drag_mode = DRAG_TRIM_START; break;
    case AVE_TIMELINE_HIT_END: self->drag_mode = DRAG_TRIM_END; break;
    case AVE_TIMELINE_HIT_BODY: self->drag_mode = DRAG_MOVE; break;
    case AVE_TIMELINE_HIT_NONE:
    default: self->drag_mode = DRAG_NONE; break;
    }
  return TRUE;
}

static void
drag_begin (GtkGestureDrag *gesture,
            double          x,
            double          y,
            AveTimeline    *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (!drag_begin_at (self, x, y))
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
}

/* `snap`: FALSE while Shift is held. */
static void
drag_update_to (AveTimeline *self,
                double       offset_x,
                gboolean     snap)
{
  const AveTimelineItem *item;

  if (self->drag_mode == DRAG_NONE || self->layout == NULL)
    return;
  if (!self->drag_active && fabs (offset_x) < DRAG_THRESHOLD)
    return;

  self->drag_active = TRUE;
  self->drag_x = self->drag_start_x + offset_x;
  if (self->drag_mode == DRAG_MOVE_OVERLAY)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  item = layout_item (self, self->drag_item);

  if (self->drag_mode == DRAG_MOVE_TITLE)
    self->drag_slot = ave_timeline_layout_drop_index (self->layout, G_MAXUINT, self->drag_x);
  else if (self->drag_mode == DRAG_MOVE)
    {
      self->drag_slot = ave_timeline_layout_drop_index (self->layout, self->drag_item, self->drag_x);
    }
  else
    {
      AveTimelineHit edge = self->drag_mode == DRAG_TRIM_START ? AVE_TIMELINE_HIT_START
                                                               : AVE_TIMELINE_HIT_END;
      double t = ave_timeline_layout_edge_time (self->layout, self->drag_item, edge, self->drag_x);

      self->drag_snap = AVE_SNAP_NONE;
      if (snap)
        t = ave_snap_time_excluding (self->analysis, self->plan, item->index, t,
                                     SNAP_PIXELS / self->zoom, &self->drag_snap);
      self->drag_time = clamp_trim (self, item, self->drag_mode, t);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drag_update (GtkGestureDrag *gesture,
             double          offset_x,
             double          offset_y,
             AveTimeline    *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  drag_update_to (self, offset_x, !(state & GDK_SHIFT_MASK));
}

static void
drag_finish (AveTimeline *self)
{
  DragMode mode = self->drag_mode;
  gboolean active = self->drag_active;

  self->drag_mode = DRAG_NONE;
  self->drag_active = FALSE;

  if (self->layout == NULL || self->history == NULL)
    return;

  if (!active && (mode == DRAG_MOVE_OVERLAY || mode == DRAG_MOVE_TITLE))
    {
      set_selected_card (self, self->drag_card);
      return;
    }
  if (mode == DRAG_MOVE_OVERLAY || mode == DRAG_MOVE_TITLE)
    {
      gboolean done;

      self->zoom_chosen = TRUE;
      if (mode == DRAG_MOVE_TITLE)
        done = ave_plan_history_move_card (self->history, self->drag_card, self->drag_slot, 0.0);
      else
        {
          double x0, t = self->drag_card_time;

          if (ave_timeline_layout_output_to_x (self->layout, self->drag_card_time, &x0))
            ave_timeline_layout_x_to_output (self->layout,
                                             CLAMP (x0 + self->drag_x - self->drag_start_x,
                                                    0.0, self->layout->total_width), &t);
          done = ave_plan_history_move_card (self->history, self->drag_card, 0, MAX (0.0, t));
        }
      if (!done)
        gtk_widget_error_bell (GTK_WIDGET (self));
      set_selected_card (self, self->drag_card);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }

  if (!active)
    {
      double t;
      guint item;

      /* A click: select the segment and put the playhead there. */
      if (ave_timeline_layout_x_to_source (self->layout, self->drag_start_x, &t, &item))
        {
          set_selected (self, layout_item (self, item)->index);
          ave_timeline_set_playhead (self, t);
          g_signal_emit (self, signals[SEEK], 0, t);
        }
      else
        set_selected (self, -1);
      return;
    }

  {
    const AveTimelineItem *item = layout_item (self, self->drag_item);
    guint index = item->index;
    gboolean done = TRUE;

    /* The user now owns the zoom: the edit must not rescale the view. */
    self->zoom_chosen = TRUE;
    if (mode == DRAG_TRIM_START)
      done = ave_plan_history_trim (self->history, index, self->drag_time, item->end);
    else if (mode == DRAG_TRIM_END)
      done = ave_plan_history_trim (self->history, index, item->start, self->drag_time);
    else if (mode == DRAG_MOVE && self->drag_slot != index)
      {
        done = ave_plan_history_move (self->history, index, self->drag_slot);
        index = self->drag_slot;
      }
    if (!done)
      gtk_widget_error_bell (GTK_WIDGET (self));
    set_selected (self, index);
  }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drag_end (GtkGestureDrag *gesture,
          double          offset_x,
          double          offset_y,
          AveTimeline    *self)
{
  drag_finish (self);
}

void
_ave_timeline_drag (AveTimeline *self,
                    double       x0,
                    double       y0,
                    double       x1,
                    gboolean     snap)
{
  g_return_if_fail (AVE_IS_TIMELINE (self));

  if (!drag_begin_at (self, x0, y0))
    return;
  /* In steps, as a pointer moves. */
  for (int step = 1; step <= 8; step++)
    drag_update_to (self, (x1 - x0) * step / 8.0, snap);
  drag_finish (self);
}

double
_ave_timeline_row_y (AveTimelineRow row)
{
  switch (row)
    {
    case AVE_TIMELINE_ROW_FILM: return FILM_Y + FILM_H / 2.0;
    case AVE_TIMELINE_ROW_OVERLAY: return OVERLAY_Y + OVERLAY_H / 2.0;
    case AVE_TIMELINE_ROW_SEGMENT:
    default: return SEGMENT_Y + SEGMENT_H / 2.0;
    }
}

double
_ave_timeline_content_to_widget_x (AveTimeline *self,
                                   double       content_x)
{
  return to_widget_x (self, content_x);
}

GArray *
_ave_timeline_get_captions (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), NULL);

  return self->caption_cues;
}

const AveTimelineLayout *
_ave_timeline_get_layout (AveTimeline *self)
{
  return self->layout;
}

static void
context_pressed (GtkGestureClick *gesture,
                 int              n_press,
                 double           x,
                 double           y,
                 AveTimeline     *self)
{
  guint item;
  int overlay = -1;

  if (self->layout == NULL || y > ROWS_H)
    return;
  if (y >= OVERLAY_Y && y < OVERLAY_Y + OVERLAY_H)
    overlay = overlay_at (self, to_content_x (self, x));

  if (overlay >= 0)
    set_selected_card (self, overlay);
  else if (ave_timeline_layout_hit (self->layout, to_content_x (self, x), 0, &item) == AVE_TIMELINE_HIT_NONE)
    return;
  else if (layout_item (self, item)->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    set_selected_card (self, layout_item (self, item)->index);
  else
    set_selected (self, layout_item (self, item)->index);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

static void
motion (GtkEventControllerMotion *controller,
        double                    x,
        double                    y,
        AveTimeline              *self)
{
  guint item;
  AveTimelineHit hit = AVE_TIMELINE_HIT_NONE;

  self->pointer_x = x;
  if (self->layout != NULL && y <= ROWS_H)
    hit = ave_timeline_layout_hit (self->layout, to_content_x (self, x), EDGE_TOLERANCE, &item);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self),
                                   hit == AVE_TIMELINE_HIT_START || hit == AVE_TIMELINE_HIT_END
                                   ? "col-resize" : NULL);
}

const char *
ave_timeline_origin_label (AveSegmentOrigin origin)
{
  switch (origin)
    {
    case AVE_SEGMENT_ORIGIN_LLM:
      return "decided by the language model; the reason is its own";
    case AVE_SEGMENT_ORIGIN_USER:
      return "edited by hand";
    case AVE_SEGMENT_ORIGIN_IMPORT:
      return "imported from another editor";
    case AVE_SEGMENT_ORIGIN_LOCAL:
    default:
      return "decided by the local rules";
    }
}

/* What is under the pointer, in words: a segment's reason (a retake
 * names the take that was kept), a cue's text and times. */
static gboolean
query_tooltip (GtkWidget  *widget,
               int         x,
               int         y,
               gboolean    keyboard,
               GtkTooltip *tooltip,
               gpointer    user_data)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  double content_x = to_content_x (self, x);
  g_autofree char *text = NULL;
  guint item;

  if (self->layout == NULL || keyboard)
    return FALSE;

  if (y >= CAPTION_Y && y < CAPTION_Y + CAPTION_H && self->caption_blocks != NULL)
    {
      for (guint i = 0; i < self->caption_blocks->len && text == NULL; i++)
        {
          const AveTimelineCaption *c = &g_array_index (self->caption_blocks, AveTimelineCaption, i);
          gint64 start_ms, end_ms;

          if (content_x < c->x || content_x > c->x + c->width)
            continue;
          ave_captions_cue_times_ms (self->caption_cues, c->cue, &start_ms, &end_ms);
          text = g_strdup_printf ("%s\n(caption %u, %.2f–%.2f s of the output)",
                                  g_array_index (self->caption_cues, AveCue, c->cue).text,
                                  c->cue + 1, start_ms / 1000.0, end_ms / 1000.0);
        }
    }
  else if (y >= SEGMENT_Y && y < SEGMENT_Y + SEGMENT_H &&
           ave_timeline_layout_hit (self->layout, content_x, 0, &item) != AVE_TIMELINE_HIT_NONE &&
           layout_item (self, item)->kind == AVE_TIMELINE_ITEM_SEGMENT)
    {
      const AveTimelineItem *it = layout_item (self, item);
      const AveSegment *segment = ave_plan_get_segment (self->plan, it->index);
      const char *reason = segment->reason != NULL ? segment->reason : "";
      const char *origin = ave_timeline_origin_label (segment->origin);

      if (it->retake)
        text = g_strdup_printf ("Retake, cut: %.2f–%.2f s is an earlier take of %s.\n"
                                "Press R to restore it. (%s)",
                                it->start, it->end, reason + strlen ("retake of "), origin);
      else if (!it->enabled)
        text = g_strdup_printf ("Cut: %.2f–%.2f s%s%s\n(%s)", it->start, it->end,
                                *reason != '\0' ? " · " : "", reason, origin);
      else
        text = g_strdup_printf ("Kept: %.2f–%.2f s%s%s\n(%s)", it->start, it->end,
                                *reason != '\0' ? " · " : "", reason, origin);
    }

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static gboolean
scrolled (GtkEventControllerScroll *controller,
          double                    dx,
          double                    dy,
          AveTimeline              *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (state & GDK_CONTROL_MASK)
    {
      zoom_around (self, self->zoom * pow (ZOOM_STEP, -dy), self->pointer_x);
      return TRUE;
    }

  gtk_adjustment_set_value (self->hadjustment,
                            gtk_adjustment_get_value (self->hadjustment) + (dx != 0 ? dx : dy) * 40.0);
  return TRUE;
}

static void
on_scrolled (GtkAdjustment *adjustment,
             AveTimeline   *self)
{
  /* Pictures queued for where the view was are not wanted any more. */
  if (self->filmstrip != NULL)
    ave_filmstrip_drop_requests (self->filmstrip);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
add_card_at (AveTimeline   *self,
             const AveCard *card,
             double         content_x)
{
  g_autoptr(AveCard) copy = NULL;
  int index;

  if (self->history == NULL || self->layout == NULL || card == NULL)
    return FALSE;

  copy = ave_card_copy (card);
  if (copy->kind == AVE_CARD_TITLE)
    copy->insert_before = ave_timeline_layout_drop_index (self->layout, G_MAXUINT, content_x);
  else if (!ave_timeline_layout_x_to_output (self->layout,
                                             CLAMP (content_x, 0.0, self->layout->total_width),
                                             &copy->output_time))
    copy->output_time = 0.0;

  self->zoom_chosen = TRUE;
  index = ave_plan_history_add_card (self->history, copy);
  if (index < 0)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return FALSE;
    }
  set_selected_card (self, index);
  return TRUE;
}

static GdkDragAction
drop_motion (GtkDropTarget *target,
             double         x,
             double         y,
             AveTimeline   *self)
{
  if (self->layout == NULL || self->history == NULL)
    return 0;
  self->drop_hover_x = to_content_x (self, x);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return GDK_ACTION_COPY;
}

static void
drop_leave (GtkDropTarget *target,
            AveTimeline   *self)
{
  self->drop_hover_x = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
drop_card (GtkDropTarget *target,
           const GValue  *value,
           double         x,
           double         y,
           AveTimeline   *self)
{
  self->drop_hover_x = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return add_card_at (self, g_value_get_boxed (value), to_content_x (self, x));
}

/* ---------------------------------------------------------------- sizing */

static void
ave_timeline_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  int bar_min, bar_nat;

  gtk_widget_measure (self->scrollbar, orientation, -1, &bar_min, &bar_nat, NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MAX (bar_min, 120);
      *natural = MAX (bar_nat, 640);
    }
  else
    {
      *minimum = ROWS_H + bar_min;
      *natural = ROWS_H + bar_nat;
    }
}

static void
ave_timeline_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  int bar_height;

  /* The adjustment first: changing it makes the scrollbar lay out its
   * slider again, which must happen before the scrollbar is allocated. */
  fit_if_not_chosen (self);
  update_adjustment (self);

  gtk_widget_measure (self->scrollbar, GTK_ORIENTATION_VERTICAL, width, NULL, &bar_height, NULL, NULL);
  gtk_widget_allocate (self->scrollbar, width, bar_height, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (0, height - bar_height)));
  if (self->menu != NULL)
    gtk_popover_present (GTK_POPOVER (self->menu));
}

/* ------------------------------------------------------------ the object */

static void
ave_timeline_dispose (GObject *object)
{
  AveTimeline *self = AVE_TIMELINE (object);

  clear_model (self);
  g_clear_pointer (&self->scrollbar, gtk_widget_unparent);
  g_clear_pointer (&self->menu, gtk_widget_unparent);
  g_clear_object (&self->hadjustment);

  G_OBJECT_CLASS (ave_timeline_parent_class)->dispose (object);
}

static void
ave_timeline_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  AveTimeline *self = AVE_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;
    case PROP_PLAYHEAD:
      g_value_set_double (value, self->playhead);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_SELECTED_SEGMENT:
      g_value_set_int (value, self->selected);
      break;
    case PROP_SELECTED_CARD:
      g_value_set_int (value, self->selected_card);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_timeline_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  AveTimeline *self = AVE_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_PLAYHEAD:
      ave_timeline_set_playhead (self, g_value_get_double (value));
      break;
    case PROP_ZOOM:
      ave_timeline_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_SELECTED_SEGMENT:
      set_selected (self, g_value_get_int (value));
      break;
    case PROP_SELECTED_CARD:
      set_selected_card (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_timeline_class_init (AveTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ave_timeline_dispose;
  object_class->get_property = ave_timeline_get_property;
  object_class->set_property = ave_timeline_set_property;
  widget_class->snapshot = ave_timeline_snapshot;
  widget_class->measure = ave_timeline_measure;
  widget_class->size_allocate = ave_timeline_size_allocate;

  properties[PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL, AVE_TYPE_PLAN_HISTORY,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYHEAD] =
    g_param_spec_double ("playhead", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 50.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED_SEGMENT] =
    g_param_spec_int ("selected-segment", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED_CARD] =
    g_param_spec_int ("selected-card", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AveTimeline::seek:
   * @source_time: source seconds the user clicked
   */
  signals[SEEK] = g_signal_new ("seek", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_DOUBLE);

  gtk_widget_class_install_action (widget_class, "timeline.cut", NULL, action_cut);
  gtk_widget_class_install_action (widget_class, "timeline.restore", NULL, action_restore);
  gtk_widget_class_install_action (widget_class, "timeline.toggle-cut", NULL, action_toggle_cut);
  gtk_widget_class_install_action (widget_class, "timeline.remove", NULL, action_remove);
  gtk_widget_class_install_action (widget_class, "timeline.split", NULL, action_split);
  gtk_widget_class_install_action (widget_class, "timeline.remove-card", NULL, action_remove_card);
  gtk_widget_class_install_action (widget_class, "timeline.delete", NULL, action_delete);
  gtk_widget_class_install_action (widget_class, "timeline.transition", "s", action_transition);
  gtk_widget_class_install_action (widget_class, "timeline.zoom-in", NULL, action_zoom_in);
  gtk_widget_class_install_action (widget_class, "timeline.zoom-out", NULL, action_zoom_out);
  gtk_widget_class_install_action (widget_class, "timeline.zoom-fit", NULL, action_zoom_fit);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "timeline.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "timeline.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, 0, "timeline.restore", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, 0, "timeline.split", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "timeline.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "timeline.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "timeline.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "timeline.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "timeline.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "timeline.zoom-fit", NULL);

  gtk_widget_class_set_css_name (widget_class, "timeline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static GMenuModel *
build_menu (void)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) edit = g_menu_new ();
  g_autoptr(GMenu) transitions = g_menu_new ();

  g_menu_append (edit, "Cut Segment", "timeline.cut");
  g_menu_append (edit, "Restore Segment", "timeline.restore");
  g_menu_append (edit, "Split at Playhead", "timeline.split");
  g_menu_append (edit, "Remove Segment", "timeline.remove");
  g_menu_append (edit, "Remove Card", "timeline.remove-card");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (edit));
  g_menu_append (transitions, "Cut In", "timeline.transition::cut");
  g_menu_append (transitions, "Crossfade In", "timeline.transition::crossfade");
  g_menu_append (transitions, "Fade In Through Black", "timeline.transition::fade");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (transitions));
  return G_MENU_MODEL (menu);
}

static void
ave_timeline_init (AveTimeline *self)
{
  GtkGesture *drag, *context;
  GtkEventController *controller;
  g_autoptr(GMenuModel) menu = build_menu ();

  self->zoom = 50.0;
  self->selected = -1;
  self->selected_card = -1;
  self->drop_hover_x = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip), NULL);

  self->hadjustment = g_object_ref_sink (gtk_adjustment_new (0, 0, 1, 20, 100, 100));
  g_signal_connect (self->hadjustment, "value-changed", G_CALLBACK (on_scrolled), self);
  self->scrollbar = gtk_scrollbar_new (GTK_ORIENTATION_HORIZONTAL, self->hadjustment);
  gtk_widget_set_parent (self->scrollbar, GTK_WIDGET (self));

  self->menu = gtk_popover_menu_new_from_model (menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
  gtk_widget_set_halign (self->menu, GTK_ALIGN_START);
  gtk_widget_set_parent (self->menu, GTK_WIDGET (self));

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  context = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (context), GDK_BUTTON_SECONDARY);
  g_signal_connect (context, "pressed", G_CALLBACK (context_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (context));

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  /* Cards dragged from the bin (AveTimelineBin, or any AveCard value). */
  {
    GtkDropTarget *target = gtk_drop_target_new (AVE_TYPE_CARD, GDK_ACTION_COPY);

    g_signal_connect (target, "motion", G_CALLBACK (drop_motion), self);
    g_signal_connect (target, "enter", G_CALLBACK (drop_motion), self);
    g_signal_connect (target, "leave", G_CALLBACK (drop_leave), self);
    g_signal_connect (target, "drop", G_CALLBACK (drop_card), self);
    gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
  }

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (scrolled), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  update_actions (self);
}

GtkWidget *
ave_timeline_new (void)
{
  return g_object_new (AVE_TYPE_TIMELINE, NULL);
}

AvePlanHistory *
ave_timeline_get_history (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), NULL);

  return self->history;
}

double
ave_timeline_get_playhead (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), 0.0);

  return self->playhead;
}

void
ave_timeline_set_playhead (AveTimeline *self,
                           double       source_time)
{
  double x;

  g_return_if_fail (AVE_IS_TIMELINE (self));

  if (!isfinite (source_time))
    return;
  source_time = MAX (0.0, source_time);
  if (source_time == self->playhead)
    return;

  self->playhead = source_time;

  /* Follow playback: when the playhead leaves the view, page to it. */
  if (self->layout != NULL && !self->drag_active &&
      ave_timeline_layout_source_to_x (self->layout, source_time, &x, NULL))
    {
      double wx = to_widget_x (self, x);
      double width = gtk_widget_get_width (GTK_WIDGET (self));

      if (width > 0 && (wx < 0 || wx > width))
        gtk_adjustment_set_value (self->hadjustment, x - width * 0.1);
    }

  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYHEAD]);
}

double
ave_timeline_get_zoom (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), 0.0);

  return self->zoom;
}

void
ave_timeline_set_zoom (AveTimeline *self,
                       double       pixels_per_second)
{
  g_return_if_fail (AVE_IS_TIMELINE (self));

  if (!isfinite (pixels_per_second))
    return;
  zoom_around (self, pixels_per_second, playhead_or_centre_x (self));
}

void
ave_timeline_zoom_to_fit (AveTimeline *self)
{
  double old;

  g_return_if_fail (AVE_IS_TIMELINE (self));

  old = self->zoom;
  self->zoom_chosen = FALSE;
  fit_if_not_chosen (self);
  gtk_adjustment_set_value (self->hadjustment, 0.0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (old != self->zoom)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

int
ave_timeline_get_selected_segment (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), -1);

  return self->selected;
}

void
ave_timeline_set_selected_segment (AveTimeline *self,
                                   int          index)
{
  g_return_if_fail (AVE_IS_TIMELINE (self));

  set_selected (self, index);
}

int
ave_timeline_get_selected_card (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), -1);

  return self->selected_card;
}

AveAnalysis *
ave_timeline_get_analysis (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), NULL);

  return self->analysis;
}

gboolean
ave_timeline_insert_card (AveTimeline   *self,
                          const AveCard *card)
{
  double x = 0.0;

  g_return_val_if_fail (AVE_IS_TIMELINE (self), FALSE);
  g_return_val_if_fail (card != NULL, FALSE);

  if (self->layout == NULL)
    return FALSE;
  if (!ave_timeline_layout_source_to_x (self->layout, self->playhead, &x, NULL))
    x = 0.0;
  return add_card_at (self, card, x);
}
