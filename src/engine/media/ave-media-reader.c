#define G_LOG_DOMAIN "ave-media-reader"

#include "config.h"

#include <math.h>
#include <string.h>

#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>

#include "core/ave-error.h"
#include "core/ave-worker-pool.h"
#include "media/ave-media-private.h"

/* The one-pass analysis read: the calling thread demuxes, a video thread
 * and an audio thread decode concurrently.  Packets travel through two
 * queues bounded in bytes, so memory stays flat however long the input. */

#define DEFAULT_QUEUE_BYTES  (32 * 1024 * 1024)
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 10)
/* Audio is handed over in blocks of about this length. */
#define AUDIO_CHUNK_SECONDS  0.25
/* Forward jumps in audio timestamps up to this long are filled with
 * silence so that sample counts stay aligned with time; longer ones are
 * broken timestamps, and what follows them is left out. */
#define AUDIO_MAX_GAP_FILL   AVE_MEDIA_MAX_TIMESTAMP_GAP
#define AUDIO_GAP_SECONDS    0.02
#define MAX_CONSECUTIVE_ERRORS 200
/* H.264 and HEVC hold back at most 16 pictures for reordering: a picture
 * shown after all of the next 16 packets' pictures is after all of the
 * stream's later ones too. */
#define COPY_END_LOOKAHEAD   16

typedef struct
{
  GMutex   lock;
  GCond    cond;
  GQueue   packets;
  gsize    bytes;
  gsize    max_bytes;
  gboolean closed;        /* the demuxer has no more packets */
} PacketQueue;

typedef struct _Reader Reader;

typedef struct
{
  Reader         *reader;
  int             index;
  AVCodecContext *dec;
  PacketQueue     queue;
  GThread        *thread;
  guint           broken;
  gint64          decoded;
  /* key pictures only: every other packet is left out, and the decoder
   * drained and reset after each key picture, so that one that is not an
   * IDR (open GOP, HEVC CRA) decodes as the start of a stream */
  gboolean        key_only;
  /* reference pictures only (and key pictures' leading pictures) */
  gboolean        reference_only;
  AveLeadingPictures leading;
  /* the nice value its thread and its decoder's threads run at; G_MININT:
   * the caller's */
  int             nice;
  double          packets_end;   /* seconds: the end of the last packet seen */
  /* packets left out for a timestamp far ahead of the rest (demuxer
   * thread only): the first one's claimed time and where the rest was */
  guint           jumped;
  double          jump_to;
  double          jump_from;
} StreamWorker;

struct _Reader
{
  AveMediaFile                 file;
  char                        *name;
  const AveMediaReadOptions   *opts;
  const AveMediaReadCallbacks *cb;
  gpointer                     user_data;
  GCancellable                *cancellable;

  gint                         abort;     /* atomic */
  GMutex                       error_lock;
  GError                      *error;

  StreamWorker                 video;
  StreamWorker                 audio;

  double                       last_fraction;
  gint64                       last_progress_us;
  /* the end of the furthest packet handed to a decoder, seconds
   * (demuxer thread only) */
  double                       frontier;
  gboolean                     frontier_set;

  /* The last video packets' times in decode order (demuxer thread only),
   * for the copy ends (AveMediaReadCallbacks.video_copy_end): a ring of
   * COPY_END_LOOKAHEAD + 1 times and the largest time up to each. */
  gint64                       order_pts[COPY_END_LOOKAHEAD + 1];
  gint64                       order_max[COPY_END_LOOKAHEAD + 1];
  guint64                      order_n;
  gboolean                     reorders;
};

static gboolean
reader_aborted (Reader *r)
{
  return g_atomic_int_get (&r->abort) != 0;
}

static void
queue_wake (PacketQueue *q)
{
  g_mutex_lock (&q->lock);
  g_cond_broadcast (&q->cond);
  g_mutex_unlock (&q->lock);
}

static void
reader_abort (Reader *r)
{
  g_atomic_int_set (&r->abort, 1);
  queue_wake (&r->video.queue);
  queue_wake (&r->audio.queue);
}

/* The first error wins; it stops every thread. */
static void
reader_fail (Reader *r,
             GError *error)
{
  g_mutex_lock (&r->error_lock);
  if (r->error == NULL)
    r->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&r->error_lock);
  reader_abort (r);
}

static void
reader_warn (Reader     *r,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
reader_warn (Reader     *r,
             const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("%s", message);
  if (r->cb->warning != NULL)
    r->cb->warning (message, r->user_data);
}

/* A callback said FALSE; it should have set error, but tolerate one that
 * did not. */
static void
reader_fail_from_callback (Reader     *r,
                           GError     *error,
                           const char *what)
{
  if (error == NULL)
    error = g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                         "%s: the %s consumer stopped the read without saying why",
                         r->name, what);
  reader_fail (r, error);
}

/* ------------------------------------------------------------ queues */

static void
queue_init (PacketQueue *q,
            gsize        max_bytes)
{
  g_mutex_init (&q->lock);
  g_cond_init (&q->cond);
  g_queue_init (&q->packets);
  q->bytes = 0;
  q->max_bytes = max_bytes;
  q->closed = FALSE;
}

static void
queue_clear (PacketQueue *q)
{
  AVPacket *pkt;

  while ((pkt = g_queue_pop_head (&q->packets)) != NULL)
    av_packet_free (&pkt);
  g_mutex_clear (&q->lock);
  g_cond_clear (&q->cond);
}

static gsize
packet_cost (const AVPacket *pkt)
{
  return (gsize) pkt->size + sizeof (AVPacket);
}

static gsize
queue_limit (Reader *r, PacketQueue *q)
{
  int level = r->opts->pressure != NULL ? g_atomic_int_get (r->opts->pressure) : 0;

  return q->max_bytes >> CLAMP (level, 0, 2);   /* all, a half, a quarter */
}

