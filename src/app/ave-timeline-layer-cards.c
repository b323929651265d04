/* ave-timeline-layer-cards.c — cards: title cards between the segments they sit between
 * (a tall body with the title over the picture rows, a chip in the segment
 * row), overlays as bars in their own row over the output time they
 * cover; the selected card outlined (an overlay being dragged follows the
 * pointer). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-timeline-layer.h"

static void
draw_title_card (const AveTimelineView *view,
                 GtkSnapshot           *snapshot,
                 guint                  i)
{
  const AveTimelineItem *item = ave_timeline_view_item (view, i);
  GdkRGBA body = { 0.38, 0.21, 0.51, 0.9 };
  GdkRGBA chip = { 0.57, 0.25, 0.67, 1.0 };
  GdkRGBA text = { 1, 1, 1, 1 };
  const AveCard *card = ave_plan_get_card (view->plan, item->index);
  double x = ave_timeline_view_x (view, item->x);
  g_autofree char *label = g_strdup_printf ("%s · %.1f s", card->title != NULL ? card->title : "Picture",
                                            card->duration);

  ave_timeline_append_rect (snapshot, &body, x + 1, AVE_TIMELINE_FILM_Y + 2, MAX (1.0, item->width - 2),
                            AVE_TIMELINE_OVERLAY_Y - AVE_TIMELINE_FILM_Y - 4);
  ave_timeline_append_rect (snapshot, &chip, x + 1, AVE_TIMELINE_SEGMENT_Y + 2, MAX (1.0, item->width - 2),
                            AVE_TIMELINE_SEGMENT_H - 4);
  if (item->width > 24)
    {
      ave_timeline_append_text (view, snapshot, card->title != NULL ? card->title : "", &text,
                                x + 6, AVE_TIMELINE_FILM_Y + 8, item->width - 12);
      if (card->subtitle != NULL)
        ave_timeline_append_text (view, snapshot, card->subtitle, &text, x + 6, AVE_TIMELINE_FILM_Y + 24,
                                  item->width - 12);
      ave_timeline_append_text (view, snapshot, label, &text, x + 6, AVE_TIMELINE_SEGMENT_Y + 7,
                                item->width - 12);
    }
  ave_timeline_draw_transition (snapshot, &text, ave_timeline_layout_join_before (view->layout, view->plan, i), x);
  if ((int) item->index == view->selected_card)
    ave_timeline_append_outline (snapshot, &view->palette.selection, 2, x, AVE_TIMELINE_SEGMENT_Y,
                                 item->width, AVE_TIMELINE_SEGMENT_H);
}

static void
draw_overlays (const AveTimelineView *view,
               GtkSnapshot           *snapshot)
{
  GdkRGBA bar = { 0.57, 0.25, 0.67, 0.9 };
  GdkRGBA text = { 1, 1, 1, 1 };
  const AveTimelineDrag *drag = view->drag;

  for (guint i = 0; i < ave_plan_get_n_cards (view->plan); i++)
    {
      const AveCard *card = ave_plan_get_card (view->plan, i);
      double x0, x1;

      if (!ave_timeline_layout_overlay_span (view->layout, card, &x0, &x1))
        continue;
      if (drag->active && drag->mode == AVE_TIMELINE_DRAG_MOVE_OVERLAY && drag->card == i)
        {
          x0 += drag->x - drag->start_x;
          x1 += drag->x - drag->start_x;
        }
      ave_timeline_append_rect (snapshot, &bar, ave_timeline_view_x (view, x0), AVE_TIMELINE_OVERLAY_Y + 1,
                                x1 - x0, AVE_TIMELINE_OVERLAY_H - 2);
      if (card->title != NULL && x1 - x0 > 24)
        ave_timeline_append_text (view, snapshot, card->title, &text, ave_timeline_view_x (view, x0) + 4,
                                  AVE_TIMELINE_OVERLAY_Y + 1, x1 - x0 - 8);
      if ((int) i == view->selected_card)
        ave_timeline_append_outline (snapshot, &view->palette.selection, 2, ave_timeline_view_x (view, x0),
                                     AVE_TIMELINE_OVERLAY_Y, x1 - x0, AVE_TIMELINE_OVERLAY_H);
    }
}

static void
cards_snapshot (AveTimelineLayer      *layer,
                const AveTimelineView *view,
                GtkSnapshot           *snapshot)
{
  for (guint i = 0; i < view->layout->items->len; i++)
    {
      const AveTimelineItem *item = ave_timeline_view_item (view, i);

      if (item->kind == AVE_TIMELINE_ITEM_TITLE_CARD && ave_timeline_view_shows (view, item))
        draw_title_card (view, snapshot, i);
    }
  draw_overlays (view, snapshot);
}

struct _AveTimelineCardsLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineCardsLayer, ave_timeline_cards_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_cards_layer_class_init (AveTimelineCardsLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = cards_snapshot;
}

static void
ave_timeline_cards_layer_init (AveTimelineCardsLayer *self)
{
}
