/* ave-run-decisions.h — what the engine decided for one run, as data.
 *
 * The user's AveSettings are never changed while a job runs.  What the
 * engine chooses for itself — the memory budget's sizing (workers, x264
 * threads and look-ahead, the reader's threads and queue), load shedding
 * (fewer workers, less look-ahead, thumbnails after the render) and
 * adaptive quality (a faster x264 preset, smaller analysis frames) — is
 * written here instead, by the runtime (resources/ave-runtime.h) and the
 * job, on the job's thread at stage boundaries.
 *
 * Stages read the result as an ordinary `const AveSettings *`: at each
 * stage boundary the job refreshes its *stage view*, a copy of the user's
 * settings with these fields laid over it (ave_run_decisions_apply), and
 * hands that view to the stages.  So no stage knows about this record.
 *
 * Every change is also logged (what, from, to, why, when) and sent as an
 * AVE_EVENT_DECISION whose `decision` member points at the entry; the
 * metrics keep the list (docs/performance.md, "decisions").
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"

G_BEGIN_DECLS

/* One change, as logged. */
typedef struct _AveDecision AveDecision;
struct _AveDecision
{
  char   *what;    /* the setting: "encoder_preset", "memory_pressure", ... */
  char   *from;    /* value before, as text: "medium", "960", "on" */
  char   *to;      /* value after */
  char   *why;     /* the reason, in words */
  double  when;    /* seconds since the job started */
};

typedef struct
{
  /* The values the run uses in place of the user's (ave_run_decisions_apply
   * lays them over a copy of the settings). */
  guint64  max_memory_bytes;    /* the bound kept (--resource-aware may lower it) */
  guint    n_workers;
  guint    encoder_threads;
  guint    encoder_lookahead;
  char    *encoder_preset;
  guint    analysis_width;
  guint    frame_step;          /* --skip-optional-analysis may raise it */
  gboolean detect_beats;        /* --skip-optional-analysis may turn it off */
  char    *temp_dir;            /* the run's own temporary folder */

  /* What no setting holds. */
  guint    reader_threads;      /* the analysis reader's decoder threads */
  gsize    reader_queue_bytes;  /* its queues' bound */
  gboolean parallel_outputs;    /* thumbnails beside the render */
  gint     memory_pressure;     /* AVE_PRESSURE_*; atomic: the watcher thread
                                 * writes it, the analysis reader polls it */

  /*< private >*/
  GMutex     lock;
  GPtrArray *log;               /* AveDecision */
} AveRunDecisions;

/* Starts from the user's values: no decision taken yet. */
AveRunDecisions   *ave_run_decisions_new     (const AveSettings *settings);
void               ave_run_decisions_free    (AveRunDecisions   *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveRunDecisions, ave_run_decisions_free)

/* Writes the decided fields into `view` (a copy of the user's settings):
 * what stages read.  Call it on the job's thread at a stage boundary. */
void               ave_run_decisions_apply   (const AveRunDecisions *self,
                                              AveSettings           *view);

/* Logs one change (any thread) and returns the entry, owned by the record
 * and valid until it is freed.  The caller changes the field itself. */
const AveDecision *ave_run_decisions_log     (AveRunDecisions *self,
                                              const char      *what,
                                              const char      *from,
                                              const char      *to,
                                              const char      *why,
                                              double           when);
/* The number of changes logged, and a copy of entry `i` (free it with
 * ave_decision_clear). */
guint              ave_run_decisions_count   (AveRunDecisions *self);
void               ave_run_decisions_get     (AveRunDecisions *self,
                                              guint            i,
                                              AveDecision     *out);
void               ave_decision_clear        (AveDecision     *decision);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AveDecision, ave_decision_clear)

G_END_DECLS