/* Blocks while the queue is full.  Takes the packet's reference.  FALSE
 * when the read was aborted. */
static gboolean
queue_push (Reader      *r,
            PacketQueue *q,
            AVPacket    *src)
{
  AVPacket *pkt = av_packet_alloc ();
  gsize cost;

  av_packet_move_ref (pkt, src);
  cost = packet_cost (pkt);

  g_mutex_lock (&q->lock);
  /* One packet larger than the bound still goes through alone.  Under
   * memory pressure the bound shrinks at once (the budget's watcher). */
  while (!reader_aborted (r) && q->packets.length > 0 && q->bytes + cost > queue_limit (r, q))
    g_cond_wait (&q->cond, &q->lock);
  if (reader_aborted (r))
    {
      g_mutex_unlock (&q->lock);
      av_packet_free (&pkt);
      return FALSE;
    }
  g_queue_push_tail (&q->packets, pkt);
  q->bytes += cost;
  g_cond_broadcast (&q->cond);
  g_mutex_unlock (&q->lock);
  return TRUE;
}

static void
queue_close (PacketQueue *q)
{
  g_mutex_lock (&q->lock);
  q->closed = TRUE;
  g_cond_broadcast (&q->cond);
  g_mutex_unlock (&q->lock);
}

/* Blocks until a packet comes.  NULL when the demuxer is done or the read
 * was aborted. */
static AVPacket *
queue_pop (Reader      *r,
           PacketQueue *q)
{
  AVPacket *pkt = NULL;

  g_mutex_lock (&q->lock);
  while (!reader_aborted (r) && q->packets.length == 0 && !q->closed)
    g_cond_wait (&q->cond, &q->lock);
  if (!reader_aborted (r))
    {
      pkt = g_queue_pop_head (&q->packets);
      if (pkt != NULL)
        {
          q->bytes -= packet_cost (pkt);
          g_cond_broadcast (&q->cond);
        }
    }
  g_mutex_unlock (&q->lock);
  return pkt;
}

/* ------------------------------------------------- decoding, shared */

/* FFmpeg says ENOMEM when an allocation fails, and also when a damaged
 * header asks for an impossible amount: never a reason to abort. */
static void
reader_fail_out_of_memory (Reader       *r,
                           StreamWorker *w)
{
  reader_fail (r, g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                               "%s: out of memory decoding its %s stream; close other programs "
                               "or lower --max-memory, and check that the file is not damaged",
                               r->name, avcodec_get_name (w->dec->codec_id)));
}

typedef gboolean (*FrameHandler) (StreamWorker *w,
                                  AVFrame      *frame,
                                  gpointer      state);

/* Feeds the worker's decoder from its queue and hands every decoded frame
 * to `handle`; drains the decoder at the end.  Damaged packets are skipped
 * and counted.  Returns FALSE when the read stopped (abort or error). */
static gboolean
decode_stream (StreamWorker *w,
               FrameHandler  handle,
               gpointer      state)
{
  Reader *r = w->reader;
  g_autoptr(AVFrame) frame = av_frame_alloc ();
  gboolean flushing = FALSE;
  gboolean key_drain = FALSE;
  guint consecutive_errors = 0;

  for (;;)
    {
      AVPacket *pkt;
      int ret;

      if (reader_aborted (r))
        return FALSE;

      if (!flushing)
        {
          pkt = queue_pop (r, &w->queue);
          if (pkt == NULL)
            {
              if (reader_aborted (r))
                return FALSE;
              flushing = TRUE;
            }
          else if (w->key_only)
            {
              w->packets_end = MAX (w->packets_end, _ave_media_packet_end (&r->file, pkt));
              if (!(pkt->flags & AV_PKT_FLAG_KEY))
                {
                  av_packet_free (&pkt);
                  continue;
                }
            }
          if (w->reference_only && pkt != NULL)
            w->dec->skip_frame = _ave_media_reference_skip (&w->leading, pkt);
          ret = avcodec_send_packet (w->dec, pkt);
          if (w->key_only && pkt != NULL && ret >= 0)
            {
              /* drain: the key picture comes out now, without the
               * reordering delay that waits for pictures never sent */
              av_packet_free (&pkt);
              ret = avcodec_send_packet (w->dec, NULL);
              key_drain = TRUE;
            }
          av_packet_free (&pkt);
          if (ret < 0 && ret != AVERROR (EAGAIN) && ret != AVERROR_EOF)
            {
              if (ret == AVERROR (ENOMEM))
                {
                  reader_fail_out_of_memory (r, w);
                  return FALSE;
                }
              w->broken++;
              g_debug ("%s: skipping a damaged %s packet", r->name,
                       avcodec_get_name (w->dec->codec_id));
              if (++consecutive_errors > MAX_CONSECUTIVE_ERRORS)
                {
                  reader_fail (r, g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                                               "%s: the %s stream cannot be decoded (too many damaged packets); "
                                               "the file is corrupt, try re-exporting it",
                                               r->name, avcodec_get_name (w->dec->codec_id)));
                  return FALSE;
                }
              continue;
            }
        }

      for (;;)
        {
          ret = avcodec_receive_frame (w->dec, frame);
          if (ret == AVERROR (EAGAIN))
            break;
          if (ret == AVERROR_EOF && key_drain && !flushing)
            {
              avcodec_flush_buffers (w->dec);
              key_drain = FALSE;
              break;
            }
          if (ret == AVERROR_EOF)
            return TRUE;
          if (ret < 0)
            {
              if (ret == AVERROR (ENOMEM))
                {
                  reader_fail_out_of_memory (r, w);
                  return FALSE;
                }
              w->broken++;
              if (++consecutive_errors > MAX_CONSECUTIVE_ERRORS)
                {
                  reader_fail (r, g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                                               "%s: the %s stream cannot be decoded (too many damaged frames); "
                                               "the file is corrupt, try re-exporting it",
                                               r->name, avcodec_get_name (w->dec->codec_id)));
                  return FALSE;
                }
              continue;
            }
          consecutive_errors = 0;
          w->decoded++;
          if (!handle (w, frame, state))
            {
              av_frame_unref (frame);
              return FALSE;
            }
          av_frame_unref (frame);
          if (reader_aborted (r))
            return FALSE;
        }
      /* A decoder that answers EAGAIN after the flush has nothing left. */
      if (flushing)
        return TRUE;
    }
}

