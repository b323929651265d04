/* ave-job.h — one input through the pipeline: the engine's unit of work.
 *
 *   probe ─▶ audio analysis ‖ video analysis (one demux pass) ─▶ director
 *         ─▶ assets ‖ composition ─▶ DIR/<stem>/{final.mp4, plan.json,
 *            analysis.json, metadata.json, thumbnails/}
 *
 * Every front end (CLI, app, D-Bus service) runs jobs; none of them
 * duplicates a step.  Events are delivered from worker threads, one at a
 * time (serialised); front ends marshal them to their own thread.  Every
 * file is written under a temporary name and renamed when complete, so a
 * failed or cancelled job never leaves a half-written file that looks done.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"
#include "resources/ave-cost-ledger.h"

G_BEGIN_DECLS

typedef enum {
  AVE_STAGE_AUDIO_ANALYSIS,
  AVE_STAGE_VIDEO_ANALYSIS,
  AVE_STAGE_DIRECTOR,
  AVE_STAGE_ASSETS,
  AVE_STAGE_COMPOSITION,
  AVE_N_STAGES
} AveStage;

/* "audio_analysis", "video_analysis", "director", "assets", "composition" */
const char *ave_stage_to_string (AveStage stage);

typedef enum {
  AVE_JOB_ANALYZE,   /* the two analysis stages; writes analysis.json */
  AVE_JOB_PROCESS,   /* all five stages */
  AVE_JOB_RENDER,    /* assets and composition of a given analysis and plan
                      * (ave_job_set_analysis + ave_job_set_plan): "render
                      * again after edits" without analysing again */
} AveJobKind;

typedef enum {
  AVE_EVENT_STAGE_START,
  AVE_EVENT_STAGE_PROGRESS,
  AVE_EVENT_STAGE_END,
  AVE_EVENT_WARNING,       /* something the user should know; the job goes on */
  AVE_EVENT_NOTICE,        /* information: which compute device runs, ... */
  AVE_EVENT_RESULT,        /* a finished output file */
  AVE_EVENT_DECISION,      /* the engine changed a setting while running (adaptive
                            * quality, load shedding): `name` is the setting,
                            * `message` says from what to what and why */
  AVE_EVENT_COST,          /* a remote call was made, answered from the cache or
                            * refused: `cost` (docs/ai.md) */
  AVE_EVENT_SAMPLE,        /* a periodic resource sample (monitoring): `message`
                            * is NULL; read it with ave_resource_sample_take.
                            * Sent ~2 per second while settings->real_time_stats
                            * is set (the CLI's live status line) */
} AveEventKind;

typedef struct
{
  AveEventKind kind;
  const char  *input;          /* the input path as given */
  AveStage     stage;          /* STAGE_* events */
  double       fraction;       /* STAGE_PROGRESS: 0..1 */
  double       elapsed;        /* seconds since the job started */
  double       wall_seconds;   /* STAGE_END: wall time of the stage */
  double       cpu_seconds;    /* STAGE_END: CPU time of the stage's threads */
  guint64      peak_rss_bytes; /* STAGE_END: process high-water mark so far */
  gboolean     skipped;        /* STAGE_END: the stage had nothing to do (no audio, --plan given, ...) */
  const char  *message;        /* WARNING / NOTICE */
  const char  *name;           /* RESULT: "final", "plan", "analysis", "metadata", "thumbnail"; DECISION: the setting */
  const char  *path;           /* RESULT */
  const AveCostRecord *cost;   /* COST */
} AveEvent;

typedef void (*AveEventFunc) (const AveEvent *event,
                              gpointer        user_data);

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
void         ave_job_set_event_func  (AveJob         *self,
                                      AveEventFunc    func,
                                      gpointer        user_data,
                                      GDestroyNotify  destroy);

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

/* The folder name used for an input: its file name without extension. */
char        *ave_job_output_stem     (const char *input);

G_END_DECLS
