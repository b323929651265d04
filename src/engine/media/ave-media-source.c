#define G_LOG_DOMAIN "ave-media-source"

#include "config.h"

#include <math.h>
#include <string.h>

#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

#include "core/ave-error.h"
#include "media/ave-media-private.h"

/* Packets of the stream nobody is reading pile up in its queue; past this
 * the caller is not interleaving its reads as the header asks. */
#define QUEUE_LIMIT_BYTES (64 * 1024 * 1024)
/* After this many consecutive decode errors the stream is beyond repair. */
#define MAX_CONSECUTIVE_ERRORS 200
/* Audio timestamps that drift further than this from the running sample
 * count are a real gap (or overlap) in the source, not rounding. */
#define AUDIO_RESYNC_SECONDS 0.02

typedef struct
{
  int             index;          /* stream index, -1 when not decoded */
  AVCodecContext *dec;
  GQueue          queue;          /* AVPacket*, demuxed ahead for this stream */
  gsize           queue_bytes;
  gboolean        fed;            /* a packet went in since open or the last reset */
  gboolean        sent_flush;     /* the NULL packet went to the decoder */
  gboolean        done;           /* the decoder returned AVERROR_EOF */
  gboolean        ended_early;
  double          reached;        /* end of the last demuxed packet, seconds */
  gint64          n_frames;       /* decoded since open */
  guint           broken;         /* packets the decoder rejected */
  gint64          last_pts_us;    /* for frames without a timestamp */
  gint64          last_duration_us;
  gboolean        warned_queue;
} StreamState;

/* Buffers for the converted pictures, laid out exactly as
 * av_frame_get_buffer() lays out a frame of this size (same strides and
 * plane offsets, so scaling writes the same bytes).  A new buffer per
 * frame would be a fresh mapping per frame at 1080p (the runtime keeps
 * blocks over 256 KiB out of the heap): ~760 page faults each. */
typedef struct
{
  AVBufferPool *pool;
  int           width, height;
  ptrdiff_t     offset[AV_NUM_DATA_POINTERS];
  int           linesize[AV_NUM_DATA_POINTERS];
} PicturePool;

struct _AveMediaSource
{
  AveMediaFile          file;
  AveMediaSourceOptions opts;
  AVPacket             *pkt;
  gboolean              demux_eof;
  gboolean              read_error;

  StreamState           video;
  StreamState           audio;

  /* Where the last seek asked to start; frames ending before it are
   * decoded and dropped. */
  gint64                target_us;
  gint64                first_video_pts_us;  /* first decoded after a seek */
  AveLeadingPictures    leading;             /* reference_frames_only */

  /* video: one decoded frame of look-ahead gives each frame its real
   * duration (the next frame's pts minus its own), which VFR needs. */
  AVFrame              *video_pending;
  AVFrame              *video_ready;         /* kept by seek, returned first */
  struct SwsContext    *sws;
  PicturePool           pictures;            /* what convert_video() writes into */
  AVFrame              *rotate_tmp;
  int                   rotation;
  int                   out_width, out_height;
  int                   scale_width, scale_height;
  gboolean              leave_scaling;

  /* audio */
  SwrContext           *swr;
  AVChannelLayout       swr_in_layout;
  int                   swr_in_rate;
  int                   swr_in_format;
  gboolean              swr_flushed;
  AVChannelLayout       out_layout;
  int                   out_rate;
  gint64                audio_next;          /* output samples, relative clock */
  gboolean              audio_next_valid;
};

static char *
source_name (AveMediaSource *self)
{
  return _ave_media_display_name (self->file.info->path);
}

static void
stream_clear_queue (StreamState *s)
{
  AVPacket *pkt;

  while ((pkt = g_queue_pop_head (&s->queue)) != NULL)
    av_packet_free (&pkt);
  s->queue_bytes = 0;
}

static void
stream_reset (AveMediaSource *self,
              StreamState    *s)
{
  stream_clear_queue (s);
  if (s->dec != NULL && s->fed)
    {
      /* Flushing makes audio decoders with overlapping windows (Vorbis,
       * AAC) treat the next packet as a continuation and drop its output;
       * a new decoder starts the way the file does. */
      if (s->dec->codec_type == AVMEDIA_TYPE_AUDIO)
        {
          AVCodecContext *fresh = _ave_media_open_decoder (&self->file, s->index,
                                                           self->opts.decoder_threads,
                                                           AVE_DECODE_EXACT, NULL);
          if (fresh != NULL)
            {
              avcodec_free_context (&s->dec);
              s->dec = fresh;
            }
          else
            avcodec_flush_buffers (s->dec);
        }
      else
        avcodec_flush_buffers (s->dec);
    }
  s->fed = FALSE;
  s->sent_flush = FALSE;
  s->done = FALSE;
  s->ended_early = FALSE;
  s->reached = -1;
  s->last_pts_us = AV_NOPTS_VALUE;
  s->last_duration_us = 0;
}

static void
stream_dispose (StreamState *s)
{
  stream_clear_queue (s);
  avcodec_free_context (&s->dec);
}

static gboolean
stream_wanted (AveMediaSource *self,
               int             index)
{
  return index >= 0 && (index == self->video.index || index == self->audio.index);
}

static StreamState *
stream_for_index (AveMediaSource *self,
                  int             index)
{
  if (index == self->video.index)
    return &self->video;
  if (index == self->audio.index)
    return &self->audio;
  return NULL;
}

