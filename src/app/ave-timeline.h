/* ave-timeline.h — the plan on a timeline: filmstrip, waveform, shots,
 * silences, filler words, highlights and the plan's kept and cut segments
 * in output order, with drag-and-drop editing through an AvePlanHistory.
 *
 * Layout: see ave-timeline-layout.h.  Drawing: layers, one class each
 * (ave-timeline-layer.h); this widget keeps the state and the input.
 *
 * Segments and cards are widgets (AveTimelinePiece, ave-timeline-piece.h):
 * focusable list items named for a screen reader ("Segment 3 of 12, kept,
 * 0:12.4 to 0:20.0, 7.6 s, local director: long pause removed"), with a
 * focus ring.  The focused piece is the selection.
 *
 * Mouse: click seeks; drag a segment edge to trim (snapping to shots,
 * words and segment edges; Shift turns snapping off); drag a segment to
 * reorder; right-click for the segment menu.  Ctrl+scroll zooms around
 * the pointer; scroll moves along the timeline.
 *
 * Keys (every edit works without a pointer; each is one undo step):
 *   Tab / Shift+Tab      into the timeline (the selection, else the first
 *                        segment), then from piece to piece, then out
 *   Left / Right         previous / next segment or card (in time order)
 *   Home / End           first / last segment or card
 *   Delete               cut the selected segment (kept greyed, so it can
 *                        be restored), or remove the selected card
 *   R                    restore the selected segment
 *   [ / ]                move the segment's start one frame earlier / later
 *   { / } (Shift+[ / ])  move the segment's end one frame earlier / later
 *   Ctrl+Left / Right    move the segment one place earlier / later in the
 *                        plan, a title card one slot, an overlay one second
 *   S                    split at the playhead
 *   Menu / Shift+F10     the segment menu (transitions among others) at
 *                        the selected piece
 *   Ctrl+Z, Shift+Ctrl+Z / Ctrl+Y   undo, redo
 *   + / - / 0            zoom in, out, to fit
 * A frame is the source's (the analysis' frame rate; 25 fps without one).
 *
 * Cards: title cards sit between segments where they play, overlays in
 * their own row over the output time they cover; drag either to move it,
 * Delete removes the selected one.  Cards dragged in (a GValue holding an
 * AveCard, as AveTimelineBin offers) are added where they are dropped.
 *
 * Actions (group "timeline"): delete, cut, restore, toggle-cut, remove,
 * remove-card, split, transition (string: "cut", "crossfade", "fade"),
 * select-next, select-previous, select-first, select-last, trim-start and
 * trim-end (int: frames, negative = earlier), move-by (int: places),
 * menu, undo, redo, zoom-in, zoom-out, zoom-fit.  Focus on the timeline
 * itself (no piece) is shown by an outline around its rows.
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
