#define G_LOG_DOMAIN "ave-media-probe"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libavutil/avstring.h>
#include <libavutil/display.h>
#include <libavutil/error.h>

#include "core/ave-error.h"
#include "media/ave-media-private.h"

/* How many bytes of the file we look at ourselves to tell a text file or a
 * damaged media file from something FFmpeg simply does not know. */
#define SNIFF_BYTES 4096

G_DEFINE_BOXED_TYPE (AveMediaInfo, ave_media_info, ave_media_info_copy, ave_media_info_free)

AveMediaInfo *
ave_media_info_copy (const AveMediaInfo *self)
{
  AveMediaInfo *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new (AveMediaInfo, 1);
  *copy = *self;
  copy->path = g_strdup (self->path);
  copy->container = g_strdup (self->container);
  copy->video_codec = g_strdup (self->video_codec);
  copy->audio_codec = g_strdup (self->audio_codec);
  return copy;
}

void
ave_media_info_free (AveMediaInfo *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->container);
  g_free (self->video_codec);
  g_free (self->audio_codec);
  g_free (self);
}

char *
_ave_media_display_name (const char *path)
{
  return g_filename_display_name (path);
}

static char *
av_error_text (int code)
{
  char buf[AV_ERROR_MAX_STRING_SIZE] = { 0 };

  av_strerror (code, buf, sizeof buf);
  return g_strdup (buf);
}

/* Reads the first bytes of the file, zero padded as FFmpeg's probe wants. */
static guint8 *
sniff_file (const char *path,
            gsize      *len_out)
{
  g_autofree guint8 *buf = g_malloc0 (SNIFF_BYTES + AVPROBE_PADDING_SIZE);
  ssize_t n;
  int fd;

  *len_out = 0;
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  do
    n = read (fd, buf, SNIFF_BYTES);
  while (n < 0 && errno == EINTR);
  g_close (fd, NULL);
  if (n <= 0)
    return NULL;
  *len_out = (gsize) n;
  return g_steal_pointer (&buf);
}

/* A file whose beginning is valid UTF-8 without binary control bytes is a
 * text file (notes, subtitles, a saved web page), never a recording. */
static gboolean
looks_like_text (const guint8 *buf,
                 gsize         len)
{
  gsize check = len;

  if (buf == NULL || len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = buf[i];
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)
        return FALSE;
    }
  /* The sniffed block may end in the middle of a multi-byte character. */
  if (len == SNIFF_BYTES)
    check = len > 4 ? len - 4 : len;
  return g_utf8_validate_len ((const char *) buf, check, NULL);
}

/* Formats whose files name other files or network addresses. */
static gboolean
format_names_other_files (const AVInputFormat *format)
{
  return av_match_list (format->name,
                        "hls,dash,concat,sdp,rtsp,rtp,imf,webm_dash_manifest,ffmetadata,"
                        "image2pipe", ',') > 0;
}

