/* Every command line of the user's performance guide runs, exactly as
 * written, with ai-video-editor in place of the Python module, on a small
 * generated talk.  The list is tests/guide-commands.txt; when the guide
 * itself is next to the source tree (../shared/spec/) the list is checked
 * against it first, so a new command in the guide cannot be missed. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "ave-test-util.h"

#define PYTHON_PREFIX "python -m ai_video_editor.cli.main"

/* The bash blocks of the guide, continuation lines joined, whitespace
 * collapsed: one entry per command. */
static GPtrArray *
extract_commands (const char *markdown)
{
  GPtrArray *commands = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (markdown, "\n", -1);
  g_autoptr(GString) current = NULL;
  gboolean in_bash = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_strstrip (g_strdup (lines[i]));
      gboolean continues;

      if (g_str_has_prefix (line, "```"))
        {
          in_bash = !in_bash && g_str_equal (line, "```bash");
          continue;
        }
      if (!in_bash)
        continue;
      if (current == NULL && !g_str_has_prefix (line, PYTHON_PREFIX))
        continue;
      continues = g_str_has_suffix (line, "\\");
      if (continues)
        line[strlen (line) - 1] = '\0';
      if (current == NULL)
        current = g_string_new ("ai-video-editor");
      g_string_append_c (current, ' ');
      g_string_append (current, g_str_has_prefix (line, PYTHON_PREFIX) ? line + strlen (PYTHON_PREFIX) : line);
      if (!continues)
        {
          g_auto(GStrv) words = g_strsplit_set (current->str, " \t", -1);
          g_autoptr(GPtrArray) kept = g_ptr_array_new ();

          for (guint w = 0; words[w] != NULL; w++)
            if (*words[w] != '\0')
              g_ptr_array_add (kept, words[w]);
          g_ptr_array_add (kept, NULL);
          g_ptr_array_add (commands, g_strjoinv (" ", (char **) kept->pdata));
          g_string_free (g_steal_pointer (&current), TRUE);
        }
    }
  return commands;
}

static GPtrArray *
load_checked_in_list (void)
{
  g_autofree char *path = g_build_filename (ave_test_source_root (), "tests", "guide-commands.txt", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *commands = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0' && *lines[i] != '#')
      g_ptr_array_add (commands, g_strdup (lines[i]));
  return commands;
}

static GPtrArray *guide_commands;

static void
test_list_matches_guide (void)
{
  g_autofree char *guide = g_build_filename (ave_test_source_root (), "..", "shared", "spec",
                                             "performance-optimization-guide.md", NULL);
  g_autofree char *markdown = NULL;
  g_autoptr(GPtrArray) extracted = NULL;

  /* The list itself must hold every kind of line the guide has. */
  g_assert_cmpuint (guide_commands->len, >=, 25);
  if (!g_file_get_contents (guide, &markdown, NULL, NULL))
    {
      /* Not a pass: nothing was compared. */
      g_autofree char *why = g_strdup_printf ("%s is not there: the checked-in list was not compared with the guide",
                                              guide);
      g_test_skip (why);
      return;
    }
  extracted = extract_commands (markdown);
  g_assert_cmpuint (extracted->len, ==, guide_commands->len);
  for (guint i = 0; i < extracted->len; i++)
    g_assert_cmpstr (g_ptr_array_index (extracted, i), ==, g_ptr_array_index (guide_commands, i));
}

static void
prepare_workspace (void)
{
  const char *video = ave_test_sample ("video.mp4", 7, 320, 180);
  g_autofree char *config = g_build_filename (ave_test_source_root (), "tests", "data", "performance_config.yaml", NULL);

  ave_test_sh ("ln -sf '%s' lecture.mp4 && ln -sf '%s' music_video.mp4 && cp '%s' performance_config.yaml",
               video, video, config);
}

/* The resolved settings of a command line (its --print-settings --json):
 * name → { value, source, origin }. */
static JsonObject *
settings_of (const char *args)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  int status;

  status = ave_test_sh_status (&out, &err, "'%s' %s --print-settings --json", ave_test_binary (), args);
  if (status != 0)
    g_error ("exit %d: %s --print-settings --json\n%s", status, args, err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                                         "settings"));
}

/* Each flag of a process line has an effect on the settings: given alone,
 * it sets at least one setting (its origin names the flag), and on the
 * whole line each of those settings still comes from it, or from another
 * flag of the line that sets the same thing (--stream-processing after
 * --memory-efficient; --monitor-memory, which --memory-alerts implies).  What each setting then does in a run is the
 * subject of the other tests (docs/cli.md names the setting of each flag). */
