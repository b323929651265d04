#define G_LOG_DOMAIN "ave-cards"

#include "config.h"

#include <math.h>
#include <string.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "core/ave-error.h"
#include "core/ave-settings.h"
#include "compute/ave-compute.h"
#include "director/ave-keywords.h"
#include "media/ave-media.h"
#include "ave-assets.h"
#include "ave-cards.h"
#include "ave-cards-private.h"

/* Cantarell is GNOME's interface font; the others are what a bare system
 * is sure to have. */
#define CARD_FONT "Cantarell, DejaVu Sans, Sans"

/* Suggested cards (ave_cards_default_bin). */
#define INTRO_DURATION    3.0
#define CHAPTER_DURATION  2.0
#define OUTRO_DURATION    3.0
#define BIN_CROSSFADE     0.4

typedef struct
{
  double r, g, b;
} Rgb;

typedef struct
{
  Rgb    top, bottom;      /* the TITLE card's vertical gradient */
  Rgb    text, subtext;
  Rgb    accent;
  Rgb    box;              /* the lower third's box */
  double box_alpha;
} Palette;

static const Palette palettes[] = {
  [AVE_CARD_STYLE_DARK] = {
    .top = { 0.13, 0.15, 0.20 }, .bottom = { 0.03, 0.04, 0.06 },
    .text = { 0.97, 0.97, 0.97 }, .subtext = { 0.74, 0.77, 0.84 },
    .accent = { 0.32, 0.60, 1.00 },
    .box = { 0.05, 0.06, 0.09 }, .box_alpha = 0.78,
  },
  [AVE_CARD_STYLE_LIGHT] = {
    .top = { 0.98, 0.98, 0.97 }, .bottom = { 0.83, 0.85, 0.88 },
    .text = { 0.10, 0.11, 0.13 }, .subtext = { 0.30, 0.32, 0.37 },
    .accent = { 0.15, 0.40, 0.85 },
    .box = { 0.97, 0.97, 0.97 }, .box_alpha = 0.86,
  },
  [AVE_CARD_STYLE_ACCENT] = {
    .top = { 0.10, 0.24, 0.52 }, .bottom = { 0.03, 0.08, 0.22 },
    .text = { 1.00, 1.00, 1.00 }, .subtext = { 0.80, 0.86, 1.00 },
    .accent = { 1.00, 0.76, 0.26 },
    .box = { 0.07, 0.18, 0.45 }, .box_alpha = 0.85,
  },
};

static const Palette *
card_palette (const AveCard *card)
{
  guint style = (guint) card->style;

  return &palettes[style < G_N_ELEMENTS (palettes) ? style : AVE_CARD_STYLE_DARK];
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_t, cairo_destroy)

/* ------------------------------------------------------------ images */


/* The size to decode an iw x ih image at so that it still covers (or fits)
 * want_w x want_h without being scaled up later: never more pixels than
 * the card needs, however large the photo. */
static void
decode_size (int       iw,
             int       ih,
             int       want_w,
             int       want_h,
             gboolean  cover,
             int      *w,
             int      *h)
{
  double sx = (double) want_w / iw, sy = (double) want_h / ih;
  double s = cover ? MAX (sx, sy) : MIN (sx, sy);

  if (s >= 1.0)
    {
      *w = iw;
      *h = ih;
      return;
    }
  /* even sizes for the 4:2:0 frames the decoder hands out */
  *w = MAX (2, ((int) ceil (iw * s) + 1) & ~1);
  *h = MAX (2, ((int) ceil (ih * s) + 1) & ~1);
}

/* Any still FFmpeg reads (JPEG, WebP, BMP, a video's first frame...),
 * upright, as an opaque cairo surface. */