static void
queue_packet (AveMediaSource *self,
              StreamState    *s,
              AVPacket       *pkt)
{
  AVPacket *copy = av_packet_alloc ();

  av_packet_move_ref (copy, pkt);
  g_queue_push_tail (&s->queue, copy);
  s->queue_bytes += copy->size + sizeof (AVPacket);

  while (s->queue_bytes > QUEUE_LIMIT_BYTES && s->queue.length > 1)
    {
      AVPacket *old = g_queue_pop_head (&s->queue);

      if (!s->warned_queue)
        {
          g_warning ("%s: over %d MiB of %s packets queued unread; dropping the oldest "
                     "(read video and audio in step)",
                     self->file.info->path, QUEUE_LIMIT_BYTES >> 20,
                     s == &self->video ? "video" : "audio");
          s->warned_queue = TRUE;
        }
      s->queue_bytes -= old->size + sizeof (AVPacket);
      av_packet_free (&old);
    }
}

static void
note_demux_end (AveMediaSource *self)
{
  self->demux_eof = TRUE;
  if (self->video.index >= 0
      && _ave_media_ended_early (&self->file, self->video.index, self->video.reached))
    self->video.ended_early = TRUE;
  if (self->audio.index >= 0
      && _ave_media_ended_early (&self->file, self->audio.index, self->audio.reached))
    self->audio.ended_early = TRUE;
}

/* Gives the next packet of stream `s`, demuxing (and queueing packets of
 * the other wanted stream) as needed.  FALSE at the end of the data. */
static gboolean
next_packet (AveMediaSource *self,
             StreamState    *s,
             AVPacket      **out)
{
  *out = g_queue_pop_head (&s->queue);
  if (*out != NULL)
    {
      s->queue_bytes -= (*out)->size + sizeof (AVPacket);
      return TRUE;
    }

  while (!self->demux_eof)
    {
      StreamState *owner;
      int ret = av_read_frame (self->file.fmt, self->pkt);

      if (ret == AVERROR (EAGAIN))
        continue;
      if (ret < 0)
        {
          if (ret != AVERROR_EOF)
            {
              char buf[AV_ERROR_MAX_STRING_SIZE] = { 0 };
              av_strerror (ret, buf, sizeof buf);
              g_debug ("%s: reading stopped: %s", self->file.info->path, buf);
              self->read_error = TRUE;
            }
          note_demux_end (self);
          return FALSE;
        }
      if (!stream_wanted (self, self->pkt->stream_index))
        {
          av_packet_unref (self->pkt);
          continue;
        }
      owner = stream_for_index (self, self->pkt->stream_index);
      owner->reached = MAX (owner->reached, _ave_media_packet_end (&self->file, self->pkt));
      if (self->pkt->flags & AV_PKT_FLAG_CORRUPT)
        g_debug ("%s: packet at %.3f s is marked corrupt", self->file.info->path,
                 owner->reached);
      if (owner == s)
        {
          *out = av_packet_alloc ();
          av_packet_move_ref (*out, self->pkt);
          return TRUE;
        }
      queue_packet (self, owner, self->pkt);
    }
  return FALSE;
}

static gint64
frame_pts_us (AveMediaSource *self,
              StreamState    *s,
              AVFrame        *frame)
{
  AVStream *st = self->file.fmt->streams[s->index];
  gint64 ts = frame->best_effort_timestamp;

  if (ts == AV_NOPTS_VALUE)
    ts = frame->pts;
  if (ts == AV_NOPTS_VALUE)
    {
      if (s->last_pts_us == AV_NOPTS_VALUE)
        return 0;
      return s->last_pts_us + s->last_duration_us;
    }
  return av_rescale_q (ts, st->time_base, AV_TIME_BASE_Q) - self->file.start_time_us;
}

/* After a seek the pictures well before the target are decoded only as
 * references for the ones after them: the decoder may drop those nothing
 * refers to (the B-frames of most streams, half of a GOP's decoding).
 * The last two frame lengths (at least 0.1 s) before the target are always
 * decoded: one of them may be the picture shown at the target, and the
 * picture before it gives its duration.  With reference pictures only,
 * the rest are dropped everywhere but before key pictures
 * (_ave_media_reference_skip). */
static void
preroll_skip (AveMediaSource *self,
              const AVPacket *pkt)
{
  AVStream *st = self->file.fmt->streams[self->video.index];
  gint64 margin_us = 100000;
  enum AVDiscard skip = AVDISCARD_DEFAULT;

  if (self->file.info->frame_rate > 0)
    margin_us = MAX (margin_us, (gint64) llround (2.0 * AV_TIME_BASE / self->file.info->frame_rate));
  if (self->opts.reference_frames_only && _ave_media_codec_drops_nonref (self->video.dec->codec_id))
    skip = _ave_media_reference_skip (&self->leading, pkt);
  else if (self->target_us > 0 && pkt->pts != AV_NOPTS_VALUE &&
      _ave_media_codec_drops_nonref (self->video.dec->codec_id) &&
      av_rescale_q (pkt->pts, st->time_base, AV_TIME_BASE_Q) - self->file.start_time_us
        < self->target_us - margin_us)
    skip = AVDISCARD_NONREF;
  self->video.dec->skip_frame = skip;
}

/* Decodes the next frame of `s` into `frame`, with frame->pts turned into
 * microseconds on the relative clock and the duration likewise (0 when the
 * container does not say).  FALSE at the end of the stream, or on error
 * (then error is set). */
/* FFmpeg says ENOMEM when an allocation fails, and also when a damaged
 * header asks for an impossible amount: never a reason to abort. */
