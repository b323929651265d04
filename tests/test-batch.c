/* test-batch.c — `ai-video-editor batch`: output folders that never
 * collide, a bad input that fails alone, retries, and a batch.json that a
 * kill -9 of the real process cannot spoil: --resume finishes the work and
 * runs again only what is not done or what changed. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "pipeline/ave-batch.h"

static const char *
clip (void)
{
  return ave_test_ffmpeg_media ("clip.mp4",
                                "-v error -f lavfi -i testsrc=s=320x240:d=6:r=25 -f lavfi -i sine=f=440:d=6 "
                                "-shortest -c:v libx264 -pix_fmt yuv420p -c:a aac");
}

/* A fresh folder under the test's temporary one. */
static char *
fresh_dir (const char *name)
{
  char *dir = ave_test_path (name);

  ave_test_sh ("rm -rf '%s' && mkdir -p '%s'", dir, dir);
  return dir;
}

static void
put_clip (const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  ave_test_sh ("cp '%s' '%s'", clip (), path);
}

static AveBatchState *
load_state (const char *out)
{
  g_autoptr(GError) error = NULL;
  AveBatchState *state = ave_batch_state_load (out, &error);

  g_assert_no_error (error);
  g_assert_nonnull (state);
  return state;
}

static AveBatchItem *
item_for (AveBatchState *state, const char *in, const char *rel)
{
  g_autofree char *input = g_build_filename (in, rel, NULL);
  AveBatchItem *item = ave_batch_state_lookup (state, input);

  if (item == NULL)
    g_error ("%s is not in batch.json", input);
  return item;
}

static void
assert_done_in (AveBatchItem *item, const char *out, const char *name)
{
  g_autofree char *expected = g_build_filename (out, name, NULL);
  g_autofree char *final = g_build_filename (expected, "final.mp4", NULL);

  g_assert_cmpstr (ave_batch_item_state_to_string (item->state), ==, "done");
  g_assert_cmpstr (item->name, ==, name);
  g_assert_cmpstr (item->output, ==, expected);
  g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
}

