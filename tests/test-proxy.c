#define G_LOG_DOMAIN "ave-test-proxy"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "media/ave-media.h"
#include "media/ave-media-private.h"
#include "media/ave-proxy.h"

/* Preview proxies (media/ave-proxy.h): every source frame at its exact
 * time, a changed source gets a new proxy, a build that stops leaves
 * nothing to use, and only the proxies folder is written, links and all.
 * tests/test-edit-stream.c checks what the preview shows from one. */

#define BOX_W 320
#define BOX_H 180

/* Every video frame's time and duration (µs) as AveMediaSource reports
 * them, and the size of the first picture. */
static GArray *
frame_times (const char *path,
             gboolean    proxy,
             int        *width,
             int        *height)
{
  AveMediaSourceOptions options = { .want_video = TRUE, .apply_rotation = !proxy, .zero_clock = proxy };
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(GError) error = NULL;
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  AVFrame *frame;

  source = ave_media_source_open (path, &options, &error);
  g_assert_no_error (error);
  while ((frame = ave_media_source_read_video (source, &error)) != NULL)
    {
      gint64 duration = _AVE_FRAME_DURATION (frame);

      if (width != NULL && times->len == 0)
        {
          *width = frame->width;
          *height = frame->height;
        }
      g_array_append_val (times, frame->pts);
      g_array_append_val (times, duration);
      av_frame_free (&frame);
    }
  g_assert_no_error (error);
  return times;
}

static void
assert_same_times (const char *source,
                   const char *proxy)
{
  g_autoptr(GArray) want = frame_times (source, FALSE, NULL, NULL);
  g_autoptr(GArray) got = frame_times (proxy, TRUE, NULL, NULL);

  g_test_message ("%s: %u frames from %.3f s, proxy %u", source, want->len / 2,
                  want->len > 0 ? g_array_index (want, gint64, 0) / 1e6 : -1.0, got->len / 2);
  g_assert_cmpuint (want->len, >, 20);
  g_assert_cmpuint (got->len, ==, want->len);
  for (guint i = 0; i < want->len; i += 2)
    {
      if (g_array_index (got, gint64, i) != g_array_index (want, gint64, i))
        g_error ("frame %u: at %" G_GINT64_FORMAT " µs in the proxy, %" G_GINT64_FORMAT " µs in the source",
                 i / 2, g_array_index (got, gint64, i), g_array_index (want, gint64, i));
      /* and lasts as long: the next frame's time less its own.  The
       * last one's length is the container's word, which NUT does not
       * store exactly: the frame rate gives it. */
      if (i + 2 == want->len)
        {
          g_test_message ("the last frame lasts %" G_GINT64_FORMAT " µs in the proxy, %" G_GINT64_FORMAT " µs in the source",
                          g_array_index (got, gint64, i + 1), g_array_index (want, gint64, i + 1));
          g_assert_cmpint (g_array_index (got, gint64, i + 1), >, 0);
        }
      else if (g_array_index (got, gint64, i + 1) != g_array_index (want, gint64, i + 1))
        g_error ("frame %u of %u: lasts %" G_GINT64_FORMAT " µs in the proxy, %" G_GINT64_FORMAT " µs in the source",
                 i / 2, want->len / 2, g_array_index (got, gint64, i + 1), g_array_index (want, gint64, i + 1));
    }
}

static char *
listing (const char *dir)
{
  return ave_test_sh_output ("cd '%s' && ls -A | sort", dir);
}

static char *
proxies_dir (const char *name)
{
  return ave_test_path (name);
}

/* A talk with B-frames and audio that starts before the video (the
 * video's first time is not 0 on the file's clock): same times, the
 * preview's size, colour tags kept, no sound. */
