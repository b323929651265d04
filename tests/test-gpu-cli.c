/* test-gpu-cli.c — --enable-gpu from the command line, on Mesa's CPU Vulkan
 * device (lavapipe): the same shots as the CPU path, a render that matches
 * the CPU render, the device named on stderr, and a clear fallback when no
 * device matches. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "ave-test-util.h"

static JsonArray *
load_shots (const char *analysis_path, JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, analysis_path, &error));
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "shots");
}

static void
test_analyze_same_shots (void)
{
  const char *sample = ave_test_sample ("gpu.mp4", 8, 320, 180);
  g_autofree char *cpu_dir = ave_test_path ("cpu");
  g_autofree char *gpu_dir = ave_test_path ("gpu");
  g_autofree char *sws_dir = ave_test_path ("cpu-swscale");
  g_autofree char *cpu_json = g_build_filename (cpu_dir, "gpu", "analysis.json", NULL);
  g_autofree char *gpu_json = g_build_filename (gpu_dir, "gpu", "analysis.json", NULL);
  g_autofree char *sws_json = g_build_filename (sws_dir, "gpu", "analysis.json", NULL);
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  g_autoptr(JsonParser) p3 = json_parser_new ();
  JsonArray *a, *b, *c;

  /* The GPU path downscales the decoded pictures with the scale kernel; the
   * CPU path does so too when asked (by default swscale does it there,
   * which is faster on the CPU): then every number must be the same. */
  ave_test_sh ("AVE_ANALYSIS_SCALER=compute '%s' analyze '%s' -o '%s'", ave_test_binary (), sample, cpu_dir);
  ave_test_sh ("'%s' analyze '%s' -o '%s'", ave_test_binary (), sample, sws_dir);
  g_assert_cmpint (ave_test_sh_status (NULL, &err, "AVE_VULKAN_DEVICE=llvmpipe '%s' analyze --enable-gpu '%s' -o '%s'",
                                       ave_test_binary (), sample, gpu_dir), ==, 0);
  /* the run names the device it used */
  if (strstr (err, "llvmpipe") == NULL)
    g_error ("expected the Vulkan device on stderr: %s", err);

  a = load_shots (cpu_json, p1);
  b = load_shots (gpu_json, p2);
  g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
  g_assert_cmpuint (json_array_get_length (a), >=, 2);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *sa = json_array_get_object_element (a, i);
      JsonObject *sb = json_array_get_object_element (b, i);
      /* integer kernels: the very same numbers */
      g_assert_cmpfloat (json_object_get_double_member (sa, "start"), ==, json_object_get_double_member (sb, "start"));
      g_assert_cmpfloat (json_object_get_double_member (sa, "sharpness"), ==, json_object_get_double_member (sb, "sharpness"));
      g_assert_cmpfloat (json_object_get_double_member (sa, "exposure"), ==, json_object_get_double_member (sb, "exposure"));
    }
  g_assert_nonnull (strstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (p2)), "compute_backend"), "vulkan"));

  /* the default CPU path (swscale's fast bilinear): the same shots, scores
   * within a small margin of the kernel's bilinear */
  c = load_shots (sws_json, p3);
  g_assert_cmpuint (json_array_get_length (c), ==, json_array_get_length (a));
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *sa = json_array_get_object_element (a, i);
      JsonObject *sc = json_array_get_object_element (c, i);

      g_assert_cmpfloat (json_object_get_double_member (sa, "start"), ==, json_object_get_double_member (sc, "start"));
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (sa, "sharpness"),
                                      json_object_get_double_member (sc, "sharpness"), 0.03);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (sa, "exposure"),
                                      json_object_get_double_member (sc, "exposure"), 0.03);
    }
}

static double
psnr (const char *a, const char *b)
{
  g_autofree char *err = NULL;
  const char *avg;

  ave_test_sh_status (NULL, &err, "ffmpeg -nostdin -i '%s' -i '%s' -lavfi psnr -f null -", a, b);
  avg = strstr (err, "average:");
  g_assert_nonnull (avg);
  avg += strlen ("average:");
  if (g_str_has_prefix (avg, "inf"))
    return INFINITY;
  return g_ascii_strtod (avg, NULL);
}

