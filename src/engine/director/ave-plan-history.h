/* ave-plan-history.h — undo/redo over an AvePlan: every timeline edit goes
 * through here.
 *
 * Each edit records the whole plan before and after it (plans are small:
 * a few hundred segments at most), so undo and redo restore exactly the
 * previous plan — ave_plan_to_json gives identical output — whatever the
 * edit did to neighbouring segments (transitions shortened to fit, ...).
 * Main thread only, like the plan itself.
 */
#pragma once

#include <glib-object.h>

#include "director/ave-plan.h"

G_BEGIN_DECLS

/* A compound edit: any number of AvePlan edits made as one undo step.
 * Return FALSE to abandon it; the plan is then put back as it was. */
typedef gboolean (*AvePlanEditFunc) (AvePlan  *plan,
                                     gpointer  user_data);

#define AVE_TYPE_PLAN_HISTORY (ave_plan_history_get_type ())
G_DECLARE_FINAL_TYPE (AvePlanHistory, ave_plan_history, AVE, PLAN_HISTORY, GObject)

AvePlanHistory *ave_plan_history_new          (AvePlan *plan);
AvePlan        *ave_plan_history_get_plan     (AvePlanHistory *self);

/* The AvePlan edits, recorded as one undo step each.  They return what
 * the AvePlan function returns; an edit that is refused or changes
 * nothing records no step (and does not clear redo). */
gboolean        ave_plan_history_trim         (AvePlanHistory *self, guint index,
                                               double start, double end);
gboolean        ave_plan_history_move         (AvePlanHistory *self, guint from, guint to);
gboolean        ave_plan_history_split        (AvePlanHistory *self, guint index,
                                               double source_time);
/* Cut (FALSE) or restore (TRUE) a segment: it stays in the plan. */
gboolean        ave_plan_history_set_enabled  (AvePlanHistory *self, guint index,
                                               gboolean enabled);
gboolean        ave_plan_history_remove       (AvePlanHistory *self, guint index);
gboolean        ave_plan_history_set_transition (AvePlanHistory *self, guint index,
                                               AveTransitionType type, double duration);
/* Cards (ave_plan_add_card ...), one step each; add returns the new
 * card's index or -1. */
int             ave_plan_history_add_card     (AvePlanHistory *self, const AveCard *card);
gboolean        ave_plan_history_remove_card  (AvePlanHistory *self, guint index);
gboolean        ave_plan_history_move_card    (AvePlanHistory *self, guint index,
                                               guint insert_before, double output_time);
gboolean        ave_plan_history_update_card  (AvePlanHistory *self, guint index,
                                               const AveCard *card);
/* Runs `func` on the plan as one step labelled `label` (shown as "Undo
 * <label>").  Returns what `func` returns. */
gboolean        ave_plan_history_apply        (AvePlanHistory  *self,
                                               const char      *label,
                                               AvePlanEditFunc  func,
                                               gpointer         user_data);

gboolean        ave_plan_history_undo         (AvePlanHistory *self);
gboolean        ave_plan_history_redo         (AvePlanHistory *self);
gboolean        ave_plan_history_get_can_undo (AvePlanHistory *self);
gboolean        ave_plan_history_get_can_redo (AvePlanHistory *self);
/* The label of the step undo/redo would apply, NULL when there is none. */
const char     *ave_plan_history_get_undo_label (AvePlanHistory *self);
const char     *ave_plan_history_get_redo_label (AvePlanHistory *self);
/* Forgets every step (e.g. after a new plan was loaded into the model). */
void            ave_plan_history_clear        (AvePlanHistory *self);

G_END_DECLS
