/* ave-timeline-layer-captions.c — the caption lane: one block a cue, where the output plays
 * it, with its text on one line; the cue under the playhead is outlined. */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-timeline-layer.h"

static void
captions_snapshot (AveTimelineLayer      *layer,
                   const AveTimelineView *view,
                   GtkSnapshot           *snapshot)
{
  GdkRGBA block = { 0.15, 0.50, 0.46, 1.0 };
  GdkRGBA text = { 1, 1, 1, 1 };
  double now;
  int current;

  if (view->caption_blocks == NULL || view->caption_cues == NULL)
    return;
  /* The output time under the playhead, for the cue being said; -1 in a
   * cut. */
  now = ave_playback_output_time (view->plan, -1, view->playhead);
  current = now >= 0.0 ? ave_captions_cue_at (view->caption_cues, now) : -1;

  for (guint i = 0; i < view->caption_blocks->len; i++)
    {
      const AveTimelineCaption *c = &g_array_index (view->caption_blocks, AveTimelineCaption, i);
      const AveCue *cue = &g_array_index (view->caption_cues, AveCue, c->cue);
      double x = ave_timeline_view_x (view, c->x);

      if (c->x + c->width < view->visible_start || c->x > view->visible_end)
        continue;
      ave_timeline_append_rect (snapshot, &block, x + 1, AVE_TIMELINE_CAPTION_Y + 2, MAX (1.0, c->width - 2),
                                AVE_TIMELINE_CAPTION_H - 4);
      if (c->width > 24)
        {
          g_autofree char *line = g_strdelimit (g_strdup (cue->text), "\n", ' ');

          ave_timeline_append_text (view, snapshot, line, &text, x + 5, AVE_TIMELINE_CAPTION_Y + 3, c->width - 10);
        }
      if ((int) c->cue == current)
        ave_timeline_append_outline (snapshot, &view->palette.selection, 2, x, AVE_TIMELINE_CAPTION_Y + 1,
                                     c->width, AVE_TIMELINE_CAPTION_H - 2);
    }
}

struct _AveTimelineCaptionsLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineCaptionsLayer, ave_timeline_captions_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_captions_layer_class_init (AveTimelineCaptionsLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = captions_snapshot;
}

static void
ave_timeline_captions_layer_init (AveTimelineCaptionsLayer *self)
{
}
