/* ave-engine-service.h — the engine's D-Bus API (io.github.aivideoeditor.
 * Editor.Engine1 and one Job1 object per job; data/io.github.
 * aivideoeditor.Editor.Engine1.xml describes it, docs/dbus.md shows it).
 *
 * One implementation serves both `ai-video-editor --gapplication-service`
 * without a display (ave-service.c) and the running desktop app
 * (ave-application.c): each creates one from its GApplication's
 * dbus_register and drops it in dbus_unregister.  It uses no GTK.
 *
 * Jobs run through the engine's job queue (core/ave-job-queue.h); each
 * waiting or running job holds the application (g_application_hold).
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "ave-dbus-generated.h"

G_BEGIN_DECLS

#define AVE_ENGINE_SERVICE_PATH "/io/github/aivideoeditor/Editor"

#define AVE_TYPE_ENGINE_SERVICE (ave_engine_service_get_type ())
G_DECLARE_FINAL_TYPE (AveEngineService, ave_engine_service, AVE, ENGINE_SERVICE, GObject)

/* `preferences` (may be NULL): the app's GSettings, the base of every
 * job's settings and the default output folder.  `output_root` (may be
 * NULL): results go there unless a caller gives "output-dir".
 * `max_jobs` 0: as many as the memory budget holds. */
AveEngineService *ave_engine_service_new        (GApplication *app,
                                                 GSettings    *preferences,
                                                 const char   *output_root,
                                                 guint         max_jobs);
gboolean          ave_engine_service_export     (AveEngineService *self,
                                                 GDBusConnection  *connection,
                                                 GError          **error);
/* Unexports everything and cancels every job (they stop in their threads). */
void              ave_engine_service_unexport   (AveEngineService *self);

/* The jobs' objects, oldest first (AveDBusJob1 skeletons: read their
 * properties, or connect to notify:: and their signals).  "job-added"
 * (AveDBusJob1 *job) announces each new one. */
GPtrArray        *ave_engine_service_get_jobs   (AveEngineService *self);
/* Cancels the job of this skeleton, whoever started it: the user of the
 * app, in front of it, may stop any job. */
void              ave_engine_service_cancel_job (AveEngineService *self,
                                                 AveDBusJob1      *job);

G_END_DECLS
