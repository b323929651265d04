#define G_LOG_DOMAIN "ave-proxy"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libavutil/opt.h>

#include "core/ave-error.h"
#include "core/ave-files.h"
#include "media/ave-media-private.h"
#include "media/ave-proxy.h"

/* Bump when what a proxy holds changes: older proxies are then not found
 * (and are evicted as the folder fills). */
#define PROXY_VERSION 1
#define PROXY_SUFFIX ".nut"
#define PART_SUFFIX ".part"
/* x264 at preview size: "veryfast" encodes 360p several times faster than
 * the source decodes; CRF 18 keeps a proxy's picture within the 30 dB the
 * preview promises against the render (docs/performance.md). */
#define PROXY_PRESET "veryfast"
#define PROXY_CRF 18.0
#define PROXY_TIME_BASE ((AVRational) { 1, AV_TIME_BASE })

char *
ave_proxy_default_directory (void)
{
  return g_build_filename (g_get_user_cache_dir (), "ai-video-editor", "proxies", NULL);
}

void
ave_proxy_fit_size (const AveMediaInfo *info,
                    int                 box_width,
                    int                 box_height,
                    int                *width,
                    int                *height)
{
  int w = info->display_width > 0 ? info->display_width : info->width;
  int h = info->display_height > 0 ? info->display_height : info->height;

  /* 4:2:0 needs even sizes: drop the odd column or row. */
  w = MAX (2, w & ~1);
  h = MAX (2, h & ~1);
  if (box_width > 0 && box_height > 0 && (box_width < w || box_height < h))
    {
      double scale = MIN ((double) box_width / w, (double) box_height / h);
      int sw = MAX (2, (int) lround (w * scale) & ~1);
      int sh = MAX (2, (int) lround (h * scale) & ~1);

      w = sw;
      h = sh;
    }
  *width = w;
  *height = h;
}

/* The file name of the proxy of `source` for the box: a digest of the
 * source's identity.  NULL when the source cannot be looked at. */
static char *
proxy_name (const char  *source,
            int          box_width,
            int          box_height,
            GError     **error)
{
  g_autofree char *absolute = g_canonicalize_filename (source, NULL);
  g_autofree char *identity = NULL;
  g_autofree char *digest = NULL;
  struct stat st;

  if (stat (absolute, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, AVE_MEDIA_ERROR,
                   saved == ENOENT ? AVE_MEDIA_ERROR_NOT_FOUND : AVE_MEDIA_ERROR_UNREADABLE,
                   "%s: %s", absolute, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_REGULAR,
                   "%s is not a regular file", absolute);
      return NULL;
    }
  identity = g_strdup_printf ("ave-proxy %d\n%s\n%" G_GINT64_FORMAT " %" G_GINT64_FORMAT ".%09ld "
                              "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n%dx%d",
                              PROXY_VERSION, absolute, (gint64) st.st_size,
                              (gint64) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec,
                              (guint64) st.st_dev, (guint64) st.st_ino, box_width, box_height);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, identity, -1);
  return g_strconcat (digest, PROXY_SUFFIX, NULL);
}

/* Whether `path` is a regular file (a link is not, whatever it points to). */
static gboolean
is_regular_nofollow (const char *path,
                     struct stat *st)
{
  return lstat (path, st) == 0 && S_ISREG (st->st_mode);
}

