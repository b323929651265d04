#define G_LOG_DOMAIN "ave-timeline-layout"

#include "config.h"

#include <math.h>

#include <string.h>

#include "ave-timeline-layout.h"

static inline const AveTimelineItem *
item_at (const AveTimelineLayout *layout,
         guint                    i)
{
  return &g_array_index (layout->items, AveTimelineItem, i);
}

static void
append_item (AveTimelineLayout   *layout,
             AveTimelineItemKind  kind,
             guint                index,
             double               start,
             double               end,
             gboolean             enabled,
             double              *x)
{
  AveTimelineItem item = {
    .kind = kind,
    .index = index,
    .x = *x,
    .width = (end - start) * layout->pixels_per_second,
    .start = start,
    .end = end,
    .enabled = enabled,
    .output_start = -1.0,
  };

  g_array_append_val (layout->items, item);
  *x += item.width;
}

AveTimelineLayout *
ave_timeline_layout_new (AvePlan *plan,
                         double   pixels_per_second)
{
  AveTimelineLayout *layout = g_new0 (AveTimelineLayout, 1);
  g_autoptr(GArray) output = NULL;
  guint n_segments, n_cards;
  double x = 0.0;

  layout->items = g_array_new (FALSE, TRUE, sizeof (AveTimelineItem));
  layout->pixels_per_second = isfinite (pixels_per_second) && pixels_per_second > 0.0
                              ? pixels_per_second : 1.0;
  g_return_val_if_fail (AVE_IS_PLAN (plan), layout);

  /* The same order as ave_plan_list_output_items (what renders), with the
   * cut segments left in their places. */
  n_segments = ave_plan_get_n_segments (plan);
  n_cards = ave_plan_get_n_cards (plan);
  for (guint slot = 0; slot <= n_segments; slot++)
    {
      for (guint c = 0; c < n_cards; c++)
        {
          const AveCard *card = ave_plan_get_card (plan, c);

          if (card->kind == AVE_CARD_TITLE && card->insert_before == slot)
            append_item (layout, AVE_TIMELINE_ITEM_TITLE_CARD, c, 0.0, card->duration, TRUE, &x);
        }
      if (slot < n_segments)
        {
          const AveSegment *segment = ave_plan_get_segment (plan, slot);

          append_item (layout, AVE_TIMELINE_ITEM_SEGMENT, slot, segment->start, segment->end,
                       segment->enabled, &x);
          g_array_index (layout->items, AveTimelineItem, layout->items->len - 1).retake =
            ave_timeline_segment_is_retake (segment);
        }
    }
  layout->total_width = x;

  /* Output times from the plan itself, so the ruler reads what renders. */
  output = ave_plan_list_output_items (plan);
  for (guint o = 0; o < output->len; o++)
    {
      const AveOutputItem *played = &g_array_index (output, AveOutputItem, o);
      AveTimelineItemKind kind = played->segment != NULL ? AVE_TIMELINE_ITEM_SEGMENT
                                                         : AVE_TIMELINE_ITEM_TITLE_CARD;

      for (guint i = 0; i < layout->items->len; i++)
        {
          AveTimelineItem *item = &g_array_index (layout->items, AveTimelineItem, i);

          if (item->kind == kind && item->index == played->index)
            {
              item->output_start = played->output_start;
              break;
            }
        }
    }
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
  for (guint i = 0; i < ave_plan_get_n_cards (plan); i++)
    {
      const AveCard *card = ave_plan_get_card (plan, i);

      if (card->kind == AVE_CARD_TITLE)
        total += card->duration;
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

      if (item->kind != AVE_TIMELINE_ITEM_SEGMENT ||
          source_time < item->start || source_time > item->end)
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
  if (i < 0 || item_at (layout, i)->kind != AVE_TIMELINE_ITEM_SEGMENT)
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

  g_return_val_if_fail (layout != NULL, 0);

  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);

      if (i == from || item->kind != AVE_TIMELINE_ITEM_SEGMENT)
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
  guint passed = 0;
  double last_end = 0.0;

  g_return_val_if_fail (layout != NULL, 0.0);

  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);

      if (i == from)
        continue;
      if (passed == slot)
        return item->x;
      last_end = item->x + item->width;
      if (item->kind == AVE_TIMELINE_ITEM_SEGMENT)
        passed++;
    }
  return last_end;
}

