#define G_LOG_DOMAIN "ave-cache"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ave-cache.h"
#include "core/ave-files.h"
#include "ave-temp-dir.h"
#include "core/ave-error.h"

#define HEADER_SIZE 160
#define HEADER_MAGIC "AVECACHE1"
#define ENTRY_SUFFIX ".entry"
#define FINGERPRINT_EDGE (1024 * 1024)
#define FINGERPRINT_BLOCK (64 * 1024)
#define FINGERPRINT_BLOCKS 16
#define COPY_CHUNK (256 * 1024)

struct _AveCache
{
  char            *directory;
  char            *lock_path;
  guint64          max_bytes;
  AveCacheStrategy strategy;
  gboolean         keeps_renders;
  GMutex           lock;       /* stats */
  AveCacheStats    stats;
};

/* ------------------------------------------------------- per-process dir */

static char *process_cache_dir;

static void
remove_process_cache_dir (void)
{
  if (process_cache_dir != NULL)
    ave_remove_tree_nofollow (process_cache_dir);
}

/* ------------------------------------------------------------ creating */

AveCache *
ave_cache_new (const char        *directory,
               guint64            max_bytes,
               AveCacheStrategy   strategy,
               GError           **error)
{
  AveCache *self;

  g_return_val_if_fail (directory != NULL, NULL);

  if (g_mkdir_with_parents (directory, 0700) != 0 || access (directory, W_OK) != 0)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot use the cache folder (%s); choose another one or run without --persistent-cache",
                   directory, g_strerror (saved));
      return NULL;
    }

  self = g_new0 (AveCache, 1);
  self->directory = g_strdup (directory);
  self->lock_path = g_build_filename (directory, ".lock", NULL);
  self->max_bytes = max_bytes > 0 ? max_bytes : AVE_CACHE_DEFAULT_SIZE;
  self->strategy = strategy;
  g_mutex_init (&self->lock);
  return self;
}

AveCache *
ave_cache_new_for_settings (const AveSettings *settings,
                            const char        *temp_parent,
                            GError           **error)
{
  g_autofree char *directory = NULL;
  AveCache *self;

  if (!settings->cache_enabled && !settings->persistent_cache && !settings->aggressive_caching)
    return NULL;

  if (settings->cache_dir != NULL)
    directory = g_strdup (settings->cache_dir);
  else if (settings->persistent_cache)
    directory = g_build_filename (g_get_user_cache_dir (), "ai-video-editor", NULL);
  else
    {
      static gsize once;

      /* One private folder for the whole process, so that every job of
       * one command (and of the app's session) shares it; named like a
       * run's temporary folder, so that it goes when a killed process's
       * folders are cleaned. */
      if (g_once_init_enter (&once))
        {
          process_cache_dir = ave_temp_dir_create (temp_parent, error);
          if (process_cache_dir != NULL && settings->cleanup_temp)
            atexit (remove_process_cache_dir);
          g_once_init_leave (&once, 1);
        }
      if (process_cache_dir == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                         "the cache folder of this run could not be created earlier; caching is off");
          return NULL;
        }
      directory = g_strdup (process_cache_dir);
    }

  self = ave_cache_new (directory, settings->cache_size_bytes, settings->cache_strategy, error);
  if (self != NULL)
    self->keeps_renders = settings->aggressive_caching
                       && settings->cache_strategy != AVE_CACHE_STRATEGY_ANALYSIS_ONLY;
  return self;
}

void
ave_cache_free (AveCache *self)
{
  if (self == NULL)
    return;
  g_mutex_clear (&self->lock);
  g_free (self->directory);
  g_free (self->lock_path);
  g_free (self);
}

const char *
ave_cache_get_directory (AveCache *self)
{
  return self->directory;
}

void
ave_cache_get_stats (AveCache *self, AveCacheStats *out)
{
  g_mutex_lock (&self->lock);
  *out = self->stats;
  g_mutex_unlock (&self->lock);
}

gboolean
ave_cache_keeps_renders (AveCache *self)
{
  return self->keeps_renders;
}

void
ave_cache_set_keeps_renders (AveCache *self, gboolean keep)
{
  self->keeps_renders = keep;
}

static void
count (AveCache *self, guint *field)
{
  g_mutex_lock (&self->lock);
  (*field)++;
  g_mutex_unlock (&self->lock);
}

/* ---------------------------------------------------------------- keys */

