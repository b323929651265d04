/* ave-cards.h — title cards, lower thirds and B-roll stills, drawn with
 * cairo and pango; the ready-made cards the timeline's bin offers.
 *
 * The cards themselves (AveCard) belong to the plan: director/ave-plan.h.
 * Rendering is pure (no state, any thread); docs/composition.md shows how
 * the composer puts the pictures into the output.
 */
#pragma once

#include <glib.h>

#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

/* Draws `card` as straight-alpha RGBA (bytes R, G, B, A per pixel; free
 * *rgba_out with g_free) of width x height:
 *  - a TITLE card fills the whole frame: a gradient in its style with the
 *    title large and the subtitle smaller, centred; with an image, the image
 *    covers the frame (cropped, not stretched) and the text sits on a dark
 *    band at the bottom.  Fully opaque.
 *  - an OVERLAY is drawn at the size of its box (ave_card_get_overlay_box):
 *    text only, a lower third on a semi-transparent dark box; with an image,
 *    the image fits inside the box (letterboxed, transparent around it) with
 *    the text as a caption across its bottom.  The card's opacity is not
 *    applied here: the composer applies it (and any fade) when it composites.
 * An image that cannot be read gives its AVE_MEDIA_ERROR, naming the file. */
gboolean   ave_card_render_rgba     (const AveCard  *card,
                                     int             width,
                                     int             height,
                                     guint8        **rgba_out,
                                     int            *stride_out,
                                     GError        **error);

/* An OVERLAY's box in pixels for a frame_width x frame_height frame, on
 * even coordinates and sizes so that the 4:2:0 chroma samples it touches
 * lie inside it; at least 2x2 and inside the frame. */
void       ave_card_get_overlay_box (const AveCard  *card,
                                     int             frame_width,
                                     int             frame_height,
                                     int            *x,
                                     int            *y,
                                     int            *width,
                                     int            *height);

/* Suggested cards for the timeline's bin (AveCard*, freed with the array),
 * deterministic for the same analysis and plan: an intro title from the
 * metadata's first title suggestion (the file name without an analysis),
 * a chapter card before the segment nearest each chapter's start, and an
 * outro "Thanks for watching" after the last segment.  None is added to the
 * plan. `analysis` may be NULL. */
GPtrArray *ave_cards_default_bin    (const AveAnalysis *analysis,
                                     AvePlan           *plan);

G_END_DECLS
