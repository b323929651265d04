/* test-media.c — probe, streaming decode and the one-pass analysis reader,
 * on media generated here with ffmpeg whose properties are known, checked
 * against what ffprobe reports for the same files. */
#define G_LOG_DOMAIN "ave-test-media"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libavutil/pixfmt.h>
#include <libavutil/samplefmt.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "core/ave-worker-pool.h"
#include "media/ave-media-private.h"

#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT (57, 30, 100)
# define FRAME_DURATION(f) ((f)->duration)
#else
# define FRAME_DURATION(f) ((f)->pkt_duration)
#endif

static void
frame_free (AVFrame *frame)
{
  av_frame_free (&frame);
}

/* ------------------------------------------------------------ helpers */

/* 3 s, 320x240, 25 fps H.264 (a keyframe every 10 frames) + stereo AAC 48 kHz. */
static const char *
media_av_mp4 (void)
{
  return ave_test_ffmpeg_media ("av.mp4",
                     "-f lavfi -i testsrc2=s=320x240:r=25:d=3 "
                     "-f lavfi -i sine=f=440:r=48000:d=3 "
                     "-c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p "
                     "-c:a aac -ac 2 -shortest");
}

static double
ffprobe_double (const char *path,
                const char *args)
{
  g_autofree char *out = ave_test_sh_output ("ffprobe -v error %s -of default=nw=1:nk=1 '%s'",
                                             args, path);
  g_strstrip (out);
  g_assert_cmpstr (out, !=, "");
  return g_ascii_strtod (out, NULL);
}

/* Frame timestamps as ffprobe decodes them (seconds). */
static GArray *
ffprobe_frame_times (const char *path)
{
  g_autofree char *out =
    ave_test_sh_output ("ffprobe -v error -select_streams v:0 "
                        "-show_entries frame=best_effort_timestamp_time -of csv=p=0 '%s'", path);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      /* side data rows add a trailing comma or extra fields */
      if (lines[i][0] == '\0')
        continue;
      {
        double t = g_ascii_strtod (lines[i], NULL);
        g_array_append_val (times, t);
      }
    }
  return times;
}

static gint64
ffprobe_count_frames (const char *path,
                      const char *stream)
{
  g_autofree char *args = g_strdup_printf ("-count_frames -select_streams %s "
                                           "-show_entries stream=nb_read_frames", stream);
  return (gint64) ffprobe_double (path, args);
}

/* Audio samples (per channel, at the source rate) that ffmpeg decodes. */
static gint64
ffmpeg_audio_samples (const char *path)
{
  g_autofree char *out = ave_test_sh_output ("ffmpeg -nostdin -loglevel error -i '%s' -map 0:a:0 "
                                             "-ac 1 -f f32le - | wc -c", path);
  return g_ascii_strtoll (out, NULL, 10) / 4;
}

/* RMS of the mean of the first two channels, as ffmpeg decodes them. */
static double
ffmpeg_stereo_mean_rms (const char *path)
{
  g_autofree char *raw = g_strdup_printf ("%s.mean.f32", path);
  g_autofree char *contents = NULL;
  gsize len = 0;
  double sum = 0;

  ave_test_sh ("ffmpeg -nostdin -loglevel error -y -i '%s' -map 0:a:0 -af 'pan=mono|c0=0.5*c0+0.5*c1' "
               "-f f32le '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &contents, &len, NULL));
  g_assert_cmpint (len, >, 0);
  for (gsize i = 0; i < len / 4; i++)
    {
      float v;
      memcpy (&v, contents + 4 * i, 4);
      sum += v * v;
    }
  return sqrt (sum / (len / 4));
}

static void
assert_media_error (const char *path,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (path, &error);
  g_autofree char *base = g_path_get_basename (path);

  g_assert_null (info);
  g_assert_error (error, AVE_MEDIA_ERROR, code);
  /* one line, naming the file */
  g_assert_null (strchr (error->message, '\n'));
  g_assert_nonnull (strstr (error->message, base));
  g_test_message ("%s -> %s", base, error->message);
}

/* Mean luma in a square near each corner: 0 TL, 1 TR, 2 BL, 3 BR. */
static int
bright_corner (const guint8 *y, int stride, int width, int height)
{
  int best = -1;
  double best_mean = 0;

  for (int c = 0; c < 4; c++)
    {
      int x0 = (c & 1) ? width - width / 8 - 4 : 4;
      int y0 = (c & 2) ? height - height / 8 - 4 : 4;
      double sum = 0;
      int n = 0;

      for (int yy = y0; yy < y0 + height / 8; yy++)
        for (int xx = x0; xx < x0 + width / 8; xx++, n++)
          sum += y[yy * stride + xx];
      if (sum / n > best_mean)
        {
          best_mean = sum / n;
          best = c;
        }
    }
  g_assert_cmpfloat (best_mean, >, 128);
  return best;
}

/* ------------------------------------------------------------- probe */

static void
test_probe_basic (void)
{
  const char *path = media_av_mp4 ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (path, &error);
  g_autoptr(AveMediaInfo) copy = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->path, ==, path);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (info->size_bytes, ==, st.st_size);
  g_assert_nonnull (strstr (info->container, "mp4"));
  g_assert_cmpfloat_with_epsilon (info->duration, 3.0, 0.05);
  g_assert_cmpfloat_with_epsilon (info->duration, ffprobe_double (path, "-show_entries format=duration"), 0.001);
  g_assert_cmpfloat_with_epsilon (info->start_time, ffprobe_double (path, "-show_entries format=start_time"), 0.001);
  g_assert_true (info->bit_rate > 0);

  g_assert_true (info->has_video);
  g_assert_cmpstr (info->video_codec, ==, "h264");
  g_assert_cmpint (info->width, ==, 320);
  g_assert_cmpint (info->height, ==, 240);
  g_assert_cmpint (info->rotation, ==, 0);
  g_assert_cmpint (info->display_width, ==, 320);
  g_assert_cmpint (info->display_height, ==, 240);
  g_assert_cmpfloat_with_epsilon (info->frame_rate, 25.0, 0.01);
  g_assert_false (info->variable_frame_rate);
  g_assert_cmpint (info->n_frames_estimate, ==, 75);
  g_assert_cmpint (info->sample_aspect_num, ==, 1);
  g_assert_cmpint (info->sample_aspect_den, ==, 1);

  g_assert_true (info->has_audio);
  g_assert_cmpstr (info->audio_codec, ==, "aac");
  g_assert_cmpint (info->sample_rate, ==, 48000);
  g_assert_cmpint (info->channels, ==, 2);

  copy = g_boxed_copy (AVE_TYPE_MEDIA_INFO, info);
  g_assert_true (copy != info);
  g_assert_cmpstr (copy->video_codec, ==, "h264");
  g_assert_true (copy->video_codec != info->video_codec);
  g_assert_cmpfloat (copy->duration, ==, info->duration);
}

/* Where ffmpeg itself (autorotate) puts the white box that sits in the
 * top-left corner of the coded picture tells the rotation the display
 * matrix asks for: the ground truth, whatever convention a tag used. */
static int
ffmpeg_display_rotation (const char *path)
{
  g_autofree char *pgm = g_strdup_printf ("%s.pgm", path);
  g_autofree char *contents = NULL;
  gsize len = 0;
  int width = 0, height = 0, maxval = 0, header = 0;
  int corner;

  ave_test_sh ("ffmpeg -nostdin -loglevel error -y -i '%s' -frames:v 1 -c:v pgm -f image2 '%s'",
               path, pgm);
  g_assert_true (g_file_get_contents (pgm, &contents, &len, NULL));
  g_assert_cmpint (sscanf (contents, "P5 %d %d %d%n", &width, &height, &maxval, &header), ==, 3);
  g_assert_cmpint (maxval, ==, 255);
  header++;   /* the single whitespace after maxval */
  g_assert_cmpint (len, ==, header + width * height);
  corner = bright_corner ((const guint8 *) contents + header, width, width, height);
  switch (corner)
    {
    case 0: return 0;
    case 1: return 90;    /* top-left went to top-right: turned clockwise */
    case 3: return 180;
    case 2: return 270;
    default: g_assert_not_reached ();
    }
}

