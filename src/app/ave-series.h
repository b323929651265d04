/* ave-series.h — a bounded time series for the live graphs.
 *
 * A ring buffer of (time, value) points that is also a GListModel of
 * AvePoint items, so a graph (or any list view) redraws on
 * "items-changed" the way Sysprof's charts follow their series models.
 * Pushing past the capacity drops the oldest point.  Main thread only.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AVE_TYPE_POINT (ave_point_get_type ())
G_DECLARE_FINAL_TYPE (AvePoint, ave_point, AVE, POINT, GObject)

double     ave_point_get_time   (AvePoint *self);
double     ave_point_get_value  (AvePoint *self);

#define AVE_TYPE_SERIES (ave_series_get_type ())
G_DECLARE_FINAL_TYPE (AveSeries, ave_series, AVE, SERIES, GObject)

AveSeries *ave_series_new       (guint capacity);
guint      ave_series_get_capacity (AveSeries *self);
/* Appends a point; times must not decrease. */
void       ave_series_push      (AveSeries *self, double time, double value);
/* Point `index` (0 = oldest) without creating an item. */
gboolean   ave_series_get_point (AveSeries *self, guint index, double *time, double *value);
gboolean   ave_series_get_last  (AveSeries *self, double *time, double *value);
/* Largest value held (0 when empty). */
double     ave_series_get_max   (AveSeries *self);
void       ave_series_clear     (AveSeries *self);

G_END_DECLS
