#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "director/ave-snap.h"
#include "ave-filmstrip.h"
#include "ave-timeline-layer.h"
#include "ave-timeline-layout.h"
#include "ave-timeline-piece.h"
#include "ave-timeline.h"
#include "ave-timeline-private.h"

/* Pointer tolerances, in pixels. */
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

  /* the pointer edit in progress (and a card dragged over us) */
  AveTimelineDrag    drag;

  /* AveTimelineLayer, bottom to top */
  GPtrArray         *layers;
  /* AveTimelinePiece: the segments and cards as widgets, in the order
   * the keys walk them (AveTimeline's children before the scrollbar) */
  GPtrArray         *pieces;
  GArray            *piece_places;   /* PiecePlace, one a piece */
  guint              sync_pieces_id;
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
  return widget_x + scroll_offset (self) - AVE_TIMELINE_PAD;
}

static double
to_widget_x (AveTimeline *self,
             double       content_x)
{
  return content_x - scroll_offset (self) + AVE_TIMELINE_PAD;
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
  double upper = MAX (content + 2 * AVE_TIMELINE_PAD, width);

  gtk_adjustment_configure (self->hadjustment,
                            CLAMP (gtk_adjustment_get_value (self->hadjustment), 0.0,
                                   MAX (0.0, upper - width)),
                            0.0, upper, 20.0, MAX (1.0, width * 0.9), MAX (1.0, width));
}

static void
queue_sync_pieces (AveTimeline *self);

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
  queue_sync_pieces (self);
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
  double width = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * AVE_TIMELINE_PAD;

  if (self->zoom_chosen || self->plan == NULL || width <= 0)
    return;
  self->zoom = CLAMP (ave_timeline_layout_fit_zoom (self->plan, width), MIN_ZOOM, MAX_ZOOM);
  rebuild_layout (self);
}

/* --------------------------------------------------------------- pieces */

/* Where a piece sits, in content x and a row, and what it stands for. */
typedef struct
{
  AveTimelinePieceKind kind;
  guint                index;
  double               x, width;
  guint                order;    /* among equals: layout items first, then plan order */
} PiecePlace;

static int
compare_places (gconstpointer a,
                gconstpointer b)
{
  const PiecePlace *pa = a, *pb = b;

  if (pa->x != pb->x)
    return pa->x < pb->x ? -1 : 1;
  return pa->order < pb->order ? -1 : pa->order > pb->order;
}

static void
on_piece_focus (AveTimelinePiece *piece,
                GParamSpec       *pspec,
                AveTimeline      *self);

static void
set_selected (AveTimeline *self,
              int          index);

static void
set_selected_card (AveTimeline *self,
                   int          index);

static gboolean
piece_is_selected (AveTimeline      *self,
                   AveTimelinePiece *piece)
{
  int index = (int) ave_timeline_piece_get_index (piece);

  if (ave_timeline_piece_get_kind (piece) == AVE_TIMELINE_PIECE_SEGMENT)
    return index == self->selected;
  return index == self->selected_card;
}

static int
selected_piece (AveTimeline *self)
{
  for (guint i = 0; i < self->pieces->len; i++)
    if (piece_is_selected (self, g_ptr_array_index (self->pieces, i)))
      return (int) i;
  return -1;
}

static int
focused_piece (AveTimeline *self)
{
  for (guint i = 0; i < self->pieces->len; i++)
    if (gtk_widget_has_focus (g_ptr_array_index (self->pieces, i)))
      return (int) i;
  return -1;
}

/* Whether the keyboard is on the timeline (itself or a piece). */
static gboolean
has_focus_within (AveTimeline *self)
{
  return gtk_widget_has_focus (GTK_WIDGET (self)) || focused_piece (self) >= 0;
}

/* Pages the view so that content x0..x1 shows (its start first). */
static void
scroll_to_show (AveTimeline *self,
                double       x0,
                double       x1)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));

  if (width <= 0)
    return;
  if (to_widget_x (self, x0) < 0)
    gtk_adjustment_set_value (self->hadjustment, x0 - width * 0.1);
  else if (to_widget_x (self, x1) > width)
    gtk_adjustment_set_value (self->hadjustment, MIN (x0 - width * 0.1, x1 - width * 0.9));
}

/* The pieces follow the selection: their selected state, and the focus
 * when the keyboard is on the timeline (so a click, an undo or a move
 * leaves the focus on what is selected). */