static void
set_out_of_memory (AveMediaSource *self,
                   StreamState    *s,
                   GError        **error)
{
  g_autofree char *name = source_name (self);

  g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
               "%s: out of memory decoding its %s stream; close other programs "
               "or lower --max-memory, and check that the file is not damaged",
               name, avcodec_get_name (s->dec->codec_id));
}

static gboolean
decode_frame (AveMediaSource *self,
              StreamState    *s,
              AVFrame        *frame,
              GError        **error)
{
  AVStream *st = self->file.fmt->streams[s->index];
  guint consecutive_errors = 0;

  if (s->done)
    return FALSE;

  for (;;)
    {
      int ret = avcodec_receive_frame (s->dec, frame);

      if (ret == 0)
        {
          gint64 dur = _AVE_FRAME_DURATION (frame);

          frame->pts = frame_pts_us (self, s, frame);
          dur = dur > 0 ? av_rescale_q (dur, st->time_base, AV_TIME_BASE_Q) : 0;
          if (s->dec->codec_type == AVMEDIA_TYPE_AUDIO && frame->sample_rate > 0)
            dur = av_rescale (frame->nb_samples, AV_TIME_BASE, frame->sample_rate);
          _AVE_FRAME_DURATION (frame) = dur;
          s->last_pts_us = frame->pts;
          s->last_duration_us = dur;
          s->n_frames++;
          return TRUE;
        }
      if (ret == AVERROR_EOF)
        {
          s->done = TRUE;
          return FALSE;
        }
      if (ret != AVERROR (EAGAIN))
        {
          if (ret == AVERROR (ENOMEM))
            {
              set_out_of_memory (self, s, error);
              return FALSE;
            }
          g_debug ("%s: a frame failed to decode (%d); skipping it",
                   self->file.info->path, ret);
          s->broken++;
          if (++consecutive_errors > MAX_CONSECUTIVE_ERRORS)
            {
              g_autofree char *name = source_name (self);
              g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                           "%s: the %s stream cannot be decoded (too many damaged frames); "
                           "the file is corrupt, try re-exporting it",
                           name, avcodec_get_name (s->dec->codec_id));
              return FALSE;
            }
          continue;
        }

      /* The decoder wants input. */
      if (s->sent_flush)
        {
          /* Some decoders answer EAGAIN instead of EOF after a flush. */
          s->done = TRUE;
          return FALSE;
        }
      {
        AVPacket *pkt = NULL;

        if (next_packet (self, s, &pkt))
          {
            if (s == &self->video)
              preroll_skip (self, pkt);
            ret = avcodec_send_packet (s->dec, pkt);
            s->fed = TRUE;
            if (ret < 0 && ret != AVERROR (EAGAIN))
              {
                if (ret == AVERROR (ENOMEM))
                  {
                    av_packet_free (&pkt);
                    set_out_of_memory (self, s, error);
                    return FALSE;
                  }
                g_debug ("%s: skipping a damaged %s packet", self->file.info->path,
                         avcodec_get_name (s->dec->codec_id));
                s->broken++;
                if (++consecutive_errors > MAX_CONSECUTIVE_ERRORS)
                  {
                    g_autofree char *name = source_name (self);
                    av_packet_free (&pkt);
                    g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                                 "%s: the %s stream cannot be decoded (too many damaged packets); "
                                 "the file is corrupt, try re-exporting it",
                                 name, avcodec_get_name (s->dec->codec_id));
                    return FALSE;
                  }
              }
            else
              consecutive_errors = 0;
            av_packet_free (&pkt);
          }
        else
          {
            avcodec_send_packet (s->dec, NULL);
            s->sent_flush = TRUE;
          }
      }
    }
}

/* At the end of a stream: nothing decoded at all while packets were
 * rejected means the stream is broken, which the caller must hear about. */
static void
check_nothing_decoded (AveMediaSource *self,
                       StreamState    *s,
                       GError        **error)
{
  if (s->n_frames == 0 && s->broken > 0)
    {
      g_autofree char *name = source_name (self);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                   "%s: not a single %s frame could be decoded; the file is damaged",
                   name, s == &self->video ? "video" : "audio");
    }
}

/* ------------------------------------------------------------- video */

AVFrame *
_ave_av_frame_new_yuv420p (int width,
                           int height)
{
  AVFrame *frame = av_frame_alloc ();

  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  if (av_frame_get_buffer (frame, 0) < 0)
    av_frame_free (&frame);
  return frame;
}

/* A yuv420p frame of width x height from the pool; NULL when out of
 * memory.  The first frame of a size is allocated as usual and serves as
 * the model of the layout. */
static AVFrame *
picture_pool_get (PicturePool *pp,
                  int          width,
                  int          height)
{
  AVFrame *frame;
  AVBufferRef *buf;

  if (pp->pool == NULL || pp->width != width || pp->height != height)
    {
      AVFrame *model = _ave_av_frame_new_yuv420p (width, height);

      if (model == NULL)
        return NULL;
      /* Frames already out keep the old pool alive until they are freed. */
      av_buffer_pool_uninit (&pp->pool);
      /* One buffer for all planes is what FFmpeg 5.1 allocates; anything
       * else is used as it comes, without a pool. */
      if (model->buf[1] != NULL)
        return model;
      for (int i = 0; i < AV_NUM_DATA_POINTERS; i++)
        {
          pp->offset[i] = model->data[i] != NULL ? model->data[i] - model->buf[0]->data : -1;
          pp->linesize[i] = model->linesize[i];
        }
      pp->pool = av_buffer_pool_init (model->buf[0]->size, NULL);
      pp->width = width;
      pp->height = height;
      return model;
    }

  buf = av_buffer_pool_get (pp->pool);
  if (buf == NULL)
    return NULL;
  frame = av_frame_alloc ();
  if (frame == NULL)
    {
      av_buffer_unref (&buf);
      return NULL;
    }
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  for (int i = 0; i < AV_NUM_DATA_POINTERS; i++)
    {
      frame->data[i] = pp->offset[i] >= 0 ? buf->data + pp->offset[i] : NULL;
      frame->linesize[i] = pp->linesize[i];
    }
  frame->extended_data = frame->data;
  frame->buf[0] = buf;
  return frame;
}

