#define G_LOG_DOMAIN "ave-director"

#include "config.h"

#include "ave-director.h"
#include "ave-local-director.h"

G_DEFINE_INTERFACE (AveDirector, ave_director, G_TYPE_OBJECT)

typedef struct
{
  AveDirectorMessageFunc func;
  gpointer               data;
} MessageSink;

static GQuark
sink_quark (void)
{
  return g_quark_from_static_string ("ave-director-message-sink");
}

static void
ave_director_default_init (AveDirectorInterface *iface)
{
}

const char *
ave_director_get_name (AveDirector *self)
{
  g_return_val_if_fail (AVE_IS_DIRECTOR (self), NULL);
  return AVE_DIRECTOR_GET_IFACE (self)->get_name (self);
}

AvePlan *
ave_director_plan (AveDirector        *self,
                   const AveAnalysis  *analysis,
                   const AveSettings  *settings,
                   GCancellable       *cancellable,
                   GError            **error)
{
  g_return_val_if_fail (AVE_IS_DIRECTOR (self), NULL);
  g_return_val_if_fail (analysis != NULL && settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return AVE_DIRECTOR_GET_IFACE (self)->plan (self, analysis, settings, cancellable, error);
}

void
ave_director_set_message_func (AveDirector            *self,
                               AveDirectorMessageFunc  func,
                               gpointer                user_data)
{
  MessageSink *sink = g_new0 (MessageSink, 1);

  g_return_if_fail (AVE_IS_DIRECTOR (self));
  sink->func = func;
  sink->data = user_data;
  g_object_set_qdata_full (G_OBJECT (self), sink_quark (), sink, g_free);
}

void
ave_director_message (AveDirector            *self,
                      AveDirectorMessageKind  kind,
                      const char             *format,
                      ...)
{
  MessageSink *sink = g_object_get_qdata (G_OBJECT (self), sink_quark ());
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (sink != NULL && sink->func != NULL)
    sink->func (kind, message, sink->data);
  else if (kind == AVE_DIRECTOR_WARNING)
    g_warning ("%s", message);
  else
    g_debug ("%s", message);
}

/* ------------------------------------------------------------ local */

struct _AveLocalDirector
{
  GObject parent_instance;
};

static void ave_local_director_iface_init (AveDirectorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AveLocalDirector, ave_local_director, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AVE_TYPE_DIRECTOR, ave_local_director_iface_init))

static const char *
local_get_name (AveDirector *self)
{
  return "local";
}

static AvePlan *
local_plan (AveDirector        *self,
            const AveAnalysis  *analysis,
            const AveSettings  *settings,
            GCancellable       *cancellable,
            GError            **error)
{
  return ave_local_director_plan (analysis, settings, error);
}

static void
ave_local_director_iface_init (AveDirectorInterface *iface)
{
  iface->get_name = local_get_name;
  iface->plan = local_plan;
}

static void
ave_local_director_class_init (AveLocalDirectorClass *klass)
{
}

static void
ave_local_director_init (AveLocalDirector *self)
{
}

AveDirector *
ave_local_director_new (void)
{
  return g_object_new (AVE_TYPE_LOCAL_DIRECTOR, NULL);
}
