#define G_LOG_DOMAIN "ave-diagnose"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <glib/gstdio.h>

#include "ave-diagnose.h"
#include "ave-report.h"
#include "compose/ave-composer.h"
#include "compute/ave-compute.h"
#if HAVE_VULKAN
#include "compute/ave-compute-vulkan.h"
#endif

#define WRITE_TEST_BYTES (64u << 20)
#define BENCH_W 640
#define BENCH_H 360
#define BENCH_FRAMES 24

#define SET_NUM(b, k, v)  G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_double_value (b, v); } G_STMT_END
#define SET_INT(b, k, v)  G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define SET_BOOL(b, k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_boolean_value (b, v); } G_STMT_END
#define SET_STR(b, k, v)  G_STMT_START { json_builder_set_member_name (b, k); \
                                         if ((v) != NULL) json_builder_add_string_value (b, v); \
                                         else json_builder_add_null_value (b); } G_STMT_END

typedef struct
{
  guint    cores;
  guint64  ram, ram_available;
  double   load1;
  char    *temp_dir;
  guint64  temp_free;
  double   write_mb_s;       /* < 0: could not be measured */
  char    *write_error;
  gboolean vulkan;
  char    *vulkan_text;      /* device name or why none */
  gboolean x264, aac;
  double   encode_fps_fast, encode_fps_medium;   /* at BENCH_W x BENCH_H */
  double   analysis_fps;                          /* 384-wide analysis frames */
} Facts;

static guint64
meminfo (const char *text, const char *key)
{
  const char *p = text != NULL ? strstr (text, key) : NULL;
  return p != NULL ? g_ascii_strtoull (p + strlen (key), NULL, 10) * 1024 : 0;
}

static void
measure_write_speed (Facts *f)
{
  g_autofree char *path = g_build_filename (f->temp_dir, "ave-diagnose-XXXXXX", NULL);
  g_autofree guint8 *chunk = g_malloc (1 << 20);
  gint64 start;
  int fd;

  /* Not zeros: some file systems compress or skip them. */
  for (guint i = 0; i < (1u << 20); i++)
    chunk[i] = (guint8) (i * 2654435761u >> 13);
  f->write_mb_s = -1;
  fd = g_mkstemp (path);
  if (fd < 0)
    {
      f->write_error = g_strdup_printf ("%s: cannot create a file (%s)", f->temp_dir, g_strerror (errno));
      return;
    }
  start = g_get_monotonic_time ();
  for (guint written = 0; written < WRITE_TEST_BYTES; written += 1 << 20)
    if (write (fd, chunk, 1 << 20) != 1 << 20)
      {
        f->write_error = g_strdup_printf ("%s: write failed (%s)", f->temp_dir, g_strerror (errno));
        break;
      }
  if (f->write_error == NULL && fsync (fd) != 0)
    f->write_error = g_strdup_printf ("%s: fsync failed (%s)", f->temp_dir, g_strerror (errno));
  if (f->write_error == NULL)
    f->write_mb_s = (WRITE_TEST_BYTES / 1e6) / MAX (1e-6, (g_get_monotonic_time () - start) / 1e6);
  close (fd);
  g_unlink (path);
}

static void
check_system (Facts *f)
{
  g_autofree char *mem = NULL;
  g_autofree char *load = NULL;
  struct statvfs vfs;

  f->cores = g_get_num_processors ();
  g_file_get_contents ("/proc/meminfo", &mem, NULL, NULL);
  f->ram = meminfo (mem, "MemTotal:");
  f->ram_available = meminfo (mem, "MemAvailable:");
  if (g_file_get_contents ("/proc/loadavg", &load, NULL, NULL))
    f->load1 = g_ascii_strtod (load, NULL);
  if (statvfs (f->temp_dir, &vfs) == 0)
    f->temp_free = (guint64) vfs.f_bavail * vfs.f_frsize;
  measure_write_speed (f);

#if HAVE_VULKAN
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(AveCompute) vk = ave_compute_vulkan_new (g_getenv ("AVE_VULKAN_DEVICE"), 0, &error);
    f->vulkan = vk != NULL;
    f->vulkan_text = vk != NULL
      ? g_strdup (ave_compute_vulkan_get_device_name (AVE_COMPUTE_VULKAN (vk)))
      : g_strdup (error->message);
  }
#else
  f->vulkan_text = g_strdup ("this build has no Vulkan backend");
#endif
  f->x264 = ave_composer_has_encoder ("libx264");
  f->aac = ave_composer_has_encoder ("aac");
}

