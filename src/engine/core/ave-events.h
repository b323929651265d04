/* ave-events.h — the stages of a job and the events it sends.
 *
 * What a job reports while it runs: a stage starts, progresses and ends,
 * a warning, a notice, a finished file, a decision the engine took, a
 * resource sample, a cache answer, the run's costs.  Front ends and the
 * job's observers (resources/ave-job-observer.h: metrics, the runtime
 * watcher, the cost report, the CLI's progress printer, the D-Bus service)
 * read these; none of them needs the job itself.  Front ends must ignore
 * kinds they do not know: new ones are added at the end.
 */
#pragma once

#include <glib.h>

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

/* One remote call as DIR/<stem>/costs.json, the metrics and the --json
 * events record it (docs/ai.md, "Costs"). */
typedef enum {
  AVE_CALL_OK,              /* answered and charged */
  AVE_CALL_CACHED,          /* answered from the response cache: $0 */
  AVE_CALL_REFUSED_BUDGET,  /* not sent: its worst case did not fit the budget */
  AVE_CALL_FAILED,          /* sent, no usable answer (charged what the provider counted, if anything) */
} AveCallStatus;

typedef struct
{
  const char   *kind;              /* "chat", "transcription", "image" */
  const char   *provider;          /* "openai", "gemini" */
  const char   *model;
  guint64       prompt_tokens;     /* the provider's own counts */
  guint64       completion_tokens;
  double        audio_seconds;
  guint         images;
  double        usd;               /* the counts times the price */
  AveCallStatus status;
  double        latency_s;
} AveCostRecord;

/* What the cost ledger counted (resources/ave-cost-ledger.h); in an
 * AVE_EVENT_COSTS event, what one run added. */
typedef struct
{
  double  spent_usd;        /* settled calls */
  double  reserved_usd;     /* calls in flight */
  double  budget_usd;       /* 0 = no limit */
  guint   calls;            /* settled calls */
  guint   refused;          /* calls refused by the budget */
  guint   cache_hits;       /* calls answered from the response cache (cost 0) */
} AveCostTotals;

/* A change the engine made for one run (core/ave-run-decisions.h). */
typedef struct _AveDecision AveDecision;

/* "ok", "cached", "refused-budget", "failed" */
const char *ave_call_status_to_string (AveCallStatus status);

typedef enum {
  AVE_EVENT_STAGE_START,
  AVE_EVENT_STAGE_PROGRESS,
  AVE_EVENT_STAGE_END,
  AVE_EVENT_WARNING,       /* something the user should know; the job goes on */
  AVE_EVENT_NOTICE,        /* information: which compute device runs, ... */
  AVE_EVENT_RESULT,        /* a finished output file */
  AVE_EVENT_DECISION,      /* the engine chose another value for a setting while
                            * running (adaptive quality, load shedding): `name` is
                            * the setting, `message` says from what to what and
                            * why, `decision` is the same as data.  The user's
                            * settings are not changed (core/ave-run-decisions.h) */
  AVE_EVENT_COST,          /* a remote call was made, answered from the cache or
                            * refused: `cost` (docs/ai.md) */
  AVE_EVENT_SAMPLE,        /* a periodic resource sample (monitoring): `message`
                            * is NULL; read it with ave_resource_sample_take.
                            * Sent ~2 per second while settings->real_time_stats
                            * is set (the CLI's live status line) */
  AVE_EVENT_CACHE,         /* a cache was asked: `name` is what ("analysis",
                            * "thumbnails", "render"), `hit` the answer */
  AVE_EVENT_COSTS,         /* the run ends: `totals` is what it added to the cost
                            * ledger (calls, dollars, refusals, cache hits) and the
                            * budget; sent once, before the observers end */
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
  gboolean     hit;            /* CACHE */
  const AveDecision   *decision; /* DECISION (NULL from code that logs none) */
  const AveCostTotals *totals;   /* COSTS */
} AveEvent;

typedef void (*AveEventFunc) (const AveEvent *event,
                              gpointer        user_data);

G_END_DECLS