static void
set_picture_memory_error (AveMediaSource *self,
                          int             width,
                          int             height,
                          GError        **error)
{
  g_autofree char *name = source_name (self);

  g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
               "%s: out of memory for a %dx%d picture; close other programs or lower --max-memory",
               name, width, height);
}

static void
rotate_plane (const guint8 *src,
              int           src_stride,
              int           src_w,
              int           src_h,
              guint8       *dst,
              int           dst_stride,
              int           rotation)
{
  int dst_w = rotation == 180 ? src_w : src_h;
  int dst_h = rotation == 180 ? src_h : src_w;

  for (int y = 0; y < dst_h; y++)
    {
      guint8 *row = dst + (gsize) y * dst_stride;

      switch (rotation)
        {
        case 90:
          /* clockwise: the source's left column becomes the top row, read bottom-up */
          for (int x = 0; x < dst_w; x++)
            row[x] = src[(gsize) (src_h - 1 - x) * src_stride + y];
          break;
        case 180:
          {
            const guint8 *srow = src + (gsize) (src_h - 1 - y) * src_stride;
            for (int x = 0; x < dst_w; x++)
              row[x] = srow[src_w - 1 - x];
          }
          break;
        case 270:
          for (int x = 0; x < dst_w; x++)
            row[x] = src[(gsize) x * src_stride + (src_w - 1 - y)];
          break;
        default:
          /* stream_rotation () gives 0, 90, 180 or 270 whatever the
           * file says, and 0 never comes here: unreachable. */
          g_assert_not_reached ();
        }
    }
}

AveColorMatrix
_ave_media_matrix_of (enum AVColorSpace  space,
                      enum AVColorRange  range,
                      int                format,
                      int                width,
                      int                height)
{
  switch (space)
    {
    case AVCOL_SPC_BT709:
      return AVE_COLOR_MATRIX_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC:
      return AVE_COLOR_MATRIX_BT601;
    default:
      break;
    }
  if (range == AVCOL_RANGE_JPEG ||
      format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P ||
      format == AV_PIX_FMT_YUVJ444P || format == AV_PIX_FMT_YUVJ440P ||
      format == AV_PIX_FMT_YUVJ411P)
    return AVE_COLOR_MATRIX_BT601;
  return width >= 1280 || height >= 720 ? AVE_COLOR_MATRIX_BT709 : AVE_COLOR_MATRIX_BT601;
}

/* The matrix of a decoded frame's Y'CbCr (_ave_media_matrix_of).  Scaling
 * and rotating keep the matrix, so the converted frame carries this. */
static enum AVColorSpace
picture_matrix (const AVFrame *decoded)
{
  return _ave_media_matrix_of (decoded->colorspace, decoded->color_range, decoded->format,
                               decoded->width, decoded->height) == AVE_COLOR_MATRIX_BT709
         ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

static AVFrame *
convert_video (AveMediaSource *self,
               AVFrame        *decoded,
               gint64          duration_us,
               GError        **error)
{
  AVFrame *out;
  AVFrame *scaled;

  /* As decoded (a new reference to the decoder's picture): the caller
   * scales it (AveMediaSourceOptions.leave_scaling). */
  if (self->leave_scaling && self->rotation == 0 && decoded->format == AV_PIX_FMT_YUV420P &&
      decoded->color_range != AVCOL_RANGE_JPEG && decoded->linesize[1] == decoded->linesize[2])
    {
      out = av_frame_clone (decoded);
      if (out == NULL)
        {
          set_picture_memory_error (self, decoded->width, decoded->height, error);
          return NULL;
        }
      out->colorspace = picture_matrix (out);
      _AVE_FRAME_DURATION (out) = duration_us;
      out->best_effort_timestamp = out->pts;
      return out;
    }

  out = scaled = picture_pool_get (&self->pictures, self->out_width, self->out_height);
  if (out == NULL)
    {
      set_picture_memory_error (self, self->out_width, self->out_height, error);
      return NULL;
    }

  self->sws = sws_getCachedContext (self->sws,
                                    decoded->width, decoded->height, decoded->format,
                                    self->scale_width, self->scale_height, AV_PIX_FMT_YUV420P,
                                    self->opts.fast_decode ? SWS_FAST_BILINEAR : SWS_BICUBIC,
                                    NULL, NULL, NULL);
  if (self->sws == NULL)
    {
      g_autofree char *name = source_name (self);
      av_frame_free (&out);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: cannot convert its %s pictures; convert the file to a common format",
                   name, av_get_pix_fmt_name (decoded->format));
      return NULL;
    }

  if (self->rotation != 0)
    {
      if (self->rotate_tmp == NULL)
        self->rotate_tmp = _ave_av_frame_new_yuv420p (self->scale_width, self->scale_height);
      if (self->rotate_tmp == NULL)
        {
          av_frame_free (&out);
          set_picture_memory_error (self, self->scale_width, self->scale_height, error);
          return NULL;
        }
      scaled = self->rotate_tmp;
    }
  sws_scale (self->sws, (const guint8 * const *) decoded->data, decoded->linesize,
             0, decoded->height, scaled->data, scaled->linesize);

  if (self->rotation != 0)
    {
      int cw = (self->scale_width + 1) / 2, ch = (self->scale_height + 1) / 2;

      rotate_plane (scaled->data[0], scaled->linesize[0], self->scale_width, self->scale_height,
                    out->data[0], out->linesize[0], self->rotation);
      rotate_plane (scaled->data[1], scaled->linesize[1], cw, ch,
                    out->data[1], out->linesize[1], self->rotation);
      rotate_plane (scaled->data[2], scaled->linesize[2], cw, ch,
                    out->data[2], out->linesize[2], self->rotation);
    }

  out->colorspace = picture_matrix (decoded);
  /* kept for whoever encodes the picture again (a preview proxy) */
  out->color_primaries = decoded->color_primaries;
  out->color_trc = decoded->color_trc;
  out->pts = decoded->pts;
  _AVE_FRAME_DURATION (out) = duration_us;
  out->best_effort_timestamp = decoded->pts;
  out->key_frame = decoded->key_frame;
  out->pict_type = decoded->pict_type;
  out->sample_aspect_ratio = decoded->sample_aspect_ratio;
  return out;
}