/* Called when avformat_open_input fails: decides which of our errors it is. */
static void
set_open_error (const char *path,
                int         averr,
                GError    **error)
{
  g_autofree char *name = _ave_media_display_name (path);
  g_autofree char *why = av_error_text (averr);
  g_autofree guint8 *head = NULL;
  gsize len = 0;

  if (averr == AVERROR (EACCES) || averr == AVERROR (EPERM) || averr == AVERROR (EIO))
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNREADABLE,
                   "%s: cannot be read (%s); check the file's permissions and the disk",
                   name, why);
      return;
    }

  head = sniff_file (path, &len);
  if (head != NULL)
    {
      /* What FFmpeg would have picked, by name and content: a playlist or
       * a script naming other files is refused by _ave_media_open_input,
       * and deserves its own explanation. */
      AVProbeData pd = { .filename = path, .buf = head, .buf_size = (int) len };
      int score = 0;
      const AVInputFormat *guess = av_probe_input_format3 (&pd, TRUE, &score);

      if (guess != NULL && score > AVPROBE_SCORE_EXTENSION && !_ave_media_format_allowed (guess)
          && (!looks_like_text (head, len) || format_names_other_files (guess)))
        {
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
                       "%s: is %s (%s), not a single recording; this editor reads only "
                       "self-contained local video, sound or picture files (MP4, MOV, MKV, "
                       "WebM, AVI, MPEG-TS, WAV, MP3…): export or join the recording into one "
                       "such file first",
                       name,
                       format_names_other_files (guess) ? "a playlist or list of other files"
                                                        : "a format this editor does not read",
                       guess->long_name != NULL ? guess->long_name : guess->name);
          return;
        }
    }
  if (looks_like_text (head, len))
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
                   "%s: is a text file, not a video or audio file (choose the recording itself)",
                   name);
      return;
    }

  if (head != NULL)
    {
      /* No file name in the probe data: only the content counts, so a
       * confident answer means the file really starts like that format. */
      AVProbeData pd = { .filename = "", .buf = head, .buf_size = (int) len };
      int score = 0;
      const AVInputFormat *guess = av_probe_input_format3 (&pd, TRUE, &score);

      if (guess != NULL && score >= AVPROBE_SCORE_MAX / 2)
        {
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                       "%s: starts like a %s file but FFmpeg cannot open it (%s); "
                       "it is damaged or incomplete (an unfinished download or recording?)",
                       name, guess->long_name ? guess->long_name : guess->name, why);
          return;
        }
    }

  g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
               "%s: not a video or audio file FFmpeg can read (is it a text file or incomplete download?)",
               name);
}

static gboolean
check_path (const char  *path,
            GError     **error)
{
  g_autofree char *name = _ave_media_display_name (path);
  GStatBuf st;
  int fd;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      if (saved == ENOENT || saved == ENOTDIR)
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_FOUND,
                     "%s: no such file (check the name and the folder)", name);
      else
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNREADABLE,
                     "%s: cannot be read (%s); check the permissions of the file and its folders",
                     name, g_strerror (saved));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_REGULAR,
                   "%s: is a folder, not a video file (choose a file inside it)", name);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_REGULAR,
                   "%s: is a device or pipe, not a regular file (save the recording to a file first)",
                   name);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_EMPTY,
                   "%s: the file is empty (0 bytes); the recording or download did not finish",
                   name);
      return FALSE;
    }

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNREADABLE,
                   "%s: cannot be read (%s); check the file's permissions",
                   name, g_strerror (saved));
      return FALSE;
    }
  g_close (fd, NULL);
  return TRUE;
}

/* Clockwise rotation, 0/90/180/270, that makes the picture upright.  The
 * display matrix stores the counter-clockwise angle. */
static int
stream_rotation (const AVStream *st)
{
  const guint8 *matrix = av_stream_get_side_data (st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
  double ccw, cw;
  int r;

  if (matrix == NULL)
    return 0;
  ccw = av_display_rotation_get ((const int32_t *) matrix);
  if (isnan (ccw))
    return 0;
  cw = -ccw;
  r = (int) lround (cw / 90.0) * 90;
  r %= 360;
  if (r < 0)
    r += 360;
  return r;
}

static gboolean
stream_is_decodable (const AVStream *st)
{
  return st->codecpar->codec_id != AV_CODEC_ID_NONE
         && avcodec_find_decoder (st->codecpar->codec_id) != NULL;
}

/* Cover art and text-mode "video" (ANSI and binary text art, which the
 * tty and bin demuxers make of any .txt or .bin file) are not pictures
 * anybody wants to edit. */
static gboolean
stream_is_real_video (const AVStream *st)
{
  switch (st->codecpar->codec_id)
    {
    case AV_CODEC_ID_ANSI:
    case AV_CODEC_ID_BINTEXT:
    case AV_CODEC_ID_XBIN:
    case AV_CODEC_ID_IDF:
      return FALSE;
    default:
      return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO
             && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC);
    }
}

/* FFmpeg's codec-level probes "find" MP3, AAC or MJPEG in random bytes,
 * but then cannot say the stream's size or rate. */
