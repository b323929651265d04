#define G_LOG_DOMAIN "ave-output-dir"
#define _GNU_SOURCE   /* F_OFD_SETLK */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ave-output-dir.h"
#include "core/ave-error.h"
#include "core/ave-json-read.h"

/* The staging folder holds this file from the moment it is created: a
 * folder of that name without it is not the engine's. */
#define STAGING_OWNER  ".owner"
#define MANIFEST_MAX   (4 * 1024 * 1024)

typedef struct
{
  dev_t dev;
  ino_t ino;
} FileId;

struct _AveOutputDir
{
  char       *path;
  char       *staging;
  int         lock_fd;
  gboolean    staging_ours;  /* the staging folder is free for this job */
  GArray     *inputs;     /* FileId of every file the job reads */
  GHashTable *owned;      /* names the manifest records: "final.mp4", "thumbnails/", "thumbnails/x.jpg" */
  GPtrArray  *staged;     /* names staged, in order */
  GPtrArray  *retired;    /* names to remove unless staged */
};

/* ------------------------------------------------------------ helpers */

static gboolean
is_input (AveOutputDir *self, const struct stat *st)
{
  for (guint i = 0; i < self->inputs->len; i++)
    {
      FileId *id = &g_array_index (self->inputs, FileId, i);
      if (id->dev == st->st_dev && id->ino == st->st_ino)
        return TRUE;
    }
  return FALSE;
}

/* Whether `path` (links followed) is one of the inputs. */
static gboolean
path_is_input (AveOutputDir *self, const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && is_input (self, &st);
}

static gboolean
flush_file (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int saved;

  if (fd >= 0 && fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  saved = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
               "%s: cannot write the finished file to disk (%s); check the free space", path, g_strerror (saved));
  return FALSE;
}

