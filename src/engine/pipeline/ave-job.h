/* ave-job.h — one input through the pipeline: the engine's unit of work.
 *
 *   probe ─▶ audio analysis ‖ video analysis (one demux pass) ─▶ director
 *         ─▶ assets ‖ composition ─▶ DIR/<stem>/{final.mp4, plan.json,
 *            analysis.json, metadata.json, thumbnails/}
 *
 * Every front end (CLI, app, D-Bus service) runs jobs; none of them
 * duplicates a step.  What watches a run — metrics, the runtime watcher,
 * the cost report, a front end's progress — is an observer
 * (resources/ave-job-observer.h): the job attaches the ones its settings
 * ask for, a front end adds its own.  The settings given to ave_job_new are
 * copied and never changed; what the engine decides while running is the
 * run's decisions (core/ave-run-decisions.h), which the stages read through
 * a view of the settings.  Every
 * file is written under a temporary name and renamed when complete, so a
 * failed or cancelled job never leaves a half-written file that looks done.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-events.h"
#include "core/ave-run-decisions.h"
#include "core/ave-settings.h"
#include "resources/ave-job-observer.h"
#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

typedef enum {
  AVE_JOB_ANALYZE,   /* the two analysis stages; writes analysis.json */
  AVE_JOB_PROCESS,   /* all five stages */
  AVE_JOB_RENDER,    /* assets and composition of a given analysis and plan
                      * (ave_job_set_analysis + ave_job_set_plan): "render
                      * again after edits" without analysing again */
} AveJobKind;

#define AVE_TYPE_JOB (ave_job_get_type ())
G_DECLARE_FINAL_TYPE (AveJob, ave_job, AVE, JOB, GObject)

/* `output_root` is DIR; results go to DIR/<input stem>/ (see
 * ave_job_set_output_name to choose another folder name). */
AveJob      *ave_job_new             (AveJobKind         kind,
                                      const char        *input,
                                      const char        *output_root,
                                      const AveSettings *settings);
void         ave_job_set_output_name (AveJob *self, const char *name);
/* Render this plan instead of asking the director (process only). */
void         ave_job_set_plan_file   (AveJob *self, const char *plan_path);
/* Use this analysis instead of analysing the input again (any kind): the
 * two analysis stages are reported as skipped.  A reference is kept. */
void         ave_job_set_analysis    (AveJob *self, AveAnalysis *analysis);
/* Render a copy of this plan (taken now, on the caller's thread) instead of
 * asking the director. */
void         ave_job_set_plan        (AveJob *self, AvePlan *plan);
/* A callback for every event, called one at a time (serialised) from the
 * job's threads: the observer front ends need most.  Replaces an earlier
 * one; it is told last, after the other observers. */
void         ave_job_set_event_func  (AveJob         *self,
                                      AveEventFunc    func,
                                      gpointer        user_data,
                                      GDestroyNotify  destroy);
/* Attaches an observer to every later run (the job takes it).  Call it
 * before running the job. */
void         ave_job_add_observer    (AveJob         *self,
                                      AveJobObserver *observer);

/* Runs the whole job in the calling thread (it starts its own workers). */
gboolean     ave_job_run             (AveJob        *self,
                                      GCancellable  *cancellable,
                                      GError       **error);
void         ave_job_run_async       (AveJob              *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean     ave_job_run_finish      (AveJob        *self,
                                      GAsyncResult  *result,
                                      GError       **error);

const char  *ave_job_get_input       (AveJob *self);
/* DIR/<stem>; valid once the job has started. */
const char  *ave_job_get_output_dir  (AveJob *self);
/* Results, valid after a successful run (NULL before). */
AveAnalysis *ave_job_get_analysis    (AveJob *self);
AvePlan     *ave_job_get_plan        (AveJob *self);
/* US dollars the cost ledger was charged while the job ran (remote API
 * calls; 0 for the local director), valid once it ended.  The ledger is
 * the process's: jobs running side by side each count what all spent
 * meanwhile. */
double       ave_job_get_cost_usd    (AveJob *self);
/* The settings the job was given (its own copy): a run never changes
 * them. */
const AveSettings *ave_job_get_settings  (AveJob *self);
/* What the engine decided in the last run instead (the sizing, load
 * shedding, adaptive quality, with a log of every change); NULL before
 * the first run. */
AveRunDecisions   *ave_job_get_decisions (AveJob *self);

/* The folder name used for an input: its file name without extension. */
char        *ave_job_output_stem     (const char *input);

G_END_DECLS
