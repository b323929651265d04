#define G_LOG_DOMAIN "ave-plan-history"

#include "config.h"

#include "ave-plan-history.h"

/* Enough for a long editing session; each step holds two small plans. */
#define MAX_STEPS 1000

typedef struct
{
  char    *label;
  AvePlan *before;
  AvePlan *after;
} Step;

struct _AvePlanHistory
{
  GObject   parent_instance;

  AvePlan  *plan;
  GQueue    undo;      /* Step*, most recent at the head */
  GQueue    redo;      /* Step*, next to redo at the head */
  gulong    changed_id;
  guint     applying;  /* > 0 while the history itself edits the plan */
};

G_DEFINE_FINAL_TYPE (AvePlanHistory, ave_plan_history, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PLAN,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  PROP_UNDO_LABEL,
  PROP_REDO_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
step_free (gpointer data)
{
  Step *step = data;

  g_free (step->label);
  g_clear_object (&step->before);
  g_clear_object (&step->after);
  g_free (step);
}

static char *
plan_to_string (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);

  return json_to_string (node, FALSE);
}

/* Puts `snapshot`'s content into `plan` through the plan's own API, so
 * every view connected to "changed" follows (once, at the end).  Segments
 * are rebuilt rather than patched because a segment's reason can only be
 * set when it is added.  Order matters: cards go first (a title card follows its
 * segments), overlays are put back at their times after every title card
 * is in (adding a title pushes the overlays after it), and chapters last,
 * for the same reason. */
static void
restore_plan (AvePlan *plan,
              AvePlan *snapshot)
{
  /* One "changed" for the whole step, not one a segment: views rebuild
   * once, and never see the plan half restored. */
  ave_plan_freeze_changed (plan);
  ave_plan_set_director (plan, ave_plan_get_director (snapshot));

  while (ave_plan_get_n_cards (plan) > 0)
    ave_plan_remove_card (plan, ave_plan_get_n_cards (plan) - 1);

  while (ave_plan_get_n_segments (plan) > 0)
    ave_plan_remove_segment (plan, ave_plan_get_n_segments (plan) - 1);
  for (guint i = 0; i < ave_plan_get_n_segments (snapshot); i++)
    if (!ave_plan_append_segment (plan, ave_plan_get_segment (snapshot, i)))
      g_warning ("Segment %u of a recorded plan does not fit the plan any more", i);

  for (guint i = 0; i < ave_plan_get_n_cards (snapshot); i++)
    if (ave_plan_add_card (plan, ave_plan_get_card (snapshot, i)) < 0)
      g_warning ("Card %u of a recorded plan does not fit the plan any more", i);
  for (guint i = 0; i < ave_plan_get_n_cards (plan); i++)
    {
      const AveCard *card = ave_plan_get_card (snapshot, i);

      if (card->kind == AVE_CARD_OVERLAY)
        ave_plan_move_card (plan, i, 0, card->output_time);
    }

  ave_plan_clear_chapters (plan);
  for (guint i = 0; i < ave_plan_get_n_chapters (snapshot); i++)
    {
      const AveChapter *chapter = ave_plan_get_chapter (snapshot, i);

      ave_plan_add_chapter (plan, chapter->time, chapter->title);
    }
  ave_plan_thaw_changed (plan);
}

