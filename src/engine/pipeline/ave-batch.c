#define G_LOG_DOMAIN "ave-batch"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ave-batch.h"
#include "core/ave-error.h"
#include "core/ave-files.h"
#include "ave-job-queue.h"
#include "core/ave-json-doc.h"
#include "core/ave-json-read.h"
#include "resources/ave-output-dir.h"

/* batch.json of a thousand inputs is well under a megabyte. */
#define STATE_MAX_BYTES (64 * 1024 * 1024)

struct _AveBatchState
{
  char       *root;      /* DIR, absolute */
  char       *source;    /* the folder or list file, absolute */
  AveJobKind  kind;
  GPtrArray  *items;     /* AveBatchItem */
  char       *slurm_job_id;  /* batch --slurm: the last job array, or NULL */
  char       *slurm_dir;     /* its submission folder */
};

static const char * const state_names[] = { "pending", "running", "done", "failed" };

/* What `batch` picks up in a folder: the containers FFmpeg reads that hold
 * recordings.  A list file may name any file. */
static const char * const video_extensions[] = {
  "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "mts", "m2ts", "ts",
  "flv", "wmv", "ogv", "3gp", NULL
};

const char *
ave_batch_item_state_to_string (AveBatchItemState state)
{
  g_return_val_if_fail (state <= AVE_BATCH_FAILED, NULL);
  return state_names[state];
}

gboolean
ave_batch_item_state_from_string (const char *str, AveBatchItemState *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (str, state_names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

static void
item_free (gpointer data)
{
  AveBatchItem *item = data;

  g_free (item->input);
  g_free (item->name);
  g_free (item->output);
  g_free (item->error);
  g_free (item);
}

void
ave_batch_item_stat (AveBatchItem *item)
{
  struct stat st;

  if (stat (item->input, &st) == 0)
    {
      item->size = st.st_size;
      item->mtime_us = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    }
  else
    {
      item->size = 0;
      item->mtime_us = 0;
    }
}

static AveBatchState *
state_new (const char *root, const char *source, AveJobKind kind)
{
  AveBatchState *self = g_new0 (AveBatchState, 1);

  self->root = g_canonicalize_filename (root, NULL);
  self->source = g_canonicalize_filename (source, NULL);
  self->kind = kind;
  self->items = g_ptr_array_new_with_free_func (item_free);
  return self;
}

void
ave_batch_state_free (AveBatchState *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->items);
  g_free (self->root);
  g_free (self->source);
  g_free (self->slurm_job_id);
  g_free (self->slurm_dir);
  g_free (self);
}

void
ave_batch_state_set_slurm (AveBatchState *self, const char *job_id, const char *submission_dir)
{
  g_free (self->slurm_job_id);
  g_free (self->slurm_dir);
  self->slurm_job_id = g_strdup (job_id);
  self->slurm_dir = g_strdup (submission_dir);
}

const char *ave_batch_state_get_slurm_job_id (AveBatchState *self) { return self->slurm_job_id; }
const char *ave_batch_state_get_slurm_dir (AveBatchState *self) { return self->slurm_dir; }

const char *ave_batch_state_get_root (AveBatchState *self) { return self->root; }
guint ave_batch_state_get_n_items (AveBatchState *self) { return self->items->len; }

AveBatchItem *
ave_batch_state_get_item (AveBatchState *self, guint index)
{
  g_return_val_if_fail (index < self->items->len, NULL);
  return g_ptr_array_index (self->items, index);
}

AveBatchItem *
ave_batch_state_lookup (AveBatchState *self, const char *input)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      AveBatchItem *item = g_ptr_array_index (self->items, i);
      if (g_str_equal (item->input, input))
        return item;
    }
  return NULL;
}

/* ---------------------------------------------------------- collecting */