static void
test_probe_rotation (void)
{
  const char *box = ave_test_ffmpeg_media ("box.mp4",
                                "-f lavfi -i color=black:s=320x240:r=25:d=1,"
                                "drawbox=x=0:y=0:w=80:h=60:color=white:t=fill "
                                "-c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  const int tags[] = { 90, 180, 270 };
  gboolean seen_quarter = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      g_autofree char *name = g_strdup_printf ("rot%d.mp4", tags[i]);
      g_autofree char *args = g_strdup_printf ("-i '%s' -c copy -metadata:s:v rotate=%d", box, tags[i]);
      const char *path = ave_test_ffmpeg_media (name, args);
      int expected = ffmpeg_display_rotation (path);
      g_autoptr(GError) error = NULL;
      g_autoptr(AveMediaInfo) info = ave_media_probe (path, &error);
      AveMediaSourceOptions opts = { .want_video = TRUE, .apply_rotation = TRUE };
      g_autoptr(AveMediaSource) src = NULL;
      AVFrame *frame;
      int corner_expected;

      g_assert_no_error (error);
      g_assert_cmpint (expected, !=, 0);
      g_assert_cmpint (info->rotation, ==, expected);
      g_assert_cmpint (info->width, ==, 320);
      g_assert_cmpint (info->height, ==, 240);
      if (expected == 90 || expected == 270)
        {
          seen_quarter = TRUE;
          g_assert_cmpint (info->display_width, ==, 240);
          g_assert_cmpint (info->display_height, ==, 320);
        }
      else
        {
          g_assert_cmpint (info->display_width, ==, 320);
          g_assert_cmpint (info->display_height, ==, 240);
        }

      /* upright frames: display size, box where ffmpeg shows it */
      src = ave_media_source_open (path, &opts, &error);
      g_assert_no_error (error);
      frame = ave_media_source_read_video (src, &error);
      g_assert_no_error (error);
      g_assert_nonnull (frame);
      g_assert_cmpint (frame->format, ==, AV_PIX_FMT_YUV420P);
      g_assert_cmpint (frame->width, ==, info->display_width);
      g_assert_cmpint (frame->height, ==, info->display_height);
      corner_expected = expected == 90 ? 1 : expected == 180 ? 3 : 2;
      g_assert_cmpint (bright_corner (frame->data[0], frame->linesize[0], frame->width, frame->height),
                       ==, corner_expected);
      frame_free (frame);
      g_clear_pointer (&src, ave_media_source_free);

      /* without rotation: coded size, box still top-left */
      opts.apply_rotation = FALSE;
      src = ave_media_source_open (path, &opts, &error);
      g_assert_no_error (error);
      frame = ave_media_source_read_video (src, &error);
      g_assert_no_error (error);
      g_assert_cmpint (frame->width, ==, 320);
      g_assert_cmpint (frame->height, ==, 240);
      g_assert_cmpint (bright_corner (frame->data[0], frame->linesize[0], 320, 240), ==, 0);
      frame_free (frame);

      /* requested size with rotation: exactly that size */
      g_clear_pointer (&src, ave_media_source_free);
      opts.apply_rotation = TRUE;
      opts.video_width = 120;
      opts.video_height = 0;
      src = ave_media_source_open (path, &opts, &error);
      g_assert_no_error (error);
      frame = ave_media_source_read_video (src, &error);
      g_assert_no_error (error);
      g_assert_cmpint (frame->width, ==, 120);
      g_assert_cmpint (frame->height, ==, (expected == 180) ? 90 : 160);
      frame_free (frame);
    }
  g_assert_true (seen_quarter);
}

static void
test_probe_single_stream (void)
{
  const char *audio_only = ave_test_ffmpeg_media ("audio-only.m4a",
                                       "-f lavfi -i sine=f=300:r=44100:d=2 -c:a aac");
  const char *video_only = ave_test_ffmpeg_media ("video-only.mp4",
                                       "-f lavfi -i testsrc2=s=320x240:r=30:d=2 "
                                       "-c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  const char *cover = ave_test_ffmpeg_media ("cover.mp3",
                                  "-f lavfi -i sine=f=300:r=44100:d=2 "
                                  "-f lavfi -i color=red:s=64x64:d=1 -frames:v 1 "
                                  "-map 0:a -map 1:v -c:a libmp3lame -c:v png "
                                  "-disposition:v attached_pic -id3v2_version 3");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) a = ave_media_probe (audio_only, &error);
  g_autoptr(AveMediaInfo) v = NULL;
  g_autoptr(AveMediaInfo) c = NULL;

  g_assert_no_error (error);
  g_assert_false (a->has_video);
  g_assert_null (a->video_codec);
  g_assert_true (a->has_audio);
  g_assert_cmpint (a->sample_rate, ==, 44100);
  g_assert_cmpint (a->channels, ==, 1);
  g_assert_cmpfloat_with_epsilon (a->duration, 2.0, 0.05);

  v = ave_media_probe (video_only, &error);
  g_assert_no_error (error);
  g_assert_true (v->has_video);
  g_assert_false (v->has_audio);
  g_assert_null (v->audio_codec);
  g_assert_cmpfloat_with_epsilon (v->frame_rate, 30.0, 0.01);
  g_assert_cmpint (v->n_frames_estimate, ==, 60);
  g_assert_cmpfloat_with_epsilon (v->duration, 2.0, 0.05);

  /* cover art is a picture, not a video */
  c = ave_media_probe (cover, &error);
  g_assert_no_error (error);
  g_assert_true (c->has_audio);
  g_assert_cmpstr (c->audio_codec, ==, "mp3");
  g_assert_false (c->has_video);
  g_assert_cmpfloat_with_epsilon (c->duration, 2.0, 0.1);
}

static void
test_probe_bad_inputs (void)
{
  g_autofree char *missing = ave_test_path ("no-such-video.mp4");
  g_autofree char *dir = ave_test_path ("a-folder.mp4");
  g_autofree char *empty = ave_test_path ("empty.mp4");
  g_autofree char *text = ave_test_path ("notes.mp4");
  g_autofree char *text_txt = ave_test_path ("readme.txt");
  g_autofree char *srt = ave_test_path ("subtitles.srt");
  g_autofree char *sub_args = NULL;
  const char *sub_only;
  const char *unknown_codec;

  assert_media_error (missing, AVE_MEDIA_ERROR_NOT_FOUND);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  assert_media_error (dir, AVE_MEDIA_ERROR_NOT_REGULAR);

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  assert_media_error (empty, AVE_MEDIA_ERROR_EMPTY);

  /* random bytes of several sizes; FFmpeg must not find media in them */
  for (int i = 0; i < 12; i++)
    {
      /* the name matters: FFmpeg tries the format its extension suggests */
      static const char *ext[] = { "mp4", "bin", "mkv", "mp3", "aac", "flac",
                                   "mjpeg", "h264", "ts", "avi", "wav", "dat" };
      g_autofree char *name = g_strdup_printf ("random-%d.%s", i, ext[i]);
      g_autofree char *path = ave_test_path (name);
      ave_test_sh ("head -c %d /dev/urandom > '%s'", 1000 << (i % 4 * 3), path);
      assert_media_error (path, AVE_MEDIA_ERROR_NOT_MEDIA);
    }

  g_assert_true (g_file_set_contents (text, "This is not a video.\nIt is a note about one.\n", -1, NULL));
  assert_media_error (text, AVE_MEDIA_ERROR_NOT_MEDIA);
  /* the tty demuxer claims .txt files; still a text file */
  g_assert_true (g_file_set_contents (text_txt, "Plain words\nin a text file\n", -1, NULL));
  assert_media_error (text_txt, AVE_MEDIA_ERROR_NOT_MEDIA);
  g_assert_true (g_file_set_contents (srt, "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n", -1, NULL));
  assert_media_error (srt, AVE_MEDIA_ERROR_NOT_MEDIA);

  /* a real container holding only subtitles */
  sub_args = g_strdup_printf ("-i '%s' -c:s srt", srt);
  sub_only = ave_test_ffmpeg_media ("subtitles-only.mkv", sub_args);
  assert_media_error (sub_only, AVE_MEDIA_ERROR_NO_STREAMS);

  /* video whose codec tag nothing decodes: an MPEG-4 AVI relabelled */
  unknown_codec = ave_test_ffmpeg_media ("unknown-codec.avi",
                              "-f lavfi -i testsrc2=s=64x48:r=5:d=1 -c:v mpeg4 -vtag FMP4");
  ave_test_sh ("perl -0777 -pi -e 's/FMP4/QQQQ/g' '%s'", unknown_codec);
  assert_media_error (unknown_codec, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC);
}