static void
test_process_matches_cpu (void)
{
  const char *sample = ave_test_sample ("gpu.mp4", 8, 320, 180);
  g_autofree char *cpu_dir = ave_test_path ("cpu-process");
  g_autofree char *gpu_dir = ave_test_path ("gpu-process");
  g_autofree char *cpu_mp4 = g_build_filename (cpu_dir, "gpu", "final.mp4", NULL);
  g_autofree char *gpu_mp4 = g_build_filename (gpu_dir, "gpu", "final.mp4", NULL);
  double value;

  /* balanced mode: crossfades go through the blend kernel */
  ave_test_sh ("'%s' process '%s' -o '%s'", ave_test_binary (), sample, cpu_dir);
  ave_test_sh ("AVE_VULKAN_DEVICE=llvmpipe '%s' process --enable-gpu '%s' -o '%s'", ave_test_binary (), sample, gpu_dir);
  value = psnr (cpu_mp4, gpu_mp4);
  /* docs/compute.md: kernels are exact, so the renders are expected to be
   * identical; 50 dB is the documented floor. */
  g_test_message ("PSNR GPU vs CPU render: %g dB", value);
  g_assert_cmpfloat (value, >=, 50.0);
}

/* How many times the run's compute backend ran `kernel` (the metrics'
 * last line, "gpu": {"kernel_calls": ...}). */
static gint64
kernel_calls (const char *metrics_dir,
              const char *kernel)
{
  g_autofree char *out = ave_test_sh_output ("tail -n 1 '%s'/*.jsonl | python3 -c 'import json, sys; "
                                             "print(json.loads(sys.stdin.read())[\"gpu\"][\"kernel_calls\"][\"%s\"])'",
                                             metrics_dir, kernel);
  return g_ascii_strtoll (g_strstrip (out), NULL, 10);
}

static char *
video_md5 (const char *path)
{
  g_autofree char *out = ave_test_sh_output ("ffmpeg -v error -nostdin -i '%s' -map 0:v -f md5 -", path);
  return g_strdup (g_strstrip (out));
}

/* --resolution: the composer scales each decoded picture.  With
 * --enable-gpu the scale kernel does it on the device; on the CPU
 * AVE_COMPOSE_SCALER=compute runs the same kernel, so the two renders
 * decode to the same pictures; the CPU default (swscale's bicubic) is
 * close to them (the stated tolerance: PSNR >= 38 dB). */
static void
test_process_scaled (void)
{
  const char *sample = ave_test_sample ("gpu-scaled.mp4", 8, 640, 360);
  const char *runs[] = { "sws", "kernel", "gpu" };
  g_autofree char *mp4[3] = { NULL };
  g_autofree char *metrics[3] = { NULL };
  g_autofree char *md5_kernel = NULL;
  g_autofree char *md5_gpu = NULL;
  g_autofree char *size = NULL;
  double value;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *dir = g_strdup_printf ("scaled-%s", runs[i]);
      g_autofree char *out = ave_test_path (dir);
      g_autofree char *m = g_strdup_printf ("scaled-metrics-%s", runs[i]);

      metrics[i] = ave_test_path (m);
      mp4[i] = g_build_filename (out, "gpu-scaled", "final.mp4", NULL);
      ave_test_sh ("%s '%s' process %s --resolution 180p '%s' -o '%s' --metrics-output '%s'",
                   i == 0 ? "" : i == 1 ? "AVE_COMPOSE_SCALER=compute" : "AVE_VULKAN_DEVICE=llvmpipe",
                   ave_test_binary (), i == 2 ? "--enable-gpu" : "", sample, out, metrics[i]);
    }

  size = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries stream=width,height "
                             "-of csv=p=0 '%s'", mp4[2]);
  g_assert_cmpstr (g_strstrip (size), ==, "320,180");
  /* the composer's pictures went through the kernel (the CPU analysis
   * scales with swscale, so every CPU call here is the composer's) */
  g_assert_cmpint (kernel_calls (metrics[0], "scale"), ==, 0);
  g_assert_cmpint (kernel_calls (metrics[1], "scale"), >=, 25 * 4);
  g_assert_cmpint (kernel_calls (metrics[2], "scale"), >, kernel_calls (metrics[1], "scale"));

  md5_kernel = video_md5 (mp4[1]);
  md5_gpu = video_md5 (mp4[2]);
  g_assert_cmpstr (md5_kernel, ==, md5_gpu);
  value = psnr (mp4[0], mp4[2]);
  g_test_message ("PSNR GPU (bilinear kernel) vs CPU default (swscale bicubic): %g dB", value);
  g_assert_cmpfloat (value, >=, 38.0);
}