static gboolean
hash_range (GChecksum *sum, int fd, guint64 offset, gsize length, guint8 *buffer)
{
  while (length > 0)
    {
      ssize_t n = pread (fd, buffer, MIN (length, (gsize) FINGERPRINT_EDGE), offset);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n == 0;
      g_checksum_update (sum, buffer, n);
      offset += n;
      length -= n;
    }
  return TRUE;
}

char *
ave_cache_fingerprint_file (const char *path, GError **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = NULL;
  struct stat st;
  char size_text[32];
  gboolean ok = TRUE;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNREADABLE,
                   "%s: cannot read the file to fingerprint it (%s)", path, g_strerror (saved));
      return NULL;
    }

  buffer = g_malloc (FINGERPRINT_EDGE);
  g_snprintf (size_text, sizeof size_text, "size=%" G_GUINT64_FORMAT ";", (guint64) st.st_size);
  g_checksum_update (sum, (const guchar *) size_text, -1);

  if ((guint64) st.st_size <= 2 * FINGERPRINT_EDGE + FINGERPRINT_BLOCKS * FINGERPRINT_BLOCK)
    ok = hash_range (sum, fd, 0, st.st_size, buffer);   /* small: all of it */
  else
    {
      guint64 size = st.st_size;
      guint64 middle = size - 2 * FINGERPRINT_EDGE;

      ok = hash_range (sum, fd, 0, FINGERPRINT_EDGE, buffer);
      for (guint i = 0; ok && i < FINGERPRINT_BLOCKS; i++)
        {
          /* Evenly spaced over the part between the two edges. */
          guint64 offset = FINGERPRINT_EDGE + (middle - FINGERPRINT_BLOCK) * i / (FINGERPRINT_BLOCKS - 1);
          ok = hash_range (sum, fd, offset, FINGERPRINT_BLOCK, buffer);
        }
      if (ok)
        ok = hash_range (sum, fd, size - FINGERPRINT_EDGE, FINGERPRINT_EDGE, buffer);
    }
  close (fd);

  if (!ok)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNREADABLE,
                   "%s: read error while fingerprinting the file", path);
      return NULL;
    }
  return g_strdup (g_checksum_get_string (sum));
}

static void
append_double (GString *s, const char *name, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf (s, "%s=%s;", name, g_ascii_dtostr (buf, sizeof buf, value));
}

char *
ave_cache_analysis_key (const char        *fingerprint,
                        const AveSettings *s)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *fillers = NULL;

  /* Every settings field the analysers or the analysis reader read; the
   * compute backend is left out because the backends give equal results. */
  g_string_append_printf (text, "engine=%s;algorithm=%d;schema=%d;content=%s;",
                          PACKAGE_VERSION, AVE_CACHE_ALGORITHM_VERSION, AVE_ANALYSIS_VERSION,
                          fingerprint);
  g_string_append_printf (text, "quality=%s;type=%s;width=%u;step=%u;transcribe=%d;beats=%d;skip_optional=%d;fast_analysis=%d;analysis_frames=%s;",
                          ave_quality_to_string (s->quality), ave_content_type_to_string (s->content_type),
                          s->analysis_width, MAX (1u, s->frame_step), !!s->transcribe,
                          !!s->detect_beats, !!s->skip_optional_analysis,
                          !!ave_settings_fast_analysis (s),
                          ave_analysis_frames_to_string (ave_settings_analysis_frames (s)));
  append_double (text, "shot_threshold", s->shot_threshold);
  append_double (text, "silence_db", s->silence_threshold_db);
  append_double (text, "silence_min", s->silence_min_duration);
  fillers = s->filler_words != NULL ? g_strjoinv (",", s->filler_words) : g_strdup ("");
  g_string_append_printf (text, "fillers=%s;", fillers);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text->str, text->len);
}

char *
ave_cache_derive_key (const char *base_key, const char *kind, const char *text)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (sum, (const guchar *) base_key, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) kind, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) text, -1);
  return g_strdup (g_checksum_get_string (sum));
}

/* -------------------------------------------------------------- entries */

typedef struct
{
  char    kind[17];
  char    sha256[65];
  guint64 size;
  double  cost;
} EntryHeader;

static char *
entry_path (AveCache *self, const char *key, const char *kind)
{
  g_autofree char *name = g_strdup_printf ("%s-%s" ENTRY_SUFFIX, key, kind);
  return g_build_filename (self->directory, name, NULL);
}

