/* ave-assets.h — thumbnails and metadata (titles, description, tags, chapters). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "core/ave-settings.h"
#include "core/ave-progress.h"
#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

/* Writes up to settings->thumbnail_count JPEGs (thumb-01.jpg, ...) into
 * `directory` (which exists), chosen from the analysis' thumbnail candidates
 * that the plan keeps: best quality and highlight first, no near-duplicates
 * (frames too close in time or too similar).  Upright (rotation applied),
 * settings->thumbnail_width wide.  Appends the written paths to `paths`. */
gboolean  ave_thumbnails_write (const AveAnalysis  *analysis,
                                AvePlan            *plan,
                                const AveSettings  *settings,
                                const char         *directory,
                                GPtrArray          *paths,
                                AveProgressFunc     progress,
                                gpointer            progress_data,
                                GCancellable       *cancellable,
                                GError            **error);

/* The title a video gets from its file name when nothing else is known:
 * "my_talk-2024.mp4" → "My Talk 2024"; "Untitled Video" without one. */
char     *ave_metadata_title_from_path (const char *path);

/* metadata.json: {"version":1, "titles":[...], "description":"...",
 * "tags":[...], "chapters":[{"time":s,"title":...}], "duration":s}
 * derived from the transcript, shots and plan; works offline. */
JsonNode *ave_metadata_build   (const AveAnalysis  *analysis,
                                AvePlan            *plan,
                                const AveSettings  *settings);

G_END_DECLS