/* ----------------------------------------------------------- source */

static guint64
luma_sum (const AVFrame *frame)
{
  guint64 sum = 0;

  for (int y = 0; y < frame->height; y++)
    for (int x = 0; x < frame->width; x++)
      sum += (guint64) frame->data[0][(gsize) y * frame->linesize[0] + x] * (guint64) (x + 1);
  return sum;
}

/* The converted pictures come from a pool: a freed picture's buffer is
 * the next one's (no allocation per frame), pictures still held are never
 * written over, and the layout is av_frame_get_buffer()'s. */
static void
test_source_pooled_pictures (void)
{
  const char *path = media_av_mp4 ();
  AveMediaSourceOptions opts = { .want_video = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaSource) src = ave_media_source_open (path, &opts, &error);
  AVFrame *held[6];
  guint64 sums[G_N_ELEMENTS (held)];
  AVFrame *model, *freed, *next;
  const guint8 *freed_data;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      held[i] = ave_media_source_read_video (src, &error);
      g_assert_no_error (error);
      g_assert_nonnull (held[i]);
      sums[i] = luma_sum (held[i]);
      for (guint j = 0; j < i; j++)
        g_assert_true (held[i]->data[0] != held[j]->data[0]);
    }

  model = av_frame_alloc ();
  model->format = AV_PIX_FMT_YUV420P;
  model->width = held[0]->width;
  model->height = held[0]->height;
  g_assert_cmpint (av_frame_get_buffer (model, 0), ==, 0);
  for (guint i = 1; i < G_N_ELEMENTS (held); i++)
    for (int plane = 0; plane < 3; plane++)
      {
        g_assert_cmpint (held[i]->linesize[plane], ==, model->linesize[plane]);
        g_assert_cmpint (held[i]->data[plane] - held[i]->buf[0]->data, ==,
                         model->data[plane] - model->buf[0]->data);
      }
  g_assert_cmpuint (held[1]->buf[0]->size, ==, model->buf[0]->size);
  av_frame_free (&model);

  /* held[0] was the pool's model; the others are pool buffers */
  freed = g_steal_pointer (&held[G_N_ELEMENTS (held) - 1]);
  freed_data = freed->data[0];
  av_frame_free (&freed);
  next = ave_media_source_read_video (src, &error);
  g_assert_no_error (error);
  g_assert_nonnull (next);
  g_assert_true (next->data[0] == freed_data);
  av_frame_free (&next);

  for (guint i = 0; i + 1 < G_N_ELEMENTS (held); i++)
    {
      g_assert_cmpuint (luma_sum (held[i]), ==, sums[i]);
      av_frame_free (&held[i]);
    }
}

static void
test_source_read_all (void)
{
  const char *path = media_av_mp4 ();
  AveMediaSourceOptions opts = {
    .want_video = TRUE, .want_audio = TRUE,
    .audio_rate = 16000, .audio_channels = 1,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaSource) src = ave_media_source_open (path, &opts, &error);
  gint64 n_video = 0, n_samples = 0;
  gint64 audio_end = 0;
  double sum_sq = 0;
  gboolean video_done = FALSE, audio_done = FALSE;

  g_assert_no_error (error);
  g_assert_cmpint (ave_media_source_get_info (src)->width, ==, 320);

  /* interleave as a player would: audio catches up with video */
  while (!video_done || !audio_done)
    {
      gint64 video_pts = G_MAXINT64;

      if (!video_done)
        {
          AVFrame *v = ave_media_source_read_video (src, &error);
          g_assert_no_error (error);
          if (v == NULL)
            video_done = TRUE;
          else
            {
              g_assert_cmpint (v->format, ==, AV_PIX_FMT_YUV420P);
              g_assert_cmpint (v->width, ==, 320);
              g_assert_cmpint (v->height, ==, 240);
              g_assert_cmpint (v->pts, ==, n_video * 40000);
              g_assert_cmpint (FRAME_DURATION (v), ==, 40000);
              video_pts = v->pts;
              n_video++;
              frame_free (v);
            }
        }
      while (!audio_done && audio_end <= video_pts)
        {
          AVFrame *a = ave_media_source_read_audio (src, &error);
          g_assert_no_error (error);
          if (a == NULL)
            {
              audio_done = TRUE;
              break;
            }
          g_assert_cmpint (a->format, ==, AV_SAMPLE_FMT_FLTP);
          g_assert_cmpint (a->sample_rate, ==, 16000);
          g_assert_cmpint (a->ch_layout.nb_channels, ==, 1);
          /* contiguous clock: each block starts where the last ended */
          if (n_samples > 0)
            g_assert_cmpint (llabs (a->pts - audio_end), <=, 63);
          audio_end = a->pts + FRAME_DURATION (a);
          for (int i = 0; i < a->nb_samples; i++)
            {
              float s = ((const float *) a->data[0])[i];
              sum_sq += s * s;
            }
          n_samples += a->nb_samples;
          frame_free (a);
        }
    }
  g_assert_cmpint (n_video, ==, 75);
  g_assert_cmpfloat_with_epsilon (n_samples, 3.0 * 16000, 3.0 * 16000 * 0.01);
  /* lavfi's sine has amplitude 1/8: RMS 0.125/sqrt(2) */
  g_assert_cmpfloat_with_epsilon (sqrt (sum_sq / n_samples), 0.125 / G_SQRT2, 0.005);
  g_assert_false (ave_media_source_truncated (src));

  /* a read after the end stays at the end */
  g_assert_null (ave_media_source_read_video (src, &error));
  g_assert_no_error (error);
}

static void
test_source_scaled (void)
{
  const char *path = media_av_mp4 ();
  AveMediaSourceOptions opts = { .want_video = TRUE, .video_width = 160, .video_height = 120 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaSource) src = ave_media_source_open (path, &opts, &error);
  AVFrame *v;

  g_assert_no_error (error);
  v = ave_media_source_read_video (src, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v->width, ==, 160);
  g_assert_cmpint (v->height, ==, 120);
  g_assert_cmpint (v->pts, ==, 0);
  frame_free (v);
  /* audio was not asked for */
  g_assert_null (ave_media_source_read_audio (src, &error));
  g_assert_no_error (error);
}

static gint64
first_video_pts_after_seek (AveMediaSource *src,
                            double          seconds)
{
  g_autoptr(GError) error = NULL;
  AVFrame *v;
  gint64 pts;

  g_assert_true (ave_media_source_seek (src, seconds, &error));
  g_assert_no_error (error);
  v = ave_media_source_read_video (src, &error);
  g_assert_no_error (error);
  g_assert_nonnull (v);
  pts = v->pts;
  frame_free (v);
  return pts;
}

