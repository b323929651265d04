/* ave-output-dir.h — one job's output folder DIR/<stem>/: lock, staging,
 * swap-in, and the record of what the engine wrote there.
 *
 * The rules it keeps (docs/ARCHITECTURE.md, "Files a job writes"):
 * - A job holds an advisory lock on DIR/<stem>/.ai-video-editor.lock for its
 *   whole life; a second job on the same folder (another process, or another
 *   job of this one) fails at once with the holder's process id and command.
 * - Every output is written into DIR/<stem>/.ai-video-editor-staging/ and
 *   moved into place, file by file, only by ave_output_dir_commit() once all
 *   of them are complete: a failed or cancelled run leaves the previous
 *   result exactly as it was.
 * - The engine replaces or deletes only files that it wrote, as recorded in
 *   DIR/<stem>/.ai-video-editor-manifest.json, never through a symbolic
 *   link, and never a file that is one of the job's inputs.
 */
#pragma once

#include <glib.h>

#include "core/ave-files.h"

G_BEGIN_DECLS

#define AVE_OUTPUT_LOCK_NAME     ".ai-video-editor.lock"
#define AVE_OUTPUT_STAGING_NAME  ".ai-video-editor-staging"
#define AVE_OUTPUT_MANIFEST_NAME ".ai-video-editor-manifest.json"

typedef struct _AveOutputDir AveOutputDir;

/* Creates `path` if needed, takes its lock and removes the staging folder
 * of an earlier run that did not finish.  `outputs` names what the job may
 * write (a name ending in '/' is a folder of files); each one that already
 * exists must be the engine's own, and none may be one of `inputs` (files
 * the job reads: the video, a plan).  Fails before anything is written. */
AveOutputDir *ave_output_dir_open        (const char          *path,
                                          const char * const  *outputs,
                                          const char * const  *inputs,
                                          GError             **error);
const char   *ave_output_dir_get_path    (AveOutputDir        *self);
/* DIR/<stem>/NAME, where the finished output will be. */
char         *ave_output_dir_final_path  (AveOutputDir        *self,
                                          const char          *name);
/* Where to write output NAME (one of the `outputs` given to open): a path
 * in the staging folder.  For a folder name, the staging folder of that
 * name is created empty. */
char         *ave_output_dir_stage       (AveOutputDir        *self,
                                          const char          *name,
                                          GError             **error);
/* Output NAME describes the other outputs (subtitles of final.mp4): if
 * this run does not write it again, the commit removes the earlier run's
 * file (only one the engine wrote), so it never stands beside a video it
 * does not match. */
void          ave_output_dir_retire      (AveOutputDir        *self,
                                          const char          *name);
/* Moves every staged output into place: each file is flushed to disk and
 * renamed over the previous one; a folder's files are moved one by one,
 * files of an earlier run that are not written again are removed, and
 * files a user put there are left alone.  A previous plan.json that
 * differs from the new one is kept as plan.json.bak. */
gboolean      ave_output_dir_commit      (AveOutputDir        *self,
                                          GError             **error);
/* Removes what is still staged and releases the lock. */
void          ave_output_dir_close       (AveOutputDir        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveOutputDir, ave_output_dir_close)

G_END_DECLS
