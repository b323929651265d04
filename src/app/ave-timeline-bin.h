/* ave-timeline-bin.h — the bin of ready-made cards next to the timeline:
 * suggested title cards (ave_cards_default_bin) and a lower third.  Drag
 * one onto the timeline, or click it to add it at the playhead. */
#pragma once

#include <gtk/gtk.h>

#include "ave-timeline.h"

G_BEGIN_DECLS

#define AVE_TYPE_TIMELINE_BIN (ave_timeline_bin_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineBin, ave_timeline_bin, AVE, TIMELINE_BIN, GtkWidget)

/* Follows `timeline`'s model: the suggestions are made again whenever it
 * shows another plan. */
GtkWidget *ave_timeline_bin_new       (AveTimeline *timeline);
/* The cards offered (AveCard), in the order shown. */
guint      ave_timeline_bin_get_n_cards (AveTimelineBin *self);
const AveCard *ave_timeline_bin_get_card (AveTimelineBin *self,
                                          guint           index);

G_END_DECLS