static void
notify_state (AvePlanHistory *self,
              gboolean        could_undo,
              gboolean        could_redo,
              const char     *undo_label,
              const char     *redo_label)
{
  if (could_undo != ave_plan_history_get_can_undo (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  if (could_redo != ave_plan_history_get_can_redo (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
  if (g_strcmp0 (undo_label, ave_plan_history_get_undo_label (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNDO_LABEL]);
  if (g_strcmp0 (redo_label, ave_plan_history_get_redo_label (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REDO_LABEL]);
}

/* Runs a change of the stacks and sends the notifications it caused once
 * the stacks are consistent again. */
typedef struct
{
  gboolean could_undo, could_redo;
  char    *undo_label, *redo_label;
} StateBefore;

static void
state_save (AvePlanHistory *self,
            StateBefore    *state)
{
  state->could_undo = ave_plan_history_get_can_undo (self);
  state->could_redo = ave_plan_history_get_can_redo (self);
  state->undo_label = g_strdup (ave_plan_history_get_undo_label (self));
  state->redo_label = g_strdup (ave_plan_history_get_redo_label (self));
}

static void
state_notify (AvePlanHistory *self,
              StateBefore    *state)
{
  g_object_freeze_notify (G_OBJECT (self));
  notify_state (self, state->could_undo, state->could_redo,
                state->undo_label, state->redo_label);
  g_object_thaw_notify (G_OBJECT (self));
  g_clear_pointer (&state->undo_label, g_free);
  g_clear_pointer (&state->redo_label, g_free);
}

static void
clear_stacks (AvePlanHistory *self)
{
  g_queue_clear_full (&self->undo, step_free);
  g_queue_clear_full (&self->redo, step_free);
}

/* An edit that bypassed the history cannot be undone, and undoing an older
 * step would silently throw it away: the history forgets what came before. */
static void
on_plan_changed (AvePlan        *plan,
                 AvePlanHistory *self)
{
  if (self->applying > 0)
    return;

  if (!g_queue_is_empty (&self->undo) || !g_queue_is_empty (&self->redo))
    {
      StateBefore state;

      g_debug ("The plan was edited outside the history; forgetting %u undo steps",
               g_queue_get_length (&self->undo));
      state_save (self, &state);
      clear_stacks (self);
      state_notify (self, &state);
    }
}

static void
ave_plan_history_dispose (GObject *object)
{
  AvePlanHistory *self = AVE_PLAN_HISTORY (object);

  if (self->plan != NULL)
    g_clear_signal_handler (&self->changed_id, self->plan);
  clear_stacks (self);
  g_clear_object (&self->plan);

  G_OBJECT_CLASS (ave_plan_history_parent_class)->dispose (object);
}

static void
ave_plan_history_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  AvePlanHistory *self = AVE_PLAN_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PLAN:
      g_value_set_object (value, self->plan);
      break;
    case PROP_CAN_UNDO:
      g_value_set_boolean (value, ave_plan_history_get_can_undo (self));
      break;
    case PROP_CAN_REDO:
      g_value_set_boolean (value, ave_plan_history_get_can_redo (self));
      break;
    case PROP_UNDO_LABEL:
      g_value_set_string (value, ave_plan_history_get_undo_label (self));
      break;
    case PROP_REDO_LABEL:
      g_value_set_string (value, ave_plan_history_get_redo_label (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_plan_history_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  AvePlanHistory *self = AVE_PLAN_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PLAN:
      self->plan = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_plan_history_constructed (GObject *object)
{
  AvePlanHistory *self = AVE_PLAN_HISTORY (object);

  G_OBJECT_CLASS (ave_plan_history_parent_class)->constructed (object);

  if (self->plan == NULL)
    self->plan = ave_plan_new (NULL, 0.0);
  self->changed_id = g_signal_connect (self->plan, "changed",
                                       G_CALLBACK (on_plan_changed), self);
}

static void
ave_plan_history_class_init (AvePlanHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ave_plan_history_dispose;
  object_class->get_property = ave_plan_history_get_property;
  object_class->set_property = ave_plan_history_set_property;
  object_class->constructed = ave_plan_history_constructed;

  properties[PROP_PLAN] =
    g_param_spec_object ("plan", NULL, NULL, AVE_TYPE_PLAN,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_UNDO] =
    g_param_spec_boolean ("can-undo", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REDO] =
    g_param_spec_boolean ("can-redo", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNDO_LABEL] =
    g_param_spec_string ("undo-label", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REDO_LABEL] =
    g_param_spec_string ("redo-label", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ave_plan_history_init (AvePlanHistory *self)
{
  g_queue_init (&self->undo);
  g_queue_init (&self->redo);
}

AvePlanHistory *
ave_plan_history_new (AvePlan *plan)
{
  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);

  return g_object_new (AVE_TYPE_PLAN_HISTORY, "plan", plan, NULL);
}

AvePlan *
ave_plan_history_get_plan (AvePlanHistory *self)
{
  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), NULL);

  return self->plan;
}

gboolean
ave_plan_history_apply (AvePlanHistory  *self,
                        const char      *label,
                        AvePlanEditFunc  func,
                        gpointer         user_data)
{
  g_autoptr(AvePlan) before = NULL;
  g_autofree char *before_json = NULL;
  g_autofree char *after_json = NULL;
  StateBefore state;
  Step *step;
  gboolean ok;

  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), FALSE);
  g_return_val_if_fail (label != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  before = ave_plan_copy (self->plan);
  before_json = plan_to_string (before);

  self->applying++;
  ok = func (self->plan, user_data);
  after_json = plan_to_string (self->plan);
  /* A compound edit that gave up half-way must not leave half an edit. */
  if (!ok && g_strcmp0 (before_json, after_json) != 0)
    restore_plan (self->plan, before);
  self->applying--;

  if (!ok || g_strcmp0 (before_json, after_json) == 0)
    return ok;

  state_save (self, &state);
  step = g_new0 (Step, 1);
  step->label = g_strdup (label);
  step->before = g_steal_pointer (&before);
  step->after = ave_plan_copy (self->plan);
  g_queue_push_head (&self->undo, step);
  while (g_queue_get_length (&self->undo) > MAX_STEPS)
    step_free (g_queue_pop_tail (&self->undo));
  g_queue_clear_full (&self->redo, step_free);
  state_notify (self, &state);
  return TRUE;
}

typedef struct
{
  int               op;
  guint             index, to;
  double            a, b;
  gboolean          enabled;
  AveTransitionType transition;
  const AveCard    *card;
  int               added;
} SimpleEdit;

enum {
  EDIT_TRIM, EDIT_MOVE, EDIT_SPLIT, EDIT_ENABLE, EDIT_REMOVE, EDIT_TRANSITION,
  EDIT_ADD_CARD, EDIT_REMOVE_CARD, EDIT_MOVE_CARD, EDIT_UPDATE_CARD,
};

static gboolean
run_simple_edit (AvePlan  *plan,
                 gpointer  user_data)
{
  SimpleEdit *edit = user_data;

  switch (edit->op)
    {
    case EDIT_TRIM:
      return ave_plan_trim_segment (plan, edit->index, edit->a, edit->b);
    case EDIT_MOVE:
      return ave_plan_move_segment (plan, edit->index, edit->to);
    case EDIT_SPLIT:
      return ave_plan_split_segment (plan, edit->index, edit->a);
    case EDIT_ENABLE:
      return ave_plan_set_segment_enabled (plan, edit->index, edit->enabled);
    case EDIT_REMOVE:
      return ave_plan_remove_segment (plan, edit->index);
    case EDIT_TRANSITION:
      return ave_plan_set_transition (plan, edit->index, edit->transition, edit->a);
    case EDIT_ADD_CARD:
      edit->added = ave_plan_add_card (plan, edit->card);
      return edit->added >= 0;
    case EDIT_REMOVE_CARD:
      return ave_plan_remove_card (plan, edit->index);
    case EDIT_MOVE_CARD:
      return ave_plan_move_card (plan, edit->index, edit->to, edit->a);
    case EDIT_UPDATE_CARD:
      return ave_plan_update_card (plan, edit->index, edit->card);
    default:
      /* Unreachable from files: edits are made by the calls above, never read. */
      g_assert_not_reached ();
    }
}

gboolean
ave_plan_history_trim (AvePlanHistory *self,
                       guint           index,
                       double          start,
                       double          end)
{
  SimpleEdit edit = { .op = EDIT_TRIM, .index = index, .a = start, .b = end };

  return ave_plan_history_apply (self, "Trim segment", run_simple_edit, &edit);
}

gboolean
ave_plan_history_move (AvePlanHistory *self,
                       guint           from,
                       guint           to)
{
  SimpleEdit edit = { .op = EDIT_MOVE, .index = from, .to = to };

  return ave_plan_history_apply (self, "Move segment", run_simple_edit, &edit);
}

gboolean
ave_plan_history_split (AvePlanHistory *self,
                        guint           index,
                        double          source_time)
{
  SimpleEdit edit = { .op = EDIT_SPLIT, .index = index, .a = source_time };

  return ave_plan_history_apply (self, "Split segment", run_simple_edit, &edit);
}

gboolean
ave_plan_history_set_enabled (AvePlanHistory *self,
                              guint           index,
                              gboolean        enabled)
{
  SimpleEdit edit = { .op = EDIT_ENABLE, .index = index, .enabled = enabled };

  return ave_plan_history_apply (self, enabled ? "Restore segment" : "Cut segment",
                                 run_simple_edit, &edit);
}

gboolean
ave_plan_history_remove (AvePlanHistory *self,
                         guint           index)
{
  SimpleEdit edit = { .op = EDIT_REMOVE, .index = index };

  return ave_plan_history_apply (self, "Remove segment", run_simple_edit, &edit);
}

gboolean
ave_plan_history_set_transition (AvePlanHistory    *self,
                                 guint              index,
                                 AveTransitionType  type,
                                 double             duration)
{
  SimpleEdit edit = { .op = EDIT_TRANSITION, .index = index, .transition = type, .a = duration };

  return ave_plan_history_apply (self, "Change transition", run_simple_edit, &edit);
}

static const char *
card_label (const AveCard *card,
            const char    *title_label,
            const char    *overlay_label)
{
  return card != NULL && card->kind == AVE_CARD_OVERLAY ? overlay_label : title_label;
}

int
ave_plan_history_add_card (AvePlanHistory *self,
                           const AveCard  *card)
{
  SimpleEdit edit = { .op = EDIT_ADD_CARD, .card = card, .added = -1 };

  g_return_val_if_fail (card != NULL, -1);

  if (!ave_plan_history_apply (self, card_label (card, "Add title card", "Add overlay"),
                               run_simple_edit, &edit))
    return -1;
  return edit.added;
}

static const AveCard *
existing_card (AvePlanHistory *self,
               guint           index)
{
  if (!AVE_IS_PLAN_HISTORY (self) || index >= ave_plan_get_n_cards (self->plan))
    return NULL;
  return ave_plan_get_card (self->plan, index);
}

gboolean
ave_plan_history_remove_card (AvePlanHistory *self,
                              guint           index)
{
  SimpleEdit edit = { .op = EDIT_REMOVE_CARD, .index = index };

  return ave_plan_history_apply (self,
                                 card_label (existing_card (self, index), "Remove title card", "Remove overlay"),
                                 run_simple_edit, &edit);
}

gboolean
ave_plan_history_move_card (AvePlanHistory *self,
                            guint           index,
                            guint           insert_before,
                            double          output_time)
{
  SimpleEdit edit = { .op = EDIT_MOVE_CARD, .index = index, .to = insert_before, .a = output_time };

  return ave_plan_history_apply (self,
                                 card_label (existing_card (self, index), "Move title card", "Move overlay"),
                                 run_simple_edit, &edit);
}

gboolean
ave_plan_history_update_card (AvePlanHistory *self,
                              guint           index,
                              const AveCard  *card)
{
  SimpleEdit edit = { .op = EDIT_UPDATE_CARD, .index = index, .card = card };

  g_return_val_if_fail (card != NULL, FALSE);

  return ave_plan_history_apply (self, card_label (card, "Change title card", "Change overlay"),
                                 run_simple_edit, &edit);
}

static gboolean
move_step (AvePlanHistory *self,
           GQueue         *from,
           GQueue         *to,
           gboolean        undoing)
{
  StateBefore state;
  Step *step;

  if (g_queue_is_empty (from))
    return FALSE;

  state_save (self, &state);
  step = g_queue_pop_head (from);
  self->applying++;
  restore_plan (self->plan, undoing ? step->before : step->after);
  self->applying--;
  g_queue_push_head (to, step);
  state_notify (self, &state);
  return TRUE;
}

gboolean
ave_plan_history_undo (AvePlanHistory *self)
{
  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), FALSE);

  return move_step (self, &self->undo, &self->redo, TRUE);
}

gboolean
ave_plan_history_redo (AvePlanHistory *self)
{
  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), FALSE);

  return move_step (self, &self->redo, &self->undo, FALSE);
}

gboolean
ave_plan_history_get_can_undo (AvePlanHistory *self)
{
  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), FALSE);

  return !g_queue_is_empty (&self->undo);
}

gboolean
ave_plan_history_get_can_redo (AvePlanHistory *self)
{
  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), FALSE);

  return !g_queue_is_empty (&self->redo);
}

const char *
ave_plan_history_get_undo_label (AvePlanHistory *self)
{
  Step *step;

  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), NULL);

  step = g_queue_peek_head (&self->undo);
  return step != NULL ? step->label : NULL;
}

const char *
ave_plan_history_get_redo_label (AvePlanHistory *self)
{
  Step *step;

  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (self), NULL);

  step = g_queue_peek_head (&self->redo);
  return step != NULL ? step->label : NULL;
}

void
ave_plan_history_clear (AvePlanHistory *self)
{
  StateBefore state;

  g_return_if_fail (AVE_IS_PLAN_HISTORY (self));

  state_save (self, &state);
  clear_stacks (self);
  state_notify (self, &state);
}
