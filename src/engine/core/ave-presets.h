/* ave-presets.h — machine presets (8gb, 16gb, 32gb, auto).
 *
 * A preset is a config file in the --config format (data/presets/NAME.yaml,
 * embedded in the binary as a GResource and installed to
 * $datadir/ai-video-editor/presets for reading).  Setting AVE_DATA_DIR makes
 * $AVE_DATA_DIR/presets/NAME.yaml take precedence, for trying changes
 * without rebuilding.  "auto" picks by the machine's RAM (/proc/meminfo):
 * under 12 GiB → 8gb (with the budget lowered to 3/4 of RAM on machines
 * with less than 8 GiB), under 24 GiB → 16gb, else 32gb.
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"
#include "core/ave-config.h"

G_BEGIN_DECLS

/* Applies a preset on top of `settings` (sets settings->preset too).  An
 * unknown name fails with AVE_SETTINGS_ERROR_INVALID_VALUE: "'x' is not one
 * of 8gb|16gb|32gb|auto". */
gboolean            ave_settings_apply_preset              (AveSettings  *settings,
                                                            const char   *name,
                                                            GError      **error);
/* Same, recording each field it sets as AVE_SETTING_SOURCE_PRESET. */
gboolean            ave_settings_apply_preset_with_sources (AveSettings        *settings,
                                                            AveSettingsSources *sources,
                                                            const char         *name,
                                                            GError            **error);

/* "8gb", "16gb", "32gb" (NULL-terminated; "auto" is not in the list). */
const char * const *ave_presets_list                       (void);
/* The YAML text of a preset (newly allocated); `location` (may be NULL)
 * receives where it was read from. */
char               *ave_presets_get_data                   (const char  *name,
                                                            char       **location,
                                                            GError     **error);
/* Total RAM of this machine in bytes (0 when unknown). */
guint64             ave_presets_machine_ram                (void);
/* The preset "auto" stands for on a machine with this much RAM. */
const char         *ave_presets_for_ram                    (guint64 ram_bytes);

G_END_DECLS
