/* ave-cache.h — the content-addressed cache of analysis results (and, with
 * --aggressive-caching, of thumbnails and finished renders).
 *
 * Keys are SHA-256 digests of
 *   - a fingerprint of the input's CONTENT (never its name or mtime): the
 *     size, the first and last MiB and sixteen evenly spaced 64 KiB blocks.
 *     Reading ~3 MiB instead of the whole file keeps a lookup cheap on a
 *     multi-GB recording; the price is that an edit that leaves the size and
 *     every sampled block unchanged goes unnoticed.  Real edits of compressed
 *     media move data and change the size or the container index (sampled at
 *     the start or the end), so this does not happen in practice;
 *   - the settings that change the result, serialised canonically;
 *   - the engine version and AVE_CACHE_ALGORITHM_VERSION.
 *
 * An entry is one file: a fixed 160-byte text header (magic, kind, SHA-256
 * and length of the payload, seconds it took to compute) followed by the
 * payload.  A truncated or corrupt entry fails its checksum, is removed and
 * counts as a miss.  Entries are written to a temporary name and renamed,
 * so readers never see half an entry and two processes writing one key just
 * race harmlessly; eviction holds flock() on DIR/.lock.
 *
 * Thread safe: one AveCache may be used from several threads.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"

G_BEGIN_DECLS

/* Bump when an analyser changes what it writes for the same input. */
#define AVE_CACHE_ALGORITHM_VERSION 4   /* 4: copy_ends */

#define AVE_CACHE_DEFAULT_SIZE (2 * (guint64) 1024 * 1024 * 1024)

typedef struct _AveCache AveCache;

typedef struct
{
  guint   hits;
  guint   misses;
  guint   corrupt;       /* entries found damaged (also counted as misses) */
  guint   stores;
  guint   evictions;
  guint64 size_bytes;    /* on disk after the last store or eviction */
} AveCacheStats;

/* A cache in `directory` (created), bounded to `max_bytes` (0 = default). */
AveCache   *ave_cache_new               (const char        *directory,
                                         guint64            max_bytes,
                                         AveCacheStrategy   strategy,
                                         GError           **error);
/* The cache these settings ask for, or NULL (and no error) when caching is
 * off.  --persistent-cache: settings->cache_dir or
 * $XDG_CACHE_HOME/ai-video-editor; otherwise (--cache or
 * --aggressive-caching alone) a private per-process folder under
 * `temp_parent` (--temp-dir, NULL for the system's) that lives as long as
 * the process, so the inputs of one command share it. */
AveCache   *ave_cache_new_for_settings  (const AveSettings *settings,
                                         const char        *temp_parent,
                                         GError           **error);
void        ave_cache_free              (AveCache *self);

const char *ave_cache_get_directory     (AveCache *self);
void        ave_cache_get_stats         (AveCache *self, AveCacheStats *out);
/* Whether --aggressive-caching is on and the strategy allows more than analysis. */
gboolean    ave_cache_keeps_renders     (AveCache *self);
void        ave_cache_set_keeps_renders (AveCache *self, gboolean keep);

/* Hex SHA-256 of the content fingerprint described above. */
char       *ave_cache_fingerprint_file  (const char *path, GError **error);
/* The key of analysis.json for this input and these settings. */
char       *ave_cache_analysis_key      (const char        *fingerprint,
                                         const AveSettings *settings);
/* A key derived from another key and more text (e.g. the plan's JSON and
 * the composition settings for a render). */
char       *ave_cache_derive_key        (const char *base_key,
                                         const char *kind,
                                         const char *text);

/* A hit returns the analysis with `source` and `media` replaced by the
 * given ones (the same content may have another name now).  NULL = miss. */
AveAnalysis *ave_cache_lookup_analysis  (AveCache           *self,
                                         const char         *key,
                                         const char         *source,
                                         const AveMediaInfo *media);
gboolean    ave_cache_store_analysis    (AveCache           *self,
                                         const char         *key,
                                         const AveAnalysis  *analysis,
                                         double              compute_seconds,
                                         GError            **error);

/* Files (thumbnails, a render): stored under `key` as one entry; a hit
 * writes them into `directory` under their stored base names and appends
 * the paths to `paths`. */
gboolean    ave_cache_store_files       (AveCache           *self,
                                         const char         *key,
                                         const char         *kind,
                                         const char * const *files,
                                         double              compute_seconds,
                                         GError            **error);
gboolean    ave_cache_lookup_files      (AveCache           *self,
                                         const char         *key,
                                         const char         *kind,
                                         const char         *directory,
                                         GPtrArray          *paths);

/* An opaque payload (the remote providers' response cache): stored whole
 * under `key`; a lookup returns it or NULL (a miss, damaged entries
 * removed). */
gboolean    ave_cache_store_bytes       (AveCache    *self,
                                         const char  *key,
                                         const char  *kind,
                                         GBytes      *bytes,
                                         double       compute_seconds,
                                         GError     **error);
GBytes     *ave_cache_lookup_bytes      (AveCache    *self,
                                         const char  *key,
                                         const char  *kind);

/* Removes entries until the cache fits its bound: least recently used
 * first (lru, analysis-only), or cheapest to recompute per byte first
 * (intelligent).  Runs after every store. */
gboolean    ave_cache_evict             (AveCache *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveCache, ave_cache_free)

G_END_DECLS