static gboolean
stream_has_parameters (const AVStream *st)
{
  const AVCodecParameters *par = st->codecpar;

  if (par->codec_type == AVMEDIA_TYPE_VIDEO)
    return par->width > 0 && par->height > 0;
  return par->sample_rate > 0 && par->ch_layout.nb_channels > 0;
}

/* Prefers a decodable stream, then the default one, then the biggest
 * picture or the most channels.  Returns -1 when there is no stream of the
 * type; *undecodable gets a stream of the type that cannot be decoded. */
static int
choose_stream (AVFormatContext *fmt,
               enum AVMediaType type,
               int             *undecodable,
               int             *unusable)
{
  int best = -1;
  gint64 best_score = -1;

  *undecodable = -1;
  for (unsigned i = 0; i < fmt->nb_streams; i++)
    {
      const AVStream *st = fmt->streams[i];
      const AVCodecParameters *par = st->codecpar;
      gint64 score;

      if (par->codec_type != type)
        continue;
      if (type == AVMEDIA_TYPE_VIDEO && !stream_is_real_video (st))
        continue;
      if (!stream_has_parameters (st))
        {
          (*unusable)++;
          continue;
        }
      if (!stream_is_decodable (st))
        {
          if (*undecodable < 0)
            *undecodable = (int) i;
          continue;
        }
      if (type == AVMEDIA_TYPE_VIDEO)
        score = (gint64) par->width * par->height;
      else
        score = par->ch_layout.nb_channels * 1000000LL + par->sample_rate;
      if (st->disposition & AV_DISPOSITION_DEFAULT)
        score += G_GINT64_CONSTANT (1) << 40;
      if (score > best_score)
        {
          best = (int) i;
          best_score = score;
        }
    }
  return best;
}

static char *
codec_label (const AVCodecParameters *par)
{
  const char *name = avcodec_get_name (par->codec_id);
  char tag[AV_FOURCC_MAX_STRING_SIZE] = { 0 };

  if (par->codec_id != AV_CODEC_ID_NONE)
    return g_strdup (name);
  if (par->codec_tag != 0)
    {
      av_fourcc_make_string (tag, par->codec_tag);
      return g_strdup_printf ("unknown, tag %s", tag);
    }
  return g_strdup ("unknown");
}

static double
rational_or_zero (AVRational r)
{
  return (r.num > 0 && r.den > 0) ? av_q2d (r) : 0.0;
}

static void
fill_video_info (AveMediaInfo    *info,
                 AVFormatContext *fmt,
                 AVStream        *st)
{
  const AVCodecParameters *par = st->codecpar;
  double avg = rational_or_zero (st->avg_frame_rate);
  double real = rational_or_zero (st->r_frame_rate);
  AVRational sar = av_guess_sample_aspect_ratio (fmt, st, NULL);

  info->has_video = TRUE;
  info->video_codec = g_strdup (avcodec_get_name (par->codec_id));
  info->width = par->width;
  info->height = par->height;
  info->rotation = stream_rotation (st);
  if (info->rotation == 90 || info->rotation == 270)
    {
      info->display_width = par->height;
      info->display_height = par->width;
    }
  else
    {
      info->display_width = par->width;
      info->display_height = par->height;
    }
  info->matrix = _ave_media_matrix_of (par->color_space, par->color_range, par->format,
                                       par->width, par->height);
  info->color_space = par->color_space;
  info->color_primaries = par->color_primaries;
  info->color_transfer = par->color_trc;
  info->frame_rate = avg > 0 ? avg : real;
  /* r_frame_rate is the rate that represents every timestamp; when it is
   * far from the average, frames are not evenly spaced.  Matroska and
   * similar containers carry no rate at all and leave avg unset. */
  info->variable_frame_rate = avg > 0 && real > 0 && fabs (avg - real) / real > 0.02;
  if (sar.num > 0 && sar.den > 0)
    {
      info->sample_aspect_num = sar.num;
      info->sample_aspect_den = sar.den;
    }
  else
    {
      info->sample_aspect_num = 1;
      info->sample_aspect_den = 1;
    }
  if (st->nb_frames > 0)
    info->n_frames_estimate = st->nb_frames;
}

