#define G_LOG_DOMAIN "ave-mp4-writer"

#include "config.h"

#include <math.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

#include "core/ave-error.h"
#include "assets/ave-captions.h"
#include "media/ave-media-private.h"
#include "ave-compose-private.h"

struct _AveMp4Writer
{
  char            *path;
  AVFormatContext *format;
  gboolean         header_written;

  AVCodecContext  *video;
  AVStream        *video_stream;

  AVCodecContext  *audio;
  AVStream        *audio_stream;
  AVAudioFifo     *fifo;
  AVFrame         *audio_frame;
  gint64           audio_pts;      /* samples sent to the encoder */

  AveSubtitleTrack *subtitles;

  AVPacket        *packet;
  const AveMp4PacketSink *sink;    /* instead of `format` */
};

/* ---------------------------------------------------------- subtitles */

struct _AveSubtitleTrack
{
  AVFormatContext *format;
  AVStream        *stream;
  GArray          *cues;
  guint            next;           /* the first cue not written yet */
  AVPacket        *packet;
};

/* The sample description FFmpeg's own mov_text encoder writes: text
 * centred at the bottom, white, one font; players draw the cues with their
 * own style anyway. */
static const guint8 text_sample_entry[] = {
  0x00, 0x00, 0x00, 0x00,          /* displayFlags */
  0x01,                            /* horizontal justification: centre */
  0xff,                            /* vertical justification: bottom */
  0x00, 0x00, 0x00, 0x00,          /* background colour RGBA */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* BoxRecord */
  0x00, 0x00, 0x00, 0x00,          /* StyleRecord: startChar, endChar */
  0x00, 0x01,                      /* font ID */
  0x00,                            /* face style flags */
  0x12,                            /* font size */
  0xff, 0xff, 0xff, 0xff,          /* text colour RGBA */
  0x00, 0x00, 0x00, 0x12, 'f', 't', 'a', 'b', /* FontTableBox, 18 bytes */
  0x00, 0x01,                      /* one entry */
  0x00, 0x01, 0x05, 'S', 'e', 'r', 'i', 'f',
};

AveSubtitleTrack *
_ave_subtitle_track_new (AVFormatContext *format,
                         GArray          *cues,
                         const char      *language)
{
  AveSubtitleTrack *self = g_new0 (AveSubtitleTrack, 1);
  AVCodecParameters *par;

  self->format = format;
  self->cues = cues;
  self->packet = av_packet_alloc ();
  self->stream = avformat_new_stream (format, NULL);
  par = self->stream->codecpar;
  par->codec_type = AVMEDIA_TYPE_SUBTITLE;
  par->codec_id = AV_CODEC_ID_MOV_TEXT;
  par->extradata = av_mallocz (sizeof text_sample_entry + AV_INPUT_BUFFER_PADDING_SIZE);
  memcpy (par->extradata, text_sample_entry, sizeof text_sample_entry);
  par->extradata_size = sizeof text_sample_entry;
  /* Milliseconds: the times of final.srt, exactly. */
  self->stream->time_base = (AVRational) { 1, 1000 };
  av_dict_set (&self->stream->metadata, "language", ave_captions_iso639_2 (language), 0);
  return self;
}

gboolean
_ave_subtitle_track_write_until (AveSubtitleTrack *self,
                                 double            seconds,
                                 GError          **error)
{
  while (self->next < self->cues->len)
    {
      const AveCue *cue = &g_array_index (self->cues, AveCue, self->next);
      gint64 start_ms, end_ms;
      gsize length = strlen (cue->text);
      AVPacket *pkt = self->packet;
      int ret;

      ave_captions_cue_times_ms (self->cues, self->next, &start_ms, &end_ms);
      if (seconds >= 0.0 && start_ms >= seconds * 1000.0)
        break;
      self->next++;

      /* A sample is the text's length (16 bits) and its UTF-8 bytes; a
       * cue is at most two lines, far below the limit. */
      while (length > G_MAXUINT16)
        length = g_utf8_find_prev_char (cue->text, cue->text + length) - cue->text;
      ret = av_new_packet (pkt, (int) length + 2);
      if (ret < 0)
        {
          g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                               "Out of memory for subtitles");
          return FALSE;
        }
      pkt->data[0] = (guint8) (length >> 8);
      pkt->data[1] = (guint8) (length & 0xff);
      memcpy (pkt->data + 2, cue->text, length);
      pkt->pts = pkt->dts = start_ms;
      pkt->duration = end_ms - start_ms;
      av_packet_rescale_ts (pkt, (AVRational) { 1, 1000 }, self->stream->time_base);
      pkt->flags = AV_PKT_FLAG_KEY;
      pkt->stream_index = self->stream->index;
      pkt->pos = -1;
      ret = av_interleaved_write_frame (self->format, pkt);
      av_packet_unref (pkt);
      if (ret < 0)
        {
          char reason[AV_ERROR_MAX_STRING_SIZE] = { 0 };

          av_strerror (ret, reason, sizeof reason);
          g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                       "Cannot write subtitles to the output video (%s)", reason);
          return FALSE;
        }
    }
  return TRUE;
}

