#define G_LOG_DOMAIN "ave-app-settings"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include <adwaita.h>

#include "core/ave-config.h"
#include "core/ave-error.h"
#include "core/ave-presets.h"
#include "providers/ave-http.h"
#include "providers/ave-keys.h"
#include "providers/ave-remote.h"

#include "ave-app-settings.h"

GSettings *
ave_app_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaSource) build_source = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, AVE_APP_SCHEMA_ID, TRUE);
#ifdef AVE_BUILD_SCHEMA_DIR
  /* Uninstalled runs (the tests, ./build/src/ai-video-editor) use the schema
   * compiled in the build tree. */
  if (schema == NULL)
    {
      build_source = g_settings_schema_source_new_from_directory (AVE_BUILD_SCHEMA_DIR, source, FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, AVE_APP_SCHEMA_ID, FALSE);
    }
#endif
  if (schema == NULL)
    {
      g_warning ("The settings schema %s is not installed; defaults cannot be remembered. "
                 "Install the application or set GSETTINGS_SCHEMA_DIR.", AVE_APP_SCHEMA_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

AveSettings *
ave_app_settings_build (const char  *quality,
                        const char  *mode,
                        const char  *content_type,
                        const char  *preset,
                        GError     **error)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  AveQuality q;
  AveMode m;
  AveContentType t;

  if (quality != NULL)
    {
      if (!ave_quality_from_string (quality, &q))
        {
          g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                       _("Quality “%s” is not one of fast, medium, high, ultra"), quality);
          return NULL;
        }
      ave_settings_apply_quality (settings, q);
    }
  if (mode != NULL)
    {
      if (!ave_mode_from_string (mode, &m))
        {
          g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                       _("Mode “%s” is not one of fast, balanced, high_quality"), mode);
          return NULL;
        }
      ave_settings_apply_mode (settings, m);
    }
  if (content_type != NULL)
    {
      if (!ave_content_type_from_string (content_type, &t))
        {
          g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                       _("Content type “%s” is not one of general, educational, music"), content_type);
          return NULL;
        }
      ave_settings_apply_content_type (settings, t);
    }
  if (preset != NULL && *preset != '\0')
    {
      if (!ave_settings_apply_preset (settings, preset, error))
        return NULL;
    }
  return g_steal_pointer (&settings);
}

AveSettings *
ave_app_settings_build_from_gsettings (GSettings *gsettings, GError **error)
{
  g_autofree char *quality = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *type = NULL;
  g_autofree char *preset = NULL;
  g_autofree char *subtitles = NULL;
  g_autofree char *retakes = NULL;
  g_autofree char *style = NULL;
  g_autoptr(AveSettings) settings = NULL;

  if (gsettings == NULL)
    return ave_app_settings_build (NULL, NULL, NULL, NULL, error);
  quality = g_settings_get_string (gsettings, "quality");
  mode = g_settings_get_string (gsettings, "mode");
  type = g_settings_get_string (gsettings, "content-type");
  preset = g_settings_get_string (gsettings, "preset");
  subtitles = g_settings_get_string (gsettings, "subtitles");
  retakes = g_settings_get_string (gsettings, "retakes");
  style = g_settings_get_string (gsettings, "caption-style");
  settings = ave_app_settings_build (quality, mode, type, preset, error);
  if (settings == NULL ||
      !ave_app_settings_apply_captions (settings, subtitles, g_settings_get_boolean (gsettings, "burn-captions"),
                                        retakes, style, error) ||
      !ave_app_settings_apply_providers (settings, gsettings, error))
    return NULL;
  return g_steal_pointer (&settings);
}

void
ave_app_settings_apply_budget (GSettings *gsettings, AveCostLedger *ledger)
{
  g_return_if_fail (ledger != NULL);
  /* 0 lifts a limit an earlier job may have left on the ledger. */
  ave_cost_ledger_set_budget (ledger, gsettings != NULL ? g_settings_get_double (gsettings, "budget-limit") : 0);
}

/* GSettings key = the engine option of the same name (--director, …). */
static const char *const provider_keys[] = {
  "director", "llm-provider", "llm-url", "llm-model", "asr", "asr-url", "asr-model",
  "thumbnail-art", "image-url", "image-model",
};

