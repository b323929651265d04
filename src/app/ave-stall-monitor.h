/* ave-stall-monitor.h — how long the main loop was kept from running.
 *
 * A high-priority source wakes every 10 ms; each wake-up's lateness is how
 * long the loop was busy with something else (a long handler, a slow
 * frame).  While measuring, the largest lateness is kept.  Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AveStallMonitor AveStallMonitor;

AveStallMonitor *ave_stall_monitor_new      (GMainContext *context);
void             ave_stall_monitor_free     (AveStallMonitor *self);
/* Measuring is reference counted: nested begin/end pairs are fine. */
void             ave_stall_monitor_begin    (AveStallMonitor *self);
void             ave_stall_monitor_end      (AveStallMonitor *self);
gboolean         ave_stall_monitor_is_measuring (AveStallMonitor *self);
/* Largest lateness seen while measuring, milliseconds. */
double           ave_stall_monitor_get_max_ms (AveStallMonitor *self);
guint            ave_stall_monitor_get_n_wakeups (AveStallMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveStallMonitor, ave_stall_monitor_free)

G_END_DECLS