static void
assert_flags_have_effects (char **words,
                           guint  first_flag)
{
  g_autoptr(GString) line_args = g_string_new ("process video.mp4");
  g_autoptr(JsonObject) line_settings = NULL;

  for (guint i = first_flag; words[i] != NULL; i++)
    if (!g_str_equal (words[i], "/fast/ssd/temp"))
      g_string_append_printf (line_args, " '%s'", words[i]);
    else
      g_string_append (line_args, " fast-ssd-temp");
  line_settings = settings_of (line_args->str);

  for (guint i = first_flag; words[i] != NULL; i++)
    {
      const char *flag = words[i];
      const char *value = words[i + 1] != NULL && !g_str_has_prefix (words[i + 1], "--") ? words[i + 1] : NULL;
      g_autofree char *alone_args = NULL;
      g_autoptr(JsonObject) alone = NULL;
      g_autoptr(GList) names = NULL;
      guint n_set = 0;

      if (!g_str_has_prefix (flag, "--"))
        continue;
      alone_args = g_strdup_printf ("process video.mp4 '%s'%s%s%s", flag,
                                    value != NULL ? " '" : "",
                                    value != NULL ? (g_str_equal (value, "/fast/ssd/temp") ? "fast-ssd-temp" : value) : "",
                                    value != NULL ? "'" : "");
      alone = settings_of (alone_args);
      names = json_object_get_members (alone);
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonObject *setting = json_object_get_object_member (alone, l->data);
          JsonObject *on_line = json_object_get_object_member (line_settings, l->data);
          const char *origin = json_object_get_string_member_with_default (setting, "origin", NULL);
          const char *line_origin = json_object_get_string_member_with_default (on_line, "origin", NULL);
          gboolean other_flag = FALSE;

          if (g_strcmp0 (origin, flag) != 0)
            continue;
          n_set++;
          for (guint j = first_flag; words[j] != NULL && !other_flag; j++)
            other_flag = g_strcmp0 (line_origin, words[j]) == 0;
          if (!other_flag)
            g_error ("%s: on the line, %s comes from %s, not from the flag", flag, (const char *) l->data,
                     line_origin != NULL ? line_origin : "its default");
        }
      if (n_set == 0)
        g_error ("%s is accepted but sets no setting (process video.mp4 %s%s%s --print-settings)", flag, flag,
                 value != NULL ? " " : "", value != NULL ? value : "");
    }
}

static void
test_command (gconstpointer data)
{
  const char *line = data;
  g_autofree char *fast_temp = ave_test_path ("fast-ssd-temp");
  g_autofree char *cache = ave_test_path ("xdg-cache");
  g_autoptr(GString) cmd = g_string_new (NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) words = g_strsplit (line, " ", -1);
  const char *input = NULL;
  gboolean process = FALSE;
  int status;

  g_assert_true (g_str_has_prefix (line, "ai-video-editor "));
  /* Each process line starts from no results, so its own final.mp4 is checked. */
  ave_test_sh ("rm -rf output");

  g_string_printf (cmd, "XDG_CACHE_HOME='%s' '%s'", cache, ave_test_binary ());
  for (guint i = 1; words[i] != NULL; i++)
    {
      /* The guide's example folder for fast temporary files does not exist
       * here; everything else is used as written. */
      const char *word = g_str_equal (words[i], "/fast/ssd/temp") ? fast_temp : words[i];
      if (g_str_equal (word, "process"))
        process = TRUE;
      if (g_str_has_suffix (word, ".mp4"))
        input = word;
      g_string_append_printf (cmd, " '%s'", word);
    }

  status = ave_test_sh_status (&out, &err, "%s", cmd->str);
  if (status != 0)
    g_error ("exit %d: %s\n--- stdout\n%s\n--- stderr\n%s", status, line, out, err);

  if (process && g_str_equal (words[1], "process"))
    assert_flags_have_effects (words, 3);
  if (process)
    {
      g_autofree char *stem = g_strndup (input, strlen (input) - strlen (".mp4"));
      g_autofree char *final = g_strdup_printf ("%s/output/%s/final.mp4", ave_test_tmpdir (), stem);
      g_autofree char *duration = NULL;

      g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
      duration = ave_test_sh_output ("ffprobe -v error -show_entries format=duration -of csv=p=0 '%s'", final);
      g_assert_cmpfloat (g_ascii_strtod (duration, NULL), >, 1.0);
    }
  if (strstr (line, "--metrics-output ./metrics/") != NULL)
    {
      g_autofree char *listing = ave_test_sh_output ("ls metrics");
      g_assert_cmpstr (g_strstrip (listing), !=, "");
    }
  if (strstr (line, "--report-output ./performance_report.json") != NULL)
    {
      g_autofree char *report = ave_test_path ("performance_report.json");
      g_assert_true (g_file_test (report, G_FILE_TEST_IS_REGULAR));
    }
  if (strstr (line, "--verbose-timing") != NULL)
    g_assert_nonnull (strstr (err, "timing of video.mp4"));
  if (strstr (line, "--cuda-optimization") != NULL)
    g_assert_nonnull (strstr (err, "not CUDA"));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  guide_commands = load_checked_in_list ();
  g_test_add_func ("/engine/guide/list-matches-guide", test_list_matches_guide);
  g_test_add_func ("/engine/guide/workspace", prepare_workspace);
  for (guint i = 0; i < guide_commands->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/guide/command-%02u", i + 1);
      g_test_add_data_func (path, g_ptr_array_index (guide_commands, i), test_command);
    }

  return g_test_run ();
}