static void
flush_dir (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

/* A name the manifest may hold: "file" or "folder/file" or "folder/",
 * with no way out of the output folder. */
static gboolean
valid_name (const char *name)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (name == NULL || *name == '\0' || *name == '/' || strlen (name) > 255)
    return FALSE;
  parts = g_strsplit (name, "/", -1);
  n = g_strv_length (parts);
  if (n > 2 || (n == 2 && parts[0][0] == '\0'))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

static gboolean
is_folder_name (const char *name)
{
  return g_str_has_suffix (name, "/");
}

/* "thumbnails/" -> "thumbnails" */
static char *
strip_slash (const char *name)
{
  return is_folder_name (name) ? g_strndup (name, strlen (name) - 1) : g_strdup (name);
}

/* ----------------------------------------------------------- manifest */

static void
load_manifest (AveOutputDir *self)
{
  g_autofree char *path = g_build_filename (self->path, AVE_OUTPUT_MANIFEST_NAME, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *files;
  struct stat st;

  static const AveJsonFormat manifest_json = { ave_output_error_quark, AVE_OUTPUT_ERROR_FAILED, "a number" };

  /* A manifest that is a link, too large or unreadable proves nothing. */
  if (lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return;
  if (!ave_json_load_file (&manifest_json, parser, path, MANIFEST_MAX, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  if (!json_object_has_member (json_node_get_object (root), "files"))
    return;
  files = json_object_get_array_member (json_node_get_object (root), "files");
  for (guint i = 0; files != NULL && i < json_array_get_length (files); i++)
    {
      JsonNode *node = json_array_get_element (files, i);
      const char *name = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                       ? json_node_get_string (node) : NULL;
      if (valid_name (name))
        g_hash_table_add (self->owned, g_strdup (name));
    }
}

static gboolean
save_manifest (AveOutputDir *self, GError **error)
{
  g_autofree char *path = g_build_filename (self->path, AVE_OUTPUT_MANIFEST_NAME, NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (self->owned), (GCompareFunc) strcmp);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "about");
  json_builder_add_string_value (builder, "Files AI Video Editor wrote in this folder; "
                                          "it replaces or removes only these.");
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (GList *l = names; l != NULL; l = l->next)
    json_builder_add_string_value (builder, l->data);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  if (!g_file_set_contents_full (path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, error))
    {
      g_prefix_error (error, "%s: cannot record the files written: ", self->path);
      return FALSE;
    }
  return TRUE;
}

/* -------------------------------------------------------------- lock */

static char *
own_command_line (void)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents ("/proc/self/cmdline", &contents, &length, NULL) || length == 0)
    return g_strdup (g_get_prgname () != NULL ? g_get_prgname () : "ai-video-editor");
  for (gsize i = 0; i + 1 < length; i++)
    if (contents[i] == '\0')
      contents[i] = ' ';
  if (length > 300)
    {
      contents[297] = '.';
      contents[298] = '.';
      contents[299] = '.';
      contents[300] = '\0';
    }
  return g_steal_pointer (&contents);
}

static char *
read_holder (int fd)
{
  char buffer[512];
  ssize_t n = pread (fd, buffer, sizeof buffer - 1, 0);
  g_auto(GStrv) fields = NULL;
  g_autofree char *command = NULL;

  if (n <= 0)
    return g_strdup ("another job");
  buffer[n] = '\0';
  g_strchomp (buffer);
  fields = g_strsplit (buffer, "\t", 2);
  if (fields[0] == NULL || fields[1] == NULL)
    return g_strdup ("another job");
  command = g_strescape (fields[1], NULL);
  return g_strdup_printf ("process %s: %s", fields[0], command);
}

static gboolean
take_lock (AveOutputDir *self, GError **error)
{
  g_autofree char *path = g_build_filename (self->path, AVE_OUTPUT_LOCK_NAME, NULL);
  g_autofree char *command = NULL;
  g_autofree char *text = NULL;
  struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  struct stat st;

  self->lock_fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (self->lock_fd < 0)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, saved == ELOOP ? AVE_OUTPUT_ERROR_NOT_OURS : AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot lock the output folder (%s); choose another one with -o DIR",
                   path, saved == ELOOP ? "it is a symbolic link" : g_strerror (saved));
      return FALSE;
    }
  if (fstat (self->lock_fd, &st) != 0 || !S_ISREG (st.st_mode) || is_input (self, &st))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS,
                   "%s: this is not the engine's lock file; move it away or choose another folder with -o DIR", path);
      return FALSE;
    }
  /* Open file description locks belong to this open file, not to the
   * process: two jobs of one process (the app, the service) exclude each
   * other too, and the kernel drops the lock when the process dies. */
  if (fcntl (self->lock_fd, F_OFD_SETLK, &lock) != 0)
    {
      int saved = errno;
      g_autofree char *holder = NULL;

      if (saved != EAGAIN && saved != EACCES)
        {
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                       "%s: cannot lock the output folder (%s)", path, g_strerror (saved));
          return FALSE;
        }
      holder = read_holder (self->lock_fd);
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_BUSY,
                   "%s: another job is writing to this output folder (%s); wait for it to finish or choose another folder with -o DIR",
                   self->path, holder);
      return FALSE;
    }
  command = own_command_line ();
  text = g_strdup_printf ("%d\t%s\n", (int) getpid (), command);
  if (ftruncate (self->lock_fd, 0) != 0 || pwrite (self->lock_fd, text, strlen (text), 0) < 0)
    g_debug ("%s: could not record the lock holder: %s", path, g_strerror (errno));
  return TRUE;
}

/* ------------------------------------------------------------ staging */

/* The staging folder of a run that did not finish: ours when it holds the
 * owner file.  Only a job holding the lock gets here, so no live job
 * uses it. */
static gboolean
clear_stale_staging (AveOutputDir *self, GError **error)
{
  g_autofree char *owner = g_build_filename (self->staging, STAGING_OWNER, NULL);
  struct stat st;

  if (lstat (self->staging, &st) != 0)
    return self->staging_ours = TRUE;
  if (S_ISDIR (st.st_mode) && lstat (owner, &st) == 0 && S_ISREG (st.st_mode))
    {
      ave_remove_tree_nofollow (self->staging);
      return self->staging_ours = TRUE;
    }
  if (S_ISDIR (st.st_mode) && g_rmdir (self->staging) == 0)
    return self->staging_ours = TRUE;
  g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS,
               "%s: this was not made by AI Video Editor, which needs the name for unfinished files; "
               "move it away or choose another folder with -o DIR", self->staging);
  return FALSE;
}

static gboolean
ensure_staging (AveOutputDir *self, GError **error)
{
  g_autofree char *owner = g_build_filename (self->staging, STAGING_OWNER, NULL);
  g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());

  if (g_file_test (owner, G_FILE_TEST_IS_REGULAR) && !g_file_test (self->staging, G_FILE_TEST_IS_SYMLINK))
    return TRUE;
  if (g_mkdir (self->staging, 0755) != 0 || !g_file_set_contents (owner, pid, -1, NULL))
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot create the folder for unfinished files (%s); choose another output folder with -o DIR",
                   self->staging, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------- ownership */

