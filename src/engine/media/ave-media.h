/* ave-media.h — probing, streaming decode, and the one-pass analysis reader.
 *
 * Everything FFmpeg-related that reads a file lives in src/engine/media/.
 * Nothing here loads a whole file: memory does not grow with input length.
 * This header does not expose FFmpeg: front ends and the other stages get
 * AvePicture and AveSound; the composer, which works on FFmpeg's frames,
 * reads them through ave-media-private.h.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>

#include "core/ave-progress.h"
#include "core/ave-settings.h"

G_BEGIN_DECLS

/* FFmpeg's own log on stderr: off (the engine reports what matters in its
 * errors and events), or its informational messages for debugging. */
void ave_media_set_ffmpeg_log (gboolean verbose);

/* ------------------------------------------------------------------ probe */

/* Which matrix a picture's Y'CbCr was made with from R'G'B'.  HD video
 * is BT.709; SD video (and JPEG) is BT.601; AveCompute converts with the
 * matrix its YUV frame names.  Reading one with the other's matrix shifts saturated
 * colours by up to ~20 levels. */
typedef enum
{
  AVE_COLOR_MATRIX_BT601,
  AVE_COLOR_MATRIX_BT709,
} AveColorMatrix;

typedef struct
{
  char    *path;
  gint64   size_bytes;
  char    *container;          /* FFmpeg's short format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  double   duration;           /* seconds; best estimate from container/streams */
  double   start_time;         /* seconds of the first packet; all engine times are relative to it */
  gint64   bit_rate;

  gboolean has_video;
  char    *video_codec;        /* e.g. "h264" */
  int      width, height;      /* coded size */
  int      rotation;           /* 0, 90, 180 or 270: clockwise rotation needed for display */
  int      display_width;      /* size after rotation */
  int      display_height;
  double   frame_rate;         /* average frames per second */
  gboolean variable_frame_rate;
  gint64   n_frames_estimate;
  /* The longest time between two key pictures (where decoding can start),
   * and from the last one to the end, from the container's index or, with
   * none, from the packets of the first seconds; 0 when unknown (not
   * measured: ave_media_info_measure_key_interval; no index and fewer than
   * two key pictures in that much).  The analysis decodes only key
   * pictures when they come close enough together. */
  double   key_interval;
  int      sample_aspect_num, sample_aspect_den;
  /* The matrix of its pictures' Y'CbCr: the stream's tag, or untagged
   * what FFmpeg's conversions assume (see AvePicture.matrix).  Decoded
   * pictures always come out limited range. */
  AveColorMatrix matrix;
  /* The stream's colour tags as ITU-T H.273 code points (1 = BT.709,
   * 5 = BT.470BG, 6 = SMPTE 170M, 9 = BT.2020; 2 = untagged). */
  int      color_space;
  int      color_primaries;
  int      color_transfer;

  gboolean has_audio;
  char    *audio_codec;
  int      sample_rate;
  int      channels;
} AveMediaInfo;

#define AVE_TYPE_MEDIA_INFO (ave_media_info_get_type ())
GType         ave_media_info_get_type (void) G_GNUC_CONST;
AveMediaInfo *ave_media_info_copy     (const AveMediaInfo *self);
void          ave_media_info_free     (AveMediaInfo *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveMediaInfo, ave_media_info_free)

/* Opens the file, finds its streams and checks that a decoder exists for
 * each stream the engine will use.  Errors (AVE_MEDIA_ERROR) name the file
 * and say what to do: NOT_FOUND, NOT_REGULAR, EMPTY, UNREADABLE, NOT_MEDIA,
 * NO_STREAMS, UNSUPPORTED_CODEC. */
/* Sets info->key_interval, opening the file again; only an analysis that
 * may decode key pictures only needs it (AVE_ANALYSIS_FRAMES=key), so a
 * probe does not read packets for it. */
void          ave_media_info_measure_key_interval (AveMediaInfo *info);
AveMediaInfo *ave_media_probe         (const char  *path,
                                       GError     **error);

/* ----------------------------------------------------------- decoding */

typedef struct
{
  gboolean want_video;
  gboolean want_audio;
  /* Video frames come out as AV_PIX_FMT_YUV420P at this size (0,0 = the
   * display size).  When apply_rotation is TRUE, frames are rotated so that
   * they are upright (display orientation). */
  int      video_width;
  int      video_height;
  gboolean apply_rotation;
  /* Pictures the decoder gives as 8-bit limited-range 4:2:0 (yuv420p: what
   * cameras and phones write) and that need no rotation are handed over
   * as decoded, at the decoded size, without a copy: the caller scales
   * them on its compute backend (the composer with --enable-gpu).  Other
   * pictures are converted and scaled by swscale as usual. */
  gboolean leave_scaling;
  /* Audio frames come out as AV_SAMPLE_FMT_FLTP at this rate and channel
   * count (0 = the source's). */
  int      audio_rate;
  int      audio_channels;
  int      decoder_threads;   /* 0 = FFmpeg's choice */
  /* Times are the file's own timestamps (its clock from 0), not relative
   * to its first packet: a preview proxy (ave-proxy.h) is written on its
   * source's clock and read back on it. */
  gboolean zero_clock;
  /* Only the pictures other pictures refer to come out (where the codec
   * defines them, as AveMediaReadOptions.pictures): a quick look at a
   * stretch of the file, every other picture or so, for the analysis to
   * find where in it something changes; and each key picture's leading
   * pictures (shown before it, decoded after it), but the first's after
   * a seek. */
  gboolean reference_frames_only;
  /* Pictures for analysis, as AveMediaReadOptions.fast_decode: no
   * deblocking filter, FFmpeg's fast flags, the fast bilinear scaler. */
  gboolean fast_decode;
} AveMediaSourceOptions;

