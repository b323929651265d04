/* ave-memory-budget.h — what a memory budget buys, decided in one place.
 *
 * `--max-memory` is a bound on the peak resident memory of a run.  Every
 * part that holds frames is sized here from it: the analysis reader's
 * packet queues and decoder threads, the number of workers (transcription
 * threads, stages side by side), x264's look-ahead and frame threads, and
 * whether thumbnails decode beside the render.  The estimates are
 * measured costs per pixel (docs/performance.md), not guesses: x264 at
 * 1080p holds ~100 MB with one thread and no look-ahead, ~6.4 MB more per
 * look-ahead frame and ~25-50 MB more per extra frame thread.
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"

G_BEGIN_DECLS

typedef struct
{
  guint64  budget_bytes;         /* the bound kept; 0 = none */
  guint    workers;              /* settings->n_workers */
  guint    reader_threads;       /* decoder threads of the analysis reader */
  gsize    reader_queue_bytes;   /* packets queued between demuxer and decoders */
  guint    encoder_threads;      /* x264 frame threads */
  guint    encoder_lookahead;    /* x264 rc-lookahead frames */
  gboolean parallel_outputs;     /* thumbnails beside the render */
  guint64  analysis_bytes;       /* estimated peak of the analysis stages */
  guint64  composition_bytes;    /* estimated peak of assets + composition */
  gboolean fits;                 /* both estimates are within the budget */
} AveBudgetPlan;

/* Sizes everything for a `width` x `height` source (0 x 0: 1920 x 1080,
 * the size the sizing must be safe for when the input is not known yet)
 * on a machine with `n_cpus` cores.  Reads the intent in `settings`
 * (max_memory_bytes, parallel, parallel_strategy, max_workers,
 * thread_pool_size, memory_efficient, minimal_buffers, encoder_preset,
 * transitions, transcribe) and never raises what the settings already
 * lowered (n_workers, encoder_threads, encoder_lookahead), so applying
 * it twice changes nothing. */
void     ave_memory_budget_plan            (const AveSettings *settings,
                                            int                width,
                                            int                height,
                                            guint              n_cpus,
                                            AveBudgetPlan     *plan);
/* Writes the plan's worker, encoder and look-ahead numbers into settings. */
void     ave_memory_budget_apply           (AveSettings         *settings,
                                            const AveBudgetPlan *plan);

/* Estimated peak bytes of the two halves of a run with these settings. */
guint64  ave_memory_estimate_analysis      (const AveSettings *settings,
                                            int width, int height,
                                            guint reader_threads,
                                            gsize queue_bytes);
guint64  ave_memory_estimate_composition   (const AveSettings *settings,
                                            int width, int height,
                                            guint encoder_threads,
                                            guint lookahead,
                                            gboolean parallel_outputs);

/* x264 presets from fastest to slowest, and a preset's place in it
 * (-1 when unknown). */
extern const char * const ave_encoder_presets[];
int      ave_encoder_preset_index          (const char *preset);

/* Memory pressure against a budget: 0 below 80 %, 1 from 80 %, 2 from
 * 90 %.  Stages read the level the job's watcher keeps (atomically). */
#define AVE_PRESSURE_NORMAL   0
#define AVE_PRESSURE_HIGH     1
#define AVE_PRESSURE_CRITICAL 2
int      ave_memory_pressure_level         (guint64 rss_bytes,
                                            guint64 budget_bytes);

G_END_DECLS