/* A number from the metrics' last line, by its path in the JSON. */
static gint64
metric (const char *metrics_dir,
        const char *path)
{
  g_autofree char *out = ave_test_sh_output ("tail -n 1 '%s'/*.jsonl | python3 -c 'import json, sys; "
                                             "v = json.loads(sys.stdin.read())\n"
                                             "for k in \"%s\".split(\".\"): v = v[k]\n"
                                             "print(v)'",
                                             metrics_dir, path);
  return g_ascii_strtoll (g_strstrip (out), NULL, 10);
}

/* With --enable-gpu on the discrete-GPU path (device-local buffers, every
 * byte copied over the bus), the analysis uploads each decoded picture
 * once and downloads only statistics: the scaled frames stay on the
 * device between the scale and the analysis. */
static void
test_analyze_traffic (void)
{
  const char *sample = ave_test_sample ("gpu-scaled.mp4", 8, 640, 360);
  g_autofree char *out = ave_test_path ("traffic");
  g_autofree char *metrics = ave_test_path ("traffic-metrics");
  /* one 640x360 4:2:0 picture, as the device receives it */
  const gint64 picture = 640 * 360 * 3 / 2;
  gint64 scaled, analysed, up, down;

  ave_test_sh ("AVE_VULKAN_STAGING=1 AVE_VULKAN_DEVICE=llvmpipe '%s' analyze --enable-gpu '%s' -o '%s' "
               "--metrics-output '%s'", ave_test_binary (), sample, out, metrics);
  scaled = metric (metrics, "gpu.kernel_calls.scale");
  analysed = metric (metrics, "gpu.kernel_calls.analyze_frames");
  up = metric (metrics, "gpu.vulkan.upload_bytes");
  down = metric (metrics, "gpu.vulkan.download_bytes");
  g_test_message ("%" G_GINT64_FORMAT " pictures scaled, %" G_GINT64_FORMAT " frames analysed, "
                  "%" G_GINT64_FORMAT " bytes up (%.3f pictures each), %" G_GINT64_FORMAT " down (%.2f %%)",
                  scaled, analysed, up, (double) up / MAX (scaled, 1) / picture, down, 100.0 * down / MAX (up, 1));

  /* every analysed picture came at its decoded size and was scaled */
  g_assert_cmpint (scaled, >=, 8 * 25 / 3);
  g_assert_cmpint (analysed, >=, scaled);
  /* each picture went up once (and the scale tables, 0.1 % of it) */
  g_assert_cmpint (up, >=, scaled * picture);
  g_assert_cmpint (up, <=, scaled * picture * 105 / 100);
  /* what came down is statistics: a round trip of the scaled frames alone
   * would be a third of the upload */
  g_assert_cmpint (down, >, 0);
  g_assert_cmpint (down, <, up / 20);
}

/* A render that composes on the device (--resolution scales every
 * picture; a title card crossfades in and out; a lower third fades in
 * and out over it), on the discrete-GPU path: each composed frame is one
 * chain that downloads only the finished frame, so what comes down is
 * about one output frame per frame (the analysis' statistics add a
 * little); and the pictures are those of the same kernels on the CPU. */
