/* ave-timeline-layer-playhead.c — the playhead: a red line with a tab on the ruler, where the
 * preview is (in source time: the first kept segment holding it). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-timeline-layer.h"

static void
playhead_snapshot (AveTimelineLayer      *layer,
                   const AveTimelineView *view,
                   GtkSnapshot           *snapshot)
{
  /* Red reads on the light and the dark style, and over pictures. */
  GdkRGBA playhead = { 0.88, 0.11, 0.14, 1.0 };
  double x;

  if (!ave_timeline_layout_source_to_x (view->layout, view->playhead, &x, NULL))
    return;
  x = ave_timeline_view_x (view, x);
  ave_timeline_append_rect (snapshot, &playhead, x - 1, 0, 2, AVE_TIMELINE_ROWS_H);
  ave_timeline_append_rect (snapshot, &playhead, x - 4, 0, 8, 5);
}

struct _AveTimelinePlayheadLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelinePlayheadLayer, ave_timeline_playhead_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_playhead_layer_class_init (AveTimelinePlayheadLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = playhead_snapshot;
}

static void
ave_timeline_playhead_layer_init (AveTimelinePlayheadLayer *self)
{
}
