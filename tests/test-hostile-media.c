/* test-hostile-media.c — media files that lie: absurd picture shapes and
 * sizes, timestamps that jump months ahead, and files or output names that
 * would make FFmpeg reach the network.  Each must end in a clear error or
 * a bounded, sane result, never an abort, a huge allocation or a request.
 */
#define G_LOG_DOMAIN "ave-test-hostile-media"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ave-test-util.h"
#include "analysis/ave-analysis.h"
#include "analysis/ave-audio-analyzer.h"
#include "analysis/ave-video-analyzer.h"
#include "compute/ave-compute.h"
#include "core/ave-error.h"
#include "core/ave-settings.h"
#include "media/ave-media.h"

/* ------------------------------------------------------------ helpers */

/* 2 s, 384x216, 25 fps H.264 + mono AAC, a keyframe every second. */
static const char *
plain_mp4 (void)
{
  return ave_test_ffmpeg_media ("plain.mp4",
                                "-f lavfi -i testsrc2=s=384x216:r=25:d=2 "
                                "-f lavfi -i sine=f=440:d=2 "
                                "-c:v libx264 -preset ultrafast -g 25 -bf 0 -pix_fmt yuv420p "
                                "-c:a aac -shortest");
}

typedef struct
{
  guint      n_frames;
  int        width, height;
  double     video_end;
  double     audio_end;
  GPtrArray *warnings;
} ReadResult;

static gboolean
count_frame (const AveAnalysisFrame *frame, gpointer data, GError **error)
{
  ReadResult *r = data;

  r->n_frames++;
  r->width = MAX (r->width, frame->width);
  r->height = MAX (r->height, frame->height);
  r->video_end = MAX (r->video_end, frame->pts + frame->duration);
  return TRUE;
}

static gboolean
count_chunk (const AveAudioChunk *chunk, gpointer data, GError **error)
{
  ReadResult *r = data;

  r->audio_end = MAX (r->audio_end, chunk->pts + (double) chunk->n_mono / AVE_ANALYSIS_SAMPLE_RATE);
  return TRUE;
}

static void
keep_warning (const char *message, gpointer data)
{
  ReadResult *r = data;

  g_ptr_array_add (r->warnings, g_strdup (message));
}

static gboolean
read_at_width (const char  *path,
               int          analysis_width,
               ReadResult  *result,
               GError     **error)
{
  AveMediaReadOptions options = {
    .analysis_width = analysis_width, .frame_step = 1, .want_video = TRUE, .want_audio = TRUE,
  };
  AveMediaReadCallbacks callbacks = {
    .video_frame = count_frame, .audio_chunk = count_chunk, .warning = keep_warning,
  };

  memset (result, 0, sizeof *result);
  result->warnings = g_ptr_array_new_with_free_func (g_free);
  return ave_media_read_for_analysis (path, &options, &callbacks, result, NULL, error);
}

static gboolean
read_all (const char  *path,
          ReadResult  *result,
          GError     **error)
{
  return read_at_width (path, 320, result, error);
}

static gboolean
warnings_mention (GPtrArray *warnings, const char *word)
{
  for (guint i = 0; i < warnings->len; i++)
    if (strstr (g_ptr_array_index (warnings, i), word) != NULL)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------ picture sizes */

/* `-aspect 0.0005` on a 384x216 video: pixels 9:32000, a picture 2000
 * times taller than wide.  It used to abort the process in the reader
 * (g_error allocating a 384x768000 analysis picture). */
static void
test_absurd_aspect (void)
{
  g_autofree char *args = g_strdup_printf ("-i '%s' -c copy -aspect 0.0005", plain_mp4 ());
  const char *path = ave_test_ffmpeg_media ("aspect-1-2000.mp4", args);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (path, &error);
  ReadResult result;

  g_assert_null (info);
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "aspect-1-2000.mp4"));
  g_assert_nonnull (strstr (error->message, "-aspect"));
  g_clear_error (&error);

  /* the analysis reader opens files the same way: an error, no abort */
  g_assert_false (read_all (path, &result, &error));
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT);
  g_assert_cmpuint (result.n_frames, ==, 0);
  g_ptr_array_unref (result.warnings);
}

/* Stored sizes beyond 16384 a side, and stored shapes beyond 16:1, are
 * refused before anything is allocated from them. */