gboolean
ave_timeline_layout_output_to_x (const AveTimelineLayout *layout,
                                 double                   output_time,
                                 double                  *x_out)
{
  const AveTimelineItem *found = NULL;

  g_return_val_if_fail (layout != NULL, FALSE);

  /* The last item starting at or before the time: where crossfades
   * overlap, the later item is the one the time belongs to. */
  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);
      double duration = item->end - item->start;

      if (item->output_start < 0.0 || item->output_start > output_time + 1e-9)
        continue;
      if (output_time <= item->output_start + duration + 1e-9)
        found = item;
    }
  if (found == NULL)
    return FALSE;
  if (x_out != NULL)
    *x_out = found->x + (output_time - found->output_start) * layout->pixels_per_second;
  return TRUE;
}

/* "m:ss.s", as the segment labels show source times. */
static char *
spoken_time (double seconds)
{
  int minutes = (int) (seconds / 60.0);

  return g_strdup_printf ("%d:%04.1f", minutes, seconds - minutes * 60.0);
}

static const char *
origin_words (AveSegmentOrigin origin)
{
  switch (origin)
    {
    case AVE_SEGMENT_ORIGIN_LLM: return "language model";
    case AVE_SEGMENT_ORIGIN_USER: return "edited by hand";
    case AVE_SEGMENT_ORIGIN_IMPORT: return "imported";
    case AVE_SEGMENT_ORIGIN_LOCAL:
    default: return "local director";
    }
}

char *
ave_timeline_describe_segment (AvePlan *plan,
                               guint    index)
{
  const AveSegment *segment;
  g_autofree char *start = NULL, *end = NULL;
  GString *text;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail (index < ave_plan_get_n_segments (plan), NULL);

  segment = ave_plan_get_segment (plan, index);
  start = spoken_time (segment->start);
  end = spoken_time (segment->end);
  text = g_string_new (NULL);
  g_string_append_printf (text, "Segment %u of %u, %s, %s to %s, %.1f s", index + 1,
                          ave_plan_get_n_segments (plan),
                          segment->enabled ? "kept"
                          : ave_timeline_segment_is_retake (segment) ? "cut, earlier take" : "cut",
                          start, end, segment->end - segment->start);
  if (segment->enabled && index > 0 && segment->transition == AVE_TRANSITION_CROSSFADE)
    g_string_append (text, ", crossfade in");
  else if (segment->enabled && index > 0 && segment->transition == AVE_TRANSITION_FADE)
    g_string_append (text, ", fade in through black");
  g_string_append_printf (text, ", %s", origin_words (segment->origin));
  if (segment->reason != NULL && *segment->reason != '\0')
    g_string_append_printf (text, ": %s", segment->reason);
  return g_string_free (text, FALSE);
}

char *
ave_timeline_describe_card (AvePlan *plan,
                            guint    index)
{
  const AveCard *card;
  g_autofree char *what = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail (index < ave_plan_get_n_cards (plan), NULL);

  card = ave_plan_get_card (plan, index);
  /* A card without text shows only its image. */
  if (card->title != NULL && *card->title != '\0')
    what = g_strdup_printf ("%s %s", card->kind == AVE_CARD_OVERLAY ? "overlay" : "title card", card->title);
  else
    what = g_strdup (card->kind == AVE_CARD_OVERLAY ? "picture overlay" : "picture card");

  if (card->kind == AVE_CARD_OVERLAY)
    {
      g_autofree char *at = spoken_time (card->output_time);

      return g_strdup_printf ("Card %u of %u, %s, %.1f s from %s of the output", index + 1,
                              ave_plan_get_n_cards (plan), what, card->duration, at);
    }
  if (card->insert_before >= ave_plan_get_n_segments (plan))
    return g_strdup_printf ("Card %u of %u, %s, %.1f s, at the end", index + 1,
                            ave_plan_get_n_cards (plan), what, card->duration);
  return g_strdup_printf ("Card %u of %u, %s, %.1f s, before segment %u", index + 1,
                          ave_plan_get_n_cards (plan), what, card->duration, card->insert_before + 1);
}

