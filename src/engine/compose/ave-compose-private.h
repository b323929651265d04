/* ave-compose-private.h — the pieces the composer is built from: a
 * look-ahead peak limiter and the H.264/AAC MP4 writer.
 *
 * Private to src/engine/compose/; the rest of the engine only sees
 * ave_composer_render().
 */
#pragma once

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/rational.h>

#include "core/ave-settings.h"
#include "compute/ave-compute.h"
#include "ave-composer.h"

G_BEGIN_DECLS

/* ----------------------------------------------------------------- limiter */

typedef struct _AveLimiter AveLimiter;

/* A look-ahead limiter on planar float audio: the gain drops smoothly
 * *before* a peak arrives, so nothing is clipped and nothing clicks.  Peaks
 * are detected between samples as well (4x interpolation), so the true peak
 * of the output stays under `ceiling_db` (dBFS).  The output is the input
 * delayed by a fixed latency; _ave_limiter_process() and _ave_limiter_flush()
 * together return exactly as many samples as went in. */
AveLimiter *_ave_limiter_new         (int         channels,
                                      int         rate,
                                      double      ceiling_db,
                                      double      lookahead_s,
                                      double      release_s);
/* Consumes n_in samples per channel from `in`; writes at most n_in samples
 * per channel to `out` (which may alias `in`) and returns how many. */
gsize       _ave_limiter_process     (AveLimiter          *self,
                                      const float * const *in,
                                      gsize                n_in,
                                      float              **out);
/* Writes the samples still held (the latency) to `out`, which must have
 * room for _ave_limiter_get_latency() samples per channel; returns how many. */
gsize       _ave_limiter_flush       (AveLimiter  *self,
                                      float      **out);
gsize       _ave_limiter_get_latency (AveLimiter  *self);
/* The lowest gain applied so far, in dB (0 when the limiter never acted). */
double      _ave_limiter_get_max_reduction_db (AveLimiter *self);
void        _ave_limiter_free        (AveLimiter  *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveLimiter, _ave_limiter_free)

/* -------------------------------------------------------- subtitle track */

typedef struct _AveSubtitleTrack AveSubtitleTrack;

/* A mov_text (3GPP timed text) stream in `format` for `cues` (AveCue, the
 * cues of final.srt, at the same millisecond times), tagged with the ISO
 * 639-2 code of `language` (BCP 47, may be NULL: "und").  Call before the
 * header is written; `format` and `cues` must outlive the track. */
AveSubtitleTrack *_ave_subtitle_track_new         (AVFormatContext *format,
                                                   GArray          *cues,
                                                   const char      *language);
/* Writes (interleaved) every cue that starts before `seconds` of output
 * time and has not been written yet; `seconds` < 0: all that are left. */
gboolean          _ave_subtitle_track_write_until (AveSubtitleTrack *self,
                                                   double            seconds,
                                                   GError          **error);
void              _ave_subtitle_track_free        (AveSubtitleTrack *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSubtitleTrack, _ave_subtitle_track_free)

/* ------------------------------------------------------------------ writer */

typedef struct _AveMp4Writer AveMp4Writer;

typedef struct
{
  /* video: width == 0 means no video stream */
  int        width, height;
  AVRational frame_rate;
  AVRational sample_aspect;
  /* the pictures' colour, tagged in the stream so players decode it as
   * meant (limited range always; a field left 0 leaves its tag out) */
  enum AVColorSpace                  colorspace;
  enum AVColorPrimaries              primaries;
  enum AVColorTransferCharacteristic transfer;
  /* audio: channels == 0 means no audio stream; planar float input */
  int        channels;
  int        sample_rate;
  /* subtitles: cues == NULL means no subtitle track (ave-subtitle-track) */
  GArray     *cues;
  const char *language;
} AveMp4WriterFormat;

/* Opens `path` for writing and sets up libx264 (preset, crf, rc-lookahead
 * and threads from settings, a keyframe every ~2 s) and FFmpeg's native AAC
 * encoder.  AVE_COMPOSE_ERROR_ENCODER_MISSING when libx264 is not built in. */
AveMp4Writer *_ave_mp4_writer_new         (const char               *path,
                                           const AveMp4WriterFormat *format,
                                           const AveSettings        *settings,
                                           GError                  **error);
/* Where an audio-only writer hands its packets instead of a file: `ready`
 * once, before any packet, with the encoder's parameters; then `packet`
 * for each encoded packet (times in `time_base`; the callee takes its own
 * reference).  Either returns FALSE with error set to stop the render. */
typedef struct
{
  gboolean (*ready)  (const AVCodecParameters *parameters, AVRational time_base,
                      gpointer user_data, GError **error);
  gboolean (*packet) (AVPacket *packet, gpointer user_data, GError **error);
  gpointer user_data;
} AveMp4PacketSink;

/* The same AAC encoding for `format` without video, to a sink. */
AveMp4Writer *_ave_mp4_writer_new_for_sink (const AveMp4WriterFormat *format,
                                            const AveSettings        *settings,
                                            const AveMp4PacketSink   *sink,
                                            GError                  **error);
/* `frame` is YUV 4:2:0 at the configured size with pts counted in frames;
 * the writer takes its own reference. */
gboolean      _ave_mp4_writer_add_video   (AveMp4Writer  *self,
                                           AVFrame       *frame,
                                           GError       **error);
