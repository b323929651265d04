#define G_LOG_DOMAIN "ave-presets"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "ave-presets.h"
#include "ave-error.h"
#include "ave-presets-resources.h"

#define PRESETS_RESOURCE_PATH "/io/github/aivideoeditor/Editor/presets/"
#define GiB (1024.0 * 1024.0 * 1024.0)

static const char * const preset_names[] = { "8gb", "16gb", "32gb", NULL };

const char * const *
ave_presets_list (void)
{
  return preset_names;
}

guint64
ave_presets_machine_ram (void)
{
  g_autofree char *meminfo = NULL;
  long pages, page_size;

  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    {
      const char *line = strstr (meminfo, "MemTotal:");
      if (line != NULL)
        {
          guint64 kib = g_ascii_strtoull (line + strlen ("MemTotal:"), NULL, 10);
          if (kib > 0)
            return kib * 1024;
        }
    }
  pages = sysconf (_SC_PHYS_PAGES);
  page_size = sysconf (_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? (guint64) pages * (guint64) page_size : 0;
}

/* A machine sold as "16 GB" reports a little less (firmware and kernel
 * reservations): the thresholds sit between the sizes. */
const char *
ave_presets_for_ram (guint64 ram_bytes)
{
  if (ram_bytes < 12 * GiB)
    return "8gb";
  if (ram_bytes < 24 * GiB)
    return "16gb";
  return "32gb";
}

char *
ave_presets_get_data (const char  *name,
                      char       **location,
                      GError     **error)
{
  const char *data_dir = g_getenv ("AVE_DATA_DIR");
  g_autofree char *file_name = g_strconcat (name, ".yaml", NULL);
  g_autofree char *resource = g_strconcat (PRESETS_RESOURCE_PATH, file_name, NULL);
  g_autoptr(GBytes) bytes = NULL;

  if (name == NULL || !g_strv_contains (preset_names, name))
    {
      g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                   "'%s' is not one of 8gb|16gb|32gb|auto", name != NULL ? name : "");
      return NULL;
    }
  if (data_dir != NULL && *data_dir != '\0')
    {
      g_autofree char *path = g_build_filename (data_dir, "presets", file_name, NULL);
      char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        {
          if (location != NULL)
            *location = g_steal_pointer (&path);
          return text;
        }
    }

  bytes = g_resource_lookup_data (ave_presets_get_resource (), resource, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  if (location != NULL)
    *location = g_strdup (file_name);
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

gboolean
ave_settings_apply_preset_with_sources (AveSettings        *settings,
                                        AveSettingsSources *sources,
                                        const char         *name,
                                        GError            **error)
{
  const char *file_preset = name;
  guint64 ram = 0;
  g_autofree char *data = NULL;
  g_autofree char *location = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);

  if (g_strcmp0 (name, "auto") == 0)
    {
      ram = ave_presets_machine_ram ();
      file_preset = ave_presets_for_ram (ram);
    }
  data = ave_presets_get_data (file_preset, &location, error);
  if (data == NULL)
    return FALSE;

  prefix = g_strcmp0 (name, "auto") == 0
           ? g_strdup_printf ("preset auto=%s", file_preset)
           : g_strdup_printf ("preset %s", file_preset);
  if (!ave_config_load_data (settings, sources, data, strlen (data), location,
                             AVE_SETTING_SOURCE_PRESET, prefix, warnings, error))
    return FALSE;
  /* The presets are ours: an unknown key in one is a bug, not a user's typo. */
  for (guint i = 0; i < warnings->len; i++)
    g_warning ("%s", (const char *) g_ptr_array_index (warnings, i));

  /* The smallest preset still asks for 6 GB: on a smaller machine the
   * budget is what the machine can give. */
  if (ram > 0 && settings->max_memory_bytes > ram / 4 * 3)
    {
      g_autofree char *origin = g_strdup_printf ("%s (3/4 of %.1f GiB RAM)", prefix, ram / GiB);
      settings->max_memory_bytes = ram / 4 * 3;
      ave_settings_sources_set (sources, "max_memory_bytes", AVE_SETTING_SOURCE_PRESET, origin);
    }

  g_free (settings->preset);
  settings->preset = g_strdup (name);
  ave_settings_sources_set (sources, "preset", AVE_SETTING_SOURCE_PRESET, prefix);
  return TRUE;
}

gboolean
ave_settings_apply_preset (AveSettings  *settings,
                           const char   *name,
                           GError      **error)
{
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();

  return ave_settings_apply_preset_with_sources (settings, sources, name, error);
}
