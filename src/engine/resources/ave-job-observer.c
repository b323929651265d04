#define G_LOG_DOMAIN "ave-job-observer"

#include "config.h"

#include "resources/ave-job-observer.h"

void
ave_job_observer_free (AveJobObserver *self)
{
  if (self != NULL && self->funcs->free != NULL)
    self->funcs->free (self);
}

/* ------------------------------------------------ a callback as observer */

typedef struct
{
  AveJobObserver  parent;
  AveEventFunc    func;
  gpointer        user_data;
  GDestroyNotify  destroy;
  GMutex          lock;   /* one event at a time, whichever thread sends it */
} FuncObserver;

static void
func_observer_event (AveJobObserver *observer, AveJobRun *run, const AveEvent *event)
{
  FuncObserver *self = (FuncObserver *) observer;

  g_mutex_lock (&self->lock);
  self->func (event, self->user_data);
  g_mutex_unlock (&self->lock);
}

static void
func_observer_free (gpointer data)
{
  FuncObserver *self = data;

  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static const AveJobObserverFuncs func_observer_funcs = {
  .event = func_observer_event,
  .free = func_observer_free,
};

AveJobObserver *
ave_event_func_observer_new (AveEventFunc   func,
                             gpointer       user_data,
                             GDestroyNotify destroy)
{
  FuncObserver *self;

  g_return_val_if_fail (func != NULL, NULL);
  self = g_new0 (FuncObserver, 1);
  self->parent.funcs = &func_observer_funcs;
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  g_mutex_init (&self->lock);
  return &self->parent;
}