gboolean
ave_app_settings_apply_provider (AveSettings *settings,
                                 const char  *key,
                                 const char  *value,
                                 GError     **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (settings != NULL, FALSE);
  /* Empty means the engine's default, as a flag not given. */
  if (value == NULL || *value == '\0')
    return TRUE;
  if (ave_config_apply_option (settings, NULL, key, value, AVE_SETTING_SOURCE_CONFIG,
                               "preferences", NULL, &local))
    return TRUE;
  g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
               _("AI providers, %s: %s"), key, local->message);
  return FALSE;
}

gboolean
ave_app_settings_apply_providers (AveSettings *settings,
                                  GSettings   *gsettings,
                                  GError     **error)
{
  double budget;

  if (gsettings == NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (provider_keys); i++)
    {
      g_autofree char *value = g_settings_get_string (gsettings, provider_keys[i]);

      if (!ave_app_settings_apply_provider (settings, provider_keys[i], value, error))
        return FALSE;
    }
  /* 0 is "no limit", the default: as --budget-limit not given. */
  budget = g_settings_get_double (gsettings, "budget-limit");
  if (budget > 0)
    {
      char text[G_ASCII_DTOSTR_BUF_SIZE];

      if (!ave_app_settings_apply_provider (settings, "budget-limit",
                                            g_ascii_dtostr (text, sizeof text, budget), error))
        return FALSE;
    }
  return TRUE;
}

/* The provider and URL a service's key is filed under, as the engine
 * looks it up (ave-llm-director.c, ave-remote-asr.c). */
void
ave_app_settings_key_target (GSettings *gsettings, const char *service, char **provider, char **url)
{
  g_autoptr(AveSettings) settings = gsettings != NULL ? ave_app_settings_build_from_gsettings (gsettings, NULL) : NULL;
  const char *p, *u;

  /* The engine says where a job looks: the same entry is stored. */
  if (settings == NULL)
    settings = ave_settings_new ();
  ave_remote_key_target (settings, service, &p, &u);
  *provider = g_strdup (p);
  *url = g_strdup (u);
}

gboolean
ave_app_settings_store_key (const char  *service,
                            const char  *provider,
                            const char  *url,
                            const char  *key,
                            GError     **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (service != NULL && provider != NULL && key != NULL, FALSE);
  if (*key == '\0' || strchr (key, '\n') != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Paste one API key"));
      return FALSE;
    }
  if (ave_keys_store (provider, url, key, &local))
    return TRUE;
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("No desktop keyring runs here: set the key in the environment instead (%s, or AVE_API_KEY for both services)"),
                 g_str_equal (service, "asr") ? "AVE_ASR_API_KEY" : "AVE_LLM_API_KEY");
  else
    {
      /* A keyring error might quote what it was given: never the key. */
      g_autofree char *message = ave_http_redact (local->message, key);

      g_set_error (error, local->domain, local->code,
                   _("The keyring did not store the key (%s): set it in the environment instead (%s, or AVE_API_KEY for both services)"),
                   message, g_str_equal (service, "asr") ? "AVE_ASR_API_KEY" : "AVE_LLM_API_KEY");
    }
  return FALSE;
}

char *
ave_app_settings_describe_key (const char *service, const char *provider, const char *url)
{
  const char *specific = ave_remote_key_variable (service);
  g_autofree char *why = NULL;
  char *key;
  const char *value;
  /* The engine's own lookup, so that this says what a job will find. */
  key = ave_remote_find_key (service, provider, url, &why);
  if (key == NULL)
    return g_strdup_printf (_("No key: %s"), why);
  memset (key, 0, strlen (key));
  g_free (key);
  value = g_getenv (specific);
  if (value != NULL && *value != '\0')
    return g_strdup_printf (_("A key is set in %s"), specific);
  value = g_getenv ("AVE_API_KEY");
  if (value != NULL && *value != '\0')
    return g_strdup (_("A key is set in AVE_API_KEY"));
  return g_strdup_printf (_("A key for %s is stored in the desktop keyring"), provider);
}