static void
format_header (char out[HEADER_SIZE], const char *kind, const char *sha256, guint64 size, double cost)
{
  char cost_text[G_ASCII_DTOSTR_BUF_SIZE];
  int n;

  memset (out, ' ', HEADER_SIZE);
  n = g_snprintf (out, HEADER_SIZE, HEADER_MAGIC " %.16s %s %" G_GUINT64_FORMAT " %s",
                  kind, sha256, size, g_ascii_formatd (cost_text, sizeof cost_text, "%.6f", cost));
  if (n < HEADER_SIZE)
    out[n] = ' ';           /* replace the terminator: the header is fixed-width */
  out[HEADER_SIZE - 1] = '\n';
}

static gboolean
parse_header (const char raw[HEADER_SIZE], EntryHeader *out)
{
  char text[HEADER_SIZE + 1];
  g_auto(GStrv) fields = NULL;

  memcpy (text, raw, HEADER_SIZE);
  text[HEADER_SIZE] = '\0';
  if (!g_str_has_prefix (text, HEADER_MAGIC " ") || raw[HEADER_SIZE - 1] != '\n')
    return FALSE;
  g_strstrip (text);
  fields = g_strsplit_set (text, " ", -1);
  if (g_strv_length (fields) != 5 || strlen (fields[1]) > 16 || strlen (fields[2]) != 64)
    return FALSE;
  g_strlcpy (out->kind, fields[1], sizeof out->kind);
  g_strlcpy (out->sha256, fields[2], sizeof out->sha256);
  out->size = g_ascii_strtoull (fields[3], NULL, 10);
  out->cost = g_ascii_strtod (fields[4], NULL);
  return TRUE;
}

static gboolean
write_all (int fd, const void *data, gsize length)
{
  const guint8 *p = data;

  while (length > 0)
    {
      ssize_t n = write (fd, p, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      length -= n;
    }
  return TRUE;
}

/* A writer of one entry: temporary file, checksum as it goes, header last. */
typedef struct
{
  char      *temp_path;
  int        fd;
  GChecksum *sum;
  guint64    size;
  gboolean   failed;
} EntryWriter;

static gboolean
entry_writer_open (AveCache *self, EntryWriter *w, const char *key, GError **error)
{
  char header[HEADER_SIZE];

  w->temp_path = g_strdup_printf ("%s/.tmp-%s-%d-%08x", self->directory, key,
                                  (int) getpid (), g_random_int ());
  w->fd = g_open (w->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  w->sum = g_checksum_new (G_CHECKSUM_SHA256);
  w->size = 0;
  w->failed = FALSE;
  memset (header, ' ', sizeof header);
  if (w->fd < 0 || !write_all (w->fd, header, sizeof header))
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "%s: cannot write a cache entry (%s)", w->temp_path, g_strerror (saved));
      if (w->fd >= 0)
        close (w->fd);
      g_unlink (w->temp_path);
      g_clear_pointer (&w->temp_path, g_free);
      g_clear_pointer (&w->sum, g_checksum_free);
      return FALSE;
    }
  return TRUE;
}

static void
entry_writer_add (EntryWriter *w, const void *data, gsize length)
{
  if (w->failed)
    return;
  if (!write_all (w->fd, data, length))
    w->failed = TRUE;
  g_checksum_update (w->sum, data, length);
  w->size += length;
}

static gboolean
entry_writer_commit (AveCache *self, EntryWriter *w, const char *key, const char *kind,
                     double cost, GError **error)
{
  g_autofree char *path = entry_path (self, key, kind);
  char header[HEADER_SIZE];
  int saved = 0;

  format_header (header, kind, g_checksum_get_string (w->sum), w->size, cost);
  if (!w->failed && pwrite (w->fd, header, sizeof header, 0) != sizeof header)
    w->failed = TRUE;
  if (w->failed)
    saved = errno;
  if (close (w->fd) != 0 && !w->failed)
    {
      saved = errno;
      w->failed = TRUE;
    }
  g_checksum_free (w->sum);

  /* rename() replaces atomically: a concurrent writer of the same key wins
   * or loses as a whole, and readers see one complete entry or the other. */
  if (w->failed || g_rename (w->temp_path, path) != 0)
    {
      if (saved == 0)
        saved = errno;
      g_unlink (w->temp_path);
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "%s: cannot write a cache entry (%s)", path, g_strerror (saved));
      g_free (w->temp_path);
      return FALSE;
    }
  g_free (w->temp_path);
  count (self, &self->stats.stores);
  return ave_cache_evict (self, error);
}

static void
entry_writer_abort (EntryWriter *w)
{
  close (w->fd);
  g_unlink (w->temp_path);
  g_free (w->temp_path);
  g_checksum_free (w->sum);
}

