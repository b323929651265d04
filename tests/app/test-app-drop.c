/* test-app-drop.c — files dropped on the window, under Xvfb and a private
 * session bus (see meson.build): a GdkFileList of two real videos is
 * delivered to the window's own GtkDropTarget, the way a file manager's
 * drop arrives.  The first video opens, each becomes a job of the
 * document's queue (one runs, one waits); the jobs either run to their
 * results or are cancelled without leaving any output behind. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "ave-test-util.h"
#include "ave-application.h"
#include "ave-app-settings.h"
#include "ave-document.h"
#include "ave-graph.h"
#include "ave-window.h"
#include "ave-transcript-view.h"
#include "director/ave-project.h"
#include "ave-preview.h"

typedef struct
{
  guint n_ok;
  guint n_failed;
  guint max_jobs;
} Counts;

static void
on_job_finished (AveDocument *document, guint kind, const char *source, gboolean ok, Counts *counts)
{
  if (ok)
    counts->n_ok++;
  else
    counts->n_failed++;
}

static void
on_n_jobs (AveDocument *document, GParamSpec *pspec, Counts *counts)
{
  counts->max_jobs = MAX (counts->max_jobs, ave_document_get_n_jobs (document));
}

static gboolean
wait_until (gboolean (*done) (gpointer), gpointer data, int seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
has_source (gpointer data)
{
  return ave_document_get_source (data) != NULL;
}

static gboolean
is_idle (gpointer data)
{
  return !ave_document_is_busy (data);
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}

/* Emits the target's "drop" with a GdkFileList of `paths`. */
static gboolean
drop_files (AveWindow *window, const char *const *paths)
{
  GtkDropTarget *target = find_drop_target (GTK_WIDGET (window));
  g_autoslist(GFile) files = NULL;
  GValue value = G_VALUE_INIT;
  gboolean taken = FALSE;

  g_assert_nonnull (target);
  for (guint i = 0; paths[i] != NULL; i++)
    files = g_slist_append (files, g_file_new_for_path (paths[i]));
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_signal_emit_by_name (target, "drop", &value, 20.0, 20.0, &taken);
  g_value_unset (&value);
  return taken;
}

static char *
output_folder (const char *name)
{
  g_autofree char *root = ave_test_path ("out");

  return g_build_filename (root, name, NULL);
}

static AveApplication *app;

