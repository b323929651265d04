/* test-transcript.c — the transcript view driven like a user: real key
 * presses and clicks from xdotool (XTEST) into the Xvfb display the test
 * runs on, and the plan checked against what the engine's word editing
 * (ave-plan-words.h) gives for the same words. */
#define G_LOG_DOMAIN "ave-test-transcript"

#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <gtk/gtk.h>
#include <adwaita.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

#include "director/ave-plan-history.h"
#include "director/ave-plan-words.h"
#include "ave-transcript-view.h"

#define FRAME (1.0 / 30.0)

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until `condition` holds; fails after `seconds`. */
static void
wait_for (Condition   condition,
          gpointer    data,
          double      seconds,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %.0f s waiting for %s", seconds, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* Lets pending idles (the view's rebuild) run. */
static void
settle (void)
{
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 5;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

typedef struct
{
  gboolean done;
  int      status;
} Child;

static void
child_exited (GPid     pid,
              int      status,
              gpointer data)
{
  Child *child = data;

  child->status = status;
  child->done = TRUE;
  g_spawn_close_pid (pid);
}

static gboolean
child_done (gpointer data)
{
  return ((Child *) data)->done;
}

/* Runs xdotool with the arguments (NULL-terminated) while the main loop
 * keeps running, so the app handles the events as they come. */
static void
xdotool (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Child child = { FALSE, 0 };
  GPid pid;
  va_list args;

  g_ptr_array_add (argv, (char *) "xdotool");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_async (NULL, (char **) argv->pdata, NULL,
                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  g_child_watch_add (pid, child_exited, &child);
  wait_for (child_done, &child, 20, "xdotool");
  g_assert_true (g_spawn_check_wait_status (child.status, NULL));
  settle ();
}

static void
key (const char *keys)
{
  xdotool ("key", "--clearmodifiers", "--delay", "40", keys, NULL);
}

static char *
plan_json (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);

  return json_to_string (node, FALSE);
}

typedef struct
{
  AvePlan    *plan;
  const char *expected;
} PlanIs;

static gboolean
plan_is (gpointer data)
{
  PlanIs *check = data;
  g_autofree char *json = plan_json (check->plan);

  return g_strcmp0 (json, check->expected) == 0;
}

static void
wait_plan (AvePlan    *plan,
           const char *expected,
           const char *what)
{
  PlanIs check = { plan, expected };

  wait_for (plan_is, &check, 10, what);
  settle ();
}

/* What the engine gives for cutting words first..last of `original`. */
static char *
engine_cut (AvePlan           *original,
            const AveAnalysis *analysis,
            guint              first,
            guint              last,
            double             padding)
{
  g_autoptr(AvePlan) copy = ave_plan_copy (original);

  g_assert_true (ave_plan_cut_words (copy, analysis, first, last, padding));
  return plan_json (copy);
}

static AveAnalysis *
make_analysis (void)
{
  AveAnalysis *analysis = ave_analysis_new ("/videos/talk.mp4", NULL);

  ave_analysis_add_word (analysis, "hello", 1.0, 1.4, 0.9, FALSE);   /* 0 */
  ave_analysis_add_word (analysis, "um", 1.5, 1.8, 0.9, TRUE);       /* 1 */
  ave_analysis_add_word (analysis, "this", 1.9, 2.2, 0.9, FALSE);    /* 2 */
  ave_analysis_add_word (analysis, "is", 2.3, 2.5, 0.9, FALSE);      /* 3 */
  ave_analysis_add_word (analysis, "a", 2.6, 2.7, 0.9, FALSE);       /* 4 */
  ave_analysis_add_word (analysis, "test", 2.8, 3.3, 0.9, FALSE);    /* 5 */
  ave_analysis_add_word (analysis, "second", 6.0, 6.5, 0.9, FALSE);  /* 6 */
  ave_analysis_add_word (analysis, "part", 6.6, 7.0, 0.9, FALSE);    /* 7 */
  ave_analysis_add_word (analysis, "here", 7.1, 7.6, 0.9, FALSE);    /* 8 */
  ave_analysis_add_word (analysis, "end", 12.0, 12.5, 0.9, FALSE);   /* 9 */
  {
    /* "hello" sounded like the start of "second" (a retake, by its sound) */
    AveRepeat repeat = { 0.9, 1.45, 6.0, 6.5, 0.1 };

    g_array_append_val (analysis->repeats, repeat);
  }
  return analysis;
}

static AvePlan *
make_plan (void)
{
  AvePlan *plan = ave_plan_new ("/videos/talk.mp4", 20.0);
  AveSegment s = { .enabled = TRUE };

  s.start = 0.85; s.end = 3.45; s.reason = (char *) "speech (6 words)";
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 5.85; s.end = 7.75; s.reason = (char *) "speech (3 words)";
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 11.85; s.end = 12.65; s.reason = NULL;
  g_assert_true (ave_plan_append_segment (plan, &s));
  return plan;
}

/* Selects the first occurrence of `text` in the transcript. */
static void
select_text (GtkTextView *view,
             const char  *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter iter, start, end;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  g_assert_true (gtk_text_iter_forward_search (&iter, text, GTK_TEXT_SEARCH_TEXT_ONLY,
                                               &start, &end, NULL));
  gtk_text_buffer_select_range (buffer, &start, &end);
}

static char *
selected_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  if (!gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    return g_strdup ("");
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
has_tag (GtkTextView *view,
         const char  *text,
         const char  *tag_name)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), tag_name);
  GtkTextIter iter, start, end;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  g_assert_true (gtk_text_iter_forward_search (&iter, text, GTK_TEXT_SEARCH_TEXT_ONLY,
                                               &start, &end, NULL));
  return gtk_text_iter_has_tag (&start, tag);
}