/* An existing DIR/NAME may be replaced (or, for a folder, written into)
 * only when the engine wrote it, it is no link, and it is no input. */
static gboolean
check_replaceable (AveOutputDir *self, const char *name, GError **error)
{
  g_autofree char *bare = strip_slash (name);
  g_autofree char *path = g_build_filename (self->path, bare, NULL);
  gboolean folder = is_folder_name (name);
  struct stat st;

  if (lstat (path, &st) != 0)
    return TRUE;
  if (path_is_input (self, path))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT,
                   "%s: this output would replace the input itself; choose another output folder with -o DIR",
                   path);
      return FALSE;
    }
  if (S_ISLNK (st.st_mode))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS,
                   "%s is a symbolic link; AI Video Editor never writes through or removes links. "
                   "Move it away or choose another output folder with -o DIR", path);
      return FALSE;
    }
  if ((folder ? !S_ISDIR (st.st_mode) : !S_ISREG (st.st_mode)) || !g_hash_table_contains (self->owned, name))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS,
                   "%s exists and was not written by AI Video Editor (it is not in %s); "
                   "move it away or choose another output folder with -o DIR", path, AVE_OUTPUT_MANIFEST_NAME);
      return FALSE;
    }
  if (folder)
    {
      /* The files of an earlier run in it may be removed: none may be an input. */
      GHashTableIter iter;
      const char *owned;

      g_hash_table_iter_init (&iter, self->owned);
      while (g_hash_table_iter_next (&iter, (gpointer *) &owned, NULL))
        if (g_str_has_prefix (owned, name) && !g_str_equal (owned, name))
          {
            g_autofree char *child = g_build_filename (self->path, owned, NULL);
            if (path_is_input (self, child))
              {
                g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT,
                             "%s: this output would replace the input itself; choose another output folder with -o DIR",
                             child);
                return FALSE;
              }
          }
    }
  return TRUE;
}

/* -------------------------------------------------------------- open */

static void
free_self (AveOutputDir *self)
{
  g_free (self->path);
  g_free (self->staging);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_array_unref (self->inputs);
  g_hash_table_unref (self->owned);
  g_ptr_array_unref (self->staged);
  g_ptr_array_unref (self->retired);
  g_free (self);
}

AveOutputDir *
ave_output_dir_open (const char          *path,
                     const char * const  *outputs,
                     const char * const  *inputs,
                     GError             **error)
{
  AveOutputDir *self;
  g_autofree char *manifest = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_mkdir_with_parents (path, 0755) != 0 || access (path, W_OK) != 0)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot write to the output folder (%s); choose another one with -o DIR",
                   path, g_strerror (saved));
      return NULL;
    }

  self = g_new0 (AveOutputDir, 1);
  self->path = g_strdup (path);
  self->staging = g_build_filename (path, AVE_OUTPUT_STAGING_NAME, NULL);
  self->lock_fd = -1;
  self->inputs = g_array_new (FALSE, FALSE, sizeof (FileId));
  self->owned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->staged = g_ptr_array_new_with_free_func (g_free);
  self->retired = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; inputs != NULL && inputs[i] != NULL; i++)
    {
      struct stat st;
      if (stat (inputs[i], &st) == 0)
        {
          FileId id = { st.st_dev, st.st_ino };
          g_array_append_val (self->inputs, id);
        }
    }

  /* The folder's own files must not be inputs either. */
  manifest = g_build_filename (path, AVE_OUTPUT_MANIFEST_NAME, NULL);
  if (path_is_input (self, manifest) || path_is_input (self, self->staging))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT,
                   "%s: the output folder's own files would replace an input; choose another output folder with -o DIR",
                   path);
      free_self (self);
      return NULL;
    }

  /* Refused before the lock file is even created in a folder that holds
   * an input under an output's name. */
  for (guint i = 0; outputs != NULL && outputs[i] != NULL; i++)
    {
      g_autofree char *target = ave_output_dir_final_path (self, outputs[i]);
      if (path_is_input (self, target))
        {
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT,
                       "%s: this output would replace the input itself; choose another output folder with -o DIR",
                       target);
          free_self (self);
          return NULL;
        }
    }
  if (!take_lock (self, error))
    {
      free_self (self);
      return NULL;
    }
  load_manifest (self);
  if (!clear_stale_staging (self, error))
    {
      ave_output_dir_close (self);
      return NULL;
    }
  for (guint i = 0; outputs != NULL && outputs[i] != NULL; i++)
    if (!check_replaceable (self, outputs[i], error))
      {
        ave_output_dir_close (self);
        return NULL;
      }
  return self;
}