static void
test_source_seek (void)
{
  const char *path = media_av_mp4 ();
  AveMediaSourceOptions opts = { .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaSource) src = ave_media_source_open (path, &opts, &error);
  gint64 remaining = 0;
  AVFrame *f;

  g_assert_no_error (error);
  /* 1.6 s is frame 40 exactly (frame 39 ends there) */
  g_assert_cmpint (first_video_pts_after_seek (src, 1.6), ==, 1600000);
  /* 1.5 s falls inside frame 37, shown from 1.48 to 1.52 */
  g_assert_cmpint (first_video_pts_after_seek (src, 1.5), ==, 1480000);
  /* backwards, to a keyframe and between keyframes */
  g_assert_cmpint (first_video_pts_after_seek (src, 0.4), ==, 400000);
  g_assert_cmpint (first_video_pts_after_seek (src, 0.0), ==, 0);
  g_assert_cmpint (first_video_pts_after_seek (src, 2.96), ==, 2960000);

  /* after a seek the audio starts at the target, sample-accurately */
  g_assert_cmpint (first_video_pts_after_seek (src, 1.2), ==, 1200000);
  f = ave_media_source_read_audio (src, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f);
  g_assert_cmpint (llabs (f->pts - 1200000), <=, 21);
  frame_free (f);

  /* and the rest of the video follows: frames 31 .. 74 */
  while ((f = ave_media_source_read_video (src, &error)) != NULL)
    {
      g_assert_cmpint (f->pts, ==, (31 + remaining) * 40000);
      remaining++;
      frame_free (f);
    }
  g_assert_no_error (error);
  g_assert_cmpint (remaining, ==, 75 - 31);
}

static void
test_source_vfr (void)
{
  /* 25 frames at 25 fps, then irregular gaps */
  const char *path = ave_test_ffmpeg_media ("vfr.mkv",
                                 "-f lavfi -i testsrc2=s=320x240:r=25:d=3 "
                                 "-vf \"setpts='if(lt(N,25),N/25,1+(N-25)*(N-25)/400+(N-25)/13)/TB'\" "
                                 "-fps_mode vfr -c:v libx264 -preset ultrafast -bf 2");
  g_autoptr(GArray) truth = ffprobe_frame_times (path);
  AveMediaSourceOptions opts = { .want_video = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (path, &error);
  g_autoptr(AveMediaSource) src = NULL;
  AVFrame *f;
  guint n = 0;
  gint64 prev_pts = -1;

  g_assert_no_error (error);
  g_assert_true (info->variable_frame_rate);
  g_assert_cmpint (truth->len, ==, 75);

  src = ave_media_source_open (path, &opts, &error);
  g_assert_no_error (error);
  while ((f = ave_media_source_read_video (src, &error)) != NULL)
    {
      double want = g_array_index (truth, double, n);

      g_assert_cmpuint (n, <, truth->len);
      g_assert_cmpint (llabs (f->pts - (gint64) llround (want * 1e6)), <=, 1);
      if (n + 1 < truth->len)
        {
          double next = g_array_index (truth, double, n + 1);
          g_assert_cmpint (llabs (FRAME_DURATION (f) - (gint64) llround ((next - want) * 1e6)), <=, 2);
        }
      g_assert_cmpint (f->pts, >, prev_pts);
      prev_pts = f->pts;
      n++;
      frame_free (f);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, truth->len);

  /* seeking into the irregular part lands on the frame shown there */
  for (guint i = 30; i < truth->len; i += 17)
    {
      double t = g_array_index (truth, double, i);
      g_assert_cmpint (first_video_pts_after_seek (src, t + 0.001), ==, (gint64) llround (t * 1e6));
    }
}

static gint64
count_video_frames (AveMediaSource *src,
                    GError        **error)
{
  gint64 n = 0;
  AVFrame *f;

  while ((f = ave_media_source_read_video (src, error)) != NULL)
    {
      n++;
      frame_free (f);
    }
  return n;
}

static gint64
count_audio_samples (AveMediaSource *src,
                     GError        **error)
{
  gint64 n = 0;
  AVFrame *f;

  while ((f = ave_media_source_read_audio (src, error)) != NULL)
    {
      n += f->nb_samples;
      frame_free (f);
    }
  return n;
}

static void
test_source_truncated (void)
{
  const char *mkv = ave_test_ffmpeg_media ("whole.mkv",
                                "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                "-f lavfi -i sine=f=440:r=48000:d=4 "
                                "-c:v libx264 -preset ultrafast -g 25 -c:a aac");
  const char *mp4_fast = ave_test_ffmpeg_media ("whole-faststart.mp4",
                                     "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                     "-c:v libx264 -preset ultrafast -g 25 -movflags +faststart");
  const char *mp4_plain = ave_test_ffmpeg_media ("whole-plain.mp4",
                                      "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                      "-c:v libx264 -preset ultrafast -g 25");
  const char *sources[] = { mkv, mp4_fast };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autofree char *cut = g_strdup_printf ("%s.half%s", sources[i], i == 0 ? ".mkv" : ".mp4");
      AveMediaSourceOptions opts = { .want_video = TRUE };
      g_autoptr(GError) error = NULL;
      g_autoptr(AveMediaSource) whole = ave_media_source_open (sources[i], &opts, &error);
      g_autoptr(AveMediaSource) half = NULL;
      gint64 n;

      g_assert_no_error (error);
      g_assert_cmpint (count_video_frames (whole, &error), ==, 100);
      g_assert_no_error (error);
      g_assert_false (ave_media_source_truncated (whole));

      ave_test_sh ("head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'", sources[i], sources[i], cut);
      half = ave_media_source_open (cut, &opts, &error);
      g_assert_no_error (error);
      n = count_video_frames (half, &error);
      g_assert_no_error (error);
      g_test_message ("%s: %" G_GINT64_FORMAT " of 100 frames", cut, n);
      g_assert_cmpint (n, >, 10);
      g_assert_cmpint (n, <, 100);
      g_assert_true (ave_media_source_truncated (half));
    }

  /* the index of a plain MP4 is at the end: half a file cannot be opened,
   * and the error says why */
  {
    g_autofree char *cut = g_strdup_printf ("%s.half.mp4", mp4_plain);
    g_autoptr(GError) error = NULL;
    g_autoptr(AveMediaInfo) info = NULL;

    ave_test_sh ("head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'", mp4_plain, mp4_plain, cut);
    info = ave_media_probe (cut, &error);
    g_assert_null (info);
    g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT);
    g_assert_nonnull (strstr (error->message, "incomplete"));
    g_test_message ("%s", error->message);
  }
}

static void
test_source_other_codecs (void)
{
  const char *vp9 = ave_test_ffmpeg_media ("vp9.mkv",
                                "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                                "-f lavfi -i sine=f=440:r=48000:d=2 "
                                "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k "
                                "-c:a libvorbis");
  const char *mpeg4 = ave_test_ffmpeg_media ("mpeg4.avi",
                                  "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                                  "-f lavfi -i sine=f=440:r=44100:d=2 "
                                  "-c:v mpeg4 -q:v 5 -c:a libmp3lame");
  const char *files[] = { vp9, mpeg4 };
  const char *codecs[] = { "vp9", "mpeg4" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      AveMediaSourceOptions opts = { .want_video = TRUE, .want_audio = TRUE };
      g_autoptr(GError) error = NULL;
      g_autoptr(AveMediaSource) src = ave_media_source_open (files[i], &opts, &error);
      const AveMediaInfo *info;
      gint64 expected = ffprobe_count_frames (files[i], "v:0");
      gint64 n, samples;

      g_assert_no_error (error);
      info = ave_media_source_get_info (src);
      g_assert_cmpstr (info->video_codec, ==, codecs[i]);
      g_assert_cmpfloat_with_epsilon (info->duration, 2.0, 0.1);
      n = count_video_frames (src, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, expected);
      g_assert_cmpint (n, ==, 50);
      samples = count_audio_samples (src, &error);
      g_assert_no_error (error);
      g_assert_cmpint (samples, ==, ffmpeg_audio_samples (files[i]));
      /* MP3 in AVI keeps the encoder's delay and padding: up to 2 frames */
      g_assert_cmpfloat_with_epsilon (samples, 2.0 * info->sample_rate, 2304);
      g_assert_false (ave_media_source_truncated (src));

      /* back to the start: everything again, not one sample less */
      g_assert_true (ave_media_source_seek (src, 0.0, &error));
      g_assert_no_error (error);
      g_assert_cmpint (count_video_frames (src, &error), ==, n);
      g_assert_no_error (error);
      g_assert_cmpint (count_audio_samples (src, &error), ==, samples);
      g_assert_no_error (error);
    }
}

/* ----------------------------------------------------------- reader */

typedef struct
{
  GThread      *main_thread;
  GThread      *video_thread;
  GThread      *audio_thread;
  gboolean      video_one_thread;
  gboolean      audio_one_thread;
  gint64        n_frames;
  GArray       *frame_pts;
  GArray       *frame_index;
  double        last_frame_end;
  int           width, height;
  int           scaled_width, scaled_height;
  double        first_luma_mean;
  gint64        n_mono;
  gint64        n_native;
  int           native_rate, native_channels;
  double        mono_sum_sq;
  double        next_chunk_pts;
  gboolean      chunks_contiguous;
  gint64        n_chunks;
  GArray       *progress;
  GPtrArray    *warnings;
  GMutex        lock;
  /* stopping */
  GCancellable *cancel_after_frames;
  gint64        cancel_at;
  gint64        frames_after_cancel;
  int           fail_after_chunks;
  guint         sleep_us;
} ReadLog;

static void
read_log_init (ReadLog *log)
{
  memset (log, 0, sizeof *log);
  log->main_thread = g_thread_self ();
  log->video_one_thread = TRUE;
  log->audio_one_thread = TRUE;
  log->chunks_contiguous = TRUE;
  log->next_chunk_pts = -1;
  log->first_luma_mean = -1;
  log->frame_pts = g_array_new (FALSE, FALSE, sizeof (double));
  log->frame_index = g_array_new (FALSE, FALSE, sizeof (gint64));
  log->progress = g_array_new (FALSE, FALSE, sizeof (double));
  log->warnings = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&log->lock);
}

