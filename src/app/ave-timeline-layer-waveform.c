/* ave-timeline-layer-waveform.c — the waveform row: the sound's peaks, a vertical line a pixel,
 * in the accent colour (fainter over cut segments). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>

#include "ave-timeline-layer.h"

static void
draw_item (const AveTimelineView *view,
           GtkSnapshot           *snapshot,
           const AveTimelineItem *item)
{
  double first_x = MAX (item->x, view->visible_start);
  double last_x = MIN (item->x + item->width, view->visible_end);
  double mid = AVE_TIMELINE_WAVE_Y + AVE_TIMELINE_WAVE_H / 2.0;
  double half = AVE_TIMELINE_WAVE_H / 2.0 - 2.0;
  GdkRGBA color = ave_timeline_palette_alpha (&view->palette.accent, item->enabled ? 0.9 : 0.45);
  cairo_t *cr;

  if (last_x <= first_x)
    return;

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (ave_timeline_view_x (view, first_x),
                                                       AVE_TIMELINE_WAVE_Y, last_x - first_x + 1,
                                                       AVE_TIMELINE_WAVE_H));
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_set_line_width (cr, 1.0);
  for (double x = floor (first_x); x < last_x; x += 1.0)
    {
      double t0 = item->start + (x - item->x) / view->zoom;
      double t1 = t0 + 1.0 / view->zoom;
      float lo, hi;
      double wx = floor (ave_timeline_view_x (view, x)) + 0.5;

      if (!ave_filmstrip_get_peaks (view->filmstrip, MAX (t0, item->start),
                                    MIN (t1, item->end), &lo, &hi))
        break;
      cairo_move_to (cr, wx, mid - MAX (hi, 0.01f) * half);
      cairo_line_to (cr, wx, mid - MIN (lo, -0.01f) * half);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
waveform_snapshot (AveTimelineLayer      *layer,
                   const AveTimelineView *view,
                   GtkSnapshot           *snapshot)
{
  if (view->filmstrip == NULL)
    return;

  for (guint i = 0; i < view->layout->items->len; i++)
    {
      const AveTimelineItem *item = ave_timeline_view_item (view, i);

      if (item->kind == AVE_TIMELINE_ITEM_SEGMENT && ave_timeline_view_shows (view, item))
        draw_item (view, snapshot, item);
    }
}

struct _AveTimelineWaveformLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineWaveformLayer, ave_timeline_waveform_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_waveform_layer_class_init (AveTimelineWaveformLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = waveform_snapshot;
}

static void
ave_timeline_waveform_layer_init (AveTimelineWaveformLayer *self)
{
}