/* Decodes one raw frame into a new AVFrame; NULL at the end or on error. */
static AVFrame *
decode_video_raw (AveMediaSource *self,
                  GError        **error)
{
  AVFrame *frame = av_frame_alloc ();

  if (!decode_frame (self, &self->video, frame, error))
    {
      av_frame_free (&frame);
      return NULL;
    }
  if (self->first_video_pts_us == AV_NOPTS_VALUE)
    self->first_video_pts_us = frame->pts;
  return frame;
}

/* The next decoded video frame not ending before the seek target, with
 * its real duration; NULL at the end of the stream or on error. */
static AVFrame *
next_kept_video (AveMediaSource *self,
                 GError        **error)
{
  for (;;)
    {
      GError *local_error = NULL;
      AVFrame *current, *next;
      gint64 duration;

      if (self->video_pending == NULL)
        self->video_pending = decode_video_raw (self, error);
      if (self->video_pending == NULL)
        return NULL;

      next = decode_video_raw (self, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      current = g_steal_pointer (&self->video_pending);
      self->video_pending = next;

      duration = 0;
      if (next != NULL && next->pts > current->pts)
        duration = next->pts - current->pts;
      if (duration <= 0)
        duration = _AVE_FRAME_DURATION (current);
      if (duration <= 0 && self->file.info->frame_rate > 0)
        duration = (gint64) llround (AV_TIME_BASE / self->file.info->frame_rate);
      _AVE_FRAME_DURATION (current) = duration;

      /* A frame whose interval ends at or before the target is not shown
       * at the target; 1 µs of slack absorbs timestamp rounding. */
      if (self->target_us > 0 && current->pts + duration <= self->target_us + 1)
        {
          av_frame_free (&current);
          continue;
        }
      return current;
    }
}

AVFrame *
ave_media_source_read_video (AveMediaSource  *self,
                             GError         **error)
{
  g_autoptr(AVFrame) raw = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->video.index < 0)
    return NULL;

  if (self->video_ready != NULL)
    raw = g_steal_pointer (&self->video_ready);
  else
    {
      GError *local_error = NULL;

      raw = next_kept_video (self, &local_error);
      if (raw == NULL)
        {
          if (local_error == NULL)
            check_nothing_decoded (self, &self->video, &local_error);
          if (local_error != NULL)
            g_propagate_error (error, local_error);
          return NULL;
        }
    }
  return convert_video (self, raw, _AVE_FRAME_DURATION (raw), error);
}

/* ------------------------------------------------------------- audio */

static gboolean
setup_resampler (AveMediaSource *self,
                 AVFrame        *frame,
                 GError        **error)
{
  AVChannelLayout in_layout = { 0 };
  int ret;

  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame->ch_layout.nb_channels == 0)
    av_channel_layout_default (&in_layout, MAX (frame->ch_layout.nb_channels, 1));
  else
    av_channel_layout_copy (&in_layout, &frame->ch_layout);

  if (self->swr != NULL
      && self->swr_in_rate == frame->sample_rate
      && self->swr_in_format == frame->format
      && av_channel_layout_compare (&self->swr_in_layout, &in_layout) == 0)
    {
      av_channel_layout_uninit (&in_layout);
      return TRUE;
    }

  /* A format change mid-stream (rare: some broadcasts) starts a fresh
   * resampler; what the old one still held is lost, a few samples. */
  swr_free (&self->swr);
  av_channel_layout_uninit (&self->swr_in_layout);
  ret = swr_alloc_set_opts2 (&self->swr,
                             &self->out_layout, AV_SAMPLE_FMT_FLTP, self->out_rate,
                             &in_layout, frame->format, frame->sample_rate,
                             0, NULL);
  if (ret >= 0)
    ret = swr_init (self->swr);
  if (ret < 0)
    {
      g_autofree char *name = source_name (self);
      av_channel_layout_uninit (&in_layout);
      swr_free (&self->swr);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: cannot convert its sound (%d Hz, %d channels) for playback; "
                   "convert the file to a common format",
                   name, frame->sample_rate, frame->ch_layout.nb_channels);
      return FALSE;
    }
  self->swr_in_layout = in_layout;
  self->swr_in_rate = frame->sample_rate;
  self->swr_in_format = frame->format;
  self->swr_flushed = FALSE;
  return TRUE;
}

