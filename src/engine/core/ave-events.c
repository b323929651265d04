/* ave-events.c — stage names. */
#include "config.h"

#include "core/ave-events.h"

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