static void
test_constant_rate (void)
{
  const char *source = ave_test_ffmpeg_media ("cfr.mp4",
                              "-itsoffset 0.2 -f lavfi -i testsrc2=s=640x360:r=30000/1001:d=4 "
                              "-f lavfi -i sine=f=440:r=48000:d=4.5 "
                              "-c:v libx264 -preset ultrafast -bf 2 -g 60 -pix_fmt yuv420p "
                              "-color_primaries bt709 -color_trc bt709 -colorspace bt709 "
                              "-fps_mode passthrough -c:a aac");
  g_autofree char *dir = proxies_dir ("proxies-cfr");
  g_autofree char *source_dir = g_path_get_dirname (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *proxy = NULL;
  g_autoptr(AveMediaInfo) info = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  /* nothing is written beside the source (the proxies folder aside) */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  before = listing (source_dir);
  proxy = ave_proxy_make (source, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  after = listing (source_dir);
  g_assert_cmpstr (after, ==, before);
  g_assert_true (g_str_has_prefix (proxy, dir));
  assert_same_times (source, proxy);
  /* the video starts after the sound: its first time is not the file's 0 */
  {
    g_autoptr(GArray) times = frame_times (proxy, TRUE, NULL, NULL);
    g_assert_cmpint (g_array_index (times, gint64, 0), >=, 150000);
  }

  info = ave_media_probe (proxy, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->width, ==, BOX_W);
  g_assert_cmpint (info->height, ==, BOX_H);
  g_assert_false (info->has_audio);
  tags = ave_test_sh_output ("ffprobe -v error -select_streams v -show_entries "
                             "stream=color_space,color_primaries,color_transfer,color_range,has_b_frames "
                             "-of csv=p=0 '%s'", proxy);
  g_test_message ("proxy tags: %s", tags);
  g_assert_nonnull (strstr (tags, "tv,bt709,bt709,bt709"));

  /* found again, without a build */
  {
    g_autofree char *found = ave_proxy_find (source, BOX_W, BOX_H, dir);
    g_assert_cmpstr (found, ==, proxy);
  }
  /* another box is another proxy */
  {
    g_autofree char *other = ave_proxy_find (source, 160, 90, dir);
    g_assert_null (other);
  }
}

/* Frames 30 fps, then at uneven gaps: each keeps its own time. */
static void
test_variable_rate (void)
{
  const char *source = ave_test_ffmpeg_media ("vfr.mkv",
                              "-f lavfi -i testsrc2=s=320x240:r=25:d=3 "
                              "-vf \"setpts='if(lt(N,25),N/25,1+(N-25)*(N-25)/400+(N-25)/13)/TB'\" "
                              "-fps_mode vfr -c:v libx264 -preset ultrafast -bf 2");
  g_autofree char *dir = proxies_dir ("proxies-vfr");
  g_autoptr(GError) error = NULL;
  g_autofree char *proxy = ave_proxy_make (source, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  int w = 0, h = 0;
  g_autoptr(GArray) times = NULL;

  g_assert_no_error (error);
  assert_same_times (source, proxy);
  /* never larger than the source's shape allows: 4:3 in 16:9 */
  times = frame_times (proxy, TRUE, &w, &h);
  g_assert_cmpint (w, ==, 240);
  g_assert_cmpint (h, ==, 180);
}

/* A rotated phone video: the proxy is upright, as the composition sees
 * the source. */
static void
test_rotation (void)
{
  const char *upright = ave_test_ffmpeg_media ("unrotated.mp4",
                              "-f lavfi -i testsrc2=s=320x180:r=25:d=1 -c:v libx264 -preset ultrafast");
  g_autofree char *source = ave_test_path ("rotated.mp4");
  g_autofree char *dir = proxies_dir ("proxies-rot");
  g_autoptr(GError) error = NULL;
  g_autofree char *proxy = NULL;
  g_autoptr(AveMediaInfo) info = NULL;
  g_autoptr(AveMediaInfo) pinfo = NULL;
  AveMediaSourceOptions a = { .want_video = TRUE, .video_width = 100, .video_height = 180, .apply_rotation = TRUE };
  AveMediaSourceOptions b = { .want_video = TRUE, .video_width = 100, .video_height = 180, .zero_clock = TRUE };
  g_autoptr(AveMediaSource) sa = NULL;
  g_autoptr(AveMediaSource) sb = NULL;
  g_autoptr(AVFrame) fa = NULL;
  g_autoptr(AVFrame) fb = NULL;
  double sum = 0.0;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -c copy -metadata:s:v:0 rotate=90 '%s'", upright, source);
  proxy = ave_proxy_make (source, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  info = ave_media_probe (source, NULL);
  pinfo = ave_media_probe (proxy, NULL);
  g_assert_cmpint (info->rotation % 180, ==, 90);
  g_assert_cmpint (pinfo->rotation, ==, 0);
  g_assert_cmpint (pinfo->width, ==, 100);
  g_assert_cmpint (pinfo->height, ==, 180);
  /* the same upright picture */
  sa = ave_media_source_open (source, &a, &error);
  g_assert_no_error (error);
  sb = ave_media_source_open (proxy, &b, &error);
  g_assert_no_error (error);
  fa = ave_media_source_read_video (sa, &error);
  fb = ave_media_source_read_video (sb, &error);
  g_assert_nonnull (fa);
  g_assert_nonnull (fb);
  for (int y = 0; y < 180; y++)
    for (int x = 0; x < 100; x++)
      {
        double d = (double) fa->data[0][y * fa->linesize[0] + x] - fb->data[0][y * fb->linesize[0] + x];
        sum += d * d;
      }
  g_test_message ("luma PSNR of the upright proxy: %.1f dB",
                  10 * log10 (255.0 * 255.0 / MAX (sum / (100 * 180), 1e-9)));
  g_assert_cmpfloat (10 * log10 (255.0 * 255.0 / MAX (sum / (100 * 180), 1e-9)), >=, 30.0);
}

/* A source that changes (touched, or rewritten with the same size) has a
 * new proxy; the one of what it was is not found. */
static void
test_changed_source (void)
{
  g_autofree char *copy = ave_test_path ("changing.mkv");
  g_autofree char *dir = proxies_dir ("proxies-changed");
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *found = NULL;
  struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000, 0 } };

  ave_test_sh ("cp '%s' '%s'", ave_test_ffmpeg_media ("vfr.mkv",
                                 "-f lavfi -i testsrc2=s=320x240:r=25:d=3 "
                                 "-vf \"setpts='if(lt(N,25),N/25,1+(N-25)*(N-25)/400+(N-25)/13)/TB'\" "
                                 "-fps_mode vfr -c:v libx264 -preset ultrafast -bf 2"), copy);
  first = ave_proxy_make (copy, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  found = ave_proxy_find (copy, BOX_W, BOX_H, dir);
  g_assert_cmpstr (found, ==, first);

  ave_test_sh ("touch '%s'", copy);
  g_assert_null (ave_proxy_find (copy, BOX_W, BOX_H, dir));
  second = ave_proxy_make (copy, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, !=, second);

  /* the same bytes rewritten in place with an old time: a new inode or
   * time, never the proxy of before */
  ave_test_sh ("cp '%s' '%s.new' && mv '%s.new' '%s'", copy, copy, copy, copy);
  g_assert_cmpint (utimensat (AT_FDCWD, copy, times, 0), ==, 0);
  g_assert_null (ave_proxy_find (copy, BOX_W, BOX_H, dir));
  third = ave_proxy_make (copy, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (third, !=, first);
  g_assert_cmpstr (third, !=, second);
}

/* A build stopped half-way leaves nothing in the folder, and nothing is
 * found; the source's own folder gets nothing either. */
static void
test_interrupted_build (void)
{
  const char *source = ave_test_sample ("proxy-talk.mp4", 6.0, 640, 360);
  g_autofree char *dir = proxies_dir ("proxies-stopped");
  g_autofree char *source_dir = g_path_get_dirname (source);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *left = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  AveTestStopAt stop = { cancellable, 0.5, 0.0 };
  char *proxy;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  before = listing (source_dir);
  proxy = ave_proxy_make (source, BOX_W, BOX_H, dir, ave_test_stop_at, &stop, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (proxy);
  g_assert_cmpfloat (stop.seen, >=, 0.5);
  left = listing (dir);
  g_assert_cmpstr (left, ==, "");
  g_assert_null (ave_proxy_find (source, BOX_W, BOX_H, dir));
  after = listing (source_dir);
  g_assert_cmpstr (after, ==, before);
}

/* A link planted where the proxy goes is neither used nor followed: the
 * build replaces the link itself and the file it pointed to is untouched;
 * and the eviction never removes what it did not write. */
static void
test_planted_link (void)
{
  const char *source = ave_test_sample ("proxy-talk.mp4", 6.0, 640, 360);
  g_autofree char *dir = proxies_dir ("proxies-link");
  g_autofree char *victim = ave_test_path ("precious.nut");
  g_autofree char *proxy = NULL;
  g_autofree char *again = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *stranger = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  proxy = ave_proxy_make (source, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* the link in its place, to a file the program must not touch */
  g_assert_true (g_file_set_contents (victim, "precious", -1, NULL));
  g_assert_cmpint (g_unlink (proxy), ==, 0);
  g_assert_cmpint (symlink (victim, proxy), ==, 0);
  g_assert_null (ave_proxy_find (source, BOX_W, BOX_H, dir));
  /* and a file of someone else's in the folder */
  stranger = g_build_filename (dir, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (stranger, "mine", -1, NULL));

  again = ave_proxy_make (source, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, proxy);
  g_assert_cmpint (lstat (again, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_true (g_file_get_contents (victim, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "precious");
  g_assert_true (g_file_test (stranger, G_FILE_TEST_IS_REGULAR));
}

/* Trimming the folder removes the least recently used proxies and
 * nothing else: not a file of someone else's, not a link named like a
 * proxy, not what the link points to, not a folder. */
static void
test_trim (void)
{
  const char *cfr = ave_test_ffmpeg_media ("trim-a.mp4",
                              "-f lavfi -i testsrc2=s=320x180:r=25:d=1 -c:v libx264 -preset ultrafast");
  const char *vfr = ave_test_ffmpeg_media ("trim-b.mp4",
                              "-f lavfi -i testsrc=s=320x180:r=25:d=1 -c:v libx264 -preset ultrafast");
  g_autofree char *dir = proxies_dir ("proxies-trim");
  g_autofree char *victim = ave_test_path ("trim-precious.bin");
  g_autofree char *link = NULL;
  g_autofree char *stranger = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autoptr(GError) error = NULL;
  struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } };

  a = ave_proxy_make (cfr, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  b = ave_proxy_make (vfr, BOX_W, BOX_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* `a` used longest ago */
  g_assert_cmpint (utimensat (AT_FDCWD, a, old, AT_SYMLINK_NOFOLLOW), ==, 0);

  g_assert_true (g_file_set_contents (victim, "precious", -1, NULL));
  link = g_build_filename (dir, "0000000000000000000000000000000000000000000000000000000000000000.nut", NULL);
  g_assert_cmpint (symlink (victim, link), ==, 0);
  stranger = g_build_filename (dir, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (stranger, "mine", -1, NULL));
  folder = g_build_filename (dir, "1111111111111111111111111111111111111111111111111111111111111111.nut", NULL);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);

  /* room for one proxy: the older goes */
  {
    GStatBuf st;
    g_assert_cmpint (g_stat (b, &st), ==, 0);
    ave_proxy_trim (dir, NULL, (guint64) st.st_size);
  }
  g_assert_false (g_file_test (a, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (b, G_FILE_TEST_IS_REGULAR));
  /* room for none, but `b` kept */
  ave_proxy_trim (dir, b, 0);
  g_assert_true (g_file_test (b, G_FILE_TEST_IS_REGULAR));
  ave_proxy_trim (dir, NULL, 0);
  g_assert_false (g_file_test (b, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (victim, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (stranger, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/proxy/constant-rate", test_constant_rate);
  g_test_add_func ("/proxy/variable-rate", test_variable_rate);
  g_test_add_func ("/proxy/rotation", test_rotation);
  g_test_add_func ("/proxy/changed-source", test_changed_source);
  g_test_add_func ("/proxy/interrupted-build", test_interrupted_build);
  g_test_add_func ("/proxy/planted-link", test_planted_link);
  g_test_add_func ("/proxy/trim", test_trim);
  return g_test_run ();
}