static double
measure_analysis (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  const int w = 384, h = 216, n = 48;
  g_autofree guint8 *y = g_malloc ((gsize) w * h * n);
  g_autofree guint8 *uv = g_malloc ((gsize) (w / 2) * (h / 2) * n);
  g_autofree AveYuvFrame *frames = g_new0 (AveYuvFrame, n);
  g_autofree AveFrameStats *stats = g_new0 (AveFrameStats, n);
  gint64 start;

  for (gsize i = 0; i < (gsize) w * h * n; i++)
    y[i] = (guint8) (i * 7 + i / w);
  memset (uv, 128, (gsize) (w / 2) * (h / 2) * n);
  for (int i = 0; i < n; i++)
    frames[i] = (AveYuvFrame) { w, h, y + (gsize) i * w * h, w,
                                uv + (gsize) i * (w / 2) * (h / 2), uv + (gsize) i * (w / 2) * (h / 2), w / 2 };
  start = g_get_monotonic_time ();
  if (!ave_compute_analyze_frames (cpu, NULL, frames, n, stats, NULL))
    return 0;
  return n / MAX (1e-6, (g_get_monotonic_time () - start) / 1e6);
}

static const char *
preset_for_ram (guint64 ram)
{
  double gib = ram / 1073741824.0;
  return gib < 12 ? "8gb" : gib < 24 ? "16gb" : "32gb";
}

static void
suggest (JsonBuilder *b, const char *flag, const char *reason)
{
  json_builder_begin_object (b);
  SET_STR (b, "flag", flag);
  SET_STR (b, "reason", reason);
  json_builder_end_object (b);
}