void
_ave_subtitle_track_free (AveSubtitleTrack *self)
{
  if (self == NULL)
    return;
  av_packet_free (&self->packet);
  g_free (self);
}

static void
set_av_error (GError     **error,
              int          code,
              int          av_code,
              const char  *format,
              ...) G_GNUC_PRINTF (4, 5);

static void
set_av_error (GError     **error,
              int          code,
              int          av_code,
              const char  *format,
              ...)
{
  char reason[AV_ERROR_MAX_STRING_SIZE] = { 0 };
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  av_strerror (av_code, reason, sizeof reason);
  g_set_error (error, AVE_COMPOSE_ERROR, code, "%s (%s)", what, reason);
}

void
_ave_mp4_writer_free (AveMp4Writer *self)
{
  if (self == NULL)
    return;
  avcodec_free_context (&self->video);
  avcodec_free_context (&self->audio);
  av_frame_free (&self->audio_frame);
  av_packet_free (&self->packet);
  g_clear_pointer (&self->subtitles, _ave_subtitle_track_free);
  if (self->fifo != NULL)
    av_audio_fifo_free (self->fifo);
  if (self->format != NULL)
    {
      if (!(self->format->oformat->flags & AVFMT_NOFILE))
        avio_closep (&self->format->pb);
      avformat_free_context (self->format);
    }
  g_free (self->path);
  g_free (self);
}

static gboolean
open_video (AveMp4Writer             *self,
            const AveMp4WriterFormat *fmt,
            const AveSettings        *settings,
            GError                  **error)
{
  const AVCodec *codec = avcodec_find_encoder_by_name ("libx264");
  AVCodecContext *ctx;
  guint threads;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_ENCODER_MISSING,
                           "The H.264 encoder libx264 is not available in this FFmpeg build: "
                           "install libavcodec-extra or an FFmpeg with libx264");
      return FALSE;
    }

  ctx = self->video = avcodec_alloc_context3 (codec);
  ctx->width = fmt->width;
  ctx->height = fmt->height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->framerate = fmt->frame_rate;
  ctx->time_base = av_inv_q (fmt->frame_rate);
  ctx->sample_aspect_ratio = fmt->sample_aspect;
  /* A keyframe every ~2 s: seeking in players and editors stays quick. */
  ctx->gop_size = MAX (1, (int) lround (2.0 * av_q2d (fmt->frame_rate)));
  ctx->color_range = AVCOL_RANGE_MPEG;
  if (fmt->colorspace != AVCOL_SPC_RGB)
    ctx->colorspace = fmt->colorspace;
  if (fmt->primaries != AVCOL_PRI_RESERVED0)
    ctx->color_primaries = fmt->primaries;
  if (fmt->transfer != AVCOL_TRC_RESERVED0)
    ctx->color_trc = fmt->transfer;

  /* Frame threads and look-ahead are what x264 spends memory on; both
   * come from the settings, which size them from the memory budget. */
  threads = settings->encoder_threads > 0 ? settings->encoder_threads : MAX (1, settings->n_workers);
  ctx->thread_count = (int) threads;
  if (self->format->oformat->flags & AVFMT_GLOBALHEADER)
    ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  av_opt_set (ctx->priv_data, "preset",
              settings->encoder_preset != NULL ? settings->encoder_preset : "medium", 0);
  av_opt_set_double (ctx->priv_data, "crf", settings->crf, 0);
  av_opt_set_int (ctx->priv_data, "rc-lookahead", settings->encoder_lookahead, 0);
  /* With frame threads x264 also runs its look-ahead on a thread of its
   * own, buffering B-frames + 1 more whole frames for it (~30 MB at
   * 1080p).  The frame types and the bits are the same without it
   * (docs/performance.md, "Peak memory"); the look-ahead then runs on the
   * thread that feeds the encoder, which costs no CPU time with two frame
   * threads (measured on two cores).  With more threads it may be what
   * keeps them fed, and was not measured: x264 keeps it there. */
  if (threads <= 2)
    av_opt_set (ctx->priv_data, "x264-params", "sync-lookahead=0", 0);

  ret = avcodec_open2 (ctx, codec, NULL);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                    "Cannot start the H.264 encoder for %dx%d (preset “%s”)",
                    fmt->width, fmt->height, settings->encoder_preset);
      return FALSE;
    }

  self->video_stream = avformat_new_stream (self->format, NULL);
  self->video_stream->time_base = ctx->time_base;
  self->video_stream->avg_frame_rate = fmt->frame_rate;
  self->video_stream->sample_aspect_ratio = fmt->sample_aspect;
  avcodec_parameters_from_context (self->video_stream->codecpar, ctx);
  return TRUE;
}

