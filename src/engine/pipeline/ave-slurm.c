#define G_LOG_DOMAIN "ave-slurm"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/vfs.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pipeline/ave-slurm.h"
#include "core/ave-json-read.h"

G_DEFINE_QUARK (ave-slurm-error-quark, ave_slurm_error)

/* A task's record is a few hundred bytes; anything much larger is not one. */
#define RECORD_MAX_BYTES (256 * 1024)
/* A task that left the queue without a final record is only declared lost
 * after this many polls, so that a record still in flight on a network
 * file system (attribute caching) is not mistaken for a missing one. */
#define VANISHED_POLLS 2

struct _AveSlurmArray
{
  char      *output_root;
  char      *dir;          /* the submission folder, once made */
  char      *job_id;       /* "1234", once submitted */
  GPtrArray *tasks;        /* AveSlurmTask*, in array index order */
  guint     *vanished;     /* per task: polls it was missing from the queue without a final record */
};

AveSlurmOptions *
ave_slurm_options_new (void)
{
  return g_new0 (AveSlurmOptions, 1);
}

void
ave_slurm_options_free (AveSlurmOptions *self)
{
  if (self == NULL)
    return;
  g_free (self->program);
  g_strfreev (self->process_args);
  g_free (self->partition);
  g_free (self->account);
  g_free (self->time_limit);
  g_strfreev (self->sbatch_args);
  g_free (self->job_name);
  g_free (self->workdir);
  g_free (self);
}

const char *
ave_slurm_task_state_to_string (AveSlurmTaskState state)
{
  static const char * const names[] = { "queued", "running", "done", "failed" };

  g_return_val_if_fail (state <= AVE_SLURM_TASK_FAILED, "failed");
  return names[state];
}

static void
task_free (AveSlurmTask *task)
{
  g_free (task->input);
  g_free (task->output);
  g_free (task->error);
  g_free (task->node);
  g_free (task);
}

static void
task_set_failed (AveSlurmTask *task, gboolean interrupted, char *error)
{
  task->state = AVE_SLURM_TASK_FAILED;
  task->interrupted = interrupted;
  g_free (task->error);
  task->error = error;
}

/* ------------------------------------------------------------ commands */

static const char * const slurm_tools[] = { "sbatch", "squeue", "scontrol", "scancel" };

gboolean
ave_slurm_available (GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (slurm_tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (slurm_tools[i]);

      if (path == NULL)
        {
          g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_NOT_INSTALLED,
                       "%s is not on PATH: run on a Slurm login node (or 'module load slurm' first)",
                       slurm_tools[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* Runs a Slurm client; FALSE (with its stderr in the message) when it
 * cannot start.  The exit status is returned in *status. */
static gboolean
run_tool (const char * const  *argv,
          char               **out,
          char               **err,
          int                 *status,
          GError             **error)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) local = NULL;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &local);
  if (proc == NULL
      || !g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &local))
    {
      g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_NOT_INSTALLED,
                   "could not run %s: %s", argv[0], local->message);
      return FALSE;
    }
  *status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : 255;
  return TRUE;
}

static char *
one_line (const char *text)
{
  g_autofree char *copy = g_strstrip (g_strdup (text != NULL ? text : ""));

  return g_strdelimit (g_steal_pointer (&copy), "\n", ' ');
}

/* ------------------------------------------------------ shared storage */

/* statfs magic numbers (linux/magic.h and the file systems' own headers). */
static const struct { unsigned long magic; const char *name; gboolean shared; } fs_types[] = {
  { 0x6969, "NFS", TRUE },
  { 0x517B, "SMB", TRUE },
  { 0xFF534D42, "CIFS", TRUE },
  { 0xFE534D42, "SMB2", TRUE },
  { 0x0BD00BD0, "Lustre", TRUE },
  { 0x47504653, "GPFS (Spectrum Scale)", TRUE },
  { 0x00C36400, "CephFS", TRUE },
  { 0x19830326, "BeeGFS", TRUE },
  { 0xAAD7AAEA, "PanFS", TRUE },
  { 0x5346414F, "AFS", TRUE },
  { 0x7461636F, "OCFS2", TRUE },
  { 0x01161970, "GFS2", TRUE },
  { 0x01021997, "9P", TRUE },
  { 0xEF53, "ext4", FALSE },
  { 0x58465342, "XFS", FALSE },
  { 0x9123683E, "btrfs", FALSE },
  { 0x01021994, "tmpfs", FALSE },
  { 0x794C7630, "overlayfs", FALSE },
  { 0x2FC12FC1, "ZFS", FALSE },
  { 0xF2F52010, "F2FS", FALSE },
  { 0x858458F6, "ramfs", FALSE },
};