JsonNode *
ave_diagnose_run (AveDiagnoseFlags   flags,
                  const char        *temp_dir,
                  const char        *metrics_dir,
                  GError           **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) report = NULL;
  Facts f = { 0 };
  /* 1080p frames cost about (1920*1080)/(640*360) = 9 times the bench frames. */
  const double scale_1080p = (1920.0 * 1080.0) / (BENCH_W * BENCH_H);

  f.temp_dir = g_strdup (temp_dir != NULL ? temp_dir : g_get_tmp_dir ());
  if (!g_file_test (f.temp_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no such temp folder; give an existing one with --temp-dir", f.temp_dir);
      g_free (f.temp_dir);
      return NULL;
    }
  if (metrics_dir != NULL && (flags & AVE_DIAGNOSE_BOTTLENECKS))
    {
      report = ave_performance_report_build (metrics_dir, error);
      if (report == NULL)
        {
          g_free (f.temp_dir);
          return NULL;
        }
    }

  /* Suggestions need the machine's facts even when the section is not shown. */
  check_system (&f);
  if (flags & (AVE_DIAGNOSE_BOTTLENECKS | AVE_DIAGNOSE_SUGGESTIONS))
    {
      f.encode_fps_fast = ave_composer_measure_encode_fps ("veryfast", BENCH_W, BENCH_H, BENCH_FRAMES);
      f.encode_fps_medium = ave_composer_measure_encode_fps ("medium", BENCH_W, BENCH_H, BENCH_FRAMES);
      f.analysis_fps = measure_analysis ();
    }

  json_builder_begin_object (b);
  SET_INT (b, "version", 1);

  if (flags & AVE_DIAGNOSE_SYSTEM)
    {
      json_builder_set_member_name (b, "system");
      json_builder_begin_object (b);
      SET_INT (b, "cores", f.cores);
      SET_INT (b, "ram_bytes", f.ram);
      SET_INT (b, "ram_available_bytes", f.ram_available);
      SET_NUM (b, "load_average_1min", f.load1);
      json_builder_set_member_name (b, "temp");
      json_builder_begin_object (b);
      SET_STR (b, "path", f.temp_dir);
      SET_INT (b, "free_bytes", f.temp_free);
      if (f.write_mb_s >= 0)
        SET_NUM (b, "write_mb_per_s", f.write_mb_s);
      else
        SET_STR (b, "write_error", f.write_error);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "vulkan");
      json_builder_begin_object (b);
      SET_BOOL (b, "available", f.vulkan);
      SET_STR (b, f.vulkan ? "device" : "message", f.vulkan_text);
      SET_STR (b, "filter", g_getenv ("AVE_VULKAN_DEVICE"));
      json_builder_end_object (b);
      json_builder_set_member_name (b, "encoders");
      json_builder_begin_object (b);
      SET_BOOL (b, "libx264", f.x264);
      SET_BOOL (b, "aac", f.aac);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }

  if (flags & AVE_DIAGNOSE_BOTTLENECKS)
    {
      double enc_1080 = f.encode_fps_medium / scale_1080p;
      double enc_1080_fast = f.encode_fps_fast / scale_1080p;
      /* Writing 1080p H.264 at ~8 Mbit/s needs 1 MB/s per realtime second. */
      double disk_fps = f.write_mb_s > 0 ? f.write_mb_s / (1.0 / 30) : 0;
      const char *limit = "encoder";
      g_autofree char *why = NULL;

      if (f.analysis_fps > 0 && f.analysis_fps < enc_1080)
        limit = "analysis";
      if (disk_fps > 0 && disk_fps < MIN (enc_1080, f.analysis_fps))
        limit = "storage";
      why = g_strdup_printf ("x264 'medium' encodes ~%.1f 1080p frames/s and 'veryfast' ~%.1f; the analysis kernel "
                             "handles %.0f frames/s; %s is the slowest part of a 1080p render here",
                             enc_1080, enc_1080_fast, f.analysis_fps, limit);

      json_builder_set_member_name (b, "bottlenecks");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "measured");
      json_builder_begin_object (b);
      SET_NUM (b, "encode_fps_1080p_medium", enc_1080);
      SET_NUM (b, "encode_fps_1080p_veryfast", enc_1080_fast);
      SET_NUM (b, "analysis_fps_384px", f.analysis_fps);
      if (f.write_mb_s >= 0)
        SET_NUM (b, "temp_write_mb_per_s", f.write_mb_s);
      json_builder_end_object (b);
      SET_STR (b, "limiting", limit);
      SET_STR (b, "reason", why);
      if (report != NULL)
        {
          JsonObject *bn = json_object_get_object_member (json_node_get_object (report), "bottleneck");
          json_builder_set_member_name (b, "from_metrics");
          json_builder_begin_object (b);
          SET_STR (b, "metrics_dir", metrics_dir);
          SET_STR (b, "stage", json_object_get_string_member_with_default (bn, "stage", NULL));
          SET_STR (b, "reason", json_object_get_string_member_with_default (bn, "reason", NULL));
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }

  if (flags & AVE_DIAGNOSE_SUGGESTIONS)
    {
      const char *preset = preset_for_ram (f.ram);
      g_autofree char *preset_flag = g_strdup_printf ("--preset %s", preset);
      g_autofree char *preset_why = g_strdup_printf ("%.1f GiB of RAM", f.ram / 1073741824.0);
      g_autofree char *mem_flag = g_strdup_printf ("--max-memory %.0f", MAX (1.0, f.ram * 0.75 / 1e9));
      g_autofree char *mem_why = g_strdup_printf ("a budget of three quarters of the RAM leaves room for the desktop (%.1f GiB available now)",
                                                  f.ram_available / 1073741824.0);
      const char *strategy = f.cores <= 2 ? "conservative" : f.cores <= 8 ? "balanced" : "aggressive";
      g_autofree char *strategy_flag = g_strdup_printf ("--parallel-strategy %s", strategy);
      g_autofree char *strategy_why = g_strdup_printf ("%u cores, load average %.2f", f.cores, f.load1);
      GString *command = g_string_new ("ai-video-editor process video.mp4");

      json_builder_set_member_name (b, "suggestions");
      json_builder_begin_object (b);
      SET_STR (b, "preset", preset);
      json_builder_set_member_name (b, "flags");
      json_builder_begin_array (b);
      suggest (b, preset_flag, preset_why);
      g_string_append_printf (command, " %s", preset_flag);
      suggest (b, mem_flag, mem_why);
      g_string_append_printf (command, " %s", mem_flag);
      suggest (b, strategy_flag, strategy_why);
      g_string_append_printf (command, " %s", strategy_flag);
      if (f.encode_fps_medium > 0 && f.encode_fps_medium / scale_1080p < 15)
        {
          g_autofree char *why = g_strdup_printf ("x264 'medium' manages only %.1f 1080p frames/s here; 'medium' quality uses a faster preset",
                                                  f.encode_fps_medium / scale_1080p);
          suggest (b, "--quality medium", why);
          g_string_append (command, " --quality medium");
        }
      if (f.write_mb_s >= 0 && f.write_mb_s < 150)
        {
          g_autofree char *why = g_strdup_printf ("%s writes only %.0f MB/s with fsync: put temporary files on faster storage",
                                                  f.temp_dir, f.write_mb_s);
          suggest (b, "--temp-dir DIR", why);
        }
      if (f.temp_free > 0 && f.temp_free < (guint64) 4 << 30)
        suggest (b, "--cleanup-temp", "less than 4 GiB free in the temp folder");
      if (f.vulkan)
        {
          g_autofree char *why = g_strdup_printf ("Vulkan device found: %s", f.vulkan_text);
          suggest (b, "--enable-gpu", why);
          g_string_append (command, " --enable-gpu");
        }
      suggest (b, "--persistent-cache", "analysing the same recording again (new plan, other quality) then costs almost nothing");
      g_string_append (command, " --persistent-cache");
      json_builder_end_array (b);
      SET_STR (b, "command", command->str);
      json_builder_end_object (b);
      g_string_free (command, TRUE);
    }

  json_builder_end_object (b);
  g_free (f.temp_dir);
  g_free (f.write_error);
  g_free (f.vulkan_text);
  return json_builder_get_root (b);
}

