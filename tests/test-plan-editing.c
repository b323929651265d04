/* test-plan-editing.c — the timeline's editing model: every edit through
 * AvePlanHistory, undo/redo restoring the exact plan, snapping, the
 * timeline's geometry, and that an edited plan renders what it shows. */
#define G_LOG_DOMAIN "ave-test-plan-editing"

#include "config.h"

#include <math.h>
#include <string.h>

#include "compose/ave-composer.h"
#include "compute/ave-compute.h"
#include "core/ave-settings.h"
#include "director/ave-plan.h"
#include "director/ave-plan-history.h"
#include "director/ave-snap.h"
#include "ave-test-util.h"

/* The layout is pure geometry with no GTK: it is compiled into this test
 * so that it is checked without a display, where the UI library is not
 * linked. */
#include "../src/app/ave-timeline-layout.h"
#undef G_LOG_DOMAIN
#include "../src/app/ave-timeline-layout.c"

#define EPS 1e-9

static AvePlan *
make_plan (void)
{
  /* Source of 20 s; segments [1,4] [6,10] [12,18], the last one joined
   * by a 1 s crossfade. */
  AvePlan *plan = ave_plan_new ("/videos/talk.mp4", 20.0);
  AveSegment s = { .enabled = TRUE };

  s.start = 1; s.end = 4; s.reason = (char *) "speech";
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 6; s.end = 10; s.reason = NULL;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 12; s.end = 18; s.reason = (char *) "shot 3";
  s.transition = AVE_TRANSITION_CROSSFADE; s.transition_duration = 1.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  ave_plan_add_chapter (plan, 0.0, "Intro");
  ave_plan_add_chapter (plan, 3.0, "Body");
  return plan;
}

static char *
plan_json (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);

  return json_to_string (node, FALSE);
}

typedef gboolean (*EditFunc) (AvePlanHistory *history);

/* Runs one edit, then checks undo gives back the exact JSON before, redo
 * the exact JSON after, and the flags and labels on the way. */
static void
check_edit_undo_redo (EditFunc    edit,
                      const char *label)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *before = plan_json (plan);
  g_autofree char *after = NULL;
  g_autofree char *undone = NULL;
  g_autofree char *redone = NULL;

  g_assert_true (ave_plan_history_get_plan (history) == plan);
  g_assert_false (ave_plan_history_get_can_undo (history));
  g_assert_true (edit (history));
  after = plan_json (plan);
  g_assert_cmpstr (before, !=, after);
  g_assert_true (ave_plan_history_get_can_undo (history));
  g_assert_false (ave_plan_history_get_can_redo (history));
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, label);

  g_assert_true (ave_plan_history_undo (history));
  undone = plan_json (plan);
  g_assert_cmpstr (undone, ==, before);
  g_assert_false (ave_plan_history_get_can_undo (history));
  g_assert_true (ave_plan_history_get_can_redo (history));
  g_assert_cmpstr (ave_plan_history_get_redo_label (history), ==, label);
  g_assert_false (ave_plan_history_undo (history));

  g_assert_true (ave_plan_history_redo (history));
  redone = plan_json (plan);
  g_assert_cmpstr (redone, ==, after);
  g_assert_false (ave_plan_history_redo (history));
}

static gboolean
edit_trim (AvePlanHistory *history)
{
  AvePlan *plan = ave_plan_history_get_plan (history);
  /* Shortening the middle segment to 0.8 s forces the crossfade of the
   * next one (1 s) to shrink: undo must bring back the 1 s too. */
  gboolean ok = ave_plan_history_trim (history, 1, 7.0, 7.8);

  g_assert_cmpfloat_with_epsilon (ave_plan_get_segment (plan, 1)->start, 7.0, EPS);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 2)->transition_duration, <, 0.8);
  return ok;
}

static gboolean
edit_move (AvePlanHistory *history)
{
  gboolean ok = ave_plan_history_move (history, 2, 0);

  g_assert_cmpfloat (ave_plan_get_segment (ave_plan_history_get_plan (history), 0)->start, ==, 12.0);
  return ok;
}

static gboolean
edit_cut (AvePlanHistory *history)
{
  AvePlan *plan = ave_plan_history_get_plan (history);
  gboolean ok = ave_plan_history_set_enabled (history, 1, FALSE);

  /* A cut segment stays in the plan (greyed on the timeline) and leaves
   * the output. */
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
  g_assert_false (ave_plan_get_segment (plan, 1)->enabled);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 3 + 6 - 1, EPS);
  return ok;
}

static gboolean
edit_split (AvePlanHistory *history)
{
  AvePlan *plan = ave_plan_history_get_plan (history);
  gboolean ok = ave_plan_history_split (history, 2, 15.0);

  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 4);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 3)->start, ==, 15.0);
  return ok;
}