static void
test_process_compose_traffic (void)
{
  const char *sample = ave_test_sample ("gpu-scaled.mp4", 8, 640, 360);
  g_autofree char *first = ave_test_path ("chain-plan");
  g_autofree char *plan = ave_test_path ("chain-plan.json");
  g_autofree char *cpu_dir = ave_test_path ("chain-cpu");
  g_autofree char *gpu_dir = ave_test_path ("chain-gpu");
  g_autofree char *metrics = ave_test_path ("chain-metrics");
  g_autofree char *cpu_mp4 = g_build_filename (cpu_dir, "gpu-scaled", "final.mp4", NULL);
  g_autofree char *gpu_mp4 = g_build_filename (gpu_dir, "gpu-scaled", "final.mp4", NULL);
  g_autofree char *md5_cpu = NULL;
  g_autofree char *md5_gpu = NULL;
  g_autofree char *frames_out = NULL;
  /* one 320x180 4:2:0 frame as the device holds it (rows of whole words) */
  const gint64 frame = 4 * (80 * 180 + 2 * 40 * 90);
  gint64 n_frames, scaled, blended, overlaid, down;

  ave_test_sh ("'%s' process '%s' -o '%s' >/dev/null", ave_test_binary (), sample, first);
  ave_test_sh ("python3 - '%s'/gpu-scaled/plan.json '%s' <<'PY'\n"
               "import json, os, sys\n"
               "plan = json.load(open(sys.argv[1]))\n"
               "plan['source'] = os.path.normpath(os.path.join(os.path.dirname(sys.argv[1]), plan['source']))\n"
               "plan.setdefault('cards', []).append({'kind': 'title', 'title': 'Part Two', 'style': 'accent',\n"
               "    'insert_before': 0, 'duration': 3, 'transition': 'crossfade', 'transition_duration': 1.5})\n"
               "plan['cards'].append({'kind': 'overlay', 'title': 'Lower third', 'time': 1.0,\n"
               "    'duration': 4, 'x': 0.05, 'y': 0.7, 'width': 0.6, 'height': 0.2, 'opacity': 0.8,\n"
               "    'transition': 'fade', 'transition_duration': 0.5})\n"
               "json.dump(plan, open(sys.argv[2], 'w'))\n"
               "PY", first, plan);

  ave_test_sh ("AVE_COMPOSE_SCALER=compute '%s' process '%s' --plan '%s' --resolution 180p -o '%s' >/dev/null",
               ave_test_binary (), sample, plan, cpu_dir);
  ave_test_sh ("AVE_VULKAN_STAGING=1 AVE_VULKAN_DEVICE=llvmpipe '%s' process --enable-gpu '%s' --plan '%s' "
               "--resolution 180p -o '%s' --metrics-output '%s' >/dev/null 2>&1",
               ave_test_binary (), sample, plan, gpu_dir, metrics);

  frames_out = ave_test_sh_output ("ffprobe -v error -count_frames -select_streams v:0 "
                                   "-show_entries stream=nb_read_frames -of csv=p=0 '%s'", gpu_mp4);
  n_frames = g_ascii_strtoll (g_strstrip (frames_out), NULL, 10);
  scaled = metric (metrics, "gpu.kernel_calls.scale");
  blended = metric (metrics, "gpu.kernel_calls.blend");
  overlaid = metric (metrics, "gpu.kernel_calls.overlay_rgba");
  down = metric (metrics, "gpu.vulkan.download_bytes");
  g_test_message ("%" G_GINT64_FORMAT " frames: %" G_GINT64_FORMAT " scales, %" G_GINT64_FORMAT " blends, %"
                  G_GINT64_FORMAT " overlays on the device, %" G_GINT64_FORMAT " bytes down (%.3f frames each)",
                  n_frames, scaled, blended, overlaid, down, (double) down / MAX (n_frames, 1) / frame);

  /* the render did compose on the device: crossfades and the lower third */
  g_assert_cmpint (n_frames, >=, 10 * 25 - 5);
  g_assert_cmpint (scaled, >=, n_frames);
  g_assert_cmpint (blended, >=, 25);
  g_assert_cmpint (overlaid, >=, 3 * 25);
  /* at most one frame down per output frame, the analysis' statistics
   * included (the card's frames between its crossfades need no work):
   * separate kernels bring a frame down per scale and per blend, and
   * the lower third's rectangle per overlay, 1.07 frames each here */
  g_assert_cmpint (down, >=, (n_frames - 3 * 25) * frame);
  g_assert_cmpint (down, <=, n_frames * frame);

  md5_cpu = video_md5 (cpu_mp4);
  md5_gpu = video_md5 (gpu_mp4);
  g_assert_cmpstr (md5_cpu, ==, md5_gpu);
}

static void
test_fallback_notice (void)
{
  const char *sample = ave_test_sample ("gpu.mp4", 8, 320, 180);
  g_autofree char *dir = ave_test_path ("fallback");
  g_autofree char *err = NULL;

  g_assert_cmpint (ave_test_sh_status (NULL, &err, "AVE_VULKAN_DEVICE=no-such-device '%s' analyze --enable-gpu '%s' -o '%s'",
                                       ave_test_binary (), sample, dir), ==, 0);
  if (strstr (err, "CPU path") == NULL)
    g_error ("expected a one-line notice about the CPU path: %s", err);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/gpu-cli/analyze-same-shots", test_analyze_same_shots);
  g_test_add_func ("/gpu-cli/process-matches-cpu", test_process_matches_cpu);
  g_test_add_func ("/gpu-cli/process-scaled", test_process_scaled);
  g_test_add_func ("/gpu-cli/analyze-traffic", test_analyze_traffic);
  g_test_add_func ("/gpu-cli/process-compose-traffic", test_process_compose_traffic);
  g_test_add_func ("/gpu-cli/fallback-notice", test_fallback_notice);

  return g_test_run ();
}