static void
fill_info (AveMediaFile *file,
           const char   *path)
{
  AVFormatContext *fmt = file->fmt;
  AveMediaInfo *info = g_new0 (AveMediaInfo, 1);
  GStatBuf sb;

  info->path = g_strdup (path);
  if (g_stat (path, &sb) == 0)
    info->size_bytes = sb.st_size;
  info->container = g_strdup (fmt->iformat->name);
  info->bit_rate = fmt->bit_rate;
  file->start_time_us = fmt->start_time != AV_NOPTS_VALUE ? fmt->start_time : 0;
  info->start_time = file->start_time_us / (double) AV_TIME_BASE;

  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info->duration = fmt->duration / (double) AV_TIME_BASE;
  else
    {
      /* Some containers leave the total unset; the longest stream is it. */
      for (unsigned i = 0; i < fmt->nb_streams; i++)
        {
          const AVStream *st = fmt->streams[i];
          if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
            info->duration = MAX (info->duration, st->duration * av_q2d (st->time_base));
        }
    }

  if (file->video_index >= 0)
    {
      fill_video_info (info, fmt, fmt->streams[file->video_index]);
      if (info->n_frames_estimate == 0 && info->frame_rate > 0)
        info->n_frames_estimate = (gint64) llround (info->duration * info->frame_rate);
    }
  if (file->audio_index >= 0)
    {
      const AVCodecParameters *par = fmt->streams[file->audio_index]->codecpar;

      info->has_audio = TRUE;
      info->audio_codec = g_strdup (avcodec_get_name (par->codec_id));
      info->sample_rate = par->sample_rate;
      info->channels = par->ch_layout.nb_channels;
    }
  file->info = info;
}

/* The engine derives picture sizes from the stored size and the pixel
 * shape (analysis pictures, renders, thumbnails, cards); a header that
 * claims more than any camera makes must not turn into a huge allocation
 * (docs/cli.md, "Limits"). */
static gboolean
check_video_size (AVFormatContext *fmt,
                  AVStream        *st,
                  const char      *path,
                  GError         **error)
{
  const AVCodecParameters *par = st->codecpar;
  AVRational sar = av_guess_sample_aspect_ratio (fmt, st, NULL);
  g_autofree char *name = _ave_media_display_name (path);
  double shape, aspect;

  if (par->width > AVE_MEDIA_MAX_DIMENSION || par->height > AVE_MEDIA_MAX_DIMENSION)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: its pictures are %dx%d pixels, more than the %d a side this editor "
                   "handles; scale the video down first (for example to 3840x2160)",
                   name, par->width, par->height, AVE_MEDIA_MAX_DIMENSION);
      return FALSE;
    }
  shape = (sar.num > 0 && sar.den > 0) ? av_q2d (sar) : 1.0;
  aspect = par->width * shape / par->height;
  if (!(aspect <= AVE_MEDIA_MAX_ASPECT && aspect >= 1.0 / AVE_MEDIA_MAX_ASPECT))
    {
      if (shape != 1.0)
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                     "%s: its header gives the pixels a shape of %d:%d, which makes the %dx%d "
                     "picture %s; the aspect ratio in the file is wrong: fix it with "
                     "'ffmpeg -i INPUT -c copy -aspect 16:9 OUTPUT' (or the real shape)",
                     name, sar.num, sar.den, par->width, par->height,
                     aspect > 1.0 ? "more than 16 times as wide as it is tall"
                                  : "more than 16 times as tall as it is wide");
      else
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                     "%s: its %dx%d pictures are %s; this editor handles shapes "
                     "up to 16:1 and 1:16, crop the video first",
                     name, par->width, par->height,
                     aspect > 1.0 ? "more than 16 times as wide as they are tall"
                                  : "more than 16 times as tall as they are wide");
      return FALSE;
    }
  return TRUE;
}