static gboolean
edit_remove (AvePlanHistory *history)
{
  gboolean ok = ave_plan_history_remove (history, 0);

  g_assert_cmpuint (ave_plan_get_n_segments (ave_plan_history_get_plan (history)), ==, 2);
  return ok;
}

static gboolean
edit_transition (AvePlanHistory *history)
{
  gboolean ok = ave_plan_history_set_transition (history, 1, AVE_TRANSITION_FADE, 0.5);

  g_assert_cmpint (ave_plan_get_segment (ave_plan_history_get_plan (history), 1)->transition,
                   ==, AVE_TRANSITION_FADE);
  return ok;
}

static gboolean
ripple_delete_first (AvePlan  *plan,
                     gpointer  user_data)
{
  /* Cut the first segment, move it to the end, give the new first a fade. */
  return ave_plan_set_segment_enabled (plan, 0, FALSE) &&
         ave_plan_move_segment (plan, 0, 2) &&
         ave_plan_set_transition (plan, 1, AVE_TRANSITION_CUT, 0.0) &&
         ave_plan_trim_segment (plan, 0, 5.5, 10.0);
}

static gboolean
edit_compound (AvePlanHistory *history)
{
  return ave_plan_history_apply (history, "Tidy up", ripple_delete_first, NULL);
}

static void
test_trim (void)        { check_edit_undo_redo (edit_trim, "Trim segment"); }
static void
test_move (void)        { check_edit_undo_redo (edit_move, "Move segment"); }
static void
test_cut (void)         { check_edit_undo_redo (edit_cut, "Cut segment"); }
static void
test_split (void)       { check_edit_undo_redo (edit_split, "Split segment"); }
static void
test_remove (void)      { check_edit_undo_redo (edit_remove, "Remove segment"); }
static void
test_transition (void)  { check_edit_undo_redo (edit_transition, "Change transition"); }
static void
test_compound (void)    { check_edit_undo_redo (edit_compound, "Tidy up"); }

static void
test_restore (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *original = plan_json (plan);
  g_autofree char *restored = NULL;

  g_assert_true (ave_plan_history_set_enabled (history, 0, FALSE));
  g_assert_true (ave_plan_history_set_enabled (history, 0, TRUE));
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Restore segment");
  restored = plan_json (plan);
  g_assert_cmpstr (restored, ==, original);

  /* Two steps back and forth walk through the cut state. */
  g_assert_true (ave_plan_history_undo (history));
  g_assert_false (ave_plan_get_segment (plan, 0)->enabled);
  g_assert_true (ave_plan_history_undo (history));
  g_assert_true (ave_plan_get_segment (plan, 0)->enabled);
  g_assert_true (ave_plan_history_redo (history));
  g_assert_false (ave_plan_get_segment (plan, 0)->enabled);
}

static gboolean
half_then_fail (AvePlan  *plan,
                gpointer  user_data)
{
  g_assert_true (ave_plan_trim_segment (plan, 0, 2.0, 3.0));
  g_assert_true (ave_plan_remove_segment (plan, 1));
  return ave_plan_move_segment (plan, 0, 7);   /* no such index */
}

static void
test_refused (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *before = plan_json (plan);
  g_autofree char *after = NULL;

  /* Invalid edits: FALSE, nothing changes, nothing to undo. */
  g_assert_false (ave_plan_history_trim (history, 0, 3.0, 2.0));
  g_assert_false (ave_plan_history_trim (history, 9, 1.0, 2.0));
  g_assert_false (ave_plan_history_split (history, 0, 30.0));
  g_assert_false (ave_plan_history_move (history, 0, 3));
  g_assert_false (ave_plan_history_remove (history, 3));
  g_assert_false (ave_plan_history_set_transition (history, 1, AVE_TRANSITION_CROSSFADE, 10.0));
  /* A compound edit that fails half-way is rolled back whole. */
  g_assert_false (ave_plan_history_apply (history, "Broken", half_then_fail, NULL));
  /* An edit that changes nothing records no step. */
  g_assert_true (ave_plan_history_trim (history, 0, 1.0, 4.0));
  g_assert_true (ave_plan_history_set_enabled (history, 0, TRUE));

  after = plan_json (plan);
  g_assert_cmpstr (after, ==, before);
  g_assert_false (ave_plan_history_get_can_undo (history));
  g_assert_null (ave_plan_history_get_undo_label (history));
}