static AveWindow *
new_window (void)
{
  AveWindow *window = ave_window_new (app);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
close_window (AveWindow *window)
{
  AveDocument *document = ave_window_get_document (window);

  g_assert_true (wait_until (is_idle, document, 60));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Two videos dropped: the first opens, both run one after the other and
 * each writes its own results; the opened one's plan is the document's. */
static void
test_drop_runs (void)
{
  const char *a = ave_test_sample ("drop-run-a.mp4", 6, 160, 90);
  const char *b = ave_test_sample ("drop-run-b.mp4", 6, 160, 90);
  const char *paths[] = { a, b, NULL };
  AveWindow *window = new_window ();
  AveDocument *document = ave_window_get_document (window);
  Counts counts = { 0 };
  g_autofree char *out_a = output_folder ("drop-run-a");
  g_autofree char *out_b = output_folder ("drop-run-b");
  g_autofree char *final_a = g_build_filename (out_a, "final.mp4", NULL);
  g_autofree char *final_b = g_build_filename (out_b, "final.mp4", NULL);

  g_signal_connect (document, "job-finished", G_CALLBACK (on_job_finished), &counts);
  g_signal_connect (document, "notify::n-jobs", G_CALLBACK (on_n_jobs), &counts);

  g_assert_true (drop_files (window, paths));
  /* Queued at once, in the engine's queue: one runs, one waits. */
  g_assert_cmpuint (ave_document_get_n_jobs (document), ==, 2);
  g_assert_cmpuint (ave_document_get_n_waiting (document), ==, 1);
  g_assert_true (wait_until (has_source, document, 30));
  g_assert_cmpstr (ave_document_get_source (document), ==, a);

  g_assert_true (wait_until (is_idle, document, 300));
  g_assert_cmpuint (counts.n_ok, ==, 2);
  g_assert_cmpuint (counts.n_failed, ==, 0);
  g_assert_cmpuint (counts.max_jobs, ==, 2);
  g_assert_true (g_file_test (final_a, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (final_b, G_FILE_TEST_IS_REGULAR));
  /* The opened video's plan and results are the document's; b's are not. */
  g_assert_nonnull (ave_document_get_plan (document));
  g_assert_cmpstr (ave_document_get_final_path (document), ==, final_a);
  {
    g_autofree char *dir = ave_document_dup_output_dir (document);

    g_assert_cmpstr (dir, ==, out_a);
  }
  g_assert_true (ave_window_can_render (window));
  close_window (window);
}

/* Cancel while the first runs and the second waits: both stop, nothing
 * of either is left in the output folder, and the window can process
 * again. */
static void
test_drop_cancel (void)
{
  const char *a = ave_test_sample ("drop-cancel-a.mp4", 6, 160, 90);
  const char *b = ave_test_sample ("drop-cancel-b.mp4", 6, 160, 90);
  const char *paths[] = { a, b, NULL };
  AveWindow *window = new_window ();
  AveDocument *document = ave_window_get_document (window);
  Counts counts = { 0 };
  g_autofree char *final_a = NULL;
  g_autofree char *out_a = output_folder ("drop-cancel-a");
  g_autofree char *out_b = output_folder ("drop-cancel-b");

  g_signal_connect (document, "job-finished", G_CALLBACK (on_job_finished), &counts);
  g_assert_true (drop_files (window, paths));
  g_assert_cmpuint (ave_document_get_n_jobs (document), ==, 2);
  g_assert_true (ave_window_is_busy (window));
  g_assert_true (wait_until (has_source, document, 30));
  /* Opening another video waits for the queue. */
  g_assert_false (ave_window_can_process (window));

  ave_window_cancel (window);
  g_assert_true (wait_until (is_idle, document, 60));
  g_assert_cmpuint (counts.n_failed, ==, 2);
  g_assert_cmpuint (counts.n_ok, ==, 0);
  final_a = g_build_filename (out_a, "final.mp4", NULL);
  g_assert_false (g_file_test (final_a, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (out_b, G_FILE_TEST_EXISTS));
  g_assert_true (ave_window_can_process (window));
  g_assert_null (ave_document_get_plan (document));
  close_window (window);
}

static void
collect (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

/* Drawn, fully inside the window, and in no scrolled window: in view
 * without scrolling. */
static void
assert_in_view (AveWindow *window, GtkWidget *widget, int width, int height)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (window), &bounds));
  g_assert_cmpfloat (bounds.size.width, >=, 40);
  g_assert_cmpfloat (bounds.size.height, >=, 4);
  g_assert_cmpfloat (bounds.origin.x, >=, 0);
  g_assert_cmpfloat (bounds.origin.y, >=, 0);
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, width);
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, height);
  g_assert_null (gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW));
}

typedef struct
{
  AveWindow *window;
  int        width;
  int        height;
} Size;

static gboolean
has_size (gpointer data)
{
  Size *size = data;

  int width = gtk_widget_get_width (GTK_WIDGET (size->window));
  int height = gtk_widget_get_height (GTK_WIDGET (size->window));

  /* Less the client-side border an uncomposited display draws; more would
   * be the content asking for more than the screen. */
  return width <= size->width && width >= size->width - 16
         && height <= size->height && height >= size->height - 16;
}

/* Issue #14: while a job runs, the five stages and the three live graphs
 * are in view without scrolling at 1280x800 and 1920x1080, and so are the
 * preview, the transcript slot and the timeline. */
