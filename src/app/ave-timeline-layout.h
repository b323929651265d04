/* ave-timeline-layout.h — the timeline's geometry, as pure functions.
 *
 * The timeline lays the plan's segments and title cards end to end in
 * plan order — the order the composer renders them (the title cards of
 * slot i, then segment i) — each as wide as its length at the zoom (pixels
 * per second).  Cut segments keep their place and width (drawn greyed, so
 * they can be restored); every row (filmstrip, waveform, shots, words, ...)
 * shows, inside a segment, that segment's source range.  Overlay cards
 * live in output time, drawn over the items that play then.
 * x is in content pixels from the start of the first segment; the widget
 * subtracts its scroll offset.  No GTK here, so it is unit tested without
 * a display.
 */
#pragma once

#include <glib.h>

#include "assets/ave-captions.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

/* The rows, top to bottom, in widget pixels: the widget, its layers
 * (ave-timeline-layer.h) and its item widgets share them. */
#define AVE_TIMELINE_RULER_H    18
#define AVE_TIMELINE_FILM_H     54
#define AVE_TIMELINE_WAVE_H     40
#define AVE_TIMELINE_MARKS_H    14
#define AVE_TIMELINE_OVERLAY_H  16
#define AVE_TIMELINE_SEGMENT_H  28
#define AVE_TIMELINE_CAPTION_H  20
#define AVE_TIMELINE_ROWS_H     (AVE_TIMELINE_RULER_H + AVE_TIMELINE_FILM_H + AVE_TIMELINE_WAVE_H + \
                                 AVE_TIMELINE_MARKS_H + AVE_TIMELINE_OVERLAY_H + \
                                 AVE_TIMELINE_SEGMENT_H + AVE_TIMELINE_CAPTION_H)
#define AVE_TIMELINE_FILM_Y     AVE_TIMELINE_RULER_H
#define AVE_TIMELINE_WAVE_Y     (AVE_TIMELINE_FILM_Y + AVE_TIMELINE_FILM_H)
#define AVE_TIMELINE_MARKS_Y    (AVE_TIMELINE_WAVE_Y + AVE_TIMELINE_WAVE_H)
#define AVE_TIMELINE_OVERLAY_Y  (AVE_TIMELINE_MARKS_Y + AVE_TIMELINE_MARKS_H)
#define AVE_TIMELINE_SEGMENT_Y  (AVE_TIMELINE_OVERLAY_Y + AVE_TIMELINE_OVERLAY_H)
#define AVE_TIMELINE_CAPTION_Y  (AVE_TIMELINE_SEGMENT_Y + AVE_TIMELINE_SEGMENT_H)
/* Margin left of content x 0 (and right of the end), so the first and
 * last edges can be grabbed: widget x = content x - scroll + PAD. */
#define AVE_TIMELINE_PAD        10.0

typedef enum {
  AVE_TIMELINE_ITEM_SEGMENT,
  AVE_TIMELINE_ITEM_TITLE_CARD,
} AveTimelineItemKind;

typedef struct
{
  AveTimelineItemKind kind;
  guint    index;          /* segment or card index in the plan */
  double   x, width;       /* content pixels */
  double   start, end;     /* source seconds (a card: 0 and its duration) */
  gboolean enabled;        /* cards: TRUE */
  double   output_start;   /* output seconds where it begins; -1 when cut */
  gboolean retake;         /* a cut earlier take (ave_timeline_segment_is_retake) */
} AveTimelineItem;

/* One cue on the caption lane: where the output plays it. */
typedef struct
{
  guint    cue;            /* index in the cue list */
  double   x, width;       /* content pixels */
} AveTimelineCaption;

typedef struct
{
  double  pixels_per_second;
  double  total_width;     /* content pixels */
  GArray *items;           /* AveTimelineItem, in plan order */
} AveTimelineLayout;

typedef enum {
  AVE_TIMELINE_HIT_NONE,
  AVE_TIMELINE_HIT_START,  /* near a segment's left edge: trim its start */
  AVE_TIMELINE_HIT_END,    /* near a segment's right edge: trim its end */
  AVE_TIMELINE_HIT_BODY,   /* inside: select, seek, drag to reorder */
} AveTimelineHit;

AveTimelineLayout *ave_timeline_layout_new         (AvePlan *plan,
                                                    double   pixels_per_second);
void               ave_timeline_layout_free        (AveTimelineLayout *layout);

/* The zoom that fits every segment into `width` pixels. */
double             ave_timeline_layout_fit_zoom    (AvePlan *plan,
                                                    double   width);

/* Where an output time is shown (FALSE past the end). */
gboolean           ave_timeline_layout_output_to_x (const AveTimelineLayout *layout,
                                                    double                   output_time,
                                                    double                  *x_out);
/* The output time at x: inside a played item, its output time there;
 * inside a cut segment, the output time where the next played item
 * starts (where something dropped there would appear). */
gboolean           ave_timeline_layout_x_to_output (const AveTimelineLayout *layout,
                                                    double                   x,
                                                    double                  *output_out);

/* Where a source time is shown: the first enabled segment containing it,
 * else the first cut one.  Returns FALSE when no segment contains it. */
gboolean           ave_timeline_layout_source_to_x (const AveTimelineLayout *layout,
                                                    double                   source_time,
                                                    double                  *x_out,
                                                    guint                   *item_out);