static AVFrame *
alloc_audio (AveMediaSource *self,
             int             n_samples)
{
  AVFrame *out = av_frame_alloc ();

  out->format = AV_SAMPLE_FMT_FLTP;
  out->sample_rate = self->out_rate;
  av_channel_layout_copy (&out->ch_layout, &self->out_layout);
  out->nb_samples = MAX (n_samples, 1);
  if (av_frame_get_buffer (out, 0) < 0)
    av_frame_free (&out);
  return out;
}

static void
set_audio_memory_error (AveMediaSource *self,
                        int             n_samples,
                        GError        **error)
{
  g_autofree char *name = source_name (self);

  g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
               "%s: out of memory for %d sound samples; close other programs or lower --max-memory",
               name, n_samples);
}

/* Stamps the converted samples with the running clock and trims what lies
 * before the seek target.  Returns FALSE when nothing is left. */
static gboolean
finish_audio (AveMediaSource *self,
              AVFrame        *out,
              int             n)
{
  gint64 start = self->audio_next;
  gint64 target = av_rescale (self->target_us, self->out_rate, AV_TIME_BASE);

  self->audio_next += n;
  if (n <= 0)
    return FALSE;
  if (self->target_us > 0 && start < target)
    {
      gint64 drop = target - start;

      if (drop >= n)
        return FALSE;
      for (int c = 0; c < self->out_layout.nb_channels; c++)
        memmove (out->extended_data[c], (float *) out->extended_data[c] + drop,
                 (gsize) (n - drop) * sizeof (float));
      n -= (int) drop;
      start = target;
    }
  out->nb_samples = n;
  out->pts = av_rescale (start, AV_TIME_BASE, self->out_rate);
  _AVE_FRAME_DURATION (out) = av_rescale (n, AV_TIME_BASE, self->out_rate);
  out->best_effort_timestamp = out->pts;
  return TRUE;
}

AVFrame *
ave_media_source_read_audio (AveMediaSource  *self,
                             GError         **error)
{
  g_autoptr(AVFrame) decoded = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->audio.index < 0)
    return NULL;

  decoded = av_frame_alloc ();
  for (;;)
    {
      GError *local_error = NULL;
      g_autoptr(AVFrame) out = NULL;
      gint64 in_pos, delay;
      int n;

      av_frame_unref (decoded);
      if (!decode_frame (self, &self->audio, decoded, &local_error))
        {
          if (local_error == NULL)
            check_nothing_decoded (self, &self->audio, &local_error);
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return NULL;
            }
          /* Drain what the resampler still holds. */
          if (self->swr == NULL || self->swr_flushed)
            return NULL;
          self->swr_flushed = TRUE;
          n = swr_get_out_samples (self->swr, 0);
          if (n <= 0)
            return NULL;
          out = alloc_audio (self, n);
          if (out == NULL)
            {
              set_audio_memory_error (self, n, error);
              return NULL;
            }
          n = swr_convert (self->swr, out->extended_data, n, NULL, 0);
          if (!finish_audio (self, out, n))
            return NULL;
          return g_steal_pointer (&out);
        }

      if (decoded->nb_samples <= 0 || decoded->sample_rate <= 0)
        continue;
      if (!setup_resampler (self, decoded, error))
        return NULL;

      /* The next output sample corresponds to this frame's first input
       * sample minus what the resampler still buffers. */
      delay = swr_get_delay (self->swr, self->out_rate);
      in_pos = av_rescale (decoded->pts, self->out_rate, AV_TIME_BASE) - delay;
      if (!self->audio_next_valid
          || llabs (in_pos - self->audio_next) > (gint64) (self->out_rate * AUDIO_RESYNC_SECONDS))
        {
          if (self->audio_next_valid)
            g_debug ("%s: audio timestamps jump by %.3f s; following them",
                     self->file.info->path, (in_pos - self->audio_next) / (double) self->out_rate);
          self->audio_next = in_pos;
          self->audio_next_valid = TRUE;
        }

      n = swr_get_out_samples (self->swr, decoded->nb_samples);
      out = alloc_audio (self, n);
      if (out == NULL)
        {
          set_audio_memory_error (self, n, error);
          return NULL;
        }
      n = swr_convert (self->swr, out->extended_data, n,
                       (const guint8 **) decoded->extended_data, decoded->nb_samples);
      if (n < 0)
        {
          g_autofree char *name = source_name (self);
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                       "%s: converting its sound failed (error %d)", name, n);
          return NULL;
        }
      if (finish_audio (self, out, n))
        return g_steal_pointer (&out);
    }
}

/* -------------------------------------------------------- open/seek */

static gboolean
choose_output_size (AveMediaSource  *self,
                    GError         **error)
{
  const AveMediaInfo *info = self->file.info;
  int w = self->opts.video_width, h = self->opts.video_height;
  int natural_w, natural_h;

  self->rotation = self->opts.apply_rotation ? info->rotation : 0;
  if (self->rotation == 90 || self->rotation == 270)
    {
      natural_w = info->display_width;
      natural_h = info->display_height;
    }
  else
    {
      natural_w = info->width;
      natural_h = info->height;
    }
  if (w <= 0 && h <= 0)
    {
      w = natural_w;
      h = natural_h;
    }
  else if (w <= 0)
    w = MAX (2, (int) (lround ((double) h * natural_w / MAX (natural_h, 1) / 2.0) * 2));
  else if (h <= 0)
    h = MAX (2, (int) (lround ((double) w * natural_h / MAX (natural_w, 1) / 2.0) * 2));

  /* The probe refuses sources beyond the limit; a caller's size (a
   * setting, a card, a size derived from a damaged analysis.json) is
   * held to the same one. */
  if (w > AVE_MEDIA_MAX_DIMENSION || h > AVE_MEDIA_MAX_DIMENSION)
    {
      g_autofree char *name = source_name (self);

      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "%s: pictures of %dx%d were asked for, more than the %d pixels a side "
                   "this editor handles; choose a smaller size",
                   name, w, h, AVE_MEDIA_MAX_DIMENSION);
      return FALSE;
    }
  self->out_width = w;
  self->out_height = h;
  if (self->rotation == 90 || self->rotation == 270)
    {
      self->scale_width = h;
      self->scale_height = w;
    }
  else
    {
      self->scale_width = w;
      self->scale_height = h;
    }
  return TRUE;
}

