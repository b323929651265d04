#define G_LOG_DOMAIN "ave-test"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <libavutil/log.h>

#include "ave-test-util.h"

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