static void
sync_selection (AveTimeline *self)
{
  int selected;

  for (guint i = 0; i < self->pieces->len; i++)
    {
      AveTimelinePiece *piece = g_ptr_array_index (self->pieces, i);

      ave_timeline_piece_set (piece, ave_timeline_piece_get_kind (piece), ave_timeline_piece_get_index (piece),
                              ave_timeline_piece_get_label (piece), piece_is_selected (self, piece));
    }
  selected = selected_piece (self);
  if (selected >= 0 && has_focus_within (self) && focused_piece (self) != selected)
    gtk_widget_grab_focus (g_ptr_array_index (self->pieces, selected));
}

/* One piece a segment, a title card and an overlay on the timeline, in
 * the order the keys walk them: by where they start, a segment or title
 * card before an overlay starting in it.  The widgets are reused, so the
 * focus stays on the timeline while the plan changes under it. */
static void
sync_pieces (AveTimeline *self)
{
  g_autoptr(GArray) places = g_array_new (FALSE, FALSE, sizeof (PiecePlace));

  g_clear_handle_id (&self->sync_pieces_id, g_source_remove);

  /* The plan has settled: a selection past its end moves to its last
   * segment (one removed at the end), or goes (a card). */
  if (self->plan != NULL && self->selected >= (int) ave_plan_get_n_segments (self->plan))
    set_selected (self, (int) ave_plan_get_n_segments (self->plan) - 1);
  if (self->plan != NULL && self->selected_card >= (int) ave_plan_get_n_cards (self->plan))
    set_selected_card (self, -1);

  if (self->layout != NULL)
    {
      guint order = 0;

      for (guint i = 0; i < self->layout->items->len; i++)
        {
          const AveTimelineItem *item = layout_item (self, i);
          PiecePlace place = { item->kind == AVE_TIMELINE_ITEM_SEGMENT ? AVE_TIMELINE_PIECE_SEGMENT
                                                                      : AVE_TIMELINE_PIECE_TITLE_CARD,
                               item->index, item->x, item->width, order++ };

          g_array_append_val (places, place);
        }
      for (guint i = 0; i < ave_plan_get_n_cards (self->plan); i++)
        {
          PiecePlace place = { AVE_TIMELINE_PIECE_OVERLAY, i, 0, 0, order++ };
          double x1;

          if (!ave_timeline_layout_overlay_span (self->layout, ave_plan_get_card (self->plan, i),
                                                 &place.x, &x1))
            continue;
          place.width = x1 - place.x;
          g_array_append_val (places, place);
        }
      g_array_sort (places, compare_places);
    }

  /* New pieces go first, in the widget tree and in the array alike (the
   * tree's order is what a screen reader lists): GTK 4.8's AT-SPI context
   * finds a new child's index by walking the siblings before it, so adding
   * a thousand at the end costs a million steps, at the front a thousand.
   * The places are handed out by position below, so the order is right. */
  while (self->pieces->len < places->len)
    {
      GtkWidget *piece = ave_timeline_piece_new ();

      gtk_widget_insert_after (piece, GTK_WIDGET (self), NULL);
      g_signal_connect (piece, "notify::has-focus", G_CALLBACK (on_piece_focus), self);
      g_ptr_array_insert (self->pieces, 0, piece);
    }
  /* Surplus pieces go from the front too, for the same reason. */
  while (self->pieces->len > places->len)
    {
      GtkWidget *piece = g_ptr_array_steal_index (self->pieces, 0);

      /* Keep the keyboard on the timeline, not on a widget that goes. */
      if (gtk_widget_has_focus (piece))
        gtk_widget_grab_focus (GTK_WIDGET (self));
      g_signal_handlers_disconnect_by_func (piece, on_piece_focus, self);
      gtk_widget_unparent (piece);
    }

  g_clear_pointer (&self->piece_places, g_array_unref);
  self->piece_places = g_steal_pointer (&places);
  for (guint i = 0; i < self->pieces->len; i++)
    {
      const PiecePlace *place = &g_array_index (self->piece_places, PiecePlace, i);
      g_autofree char *label = place->kind == AVE_TIMELINE_PIECE_SEGMENT
                               ? ave_timeline_describe_segment (self->plan, place->index)
                               : ave_timeline_describe_card (self->plan, place->index);

      ave_timeline_piece_set (g_ptr_array_index (self->pieces, i), place->kind, place->index, label, FALSE);
    }
  sync_selection (self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static gboolean
sync_pieces_idle (gpointer data)
{
  AveTimeline *self = data;

  self->sync_pieces_id = 0;
  sync_pieces (self);
  return G_SOURCE_REMOVE;
}

/* An undo rebuilds the plan one segment at a time, each step a "changed":
 * the pieces (and the selection) follow the plan once it has settled,
 * before the next frame is laid out, not at every step. */
static void
queue_sync_pieces (AveTimeline *self)
{
  if (self->sync_pieces_id == 0)
    self->sync_pieces_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, sync_pieces_idle, self, NULL);
}

/* Key events are dispatched before idles: a key that walks the pieces
 * right after an edit brings them up to date first. */
static void
flush_pieces (AveTimeline *self)
{
  if (self->sync_pieces_id != 0)
    sync_pieces (self);
}

static void
allocate_pieces (AveTimeline *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));

  for (guint i = 0; i < self->pieces->len; i++)
    {
      const PiecePlace *place = &g_array_index (self->piece_places, PiecePlace, i);
      gboolean overlay = place->kind == AVE_TIMELINE_PIECE_OVERLAY;
      /* Clipped to a little more than the view: a piece zoomed to many
       * thousand pixels still gets a sane size. */
      double x0 = MAX (to_widget_x (self, place->x), -8.0);
      double x1 = MIN (to_widget_x (self, place->x + place->width), width + 8.0);

      if (x1 - x0 < 1.0)
        {
          x0 = to_widget_x (self, place->x);
          x1 = x0 + 1.0;
        }
      gtk_widget_allocate (g_ptr_array_index (self->pieces, i), (int) ceil (x1 - x0),
                           overlay ? AVE_TIMELINE_OVERLAY_H : AVE_TIMELINE_SEGMENT_H, -1,
                           gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (floor (x0),
                                                                                overlay ? AVE_TIMELINE_OVERLAY_Y
                                                                                        : AVE_TIMELINE_SEGMENT_Y)));
    }
}

