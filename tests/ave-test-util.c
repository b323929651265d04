#define G_LOG_DOMAIN "ave-test"

#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <libavutil/log.h>

#include "ave-test-util.h"
#include "director/ave-plan.h"

static char *tmpdir;

static void
remove_tmpdir (void)
{
  if (tmpdir == NULL || g_getenv ("AVE_TEST_KEEP") != NULL)
    return;
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmpdir);
}

void
ave_test_init (int    *argc,
               char ***argv)
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (argc, argv, NULL);
  av_log_set_level (AV_LOG_ERROR);
  /* sox dithers with a time-seeded generator when it writes 16-bit audio:
   * -R seeds it with a fixed number, so the speech a test makes (and what
   * the recogniser hears in it) is the same on every run. */
  g_setenv ("SOX_OPTS", "-R", FALSE);
}

const char *
ave_test_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      g_autoptr(GError) error = NULL;
      tmpdir = g_dir_make_tmp ("ave-test-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (remove_tmpdir);
    }
  return tmpdir;
}

char *
ave_test_path (const char *name)
{
  return g_build_filename (ave_test_tmpdir (), name, NULL);
}

static int
run_shell (const char  *cmdline,
           char       **out,
           char       **err)
{
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { "/bin/sh", "-c", cmdline, NULL };

  if (!g_spawn_sync (ave_test_tmpdir (), (char **) argv, NULL, G_SPAWN_DEFAULT,
                     NULL, NULL, out, err, &status, &error))
    g_error ("cannot run /bin/sh: %s", error->message);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

static char *
run_or_fail (const char *cmdline)
{
  char *out = NULL;
  g_autofree char *err = NULL;
  int rc = run_shell (cmdline, &out, &err);

  if (rc != 0)
    {
      g_printerr ("command failed (exit %d): %s\n--- stdout\n%s\n--- stderr\n%s\n",
                  rc, cmdline, out ? out : "", err ? err : "");
      g_assert_cmpint (rc, ==, 0);
    }
  return out;
}

void
ave_test_sh (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *cmdline = g_strdup_vprintf (format, args);
  va_end (args);
  g_free (run_or_fail (cmdline));
}

char *
ave_test_sh_output (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *cmdline = g_strdup_vprintf (format, args);
  va_end (args);
  return run_or_fail (cmdline);
}

int
ave_test_sh_status (char **out, char **err, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *cmdline = g_strdup_vprintf (format, args);
  va_end (args);
  return run_shell (cmdline, out, err);
}

const char *
ave_test_source_root (void)
{
  const char *root = g_getenv ("AVE_SOURCE_ROOT");
  g_assert_nonnull (root);
  return root;
}

const char *
ave_test_binary (void)
{
  const char *bin = g_getenv ("AVE_BINARY");
  g_assert_nonnull (bin);
  return bin;
}

const char *
ave_test_ffmpeg_media (const char *name, const char *ffmpeg_args)
{
  static GHashTable *made;
  char *path;

  if (made == NULL)
    made = g_hash_table_new (g_str_hash, g_str_equal);
  path = g_hash_table_lookup (made, name);
  if (path != NULL)
    return path;
  path = ave_test_path (name);
  ave_test_sh ("ffmpeg -v error -nostdin -y %s '%s'", ffmpeg_args, path);
  g_hash_table_insert (made, g_strdup (name), path);
  return path;
}

const char *
ave_test_sample (const char *name, double seconds, int width, int height)
{
  static GHashTable *made;
  char *path;

  if (made == NULL)
    made = g_hash_table_new (g_str_hash, g_str_equal);
  path = g_hash_table_lookup (made, name);
  if (path != NULL)
    return path;

  path = ave_test_path (name);
  ave_test_sh ("'%s/tools/make-sample.sh' --duration %g --size %dx%d '%s'",
               ave_test_source_root (), seconds, width, height, path);
  g_hash_table_insert (made, g_strdup (name), path);
  return path;
}

const char *
ave_test_sync_media (const char *name, const char *encoder_args)
{
  g_autofree char *args = g_strdup_printf (
      "-f lavfi -i \"color=c=black:s=320x240:r=25:d=10,format=yuv420p,"
      "geq=lum='if(eq(mod(N\\,50)\\,25)\\,235\\,16)':cb=128:cr=128\" "
      "-f lavfi -i \"aevalsrc='if(lt(mod(t+1\\,2)\\,0.04)\\,0.5*sin(2*PI*1000*t)\\,0)'"
      ":s=48000:d=10\" %s -shortest", encoder_args);

  return ave_test_ffmpeg_media (name, args);
}

void
ave_test_assert_decodes_cleanly (const char *path)
{
  g_autofree char *err = NULL;
  int status = ave_test_sh_status (NULL, &err, "ffmpeg -nostdin -v error -i '%s' -f null -", path);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (g_strstrip (err), ==, "");
}

GArray *
ave_test_decode_audio (const char *path)
{
  g_autofree char *raw = g_strdup_printf ("%s.f32", path);
  g_autofree char *data = NULL;
  gsize length = 0;
  GArray *samples;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -map 0:a:0 -ac 1 -ar 48000 -f f32le '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  samples = g_array_sized_new (FALSE, FALSE, sizeof (float), (guint) (length / sizeof (float)));
  g_array_append_vals (samples, data, (guint) (length / sizeof (float)));
  return samples;
}

void
ave_test_find_sync_events (const char *path,
                           double      fps,
                           GArray     *white_times,
                           GArray     *beep_times)
{
  /* Luma over a 16x12 downscale of the Y plane: no range conversion. */
  g_autofree char *raw = g_strdup_printf ("%s.luma", path);
  g_autofree char *data = NULL;
  g_autoptr(GArray) samples = ave_test_decode_audio (path);
  const gsize frame_bytes = 16 * 12 * 3 / 2;
  gsize length = 0;
  gboolean was_white = FALSE;
  gint64 last_loud = -G_MAXINT32;
  double peak = 0.0;
  guint frame = 0;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -map 0:v:0 -vf scale=16:12 -pix_fmt yuv420p "
               "-f rawvideo '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  for (gsize off = 0; off + frame_bytes <= length; off += frame_bytes, frame++)
    {
      double sum = 0.0;
      gboolean white;

      for (gsize i = 0; i < 16 * 12; i++)
        sum += (guint8) data[off + i];
      white = sum / (16 * 12) > 128.0;
      if (white && !was_white)
        {
          double t = frame / fps;
          g_array_append_val (white_times, t);
        }
      was_white = white;
    }

  for (guint i = 0; i < samples->len; i++)
    peak = MAX (peak, fabs (g_array_index (samples, float, i)));
  g_assert_cmpfloat (peak, >, 0.05);
  for (guint i = 0; i < samples->len; i++)
    if (fabs (g_array_index (samples, float, i)) > 0.3 * peak)
      {
        /* an onset: loud after at least 0.3 s of quiet */
        if ((gint64) i - last_loud > 48000 * 3 / 10)
          {
            double t = i / 48000.0;
            g_array_append_val (beep_times, t);
          }
        last_loud = i;
      }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

void
ave_test_assert_events_in_sync (const char   *output,
                                gpointer      plan,
                                const double *events,
                                guint         n_events,
                                double        fps,
                                const char   *label)
{
  g_autoptr(GArray) white = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) beep = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (double));
  const double frame = 1.0 / fps;

  for (guint i = 0; i < n_events; i++)
    {
      double t = ave_plan_source_to_output (AVE_PLAN (plan), events[i]);
      g_assert_cmpfloat (t, >=, 0.0);
      g_array_append_val (expected, t);
    }
  g_array_sort (expected, compare_doubles);

  ave_test_find_sync_events (output, fps, white, beep);
  g_assert_cmpuint (white->len, ==, n_events);
  g_assert_cmpuint (beep->len, ==, n_events);
  for (guint i = 0; i < n_events; i++)
    {
      double w = g_array_index (white, double, i);
      double b = g_array_index (beep, double, i);
      double e = g_array_index (expected, double, i);

      g_test_message ("%s: expected %.4f, white %.4f, beep %.4f", label, e, w, b);
      g_assert_cmpfloat (fabs (w - b), <=, frame + 1e-3);
      g_assert_cmpfloat (fabs (w - e), <=, frame + 1e-3);
      g_assert_cmpfloat (fabs (b - e), <=, frame + 1e-3);
    }
}

void
ave_test_stop_at (double   fraction,
                  gpointer data)
{
  AveTestStopAt *stop = data;

  stop->seen = fraction;
  if (fraction >= stop->at)
    g_cancellable_cancel (stop->cancellable);
}