static cairo_surface_t *
load_image_ffmpeg (const char  *path,
                   int          want_w,
                   int          want_h,
                   gboolean     cover,
                   GError     **error)
{
  g_autoptr(AveMediaInfo) info = NULL;
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(AvePicture) frame = NULL;
  g_autoptr(AveCompute) cpu = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *rgba = NULL;
  AveMediaSourceOptions options = { 0 };
  cairo_surface_t *surface;
  AveYuvFrame view;
  int iw, ih, w, h, stride;
  guint8 *data;

  info = ave_media_probe (path, error);
  if (info == NULL)
    return NULL;
  if (!info->has_video)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_MEDIA,
                   "%s holds no picture; a card's image must be a still such as a PNG or JPEG",
                   path);
      return NULL;
    }

  iw = info->display_width > 0 ? info->display_width : info->width;
  ih = info->display_height > 0 ? info->display_height : info->height;
  decode_size (MAX (iw, 1), MAX (ih, 1), want_w, want_h, cover, &w, &h);

  options.want_video = TRUE;
  options.video_width = w;
  options.video_height = h;
  options.apply_rotation = TRUE;
  options.decoder_threads = 1;
  source = ave_media_source_open (path, &options, error);
  if (source == NULL)
    return NULL;
  frame = ave_media_source_read_picture (source, &local_error);
  if (frame == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_CORRUPT,
                     "%s: no picture could be decoded; is the file complete?", path);
      return NULL;
    }
  if (frame->width <= 0 || frame->height <= 0)
    {
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "%s: the decoder gave an unexpected picture format", path);
      return NULL;
    }

  /* A view of the decoded planes, only read (yuv_to_rgba takes it const). */
  view = (AveYuvFrame) {
    .width = frame->width, .height = frame->height,
    .y = (guint8 *) frame->y, .y_stride = frame->y_stride,
    .u = (guint8 *) frame->u, .v = (guint8 *) frame->v, .uv_stride = frame->uv_stride,
    .matrix = frame->matrix == AVE_COLOR_MATRIX_BT709 ? AVE_COMPUTE_MATRIX_BT709 : AVE_COMPUTE_MATRIX_BT601,
  };
  rgba = g_malloc ((gsize) frame->width * frame->height * 4);
  cpu = ave_compute_cpu_new ();
  if (!ave_compute_yuv_to_rgba (cpu, &view, rgba, frame->width * 4, error))
    return NULL;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, frame->width, frame->height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED,
                   "Out of memory for the picture of %s", path);
      return NULL;
    }
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < frame->height; y++)
    {
      const guint8 *in = rgba + (gsize) y * frame->width * 4;
      guint32 *out = (guint32 *) (data + (gsize) y * stride);

      for (int x = 0; x < frame->width; x++, in += 4)
        out[x] = 0xff000000u | ((guint32) in[0] << 16) | ((guint32) in[1] << 8) | in[2];
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

/* PNGs through cairo keep their transparency (a logo over the picture);
 * everything else goes through FFmpeg. */
static cairo_surface_t *
load_image (const char  *path,
            int          want_w,
            int          want_h,
            gboolean     cover,
            GError     **error)
{
  cairo_surface_t *surface = cairo_image_surface_create_from_png (path);

  if (cairo_surface_status (surface) == CAIRO_STATUS_SUCCESS &&
      cairo_image_surface_get_width (surface) > 0 &&
      cairo_image_surface_get_height (surface) > 0)
    return surface;
  cairo_surface_destroy (surface);
  return load_image_ffmpeg (path, want_w, want_h, cover, error);
}

/* Paints `image` scaled uniformly into (x, y, w, h): covering it (cropped
 * at the centre) or fitting inside it (centred).  Returns the rectangle
 * the picture occupies. */
static void
paint_image (cairo_t         *cr,
             cairo_surface_t *image,
             double           x,
             double           y,
             double           w,
             double           h,
             gboolean         cover,
             double          *out_x,
             double          *out_y,
             double          *out_w,
             double          *out_h)
{
  double iw = cairo_image_surface_get_width (image);
  double ih = cairo_image_surface_get_height (image);
  double s = cover ? MAX (w / iw, h / ih) : MIN (w / iw, h / ih);
  double dw = iw * s, dh = ih * s;
  double dx = x + (w - dw) / 2.0, dy = y + (h - dh) / 2.0;

  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  cairo_translate (cr, dx, dy);
  cairo_scale (cr, s, s);
  cairo_set_source_surface (cr, image, 0, 0);
  /* Bilinear shows blocks when a photo shrinks a lot; GOOD filters it. */
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_rectangle (cr, 0, 0, iw, ih);
  cairo_fill (cr);
  cairo_restore (cr);

  *out_x = MAX (dx, x);
  *out_y = MAX (dy, y);
  *out_w = MIN (dw, w);
  *out_h = MIN (dh, h);
}

/* ------------------------------------------------------------ text */

/* A layout of `text` at most max_width wide and max_height tall: the font
 * starts at size_px and shrinks (to min_px) until the wrapped text fits; a
 * text still too long at the smallest size is ellipsized. */
/* No card shows more than this many characters, whatever its size: a
 * 4K frame at the smallest text size holds fewer. */
#define MAX_VISIBLE_CHARS 4000

/* At most how many characters of text can be seen in a max_width x
 * max_height box at min_px: glyphs are at least a fifth of the size wide
 * and lines at least 0.8 of it tall.  Laying out more would only be
 * ellipsized away, at a cost that grows with the text. */
static gsize
visible_chars (double min_px,
               int    max_width,
               int    max_height)
{
  double px = MAX (min_px, 1.0);
  double per_line = MAX (1, max_width) / (0.2 * px) + 1.0;
  double lines = MAX (1, max_height) / (0.8 * px) + 1.0;

  return (gsize) CLAMP (per_line * lines, 16.0, (double) MAX_VISIBLE_CHARS);
}

PangoLayout *
_ave_card_fit_text (cairo_t        *cr,
                    const char     *text,
                    gboolean        bold,
                    double          size_px,
                    double          min_px,
                    int             max_width,
                    int             max_height,
                    PangoAlignment  alignment,
                    gsize          *chars_laid_out)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (CARD_FONT);

  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  gsize limit = visible_chars (min_px, max_width, max_height);
  /* Counting stops where the limit is passed: the text may be huge. */
  gsize n_chars = (gsize) g_utf8_strlen (text, (gssize) MIN (strlen (text), (limit + 1) * 6));
  g_autofree char *cut = NULL;

  if (chars_laid_out != NULL)
    *chars_laid_out = 0;
  if (n_chars > limit)
    {
      /* What cannot be seen is dropped before layout; the ellipsis says so. */
      const char *end = g_utf8_offset_to_pointer (text, (glong) limit);

      cut = g_strdup_printf ("%.*s…", (int) (end - text), text);
      text = cut;
      n_chars = limit + 1;
    }
  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, MAX (1, max_width) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, alignment);

  for (;;)
    {
      int w, h;

      pango_font_description_set_absolute_size (font, MAX (size_px, 1.0) * PANGO_SCALE);
      pango_layout_set_font_description (layout, font);
      pango_layout_get_pixel_size (layout, &w, &h);
      if (chars_laid_out != NULL)
        *chars_laid_out += n_chars;
      if (h <= max_height)
        break;
      if (size_px <= min_px)
        {
          pango_layout_set_height (layout, MAX (1, max_height) * PANGO_SCALE);
          pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
          break;
        }
      size_px = MAX (min_px, size_px * 0.9);
    }
  return layout;
}

