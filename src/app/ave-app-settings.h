/* ave-app-settings.h — the app's GSettings and the engine settings they imply.
 *
 * Shared by the window and the headless service so both turn the same
 * choices (quality, mode, content type, preset) into the same AveSettings.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"

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