static gboolean
open_audio (AveMp4Writer             *self,
            const AveMp4WriterFormat *fmt,
            const AveSettings        *settings,
            GError                  **error)
{
  const AVCodec *codec = avcodec_find_encoder_by_name ("aac");
  AVCodecContext *ctx;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_ENCODER_MISSING,
                           "FFmpeg's AAC encoder is not available: install a complete FFmpeg (libavcodec)");
      return FALSE;
    }

  ctx = self->audio = avcodec_alloc_context3 (codec);
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->sample_rate = fmt->sample_rate;
  av_channel_layout_default (&ctx->ch_layout, fmt->channels);
  ctx->bit_rate = settings->audio_bitrate > 0 ? settings->audio_bitrate : 160000;
  ctx->time_base = (AVRational) { 1, fmt->sample_rate };
  /* MP4 wants the AudioSpecificConfig in the header, as does the file
   * that a sink's packets end up in. */
  if (self->format == NULL || (self->format->oformat->flags & AVFMT_GLOBALHEADER))
    ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set (ctx->priv_data, "aac_coder", ave_settings_aac_coder (settings), 0);

  ret = avcodec_open2 (ctx, codec, NULL);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                    "Cannot start the AAC encoder (%d Hz, %d channels)",
                    fmt->sample_rate, fmt->channels);
      return FALSE;
    }

  if (self->format != NULL)
    {
      self->audio_stream = avformat_new_stream (self->format, NULL);
      self->audio_stream->time_base = ctx->time_base;
      avcodec_parameters_from_context (self->audio_stream->codecpar, ctx);
    }

  self->fifo = av_audio_fifo_alloc (AV_SAMPLE_FMT_FLTP, fmt->channels, ctx->frame_size * 2);
  self->audio_frame = av_frame_alloc ();
  return TRUE;
}

AveMp4Writer *
_ave_mp4_writer_new (const char               *path,
                     const AveMp4WriterFormat *fmt,
                     const AveSettings        *settings,
                     GError                  **error)
{
  g_autoptr(AveMp4Writer) self = g_new0 (AveMp4Writer, 1);
  int ret;

  g_return_val_if_fail (fmt->width > 0 || fmt->channels > 0, NULL);

  self->path = g_strdup (path);
  self->packet = av_packet_alloc ();

  ret = avformat_alloc_output_context2 (&self->format, NULL, "mp4", path);
  if (ret < 0 || self->format == NULL)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret, "Cannot set up an MP4 file for %s", path);
      return NULL;
    }

  if (fmt->width > 0 && !open_video (self, fmt, settings, error))
    return NULL;
  if (fmt->channels > 0 && !open_audio (self, fmt, settings, error))
    return NULL;
  if (fmt->cues != NULL && fmt->cues->len > 0)
    self->subtitles = _ave_subtitle_track_new (self->format, fmt->cues, fmt->language);

  ret = _ave_media_open_output (self->format, path);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                    "Cannot write the output video “%s”: check that the folder exists, "
                    "is writable and has free space", path);
      return NULL;
    }

  ret = avformat_write_header (self->format, NULL);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                    "Cannot write the output video “%s”", path);
      return NULL;
    }
  self->header_written = TRUE;
  return g_steal_pointer (&self);
}

AveMp4Writer *
_ave_mp4_writer_new_for_sink (const AveMp4WriterFormat *fmt,
                              const AveSettings        *settings,
                              const AveMp4PacketSink   *sink,
                              GError                  **error)
{
  g_autoptr(AveMp4Writer) self = g_new0 (AveMp4Writer, 1);
  AVCodecParameters *parameters;
  gboolean ok;

  g_return_val_if_fail (fmt->width == 0 && fmt->channels > 0, NULL);
  g_return_val_if_fail (sink != NULL, NULL);

  self->path = g_strdup ("the sound");
  self->packet = av_packet_alloc ();
  self->sink = sink;
  if (!open_audio (self, fmt, settings, error))
    return NULL;
  parameters = avcodec_parameters_alloc ();
  avcodec_parameters_from_context (parameters, self->audio);
  ok = sink->ready (parameters, self->audio->time_base, sink->user_data, error);
  avcodec_parameters_free (&parameters);
  return ok ? g_steal_pointer (&self) : NULL;
}

