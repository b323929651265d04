/* ave-progress.h — the progress callback every long-running engine call takes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Called from the worker thread doing the work, with fraction in [0, 1],
 * non-decreasing.  Must be cheap; front ends marshal to their own thread. */
typedef void (*AveProgressFunc) (double   fraction,
                                 gpointer user_data);

/* Calls `func` with `fraction` (clamped to [0, 1]) when it moved at least
 * 0.002 past *last or reached 1, and updates *last (start it at -1): front
 * ends redraw on every call, and a few hundred steps are plenty. */
void ave_progress_report (AveProgressFunc  func,
                          gpointer         user_data,
                          double          *last,
                          double           fraction);

G_END_DECLS
