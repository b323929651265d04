/* ave-config.h — settings from presets, YAML config files and flags, with
 * the source of every value.
 *
 * One table of options serves the command line, the config file and the
 * presets: a config key or a flag is turned into an option name and a value
 * and applied by ave_config_apply_option(), which validates the value and
 * records, for every AveSettings field it changed, where the value came
 * from.  Front ends apply the layers in order of precedence:
 *
 *   built-in defaults < preset < config file < command-line flags
 *
 * (docs/cli.md has the option table, the config keys and the presets.)
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"

G_BEGIN_DECLS

typedef enum {
  AVE_SETTING_SOURCE_DEFAULT,
  AVE_SETTING_SOURCE_PRESET,
  AVE_SETTING_SOURCE_CONFIG,
  AVE_SETTING_SOURCE_FLAG,
} AveSettingSource;

/* "default", "preset", "config", "flag" */
const char *ave_setting_source_to_string (AveSettingSource source);

typedef struct _AveSettingsSources AveSettingsSources;

AveSettingsSources *ave_settings_sources_new    (void);
void                ave_settings_sources_free   (AveSettingsSources *self);
/* Where the AveSettings field `field` (its C name, e.g. "max_memory_bytes")
 * got its value.  `origin` says exactly what set it: "--max-memory",
 * "performance_config.yaml:9", "preset 16gb (16gb.yaml:6)"; NULL for
 * built-in defaults. */
AveSettingSource    ave_settings_sources_lookup (const AveSettingsSources *self,
                                                 const char               *field,
                                                 const char              **origin);
void                ave_settings_sources_set    (AveSettingsSources *self,
                                                 const char         *field,
                                                 AveSettingSource    source,
                                                 const char         *origin);

/* Option flags */
#define AVE_OPTION_RENDER_ONLY (1u << 0)  /* only meaningful when a video is rendered (not for `analyze`) */

typedef struct
{
  const char *name;        /* long flag without "--" */
  char        short_name;  /* 0 = none */
  const char *alias_of;    /* canonical option this one stands for, or NULL */
  const char *alias_value; /* the value the alias gives it (a switch: NULL = on, "false" = off) */
  const char *value_name;  /* NULL: a switch; else the placeholder shown in --help */
  const char *help;
  guint       flags;
} AveOption;

/* Every option the engine knows (front ends add their own: --output, --json…). */
const AveOption *ave_config_get_options  (guint *n_options);
const AveOption *ave_config_find_option  (const char *name);

/* Applies one option.  `value` is NULL for a switch that is turned on, or
 * "true"/"false" (also yes/no/on/off) for a switch from a config file.
 * `origin` is recorded for every field that changes (and for the field the
 * option names even when its value does not change).  On a bad value the
 * error (AVE_SETTINGS_ERROR_INVALID_VALUE) reads "'abc' is not a number from
 * 0.1 to 1024 (GB)" — callers prefix the flag or file:line.  `notices`
 * (may be NULL) receives one-line remarks the user should see (for
 * example that --cuda-optimization runs the Vulkan backend). */
gboolean ave_config_apply_option (AveSettings        *settings,
                                  AveSettingsSources *sources,
                                  const char         *name,
                                  const char         *value,
                                  AveSettingSource    source,
                                  const char         *origin,
                                  GPtrArray          *notices,
                                  GError            **error);

/* The order in which options given together are applied: presets, then
 * quality/mode/type, then switches that adjust several values, then single
 * values — so that a single value always wins over a group in one layer. */
int      ave_config_option_rank  (const char *name);

/* Loads a YAML config file (the guide's performance_config.yaml format) as
 * the CONFIG layer.  Unknown keys add "file:line: unknown key 'x' (ignored)"
 * to `warnings` (may be NULL); a syntax error or a bad value fails with
 * "file:line: key: 'x' is not one of a|b|c" (AVE_SETTINGS_ERROR_PARSE or
 * _INVALID_VALUE). */
gboolean ave_config_load_file    (AveSettings        *settings,
                                  AveSettingsSources *sources,
                                  const char         *path,
                                  GPtrArray          *warnings,
                                  GError            **error);
/* Same from memory; `display_name` is used in messages and origins, and
 * `origin_prefix` (may be NULL) is put before "file:line" in the sources
 * (the presets use "preset 16gb"). */
gboolean ave_config_load_data    (AveSettings        *settings,
                                  AveSettingsSources *sources,
                                  const char         *data,
                                  gsize               length,
                                  const char         *display_name,
                                  AveSettingSource    source,
                                  const char         *origin_prefix,
                                  GPtrArray          *warnings,
                                  GError            **error);

/* The resolved settings with the source of each field: one "name = value
 * (source: origin)" line each, or a JSON object
 * {"settings": {"name": {"value": v, "source": "flag", "origin": "--x"}}}. */
char    *ave_settings_describe   (const AveSettings        *settings,
                                  const AveSettingsSources *sources,
                                  gboolean                  json);

/* Parses "4GB", "512MiB", "2.5 GB", "4" (GB when no unit; B, KB/MB/GB/TB
 * are powers of 1000, KiB/MiB/GiB/TiB powers of 1024). */
gboolean ave_config_parse_size   (const char *text, guint64 *bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSettingsSources, ave_settings_sources_free)

G_END_DECLS