typedef struct _AveMediaSource AveMediaSource;

/* A streaming decoder for one file, used by composition and thumbnails.
 * Single-threaded: use one AveMediaSource from one thread at a time.
 *
 * Times of what it returns are relative to the file's start_time, i.e.
 * the same clock as every time in the analysis and the plan.
 *
 * Reading video and audio from one source is allowed in any interleaving;
 * packets of the other stream are queued internally (keep the two reads
 * within a second or so of each other). */
AveMediaSource     *ave_media_source_open       (const char                  *path,
                                                 const AveMediaSourceOptions *options,
                                                 GError                     **error);
const AveMediaInfo *ave_media_source_get_info   (AveMediaSource *self);
/* Seeks so that the next frames read are the first ones whose presentation
 * interval contains or follows `seconds` (frame-accurate: decodes from the
 * preceding keyframe and drops what is earlier). */
gboolean            ave_media_source_seek       (AveMediaSource  *self,
                                                 double           seconds,
                                                 GError         **error);

/* A decoded picture: YUV 4:2:0 (limited range, as decoded) at the size
 * the source was opened for, upright when apply_rotation was set. */
typedef struct
{
  int             width, height;
  double          pts;                       /* seconds */
  const guint8   *y, *u, *v;
  int             y_stride, uv_stride;       /* u and v: (width+1)/2 x (height+1)/2 */
  /* the file's tag; untagged, FFmpeg's convention: BT.709 from 1280x720
   * up, BT.601 below (and for JPEG's full-range pictures) */
  AveColorMatrix  matrix;
} AvePicture;

/* Decoded sound: planar float in [-1, 1] at the rate and channels the
 * source was opened for. */
typedef struct
{
  double              pts;                 /* seconds of the first sample */
  int                 n_samples;           /* per channel */
  int                 channels;
  int                 rate;
  const float * const *planes;             /* one per channel */
} AveSound;

/* The next picture (or sound), or NULL at the end of the stream (error
 * unset) or on failure (error set).  Decoders are drained at the end. */
AvePicture         *ave_media_source_read_picture (AveMediaSource  *self,
                                                   GError         **error);
AveSound           *ave_media_source_read_sound   (AveMediaSource  *self,
                                                   GError         **error);
void                ave_picture_free            (AvePicture *picture);
void                ave_sound_free              (AveSound   *sound);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvePicture, ave_picture_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSound, ave_sound_free)
/* TRUE when the last read hit an unexpected end of data (truncated file). */
gboolean            ave_media_source_truncated  (AveMediaSource *self);
void                ave_media_source_free       (AveMediaSource *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveMediaSource, ave_media_source_free)

/* ------------------------------------------------------------ JPEG stills */

/* Writes pictures of one size as JPEG files (thumbnails), full range and
 * BT.601 as JPEG (JFIF) readers expect, whatever the picture's matrix;
 * each file appears whole or not at all. */
typedef struct _AveJpegWriter AveJpegWriter;

AveJpegWriter      *ave_jpeg_writer_new         (int               width,
                                                 int               height,
                                                 GError          **error);
gboolean            ave_jpeg_writer_write       (AveJpegWriter    *self,
                                                 const AvePicture *picture,
                                                 const char       *path,
                                                 GError          **error);
void                ave_jpeg_writer_free        (AveJpegWriter    *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveJpegWriter, ave_jpeg_writer_free)

/* ------------------------------------------------- speech upload files */

typedef enum
{
  AVE_SPEECH_UPLOAD_FLAC,      /* lossless, about half the bytes of WAV */
  AVE_SPEECH_UPLOAD_WAV,       /* 16-bit PCM, for servers that take only WAV */
} AveSpeechUploadFormat;

/* Mono 16-bit samples at `rate` as a whole file in memory, ready to
 * upload (remote speech recognition).  Errors: AVE_OUTPUT_ERROR. */
GBytes *ave_media_encode_speech (const gint16          *samples,
                                 gsize                  n_samples,
                                 int                    rate,
                                 AveSpeechUploadFormat  format,
                                 GError               **error);

/* ------------------------------------------------ one-pass analysis read */

#define AVE_ANALYSIS_SAMPLE_RATE 16000

