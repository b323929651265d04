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
#include "media/ave-media.h"

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

/* Runs ffmpeg once per file name and process; returns the path. */
static const char *
make_media (const char *name,
            const char *ffmpeg_args)
{
  static GHashTable *made;
  char *path;

  if (made == NULL)
    made = g_hash_table_new (g_str_hash, g_str_equal);
  path = g_hash_table_lookup (made, name);
  if (path != NULL)
    return path;
  path = ave_test_path (name);
  ave_test_sh ("ffmpeg -nostdin -loglevel error -y %s '%s'", ffmpeg_args, path);
  g_hash_table_insert (made, g_strdup (name), path);
  return path;
}

/* 3 s, 320x240, 25 fps H.264 (a keyframe every 10 frames) + stereo AAC 48 kHz. */
static const char *
media_av_mp4 (void)
{
  return make_media ("av.mp4",
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
  const char *box = make_media ("box.mp4",
                                "-f lavfi -i color=black:s=320x240:r=25:d=1,"
                                "drawbox=x=0:y=0:w=80:h=60:color=white:t=fill "
                                "-c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  const int tags[] = { 90, 180, 270 };
  gboolean seen_quarter = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      g_autofree char *name = g_strdup_printf ("rot%d.mp4", tags[i]);
      g_autofree char *args = g_strdup_printf ("-i '%s' -c copy -metadata:s:v rotate=%d", box, tags[i]);
      const char *path = make_media (name, args);
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
  const char *audio_only = make_media ("audio-only.m4a",
                                       "-f lavfi -i sine=f=300:r=44100:d=2 -c:a aac");
  const char *video_only = make_media ("video-only.mp4",
                                       "-f lavfi -i testsrc2=s=320x240:r=30:d=2 "
                                       "-c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  const char *cover = make_media ("cover.mp3",
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
  sub_only = make_media ("subtitles-only.mkv", sub_args);
  assert_media_error (sub_only, AVE_MEDIA_ERROR_NO_STREAMS);

  /* video whose codec tag nothing decodes: an MPEG-4 AVI relabelled */
  unknown_codec = make_media ("unknown-codec.avi",
                              "-f lavfi -i testsrc2=s=64x48:r=5:d=1 -c:v mpeg4 -vtag FMP4");
  ave_test_sh ("perl -0777 -pi -e 's/FMP4/QQQQ/g' '%s'", unknown_codec);
  assert_media_error (unknown_codec, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC);
}

/* ----------------------------------------------------------- source */

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
  const char *path = make_media ("vfr.mkv",
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
  const char *mkv = make_media ("whole.mkv",
                                "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                "-f lavfi -i sine=f=440:r=48000:d=4 "
                                "-c:v libx264 -preset ultrafast -g 25 -c:a aac");
  const char *mp4_fast = make_media ("whole-faststart.mp4",
                                     "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                                     "-c:v libx264 -preset ultrafast -g 25 -movflags +faststart");
  const char *mp4_plain = make_media ("whole-plain.mp4",
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
  const char *vp9 = make_media ("vp9.mkv",
                                "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                                "-f lavfi -i sine=f=440:r=48000:d=2 "
                                "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k "
                                "-c:a libvorbis");
  const char *mpeg4 = make_media ("mpeg4.avi",
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

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/media/probe/basic", test_probe_basic);
  g_test_add_func ("/engine/media/probe/rotation", test_probe_rotation);
  g_test_add_func ("/engine/media/probe/single-stream", test_probe_single_stream);
  g_test_add_func ("/engine/media/probe/bad-inputs", test_probe_bad_inputs);
  g_test_add_func ("/engine/media/source/read-all", test_source_read_all);
  g_test_add_func ("/engine/media/source/scaled", test_source_scaled);
  g_test_add_func ("/engine/media/source/seek", test_source_seek);
  g_test_add_func ("/engine/media/source/vfr", test_source_vfr);
  g_test_add_func ("/engine/media/source/truncated", test_source_truncated);
  g_test_add_func ("/engine/media/source/other-codecs", test_source_other_codecs);

  return g_test_run ();
}
