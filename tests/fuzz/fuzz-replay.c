/* fuzz-replay.c — the main() of a harness outside libFuzzer: runs every
 * file named on the command line (folders: every file in them, sorted)
 * through LLVMFuzzerTestOneInput once.  The test suite uses it to replay
 * the seed corpora and every input that once crashed (regressions/), so
 * that a fixed crash stays fixed in the normal and the sanitized build.
 *
 *   fuzz-NAME-replay [--media-seeds LIST] FILE|DIR...
 *
 * --media-seeds generates the media of LIST (lines "name ffmpeg-args",
 * see media-seeds.txt) with ffmpeg first and replays them too: generated
 * media is never committed.  Fails when there is nothing to replay.
 */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "fuzz-util.h"

static guint n_replayed;

/* Binary seeds are committed as hex text (*.hex, whitespace ignored). */
static GBytes *
decode_hex (const char *path,
            const char *text,
            gsize       size)
{
  GByteArray *bytes = g_byte_array_new ();
  int high = -1;

  for (gsize i = 0; i < size; i++)
    {
      int digit = g_ascii_xdigit_value (text[i]);
      guint8 byte;

      if (g_ascii_isspace (text[i]))
        continue;
      if (digit < 0)
        {
          fprintf (stderr, "replay: %s: not hex at byte %" G_GSIZE_FORMAT "\n", path, i);
          exit (1);
        }
      if (high < 0)
        {
          high = digit;
          continue;
        }
      byte = (guint8) (high << 4 | digit);
      g_byte_array_append (bytes, &byte, 1);
      high = -1;
    }
  return g_byte_array_free_to_bytes (bytes);
}

/* Never NULL, as from libFuzzer, even for an empty input. */
static guint8 *
exact_copy (gconstpointer data,
            gsize         size)
{
  guint8 *copy = g_malloc (MAX (size, 1));

  if (size > 0)
    memcpy (copy, data, size);
  return copy;
}

static void
replay_file (const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;

  if (!g_file_get_contents (path, &data, &size, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      exit (1);
    }
  if (g_str_has_suffix (path, ".hex"))
    {
      g_autoptr(GBytes) bytes = decode_hex (path, data, size);
      gsize n;
      const guint8 *raw = g_bytes_get_data (bytes, &n);
      /* A copy of exactly n bytes, so that ASan sees reads past the end. */
      g_autofree guint8 *copy = exact_copy (raw, n);

      printf ("replay: %s (%" G_GSIZE_FORMAT " bytes decoded)\n", path, n);
      fflush (stdout);
      LLVMFuzzerTestOneInput (copy, n);
      n_replayed++;
      return;
    }
  /* Exactly `size` bytes (g_file_get_contents adds a NUL): a parser that
   * reads past the end is caught by ASan. */
  {
    g_autofree guint8 *copy = exact_copy (data, size);

    printf ("replay: %s (%" G_GSIZE_FORMAT " bytes)\n", path, size);
    fflush (stdout);
    LLVMFuzzerTestOneInput (copy, size);
  }
  n_replayed++;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
replay_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      fprintf (stderr, "replay: cannot read the folder %s\n", path);
      exit (1);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.' && g_strcmp0 (name, "README") != 0)
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    replay_file (g_ptr_array_index (names, i));
}

static void
replay_path (const char *path)
{
  /* A harness with no regressions yet has no regressions/ folder. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    printf ("replay: %s: none\n", path);
  else if (g_file_test (path, G_FILE_TEST_IS_DIR))
    replay_dir (path);
  else
    replay_file (path);
}

/* Each line: a file name and the ffmpeg arguments that make it. */
static void
replay_media_seeds (const char *list)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (list, &text, NULL, &error) ||
      (dir = g_dir_make_tmp ("ave-fuzz-seeds-XXXXXX", &error)) == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      exit (1);
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmd = NULL;
      g_autofree char *err = NULL;
      char *line = g_strstrip (lines[i]);
      char *args;
      int status;

      if (line[0] == '\0' || line[0] == '#')
        continue;
      args = strchr (line, ' ');
      if (args == NULL)
        {
          fprintf (stderr, "replay: %s: line \"%s\" has no ffmpeg arguments\n", list, line);
          exit (1);
        }
      *args++ = '\0';
      path = g_build_filename (dir, line, NULL);
      cmd = g_strdup_printf ("ffmpeg -nostdin -hide_banner -v error -y %s '%s'", args, path);
      if (!g_spawn_command_line_sync (cmd, NULL, &err, &status, &error) ||
          !g_spawn_check_wait_status (status, &error))
        {
          fprintf (stderr, "replay: %s: %s\n%s\n", cmd, error->message, err ? err : "");
          exit (1);
        }
      replay_file (path);
      g_remove (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--media-seeds") && i + 1 < argc)
        replay_media_seeds (argv[++i]);
      else
        replay_path (argv[i]);
    }
  if (n_replayed == 0)
    {
      fprintf (stderr, "replay: no input to replay\n");
      return 1;
    }
  printf ("replay: %u inputs, no crash\n", n_replayed);
  return 0;
}
