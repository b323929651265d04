/* ave-timeline-layer-film.c — the filmstrip row: thumbnails of each segment's source range. */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include <math.h>

#include "ave-timeline-layer.h"

static void
film_snapshot (AveTimelineLayer      *layer,
               const AveTimelineView *view,
               GtkSnapshot           *snapshot)
{
  if (view->filmstrip == NULL || view->thumb_width <= 0)
    return;

  for (guint i = 0; i < view->layout->items->len; i++)
    {
      const AveTimelineItem *item = ave_timeline_view_item (view, i);
      double tile_seconds, grid, first_x, last_x;

      if (item->kind != AVE_TIMELINE_ITEM_SEGMENT || !ave_timeline_view_shows (view, item))
        continue;

      /* Pictures are requested on a power-of-two grid of seconds no
       * coarser than a tile, so zoom levels share what was decoded. */
      tile_seconds = view->thumb_width / view->zoom;
      grid = exp2 (floor (log2 (tile_seconds)));
      first_x = MAX (item->x, view->visible_start);
      last_x = MIN (item->x + item->width, view->visible_end);
      first_x = item->x + floor ((first_x - item->x) / view->thumb_width) * view->thumb_width;

      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (ave_timeline_view_x (view, item->x),
                                                             AVE_TIMELINE_FILM_Y, item->width,
                                                             AVE_TIMELINE_FILM_H));
      for (double x = first_x; x < last_x; x += view->thumb_width)
        {
          double t = item->start + (x - item->x) / view->zoom;
          GdkTexture *texture = ave_filmstrip_lookup (view->filmstrip, t, grid);

          if (texture != NULL)
            gtk_snapshot_append_texture (snapshot, texture,
                                         &GRAPHENE_RECT_INIT (ave_timeline_view_x (view, x),
                                                              AVE_TIMELINE_FILM_Y + 2, view->thumb_width,
                                                              AVE_TIMELINE_FILM_H - 4));
        }
      gtk_snapshot_pop (snapshot);
    }
}

struct _AveTimelineFilmLayer
{
  AveTimelineLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (AveTimelineFilmLayer, ave_timeline_film_layer, AVE_TYPE_TIMELINE_LAYER)

static void
ave_timeline_film_layer_class_init (AveTimelineFilmLayerClass *klass)
{
  AVE_TIMELINE_LAYER_CLASS (klass)->snapshot = film_snapshot;
}

static void
ave_timeline_film_layer_init (AveTimelineFilmLayer *self)
{
}
