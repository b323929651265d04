/* ave-events.c — stage names. */
#include "config.h"

#include "core/ave-events.h"
#include "core/ave-progress.h"

static const char * const stage_names[AVE_N_STAGES] = {
  "audio_analysis", "video_analysis", "director", "assets", "composition",
};

const char *
ave_stage_to_string (AveStage stage)
{
  g_return_val_if_fail (stage < AVE_N_STAGES, NULL);
  return stage_names[stage];
}

const char *
ave_call_status_to_string (AveCallStatus status)
{
  static const char * const names[] = { "ok", "cached", "refused-budget", "failed" };

  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (names), NULL);
  return names[status];
}

void
ave_progress_report (AveProgressFunc  func,
                     gpointer         user_data,
                     double          *last,
                     double           fraction)
{
  fraction = CLAMP (fraction, 0.0, 1.0);
  if (func == NULL || fraction <= *last || (fraction < *last + 0.002 && fraction < 1.0))
    return;
  *last = fraction;
  func (fraction, user_data);
}