/* The source time shown at x (clamped into the segment under x).
 * Returns FALSE outside every segment (and on a title card). */
gboolean           ave_timeline_layout_x_to_source (const AveTimelineLayout *layout,
                                                    double                   x,
                                                    double                  *source_out,
                                                    guint                   *item_out);
/* What a pointer at x touches; edges win within `edge_tolerance` pixels
 * (a segment narrower than three tolerances gives its middle to the body
 * so it can still be dragged). */
AveTimelineHit     ave_timeline_layout_hit         (const AveTimelineLayout *layout,
                                                    double                   x,
                                                    double                   edge_tolerance,
                                                    guint                   *item_out);
/* The source time an edge dragged to x asks for: the item's start plus
 * the pointer's distance into it, so the edge follows the pointer. */
double             ave_timeline_layout_edge_time   (const AveTimelineLayout *layout,
                                                    guint                    item,
                                                    AveTimelineHit           edge,
                                                    double                   x);
/* The plan index a segment dragged from item `from` and dropped at x
 * moves to (ave_plan_move_segment's `to`): its position among the other
 * segments by their midpoints.  With `from` G_MAXUINT (or a card's item)
 * it is the slot a title card dropped at x goes to (insert_before). */
guint              ave_timeline_layout_drop_index  (const AveTimelineLayout *layout,
                                                    guint                    from,
                                                    double                   x);
/* x of the boundary before plan index `slot` in the layout without item
 * `from` (where the drop marker is drawn), in the current layout's x:
 * the left edge of the slot's first item (title cards included). */
double             ave_timeline_layout_drop_x      (const AveTimelineLayout *layout,
                                                    guint                    from,
                                                    guint                    slot);

/* The content x range an overlay card covers (its output span, at least
 * 4 px wide); FALSE for a title card or an overlay past the output. */
gboolean           ave_timeline_layout_overlay_span (const AveTimelineLayout *layout,
                                                     const AveCard           *card,
                                                     double                  *x0,
                                                     double                  *x1);
/* How layout item `item` joins the played item before it, as the
 * composer does it: a title card's own transition on both of its sides,
 * otherwise the segment's; a cut before the first played item. */
AveTransitionType  ave_timeline_layout_join_before (const AveTimelineLayout *layout,
                                                    AvePlan                 *plan,
                                                    guint                    item);

/* What a screen reader says for segment `index` of `plan`: "Segment 3
 * of 12, kept, 0:12.4 to 0:20.0, 7.6 s, crossfade in, local director: long
 * pause removed" (source times; "cut" or "cut, earlier take" for the
 * others).  Free with g_free. */
char              *ave_timeline_describe_segment  (AvePlan *plan,
                                                   guint    index);
/* Likewise for card `index`: "Card 1 of 2, title card Intro, 3.0 s,
 * before segment 1" or "Card 2 of 2, overlay Jane, 1.0 s from 0:01.5 of
 * the output" ("picture card", "picture overlay" without text). */
char              *ave_timeline_describe_card     (AvePlan *plan,
                                                   guint    index);

/* Whether a segment is an earlier take the director cut: switched off,
 * with a reason that starts "retake of" and names the kept take
 * (docs/plan-schema.md, the local director's rule 3). */
gboolean           ave_timeline_segment_is_retake  (const AveSegment *segment);

/* The caption lane: each cue of `cues` (from ave_captions_build on the
 * words ave_caption_words_map gives for this layout's plan) at its
 * final.srt times (ave_captions_cue_times_ms) mapped to x through the
 * output times of the played items, so a block sits over the words it
 * shows.  AveTimelineCaption, in cue order; cues outside the output are
 * left out. */
GArray            *ave_timeline_layout_captions    (const AveTimelineLayout *layout,
                                                    GArray                  *cues);

/* Playback through the plan (the preview's rule, kept here with the rest
 * of the timeline's arithmetic so it is tested without a display).
 *
 * Decides what plays at `position` (source seconds) after segment
 * `current` (-1: none yet, e.g. after a seek).  Sets *playing_out to the
 * enabled segment that plays now and returns FALSE when playback goes on
 * where it is; returns TRUE with *seek_out when it must jump: at the end
 * of a segment (within `tolerance`, half a frame) to the start of the
 * next enabled one in plan order, or from a cut range to the next enabled
 * segment that starts after it.  When nothing is left to play it returns
 * TRUE with *playing_out = -1 (stop). */
gboolean           ave_playback_follow_plan        (AvePlan *plan,
                                                    int      current,
                                                    double   position,
                                                    double   tolerance,
                                                    int     *playing_out,
                                                    double  *seek_out);
/* Where a frame step lands with the plan applied: `target` itself when
 * an enabled segment holds it, else the nearest enabled edge in the step's
 * direction (forward: the next segment's start; back: the previous one's
 * end less `frame`).  Returns `target` when the plan keeps nothing. */
double             ave_playback_step_target        (AvePlan *plan,
                                                    double   target,
                                                    int      direction,
                                                    double   frame);

/* The output time the preview shows at source `position` while plan
 * segment `current` plays (-1: not known, e.g. after a seek: the first
 * enabled segment holding it, as ave_plan_source_to_output); -1 when the
 * plan plays nothing there. */
double             ave_playback_output_time        (AvePlan *plan,
                                                    int      current,
                                                    double   position);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveTimelineLayout, ave_timeline_layout_free)

G_END_DECLS