char *
ave_proxy_find (const char *source,
                int         box_width,
                int         box_height,
                const char *directory)
{
  g_autofree char *dir = directory != NULL ? g_strdup (directory) : ave_proxy_default_directory ();
  g_autofree char *name = proxy_name (source, box_width, box_height, NULL);
  g_autofree char *path = NULL;
  struct stat st;

  if (name == NULL)
    return NULL;
  path = g_build_filename (dir, name, NULL);
  if (!is_regular_nofollow (path, &st) || st.st_size == 0)
    return NULL;
  /* used now: the last to be evicted (the link itself is never touched) */
  utimensat (AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
  return g_steal_pointer (&path);
}

/* ------------------------------------------------------------ eviction */

typedef struct
{
  char   *path;
  gint64  mtime_ns;
  gint64  size;
} Entry;

static void
entry_clear (gpointer data)
{
  g_free (((Entry *) data)->path);
}

static int
entry_older_first (gconstpointer a,
                   gconstpointer b)
{
  const Entry *x = a, *y = b;

  return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

/* Only regular files named as this code names them are candidates:
 * anything else in the folder (links, folders, files someone put there)
 * is left alone.  A ".part" file is one a build left when it was killed;
 * one younger than a day may be another process's build under way. */
void
ave_proxy_trim (const char *directory,
                const char *keep,
                guint64     max_bytes)
{
  g_autofree char *dir = directory != NULL ? g_strdup (directory) : ave_proxy_default_directory ();
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  const char *name;
  guint64 total = 0;
  gint64 now_ns = g_get_real_time () * 1000;

  if (listing == NULL)
    return;
  g_array_set_clear_func (entries, entry_clear);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      gboolean proxy = g_str_has_suffix (name, PROXY_SUFFIX) && strlen (name) == 64 + strlen (PROXY_SUFFIX);
      gboolean part = name[0] == '.' && g_str_has_suffix (name, PART_SUFFIX);
      g_autofree char *path = NULL;
      struct stat st;
      Entry e;

      if (!proxy && !part)
        continue;
      path = g_build_filename (dir, name, NULL);
      if (!is_regular_nofollow (path, &st))
        continue;
      e.mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
      e.size = st.st_size;
      if (part)
        {
          if (now_ns - e.mtime_ns > G_GINT64_CONSTANT (86400) * 1000000000)
            ave_remove_tree_nofollow (path);
          continue;
        }
      total += (guint64) st.st_size;
      if (g_strcmp0 (path, keep) == 0)
        continue;
      e.path = g_steal_pointer (&path);
      g_array_append_val (entries, e);
    }
  g_array_sort (entries, entry_older_first);
  for (guint i = 0; i < entries->len && total > max_bytes; i++)
    {
      Entry *e = &g_array_index (entries, Entry, i);

      g_debug ("evicting %s (%" G_GINT64_FORMAT " bytes)", e->path, e->size);
      ave_remove_tree_nofollow (e->path);
      total -= (guint64) e->size;
    }
}

/* ------------------------------------------------------------ building */

typedef struct
{
  AVFormatContext *out;
  AVStream        *stream;
  AVCodecContext  *enc;
  AVPacket        *pkt;
  GQueue           durations;   /* gint64 µs of the frames sent, in order */
} Writer;

static void
writer_clear (Writer *w)
{
  avcodec_free_context (&w->enc);
  av_packet_free (&w->pkt);
  if (w->out != NULL)
    {
      if (w->out->pb != NULL)
        avio_closep (&w->out->pb);
      avformat_free_context (w->out);
      w->out = NULL;
    }
  g_queue_clear_full (&w->durations, g_free);
}

static void
set_av_error (GError     **error,
              int          ret,
              const char  *what)
{
  char buf[AV_ERROR_MAX_STRING_SIZE] = { 0 };

  av_strerror (ret, buf, sizeof buf);
  g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED, "%s: %s", what, buf);
}

