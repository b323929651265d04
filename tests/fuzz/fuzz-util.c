#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <libavutil/log.h>

#include "fuzz-util.h"

static char *tmpdir;
static GHashTable *paths;   /* name → path */

static void
remove_tmpdir (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (tmpdir == NULL)
    return;
  /* Flat: the harnesses write files only, no folders. */
  dir = g_dir_open (tmpdir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_remove (path);
    }
  g_rmdir (tmpdir);
}

static GLogWriterOutput
drop_messages (GLogLevelFlags   level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  /* abort(), not GLib's breakpoint trap: libFuzzer saves the input on
   * SIGABRT but dies without a trace on SIGTRAP. */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

void
fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  setlocale (LC_ALL, "C.UTF-8");
  g_log_set_writer_func (drop_messages, NULL, NULL);
  av_log_set_level (AV_LOG_QUIET);
}

const char *
fuzz_path (const char *name)
{
  char *path;

  if (tmpdir == NULL)
    {
      g_autoptr(GError) error = NULL;

      tmpdir = g_dir_make_tmp ("ave-fuzz-XXXXXX", &error);
      if (tmpdir == NULL)
        {
          fprintf (stderr, "fuzz: %s\n", error->message);
          abort ();
        }
      paths = g_hash_table_new (g_str_hash, g_str_equal);
      atexit (remove_tmpdir);
    }
  path = g_hash_table_lookup (paths, name);
  if (path == NULL)
    {
      path = g_build_filename (tmpdir, name, NULL);
      g_hash_table_insert (paths, g_strdup (name), path);
    }
  return path;
}

const char *
fuzz_write_input (const char    *name,
                  const uint8_t *data,
                  size_t         size)
{
  const char *path = fuzz_path (name);
  FILE *f = fopen (path, "wb");

  if (f == NULL || (size > 0 && fwrite (data, 1, size, f) != size) || fclose (f) != 0)
    {
      perror (path);
      abort ();
    }
  return path;
}