static gboolean
choose_streams (AveMediaFile *file,
                const char   *path,
                GError      **error)
{
  g_autofree char *name = _ave_media_display_name (path);
  AVFormatContext *fmt = file->fmt;
  int bad_video, bad_audio;
  int unusable = 0;

  file->video_index = choose_stream (fmt, AVMEDIA_TYPE_VIDEO, &bad_video, &unusable);
  file->audio_index = choose_stream (fmt, AVMEDIA_TYPE_AUDIO, &bad_audio, &unusable);

  if (file->video_index < 0 && bad_video >= 0)
    {
      g_autofree char *codec = codec_label (fmt->streams[bad_video]->codecpar);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: its video is encoded as %s, which this FFmpeg cannot decode; "
                   "convert it (for example to H.264) first",
                   name, codec);
      return FALSE;
    }
  if (file->audio_index < 0 && bad_audio >= 0)
    {
      g_autofree char *codec = codec_label (fmt->streams[bad_audio]->codecpar);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: its sound is encoded as %s, which this FFmpeg cannot decode; "
                   "convert it (for example to AAC) first",
                   name, codec);
      return FALSE;
    }

  if (file->video_index < 0 && file->audio_index < 0)
    {
      g_autofree guint8 *head = NULL;
      gsize len = 0;

      /* Subtitle formats (SRT, WebVTT…) and the tty demuxer open text
       * files happily; for the user it is still just a text file. */
      head = sniff_file (path, &len);
      if (looks_like_text (head, len))
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
                     "%s: is a text file, not a video or audio file (choose the recording itself)",
                     name);
      /* Chosen for its file name alone, or by a guess from a few bytes:
       * the content is not something FFmpeg recognises. */
      else if (fmt->probe_score <= AVPROBE_SCORE_EXTENSION)
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
                     "%s: not a video or audio file FFmpeg can read (is it a text file or incomplete download?)",
                     name);
      else if (unusable > 0)
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                     "%s: is a %s file, but its streams carry no picture size or sample rate; "
                     "it is damaged, try re-exporting it",
                     name, fmt->iformat->name);
      else
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS,
                     "%s: holds no picture or sound, only %u subtitle or data stream%s; "
                     "choose the file with the recording",
                     name, fmt->nb_streams, fmt->nb_streams == 1 ? "" : "s");
      return FALSE;
    }

  /* Cover art and unused streams are never decoded; telling the demuxer
   * lets it skip their packets. */
  for (unsigned i = 0; i < fmt->nb_streams; i++)
    if ((int) i != file->video_index && (int) i != file->audio_index)
      fmt->streams[i]->discard = AVDISCARD_ALL;
  return TRUE;
}

gboolean
_ave_media_file_open (AveMediaFile          *file,
                      const char            *path,
                      const AVIOInterruptCB *interrupt_cb,
                      GError               **error)
{
  g_autoptr(AVFormatContext) fmt = NULL;
  g_autofree char *name = NULL;
  int ret;

  g_return_val_if_fail (file != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  memset (file, 0, sizeof *file);
  file->video_index = -1;
  file->audio_index = -1;

  if (!check_path (path, error))
    return FALSE;

  name = _ave_media_display_name (path);
  ret = _ave_media_open_input (&fmt, path, interrupt_cb);
  if (ret < 0)
    {
      set_open_error (path, ret, error);
      return FALSE;
    }

  ret = avformat_find_stream_info (fmt, NULL);
  if (ret < 0 && fmt->probe_score <= AVPROBE_SCORE_EXTENSION)
    {
      /* The format was only a guess from the name: not media at all. */
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
                   "%s: not a video or audio file FFmpeg can read (is it a text file or incomplete download?)",
                   name);
      return FALSE;
    }
  if (ret < 0)
    {
      g_autofree char *why = av_error_text (ret);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                   "%s: FFmpeg cannot read its streams (%s); the file is damaged, try re-exporting it",
                   name, why);
      return FALSE;
    }

  file->fmt = g_steal_pointer (&fmt);
  if (!choose_streams (file, path, error)
      || (file->video_index >= 0
          && !check_video_size (file->fmt, file->fmt->streams[file->video_index], path, error)))
    {
      _ave_media_file_close (file);
      return FALSE;
    }
  fill_info (file, path);
  return TRUE;
}