/* Moves every packet the encoder has ready into the file (or the sink). */
static gboolean
drain (AveMp4Writer    *self,
       AVCodecContext  *ctx,
       AVStream        *stream,
       GError         **error)
{
  for (;;)
    {
      int ret = avcodec_receive_packet (ctx, self->packet);

      if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
        return TRUE;
      if (ret < 0)
        {
          set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret, "Encoding %s failed",
                        ctx->codec_type == AVMEDIA_TYPE_VIDEO ? "video" : "audio");
          return FALSE;
        }
      if (self->sink != NULL)
        {
          gboolean ok = self->sink->packet (self->packet, self->sink->user_data, error);

          av_packet_unref (self->packet);
          if (!ok)
            return FALSE;
          continue;
        }
      av_packet_rescale_ts (self->packet, ctx->time_base, stream->time_base);
      self->packet->stream_index = stream->index;
      ret = av_interleaved_write_frame (self->format, self->packet);
      if (ret < 0)
        {
          set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                        "Cannot write to the output video “%s”: is the disk full?", self->path);
          return FALSE;
        }
    }
}

gboolean
_ave_mp4_writer_add_video (AveMp4Writer  *self,
                           AVFrame       *frame,
                           GError       **error)
{
  int ret;

  g_return_val_if_fail (self->video != NULL, FALSE);

  /* Cues go in as their time comes, so the muxer interleaves them without
   * holding the pictures back. */
  if (self->subtitles != NULL &&
      !_ave_subtitle_track_write_until (self->subtitles, frame->pts * av_q2d (self->video->time_base), error))
    return FALSE;
  ret = avcodec_send_frame (self->video, frame);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret, "Encoding video frame %" G_GINT64_FORMAT " failed",
                    frame->pts);
      return FALSE;
    }
  return drain (self, self->video, self->video_stream, error);
}

static gboolean
encode_audio_frame (AveMp4Writer  *self,
                    int            n,
                    GError       **error)
{
  AVFrame *frame = self->audio_frame;
  int ret;

  av_frame_unref (frame);
  frame->format = AV_SAMPLE_FMT_FLTP;
  frame->nb_samples = n;
  frame->sample_rate = self->audio->sample_rate;
  av_channel_layout_copy (&frame->ch_layout, &self->audio->ch_layout);
  ret = av_frame_get_buffer (frame, 0);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret, "Out of memory for audio");
      return FALSE;
    }
  av_audio_fifo_read (self->fifo, (void **) frame->data, n);
  frame->pts = self->audio_pts;
  self->audio_pts += n;

  ret = avcodec_send_frame (self->audio, frame);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret, "Encoding audio failed");
      return FALSE;
    }
  return drain (self, self->audio, self->audio_stream, error);
}

gboolean
_ave_mp4_writer_add_audio (AveMp4Writer        *self,
                           const float * const *planes,
                           gsize                n,
                           GError             **error)
{
  int frame_size;

  g_return_val_if_fail (self->audio != NULL, FALSE);

  if (n == 0)
    return TRUE;
  if (self->subtitles != NULL && self->video == NULL &&
      !_ave_subtitle_track_write_until (self->subtitles, (double) self->audio_pts / self->audio->sample_rate, error))
    return FALSE;
  if (av_audio_fifo_write (self->fifo, (void **) planes, (int) n) < (int) n)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED, "Out of memory for audio");
      return FALSE;
    }

  frame_size = self->audio->frame_size > 0 ? self->audio->frame_size : 1024;
  while (av_audio_fifo_size (self->fifo) >= frame_size)
    if (!encode_audio_frame (self, frame_size, error))
      return FALSE;
  return TRUE;
}

gboolean
_ave_mp4_writer_finish (AveMp4Writer  *self,
                        GError       **error)
{
  int ret;

  if (self->audio != NULL)
    {
      /* The AAC encoder accepts a short last frame, so the audio track ends
       * on the exact sample the composer asked for. */
      if (av_audio_fifo_size (self->fifo) > 0 &&
          !encode_audio_frame (self, av_audio_fifo_size (self->fifo), error))
        return FALSE;
      avcodec_send_frame (self->audio, NULL);
      if (!drain (self, self->audio, self->audio_stream, error))
        return FALSE;
    }
  if (self->video != NULL)
    {
      avcodec_send_frame (self->video, NULL);
      if (!drain (self, self->video, self->video_stream, error))
        return FALSE;
    }

  if (self->format == NULL)
    return TRUE;
  if (self->subtitles != NULL && !_ave_subtitle_track_write_until (self->subtitles, -1.0, error))
    return FALSE;
  ret = av_write_trailer (self->format);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                    "Cannot finish the output video “%s”: is the disk full?", self->path);
      return FALSE;
    }
  ret = avio_closep (&self->format->pb);
  if (ret < 0)
    {
      set_av_error (error, AVE_COMPOSE_ERROR_FAILED, ret,
                    "Cannot finish the output video “%s”: is the disk full?", self->path);
      return FALSE;
    }
  return TRUE;
}
