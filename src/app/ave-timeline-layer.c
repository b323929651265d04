/* ave-timeline-layer.c — the layers' base class and what they share. */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>

#include "ave-timeline-layer.h"

G_DEFINE_ABSTRACT_TYPE (AveTimelineLayer, ave_timeline_layer, G_TYPE_OBJECT)

static void
ave_timeline_layer_class_init (AveTimelineLayerClass *klass)
{
}

static void
ave_timeline_layer_init (AveTimelineLayer *self)
{
}

void
ave_timeline_layer_snapshot (AveTimelineLayer      *self,
                             const AveTimelineView *view,
                             GtkSnapshot           *snapshot)
{
  g_return_if_fail (AVE_IS_TIMELINE_LAYER (self));

  AVE_TIMELINE_LAYER_GET_CLASS (self)->snapshot (self, view, snapshot);
}

/* ------------------------------------------------------------- colours */

static gboolean
lookup_color (GtkStyleContext *context,
              const char      *first,
              const char      *second,
              GdkRGBA         *out)
{
  return gtk_style_context_lookup_color (context, first, out) ||
         (second != NULL && gtk_style_context_lookup_color (context, second, out));
}

void
ave_timeline_palette_init (AveTimelinePalette *palette,
                           GtkWidget          *widget)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  /* The style is dark when its text is light: true for libadwaita's dark
   * style, GTK's Adwaita-dark and high-contrast inverse alike, with no
   * need to know which library set it. */
  gtk_style_context_get_color (context, &palette->fg);
  palette->dark = 0.2126 * palette->fg.red + 0.7152 * palette->fg.green + 0.0722 * palette->fg.blue > 0.5;

  if (!lookup_color (context, "view_bg_color", "theme_base_color", &palette->bg))
    palette->bg = palette->dark ? (GdkRGBA) { 0.12, 0.12, 0.12, 1 } : (GdkRGBA) { 1, 1, 1, 1 };
  if (!lookup_color (context, "accent_bg_color", "theme_selected_bg_color", &palette->accent))
    palette->accent = (GdkRGBA) { 0.21, 0.52, 0.89, 1.0 };
  if (!lookup_color (context, "accent_fg_color", "theme_selected_fg_color", &palette->accent_fg))
    palette->accent_fg = (GdkRGBA) { 1, 1, 1, 1 };
  /* Amber on dark, burnt orange on light: both stand off the background
   * and the accent blue of a kept segment they outline (a lighter orange
   * has the blue's luminance and vanishes on it). */
  palette->selection = palette->dark ? (GdkRGBA) { 1.0, 0.78, 0.0, 1.0 }
                                     : (GdkRGBA) { 0.42, 0.16, 0.0, 1.0 };
}

GdkRGBA
ave_timeline_palette_alpha (const GdkRGBA *color,
                            double         alpha)
{
  GdkRGBA out = *color;

  out.alpha *= alpha;
  return out;
}

/* ------------------------------------------------------------- drawing */

void
ave_timeline_append_rect (GtkSnapshot   *snapshot,
                          const GdkRGBA *color,
                          double         x,
                          double         y,
                          double         width,
                          double         height)
{
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (x, y, width, height));
}

void
ave_timeline_append_text (const AveTimelineView *view,
                          GtkSnapshot           *snapshot,
                          const char            *text,
                          const GdkRGBA         *color,
                          double                 x,
                          double                 y,
                          double                 max_width)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (view->widget, text);
  PangoFontDescription *font = pango_font_description_from_string ("Sans 8");

  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

void
ave_timeline_append_outline (GtkSnapshot   *snapshot,
                             const GdkRGBA *color,
                             double         width,
                             double         x,
                             double         y,
                             double         w,
                             double         h)
{
  GskRoundedRect outline;
  const GdkRGBA colors[4] = { *color, *color, *color, *color };
  const float widths[4] = { width, width, width, width };

  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, y, w, h), 3);
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
}

char *
ave_timeline_format_time (double seconds,
                          double precision)
{
  int minutes = (int) (seconds / 60.0);
  double rest = seconds - minutes * 60.0;

  if (precision >= 1.0)
    return g_strdup_printf ("%d:%02d", minutes, (int) floor (rest + 1e-6));
  return g_strdup_printf ("%d:%04.1f", minutes, rest);
}

void
ave_timeline_draw_transition (GtkSnapshot       *snapshot,
                              const GdkRGBA     *color,
                              AveTransitionType  transition,
                              double             x)
{
  const double top = AVE_TIMELINE_SEGMENT_Y + 6, bottom = AVE_TIMELINE_SEGMENT_Y + AVE_TIMELINE_SEGMENT_H - 6;
  cairo_t *cr;

  if (transition == AVE_TRANSITION_CUT)
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x - 8, AVE_TIMELINE_SEGMENT_Y,
                                                                 16, AVE_TIMELINE_SEGMENT_H));
  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, 2.0);
  if (transition == AVE_TRANSITION_CROSSFADE)
    {
      /* One picture dissolving into the other: a cross. */
      cairo_move_to (cr, x - 6, top);
      cairo_line_to (cr, x + 6, bottom);
      cairo_move_to (cr, x - 6, bottom);
      cairo_line_to (cr, x + 6, top);
    }
  else
    {
      /* Down to black and back up. */
      cairo_move_to (cr, x - 6, top);
      cairo_line_to (cr, x, bottom);
      cairo_line_to (cr, x + 6, top);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}
