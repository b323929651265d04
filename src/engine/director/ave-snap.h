/* ave-snap.h — where a dragged edit point should land: shot boundaries,
 * word boundaries and segment edges. */
#pragma once

#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

typedef enum {
  AVE_SNAP_NONE,      /* nothing within tolerance: the time is returned as given */
  AVE_SNAP_SHOT,      /* a shot's start or end */
  AVE_SNAP_WORD,      /* a word's start or end */
  AVE_SNAP_SEGMENT,   /* a plan segment's start or end */
} AveSnapKind;

/* Returns the snap target nearest to `source_time` within `tolerance`
 * seconds (inclusive), or `source_time` itself when there is none.  On a
 * tie the segment edge wins, then the shot, then the word: those are the
 * coarser, more deliberate edit points.  `analysis` and `plan` may be
 * NULL; `kind_out` may be NULL. */
double ave_snap_time           (const AveAnalysis *analysis,
                                AvePlan           *plan,
                                double             source_time,
                                double             tolerance,
                                AveSnapKind       *kind_out);
/* Same, ignoring the edges of segment `exclude_segment` (the one being
 * trimmed, whose own edge would otherwise hold it in place); -1 for none. */
double ave_snap_time_excluding (const AveAnalysis *analysis,
                                AvePlan           *plan,
                                int                exclude_segment,
                                double             source_time,
                                double             tolerance,
                                AveSnapKind       *kind_out);

G_END_DECLS
