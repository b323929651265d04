/* ave-cli-output.h — how the CLI shows job events: human lines and a
 * progress bar on stderr, or one JSON object per line on stdout (--json). */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "pipeline/ave-batch.h"
#include "pipeline/ave-job.h"

G_BEGIN_DECLS

typedef struct _AveCliOutput AveCliOutput;

AveCliOutput *ave_cli_output_new         (gboolean json, gboolean progress_bar);
void          ave_cli_output_free        (AveCliOutput *self);
/* An AveEventFunc: pass the AveCliOutput as user data. */
void          ave_cli_output_event       (const AveEvent *event, gpointer self);
void          ave_cli_output_input_start (AveCliOutput *self, const char *input,
                                          guint index, guint total);
void          ave_cli_output_input_end   (AveCliOutput *self, AveJob *job,
                                          const GError *error, double seconds);
void          ave_cli_output_message     (AveCliOutput *self, const char *message);
void          ave_cli_output_done        (AveCliOutput *self, const char *command,
                                          guint succeeded, guint failed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveCliOutput, ave_cli_output_free)

/* One JSON object as one line on stdout (the --json event stream). */
void          ave_cli_print_json         (JsonBuilder *builder);
/* input-start / input-end of one input of a batch, as --json prints them;
 * `status` NULL for a start. */
void          ave_cli_print_batch_item   (const char   *event,
                                          AveBatchItem *item,
                                          const char   *status,
                                          const char   *error,
                                          gboolean      will_retry);
/* Clears the progress line on stderr when one is drawn. */
void          ave_cli_clear_status_line  (gboolean *line_open);

G_END_DECLS
