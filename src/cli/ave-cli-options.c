#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <string.h>

#include "ave-cli-options.h"
#include "core/ave-error.h"
#include "core/ave-presets.h"

typedef struct
{
  const AveOption *option;
  char            *value;
  char            *flag;    /* as typed: "--stream-processing", "-q" */
  guint            order;
} FlagValue;

struct _AveCliOptions
{
  gboolean   render;
  GPtrArray *values;        /* FlagValue, in command-line order */
};

static void
flag_value_free (gpointer data)
{
  FlagValue *v = data;
  g_free (v->value);
  g_free (v->flag);
  g_free (v);
}

AveCliOptions *
ave_cli_options_new (gboolean render)
{
  AveCliOptions *self = g_new0 (AveCliOptions, 1);

  self->render = render;
  self->values = g_ptr_array_new_with_free_func (flag_value_free);
  return self;
}

void
ave_cli_options_free (AveCliOptions *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->values);
  g_free (self);
}

static const AveOption *
option_for_flag (const char *flag)
{
  guint n;
  const AveOption *options = ave_config_get_options (&n);

  if (g_str_has_prefix (flag, "--"))
    return ave_config_find_option (flag + 2);
  for (guint i = 0; i < n; i++)
    if (flag[0] == '-' && flag[1] == options[i].short_name && flag[2] == '\0')
      return &options[i];
  return NULL;
}

/* Flags are only collected while parsing: they are applied after the
 * preset and the config file, whatever their place on the line. */
static gboolean
on_flag (const char *option_name,
         const char *value,
         gpointer    user_data,
         GError    **error)
{
  AveCliOptions *self = user_data;
  const AveOption *option = option_for_flag (option_name);
  FlagValue *v;

  if (option == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown option %s", option_name);
      return FALSE;
    }
  v = g_new0 (FlagValue, 1);
  v->option = option;
  v->value = g_strdup (value);
  v->flag = g_strdup (option_name);
  v->order = self->values->len;
  g_ptr_array_add (self->values, v);
  return TRUE;
}

GOptionGroup *
ave_cli_options_group (AveCliOptions *self)
{
  guint n;
  const AveOption *options = ave_config_get_options (&n);
  GOptionGroup *group = g_option_group_new ("engine", "Engine options", "Show engine options", self, NULL);
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (guint i = 0; i < n; i++)
    {
      GOptionEntry entry = { 0 };

      if (!self->render && (options[i].flags & AVE_OPTION_RENDER_ONLY))
        continue;
      entry.long_name = options[i].name;
      entry.short_name = options[i].short_name;
      entry.flags = options[i].value_name == NULL ? G_OPTION_FLAG_NO_ARG : 0;
      entry.arg = G_OPTION_ARG_CALLBACK;
      entry.arg_data = (gpointer) on_flag;
      entry.description = options[i].help;
      entry.arg_description = options[i].value_name;
      g_array_append_val (entries, entry);
    }
  g_option_group_add_entries (group, (const GOptionEntry *) entries->data);
  return group;
}

static int
compare_flags (gconstpointer pa, gconstpointer pb)
{
  const FlagValue *a = *(const FlagValue **) pa, *b = *(const FlagValue **) pb;
  const char *na = a->option->alias_of != NULL ? a->option->alias_of : a->option->name;
  const char *nb = b->option->alias_of != NULL ? b->option->alias_of : b->option->name;
  int ra = ave_config_option_rank (na), rb = ave_config_option_rank (nb);

  /* An alias ranks as what it stands for (--optimize-speed moves the
   * encoder preset after the quality level, like --performance-target). */
  if (ra != rb)
    return ra - rb;
  return (int) a->order - (int) b->order;
}

static gboolean
apply_flag (FlagValue          *v,
            AveSettings        *settings,
            AveSettingsSources *sources,
            GPtrArray          *notices,
            GError            **error)
{
  g_autoptr(GError) local = NULL;

  if (!ave_config_apply_option (settings, sources, v->option->name, v->value,
                                AVE_SETTING_SOURCE_FLAG, v->flag, notices, &local))
    {
      g_set_error (error, AVE_SETTINGS_ERROR, local->code, "%s: %s", v->flag, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
ave_cli_options_resolve (AveCliOptions      *self,
                         const char         *config_path,
                         AveSettings        *settings,
                         AveSettingsSources *sources,
                         GPtrArray          *notices,
                         GError            **error)
{
  /* A plain copy: g_ptr_array_copy() would also copy the free function. */
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; i < self->values->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (self->values, i));
  g_ptr_array_sort (sorted, compare_flags);

  /* A preset is the lowest layer above the defaults, even when it is given
   * on the command line: the config file and the other flags override it. */
  for (guint i = 0; i < sorted->len; i++)
    {
      FlagValue *v = g_ptr_array_index (sorted, i);
      if (g_str_equal (v->option->name, "preset") && !apply_flag (v, settings, sources, notices, error))
        return FALSE;
    }
  if (config_path != NULL && !ave_config_load_file (settings, sources, config_path, notices, error))
    return FALSE;
  for (guint i = 0; i < sorted->len; i++)
    {
      FlagValue *v = g_ptr_array_index (sorted, i);
      if (!g_str_equal (v->option->name, "preset") && !apply_flag (v, settings, sources, notices, error))
        return FALSE;
    }
  return TRUE;
}
