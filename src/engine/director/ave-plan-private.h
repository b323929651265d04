/* ave-plan-private.h — what the plan model (ave-plan.c) and its JSON form
 * (ave-plan-json.c) share; not for use outside director/.
 */
#pragma once

#include "director/ave-plan.h"
#include "core/ave-json-doc.h"
#include "core/ave-json-read.h"

G_BEGIN_DECLS

/* The shortest segment the timeline accepts: about one frame at 100 fps.
 * Anything shorter cannot be rendered as a picture and is a mistake. */
#define MIN_SEGMENT_DURATION 0.01

/* Media durations from containers are estimates; a plan written against
 * one probe must still validate against another that differs by a frame. */
#define DURATION_TOLERANCE 0.05

/* Used when a hand-written plan names a crossfade or fade without saying
 * how long it is. */
#define DEFAULT_TRANSITION_DURATION 0.5

/* Where a new lower third sits: the bottom fifth of the frame, inset from
 * the edges by about the title-safe margin. */
#define LOWER_THIRD_X      0.05
#define LOWER_THIRD_Y      0.72
#define LOWER_THIRD_WIDTH  0.90
#define LOWER_THIRD_HEIGHT 0.20

struct _AvePlan
{
  GObject  parent_instance;

  char    *source;
  double   source_duration;
  char    *director;
  GArray  *segments;   /* AveSegment, clear func frees reason */
  GArray  *chapters;   /* AveChapter sorted by time, clear func frees title */
  GArray  *cards;      /* AveCard, clear func frees its strings */
  /* "metadata" (schema v2): NULL title = none */
  char    *meta_title;
  char    *meta_description;
  char   **meta_tags;
  double   meta_thumbnail_time;   /* source seconds, < 0 = none */
  char    *meta_thumbnail_text;
  /* ave_plan_freeze_changed: "changed" waits for the last thaw */
  guint    freeze_count;
  gboolean changed_pending;
};
/* Member names as plan.json spells them, indexed by the enums. */
extern const char * const _ave_plan_origin_names[4];
extern const char * const _ave_plan_transition_names[3];
extern const char * const _ave_plan_card_kind_names[2];
extern const char * const _ave_plan_card_style_names[3];

/* plan.json as a document type (ave-plan-json.c); its format names plan
 * errors raised outside a file too (ave_plan_validate()). */
extern const AveJsonDocType _ave_plan_document;

void     _ave_plan_clear_card     (gpointer data);
/* A cut has no duration; empty text is absent. */
void     _ave_plan_normalise_card (AveCard *card);
/* Checks one card against the plan; `path` names it in messages
 * ("cards[1]"), the error (in `format`) names the member at fault. */
gboolean _ave_plan_check_card     (AvePlan              *self,
                                   const AveCard        *card,
                                   const AveJsonFormat  *format,
                                   const char           *path,
                                   GError              **error);

G_END_DECLS