const char *
ave_output_dir_get_path (AveOutputDir *self)
{
  return self->path;
}

char *
ave_output_dir_final_path (AveOutputDir *self,
                           const char   *name)
{
  g_autofree char *bare = strip_slash (name);
  return g_build_filename (self->path, bare, NULL);
}

char *
ave_output_dir_stage (AveOutputDir  *self,
                      const char    *name,
                      GError       **error)
{
  g_autofree char *bare = strip_slash (name);
  g_autofree char *path = NULL;

  g_return_val_if_fail (valid_name (name), NULL);
  g_return_val_if_fail (self->staging_ours, NULL);

  if (!ensure_staging (self, error))
    return NULL;
  path = g_build_filename (self->staging, bare, NULL);
  if (is_folder_name (name))
    {
      ave_remove_tree_nofollow (path);
      if (g_mkdir (path, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                       "%s: cannot create the folder (%s)", path, g_strerror (saved));
          return NULL;
        }
    }
  for (guint i = 0; i < self->staged->len; i++)
    if (g_str_equal (g_ptr_array_index (self->staged, i), name))
      return g_steal_pointer (&path);
  g_ptr_array_add (self->staged, g_strdup (name));
  return g_steal_pointer (&path);
}

/* ------------------------------------------------------------ commit */

static gboolean
staged_contains (AveOutputDir *self, const char *name)
{
  for (guint i = 0; i < self->staged->len; i++)
    if (g_str_equal (g_ptr_array_index (self->staged, i), name))
      return TRUE;
  return FALSE;
}

/* plan.json.bak: the plan the new one replaces, when they differ. */
static gboolean
stage_plan_backup (AveOutputDir *self, GError **error)
{
  g_autofree char *old_path = g_build_filename (self->path, "plan.json", NULL);
  g_autofree char *new_path = g_build_filename (self->staging, "plan.json", NULL);
  g_autofree char *old_text = NULL;
  g_autofree char *new_text = NULL;
  g_autofree char *backup = NULL;
  gsize old_length = 0, new_length = 0;
  struct stat st;

  if (!staged_contains (self, "plan.json") || lstat (old_path, &st) != 0 || !S_ISREG (st.st_mode)
      || !g_hash_table_contains (self->owned, "plan.json"))
    return TRUE;
  if (!g_file_get_contents (old_path, &old_text, &old_length, NULL)
      || !g_file_get_contents (new_path, &new_text, &new_length, NULL))
    return TRUE;
  if (old_length == new_length && memcmp (old_text, new_text, old_length) == 0)
    return TRUE;
  if (!check_replaceable (self, "plan.json.bak", error))
    return FALSE;
  backup = ave_output_dir_stage (self, "plan.json.bak", error);
  if (backup == NULL)
    return FALSE;
  if (!g_file_set_contents (backup, old_text, old_length, error))
    {
      g_prefix_error (error, "%s: cannot keep the previous plan: ", backup);
      return FALSE;
    }
  return TRUE;
}

static gboolean
move_into_place (const char *from, const char *to, GError **error)
{
  if (!flush_file (from, error))
    return FALSE;
  if (g_rename (from, to) != 0)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "%s: cannot move the finished file into place (%s)", to, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
commit_folder (AveOutputDir *self, const char *name, GError **error)
{
  g_autofree char *bare = strip_slash (name);
  g_autofree char *from_dir = g_build_filename (self->staging, bare, NULL);
  g_autofree char *to_dir = g_build_filename (self->path, bare, NULL);
  g_autoptr(GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *owned;
  const char *entry;

  if (g_mkdir (to_dir, 0755) != 0 && errno != EEXIST)
    {
      int saved = errno;
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "%s: cannot create the folder (%s)", to_dir, g_strerror (saved));
      return FALSE;
    }
  dir = g_dir_open (from_dir, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (from_dir, entry, NULL);
      g_autofree char *to = g_build_filename (to_dir, entry, NULL);
      g_autofree char *child = g_strconcat (name, entry, NULL);

      if (!move_into_place (from, to, error))
        return FALSE;
      g_hash_table_add (written, g_steal_pointer (&child));
    }

  /* Files an earlier run wrote here that this one did not write again. */
  g_hash_table_iter_init (&iter, self->owned);
  while (g_hash_table_iter_next (&iter, (gpointer *) &owned, NULL))
    if (g_str_has_prefix (owned, name) && !g_str_equal (owned, name) && !g_hash_table_contains (written, owned))
      g_ptr_array_add (gone, g_strdup (owned));
  for (guint i = 0; i < gone->len; i++)
    {
      const char *old = g_ptr_array_index (gone, i);
      g_autofree char *old_path = g_build_filename (self->path, old, NULL);
      struct stat st;

      if (lstat (old_path, &st) != 0 || (S_ISREG (st.st_mode) && !is_input (self, &st) && g_unlink (old_path) == 0))
        g_hash_table_remove (self->owned, old);
    }
  flush_dir (to_dir);
  return TRUE;
}

/* Each file staged in folder NAME may replace the one in place. */
static gboolean
check_folder_files (AveOutputDir *self, const char *name, GError **error)
{
  g_autofree char *bare = strip_slash (name);
  g_autofree char *from_dir = g_build_filename (self->staging, bare, NULL);
  g_autoptr(GDir) dir = g_dir_open (from_dir, 0, error);
  const char *entry;

  if (dir == NULL)
    return FALSE;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_strconcat (name, entry, NULL);

      if (!check_replaceable (self, child, error))
        return FALSE;
    }
  return TRUE;
}