static PangoLayout *
fit_text (cairo_t        *cr,
          const char     *text,
          gboolean        bold,
          double          size_px,
          double          min_px,
          int             max_width,
          int             max_height,
          PangoAlignment  alignment)
{
  return _ave_card_fit_text (cr, text, bold, size_px, min_px, max_width, max_height, alignment, NULL);
}

static int
layout_height (PangoLayout *layout)
{
  int w, h;

  if (layout == NULL)
    return 0;
  pango_layout_get_pixel_size (layout, &w, &h);
  return h;
}

static void
show_text (cairo_t     *cr,
           PangoLayout *layout,
           double       x,
           double       y,
           const Rgb   *colour,
           gboolean     shadow)
{
  if (shadow)
    {
      /* Keeps light text readable over any picture. */
      double offset = MAX (1.0, pango_font_description_get_size (pango_layout_get_font_description (layout))
                                / (double) PANGO_SCALE / 24.0);

      cairo_set_source_rgba (cr, 0, 0, 0, 0.55);
      cairo_move_to (cr, x + offset, y + offset);
      pango_cairo_show_layout (cr, layout);
    }
  cairo_set_source_rgb (cr, colour->r, colour->g, colour->b);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
rounded_rectangle (cairo_t *cr,
                   double   x,
                   double   y,
                   double   w,
                   double   h,
                   double   r)
{
  r = MIN (r, MIN (w, h) / 2.0);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI_2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI_2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI_2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI_2);
  cairo_close_path (cr);
}

