#define G_LOG_DOMAIN "ave-media-io"

#include "config.h"

#include <libavutil/avstring.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>

#include "media/ave-media-private.h"

/* Every FFmpeg open of the engine goes through here, so that what a file
 * says can never make FFmpeg reach the network, a pipe, or files the user
 * did not name (docs/cli.md, "Limits"). */

/* Only the file protocol: nested opens (a demuxer opening a file the
 * input names) inherit the list, so FFmpeg's own default for files
 * ("file,crypto,data") is narrowed too. */
#define LOCAL_PROTOCOLS "file"

/* Demuxers of single, self-contained recordings, sound files and still
 * pictures (card images).  Left out on purpose: playlists and scripts
 * that name other files or addresses (hls, dash, concat, sdp, rtsp, imf,
 * webm_dash_manifest), image2's sequences (a still is read by the *_pipe
 * demuxers; image2 is kept with its pattern matching off, below),
 * devices and text formats. */
static const char input_formats[] =
  /* video containers */
  "mov,matroska,webm,avi,mpegts,mpeg,flv,asf,ogg,mxf,dv,nut,gxf,wtv,rm,"
  /* raw video streams */
  "h264,hevc,m4v,mpegvideo,av1,obu,ivf,yuv4mpegpipe,mjpeg,"
  /* sound */
  "wav,w64,mp3,aac,flac,aiff,caf,ac3,eac3,dts,amr,au,wv,ape,tta,mpc,mpc8,"
  /* still pictures */
  "image2,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,tiff_pipe,gif,gif_pipe,apng";

static char *
local_url (const char *path)
{
  /* FFmpeg picks the protocol from the name ("pipe:1", "http://…"); the
   * file protocol takes "file:" off again and opens the rest as it is,
   * relative names included. */
  return g_strconcat ("file:", path, NULL);
}

gboolean
_ave_media_format_allowed (const AVInputFormat *format)
{
  return format != NULL && av_match_list (format->name, input_formats, ',') > 0;
}

int
_ave_media_open_input (AVFormatContext       **fmt,
                       const char             *path,
                       const AVIOInterruptCB  *interrupt_cb)
{
  g_autofree char *url = local_url (path);
  AVDictionary *options = NULL;
  AVFormatContext *ctx = avformat_alloc_context ();
  int ret;

  *fmt = NULL;
  if (ctx == NULL)
    return AVERROR (ENOMEM);
  if (interrupt_cb != NULL)
    ctx->interrupt_callback = *interrupt_cb;

  av_dict_set (&options, "protocol_whitelist", LOCAL_PROTOCOLS, 0);
  av_dict_set (&options, "format_whitelist", input_formats, 0);
  /* image2 would read "shot%03d.png" as a numbered sequence of files:
   * the name is one file. */
  av_dict_set (&options, "pattern_type", "none", 0);
  ret = avformat_open_input (&ctx, url, NULL, &options);
  av_dict_free (&options);
  /* avformat_open_input frees the context on failure. */
  if (ret < 0)
    return ret;
  *fmt = ctx;
  return 0;
}

int
_ave_media_open_output (AVFormatContext *out,
                        const char      *path)
{
  g_autofree char *url = local_url (path);
  AVDictionary *options = NULL;
  int ret;

  /* Muxers that reopen their output (faststart, fragments) use the
   * context's own name and list. */
  av_freep (&out->url);
  out->url = av_strdup (url);
  av_freep (&out->protocol_whitelist);
  out->protocol_whitelist = av_strdup (LOCAL_PROTOCOLS);
  if (out->url == NULL || out->protocol_whitelist == NULL)
    return AVERROR (ENOMEM);

  av_dict_set (&options, "protocol_whitelist", LOCAL_PROTOCOLS, 0);
  ret = avio_open2 (&out->pb, url, AVIO_FLAG_WRITE, &out->interrupt_callback, &options);
  av_dict_free (&options);
  return ret;
}

void
ave_media_set_ffmpeg_log (gboolean verbose)
{
  av_log_set_level (verbose ? AV_LOG_INFO : AV_LOG_QUIET);
}
