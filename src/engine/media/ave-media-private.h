/* ave-media-private.h — what the probe, the streaming source and the
 * analysis reader share: opening a file with user-facing errors, picking
 * streams, opening decoders, and cleanup functions for FFmpeg objects.
 */
#pragma once

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "media/ave-media.h"

G_BEGIN_DECLS

/* FFmpeg's free functions take a pointer to the pointer; g_autoptr wants a
 * plain one. */
static inline void _ave_av_format_close (AVFormatContext *ctx) { avformat_close_input (&ctx); }
static inline void _ave_av_codec_free (AVCodecContext *ctx) { avcodec_free_context (&ctx); }
static inline void _ave_av_packet_free (AVPacket *pkt) { av_packet_free (&pkt); }
static inline void _ave_av_frame_free (AVFrame *frame) { av_frame_free (&frame); }
static inline void _ave_swr_free (SwrContext *swr) { swr_free (&swr); }

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVFormatContext, _ave_av_format_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVCodecContext, _ave_av_codec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVPacket, _ave_av_packet_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVFrame, _ave_av_frame_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SwrContext, _ave_swr_free)

/* The frames themselves, for the composer: free with av_frame_free.  Video
 * is AV_PIX_FMT_YUV420P, audio AV_SAMPLE_FMT_FLTP; pts and duration in
 * microseconds (AV_TIME_BASE) on the engine's clock. */
AVFrame *ave_media_source_read_video (AveMediaSource  *self,
                                     GError         **error);
AVFrame *ave_media_source_read_audio (AveMediaSource  *self,
                                     GError         **error);

/* A new YUV 4:2:0 frame of this size with its buffers, or NULL when out
 * of memory. */
AVFrame *_ave_av_frame_new_yuv420p (int width,
                                   int height);

/* AVFrame.duration replaced pkt_duration after FFmpeg 5.1. */
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT (57, 30, 100)
# define _AVE_FRAME_DURATION(f) ((f)->duration)
#else
# define _AVE_FRAME_DURATION(f) ((f)->pkt_duration)
#endif

/* Limits on what a file may claim about itself (docs/cli.md, "Limits").
 * FFmpeg accepts pictures up to 16384 pixels a side and any pixel shape;
 * a header that says more is damaged or hostile, and the sizes the
 * engine derives from it (analysis pictures, renders, thumbnails) must
 * stay allocatable. */
#define AVE_MEDIA_MAX_DIMENSION 16384
/* The displayed picture (stored size times pixel shape) is at most 16
 * times as wide as it is tall, or as tall as it is wide. */
#define AVE_MEDIA_MAX_ASPECT    16.0
/* A jump forward in one stream's timestamps longer than this (seconds)
 * between two consecutive frames is damage, not a pause in the
 * recording: the stream ends there for the engine (docs/cli.md). */
#define AVE_MEDIA_MAX_TIMESTAMP_GAP 60.0

/* The engine reads and writes local files only.  These open FFmpeg
 * contexts with the "file" protocol alone (a name such as "pipe:1" or
 * "http://host/x" is a local file of that name) and, for input, only the
 * demuxers of self-contained recordings: no playlists, concat scripts,
 * image sequences or anything else that makes FFmpeg open other files or
 * addresses.  Both return an FFmpeg error code (0 or negative). */
int             _ave_media_open_input      (AVFormatContext          **fmt,
                                            const char                *path,
                                            const AVIOInterruptCB     *interrupt_cb);
/* Opens out->pb for writing `path`; `out` comes from
 * avformat_alloc_output_context2. */
int             _ave_media_open_output     (AVFormatContext           *out,
                                            const char                *path);
/* Whether _ave_media_open_input accepts files FFmpeg reads with `format`. */
gboolean        _ave_media_format_allowed  (const AVInputFormat       *format);

/* An opened, probed file. */
typedef struct
{
  AVFormatContext *fmt;
  AveMediaInfo    *info;
  int              video_index;   /* -1 when none */
  int              audio_index;   /* -1 when none */
  gint64           start_time_us; /* absolute, AV_TIME_BASE units */
} AveMediaFile;

