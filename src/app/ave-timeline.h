/* ave-timeline.h — the plan on a timeline: filmstrip, waveform, shots,
 * silences, filler words, highlights and the plan's kept and cut segments
 * in output order, with drag-and-drop editing through an AvePlanHistory.
 *
 * Layout: see ave-timeline-layout.h.  Mouse: click seeks; drag a segment
 * edge to trim (snapping to shots, words and segment edges; Shift turns
 * snapping off); drag a segment to reorder; right-click for the segment
 * menu.  Keys: Delete cuts the selected segment, R restores it, S splits at
 * the playhead, + / - / 0 zoom in, out, to fit.  Ctrl+scroll zooms around
 * the pointer; scroll moves along the timeline.
 *
 * Cards: title cards sit between segments where they play, overlays in
 * their own row over the output time they cover; drag either to move it,
 * Delete removes the selected one.  Cards dragged in (a GValue holding an
 * AveCard, as AveTimelineBin offers) are added where they are dropped.
 *
 * Actions (group "timeline"): delete, cut, restore, toggle-cut, remove,
 * remove-card, split, transition (string: "cut", "crossfade", "fade"),
 * zoom-in, zoom-out, zoom-fit.
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis/ave-analysis.h"
#include "director/ave-plan-history.h"

G_BEGIN_DECLS

#define AVE_TYPE_TIMELINE (ave_timeline_get_type ())
G_DECLARE_FINAL_TYPE (AveTimeline, ave_timeline, AVE, TIMELINE, GtkWidget)

GtkWidget      *ave_timeline_new                 (void);
/* Shows `history`'s plan and `analysis` (both nullable; references are
 * kept).  Thumbnails and the waveform are read from the plan's source. */
void            ave_timeline_set_model           (AveTimeline    *self,
                                                  AvePlanHistory *history,
                                                  AveAnalysis    *analysis);
AvePlanHistory *ave_timeline_get_history         (AveTimeline *self);

/* The playhead, in SOURCE seconds (what the preview plays). */
double          ave_timeline_get_playhead        (AveTimeline *self);
void            ave_timeline_set_playhead        (AveTimeline *self,
                                                  double       source_time);

/* Pixels per source second; clamped to what the timeline can show. */
double          ave_timeline_get_zoom            (AveTimeline *self);
void            ave_timeline_set_zoom            (AveTimeline *self,
                                                  double       pixels_per_second);
/* Zooms so that the whole plan fits the widget's width. */
void            ave_timeline_zoom_to_fit         (AveTimeline *self);

/* The selected segment's plan index, -1 for none. */
int             ave_timeline_get_selected_segment (AveTimeline *self);
void            ave_timeline_set_selected_segment (AveTimeline *self,
                                                   int          index);

/* The selected card's plan index, -1 for none (a segment or a card is
 * selected, never both). */
int             ave_timeline_get_selected_card   (AveTimeline *self);
AveAnalysis    *ave_timeline_get_analysis        (AveTimeline *self);
/* Adds a copy of `card` at the playhead, as if dropped there: a title card
 * at the nearest segment boundary, an overlay at the output time there.
 * One undo step; FALSE when the plan refuses it. */
gboolean        ave_timeline_insert_card         (AveTimeline   *self,
                                                  const AveCard *card);

/* Who decided a segment, in words, for its tooltip beside the reason. */
const char     *ave_timeline_origin_label        (AveSegmentOrigin origin);

G_END_DECLS
