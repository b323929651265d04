/* ave-timeline-layer-markers.c — what the analysis found, inside each segment's source range:
 * silences (shaded over the waveform), highlights (bars by score), words
 * (grey ticks) and filler words (orange), shot cuts (lines across the
 * filmstrip). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>

#include "ave-timeline-layer.h"

/* The x of a source time inside an item (the time may lie outside it). */
static double
item_time_x (const AveTimelineView *view,
             const AveTimelineItem *item,
             double                 t)
{
  return ave_timeline_view_x (view, item->x + (t - item->start) * view->zoom);
}

static void
draw_item (const AveTimelineView *view,
           GtkSnapshot           *snapshot,
           const AveTimelineItem *item)
{
  GdkRGBA shot_line = ave_timeline_palette_alpha (&view->palette.fg, 0.85);
  GdkRGBA silence = ave_timeline_palette_alpha (&view->palette.fg, 0.14);
  GdkRGBA word = ave_timeline_palette_alpha (&view->palette.fg, 0.4);
  GdkRGBA filler = { 0.96, 0.47, 0.0, 0.95 };
  GdkRGBA highlight = { 0.2, 0.76, 0.49, 0.6 };
  const AveAnalysis *a = view->analysis;
  double zoom = view->zoom;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (ave_timeline_view_x (view, item->x),
                                                         AVE_TIMELINE_FILM_Y, item->width,
                                                         AVE_TIMELINE_SEGMENT_Y - AVE_TIMELINE_FILM_Y));

  for (guint i = 0; a->silences != NULL && i < a->silences->len; i++)
    {
      const AveInterval *s = &g_array_index (a->silences, AveInterval, i);

      if (s->end <= item->start || s->start >= item->end)
        continue;
      ave_timeline_append_rect (snapshot, &silence, item_time_x (view, item, MAX (s->start, item->start)),
                                AVE_TIMELINE_WAVE_Y,
                                (MIN (s->end, item->end) - MAX (s->start, item->start)) * zoom,
                                AVE_TIMELINE_WAVE_H);
    }

  for (guint i = 0; a->highlights != NULL && i < a->highlights->len; i++)
    {
      const AveHighlight *h = &g_array_index (a->highlights, AveHighlight, i);
      double next = i + 1 < a->highlights->len
                    ? g_array_index (a->highlights, AveHighlight, i + 1).time : h->time + 1.0;
      double height = CLAMP (h->score, 0.0, 1.0) * AVE_TIMELINE_MARKS_H;

      if (next <= item->start || h->time >= item->end)
        continue;
      ave_timeline_append_rect (snapshot, &highlight, item_time_x (view, item, h->time),
                                AVE_TIMELINE_MARKS_Y + AVE_TIMELINE_MARKS_H - height,
                                MAX (1.0, (next - h->time) * zoom), height);
    }

  for (guint i = 0; a->words != NULL && i < a->words->len; i++)
    {
      const AveWord *w = &g_array_index (a->words, AveWord, i);

      if (w->end <= item->start || w->start >= item->end)
        continue;
      ave_timeline_append_rect (snapshot, w->filler ? &filler : &word, item_time_x (view, item, w->start),
                                w->filler ? AVE_TIMELINE_MARKS_Y + 1 : AVE_TIMELINE_MARKS_Y + 4,
                                MAX (2.0, (w->end - w->start) * zoom - 1.0),
                                w->filler ? AVE_TIMELINE_MARKS_H - 2 : AVE_TIMELINE_MARKS_H - 8);
    }

  for (guint i = 0; a->shots != NULL && i < a->shots->len; i++)
    {
      const AveShot *shot = &g_array_index (a->shots, AveShot, i);

      if (i == 0 || shot->start <= item->start || shot->start >= item->end)
        continue;
      ave_timeline_append_rect (snapshot, &shot_line, item_time_x (view, item, shot->start) - 1,
                                AVE_TIMELINE_FILM_Y, 2, AVE_TIMELINE_FILM_H);
    }

  gtk_snapshot_pop (snapshot);
}

static void
markers_snapshot (AveTimelineLayer      *layer,
                  const AveTimelineView *view,
                  GtkSnapshot           *snapshot)
{
  if (view->analysis == NULL)
    return;

  for (guint i = 0; i < view->layout->items->len; i++)
    {
      const AveTimelineItem *item = ave_timeline_view_item (view, i);

      if (item->kind == AVE_TIMELINE_ITEM_SEGMENT && ave_timeline_view_shows (view, item))
        draw_item (view, snapshot, item);
    }
}

struct _AveTimelineMarkersLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineMarkersLayer, ave_timeline_markers_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_markers_layer_class_init (AveTimelineMarkersLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = markers_snapshot;
}

static void
ave_timeline_markers_layer_init (AveTimelineMarkersLayer *self)
{
}
