/* test-cli.c — the command line as a user meets it: exit codes, one-line
 * errors for every kind of bad input, JSON events, results on disk. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ave-test-util.h"

/* Runs the binary with a shell-quoted argument string. */
static int
run_cli (char **out, char **err, const char *args)
{
  return ave_test_sh_status (out, err, "'%s' %s", ave_test_binary (), args);
}

/* run_cli() that frees `args` (made with g_strdup_printf()): the sanitized
 * build checks the tests for leaks too. */
static int
run_cli_take (char **out, char **err, char *args)
{
  g_autofree char *owned = args;

  return run_cli (out, err, owned);
}

static guint
count_lines (const char *text)
{
  guint n = 0;
  for (const char *p = text; p && *p; p++)
    if (*p == '\n')
      n++;
  return n;
}

static void
test_help (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (&out, &err, "--help"), ==, 0);
  g_assert_nonnull (strstr (out, "process"));
  g_assert_nonnull (strstr (out, "analyze"));
  g_assert_nonnull (strstr (out, "Exit status"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, NULL, "process --help"), ==, 0);
  g_assert_nonnull (strstr (out, "--quality"));
  g_assert_nonnull (strstr (out, "--plan"));
  g_assert_nonnull (strstr (out, "130"));
}

static void
assert_usage (const char *args, const char *expected)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (NULL, &err, args), ==, 2);
  if (strstr (err, expected) == NULL)
    g_error ("'%s': expected '%s' in: %s", args, expected, err);
}

static void
test_usage_errors (void)
{
  assert_usage ("process --frobnicate x.mp4", "frobnicate");
  assert_usage ("process --quality extreme x.mp4", "fast|medium|high|ultra");
  assert_usage ("process --mode turbo x.mp4", "fast|balanced|high_quality");
  assert_usage ("process --type cooking x.mp4", "general|educational|music");
  assert_usage ("process", "no input");
  assert_usage ("analyze", "no input");
  assert_usage ("transmogrify x.mp4", "not a command");
  assert_usage ("process --plan p.json a.mp4 b.mp4", "exactly one input");
}

/* A bad input: exit 1, one line naming the file, nothing left in DIR. */
static void
assert_bad_input (const char *path, const char *expected_words)
{
  g_autofree char *outdir = ave_test_path ("bad-out");
  g_autofree char *err = NULL;
  g_autofree char *final = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_auto(GStrv) lines = NULL;
  g_autofree char *lower = NULL;

  g_assert_cmpint (run_cli_take (NULL, &err, g_strdup_printf ("process '%s' -o '%s'", path, outdir)), ==, 1);
  /* Progress lines are indented; the failure is exactly one line. */
  lines = g_strsplit (g_strstrip (err), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!g_str_has_prefix (lines[i], "  ") && !g_str_has_prefix (lines[i], "ai-video-editor: "))
      g_error ("%s: unexpected line on stderr: %s", path, lines[i]);
  g_assert_true (g_str_has_prefix (lines[g_strv_length (lines) - 1], "ai-video-editor: "));
  g_assert_nonnull (strstr (lines[g_strv_length (lines) - 1], base));
  for (guint i = 0; lines[i + 1] != NULL; i++)
    g_assert_false (g_str_has_prefix (lines[i], "ai-video-editor: "));
  lower = g_ascii_strdown (err, -1);
  if (expected_words != NULL && strstr (lower, expected_words) == NULL)
    g_error ("%s: expected '%s' in: %s", path, expected_words, err);
  final = g_build_filename (outdir, base, "final.mp4", NULL);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
}

static void
test_bad_inputs (void)
{
  g_autofree char *missing = ave_test_path ("missing.mp4");
  g_autofree char *dir = ave_test_path ("a-directory.mp4");
  g_autofree char *empty = ave_test_path ("empty.mp4");
  g_autofree char *random = ave_test_path ("random.mp4");
  g_autofree char *text = ave_test_path ("notes.mp4");
  g_autofree char *unknown = ave_test_path ("unknown-codec.mkv");

  g_mkdir (dir, 0755);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  ave_test_sh ("head -c 200000 /dev/urandom > '%s'", random);
  g_assert_true (g_file_set_contents (text, "These are my notes for the talk.\nNot a video.\n", -1, NULL));
  /* Matroska whose codec ID (same length as H.264's) names no codec FFmpeg knows */
  ave_test_sh ("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s=64x48:d=1 -c:v libx264 -f matroska - "
               "| sed 's|V_MPEG4/ISO/AVC|V_MPEG4/ISO/QQQ|' > '%s'", unknown);

  assert_bad_input (missing, "no such file");
  assert_bad_input (dir, "folder");
  assert_bad_input (empty, "empty");
  assert_bad_input (random, NULL);
  assert_bad_input (text, NULL);
  assert_bad_input (unknown, "codec");
}

static JsonObject *load_json (const char *path);
static double probe_duration (const char *path);

/* A file cut off in the middle (an interrupted download): either processed
 * as far as it goes with a warning, or refused in one line — never a crash,
 * never a final.mp4 for a refusal. */