AveMediaSource *
ave_media_source_open (const char                  *path,
                       const AveMediaSourceOptions *options,
                       GError                     **error)
{
  g_autoptr(AveMediaSource) self = NULL;
  const AveMediaInfo *info;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (AveMediaSource, 1);
  self->opts = *options;
  self->video.index = -1;
  self->audio.index = -1;
  self->first_video_pts_us = AV_NOPTS_VALUE;
  stream_reset (self, &self->video);
  stream_reset (self, &self->audio);

  if (!_ave_media_file_open (&self->file, path, NULL, error))
    return NULL;
  /* Sampling the frame rate reads the middle of the file; seeking back to
   * the very start is not exact in every demuxer (Matroska may skip the
   * first audio packets), so start again from a fresh open instead. */
  if (_ave_media_file_sample_frame_rate (&self->file))
    {
      gboolean vfr = self->file.info->variable_frame_rate;

      _ave_media_file_close (&self->file);
      if (!_ave_media_file_open (&self->file, path, NULL, error))
        return NULL;
      self->file.info->variable_frame_rate = vfr;
    }
  info = self->file.info;
  if (options->zero_clock)
    self->file.start_time_us = 0;

  if (options->want_video && self->file.video_index >= 0)
    {
      self->video.dec = _ave_media_open_decoder (&self->file, self->file.video_index,
                                                 options->decoder_threads,
                                                 options->fast_decode ? AVE_DECODE_FAST : AVE_DECODE_EXACT,
                                                 error);
      if (self->video.dec == NULL)
        return NULL;
      self->video.index = self->file.video_index;
      self->leave_scaling = options->leave_scaling;
      if (!choose_output_size (self, error))
        return NULL;
    }
  if (options->want_audio && self->file.audio_index >= 0)
    {
      self->audio.dec = _ave_media_open_decoder (&self->file, self->file.audio_index,
                                                 options->decoder_threads, AVE_DECODE_EXACT, error);
      if (self->audio.dec == NULL)
        return NULL;
      self->audio.index = self->file.audio_index;
      self->out_rate = options->audio_rate > 0 ? options->audio_rate : info->sample_rate;
      if (options->audio_channels > 0 && options->audio_channels != info->channels)
        av_channel_layout_default (&self->out_layout, options->audio_channels);
      else
        {
          const AVChannelLayout *src = &self->file.fmt->streams[self->audio.index]->codecpar->ch_layout;

          if (src->order == AV_CHANNEL_ORDER_UNSPEC || src->nb_channels == 0)
            av_channel_layout_default (&self->out_layout, MAX (info->channels, 1));
          else
            av_channel_layout_copy (&self->out_layout, src);
        }
    }

  /* Packets of streams nobody reads are dropped by the demuxer itself. */
  for (unsigned i = 0; i < self->file.fmt->nb_streams; i++)
    if (!stream_wanted (self, (int) i))
      self->file.fmt->streams[i]->discard = AVDISCARD_ALL;

  self->pkt = av_packet_alloc ();
  return g_steal_pointer (&self);
}

const AveMediaInfo *
ave_media_source_get_info (AveMediaSource *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->file.info;
}

static void
reset_for_seek (AveMediaSource *self)
{
  stream_reset (self, &self->video);
  stream_reset (self, &self->audio);
  av_frame_free (&self->video_pending);
  av_frame_free (&self->video_ready);
  swr_free (&self->swr);
  av_channel_layout_uninit (&self->swr_in_layout);
  self->audio_next_valid = FALSE;
  self->demux_eof = FALSE;
  self->read_error = FALSE;
  self->first_video_pts_us = AV_NOPTS_VALUE;
  self->leading = (AveLeadingPictures) { 0 };
}

/* Seeking to the very start through the index is not exact everywhere:
 * Matroska lands on the first video keyframe's cluster and drops audio
 * packets stored before it.  Opening the file again is. */
static gboolean
reopen_at_start (AveMediaSource  *self,
                 GError         **error)
{
  AveMediaFile fresh;
  gboolean vfr = self->file.info->variable_frame_rate;

  if (!_ave_media_file_open (&fresh, self->file.info->path, NULL, error))
    return FALSE;
  if (fresh.video_index != self->file.video_index
      || fresh.audio_index != self->file.audio_index)
    {
      g_autofree char *name = source_name (self);
      _ave_media_file_close (&fresh);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "%s: the file changed while it was being read; open it again", name);
      return FALSE;
    }
  _ave_media_file_close (&self->file);
  self->file = fresh;
  self->file.info->variable_frame_rate = vfr;
  if (self->opts.zero_clock)
    self->file.start_time_us = 0;
  for (unsigned i = 0; i < self->file.fmt->nb_streams; i++)
    if (!stream_wanted (self, (int) i))
      self->file.fmt->streams[i]->discard = AVDISCARD_ALL;
  return TRUE;
}