/* Opens an entry and checks its header; -1 (and the entry removed when it
 * exists but is damaged) on a miss. */
static int
entry_open (AveCache *self, const char *path, const char *kind, EntryHeader *header, gboolean *damaged)
{
  char raw[HEADER_SIZE];
  struct stat st;
  int fd;

  *damaged = FALSE;
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) != 0 || pread (fd, raw, sizeof raw, 0) != sizeof raw
      || !parse_header (raw, header) || !g_str_equal (header->kind, kind)
      || (guint64) st.st_size != HEADER_SIZE + header->size)
    {
      close (fd);
      *damaged = TRUE;
      return -1;
    }
  return fd;
}

static void
entry_damaged (AveCache *self, const char *path)
{
  g_debug ("%s: damaged cache entry removed", path);
  g_unlink (path);
  count (self, &self->stats.corrupt);
}

static void
entry_used (AveCache *self, const char *path)
{
  /* The modification time is the "last used" time LRU eviction sorts by. */
  struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
  utimensat (AT_FDCWD, path, now, 0);
  count (self, &self->stats.hits);
}

/* The payload of the entry at `path` whose header says `kind`, checked
 * against its SHA-256; NULL when there is none (*damaged says whether a
 * broken entry is to blame).  NUL-terminated for the JSON parser. */
static char *
read_entry_payload (AveCache   *self,
                    const char *path,
                    const char *kind,
                    gsize      *length,
                    gboolean   *damaged)
{
  g_autofree char *payload = NULL;
  g_autofree char *digest = NULL;
  EntryHeader header;
  gsize done = 0;
  int fd;

  fd = entry_open (self, path, kind, &header, damaged);
  if (fd < 0)
    return NULL;
  payload = g_malloc (header.size + 1);
  while (done < header.size)
    {
      ssize_t n = pread (fd, payload + done, header.size - done, HEADER_SIZE + done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  close (fd);
  payload[done] = '\0';
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) payload, done);
  if (done != header.size || !g_str_equal (digest, header.sha256))
    {
      *damaged = TRUE;
      return NULL;
    }
  *length = done;
  return g_steal_pointer (&payload);
}

/* ------------------------------------------------------------- analysis */

AveAnalysis *
ave_cache_lookup_analysis (AveCache           *self,
                           const char         *key,
                           const char         *source,
                           const AveMediaInfo *media)
{
  g_autofree char *path = entry_path (self, key, "analysis");
  g_autofree char *payload = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  gboolean damaged = FALSE;
  AveAnalysis *analysis;
  gsize done = 0;

  payload = read_entry_payload (self, path, "analysis", &done, &damaged);
  if (payload == NULL)
    goto miss;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, payload, done, &error))
    goto corrupt;
  analysis = ave_analysis_from_json (json_parser_get_root (parser), &error);
  if (analysis == NULL)
    goto corrupt;

  /* The same content may come under another name now. */
  g_free (analysis->source);
  analysis->source = g_strdup (source);
  if (media != NULL)
    {
      ave_media_info_free (analysis->media);
      analysis->media = ave_media_info_copy (media);
    }
  entry_used (self, path);
  return analysis;

corrupt:
  damaged = TRUE;
miss:
  if (damaged)
    entry_damaged (self, path);
  count (self, &self->stats.misses);
  return NULL;
}

gboolean
ave_cache_store_analysis (AveCache           *self,
                          const char         *key,
                          const AveAnalysis  *analysis,
                          double              compute_seconds,
                          GError            **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = ave_analysis_to_json (analysis);
  g_autofree char *text = NULL;
  gsize length;
  EntryWriter w;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  if (!entry_writer_open (self, &w, key, error))
    return FALSE;
  entry_writer_add (&w, text, length);
  return entry_writer_commit (self, &w, key, "analysis", compute_seconds, error);
}

/* ---------------------------------------------------------------- bytes */

gboolean
ave_cache_store_bytes (AveCache    *self,
                       const char  *key,
                       const char  *kind,
                       GBytes      *bytes,
                       double       compute_seconds,
                       GError     **error)
{
  EntryWriter w;
  gsize length;
  gconstpointer data = g_bytes_get_data (bytes, &length);

  if (!entry_writer_open (self, &w, key, error))
    return FALSE;
  entry_writer_add (&w, data, length);
  return entry_writer_commit (self, &w, key, kind, compute_seconds, error);
}