gboolean
ave_timeline_layout_overlay_span (const AveTimelineLayout *layout,
                                  const AveCard           *card,
                                  double                  *x0,
                                  double                  *x1)
{
  g_return_val_if_fail (layout != NULL && card != NULL, FALSE);

  if (card->kind != AVE_CARD_OVERLAY ||
      !ave_timeline_layout_output_to_x (layout, card->output_time, x0))
    return FALSE;
  if (!ave_timeline_layout_output_to_x (layout, card->output_time + card->duration, x1))
    *x1 = *x0 + card->duration * layout->pixels_per_second;
  *x1 = MAX (*x1, *x0 + 4.0);
  return TRUE;
}

AveTransitionType
ave_timeline_layout_join_before (const AveTimelineLayout *layout,
                                 AvePlan                 *plan,
                                 guint                    item)
{
  const AveTimelineItem *it, *previous = NULL;

  g_return_val_if_fail (layout != NULL && item < layout->items->len, AVE_TRANSITION_CUT);

  it = item_at (layout, item);
  for (guint i = item; i > 0; i--)
    if (item_at (layout, i - 1)->output_start >= 0.0)
      {
        previous = item_at (layout, i - 1);
        break;
      }
  if (previous == NULL)
    return AVE_TRANSITION_CUT;
  if (it->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    return ave_plan_get_card (plan, it->index)->transition;
  if (previous->kind == AVE_TIMELINE_ITEM_TITLE_CARD)
    return ave_plan_get_card (plan, previous->index)->transition;
  return ave_plan_get_segment (plan, it->index)->transition;
}

gboolean
ave_timeline_layout_x_to_output (const AveTimelineLayout *layout,
                                 double                   x,
                                 double                  *output_out)
{
  const AveTimelineItem *item;
  int i;

  g_return_val_if_fail (layout != NULL, FALSE);

  i = item_under (layout, x);
  if (i < 0)
    return FALSE;

  item = item_at (layout, i);
  if (item->output_start >= 0.0)
    {
      if (output_out != NULL)
        *output_out = item->output_start
                      + CLAMP ((x - item->x) / layout->pixels_per_second, 0.0, item->end - item->start);
      return TRUE;
    }
  for (guint j = i + 1; j < layout->items->len; j++)
    if (item_at (layout, j)->output_start >= 0.0)
      {
        if (output_out != NULL)
          *output_out = item_at (layout, j)->output_start;
        return TRUE;
      }
  /* A cut segment at the very end: where the output ends. */
  for (int j = i - 1; j >= 0; j--)
    if (item_at (layout, j)->output_start >= 0.0)
      {
        if (output_out != NULL)
          *output_out = item_at (layout, j)->output_start
                        + item_at (layout, j)->end - item_at (layout, j)->start;
        return TRUE;
      }
  if (output_out != NULL)
    *output_out = 0.0;
  return TRUE;
}
/* ----------------------------------------------------------- playback */

static int
enabled_segment_containing (AvePlan *plan,
                            double   position,
                            double   tolerance)
{
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);

      if (segment->enabled && position >= segment->start - tolerance &&
          position < segment->end - tolerance)
        return i;
    }
  return -1;
}

gboolean
ave_playback_follow_plan (AvePlan *plan,
                          int      current,
                          double   position,
                          double   tolerance,
                          int     *playing_out,
                          double  *seek_out)
{
  guint n;

  g_return_val_if_fail (AVE_IS_PLAN (plan), FALSE);
  g_return_val_if_fail (playing_out != NULL && seek_out != NULL, FALSE);

  n = ave_plan_get_n_segments (plan);
  if (current >= 0 && (guint) current < n)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, current);

      if (segment->enabled && position >= segment->start - tolerance &&
          position < segment->end - tolerance)
        {
          *playing_out = current;
          return FALSE;
        }
      /* Played to its end (not moved elsewhere by a seek): the next
       * enabled segment in plan order, wherever it is in the source. */
      if (segment->enabled && position >= segment->end - tolerance &&
          position < segment->end + 1.0)
        {
          for (guint i = current + 1; i < n; i++)
            {
              const AveSegment *next = ave_plan_get_segment (plan, i);

              if (next->enabled)
                {
                  *playing_out = i;
                  *seek_out = next->start;
                  return TRUE;
                }
            }
          *playing_out = -1;
          *seek_out = segment->end;
          return TRUE;
        }
    }

  *playing_out = enabled_segment_containing (plan, position, tolerance);
  if (*playing_out >= 0)
    return FALSE;

  /* In a cut range: go on with the first kept material after it. */
  {
    int best = -1;

    for (guint i = 0; i < n; i++)
      {
        const AveSegment *segment = ave_plan_get_segment (plan, i);

        if (segment->enabled && segment->start >= position - tolerance &&
            (best < 0 || segment->start < ave_plan_get_segment (plan, best)->start))
          best = i;
      }
    *playing_out = best;
    *seek_out = best >= 0 ? ave_plan_get_segment (plan, best)->start : position;
    return TRUE;
  }
}