/* Selects what piece `i` stands for and, when the keyboard is on the
 * timeline, focuses it; shows it. */
static void
select_piece (AveTimeline *self,
              guint        i)
{
  AveTimelinePiece *piece = g_ptr_array_index (self->pieces, i);
  const PiecePlace *place = &g_array_index (self->piece_places, PiecePlace, i);

  if (ave_timeline_piece_get_kind (piece) == AVE_TIMELINE_PIECE_SEGMENT)
    set_selected (self, (int) ave_timeline_piece_get_index (piece));
  else
    set_selected_card (self, (int) ave_timeline_piece_get_index (piece));
  scroll_to_show (self, place->x, place->x + place->width);
}

/* A piece took the focus (Tab, a screen reader, select_piece): what it
 * stands for is the selection, what the keys act on. */
static void
on_piece_focus (AveTimelinePiece *piece,
                GParamSpec       *pspec,
                AveTimeline      *self)
{
  if (!gtk_widget_has_focus (GTK_WIDGET (piece)) || piece_is_selected (self, piece))
    return;
  for (guint i = 0; i < self->pieces->len; i++)
    if (g_ptr_array_index (self->pieces, i) == (gpointer) piece)
      select_piece (self, i);
}

/* Tab walks the pieces (entering at the selection), then leaves. */
static gboolean
ave_timeline_focus (GtkWidget        *widget,
                    GtkDirectionType  direction)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  int n, current;
  gboolean backward = direction == GTK_DIR_TAB_BACKWARD || direction == GTK_DIR_LEFT ||
                      direction == GTK_DIR_UP;
  int next;

  flush_pieces (self);
  n = (int) self->pieces->len;
  current = focused_piece (self);
  if (n == 0)
    return GTK_WIDGET_CLASS (ave_timeline_parent_class)->focus (widget, direction);

  if (current < 0 && !gtk_widget_has_focus (widget))
    {
      next = selected_piece (self);
      if (next < 0)
        next = backward ? n - 1 : 0;
    }
  else if (direction == GTK_DIR_TAB_FORWARD)
    next = current + 1;
  else if (direction == GTK_DIR_TAB_BACKWARD)
    next = current - 1;
  else
    /* Arrows are the timeline's own keys (select-previous/next); any
     * other direction leaves. */
    return FALSE;

  if (next < 0 || next >= n)
    return FALSE;
  gtk_widget_grab_focus (g_ptr_array_index (self->pieces, next));
  return TRUE;
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
  gtk_widget_action_set_enabled (widget, "timeline.trim-start", segment != NULL);
  gtk_widget_action_set_enabled (widget, "timeline.trim-end", segment != NULL);
  gtk_widget_action_set_enabled (widget, "timeline.move-by", segment != NULL || self->selected_card >= 0);
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
  sync_selection (self);
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
  sync_selection (self);
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

  if (ave_timeline_get_selected_segment (self) >= 0)
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

  if (self->history == NULL || ave_timeline_get_selected_segment (self) <= 0)
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
  gtk_adjustment_set_value (self->hadjustment, content_x * zoom / old - (widget_x - AVE_TIMELINE_PAD));
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