static void
test_truncated_input (void)
{
  const char *sample = ave_test_sample ("short.mp4", 8, 320, 180);
  g_autofree char *mkv = ave_test_path ("cut-off.mkv");
  g_autofree char *outdir = ave_test_path ("truncated-out");
  g_autofree char *final = g_build_filename (outdir, "cut-off", "final.mp4", NULL);
  g_autofree char *err = NULL;
  int rc;

  /* Matroska keeps its index at the end: the first 60 % still streams. */
  ave_test_sh ("ffmpeg -nostdin -v error -y -i '%s' -c copy '%s.full.mkv' && "
               "head -c $(( $(stat -c %%s '%s.full.mkv') * 6 / 10 )) '%s.full.mkv' > '%s'",
               sample, mkv, mkv, mkv, mkv);
  rc = run_cli_take (NULL, &err, g_strdup_printf ("process '%s' -o '%s'", mkv, outdir));
  if (rc == 0)
    {
      g_assert_nonnull (strstr (err, "warning"));
      g_assert_nonnull (strstr (err, "ends early"));
      g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
      /* nothing is planned or rendered past what could be decoded */
      {
        g_autofree char *plan_path = g_build_filename (outdir, "cut-off", "plan.json", NULL);
        g_autoptr(JsonObject) plan = load_json (plan_path);
        double decoded = json_object_get_double_member (plan, "source_duration");
        g_assert_cmpfloat (decoded, <, 8.0 * 0.8);
        g_assert_cmpfloat (probe_duration (final), <=, decoded + 0.05);
      }
    }
  else
    {
      g_assert_cmpint (rc, ==, 1);
      g_assert_nonnull (strstr (err, "cut-off.mkv"));
      g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
    }
}

static void
test_unwritable_output (void)
{
  const char *sample = ave_test_sample ("short.mp4", 8, 320, 180);
  g_autofree char *file = ave_test_path ("a-file");
  g_autofree char *err = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  /* a folder below a regular file cannot be created, even as root */
  g_assert_cmpint (run_cli_take (NULL, &err, g_strdup_printf ("analyze '%s' -o '%s/out'", sample, file)), ==, 1);
  g_assert_cmpuint (count_lines (err), ==, 1);
  g_assert_nonnull (strstr (err, "-o"));
}

static JsonObject *
parse_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, line, -1, &error))
    g_error ("not JSON: %s (%s)", line, error->message);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_json_events (void)
{
  const char *sample = ave_test_sample ("short.mp4", 8, 320, 180);
  g_autofree char *outdir = ave_test_path ("json-out");
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean audio_end = FALSE, video_end = FALSE, result = FALSE, done = FALSE, progress = FALSE;

  g_assert_cmpint (run_cli_take (&out, NULL, g_strdup_printf ("analyze --json '%s' -o '%s'", sample, outdir)), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonObject) o = parse_line (lines[i]);
      const char *event = json_object_get_string_member (o, "event");
      const char *stage = json_object_get_string_member_with_default (o, "stage", "");

      if (g_str_equal (event, "stage-end"))
        {
          g_assert_true (json_object_get_double_member (o, "wall_seconds") >= 0);
          audio_end |= g_str_equal (stage, "audio_analysis");
          video_end |= g_str_equal (stage, "video_analysis");
        }
      else if (g_str_equal (event, "progress"))
        {
          double f = json_object_get_double_member (o, "fraction");
          g_assert_true (f >= 0 && f <= 1);
          progress = TRUE;
        }
      else if (g_str_equal (event, "result"))
        {
          g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "analysis");
          g_assert_true (g_file_test (json_object_get_string_member (o, "path"), G_FILE_TEST_IS_REGULAR));
          result = TRUE;
        }
      else if (g_str_equal (event, "done"))
        {
          g_assert_cmpint (json_object_get_int_member (o, "succeeded"), ==, 1);
          done = TRUE;
        }
    }
  g_assert_true (audio_end && video_end && result && done && progress);
}

static double
probe_duration (const char *path)
{
  g_autofree char *out = ave_test_sh_output (
      "ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 '%s'", path);
  return g_ascii_strtod (out, NULL);
}

static JsonObject *
load_json (const char *path)
{
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return parse_line (text);
}