double
ave_playback_step_target (AvePlan *plan,
                          double   target,
                          int      direction,
                          double   frame)
{
  double best = target;
  gboolean found = FALSE;

  g_return_val_if_fail (AVE_IS_PLAN (plan), target);

  if (enabled_segment_containing (plan, target, 0.0) >= 0)
    return target;

  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);
      double edge;

      if (!segment->enabled)
        continue;
      edge = direction >= 0 ? segment->start : MAX (segment->start, segment->end - frame);
      if ((direction >= 0 && edge >= target && (!found || edge < best)) ||
          (direction < 0 && edge <= target && (!found || edge > best)))
        {
          best = edge;
          found = TRUE;
        }
    }
  return best;
}

gboolean
ave_timeline_segment_is_retake (const AveSegment *segment)
{
  g_return_val_if_fail (segment != NULL, FALSE);

  /* The director's wording (ave-local-director.c, disable_retakes); a
   * segment switched back on is kept, whatever its reason says. */
  return !segment->enabled && segment->reason != NULL &&
         g_ascii_strncasecmp (segment->reason, "retake of", strlen ("retake of")) == 0;
}

GArray *
ave_timeline_layout_captions (const AveTimelineLayout *layout,
                              GArray                  *cues)
{
  GArray *blocks = g_array_new (FALSE, TRUE, sizeof (AveTimelineCaption));
  double output_end = 0.0, end_x = 0.0;

  g_return_val_if_fail (layout != NULL, blocks);

  if (cues == NULL)
    return blocks;

  /* Where the output ends: a cue stays up for reading time and may run
   * past the last word of the edit. */
  for (guint i = 0; i < layout->items->len; i++)
    {
      const AveTimelineItem *item = item_at (layout, i);

      if (item->output_start >= 0.0 && item->output_start + (item->end - item->start) >= output_end)
        {
          output_end = item->output_start + (item->end - item->start);
          end_x = item->x + item->width;
        }
    }

  for (guint i = 0; i < cues->len; i++)
    {
      AveTimelineCaption block = { .cue = i };
      gint64 start_ms, end_ms;
      double x0, x1;

      ave_captions_cue_times_ms (cues, i, &start_ms, &end_ms);
      if (!ave_timeline_layout_output_to_x (layout, start_ms / 1000.0, &x0))
        continue;
      if (end_ms / 1000.0 >= output_end || !ave_timeline_layout_output_to_x (layout, end_ms / 1000.0, &x1))
        x1 = end_x;
      block.x = x0;
      block.width = MAX (x1 - x0, 1.0);
      g_array_append_val (blocks, block);
    }
  return blocks;
}

double
ave_playback_output_time (AvePlan *plan,
                          int      current,
                          double   position)
{
  g_autoptr(GArray) items = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (plan), -1.0);

  if (current < 0 || (guint) current >= ave_plan_get_n_segments (plan))
    return ave_plan_source_to_output (plan, position);

  /* The segment playing decides: a moment used twice (a segment
   * duplicated and moved) is where playback is now, not where it first
   * appears. */
  items = ave_plan_list_output_items (plan);
  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, i);

      if (item->segment != NULL && item->index == (guint) current &&
          position >= item->segment->start && position <= item->segment->end)
        return item->output_start + (position - item->segment->start);
    }
  return ave_plan_source_to_output (plan, position);
}