static void
read_log_clear (ReadLog *log)
{
  g_array_unref (log->frame_pts);
  g_array_unref (log->frame_index);
  g_array_unref (log->progress);
  g_ptr_array_unref (log->warnings);
  g_mutex_clear (&log->lock);
}

static gboolean
log_video (const AveAnalysisFrame *frame,
           gpointer                user_data,
           GError                **error)
{
  ReadLog *log = user_data;

  if (log->video_thread == NULL)
    log->video_thread = g_thread_self ();
  else if (log->video_thread != g_thread_self ())
    log->video_one_thread = FALSE;
  if (log->cancel_after_frames != NULL && g_cancellable_is_cancelled (log->cancel_after_frames))
    log->frames_after_cancel++;

  g_assert_cmpint (frame->index, ==, log->n_frames);
  g_assert_cmpint (frame->width % 2, ==, 0);
  g_assert_cmpint (frame->height % 2, ==, 0);
  g_assert_true (frame->y_stride >= frame->width);
  g_assert_true (frame->uv_stride >= frame->width / 2);
  g_assert_true (frame->duration > 0);
  log->width = frame->width;
  log->height = frame->height;
  log->scaled_width = frame->scaled_width;
  log->scaled_height = frame->scaled_height;
  if (log->n_frames == 0)
    {
      double sum = 0;
      for (int y = 0; y < frame->height; y++)
        for (int x = 0; x < frame->width; x++)
          sum += frame->y[y * frame->y_stride + x];
      log->first_luma_mean = sum / (frame->width * frame->height);
    }
  /* touch the chroma planes: they must be readable */
  g_assert_true (frame->u[(frame->height / 2 - 1) * frame->uv_stride + frame->width / 2 - 1] <= 255);
  g_assert_true (frame->v[(frame->height / 2 - 1) * frame->uv_stride + frame->width / 2 - 1] <= 255);

  g_array_append_val (log->frame_pts, frame->pts);
  g_array_append_val (log->frame_index, frame->index);
  log->last_frame_end = frame->pts + frame->duration;
  log->n_frames++;
  if (log->cancel_after_frames != NULL && log->n_frames == log->cancel_at)
    g_cancellable_cancel (log->cancel_after_frames);
  if (log->sleep_us > 0)
    g_usleep (log->sleep_us);
  return TRUE;
}

static gboolean
log_audio (const AveAudioChunk *chunk,
           gpointer             user_data,
           GError             **error)
{
  ReadLog *log = user_data;

  if (log->audio_thread == NULL)
    log->audio_thread = g_thread_self ();
  else if (log->audio_thread != g_thread_self ())
    log->audio_one_thread = FALSE;

  if (log->next_chunk_pts >= 0 && fabs (chunk->pts - log->next_chunk_pts) > 1e-6)
    log->chunks_contiguous = FALSE;
  log->next_chunk_pts = chunk->pts + (double) chunk->n_native_frames / chunk->native_rate;
  for (gsize i = 0; i < chunk->n_mono; i++)
    {
      g_assert_true (chunk->mono[i] >= -1.0f && chunk->mono[i] <= 1.0f);
      log->mono_sum_sq += chunk->mono[i] * chunk->mono[i];
    }
  for (gsize i = 0; i < chunk->n_native_frames * chunk->native_channels; i++)
    g_assert_true (isfinite (chunk->native[i]));
  log->n_mono += chunk->n_mono;
  log->n_native += chunk->n_native_frames;
  log->native_rate = chunk->native_rate;
  log->native_channels = chunk->native_channels;
  log->n_chunks++;

  if (log->fail_after_chunks > 0 && log->n_chunks == log->fail_after_chunks)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "the analysis store is full");
      return FALSE;
    }
  return TRUE;
}

static void
log_progress (double   fraction,
              gpointer user_data)
{
  ReadLog *log = user_data;

  g_assert_true (g_thread_self () == log->main_thread);
  g_array_append_val (log->progress, fraction);
}

static void
log_warning (const char *message,
             gpointer    user_data)
{
  ReadLog *log = user_data;

  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->warnings, g_strdup (message));
  g_mutex_unlock (&log->lock);
  g_test_message ("warning: %s", message);
}

static const AveMediaReadCallbacks log_callbacks = {
  .video_frame = log_video,
  .audio_chunk = log_audio,
  .progress = log_progress,
  .warning = log_warning,
};

/* Mean luma of the first frame as ffmpeg scales it. */
static double
ffmpeg_first_luma_mean (const char *path, int width, int height)
{
  g_autofree char *raw = g_strdup_printf ("%s.%dx%d.gray", path, width, height);
  g_autofree char *contents = NULL;
  gsize len = 0;
  double sum = 0;

  ave_test_sh ("ffmpeg -nostdin -loglevel error -y -i '%s' -frames:v 1 -vf scale=%d:%d:flags=area "
               "-f rawvideo -pix_fmt gray '%s'", path, width, height, raw);
  g_assert_true (g_file_get_contents (raw, &contents, &len, NULL));
  g_assert_cmpint (len, ==, width * height);
  for (gsize i = 0; i < len; i++)
    sum += (guint8) contents[i];
  return sum / len;
}

