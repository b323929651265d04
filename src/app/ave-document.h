/* ave-document.h — one document of the app: a source video, its analysis,
 * the edit plan with its undo history, the project file it came from or
 * was saved to, the results of the last job, and the jobs running and
 * queued for it.
 *
 * The window, the timeline and the preview (and the transcript) are views:
 * they observe the document through its properties and signals and change
 * it through its functions, as GNOME Text Editor separates its document
 * from its window.  Main thread only; jobs run on worker threads through
 * the engine's job queue (one at a time, below the UI's priority), and
 * their events come back here on the main thread.
 *
 * Jobs: Process and Render are the document's own (their plan and results
 * become the document's).  More videos can be queued (a drop of several
 * files): each is processed into its own output folder and reported with
 * a message; only one job runs at a time.
 */
#pragma once

#include <gio/gio.h>

#include "director/ave-plan-history.h"
#include "media/ave-media.h"
#include "pipeline/ave-job.h"

G_BEGIN_DECLS

#define AVE_TYPE_DOCUMENT (ave_document_get_type ())
G_DECLARE_FINAL_TYPE (AveDocument, ave_document, AVE, DOCUMENT, GObject)

AveDocument        *ave_document_new              (void);

/* The state.  Properties: "source" (string), "project-path" (string),
 * "busy" (a job runs or waits), "n-jobs" (running and waiting), "dirty"
 * (the plan was edited since it was made, loaded or saved), "can-undo",
 * "can-redo". */
const char         *ave_document_get_source       (AveDocument *self);
const AveMediaInfo *ave_document_get_media        (AveDocument *self);
AveAnalysis        *ave_document_get_analysis     (AveDocument *self);
AvePlan            *ave_document_get_plan         (AveDocument *self);
AvePlanHistory     *ave_document_get_history      (AveDocument *self);
const char         *ave_document_get_project_path (AveDocument *self);
/* DIR/<name>/ where the document's results are, or NULL before a job. */
char               *ave_document_dup_output_dir   (AveDocument *self);
gboolean            ave_document_get_dirty        (AveDocument *self);
gboolean            ave_document_is_busy          (AveDocument *self);
guint               ave_document_get_n_jobs       (AveDocument *self);
guint               ave_document_get_n_waiting    (AveDocument *self);
gboolean            ave_document_can_process      (AveDocument *self);
gboolean            ave_document_can_render       (AveDocument *self);
gboolean            ave_document_can_undo         (AveDocument *self);
gboolean            ave_document_can_redo         (AveDocument *self);

/* Results of the document's last job (or found on disk for a project). */
GPtrArray          *ave_document_get_thumbnails   (AveDocument *self);   /* of paths */
const char         *ave_document_get_metadata_path (AveDocument *self);
const char         *ave_document_get_final_path   (AveDocument *self);

/* A video (probed off the main thread) or a *.aveproj project.  On
 * success "source" changes (and "model-changed" for a project); failures
 * are "error" signals.  Refused while a job runs or waits. */
void                ave_document_open             (AveDocument *self, GFile *file);
gboolean            ave_document_save_project_to  (AveDocument *self, const char *path, GError **error);

/* Jobs.  `settings` are copied; `output_root` is where new output folders
 * go (a render reuses the document's own).  Process discards the plan. */
gboolean            ave_document_process          (AveDocument *self, const AveSettings *settings,
                                                   const char *output_root, GError **error);
gboolean            ave_document_render           (AveDocument *self, const AveSettings *settings,
                                                   const char *output_root, GError **error);
/* Processes another video after what is queued, into its own output folder. */
gboolean            ave_document_queue_video      (AveDocument *self, const char *path,
                                                   const AveSettings *settings,
                                                   const char *output_root, GError **error);
/* Cancels every job, running or waiting. */
void                ave_document_cancel           (AveDocument *self);

void                ave_document_undo             (AveDocument *self);
void                ave_document_redo             (AveDocument *self);
gboolean            ave_document_set_segment_enabled (AveDocument *self, guint index,
                                                      gboolean enabled, GError **error);

/* Signals:
 *   "model-changed" ()             the analysis, plan and history were replaced
 *   "plan-changed" ()              the plan was edited
 *   "state-changed" ()             what can be done changed (actions)
 *   "job-started" (uint kind, string source)
 *   "job-finished" (uint kind, string source, boolean ok)
 *   "stage-started" (uint stage)
 *   "stage-progress" (uint stage, double fraction)
 *   "stage-finished" (uint stage, boolean skipped, double seconds)
 *   "results-changed" ()
 *   "message" (string)             for a toast; a warning keeps going
 *   "warning" (string)             a job's warning, for the results view
 *   "error" (GError, string button_label, string action_name)
 */

G_END_DECLS