static gboolean
has_text (const char *text)
{
  return text != NULL && *text != '\0';
}

/* ------------------------------------------------------------ drawing */

/* The title, an accent rule and the subtitle, centred in (x, y, w, h). */
static void
draw_title_block (cairo_t       *cr,
                  const AveCard *card,
                  const Palette *palette,
                  double         x,
                  double         y,
                  double         w,
                  double         h,
                  double         frame_height,
                  gboolean       over_picture)
{
  g_autoptr(PangoLayout) title = NULL;
  g_autoptr(PangoLayout) subtitle = NULL;
  double title_px = frame_height * 0.10;
  double rule = MAX (2.0, round (frame_height * 0.006));
  double gap = title_px * 0.35;
  double block, top;
  const Rgb *text = over_picture ? &palettes[AVE_CARD_STYLE_DARK].text : &palette->text;
  const Rgb *subtext = over_picture ? &palettes[AVE_CARD_STYLE_DARK].subtext : &palette->subtext;

  if (has_text (card->title))
    title = fit_text (cr, card->title, TRUE, title_px, frame_height * 0.035,
                      (int) w, (int) (h * (has_text (card->subtitle) ? 0.62 : 0.85)),
                      PANGO_ALIGN_CENTER);
  if (has_text (card->subtitle))
    subtitle = fit_text (cr, card->subtitle, FALSE, title_px * 0.48, frame_height * 0.025,
                         (int) w, (int) (h * 0.25), PANGO_ALIGN_CENTER);

  block = layout_height (title) + layout_height (subtitle);
  if (title != NULL && subtitle != NULL)
    block += 2 * gap + rule;
  top = y + (h - block) / 2.0;

  if (title != NULL)
    {
      show_text (cr, title, x, top, text, over_picture);
      top += layout_height (title);
    }
  if (title != NULL && subtitle != NULL)
    {
      double rule_w = MIN (w, frame_height * 0.22);

      top += gap;
      cairo_set_source_rgb (cr, palette->accent.r, palette->accent.g, palette->accent.b);
      cairo_rectangle (cr, round (x + (w - rule_w) / 2.0), round (top), round (rule_w), rule);
      cairo_fill (cr);
      top += rule + gap;
    }
  if (subtitle != NULL)
    show_text (cr, subtitle, x, top, subtext, over_picture);
}