static void
test_reader_basic (void)
{
  const char *path = media_av_mp4 ();
  gint64 nb_frames = (gint64) ffprobe_double (path, "-select_streams v:0 -show_entries stream=nb_frames");
  double duration = ffprobe_double (path, "-show_entries format=duration");

  g_assert_cmpint (nb_frames, ==, 75);
  for (guint step = 1; step <= 3; step++)
    {
      AveMediaReadOptions opts = {
        .analysis_width = 160, .frame_step = step,
        .want_video = TRUE, .want_audio = TRUE,
        .decoder_threads = step == 2 ? 2 : 0, .fast_decode = step == 3,
      };
      g_autoptr(GError) error = NULL;
      ReadLog log;
      gboolean ok;

      read_log_init (&log);
      ok = ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (ok);

      /* every step-th frame, in order, at its own time */
      g_assert_cmpint (log.n_frames, ==, (nb_frames + step - 1) / step);
      for (guint i = 0; i < log.frame_pts->len; i++)
        g_assert_cmpfloat_with_epsilon (g_array_index (log.frame_pts, double, i), i * step * 0.04, 1e-6);
      g_assert_cmpfloat_with_epsilon (log.last_frame_end,
                                      (log.n_frames - 1) * step * 0.04 + 0.04, 1e-6);
      g_assert_cmpint (log.width, ==, 160);
      g_assert_cmpint (log.height, ==, 120);
      /* the pixels are the picture's: same brightness as ffmpeg's own downscale */
      g_assert_cmpfloat_with_epsilon (log.first_luma_mean, ffmpeg_first_luma_mean (path, 160, 120), 3.0);

      /* audio: 16 kHz mono covering the duration, and the source's own form */
      g_assert_cmpfloat_with_epsilon (log.n_mono, duration * AVE_ANALYSIS_SAMPLE_RATE,
                                      duration * AVE_ANALYSIS_SAMPLE_RATE * 0.01);
      g_assert_cmpint (log.native_rate, ==, 48000);
      g_assert_cmpint (log.native_channels, ==, 2);
      /* decoded samples up to the stream's stated end (AAC pads its last frame) */
      g_assert_cmpint (log.n_native, <=, ffmpeg_audio_samples (path));
      g_assert_cmpint (log.n_native, >, ffmpeg_audio_samples (path) - 1024);
      g_assert_cmpint (log.n_native, ==, (gint64) llround (duration * 48000));
      g_assert_true (log.chunks_contiguous);
      g_assert_cmpint (log.n_chunks, >=, 6);
      /* mono is the mean of the channels (ffmpeg's upmix put the sine at
       * -3 dB in each); resampling keeps a 440 Hz tone's level */
      g_assert_cmpfloat_with_epsilon (sqrt (log.mono_sum_sq / log.n_mono),
                                      ffmpeg_stereo_mean_rms (path), 0.002);

      /* decoding ran on two threads of its own */
      g_assert_nonnull (log.video_thread);
      g_assert_nonnull (log.audio_thread);
      g_assert_true (log.video_thread != log.audio_thread);
      g_assert_true (log.video_thread != log.main_thread);
      g_assert_true (log.audio_thread != log.main_thread);
      g_assert_true (log.video_one_thread);
      g_assert_true (log.audio_one_thread);

      /* progress: non-decreasing, ends at 1, not a flood */
      g_assert_cmpuint (log.progress->len, >=, 1);
      for (guint i = 1; i < log.progress->len; i++)
        g_assert_cmpfloat (g_array_index (log.progress, double, i), >=,
                           g_array_index (log.progress, double, i - 1));
      g_assert_cmpfloat (g_array_index (log.progress, double, log.progress->len - 1), ==, 1.0);
      g_assert_cmpuint (log.warnings->len, ==, 0);
      read_log_clear (&log);
    }
}

/* What each decoding thread's priority was, seen from the callbacks. */
typedef struct
{
  int  video_nice;        /* of the thread calling video_frame */
  int  audio_nice;
  guint n_at_video_nice;  /* the process's threads at that value, then */
} NiceLog;

/* How many of this process's threads run at nice value `nice`
 * (/proc/self/task/TID/stat, field 19). */
static guint
count_threads_at_nice (int nice)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/stat", tid);
      g_autofree char *stat = NULL;
      g_auto(GStrv) fields = NULL;
      const char *after;

      if (!g_file_get_contents (path, &stat, NULL, NULL) ||
          (after = strrchr (stat, ')')) == NULL)
        continue;
      /* after the name: state (field 3) ... nice (field 19) */
      fields = g_strsplit (after + 2, " ", 0);
      if (g_strv_length (fields) > 16 && atoi (fields[16]) == nice)
        n++;
    }
  return n;
}

static gboolean
nice_video (const AveAnalysisFrame *frame, gpointer user_data, GError **error)
{
  NiceLog *log = user_data;

  if (log->video_nice == G_MININT)
    {
      log->video_nice = ave_thread_get_nice ();
      log->n_at_video_nice = count_threads_at_nice (log->video_nice);
    }
  return TRUE;
}

static gboolean
nice_audio (const AveAudioChunk *chunk, gpointer user_data, GError **error)
{
  NiceLog *log = user_data;

  if (log->audio_nice == G_MININT)
    log->audio_nice = ave_thread_get_nice ();
  return TRUE;
}

/* video_nice_increment: the video's decoding thread and the decoder's own
 * threads (two here) run that much below the caller; the sound's thread
 * and the caller keep their priority. */
static void
test_reader_video_below (void)
{
  const char *path = media_av_mp4 ();
  AveMediaReadOptions opts = {
    .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE,
    .decoder_threads = 2, .video_nice_increment = 3,
  };
  AveMediaReadCallbacks callbacks = { .video_frame = nice_video, .audio_chunk = nice_audio };
  NiceLog log = { G_MININT, G_MININT, 0 };
  g_autoptr(GError) error = NULL;
  int nice = ave_thread_get_nice ();

  if (nice + 3 > 19)
    {
      g_test_skip ("this process runs at the lowest priority already");
      return;
    }
  g_assert_true (ave_media_read_for_analysis (path, &opts, &callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.video_nice, ==, nice + 3);
  g_assert_cmpint (log.audio_nice, ==, nice);
  /* the video thread and at least two of FFmpeg's */
  g_assert_cmpuint (log.n_at_video_nice, >=, 3);
  g_assert_cmpint (ave_thread_get_nice (), ==, nice);

  /* 0: everything at the caller's */
  log.video_nice = log.audio_nice = G_MININT;
  opts.video_nice_increment = 0;
  g_assert_true (ave_media_read_for_analysis (path, &opts, &callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.video_nice, ==, nice);
  g_assert_cmpint (log.audio_nice, ==, nice);
}

static void
test_reader_small_queue (void)
{
  /* a queue smaller than one keyframe and a slow consumer: back-pressure
   * must not lose or reorder anything */
  const char *path = media_av_mp4 ();
  AveMediaReadOptions opts = {
    .analysis_width = 64, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE,
    .queue_bytes = 4096,
  };
  g_autoptr(GError) error = NULL;
  ReadLog log;

  read_log_init (&log);
  log.sleep_us = 2000;
  g_assert_true (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.n_frames, ==, 75);
  g_assert_cmpint (log.width, ==, 64);
  g_assert_cmpint (log.height, ==, 48);
  g_assert_cmpint (log.n_native, ==, 3 * 48000);
  g_assert_true (log.chunks_contiguous);
  read_log_clear (&log);
}

static void
test_reader_leave_scaling (void)
{
  /* yuv420p pictures come as decoded, with the analysis size beside them
   * for the caller's AveCompute to scale to; without the option the reader
   * scales them itself and says both sizes are the same */
  const char *path = media_av_mp4 ();
  AveMediaReadOptions opts = {
    .analysis_width = 64, .frame_step = 1, .want_video = TRUE, .leave_scaling = TRUE,
  };
  g_autoptr(GError) error = NULL;
  ReadLog log;

  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.n_frames, ==, 75);
  g_assert_cmpint (log.width, ==, 320);
  g_assert_cmpint (log.height, ==, 240);
  g_assert_cmpint (log.scaled_width, ==, 64);
  g_assert_cmpint (log.scaled_height, ==, 48);
  read_log_clear (&log);

  opts.leave_scaling = FALSE;
  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.width, ==, 64);
  g_assert_cmpint (log.scaled_width, ==, 64);
  g_assert_cmpint (log.scaled_height, ==, 48);
  read_log_clear (&log);
}

