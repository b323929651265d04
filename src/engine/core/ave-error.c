#define G_LOG_DOMAIN "ave-error"

#include "config.h"

#include "ave-error.h"

G_DEFINE_QUARK (ave-media-error-quark, ave_media_error)
G_DEFINE_QUARK (ave-analysis-error-quark, ave_analysis_error)
G_DEFINE_QUARK (ave-plan-error-quark, ave_plan_error)
G_DEFINE_QUARK (ave-compose-error-quark, ave_compose_error)
G_DEFINE_QUARK (ave-compute-error-quark, ave_compute_error)
G_DEFINE_QUARK (ave-settings-error-quark, ave_settings_error)
G_DEFINE_QUARK (ave-output-error-quark, ave_output_error)