static void
test_redo_cleared (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);

  g_assert_true (ave_plan_history_trim (history, 0, 1.5, 4.0));
  g_assert_true (ave_plan_history_split (history, 1, 8.0));
  g_assert_true (ave_plan_history_undo (history));
  g_assert_true (ave_plan_history_get_can_redo (history));
  g_assert_cmpstr (ave_plan_history_get_redo_label (history), ==, "Split segment");

  /* A new edit after undo starts a new branch: the undone split is gone. */
  g_assert_true (ave_plan_history_set_enabled (history, 2, FALSE));
  g_assert_false (ave_plan_history_get_can_redo (history));
  g_assert_null (ave_plan_history_get_redo_label (history));
  g_assert_false (ave_plan_history_redo (history));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);

  /* Undo goes back through both remaining steps, in order. */
  g_assert_true (ave_plan_history_undo (history));
  g_assert_true (ave_plan_get_segment (plan, 2)->enabled);
  g_assert_true (ave_plan_history_undo (history));
  g_assert_cmpfloat (ave_plan_get_segment (plan, 0)->start, ==, 1.0);
  g_assert_false (ave_plan_history_get_can_undo (history));
}

typedef struct
{
  guint can_undo, can_redo, undo_label, redo_label;
} Notifications;

static void
on_notify (GObject       *object,
           GParamSpec    *pspec,
           Notifications *n)
{
  if (g_str_equal (pspec->name, "can-undo"))
    n->can_undo++;
  else if (g_str_equal (pspec->name, "can-redo"))
    n->can_redo++;
  else if (g_str_equal (pspec->name, "undo-label"))
    n->undo_label++;
  else if (g_str_equal (pspec->name, "redo-label"))
    n->redo_label++;
}

static void
test_notifications (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  Notifications n = { 0 };
  gboolean can_undo = FALSE;
  g_autofree char *label = NULL;

  g_signal_connect (history, "notify", G_CALLBACK (on_notify), &n);

  g_assert_true (ave_plan_history_trim (history, 0, 2.0, 4.0));
  g_assert_cmpuint (n.can_undo, ==, 1);
  g_assert_cmpuint (n.undo_label, ==, 1);
  g_assert_cmpuint (n.can_redo, ==, 0);

  /* Same label again: can-undo stays TRUE and the label is the same, so
   * neither notifies. */
  g_assert_true (ave_plan_history_trim (history, 0, 2.5, 4.0));
  g_assert_cmpuint (n.can_undo, ==, 1);
  g_assert_cmpuint (n.undo_label, ==, 1);

  g_assert_true (ave_plan_history_split (history, 1, 8.0));
  g_assert_cmpuint (n.undo_label, ==, 2);

  g_assert_true (ave_plan_history_undo (history));
  g_assert_cmpuint (n.can_redo, ==, 1);
  g_assert_cmpuint (n.redo_label, ==, 1);
  g_assert_cmpuint (n.undo_label, ==, 3);
  g_assert_true (ave_plan_history_undo (history));
  g_assert_true (ave_plan_history_undo (history));
  g_assert_cmpuint (n.can_undo, ==, 2);

  g_object_get (history, "can-undo", &can_undo, "redo-label", &label, NULL);
  g_assert_false (can_undo);
  g_assert_cmpstr (label, ==, "Trim segment");

  /* An edit that bypasses the history would be lost by an undo: the
   * history forgets, and says so. */
  g_assert_true (ave_plan_history_redo (history));
  g_assert_true (ave_plan_trim_segment (plan, 0, 1.0, 4.0));
  g_assert_false (ave_plan_history_get_can_undo (history));
  g_assert_false (ave_plan_history_get_can_redo (history));
  g_assert_cmpuint (n.can_undo, ==, 4);
  g_assert_cmpuint (n.can_redo, ==, 2);
}

static void
count_changed (AvePlan *plan,
               guint   *count)
{
  (*count)++;
}

/* An undo or a redo is one "changed", however many segments it rebuilds:
 * a view follows once and never sees the plan half restored.  Frozen
 * edits emit once at the last thaw, none when nothing changed. */
static void
test_one_change_a_step (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  guint count = 0;

  g_signal_connect (plan, "changed", G_CALLBACK (count_changed), &count);
  g_assert_true (ave_plan_history_set_enabled (history, 1, FALSE));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (ave_plan_history_undo (history));
  g_assert_cmpuint (count, ==, 2);
  g_assert_true (ave_plan_get_segment (plan, 1)->enabled);
  g_assert_true (ave_plan_history_redo (history));
  g_assert_cmpuint (count, ==, 3);
  g_assert_false (ave_plan_get_segment (plan, 1)->enabled);

  ave_plan_freeze_changed (plan);
  ave_plan_freeze_changed (plan);
  g_assert_true (ave_plan_trim_segment (plan, 0, 0.5, 3.0));
  g_assert_true (ave_plan_set_segment_enabled (plan, 1, TRUE));
  ave_plan_thaw_changed (plan);
  g_assert_cmpuint (count, ==, 3);
  ave_plan_thaw_changed (plan);
  g_assert_cmpuint (count, ==, 4);
  ave_plan_freeze_changed (plan);
  ave_plan_thaw_changed (plan);
  g_assert_cmpuint (count, ==, 4);
}

/* ----------------------------------------------------------------- cards */