static void
test_layout (void)
{
  const char *a = ave_test_sample ("drop-run-a.mp4", 6, 160, 90);
  const char *paths[] = { a, NULL };
  const int sizes[][2] = { { 1280, 800 }, { 1920, 1080 } };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      AveWindow *window = ave_window_new (app);
      AveDocument *document = ave_window_get_document (window);
      Size size = { window, sizes[i][0], sizes[i][1] };
      g_autoptr(GPtrArray) graphs = g_ptr_array_new ();
      g_autoptr(GPtrArray) bars = g_ptr_array_new ();
      g_autoptr(GPtrArray) paned = g_ptr_array_new ();
      GtkWidget *strip;

      gtk_window_set_default_size (GTK_WINDOW (window), size.width, size.height);
      gtk_window_present (GTK_WINDOW (window));
      g_assert_true (drop_files (window, paths));
      g_assert_true (wait_until (has_source, document, 30));
      g_assert_true (ave_window_is_busy (window));
      if (!wait_until (has_size, &size, 10))
        g_error ("the window is %d×%d, not about %d×%d", gtk_widget_get_width (GTK_WIDGET (window)),
                 gtk_widget_get_height (GTK_WIDGET (window)), size.width, size.height);
      /* The editor page's allocation has run. */
      for (int n = 0; n < 50; n++)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (5000);
        }
      collect (GTK_WIDGET (window), AVE_TYPE_GRAPH, graphs);
      g_assert_cmpuint (graphs->len, ==, 3);
      /* The strip under the timeline: graph < its box < the graphs' row <
       * the strip, which holds the stages' bars too. */
      strip = gtk_widget_get_parent (gtk_widget_get_parent (gtk_widget_get_parent (graphs->pdata[0])));
      collect (strip, GTK_TYPE_PROGRESS_BAR, bars);
      g_assert_cmpuint (bars->len, ==, 5);
      for (guint j = 0; j < graphs->len; j++)
        assert_in_view (window, graphs->pdata[j], size.width, size.height);
      for (guint j = 0; j < bars->len; j++)
        assert_in_view (window, bars->pdata[j], size.width, size.height);
      /* Preview and transcript side by side. */
      collect (GTK_WIDGET (window), GTK_TYPE_PANED, paned);
      g_assert_cmpuint (paned->len, >=, 1);
      assert_in_view (window, gtk_paned_get_start_child (paned->pdata[0]), size.width, size.height);
      assert_in_view (window, gtk_paned_get_end_child (paned->pdata[0]), size.width, size.height);
      if (i == 0)
        {
          /* The transcript view fills the slot beside the preview. */
          g_autoptr(GPtrArray) views = g_ptr_array_new ();

          collect (GTK_WIDGET (window), AVE_TYPE_TRANSCRIPT_VIEW, views);
          g_assert_cmpuint (views->len, ==, 1);
          g_assert_true (gtk_widget_is_ancestor (views->pdata[0], gtk_paned_get_end_child (paned->pdata[0])));
          assert_in_view (window, views->pdata[0], size.width, size.height);
        }
      ave_window_cancel (window);
      close_window (window);
    }
}

/* A single GFile (what some sources offer instead of a list) opens too. */
static void
test_drop_gfile (void)
{
  const char *a = ave_test_sample ("drop-run-a.mp4", 6, 160, 90);
  AveWindow *window = new_window ();
  AveDocument *document = ave_window_get_document (window);
  GtkDropTarget *target = find_drop_target (GTK_WIDGET (window));
  GValue value = G_VALUE_INIT;
  gboolean taken = FALSE;

  g_value_init (&value, G_TYPE_FILE);
  g_value_take_object (&value, g_file_new_for_path (a));
  g_signal_emit_by_name (target, "drop", &value, 20.0, 20.0, &taken);
  g_value_unset (&value);
  g_assert_true (taken);
  g_assert_cmpuint (ave_document_get_n_jobs (document), ==, 1);
  g_assert_true (wait_until (has_source, document, 30));
  ave_window_cancel (window);
  close_window (window);
}

static gboolean
has_plan (gpointer data)
{
  return ave_document_get_plan (data) != NULL;
}

typedef struct
{
  AvePreview *preview;
  double      target;
} SeekWait;

static gboolean
preview_at (gpointer data)
{
  SeekWait *wait = data;

  return ave_preview_get_shown_frame (wait->preview) >= 0 &&
         fabs (ave_preview_get_output_position (wait->preview) - wait->target) <= 1.0 / 25.0 + 1e-6;
}

/* The transcript beside the preview is wired to it: a project with words
 * and a cut opens, the transcript shows the plan's words, and a click on a
 * word (its "seek") moves the preview to the word's OUTPUT time (the cut
 * before it removed), within a frame; the playing word follows. */