/* Opens the encoder and the file for pictures like `first`. */
static gboolean
writer_open (Writer            *w,
             const char        *path,
             const AveMediaInfo *info,
             const AVFrame     *first,
             GError           **error)
{
  const AVCodec *codec = avcodec_find_encoder_by_name ("libx264");
  double rate = info->frame_rate > 0.0 && info->frame_rate <= 1000.0 ? info->frame_rate : 30.0;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                           "The H.264 encoder libx264 is not available in this FFmpeg build: "
                           "install libavcodec-extra or an FFmpeg with libx264");
      return FALSE;
    }
  ret = avformat_alloc_output_context2 (&w->out, NULL, "nut", NULL);
  if (ret < 0)
    {
      set_av_error (error, ret, "Cannot write a NUT file");
      return FALSE;
    }

  w->enc = avcodec_alloc_context3 (codec);
  w->enc->width = first->width;
  w->enc->height = first->height;
  w->enc->pix_fmt = AV_PIX_FMT_YUV420P;
  w->enc->time_base = PROXY_TIME_BASE;
  w->enc->framerate = av_d2q (rate, 100000);
  w->enc->gop_size = AVE_PROXY_KEYINT;
  w->enc->max_b_frames = 0;
  w->enc->color_range = AVCOL_RANGE_MPEG;
  w->enc->colorspace = first->colorspace;
  w->enc->color_primaries = first->color_primaries;
  w->enc->color_trc = first->color_trc;
  /* The builder runs beside the preview on two cores: two x264 threads,
   * which inherit the builder thread's lower priority. */
  w->enc->thread_count = 2;
  if (w->out->oformat->flags & AVFMT_GLOBALHEADER)
    w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set (w->enc->priv_data, "preset", PROXY_PRESET, 0);
  av_opt_set_double (w->enc->priv_data, "crf", PROXY_CRF, 0);
  /* every keyframe an IDR, none placed by scene cuts in between: the
   * decoder starts at most AVE_PROXY_KEYINT frames before any picture */
  av_opt_set (w->enc->priv_data, "x264-params", "scenecut=0:open-gop=0", 0);
  ret = avcodec_open2 (w->enc, codec, NULL);
  if (ret < 0)
    {
      set_av_error (error, ret, "Cannot start the H.264 encoder for the preview proxy");
      return FALSE;
    }

  w->stream = avformat_new_stream (w->out, NULL);
  w->stream->time_base = PROXY_TIME_BASE;
  w->stream->avg_frame_rate = w->enc->framerate;
  avcodec_parameters_from_context (w->stream->codecpar, w->enc);

  ret = _ave_media_open_output (w->out, path);
  if (ret < 0)
    {
      set_av_error (error, ret, "Cannot write the preview proxy");
      return FALSE;
    }
  ret = avformat_write_header (w->out, NULL);
  if (ret < 0)
    {
      set_av_error (error, ret, "Cannot write the preview proxy");
      return FALSE;
    }
  w->pkt = av_packet_alloc ();
  return TRUE;
}

/* Sends `frame` (NULL: the end) and writes what the encoder gives back. */
static gboolean
writer_encode (Writer   *w,
               AVFrame  *frame,
               GError  **error)
{
  int ret;

  if (frame != NULL)
    {
      gint64 *duration = g_new (gint64, 1);

      *duration = _AVE_FRAME_DURATION (frame);
      g_queue_push_tail (&w->durations, duration);
    }
  ret = avcodec_send_frame (w->enc, frame);
  if (ret < 0)
    {
      set_av_error (error, ret, "Cannot encode the preview proxy");
      return FALSE;
    }
  for (;;)
    {
      g_autofree gint64 *duration = NULL;

      ret = avcodec_receive_packet (w->enc, w->pkt);
      if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
        return TRUE;
      if (ret < 0)
        {
          set_av_error (error, ret, "Cannot encode the preview proxy");
          return FALSE;
        }
      /* No B-frames: packets come out in the order the frames went in,
       * each with its frame's own duration (variable frame rate). */
      duration = g_queue_pop_head (&w->durations);
      if (duration != NULL)
        w->pkt->duration = *duration;
      w->pkt->stream_index = w->stream->index;
      av_packet_rescale_ts (w->pkt, w->enc->time_base, w->stream->time_base);
      ret = av_interleaved_write_frame (w->out, w->pkt);
      if (ret < 0)
        {
          set_av_error (error, ret, "Cannot write the preview proxy");
          return FALSE;
        }
    }
}

