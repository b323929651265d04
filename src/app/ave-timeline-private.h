/* ave-timeline-private.h — hooks for the widget test: the same code the
 * pointer runs, driven without a pointer. */
#pragma once

#include "ave-timeline.h"
#include "ave-timeline-layout.h"
#include "ave-timeline-piece.h"

G_BEGIN_DECLS

typedef enum {
  AVE_TIMELINE_ROW_FILM,
  AVE_TIMELINE_ROW_OVERLAY,
  AVE_TIMELINE_ROW_SEGMENT,
} AveTimelineRow;

/* A primary-button drag from (x0, y0) to (x1, y0) in widget coordinates;
 * `snap` FALSE is the drag with Shift held.  A drag shorter than the
 * threshold is a click. */
void                     _ave_timeline_drag                (AveTimeline *self,
                                                            double       x0,
                                                            double       y0,
                                                            double       x1,
                                                            gboolean     snap);
/* The middle of a row, in widget y. */
double                   _ave_timeline_row_y               (AveTimelineRow row);
double                   _ave_timeline_content_to_widget_x (AveTimeline *self,
                                                            double       content_x);
const AveTimelineLayout *_ave_timeline_get_layout          (AveTimeline *self);
/* The cues on the caption lane (AveCue; NULL without words). */
GArray                  *_ave_timeline_get_captions        (AveTimeline *self);

/* The widgets the segments and cards are (AveTimelinePiece), in the order
 * the keys walk them. */
guint                    _ave_timeline_get_n_pieces        (AveTimeline *self);
GtkWidget               *_ave_timeline_get_piece           (AveTimeline *self,
                                                            guint        i);
/* The piece standing for segment or card `index`, NULL when none. */
GtkWidget               *_ave_timeline_find_piece          (AveTimeline          *self,
                                                            AveTimelinePieceKind  kind,
                                                            guint                 index);

G_END_DECLS