static AvePlan *
make_plan_with_cards (void)
{
  AvePlan *plan = make_plan ();
  g_autoptr(AveCard) title = ave_card_new_title ("Part two", "The details", 1, 2.0);
  g_autoptr(AveCard) overlay = ave_card_new_overlay ("Jane Doe", "Speaker", 6.5, 2.0);

  g_assert_cmpint (ave_plan_add_card (plan, title), ==, 0);
  g_assert_cmpint (ave_plan_add_card (plan, overlay), ==, 1);
  ave_plan_add_chapter (plan, 9.0, "Late");
  return plan;
}

typedef gboolean (*CardEdit) (AvePlanHistory *history);

static void
check_card_edit (CardEdit    edit,
                 const char *label)
{
  g_autoptr(AvePlan) plan = make_plan_with_cards ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *before = plan_json (plan);
  g_autofree char *after = NULL;
  g_autofree char *undone = NULL;
  g_autofree char *redone = NULL;

  g_assert_true (edit (history));
  after = plan_json (plan);
  g_assert_cmpstr (after, !=, before);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, label);
  g_assert_true (ave_plan_history_undo (history));
  undone = plan_json (plan);
  g_assert_cmpstr (undone, ==, before);
  g_assert_true (ave_plan_history_redo (history));
  redone = plan_json (plan);
  g_assert_cmpstr (redone, ==, after);
}

static gboolean
card_add_title (AvePlanHistory *history)
{
  g_autoptr(AveCard) intro = ave_card_new_title ("Welcome", NULL, 0, 3.0);
  AvePlan *plan = ave_plan_history_get_plan (history);
  int index = ave_plan_history_add_card (history, intro);

  /* The overlay and the late chapter move with the pictures they are on. */
  g_assert_cmpint (index, ==, 2);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_card (plan, 1)->output_time, 9.5, 1e-9);
  return index >= 0;
}

static gboolean
card_move_title (AvePlanHistory *history)
{
  return ave_plan_history_move_card (history, 0, 3, 0.0);
}

static gboolean
card_move_overlay (AvePlanHistory *history)
{
  return ave_plan_history_move_card (history, 1, 0, 1.0);
}

static gboolean
card_remove_title (AvePlanHistory *history)
{
  return ave_plan_history_remove_card (history, 0);
}

static gboolean
card_update_title (AvePlanHistory *history)
{
  g_autoptr(AveCard) longer = ave_card_copy (ave_plan_get_card (ave_plan_history_get_plan (history), 0));

  longer->duration = 4.0;
  return ave_plan_history_update_card (history, 0, longer);
}

static gboolean
card_segment_edit (AvePlanHistory *history)
{
  /* Removing the segment before the title card moves its slot. */
  gboolean ok = ave_plan_history_remove (history, 0);

  g_assert_cmpuint (ave_plan_get_card (ave_plan_history_get_plan (history), 0)->insert_before, ==, 0);
  return ok;
}

static void
test_cards (void)
{
  check_card_edit (card_add_title, "Add title card");
  check_card_edit (card_move_title, "Move title card");
  check_card_edit (card_move_overlay, "Move overlay");
  check_card_edit (card_remove_title, "Remove title card");
  check_card_edit (card_update_title, "Change title card");
  check_card_edit (card_segment_edit, "Remove segment");
}

static void
test_layout_cards (void)
{
  g_autoptr(AvePlan) plan = make_plan_with_cards ();
  g_autoptr(AveTimelineLayout) layout = ave_timeline_layout_new (plan, 10.0);
  g_autoptr(GArray) output = ave_plan_list_output_items (plan);
  const AveTimelineItem *items = (const AveTimelineItem *) layout->items->data;
  double x, t;
  guint item;

  /* [1,4] | title 2 s | [6,10] | [12,18] */
  g_assert_cmpuint (layout->items->len, ==, 4);
  g_assert_cmpint (items[1].kind, ==, AVE_TIMELINE_ITEM_TITLE_CARD);
  g_assert_cmpuint (items[1].index, ==, 0);
  g_assert_cmpfloat (items[1].x, ==, 30.0);
  g_assert_cmpfloat (items[1].width, ==, 20.0);
  g_assert_cmpfloat (items[2].x, ==, 50.0);
  g_assert_cmpfloat (layout->total_width, ==, 150.0);

  /* Output starts are the plan's own. */
  g_assert_cmpuint (output->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (items[i].output_start,
                                    g_array_index (output, AveOutputItem, i).output_start, 1e-9);
  g_assert_cmpfloat_with_epsilon (items[3].output_start + 6.0, ave_plan_get_output_duration (plan), 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 7.0),
                                  items[2].output_start + 1.0, 1e-9);

  /* The card has no source time; the overlay at output 6.5 s is drawn on
   * segment [6,10], which plays from output 5 s. */
  g_assert_false (ave_timeline_layout_x_to_source (layout, 40.0, &t, &item));
  g_assert_true (ave_timeline_layout_output_to_x (layout, 6.5, &x));
  g_assert_cmpfloat_with_epsilon (x, 65.0, 1e-9);
  g_assert_true (ave_timeline_layout_x_to_output (layout, 65.0, &t));
  g_assert_cmpfloat_with_epsilon (t, 6.5, 1e-9);
  g_assert_false (ave_timeline_layout_output_to_x (layout, 100.0, &x));

  /* A title card dropped on the right half of [6,10] goes before [12,18];
   * segments moved around do not count the card. */
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, G_MAXUINT, 75.0), ==, 2);
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, G_MAXUINT, 5.0), ==, 0);
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, 0, 149.0), ==, 2);
  g_assert_cmpfloat (ave_timeline_layout_drop_x (layout, G_MAXUINT, 1), ==, 30.0);
  g_assert_cmpfloat_with_epsilon (ave_timeline_layout_fit_zoom (plan, 150.0), 10.0, 1e-9);
}

