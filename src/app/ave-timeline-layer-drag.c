/* ave-timeline-layer-drag.c — the edit in progress: where a dragged card or segment would
 * land, the trimmed edge (in the selection colour with the name of what
 * it snapped to). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-timeline-layer.h"

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
drag_snapshot (AveTimelineLayer      *layer,
               const AveTimelineView *view,
               GtkSnapshot           *snapshot)
{
  const AveTimelineDrag *drag = view->drag;
  const AveTimelinePalette *palette = &view->palette;
  GdkRGBA free_edge = ave_timeline_palette_alpha (&palette->fg, 0.9);
  GdkRGBA ghost = ave_timeline_palette_alpha (&palette->accent, 0.45);
  const double rows_top = AVE_TIMELINE_FILM_Y, rows_h = AVE_TIMELINE_ROWS_H - AVE_TIMELINE_FILM_Y;
  const AveTimelineItem *item;

  if (drag->hover_x >= 0)
    {
      /* A card from the bin over the timeline: a title card would go in
       * at this slot boundary. */
      double x = ave_timeline_layout_drop_x (view->layout, G_MAXUINT,
                                             ave_timeline_layout_drop_index (view->layout, G_MAXUINT,
                                                                             drag->hover_x));

      ave_timeline_append_rect (snapshot, &palette->accent, ave_timeline_view_x (view, x) - 2, rows_top, 4, rows_h);
      ave_timeline_append_rect (snapshot, &ghost, ave_timeline_view_x (view, drag->hover_x) - 1,
                                AVE_TIMELINE_OVERLAY_Y, 2, AVE_TIMELINE_OVERLAY_H);
    }

  if (!drag->active || drag->item >= view->layout->items->len)
    return;

  item = ave_timeline_view_item (view, drag->item);
  if (drag->mode == AVE_TIMELINE_DRAG_TRIM_START || drag->mode == AVE_TIMELINE_DRAG_TRIM_END)
    {
      double x = ave_timeline_view_x (view, item->x + (drag->time - item->start) * view->zoom);
      const char *name = snap_name (drag->snap);

      ave_timeline_append_rect (snapshot, name != NULL ? &palette->selection : &free_edge, x - 1, 0, 2,
                                AVE_TIMELINE_ROWS_H);
      if (name != NULL)
        ave_timeline_append_text (view, snapshot, name, &palette->selection, x + 4, AVE_TIMELINE_FILM_Y + 2, -1);
    }
  else if (drag->mode == AVE_TIMELINE_DRAG_MOVE_TITLE || drag->mode == AVE_TIMELINE_DRAG_MOVE)
    {
      gboolean title = drag->mode == AVE_TIMELINE_DRAG_MOVE_TITLE;
      double x = ave_timeline_view_x (view, ave_timeline_layout_drop_x (view->layout,
                                                                        title ? G_MAXUINT : drag->item,
                                                                        drag->slot));
      GdkRGBA card_ghost = { 0.57, 0.25, 0.67, 0.45 };

      ave_timeline_append_rect (snapshot, title ? &card_ghost : &ghost,
                                ave_timeline_view_x (view, item->x + drag->x - drag->start_x),
                                AVE_TIMELINE_SEGMENT_Y, item->width, AVE_TIMELINE_SEGMENT_H);
      ave_timeline_append_rect (snapshot, &palette->accent, x - 2, rows_top, 4, rows_h);
    }
}

struct _AveTimelineDragLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineDragLayer, ave_timeline_drag_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_drag_layer_class_init (AveTimelineDragLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = drag_snapshot;
}

static void
ave_timeline_drag_layer_init (AveTimelineDragLayer *self)
{
}