static gboolean
is_video_name (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL || dot == name)
    return FALSE;
  for (guint i = 0; video_extensions[i] != NULL; i++)
    if (g_ascii_strcasecmp (dot + 1, video_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* Every video under `dir` (relative paths below `top`), sorted, without
 * hidden entries, without following links to folders (no loops), without
 * the output folder and without folders of results. */
static gboolean
walk (const char *top, const char *rel, const char *output_root, GPtrArray *found, GError **error)
{
  g_autofree char *dir_path = rel != NULL ? g_build_filename (top, rel, NULL) : g_strdup (top);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      const char *entry = g_ptr_array_index (names, i);
      g_autofree char *entry_rel = rel != NULL ? g_build_filename (rel, entry, NULL) : g_strdup (entry);
      g_autofree char *path = g_build_filename (top, entry_rel, NULL);
      GStatBuf st;

      if (g_lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          g_autoptr(GError) sub_error = NULL;

          g_autofree char *manifest = g_build_filename (path, AVE_OUTPUT_MANIFEST_NAME, NULL);

          if (output_root != NULL && ave_file_is_same (path, output_root))
            continue;
          /* A folder of results (final.mp4 …) is never an input, even
           * when -o is the input folder itself. */
          if (g_file_test (manifest, G_FILE_TEST_EXISTS))
            continue;
          /* An unreadable subfolder is said, not fatal: the others go on. */
          if (!walk (top, entry_rel, output_root, found, &sub_error))
            g_warning ("%s", sub_error->message);
        }
      else if (is_video_name (entry) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (found, g_steal_pointer (&entry_rel));
    }
  return TRUE;
}

static char *
strip_extension (const char *rel)
{
  char *name = g_strdup (rel);
  char *slash = strrchr (name, G_DIR_SEPARATOR);
  char *dot = strrchr (name, '.');

  if (dot != NULL && dot > (slash != NULL ? slash + 1 : name))
    *dot = '\0';
  return name;
}

static char *
unique_name (GHashTable *taken, const char *base)
{
  char *name = g_strdup (base);

  for (guint n = 2; g_hash_table_contains (taken, name); n++)
    {
      g_free (name);
      name = g_strdup_printf ("%s-%u", base, n);
    }
  g_hash_table_add (taken, g_strdup (name));
  return name;
}

static void
add_item (AveBatchState *self, GHashTable *taken, const char *input, const char *rel)
{
  AveBatchItem *item = g_new0 (AveBatchItem, 1);
  g_autofree char *base = strip_extension (rel);

  item->input = g_strdup (input);
  item->name = unique_name (taken, base);
  item->output = g_build_filename (self->root, item->name, NULL);
  item->state = AVE_BATCH_PENDING;
  ave_batch_item_stat (item);
  g_ptr_array_add (self->items, item);
}

/* The deepest folder that holds every path (each absolute). */
static char *
common_folder (GPtrArray *paths)
{
  char *common = NULL;

  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *dir = g_path_get_dirname (g_ptr_array_index (paths, i));

      if (common == NULL)
        common = g_steal_pointer (&dir);
      else
        while (!g_str_equal (common, "/")
               && !(g_str_has_prefix (dir, common)
                    && (dir[strlen (common)] == '\0' || dir[strlen (common)] == G_DIR_SEPARATOR)))
          {
            char *up = g_path_get_dirname (common);
            g_free (common);
            common = up;
          }
    }
  return common != NULL ? common : g_strdup ("/");
}

static gboolean
read_list (const char *list, GPtrArray *paths, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *base = g_path_get_dirname (list);
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (list, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line == '\0' || *line == '#')
        continue;
      g_ptr_array_add (paths, g_canonicalize_filename (line, base));
    }
  return TRUE;
}

