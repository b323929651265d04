/* ave-filmstrip.h — thumbnails and audio peaks of one source for the
 * timeline, decoded on worker threads.
 *
 * Nothing is decoded on the main thread: lookups return what is cached
 * (or NULL) and queue the rest; results arrive back on the main thread
 * (g_main_context_invoke) and "updated" tells the timeline to redraw.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define AVE_TYPE_FILMSTRIP (ave_filmstrip_get_type ())
G_DECLARE_FINAL_TYPE (AveFilmstrip, ave_filmstrip, AVE, FILMSTRIP, GObject)

/* Thumbnails are `thumb_width` x `thumb_height` pixels (even numbers). */
AveFilmstrip *ave_filmstrip_new           (const char *path,
                                           int         thumb_width,
                                           int         thumb_height);
const char   *ave_filmstrip_get_path      (AveFilmstrip *self);

/* The picture at `time` on a grid of `step` seconds (the frame at the
 * grid point at or before `time`).  Returns the cached texture (owned by
 * the filmstrip) or NULL after queueing it; the latest requests are
 * decoded first, so the visible part of a scrolled timeline comes first.
 * While the exact picture is missing, a coarser grid's picture is
 * returned when there is one. */
GdkTexture   *ave_filmstrip_lookup        (AveFilmstrip *self,
                                           double        time,
                                           double        step);
/* Forgets queued (not yet decoded) pictures: the view moved on. */
void          ave_filmstrip_drop_requests (AveFilmstrip *self);

/* The lowest and highest sample (-1..1) between two source times, from
 * the peaks computed so far.  FALSE when that range is not read yet. */
gboolean      ave_filmstrip_get_peaks     (AveFilmstrip *self,
                                           double        start,
                                           double        end,
                                           float        *min_out,
                                           float        *max_out);
/* How many seconds of peaks are ready (they are computed from the start). */
double        ave_filmstrip_get_peaks_end (AveFilmstrip *self);

G_END_DECLS
