/* ave-service.h — `ai-video-editor --gapplication-service` without a display.
 *
 * D-Bus activation starts the binary with --gapplication-service.  With a
 * display the desktop app runs as that service; without one (a server, a
 * container, CI) this plain GApplication takes the same name and serves the
 * same engine API (ave-engine-service.h, docs/dbus.md).  It stays while
 * jobs run or wait and exits after --idle-timeout seconds without any.
 * Options: --output-dir DIR, --max-jobs N, --idle-timeout SECONDS.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

int ave_service_run (int argc, char **argv);

G_END_DECLS