/* Checks the path (exists, regular, non-empty, readable), opens it with
 * libavformat, reads stream parameters, chooses the video stream (never
 * cover art) and the audio stream, checks that their decoders exist, and
 * fills info.  interrupt_cb may be NULL.  Errors are AVE_MEDIA_ERROR with
 * a one-line message naming the file, the cause and what to do. */
gboolean        _ave_media_file_open       (AveMediaFile              *file,
                                            const char                *path,
                                            const AVIOInterruptCB     *interrupt_cb,
                                            GError                   **error);
void            _ave_media_file_close      (AveMediaFile              *file);

/* Containers without a frame table (Matroska, WebM, MPEG-TS…) give no
 * average rate to compare with; this reads the video packets in the middle
 * of the file to tell whether frames are evenly spaced, and sets
 * info->variable_frame_rate.  It moves the read position: returns TRUE
 * when it did, so the caller seeks back before reading. */
gboolean        _ave_media_file_sample_frame_rate (AveMediaFile       *file);

typedef enum
{
  AVE_DECODE_EXACT          = 0,
  /* pictures for analysis: no deblocking filter, FFmpeg's fast flags */
  AVE_DECODE_FAST           = 1 << 0,
  /* only the pictures other pictures are predicted from (H.264, HEVC and
   * MPEG-1/2/4 Part 2 decoders drop the rest without decoding them) */
  AVE_DECODE_REFERENCE_ONLY = 1 << 1,
} AveDecodeFlags;

/* Whether FFmpeg's decoder for `id` drops exactly the pictures no other
 * picture refers to with skip_frame = AVDISCARD_NONREF. */
gboolean        _ave_media_codec_drops_nonref (enum AVCodecID id);

/* A decoder that keeps the reference pictures only also decodes each key
 * picture's leading pictures (decoded after it, shown before it: HEVC's
 * RASL and RADL pictures, the B-frames before an open GOP's I-frame),
 * which are the pictures right before it: a cut on a key picture, where
 * encoders put one at a change of scene, is then seen against the
 * picture just before it, with nothing to decode again.  Not those of
 * the first key picture decoded (after opening or a seek), whose
 * references are missing.  Reset (zero) at each seek. */
typedef struct
{
  guint   keys_sent;
  gint64  last_key_pts;
} AveLeadingPictures;

/* The skip_frame for `pkt`, about to be sent to such a decoder. */
enum AVDiscard  _ave_media_reference_skip (AveLeadingPictures *leading,
                                           const AVPacket     *pkt);

/* The matrix of pictures with these properties: the tag, or untagged what
 * FFmpeg's own conversions assume (BT.709 from 1280x720 up, BT.601 below
 * and for JPEG's full-range pictures).  The probe and the decoder both
 * use it, so a stream's AveMediaInfo.matrix is its pictures'. */
AveColorMatrix  _ave_media_matrix_of (enum AVColorSpace  space,
                                      enum AVColorRange  range,
                                      int                format,
                                      int                width,
                                      int                height);

/* Opens a decoder for a stream chosen by _ave_media_file_open.  threads
 * 0 means FFmpeg's choice. */
AVCodecContext *_ave_media_open_decoder    (AveMediaFile              *file,
                                            int                        stream_index,
                                            int                        threads,
                                            AveDecodeFlags             flags,
                                            GError                   **error);

/* A file's name as messages show it. */
char           *_ave_media_display_name    (const char                *path);

/* Seconds of the end of the given packet relative to start_time, or -1
 * when the packet has no timestamp. */
double          _ave_media_packet_end      (AveMediaFile              *file,
                                            const AVPacket            *pkt);

/* Whether demuxing that stopped at `reached` seconds (relative to
 * start_time) ended before the announced end of the stream, or of the
 * whole file when stream_index is -1. */
gboolean        _ave_media_ended_early     (AveMediaFile              *file,
                                            int                        stream_index,
                                            double                     reached);

G_END_DECLS