static void
test_transcript_seeks (void)
{
  const char *video = ave_test_sample ("transcript-seek.mp4", 6, 160, 90);
  g_autofree char *analysis_path = ave_test_path ("transcript-seek-analysis.json");
  g_autofree char *project_path = ave_test_path ("transcript-seek.aveproj");
  g_autoptr(AveAnalysis) analysis = ave_analysis_new (video, NULL);
  g_autoptr(AvePlan) plan = ave_plan_new (video, 6.0);
  AveSegment kept_a = { 0.0, 1.8, AVE_TRANSITION_CUT, 0.0, TRUE, NULL, AVE_SEGMENT_ORIGIN_LOCAL };
  AveSegment cut = { 1.8, 3.0, AVE_TRANSITION_CUT, 0.0, FALSE, (char *) "test cut", AVE_SEGMENT_ORIGIN_USER };
  AveSegment kept_b = { 3.0, 6.0, AVE_TRANSITION_CUT, 0.0, TRUE, NULL, AVE_SEGMENT_ORIGIN_LOCAL };
  g_autoptr(AveProject) project = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (project_path);
  g_autoptr(GPtrArray) views = g_ptr_array_new ();
  g_autoptr(GPtrArray) previews = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  AveWindow *window;
  SeekWait wait;

  ave_analysis_add_word (analysis, "first", 1.0, 1.4, 0.9, FALSE);
  ave_analysis_add_word (analysis, "cut", 2.0, 2.4, 0.9, FALSE);
  ave_analysis_add_word (analysis, "third", 4.0, 4.5, 0.9, FALSE);
  g_assert_true (ave_analysis_save (analysis, analysis_path, &error));
  g_assert_no_error (error);
  g_assert_true (ave_plan_append_segment (plan, &kept_a));
  g_assert_true (ave_plan_append_segment (plan, &cut));
  g_assert_true (ave_plan_append_segment (plan, &kept_b));
  project = ave_project_new (video, plan, NULL, analysis_path);
  g_assert_true (ave_project_save (project, project_path, &error));
  g_assert_no_error (error);

  window = new_window ();
  ave_window_open_file (window, file);
  g_assert_true (wait_until (has_plan, ave_window_get_document (window), 30));
  collect (GTK_WIDGET (window), AVE_TYPE_TRANSCRIPT_VIEW, views);
  collect (GTK_WIDGET (window), AVE_TYPE_PREVIEW, previews);
  g_assert_cmpuint (views->len, ==, 1);
  g_assert_cmpuint (previews->len, ==, 1);
  g_assert_true (ave_transcript_view_get_history (views->pdata[0]) ==
                 ave_document_get_history (ave_window_get_document (window)));
  g_assert_true (ave_preview_get_plays_edit (previews->pdata[0]));

  /* "third" starts at 4.0 s of the source: 4.0 - 1.2 s cut = 2.8 s out. */
  g_signal_emit_by_name (views->pdata[0], "seek", 4.0, 2.8);
  wait.preview = previews->pdata[0];
  wait.target = 2.8;
  g_assert_true (wait_until (preview_at, &wait, 30));
  for (int n = 0; n < 20; n++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (ave_transcript_view_get_playing_word (views->pdata[0]), ==, 2);
  close_window (window);
}

int
main (int argc, char **argv)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status;

  /* The app's settings in memory: never the user's. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  ave_test_init (&argc, &argv);
  out = ave_test_path ("out");

  settings = ave_app_settings_new ();
  g_assert_nonnull (settings);
  g_settings_set_string (settings, "output-folder", out);
  /* The quickest settings: the test is about the queue, not the edit. */
  g_settings_set_string (settings, "quality", "fast");
  g_settings_set_string (settings, "mode", "fast");
  g_settings_set_string (settings, "subtitles", "none");

  app = ave_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  g_test_add_func ("/app/drop/two-files-run", test_drop_runs);
  g_test_add_func ("/app/drop/two-files-cancel", test_drop_cancel);
  g_test_add_func ("/app/drop/gfile", test_drop_gfile);
  g_test_add_func ("/app/layout/strip-in-view", test_layout);
  g_test_add_func ("/app/window/transcript-seeks", test_transcript_seeks);
  status = g_test_run ();
  g_object_unref (app);
  return status;
}
