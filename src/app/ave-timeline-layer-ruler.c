/* ave-timeline-layer-ruler.c — the ruler: ticks and times in OUTPUT time, so it reads what the
 * render will show (nothing over cut segments). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>

#include "ave-timeline-layer.h"

static void
ruler_snapshot (AveTimelineLayer      *layer,
                const AveTimelineView *view,
                GtkSnapshot           *snapshot)
{
  static const double spacings[] = { 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600 };
  GdkRGBA tick = ave_timeline_palette_alpha (&view->palette.fg, 0.5);
  GdkRGBA label = ave_timeline_palette_alpha (&view->palette.fg, 0.7);
  double spacing = spacings[G_N_ELEMENTS (spacings) - 1];

  for (guint i = 0; i < G_N_ELEMENTS (spacings); i++)
    if (spacings[i] * view->zoom >= 70.0)
      {
        spacing = spacings[i];
        break;
      }

  for (guint i = 0; i < view->layout->items->len; i++)
    {
      const AveTimelineItem *item = ave_timeline_view_item (view, i);
      double duration = item->width / view->zoom;

      if (!item->enabled || !ave_timeline_view_shows (view, item))
        continue;

      for (double t = ceil (item->output_start / spacing - 1e-9) * spacing;
           t <= item->output_start + duration + 1e-9; t += spacing)
        {
          double x = ave_timeline_view_x (view, item->x + (t - item->output_start) * view->zoom);
          g_autofree char *text = ave_timeline_format_time (t, spacing);

          ave_timeline_append_rect (snapshot, &tick, x, AVE_TIMELINE_RULER_H - 6, 1, 6);
          ave_timeline_append_text (view, snapshot, text, &label, x + 2, 1, -1);
        }
    }
}

struct _AveTimelineRulerLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineRulerLayer, ave_timeline_ruler_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_ruler_layer_class_init (AveTimelineRulerLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = ruler_snapshot;
}

static void
ave_timeline_ruler_layer_init (AveTimelineRulerLayer *self)
{
}