/* ---------------------------------------------------------- the keyboard */

/* Left/Right (previous/next), Home/End: the selection walks the pieces in
 * order, segments and cards alike, from the focused piece, else the
 * selected one. */
static void
select_step (AveTimeline *self,
             int          step)
{
  int n, current, next;

  flush_pieces (self);
  n = (int) self->pieces->len;
  current = focused_piece (self);
  if (n == 0)
    return;
  if (current < 0)
    current = selected_piece (self);
  if (step == G_MININT)
    next = 0;
  else if (step == G_MAXINT)
    next = n - 1;
  else if (current < 0)
    next = step > 0 ? 0 : n - 1;
  else
    next = CLAMP (current + step, 0, n - 1);
  if (next == current)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  select_piece (self, (guint) next);
}

static void
action_select (GtkWidget  *widget,
               const char *name,
               GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);

  if (g_str_equal (name, "timeline.select-next"))
    select_step (self, 1);
  else if (g_str_equal (name, "timeline.select-previous"))
    select_step (self, -1);
  else if (g_str_equal (name, "timeline.select-first"))
    select_step (self, G_MININT);
  else
    select_step (self, G_MAXINT);
}

/* One frame of the source: the unit the keys trim by. */
static double
frame_duration (AveTimeline *self)
{
  return 1.0 / (self->analysis != NULL ? ave_captions_frame_rate (self->analysis) : 25.0);
}

/* [ and ] move the selected segment's start a frame earlier or later,
 * { and } (Shift) its end; one undo step each, as a drag of the edge. */
static void
action_trim (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  gboolean end = g_str_equal (name, "timeline.trim-end");
  int frames = g_variant_get_int32 (param);
  double duration, start, stop;
  const AveSegment *segment;

  if (self->history == NULL || ave_timeline_get_selected_segment (self) < 0)
    return;
  segment = ave_plan_get_segment (self->plan, self->selected);
  duration = ave_plan_get_source_duration (self->plan);
  start = segment->start;
  stop = segment->end;
  if (end)
    stop = CLAMP (stop + frames * frame_duration (self), start + MIN_TRIM_LENGTH,
                  duration > 0 ? duration : G_MAXDOUBLE);
  else
    start = CLAMP (start + frames * frame_duration (self), 0.0, stop - MIN_TRIM_LENGTH);

  /* The user now owns the zoom: the edit must not rescale the view. */
  self->zoom_chosen = TRUE;
  if ((start == segment->start && stop == segment->end) ||
      !ave_plan_history_trim (self->history, self->selected, start, stop))
    gtk_widget_error_bell (widget);
}

/* Ctrl+Left / Ctrl+Right: the selected segment one place earlier or later
 * in the plan, a title card one slot, an overlay a second of output. */
static void
action_move_by (GtkWidget  *widget,
                const char *name,
                GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  int step = g_variant_get_int32 (param);
  gboolean done = FALSE;

  if (self->history == NULL)
    return;
  self->zoom_chosen = TRUE;
  if (ave_timeline_get_selected_segment (self) >= 0)
    {
      int to = self->selected + step;

      if (to >= 0 && to < (int) ave_plan_get_n_segments (self->plan) &&
          ave_plan_history_move (self->history, self->selected, to))
        {
          set_selected (self, to);
          done = TRUE;
        }
    }
  else if (ave_timeline_get_selected_card (self) >= 0)
    {
      const AveCard *card = ave_plan_get_card (self->plan, self->selected_card);

      if (card->kind == AVE_CARD_TITLE)
        {
          int slot = (int) card->insert_before + step;

          done = slot >= 0 && slot <= (int) ave_plan_get_n_segments (self->plan) &&
                 ave_plan_history_move_card (self->history, self->selected_card, slot, 0.0);
        }
      else
        done = card->output_time + step >= 0.0 &&
               ave_plan_history_move_card (self->history, self->selected_card, 0,
                                           card->output_time + step);
      sync_selection (self);
    }
  if (!done)
    gtk_widget_error_bell (widget);
}

/* Menu or Shift+F10: the segment menu (transitions among others) at the
 * selected piece, as a right-click opens it at the pointer. */