AveBatchState *
ave_batch_state_collect (const char  *source,
                         const char  *output_root,
                         AveJobKind   kind,
                         GError     **error)
{
  g_autoptr(AveBatchState) self = state_new (output_root, source, kind);
  g_autoptr(GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  if (g_file_test (self->source, G_FILE_TEST_IS_DIR))
    {
      if (!walk (self->source, NULL, self->root, found, error))
        return NULL;
      for (guint i = 0; i < found->len; i++)
        {
          const char *rel = g_ptr_array_index (found, i);
          g_autofree char *input = g_build_filename (self->source, rel, NULL);

          add_item (self, taken, input, rel);
        }
    }
  else if (g_file_test (self->source, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *common = NULL;

      if (!read_list (self->source, found, error))
        return NULL;
      common = common_folder (found);
      for (guint i = 0; i < found->len; i++)
        {
          const char *input = g_ptr_array_index (found, i);
          const char *rel = input + strlen (common);

          while (*rel == G_DIR_SEPARATOR)
            rel++;
          /* One path listed twice is one input. */
          if (ave_batch_state_lookup (self, input) == NULL)
            add_item (self, taken, input, *rel != '\0' ? rel : input);
        }
    }
  else
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no such folder or list file; give a folder of videos or a file listing one path a line",
                   source);
      return NULL;
    }
  if (self->items->len == 0)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_FOUND,
                   "%s: no video found (looked for %s)", source,
                   "mp4, m4v, mov, mkv, webm, avi, mpg, mpeg, mts, m2ts, ts, flv, wmv, ogv, 3gp");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ave_batch_state_merge (AveBatchState       *self,
                       const AveBatchState *previous,
                       gboolean             resume)
{
  g_autoptr(GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (previous == NULL)
    return;
  /* Names first: an input keeps the folder its results are in, and a new
   * input never takes a folder an earlier one has. */
  for (guint i = 0; i < self->items->len; i++)
    {
      AveBatchItem *item = g_ptr_array_index (self->items, i);
      AveBatchItem *prev = ave_batch_state_lookup ((AveBatchState *) previous, item->input);

      if (prev != NULL)
        g_hash_table_add (taken, g_strdup (prev->name));
    }
  for (guint i = 0; i < self->items->len; i++)
    {
      AveBatchItem *item = g_ptr_array_index (self->items, i);
      AveBatchItem *prev = ave_batch_state_lookup ((AveBatchState *) previous, item->input);
      guint64 size = item->size;
      gint64 mtime = item->mtime_us;

      if (prev == NULL)
        {
          if (g_hash_table_contains (taken, item->name))
            {
              g_autofree char *base = g_strdup (item->name);
              g_free (item->name);
              item->name = unique_name (taken, base);
              g_free (item->output);
              item->output = g_build_filename (self->root, item->name, NULL);
            }
          else
            g_hash_table_add (taken, g_strdup (item->name));
          continue;
        }
      g_free (item->name);
      item->name = g_strdup (prev->name);
      g_free (item->output);
      item->output = g_build_filename (self->root, item->name, NULL);
      item->state = prev->state == AVE_BATCH_RUNNING ? AVE_BATCH_PENDING : prev->state;
      g_free (item->error);
      item->error = g_strdup (prev->error);
      item->attempts = prev->attempts;
      item->seconds = prev->seconds;
      item->cost_usd = prev->cost_usd;
      /* The record says what was run; the collected values what is there now. */
      item->size = prev->size;
      item->mtime_us = prev->mtime_us;
      if (prev->state == AVE_BATCH_DONE)
        {
          if (size == prev->size && mtime == prev->mtime_us)
            item->skip = resume;
          else
            item->changed = TRUE;
        }
    }
}

/* ------------------------------------------------------------- the file */

/* batch.json is read by the engine's document reader: the header check is
 * the one every versioned file gets, and every error names the file. */
static const AveJsonDocType state_document = {
  .kind = "batch",
  .file_noun = "a batch state file",
  .format = { ave_output_error_quark, AVE_OUTPUT_ERROR_FAILED, "a number", NULL },
  .parse_code = AVE_OUTPUT_ERROR_FAILED,
  .version_code = AVE_OUTPUT_ERROR_FAILED,
  .newest_version = 1,
  .max_bytes = STATE_MAX_BYTES,
  .too_new_advice = "use another output folder or remove the file",
};

static const char * const kind_names[] = { "analyze", "process", "render" };

AveBatchState *
ave_batch_state_load (const char *output_root, GError **error)
{
  g_autofree char *path = g_build_filename (output_root, AVE_BATCH_STATE_NAME, NULL);
  g_autoptr(AveJsonDoc) document = NULL;
  g_autoptr(AveBatchState) self = NULL;
  g_autofree char *source = NULL;
  g_autofree char *kind = NULL;
  const AveJsonFormat *state_format;
  JsonObject *object;
  JsonArray *items = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  document = ave_json_doc_load (&state_document, path, error);
  if (document == NULL)
    return NULL;
  state_format = ave_json_doc_get_format (document);
  object = ave_json_doc_get_root (document);
  if (!ave_json_read_string_max (state_format, object, NULL, "source", 4096, &source, error)
      || !ave_json_read_string (state_format, object, NULL, "kind", &kind, error)
      || !ave_json_read_array (state_format, object, "items", &items, error))
    return NULL;
  self = state_new (output_root, source != NULL ? source : output_root, AVE_JOB_PROCESS);
  if (json_object_has_member (object, "slurm") && !JSON_NODE_HOLDS_NULL (json_object_get_member (object, "slurm")))
    {
      JsonNode *node = json_object_get_member (object, "slurm");
      JsonObject *slurm = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (slurm == NULL)
        ave_json_set_invalid (state_format, error, "slurm", "expected an object, found %s", ave_json_node_describe (node));
      if (slurm == NULL
          || !ave_json_read_string_max (state_format, slurm, "slurm", "job_id", 64, &self->slurm_job_id, error)
          || !ave_json_read_string_max (state_format, slurm, "slurm", "submission", 4096, &self->slurm_dir, error))
        return NULL;
    }
  for (guint k = 0; k < G_N_ELEMENTS (kind_names); k++)
    if (g_strcmp0 (kind, kind_names[k]) == 0)
      self->kind = k;

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      g_autofree char *where = g_strdup_printf ("items[%u]", i);
      JsonObject *o = ave_json_array_object (state_format, items, i, where, error);
      g_autofree char *state = NULL;
      AveBatchItem *item;
      gint64 attempts = 0, size = 0, mtime = 0;
      double seconds = 0, cost = 0;

      if (o == NULL)
        return NULL;
      item = g_new0 (AveBatchItem, 1);
      g_ptr_array_add (self->items, item);
      if (!ave_json_read_string_max (state_format, o, where, "input", 4096, &item->input, error)
          || !ave_json_read_string_max (state_format, o, where, "name", 4096, &item->name, error)
          || !ave_json_read_string (state_format, o, where, "state", &state, error)
          || !ave_json_read_string_max (state_format, o, where, "error", 65536, &item->error, error)
          || !ave_json_read_int (state_format, o, where, "attempts", 0, &attempts, error)
          || !ave_json_read_int (state_format, o, where, "size", 0, &size, error)
          || !ave_json_read_int (state_format, o, where, "mtime_us", 0, &mtime, error)
          || !ave_json_read_number (state_format, o, where, "seconds", FALSE, 0, &seconds, error)
          || !ave_json_read_number (state_format, o, where, "cost_usd", FALSE, 0, &cost, error))
        return NULL;
      /* A name is a folder below DIR: never absolute, never "..". */
      if (item->input == NULL || item->name == NULL || g_path_is_absolute (item->name)
          || g_str_equal (item->name, "..") || g_str_has_prefix (item->name, "../")
          || strstr (item->name, "/../") != NULL || g_str_has_suffix (item->name, "/..")
          || !ave_batch_item_state_from_string (state, &item->state))
        {
          ave_json_set_invalid (state_format, error, where,
                                "needs an absolute \"input\", a \"name\" inside the output folder "
                                "and a \"state\" of pending, running, done or failed");
          return NULL;
        }
      item->attempts = (guint) CLAMP (attempts, 0, G_MAXUINT);
      item->size = (guint64) MAX (size, 0);
      item->mtime_us = mtime;
      item->seconds = seconds;
      item->cost_usd = cost;
      item->output = g_build_filename (self->root, item->name, NULL);
    }
  return g_steal_pointer (&self);
}

