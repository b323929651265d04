/* ave-cli-output.h — how the CLI shows job events: human lines and a
 * progress bar on stderr, or one JSON object per line on stdout (--json). */
#pragma once

#include <glib.h>

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

G_END_DECLS
