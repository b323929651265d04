/* ave-proxy.h — preview proxies: a small, quick-to-seek copy of a
 * source's pictures, as professional editors make for their timelines.
 *
 * A seek in a 1080p H.264 source decodes up to a whole GOP of full-size
 * pictures (45 or more with two-second GOPs and B-frames): over 150 ms on
 * two cores.  A proxy holds every picture of the source, scaled to the
 * preview's size (the source's shape, never larger than the source) and
 * encoded with x264 with a keyframe every PROXY_KEYINT frames and no
 * B-frames, so a seek decodes a few small pictures instead.
 *
 * What the composition reads from a proxy is what it would read from the
 * source at that size:
 *   - the pictures are upright (the source's rotation applied) and carry
 *     the source's colour matrix, primaries and transfer; limited range;
 *   - every picture keeps its source frame's time exactly, variable frame
 *     rate included: the proxy is a NUT file on a microsecond clock that
 *     holds the times AveMediaSource reports for the source (relative to
 *     the source's first packet), and a proxy is opened with
 *     AveMediaSourceOptions.zero_clock so that those times come back as
 *     they were written (each frame's length is the next one's time less
 *     its own, as from the source; the last one's comes from the frame
 *     rate, as NUT stores no packet length exactly);
 *   - no sound: the composition takes that from the source.
 *
 * Proxies live in $XDG_CACHE_HOME/ai-video-editor/proxies/ (or a folder
 * the caller names), one file per source and size, named by a digest of
 * the source's identity: its absolute path, size, modification time,
 * device and inode.  A source that changes in any of those gets a new
 * proxy; the stale one is never used and is evicted first.  A proxy is
 * written under a temporary name and renamed into place only once
 * complete, so a build that fails, is cancelled or is killed never leaves
 * a proxy that would be used.  The folder is bounded (AVE_PROXY_CACHE_MAX_BYTES):
 * after a build the least recently used proxies go, and only regular
 * files this code wrote there (".nut" proxies and abandoned ".part"
 * files) are ever removed; symbolic links are neither followed nor used.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-progress.h"
#include "media/ave-media.h"

G_BEGIN_DECLS

/* A keyframe every this many frames: a seek decodes at most this many
 * preview-size pictures (docs/performance.md has the measure). */
#define AVE_PROXY_KEYINT 10
/* Bound on the proxies folder. */
#define AVE_PROXY_CACHE_MAX_BYTES ((guint64) 2 * 1024 * 1024 * 1024)

/* The folder proxies go to by default: $XDG_CACHE_HOME/ai-video-editor/proxies. */
char     *ave_proxy_default_directory (void);

/* The picture size the composition works at for a source of `info`
 * within box_width x box_height (its display shape, even sizes, never
 * larger than the source's): the size of that source's proxy for that
 * box.  The composer sizes the preview with this too. */
void      ave_proxy_fit_size          (const AveMediaInfo *info,
                                       int                 box_width,
                                       int                 box_height,
                                       int                *width,
                                       int                *height);

/* The proxy of `source` for the box, when one is complete in
 * `directory` (NULL: the default folder) and the source has not changed
 * since; NULL otherwise (also when the source has no video). */
char     *ave_proxy_find              (const char         *source,
                                       int                 box_width,
                                       int                 box_height,
                                       const char         *directory);

/* Makes the proxy of `source` for the box (or finds it made), returning
 * its path.  Decodes every picture of the source: seconds for a minute of
 * 1080p on two cores (docs/performance.md); `progress` (may be NULL) hears
 * the fraction done, `cancellable` stops it (G_IO_ERROR_CANCELLED; nothing
 * is left behind).  AVE_MEDIA_ERROR_NO_STREAMS when the source has no
 * video. */
char     *ave_proxy_make              (const char         *source,
                                       int                 box_width,
                                       int                 box_height,
                                       const char         *directory,
                                       AveProgressFunc     progress,
                                       gpointer            progress_data,
                                       GCancellable       *cancellable,
                                       GError            **error);

/* Removes the least recently used proxies from `directory` (NULL: the
 * default folder) until it holds at most `max_bytes`, never `keep` (may
 * be NULL); ave_proxy_make() does this with AVE_PROXY_CACHE_MAX_BYTES
 * after each build.  Only regular files named as proxies are removed (and
 * ".part" files older than a day, left by a build that was killed). */
void      ave_proxy_trim              (const char         *directory,
                                       const char         *keep,
                                       guint64             max_bytes);

G_END_DECLS