static double
frame_seconds (Reader       *r,
               StreamWorker *w,
               const AVFrame *frame,
               double        fallback)
{
  AVStream *st = r->file.fmt->streams[w->index];
  gint64 ts = frame->best_effort_timestamp;

  if (ts == AV_NOPTS_VALUE)
    ts = frame->pts;
  if (ts == AV_NOPTS_VALUE)
    return fallback;
  return (av_rescale_q (ts, st->time_base, AV_TIME_BASE_Q) - r->file.start_time_us)
         / (double) AV_TIME_BASE;
}

/* ------------------------------------------------------------- video */

typedef struct
{
  AVFrame           *pending;        /* decoded, waiting for the next pts */
  double             pending_pts;
  gint64             pending_number; /* among all decoded frames */
  gint64             number;
  gint64             delivered;
  double             last_pts;
  double             last_duration;
  double             nominal_duration;
  guint              jumped;         /* frames left out for a timestamp far ahead */
  struct SwsContext *sws;
  AVFrame           *scaled;
  int                width, height;
  int                sws_flags;
} VideoState;

/* Analysis pictures are copied a dozen at a time (a batch of the video
 * analyser): at most 4096 pixels a side keeps a batch near 300 MB
 * whatever analysis_width a config file asks for (docs/cli.md). */
#define MAX_ANALYSIS_SIDE 4096

/* The probe refused shapes beyond AVE_MEDIA_MAX_ASPECT; the clamps keep
 * a setting's width, and the height it gives, within MAX_ANALYSIS_SIDE. */
static void
choose_analysis_size (Reader     *r,
                      VideoState *vs)
{
  const AveMediaInfo *info = r->file.info;
  double sar = (double) info->sample_aspect_num / MAX (info->sample_aspect_den, 1);
  double aspect = info->width * sar / MAX (info->height, 1);
  int width = r->opts->analysis_width > 0 ? r->opts->analysis_width : info->width;
  double height;

  aspect = CLAMP (aspect, 1.0 / AVE_MEDIA_MAX_ASPECT, AVE_MEDIA_MAX_ASPECT);
  width = CLAMP (width, 2, MAX_ANALYSIS_SIDE) & ~1;
  height = CLAMP (width / aspect, 2.0, (double) MAX_ANALYSIS_SIDE);
  vs->width = width;
  vs->height = MAX (2, (int) lround (height / 2.0) * 2);
}

static gboolean
deliver_video (Reader     *r,
               VideoState *vs,
               AVFrame    *frame,
               double      pts,
               double      duration)
{
  AveAnalysisFrame out = { 0 };
  GError *error = NULL;

  out.index = vs->delivered;
  out.pts = pts;
  out.duration = duration;
  out.scaled_width = vs->width;
  out.scaled_height = vs->height;

  /* The decoder's own planes (chroma (w+1)/2 x (h+1)/2, as AveYuvFrame
   * has them): the caller scales them on its compute backend. */
  if (r->opts->leave_scaling &&
      (frame->format == AV_PIX_FMT_YUV420P || frame->format == AV_PIX_FMT_YUVJ420P) &&
      frame->linesize[1] == frame->linesize[2] && frame->linesize[0] > 0 && frame->linesize[1] > 0)
    {
      out.width = frame->width;
      out.height = frame->height;
      out.y = frame->data[0];
      out.y_stride = frame->linesize[0];
      out.u = frame->data[1];
      out.v = frame->data[2];
      out.uv_stride = frame->linesize[1];
      goto deliver;
    }

  if (vs->scaled == NULL)
    {
      vs->scaled = av_frame_alloc ();
      vs->scaled->format = AV_PIX_FMT_YUV420P;
      vs->scaled->width = vs->width;
      vs->scaled->height = vs->height;
      if (av_frame_get_buffer (vs->scaled, 0) < 0)
        {
          reader_fail (r, g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                                       "%s: out of memory for a %dx%d analysis picture; close "
                                       "other programs or lower --max-memory",
                                       r->name, vs->width, vs->height));
          return FALSE;
        }
    }
  vs->sws = sws_getCachedContext (vs->sws, frame->width, frame->height, frame->format,
                                  vs->width, vs->height, AV_PIX_FMT_YUV420P,
                                  vs->sws_flags, NULL, NULL, NULL);
  if (vs->sws == NULL)
    {
      reader_fail (r, g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                                   "%s: cannot convert its %s pictures; convert the file to a common format",
                                   r->name, av_get_pix_fmt_name (frame->format)));
      return FALSE;
    }
  sws_scale (vs->sws, (const guint8 * const *) frame->data, frame->linesize, 0, frame->height,
             vs->scaled->data, vs->scaled->linesize);

  out.width = vs->width;
  out.height = vs->height;
  out.y = vs->scaled->data[0];
  out.y_stride = vs->scaled->linesize[0];
  out.u = vs->scaled->data[1];
  out.v = vs->scaled->data[2];
  /* av_frame_get_buffer gives both chroma planes of a YUV420P picture
   * the same padded width, whatever the input: equal by construction. */
  out.uv_stride = vs->scaled->linesize[1];