gboolean
ave_app_settings_apply_caption_style (AveSettings *settings,
                                      const char  *style,
                                      GError     **error)
{
  g_auto(GStrv) pairs = NULL;

  if (style == NULL || *style == '\0')
    return TRUE;
  /* The syntax of --caption-style, each pair through the engine's own
   * check (ave_settings_set_caption_style_key). */
  pairs = g_strsplit (style, ",", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *message = NULL;
      char *pair = g_strstrip (pairs[i]);
      char *eq = strchr (pair, '=');
      const char *field = NULL;

      if (*pair == '\0')
        continue;
      if (eq == NULL)
        {
          g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                       _("Caption style: “%s” is not KEY=VALUE"), pair);
          return FALSE;
        }
      *eq = '\0';
      if (!ave_settings_set_caption_style_key (settings, g_strstrip (pair), g_strstrip (eq + 1),
                                               &field, &message))
        {
          g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                       _("Caption style: %s"), message != NULL ? message : pair);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ave_app_settings_apply_captions (AveSettings *settings,
                                 const char  *subtitles,
                                 gboolean     burn,
                                 const char  *retakes,
                                 const char  *style,
                                 GError     **error)
{
  g_return_val_if_fail (settings != NULL, FALSE);

  if (subtitles != NULL && !ave_subtitles_from_string (subtitles, &settings->subtitles))
    {
      g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                   _("Subtitles “%s” is not one of none, srt, vtt, all"), subtitles);
      return FALSE;
    }
  settings->burn_captions = burn;
  if (g_strcmp0 (retakes, "remove") == 0)
    settings->remove_retakes = TRUE;
  else if (g_strcmp0 (retakes, "keep") == 0)
    settings->remove_retakes = FALSE;
  else if (retakes != NULL && !g_str_equal (retakes, "auto"))
    {
      g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                   _("Retakes “%s” is not one of auto, remove, keep"), retakes);
      return FALSE;
    }
  return ave_app_settings_apply_caption_style (settings, style, error);
}

char *
ave_app_settings_get_output_folder (GSettings *gsettings)
{
  g_autofree char *folder = gsettings != NULL ? g_settings_get_string (gsettings, "output-folder") : NULL;
  const char *videos;

  if (folder != NULL && *folder != '\0')
    {
      /* "~/x" is what people type; GSettings stores it verbatim. */
      if (g_str_has_prefix (folder, "~/"))
        return g_build_filename (g_get_home_dir (), folder + 2, NULL);
      return g_canonicalize_filename (folder, NULL);
    }
  videos = g_get_user_special_dir (G_USER_DIRECTORY_VIDEOS);
  if (videos == NULL)
    videos = g_get_home_dir ();
  return g_build_filename (videos, "AI Video Editor", NULL);
}

