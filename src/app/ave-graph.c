#define G_LOG_DOMAIN "ave-graph"

#include "config.h"

#include "ave-graph.h"

struct _AveGraph
{
  GtkWidget  parent_instance;
  AveSeries *series;
  gulong     items_changed_id;
  double     limit;
  double     minimum_scale;
  double     span;
  GdkRGBA    color;
};

enum {
  PROP_0,
  PROP_SERIES,
  PROP_LIMIT,
  PROP_MINIMUM_SCALE,
  PROP_SPAN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AveGraph, ave_graph, GTK_TYPE_WIDGET)

double
ave_graph_get_scale_max (AveGraph *self)
{
  double top;

  g_return_val_if_fail (AVE_IS_GRAPH (self), 1);

  top = self->series != NULL ? ave_series_get_max (self->series) : 0;
  /* Over budget stays visible: the scale grows past the limit line. */
  if (self->limit > 0)
    return MAX (self->limit, top);
  top = MAX (top * 1.1, self->minimum_scale);
  return top > 0 ? top : 1;
}

static void
draw_graph (AveGraph *self, cairo_t *cr, int width, int height)
{
  double scale_max, newest, t, v;
  guint n;
  gboolean started = FALSE;
  double first_x = 0, last_x = 0;

  /* Grid: quarters of the scale, faint so the series stands out. */
  cairo_set_line_width (cr, 1);
  cairo_set_source_rgba (cr, self->color.red, self->color.green, self->color.blue, 0.15);
  for (int i = 1; i < 4; i++)
    {
      double y = floor (height * i / 4.0) + 0.5;
      cairo_move_to (cr, 0, y);
      cairo_line_to (cr, width, y);
    }
  cairo_stroke (cr);

  if (self->series == NULL || (n = g_list_model_get_n_items (G_LIST_MODEL (self->series))) == 0)
    return;

  scale_max = ave_graph_get_scale_max (self);
  ave_series_get_last (self->series, &newest, NULL);

  for (guint i = 0; i < n; i++)
    {
      double x, y;

      ave_series_get_point (self->series, i, &t, &v);
      if (t < newest - self->span)
        continue;
      x = width - (newest - t) / self->span * width;
      y = height - CLAMP (v / scale_max, 0, 1) * (height - 1);
      if (!started)
        {
          cairo_move_to (cr, x, y);
          first_x = x;
          started = TRUE;
        }
      else
        cairo_line_to (cr, x, y);
      last_x = x;
    }

  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  gdk_cairo_set_source_rgba (cr, &self->color);
  cairo_stroke_preserve (cr);

  cairo_line_to (cr, last_x, height);
  cairo_line_to (cr, first_x, height);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, self->color.red, self->color.green, self->color.blue, 0.25);
  cairo_fill (cr);

  if (self->limit > 0)
    {
      double dash[] = { 4, 3 };
      double y = floor (height - self->limit / scale_max * (height - 1)) + 0.5;

      cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
      cairo_set_line_width (cr, 1);
      cairo_set_source_rgba (cr, 0.88, 0.11, 0.14, 0.9);
      cairo_move_to (cr, 0, y);
      cairo_line_to (cr, width, y);
      cairo_stroke (cr);
    }
}

static void
ave_graph_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_graph (AVE_GRAPH (widget), cr, width, height);
  cairo_destroy (cr);
}

static void
ave_graph_measure (GtkWidget      *widget,
                   GtkOrientation  orientation,
                   int             for_size,
                   int            *minimum,
                   int            *natural,
                   int            *minimum_baseline,
                   int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 80 : 32;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 48;
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, AveGraph *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ave_graph_set_series (AveGraph *self, AveSeries *series)
{
  g_return_if_fail (AVE_IS_GRAPH (self));
  g_return_if_fail (series == NULL || AVE_IS_SERIES (series));

  if (self->series == series)
    return;
  if (self->series != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->series);
  g_set_object (&self->series, series);
  if (series != NULL)
    self->items_changed_id = g_signal_connect (series, "items-changed", G_CALLBACK (on_items_changed), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERIES]);
}

AveSeries *
ave_graph_get_series (AveGraph *self)
{
  g_return_val_if_fail (AVE_IS_GRAPH (self), NULL);
  return self->series;
}

void
ave_graph_set_limit (AveGraph *self, double limit)
{
  g_return_if_fail (AVE_IS_GRAPH (self));
  limit = MAX (limit, 0);
  if (self->limit == limit)
    return;
  self->limit = limit;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIMIT]);
}

double
ave_graph_get_limit (AveGraph *self)
{
  g_return_val_if_fail (AVE_IS_GRAPH (self), 0);
  return self->limit;
}

void
ave_graph_set_minimum_scale (AveGraph *self, double minimum)
{
  g_return_if_fail (AVE_IS_GRAPH (self));
  self->minimum_scale = MAX (minimum, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MINIMUM_SCALE]);
}

void
ave_graph_set_span (AveGraph *self, double seconds)
{
  g_return_if_fail (AVE_IS_GRAPH (self));
  g_return_if_fail (seconds > 0);
  self->span = seconds;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPAN]);
}

void
ave_graph_set_color (AveGraph *self, const GdkRGBA *color)
{
  g_return_if_fail (AVE_IS_GRAPH (self));
  self->color = *color;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ave_graph_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AveGraph *self = AVE_GRAPH (object);

  switch (prop_id)
    {
    case PROP_SERIES: g_value_set_object (value, self->series); break;
    case PROP_LIMIT: g_value_set_double (value, self->limit); break;
    case PROP_MINIMUM_SCALE: g_value_set_double (value, self->minimum_scale); break;
    case PROP_SPAN: g_value_set_double (value, self->span); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_graph_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AveGraph *self = AVE_GRAPH (object);

  switch (prop_id)
    {
    case PROP_SERIES: ave_graph_set_series (self, g_value_get_object (value)); break;
    case PROP_LIMIT: ave_graph_set_limit (self, g_value_get_double (value)); break;
    case PROP_MINIMUM_SCALE: ave_graph_set_minimum_scale (self, g_value_get_double (value)); break;
    case PROP_SPAN: ave_graph_set_span (self, g_value_get_double (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_graph_dispose (GObject *object)
{
  ave_graph_set_series (AVE_GRAPH (object), NULL);
  G_OBJECT_CLASS (ave_graph_parent_class)->dispose (object);
}

static void
ave_graph_class_init (AveGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ave_graph_dispose;
  object_class->get_property = ave_graph_get_property;
  object_class->set_property = ave_graph_set_property;
  widget_class->snapshot = ave_graph_snapshot;
  widget_class->measure = ave_graph_measure;

  properties[PROP_SERIES] = g_param_spec_object ("series", NULL, NULL, AVE_TYPE_SERIES,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIMIT] = g_param_spec_double ("limit", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MINIMUM_SCALE] = g_param_spec_double ("minimum-scale", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPAN] = g_param_spec_double ("span", NULL, NULL, 1, 3600, 60,
                                               G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "avegraph");
}

static void
ave_graph_init (AveGraph *self)
{
  self->span = 60;
  self->color = (GdkRGBA) { 0.21, 0.52, 0.89, 1.0 };
}

GtkWidget *
ave_graph_new (void)
{
  return g_object_new (AVE_TYPE_GRAPH, NULL);
}