deliver:
  if (!r->cb->video_frame (&out, r->user_data, &error))
    {
      reader_fail_from_callback (r, error, "video");
      return FALSE;
    }
  vs->delivered++;
  return TRUE;
}

/* Hands on the frame held back, now that the one after it (or the end of
 * the stream, next_pts < 0) says how long it is shown. */
static gboolean
release_pending_video (Reader     *r,
                       VideoState *vs,
                       double      next_pts)
{
  AVStream *st = r->file.fmt->streams[r->video.index];
  double duration = 0;
  gboolean ok = TRUE;
  guint step = MAX (r->opts->frame_step, 1);

  if (vs->pending == NULL)
    return TRUE;
  if (next_pts > vs->pending_pts)
    duration = next_pts - vs->pending_pts;
  else if (_AVE_FRAME_DURATION (vs->pending) > 0)
    duration = _AVE_FRAME_DURATION (vs->pending) * av_q2d (st->time_base);
  else
    duration = vs->nominal_duration;
  /* the last key picture stands for the pictures after it */
  if (next_pts < 0 && r->video.key_only)
    duration = MAX (duration, r->video.packets_end - vs->pending_pts);
  vs->last_duration = duration;

  if (vs->pending_number % step == 0)
    ok = deliver_video (r, vs, vs->pending, vs->pending_pts, duration);
  av_frame_free (&vs->pending);
  return ok;
}

static gboolean
handle_video_frame (StreamWorker *w,
                    AVFrame      *frame,
                    gpointer      state)
{
  VideoState *vs = state;
  Reader *r = w->reader;
  double pts = frame_seconds (r, w, frame, vs->last_pts + vs->last_duration);

  /* The demuxer leaves out packets whose timestamps jump; a decoder can
   * still make such a time up (a broken reordering offset).  Honoured,
   * it would be hours of content held on one picture. */
  if (vs->number > 0 && pts > vs->last_pts + AVE_MEDIA_MAX_TIMESTAMP_GAP)
    {
      if (vs->jumped++ == 0)
        reader_warn (r, "%s: a picture claims to be at %.1f s, right after one at %.1f s; "
                     "pictures with timestamps that far ahead are left out (the file is damaged, "
                     "re-export it to keep them)", r->name, pts, vs->last_pts);
      return TRUE;
    }
  if (!release_pending_video (r, vs, pts))
    return FALSE;
  vs->pending = av_frame_alloc ();
  av_frame_move_ref (vs->pending, frame);
  vs->pending_pts = pts;
  vs->pending_number = vs->number++;
  vs->last_pts = pts;
  return TRUE;
}

static gpointer
video_thread (gpointer data)
{
  StreamWorker *w = data;
  Reader *r = w->reader;
  VideoState vs = { 0 };

  if (w->nice != G_MININT)
    ave_thread_lower_priority_to (w->nice);

  choose_analysis_size (r, &vs);
  vs.sws_flags = r->opts->fast_decode ? SWS_FAST_BILINEAR : SWS_AREA;
  vs.nominal_duration = r->file.info->frame_rate > 0 ? 1.0 / r->file.info->frame_rate : 0.0;
  vs.last_pts = 0;

  if (decode_stream (w, handle_video_frame, &vs))
    release_pending_video (r, &vs, -1);

  av_frame_free (&vs.pending);
  av_frame_free (&vs.scaled);
  sws_freeContext (vs.sws);
  return NULL;
}

/* ------------------------------------------------------------- audio */

typedef struct
{
  /* source format → interleaved float at the source rate */
  SwrContext      *to_native;
  AVChannelLayout  in_layout;
  int              in_rate;
  int              in_format;
  int              channels;
  /* mono at the source rate → mono at 16 kHz */
  SwrContext      *to_mono;

  float           *native;         /* current chunk, interleaved */
  gsize            n_native;
  gsize            native_capacity; /* frames */
  float           *mono;
  gsize            n_mono;
  gsize            mono_capacity;
  float           *downmix;        /* scratch, mono at source rate */
  gsize            downmix_capacity;
  float           *converted;      /* scratch, one decoded frame interleaved */
  gsize            converted_capacity;

  gboolean         started;
  guint            jumped;         /* frames left out for a timestamp far ahead */
  double           end;            /* the stream's stated end, seconds; 0 unknown */
  double           chunk_pts;      /* seconds of the chunk's first sample */
  gint64           native_total;   /* source-rate frames since `origin` */
  double           origin;         /* seconds where native_total counts from */
} AudioState;

static void
ensure_capacity (float **buf,
                 gsize  *capacity,
                 gsize   needed)
{
  if (needed <= *capacity)
    return;
  *capacity = MAX (needed, *capacity * 2);
  *buf = g_renew (float, *buf, *capacity);
}

static double
audio_clock (AudioState *as)
{
  return as->origin + (double) as->native_total / as->in_rate;
}

static gboolean
emit_chunk (Reader     *r,
            AudioState *as)
{
  AveAudioChunk chunk;
  GError *error = NULL;

  if (as->n_native == 0 && as->n_mono == 0)
    return TRUE;
  chunk.pts = as->chunk_pts;
  chunk.mono = as->mono;
  chunk.n_mono = as->n_mono;
  chunk.native = as->native;
  chunk.n_native_frames = as->n_native;
  chunk.native_channels = as->channels;
  chunk.native_rate = as->in_rate;
  if (!r->cb->audio_chunk (&chunk, r->user_data, &error))
    {
      reader_fail_from_callback (r, error, "audio");
      return FALSE;
    }
  as->n_native = 0;
  as->n_mono = 0;
  as->chunk_pts = audio_clock (as);
  return TRUE;
}