void
_ave_media_file_close (AveMediaFile *file)
{
  if (file == NULL)
    return;
  if (file->fmt != NULL)
    avformat_close_input (&file->fmt);
  g_clear_pointer (&file->info, ave_media_info_free);
  file->video_index = -1;
  file->audio_index = -1;
}

/* Codecs not listed do not define what a non-reference picture is, or
 * their decoders drop more than that. */
gboolean
_ave_media_codec_drops_nonref (enum AVCodecID id)
{
  switch (id)
    {
    case AV_CODEC_ID_H264:
    case AV_CODEC_ID_HEVC:
    case AV_CODEC_ID_MPEG1VIDEO:
    case AV_CODEC_ID_MPEG2VIDEO:
    case AV_CODEC_ID_MPEG4:
      return TRUE;
    default:
      return FALSE;
    }
}

enum AVDiscard
_ave_media_reference_skip (AveLeadingPictures *leading,
                           const AVPacket     *pkt)
{
  enum AVDiscard skip = AVDISCARD_NONREF;

  if (pkt->pts == AV_NOPTS_VALUE)
    return skip;
  if (leading->keys_sent >= 2 && pkt->pts < leading->last_key_pts)
    skip = AVDISCARD_DEFAULT;
  if (pkt->flags & AV_PKT_FLAG_KEY)
    {
      leading->keys_sent++;
      leading->last_key_pts = pkt->pts;
    }
  return skip;
}

AVCodecContext *
_ave_media_open_decoder (AveMediaFile *file,
                         int           stream_index,
                         int           threads,
                         AveDecodeFlags flags,
                         GError      **error)
{
  AVStream *st = file->fmt->streams[stream_index];
  const AVCodec *codec = avcodec_find_decoder (st->codecpar->codec_id);
  g_autoptr(AVCodecContext) ctx = NULL;
  g_autofree char *name = _ave_media_display_name (file->info->path);
  int ret;

  if (codec == NULL)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: no decoder for %s in this FFmpeg; convert the file first",
                   name, avcodec_get_name (st->codecpar->codec_id));
      return NULL;
    }
  ctx = avcodec_alloc_context3 (codec);
  if (ctx == NULL)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "%s: out of memory starting the %s decoder; close other programs and try again",
                   name, codec->name);
      return NULL;
    }
  ret = avcodec_parameters_to_context (ctx, st->codecpar);
  if (ret < 0)
    {
      g_autofree char *why = av_error_text (ret);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                   "%s: the %s stream's parameters are unusable (%s); the file is damaged",
                   name, avcodec_get_name (st->codecpar->codec_id), why);
      return NULL;
    }
  ctx->pkt_timebase = st->time_base;
  ctx->thread_count = MAX (threads, 0);
  if (codec->type == AVMEDIA_TYPE_VIDEO)
    ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (flags & AVE_DECODE_FAST)
    {
      /* Analysis looks at downscaled pictures: the deblocking filter's
       * work is invisible there and costs a large share of H.264 decode. */
      ctx->skip_loop_filter = AVDISCARD_ALL;
      ctx->flags2 |= AV_CODEC_FLAG2_FAST;
    }
  /* Where every picture is a reference (intra-only codecs, streams
   * without B-frames) nothing is dropped. */
  if ((flags & AVE_DECODE_REFERENCE_ONLY) && _ave_media_codec_drops_nonref (codec->id))
    ctx->skip_frame = AVDISCARD_NONREF;

  ret = avcodec_open2 (ctx, codec, NULL);
  if (ret < 0)
    {
      g_autofree char *why = av_error_text (ret);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                   "%s: cannot start the %s decoder (%s); convert the file to a common format",
                   name, codec->name, why);
      return NULL;
    }
  return g_steal_pointer (&ctx);
}