static guint
count (const char *text, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Same names in two folders, two files of one name in one folder, a bad
 * file among them, and the output folder inside the input folder. */
static void
test_collisions_and_bad_input (void)
{
  g_autofree char *in = fresh_dir ("collide");
  g_autofree char *out = g_build_filename (in, "results", NULL);
  g_autofree char *bad = g_build_filename (in, "bad.mp4", NULL);
  g_autofree char *err = NULL;
  g_autoptr(AveBatchState) state = NULL;
  AveBatchItem *item;
  int status;

  put_clip (in, "a/talk.mp4");
  put_clip (in, "a/talk.mov");
  put_clip (in, "b/talk.mp4");
  g_assert_true (g_file_set_contents (bad, "not a video\n", -1, NULL));

  status = ave_test_sh_status (NULL, &err, "'%s' batch '%s' -o '%s' --jobs 2 --mode fast",
                               ave_test_binary (), in, out);
  g_assert_cmpint (status, ==, 1);
  /* The one failure is one line, and it names the file. */
  g_assert_nonnull (strstr (err, "bad.mp4"));

  state = load_state (out);
  g_assert_cmpuint (ave_batch_state_get_n_items (state), ==, 4);
  assert_done_in (item_for (state, in, "a/talk.mov"), out, "a/talk");
  assert_done_in (item_for (state, in, "a/talk.mp4"), out, "a/talk-2");
  assert_done_in (item_for (state, in, "b/talk.mp4"), out, "b/talk");
  item = item_for (state, in, "bad.mp4");
  g_assert_cmpstr (ave_batch_item_state_to_string (item->state), ==, "failed");
  g_assert_nonnull (item->error);
  g_assert_nonnull (strstr (item->error, "bad.mp4"));
  g_assert_cmpuint (item->attempts, ==, 1);

  /* A second run over the same folder does not pick up its own results
   * (results/ lies inside the input folder). */
  g_clear_pointer (&err, g_free);
  status = ave_test_sh_status (NULL, &err, "'%s' batch '%s' -o '%s' --resume --json",
                               ave_test_binary (), in, out);
  g_assert_cmpint (status, ==, 1);
  g_clear_pointer (&state, ave_batch_state_free);
  state = load_state (out);
  g_assert_cmpuint (ave_batch_state_get_n_items (state), ==, 4);
}

/* A list file: relative paths are the list's, names are relative to the
 * folder the listed files share. */
static void
test_list_file (void)
{
  g_autofree char *in = fresh_dir ("listed");
  g_autofree char *out = fresh_dir ("listed-out");
  g_autofree char *list = g_build_filename (in, "inputs.txt", NULL);
  g_autofree char *b = g_build_filename (in, "y", "b", "talk.mp4", NULL);
  g_autofree char *text = NULL;
  g_autoptr(AveBatchState) state = NULL;

  put_clip (in, "x/a/talk.mp4");
  put_clip (in, "y/b/talk.mp4");
  text = g_strdup_printf ("# two talks\nx/a/talk.mp4\n\n%s\n", b);
  g_assert_true (g_file_set_contents (list, text, -1, NULL));
  g_assert_cmpint (ave_test_sh_status (NULL, NULL, "'%s' batch '%s' -o '%s' --mode fast",
                                       ave_test_binary (), list, out), ==, 0);
  state = load_state (out);
  g_assert_cmpuint (ave_batch_state_get_n_items (state), ==, 2);
  assert_done_in (item_for (state, in, "x/a/talk.mp4"), out, "x/a/talk");
  assert_done_in (item_for (state, in, "y/b/talk.mp4"), out, "y/b/talk");
}

/* -o is the input folder: the results written there are not inputs of the
 * next run. */
static void
test_output_in_input (void)
{
  g_autofree char *dir = fresh_dir ("same");
  g_autoptr(AveBatchState) state = NULL;

  put_clip (dir, "talk.mp4");
  for (guint run = 0; run < 2; run++)
    {
      g_assert_cmpint (ave_test_sh_status (NULL, NULL, "'%s' batch '%s' -o '%s' --mode fast",
                                           ave_test_binary (), dir, dir), ==, 0);
      g_clear_pointer (&state, ave_batch_state_free);
      state = load_state (dir);
      g_assert_cmpuint (ave_batch_state_get_n_items (state), ==, 1);
      assert_done_in (item_for (state, dir, "talk.mp4"), dir, "talk");
    }
}

static void
test_retry (void)
{
  g_autofree char *in = fresh_dir ("retry");
  g_autofree char *out = fresh_dir ("retry-out");
  g_autofree char *bad = g_build_filename (in, "broken.mkv", NULL);
  g_autofree char *json = NULL;
  g_autoptr(AveBatchState) state = NULL;
  AveBatchItem *item;

  put_clip (in, "good.mp4");
  g_assert_true (g_file_set_contents (bad, "\x1a\x45\xdf\xa3 truncated", -1, NULL));
  g_assert_cmpint (ave_test_sh_status (&json, NULL, "'%s' batch '%s' -o '%s' --retry 2 --json --mode fast",
                                       ave_test_binary (), in, out), ==, 1);
  /* Three runs of the broken file, one of the good one. */
  g_assert_cmpuint (count (json, "\"event\":\"input-start\""), ==, 4);
  g_assert_cmpuint (count (json, "\"status\":\"retry\""), ==, 2);
  g_assert_cmpuint (count (json, "\"status\":\"failed\""), ==, 1);
  state = load_state (out);
  item = item_for (state, in, "broken.mkv");
  g_assert_cmpstr (ave_batch_item_state_to_string (item->state), ==, "failed");
  g_assert_cmpuint (item->attempts, ==, 3);
  item = item_for (state, in, "good.mp4");
  g_assert_cmpuint (item->attempts, ==, 1);
  g_assert_cmpstr (ave_batch_item_state_to_string (item->state), ==, "done");
}

static gboolean
has_state (AveBatchState *state, AveBatchItemState wanted)
{
  for (guint i = 0; i < ave_batch_state_get_n_items (state); i++)
    if (ave_batch_state_get_item (state, i)->state == wanted)
      return TRUE;
  return FALSE;
}

/* The real process killed with SIGKILL while an input runs, then resumed;
 * then one input changes and only it runs again. */
static void
test_resume_after_kill (void)
{
  g_autofree char *in = fresh_dir ("killed");
  g_autofree char *out = fresh_dir ("killed-out");
  g_autofree char *json = NULL;
  g_autofree char *changed = NULL;
  g_autoptr(AveBatchState) state = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "t1.mp4", "t2.mp4", "t3.mp4", "t4.mp4", "t5.mp4" };
  char *argv[] = { (char *) ave_test_binary (), "batch", in, "-o", out, "--jobs", "1", NULL };
  char *killed_input = NULL;
  guint killed_attempts = 0;
  GPid pid;
  int wait_status;
  gint64 deadline;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    put_clip (in, names[i]);
  g_assert_true (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
  g_assert_no_error (error);

  /* Wait until one input is done and the next one runs. */
  deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(AveBatchState) now = ave_batch_state_load (out, NULL);

      if (now != NULL && has_state (now, AVE_BATCH_DONE) && has_state (now, AVE_BATCH_RUNNING))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_usleep (300000);   /* into the work of the running input */
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (wait_status));

  /* What the kill left: a readable state file, and no half-written video
   * where a result would be. */
  state = load_state (out);
  g_assert_true (has_state (state, AVE_BATCH_DONE));
  for (guint i = 0; i < ave_batch_state_get_n_items (state); i++)
    {
      AveBatchItem *item = ave_batch_state_get_item (state, i);
      g_autofree char *final = g_build_filename (item->output, "final.mp4", NULL);

      if (item->state == AVE_BATCH_DONE)
        g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
      else
        g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
      if (item->state == AVE_BATCH_RUNNING)
        {
          killed_input = g_strdup (item->input);
          killed_attempts = item->attempts;
        }
    }
  g_assert_nonnull (killed_input);
  g_clear_pointer (&state, ave_batch_state_free);

  g_assert_cmpint (ave_test_sh_status (&json, NULL, "'%s' batch '%s' -o '%s' --resume --json",
                                       ave_test_binary (), in, out), ==, 0);
  state = load_state (out);
  for (guint i = 0; i < ave_batch_state_get_n_items (state); i++)
    {
      AveBatchItem *item = ave_batch_state_get_item (state, i);
      g_autofree char *staging = g_build_filename (item->output, ".ai-video-editor-staging", NULL);

      assert_done_in (item, out, item->name);
      g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
      /* Done before the kill: not run again. */
      if (g_str_equal (item->input, killed_input))
        g_assert_cmpuint (item->attempts, ==, killed_attempts + 1);
      else
        g_assert_cmpuint (item->attempts, ==, 1);
    }
  g_assert_nonnull (strstr (json, "\"skipped\":"));
  g_assert_null (strstr (json, "\"skipped\":0"));
  g_clear_pointer (&json, g_free);

  /* Everything done: a resume runs nothing... */
  g_assert_cmpint (ave_test_sh_status (&json, NULL, "'%s' batch '%s' -o '%s' --resume --json",
                                       ave_test_binary (), in, out), ==, 0);
  g_assert_cmpuint (count (json, "\"event\":\"input-start\""), ==, 0);
  g_assert_nonnull (strstr (json, "\"skipped\":5"));
  g_clear_pointer (&json, g_free);

  /* ...until an input changes: only that one runs again. */
  changed = g_build_filename (in, "t2.mp4", NULL);
  ave_test_sh ("touch -d '2 minutes ago' '%s'", changed);
  g_assert_cmpint (ave_test_sh_status (&json, NULL, "'%s' batch '%s' -o '%s' --resume --json",
                                       ave_test_binary (), in, out), ==, 0);
  g_assert_cmpuint (count (json, "\"event\":\"input-start\""), ==, 1);
  g_assert_nonnull (strstr (json, changed));
  g_assert_nonnull (strstr (json, "\"skipped\":4"));
  g_free (killed_input);
}

