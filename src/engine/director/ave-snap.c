#define G_LOG_DOMAIN "ave-snap"

#include "config.h"

#include <math.h>

#include "ave-snap.h"

typedef struct
{
  double      source_time;
  double      tolerance;
  double      best_time;
  double      best_distance;
  AveSnapKind best_kind;
} SnapSearch;

/* Candidates are offered coarsest kind first, so a later candidate only
 * wins when it is strictly nearer: ties go to segment edges, then shots. */
static void
offer (SnapSearch  *search,
       double       candidate,
       AveSnapKind  kind)
{
  double distance = fabs (candidate - search->source_time);

  if (!isfinite (candidate) || distance > search->tolerance)
    return;
  if (search->best_kind != AVE_SNAP_NONE && distance >= search->best_distance)
    return;

  search->best_time = candidate;
  search->best_distance = distance;
  search->best_kind = kind;
}

/* Index of the first element whose time is >= `time` in an array sorted by
 * start time, so only the neighbourhood of the pointer is examined: a long
 * talk has thousands of words. */
static guint
first_at_or_after (GArray *array,
                   gsize   element_size,
                   gsize   start_offset,
                   double  time)
{
  guint lo = 0, hi = array->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      double start = *(const double *) (array->data + mid * element_size + start_offset);

      if (start < time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
offer_intervals (SnapSearch  *search,
                 GArray      *array,
                 gsize        element_size,
                 gsize        start_offset,
                 gsize        end_offset,
                 AveSnapKind  kind)
{
  guint first;

  if (array == NULL || array->len == 0)
    return;

  /* Elements are sorted by start and do not overlap much; anything that
   * starts more than a tolerance after the time cannot match, and walking
   * back from there finds every element whose end may still be near. */
  first = first_at_or_after (array, element_size, start_offset,
                             search->source_time - search->tolerance);
  for (guint i = first; i < array->len; i++)
    {
      const guint8 *element = (const guint8 *) array->data + i * element_size;
      double start = *(const double *) (element + start_offset);

      if (start > search->source_time + search->tolerance)
        break;
      offer (search, start, kind);
      offer (search, *(const double *) (element + end_offset), kind);
    }
  /* Elements starting before the window may end inside it. */
  for (guint i = first; i > 0; i--)
    {
      const guint8 *element = (const guint8 *) array->data + (i - 1) * element_size;
      double end = *(const double *) (element + end_offset);

      offer (search, end, kind);
      if (end < search->source_time - search->tolerance)
        break;
    }
}

double
ave_snap_time_excluding (const AveAnalysis *analysis,
                         AvePlan           *plan,
                         int                exclude_segment,
                         double             source_time,
                         double             tolerance,
                         AveSnapKind       *kind_out)
{
  SnapSearch search = {
    .source_time = source_time,
    .tolerance = isfinite (tolerance) ? MAX (0.0, tolerance) : 0.0,
    .best_time = source_time,
    .best_kind = AVE_SNAP_NONE,
  };

  g_return_val_if_fail (plan == NULL || AVE_IS_PLAN (plan), source_time);

  if (plan != NULL)
    for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
      {
        const AveSegment *segment = ave_plan_get_segment (plan, i);

        if ((int) i == exclude_segment)
          continue;
        offer (&search, segment->start, AVE_SNAP_SEGMENT);
        offer (&search, segment->end, AVE_SNAP_SEGMENT);
      }

  if (analysis != NULL)
    {
      offer_intervals (&search, analysis->shots, sizeof (AveShot),
                       G_STRUCT_OFFSET (AveShot, start), G_STRUCT_OFFSET (AveShot, end),
                       AVE_SNAP_SHOT);
      offer_intervals (&search, analysis->words, sizeof (AveWord),
                       G_STRUCT_OFFSET (AveWord, start), G_STRUCT_OFFSET (AveWord, end),
                       AVE_SNAP_WORD);
    }

  if (kind_out != NULL)
    *kind_out = search.best_kind;
  return search.best_time;
}

double
ave_snap_time (const AveAnalysis *analysis,
               AvePlan           *plan,
               double             source_time,
               double             tolerance,
               AveSnapKind       *kind_out)
{
  return ave_snap_time_excluding (analysis, plan, -1, source_time, tolerance, kind_out);
}