#define FUSE_MAGIC 0x65735546UL

/* The number of nodes in `partition` (NULL: the default one), 0 when sinfo
 * cannot tell. */
static guint
partition_node_count (const char *partition)
{
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  int status = 0;
  const char *argv[] = { "sinfo", "-h", "-o", "%P %D", NULL };
  guint nodes = 0;

  if (!run_tool (argv, &out, NULL, &status, NULL) || status != 0)
    return 0;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (g_strstrip (lines[i]), " ", 2);
      gsize len;

      if (g_strv_length (fields) != 2)
        continue;
      len = strlen (fields[0]);
      /* sinfo marks the default partition with '*', one line per state */
      if (partition != NULL ? g_str_equal (fields[0], partition)
                            : (len > 0 && fields[0][len - 1] == '*'))
        nodes += (guint) g_ascii_strtoull (fields[1], NULL, 10);
    }
  return nodes;
}

gboolean
ave_slurm_check_shared_storage (const char  *path,
                                const char  *partition,
                                char       **message)
{
  struct statfs st;
  const char *type = NULL;
  gboolean shared = FALSE;
  guint nodes;

  g_autofree char *existing = g_canonicalize_filename (path, NULL);

  *message = NULL;
  /* The output folder may not exist yet: its file system is that of the
   * nearest folder above it that does. */
  while (!g_file_test (existing, G_FILE_TEST_EXISTS) && strcmp (existing, "/") != 0)
    {
      char *parent = g_path_get_dirname (existing);
      g_free (existing);
      existing = parent;
    }
  if (statfs (existing, &st) != 0)
    {
      *message = g_strdup_printf ("could not tell which file system %s is on (%s)", path, g_strerror (errno));
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (fs_types); i++)
    if ((unsigned long) st.f_type == fs_types[i].magic)
      {
        type = fs_types[i].name;
        shared = fs_types[i].shared;
      }
  if (shared)
    return TRUE;
  if ((unsigned long) st.f_type == FUSE_MAGIC || type == NULL)
    {
      *message = g_strdup_printf ("%s is on a file system (type 0x%lx) that may or may not be shared: "
                                  "every node of the partition must see it at the same path",
                                  path, (unsigned long) st.f_type);
      return TRUE;
    }
  nodes = partition_node_count (partition);
  if (nodes == 1)
    {
      *message = g_strdup_printf ("%s is on local storage (%s); that is fine on this one-node partition, "
                                  "but on more nodes it must be on a shared file system (NFS, Lustre, GPFS, CephFS, BeeGFS)",
                                  path, type);
      return TRUE;
    }
  *message = g_strdup_printf ("%s is on local storage (%s) but the partition %s has %s nodes: tasks that run on "
                              "another node will not find their inputs or write their results where this one "
                              "looks; put the output folder (and TMPDIR) on a shared file system "
                              "(NFS, Lustre, GPFS, CephFS, BeeGFS)",
                              path, type, partition != NULL ? partition : "(default)",
                              nodes == 0 ? "an unknown number of" : "several");
  return FALSE;
}

/* ------------------------------------------------------------- arrays */

static AveSlurmArray *
array_alloc (void)
{
  AveSlurmArray *self = g_new0 (AveSlurmArray, 1);

  self->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) task_free);
  return self;
}

AveSlurmArray *
ave_slurm_array_new (const char *output_root)
{
  AveSlurmArray *self = array_alloc ();

  self->output_root = g_canonicalize_filename (output_root, NULL);
  return self;
}