static gboolean
draw_title_card (cairo_t        *cr,
                 const AveCard  *card,
                 int             width,
                 int             height,
                 GError        **error)
{
  const Palette *palette = card_palette (card);
  double margin_x = width * 0.1;
  cairo_pattern_t *gradient;

  if (card->image_path != NULL)
    {
      g_autoptr(cairo_surface_t) image = load_image (card->image_path, width, height, TRUE, error);
      double ix, iy, iw, ih;

      if (image == NULL)
        return FALSE;
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_paint (cr);
      paint_image (cr, image, 0, 0, width, height, TRUE, &ix, &iy, &iw, &ih);
      if (!has_text (card->title) && !has_text (card->subtitle))
        return TRUE;

      /* A scrim darkening the lower part, where the text goes. */
      gradient = cairo_pattern_create_linear (0, height * 0.45, 0, height);
      cairo_pattern_add_color_stop_rgba (gradient, 0, 0, 0, 0, 0);
      cairo_pattern_add_color_stop_rgba (gradient, 1, 0, 0, 0, 0.78);
      cairo_set_source (cr, gradient);
      cairo_rectangle (cr, 0, height * 0.45, width, height * 0.55);
      cairo_fill (cr);
      cairo_pattern_destroy (gradient);

      draw_title_block (cr, card, palette, margin_x, height * 0.58, width - 2 * margin_x,
                        height * 0.34, height, TRUE);
      return TRUE;
    }

  gradient = cairo_pattern_create_linear (0, 0, 0, height);
  cairo_pattern_add_color_stop_rgb (gradient, 0, palette->top.r, palette->top.g, palette->top.b);
  cairo_pattern_add_color_stop_rgb (gradient, 1, palette->bottom.r, palette->bottom.g, palette->bottom.b);
  cairo_set_source (cr, gradient);
  cairo_paint (cr);
  cairo_pattern_destroy (gradient);

  /* A soft light from the upper middle gives the flat gradient depth. */
  gradient = cairo_pattern_create_radial (width / 2.0, height * 0.35, 0,
                                          width / 2.0, height * 0.35, MAX (width, height) * 0.6);
  cairo_pattern_add_color_stop_rgba (gradient, 0, 1, 1, 1, 0.06);
  cairo_pattern_add_color_stop_rgba (gradient, 1, 1, 1, 1, 0);
  cairo_set_source (cr, gradient);
  cairo_paint (cr);
  cairo_pattern_destroy (gradient);

  draw_title_block (cr, card, palette, margin_x, height * 0.12, width - 2 * margin_x,
                    height * 0.76, height, FALSE);
  return TRUE;
}

/* A lower third: a rounded box, an accent bar, title and subtitle on the
 * left. */
static void
draw_lower_third (cairo_t       *cr,
                  const AveCard *card,
                  int            width,
                  int            height)
{
  const Palette *palette = card_palette (card);
  /* whole pixels keep the accent bar's edges crisp */
  double pad = MAX (2.0, round (height * 0.14));
  double bar = MAX (2.0, round (height * 0.05));
  double text_x = pad + bar + pad * 0.8;
  double text_w = width - text_x - pad;
  double text_h = height - 2 * pad;
  g_autoptr(PangoLayout) title = NULL;
  g_autoptr(PangoLayout) subtitle = NULL;
  double top;

  rounded_rectangle (cr, 0, 0, width, height, height * 0.12);
  cairo_set_source_rgba (cr, palette->box.r, palette->box.g, palette->box.b, palette->box_alpha);
  cairo_fill (cr);

  cairo_set_source_rgb (cr, palette->accent.r, palette->accent.g, palette->accent.b);
  cairo_rectangle (cr, pad, pad, bar, MAX (2.0, text_h));
  cairo_fill (cr);

  if (has_text (card->title))
    title = fit_text (cr, card->title, TRUE, height * 0.36, MIN (10.0, height * 0.2),
                      (int) text_w, (int) (text_h * (has_text (card->subtitle) ? 0.62 : 1.0)),
                      PANGO_ALIGN_LEFT);
  if (has_text (card->subtitle))
    subtitle = fit_text (cr, card->subtitle, FALSE, height * 0.22, MIN (8.0, height * 0.15),
                         (int) text_w, (int) (text_h * (title != NULL ? 0.38 : 1.0)),
                         PANGO_ALIGN_LEFT);

  top = pad + (text_h - layout_height (title) - layout_height (subtitle)) / 2.0;
  if (title != NULL)
    {
      show_text (cr, title, text_x, top, &palette->text, FALSE);
      top += layout_height (title);
    }
  if (subtitle != NULL)
    show_text (cr, subtitle, text_x, top, &palette->subtext, FALSE);
}

/* Picture-in-picture: the still fitted into the box with a thin frame,
 * the text as a caption across its bottom. */
