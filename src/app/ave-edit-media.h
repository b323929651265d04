/* ave-edit-media.h — the edit (AveEditPlayer) as a GtkMediaStream: a
 * paintable for a GtkPicture and a stream for GtkMediaControls, whose
 * timestamps and duration are output time. */
#pragma once

#include <gtk/gtk.h>

#include "ave-edit-player.h"

G_BEGIN_DECLS

#define AVE_TYPE_EDIT_MEDIA (ave_edit_media_get_type ())
G_DECLARE_FINAL_TYPE (AveEditMedia, ave_edit_media, AVE, EDIT_MEDIA, GtkMediaStream)

AveEditMedia  *ave_edit_media_new        (void);
AveEditPlayer *ave_edit_media_get_player (AveEditMedia *self);

G_END_DECLS
