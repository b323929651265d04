#define G_LOG_DOMAIN "ave-edit-media"

#include "config.h"

#include <math.h>

#include "ave-edit-media.h"

struct _AveEditMedia
{
  GtkMediaStream  parent_instance;

  AveEditPlayer  *player;
  GdkTexture     *texture;     /* the one drawn last */
  gboolean        seeking;
  gboolean        was_playing;
};

static void ave_edit_media_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AveEditMedia, ave_edit_media, GTK_TYPE_MEDIA_STREAM,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE, ave_edit_media_paintable_init))

static void
on_player_changed (AveEditPlayer *player,
                   gpointer       user_data)
{
  AveEditMedia *self = user_data;
  GtkMediaStream *stream = GTK_MEDIA_STREAM (self);
  GdkTexture *texture = ave_edit_player_get_texture (player);
  gboolean size_changed = FALSE;

  if (!ave_edit_player_is_open (player))
    {
      g_autofree char *error = ave_edit_player_dup_error (player);

      /* the plan cannot be shown (it keeps nothing, the source is gone):
       * no stale picture of the one before */
      if (error != NULL && self->texture != NULL)
        {
          g_debug ("The edit cannot be shown: %s", error);
          g_clear_object (&self->texture);
          gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
          gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
        }
      return;
    }
  if (!gtk_media_stream_is_prepared (stream))
    gtk_media_stream_stream_prepared (stream, TRUE, TRUE, TRUE,
                                      (gint64) llround (ave_edit_player_get_duration (player) * G_USEC_PER_SEC));
  if (texture != self->texture)
    {
      size_changed = self->texture == NULL || texture == NULL ||
                     gdk_texture_get_width (texture) != gdk_texture_get_width (self->texture) ||
                     gdk_texture_get_height (texture) != gdk_texture_get_height (self->texture);
      g_set_object (&self->texture, texture);
      if (size_changed)
        gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
      gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
    }
  if (self->seeking && ave_edit_player_is_settled (player))
    {
      self->seeking = FALSE;
      gtk_media_stream_seek_success (stream);
    }
  gtk_media_stream_update (stream, (gint64) llround (ave_edit_player_get_position (player) * G_USEC_PER_SEC));
  /* The player may start by itself (asked to play while it opened) and
   * stops by itself at the end of the edit: the controls follow. */
  if (!gtk_media_stream_get_playing (stream) && ave_edit_player_get_playing (player))
    gtk_media_stream_play (stream);
  else if (gtk_media_stream_get_playing (stream) && !ave_edit_player_get_playing (player))
    {
      if (ave_edit_player_get_position (player) >=
          ave_edit_player_get_duration (player) - ave_edit_player_get_frame_duration (player))
        gtk_media_stream_stream_ended (stream);
      else
        gtk_media_stream_pause (stream);
    }
}

static gboolean
ave_edit_media_play (GtkMediaStream *stream)
{
  ave_edit_player_play (AVE_EDIT_MEDIA (stream)->player);
  return TRUE;
}

static void
ave_edit_media_pause (GtkMediaStream *stream)
{
  ave_edit_player_pause (AVE_EDIT_MEDIA (stream)->player);
}

static void
ave_edit_media_seek (GtkMediaStream *stream,
                     gint64          timestamp)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (stream);

  self->seeking = TRUE;
  ave_edit_player_seek (self->player, timestamp / (double) G_USEC_PER_SEC);
}

static void
ave_edit_media_snapshot (GdkPaintable *paintable,
                         GdkSnapshot  *snapshot,
                         double        width,
                         double        height)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (paintable);

  if (self->texture != NULL)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
ave_edit_media_get_current_image (GdkPaintable *paintable)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (paintable);

  if (self->texture != NULL)
    return GDK_PAINTABLE (g_object_ref (self->texture));
  return gdk_paintable_new_empty (0, 0);
}

static int
ave_edit_media_get_intrinsic_width (GdkPaintable *paintable)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (paintable);

  return self->texture != NULL ? gdk_texture_get_width (self->texture) : 0;
}

static int
ave_edit_media_get_intrinsic_height (GdkPaintable *paintable)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (paintable);

  return self->texture != NULL ? gdk_texture_get_height (self->texture) : 0;
}

static double
ave_edit_media_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (paintable);

  if (self->texture == NULL)
    return 0.0;
  return (double) gdk_texture_get_width (self->texture) / gdk_texture_get_height (self->texture);
}

static void
ave_edit_media_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = ave_edit_media_snapshot;
  iface->get_current_image = ave_edit_media_get_current_image;
  iface->get_intrinsic_width = ave_edit_media_get_intrinsic_width;
  iface->get_intrinsic_height = ave_edit_media_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = ave_edit_media_get_intrinsic_aspect_ratio;
}

static void
ave_edit_media_dispose (GObject *object)
{
  AveEditMedia *self = AVE_EDIT_MEDIA (object);

  g_clear_pointer (&self->player, ave_edit_player_free);
  g_clear_object (&self->texture);
  G_OBJECT_CLASS (ave_edit_media_parent_class)->dispose (object);
}

static void
ave_edit_media_class_init (AveEditMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkMediaStreamClass *stream_class = GTK_MEDIA_STREAM_CLASS (klass);

  object_class->dispose = ave_edit_media_dispose;
  stream_class->play = ave_edit_media_play;
  stream_class->pause = ave_edit_media_pause;
  stream_class->seek = ave_edit_media_seek;
}

static void
ave_edit_media_init (AveEditMedia *self)
{
  self->player = ave_edit_player_new (on_player_changed, self);
}

AveEditMedia *
ave_edit_media_new (void)
{
  return g_object_new (AVE_TYPE_EDIT_MEDIA, NULL);
}

AveEditPlayer *
ave_edit_media_get_player (AveEditMedia *self)
{
  g_return_val_if_fail (AVE_IS_EDIT_MEDIA (self), NULL);

  return self->player;
}