void
ave_slurm_array_free (AveSlurmArray *self)
{
  if (self == NULL)
    return;
  g_free (self->output_root);
  g_free (self->dir);
  g_free (self->job_id);
  g_ptr_array_unref (self->tasks);
  g_free (self->vanished);
  g_free (self);
}

const char *
ave_slurm_array_get_job_id (AveSlurmArray *self)
{
  return self->job_id;
}

const char *
ave_slurm_array_get_dir (AveSlurmArray *self)
{
  return self->dir;
}

guint
ave_slurm_array_get_n_tasks (AveSlurmArray *self)
{
  return self->tasks->len;
}

AveSlurmTask *
ave_slurm_array_get_task (AveSlurmArray *self, guint index)
{
  g_return_val_if_fail (index < self->tasks->len, NULL);
  return g_ptr_array_index (self->tasks, index);
}

AveSlurmTask *
ave_slurm_array_lookup (AveSlurmArray *self, guint id)
{
  for (guint i = 0; i < self->tasks->len; i++)
    {
      AveSlurmTask *task = g_ptr_array_index (self->tasks, i);
      if (task->id == id)
        return task;
    }
  return NULL;
}

static gboolean
listable (const char *path)
{
  return path != NULL && *path != '\0' && strpbrk (path, "\t\n\r") == NULL;
}

static AveSlurmTask *
task_new (guint id, const char *input, const char *output)
{
  AveSlurmTask *task = g_new0 (AveSlurmTask, 1);

  task->id = id;
  task->input = g_strdup (input);
  task->output = g_strdup (output);
  task->exit_code = -1;
  return task;
}

gboolean
ave_slurm_array_add_task (AveSlurmArray  *self,
                          guint           id,
                          const char     *input,
                          const char     *output,
                          GError        **error)
{
  g_return_val_if_fail (self->job_id == NULL, FALSE);

  if (!listable (input) || !listable (output) || !g_path_is_absolute (input) || !g_path_is_absolute (output))
    {
      g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_SUBMIT,
                   "%s: a Slurm task needs an absolute path without tabs or line breaks; rename the file",
                   !listable (input) || !g_path_is_absolute (input) ? input : output);
      return FALSE;
    }
  g_ptr_array_add (self->tasks, task_new (id, input, output));
  return TRUE;
}

static gboolean
write_file (const char *path, const char *contents, int mode, GError **error)
{
  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, error))
    {
      g_prefix_error (error, "could not write the Slurm submission: ");
      return FALSE;
    }
  return TRUE;
}

/* The batch script: task i reads line i+1 of tasks.tsv, records that it
 * started, runs `process` and records how it ended.  The record is written
 * to a temporary name and renamed, so a reader never sees half of one; the
 * input-end event of `process --json` is JSON already and is copied in
 * whole (it carries the error message). */
