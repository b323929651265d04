/* ave-timeline-layer-segments.c — the segment row: each segment as a chip (kept in the accent
 * colour, cut greyed with the rows above it faded, an earlier take amber
 * and striped), its start, length and reason, the transition into it,
 * and the selected one outlined. */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-timeline-layer.h"

/* Diagonal stripes over a retake, so it reads as "cut" even without
 * colour. */
static void
draw_stripes (GtkSnapshot *snapshot,
              double       x,
              double       y,
              double       width,
              double       height)
{
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x, y, width, height));

  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.18);
  cairo_set_line_width (cr, 3.0);
  for (double sx = x - height; sx < x + width; sx += 10.0)
    {
      cairo_move_to (cr, sx, y + height);
      cairo_line_to (cr, sx + height, y);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
draw_segment (const AveTimelineView *view,
              GtkSnapshot           *snapshot,
              guint                  i)
{
  const AveTimelineItem *item = ave_timeline_view_item (view, i);
  const AveTimelinePalette *palette = &view->palette;
  GdkRGBA cut = ave_timeline_palette_alpha (&palette->fg, 0.22);
  /* An earlier take: amber with dark text, readable on dark and light
   * backgrounds alike, so it stands out from the grey of other cuts. */
  GdkRGBA retake = { 0.96, 0.66, 0.12, 1.0 };
  GdkRGBA retake_text = { 0.1, 0.08, 0.0, 1.0 };
  /* Cut material fades towards the background: darker in the dark
   * style, paler in the light one. */
  GdkRGBA dim = palette->dark ? (GdkRGBA) { 0, 0, 0, 0.55 } : ave_timeline_palette_alpha (&palette->bg, 0.6);
  GdkRGBA separator = ave_timeline_palette_alpha (&palette->fg, 0.4);
  const AveSegment *segment = ave_plan_get_segment (view->plan, item->index);
  double x = ave_timeline_view_x (view, item->x);
  double chip_y = AVE_TIMELINE_SEGMENT_Y + 2, chip_h = AVE_TIMELINE_SEGMENT_H - 4;
  g_autofree char *label = NULL;

  if (!item->enabled)
    ave_timeline_append_rect (snapshot, &dim, x, AVE_TIMELINE_FILM_Y, item->width,
                              AVE_TIMELINE_SEGMENT_Y - AVE_TIMELINE_FILM_Y);

  ave_timeline_append_rect (snapshot, item->enabled ? &palette->accent : item->retake ? &retake : &cut,
                            x + 1, chip_y, MAX (1.0, item->width - 2), chip_h);
  if (item->retake)
    draw_stripes (snapshot, x + 1, chip_y, MAX (1.0, item->width - 2), chip_h);
  ave_timeline_append_rect (snapshot, &separator, x, AVE_TIMELINE_FILM_Y, 1,
                            AVE_TIMELINE_ROWS_H - AVE_TIMELINE_FILM_Y);

  if (item->width > 30)
    {
      g_autofree char *start = ave_timeline_format_time (item->start, 0.1);

      if (item->enabled)
        label = segment->reason != NULL
                ? g_strdup_printf ("%s · %.1f s · %s", start, item->end - item->start, segment->reason)
                : g_strdup_printf ("%s · %.1f s", start, item->end - item->start);
      else if (item->retake)
        /* "retake of 6.00–9.00 s (…)": the kept take is named after "of". */
        label = g_strdup_printf ("Retake · %.1f s · kept: %s", item->end - item->start,
                                 segment->reason + strlen ("retake of "));
      else
        label = g_strdup_printf ("Cut · %s · %.1f s", start, item->end - item->start);
      ave_timeline_append_text (view, snapshot, label,
                                item->enabled ? &palette->accent_fg : item->retake ? &retake_text : &palette->fg,
                                x + 6, AVE_TIMELINE_SEGMENT_Y + 7, item->width - 12);
    }

  if (item->enabled)
    ave_timeline_draw_transition (snapshot, &palette->accent_fg,
                                  ave_timeline_layout_join_before (view->layout, view->plan, i), x);

  if ((int) item->index == view->selected)
    ave_timeline_append_outline (snapshot, &palette->selection, 2, x, AVE_TIMELINE_SEGMENT_Y,
                                 item->width, AVE_TIMELINE_SEGMENT_H);
}

static void
segments_snapshot (AveTimelineLayer      *layer,
                   const AveTimelineView *view,
                   GtkSnapshot           *snapshot)
{
  for (guint i = 0; i < view->layout->items->len; i++)
    {
      const AveTimelineItem *item = ave_timeline_view_item (view, i);

      if (item->kind == AVE_TIMELINE_ITEM_SEGMENT && ave_timeline_view_shows (view, item))
        draw_segment (view, snapshot, i);
    }
}

struct _AveTimelineSegmentsLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineSegmentsLayer, ave_timeline_segments_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_segments_layer_class_init (AveTimelineSegmentsLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = segments_snapshot;
}

static void
ave_timeline_segments_layer_init (AveTimelineSegmentsLayer *self)
{
}