guint64
ave_app_settings_memory_limit (const AveSettings *settings)
{
  long pages, page_size;

  if (settings != NULL && settings->max_memory_bytes > 0)
    return settings->max_memory_bytes;
  pages = sysconf (_SC_PHYS_PAGES);
  page_size = sysconf (_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? (guint64) pages * (guint64) page_size : 0;
}

static const AveChoice quality_choices[] = {
  { "fast", N_("Fast") },
  { "medium", N_("Medium") },
  { "high", N_("High") },
  { "ultra", N_("Ultra") },
};

static const AveChoice mode_choices[] = {
  { "fast", N_("Fast") },
  { "balanced", N_("Balanced") },
  { "high_quality", N_("High Quality") },
};

static const AveChoice content_type_choices[] = {
  { "general", N_("General") },
  { "educational", N_("Talk or Lecture") },
  { "music", N_("Music Video") },
};

static const AveChoice preset_choices[] = {
  { "auto", N_("Automatic") },
  { "8gb", N_("8 GB of Memory") },
  { "16gb", N_("16 GB of Memory") },
  { "32gb", N_("32 GB of Memory") },
};

static const AveChoice subtitles_choices[] = {
  { "none", N_("None") },
  { "srt", N_("SubRip (SRT)") },
  { "vtt", N_("WebVTT") },
  { "all", N_("SRT and WebVTT") },
};

static const AveChoice director_choices[] = {
  { "local", N_("Local Rules") },
  { "llm", N_("Language Model") },
};

static const AveChoice llm_provider_choices[] = {
  { "openai", N_("OpenAI-Compatible") },
  { "gemini", N_("Gemini") },
};

static const AveChoice asr_choices[] = {
  { "local", N_("Local (PocketSphinx)") },
  { "remote", N_("Remote (OpenAI-Compatible)") },
};

static const AveChoice thumbnail_art_choices[] = {
  { "none", N_("Frames of the Video") },
  { "remote", N_("Generated (OpenAI-Compatible Image API)") },
};

static const AveChoice retakes_choices[] = {
  { "auto", N_("Automatic") },
  { "remove", N_("Remove") },
  { "keep", N_("Keep") },
};

const AveChoice *
ave_app_settings_get_choices (const char *key, guint *n_choices)
{
  const AveChoice *choices = NULL;
  guint n = 0;

  if (g_str_equal (key, "quality"))
    choices = quality_choices, n = G_N_ELEMENTS (quality_choices);
  else if (g_str_equal (key, "mode"))
    choices = mode_choices, n = G_N_ELEMENTS (mode_choices);
  else if (g_str_equal (key, "content-type"))
    choices = content_type_choices, n = G_N_ELEMENTS (content_type_choices);
  else if (g_str_equal (key, "preset"))
    choices = preset_choices, n = G_N_ELEMENTS (preset_choices);
  else if (g_str_equal (key, "subtitles"))
    choices = subtitles_choices, n = G_N_ELEMENTS (subtitles_choices);
  else if (g_str_equal (key, "retakes"))
    choices = retakes_choices, n = G_N_ELEMENTS (retakes_choices);
  else if (g_str_equal (key, "director"))
    choices = director_choices, n = G_N_ELEMENTS (director_choices);
  else if (g_str_equal (key, "llm-provider"))
    choices = llm_provider_choices, n = G_N_ELEMENTS (llm_provider_choices);
  else if (g_str_equal (key, "asr"))
    choices = asr_choices, n = G_N_ELEMENTS (asr_choices);
  else if (g_str_equal (key, "thumbnail-art"))
    choices = thumbnail_art_choices, n = G_N_ELEMENTS (thumbnail_art_choices);
  else
    g_return_val_if_reached (NULL);
  if (n_choices != NULL)
    *n_choices = n;
  return choices;
}

GListModel *
ave_app_settings_choice_model (const char *key)
{
  GtkStringList *list = gtk_string_list_new (NULL);
  guint n = 0;
  const AveChoice *choices = ave_app_settings_get_choices (key, &n);

  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, _(choices[i].label));
  return G_LIST_MODEL (list);
}

const char *
ave_app_settings_choice_value (const char *key, guint index)
{
  guint n = 0;
  const AveChoice *choices = ave_app_settings_get_choices (key, &n);

  return index < n ? choices[index].value : NULL;
}

guint
ave_app_settings_choice_index (const char *key, const char *value)
{
  guint n = 0;
  const AveChoice *choices = ave_app_settings_get_choices (key, &n);

  for (guint i = 0; value != NULL && i < n; i++)
    if (g_str_equal (choices[i].value, value))
      return i;
  return 0;
}

static gboolean
choice_get_mapping (GValue *value, GVariant *variant, gpointer key)
{
  g_value_set_uint (value, ave_app_settings_choice_index (key, g_variant_get_string (variant, NULL)));
  return TRUE;
}

static GVariant *
choice_set_mapping (const GValue *value, const GVariantType *expected_type, gpointer key)
{
  const char *str = ave_app_settings_choice_value (key, g_value_get_uint (value));

  return str != NULL ? g_variant_new_string (str) : NULL;
}

void
ave_app_settings_bind_choice (GSettings *settings, const char *key, gpointer combo_row)
{
  g_autoptr(GListModel) model = ave_app_settings_choice_model (key);

  adw_combo_row_set_model (ADW_COMBO_ROW (combo_row), model);
  if (settings == NULL)
    {
      /* No schema: start from the schema's defaults all the same. */
      static const char *defaults[][2] = {
        { "quality", "medium" }, { "mode", "balanced" }, { "content-type", "general" }, { "preset", "auto" },
        { "subtitles", "all" }, { "retakes", "auto" }, { "director", "local" }, { "llm-provider", "openai" },
        { "asr", "local" }, { "thumbnail-art", "none" },
      };
      for (guint i = 0; i < G_N_ELEMENTS (defaults); i++)
        if (g_str_equal (defaults[i][0], key))
          adw_combo_row_set_selected (ADW_COMBO_ROW (combo_row), ave_app_settings_choice_index (key, defaults[i][1]));
      return;
    }
  /* `key` outlives the binding: callers pass string literals. */
  g_settings_bind_with_mapping (settings, key, combo_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                choice_get_mapping, choice_set_mapping, (gpointer) key, NULL);
}