/* Runs the mono resampler over `n` source-rate samples (NULL drains it). */
static void
resample_mono (AudioState  *as,
               const float *in,
               int          n)
{
  int out_max = swr_get_out_samples (as->to_mono, n);
  guint8 *out;
  const guint8 *src = (const guint8 *) in;
  int got;

  if (out_max <= 0)
    return;
  ensure_capacity (&as->mono, &as->mono_capacity, as->n_mono + out_max);
  out = (guint8 *) (as->mono + as->n_mono);
  got = swr_convert (as->to_mono, &out, out_max, in != NULL ? &src : NULL, n);
  if (got > 0)
    as->n_mono += got;
}

/* Appends interleaved source-rate samples to the chunk (both forms) and
 * emits chunks as they fill. */
static gboolean
append_native (Reader      *r,
               AudioState  *as,
               const float *samples,
               gsize        n_frames)
{
  gsize chunk_frames = MAX ((gsize) (as->in_rate * AUDIO_CHUNK_SECONDS), 1);

  while (n_frames > 0)
    {
      gsize take = MIN (n_frames, chunk_frames - MIN (as->n_native, chunk_frames));
      float *dst;

      if (take == 0)
        {
          if (!emit_chunk (r, as))
            return FALSE;
          continue;
        }
      ensure_capacity (&as->native, &as->native_capacity, (as->n_native + take) * as->channels);
      ensure_capacity (&as->downmix, &as->downmix_capacity, take);
      dst = as->native + as->n_native * as->channels;
      if (samples != NULL)
        memcpy (dst, samples, take * as->channels * sizeof (float));
      else
        memset (dst, 0, take * as->channels * sizeof (float));

      /* Mono is the plain mean of the channels: it stays in [-1, 1]. */
      for (gsize i = 0; i < take; i++)
        {
          float sum = 0;
          for (int c = 0; c < as->channels; c++)
            sum += dst[i * as->channels + c];
          as->downmix[i] = sum / as->channels;
        }
      resample_mono (as, as->downmix, (int) take);

      as->n_native += take;
      as->native_total += take;
      n_frames -= take;
      if (samples != NULL)
        samples += take * as->channels;
      if (as->n_native >= chunk_frames && !emit_chunk (r, as))
        return FALSE;
    }
  return TRUE;
}

static void
audio_state_reset_converters (AudioState *as)
{
  swr_free (&as->to_native);
  swr_free (&as->to_mono);
  av_channel_layout_uninit (&as->in_layout);
}

/* (Re)creates the converters for the frame's format.  A change of rate or
 * channels mid-stream closes the current chunk first. */
static gboolean
setup_audio (Reader     *r,
             AudioState *as,
             AVFrame    *frame)
{
  AVChannelLayout layout = { 0 };
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  int ret;

  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame->ch_layout.nb_channels == 0)
    av_channel_layout_default (&layout, MAX (frame->ch_layout.nb_channels, 1));
  else
    av_channel_layout_copy (&layout, &frame->ch_layout);

  if (as->to_native != NULL
      && as->in_rate == frame->sample_rate && as->in_format == frame->format
      && av_channel_layout_compare (&as->in_layout, &layout) == 0)
    {
      av_channel_layout_uninit (&layout);
      return TRUE;
    }

  if (as->to_native != NULL)
    {
      double clock;

      resample_mono (as, NULL, 0);
      clock = audio_clock (as);
      if (!emit_chunk (r, as))
        {
          av_channel_layout_uninit (&layout);
          return FALSE;
        }
      as->origin = clock;
      as->native_total = 0;
      as->chunk_pts = clock;
    }
  audio_state_reset_converters (as);

  ret = swr_alloc_set_opts2 (&as->to_native, &layout, AV_SAMPLE_FMT_FLT, frame->sample_rate,
                             &layout, frame->format, frame->sample_rate, 0, NULL);
  if (ret >= 0)
    ret = swr_init (as->to_native);
  if (ret >= 0)
    ret = swr_alloc_set_opts2 (&as->to_mono, &mono, AV_SAMPLE_FMT_FLT, AVE_ANALYSIS_SAMPLE_RATE,
                               &mono, AV_SAMPLE_FMT_FLT, frame->sample_rate, 0, NULL);
  if (ret >= 0)
    ret = swr_init (as->to_mono);
  if (ret < 0)
    {
      av_channel_layout_uninit (&layout);
      reader_fail (r, g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                                   "%s: cannot convert its sound (%d Hz, %d channels); "
                                   "convert the file to a common format",
                                   r->name, frame->sample_rate, frame->ch_layout.nb_channels));
      return FALSE;
    }
  as->in_layout = layout;
  as->in_rate = frame->sample_rate;
  as->in_format = frame->format;
  as->channels = layout.nb_channels;
  return TRUE;
}