void
ave_output_dir_retire (AveOutputDir *self,
                       const char   *name)
{
  g_return_if_fail (valid_name (name) && !is_folder_name (name));
  g_ptr_array_add (self->retired, g_strdup (name));
}

/* The retired outputs of an earlier run that this one did not write. */
static void
remove_retired (AveOutputDir *self)
{
  for (guint i = 0; i < self->retired->len; i++)
    {
      const char *name = g_ptr_array_index (self->retired, i);
      g_autofree char *path = g_build_filename (self->path, name, NULL);
      struct stat st;

      if (staged_contains (self, name) || !g_hash_table_contains (self->owned, name))
        continue;
      if (lstat (path, &st) != 0 || (S_ISREG (st.st_mode) && !is_input (self, &st) && g_unlink (path) == 0))
        g_hash_table_remove (self->owned, name);
    }
}

gboolean
ave_output_dir_commit (AveOutputDir  *self,
                       GError       **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!stage_plan_backup (self, error))
    return FALSE;
  /* Nothing moves unless every destination may be replaced. */
  for (guint i = 0; i < self->staged->len; i++)
    {
      const char *name = g_ptr_array_index (self->staged, i);

      if (!check_replaceable (self, name, error)
          || (is_folder_name (name) && !check_folder_files (self, name, error)))
        return FALSE;
    }

  /* Recorded before they move, so that a file in place is always known
   * as the engine's, even if the process dies half-way. */
  for (guint i = 0; i < self->staged->len; i++)
    {
      const char *name = g_ptr_array_index (self->staged, i);

      g_hash_table_add (self->owned, g_strdup (name));
      if (is_folder_name (name))
        {
          g_autofree char *bare = strip_slash (name);
          g_autofree char *from_dir = g_build_filename (self->staging, bare, NULL);
          g_autoptr(GDir) dir = g_dir_open (from_dir, 0, NULL);
          const char *entry;

          while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
            g_hash_table_add (self->owned, g_strconcat (name, entry, NULL));
        }
    }
  if (!save_manifest (self, error))
    return FALSE;

  for (guint i = 0; i < self->staged->len; i++)
    {
      const char *name = g_ptr_array_index (self->staged, i);

      if (is_folder_name (name))
        {
          if (!commit_folder (self, name, error))
            return FALSE;
        }
      else
        {
          g_autofree char *from = g_build_filename (self->staging, name, NULL);
          g_autofree char *to = g_build_filename (self->path, name, NULL);

          if (!move_into_place (from, to, error))
            return FALSE;
        }
    }
  remove_retired (self);
  flush_dir (self->path);
  g_ptr_array_set_size (self->staged, 0);
  /* Without the folder files that were removed. */
  return save_manifest (self, error);
}

void
ave_output_dir_close (AveOutputDir *self)
{
  if (self == NULL)
    return;
  /* The staging folder is this job's: the lock is still held. */
  if (self->lock_fd >= 0)
    {
      if (self->staging_ours)
        ave_remove_tree_nofollow (self->staging);
      if (ftruncate (self->lock_fd, 0) != 0)
        g_debug ("%s: could not clear the lock holder: %s", self->path, g_strerror (errno));
    }
  free_self (self);
}