static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (data));
}

static gboolean
widget_drawn (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data)) && gtk_widget_get_height (GTK_WIDGET (data)) > 0;
}

static gboolean
in_search_entry (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (data));

  return focus != NULL && gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY) != NULL;
}

static gboolean
in_text_view (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (data));

  return focus != NULL && GTK_IS_TEXT_VIEW (focus);
}

typedef struct
{
  GtkTextView *view;
  const char  *text;
} Selection;

static gboolean
selection_is (gpointer data)
{
  Selection *selection = data;
  g_autofree char *text = selected_text (selection->view);

  return strcmp (text, selection->text) == 0;
}

typedef struct
{
  int    count;
  double source_time, output_time;
} Seek;

static void
on_seek (AveTranscriptView *view,
         double             source_time,
         double             output_time,
         Seek              *seek)
{
  seek->count++;
  seek->source_time = source_time;
  seek->output_time = output_time;
}

static gboolean
seeked (gpointer data)
{
  return ((Seek *) data)->count > 0;
}

/* Clicks the middle of the first character of `text` in the view. */
static void
click_text (GtkWidget   *window,
            GtkTextView *view,
            const char  *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter iter, start, end;
  GdkRectangle rect;
  int wx, wy;
  double x, y, nx, ny;
  g_autofree char *sx = NULL;
  g_autofree char *sy = NULL;
  g_autofree char *window_id = NULL;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  g_assert_true (gtk_text_iter_forward_search (&iter, text, GTK_TEXT_SEARCH_TEXT_ONLY,
                                               &start, &end, NULL));
  gtk_text_view_get_iter_location (view, &start, &rect);
  gtk_text_view_buffer_to_window_coords (view, GTK_TEXT_WINDOW_WIDGET,
                                         rect.x + rect.width / 2, rect.y + rect.height / 2, &wx, &wy);
  g_assert_true (gtk_widget_translate_coordinates (GTK_WIDGET (view), window, wx, wy, &x, &y));
  gtk_native_get_surface_transform (GTK_NATIVE (window), &nx, &ny);
  sx = g_strdup_printf ("%d", (int) lround (x + nx));
  sy = g_strdup_printf ("%d", (int) lround (y + ny));
#ifdef GDK_WINDOWING_X11
  window_id = g_strdup_printf ("%lu",
                               (unsigned long) gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
#endif
  xdotool ("mousemove", "--window", window_id, sx, sy, "click", "1", NULL);
}

static void
test_transcript (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *original = plan_json (plan);
  g_autofree char *cut_this_is = NULL;
  g_autofree char *cut_hello = NULL;
  g_autofree char *cut_part = NULL;
  g_autofree char *cut_is = NULL;
  g_autofree char *window_id = NULL;
  g_autofree char *text = NULL;
  GtkWidget *window, *transcript;
  GtkTextView *view;
  GtkTextIter start, end;
  Seek seek = { 0 };
  Selection selection;
  double padding;

  if (g_getenv ("DISPLAY") == NULL || g_find_program_in_path ("xdotool") == NULL)
    {
      g_test_skip ("needs an X display (xvfb-run) and xdotool");
      return;
    }
#ifndef GDK_WINDOWING_X11
  g_test_skip ("xdotool drives X11 windows only");
#else
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_test_skip ("xdotool drives X11 windows only");
      return;
    }

  window = gtk_window_new ();
  transcript = ave_transcript_view_new ();
  view = ave_transcript_view_get_text_view (AVE_TRANSCRIPT_VIEW (transcript));
  padding = ave_transcript_view_get_word_padding (AVE_TRANSCRIPT_VIEW (transcript));
  g_assert_cmpfloat (padding, ==, 0.15);
  gtk_window_set_child (GTK_WINDOW (window), transcript);
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 300);
  ave_transcript_view_set_model (AVE_TRANSCRIPT_VIEW (transcript), history, analysis);
  g_signal_connect (transcript, "seek", G_CALLBACK (on_seek), &seek);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (widget_drawn, view, 30, "the transcript on screen");

  /* every word, in output order; paragraphs at the long pauses */
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (view), &start, &end);
  text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (view), &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "hello um this is a test\n\nsecond part here\n\nend");
  g_assert_true (has_tag (view, "um", "filler"));
  g_assert_true (has_tag (view, "hello", "retake"));
  g_assert_false (has_tag (view, "um", "retake"));
  g_assert_false (has_tag (view, "this", "filler"));
  g_assert_false (has_tag (view, "this", "cut"));

  window_id = g_strdup_printf ("%lu",
                               (unsigned long) gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
  xdotool ("windowfocus", "--sync", window_id, NULL);
  wait_for (window_active, window, 10, "the window to take the keyboard");
  gtk_widget_grab_focus (GTK_WIDGET (view));

  /* Select "this is" and press Delete: the engine's cut of words 2..3. */
  cut_this_is = engine_cut (plan, analysis, 2, 3, padding);
  select_text (view, "this is");
  key ("Delete");
  wait_plan (plan, cut_this_is, "Delete to cut \"this is\"");
  g_assert_true (has_tag (view, "this", "cut"));
  g_assert_true (has_tag (view, "is a", "cut"));
  g_assert_false (has_tag (view, "a test", "cut"));
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Cut words");

  /* The struck words selected again: Delete restores them. */
  select_text (view, "this is");
  key ("Delete");
  wait_plan (plan, original, "Delete to restore \"this is\"");
  g_assert_false (has_tag (view, "this", "cut"));

  /* Undo and redo with the keyboard, through the history. */
  key ("ctrl+z");
  wait_plan (plan, cut_this_is, "Ctrl+Z to undo the restore");
  key ("ctrl+z");
  wait_plan (plan, original, "Ctrl+Z to undo the cut");
  key ("ctrl+shift+z");
  wait_plan (plan, cut_this_is, "Ctrl+Shift+Z to redo the cut");
  /* R restores the selected words */
  select_text (view, "this is");
  key ("r");
  wait_plan (plan, original, "R to restore");

  /* A click on a word seeks to it: its start in the source, and where it
   * plays in the output. */
  click_text (window, view, "second");
  wait_for (seeked, &seek, 10, "the seek signal");
  g_assert_cmpfloat_with_epsilon (seek.source_time, 6.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (seek.output_time, ave_plan_word_to_output (plan, analysis, 6), FRAME);
  g_assert_cmpfloat_with_epsilon (seek.output_time, 2.6 + 0.15, FRAME);
  /* Return seeks to the word at the cursor (the click put it there) */
  seek.count = 0;
  key ("Return");
  wait_for (seeked, &seek, 10, "Return to seek");
  g_assert_cmpfloat_with_epsilon (seek.source_time, 6.0, 1e-9);

  /* The playhead highlights the word being said. */
  ave_transcript_view_set_playhead (AVE_TRANSCRIPT_VIEW (transcript), 6.7);
  g_assert_cmpint (ave_transcript_view_get_playing_word (AVE_TRANSCRIPT_VIEW (transcript)), ==, 7);
  g_assert_true (has_tag (view, "part", "playing"));

  /* Keyboard only: to the start, select a word with Shift, cut, undo. */
  cut_hello = engine_cut (plan, analysis, 0, 0, padding);
  key ("ctrl+Home");
  key ("ctrl+shift+Right");
  selection.view = view;
  selection.text = "hello";
  wait_for (selection_is, &selection, 10, "Ctrl+Shift+Right to select the first word");
  key ("Delete");
  wait_plan (plan, cut_hello, "Delete to cut the first word");
  key ("ctrl+z");
  wait_plan (plan, original, "Ctrl+Z after the keyboard cut");

  /* Backspace with no selection cuts the word before the cursor: from
   * the start of "a", "is". */
  cut_is = engine_cut (plan, analysis, 3, 3, padding);
  key ("ctrl+Home");
  xdotool ("key", "--clearmodifiers", "--repeat", "17", "--delay", "20", "Right", NULL);
  key ("BackSpace");
  wait_plan (plan, cut_is, "Backspace to cut the word before the cursor");
  key ("ctrl+z");
  wait_plan (plan, original, "Ctrl+Z after Backspace");

  /* Ctrl+F finds a word; Escape goes back to the text with it selected,
   * and Delete cuts it. */
  cut_part = engine_cut (plan, analysis, 7, 7, padding);
  key ("ctrl+f");
  wait_for (in_search_entry, window, 10, "Ctrl+F to open the search");
  xdotool ("type", "--delay", "60", "part", NULL);
  selection.text = "part";
  wait_for (selection_is, &selection, 10, "the search to select \"part\"");
  g_assert_true (has_tag (view, "part", "current-match"));
  key ("Escape");
  wait_for (in_text_view, window, 10, "Escape back to the text");
  key ("Delete");
  wait_plan (plan, cut_part, "Delete to cut the word found");
  key ("ctrl+z");
  wait_plan (plan, original, "Ctrl+Z after the search cut");

  gtk_window_destroy (GTK_WINDOW (window));
#endif
}

/* Whether "w350" lies wholly inside the visible part of the view. */
static gboolean
word_in_view (gpointer data)
{
  GtkTextView *view = data;
  GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  GtkTextIter iter, start, end;
  GdkRectangle rect;

  gtk_text_buffer_get_start_iter (gtk_text_view_get_buffer (view), &iter);
  g_assert_true (gtk_text_iter_forward_search (&iter, "w350", GTK_TEXT_SEARCH_TEXT_ONLY,
                                               &start, &end, NULL));
  gtk_text_view_get_iter_location (view, &start, &rect);
  return gtk_adjustment_get_value (vadjustment) > 0.0 &&
         rect.y >= gtk_adjustment_get_value (vadjustment) &&
         rect.y + rect.height <= gtk_adjustment_get_value (vadjustment) +
                                 gtk_adjustment_get_page_size (vadjustment);
}

/* A long paragraph in a small window: the playhead's word is scrolled
 * into view, and a click on a wrapped line seeks to the word clicked. */
static void
test_long_transcript (void)
{
#ifdef GDK_WINDOWING_X11
  g_autoptr(AveAnalysis) analysis = ave_analysis_new ("/videos/long.mp4", NULL);
  g_autoptr(AvePlan) plan = ave_plan_new ("/videos/long.mp4", 300.0);
  g_autoptr(AvePlanHistory) history = NULL;
  g_autofree char *window_id = NULL;
  AveSegment s = { .start = 0.0, .end = 200.5, .enabled = TRUE };
  GtkWidget *window, *transcript;
  GtkTextView *view;
  GtkAdjustment *vadjustment;
  Seek seek = { 0 };

  if (g_getenv ("DISPLAY") == NULL || g_find_program_in_path ("xdotool") == NULL ||
      !GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_test_skip ("needs an X display (xvfb-run) and xdotool");
      return;
    }

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *word = g_strdup_printf ("w%u", i);

      ave_analysis_add_word (analysis, word, i * 0.5, i * 0.5 + 0.3, 0.9, FALSE);
    }
  g_assert_true (ave_plan_append_segment (plan, &s));
  history = ave_plan_history_new (plan);

  window = gtk_window_new ();
  transcript = ave_transcript_view_new ();
  view = ave_transcript_view_get_text_view (AVE_TRANSCRIPT_VIEW (transcript));
  gtk_window_set_child (GTK_WINDOW (window), transcript);
  gtk_window_set_default_size (GTK_WINDOW (window), 300, 200);
  ave_transcript_view_set_model (AVE_TRANSCRIPT_VIEW (transcript), history, analysis);
  g_signal_connect (transcript, "seek", G_CALLBACK (on_seek), &seek);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (widget_drawn, view, 30, "the transcript on screen");
  settle ();

  vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), ==, 0.0);
  ave_transcript_view_set_playhead (AVE_TRANSCRIPT_VIEW (transcript), 175.1);
  g_assert_cmpint (ave_transcript_view_get_playing_word (AVE_TRANSCRIPT_VIEW (transcript)), ==, 350);
  /* the text view scrolls once its layout is done, in the main loop */
  wait_for (word_in_view, view, 10, "the playing word to scroll into view");

  window_id = g_strdup_printf ("%lu",
                               (unsigned long) gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
  xdotool ("windowfocus", "--sync", window_id, NULL);
  wait_for (window_active, window, 10, "the window to take the keyboard");
  click_text (window, view, "w350");
  wait_for (seeked, &seek, 10, "the seek signal");
  g_assert_cmpfloat_with_epsilon (seek.source_time, 175.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (seek.output_time, 175.0, FRAME);

  gtk_window_destroy (GTK_WINDOW (window));
#else
  g_test_skip ("xdotool drives X11 windows only");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/app/transcript/edit", test_transcript);
  g_test_add_func ("/app/transcript/long", test_long_transcript);

  return g_test_run ();
}