static gboolean
handle_audio_frame (StreamWorker *w,
                    AVFrame      *frame,
                    gpointer      state)
{
  AudioState *as = state;
  Reader *r = w->reader;
  double pts;
  guint8 *out;
  int n;

  if (frame->nb_samples <= 0 || frame->sample_rate <= 0)
    return TRUE;
  if (!setup_audio (r, as, frame))
    return FALSE;

  pts = frame_seconds (r, w, frame, as->started ? audio_clock (as) : 0.0);
  if (!as->started)
    {
      /* Sample 0 of the analysis is time 0, even when the sound starts
       * later than the picture. */
      as->started = TRUE;
      as->origin = 0;
      as->chunk_pts = 0;
      as->native_total = 0;
      if (pts < 0 || pts > AUDIO_MAX_GAP_FILL)
        {
          as->origin = pts;
          as->chunk_pts = pts;
        }
    }
  {
    double gap = pts - audio_clock (as);

    if (gap > AUDIO_GAP_SECONDS && gap <= AUDIO_MAX_GAP_FILL)
      {
        g_debug ("%s: %.3f s without sound at %.3f s; filling with silence",
                 r->name, gap, audio_clock (as));
        if (!append_native (r, as, NULL, (gsize) llround (gap * as->in_rate)))
          return FALSE;
      }
    else if (gap > AUDIO_MAX_GAP_FILL)
      {
        /* Followed, the jump would be hours of silence to analyse. */
        if (as->jumped++ == 0)
          reader_warn (r, "%s: the sound's timestamps jump by %.1f s at %.1f s; the sound "
                       "after the jump is left out (the file is damaged, re-export it to keep it)",
                       r->name, gap, audio_clock (as));
        return TRUE;
      }
  }

  ensure_capacity (&as->converted, &as->converted_capacity, (gsize) frame->nb_samples * as->channels);
  out = (guint8 *) as->converted;
  n = swr_convert (as->to_native, &out, frame->nb_samples,
                   (const guint8 **) frame->extended_data, frame->nb_samples);
  if (n <= 0)
    return TRUE;

  /* AAC and MP3 fill their last frame with padding that MP4 marks as
   * beyond the stream's end; the analysis should not see it.  Far past
   * the end, the stated duration is the thing that is wrong. */
  if (as->end > 0)
    {
      double over = audio_clock (as) + (double) n / as->in_rate - as->end;

      if (over > 0 && over < 0.25)
        n -= (int) MIN ((gint64) n, (gint64) llround (over * as->in_rate));
      if (n <= 0)
        return TRUE;
    }
  return append_native (r, as, as->converted, (gsize) n);
}

static gpointer
audio_thread (gpointer data)
{
  StreamWorker *w = data;
  Reader *r = w->reader;
  AudioState as = { 0 };
  AVStream *st = r->file.fmt->streams[w->index];

  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    {
      gint64 start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
      as.end = (av_rescale_q (start + st->duration, st->time_base, AV_TIME_BASE_Q)
                - r->file.start_time_us) / (double) AV_TIME_BASE;
    }

  if (decode_stream (w, handle_audio_frame, &as) && as.to_mono != NULL)
    {
      resample_mono (&as, NULL, 0);
      emit_chunk (r, &as);
    }

  audio_state_reset_converters (&as);
  g_free (as.native);
  g_free (as.mono);
  g_free (as.downmix);
  g_free (as.converted);
  return NULL;
}

/* ------------------------------------------------------------- demux */

static int
interrupt_cb (void *opaque)
{
  return reader_aborted (opaque) ? 1 : 0;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      data)
{
  reader_abort (data);
}

static void
report_progress (Reader *r,
                 double  reached,
                 gboolean force)
{
  gint64 now;
  double fraction;

  if (r->cb->progress == NULL)
    return;
  now = g_get_monotonic_time ();
  if (!force && now - r->last_progress_us < PROGRESS_INTERVAL_US)
    return;

  if (r->file.info->duration > 0 && reached >= 0)
    fraction = reached / r->file.info->duration;
  else if (r->file.info->size_bytes > 0 && r->file.fmt->pb != NULL)
    fraction = (double) avio_tell (r->file.fmt->pb) / r->file.info->size_bytes;
  else
    return;
  if (force)
    fraction = 1.0;
  fraction = CLAMP (fraction, 0.0, 1.0);
  if (fraction < r->last_fraction)
    fraction = r->last_fraction;
  r->last_fraction = fraction;
  r->last_progress_us = now;
  r->cb->progress (fraction, r->user_data);
}

/* The decoder of a worker that runs below the caller's priority is opened
 * on a short-lived thread at that priority: FFmpeg starts its decoding
 * threads in avcodec_open2(), and they inherit the nice value of the
 * thread that opens the decoder. */
typedef struct
{
  Reader         *reader;
  int             index;
  AveDecodeFlags  flags;
  int             nice;
  AVCodecContext *dec;
  GError         *error;
} OpenBelow;

static gpointer
open_decoder_below (gpointer data)
{
  OpenBelow *open = data;

  ave_thread_lower_priority_to (open->nice);
  open->dec = _ave_media_open_decoder (&open->reader->file, open->index,
                                       open->reader->opts->decoder_threads, open->flags,
                                       &open->error);
  return NULL;
}

static AVCodecContext *
open_worker_decoder (Reader          *r,
                     StreamWorker    *w,
                     int              index,
                     AveDecodeFlags   flags,
                     GError         **error)
{
  OpenBelow open = { r, index, flags, w->nice, NULL, NULL };
  GThread *thread;

  if (w->nice == G_MININT)
    return _ave_media_open_decoder (&r->file, index, r->opts->decoder_threads, flags, error);
  thread = g_thread_try_new ("ave-video-decode", open_decoder_below, &open, NULL);
  if (thread == NULL)
    return _ave_media_open_decoder (&r->file, index, r->opts->decoder_threads, flags, error);
  g_thread_join (thread);
  if (open.dec == NULL)
    g_propagate_error (error, open.error);
  return open.dec;
}

static gboolean
start_worker (Reader       *r,
              StreamWorker *w,
              int           index,
              const char   *thread_name,
              GThreadFunc   func,
              gsize         queue_bytes,
              GError      **error)
{
  GError *local_error = NULL;
  AveDecodeFlags flags = AVE_DECODE_EXACT;

  if (func == video_thread)
    {
      if (r->opts->fast_decode)
        flags |= AVE_DECODE_FAST;
      if (r->opts->pictures == AVE_ANALYSIS_FRAMES_REFERENCE)
        flags |= AVE_DECODE_REFERENCE_ONLY;
      w->key_only = r->opts->pictures == AVE_ANALYSIS_FRAMES_KEY;
      if (r->opts->video_nice_increment > 0)
        w->nice = ave_thread_get_nice () + r->opts->video_nice_increment;
    }
  w->dec = open_worker_decoder (r, w, index, flags, error);
  if (w->dec == NULL)
    return FALSE;
  /* opened to drop the pictures nothing refers to (where the codec can) */
  w->reference_only = w->dec->skip_frame == AVDISCARD_NONREF;
  w->index = index;
  queue_init (&w->queue, queue_bytes);
  w->thread = g_thread_try_new (thread_name, func, w, &local_error);
  if (w->thread == NULL)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "%s: cannot start a decoding thread (%s)", r->name, local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  return TRUE;
}