static void
action_menu (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  const PiecePlace *place;
  int i;

  flush_pieces (self);
  i = selected_piece (self);
  double x0, x1;

  if (i < 0)
    {
      gtk_widget_error_bell (widget);
      return;
    }
  place = &g_array_index (self->piece_places, PiecePlace, i);
  x0 = CLAMP (to_widget_x (self, place->x), 0, gtk_widget_get_width (widget));
  x1 = CLAMP (to_widget_x (self, place->x + place->width), x0 + 1, gtk_widget_get_width (widget));
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu),
                               &(GdkRectangle) { (int) x0,
                                                 place->kind == AVE_TIMELINE_PIECE_OVERLAY
                                                 ? AVE_TIMELINE_OVERLAY_Y : AVE_TIMELINE_SEGMENT_Y,
                                                 MAX (1, (int) (x1 - x0)),
                                                 place->kind == AVE_TIMELINE_PIECE_OVERLAY
                                                 ? AVE_TIMELINE_OVERLAY_H : AVE_TIMELINE_SEGMENT_H });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

/* The menu gave the focus back to the timeline: back to the selection. */
static void
on_menu_closed (GtkPopover  *popover,
                AveTimeline *self)
{
  sync_selection (self);
}

/* Ctrl+Z, Shift+Ctrl+Z / Ctrl+Y: the timeline's history, so a keyboard
 * edit is undone where it was made (the window's Undo does the same). */
static void
action_undo (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  gboolean redo = g_str_equal (name, "timeline.redo");

  if (self->history == NULL ||
      !(redo ? ave_plan_history_redo (self->history) : ave_plan_history_undo (self->history)))
    gtk_widget_error_bell (widget);
}

/* ---------------------------------------------------------------- model */

static void
on_plan_changed (AvePlan     *plan,
                 AveTimeline *self)
{
  rebuild_captions (self);
  rebuild_layout (self);
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
      self->thumb_width = MAX (8, (int) lround ((AVE_TIMELINE_FILM_H - 4) * aspect));
      self->filmstrip = ave_filmstrip_new (source, self->thumb_width, AVE_TIMELINE_FILM_H - 4);
      self->filmstrip_id = g_signal_connect (self->filmstrip, "updated",
                                             G_CALLBACK (on_filmstrip_updated), self);
    }

  self->zoom_chosen = FALSE;
  self->selected = -1;
  self->selected_card = -1;
  self->drag.mode = AVE_TIMELINE_DRAG_NONE;
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
ave_timeline_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  AveTimeline *self = AVE_TIMELINE (widget);
  double width = gtk_widget_get_width (widget);
  AveTimelineView view = { 0 };
  GdkRGBA background;

  ave_timeline_palette_init (&view.palette, widget);
  background = ave_timeline_palette_alpha (&view.palette.fg, 0.06);
  gtk_snapshot_append_color (snapshot, &background,
                             &GRAPHENE_RECT_INIT (0, 0, width, AVE_TIMELINE_ROWS_H));

  if (self->layout != NULL && self->layout->items->len > 0)
    {
      view.widget = widget;
      view.plan = self->plan;
      view.analysis = self->analysis;
      view.layout = self->layout;
      view.filmstrip = self->filmstrip;
      view.thumb_width = self->thumb_width;
      view.zoom = self->zoom;
      view.scroll = scroll_offset (self);
      view.width = width;
      view.visible_start = to_content_x (self, 0);
      view.visible_end = to_content_x (self, width);
      view.playhead = self->playhead;
      view.selected = self->selected;
      view.selected_card = self->selected_card;
      view.caption_cues = self->caption_cues;
      view.caption_blocks = self->caption_blocks;
      view.drag = &self->drag;

      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, AVE_TIMELINE_ROWS_H));
      for (guint i = 0; i < self->layers->len; i++)
        {
          AveTimelineLayer *layer = g_ptr_array_index (self->layers, i);

          /* The focus ring goes over the plan, under the edit in
           * progress and the playhead. */
          if (AVE_IS_TIMELINE_DRAG_LAYER (layer))
            for (guint p = 0; p < self->pieces->len; p++)
              gtk_widget_snapshot_child (widget, g_ptr_array_index (self->pieces, p), snapshot);
          ave_timeline_layer_snapshot (layer, &view, snapshot);
        }
      gtk_snapshot_pop (snapshot);
    }

  /* The focus on the timeline itself (no segment to put it on, or a
   * click beside them) shows too. */
  if (gtk_widget_has_focus (widget))
    ave_timeline_append_outline (snapshot, &view.palette.fg, 2, 1, 1, width - 2, AVE_TIMELINE_ROWS_H - 2);

  /* The menu is a popover: its own surface draws it. */
  gtk_widget_snapshot_child (widget, self->scrollbar, snapshot);
}