/* ------------------------------------------------------- plan playback */

static void
test_playback (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  const double half_frame = 0.02;
  double seek = -1;
  int playing = -7;

  /* [1,4] [6,10] [12,18] with [6,10] moved first and [12,18] cut:
   * plays 6..10 then 1..4 and stops. */
  g_assert_true (ave_plan_move_segment (plan, 1, 0));
  g_assert_true (ave_plan_set_segment_enabled (plan, 2, FALSE));

  /* Inside a segment: go on. */
  g_assert_false (ave_playback_follow_plan (plan, -1, 7.0, half_frame, &playing, &seek));
  g_assert_cmpint (playing, ==, 0);
  g_assert_false (ave_playback_follow_plan (plan, 0, 9.97, half_frame, &playing, &seek));
  /* Its end (within half a frame): on to the next in plan order, which is
   * earlier in the source. */
  g_assert_true (ave_playback_follow_plan (plan, 0, 9.985, half_frame, &playing, &seek));
  g_assert_cmpint (playing, ==, 1);
  g_assert_cmpfloat (seek, ==, 1.0);
  /* The end of the last enabled one: stop. */
  g_assert_true (ave_playback_follow_plan (plan, 1, 4.0, half_frame, &playing, &seek));
  g_assert_cmpint (playing, ==, -1);
  /* Started in a cut range: the next kept material after it. */
  g_assert_true (ave_playback_follow_plan (plan, -1, 5.0, half_frame, &playing, &seek));
  g_assert_cmpint (playing, ==, 0);
  g_assert_cmpfloat (seek, ==, 6.0);
  g_assert_true (ave_playback_follow_plan (plan, -1, 0.2, half_frame, &playing, &seek));
  g_assert_cmpfloat (seek, ==, 1.0);
  /* In the cut segment [12,18] with nothing kept after it: stop. */
  g_assert_true (ave_playback_follow_plan (plan, -1, 13.0, half_frame, &playing, &seek));
  g_assert_cmpint (playing, ==, -1);

  /* Frame steps skip cut ranges. */
  g_assert_cmpfloat (ave_playback_step_target (plan, 7.0, 1, 0.04), ==, 7.0);
  g_assert_cmpfloat (ave_playback_step_target (plan, 4.5, 1, 0.04), ==, 6.0);
  g_assert_cmpfloat_with_epsilon (ave_playback_step_target (plan, 5.0, -1, 0.04), 3.96, 1e-9);
  g_assert_cmpfloat (ave_playback_step_target (plan, 13.0, 1, 0.04), ==, 13.0);
}

/* ------------------------------------------------------------------ snap */

static AveAnalysis *
make_analysis (void)
{
  AveMediaInfo media = { .duration = 20.0, .has_video = TRUE, .has_audio = TRUE };
  AveAnalysis *analysis = ave_analysis_new ("/videos/talk.mp4", &media);
  const double cuts[] = { 0.0, 5.0, 11.3, 20.0 };

  for (guint i = 0; i + 1 < G_N_ELEMENTS (cuts); i++)
    {
      AveShot shot = { .start = cuts[i], .end = cuts[i + 1] };

      g_array_append_val (analysis->shots, shot);
    }
  ave_analysis_add_word (analysis, "hello", 2.10, 2.45, 0.9, FALSE);
  ave_analysis_add_word (analysis, "um", 2.60, 2.80, 0.8, TRUE);
  ave_analysis_add_word (analysis, "world", 7.02, 7.50, 0.9, FALSE);
  ave_analysis_add_word (analysis, "again", 11.25, 11.60, 0.9, FALSE);
  ave_analysis_sort (analysis);
  return analysis;
}

