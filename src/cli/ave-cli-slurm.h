/* ave-cli-slurm.h — `ai-video-editor batch --slurm` (ave-cli-slurm.c). */
#pragma once

#include <glib.h>

#include "pipeline/ave-batch.h"
#include "pipeline/ave-slurm.h"

G_BEGIN_DECLS

/* The flags of a `batch` command line that each task's `process` must get
 * too: every argument of `argv` (as given, before GOption parsed it) but
 * the program, the source and the options only batch takes (-o, --jobs,
 * --resume, --retry, --json, --config and the Slurm ones). */
char **ave_cli_slurm_process_args (char       **argv,
                                   const char  *source);

/* Runs the merged batch `state` on Slurm; returns the exit status. */
int    ave_cli_batch_slurm        (AveBatchState         *state,
                                   const char            *source,
                                   const AveSlurmOptions *options,
                                   gboolean               resume,
                                   guint                  retries,
                                   gboolean               json);

G_END_DECLS