GBytes *
ave_cache_lookup_bytes (AveCache   *self,
                        const char *key,
                        const char *kind)
{
  g_autofree char *path = entry_path (self, key, kind);
  g_autofree char *payload = NULL;
  gboolean damaged = FALSE;
  gsize done = 0;

  payload = read_entry_payload (self, path, kind, &done, &damaged);
  if (payload == NULL)
    goto miss;
  entry_used (self, path);
  return g_bytes_new_take (g_steal_pointer (&payload), done);

miss:
  if (damaged)
    entry_damaged (self, path);
  count (self, &self->stats.misses);
  return NULL;
}

/* ---------------------------------------------------------------- files */

/* Payload: for each file "F <name length> <size>\n<name><bytes>". */
gboolean
ave_cache_store_files (AveCache           *self,
                       const char         *key,
                       const char         *kind,
                       const char * const *files,
                       double              compute_seconds,
                       GError            **error)
{
  g_autofree guint8 *buffer = g_malloc (COPY_CHUNK);
  EntryWriter w;

  if (!entry_writer_open (self, &w, key, error))
    return FALSE;

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *name = g_path_get_basename (files[i]);
      g_autofree char *line = NULL;
      struct stat st;
      guint64 left;
      int fd = g_open (files[i], O_RDONLY | O_CLOEXEC, 0);

      if (fd < 0 || fstat (fd, &st) != 0)
        {
          int saved = errno;
          if (fd >= 0)
            close (fd);
          entry_writer_abort (&w);
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                       "%s: cannot read the file to cache it (%s)", files[i], g_strerror (saved));
          return FALSE;
        }
      line = g_strdup_printf ("F %zu %" G_GUINT64_FORMAT "\n", strlen (name), (guint64) st.st_size);
      entry_writer_add (&w, line, strlen (line));
      entry_writer_add (&w, name, strlen (name));
      for (left = st.st_size; left > 0;)
        {
          ssize_t n = read (fd, buffer, MIN (left, (guint64) COPY_CHUNK));
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              w.failed = TRUE;
              break;
            }
          entry_writer_add (&w, buffer, n);
          left -= n;
        }
      close (fd);
    }
  return entry_writer_commit (self, &w, key, kind, compute_seconds, error);
}

static gboolean
read_exact (int fd, void *buffer, gsize length, GChecksum *sum)
{
  guint8 *p = buffer;
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = read (fd, p + done, length - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += n;
    }
  g_checksum_update (sum, buffer, length);
  return TRUE;
}

