/* ave-cards-private.h — what ave-cards.c shares with the captions and its
 * tests: the text fitting and the conversion to AveCompute's RGBA. */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

G_BEGIN_DECLS

/* A layout of `text` at most max_width x max_height pixels: the font
 * starts at size_px and shrinks (to min_px) until the wrapped text fits,
 * and what still does not fit is ellipsized.  *chars_laid_out (nullable)
 * receives how many characters were laid out over all the sizes tried:
 * the work done, which must not grow with text that cannot be seen. */
PangoLayout *_ave_card_fit_text (cairo_t        *cr,
                                 const char     *text,
                                 gboolean        bold,
                                 double          size_px,
                                 double          min_px,
                                 int             max_width,
                                 int             max_height,
                                 PangoAlignment  alignment,
                                 gsize          *chars_laid_out);

/* cairo's premultiplied ARGB surface as straight RGBA bytes (newly
 * allocated); *stride_out receives its row length in bytes. */
guint8      *_ave_surface_to_rgba (cairo_surface_t *surface,
                                   int             *stride_out);

G_END_DECLS
