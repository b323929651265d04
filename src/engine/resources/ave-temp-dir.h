/* ave-temp-dir.h — the temporary folder of one run (--temp-dir, --cleanup-temp).
 *
 * Every run gets its own folder PARENT/ai-video-editor-<pid>-XXXXXX, where
 * the engine's scratch files go (speech model scratch, cache staging, and
 * the render itself when the user chose a temporary folder).  With
 * --cleanup-temp the folder is removed when the run ends, and folders left
 * by runs that were killed (their process is gone) are removed at start.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Creates the folder under `parent` (NULL = g_get_tmp_dir ()). */
char     *ave_temp_dir_create      (const char  *parent,
                                    GError     **error);
/* Removes a folder and everything in it, following no link. */
void      ave_temp_dir_remove      (const char *path);
/* Removes the folders of runs whose process no longer exists; returns how
 * many were removed. */
guint     ave_temp_dir_clean_stale (const char *parent);
/* Moves a finished file: a rename on one file system, else a copy to a
 * temporary name next to `to`, renamed into place, then the source is
 * removed — `to` never exists half-written. */
gboolean  ave_temp_move_file       (const char  *from,
                                    const char  *to,
                                    GError     **error);

G_END_DECLS
