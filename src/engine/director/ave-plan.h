/* ave-plan.h — the edit plan (plan.json): what the composer renders and the
 * timeline edits.
 *
 * The plan is a main-thread model (the UI edits it); the engine hands a
 * copy (ave_plan_copy) to worker threads.  Every edit emits "changed".
 * Schema: docs/plan-schema.md.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define AVE_PLAN_VERSION 1

typedef enum {
  AVE_TRANSITION_CUT,        /* hard cut (the audio still gets a short crossfade) */
  AVE_TRANSITION_CROSSFADE,  /* video dissolve over `transition_duration`, overlapping the previous segment */
  AVE_TRANSITION_FADE,       /* fade through black: out of the previous segment, into this one */
} AveTransitionType;

typedef struct
{
  double            start, end;            /* source seconds, start < end */
  AveTransitionType transition;            /* how this segment begins (ignored for the first) */
  double            transition_duration;   /* seconds, 0 for cuts */
  gboolean          enabled;               /* FALSE = cut out on the timeline, kept for restore */
  char             *reason;                /* why the director kept it (nullable, shown in the UI) */
} AveSegment;

typedef struct
{
  double  time;                            /* output seconds */
  char   *title;
} AveChapter;

#define AVE_TYPE_PLAN (ave_plan_get_type ())
G_DECLARE_FINAL_TYPE (AvePlan, ave_plan, AVE, PLAN, GObject)

AvePlan          *ave_plan_new                (const char *source, double source_duration);
AvePlan          *ave_plan_copy               (AvePlan *self);

const char       *ave_plan_get_source         (AvePlan *self);
double            ave_plan_get_source_duration (AvePlan *self);
const char       *ave_plan_get_director       (AvePlan *self);   /* e.g. "local" */
void              ave_plan_set_director       (AvePlan *self, const char *director);

guint             ave_plan_get_n_segments     (AvePlan *self);
const AveSegment *ave_plan_get_segment        (AvePlan *self, guint index);
/* Appends a copy; returns FALSE (and changes nothing) when the range is
 * empty or outside the source. */
gboolean          ave_plan_append_segment     (AvePlan *self, const AveSegment *segment);

/* Editing (the timeline's operations); each returns FALSE for an invalid
 * request and leaves the plan unchanged. */
gboolean          ave_plan_trim_segment       (AvePlan *self, guint index, double start, double end);
gboolean          ave_plan_move_segment       (AvePlan *self, guint from, guint to);
gboolean          ave_plan_set_segment_enabled (AvePlan *self, guint index, gboolean enabled);
gboolean          ave_plan_split_segment      (AvePlan *self, guint index, double source_time);
gboolean          ave_plan_remove_segment     (AvePlan *self, guint index);
gboolean          ave_plan_set_transition     (AvePlan *self, guint index,
                                               AveTransitionType type, double duration);

guint             ave_plan_get_n_chapters     (AvePlan *self);
const AveChapter *ave_plan_get_chapter        (AvePlan *self, guint index);
void              ave_plan_add_chapter        (AvePlan *self, double output_time, const char *title);
void              ave_plan_clear_chapters     (AvePlan *self);

/* Sum of enabled segment durations minus crossfade overlaps. */
double            ave_plan_get_output_duration (AvePlan *self);
/* Maps a source time to output time (-1 when the time is cut). */
double            ave_plan_source_to_output   (AvePlan *self, double source_time);

JsonNode         *ave_plan_to_json            (AvePlan *self);
/* Validates: errors (AVE_PLAN_ERROR_INVALID) name the field, e.g.
 * "segments[2].end: must be greater than start (4.0)". */
AvePlan          *ave_plan_new_from_json      (JsonNode *node, GError **error);
gboolean          ave_plan_save               (AvePlan *self, const char *path, GError **error);
AvePlan          *ave_plan_load               (const char *path, GError **error);

/* Checks the plan against the media it will render (source duration);
 * AVE_PLAN_ERROR_EMPTY when nothing is enabled. */
gboolean          ave_plan_validate           (AvePlan *self, double source_duration, GError **error);

G_END_DECLS