static void
test_snap (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  AveSnapKind kind;
  double t;

  /* Shot boundary. */
  t = ave_snap_time (analysis, plan, 5.08, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_SHOT);
  g_assert_cmpfloat_with_epsilon (t, 5.0, EPS);

  /* Word start and word end. */
  t = ave_snap_time (analysis, plan, 2.13, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_WORD);
  g_assert_cmpfloat_with_epsilon (t, 2.10, EPS);
  t = ave_snap_time (analysis, plan, 7.45, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_WORD);
  g_assert_cmpfloat_with_epsilon (t, 7.50, EPS);
  /* Between "hello" end 2.45 and "um" start 2.60: the nearer wins. */
  t = ave_snap_time (analysis, plan, 2.55, 0.1, &kind);
  g_assert_cmpfloat_with_epsilon (t, 2.60, EPS);
  t = ave_snap_time (analysis, plan, 2.50, 0.1, &kind);
  g_assert_cmpfloat_with_epsilon (t, 2.45, EPS);

  /* Segment edge. */
  t = ave_snap_time (analysis, plan, 9.93, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_SEGMENT);
  g_assert_cmpfloat_with_epsilon (t, 10.0, EPS);

  /* Shot cut at 11.3 against word start 11.25: the nearest wins whatever
   * its kind. */
  t = ave_snap_time (analysis, plan, 11.29, 0.2, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_SHOT);
  g_assert_cmpfloat_with_epsilon (t, 11.3, EPS);
  t = ave_snap_time (analysis, plan, 11.26, 0.2, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_WORD);
  g_assert_cmpfloat_with_epsilon (t, 11.25, EPS);
  /* Segment start 12.0 is a segment edge; 11.6 ("again" end) is nearer
   * to 11.7 than 12.0. */
  t = ave_snap_time (analysis, plan, 11.7, 0.5, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_WORD);
  g_assert_cmpfloat_with_epsilon (t, 11.6, EPS);

  /* Outside the tolerance nothing moves. */
  t = ave_snap_time (analysis, plan, 5.3, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_NONE);
  g_assert_cmpfloat (t, ==, 5.3);
  t = ave_snap_time (analysis, plan, 15.0, 0.0, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_NONE);
  /* The tolerance is inclusive. */
  t = ave_snap_time (analysis, plan, 5.25, 0.25, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_SHOT);

  /* A tie goes to the segment edge: 4.0 (segment 0 end) and ... shot 5.0
   * is 0.5 away from 4.5 as is segment end 4.0. */
  t = ave_snap_time (analysis, plan, 4.5, 0.5, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_SEGMENT);
  g_assert_cmpfloat_with_epsilon (t, 4.0, EPS);

  /* The segment being trimmed does not hold its own edge. */
  t = ave_snap_time_excluding (analysis, plan, 0, 4.05, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_NONE);
  t = ave_snap_time_excluding (analysis, plan, 1, 4.05, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_SEGMENT);

  /* Without analysis, only the plan; without either, nothing. */
  t = ave_snap_time (NULL, plan, 5.05, 0.1, &kind);
  g_assert_cmpint (kind, ==, AVE_SNAP_NONE);
  t = ave_snap_time (NULL, NULL, 6.0, 1.0, NULL);
  g_assert_cmpfloat (t, ==, 6.0);
}

/* ---------------------------------------------------------------- layout */

