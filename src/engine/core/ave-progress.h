/* ave-progress.h — the progress callback every long-running engine call takes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Called from the worker thread doing the work, with fraction in [0, 1],
 * non-decreasing.  Must be cheap; front ends marshal to their own thread. */
typedef void (*AveProgressFunc) (double   fraction,
                                 gpointer user_data);

G_END_DECLS