static void
test_absurd_size (void)
{
  const char *wide = ave_test_ffmpeg_media ("16400x16.mkv",
                                            "-f lavfi -i color=c=gray:s=16400x16:r=1:d=1 -c:v ffv1");
  const char *thin = ave_test_ffmpeg_media ("16x640.mkv",
                                            "-f lavfi -i color=c=gray:s=16x640:r=1:d=1 -c:v ffv1");
  const char *fine = ave_test_ffmpeg_media ("16x256.mkv",
                                            "-f lavfi -i color=c=gray:s=16x256:r=1:d=1 -c:v ffv1");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = NULL;

  info = ave_media_probe (wide, &error);
  g_assert_null (info);
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC);
  g_assert_nonnull (strstr (error->message, "16400x16"));
  g_assert_nonnull (strstr (error->message, "16384"));
  g_clear_error (&error);

  info = ave_media_probe (thin, &error);
  g_assert_null (info);
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC);
  g_assert_nonnull (strstr (error->message, "16x640"));
  g_clear_error (&error);

  /* 1:16 exactly is still a picture */
  info = ave_media_probe (fine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->height, ==, 256);
}

/* A caller asking the streaming decoder for pictures beyond the limit (a
 * thumbnail width from a setting, a size from a damaged analysis.json)
 * gets an error instead of a gigabyte allocation. */
static void
test_source_size_bound (void)
{
  AveMediaSourceOptions options = { .want_video = TRUE, .video_width = 20000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaSource) source = ave_media_source_open (plain_mp4 (), &options, &error);

  g_assert_null (source);
  g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "16384"));
}

/* An analysis width from a config file is held to 4096 pixels a side: a
 * batch of a dozen pictures stays allocatable.  100000 used to mean a
 * 100000x56250 analysis picture (g_error when it could not be had). */
