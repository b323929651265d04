/* ave-edit-stream.h — the edit as the render makes it, frame by frame from
 * any output time: what the app's preview plays.
 *
 * The stream is the composer itself (ave-compose-private.h) with a
 * different consumer: the same pieces, decoders, dissolves, fades, title
 * cards, overlays, burned captions, cross-fades at cuts, loudness gain and
 * limiter as ave_composer_render(), with the pictures handed out as RGBA at
 * a preview size instead of being encoded.  So a preview frame is the
 * render's frame at that output time, scaled.
 *
 * Single-threaded: use one stream from one thread at a time (the app's
 * preview keeps it on a worker thread).
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "director/ave-plan.h"
#include "ave-composer.h"

G_BEGIN_DECLS

typedef struct _AveEditStream AveEditStream;

/* One output frame and the sound that comes with it. */
typedef struct
{
  gint64  index;          /* output frame number */
  double  time;           /* output seconds where it starts */
  double  duration;       /* seconds it lasts (1 / frame rate) */
  /* The picture: RGBA (A = 255), `stride` bytes a row; NULL (and 0 x 0)
   * when the source has no video. */
  int     width, height, stride;
  guint8 *rgba;
  /* The mixed sound composed with this frame: n_audio samples per channel,
   * interleaved float at 48 kHz, the first one at output sample
   * audio_start.  The limiter's look-ahead (5 ms) makes a frame's sound
   * lag its picture by that much; the samples still line up exactly with
   * the output clock through audio_start. */
  gint64  audio_start;
  gsize   n_audio;
  int     channels;       /* 0 without audio */
  float  *audio;
  /* private: the stream's picture buffers, where rgba goes back */
  struct _AveEditPictures *pictures;
} AveEditFrame;

void ave_edit_frame_free (AveEditFrame *frame);
/* The picture's pixels as bytes that outlive the frame (for a
 * GdkMemoryTexture, say); rgba is NULL after.  When the bytes are freed
 * the buffer goes back to the stream's pictures for a later frame: a
 * preview-size picture is close to a megabyte, and a fresh one per frame
 * is a fresh mapping from the system while a run holds glibc's mmap
 * threshold low (resources/ave-runtime.c).  NULL without a picture. */
GBytes *ave_edit_frame_take_rgba (AveEditFrame *frame);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveEditFrame, ave_edit_frame_free)

/* Opens the edit of `plan` with pictures of the source's shape within
 * width x height (even sizes, never larger than the render's; 0 x 0: the
 * render's size).  `captions` (may be NULL) are
 * burned in when settings->burn_captions, exactly as the render burns them.
 * Measures the kept sound for the loudness gain first (an audio-only pass
 * over the kept ranges, as the render does; `cancellable` stops it),
 * unless `gain_db` is finite: a gain from ave_edit_stream_get_gain_db() of
 * a stream of the same plan and loudness settings (NAN: measure).  The
 * plan is read only here: the stream does not follow later edits.
 * Settings and captions are copied. */
AveEditStream *ave_edit_stream_open           (AvePlan                  *plan,
                                               const AveSettings        *settings,
                                               const AveComposeCaptions *captions,
                                               int                       width,
                                               int                       height,
                                               double                    gain_db,
                                               GCancellable             *cancellable,
                                               GError                  **error);
int            ave_edit_stream_get_width      (AveEditStream *self);
int            ave_edit_stream_get_height     (AveEditStream *self);
double         ave_edit_stream_get_frame_rate (AveEditStream *self);
gint64         ave_edit_stream_get_n_frames   (AveEditStream *self);
/* Output seconds (n_frames / frame rate). */
double         ave_edit_stream_get_duration   (AveEditStream *self);
/* 48000, and 0 channels when the source has no audio. */
int            ave_edit_stream_get_sample_rate (AveEditStream *self);
int            ave_edit_stream_get_channels   (AveEditStream *self);
/* The loudness gain the render would apply too. */
double         ave_edit_stream_get_gain_db    (AveEditStream *self);
/* Applies another gain from the next frame on (the limiter starts again):
 * the preview opens an edited plan with the gain of the plan before and
 * sets the new one when ave_edit_stream_measure_gain() has measured it. */
void           ave_edit_stream_set_gain_db    (AveEditStream *self,
                                               double         gain_db);
/* The loudness gain the render of `plan` applies (the audio-only passes
 * over the kept sound, nothing else opened); 0 dB without sound. */
gboolean       ave_edit_stream_measure_gain   (AvePlan            *plan,
                                               const AveSettings  *settings,
                                               GCancellable       *cancellable,
                                               double             *gain_db,
                                               GError            **error);
/* The output frame that shows output time `seconds` (clamped to the edit). */
gint64         ave_edit_stream_frame_at       (AveEditStream *self,
                                               double         seconds);
/* The next frame read is the one showing output time `seconds`: each
 * source piece there seeks to the keyframe before it and decodes forward
 * (pictures nothing refers to are not decoded), or reads on when it is a
 * little ahead of where it stands (stepping forward). */
gboolean       ave_edit_stream_seek           (AveEditStream *self,
                                               double         seconds,
                                               GError       **error);
/* Reads the pictures from now on from `proxy_path`, a preview proxy of
 * the plan's source for this stream's size (ave_proxy_make() with the
 * width and height the stream was opened with), and the sound from the
 * source as before: the same frames at the same times, each a few
 * preview-size pictures from a keyframe instead of up to a GOP of the
 * source's.  The next read is the frame the stream stood at.  Fails
 * (and the stream reads the source as before) when the file is not such
 * a proxy. */
gboolean       ave_edit_stream_use_proxy      (AveEditStream  *self,
                                               const char     *proxy_path,
                                               GError        **error);
/* The frame the next read returns. */
gint64         ave_edit_stream_get_position   (AveEditStream *self);
/* The next frame in output order, NULL at the end (error unset) or on a
 * failure (error set). */
AveEditFrame  *ave_edit_stream_next           (AveEditStream *self,
                                               GError       **error);
void           ave_edit_stream_free           (AveEditStream *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveEditStream, ave_edit_stream_free)

G_END_DECLS