static void
stop_worker (StreamWorker *w)
{
  if (w->thread != NULL)
    {
      queue_close (&w->queue);
      g_thread_join (w->thread);
      w->thread = NULL;
    }
  if (w->index >= 0 && w->dec != NULL)
    queue_clear (&w->queue);
  avcodec_free_context (&w->dec);
}

/* A packet that claims a time far beyond everything read so far (one
 * broken timestamp, or the rest of a badly joined file) is left out:
 * honoured, a few frames would become hours or months of content, and
 * every later stage is sized by time.  Packets that come back to the
 * file's time go on as usual. */
static gboolean
timestamp_jumps_ahead (Reader         *r,
                       StreamWorker   *w,
                       const AVPacket *pkt)
{
  AVStream *st = r->file.fmt->streams[pkt->stream_index];
  gint64 ts = pkt->pts;
  double start;

  if (pkt->dts != AV_NOPTS_VALUE && (ts == AV_NOPTS_VALUE || pkt->dts > ts))
    ts = pkt->dts;
  if (ts == AV_NOPTS_VALUE)
    return FALSE;
  start = (av_rescale_q (ts, st->time_base, AV_TIME_BASE_Q) - r->file.start_time_us)
          / (double) AV_TIME_BASE;
  if (r->frontier_set && start > r->frontier + AVE_MEDIA_MAX_TIMESTAMP_GAP)
    {
      if (w->jumped++ == 0)
        {
          w->jump_from = r->frontier;
          w->jump_to = start;
        }
      return TRUE;
    }
  r->frontier = r->frontier_set ? MAX (r->frontier, _ave_media_packet_end (&r->file, pkt))
                                : _ave_media_packet_end (&r->file, pkt);
  r->frontier_set = TRUE;
  return FALSE;
}

static void
warn_timestamp_jump (Reader       *r,
                     StreamWorker *w)
{
  if (w->jumped == 0)
    return;
  reader_warn (r, "%s: the %s's timestamps jump from %.1f s to %.1f s (a damaged or badly "
               "joined file); %u packet%s beyond the jump %s left out, so the %s ends at %.1f s: "
               "re-export the file to keep them",
               r->name, w == &r->video ? "picture" : "sound", w->jump_from, w->jump_to,
               w->jumped, w->jumped == 1 ? "" : "s", w->jumped == 1 ? "is" : "are",
               w == &r->video ? "picture" : "sound", w->jump_from);
}

/* Packet `c` (decode order, still in the ring) ends a prefix of the
 * stream that shows exactly its own pictures when every packet after it
 * shows later than all packets up to it; the prefix's end is the first
 * later picture's time.  Only the ring's packets after `c` are looked at:
 * enough for any stream whose reordering stays within the lookahead. */
static void
copy_end_check (Reader  *r,
                guint64  c)
{
  const guint ring = COPY_END_LOOKAHEAD + 1;
  gint64 shown = r->order_max[c % ring], next = G_MAXINT64;
  AVStream *st = r->file.fmt->streams[r->video.index];
  double seconds;

  for (guint64 i = c + 1; i < r->order_n; i++)
    next = MIN (next, r->order_pts[i % ring]);
  if (next == G_MAXINT64 || next <= shown || !r->reorders)
    return;
  seconds = (av_rescale_q (next, st->time_base, AV_TIME_BASE_Q) - r->file.start_time_us) / (double) AV_TIME_BASE;
  if (seconds > 0.0)
    r->cb->video_copy_end (seconds, r->user_data);
}

static void
copy_end_push (Reader         *r,
               const AVPacket *pkt)
{
  const guint ring = COPY_END_LOOKAHEAD + 1;
  guint slot = r->order_n % ring;

  if (r->order_n > 0 && pkt->pts < r->order_max[(r->order_n - 1) % ring])
    r->reorders = TRUE;
  r->order_pts[slot] = pkt->pts;
  r->order_max[slot] = r->order_n > 0 ? MAX (pkt->pts, r->order_max[(r->order_n - 1) % ring]) : pkt->pts;
  r->order_n++;
  /* the oldest packet in the ring has all its lookahead now */
  if (r->order_n >= ring)
    copy_end_check (r, r->order_n - ring);
}

/* At the end of the stream the last packets have less lookahead: what
 * follows them is all there is. */
static void
copy_end_finish (Reader *r)
{
  const guint ring = COPY_END_LOOKAHEAD + 1;

  for (guint64 c = r->order_n > ring - 1 ? r->order_n - (ring - 1) : 0; c + 1 < r->order_n; c++)
    copy_end_check (r, c);
}

/* Reads packets until the end, an error or an abort; returns the end of
 * the furthest packet (seconds) and whether reading failed early. */