static gboolean
draw_still_overlay (cairo_t        *cr,
                    const AveCard  *card,
                    int             width,
                    int             height,
                    GError        **error)
{
  g_autoptr(cairo_surface_t) image = load_image (card->image_path, width, height, FALSE, error);
  const Rgb white = { 1, 1, 1 };
  double ix, iy, iw, ih, border;
  g_autoptr(GString) caption = g_string_new (NULL);

  if (image == NULL)
    return FALSE;

  paint_image (cr, image, 0, 0, width, height, FALSE, &ix, &iy, &iw, &ih);
  border = MAX (1.0, round (MIN (iw, ih) * 0.012));
  cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
  cairo_set_line_width (cr, border);
  cairo_rectangle (cr, ix + border / 2, iy + border / 2, iw - border, ih - border);
  cairo_stroke (cr);

  if (has_text (card->title))
    g_string_append (caption, card->title);
  if (has_text (card->subtitle))
    g_string_append_printf (caption, "%s%s", caption->len > 0 ? " — " : "", card->subtitle);
  if (caption->len > 0)
    {
      double band = MAX (4.0, ih * 0.2);
      double pad = band * 0.18;
      g_autoptr(PangoLayout) text = fit_text (cr, caption->str, FALSE, band * 0.55, MIN (8.0, band * 0.4),
                                              (int) (iw - 2 * pad - 2 * border),
                                              (int) (band - 2 * pad), PANGO_ALIGN_LEFT);

      cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
      cairo_rectangle (cr, ix + border, iy + ih - band - border, iw - 2 * border, band);
      cairo_fill (cr);
      show_text (cr, text, ix + border + pad,
                 iy + ih - border - band + (band - layout_height (text)) / 2.0, &white, FALSE);
    }
  return TRUE;
}

/* cairo's premultiplied native-endian ARGB into straight RGBA bytes, as
 * AveCompute's blend and overlay take them. */
guint8 *
_ave_surface_to_rgba (cairo_surface_t *surface,
                      int             *stride_out)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data;
  guint8 *rgba = g_malloc ((gsize) width * height * 4);

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  for (int y = 0; y < height; y++)
    {
      const guint32 *in = (const guint32 *) (data + (gsize) y * stride);
      guint8 *out = rgba + (gsize) y * width * 4;

      for (int x = 0; x < width; x++, out += 4)
        {
          guint32 p = in[x];
          guint a = p >> 24;

          if (a == 0)
            {
              out[0] = out[1] = out[2] = out[3] = 0;
              continue;
            }
          out[0] = (guint8) MIN (255u, (((p >> 16) & 0xff) * 255 + a / 2) / a);
          out[1] = (guint8) MIN (255u, (((p >> 8) & 0xff) * 255 + a / 2) / a);
          out[2] = (guint8) MIN (255u, ((p & 0xff) * 255 + a / 2) / a);
          out[3] = (guint8) a;
        }
    }
  *stride_out = width * 4;
  return rgba;
}

gboolean
ave_card_render_rgba (const AveCard  *card,
                      int             width,
                      int             height,
                      guint8        **rgba_out,
                      int            *stride_out,
                      GError        **error)
{
  g_autoptr(cairo_surface_t) surface = NULL;
  g_autoptr(cairo_t) cr = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (card != NULL, FALSE);
  g_return_val_if_fail (width > 0 && height > 0, FALSE);
  g_return_val_if_fail (rgba_out != NULL && stride_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "Out of memory for a %dx%d card", width, height);
      return FALSE;
    }
  cr = cairo_create (surface);

  if (card->kind == AVE_CARD_TITLE)
    ok = draw_title_card (cr, card, width, height, error);
  else if (card->image_path != NULL)
    ok = draw_still_overlay (cr, card, width, height, error);
  else
    draw_lower_third (cr, card, width, height);
  if (!ok)
    return FALSE;

  *rgba_out = _ave_surface_to_rgba (surface, stride_out);
  return TRUE;
}