static void
test_reader_vfr (void)
{
  const char *path = ave_test_ffmpeg_media ("vfr.mkv",
                                 "-f lavfi -i testsrc2=s=320x240:r=25:d=3 "
                                 "-vf \"setpts='if(lt(N,25),N/25,1+(N-25)*(N-25)/400+(N-25)/13)/TB'\" "
                                 "-fps_mode vfr -c:v libx264 -preset ultrafast -bf 2");
  g_autoptr(GArray) truth = ffprobe_frame_times (path);
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE };
  g_autoptr(GError) error = NULL;
  ReadLog log;

  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.frame_pts->len, ==, truth->len);
  for (guint i = 0; i < truth->len; i++)
    g_assert_cmpfloat_with_epsilon (g_array_index (log.frame_pts, double, i),
                                    g_array_index (truth, double, i), 1e-6);
  /* no audio asked for: no audio thread */
  g_assert_null (log.audio_thread);
  g_assert_cmpint (log.n_chunks, ==, 0);
  read_log_clear (&log);
}

static void
test_reader_single_stream (void)
{
  const char *audio_only = ave_test_ffmpeg_media ("audio-only.m4a",
                                       "-f lavfi -i sine=f=300:r=44100:d=2 -c:a aac");
  const char *video_only = ave_test_ffmpeg_media ("video-only.mp4",
                                       "-f lavfi -i testsrc2=s=320x240:r=30:d=2 "
                                       "-c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  AveMediaReadOptions opts = { .analysis_width = 96, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GError) error = NULL;
  ReadLog log;

  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (audio_only, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.n_frames, ==, 0);
  g_assert_cmpint (log.native_rate, ==, 44100);
  g_assert_cmpint (log.native_channels, ==, 1);
  g_assert_cmpint (log.n_native, ==, 2 * 44100);
  g_assert_cmpfloat_with_epsilon (log.n_mono, 2.0 * AVE_ANALYSIS_SAMPLE_RATE, 0.01 * 2.0 * AVE_ANALYSIS_SAMPLE_RATE);
  read_log_clear (&log);

  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (video_only, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.n_frames, ==, 60);
  g_assert_cmpint (log.height, ==, 72);
  g_assert_cmpint (log.n_chunks, ==, 0);
  read_log_clear (&log);
}

static void
test_reader_cancel (void)
{
  const char *path = media_av_mp4 ();
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  ReadLog log;

  /* cancelled from the video callback after 10 frames */
  read_log_init (&log);
  log.cancel_after_frames = cancellable;
  log.cancel_at = 10;
  g_assert_false (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (log.frames_after_cancel, ==, 0);
  g_assert_cmpint (log.n_frames, ==, 10);
  read_log_clear (&log);
  g_clear_error (&error);

  /* already cancelled: nothing at all happens */
  read_log_init (&log);
  g_assert_false (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (log.n_frames, ==, 0);
  g_assert_cmpint (log.n_chunks, ==, 0);
  read_log_clear (&log);
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (100 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_reader_cancel_from_other_thread (void)
{
  const char *path = media_av_mp4 ();
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *canceller;
  gint64 start, elapsed;
  ReadLog log;

  /* a slow consumer (3 s of frames at 20 ms each would take 1.5 s) */
  read_log_init (&log);
  log.sleep_us = 20000;
  canceller = g_thread_new ("canceller", cancel_soon, cancellable);
  start = g_get_monotonic_time ();
  g_assert_false (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, cancellable, &error));
  elapsed = g_get_monotonic_time () - start;
  g_thread_join (canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (log.n_frames, <, 75);
  /* promptly: well before the read would have finished */
  g_assert_cmpint (elapsed, <, 1000 * 1000);
  read_log_clear (&log);
}

static void
test_reader_callback_error (void)
{
  const char *path = media_av_mp4 ();
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GError) error = NULL;
  ReadLog log;

  read_log_init (&log);
  log.fail_after_chunks = 3;
  log.sleep_us = 5000;   /* so the video is still going when audio fails */
  g_assert_false (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpstr (error->message, ==, "the analysis store is full");
  g_assert_cmpint (log.n_chunks, ==, 3);
  g_assert_cmpint (log.n_frames, <, 75);
  read_log_clear (&log);
}

static void
test_reader_truncated (void)
{
  const char *mkv = ave_test_ffmpeg_media ("whole.mkv",
                                "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                "-f lavfi -i sine=f=440:r=48000:d=4 "
                                "-c:v libx264 -preset ultrafast -g 25 -c:a aac");
  g_autofree char *cut = g_strdup_printf ("%s.reader-half.mkv", mkv);
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;
  ReadLog log;

  ave_test_sh ("head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'", mkv, mkv, cut);
  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (cut, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.n_frames, >, 10);
  g_assert_cmpint (log.n_frames, <, 100);
  for (guint i = 0; i < log.warnings->len; i++)
    {
      const char *w = g_ptr_array_index (log.warnings, i);
      if (strstr (w, "ends early at") != NULL && strstr (w, "truncated?") != NULL
          && strstr (w, "reader-half.mkv") != NULL)
        {
          double at = g_ascii_strtod (strstr (w, "ends early at") + strlen ("ends early at"), NULL);
          /* the time named is where the picture stopped */
          g_assert_cmpfloat_with_epsilon (at, log.last_frame_end, 0.3);
          found = TRUE;
        }
    }
  g_assert_true (found);
  read_log_clear (&log);

  /* the whole file: no warning */
  read_log_init (&log);
  g_assert_true (ave_media_read_for_analysis (mkv, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (log.n_frames, ==, 100);
  g_assert_cmpuint (log.warnings->len, ==, 0);
  read_log_clear (&log);
}

static void
test_reader_undecodable (void)
{
  /* an intact container whose picture data is all zeros */
  const char *path = ave_test_ffmpeg_media ("zeroed.mp4",
                                 "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                                 "-c:v libx264 -preset ultrafast -movflags +faststart");
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GError) error = NULL;
  g_autofree char *offset = NULL;
  ReadLog log;

  offset = ave_test_sh_output ("grep -obUa mdat '%s' | tail -n 1 | cut -d: -f1", path);
  g_assert_cmpint (g_ascii_strtoll (offset, NULL, 10), >, 0);
  ave_test_sh ("size=$(stat -c %%s '%s'); start=$(( %s + 4 )); "
               "head -c $(( size - start )) /dev/zero | dd of='%s' bs=4096 seek=$start oflag=seek_bytes conv=notrunc status=none",
               path, g_strstrip (offset), path);

  read_log_init (&log);
  g_assert_false (ave_media_read_for_analysis (path, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "zeroed.mp4"));
  g_test_message ("%s", error->message);
  g_assert_cmpint (log.n_frames, ==, 0);
  read_log_clear (&log);
}

static gboolean
copy_end_frame (const AveAnalysisFrame *frame, gpointer data, GError **error)
{
  return TRUE;
}

static void
copy_end_collect (double seconds, gpointer data)
{
  g_array_append_val ((GArray *) data, seconds);
}

static GArray *
read_copy_ends (const char *path)
{
  AveMediaReadOptions opts = { .analysis_width = 64, .frame_step = 1, .want_video = TRUE,
                               .pictures = AVE_ANALYSIS_FRAMES_REFERENCE };
  AveMediaReadCallbacks callbacks = { .video_frame = copy_end_frame, .video_copy_end = copy_end_collect };
  g_autoptr(GError) error = NULL;
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_true (ave_media_read_for_analysis (path, &opts, &callbacks, ends, NULL, &error));
  g_assert_no_error (error);
  return ends;
}

/* The copy ends of a stream with B-frames (a B-pyramid, several reference
 * frames) are exactly the times computed from ffprobe's packet list: after
 * packet i in decode order, when every later packet shows after every
 * packet up to i, the next picture's time.  A stream without B-frames
 * gets none (every picture's end would be one). */
static void
test_reader_copy_ends (void)
{
  const char *pyramid = ave_test_ffmpeg_media ("pyramid.mp4",
                                               "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                               "-c:v libx264 -preset slow -bf 3 -b_strategy 2 -g 50 -pix_fmt yuv420p");
  const char *plain = ave_test_ffmpeg_media ("no-bframes.mp4",
                                             "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                                             "-c:v libx264 -preset ultrafast -bf 0 -g 10 -pix_fmt yuv420p");
  g_autofree char *listing = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries packet=pts_time "
                                                 "-of csv=p=0 '%s'", pyramid);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (listing), "\n", -1);
  guint n = g_strv_length (lines), n_expected = 0;
  g_autofree double *pts = g_new (double, n);
  g_autoptr(GArray) ends = read_copy_ends (pyramid);
  g_autoptr(GArray) none = read_copy_ends (plain);
  double shown = -1.0;

  for (guint i = 0; i < n; i++)
    pts[i] = g_ascii_strtod (lines[i], NULL);
  g_assert_cmpuint (n, ==, 100);
  for (guint i = 0; i + 1 < n; i++)
    {
      double next = G_MAXDOUBLE;

      shown = MAX (shown, pts[i]);
      for (guint j = i + 1; j < n; j++)
        next = MIN (next, pts[j]);
      if (next <= shown || next <= 0.0)
        continue;
      g_assert_cmpuint (n_expected, <, ends->len);
      g_assert_cmpfloat_with_epsilon (g_array_index (ends, double, n_expected), next, 1e-6);
      n_expected++;
    }
  g_test_message ("%u copy ends among %u pictures", n_expected, n);
  g_assert_cmpuint (ends->len, ==, n_expected);
  /* B-frames: far fewer ends than pictures, but some in every GOP */
  g_assert_cmpuint (n_expected, <, n / 2);
  g_assert_cmpuint (n_expected, >=, 4);
  g_assert_cmpuint (none->len, ==, 0);
}

static gboolean
collect_frame_pts (const AveAnalysisFrame *frame, gpointer data, GError **error)
{
  g_array_append_val ((GArray *) data, frame->pts);
  return TRUE;
}

static gboolean
has_time (GArray *times,
          double  t)
{
  for (guint i = 0; i < times->len; i++)
    if (fabs (g_array_index (times, double, i) - t) < 1e-3)
      return TRUE;
  return FALSE;
}

/* With reference pictures only, each key picture's leading pictures
 * (HEVC open GOPs: the B-pictures shown before a CRA are decoded after
 * it) come out too, so the picture right before every key picture but
 * the first is there, both from the analysis reader and from a media
 * source (which the analysis decodes stretches with, after a seek); the
 * other pictures no other refers to are still dropped. */
static void
test_leading_pictures (void)
{
  const char *path = ave_test_ffmpeg_media ("leading-hevc.mp4",
                                            "-f lavfi -i testsrc2=s=320x240:r=25:d=4 -c:v libx265 -preset veryfast "
                                            "-x265-params keyint=25:min-keyint=25:scenecut=0:open-gop=1:bframes=4:log-level=error "
                                            "-pix_fmt yuv420p");
  g_autofree char *listing = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,flags "
                                                 "-of csv=p=0 '%s'", path);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (listing), "\n", -1);
  AveMediaReadOptions opts = { .analysis_width = 64, .frame_step = 1, .want_video = TRUE,
                               .pictures = AVE_ANALYSIS_FRAMES_REFERENCE };
  AveMediaReadCallbacks callbacks = { .video_frame = collect_frame_pts };
  AveMediaSourceOptions source_opts = { .want_video = TRUE, .video_width = 64, .video_height = 48,
                                        .reference_frames_only = TRUE };
  g_autoptr(GArray) read = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) sourced = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(GError) error = NULL;
  guint n_keys = 0, n = g_strv_length (lines);

  g_assert_true (ave_media_read_for_analysis (path, &opts, &callbacks, read, NULL, &error));
  g_assert_no_error (error);
  /* from a seek to the first key picture after the start */
  source = ave_media_source_open (path, &source_opts, &error);
  g_assert_no_error (error);
  g_assert_true (ave_media_source_seek (source, 1.0, &error));
  for (;;)
    {
      g_autoptr(AvePicture) picture = ave_media_source_read_picture (source, &error);

      g_assert_no_error (error);
      if (picture == NULL)
        break;
      g_array_append_val (sourced, picture->pts);
    }

  g_assert_cmpuint (n, ==, 100);
  for (guint i = 0; i < n; i++)
    {
      double t = g_ascii_strtod (lines[i], NULL);

      if (strchr (lines[i], 'K') == NULL || t < 0.5)
        continue;
      n_keys++;
      g_test_message ("key picture at %.2f s", t);
      g_assert_true (has_time (read, t));
      g_assert_true (has_time (read, t - 0.04));
      if (t > 1.5)
        {
          g_assert_true (has_time (sourced, t));
          g_assert_true (has_time (sourced, t - 0.04));
        }
    }
  g_assert_cmpuint (n_keys, ==, 3);
  g_test_message ("%u of %u pictures read, %u from 1 s", read->len, n, sourced->len);
  g_assert_cmpuint (read->len, <, 3 * n / 4);
  g_assert_cmpuint (sourced->len, <, 3 * (n - 25) / 4);
}

static void
test_reader_bad_input (void)
{
  g_autofree char *missing = ave_test_path ("reader-missing.mp4");
  AveMediaReadOptions opts = { .analysis_width = 160, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE };
  g_autoptr(GError) error = NULL;
  ReadLog log;

  read_log_init (&log);
  g_assert_false (ave_media_read_for_analysis (missing, &opts, &log_callbacks, &log, NULL, &error));
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_FOUND);
  read_log_clear (&log);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/media/probe/basic", test_probe_basic);
  g_test_add_func ("/engine/media/probe/rotation", test_probe_rotation);
  g_test_add_func ("/engine/media/probe/single-stream", test_probe_single_stream);
  g_test_add_func ("/engine/media/probe/bad-inputs", test_probe_bad_inputs);
  g_test_add_func ("/engine/media/source/read-all", test_source_read_all);
  g_test_add_func ("/engine/media/source/pooled-pictures", test_source_pooled_pictures);
  g_test_add_func ("/engine/media/source/scaled", test_source_scaled);
  g_test_add_func ("/engine/media/source/seek", test_source_seek);
  g_test_add_func ("/engine/media/source/vfr", test_source_vfr);
  g_test_add_func ("/engine/media/source/truncated", test_source_truncated);
  g_test_add_func ("/engine/media/source/other-codecs", test_source_other_codecs);
  g_test_add_func ("/engine/media/reader/basic", test_reader_basic);
  g_test_add_func ("/engine/media/reader/small-queue", test_reader_small_queue);
  g_test_add_func ("/engine/media/reader/video-below", test_reader_video_below);
  g_test_add_func ("/engine/media/reader/vfr", test_reader_vfr);
  g_test_add_func ("/engine/media/reader/leave-scaling", test_reader_leave_scaling);
  g_test_add_func ("/engine/media/reader/single-stream", test_reader_single_stream);
  g_test_add_func ("/engine/media/reader/cancel", test_reader_cancel);
  g_test_add_func ("/engine/media/reader/cancel-other-thread", test_reader_cancel_from_other_thread);
  g_test_add_func ("/engine/media/reader/callback-error", test_reader_callback_error);
  g_test_add_func ("/engine/media/reader/truncated", test_reader_truncated);
  g_test_add_func ("/engine/media/reader/undecodable", test_reader_undecodable);
  g_test_add_func ("/engine/media/reader/bad-input", test_reader_bad_input);
  g_test_add_func ("/engine/media/reader/copy-ends", test_reader_copy_ends);
  g_test_add_func ("/engine/media/leading-pictures", test_leading_pictures);

  return g_test_run ();
}