static double
demux (Reader   *r,
       gboolean *read_error)
{
  g_autoptr(AVPacket) pkt = av_packet_alloc ();
  double reached = -1;

  *read_error = FALSE;
  while (!reader_aborted (r))
    {
      StreamWorker *w = NULL;
      int ret;

      if (g_cancellable_is_cancelled (r->cancellable))
        {
          reader_abort (r);
          break;
        }
      ret = av_read_frame (r->file.fmt, pkt);
      if (ret == AVERROR (EAGAIN))
        continue;
      if (ret < 0)
        {
          if (ret != AVERROR_EOF && !reader_aborted (r))
            {
              char buf[AV_ERROR_MAX_STRING_SIZE] = { 0 };
              av_strerror (ret, buf, sizeof buf);
              g_debug ("%s: reading stopped: %s", r->name, buf);
              *read_error = TRUE;
            }
          break;
        }

      if (pkt->stream_index == r->video.index && r->video.thread != NULL)
        w = &r->video;
      else if (pkt->stream_index == r->audio.index && r->audio.thread != NULL)
        w = &r->audio;
      if (w == NULL || timestamp_jumps_ahead (r, w, pkt))
        {
          av_packet_unref (pkt);
          continue;
        }
      reached = MAX (reached, _ave_media_packet_end (&r->file, pkt));
      if (w == &r->video && (pkt->flags & AV_PKT_FLAG_KEY) && pkt->pts != AV_NOPTS_VALUE &&
          r->cb->video_keyframe != NULL)
        {
          AVStream *st = r->file.fmt->streams[pkt->stream_index];

          r->cb->video_keyframe ((av_rescale_q (pkt->pts, st->time_base, AV_TIME_BASE_Q)
                                  - r->file.start_time_us) / (double) AV_TIME_BASE,
                                 r->user_data);
        }
      if (w == &r->video && pkt->pts != AV_NOPTS_VALUE && r->cb->video_copy_end != NULL)
        copy_end_push (r, pkt);
      if (!queue_push (r, &w->queue, pkt))
        break;
      report_progress (r, reached, FALSE);
    }
  if (!reader_aborted (r) && r->cb->video_copy_end != NULL && r->video.index >= 0)
    copy_end_finish (r);
  return reached;
}

gboolean
ave_media_read_for_analysis (const char                  *path,
                             const AveMediaReadOptions   *options,
                             const AveMediaReadCallbacks *callbacks,
                             gpointer                     user_data,
                             GCancellable                *cancellable,
                             GError                     **error)
{
  Reader r = { 0 };
  AVIOInterruptCB interrupt = { interrupt_cb, &r };
  g_autoptr(GError) local_error = NULL;
  gsize total_bytes;
  gboolean want_video = FALSE, want_audio = FALSE;
  gboolean read_error = FALSE;
  gulong cancel_id = 0;
  double reached = -1;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (callbacks != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  r.opts = options;
  r.cb = callbacks;
  r.user_data = user_data;
  r.cancellable = cancellable;
  r.name = _ave_media_display_name (path);
  r.video.reader = &r;
  r.video.index = -1;
  r.video.nice = G_MININT;
  r.audio.reader = &r;
  r.audio.index = -1;
  r.audio.nice = G_MININT;
  g_mutex_init (&r.error_lock);

  if (!_ave_media_file_open (&r.file, path, &interrupt, &local_error))
    goto out;

  want_video = options->want_video && callbacks->video_frame != NULL && r.file.video_index >= 0;
  want_audio = options->want_audio && callbacks->audio_chunk != NULL && r.file.audio_index >= 0;
  /* Nothing asked for exists in this file (say, video of a sound
   * recording): there is nothing to read, which is not an error. */
  if (!want_video && !want_audio)
    goto out;

  /* Audio packets are small; most of the bound goes to video. */
  total_bytes = options->queue_bytes > 0 ? options->queue_bytes : DEFAULT_QUEUE_BYTES;
  for (unsigned i = 0; i < r.file.fmt->nb_streams; i++)
    if (!((want_video && (int) i == r.file.video_index)
          || (want_audio && (int) i == r.file.audio_index)))
      r.file.fmt->streams[i]->discard = AVDISCARD_ALL;

  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &r, NULL);

  if (want_video
      && !start_worker (&r, &r.video, r.file.video_index, "ave-video-decode", video_thread,
                        want_audio ? total_bytes - total_bytes / 4 : total_bytes, &local_error))
    goto stop;
  if (want_audio
      && !start_worker (&r, &r.audio, r.file.audio_index, "ave-audio-decode", audio_thread,
                        want_video ? total_bytes / 4 : total_bytes, &local_error))
    goto stop;

  reached = demux (&r, &read_error);

stop:
  /* Closing the queues lets the workers drain their decoders; an abort
   * makes them return at once. */
  stop_worker (&r.video);
  stop_worker (&r.audio);
  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);

  if (local_error != NULL)
    goto out;
  if (r.error != NULL)
    {
      local_error = g_steal_pointer (&r.error);
      goto out;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, &local_error))
    goto out;

  if ((want_video ? r.video.decoded : 0) + (want_audio ? r.audio.decoded : 0) == 0)
    {
      g_set_error (&local_error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                   "%s: not a single %s could be decoded; the file is damaged, try re-exporting it",
                   r.name, want_video && want_audio ? "picture or sound" : want_video ? "picture" : "sound");
      goto out;
    }
  if (want_video && r.video.decoded == 0)
    reader_warn (&r, "%s: no picture could be decoded; only the sound was analysed", r.name);
  if (want_audio && r.audio.decoded == 0)
    reader_warn (&r, "%s: no sound could be decoded; only the picture was analysed", r.name);
  if (r.video.broken + r.audio.broken > 0)
    reader_warn (&r, "%s: skipped %u damaged packet%s", r.name, r.video.broken + r.audio.broken,
                 r.video.broken + r.audio.broken == 1 ? "" : "s");
  warn_timestamp_jump (&r, &r.video);
  warn_timestamp_jump (&r, &r.audio);
  /* After a jump the stated length is the jump's, not a truncation. */
  if (read_error || (r.video.jumped + r.audio.jumped == 0 && _ave_media_ended_early (&r.file, -1, reached)))
    reader_warn (&r, "%s: the file ends early at %.1f s (truncated?); analysed what is there",
                 r.name, MAX (reached, 0.0));
  report_progress (&r, reached, TRUE);

out:
  if (r.error != NULL)
    g_error_free (r.error);
  _ave_media_file_close (&r.file);
  g_mutex_clear (&r.error_lock);
  g_free (r.name);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