static void
test_layout (void)
{
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AveTimelineLayout) layout = NULL;
  const AveTimelineItem *items;
  guint item = 99;
  double x, t;

  g_assert_true (ave_plan_set_segment_enabled (plan, 1, FALSE));
  layout = ave_timeline_layout_new (plan, 10.0);
  items = (const AveTimelineItem *) layout->items->data;

  /* End to end in plan order, 10 px per source second; cut segments keep
   * their place. */
  g_assert_cmpuint (layout->items->len, ==, 3);
  g_assert_cmpfloat (items[0].x, ==, 0.0);
  g_assert_cmpfloat (items[0].width, ==, 30.0);
  g_assert_cmpfloat (items[1].x, ==, 30.0);
  g_assert_cmpfloat (items[2].x, ==, 70.0);
  g_assert_cmpfloat (layout->total_width, ==, 130.0);
  g_assert_false (items[1].enabled);
  g_assert_cmpfloat (items[1].output_start, ==, -1.0);

  /* Output times agree with the plan (the crossfade of segment 2 now
   * overlaps segment 0). */
  for (guint i = 0; i < 3; i++)
    if (items[i].enabled)
      g_assert_cmpfloat_with_epsilon (items[i].output_start,
                                      ave_plan_source_to_output (plan, items[i].start), EPS);

  /* time <-> x */
  g_assert_true (ave_timeline_layout_source_to_x (layout, 2.5, &x, &item));
  g_assert_cmpfloat_with_epsilon (x, 15.0, EPS);
  g_assert_cmpuint (item, ==, 0);
  g_assert_true (ave_timeline_layout_source_to_x (layout, 13.0, &x, &item));
  g_assert_cmpfloat_with_epsilon (x, 80.0, EPS);
  g_assert_true (ave_timeline_layout_source_to_x (layout, 7.0, &x, &item));
  g_assert_cmpuint (item, ==, 1);
  g_assert_false (ave_timeline_layout_source_to_x (layout, 5.0, &x, &item));
  g_assert_false (ave_timeline_layout_source_to_x (layout, 19.0, &x, &item));

  g_assert_true (ave_timeline_layout_x_to_source (layout, 15.0, &t, &item));
  g_assert_cmpfloat_with_epsilon (t, 2.5, EPS);
  g_assert_true (ave_timeline_layout_x_to_source (layout, 75.0, &t, &item));
  g_assert_cmpuint (item, ==, 2);
  g_assert_cmpfloat_with_epsilon (t, 12.5, EPS);
  g_assert_true (ave_timeline_layout_x_to_source (layout, 130.0, &t, &item));
  g_assert_cmpfloat_with_epsilon (t, 18.0, EPS);
  g_assert_false (ave_timeline_layout_x_to_source (layout, -1.0, &t, NULL));
  g_assert_false (ave_timeline_layout_x_to_source (layout, 131.0, &t, NULL));
  for (x = 0.0; x <= 130.0; x += 0.5)
    {
      double back;

      g_assert_true (ave_timeline_layout_x_to_source (layout, x, &t, &item));
      g_assert_true (t >= items[item].start && t <= items[item].end);
      back = items[item].x + (t - items[item].start) * 10.0;
      g_assert_cmpfloat_with_epsilon (back, x, 1e-6);
    }

  /* Hit testing with a 4 px edge tolerance. */
  g_assert_cmpint (ave_timeline_layout_hit (layout, 2.0, 4.0, &item), ==, AVE_TIMELINE_HIT_START);
  g_assert_cmpuint (item, ==, 0);
  g_assert_cmpint (ave_timeline_layout_hit (layout, 15.0, 4.0, &item), ==, AVE_TIMELINE_HIT_BODY);
  g_assert_cmpint (ave_timeline_layout_hit (layout, 27.0, 4.0, &item), ==, AVE_TIMELINE_HIT_END);
  g_assert_cmpuint (item, ==, 0);
  g_assert_cmpint (ave_timeline_layout_hit (layout, 30.0, 4.0, &item), ==, AVE_TIMELINE_HIT_END);
  g_assert_cmpuint (item, ==, 0);
  g_assert_cmpint (ave_timeline_layout_hit (layout, 32.0, 4.0, &item), ==, AVE_TIMELINE_HIT_START);
  g_assert_cmpuint (item, ==, 1);
  g_assert_cmpint (ave_timeline_layout_hit (layout, 132.0, 4.0, &item), ==, AVE_TIMELINE_HIT_END);
  g_assert_cmpuint (item, ==, 2);
  g_assert_cmpint (ave_timeline_layout_hit (layout, 140.0, 4.0, &item), ==, AVE_TIMELINE_HIT_NONE);
  g_assert_cmpint (ave_timeline_layout_hit (layout, -10.0, 4.0, &item), ==, AVE_TIMELINE_HIT_NONE);

  /* Edge drags follow the pointer. */
  g_assert_cmpfloat_with_epsilon (ave_timeline_layout_edge_time (layout, 0, AVE_TIMELINE_HIT_END, 35.0),
                                  4.5, EPS);
  g_assert_cmpfloat_with_epsilon (ave_timeline_layout_edge_time (layout, 2, AVE_TIMELINE_HIT_START, 75.0),
                                  12.5, EPS);

  /* Reordering: segment 0 dropped past the middle of segment 2 goes last;
   * segment 2 dropped at the very start goes first. */
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, 0, 110.0), ==, 2);
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, 0, 90.0), ==, 1);
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, 2, 1.0), ==, 0);
  g_assert_cmpuint (ave_timeline_layout_drop_index (layout, 2, 20.0), ==, 1);
  g_assert_cmpfloat (ave_timeline_layout_drop_x (layout, 0, 2), ==, 130.0);
  g_assert_cmpfloat (ave_timeline_layout_drop_x (layout, 2, 1), ==, 30.0);

  /* Zoom to fit. */
  g_assert_cmpfloat_with_epsilon (ave_timeline_layout_fit_zoom (plan, 650.0), 50.0, EPS);
}

/* ------------------------------------------------ what it shows, renders */

static double
probe_duration (const char *path,
                const char *stream)
{
  g_autofree char *out = ave_test_sh_output (
      "ffprobe -v error -select_streams %s -show_entries stream=duration "
      "-of default=nw=1:nk=1 '%s'", stream, path);

  return g_ascii_strtod (g_strstrip (out), NULL);
}