static char *
batch_script (AveSlurmArray *self, const AveSlurmOptions *options)
{
  GString *s = g_string_new (NULL);
  g_autofree char *dir = g_shell_quote (self->dir);
  g_autofree char *program = g_shell_quote (options->program);

  g_string_append (s,
    "#!/bin/bash\n"
    "# Written by ai-video-editor (batch --slurm): task N of the array runs\n"
    "# `ai-video-editor process` on line N+1 of tasks.tsv and records how it\n"
    "# went in state/N.json.  sbatch ran it as it was when submitted.\n"
    "set -u\n");
  g_string_append_printf (s, "dir=%s\nprogram=%s\nargs=(", dir, program);
  for (guint i = 0; options->process_args != NULL && options->process_args[i] != NULL; i++)
    {
      g_autofree char *arg = g_shell_quote (options->process_args[i]);
      g_string_append_printf (s, "%s%s", i > 0 ? " " : "", arg);
    }
  g_string_append (s, ")\n");
  g_string_append (s,
    "i=${SLURM_ARRAY_TASK_ID:?this script runs as a task of a Slurm job array}\n"
    "job=\"${SLURM_ARRAY_JOB_ID:-0}_$i\"\n"
    "state=\"$dir/state/$i.json\"\n"
    "node=$(hostname -s 2>/dev/null | tr -cd 'A-Za-z0-9._-')\n"
    "started=$(date +%s)\n"
    "record() {\n"
    "  printf '{\"task\":%s,\"job\":\"%s\",\"node\":\"%s\",\"started\":%s,%s}\\n' \\\n"
    "    \"$i\" \"$job\" \"$node\" \"$started\" \"$1\" > \"$state.tmp\" && mv -f \"$state.tmp\" \"$state\"\n"
    "}\n"
    "record '\"state\":\"running\"'\n"
    "IFS=$'\\t' read -r id input parent name < <(sed -n \"$((i + 1))p\" \"$dir/tasks.tsv\")\n"
    "if [ -z \"${name:-}\" ]; then\n"
    "  echo \"ai-video-editor: task $i has no line in $dir/tasks.tsv\" >&2\n"
    "  record '\"state\":\"failed\",\"ended\":'\"$(date +%s)\"',\"exit_code\":2,\"result\":null'\n"
    "  exit 2\n"
    "fi\n"
    "mkdir -p \"$parent\"\n"
    "# scancel, a time limit or Ctrl+C in srun signal the whole job: the shell\n"
    "# stays until `process` has removed its unfinished files, so that Slurm\n"
    "# (which tracks the job through this shell) never ends the task while they\n"
    "# are still being removed, and the record says how it ended.\n"
    "\"$program\" process --json -o \"$parent\" --output-name \"$name\" \"${args[@]}\" \"$input\" \\\n"
    "  > \"$dir/events/$i.jsonl\" &\n"
    "child=$!\n"
    "trap 'kill -TERM \"$child\" 2>/dev/null' TERM INT HUP\n"
    "wait \"$child\"\n"
    "rc=$?\n"
    "while kill -0 \"$child\" 2>/dev/null; do\n"
    "  wait \"$child\"\n"
    "  rc=$?\n"
    "done\n"
    "result=$(grep -F '\"event\":\"input-end\"' \"$dir/events/$i.jsonl\" | tail -n 1)\n"
    "[ -n \"$result\" ] || result=null\n"
    "if [ \"$rc\" -eq 0 ]; then st=done; else st=failed; fi\n"
    "record '\"state\":\"'\"$st\"'\",\"ended\":'\"$(date +%s)\"',\"exit_code\":'\"$rc\"',\"result\":'\"$result\"\n"
    "exit \"$rc\"\n");
  return g_string_free (s, FALSE);
}

static char *
tasks_list (AveSlurmArray *self)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < self->tasks->len; i++)
    {
      AveSlurmTask *task = g_ptr_array_index (self->tasks, i);
      g_autofree char *parent = g_path_get_dirname (task->output);
      g_autofree char *name = g_path_get_basename (task->output);

      g_string_append_printf (s, "%u\t%s\t%s\t%s\n", task->id, task->input, parent, name);
    }
  return g_string_free (s, FALSE);
}