static void
test_process_end_to_end (void)
{
  const char *sample = ave_test_sample ("talk.mp4", 20, 640, 360);
  g_autofree char *outdir = ave_test_path ("process-out");
  g_autofree char *dir = g_build_filename (outdir, "talk", NULL);
  g_autofree char *final = g_build_filename (dir, "final.mp4", NULL);
  g_autofree char *plan_path = g_build_filename (dir, "plan.json", NULL);
  g_autofree char *meta_path = g_build_filename (dir, "metadata.json", NULL);
  g_autofree char *analysis_path = g_build_filename (dir, "analysis.json", NULL);
  g_autofree char *thumbs = g_build_filename (dir, "thumbnails", NULL);
  g_autofree char *decode_err = NULL;
  g_autoptr(JsonObject) plan = NULL;
  g_autoptr(JsonObject) meta = NULL;
  g_autoptr(JsonObject) analysis = NULL;
  g_autoptr(GDir) listing = NULL;
  double planned, actual;
  guint n_thumbs = 0;
  const char *name;

  g_assert_cmpint (run_cli_take (NULL, NULL, g_strdup_printf ("process '%s' -o '%s'", sample, outdir)), ==, 0);

  g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
  plan = load_json (plan_path);
  meta = load_json (meta_path);
  analysis = load_json (analysis_path);
  g_assert_cmpint (json_object_get_int_member (plan, "version"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (analysis, "version"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (plan, "segments")), >=, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (meta, "titles")), >=, 1);

  /* The render matches the plan and is shorter than the source: long
   * pauses are gone. */
  planned = json_object_get_double_member (plan, "output_duration");
  actual = probe_duration (final);
  g_assert_cmpfloat_with_epsilon (actual, planned, 1.0 / 30 + 0.03);
  g_assert_cmpfloat (actual, <, 20 - 1.5);

  /* The output decodes without a single error. */
  ave_test_sh_status (NULL, &decode_err, "ffmpeg -nostdin -v error -i '%s' -f null -", final);
  g_assert_cmpstr (g_strstrip (decode_err), ==, "");

  listing = g_dir_open (thumbs, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_assert_true (g_str_has_suffix (name, ".jpg"));
      n_thumbs++;
    }
  g_assert_cmpuint (n_thumbs, >=, 1);

  /* No temporary files are left behind: the only hidden files are the
   * folder's lock and the record of what the engine wrote. */
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    while ((name = g_dir_read_name (d)) != NULL)
      g_assert_true (name[0] != '.' || g_str_equal (name, ".ai-video-editor.lock")
                     || g_str_equal (name, ".ai-video-editor-manifest.json"));
  }
}

static void
test_process_with_plan (void)
{
  const char *sample = ave_test_sample ("talk.mp4", 20, 640, 360);
  g_autofree char *outdir = ave_test_path ("plan-out");
  g_autofree char *plan_path = ave_test_path ("edited-plan.json");
  g_autofree char *bad_plan = ave_test_path ("bad-plan.json");
  g_autofree char *final = g_build_filename (outdir, "talk", "final.mp4", NULL);
  g_autofree char *err = NULL;
  g_autofree char *json = g_strdup_printf (
      "{\"version\":1,\"source\":\"%s\",\"source_duration\":20,"
      "\"segments\":[{\"start\":1.0,\"end\":4.0},{\"start\":10.0,\"end\":12.5,\"transition\":\"cut\"}]}",
      sample);

  g_assert_true (g_file_set_contents (plan_path, json, -1, NULL));
  g_assert_cmpint (run_cli_take (NULL, NULL, g_strdup_printf ("process '%s' --plan '%s' -o '%s'", sample, plan_path, outdir)), ==, 0);
  g_assert_cmpfloat_with_epsilon (probe_duration (final), 5.5, 1.0 / 30 + 0.03);

  /* A plan with a mistake names the field and leaves no video. */
  g_free (json);
  json = g_strdup_printf ("{\"version\":1,\"source\":\"%s\",\"source_duration\":20,"
                          "\"segments\":[{\"start\":3.0,\"end\":2.0}]}", sample);
  g_assert_true (g_file_set_contents (bad_plan, json, -1, NULL));
  g_unlink (final);
  g_assert_cmpint (run_cli_take (NULL, &err, g_strdup_printf ("process '%s' --plan '%s' -o '%s'", sample, bad_plan, outdir)), ==, 1);
  g_assert_nonnull (strstr (err, "segments[0]"));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
}

static void
test_several_inputs (void)
{
  const char *sample = ave_test_sample ("short.mp4", 8, 320, 180);
  g_autofree char *missing = ave_test_path ("nothing-here.mp4");
  g_autofree char *outdir = ave_test_path ("multi-out");
  g_autofree char *err = NULL;
  g_autofree char *analysis = g_build_filename (outdir, "short", "analysis.json", NULL);

  /* The bad one comes first and does not stop the good one. */
  g_assert_cmpint (run_cli_take (NULL, &err, g_strdup_printf ("analyze '%s' '%s' -o '%s'", missing, sample, outdir)), ==, 1);
  g_assert_nonnull (strstr (err, "nothing-here.mp4"));
  g_assert_true (g_file_test (analysis, G_FILE_TEST_IS_REGULAR));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/bad-inputs", test_bad_inputs);
  g_test_add_func ("/cli/truncated-input", test_truncated_input);
  g_test_add_func ("/cli/unwritable-output", test_unwritable_output);
  g_test_add_func ("/cli/json-events", test_json_events);
  g_test_add_func ("/cli/several-inputs", test_several_inputs);
  g_test_add_func ("/cli/process/end-to-end", test_process_end_to_end);
  g_test_add_func ("/cli/process/with-plan", test_process_with_plan);

  return g_test_run ();
}