/* Appends n samples per channel; the writer cuts them into encoder frames. */
gboolean      _ave_mp4_writer_add_audio   (AveMp4Writer        *self,
                                           const float * const *planes,
                                           gsize                n,
                                           GError             **error);
/* Drains the encoders and writes the trailer. */
gboolean      _ave_mp4_writer_finish      (AveMp4Writer  *self,
                                           GError       **error);
/* Closes everything; the file stays as it is (partial unless finished). */
void          _ave_mp4_writer_free        (AveMp4Writer  *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveMp4Writer, _ave_mp4_writer_free)

/* ------------------------------------------------------------- composition */

/* A plan being composed: the pieces laid on the output grid, their
 * decoders, transitions, cards, overlays, captions and the mixed sound.
 * The render (ave-composer.c) and the preview's stream (ave-edit-stream.c)
 * are its two consumers; nothing is composed twice. */
typedef struct _AveComposition AveComposition;

/* Output frame `frame` composed: YUV 4:2:0 at the composition's size, owned
 * by the composition (valid during the call; take a reference to keep it). */
typedef gboolean (*AveCompositionVideoFunc) (const AVFrame  *picture,
                                             gint64          frame,
                                             gpointer        data,
                                             GError        **error);
/* The next n mixed samples per channel (48 kHz planar float, after the
 * loudness gain and the limiter), in output order from the last seek. */
typedef gboolean (*AveCompositionSoundFunc) (const float * const *planes,
                                             gsize                n,
                                             gpointer             data,
                                             GError             **error);

/* Probes the source, validates the plan and lays it on the grid.  width and
 * height > 0: compose smaller pictures, the source's shape within that box
 * (never larger than the render's), instead of the source's display size.
 * sound_only: no pictures at all. */
AveComposition *_ave_composition_open           (AvePlan                  *plan,
                                                 const AveSettings        *settings,
                                                 AveCompute               *compute,
                                                 const AveComposeCaptions *captions,
                                                 int                       width,
                                                 int                       height,
                                                 gboolean                  sound_only,
                                                 GError                  **error);
/* A composed picture as AveCompute reads it: its planes and its Y'CbCr
 * matrix (the source's: SD sources are BT.601). */
AveYuvFrame     _ave_composition_view           (AveComposition *self,
                                                 const AVFrame  *picture);
/* width/height 0 when there is no video, channels 0 when no audio. */
void            _ave_composition_get_format     (AveComposition *self,
                                                 int            *width,
                                                 int            *height,
                                                 AVRational     *fps,
                                                 int            *channels,
                                                 gint64         *n_frames);
/* Output samples (48 kHz) before output frame `frame`. */
gint64          _ave_composition_frame_sample   (AveComposition *self,
                                                 gint64          frame);
void            _ave_composition_set_consumer   (AveComposition          *self,
                                                 AveCompositionVideoFunc  video,
                                                 AveCompositionSoundFunc  sound,
                                                 gpointer                 data);
/* Measures the kept sound and chooses the loudness gain (one or two
 * audio-only passes over it); call once before the first frame. */
gboolean        _ave_composition_prepare_sound  (AveComposition  *self,
                                                 double           progress_share,
                                                 GCancellable    *cancellable,
                                                 GError         **error);
double          _ave_composition_get_gain_db    (AveComposition *self);
/* Instead of _ave_composition_prepare_sound: a gain measured before on
 * the same kept sound (the preview opening the same plan again). */
void            _ave_composition_use_gain       (AveComposition *self,
                                                 double          gain_db);
/* Composes output frame f and hands its picture and its sound to the
 * consumer; frames go in order from 0 or from the last seek. */
gboolean        _ave_composition_frame          (AveComposition  *self,
                                                 gint64           f,
                                                 GError         **error);
/* Makes `frame` the next one to compose: pieces that end before it are
 * skipped, those it falls in start part-way (their decoders seek to the
 * keyframe before and decode forward, or read on when just ahead). */
gboolean        _ave_composition_seek           (AveComposition  *self,
                                                 gint64           frame,
                                                 GError         **error);
/* The preview reads its pictures from `proxy_path`, a preview proxy of
 * the source at the composition's size (media/ave-proxy.h), and its sound
 * from the source still.  Never for a render.  Seek before the next frame. */
gboolean        _ave_composition_use_proxy      (AveComposition  *self,
                                                 const char      *proxy_path,
                                                 GError         **error);
/* After the last frame: the sound the limiter still holds. */
gboolean        _ave_composition_finish_sound   (AveComposition  *self,
                                                 GError         **error);
void            _ave_composition_free           (AveComposition *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveComposition, _ave_composition_free)

/* ---------------------------------------------------------------- composer */

/* The plan's sound exactly as ave_composer_render() makes it (cross-fades
 * at cuts, loudness normalisation, limiter), laid on the source video's
 * frame grid, encoded as AAC into `sink`.  The smart cut copies the
 * pictures and muxes this sound next to them as it comes.
 * result->output_duration is the grid's duration; video_frames is 0. */
gboolean      _ave_composer_render_audio  (AvePlan            *plan,
                                           const AveSettings  *settings,
                                           const AveMp4PacketSink *sink,
                                           AveComposeResult   *result,
                                           AveProgressFunc     progress,
                                           gpointer            progress_data,
                                           GCancellable       *cancellable,
                                           GError            **error);

G_END_DECLS