void
ave_card_get_overlay_box (const AveCard *card,
                          int            frame_width,
                          int            frame_height,
                          int           *x,
                          int           *y,
                          int           *width,
                          int           *height)
{
  int x0, y0, x1, y1;

  g_return_if_fail (card != NULL);

  /* The small bias keeps 0.6 + 0.25 of a 240 frame at 204, not 202. */
  x0 = (int) floor (CLAMP (card->x, 0.0, 1.0) * frame_width / 2.0 + 1e-6) * 2;
  y0 = (int) floor (CLAMP (card->y, 0.0, 1.0) * frame_height / 2.0 + 1e-6) * 2;
  x1 = (int) floor (CLAMP (card->x + card->width, 0.0, 1.0) * frame_width / 2.0 + 1e-6) * 2;
  y1 = (int) floor (CLAMP (card->y + card->height, 0.0, 1.0) * frame_height / 2.0 + 1e-6) * 2;
  x1 = MIN (MAX (x1, x0 + 2), frame_width & ~1);
  y1 = MIN (MAX (y1, y0 + 2), frame_height & ~1);
  x0 = MIN (x0, x1 - 2);
  y0 = MIN (y0, y1 - 2);

  *x = MAX (0, x0);
  *y = MAX (0, y0);
  *width = x1 - *x;
  *height = y1 - *y;
}

/* ------------------------------------------------------------ the bin */

static char *
suggested_title (const AveAnalysis *analysis,
                 AvePlan           *plan)
{
  if (analysis != NULL)
    {
      g_autoptr(AveSettings) settings = ave_settings_new ();
      g_autoptr(JsonNode) metadata = ave_metadata_build (analysis, plan, settings);
      JsonObject *root = metadata != NULL && JSON_NODE_HOLDS_OBJECT (metadata)
                         ? json_node_get_object (metadata) : NULL;
      JsonArray *titles = root != NULL && json_object_has_member (root, "titles")
                          ? json_object_get_array_member (root, "titles") : NULL;

      if (titles != NULL && json_array_get_length (titles) > 0)
        {
          const char *title = json_array_get_string_element (titles, 0);

          if (has_text (title))
            return g_strdup (title);
        }
    }
  return ave_metadata_title_from_path (ave_plan_get_source (plan));
}

static void
crossfade (AveCard *card)
{
  card->transition = AVE_TRANSITION_CROSSFADE;
  card->transition_duration = BIN_CROSSFADE;
}

GPtrArray *
ave_cards_default_bin (const AveAnalysis *analysis,
                       AvePlan           *plan)
{
  GPtrArray *bin;
  g_autofree char *title = NULL;
  g_autoptr(GArray) items = NULL;
  guint n_segments;
  AveCard *card;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);

  bin = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_card_free);
  title = suggested_title (analysis, plan);
  items = ave_plan_list_output_items (plan);
  n_segments = ave_plan_get_n_segments (plan);

  card = ave_card_new_title (title, NULL, 0, INTRO_DURATION);
  crossfade (card);
  g_ptr_array_add (bin, card);

  for (guint i = 0; i < ave_plan_get_n_chapters (plan); i++)
    {
      const AveChapter *chapter = ave_plan_get_chapter (plan, i);
      const AveOutputItem *nearest = NULL;
      g_autofree char *label = g_strdup_printf ("Chapter %u", i + 1);

      /* A card can only stand between segments: the segment edge nearest
       * the chapter's start (the earlier one on a tie). */
      for (guint k = 0; k < items->len; k++)
        {
          const AveOutputItem *item = &g_array_index (items, AveOutputItem, k);

          if (item->segment == NULL)
            continue;
          if (nearest == NULL ||
              fabs (item->output_start - chapter->time) < fabs (nearest->output_start - chapter->time))
            nearest = item;
        }
      if (nearest == NULL)
        break;

      card = ave_card_new_title (chapter->title, label, nearest->index, CHAPTER_DURATION);
      card->style = AVE_CARD_STYLE_ACCENT;
      crossfade (card);
      g_ptr_array_add (bin, card);
    }

  card = ave_card_new_title ("Thanks for watching", title, n_segments, OUTRO_DURATION);
  crossfade (card);
  g_ptr_array_add (bin, card);

  return bin;
}