gboolean
ave_batch_state_save (AveBatchState *self, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = g_build_filename (self->root, AVE_BATCH_STATE_NAME, NULL);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, self->source);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind_names[self->kind]);
  json_builder_set_member_name (b, "updated");
  json_builder_add_string_value (b, stamp);
  if (self->slurm_job_id != NULL)
    {
      json_builder_set_member_name (b, "slurm");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "job_id");
      json_builder_add_string_value (b, self->slurm_job_id);
      json_builder_set_member_name (b, "submission");
      json_builder_add_string_value (b, self->slurm_dir);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->items->len; i++)
    {
      AveBatchItem *item = g_ptr_array_index (self->items, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "input");
      json_builder_add_string_value (b, item->input);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, item->name);
      json_builder_set_member_name (b, "output");
      json_builder_add_string_value (b, item->output);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, ave_batch_item_state_to_string (item->state));
      json_builder_set_member_name (b, "error");
      if (item->error != NULL)
        json_builder_add_string_value (b, item->error);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "attempts");
      json_builder_add_int_value (b, item->attempts);
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, (gint64) item->size);
      json_builder_set_member_name (b, "mtime_us");
      json_builder_add_int_value (b, item->mtime_us);
      json_builder_set_member_name (b, "seconds");
      json_builder_add_double_value (b, item->seconds);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, item->cost_usd);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  if (g_mkdir_with_parents (self->root, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create the output folder %s: %s", self->root, g_strerror (saved));
      return FALSE;
    }
  /* A temporary file renamed over the old one (flushed first when one is
   * replaced): a kill at any moment leaves the old state or the new one. */
  if (!g_file_set_contents (path, text, -1, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------ running */

struct _AveBatch
{
  AveBatchState     *state;
  AveJobKind         kind;
  AveSettings       *settings;
  guint              retries;
  AveBatchCallbacks  callbacks;
  gpointer           user_data;
  AveJobQueue       *queue;
  guint64            estimate;
  GCancellable      *cancellable;
  GSourceFunc        done;
  gpointer           done_data;
  guint              n_done, n_failed, n_skipped, n_running, n_to_run;
};

typedef struct
{
  AveBatch     *batch;
  AveBatchItem *item;
  gint64        start_us;
  gboolean      started;
} ItemRun;

static void
save (AveBatch *self)
{
  g_autoptr(GError) error = NULL;

  if (!ave_batch_state_save (self->state, &error) && self->callbacks.save_failed != NULL)
    self->callbacks.save_failed (error, self->user_data);
}

AveBatch *
ave_batch_new (AveBatchState           *state,
               AveJobKind               kind,
               const AveSettings       *settings,
               guint                    jobs,
               guint                    retries,
               const AveBatchCallbacks *callbacks,
               gpointer                 user_data)
{
  AveBatch *self = g_new0 (AveBatch, 1);

  self->state = state;
  self->kind = kind;
  self->settings = ave_settings_copy (settings);
  self->retries = retries;
  if (callbacks != NULL)
    self->callbacks = *callbacks;
  self->user_data = user_data;
  self->estimate = ave_job_queue_estimate (settings);
  self->queue = ave_job_queue_new (settings->max_memory_bytes, MAX (1, jobs));
  for (guint i = 0; i < state->items->len; i++)
    {
      AveBatchItem *item = g_ptr_array_index (state->items, i);
      if (item->skip)
        self->n_skipped++;
      else
        self->n_to_run++;
    }
  return self;
}

void
ave_batch_free (AveBatch *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->queue, ave_job_queue_free);
  g_clear_object (&self->cancellable);
  ave_settings_free (self->settings);
  g_free (self);
}

guint ave_batch_get_n_done (AveBatch *self) { return self->n_done; }
guint ave_batch_get_n_failed (AveBatch *self) { return self->n_failed; }
guint ave_batch_get_n_skipped (AveBatch *self) { return self->n_skipped; }
guint ave_batch_get_n_running (AveBatch *self) { return self->n_running; }
guint ave_batch_get_n_to_run (AveBatch *self) { return self->n_to_run; }

static void
on_job_event (const AveEvent *event, gpointer user_data)
{
  ItemRun *run = user_data;

  if (run->batch->callbacks.job_event != NULL)
    run->batch->callbacks.job_event (run->item, event, run->batch->user_data);
}

static void
on_item_started (AveJob *job, gpointer user_data)
{
  ItemRun *run = user_data;
  AveBatch *self = run->batch;
  AveBatchItem *item = run->item;

  run->started = TRUE;
  run->start_us = g_get_monotonic_time ();
  self->n_running++;
  item->state = AVE_BATCH_RUNNING;
  item->attempts++;
  item->run_attempts++;
  /* What is recorded is the input as it was when it ran. */
  ave_batch_item_stat (item);
  save (self);
  if (self->callbacks.item_started != NULL)
    self->callbacks.item_started (item, self->user_data);
}

static void queue_item (AveBatch *self, AveBatchItem *item);

static void
on_item_done (AveJob *job, const GError *error, gpointer user_data)
{
  ItemRun *run = user_data;
  AveBatch *self = run->batch;
  AveBatchItem *item = run->item;
  gboolean cancelled = error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  gboolean retry = FALSE;

  if (run->started)
    {
      self->n_running--;
      item->seconds = (g_get_monotonic_time () - run->start_us) / 1e6;
      item->cost_usd = ave_job_get_cost_usd (job);
      if (error == NULL)
        {
          item->state = AVE_BATCH_DONE;
          g_clear_pointer (&item->error, g_free);
          self->n_done++;
        }
      else if (cancelled)
        /* Not a failure: it runs again on --resume. */
        item->state = AVE_BATCH_PENDING;
      else
        {
          g_free (item->error);
          item->error = g_strdup (error->message);
          retry = item->run_attempts <= self->retries
                  && !(self->cancellable != NULL && g_cancellable_is_cancelled (self->cancellable));
          item->state = retry ? AVE_BATCH_PENDING : AVE_BATCH_FAILED;
          if (!retry)
            self->n_failed++;
        }
      save (self);
      if (self->callbacks.item_finished != NULL)
        self->callbacks.item_finished (item, error, retry, self->user_data);
    }
  g_free (run);
  if (retry)
    queue_item (self, item);
  else if (ave_job_queue_is_idle (self->queue) && self->done != NULL)
    {
      GSourceFunc done = self->done;

      self->done = NULL;
      done (self->done_data);
    }
}

static void
queue_item (AveBatch *self, AveBatchItem *item)
{
  g_autoptr(AveJob) job = ave_job_new (self->kind, item->input, self->state->root, self->settings);
  ItemRun *run = g_new0 (ItemRun, 1);

  run->batch = self;
  run->item = item;
  ave_job_set_output_name (job, item->name);
  ave_job_set_event_func (job, on_job_event, run, NULL);
  ave_job_queue_add (self->queue, job, self->estimate, self->cancellable,
                     on_item_started, on_item_done, run);
}

static gboolean
report_nothing_to_do (gpointer user_data)
{
  AveBatch *self = user_data;
  GSourceFunc done = self->done;

  self->done = NULL;
  if (done != NULL)
    done (self->done_data);
  return G_SOURCE_REMOVE;
}

void
ave_batch_start (AveBatch     *self,
                 GCancellable *cancellable,
                 GSourceFunc   done,
                 gpointer      done_data)
{
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  self->done = done;
  self->done_data = done_data;
  save (self);
  for (guint i = 0; i < self->state->items->len; i++)
    {
      AveBatchItem *item = g_ptr_array_index (self->state->items, i);
      if (!item->skip)
        queue_item (self, item);
    }
  if (ave_job_queue_is_idle (self->queue))
    g_idle_add (report_nothing_to_do, self);
}
