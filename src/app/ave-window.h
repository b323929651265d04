/* ave-window.h — the main window: a view of one AveDocument (a source
 * video, its analysis, plan and jobs) with the preview and the transcript
 * side by side above the timeline, a strip of stage progress and live
 * graphs under it, the processing settings in a sidebar (AdwFlap) and
 * the results one click away.  Main thread only. */
#pragma once

#include <adwaita.h>

#include "ave-application.h"
#include "ave-document.h"

G_BEGIN_DECLS

#define AVE_TYPE_WINDOW (ave_window_get_type ())
G_DECLARE_FINAL_TYPE (AveWindow, ave_window, AVE, WINDOW, AdwApplicationWindow)

AveWindow *ave_window_new                (AveApplication *application);
AveDocument *ave_window_get_document     (AveWindow *self);

/* A video (probed off the main thread) or a *.aveproj project. */
void       ave_window_open_file          (AveWindow *self, GFile *file);
/* Files dropped on the window (or given at once): the first opens when no
 * video is open, and each is queued to be processed with the window's
 * settings.  FALSE when nothing was taken. */
gboolean   ave_window_drop_files         (AveWindow *self, GSList *files);
void       ave_window_show_open_dialog   (AveWindow *self);
void       ave_window_show_open_project_dialog (AveWindow *self);
void       ave_window_save_project       (AveWindow *self);
gboolean   ave_window_save_project_to    (AveWindow *self, const char *path, GError **error);

void       ave_window_process            (AveWindow *self);
void       ave_window_render             (AveWindow *self);
void       ave_window_cancel             (AveWindow *self);
void       ave_window_undo               (AveWindow *self);
void       ave_window_redo               (AveWindow *self);
/* Cut (FALSE) or restore (TRUE) a plan segment, through the edit history. */
gboolean   ave_window_set_segment_enabled (AveWindow *self, guint index, gboolean enabled);

gboolean   ave_window_can_process        (AveWindow *self);
gboolean   ave_window_can_render         (AveWindow *self);
gboolean   ave_window_is_busy            (AveWindow *self);
gboolean   ave_window_has_plan           (AveWindow *self);
gboolean   ave_window_can_undo           (AveWindow *self);
gboolean   ave_window_can_redo           (AveWindow *self);

void       ave_window_show_error         (AveWindow *self, const GError *error,
                                          const char *button_label, const char *action_name);
void       ave_window_show_message       (AveWindow *self, const char *message);

G_END_DECLS
