/* ave-error.h — one error domain per engine area.
 *
 * Every failure a user can cause is reported as a GError from one of these
 * domains, with a message naming the file, the cause and what to do.
 * Cancellation is always G_IO_ERROR_CANCELLED and is never shown as a failure.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AVE_MEDIA_ERROR    (ave_media_error_quark ())
#define AVE_ANALYSIS_ERROR (ave_analysis_error_quark ())
#define AVE_PLAN_ERROR     (ave_plan_error_quark ())
#define AVE_COMPOSE_ERROR  (ave_compose_error_quark ())
#define AVE_COMPUTE_ERROR  (ave_compute_error_quark ())
#define AVE_SETTINGS_ERROR (ave_settings_error_quark ())
#define AVE_OUTPUT_ERROR   (ave_output_error_quark ())

typedef enum {
  AVE_MEDIA_ERROR_NOT_FOUND,       /* no such file */
  AVE_MEDIA_ERROR_NOT_REGULAR,     /* a directory or a device */
  AVE_MEDIA_ERROR_EMPTY,           /* zero bytes */
  AVE_MEDIA_ERROR_UNREADABLE,      /* permissions, I/O error */
  AVE_MEDIA_ERROR_NOT_MEDIA,       /* FFmpeg finds no known container */
  AVE_MEDIA_ERROR_NO_STREAMS,      /* neither audio nor video */
  AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
  AVE_MEDIA_ERROR_CORRUPT,         /* decoding failed beyond recovery */
  AVE_MEDIA_ERROR_TRUNCATED,       /* ended early; used as a warning text too */
  AVE_MEDIA_ERROR_FAILED,
} AveMediaError;

typedef enum {
  AVE_ANALYSIS_ERROR_MODEL_MISSING, /* speech model files not installed */
  AVE_ANALYSIS_ERROR_FAILED,
  AVE_ANALYSIS_ERROR_INVALID,       /* analysis.json does not validate */
} AveAnalysisError;

typedef enum {
  AVE_PLAN_ERROR_PARSE,            /* not JSON */
  AVE_PLAN_ERROR_INVALID,          /* a field is missing or out of range: message names it */
  AVE_PLAN_ERROR_VERSION,          /* newer schema than we understand */
  AVE_PLAN_ERROR_EMPTY,            /* nothing is kept */
} AvePlanError;

typedef enum {
  AVE_COMPOSE_ERROR_ENCODER_MISSING,
  AVE_COMPOSE_ERROR_FAILED,
} AveComposeError;

typedef enum {
  AVE_COMPUTE_ERROR_UNAVAILABLE,   /* no loader, no device, no shader */
  AVE_COMPUTE_ERROR_FAILED,
} AveComputeError;

typedef enum {
  AVE_SETTINGS_ERROR_INVALID_VALUE,
  AVE_SETTINGS_ERROR_PARSE,
} AveSettingsError;

typedef enum {
  AVE_OUTPUT_ERROR_NOT_WRITABLE,
  AVE_OUTPUT_ERROR_FAILED,
  AVE_OUTPUT_ERROR_BUSY,           /* another job holds the output folder */
  AVE_OUTPUT_ERROR_NOT_OURS,       /* a file in the way that the engine did not write */
  AVE_OUTPUT_ERROR_IS_INPUT,       /* an output would replace one of the job's inputs */
} AveOutputError;

GQuark ave_media_error_quark    (void);
GQuark ave_analysis_error_quark (void);
GQuark ave_plan_error_quark     (void);
GQuark ave_compose_error_quark  (void);
GQuark ave_compute_error_quark  (void);
GQuark ave_settings_error_quark (void);
GQuark ave_output_error_quark   (void);

G_END_DECLS
