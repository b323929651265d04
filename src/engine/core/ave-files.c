#define G_LOG_DOMAIN "ave-files"

#include "config.h"

#include <dirent.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ave-files.h"

/* Deeper than any folder the engine makes: a bound on recursion. */
#define MAX_DEPTH 32

gboolean
ave_file_is_same (const char *a,
                  const char *b)
{
  struct stat sa, sb;

  if (a == NULL || b == NULL || stat (a, &sa) != 0 || stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void
remove_contents_at (int dir_fd, guint depth)
{
  DIR *dir;
  struct dirent *entry;
  int list_fd;

  if (depth > MAX_DEPTH)
    return;
  list_fd = dup (dir_fd);
  if (list_fd < 0)
    return;
  dir = fdopendir (list_fd);
  if (dir == NULL)
    {
      close (list_fd);
      return;
    }
  while ((entry = readdir (dir)) != NULL)
    {
      struct stat st;

      if (g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;
      if (fstatat (dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          /* O_NOFOLLOW: should the entry have become a link since the
           * fstatat, the open fails and nothing behind it is touched. */
          int child = openat (dir_fd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (child >= 0)
            {
              remove_contents_at (child, depth + 1);
              close (child);
            }
          unlinkat (dir_fd, entry->d_name, AT_REMOVEDIR);
        }
      else
        unlinkat (dir_fd, entry->d_name, 0);
    }
  closedir (dir);
}

void
ave_remove_tree_nofollow (const char *path)
{
  struct stat st;
  int fd;

  if (path == NULL || lstat (path, &st) != 0)
    return;
  if (!S_ISDIR (st.st_mode))
    {
      g_unlink (path);
      return;
    }
  fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  remove_contents_at (fd, 0);
  close (fd);
  g_rmdir (path);
}

char *
ave_file_stem (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}
