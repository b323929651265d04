/* ave-cards-private.h — the text fitting of ave-cards.c, for its tests. */
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

G_END_DECLS
