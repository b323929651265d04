#define G_LOG_DOMAIN "ave-timeline-layout"

#include "config.h"

#include <math.h>

#include "ave-timeline-layout.h"

static inline const AveTimelineItem *
item_at (const AveTimelineLayout *layout,
         guint                    i)
{
  return &g_array_index (layout->items, AveTimelineItem, i);
}

/* The output overlap the composer gives a crossfade (see ave-plan.c): the
 * layout reports the same output times the render will have. */
static double
crossfade_overlap (const AveSegment *previous,
                   const AveSegment *current)
{
  if (previous == NULL || current->transition != AVE_TRANSITION_CROSSFADE)
    return 0.0;
  return MAX (0.0, MIN (current->transition_duration,
                        MIN (previous->end - previous->start, current->end - current->start)));
}

AveTimelineLayout *
ave_timeline_layout_new (AvePlan *plan,
                         double   pixels_per_second)
{
  AveTimelineLayout *layout = g_new0 (AveTimelineLayout, 1);
  const AveSegment *previous_enabled = NULL;
  double output = 0.0;
  double x = 0.0;

  g_return_val_if_fail (AVE_IS_PLAN (plan), layout);

  layout->pixels_per_second = isfinite (pixels_per_second) && pixels_per_second > 0.0
                              ? pixels_per_second : 1.0;
  layout->items = g_array_new (FALSE, TRUE, sizeof (AveTimelineItem));

  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);
      AveTimelineItem item = {
        .index = i,
        .x = x,
        .width = (segment->end - segment->start) * layout->pixels_per_second,
        .start = segment->start,
        .end = segment->end,
        .enabled = segment->enabled,
        .output_start = -1.0,
      };

      if (segment->enabled)
        {
          if (previous_enabled != NULL)
            output += (previous_enabled->end - previous_enabled->start)
                      - crossfade_overlap (previous_enabled, segment);
          item.output_start = output;
          previous_enabled = segment;
        }
      g_array_append_val (layout->items, item);
      x += item.width;
    }
  layout->total_width = x;
  return layout;
}

void
ave_timeline_layout_free (AveTimelineLayout *layout)
{
  if (layout == NULL)
    return;
  g_clear_pointer (&layout->items, g_array_unref);
  g_free (layout);
}

double
ave_timeline_layout_fit_zoom (AvePlan *plan,
                              double   width)
{
  double total = 0.0;

  g_return_val_if_fail (AVE_IS_PLAN (plan), 1.0);

  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);

      total += segment->end - segment->start;
    }
  if (total <= 0.0 || width <= 0.0)
    return 1.0;
  return width / total;
}

gboolean
ave_timeline_layout_source_to_x (const AveTimelineLayout *layout,
                                 double                   source_time,
                                 double                  *x_out,
                                 guint                   *item_out)
{
  int found = -1;

  g_return_val_if_fail (layout != NULL, FALSE);

  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);

      if (source_time < item->start || source_time > item->end)
        continue;
      /* The playhead belongs where it plays: a source moment that is both
       * kept and cut somewhere is shown in the kept segment. */
      if (item->enabled)
        {
          found = i;
          break;
        }
      if (found < 0)
        found = i;
    }
  if (found < 0)
    return FALSE;

  if (x_out != NULL)
    {
      const AveTimelineItem *item = item_at (layout, found);

      *x_out = item->x + (source_time - item->start) * layout->pixels_per_second;
    }
  if (item_out != NULL)
    *item_out = found;
  return TRUE;
}

/* The item under x: a binary search, items being contiguous and ordered. */
static int
item_under (const AveTimelineLayout *layout,
            double                   x)
{
  guint lo = 0, hi = layout->items->len;

  if (layout->items->len == 0 || x < 0.0 || x > layout->total_width)
    return -1;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const AveTimelineItem *item = item_at (layout, mid);

      if (x < item->x)
        hi = mid;
      else if (x >= item->x + item->width && mid + 1 < layout->items->len)
        lo = mid + 1;
      else
        return mid;
    }
  return MIN (lo, layout->items->len - 1);
}

gboolean
ave_timeline_layout_x_to_source (const AveTimelineLayout *layout,
                                 double                   x,
                                 double                  *source_out,
                                 guint                   *item_out)
{
  const AveTimelineItem *item;
  int i;

  g_return_val_if_fail (layout != NULL, FALSE);

  i = item_under (layout, x);
  if (i < 0)
    return FALSE;

  item = item_at (layout, i);
  if (source_out != NULL)
    *source_out = CLAMP (item->start + (x - item->x) / layout->pixels_per_second,
                         item->start, item->end);
  if (item_out != NULL)
    *item_out = i;
  return TRUE;
}

AveTimelineHit
ave_timeline_layout_hit (const AveTimelineLayout *layout,
                         double                   x,
                         double                   edge_tolerance,
                         guint                   *item_out)
{
  const AveTimelineItem *item;
  double tolerance;
  int i;

  g_return_val_if_fail (layout != NULL, AVE_TIMELINE_HIT_NONE);

  /* An edge just outside the content still grabs the last segment's end
   * (or the first one's start). */
  if (layout->items->len > 0 && x < 0.0 && x >= -edge_tolerance)
    x = 0.0;
  if (layout->items->len > 0 && x > layout->total_width && x <= layout->total_width + edge_tolerance)
    x = layout->total_width;

  i = item_under (layout, x);
  if (i < 0)
    return AVE_TIMELINE_HIT_NONE;

  item = item_at (layout, i);
  tolerance = MIN (edge_tolerance, item->width / 3.0);

  /* A pointer exactly on the boundary between two segments takes the
   * left one's end; a little to either side takes the edge on that side. */
  if (x - item->x <= tolerance)
    {
      gboolean left_end = i > 0 && x <= item->x;

      if (item_out != NULL)
        *item_out = left_end ? (guint) i - 1 : (guint) i;
      return left_end ? AVE_TIMELINE_HIT_END : AVE_TIMELINE_HIT_START;
    }
  if (item->x + item->width - x <= tolerance)
    {
      if (item_out != NULL)
        *item_out = i;
      return AVE_TIMELINE_HIT_END;
    }
  if (item_out != NULL)
    *item_out = i;
  return AVE_TIMELINE_HIT_BODY;
}

double
ave_timeline_layout_edge_time (const AveTimelineLayout *layout,
                               guint                    item_index,
                               AveTimelineHit           edge,
                               double                   x)
{
  const AveTimelineItem *item;

  g_return_val_if_fail (layout != NULL, 0.0);
  g_return_val_if_fail (item_index < layout->items->len, 0.0);

  item = item_at (layout, item_index);
  if (edge == AVE_TIMELINE_HIT_END || edge == AVE_TIMELINE_HIT_START)
    return item->start + (x - item->x) / layout->pixels_per_second;
  return item->start;
}

guint
ave_timeline_layout_drop_index (const AveTimelineLayout *layout,
                                guint                    from,
                                double                   x)
{
  guint slot = 0;

  g_return_val_if_fail (layout != NULL, from);

  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);

      if (i == from)
        continue;
      if (item->x + item->width / 2.0 < x)
        slot++;
    }
  return slot;
}

double
ave_timeline_layout_drop_x (const AveTimelineLayout *layout,
                            guint                    from,
                            guint                    slot)
{
  guint k = 0;
  double last_end = 0.0;

  g_return_val_if_fail (layout != NULL, 0.0);

  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);

      if (i == from)
        continue;
      if (k == slot)
        return item->x;
      last_end = item->x + item->width;
      k++;
    }
  return last_end;
}
