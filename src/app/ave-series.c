#define G_LOG_DOMAIN "ave-series"

#include "config.h"

#include "ave-series.h"

struct _AvePoint
{
  GObject parent_instance;
  double  time;
  double  value;
};

G_DEFINE_FINAL_TYPE (AvePoint, ave_point, G_TYPE_OBJECT)

static void
ave_point_class_init (AvePointClass *klass)
{
}

static void
ave_point_init (AvePoint *self)
{
}

double
ave_point_get_time (AvePoint *self)
{
  g_return_val_if_fail (AVE_IS_POINT (self), 0);
  return self->time;
}

double
ave_point_get_value (AvePoint *self)
{
  g_return_val_if_fail (AVE_IS_POINT (self), 0);
  return self->value;
}

typedef struct
{
  double time;
  double value;
} Sample;

struct _AveSeries
{
  GObject  parent_instance;
  Sample  *ring;
  guint    capacity;
  guint    first;     /* index of the oldest point in ring */
  guint    n;         /* points held */
};

static void ave_series_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AveSeries, ave_series, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, ave_series_list_model_init))

static GType
ave_series_get_item_type (GListModel *model)
{
  return AVE_TYPE_POINT;
}

static guint
ave_series_get_n_items (GListModel *model)
{
  return AVE_SERIES (model)->n;
}

static gpointer
ave_series_get_item (GListModel *model, guint position)
{
  AveSeries *self = AVE_SERIES (model);
  AvePoint *point;
  double t, v;

  if (!ave_series_get_point (self, position, &t, &v))
    return NULL;
  point = g_object_new (AVE_TYPE_POINT, NULL);
  point->time = t;
  point->value = v;
  return point;
}

static void
ave_series_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ave_series_get_item_type;
  iface->get_n_items = ave_series_get_n_items;
  iface->get_item = ave_series_get_item;
}

static void
ave_series_finalize (GObject *object)
{
  AveSeries *self = AVE_SERIES (object);

  g_clear_pointer (&self->ring, g_free);
  G_OBJECT_CLASS (ave_series_parent_class)->finalize (object);
}

static void
ave_series_class_init (AveSeriesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ave_series_finalize;
}

static void
ave_series_init (AveSeries *self)
{
}

AveSeries *
ave_series_new (guint capacity)
{
  AveSeries *self;

  g_return_val_if_fail (capacity > 0, NULL);
  self = g_object_new (AVE_TYPE_SERIES, NULL);
  self->capacity = capacity;
  self->ring = g_new0 (Sample, capacity);
  return self;
}

guint
ave_series_get_capacity (AveSeries *self)
{
  g_return_val_if_fail (AVE_IS_SERIES (self), 0);
  return self->capacity;
}

void
ave_series_push (AveSeries *self, double time, double value)
{
  gboolean dropped = FALSE;

  g_return_if_fail (AVE_IS_SERIES (self));

  if (self->n == self->capacity)
    {
      self->first = (self->first + 1) % self->capacity;
      self->n--;
      dropped = TRUE;
    }
  self->ring[(self->first + self->n) % self->capacity] = (Sample) { time, value };
  self->n++;

  /* Two notifications keep positions exact for list views: the oldest item
   * leaves at 0, the new one arrives at the end. */
  if (dropped)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 1, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), self->n - 1, 0, 1);
}

gboolean
ave_series_get_point (AveSeries *self, guint index, double *time, double *value)
{
  const Sample *s;

  g_return_val_if_fail (AVE_IS_SERIES (self), FALSE);
  if (index >= self->n)
    return FALSE;
  s = &self->ring[(self->first + index) % self->capacity];
  if (time != NULL)
    *time = s->time;
  if (value != NULL)
    *value = s->value;
  return TRUE;
}

gboolean
ave_series_get_last (AveSeries *self, double *time, double *value)
{
  g_return_val_if_fail (AVE_IS_SERIES (self), FALSE);
  return self->n > 0 && ave_series_get_point (self, self->n - 1, time, value);
}

double
ave_series_get_max (AveSeries *self)
{
  double max = 0;

  g_return_val_if_fail (AVE_IS_SERIES (self), 0);
  for (guint i = 0; i < self->n; i++)
    max = MAX (max, self->ring[(self->first + i) % self->capacity].value);
  return max;
}

void
ave_series_clear (AveSeries *self)
{
  guint old;

  g_return_if_fail (AVE_IS_SERIES (self));
  old = self->n;
  self->n = 0;
  self->first = 0;
  if (old > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old, 0);
}
