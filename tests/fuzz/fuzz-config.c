/* fuzz-config.c — the YAML config (ave_config_load_data, what
 * `--config FILE` and the presets go through), then the description of
 * the settings it produced (`config show`). */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include "core/ave-config.h"
#include "fuzz-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AveSettings) settings = NULL;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *size_text = NULL;
  g_autoptr(AveSettingsSources) sources = NULL;
  guint64 bytes;

  fuzz_init ();
  settings = ave_settings_new ();
  sources = ave_settings_sources_new ();
  if (ave_config_load_data (settings, sources, (const char *) data, size, "fuzz.yaml",
                            AVE_SETTING_SOURCE_CONFIG, NULL, warnings, &error))
    {
      text = ave_settings_describe (settings, sources, FALSE);
      json = ave_settings_describe (settings, sources, TRUE);
    }
  else
    g_assert (error != NULL && error->message != NULL);

  /* The sizes of --max-memory and friends. */
  size_text = g_strndup ((const char *) data, size);
  (void) ave_config_parse_size (size_text, &bytes);
  return 0;
}