static gboolean
make_submission_dir (AveSlurmArray *self, GError **error)
{
  g_autofree char *base = g_build_filename (self->output_root, ".slurm", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *template = g_strdup_printf ("%s/%s-XXXXXX", base, stamp);
  static const char * const subdirs[] = { "state", "events", "logs" };

  if (g_mkdir_with_parents (base, 0755) != 0 || g_mkdtemp_full (template, 0755) == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "could not make a Slurm submission folder in %s: %s", base, g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (template, subdirs[i], NULL);
      if (g_mkdir (sub, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "could not make %s: %s", sub, g_strerror (saved));
          return FALSE;
        }
    }
  self->dir = g_steal_pointer (&template);
  return TRUE;
}

gboolean
ave_slurm_array_submit (AveSlurmArray          *self,
                        const AveSlurmOptions  *options,
                        GError                **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *script = NULL;
  g_autofree char *list = NULL;
  g_autofree char *script_path = NULL;
  g_autofree char *list_path = NULL;
  g_autofree char *id_path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id_text = NULL;
  char *semicolon;
  int status;

  g_return_val_if_fail (self->job_id == NULL, FALSE);
  g_return_val_if_fail (options->program != NULL, FALSE);
  g_return_val_if_fail (self->tasks->len > 0, FALSE);

  if (!ave_slurm_available (error) || !make_submission_dir (self, error))
    return FALSE;
  script = batch_script (self, options);
  list = tasks_list (self);
  script_path = g_build_filename (self->dir, "task.sh", NULL);
  list_path = g_build_filename (self->dir, "tasks.tsv", NULL);
  if (!write_file (list_path, list, 0644, error) || !write_file (script_path, script, 0755, error))
    return FALSE;

  g_ptr_array_add (argv, g_strdup ("sbatch"));
  g_ptr_array_add (argv, g_strdup ("--parsable"));
  if (options->throttle > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--array=0-%u%%%u", self->tasks->len - 1, options->throttle));
  else
    g_ptr_array_add (argv, g_strdup_printf ("--array=0-%u", self->tasks->len - 1));
  g_ptr_array_add (argv, g_strdup_printf ("--job-name=%s", options->job_name != NULL ? options->job_name : "ai-video-editor"));
  g_ptr_array_add (argv, g_strdup_printf ("--output=%s/logs/%%a.out", self->dir));
  {
    g_autofree char *cwd = g_get_current_dir ();
    g_ptr_array_add (argv, g_strdup_printf ("--chdir=%s", options->workdir != NULL ? options->workdir : cwd));
  }
  if (options->partition != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--partition=%s", options->partition));
  if (options->account != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--account=%s", options->account));
  if (options->time_limit != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--time=%s", options->time_limit));
  if (options->mem_bytes > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--mem=%" G_GUINT64_FORMAT "M",
                                            (options->mem_bytes + 1048575) / 1048576));
  if (options->cpus > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--cpus-per-task=%u", options->cpus));
  for (guint i = 0; options->sbatch_args != NULL && options->sbatch_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (options->sbatch_args[i]));
  g_ptr_array_add (argv, g_strdup (script_path));
  g_ptr_array_add (argv, NULL);

  if (!run_tool ((const char * const *) argv->pdata, &out, &err, &status, error))
    return FALSE;
  id_text = g_strstrip (g_strdup (out != NULL ? out : ""));
  /* --parsable prints "JOBID" or "JOBID;CLUSTER" */
  if ((semicolon = strchr (id_text, ';')) != NULL)
    *semicolon = '\0';
  if (status != 0 || *id_text == '\0' || strspn (id_text, "0123456789") != strlen (id_text))
    {
      g_autofree char *why = one_line (err);
      g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_SUBMIT,
                   "sbatch refused the job array: %s (check --partition, --account, --time and --sbatch-arg; "
                   "the script is %s)", *why != '\0' ? why : "no reason given", script_path);
      return FALSE;
    }
  id_path = g_build_filename (self->dir, "job_id", NULL);
  self->job_id = g_steal_pointer (&id_text);
  self->vanished = g_new0 (guint, self->tasks->len);
  {
    g_autofree char *line = g_strdup_printf ("%s\n", self->job_id);
    /* The array runs even when this cannot be written; the caller records
     * the id too (batch.json). */
    if (!write_file (id_path, line, 0644, NULL))
      g_warning ("could not write %s", id_path);
  }
  return TRUE;
}

AveSlurmArray *
ave_slurm_array_attach (const char *submission_dir, GError **error)
{
  g_autoptr(AveSlurmArray) self = array_alloc ();
  g_autofree char *list_path = g_build_filename (submission_dir, "tasks.tsv", NULL);
  g_autofree char *script_path = g_build_filename (submission_dir, "task.sh", NULL);
  g_autofree char *id_path = g_build_filename (submission_dir, "job_id", NULL);
  g_autofree char *list = NULL;
  g_autofree char *id_text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_test (script_path, G_FILE_TEST_IS_REGULAR)
      || !g_file_get_contents (list_path, &list, NULL, NULL)
      || !g_file_get_contents (id_path, &id_text, NULL, NULL))
    {
      g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_INVALID,
                   "%s is not a Slurm submission of ai-video-editor (task.sh, tasks.tsv or job_id missing); "
                   "run the batch without --resume to submit again", submission_dir);
      return NULL;
    }
  g_strstrip (id_text);
  if (*id_text == '\0' || strspn (id_text, "0123456789") != strlen (id_text))
    {
      g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_INVALID,
                   "%s: not a Slurm job id", id_path);
      return NULL;
    }
  lines = g_strsplit (list, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_autofree char *output = NULL;
      guint64 id;

      if (*lines[i] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", -1);
      if (g_strv_length (fields) != 4 || !g_ascii_string_to_unsigned (fields[0], 10, 0, G_MAXUINT, &id, NULL))
        {
          g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_INVALID,
                       "%s:%u: not a task line (id, input, folder, name)", list_path, i + 1);
          return NULL;
        }
      output = g_build_filename (fields[2], fields[3], NULL);
      g_ptr_array_add (self->tasks, task_new ((guint) id, fields[1], output));
    }
  self->dir = g_canonicalize_filename (submission_dir, NULL);
  self->job_id = g_steal_pointer (&id_text);
  self->vanished = g_new0 (guint, self->tasks->len);
  return g_steal_pointer (&self);
}

/* --------------------------------------------------------------- poll */

static const AveJsonFormat record_format = {
  ave_slurm_error_quark, AVE_SLURM_ERROR_INVALID, "a number",
};

/* Reads task `index`'s record into it.  Returns TRUE when the record is
 * final (done or failed). */
static gboolean
read_record (AveSlurmArray *self, guint index, AveSlurmTask *task)
{
  g_autofree char *path = g_strdup_printf ("%s/state/%u.json", self->dir, index);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *record;
  JsonNode *result;
  const char *state;

  if (!ave_json_load_file (&record_format, parser, path, RECORD_MAX_BYTES, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  record = json_node_get_object (json_parser_get_root (parser));
  state = json_object_get_string_member_with_default (record, "state", "");
  if (json_object_has_member (record, "node"))
    {
      g_free (task->node);
      task->node = g_strdup (json_object_get_string_member_with_default (record, "node", ""));
    }
  if (g_str_equal (state, "running"))
    {
      task->state = AVE_SLURM_TASK_RUNNING;
      return FALSE;
    }
  if (!g_str_equal (state, "done") && !g_str_equal (state, "failed"))
    return FALSE;

  task->exit_code = (int) json_object_get_int_member_with_default (record, "exit_code", -1);
  task->seconds = (double) (json_object_get_int_member_with_default (record, "ended", 0)
                            - json_object_get_int_member_with_default (record, "started", 0));
  if (g_str_equal (state, "done"))
    {
      task->state = AVE_SLURM_TASK_DONE;
      g_clear_pointer (&task->error, g_free);
      return TRUE;
    }
  result = json_object_get_member (record, "result");
  if (result != NULL && JSON_NODE_HOLDS_OBJECT (result)
      && json_object_has_member (json_node_get_object (result), "error"))
    task_set_failed (task, task->exit_code == 130, g_strdup (json_object_get_string_member_with_default (json_node_get_object (result),
                                                                                "error", "")));
  else if (task->exit_code == 130)
    task_set_failed (task, TRUE, g_strdup_printf ("%s: cancelled on node %s (the task was stopped)",
                                            task->input, task->node != NULL ? task->node : "?"));
  else
    /* 1: the input failed; 2: a usage error; anything else: a crash or a
     * signal, which a second run may not meet */
    task_set_failed (task, task->exit_code != 1 && task->exit_code != 2,
                     g_strdup_printf ("%s: ai-video-editor process exited with status %d on node %s; "
                                            "see %s/logs/%u.out", task->input, task->exit_code,
                                            task->node != NULL ? task->node : "?", self->dir, index));
  return TRUE;
}

/* What scontrol still knows about a task that left the queue without a
 * final record: "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"... */
static char *
task_end_reason (AveSlurmArray *self, guint index)
{
  g_autofree char *job = g_strdup_printf ("%s_%u", self->job_id, index);
  const char *argv[] = { "scontrol", "-o", "show", "job", job, NULL };
  g_autofree char *out = NULL;
  const char *p;
  int status = 0;

  if (!run_tool (argv, &out, NULL, &status, NULL) || status != 0 || out == NULL
      || (p = strstr (out, "JobState=")) == NULL)
    return NULL;
  p += strlen ("JobState=");
  return g_strndup (p, strcspn (p, " \n"));
}

gboolean
ave_slurm_array_poll (AveSlurmArray  *self,
                      gboolean       *finished,
                      GError        **error)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GHashTable) queued = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { "squeue", "-h", "-r", "-j", self->job_id, "-o", "%K %T", NULL };
  int status;

  g_return_val_if_fail (self->job_id != NULL, FALSE);
  *finished = FALSE;
  if (!run_tool (argv, &out, &err, &status, error))
    return FALSE;
  if (status != 0)
    {
      /* Once the whole array has left the controller's memory (MinJobAge),
       * squeue calls its id invalid: nothing of it is queued. */
      if (err == NULL || strstr (err, "Invalid job id") == NULL)
        {
          g_autofree char *why = one_line (err);
          g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_QUERY,
                       "squeue could not tell where job %s is: %s", self->job_id, why);
          return FALSE;
        }
    }
  else
    {
      lines = g_strsplit (out, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_auto(GStrv) fields = g_strsplit (g_strstrip (lines[i]), " ", 2);
          guint64 index;

          if (g_strv_length (fields) == 2
              && g_ascii_string_to_unsigned (fields[0], 10, 0, G_MAXUINT, &index, NULL))
            g_hash_table_insert (queued, GUINT_TO_POINTER ((guint) index), g_strdup (fields[1]));
        }
    }

  *finished = TRUE;
  for (guint i = 0; i < self->tasks->len; i++)
    {
      AveSlurmTask *task = g_ptr_array_index (self->tasks, i);
      const char *slurm_state = g_hash_table_lookup (queued, GUINT_TO_POINTER (i));

      if (task->state == AVE_SLURM_TASK_DONE || task->state == AVE_SLURM_TASK_FAILED)
        continue;
      /* A final record is the truth even while Slurm still tidies up. */
      if (read_record (self, i, task))
        {
          self->vanished[i] = 0;
          continue;
        }
      if (slurm_state != NULL)
        {
          self->vanished[i] = 0;
          task->state = g_str_equal (slurm_state, "PENDING") || g_str_equal (slurm_state, "REQUEUED")
                        || g_str_equal (slurm_state, "SUSPENDED")
                        ? AVE_SLURM_TASK_QUEUED : AVE_SLURM_TASK_RUNNING;
          *finished = FALSE;
          continue;
        }
      if (++self->vanished[i] < VANISHED_POLLS)
        {
          *finished = FALSE;
          continue;
        }
      {
        g_autofree char *reason = task_end_reason (self, i);

        task_set_failed (task, TRUE, g_strdup_printf (
            "%s: the Slurm task %s_%u ended without finishing (%s%s); it was cancelled, killed, ran out of "
            "time or memory, or its node failed; see %s/logs/%u.out",
            task->input, self->job_id, i, reason != NULL ? "Slurm says " : "no longer known to Slurm",
            reason != NULL ? reason : "", self->dir, i));
      }
    }
  return TRUE;
}

gboolean
ave_slurm_array_cancel (AveSlurmArray *self, GError **error)
{
  const char *argv[] = { "scancel", self->job_id, NULL };
  g_autofree char *err = NULL;
  int status;

  g_return_val_if_fail (self->job_id != NULL, FALSE);
  if (!run_tool (argv, NULL, &err, &status, error))
    return FALSE;
  if (status != 0)
    {
      g_autofree char *why = one_line (err);
      g_set_error (error, AVE_SLURM_ERROR, AVE_SLURM_ERROR_QUERY,
                   "scancel %s failed: %s", self->job_id, why);
      return FALSE;
    }
  return TRUE;
}
