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

/* A still in memory, as the engine's units hand it to each other (the
 * image API's thumbnail art): straight RGBA, rows of `stride` bytes. */
typedef struct
{
  int     width, height, stride;
  guint8 *rgba;
} AveRgbaImage;

void      ave_rgba_image_free  (AveRgbaImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveRgbaImage, ave_rgba_image_free)

/* The most pixels a side of thumbnail art may have (a decoded 4096x4096
 * RGBA picture is 64 MiB). */
#define AVE_THUMBNAIL_ART_MAX_SIDE 4096

/* What a thumbnail is about, for the image API's prompt: the video's
 * title (the director's proposal, else the one derived offline).  Only
 * the title: no transcript text leaves the machine for a picture. */
char     *ave_thumbnail_art_subject (const AveAnalysis  *analysis,
                                     AvePlan            *plan,
                                     const AveSettings  *settings);

/* Thumbnails over generated backgrounds (--thumbnail-art remote):
 * settings->thumbnail_count JPEGs (thumb-01.jpg, ...), variant i with
 * art[i % art->len] (AveRgbaImage) covering it (cropped, not stretched)
 * and a text of its own on a dark band at the bottom: the director's
 * thumbnail text, then the metadata's title suggestions.  Sized like the
 * frame thumbnails (16:9 without a picture stream).  Appends the written
 * paths to `paths`. */
gboolean  ave_thumbnails_write_art (const AveAnalysis  *analysis,
                                    AvePlan            *plan,
                                    const AveSettings  *settings,
                                    GPtrArray          *art,
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