static void
test_render_edited (void)
{
  const char *sample = ave_test_sample ("edit.mp4", 8.0, 320, 180);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (sample, &error);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AvePlanHistory) history = NULL;
  g_autoptr(AveTimelineLayout) layout = NULL;
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autofree char *output = ave_test_path ("edited.mp4");
  AveSettings *settings = ave_settings_new ();
  AveComposeResult result = { 0 };
  AveSegment s = { .enabled = TRUE };
  const AveTimelineItem *last = NULL;
  double frame, expected, shown_end = 0.0;

  g_assert_no_error (error);
  frame = 1.0 / info->frame_rate;

  /* What the director could have planned: three pieces. */
  plan = ave_plan_new (sample, info->duration);
  s.start = 0.0; s.end = 2.5;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 3.0; s.end = 6.0;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 6.5; s.end = 8.0;
  g_assert_true (ave_plan_append_segment (plan, &s));

  /* The user's edits, the way the timeline makes them. */
  history = ave_plan_history_new (plan);
  g_assert_true (ave_plan_history_trim (history, 0, 0.4, 2.5));
  g_assert_true (ave_plan_history_split (history, 1, 4.5));
  g_assert_true (ave_plan_history_set_enabled (history, 2, FALSE));   /* [4.5, 6] cut */
  g_assert_true (ave_plan_history_move (history, 3, 0));              /* [6.5, 8] first */
  g_assert_true (ave_plan_history_set_transition (history, 1, AVE_TRANSITION_CROSSFADE, 0.4));
  g_assert_true (ave_plan_history_remove (history, 0));
  g_assert_true (ave_plan_history_undo (history));                     /* the removal undone */
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 4);
  {
    /* A title card dropped from the bin before the third item. */
    g_autoptr(AveCard) card = ave_card_new_title ("Chapter two", NULL, 2, 1.0);

    g_assert_cmpint (ave_plan_history_add_card (history, card), ==, 0);
  }

  /* What the timeline shows: the enabled items' output spans. */
  layout = ave_timeline_layout_new (plan, 100.0);
  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = &g_array_index (layout->items, AveTimelineItem, i);

      if (item->enabled)
        last = item;
    }
  g_assert_nonnull (last);
  shown_end = last->output_start + last->width / layout->pixels_per_second;
  expected = ave_plan_get_output_duration (plan);
  g_assert_cmpfloat_with_epsilon (shown_end, expected, 1e-9);
  /* 1.5 + 2.1 + 1.5 - 0.4 crossfade + 1 s card */
  g_assert_cmpfloat_with_epsilon (expected, 1.5 + 2.1 + 1.5 - 0.4 + 1.0, 1e-9);

  g_free (settings->encoder_preset);
  settings->encoder_preset = g_strdup ("ultrafast");
  settings->n_workers = 2;
  settings->encoder_threads = 2;
  g_assert_true (ave_composer_render (plan, NULL, settings, compute, output, &result,
                                      NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_settings_free (settings);

  g_test_message ("plan %.3f s, composer %.3f s, video stream %.3f s, audio %.3f s",
                  expected, result.output_duration,
                  probe_duration (output, "v:0"), probe_duration (output, "a:0"));
  g_assert_cmpfloat (fabs (result.output_duration - expected), <=, frame + 1e-6);
  g_assert_cmpfloat (fabs (probe_duration (output, "v:0") - expected), <=, frame + 1e-6);
  g_assert_cmpfloat (fabs (probe_duration (output, "a:0") - expected), <=, frame + 1e-6);
}

int
main (int   argc,
      char *argv[])
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/plan-editing/trim", test_trim);
  g_test_add_func ("/engine/plan-editing/reorder", test_move);
  g_test_add_func ("/engine/plan-editing/cut", test_cut);
  g_test_add_func ("/engine/plan-editing/cut-restore", test_restore);
  g_test_add_func ("/engine/plan-editing/split", test_split);
  g_test_add_func ("/engine/plan-editing/remove", test_remove);
  g_test_add_func ("/engine/plan-editing/transition", test_transition);
  g_test_add_func ("/engine/plan-editing/compound", test_compound);
  g_test_add_func ("/engine/plan-editing/refused", test_refused);
  g_test_add_func ("/engine/plan-editing/redo-cleared", test_redo_cleared);
  g_test_add_func ("/engine/plan-editing/notifications", test_notifications);
  g_test_add_func ("/engine/plan-editing/one-change-a-step", test_one_change_a_step);
  g_test_add_func ("/engine/plan-editing/cards", test_cards);
  g_test_add_func ("/engine/plan-editing/snap", test_snap);
  g_test_add_func ("/engine/plan-editing/timeline-layout", test_layout);
  g_test_add_func ("/engine/plan-editing/timeline-layout-cards", test_layout_cards);
  g_test_add_func ("/engine/plan-editing/plan-playback", test_playback);
  g_test_add_func ("/engine/plan-editing/renders-what-it-shows", test_render_edited);

  return g_test_run ();
}