/* A YUV 4:2:0 frame for analysis (not rotated): downscaled to the analysis
 * size, or, with AveMediaReadOptions.leave_scaling, as decoded. */
typedef struct
{
  gint64        index;        /* 0, 1, 2 ... in presentation order over the frames delivered */
  double        pts;          /* seconds (relative to start_time) */
  double        duration;     /* seconds this frame is shown */
  int           width, height;
  const guint8 *y;  int y_stride;
  const guint8 *u;  const guint8 *v;  int uv_stride;   /* (width+1)/2 x (height+1)/2 */
  /* The analysis size (even): equal to width x height when the reader
   * scaled the picture itself; otherwise the caller scales to it.  0 means
   * width x height. */
  int           scaled_width, scaled_height;
} AveAnalysisFrame;

/* A block of decoded audio. */
typedef struct
{
  double        pts;          /* seconds of the first sample */
  /* mono, AVE_ANALYSIS_SAMPLE_RATE Hz, float in [-1, 1] */
  const float  *mono;
  gsize         n_mono;
  /* the source's own rate and channels, interleaved float (for loudness) */
  const float  *native;
  gsize         n_native_frames;
  int           native_channels;
  int           native_rate;
} AveAudioChunk;

typedef struct
{
  int      analysis_width;     /* downscale to this width, height keeps aspect (even) */
  guint    frame_step;         /* deliver every Nth frame, >= 1 */
  gboolean want_video;
  gboolean want_audio;
  gsize    queue_bytes;        /* bound on packets queued between demuxer and decoders */
  int      decoder_threads;    /* 0 = FFmpeg's choice */
  gboolean fast_decode;        /* skip the in-loop deblocking filter etc. where the codec allows */
  /* Deliver 8-bit 4:2:0 pictures (yuv420p, yuvj420p) as decoded, without
   * swscale, for the caller to scale to scaled_width x scaled_height (the
   * analysis does it through AveCompute); pictures of other formats are
   * still converted and scaled by swscale, which AveCompute has no kernel
   * for. */
  gboolean leave_scaling;
  /* Which pictures to decode: all; only the ones other pictures refer to
   * (about half of them with B-frames) and each key picture's leading
   * pictures (open GOPs: those shown right before it); or only the key pictures, each
   * decoded on its own from a fresh decoder state (the packets flagged as
   * where decoding can start: IDR, CRA, open-GOP I-frames, MPEG-4 I-VOPs),
   * the last one shown up to the end of the stream.  With any but all the
   * frames delivered are unevenly spaced. */
  AveAnalysisFrames pictures;
  /* The video decoding thread and its decoder's threads run this many
   * nice steps below the caller (0: at the caller's priority).  The
   * analysis sets it while it transcribes: the speech recogniser is one
   * thread that the whole analysis waits for, and should not share its
   * core with the video's threads as an equal (docs/performance.md,
   * "The speech recogniser first"). */
  int      video_nice_increment;
  /* Optional: a memory pressure level kept by the caller and read
   * atomically at every packet (0 normal, 1 = 80 %, 2 = 90 % of the memory
   * budget): the queues then hold a half or a quarter of queue_bytes. */
  const gint *pressure;
} AveMediaReadOptions;

typedef struct
{
  /* Called on the video thread, in presentation order.  The frame is only
   * valid during the call.  Return FALSE with error set to stop the read. */
  gboolean (*video_frame) (const AveAnalysisFrame *frame, gpointer user_data, GError **error);
  /* Called on the audio thread, in order. */
  gboolean (*audio_chunk) (const AveAudioChunk *chunk, gpointer user_data, GError **error);
  /* Optional: the time of each video packet marked as a keyframe (a
   * point where decoding can start), in file order; the demuxing thread. */
  void (*video_keyframe) (double seconds, gpointer user_data);
  /* Optional, for streams whose pictures show in another order than they
   * are stored (B-frames): each time at which the pictures stored so far
   * are exactly the ones shown so far, so that a copy of the packets up
   * to there shows every picture before that time and none after it; the
   * time is where the next picture starts.  Streams stored in display
   * order get no calls (every picture's end is such a time).  In file
   * order; the demuxing thread. */
  void (*video_copy_end) (double seconds, gpointer user_data);
  /* Fraction of the input read so far; any thread. */
  AveProgressFunc progress;
  /* A non-fatal problem (a truncated file, a broken packet skipped): one
   * line a user can read; any thread. */
  void (*warning) (const char *message, gpointer user_data);
} AveMediaReadCallbacks;

/* Demuxes `path` once; video and audio packets go through bounded queues to
 * a video decode thread and an audio decode thread, which run concurrently
 * and call the callbacks.  Returns when both streams are drained.  A file
 * that ends early is read as far as it goes and reported through `warning`. */
gboolean ave_media_read_for_analysis (const char                  *path,
                                      const AveMediaReadOptions   *options,
                                      const AveMediaReadCallbacks *callbacks,
                                      gpointer                     user_data,
                                      GCancellable                *cancellable,
                                      GError                     **error);

G_END_DECLS