static void
test_usage (void)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' batch /nonexistent", ave_test_binary ()), ==, 2);
  g_assert_nonnull (strstr (err, "-o DIR"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' batch /nonexistent -o /tmp/x --jobs 0x", ave_test_binary ()), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' batch /nonexistent-folder -o '%s'",
                                       ave_test_binary (), ave_test_tmpdir ()), ==, 1);
  g_assert_nonnull (strstr (err, "no such folder or list file"));
}

/* batch.json is read by the engine's one document reader: a file this
 * build cannot resume from is refused naming the file and the member. */
static void
expect_state_error (const char *dir,
                    const char *json,
                    const char *detail)
{
  g_autofree char *path = g_build_filename (dir, AVE_BATCH_STATE_NAME, NULL);
  g_autofree char *expected = g_strdup_printf ("%s: %s", path, detail);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveBatchState) state = NULL;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  state = ave_batch_state_load (dir, &error);
  g_assert_null (state);
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_state_errors (void)
{
  g_autofree char *dir = ave_test_path ("state-errors");

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  expect_state_error (dir,
                      "{\"version\":1,\"kind\":\"process\",\"items\":["
                      "{\"input\":\"/a.mp4\",\"name\":\"a\",\"state\":\"done\"},"
                      "{\"input\":\"/b.mp4\",\"name\":\"b\",\"state\":\"done\",\"attempts\":\"2\"}]}",
                      "items[1].attempts: expected a number, found a string");
  expect_state_error (dir, "{\"kind\":\"process\",\"items\":[]}", "version: missing (expected 1)");
  expect_state_error (dir, "{\"version\":2,\"items\":[]}",
                      "version: batch version 2 is newer than this program understands (it reads version 1); "
                      "use another output folder or remove the file");
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/batch/usage", test_usage);
  g_test_add_func ("/batch/state-errors", test_state_errors);
  g_test_add_func ("/batch/collisions-and-bad-input", test_collisions_and_bad_input);
  g_test_add_func ("/batch/list-file", test_list_file);
  g_test_add_func ("/batch/output-in-input", test_output_in_input);
  g_test_add_func ("/batch/retry", test_retry);
  g_test_add_func ("/batch/resume-after-kill", test_resume_after_kill);
  return g_test_run ();
}
