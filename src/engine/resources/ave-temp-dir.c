#define G_LOG_DOMAIN "ave-temp-dir"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ave-temp-dir.h"
#include "core/ave-files.h"
#include "core/ave-error.h"

#define PREFIX "ai-video-editor-"
/* Written into every folder ave_temp_dir_create makes: the stale-folder
 * cleaner removes only folders that hold it. */
#define OWNER_FILE ".ai-video-editor-temp"

char *
ave_temp_dir_create (const char  *parent,
                     GError     **error)
{
  g_autofree char *tmpl = NULL;
  g_autofree char *owner = NULL;

  if (parent == NULL)
    parent = g_get_tmp_dir ();
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot create the temporary folder (%s); choose another one with --temp-dir",
                   parent, g_strerror (saved));
      return NULL;
    }
  tmpl = g_strdup_printf ("%s/" PREFIX "%d-XXXXXX", parent, (int) getpid ());
  if (g_mkdtemp (tmpl) == NULL)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot write temporary files there (%s); choose another folder with --temp-dir",
                   parent, g_strerror (saved));
      return NULL;
    }
  owner = g_build_filename (tmpl, OWNER_FILE, NULL);
  if (!g_file_set_contents (owner, "", 0, error))
    {
      g_prefix_error (error, "%s: cannot write temporary files there: ", parent);
      g_rmdir (tmpl);
      return NULL;
    }
  return g_steal_pointer (&tmpl);
}

void
ave_temp_dir_remove (const char *path)
{
  ave_remove_tree_nofollow (path);
}

guint
ave_temp_dir_clean_stale (const char *parent)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint removed = 0;

  if (parent == NULL)
    parent = g_get_tmp_dir ();
  dir = g_dir_open (parent, 0, NULL);
  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *owner = NULL;
      char *end = NULL;
      gint64 pid;

      if (!g_str_has_prefix (name, PREFIX))
        continue;
      pid = g_ascii_strtoll (name + strlen (PREFIX), &end, 10);
      if (pid <= 0 || end == NULL || *end != '-')
        continue;
      /* kill (pid, 0) fails with ESRCH only when no such process exists;
       * EPERM means it lives under another user: leave it alone. */
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      path = g_build_filename (parent, name, NULL);
      owner = g_build_filename (path, OWNER_FILE, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR)
          || !g_file_test (owner, G_FILE_TEST_IS_REGULAR))
        continue;
      ave_temp_dir_remove (path);
      removed++;
    }
  return removed;
}

gboolean
ave_temp_move_file (const char  *from,
                    const char  *to,
                    GError     **error)
{
  g_autoptr(GFile) source = NULL;
  g_autoptr(GFile) staging = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *staging_path = NULL;

  if (g_rename (from, to) == 0)
    return TRUE;
  if (errno != EXDEV)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "%s: cannot move the finished file into place (%s)", to, g_strerror (saved));
      return FALSE;
    }

  /* Another file system: copy beside the destination, then rename there. */
  dir = g_path_get_dirname (to);
  base = g_path_get_basename (to);
  staging_path = g_strdup_printf ("%s/.%s.copying", dir, base);
  source = g_file_new_for_path (from);
  staging = g_file_new_for_path (staging_path);
  if (!g_file_copy (source, staging, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
    {
      g_prefix_error (error, "%s: cannot copy the finished file from the temporary folder: ", to);
      g_unlink (staging_path);
      return FALSE;
    }
  if (g_rename (staging_path, to) != 0)
    {
      int saved = errno;
      g_unlink (staging_path);
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "%s: cannot move the finished file into place (%s)", to, g_strerror (saved));
      return FALSE;
    }
  g_unlink (from);
  return TRUE;
}
