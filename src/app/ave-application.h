/* ave-application.h — the desktop app (io.github.aivideoeditor.Editor).
 *
 * Its actions (quit, open, process, cancel, render, undo, redo,
 * save-project, open-project, preferences, shortcuts, about,
 * cut-segment(u), restore-segment(u)) act on the active window and are
 * exported on the session bus by GApplication, so scripts and tests can
 * drive an edit through org.gtk.Actions.
 */
#pragma once

#include <adwaita.h>

#include "ave-stall-monitor.h"
#include "ave-engine-service.h"

G_BEGIN_DECLS

#define AVE_TYPE_APPLICATION (ave_application_get_type ())
G_DECLARE_FINAL_TYPE (AveApplication, ave_application, AVE, APPLICATION, AdwApplication)

AveApplication  *ave_application_new               (void);
GSettings       *ave_application_get_settings      (AveApplication *self);
AveStallMonitor *ave_application_get_stall_monitor (AveApplication *self);
/* The folder given with --output-dir, or NULL (then the settings decide). */
const char      *ave_application_get_output_root   (AveApplication *self);
/* The engine's D-Bus API the app serves (NULL when not on a bus). */
AveEngineService *ave_application_get_engine_service (AveApplication *self);
/* Re-reads which actions the active window allows now. */
void             ave_application_update_actions    (AveApplication *self);

G_END_DECLS