static gboolean
read_line (int fd, char *line, gsize size, GChecksum *sum)
{
  for (gsize i = 0; i + 1 < size; i++)
    {
      if (!read_exact (fd, line + i, 1, sum))
        return FALSE;
      if (line[i] == '\n')
        {
          line[i + 1] = '\0';
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
ave_cache_lookup_files (AveCache    *self,
                        const char  *key,
                        const char  *kind,
                        const char  *directory,
                        GPtrArray   *paths)
{
  g_autofree char *path = entry_path (self, key, kind);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint8 *buffer = NULL;
  EntryHeader header;
  gboolean damaged;
  guint64 consumed = 0;
  int fd;

  fd = entry_open (self, path, kind, &header, &damaged);
  if (fd < 0)
    goto miss;
  buffer = g_malloc (COPY_CHUNK);
  lseek (fd, HEADER_SIZE, SEEK_SET);

  while (consumed < header.size)
    {
      char line[64];
      g_autofree char *name = NULL;
      g_autofree char *out_path = NULL;
      gsize name_length;
      guint64 size, left;
      int out;

      if (!read_line (fd, line, sizeof line, sum) || line[0] != 'F' || line[1] != ' ')
        goto corrupt;
      consumed += strlen (line);
      name_length = g_ascii_strtoull (line + 2, NULL, 10);
      size = g_ascii_strtoull (strchr (line + 2, ' ') != NULL ? strchr (line + 2, ' ') + 1 : "", NULL, 10);
      if (name_length == 0 || name_length > 255)
        goto corrupt;
      name = g_malloc0 (name_length + 1);
      if (!read_exact (fd, name, name_length, sum) || strchr (name, '/') != NULL
          || g_str_equal (name, ".") || g_str_equal (name, ".."))
        goto corrupt;
      consumed += name_length;

      out_path = g_build_filename (directory, name, NULL);
      out = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out < 0)
        {
          close (fd);
          goto miss_cleanup;
        }
      g_ptr_array_add (written, g_strdup (out_path));
      for (left = size; left > 0;)
        {
          gsize chunk = MIN (left, (guint64) COPY_CHUNK);
          if (!read_exact (fd, buffer, chunk, sum) || !write_all (out, buffer, chunk))
            {
              close (out);
              goto corrupt;
            }
          left -= chunk;
        }
      close (out);
      consumed += size;
    }
  close (fd);
  fd = -1;
  if (consumed != header.size || !g_str_equal (g_checksum_get_string (sum), header.sha256))
    goto corrupt;

  for (guint i = 0; i < written->len; i++)
    g_ptr_array_add (paths, g_strdup (g_ptr_array_index (written, i)));
  entry_used (self, path);
  return TRUE;

corrupt:
  if (fd >= 0)
    close (fd);
  entry_damaged (self, path);
miss_cleanup:
  for (guint i = 0; i < written->len; i++)
    g_unlink (g_ptr_array_index (written, i));
miss:
  if (damaged)
    entry_damaged (self, path);
  count (self, &self->stats.misses);
  return FALSE;
}

/* ------------------------------------------------------------- eviction */

typedef struct
{
  char    *path;
  guint64  size;
  gint64   used_ns;
  double   cost_per_byte;
} EvictEntry;

static void
evict_entry_clear (gpointer data)
{
  g_free (((EvictEntry *) data)->path);
}

static int
compare_lru (gconstpointer a, gconstpointer b)
{
  const EvictEntry *x = a, *y = b;
  return (x->used_ns > y->used_ns) - (x->used_ns < y->used_ns);
}

static int
compare_intelligent (gconstpointer a, gconstpointer b)
{
  const EvictEntry *x = a, *y = b;

  /* Cheapest to recompute per byte first; among equals, least recently used. */
  if (x->cost_per_byte != y->cost_per_byte)
    return x->cost_per_byte < y->cost_per_byte ? -1 : 1;
  return compare_lru (a, b);
}

gboolean
ave_cache_evict (AveCache *self, GError **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, TRUE, sizeof (EvictEntry));
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint64 total = 0;
  gint64 now = g_get_real_time ();
  guint evicted = 0;
  int lock_fd;

  g_array_set_clear_func (entries, evict_entry_clear);

  /* One evicting process at a time; readers and writers need no lock
   * (an unlinked entry stays readable to whoever has it open). */
  lock_fd = g_open (self->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || flock (lock_fd, LOCK_EX) != 0)
    {
      int saved = errno;
      if (lock_fd >= 0)
        close (lock_fd);
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "%s: cannot lock the cache (%s)", self->lock_path, g_strerror (saved));
      return FALSE;
    }

  dir = g_dir_open (self->directory, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->directory, name, NULL);
      struct stat st;

      if (g_stat (path, &st) != 0)
        continue;
      /* Temporary files of a writer that died long ago. */
      if (g_str_has_prefix (name, ".tmp-"))
        {
          if (now / G_USEC_PER_SEC - st.st_mtime > 3600)
            g_unlink (path);
          continue;
        }
      if (!g_str_has_suffix (name, ENTRY_SUFFIX))
        continue;
      {
        EvictEntry e = { 0 };
        char raw[HEADER_SIZE];
        EntryHeader header = { .cost = 0 };
        int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

        if (fd >= 0)
          {
            if (pread (fd, raw, sizeof raw, 0) == sizeof raw)
              parse_header (raw, &header);
            close (fd);
          }
        e.path = g_steal_pointer (&path);
        e.size = st.st_size;
        e.used_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
        e.cost_per_byte = st.st_size > 0 ? header.cost / st.st_size : 0;
        total += st.st_size;
        g_array_append_val (entries, e);
      }
    }

  if (total > self->max_bytes)
    {
      g_array_sort (entries, self->strategy == AVE_CACHE_STRATEGY_INTELLIGENT
                             ? compare_intelligent : compare_lru);
      for (guint i = 0; i < entries->len && total > self->max_bytes; i++)
        {
          EvictEntry *e = &g_array_index (entries, EvictEntry, i);
          if (g_unlink (e->path) == 0)
            {
              total -= e->size;
              evicted++;
              g_debug ("evicted %s (%" G_GUINT64_FORMAT " bytes)", e->path, e->size);
            }
        }
    }

  flock (lock_fd, LOCK_UN);
  close (lock_fd);

  g_mutex_lock (&self->lock);
  self->stats.evictions += evicted;
  self->stats.size_bytes = total;
  g_mutex_unlock (&self->lock);
  return TRUE;
}
