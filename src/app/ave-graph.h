/* ave-graph.h — a live line chart over an AveSeries (CPU, memory, API cost).
 *
 * The last `span` seconds of the series are drawn right-aligned to the
 * newest point, filled under the line, against a vertical scale that is the
 * `limit` (a budget, drawn as a dashed line) when there is one, otherwise
 * the larger of `minimum-scale` and the highest point.  Redrawn whenever
 * the series emits "items-changed".
 */
#pragma once

#include <gtk/gtk.h>

#include "ave-series.h"

G_BEGIN_DECLS

#define AVE_TYPE_GRAPH (ave_graph_get_type ())
G_DECLARE_FINAL_TYPE (AveGraph, ave_graph, AVE, GRAPH, GtkWidget)

GtkWidget *ave_graph_new               (void);
void       ave_graph_set_series        (AveGraph *self, AveSeries *series);
AveSeries *ave_graph_get_series        (AveGraph *self);
/* The budget line; 0 = none. */
void       ave_graph_set_limit         (AveGraph *self, double limit);
double     ave_graph_get_limit         (AveGraph *self);
void       ave_graph_set_minimum_scale (AveGraph *self, double minimum);
void       ave_graph_set_span          (AveGraph *self, double seconds);
void       ave_graph_set_color         (AveGraph *self, const GdkRGBA *color);
/* The value at the top edge, from the rules above. */
double     ave_graph_get_scale_max     (AveGraph *self);

G_END_DECLS
