/* ave-shot-detector.h — shot boundaries from per-frame measures (private).
 *
 * Pure functions over the small records the video analyser keeps for each
 * analysed frame, so that detection can be tested on hand-made sequences
 * as well as on real video.
 */
#pragma once

#include <glib.h>

#include "analysis/ave-analysis.h"

G_BEGIN_DECLS

/* What the video analyser keeps of one analysed frame (no pixels). */
typedef struct
{
  double   pts;             /* seconds */
  double   duration;        /* seconds */
  gboolean has_prev;        /* the diff_* and motion fields compare with the previous record */
  float    mean_luma;       /* 0..255 */
  float    contrast;        /* luma standard deviation */
  float    sharpness;       /* Laplacian variance */
  float    colourfulness;   /* mean |chroma - 128| of U and V, 0..~120 */
  float    diff_prev;       /* mean |a - b| per luma pixel against the previous record's frame */
  float    motion;          /* block motion against the previous frame, 0..255 */
  float    hist_prev;       /* histogram distance to the previous frame, 0..1 */
  float    hist_skip;       /* histogram distance to the frame two records back, 0..1; -1 when unknown */
  float    hist_long;       /* histogram distance to the frame `long_span` records back, 0..1; -1 when unknown */
  /* with key pictures only: a key interval apart from the previous
   * record, and judged then to hold no cut (noise or movement going on
   * through a shot); the detector puts none there */
  gboolean no_cut;
} AveFrameRecord;

/* One boundary: record `index` is the first frame of the new shot.  For
 * gradual transitions, records first..last (inclusive) are the transition
 * and `index` is its middle; for cuts first = last = index. */
typedef struct
{
  guint             index;
  guint             first;
  guint             last;
  AveShotTransition transition;   /* CUT, DISSOLVE or FADE */
} AveShotBoundary;

/* The cut score of record i (0..1) combining pixel and histogram change. */
double  _ave_shot_cut_score (const AveFrameRecord *record);
/* The lowest cut score a cut can have at this sensitivity (0..1). */
double  _ave_shot_cut_floor (double shot_threshold);

/* Finds cuts, fades and dissolves.  `long_span` is the record distance the
 * hist_long fields were measured over; `shot_threshold` is the user's
 * sensitivity (0..1, higher = fewer cuts).  Returns AveShotBoundary sorted
 * by index. */
GArray *_ave_shot_detect    (const AveFrameRecord *records,
                             guint                 n_records,
                             guint                 long_span,
                             double                shot_threshold);

G_END_DECLS