double
_ave_media_packet_end (AveMediaFile   *file,
                       const AVPacket *pkt)
{
  AVStream *st = file->fmt->streams[pkt->stream_index];
  gint64 ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  gint64 us;

  if (ts == AV_NOPTS_VALUE)
    return -1;
  us = av_rescale_q (ts + MAX (pkt->duration, 0), st->time_base, AV_TIME_BASE_Q);
  return (us - file->start_time_us) / (double) AV_TIME_BASE;
}

gboolean
_ave_media_ended_early (AveMediaFile *file,
                        int           stream_index,
                        double        reached)
{
  const AveMediaInfo *info = file->info;
  double expected = info->duration;
  double slack;

  if (stream_index >= 0)
    {
      const AVStream *st = file->fmt->streams[stream_index];

      /* A stream may legitimately end before the longest one. */
      if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        {
          gint64 start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
          gint64 end_us = av_rescale_q (start + st->duration, st->time_base, AV_TIME_BASE_Q);
          expected = (end_us - file->start_time_us) / (double) AV_TIME_BASE;
        }
    }
  if (expected <= 0 || reached < 0)
    return FALSE;
  /* Containers round their totals and the last frame's duration is often
   * unknown: allow a few frames, and a little more for long files. */
  slack = MAX (0.5, expected * 0.01);
  if (info->frame_rate > 0)
    slack = MAX (slack, 3.0 / info->frame_rate);
  return reached < expected - slack;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

gboolean
_ave_media_file_sample_frame_rate (AveMediaFile *file)
{
  AVFormatContext *fmt = file->fmt;
  AVStream *st;
  g_autoptr(AVPacket) pkt = NULL;
  g_autoptr(GArray) times = NULL;
  gint64 mid, min_delta = G_MAXINT64, max_delta = 0, median;
  guint reads = 0;

  if (file->video_index < 0 || file->info->duration < 2.0)
    return FALSE;
  st = fmt->streams[file->video_index];
  /* With a frame table (MP4, MOV) the average rate already tells. */
  if (st->nb_frames > 0)
    return FALSE;
  if (fmt->iformat->flags & AVFMT_NOTIMESTAMPS)
    return FALSE;

  mid = file->start_time_us + (gint64) (file->info->duration / 2 * AV_TIME_BASE);
  if (avformat_seek_file (fmt, -1, INT64_MIN, mid, mid, 0) < 0)
    return FALSE;

  pkt = av_packet_alloc ();
  times = g_array_new (FALSE, FALSE, sizeof (gint64));
  while (times->len < 48 && reads++ < 2000 && av_read_frame (fmt, pkt) >= 0)
    {
      if (pkt->stream_index == file->video_index && pkt->pts != AV_NOPTS_VALUE)
        g_array_append_val (times, pkt->pts);
      av_packet_unref (pkt);
    }
  if (times->len < 8)
    return TRUE;

  /* Packets come in decode order; presentation order is sorted pts. */
  g_array_sort (times, compare_gint64);
  {
    g_autoptr(GArray) deltas = g_array_new (FALSE, FALSE, sizeof (gint64));

    for (guint i = 1; i < times->len; i++)
      {
        gint64 d = g_array_index (times, gint64, i) - g_array_index (times, gint64, i - 1);
        g_array_append_val (deltas, d);
        min_delta = MIN (min_delta, d);
        max_delta = MAX (max_delta, d);
      }
    g_array_sort (deltas, compare_gint64);
    median = g_array_index (deltas, gint64, deltas->len / 2);
  }
  /* Millisecond time bases round 29.97 fps to 33 and 34: one tick of
   * jitter is rounding, not a variable rate. */
  if (max_delta - min_delta > 1 + median / 20)
    {
      g_debug ("%s: frame intervals in the middle vary from %" G_GINT64_FORMAT
               " to %" G_GINT64_FORMAT " ticks: variable frame rate",
               file->info->path, min_delta, max_delta);
      file->info->variable_frame_rate = TRUE;
    }
  return TRUE;
}

/* How much of a stream without an index is read to see its key pictures. */
#define KEY_SAMPLE_SECONDS 12.0
#define KEY_SAMPLE_PACKETS 4000

/* Sets info->key_interval (ave-media.h).  From the index when it holds
 * the stream's key pictures (MP4's sync samples, Matroska's cues): every
 * gap, and the one from the last key picture to the end.  An index that
 * lists only some of them (sparse cues) gives longer gaps, never shorter:
 * the analysis then decodes more, not less.  Without an index the first
 * KEY_SAMPLE_SECONDS of packets are read.  It moves the read position. */
static void
measure_key_interval (AveMediaFile *file)
{
  AVFormatContext *fmt = file->fmt;
  AVStream *st;
  double tb, last = -1.0, first = -1.0, longest = 0.0;
  int n_entries;
  guint n_keys = 0;

  if (file->video_index < 0)
    return;
  st = fmt->streams[file->video_index];
  tb = av_q2d (st->time_base);
  n_entries = avformat_index_get_entries_count (st);
  for (int i = 0; i < n_entries; i++)
    {
      const AVIndexEntry *e = avformat_index_get_entry (st, i);
      double t;

      if (e == NULL || !(e->flags & AVINDEX_KEYFRAME) || e->timestamp == AV_NOPTS_VALUE)
        continue;
      t = e->timestamp * tb - file->info->start_time;
      if (n_keys++ == 0)
        first = t;
      else
        longest = MAX (longest, t - last);
      last = t;
    }
  if (n_keys >= 2)
    {
      /* the pictures after the last key picture, and any before the first */
      longest = MAX (longest, file->info->duration - last);
      longest = MAX (longest, first);
      file->info->key_interval = longest;
      g_debug ("%s: %u key pictures in the index, at most %.3f s apart",
               file->info->path, n_keys, longest);
      return;
    }

  if (fmt->iformat->flags & AVFMT_NOTIMESTAMPS)
    return;
  if (avformat_seek_file (fmt, -1, INT64_MIN, file->start_time_us, file->start_time_us, 0) < 0)
    return;
  {
    g_autoptr(AVPacket) pkt = av_packet_alloc ();
    guint reads = 0;

    n_keys = 0;
    longest = 0.0;
    while (reads++ < KEY_SAMPLE_PACKETS && av_read_frame (fmt, pkt) >= 0)
      {
        double t;

        if (pkt->stream_index != file->video_index || pkt->pts == AV_NOPTS_VALUE)
          {
            av_packet_unref (pkt);
            continue;
          }
        t = pkt->pts * tb - file->info->start_time;
        if (pkt->flags & AV_PKT_FLAG_KEY)
          {
            if (n_keys++ > 0)
              longest = MAX (longest, t - last);
            last = t;
          }
        av_packet_unref (pkt);
        if (n_keys > 0 && t - last > KEY_SAMPLE_SECONDS)
          break;
        if (t > KEY_SAMPLE_SECONDS && n_keys >= 2)
          break;
      }
  }
  if (n_keys >= 2)
    {
      file->info->key_interval = longest;
      g_debug ("%s: no index; key pictures at most %.3f s apart in the first packets",
               file->info->path, longest);
    }
}

void
ave_media_info_measure_key_interval (AveMediaInfo *info)
{
  AveMediaFile file;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (info != NULL);

  if (info->key_interval > 0.0 || !info->has_video)
    return;
  if (!_ave_media_file_open (&file, info->path, NULL, &error))
    {
      g_debug ("%s: key pictures not measured: %s", info->path, error->message);
      return;
    }
  measure_key_interval (&file);
  info->key_interval = file.info->key_interval;
  _ave_media_file_close (&file);
}

AveMediaInfo *
ave_media_probe (const char  *path,
                 GError     **error)
{
  AveMediaFile file;
  AveMediaInfo *info;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_ave_media_file_open (&file, path, NULL, error))
    return NULL;
  _ave_media_file_sample_frame_rate (&file);
  info = g_steal_pointer (&file.info);
  _ave_media_file_close (&file);
  return info;
}