static double
num (JsonObject *o, const char *name)
{
  return o != NULL && json_object_has_member (o, name) ? json_object_get_double_member (o, name) : 0;
}

char *
ave_diagnose_to_text (JsonNode *diagnosis)
{
  JsonObject *root = json_node_get_object (diagnosis);
  GString *out = g_string_new (NULL);

  if (json_object_has_member (root, "system"))
    {
      JsonObject *sys = json_object_get_object_member (root, "system");
      JsonObject *temp = json_object_get_object_member (sys, "temp");
      JsonObject *vk = json_object_get_object_member (sys, "vulkan");
      JsonObject *enc = json_object_get_object_member (sys, "encoders");

      g_string_append (out, "System check\n");
      g_string_append_printf (out, "  CPU cores:     %.0f (load %.2f)\n", num (sys, "cores"), num (sys, "load_average_1min"));
      g_string_append_printf (out, "  RAM:           %.1f GiB (%.1f GiB available)\n",
                              num (sys, "ram_bytes") / 1073741824.0, num (sys, "ram_available_bytes") / 1073741824.0);
      g_string_append_printf (out, "  temp folder:   %s, %.1f GiB free, ", json_object_get_string_member (temp, "path"),
                              num (temp, "free_bytes") / 1073741824.0);
      if (json_object_has_member (temp, "write_mb_per_s"))
        g_string_append_printf (out, "writes %.0f MB/s (64 MiB, fsync)\n", num (temp, "write_mb_per_s"));
      else
        g_string_append_printf (out, "write test failed: %s\n", json_object_get_string_member (temp, "write_error"));
      g_string_append_printf (out, "  Vulkan:        %s\n", json_object_get_boolean_member (vk, "available")
                              ? json_object_get_string_member (vk, "device")
                              : json_object_get_string_member (vk, "message"));
      g_string_append_printf (out, "  encoders:      libx264 %s, aac %s\n",
                              json_object_get_boolean_member (enc, "libx264") ? "yes" : "MISSING",
                              json_object_get_boolean_member (enc, "aac") ? "yes" : "MISSING");
    }
  if (json_object_has_member (root, "bottlenecks"))
    {
      JsonObject *bn = json_object_get_object_member (root, "bottlenecks");

      g_string_append (out, "Bottleneck analysis\n");
      g_string_append_printf (out, "  %s\n", json_object_get_string_member (bn, "reason"));
      if (json_object_has_member (bn, "from_metrics"))
        {
          JsonObject *m = json_object_get_object_member (bn, "from_metrics");
          const char *reason = json_object_get_string_member_with_default (m, "reason", NULL);
          g_string_append_printf (out, "  measured runs: %s\n", reason != NULL ? reason : "no stage ran");
        }
    }
  if (json_object_has_member (root, "suggestions"))
    {
      JsonObject *sg = json_object_get_object_member (root, "suggestions");
      JsonArray *flags = json_object_get_array_member (sg, "flags");

      g_string_append_printf (out, "Optimization suggestions (preset %s)\n", json_object_get_string_member (sg, "preset"));
      for (guint i = 0; i < json_array_get_length (flags); i++)
        {
          JsonObject *f = json_array_get_object_element (flags, i);
          g_string_append_printf (out, "  %-32s %s\n", json_object_get_string_member (f, "flag"),
                                  json_object_get_string_member (f, "reason"));
        }
      g_string_append_printf (out, "  try: %s\n", json_object_get_string_member (sg, "command"));
    }
  return g_string_free (out, FALSE);
}