/* ---------------------------------------------------------------- input */

static double
clamp_trim (AveTimeline           *self,
            const AveTimelineItem *item,
            AveTimelineDragMode               mode,
            double                 t)
{
  double duration = ave_plan_get_source_duration (self->plan);

  if (mode == AVE_TIMELINE_DRAG_TRIM_START)
    return CLAMP (t, 0.0, item->end - MIN_TRIM_LENGTH);
  return CLAMP (t, item->start + MIN_TRIM_LENGTH, duration > 0 ? duration : G_MAXDOUBLE);
}

/* The overlay card drawn at content x (the top one), or -1. */
static int
overlay_at (AveTimeline *self,
            double       content_x)
{
  for (int i = (int) ave_plan_get_n_cards (self->plan) - 1; i >= 0; i--)
    {
      double x0, x1;

      if (ave_timeline_layout_overlay_span (self->layout, ave_plan_get_card (self->plan, i), &x0, &x1) &&
          content_x >= x0 && content_x <= x1)
        return i;
    }
  return -1;
}

static gboolean
drag_begin_at (AveTimeline *self,
               double       x,
               double       y)
{
  AveTimelineHit hit;
  guint item = 0;

  self->drag.mode = AVE_TIMELINE_DRAG_NONE;
  self->drag.active = FALSE;
  if (self->layout == NULL || y > AVE_TIMELINE_ROWS_H)
    return FALSE;

  self->drag.start_x = self->drag.x = to_content_x (self, x);

  if (y >= AVE_TIMELINE_OVERLAY_Y && y < AVE_TIMELINE_OVERLAY_Y + AVE_TIMELINE_OVERLAY_H)
    {
      int card = overlay_at (self, self->drag.start_x);

      if (card >= 0)
        {
          self->drag.mode = AVE_TIMELINE_DRAG_MOVE_OVERLAY;
          self->drag.card = card;
          self->drag.card_time = ave_plan_get_card (self->plan, card)->output_time;
          return TRUE;
        }
    }

  hit = ave_timeline_layout_hit (self->layout, self->drag.start_x, EDGE_TOLERANCE, &item);
  self->drag.item = item;
  if (hit != AVE_TIMELINE_HIT_NONE && layout_item (self, item)->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    {
      /* Cards are moved whole; their length is edited in the card itself. */
      self->drag.mode = AVE_TIMELINE_DRAG_MOVE_TITLE;
      self->drag.card = layout_item (self, item)->index;
      return TRUE;
    }
  switch (hit)
    {
    case AVE_TIMELINE_HIT_START: self->drag.mode = AVE_TIMELINE_DRAG_TRIM_START; break;
    case AVE_TIMELINE_HIT_END: self->drag.mode = AVE_TIMELINE_DRAG_TRIM_END; break;
    case AVE_TIMELINE_HIT_BODY: self->drag.mode = AVE_TIMELINE_DRAG_MOVE; break;
    case AVE_TIMELINE_HIT_NONE:
    default: self->drag.mode = AVE_TIMELINE_DRAG_NONE; break;
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

  if (self->drag.mode == AVE_TIMELINE_DRAG_NONE || self->layout == NULL)
    return;
  if (!self->drag.active && fabs (offset_x) < DRAG_THRESHOLD)
    return;

  self->drag.active = TRUE;
  self->drag.x = self->drag.start_x + offset_x;
  if (self->drag.mode == AVE_TIMELINE_DRAG_MOVE_OVERLAY)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  item = layout_item (self, self->drag.item);

  if (self->drag.mode == AVE_TIMELINE_DRAG_MOVE_TITLE)
    self->drag.slot = ave_timeline_layout_drop_index (self->layout, G_MAXUINT, self->drag.x);
  else if (self->drag.mode == AVE_TIMELINE_DRAG_MOVE)
    {
      self->drag.slot = ave_timeline_layout_drop_index (self->layout, self->drag.item, self->drag.x);
    }
  else
    {
      AveTimelineHit edge = self->drag.mode == AVE_TIMELINE_DRAG_TRIM_START ? AVE_TIMELINE_HIT_START
                                                               : AVE_TIMELINE_HIT_END;
      double t = ave_timeline_layout_edge_time (self->layout, self->drag.item, edge, self->drag.x);

      self->drag.snap = AVE_SNAP_NONE;
      if (snap)
        t = ave_snap_time_excluding (self->analysis, self->plan, item->index, t,
                                     SNAP_PIXELS / self->zoom, &self->drag.snap);
      self->drag.time = clamp_trim (self, item, self->drag.mode, t);
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
  AveTimelineDragMode mode = self->drag.mode;
  gboolean active = self->drag.active;

  self->drag.mode = AVE_TIMELINE_DRAG_NONE;
  self->drag.active = FALSE;

  if (self->layout == NULL || self->history == NULL)
    return;

  if (!active && (mode == AVE_TIMELINE_DRAG_MOVE_OVERLAY || mode == AVE_TIMELINE_DRAG_MOVE_TITLE))
    {
      set_selected_card (self, self->drag.card);
      return;
    }
  if (mode == AVE_TIMELINE_DRAG_MOVE_OVERLAY || mode == AVE_TIMELINE_DRAG_MOVE_TITLE)
    {
      gboolean done;

      self->zoom_chosen = TRUE;
      if (mode == AVE_TIMELINE_DRAG_MOVE_TITLE)
        done = ave_plan_history_move_card (self->history, self->drag.card, self->drag.slot, 0.0);
      else
        {
          double x0, t = self->drag.card_time;

          if (ave_timeline_layout_output_to_x (self->layout, self->drag.card_time, &x0))
            ave_timeline_layout_x_to_output (self->layout,
                                             CLAMP (x0 + self->drag.x - self->drag.start_x,
                                                    0.0, self->layout->total_width), &t);
          done = ave_plan_history_move_card (self->history, self->drag.card, 0, MAX (0.0, t));
        }
      if (!done)
        gtk_widget_error_bell (GTK_WIDGET (self));
      set_selected_card (self, self->drag.card);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }

  if (!active)
    {
      double t;
      guint item;

      /* A click: select the segment and put the playhead there. */
      if (ave_timeline_layout_x_to_source (self->layout, self->drag.start_x, &t, &item))
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
    const AveTimelineItem *item = layout_item (self, self->drag.item);
    guint index = item->index;
    gboolean done = TRUE;

    /* The user now owns the zoom: the edit must not rescale the view. */
    self->zoom_chosen = TRUE;
    if (mode == AVE_TIMELINE_DRAG_TRIM_START)
      done = ave_plan_history_trim (self->history, index, self->drag.time, item->end);
    else if (mode == AVE_TIMELINE_DRAG_TRIM_END)
      done = ave_plan_history_trim (self->history, index, item->start, self->drag.time);
    else if (mode == AVE_TIMELINE_DRAG_MOVE && self->drag.slot != index)
      {
        done = ave_plan_history_move (self->history, index, self->drag.slot);
        index = self->drag.slot;
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
    case AVE_TIMELINE_ROW_FILM: return AVE_TIMELINE_FILM_Y + AVE_TIMELINE_FILM_H / 2.0;
    case AVE_TIMELINE_ROW_OVERLAY: return AVE_TIMELINE_OVERLAY_Y + AVE_TIMELINE_OVERLAY_H / 2.0;
    case AVE_TIMELINE_ROW_SEGMENT:
    default: return AVE_TIMELINE_SEGMENT_Y + AVE_TIMELINE_SEGMENT_H / 2.0;
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

guint
_ave_timeline_get_n_pieces (AveTimeline *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), 0);

  flush_pieces (self);

  return self->pieces->len;
}

GtkWidget *
_ave_timeline_get_piece (AveTimeline *self,
                         guint        i)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), NULL);

  flush_pieces (self);
  g_return_val_if_fail (i < self->pieces->len, NULL);

  return g_ptr_array_index (self->pieces, i);
}

GtkWidget *
_ave_timeline_find_piece (AveTimeline          *self,
                          AveTimelinePieceKind  kind,
                          guint                 index)
{
  g_return_val_if_fail (AVE_IS_TIMELINE (self), NULL);

  flush_pieces (self);

  for (guint i = 0; i < self->pieces->len; i++)
    {
      AveTimelinePiece *piece = g_ptr_array_index (self->pieces, i);

      if (ave_timeline_piece_get_kind (piece) == kind && ave_timeline_piece_get_index (piece) == index)
        return GTK_WIDGET (piece);
    }
  return NULL;
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

  if (self->layout == NULL || y > AVE_TIMELINE_ROWS_H)
    return;
  if (y >= AVE_TIMELINE_OVERLAY_Y && y < AVE_TIMELINE_OVERLAY_Y + AVE_TIMELINE_OVERLAY_H)
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
  if (self->layout != NULL && y <= AVE_TIMELINE_ROWS_H)
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

  if (y >= AVE_TIMELINE_CAPTION_Y && y < AVE_TIMELINE_CAPTION_Y + AVE_TIMELINE_CAPTION_H && self->caption_blocks != NULL)
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
  else if (y >= AVE_TIMELINE_SEGMENT_Y && y < AVE_TIMELINE_SEGMENT_Y + AVE_TIMELINE_SEGMENT_H &&
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
  gtk_widget_queue_allocate (GTK_WIDGET (self));
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
  self->drag.hover_x = to_content_x (self, x);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return GDK_ACTION_COPY;
}

static void
drop_leave (GtkDropTarget *target,
            AveTimeline   *self)
{
  self->drag.hover_x = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
drop_card (GtkDropTarget *target,
           const GValue  *value,
           double         x,
           double         y,
           AveTimeline   *self)
{
  self->drag.hover_x = -1;
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
      *minimum = AVE_TIMELINE_ROWS_H + bar_min;
      *natural = AVE_TIMELINE_ROWS_H + bar_nat;
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
  allocate_pieces (self);

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
  g_clear_handle_id (&self->sync_pieces_id, g_source_remove);
  if (self->pieces != NULL)
    {
      for (guint i = 0; i < self->pieces->len; i++)
        {
          g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->pieces, i), on_piece_focus, self);
          gtk_widget_unparent (g_ptr_array_index (self->pieces, i));
        }
      g_clear_pointer (&self->pieces, g_ptr_array_unref);
    }
  g_clear_pointer (&self->piece_places, g_array_unref);
  g_clear_pointer (&self->layers, g_ptr_array_unref);
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
  widget_class->focus = ave_timeline_focus;

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
  gtk_widget_class_install_action (widget_class, "timeline.select-next", NULL, action_select);
  gtk_widget_class_install_action (widget_class, "timeline.select-previous", NULL, action_select);
  gtk_widget_class_install_action (widget_class, "timeline.select-first", NULL, action_select);
  gtk_widget_class_install_action (widget_class, "timeline.select-last", NULL, action_select);
  gtk_widget_class_install_action (widget_class, "timeline.trim-start", "i", action_trim);
  gtk_widget_class_install_action (widget_class, "timeline.trim-end", "i", action_trim);
  gtk_widget_class_install_action (widget_class, "timeline.move-by", "i", action_move_by);
  gtk_widget_class_install_action (widget_class, "timeline.menu", NULL, action_menu);
  gtk_widget_class_install_action (widget_class, "timeline.undo", NULL, action_undo);
  gtk_widget_class_install_action (widget_class, "timeline.redo", NULL, action_undo);
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
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "timeline.select-next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Right, 0, "timeline.select-next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "timeline.select-previous", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Left, 0, "timeline.select-previous", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "timeline.select-first", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "timeline.select-last", NULL);
  /* [ ] move the start, { } (Shift+[ Shift+]) the end, a frame each. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_bracketleft, 0, "timeline.trim-start", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_bracketright, 0, "timeline.trim-start", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_braceleft, 0, "timeline.trim-end", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_braceright, 0, "timeline.trim-end", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_CONTROL_MASK, "timeline.move-by", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_CONTROL_MASK, "timeline.move-by", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "timeline.menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "timeline.menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "timeline.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "timeline.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_y, GDK_CONTROL_MASK, "timeline.redo", NULL);

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
  self->drag.hover_x = -1;
  self->pieces = g_ptr_array_new ();
  self->layers = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_RULER_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_FILM_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_WAVEFORM_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_MARKERS_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_SEGMENTS_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_CARDS_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_CAPTIONS_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_DRAG_LAYER, NULL));
  g_ptr_array_add (self->layers, g_object_new (AVE_TYPE_TIMELINE_PLAYHEAD_LAYER, NULL));
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "notify::has-focus", G_CALLBACK (gtk_widget_queue_draw), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, "Timeline", -1);
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
  g_signal_connect (self->menu, "closed", G_CALLBACK (on_menu_closed), self);

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
  if (self->layout != NULL && !self->drag.active &&
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

  /* Between an undo and the pieces following it the index may be past
   * the end for a moment. */
  if (self->plan == NULL || self->selected >= (int) ave_plan_get_n_segments (self->plan))
    return -1;
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

  if (self->plan == NULL || self->selected_card >= (int) ave_plan_get_n_cards (self->plan))
    return -1;
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
