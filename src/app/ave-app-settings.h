/* ave-app-settings.h — the app's GSettings and the engine settings they imply.
 *
 * Shared by the window and the headless service so both turn the same
 * choices (quality, mode, content type, preset) into the same AveSettings.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "resources/ave-cost-ledger.h"

G_BEGIN_DECLS

#define AVE_APP_SCHEMA_ID "io.github.aivideoeditor.Editor"

/* The installed schema, or the one compiled in the build tree when running
 * uninstalled; NULL with a warning when neither exists. */
GSettings   *ave_app_settings_new           (void);

/* Engine settings for these choices, applied in the engine's precedence
 * (defaults < quality / mode / content type < preset).  Unknown names are
 * AVE_SETTINGS_ERROR_INVALID_VALUE. */
AveSettings *ave_app_settings_build         (const char  *quality,
                                             const char  *mode,
                                             const char  *content_type,
                                             const char  *preset,
                                             GError     **error);
AveSettings *ave_app_settings_build_from_gsettings (GSettings *settings, GError **error);
/* The subtitle and caption choices on top of `settings`, after the
 * content type as the command line's flags come after it: `subtitles`
 * (none, srt, vtt, all: --subtitles), `burn` (--burn-captions), `retakes`
 * (auto keeps the content type's choice; remove / keep as
 * --remove-retakes / --keep-retakes) and `style` (--caption-style
 * KEY=VALUE,...; NULL or "" for the default).  NULL leaves a choice as it
 * is.  Errors are AVE_SETTINGS_ERROR_INVALID_VALUE naming the value. */
gboolean     ave_app_settings_apply_captions (AveSettings *settings,
                                              const char  *subtitles,
                                              gboolean     burn,
                                              const char  *retakes,
                                              const char  *style,
                                              GError     **error);
/* The caption_* fields of `settings` from a --caption-style string. */
gboolean     ave_app_settings_apply_caption_style (AveSettings *settings,
                                                   const char  *style,
                                                   GError     **error);

/* The AI provider keys (director, llm-provider, llm-url, llm-model, asr,
 * asr-url, asr-model, budget-limit) on top of `settings`, each through the
 * engine's option of the same name (ave_config_apply_option), so the app
 * accepts and refuses exactly what the command line does.  An empty string
 * or a budget of 0 leaves the engine's default. */
gboolean     ave_app_settings_apply_providers (AveSettings *settings,
                                               GSettings   *gsettings,
                                               GError     **error);
/* The `budget-limit` key as `ledger`'s budget (0: none), so that a cost
 * graph of that ledger measures against it before any job runs. */
void         ave_app_settings_apply_budget    (GSettings     *gsettings,
                                               AveCostLedger *ledger);
/* One of those keys with `value` (the preferences check a value with it
 * before storing it).  Errors name the key. */
gboolean     ave_app_settings_apply_provider  (AveSettings *settings,
                                               const char  *key,
                                               const char  *value,
                                               GError     **error);
/* The provider and URL (NULL: any URL of the provider) a service's key
 * ("llm" or "asr") is filed under in the keyring, from the settings, as
 * the engine looks it up. */
void         ave_app_settings_key_target      (GSettings   *gsettings,
                                               const char  *service,
                                               char       **provider,
                                               char       **url);
/* Stores `key` in the desktop keyring for that provider and URL, as
 * `ai-video-editor auth set` does; never in GSettings or a file.  Blocks
 * on D-Bus: call it from a thread.  Without a keyring:
 * G_IO_ERROR_NOT_SUPPORTED naming the environment variable to use
 * instead.  No message ever holds the key. */
gboolean     ave_app_settings_store_key       (const char  *service,
                                               const char  *provider,
                                               const char  *url,
                                               const char  *key,
                                               GError     **error);
/* Whether a job would find a key for `service`, and where (environment
 * or keyring), or why not; never the key.  Blocks on D-Bus like the
 * above. */
char        *ave_app_settings_describe_key    (const char  *service,
                                               const char  *provider,
                                               const char  *url);

/* The output folder from the settings (absolute), or the Videos folder. */
char        *ave_app_settings_get_output_folder (GSettings *settings);

/* The memory the graphs measure against: the budget, or all of RAM. */
guint64      ave_app_settings_memory_limit  (const AveSettings *settings);

G_END_DECLS

/* The choices of the quality, mode, content-type and preset keys, in the
 * order the combo rows show them. */
typedef struct
{
  const char *value;    /* as stored in GSettings and understood by the engine */
  const char *label;    /* untranslated; show _(label) */
} AveChoice;

const AveChoice *ave_app_settings_get_choices   (const char *key, guint *n_choices);
/* A GtkStringList of the translated labels. */
GListModel      *ave_app_settings_choice_model  (const char *key);
const char      *ave_app_settings_choice_value  (const char *key, guint index);
guint            ave_app_settings_choice_index  (const char *key, const char *value);
/* Binds an AdwComboRow's "selected" to the key (both ways). */
void             ave_app_settings_bind_choice   (GSettings *settings, const char *key, gpointer combo_row);
