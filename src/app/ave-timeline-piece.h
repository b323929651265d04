/* ave-timeline-piece.h — a segment or a card on the timeline as a widget.
 *
 * GTK 4.8 gives accessible roles and keyboard focus to widgets only, so
 * each segment and card of the plan has one of these, placed over its
 * chip: focusable, a list item whose label is what a screen reader says
 * (ave_timeline_describe_segment / _card), with a focus ring drawn in the
 * style's own colours.  It draws nothing else and takes no pointer input:
 * the timeline's layers draw the plan, and the timeline handles the
 * pointer and the keys (ave-timeline.h). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  AVE_TIMELINE_PIECE_SEGMENT,
  AVE_TIMELINE_PIECE_TITLE_CARD,
  AVE_TIMELINE_PIECE_OVERLAY,
} AveTimelinePieceKind;

#define AVE_TYPE_TIMELINE_PIECE (ave_timeline_piece_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelinePiece, ave_timeline_piece, AVE, TIMELINE_PIECE, GtkWidget)

GtkWidget            *ave_timeline_piece_new       (void);
/* What the piece stands for: a segment or a card (plan index), its
 * accessible label and whether it is the timeline's selection. */
void                  ave_timeline_piece_set       (AveTimelinePiece     *self,
                                                    AveTimelinePieceKind  kind,
                                                    guint                 index,
                                                    const char           *label,
                                                    gboolean              selected);
AveTimelinePieceKind  ave_timeline_piece_get_kind  (AveTimelinePiece *self);
guint                 ave_timeline_piece_get_index (AveTimelinePiece *self);
const char           *ave_timeline_piece_get_label (AveTimelinePiece *self);

G_END_DECLS
