/* ave-edit-player.h — plays an AveEditStream (the edit as the render makes
 * it) for the preview: a worker thread decodes a few frames ahead into a
 * bounded queue; the main loop shows each frame as a GdkTexture when its
 * output time comes, by the clock of the sound (GStreamer: appsrc !
 * audioconvert ! audioresample ! autoaudiosink), or by the monotonic clock
 * when there is no sound or no audio device (Xvfb, CI).
 *
 * All calls are made on the main thread; `changed` is called there too,
 * whenever the picture, the position or the playing state changes.
 */
#pragma once

#include <gtk/gtk.h>

#include "compose/ave-edit-stream.h"

G_BEGIN_DECLS

typedef struct _AveEditPlayer AveEditPlayer;

typedef void (*AveEditPlayerFunc) (AveEditPlayer *player,
                                   gpointer       user_data);

AveEditPlayer *ave_edit_player_new            (AveEditPlayerFunc  changed,
                                               gpointer           user_data);
/* Opens the edit of a copy of `plan` (on the worker: the loudness pass
 * runs there) and shows the frame at `output_time`, playing on if
 * `play`.  Replaces any edit opened before. */
void           ave_edit_player_open           (AveEditPlayer            *self,
                                               AvePlan                  *plan,
                                               const AveSettings        *settings,
                                               const AveComposeCaptions *captions,
                                               int                       width,
                                               int                       height,
                                               double                    output_time,
                                               gboolean                  play);
/* Whether an edit is open (its duration and frame rate are known). */
gboolean       ave_edit_player_is_open        (AveEditPlayer *self);
/* The message of the last failure to open or decode (free it), NULL
 * when none. */
char          *ave_edit_player_dup_error      (AveEditPlayer *self);
void           ave_edit_player_play           (AveEditPlayer *self);
void           ave_edit_player_pause          (AveEditPlayer *self);
gboolean       ave_edit_player_get_playing    (AveEditPlayer *self);
/* Shows the frame of output time `seconds` (clamped to the edit). */
void           ave_edit_player_seek           (AveEditPlayer *self,
                                               double         seconds);
/* Pauses and moves by whole frames; a step forward takes the next frame
 * already decoded when there is one. */
void           ave_edit_player_step           (AveEditPlayer *self,
                                               int            frames);
/* Output seconds of the playhead (while playing, the clock; paused, the
 * frame asked for last). */
double         ave_edit_player_get_position   (AveEditPlayer *self);
double         ave_edit_player_get_duration   (AveEditPlayer *self);
double         ave_edit_player_get_frame_duration (AveEditPlayer *self);
/* The picture shown now (NULL before the first) and its output frame
 * number (-1 none). */
GdkTexture    *ave_edit_player_get_texture    (AveEditPlayer *self);
gint64         ave_edit_player_get_frame_index (AveEditPlayer *self);
/* TRUE once the frame of the last seek is on screen. */
gboolean       ave_edit_player_is_settled     (AveEditPlayer *self);

/* Reads the pictures of edits of `source` from `proxy_path`, a preview
 * proxy of it at the size edits are opened at (media/ave-proxy.h; NULL:
 * none): the edit open now switches to it from the frame it stands at,
 * without a jump or a pause.  The sound still comes from the source.  A
 * proxy that cannot be read is logged and the source is read instead. */
void           ave_edit_player_set_proxy      (AveEditPlayer *self,
                                               const char    *source,
                                               const char    *proxy_path);
/* Whether the edit open now reads its pictures from a proxy. */
gboolean       ave_edit_player_get_uses_proxy (AveEditPlayer *self);
/* Playback figures (bench/bench-ui.sh): frames shown and frames skipped
 * because they came too late since the last play, the time from the last
 * seek to its frame on screen, and whether the sound's clock drives it. */
typedef struct
{
  gint64  frames_shown;
  gint64  frames_late;
  double  played_seconds;      /* output seconds the clock advanced */
  double  last_seek_ms;        /* -1 before the first seek settles */
  gboolean audio_clock;
} AveEditPlayerStats;

void           ave_edit_player_get_stats      (AveEditPlayer      *self,
                                               AveEditPlayerStats *stats);
void           ave_edit_player_free           (AveEditPlayer *self);

G_END_DECLS
