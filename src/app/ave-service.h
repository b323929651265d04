/* ave-service.h — `ai-video-editor --gapplication-service` without a display.
 *
 * D-Bus activation starts the binary with --gapplication-service.  With a
 * display the desktop app runs as that service; without one (a server, a
 * container, CI) this plain GApplication takes the same name so scripts can
 * still process videos over the bus through org.gtk.Actions:
 *   process-file (ss)  input path, output folder ("" = the preference)
 *   cancel, quit
 * It stays while jobs run and exits when idle.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

int ave_service_run (int argc, char **argv);

G_END_DECLS