/* Every picture of `source`, scaled, into `path`. */
static gboolean
build (const char      *source,
       int              box_width,
       int              box_height,
       const char      *path,
       AveProgressFunc  progress,
       gpointer         progress_data,
       GCancellable    *cancellable,
       GError         **error)
{
  g_autoptr(AveMediaSource) src = NULL;
  AveMediaSourceOptions options = { 0 };
  const AveMediaInfo *info;
  Writer w = { 0 };
  double last = -1.0;
  gboolean ok = FALSE;
  gint64 n = 0;

  {
    g_autoptr(AveMediaInfo) probed = ave_media_probe (source, error);

    if (probed == NULL)
      return FALSE;
    if (!probed->has_video)
      {
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS,
                     "%s has no video to make a preview proxy of", source);
        return FALSE;
      }
    options.want_video = TRUE;
    options.apply_rotation = TRUE;
    ave_proxy_fit_size (probed, box_width, box_height, &options.video_width, &options.video_height);
  }
  src = ave_media_source_open (source, &options, error);
  if (src == NULL)
    return FALSE;
  info = ave_media_source_get_info (src);
  g_queue_init (&w.durations);

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(AVFrame) frame = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      frame = ave_media_source_read_video (src, &local_error);
      if (frame == NULL)
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              goto out;
            }
          break;
        }
      if (w.enc == NULL && !writer_open (&w, path, info, frame, error))
        goto out;
      /* pts stays as AveMediaSource gives it: microseconds on the
       * source's clock */
      frame->pict_type = AV_PICTURE_TYPE_NONE;
      if (!writer_encode (&w, frame, error))
        goto out;
      n++;
      if (progress != NULL && info->duration > 0)
        ave_progress_report (progress, progress_data, &last,
                             MIN ((frame->pts / (double) AV_TIME_BASE) / info->duration, 0.999));
    }
  if (w.enc == NULL)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                   "%s: no picture could be decoded for the preview proxy", source);
      goto out;
    }
  if (!writer_encode (&w, NULL, error))
    goto out;
  {
    int ret = av_write_trailer (w.out);
    if (ret < 0)
      {
        set_av_error (error, ret, "Cannot finish the preview proxy");
        goto out;
      }
  }
  if (avio_closep (&w.out->pb) < 0)
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "Cannot finish the preview proxy %s (is the disk full?)", path);
      goto out;
    }
  g_debug ("%s: %" G_GINT64_FORMAT " pictures at %dx%d into %s", source, n,
           options.video_width, options.video_height, path);
  if (progress != NULL)
    ave_progress_report (progress, progress_data, &last, 1.0);
  ok = TRUE;

out:
  writer_clear (&w);
  return ok;
}

char *
ave_proxy_make (const char      *source,
                int              box_width,
                int              box_height,
                const char      *directory,
                AveProgressFunc  progress,
                gpointer         progress_data,
                GCancellable    *cancellable,
                GError         **error)
{
  g_autofree char *dir = directory != NULL ? g_strdup (directory) : ave_proxy_default_directory ();
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;
  struct stat st;
  int fd;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = proxy_name (source, box_width, box_height, error);
  if (name == NULL)
    return NULL;
  path = g_build_filename (dir, name, NULL);
  if (is_regular_nofollow (path, &st) && st.st_size > 0)
    return g_steal_pointer (&path);

  if (g_mkdir_with_parents (dir, 0700) != 0 || lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "Cannot use %s for preview proxies: it is not a folder that can be written",
                   dir);
      return NULL;
    }
  part = g_strdup_printf ("%s/.%s.XXXXXX" PART_SUFFIX, dir, name);
  /* a new file of our own (O_EXCL: never through a link planted there) */
  fd = g_mkstemp_full (part, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "Cannot write a preview proxy in %s: %s", dir, g_strerror (saved));
      return NULL;
    }
  close (fd);

  if (!build (source, box_width, box_height, part, progress, progress_data, cancellable, error))
    {
      g_unlink (part);
      return NULL;
    }
  /* The source may have changed while it was read: then this proxy is
   * of what it was, and is not kept under the name of what it is now. */
  {
    g_autofree char *now = proxy_name (source, box_width, box_height, NULL);

    if (g_strcmp0 (now, name) != 0)
      {
        g_unlink (part);
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                     "%s changed while its preview proxy was made; it is made again when next needed",
                     source);
        return NULL;
      }
  }
  /* rename() replaces a link of that name itself, never what it points to */
  if (g_rename (part, path) != 0)
    {
      int saved = errno;
      g_unlink (part);
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "Cannot put the preview proxy in place as %s: %s", path, g_strerror (saved));
      return NULL;
    }
  ave_proxy_trim (dir, path, AVE_PROXY_CACHE_MAX_BYTES);
  return g_steal_pointer (&path);
}