static void
test_analysis_size_bound (void)
{
  g_autoptr(GError) error = NULL;
  ReadResult result;

  g_assert_true (read_at_width (plain_mp4 (), 100000, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_frames, ==, 50);
  g_assert_cmpint (result.width, ==, 4096);
  g_assert_cmpint (result.height, ==, 2304);
  g_ptr_array_unref (result.warnings);
}

/* -------------------------------------------------- timestamp jumps */

/* plain.mp4 remuxed to Matroska with the last picture's timestamp moved
 * 10^7 s (115 days) ahead, as in issue #9.  It used to be analysed as a
 * 10,000,002 s video, planned and rendered as such. */
static const char *
video_jump_mkv (void)
{
  g_autofree char *args = g_strdup_printf ("-i '%s' -c copy "
                                           "-bsf:v 'setts=ts=if(eq(N\\,49)\\,TS+10000000/TB\\,TS)'",
                                           plain_mp4 ());

  return ave_test_ffmpeg_media ("video-jump.mkv", args);
}

static void
test_video_timestamp_jump (void)
{
  const char *path = video_jump_mkv ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (path, &error);
  ReadResult result;

  /* the container's own total believes the jump */
  g_assert_no_error (error);
  g_assert_cmpfloat (info->duration, >, 1e7);

  g_assert_true (read_all (path, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_frames, ==, 49);
  g_assert_cmpfloat (result.video_end, <, 2.1);
  g_assert_cmpfloat (result.audio_end, <, 2.1);
  g_assert_true (warnings_mention (result.warnings, "timestamps jump"));
  /* not reported as a truncated file as well */
  g_assert_false (warnings_mention (result.warnings, "ends early"));
  g_ptr_array_unref (result.warnings);
}

/* The sound's timestamps jump 10^7 s ahead after 1 s.  Followed, the
 * audio analysis filled 16 kHz × 10^7 s of silence (it never finished). */
static void
test_audio_timestamp_jump (void)
{
  const char *plain = ave_test_ffmpeg_media ("audio-plain.mka", "-f lavfi -i sine=f=440:d=2 -c:a aac");
  g_autofree char *args = g_strdup_printf ("-i '%s' -c copy "
                                           "-bsf:a 'setts=ts=if(gt(N\\,43)\\,TS+10000000/TB\\,TS)'",
                                           plain);
  const char *path = ave_test_ffmpeg_media ("audio-jump.mka", args);
  g_autoptr(GError) error = NULL;
  ReadResult result;

  g_assert_true (read_all (path, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (result.audio_end, >, 0.9);
  g_assert_cmpfloat (result.audio_end, <, 1.2);
  g_assert_true (warnings_mention (result.warnings, "timestamps jump"));
  g_ptr_array_unref (result.warnings);
}

/* The whole chain: `analyze` on the file finishes with a sane duration
 * and says why in analysis.json's warnings. */
static void
test_jump_analyze_cli (void)
{
  const char *path = video_jump_mkv ();
  g_autofree char *out_dir = ave_test_path ("jump-out");
  g_autofree char *json_path = g_build_filename (out_dir, "video-jump", "analysis.json", NULL);
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *media;
  JsonArray *warnings, *highlights;
  gboolean found = FALSE;

  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' analyze '%s' -o '%s'",
                                       ave_test_binary (), path, out_dir), ==, 0);
  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  media = json_object_get_object_member (root, "media");
  g_assert_cmpfloat (json_object_get_double_member (media, "duration"), <, 2.1);
  g_assert_cmpfloat (json_object_get_double_member (media, "duration"), >, 1.9);
  highlights = json_object_get_array_member (root, "highlights");
  g_assert_cmpuint (json_array_get_length (highlights), <=, 3);
  warnings = json_object_get_array_member (root, "warnings");
  for (guint i = 0; i < json_array_get_length (warnings); i++)
    found |= strstr (json_array_get_string_element (warnings, i), "timestamps jump") != NULL;
  g_assert_true (found);
}

/* Highlight windows are counted over the frames seen: two frames 10^12 s
 * apart used to ask for 10^12 windows (the (guint) cast wrapped, or the
 * allocation failed). */
static void
test_highlights_by_frames (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveVideoAnalyzer) analyzer = ave_video_analyzer_new (settings, NULL, cpu);
  g_autoptr(AveAnalysis) analysis = ave_analysis_new ("far", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *y = g_malloc (64 * 36);
  g_autofree guint8 *uv = g_malloc (32 * 18);
  const double times[] = { 0.0, 0.04, 1e12, 1e12 + 0.04 };

  memset (y, 120, 64 * 36);
  memset (uv, 128, 32 * 18);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      AveAnalysisFrame frame = {
        .index = i, .pts = times[i], .duration = 0.04, .width = 64, .height = 36,
        .y = y, .y_stride = 64, .u = uv, .v = uv, .uv_stride = 32,
      };

      y[i] = 200;   /* not all identical */
      g_assert_true (ave_video_analyzer_push (analyzer, &frame, &error));
      g_assert_no_error (error);
    }
  g_assert_true (ave_video_analyzer_finish (analyzer, analysis, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (analysis->highlights->len, ==, 2);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->highlights, AveHighlight, 0).time, 0.5, 1e-9);
  g_assert_cmpfloat (g_array_index (analysis->highlights, AveHighlight, 1).time, >=, 1e12);
}

/* The audio analyser refuses a chunk far ahead instead of analysing the
 * months of silence in between. */
static void
test_audio_analyzer_gap_bound (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAudioAnalyzer) analyzer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *silence = g_new0 (float, AVE_ANALYSIS_SAMPLE_RATE);
  AveAudioChunk chunk = { .mono = silence, .n_mono = AVE_ANALYSIS_SAMPLE_RATE };

  settings->transcribe = FALSE;
  analyzer = ave_audio_analyzer_new (settings, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ave_audio_analyzer_push (analyzer, &chunk, &error));
  chunk.pts = 1e7;
  g_assert_false (ave_audio_analyzer_push (analyzer, &chunk, &error));
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED);
}

/* ------------------------------------------------------- local only */

/* A listening socket on 127.0.0.1 that is never served: connections
 * wait in its backlog and are counted afterwards. */
static GSocket *
listen_local (guint16 *port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, any_port, TRUE, &error));
  g_socket_set_listen_backlog (sock, 64);
  g_assert_true (g_socket_listen (sock, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_blocking (sock, FALSE);
  return sock;
}

static guint
count_connections (GSocket *sock)
{
  guint n = 0;

  for (;;)
    {
      g_autoptr(GSocket) client = g_socket_accept (sock, NULL, NULL);

      if (client == NULL)
        return n;
      n++;
    }
}

static void
write_text (const char *name, const char *text, char **path_out)
{
  g_autofree char *path = ave_test_path (name);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  *path_out = g_steal_pointer (&path);
}

/* Playlists and concat scripts that name http://127.0.0.1:PORT/, under
 * their own names and renamed to .mp4: refused as "not a single
 * recording", and nothing connects. */
static void
test_references_refused (void)
{
  guint16 port;
  g_autoptr(GSocket) listener = listen_local (&port);
  g_autofree char *hls = g_strdup_printf ("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
                                          "#EXTINF:10.0,\nhttp://127.0.0.1:%u/x.ts\n#EXT-X-ENDLIST\n",
                                          port);
  g_autofree char *concat = g_strdup_printf ("ffconcat version 1.0\nfile http://127.0.0.1:%u/y.mp4\n", port);
  const char *names[] = { "list.m3u8", "list-m3u8.mp4", "list.ffconcat", "list-ffconcat.mp4" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(AveMediaInfo) info = NULL;
      ReadResult result;

      write_text (names[i], i < 2 ? hls : concat, &path);
      info = ave_media_probe (path, &error);
      g_assert_null (info);
      g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA);
      g_assert_nonnull (strstr (error->message, names[i]));
      g_assert_nonnull (strstr (error->message, "not a single recording"));
      g_clear_error (&error);
      g_assert_false (read_all (path, &result, &error));
      g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA);
      g_ptr_array_unref (result.warnings);
    }
  g_assert_cmpuint (count_connections (listener), ==, 0);
}

