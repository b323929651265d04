/* ave-cli-options.h — the engine's options (ave-config.h) as command-line
 * flags, and the layering of defaults < preset < config file < flags. */
#pragma once

#include <glib.h>

#include "core/ave-config.h"

G_BEGIN_DECLS

typedef struct _AveCliOptions AveCliOptions;

/* `render`: include the options that only matter when a video is rendered. */
AveCliOptions *ave_cli_options_new     (gboolean render);
void           ave_cli_options_free    (AveCliOptions *self);
/* The main group of a GOptionContext holding every engine flag; pass it to
 * g_option_context_set_main_group() (the context owns it afterwards). */
GOptionGroup  *ave_cli_options_group   (AveCliOptions *self);
/* Builds the settings: built-in defaults, then the preset given with
 * --preset, then the config file (may be NULL), then the other flags in the
 * order presets < levels < groups < single values.  Config warnings and
 * notices ("--cuda-optimization: ...") are appended to `notices`.  On error
 * the message is ready to show: "--max-memory: 'abc' is not ..." or
 * "file:line: key: ...". */
gboolean       ave_cli_options_resolve (AveCliOptions      *self,
                                        const char         *config_path,
                                        AveSettings        *settings,
                                        AveSettingsSources *sources,
                                        GPtrArray          *notices,
                                        GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveCliOptions, ave_cli_options_free)

G_END_DECLS