gboolean
ave_media_source_seek (AveMediaSource  *self,
                       double           seconds,
                       GError         **error)
{
  /* How far before the target to land when the index put us after it
   * (some files index keyframes by decode time, or not at all). */
  static const double backoff[] = { 0.0, 1.0, 5.0, -1.0 };
  gint64 target_us;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  target_us = (gint64) llround (MAX (seconds, 0.0) * AV_TIME_BASE);

  for (guint attempt = 0; attempt < G_N_ELEMENTS (backoff); attempt++)
    {
      gint64 seek_us;
      int ret;

      if (backoff[attempt] < 0)
        seek_us = self->file.start_time_us;
      else
        seek_us = self->file.start_time_us + target_us - (gint64) (backoff[attempt] * AV_TIME_BASE);
      seek_us = MAX (seek_us, self->file.start_time_us);

      if (seek_us <= self->file.start_time_us)
        ret = reopen_at_start (self, error) ? 0 : AVERROR_EXTERNAL;
      else
        ret = avformat_seek_file (self->file.fmt, -1, INT64_MIN, seek_us, seek_us, 0);
      if (ret == AVERROR_EXTERNAL)
        return FALSE;
      if (ret < 0)
        ret = av_seek_frame (self->file.fmt, -1, seek_us, AVSEEK_FLAG_BACKWARD);
      if (ret < 0)
        {
          g_autofree char *name = source_name (self);
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                       "%s: cannot seek to %.3f s (the file has no usable index); "
                       "remux it, e.g. with ffmpeg -c copy, and try again",
                       name, seconds);
          return FALSE;
        }
      reset_for_seek (self);
      self->target_us = target_us;

      if (self->video.index < 0)
        return TRUE;

      /* Decode up to the target now: if the first frame after the seek is
       * already past it, the demuxer landed too late and we back off. */
      {
        GError *local_error = NULL;

        self->video_ready = next_kept_video (self, &local_error);
        if (local_error != NULL)
          {
            g_propagate_error (error, local_error);
            return FALSE;
          }
        if (self->first_video_pts_us == AV_NOPTS_VALUE
            || self->first_video_pts_us <= target_us + 1
            || seek_us <= self->file.start_time_us)
          return TRUE;
        g_debug ("%s: seek to %.3f s landed at %.3f s; backing off",
                 self->file.info->path, seconds, self->first_video_pts_us / 1e6);
      }
    }
  return TRUE;
}

gboolean
ave_media_source_truncated (AveMediaSource *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->read_error || self->video.ended_early || self->audio.ended_early;
}

void
ave_media_source_free (AveMediaSource *self)
{
  if (self == NULL)
    return;
  stream_dispose (&self->video);
  stream_dispose (&self->audio);
  av_frame_free (&self->video_pending);
  av_frame_free (&self->video_ready);
  av_frame_free (&self->rotate_tmp);
  av_buffer_pool_uninit (&self->pictures.pool);
  sws_freeContext (self->sws);
  swr_free (&self->swr);
  av_channel_layout_uninit (&self->swr_in_layout);
  av_channel_layout_uninit (&self->out_layout);
  av_packet_free (&self->pkt);
  _ave_media_file_close (&self->file);
  g_free (self);
}

/* ------------------------------------------------- engine frame types */

typedef struct
{
  AvePicture  picture;        /* first: what callers see */
  AVFrame    *frame;
} PictureHolder;

typedef struct
{
  AveSound    sound;          /* first: what callers see */
  AVFrame    *frame;
} SoundHolder;

AvePicture *
ave_media_source_read_picture (AveMediaSource  *self,
                               GError         **error)
{
  AVFrame *frame = ave_media_source_read_video (self, error);
  PictureHolder *holder;

  if (frame == NULL)
    return NULL;
  holder = g_new0 (PictureHolder, 1);
  holder->frame = frame;
  holder->picture = (AvePicture) {
    .width = frame->width, .height = frame->height,
    .pts = frame->pts / (double) AV_TIME_BASE,
    .y = frame->data[0], .u = frame->data[1], .v = frame->data[2],
    .y_stride = frame->linesize[0], .uv_stride = frame->linesize[1],
    .matrix = frame->colorspace == AVCOL_SPC_BT709 ? AVE_COLOR_MATRIX_BT709 : AVE_COLOR_MATRIX_BT601,
  };
  return &holder->picture;
}

void
ave_picture_free (AvePicture *picture)
{
  PictureHolder *holder = (PictureHolder *) picture;

  if (holder == NULL)
    return;
  av_frame_free (&holder->frame);
  g_free (holder);
}

AveSound *
ave_media_source_read_sound (AveMediaSource  *self,
                             GError         **error)
{
  AVFrame *frame = ave_media_source_read_audio (self, error);
  SoundHolder *holder;

  if (frame == NULL)
    return NULL;
  holder = g_new0 (SoundHolder, 1);
  holder->frame = frame;
  holder->sound = (AveSound) {
    .pts = frame->pts / (double) AV_TIME_BASE,
    .n_samples = frame->nb_samples,
    .channels = frame->ch_layout.nb_channels,
    .rate = frame->sample_rate,
    .planes = (const float * const *) frame->extended_data,
  };
  return &holder->sound;
}

void
ave_sound_free (AveSound *sound)
{
  SoundHolder *holder = (SoundHolder *) sound;

  if (holder == NULL)
    return;
  av_frame_free (&holder->frame);
  g_free (holder);
}