/* A name that looks like a URL is a local file: the folder
 * "http:/127.0.0.1:PORT/" in the current folder.  FFmpeg used to take
 * "http://127.0.0.1:PORT/x.mp4" as an address and connect. */
static void
test_url_named_input_is_local (void)
{
  guint16 port;
  g_autoptr(GSocket) listener = listen_local (&port);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *dir = g_strdup_printf ("%s/http:/127.0.0.1:%u", ave_test_tmpdir (), port);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/x.mp4", port);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = NULL;
  ReadResult result;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  ave_test_sh ("cp '%s' '%s/x.mp4'", plain_mp4 (), dir);
  g_assert_cmpint (g_chdir (ave_test_tmpdir ()), ==, 0);

  info = ave_media_probe (url, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->width, ==, 384);
  g_assert_true (read_all (url, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_frames, ==, 50);
  g_ptr_array_unref (result.warnings);

  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_assert_cmpuint (count_connections (listener), ==, 0);
}

/* `-o http://127.0.0.1:PORT/out` and `-o pipe:1` are folders like any
 * other: the video is written there, not sent to the address or to
 * standard output. */
static void
test_url_named_output_is_local (void)
{
  guint16 port;
  g_autoptr(GSocket) listener = listen_local (&port);
  g_autofree char *http = g_strdup_printf ("http://127.0.0.1:%u/out", port);
  const char *outputs[] = { http, "pipe:1" };

  for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
    {
      const char *out = outputs[i];
      g_autofree char *stdout_text = NULL;
      g_autofree char *err = NULL;
      g_autofree char *final = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(AveMediaInfo) info = NULL;
      int status;

      status = ave_test_sh_status (&stdout_text, &err,
                                   "cd '%s' && '%s' process '%s' -o '%s'",
                                   ave_test_tmpdir (), ave_test_binary (), plain_mp4 (), out);
      if (status != 0)
        g_printerr ("%s\n", err);
      g_assert_cmpint (status, ==, 0);
      /* FFmpeg writes no MP4 bytes to standard output */
      g_assert_null (strstr (stdout_text, "ftyp"));
      final = g_strdup_printf ("%s/%s/plain/final.mp4", ave_test_tmpdir (), out);
      info = ave_media_probe (final, &error);
      g_assert_no_error (error);
      g_assert_true (info->has_video);
    }
  g_assert_cmpuint (count_connections (listener), ==, 0);
}

int
main (int argc, char *argv[])
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/hostile-media/absurd-aspect", test_absurd_aspect);
  g_test_add_func ("/engine/hostile-media/absurd-size", test_absurd_size);
  g_test_add_func ("/engine/hostile-media/source-size-bound", test_source_size_bound);
  g_test_add_func ("/engine/hostile-media/analysis-size-bound", test_analysis_size_bound);
  g_test_add_func ("/engine/hostile-media/video-timestamp-jump", test_video_timestamp_jump);
  g_test_add_func ("/engine/hostile-media/audio-timestamp-jump", test_audio_timestamp_jump);
  g_test_add_func ("/engine/hostile-media/jump-analyze-cli", test_jump_analyze_cli);
  g_test_add_func ("/engine/hostile-media/highlights-by-frames", test_highlights_by_frames);
  g_test_add_func ("/engine/hostile-media/audio-analyzer-gap-bound", test_audio_analyzer_gap_bound);
  g_test_add_func ("/engine/hostile-media/references-refused", test_references_refused);
  g_test_add_func ("/engine/hostile-media/url-named-input-is-local", test_url_named_input_is_local);
  g_test_add_func ("/engine/hostile-media/url-named-output-is-local", test_url_named_output_is_local);

  return g_test_run ();
}
