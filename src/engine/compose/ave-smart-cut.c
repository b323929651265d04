#define G_LOG_DOMAIN "ave-smart-cut"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "core/ave-error.h"
#include "media/ave-media.h"
#include "media/ave-media-private.h"
#include "ave-compose-private.h"
#include "ave-h264-rewrite.h"
#include "ave-smart-cut.h"
#include "ave-smart-cut-private.h"

/* How the smart cut keeps the output decodable (docs/composition.md,
 * "Smart cut", has the long version).
 *
 * Each piece of the plan shows the source's own frames with their own
 * timestamps, moved as one to where the piece starts in the output (the
 * composer's frame grid: the same start and end frames as a full render,
 * so the composer's sound, rendered on that grid, stays in sync).  A
 * variable frame rate, an irregular last frame or a join therefore changes
 * nothing: the packets keep the spacing the source gave them.
 *
 * Runs of a piece's frames that are the beginning of a GOP in decode
 * order (the keyframe and what follows it, no B-frame that shows after
 * the cut) are copied packet for packet.  A GOP is what starts at a
 * keyframe: an IDR or, in an open GOP, an I-frame the file marks as a
 * random access point; the "leading" pictures after such a keyframe in
 * decode order that show before it refer to the previous GOP, so they are
 * copied only where that GOP was copied up to its end, and are otherwise
 * encoded.  Everything else (frames between a cut and the next keyframe,
 * frames an edit list hides the keyframe of) is decoded from the nearest
 * keyframe before it and encoded (libx264, libx265 or FFmpeg's mpeg4,
 * as the source) at the fast mode preset;
 * only that piece, never the whole file.
 *
 * H.264: x264 cannot be made to write the source's SPS/PPS bit for bit, so it
 * writes its own under parameter-set ids the source does not use, and the
 * MP4's avcC lists both sets: every slice names its own PPS, and each
 * encoded run starts with an IDR.  The encoder runs without look-ahead or
 * B-frames (x264's zerolatency tune), so each frame's packet comes back at
 * once and copied and encoded packets interleave in order.
 *
 * HEVC: x265 writes its VPS/SPS/PPS under the source's ids, so the
 * output is 'hev1' and each run carries its own sets in the stream (a
 * copied CRA after encoded frames becomes a BLA).  MPEG-4 Part 2: each
 * run's I-VOP carries its VOL header.
 *
 * H.264 open GOPs (one IDR, then I-frames with recovery points): a copy
 * after encoded frames resumes at such an I-frame made an IDR, the
 * headers of the copied slices after it rewritten (ave-h264-rewrite.c:
 * frame_num and POC lsb renumbered, list modifications and memory
 * management commands remapped or left out, CABAC slice data copied as
 * it is).  index_packets follows the source's reference pictures through
 * the whole file and checks, for each such I-frame, that the output's
 * reference lists name the source's pictures until both decoders hold the
 * same ones; where it cannot (CAVLC, interlaced, long-term references...)
 * the piece is encoded to its end and the log line says why.  The source's
 * SPS/PPS are active at the new IDR from the avcC (x264's use other ids),
 * so none is repeated in the stream.
 *
 * Output timestamps are the source's in a time base SUBTICKS times finer:
 * where a copied GOP with B-frames follows another run, its first decode
 * times would fall before the previous run's last one, and are squeezed
 * into the sub-ticks between. */

#define SUBTICKS           16
/* The re-encoded frames sit between copied ones of the source's quality. */
#define REENCODE_MAX_CRF   18
/* Audio packets are written this far ahead of the video (interleaving). */
#define AUDIO_LEAD_SECONDS 0.5
/* Encoded pieces named in the log line that says why (the rest counted). */
#define MAX_NOTED_PIECES   8

typedef struct
{
  gint64  pts, dts;       /* source stream time base */
  gint32  display;        /* index in presentation order; -1: hidden by an edit list */
  gboolean key;           /* a random access point (IDR, or an open GOP's I-frame) */
  gboolean restart;       /* a copy may start here after encoded frames (H.264 IDR,
                           * HEVC IRAP, MPEG-4 Part 2 I-VOP) */
  gint32  idr_pic_id;     /* H.264 IDR: its idr_pic_id; -1 when not known */
} Packet;

typedef struct
{
  gint32 first_packet;    /* decode order index of its keyframe */
  gint32 n_packets;
  gint32 first_display;   /* the GOP shows [first_display, first_display + n_shown) */
  gint32 n_shown;
  gint32 key_display;     /* its keyframe's display index; -1 when hidden.  Frames
                           * before it in display order are leading pictures. */
  gboolean restart;       /* its keyframe is a Packet.restart */
  gint32  rewrite_state;  /* H.264 open GOP whose I-frame a copy may resume at, made
                           * an IDR: index in rewrite_states; -1 when it cannot */
  const char *rewrite_why; /* why it cannot (interned) */
} Gop;

typedef enum {
  CHUNK_COPY,
  CHUNK_ENCODE,
} ChunkKind;

typedef struct
{
  ChunkKind   kind;
  gint32      gop;           /* COPY: whose packets; ENCODE: where decoding starts */
  gint32      first_display; /* shows the source frames [first_display, + n_frames) */
  gint32      n_frames;
  gboolean    skip_leading;  /* COPY: without the GOP's leading pictures */
  gboolean    restart;       /* COPY: starts after frames that are not the source's */
  gboolean    rewrite;       /* COPY: starts at an open GOP's I-frame made an IDR */
  gint64      shift;         /* output pts = source pts * SUBTICKS + shift */
  gint32      segment_last;  /* the piece's last source frame */
  gint64      segment_end;   /* the piece's end, output time base */
  guint       segment;       /* plan index, for the notes */
  const char *why;           /* ENCODE: why it is not copied */
} Chunk;

struct _AveSmartCut
{
  char              *source_path;
  AveMediaInfo      *info;
  AvePlan           *plan;

  int                video_index;
  AVRational         time_base;
  AVRational         out_time_base; /* time_base / SUBTICKS */
  AVCodecParameters *par;
  guint8            *display_matrix;
  gsize              display_matrix_size;
  AVRational         fps;           /* nominal: the composer's grid */
  int                nal_length_size;
  gboolean           hevc;          /* else H.264 or MPEG-4 Part 2 */
  gboolean           mpeg4;         /* MPEG-4 Part 2: no NAL units */
  GByteArray        *hevc_parameter_sets; /* the source's VPS/SPS/PPS, 4-byte length-prefixed */
  gboolean           sps_used[32];
  AveH264Buffering   buffering;     /* the source's first SPS's, for x264's SPS */
  gboolean           buffering_known;
  AveHevcBuffering   hevc_buffering; /* the source's SPS's, for x265's VPS and SPS */
  gboolean           hevc_buffering_known;
  AveH264ParameterSets *h264_sets; /* the source's, for rewriting slice headers */
  GPtrArray         *h264_set_nals; /* GBytes: the avcC's SPS and PPS as they are */
  const char        *h264_why;     /* why no open GOP's I-frame can be made an IDR (interned) */
  GArray            *rewrite_states; /* AveH264Dpb: the source's references before each
                                      * Gop.rewrite_state's I-frame */
  gboolean           pps_used[256];

  GArray            *packets;      /* Packet, decode order */
  gint64            *display_pts;  /* by display index */
  gint64            *display_us;   /* the same in engine microseconds (relative to start_time) */
  gint32            *display_gop;
  gint32             n_frames_src;
  GArray            *gops;         /* Gop */
  GArray            *chunks;       /* Chunk, output order */
  gint64             n_frames;     /* output frames */
  gint64             grid_frames;  /* output duration on the composer's grid */
  gint64             frames_copied;
  gint64             frames_reencoded;
};

void
ave_smart_cut_free (AveSmartCut *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->chunks, g_array_unref);
  g_clear_pointer (&self->hevc_parameter_sets, g_byte_array_unref);
  g_clear_pointer (&self->gops, g_array_unref);
  g_clear_pointer (&self->rewrite_states, g_array_unref);
  g_free (self->h264_sets);
  g_clear_pointer (&self->h264_set_nals, g_ptr_array_unref);
  g_clear_pointer (&self->packets, g_array_unref);
  g_free (self->display_pts);
  g_free (self->display_us);
  g_free (self->display_gop);
  avcodec_parameters_free (&self->par);
  g_free (self->display_matrix);
  g_clear_object (&self->plan);
  g_clear_pointer (&self->info, ave_media_info_free);
  g_free (self->source_path);
  g_free (self);
}

typedef gboolean (*NalFunc) (const guint8 *nal, gsize size, gpointer data);

/* Calls `func` on each NAL unit of a length-prefixed (length_size > 0)
 * or Annex B (length_size == 0) buffer; FALSE when the buffer is malformed
 * or `func` says stop. */
static gboolean
for_each_nal (const guint8 *buf,
              gsize         size,
              int           length_size,
              NalFunc       func,
              gpointer      data)
{
  gsize pos = 0;

  if (length_size > 0)
    {
      while (pos + (gsize) length_size <= size)
        {
          gsize len = 0;
          for (int i = 0; i < length_size; i++)
            len = (len << 8) | buf[pos + (gsize) i];
          pos += (gsize) length_size;
          if (len == 0 || len > size - pos)
            return FALSE;
          if (!func (buf + pos, len, data))
            return FALSE;
          pos += len;
        }
      return pos == size;
    }

  /* Annex B: start codes 00 00 01 (or 00 00 00 01) */
  while (pos + 3 <= size && !(buf[pos] == 0 && buf[pos + 1] == 0 && buf[pos + 2] == 1))
    pos++;
  while (pos + 3 <= size)
    {
      gsize start = pos + 3, end = start;

      while (end + 3 <= size && !(buf[end] == 0 && buf[end + 1] == 0 && (buf[end + 2] == 1 ||
                                  (buf[end + 2] == 0 && end + 3 < size && buf[end + 3] == 1))))
        end++;
      if (end + 3 > size)
        end = size;
      pos = end;
      /* trailing zero bytes belong to the next start code */
      while (end > start && buf[end - 1] == 0)
        end--;
      if (end > start && !func (buf + start, end - start, data))
        return FALSE;
      while (pos + 3 <= size && !(buf[pos] == 0 && buf[pos + 1] == 0 && buf[pos + 2] == 1))
        pos++;
    }
  return TRUE;
}

static gboolean
find_idr (const guint8 *nal,
          gsize         size,
          gpointer      data)
{
  (void) size;
  if ((nal[0] & 0x1f) == 5)
    *(gboolean *) data = TRUE;
  return TRUE;
}

/* The bit offset of the low_delay flag in the first MPEG-4 Part 2 VOL
 * header of `buf` (ISO/IEC 14496-2, 6.2.3), -1 when there is none. */
static gssize
mpeg4_low_delay_bit (const guint8 *buf,
                     gsize         size)
{
  for (gsize i = 0; i + 4 < size; i++)
    if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1 && (buf[i + 3] & 0xf0) == 0x20)
      {
        gsize bit = (i + 4) * 8, end = size * 8;
#define BIT(n) ((buf[(n) / 8] >> (7 - (n) % 8)) & 1)
        bit += 1 + 8;                         /* random_accessible_vol, type */
        if (bit >= end)
          return -1;
        bit++;
        if (BIT (bit - 1))                    /* is_object_layer_identifier */
          bit += 4 + 3;
        if (bit + 4 > end)
          return -1;
        if (((BIT (bit) << 3) | (BIT (bit + 1) << 2) | (BIT (bit + 2) << 1) | BIT (bit + 3)) == 0xf)
          bit += 16;                          /* extended PAR */
        bit += 4;
        if (bit + 4 > end || !BIT (bit))      /* vol_control_parameters */
          return -1;
        return (gssize) (bit + 1 + 2);        /* after chroma_format */
#undef BIT
      }
  return -1;
}

/* HEVC: any IRAP picture (IDR, CRA, BLA) starts decoding afresh; a CRA
 * after foreign frames is made a BLA (see copy_chunk). */
static gboolean
find_irap (const guint8 *nal,
           gsize         size,
           gpointer      data)
{
  int type = (nal[0] >> 1) & 0x3f;

  if (size >= 2 && type >= 16 && type <= 23)
    *(gboolean *) data = TRUE;
  return TRUE;
}

/* HEVC NAL units as 4-byte length-prefixed ones, without access unit
 * delimiters; parameter sets stay in the stream (the output is 'hev1'). */
static gboolean
append_length_prefixed_hevc (const guint8 *nal,
                             gsize         size,
                             gpointer      data)
{
  GByteArray *out = data;
  guint8 len[4] = { size >> 24, size >> 16, size >> 8, size };

  if (size < 2 || ((nal[0] >> 1) & 0x3f) == 35)
    return TRUE;
  g_byte_array_append (out, len, 4);
  g_byte_array_append (out, nal, (guint) size);
  return TRUE;
}

/* The same, with a CRA's slices marked BLA_N_LP: its leading pictures
 * are left out and the decoder starts afresh. */
static gboolean
append_as_bla (const guint8 *nal,
               gsize         size,
               gpointer      data)
{
  GByteArray *out = data;
  guint before = out->len;

  if (!append_length_prefixed_hevc (nal, size, data))
    return FALSE;
  if (out->len > before && ((nal[0] >> 1) & 0x3f) == 21)
    out->data[before + 4] = (guint8) ((out->data[before + 4] & 0x81) | (18 << 1));
  return TRUE;
}

/* Appends NAL units as 4-byte length-prefixed ones, leaving out SPS and
 * PPS (the avcC carries them) and access unit delimiters. */
static gboolean
append_length_prefixed (const guint8 *nal,
                        gsize         size,
                        gpointer      data)
{
  GByteArray *out = data;
  int type = nal[0] & 0x1f;
  guint8 len[4] = { size >> 24, size >> 16, size >> 8, size };

  if (type == 7 || type == 8 || type == 9)
    return TRUE;
  g_byte_array_append (out, len, 4);
  g_byte_array_append (out, nal, (guint) size);
  return TRUE;
}

typedef struct
{
  GPtrArray *sps, *pps;   /* GBytes */
} ParameterSets;

static gboolean
collect_parameter_sets (const guint8 *nal,
                        gsize         size,
                        gpointer      data)
{
  ParameterSets *sets = data;
  int type = nal[0] & 0x1f;

  if (type == 7)
    g_ptr_array_add (sets->sps, g_bytes_new (nal, size));
  else if (type == 8)
    g_ptr_array_add (sets->pps, g_bytes_new (nal, size));
  return TRUE;
}

/* The source's avcC: SPS/PPS lists and what follows them. */
static gboolean
parse_avcc (const guint8  *avcc,
            gsize          size,
            ParameterSets *sets,
            gsize         *tail_offset)
{
  gsize pos = 6;
  int n_sps, n_pps;

  if (size < 7 || avcc[0] != 1)
    return FALSE;
  n_sps = avcc[5] & 0x1f;
  for (int i = 0; i < n_sps; i++)
    {
      gsize len;
      if (pos + 2 > size)
        return FALSE;
      len = (gsize) avcc[pos] << 8 | avcc[pos + 1];
      if (len == 0 || pos + 2 + len > size)
        return FALSE;
      g_ptr_array_add (sets->sps, g_bytes_new (avcc + pos + 2, len));
      pos += 2 + len;
    }
  if (pos + 1 > size)
    return FALSE;
  n_pps = avcc[pos++];
  for (int i = 0; i < n_pps; i++)
    {
      gsize len;
      if (pos + 2 > size)
        return FALSE;
      len = (gsize) avcc[pos] << 8 | avcc[pos + 1];
      if (len == 0 || pos + 2 + len > size)
        return FALSE;
      g_ptr_array_add (sets->pps, g_bytes_new (avcc + pos + 2, len));
      pos += 2 + len;
    }
  *tail_offset = pos;
  return n_sps > 0 && n_pps > 0;
}

/* ave-smart-cut-private.h: the readers above, for the fuzz harness. */
gboolean
_ave_smart_cut_for_each_nal (const guint8 *buf,
                             gsize         size,
                             int           length_size,
                             AveNalFunc    func,
                             gpointer      data)
{
  return for_each_nal (buf, size, length_size, func, data);
}

gboolean
_ave_smart_cut_parse_avcc (const guint8 *avcc,
                           gsize         size,
                           GPtrArray    *sps,
                           GPtrArray    *pps,
                           gsize        *tail_offset)
{
  ParameterSets sets = { sps, pps };

  return parse_avcc (avcc, size, &sets, tail_offset);
}

int
_ave_smart_cut_parameter_set_id (const guint8 *nal,
                                 gsize         size)
{
  return _ave_h264_parameter_set_id (nal, size);
}

static void
append_parameter_sets (GByteArray *out,
                       GPtrArray  *list)
{
  for (guint i = 0; i < list->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (list, i), &len);
      guint8 head[2] = { len >> 8, len };

      g_byte_array_append (out, head, 2);
      g_byte_array_append (out, nal, (guint) len);
    }
}

/* ------------------------------------------------------------ prepare */

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static gint32
display_of_pts (AveSmartCut *self,
                gint64       pts)
{
  gint64 *hit = bsearch (&pts, self->display_pts, (gsize) self->n_frames_src,
                         sizeof (gint64), compare_gint64);
  return hit != NULL ? (gint32) (hit - self->display_pts) : -1;
}

/* The source frame the composer shows for source time `t`: the last one
 * starting no later than half an output frame after t (reader_pick_video). */
static gint32
pick_display (AveSmartCut *self,
              double       t)
{
  gint64 limit = (gint64) floor ((t + 0.5 / av_q2d (self->fps)) * AV_TIME_BASE) - 1;
  gint32 lo = 0, hi = self->n_frames_src;   /* first index with time > limit */

  while (lo < hi)
    {
      gint32 mid = lo + (hi - lo) / 2;
      if (self->display_us[mid] <= limit)
        lo = mid + 1;
      else
        hi = mid;
    }
  return MAX (lo - 1, 0);
}

static gboolean
check_plan (AvePlan  *plan,
            char    **reason)
{
  gboolean first = TRUE;

  if (ave_plan_get_n_cards (plan) > 0)
    {
      *reason = g_strdup ("the plan has cards");
      return FALSE;
    }
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (plan, i);

      if (!seg->enabled)
        continue;
      /* The first segment's transition is never played. */
      if (!first && seg->transition != AVE_TRANSITION_CUT)
        {
          *reason = g_strdup_printf ("segment %u begins with a %s", i,
                                     seg->transition == AVE_TRANSITION_FADE ? "fade" : "crossfade");
          return FALSE;
        }
      first = FALSE;
    }
  return TRUE;
}

/* The hvcC's parameter-set arrays as 4-byte length-prefixed NAL units;
 * NULL when malformed or without VPS, SPS and PPS. */
static gboolean
find_hevc_buffering (const guint8 *nal,
                     gsize         size,
                     gpointer      data)
{
  AveSmartCut *self = data;

  if (size >= 2 && ((nal[0] >> 1) & 0x3f) == 33 && !self->hevc_buffering_known)
    self->hevc_buffering_known = _ave_hevc_buffering (nal, size, &self->hevc_buffering);
  return TRUE;
}

static GByteArray *
parse_hvcc (const guint8 *hvcc,
            gsize         size)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize pos = 23;
  guint found = 0;

  if (size < 23 || hvcc[0] != 1)
    return NULL;
  for (int a = 0, n_arrays = hvcc[22]; a < n_arrays; a++)
    {
      int type, n;

      if (pos + 3 > size)
        return NULL;
      type = hvcc[pos] & 0x3f;
      n = hvcc[pos + 1] << 8 | hvcc[pos + 2];
      pos += 3;
      for (int i = 0; i < n; i++)
        {
          gsize len;
          guint8 head[4];

          if (pos + 2 > size)
            return NULL;
          len = (gsize) hvcc[pos] << 8 | hvcc[pos + 1];
          if (len < 2 || pos + 2 + len > size)
            return NULL;
          if (type >= 32 && type <= 34)
            {
              head[0] = 0; head[1] = 0; head[2] = (guint8) (len >> 8); head[3] = (guint8) len;
              g_byte_array_append (out, head, 4);
              g_byte_array_append (out, hvcc + pos + 2, (guint) len);
              found |= 1u << (type - 32);
            }
          pos += 2 + len;
        }
    }
  return found == 7 ? g_steal_pointer (&out) : NULL;
}

/* ave-smart-cut-private.h: the HEVC and MPEG-4 readers, for the fuzz harness. */
GByteArray *
_ave_smart_cut_parse_hvcc (const guint8 *hvcc,
                           gsize         size)
{
  return parse_hvcc (hvcc, size);
}

gssize
_ave_smart_cut_mpeg4_low_delay_bit (const guint8 *buf,
                                    gsize         size)
{
  return mpeg4_low_delay_bit (buf, size);
}

/* HEVC: Main profile (8-bit 4:2:0) in an hvcC with 4-byte NAL lengths. */
static gboolean
check_hevc_stream (AveSmartCut             *self,
                   const AVCodecParameters *par,
                   char                   **reason)
{
  if (par->format != AV_PIX_FMT_YUV420P && par->format != AV_PIX_FMT_YUVJ420P)
    {
      *reason = g_strdup_printf ("the video's pixel format is %s, not 8-bit 4:2:0",
                                 par->format >= 0 ? av_get_pix_fmt_name (par->format) : "unknown");
      return FALSE;
    }
  if (par->profile != FF_PROFILE_HEVC_MAIN && par->profile != FF_PROFILE_UNKNOWN)
    {
      *reason = g_strdup_printf ("the HEVC profile %d is not Main", par->profile);
      return FALSE;
    }
  if (par->field_order != AV_FIELD_PROGRESSIVE && par->field_order != AV_FIELD_UNKNOWN)
    {
      *reason = g_strdup ("the video is interlaced");
      return FALSE;
    }
  if (par->extradata == NULL ||
      (self->hevc_parameter_sets = parse_hvcc (par->extradata, (gsize) par->extradata_size)) == NULL)
    {
      *reason = g_strdup ("the HEVC stream carries no hvcC parameter sets (e.g. MPEG-TS)");
      return FALSE;
    }
  self->nal_length_size = (par->extradata[21] & 3) + 1;
  if (self->nal_length_size != 4)
    {
      *reason = g_strdup_printf ("the HEVC stream uses %d-byte NAL lengths", self->nal_length_size);
      return FALSE;
    }
  for_each_nal (self->hevc_parameter_sets->data, self->hevc_parameter_sets->len, 4, find_hevc_buffering, self);
  self->hevc = TRUE;
  return TRUE;
}

static gboolean
check_stream (AveSmartCut     *self,
              AVFormatContext *fmt,
              char           **reason)
{
  AVStream *st = fmt->streams[self->video_index];
  const AVCodecParameters *par = st->codecpar;
  g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ParameterSets sets = { sps, pps };
  gsize tail;
  const guint8 *side;
  size_t side_size = 0;

  if (par->codec_id == AV_CODEC_ID_MPEG4)
    {
      /* VOPs: each I-VOP starts afresh; the VOL header (extradata) is
       * repeated before copied runs that follow encoded ones. */
      if (par->format != AV_PIX_FMT_YUV420P)
        {
          *reason = g_strdup_printf ("the video's pixel format is %s, not 8-bit 4:2:0",
                                     par->format >= 0 ? av_get_pix_fmt_name (par->format) : "unknown");
          return FALSE;
        }
      if (par->extradata == NULL || par->extradata_size < 4)
        {
          *reason = g_strdup ("the MPEG-4 Part 2 stream has no VOL header");
          return FALSE;
        }
      self->mpeg4 = TRUE;
      goto common;
    }
  if (par->codec_id == AV_CODEC_ID_HEVC)
    {
      if (!check_hevc_stream (self, par, reason))
        return FALSE;
      goto common;
    }
  if (par->codec_id != AV_CODEC_ID_H264)
    {
      *reason = g_strdup_printf ("the video is %s, not H.264, HEVC or MPEG-4 Part 2", avcodec_get_name (par->codec_id));
      return FALSE;
    }
  if (par->format != AV_PIX_FMT_YUV420P && par->format != AV_PIX_FMT_YUVJ420P)
    {
      *reason = g_strdup_printf ("the video's pixel format is %s, not 8-bit 4:2:0",
                                 par->format >= 0 ? av_get_pix_fmt_name (par->format) : "unknown");
      return FALSE;
    }
  if (par->profile != FF_PROFILE_H264_BASELINE && par->profile != FF_PROFILE_H264_CONSTRAINED_BASELINE &&
      par->profile != FF_PROFILE_H264_MAIN && par->profile != FF_PROFILE_H264_HIGH)
    {
      *reason = g_strdup_printf ("the H.264 profile %d has no libx264 match", par->profile);
      return FALSE;
    }
  if (par->field_order != AV_FIELD_PROGRESSIVE && par->field_order != AV_FIELD_UNKNOWN)
    {
      *reason = g_strdup ("the video is interlaced");
      return FALSE;
    }
  if (par->extradata == NULL || !parse_avcc (par->extradata, (gsize) par->extradata_size, &sets, &tail))
    {
      *reason = g_strdup ("the H.264 stream carries no avcC parameter sets (e.g. MPEG-TS)");
      return FALSE;
    }
  self->nal_length_size = (par->extradata[4] & 3) + 1;
  if (self->nal_length_size == 3)
    {
      *reason = g_strdup ("the H.264 stream uses 3-byte NAL lengths");
      return FALSE;
    }
  for (guint i = 0; i < sps->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (sps, i), &len);
      int id = _ave_h264_parameter_set_id (nal, len);
      if (id >= 0 && id < 32)
        self->sps_used[id] = TRUE;
      if (i == 0)
        self->buffering_known = _ave_h264_sps_buffering (nal, len, &self->buffering);
    }
  for (guint i = 0; i < pps->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (pps, i), &len);
      int id = _ave_h264_parameter_set_id (nal, len);
      if (id >= 0 && id < 256)
        self->pps_used[id] = TRUE;
    }
  /* What the slice headers need to be read, for copies that resume at
   * an open GOP's I-frame; a set the rewriter does not handle (CAVLC,
   * interlaced, ...) keeps those I-frames encoded, and says why. */
  self->h264_sets = g_new0 (AveH264ParameterSets, 1);
  self->h264_set_nals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint k = 0; k < sps->len + pps->len && self->h264_why == NULL; k++)
    {
      GBytes *set = g_ptr_array_index (k < sps->len ? sps : pps, k < sps->len ? k : k - sps->len);
      gsize len;
      const guint8 *nal = g_bytes_get_data (set, &len);
      const char *why = NULL;

      if (!_ave_h264_add_parameter_set (self->h264_sets, nal, len, &why))
        self->h264_why = g_intern_string (why);
      g_ptr_array_add (self->h264_set_nals, g_bytes_ref (set));
    }

common:
  self->par = avcodec_parameters_alloc ();
  avcodec_parameters_copy (self->par, par);
  self->time_base = st->time_base;
  if (st->time_base.num <= 0 || st->time_base.den <= 0 || st->time_base.den > G_MAXINT / SUBTICKS)
    {
      *reason = g_strdup_printf ("the video's time base %d/%d is unusable", st->time_base.num, st->time_base.den);
      return FALSE;
    }
  self->out_time_base = av_make_q (st->time_base.num, st->time_base.den * SUBTICKS);
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  side = av_stream_get_side_data (st, AV_PKT_DATA_DISPLAYMATRIX, &side_size);
G_GNUC_END_IGNORE_DEPRECATIONS
  if (side != NULL && side_size > 0)
    {
      self->display_matrix = g_memdup2 (side, side_size);
      self->display_matrix_size = side_size;
    }
  return TRUE;
}

/* ------------------------------------------------------ open GOPs */

typedef struct
{
  AveH264ParameterSets *sets;
  GPtrArray            *set_nals; /* GBytes */
  GArray               *slices;   /* AveH264SliceHeader */
  GByteArray           *scratch;
  const char           *why;
} SliceScan;

/* Collects the slice headers of one H.264 packet. */
static gboolean
scan_slices (const guint8 *nal,
             gsize         size,
             gpointer      data)
{
  SliceScan *scan = data;
  int type = nal[0] & 0x1f;

  if (type == 1 || type == 5)
    {
      AveH264SliceHeader h;

      if (!_ave_h264_parse_slice_header (scan->sets, nal, size, scan->scratch, &h, &scan->why))
        return FALSE;
      g_array_append_val (scan->slices, h);
    }
  else if (type == 7 || type == 8)
    {
      /* parameter sets in the stream: only the avcC's again, byte for
       * byte (a resumed copy leaves them out: the avcC's are active) */
      gboolean known = FALSE;

      for (guint i = 0; i < scan->set_nals->len && !known; i++)
        {
          gsize len;
          const guint8 *set = g_bytes_get_data (g_ptr_array_index (scan->set_nals, i), &len);

          known = len == size && memcmp (set, nal, size) == 0;
        }
      if (!known)
        {
          scan->why = "the stream changes its parameter sets";
          return FALSE;
        }
    }
  else if (type >= 2 && type <= 4)
    {
      scan->why = "the stream uses data partitioning";
      return FALSE;
    }
  else if (type == 20)
    {
      scan->why = "the stream has MVC/SVC extensions";
      return FALSE;
    }
  return TRUE;
}

static gboolean
scan_packet (AveSmartCut          *self,
             const guint8         *data,
             gsize                 size,
             int                   length_size,
             GArray               *slices,
             GByteArray           *scratch,
             const char          **why)
{
  SliceScan scan = { self->h264_sets, self->h264_set_nals, slices, scratch, NULL };

  g_array_set_size (slices, 0);
  if (!for_each_nal (data, size, length_size, scan_slices, &scan))
    {
      *why = scan.why != NULL ? scan.why : "a video packet is malformed";
      return FALSE;
    }
  if (slices->len == 0)
    {
      *why = "a video packet holds no picture";
      return FALSE;
    }
  return TRUE;
}

/* A copy resuming at an open GOP's I-frame, checked on the source's
 * headers while the packets are indexed (every copy that starts there
 * takes a beginning of the same pictures: the I-frame, the GOP without
 * its leading pictures, then the following GOPs whole). */
typedef struct
{
  gint32          gop;
  gint64          key_pts;
  AveH264Rewriter rw;
} Resume;

typedef struct
{
  AveH264Dpb  dpb;          /* the source's decoder */
  GArray     *resumes;      /* Resume, being checked */
  GArray     *slices, *rewritten;
  GByteArray *scratch;
} ReferenceTracker;

static void
track_stop (AveSmartCut      *self,
            ReferenceTracker *t,
            const char       *why)
{
  self->h264_why = g_intern_string (why);
  g_array_set_size (t->resumes, 0);
}

/* Follows packet `index` (just indexed) through the source's decoder and
 * every copy being checked. */
static void
track_references (AveSmartCut      *self,
                  ReferenceTracker *t,
                  const AVPacket   *pkt,
                  gint32            index,
                  gboolean          hidden)
{
  Packet *p = &g_array_index (self->packets, Packet, index);
  gint32 g = (gint32) self->gops->len - 1;
  const char *why = NULL;

  if (self->h264_why != NULL)
    return;
  if (!scan_packet (self, pkt->data, (gsize) pkt->size, self->nal_length_size,
                    t->slices, t->scratch, &why))
    {
      track_stop (self, t, why);
      return;
    }
  if (p->restart)
    {
      /* the source's own IDR: a copy that got here goes on unchanged */
      p->idr_pic_id = (gint32) g_array_index (t->slices, AveH264SliceHeader, 0).idr_pic_id;
      g_array_set_size (t->resumes, 0);
    }
  else if (p->key)
    {
      Gop *gop = &g_array_index (self->gops, Gop, g);
      Resume resume = { .gop = g, .key_pts = p->pts };

      if (self->rewrite_states == NULL)
        self->rewrite_states = g_array_new (FALSE, FALSE, sizeof (AveH264Dpb));
      gop->rewrite_state = (gint32) self->rewrite_states->len;
      g_array_append_val (self->rewrite_states, t->dpb);
      _ave_h264_rewriter_init (&resume.rw, &t->dpb, 0);
      g_array_append_val (t->resumes, resume);
    }

  g_array_set_size (t->rewritten, t->slices->len);
  for (guint i = 0; i < t->resumes->len; )
    {
      Resume *resume = &g_array_index (t->resumes, Resume, i);
      gboolean ok;

      why = "a picture is hidden by the edit list";
      if (resume->gop == g && p->pts < resume->key_pts)
        ok = !hidden && _ave_h264_rewriter_skip (&resume->rw, self->h264_sets,
                                                 &g_array_index (t->slices, AveH264SliceHeader, 0),
                                                 index, &why);
      else
        ok = !hidden && _ave_h264_rewriter_picture (&resume->rw, self->h264_sets,
                                                    (const AveH264SliceHeader *) t->slices->data,
                                                    (int) t->slices->len, index,
                                                    (AveH264SliceHeader *) t->rewritten->data, &why);
      if (!ok)
        {
          Gop *gop = &g_array_index (self->gops, Gop, resume->gop);

          gop->rewrite_state = -1;
          gop->rewrite_why = g_intern_string (why);
        }
      /* converged: from here on the copy only renumbers */
      if (!ok || resume->rw.converged)
        g_array_remove_index (t->resumes, i);
      else
        i++;
    }

  if (!_ave_h264_dpb_decode (&t->dpb, self->h264_sets, &g_array_index (t->slices, AveH264SliceHeader, 0),
                             index, NULL, &why))
    track_stop (self, t, why);
}

/* Reads the video packets once (no decoding): timestamps, keyframes, GOPs. */
static gboolean
index_packets (AveSmartCut     *self,
               AVFormatContext *fmt,
               char           **reason)
{
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) hidden = g_array_new (FALSE, FALSE, sizeof (gboolean));
  AVPacket *pkt = av_packet_alloc ();
  gint64 start_us = (gint64) llround (self->info->start_time * AV_TIME_BASE);
  gint32 shown_end = 0;
  gboolean ok = TRUE;
  int ret;
  ReferenceTracker tracker = { .resumes = g_array_new (FALSE, FALSE, sizeof (Resume)),
                               .slices = g_array_new (FALSE, FALSE, sizeof (AveH264SliceHeader)),
                               .rewritten = g_array_new (FALSE, FALSE, sizeof (AveH264SliceHeader)),
                               .scratch = g_byte_array_new () };

  for (unsigned i = 0; i < fmt->nb_streams; i++)
    if ((int) i != self->video_index)
      fmt->streams[i]->discard = AVDISCARD_ALL;

  self->packets = g_array_new (FALSE, FALSE, sizeof (Packet));
  self->gops = g_array_new (FALSE, FALSE, sizeof (Gop));

  while (ok && (ret = av_read_frame (fmt, pkt)) >= 0)
    {
      Packet p = { .display = -1, .idr_pic_id = -1 };
      gboolean idr = FALSE;
      /* An edit list that starts inside a GOP: the frames before its start
       * are decoded (others refer to them) but never shown. */
      gboolean discard = (pkt->flags & AV_PKT_FLAG_DISCARD) != 0;

      if (pkt->stream_index != self->video_index)
        {
          av_packet_unref (pkt);
          continue;
        }
      if (pkt->pts == AV_NOPTS_VALUE || pkt->dts == AV_NOPTS_VALUE)
        {
          *reason = g_strdup ("video packets without timestamps");
          ok = FALSE;
        }
      else if (pkt->flags & AV_PKT_FLAG_CORRUPT)
        {
          *reason = g_strdup ("the file marks video frames as damaged");
          ok = FALSE;
        }
      else if (self->mpeg4)
        idr = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      else if (!for_each_nal (pkt->data, (gsize) pkt->size, self->nal_length_size,
                              self->hevc ? find_irap : find_idr, &idr))
        {
          *reason = g_strdup_printf ("a video packet is not valid length-prefixed %s", self->hevc ? "HEVC" : "H.264");
          ok = FALSE;
        }
      else if (self->packets->len == 0 && !idr && !(pkt->flags & AV_PKT_FLAG_KEY))
        {
          *reason = g_strdup ("the video does not start with a keyframe");
          ok = FALSE;
        }
      if (ok)
        {
          p.pts = pkt->pts;
          p.dts = pkt->dts;
          p.key = idr || (pkt->flags & AV_PKT_FLAG_KEY) != 0;
          p.restart = idr;
          if (p.key)
            {
              Gop g = { .first_packet = (gint32) self->packets->len, .key_display = -1,
                        .rewrite_state = -1 };
              g_array_append_val (self->gops, g);
            }
          g_array_index (self->gops, Gop, self->gops->len - 1).n_packets++;
          g_array_append_val (self->packets, p);
          g_array_append_val (hidden, discard);
          if (self->h264_sets != NULL)
            track_references (self, &tracker, pkt, (gint32) self->packets->len - 1, discard);
          if (!discard)
            g_array_append_val (pts, p.pts);
        }
      av_packet_unref (pkt);
    }
  av_packet_free (&pkt);
  g_array_unref (tracker.resumes);
  g_array_unref (tracker.slices);
  g_array_unref (tracker.rewritten);
  g_byte_array_unref (tracker.scratch);
  if (!ok)
    return FALSE;
  /* copies that reached the end of the file unrefuted are fine; a
   * stream the decoder could not be followed through has none */
  for (guint g = 0; g < self->gops->len; g++)
    {
      Gop *gop = &g_array_index (self->gops, Gop, g);

      if (self->h264_why != NULL)
        gop->rewrite_state = -1;
      if (gop->rewrite_state < 0 && gop->rewrite_why == NULL)
        gop->rewrite_why = self->h264_why;
    }
  if (pts->len < 2)
    {
      *reason = g_strdup ("the video has fewer than two frames");
      return FALSE;
    }

  /* Presentation order.  The frame rate may vary: frames keep their own
   * times, the grid only says where pieces start and end. */
  g_array_sort (pts, compare_gint64);
  self->n_frames_src = (gint32) pts->len;
  self->display_pts = g_memdup2 (pts->data, pts->len * sizeof (gint64));
  self->display_us = g_new (gint64, pts->len);
  self->display_gop = g_new (gint32, pts->len);
  for (guint k = 0; k < pts->len; k++)
    {
      self->display_us[k] = av_rescale_q (self->display_pts[k], self->time_base, AV_TIME_BASE_Q) - start_us;
      if (k > 0 && self->display_pts[k] == self->display_pts[k - 1])
        {
          *reason = g_strdup ("two video frames share a timestamp");
          return FALSE;
        }
    }
  for (guint i = 0; i < self->packets->len; i++)
    {
      Packet *p = &g_array_index (self->packets, Packet, i);
      if (!g_array_index (hidden, gboolean, i))
        p->display = display_of_pts (self, p->pts);
    }

  /* Each GOP shows a contiguous run of frames, after the previous GOP's:
   * its leading pictures (open GOP) just before its keyframe. */
  for (guint g = 0; g < self->gops->len; g++)
    {
      Gop *gop = &g_array_index (self->gops, Gop, g);
      gint32 lo = G_MAXINT32, hi = -1;

      gop->key_display = g_array_index (self->packets, Packet, gop->first_packet).display;
      gop->restart = g_array_index (self->packets, Packet, gop->first_packet).restart;
      for (gint32 i = 0; i < gop->n_packets; i++)
        {
          gint32 d = g_array_index (self->packets, Packet, gop->first_packet + i).display;
          if (d < 0)
            continue;
          lo = MIN (lo, d);
          hi = MAX (hi, d);
          self->display_gop[d] = (gint32) g;
          gop->n_shown++;
        }
      gop->first_display = gop->n_shown > 0 ? lo : shown_end;
      if (gop->n_shown > 0 && (lo != shown_end || hi - lo + 1 != gop->n_shown))
        {
          *reason = g_strdup_printf ("the frames of GOP %u show among another GOP's", g);
          return FALSE;
        }
      shown_end += gop->n_shown;
    }
  return TRUE;
}

static void
push_chunk (AveSmartCut *self,
            const Chunk *proto,
            ChunkKind    kind,
            gint32       gop,
            gint32       first,
            gint32       n,
            gboolean     skip_leading,
            const char  *why)
{
  Chunk chunk = *proto;
  Chunk *last = self->chunks->len > 0 ? &g_array_index (self->chunks, Chunk, self->chunks->len - 1) : NULL;

  /* Frames to encode right after others of the same piece (an open GOP's
   * leading pictures, then its I-frame, GOP after GOP): one run, decoded
   * on from where the first started, rather than each from its own
   * keyframe (which decoded every GOP of the run twice). */
  if (kind == CHUNK_ENCODE && last != NULL && last->kind == CHUNK_ENCODE &&
      last->segment == proto->segment && last->first_display + last->n_frames == first)
    {
      /* the line says why the run goes on, too (an I-frame not copied) */
      if (why != NULL && last->why != NULL && strstr (last->why, why) == NULL)
        {
          g_autofree char *both = g_strdup_printf ("%s, then %s", last->why, why);
          last->why = g_intern_string (both);
        }
      last->n_frames += n;
      self->frames_reencoded += n;
      self->n_frames += n;
      return;
    }
  chunk.kind = kind;
  chunk.gop = gop;
  chunk.first_display = first;
  chunk.n_frames = n;
  chunk.skip_leading = skip_leading;
  chunk.why = why;
  if (kind == CHUNK_COPY)
    self->frames_copied += n;
  else
    self->frames_reencoded += n;
  self->n_frames += n;
  g_array_append_val (self->chunks, chunk);
}

/* How many of the frames [start, start + n) the GOP's packets hold as a
 * prefix in decode order (leading pictures left out when asked): those
 * can be copied without a picture from after them. */
static gint32
copyable_prefix (AveSmartCut *self,
                 const Gop   *gop,
                 gint32       start,
                 gint32       n,
                 gboolean     skip_leading)
{
  gint32 m = 0, best = 0, last = -1;

  for (gint32 i = 0; i < gop->n_packets && m < n; i++)
    {
      gint32 d = g_array_index (self->packets, Packet, gop->first_packet + i).display;

      if (skip_leading && d >= 0 && d < gop->key_display)
        continue;
      if (d < start)     /* hidden, or shown before the piece */
        break;
      last = MAX (last, d);
      m++;
      if (last < start + m)
        best = m;
    }
  return best;
}

/* The GOP decoding starts at to show frame d: its own, or for a leading
 * picture the one before (whose pictures it refers to). */
static gint32
decode_start (AveSmartCut *self,
              gint32       d)
{
  gint32 g = self->display_gop[d];
  const Gop *gop = &g_array_index (self->gops, Gop, g);

  return g > 0 && gop->key_display >= 0 && d < gop->key_display ? g - 1 : g;
}

/* Chunks for the frames [a, a + n) of one piece, all in GOP g. */
static void
add_run (AveSmartCut *self,
         const Chunk *proto,
         gint32       g,
         gint32       a,
         gint32       n)
{
  const Gop *gop = &g_array_index (self->gops, Gop, g);
  const Chunk *last = self->chunks->len > 0
    ? &g_array_index (self->chunks, Chunk, self->chunks->len - 1) : NULL;
  /* the source's own frames up to here: its references are all there */
  gboolean continuous = last != NULL && last->kind == CHUNK_COPY && last->segment == proto->segment &&
                        last->first_display + last->n_frames == a;
  gint32 end = a + n, pos = a, m;

  if (gop->key_display < 0)
    {
      push_chunk (self, proto, CHUNK_ENCODE, g, a, n, FALSE,
                  "the file's edit list hides the keyframe before it");
      return;
    }
  if (pos < gop->key_display)
    {
      /* Leading pictures of an open GOP: copied only after the previous
       * GOP's frames were copied up to here (they refer to them). */
      gint32 stop = MIN (end, gop->key_display);

      if (pos == gop->first_display && continuous &&
          (m = copyable_prefix (self, gop, pos, end - pos, FALSE)) > 0)
        {
          push_chunk (self, proto, CHUNK_COPY, g, pos, m, FALSE, NULL);
          pos += m;
        }
      if (pos < stop)
        {
          push_chunk (self, proto, CHUNK_ENCODE, decode_start (self, pos), pos, stop - pos, FALSE,
                      "the open GOP's leading pictures refer to frames before the cut");
          pos = stop;
        }
    }
  /* A copy starts at an IDR, or goes on from the source's previous
   * frames, or (H.264) starts at an open GOP's I-frame made an IDR, its
   * followers' headers renumbered (ave-h264-rewrite.c; the check that
   * this names the source's pictures was made by index_packets).  Such
   * a copy takes at least one picture after the I-frame, so that the IDR
   * made is never next to another IDR (whose idr_pic_id it must differ
   * from; the next one's is x264's choice). */
  gboolean resume = !gop->restart && !(continuous && pos == a) && gop->rewrite_state >= 0;

  if (pos < end && pos == gop->key_display && (gop->restart || (continuous && pos == a) || resume) &&
      (m = copyable_prefix (self, gop, pos, end - pos, TRUE)) > (resume ? 1 : 0))
    {
      Chunk *chunk;

      push_chunk (self, proto, CHUNK_COPY, g, pos, m, TRUE, NULL);
      chunk = &g_array_index (self->chunks, Chunk, self->chunks->len - 1);
      chunk->restart = !(continuous && pos == a);
      chunk->rewrite = resume;
      pos += m;
    }
  if (pos < end)
    {
      const char *why;

      if (pos == gop->key_display && !gop->restart && gop->rewrite_state >= 0)
        why = "a copy from an open GOP's I-frame takes a picture after it";
      else if (pos == gop->key_display && !gop->restart)
        {
          g_autofree char *text = g_strdup_printf ("an open GOP's I-frame (not an IDR) cannot follow "
                                                   "encoded frames: %s", gop->rewrite_why != NULL
                                                   ? gop->rewrite_why : "its headers cannot be rewritten");
          why = g_intern_string (text);
        }
      else
        why = pos == a ? "the cut is not on a keyframe"
                       : "the frames before the cut refer to pictures after it (B-frames)";
      push_chunk (self, proto, CHUNK_ENCODE, decode_start (self, pos), pos, end - pos, FALSE, why);
    }
}

/* The composer's pieces for a cut-only plan (plan_pieces() in
 * ave-composer.c): each starts and ends on the output frame grid, and
 * shows the source frames from the one the grid picks at its start to
 * the one it picks at its last grid frame, at their own times. */
static void
plan_chunks (AveSmartCut *self)
{
  double fps = av_q2d (self->fps), out_end = 0.0;
  AVRational frame_q = av_inv_q (self->fps);
  gint64 quarter = av_rescale_q (1, frame_q, self->out_time_base) / 4;

  self->chunks = g_array_new (FALSE, FALSE, sizeof (Chunk));
  for (guint i = 0; i < ave_plan_get_n_segments (self->plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (self->plan, i);
      double duration = seg->end - seg->start, out_start = out_end;
      gint64 first, end;
      gint32 d0, d1;
      Chunk proto = { .segment = i };

      if (!seg->enabled || duration <= 0.0)
        continue;
      first = (gint64) llround (out_start * fps);
      end = (gint64) llround ((out_start + duration) * fps);
      out_end = out_start + duration;
      if (end <= first)
        continue;

      d0 = pick_display (self, seg->start);
      d1 = MAX (d0, pick_display (self, seg->start + (double) (end - 1 - first) / fps));
      proto.shift = av_rescale_q (first, frame_q, self->out_time_base) - self->display_pts[d0] * SUBTICKS;
      proto.segment_end = av_rescale_q (end, frame_q, self->out_time_base);
      /* A gap in the source's times (variable rate) may bring a frame too
       * close to the next piece: it is left out. */
      while (d1 > d0 && self->display_pts[d1] * SUBTICKS + proto.shift > proto.segment_end - quarter)
        d1--;
      proto.segment_last = d1;

      for (gint32 a = d0, b; a <= d1; a = b + 1)
        {
          gint32 g = self->display_gop[a];
          const Gop *gop = &g_array_index (self->gops, Gop, g);

          b = MIN (d1, gop->first_display + gop->n_shown - 1);
          add_run (self, &proto, g, a, b - a + 1);
        }
      self->grid_frames = end;
    }
}

/* One line that says which pieces are encoded and why. */
static void
note_encoded_pieces (AveSmartCut *self)
{
  g_autoptr(GString) line = g_string_new (NULL);
  guint n_pieces = 0;
  gint64 n = self->frames_copied + self->frames_reencoded;

  for (guint i = 0; i < self->chunks->len; i++)
    {
      const Chunk *c = &g_array_index (self->chunks, Chunk, i);
      gint64 t;

      if (c->kind != CHUNK_ENCODE)
        continue;
      if (n_pieces++ >= MAX_NOTED_PIECES)
        continue;
      t = self->display_pts[c->first_display] * SUBTICKS + c->shift;
      g_string_append_printf (line, "%s%d frame%s at %.2f s (segment %u): %s",
                              n_pieces > 1 ? "; " : "", c->n_frames, c->n_frames == 1 ? "" : "s",
                              t * av_q2d (self->out_time_base), c->segment, c->why);
    }
  if (n_pieces > MAX_NOTED_PIECES)
    g_string_append_printf (line, "; and %u more", n_pieces - MAX_NOTED_PIECES);
  g_message ("Smart cut: copies %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames (%.1f%%) of %s, "
             "encodes %u piece%s%s%s", self->frames_copied, n, n > 0 ? 100.0 * self->frames_copied / n : 0.0,
             self->source_path, n_pieces, n_pieces == 1 ? "" : "s", n_pieces > 0 ? ": " : "", line->str);
}

AveSmartCut *
ave_smart_cut_prepare (AvePlan            *plan,
                       const AveSettings  *settings,
                       char              **reason)
{
  g_autoptr(AveSmartCut) self = NULL;
  g_autoptr(GError) local_error = NULL;
  AVFormatContext *fmt = NULL;
  gboolean ok;
  int ret;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (reason != NULL && *reason == NULL, NULL);

  if (!check_plan (plan, reason))
    return NULL;

  self = g_new0 (AveSmartCut, 1);
  self->plan = ave_plan_copy (plan);
  self->source_path = g_strdup (ave_plan_get_source (plan));
  self->info = ave_media_probe (self->source_path, &local_error);
  if (self->info == NULL)
    {
      *reason = g_strdup (local_error->message);
      return NULL;
    }
  if (!self->info->has_video)
    {
      *reason = g_strdup ("the source has no video");
      return NULL;
    }
  if (!ave_plan_validate (plan, self->info->duration, &local_error))
    {
      *reason = g_strdup (local_error->message);
      return NULL;
    }
  {
    double rate = self->info->frame_rate;
    if (!(rate > 0.0 && rate <= 1000.0))
      {
        *reason = g_strdup ("the video has no usable frame rate");
        return NULL;
      }
    self->fps = av_d2q (rate, 100000);
  }

  ret = _ave_media_open_input (&fmt, self->source_path, NULL);
  if (ret >= 0)
    ret = avformat_find_stream_info (fmt, NULL);
  if (ret >= 0)
    ret = self->video_index = av_find_best_stream (fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (ret < 0)
    {
      *reason = g_strdup_printf ("%s cannot be read as a video file", self->source_path);
      avformat_close_input (&fmt);
      return NULL;
    }
  ok = check_stream (self, fmt, reason) && index_packets (self, fmt, reason);
  avformat_close_input (&fmt);
  if (!ok)
    return NULL;

  plan_chunks (self);
  if (self->chunks->len == 0)
    {
      *reason = g_strdup ("the plan keeps nothing long enough to show");
      return NULL;
    }
  g_debug ("%s: %u GOPs, %" G_GINT64_FORMAT " output frames in %u runs: %" G_GINT64_FORMAT
           " copied, %" G_GINT64_FORMAT " encoded", self->source_path, self->gops->len,
           self->n_frames, self->chunks->len, self->frames_copied, self->frames_reencoded);
  return g_steal_pointer (&self);
}

gboolean
ave_smart_cut_applicable (AvePlan            *plan,
                          const AveSettings  *settings,
                          char              **reason)
{
  g_autofree char *why = NULL;
  g_autoptr(AveSmartCut) cut = ave_smart_cut_prepare (plan, settings, &why);

  if (reason != NULL)
    *reason = g_steal_pointer (&why);
  return cut != NULL;
}

/* ------------------------------------------------------------ render */

typedef struct
{
  AveSmartCut       *cut;
  const AveSettings *settings;
  GCancellable      *cancellable;
  AveProgressFunc    progress;
  gpointer           progress_data;
  double             last_progress;

  AVFormatContext   *in;
  gint32             next_packet;   /* index of the packet av_read_frame gives next; -1 unknown */
  AVPacket          *pending;       /* read ahead while seeking */
  gboolean           have_pending;
  AVCodecContext    *decoder;
  AVCodecContext    *encoder;
  AVFrame           *frame;
  gint64             encoder_sent, encoder_received;
  gint64             encoded_duration;  /* of the frame the encoder has (zerolatency) */
  gint64             encoded_pts;       /* its time, output time base */
  gint64             mpeg4_last_pts;    /* in the MPEG-4 encoder's time base */
  int                mpeg4_low_delay;   /* the source VOL's flag, -1 when it has none */
  gboolean           need_idr;
  AveH264Rewriter   *rewriter;      /* while a copy resumed at an open GOP's I-frame goes on */
  GArray            *slices, *rewritten;  /* AveH264SliceHeader */
  GByteArray        *rbsp;
  gint64             last_idr_pic_id;     /* of the picture written last when an IDR, else -1 */
  int                x264_log2_max_frame_num;
  gboolean           x265_buffering_noted;  /* why x265's sets keep their own buffer, said once */

  struct _AudioPipe *audio;         /* the sound, rendered beside the pictures */
  AVPacket          *audio_pkt;     /* the next one to write, when not NULL */

  AVFormatContext   *out;
  AVStream          *video_st, *audio_st;
  AveSubtitleTrack  *subtitles;     /* --embed-subtitles: the cues beside the copied streams */
  gint64             last_dts;      /* in video_st->time_base */
  gint64             frames_done;
  AVPacket          *out_pkt;
  GByteArray        *scratch;
} Render;

static void
render_clear (Render *r)
{
  av_packet_free (&r->pending);
  avcodec_free_context (&r->decoder);
  avcodec_free_context (&r->encoder);
  av_frame_free (&r->frame);
  avformat_close_input (&r->in);
  av_packet_free (&r->audio_pkt);
  g_clear_pointer (&r->subtitles, _ave_subtitle_track_free);
  if (r->out != NULL)
    {
      avio_closep (&r->out->pb);
      avformat_free_context (r->out);
      r->out = NULL;
    }
  av_packet_free (&r->out_pkt);
  g_clear_pointer (&r->scratch, g_byte_array_unref);
  g_clear_pointer (&r->rewriter, g_free);
  g_clear_pointer (&r->slices, g_array_unref);
  g_clear_pointer (&r->rewritten, g_array_unref);
  g_clear_pointer (&r->rbsp, g_byte_array_unref);
}

static gboolean
av_failed (int          ret,
           GError     **error,
           const char  *format,
           ...) G_GNUC_PRINTF (3, 4);

static gboolean
av_failed (int          ret,
           GError     **error,
           const char  *format,
           ...)
{
  char reason[AV_ERROR_MAX_STRING_SIZE] = { 0 };
  g_autofree char *what = NULL;
  va_list args;

  if (ret >= 0)
    return FALSE;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  av_strerror (ret, reason, sizeof reason);
  g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED, "%s (%s)", what, reason);
  return TRUE;
}

static void
render_progress (Render *r,
                 double  fraction)
{
  ave_progress_report (r->progress, r->progress_data, &r->last_progress, fraction);
}

/* --------------------------------------------------------- the sound */

/* The composer renders the sound (the same as a full render's) on a
 * thread of its own while the pictures are copied and encoded; its AAC
 * packets wait here until the muxer interleaves them.  They are small
 * (the whole of a 5-minute track is a few MB), and the sound is faster
 * to make than the pictures, so the queue is not bounded. */
/* An encoded HEVC packet's NAL units, x265's VPS and SPS made to declare
 * the source's picture buffer: the counterpart of declare_source_buffering
 * for H.264 (a buffer that changes at each piece makes GStreamer's
 * decoders drain and start a new sequence, and lets any decoder drop the
 * pictures waiting for output, C.5.2.2). */
static gboolean
append_encoded_hevc (const guint8 *nal,
                     gsize         size,
                     gpointer      data)
{
  Render *r = data;
  int type = size >= 2 ? (nal[0] >> 1) & 0x3f : -1;
  g_autoptr(GBytes) declared = NULL;
  const char *why = "the source's SPS cannot be read";
  gsize len;
  const guint8 *bytes;

  if (type != 32 && type != 33)
    return append_length_prefixed_hevc (nal, size, r->scratch);
  if (r->cut->hevc_buffering_known)
    declared = _ave_hevc_with_buffering (nal, size, &r->cut->hevc_buffering,
                                         (guint64) r->cut->par->width * (guint64) r->cut->par->height, &why);
  if (declared == NULL)
    {
      if (!r->x265_buffering_noted)
        g_message ("Smart cut: the encoded pieces of %s declare x265's own picture buffer, "
                   "not the source's (%s); some decoders may drop the pictures before each piece",
                   r->cut->source_path, why);
      r->x265_buffering_noted = TRUE;
      return append_length_prefixed_hevc (nal, size, r->scratch);
    }
  bytes = g_bytes_get_data (declared, &len);
  return append_length_prefixed_hevc (bytes, len, r->scratch);
}

typedef struct _AudioPipe
{
  GMutex             lock;
  GCond              changed;
  GQueue             packets;       /* AVPacket*, in order */
  AVCodecParameters *parameters;    /* NULL until the encoder is open */
  AVRational         time_base;
  gboolean           finished;      /* the thread is done: see error */
  GError            *error;
  AveComposeResult   result;

  AvePlan           *plan;
  const AveSettings *settings;
  GCancellable      *cancellable;   /* cancelled with the render's, or when the pictures fail */
  gulong             cancelled_id;
  GCancellable      *parent;
  GThread           *thread;
} AudioPipe;

static gboolean
pipe_ready (const AVCodecParameters *parameters,
            AVRational               time_base,
            gpointer                 data,
            GError                 **error)
{
  AudioPipe *pipe = data;

  g_mutex_lock (&pipe->lock);
  pipe->parameters = avcodec_parameters_alloc ();
  avcodec_parameters_copy (pipe->parameters, parameters);
  pipe->time_base = time_base;
  g_cond_broadcast (&pipe->changed);
  g_mutex_unlock (&pipe->lock);
  return !g_cancellable_set_error_if_cancelled (pipe->cancellable, error);
}

static gboolean
pipe_packet (AVPacket *packet,
             gpointer  data,
             GError  **error)
{
  AudioPipe *pipe = data;

  if (g_cancellable_set_error_if_cancelled (pipe->cancellable, error))
    return FALSE;
  g_mutex_lock (&pipe->lock);
  g_queue_push_tail (&pipe->packets, av_packet_clone (packet));
  g_cond_broadcast (&pipe->changed);
  g_mutex_unlock (&pipe->lock);
  return TRUE;
}

static gpointer
pipe_thread (gpointer data)
{
  AudioPipe *pipe = data;
  AveMp4PacketSink sink = { pipe_ready, pipe_packet, pipe };
  GError *error = NULL;

  _ave_composer_render_audio (pipe->plan, pipe->settings, &sink, &pipe->result,
                              NULL, NULL, pipe->cancellable, &error);
  g_mutex_lock (&pipe->lock);
  pipe->error = error;
  pipe->finished = TRUE;
  g_cond_broadcast (&pipe->changed);
  g_mutex_unlock (&pipe->lock);
  return NULL;
}

static void
pipe_parent_cancelled (GCancellable *parent,
                       gpointer      data)
{
  g_cancellable_cancel (data);
}

static AudioPipe *
audio_pipe_start (AveSmartCut       *cut,
                  const AveSettings *settings,
                  GCancellable      *parent,
                  GError           **error)
{
  AudioPipe *pipe = g_new0 (AudioPipe, 1);
  GError *local_error = NULL;

  g_mutex_init (&pipe->lock);
  g_cond_init (&pipe->changed);
  g_queue_init (&pipe->packets);
  pipe->plan = cut->plan;
  pipe->settings = settings;
  pipe->cancellable = g_cancellable_new ();
  if (parent != NULL)
    {
      pipe->parent = g_object_ref (parent);
      pipe->cancelled_id = g_cancellable_connect (parent, G_CALLBACK (pipe_parent_cancelled),
                                                  g_object_ref (pipe->cancellable), g_object_unref);
    }
  pipe->thread = g_thread_try_new ("ave-cut-audio", pipe_thread, pipe, &local_error);
  if (pipe->thread == NULL)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "Cannot start rendering the sound: %s", local_error->message);
      g_error_free (local_error);
      pipe->finished = TRUE;
    }
  return pipe;
}

/* Stops the thread (when it is still running, its work is no longer
 * wanted) and frees everything. */
static void
audio_pipe_free (AudioPipe *pipe)
{
  if (pipe == NULL)
    return;
  if (pipe->thread != NULL)
    {
      g_cancellable_cancel (pipe->cancellable);
      g_thread_join (pipe->thread);
    }
  if (pipe->parent != NULL)
    {
      g_cancellable_disconnect (pipe->parent, pipe->cancelled_id);
      g_object_unref (pipe->parent);
    }
  g_object_unref (pipe->cancellable);
  for (AVPacket *p; (p = g_queue_pop_head (&pipe->packets)) != NULL; )
    av_packet_free (&p);
  avcodec_parameters_free (&pipe->parameters);
  g_clear_error (&pipe->error);
  g_mutex_clear (&pipe->lock);
  g_cond_clear (&pipe->changed);
  g_free (pipe);
}

/* Waits for the encoder's parameters; FALSE with the thread's error when
 * it failed first. */
static gboolean
audio_pipe_wait_ready (AudioPipe  *pipe,
                       GError    **error)
{
  gboolean ok;

  g_mutex_lock (&pipe->lock);
  while (pipe->parameters == NULL && !pipe->finished)
    g_cond_wait (&pipe->changed, &pipe->lock);
  ok = pipe->parameters != NULL;
  if (!ok)
    {
      if (pipe->error != NULL)
        g_propagate_error (error, g_steal_pointer (&pipe->error));
      else
        g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                             "The sound could not be rendered");
    }
  g_mutex_unlock (&pipe->lock);
  return ok;
}

/* The next packet, waiting for the thread; NULL at the end (or, with
 * error set, when the thread failed). */
static AVPacket *
audio_pipe_pop (AudioPipe  *pipe,
                GError    **error)
{
  AVPacket *packet;

  g_mutex_lock (&pipe->lock);
  while (g_queue_is_empty (&pipe->packets) && !pipe->finished)
    g_cond_wait (&pipe->changed, &pipe->lock);
  packet = g_queue_pop_head (&pipe->packets);
  if (packet == NULL && pipe->error != NULL)
    g_propagate_error (error, g_steal_pointer (&pipe->error));
  g_mutex_unlock (&pipe->lock);
  return packet;
}

/* Audio packets up to `seconds` (all of them when negative). */
static gboolean
write_audio_until (Render   *r,
                   double    seconds,
                   GError  **error)
{
  AudioPipe *pipe = r->audio;

  while (pipe != NULL)
    {
      int ret;

      if (r->audio_pkt == NULL)
        {
          GError *local_error = NULL;

          r->audio_pkt = audio_pipe_pop (pipe, &local_error);
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          if (r->audio_pkt == NULL)
            break;
        }
      if (seconds >= 0.0 && r->audio_pkt->dts != AV_NOPTS_VALUE &&
          r->audio_pkt->dts * av_q2d (pipe->time_base) > seconds)
        break;
      r->audio_pkt->stream_index = r->audio_st->index;
      av_packet_rescale_ts (r->audio_pkt, pipe->time_base, r->audio_st->time_base);
      r->audio_pkt->pos = -1;
      ret = av_interleaved_write_frame (r->out, r->audio_pkt);
      av_packet_free (&r->audio_pkt);
      if (av_failed (ret, error, "Cannot write audio to the output file"))
        return FALSE;
    }
  return TRUE;
}

/* Writes one video packet: `data` length-prefixed (4 bytes), times in the
 * smart cut's output time base. */
static gboolean
write_video (Render        *r,
             const guint8  *data,
             gsize          size,
             AVPacket      *ref,
             gint64         out_pts,
             gint64         out_dts,
             gint64         out_duration,
             gboolean       key,
             GError       **error)
{
  AVPacket *pkt = r->out_pkt;
  AVRational tb = r->cut->out_time_base;
  gint64 pts = av_rescale_q (out_pts, tb, r->video_st->time_base);
  gint64 dts = av_rescale_q (out_dts, tb, r->video_st->time_base);
  int ret;

  if (!write_audio_until (r, out_pts * av_q2d (tb) + AUDIO_LEAD_SECONDS, error))
    return FALSE;
  if (r->subtitles != NULL &&
      !_ave_subtitle_track_write_until (r->subtitles, out_pts * av_q2d (tb), error))
    return FALSE;

  /* A copied GOP with B-frames after another run: its first decode
   * times are squeezed after the previous run's last one. */
  if (r->last_dts != AV_NOPTS_VALUE && dts <= r->last_dts)
    dts = r->last_dts + 1;
  if (dts > pts)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "Cannot order the copied video packets at %.3f s of the output"
                   " (decode time after display time)", out_pts * av_q2d (tb));
      return FALSE;
    }
  r->last_dts = dts;

  if (ref != NULL)
    {
      ret = av_packet_ref (pkt, ref);
      if (av_failed (ret, error, "Out of memory for video packets"))
        return FALSE;
    }
  else
    {
      ret = av_new_packet (pkt, (int) size);
      if (av_failed (ret, error, "Out of memory for video packets"))
        return FALSE;
      memcpy (pkt->data, data, size);
    }
  pkt->stream_index = r->video_st->index;
  pkt->pts = pts;
  pkt->dts = dts;
  pkt->duration = MAX (1, av_rescale_q (out_duration, tb, r->video_st->time_base));
  pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
  pkt->pos = -1;
  ret = av_interleaved_write_frame (r->out, pkt);
  av_packet_unref (pkt);
  return !av_failed (ret, error, "Cannot write video to the output file");
}

/* Where source frame d shows in the output, and for how long. */
static gint64
chunk_pts (const AveSmartCut *cut,
           const Chunk       *chunk,
           gint32             d)
{
  return cut->display_pts[d] * SUBTICKS + chunk->shift;
}

static gint64
chunk_duration (const AveSmartCut *cut,
                const Chunk       *chunk,
                gint32             d)
{
  gint64 next = d < chunk->segment_last ? chunk_pts (cut, chunk, d + 1) : chunk->segment_end;

  return next - chunk_pts (cut, chunk, d);
}

/* Source packets in decode order, starting at packet `index`. */
static gboolean
seek_to_packet (Render  *r,
                gint32   index,
                GError **error)
{
  const Packet *target = &g_array_index (r->cut->packets, Packet, index);
  gboolean from_start = FALSE;

  if (r->next_packet == index)
    return TRUE;

  av_seek_frame (r->in, r->cut->video_index, MIN (target->pts, target->dts), AVSEEK_FLAG_BACKWARD);
  r->have_pending = FALSE;
  r->next_packet = -1;
  for (;;)
    {
      int ret = av_read_frame (r->in, r->pending);

      if (ret >= 0 && r->pending->stream_index != r->cut->video_index)
        {
          av_packet_unref (r->pending);
          continue;
        }
      if (ret >= 0 && r->pending->dts == target->dts)
        {
          r->have_pending = TRUE;
          r->next_packet = index;
          return TRUE;
        }
      if (ret >= 0 && r->pending->dts < target->dts)
        {
          av_packet_unref (r->pending);
          continue;
        }
      if (ret >= 0)
        av_packet_unref (r->pending);
      /* The demuxer landed past the packet: read from the start instead. */
      if (from_start || (ret < 0 && ret != AVERROR_EOF))
        {
          if (ret >= 0 || ret == AVERROR_EOF)
            ret = AVERROR_INVALIDDATA;
          av_failed (ret, error, "Cannot find the video packet at %.3f s of %s again",
                     target->dts * av_q2d (r->cut->time_base), r->cut->source_path);
          return FALSE;
        }
      from_start = TRUE;
      av_seek_frame (r->in, r->cut->video_index,
                     g_array_index (r->cut->packets, Packet, 0).dts, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_ANY);
    }
}

/* The next source video packet into r->pending. */
static gboolean
read_packet (Render  *r,
             GError **error)
{
  const Packet *expected;

  if (!r->have_pending)
    for (;;)
      {
        int ret = av_read_frame (r->in, r->pending);
        if (ret == AVERROR_EOF)
          ret = AVERROR_INVALIDDATA;
        if (av_failed (ret, error, "Cannot read %s", r->cut->source_path))
          return FALSE;
        if (r->pending->stream_index == r->cut->video_index)
          break;
        av_packet_unref (r->pending);
      }
  r->have_pending = FALSE;
  expected = &g_array_index (r->cut->packets, Packet, r->next_packet);
  if (r->pending->dts != expected->dts || r->pending->pts != expected->pts)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "%s changed while it was being rendered", r->cut->source_path);
      return FALSE;
    }
  r->next_packet++;
  return TRUE;
}

typedef struct
{
  Render     *r;
  gboolean    key;
  guint       slice;
} RewriteOut;

/* Writes the NAL units of a packet of a resumed copy, 4-byte
 * length-prefixed: slices with the rewritten headers; parameter sets and
 * delimiters left out (the avcC has them), as are the I-frame's SEI
 * messages (its recovery point does not belong to an IDR). */
static gboolean
append_rewritten (const guint8 *nal,
                  gsize         size,
                  gpointer      data)
{
  RewriteOut *o = data;
  Render *r = o->r;
  int type = nal[0] & 0x1f;
  guint start = r->scratch->len;
  guint8 len[4] = { 0 };

  if (type == 7 || type == 8 || type == 9 || (o->key && type == 6))
    return TRUE;
  g_byte_array_append (r->scratch, len, 4);
  if (type == 1 || type == 5)
    {
      _ave_h264_write_slice (r->cut->h264_sets, nal, size,
                             &g_array_index (r->slices, AveH264SliceHeader, o->slice),
                             &g_array_index (r->rewritten, AveH264SliceHeader, o->slice),
                             r->rbsp, r->scratch);
      o->slice++;
    }
  else
    g_byte_array_append (r->scratch, nal, (guint) size);
  {
    guint n = r->scratch->len - start - 4;
    guint8 *at = r->scratch->data + start;
    at[0] = (guint8) (n >> 24); at[1] = (guint8) (n >> 16); at[2] = (guint8) (n >> 8); at[3] = (guint8) n;
  }
  return TRUE;
}

/* The packet in r->pending, of a copy resumed at an open GOP's I-frame,
 * into r->scratch with its headers rewritten; or, when `skip`, only
 * followed (a leading picture left out). */
static gboolean
rewrite_packet (Render        *r,
                gint32         index,
                gboolean       skip,
                GError       **error)
{
  AveSmartCut *cut = r->cut;
  const char *why = NULL;
  gboolean key = !r->rewriter->started;
  RewriteOut out = { r, key, 0 };

  if (!scan_packet (cut, r->pending->data, (gsize) r->pending->size, cut->nal_length_size,
                    r->slices, r->rbsp, &why))
    goto failed;
  if (skip)
    {
      if (!_ave_h264_rewriter_skip (r->rewriter, cut->h264_sets,
                                    &g_array_index (r->slices, AveH264SliceHeader, 0), index, &why))
        goto failed;
      return TRUE;
    }
  g_array_set_size (r->rewritten, r->slices->len);
  if (!_ave_h264_rewriter_picture (r->rewriter, cut->h264_sets, (const AveH264SliceHeader *) r->slices->data,
                                   (int) r->slices->len, index, (AveH264SliceHeader *) r->rewritten->data, &why))
    goto failed;
  g_byte_array_set_size (r->scratch, 0);
  for_each_nal (r->pending->data, (gsize) r->pending->size, cut->nal_length_size, append_rewritten, &out);
  r->last_idr_pic_id = key ? (gint64) r->rewriter->idr_pic_id : -1;
  return TRUE;

failed:
  /* index_packets checked these very headers: the file changed */
  g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
               "%s changed while it was being rendered (%s)", cut->source_path, why);
  return FALSE;
}

static gboolean
copy_chunk (Render       *r,
            const Chunk  *chunk,
            GError      **error)
{
  const Gop *gop = &g_array_index (r->cut->gops, Gop, chunk->gop);
  gint32 written = 0;

  if (!seek_to_packet (r, gop->first_packet, error))
    return FALSE;
  if (chunk->restart)
    g_clear_pointer (&r->rewriter, g_free);
  if (chunk->rewrite)
    {
      /* an idr_pic_id other than the IDR's just before, if one is */
      r->rewriter = g_new (AveH264Rewriter, 1);
      _ave_h264_rewriter_init (r->rewriter, &g_array_index (r->cut->rewrite_states, AveH264Dpb, gop->rewrite_state),
                               r->last_idr_pic_id >= 0 ? (guint) ((r->last_idr_pic_id + 1) % 65536) : 0);
    }
  for (gint32 i = 0; written < chunk->n_frames; i++)
    {
      const Packet *p = &g_array_index (r->cut->packets, Packet, gop->first_packet + i);
      gint64 pts, dts, duration;
      gboolean ok;

      if (g_cancellable_set_error_if_cancelled (r->cancellable, error) || !read_packet (r, error))
        return FALSE;
      /* leading pictures another chunk shows (encoded) */
      if (chunk->skip_leading && p->display >= 0 && p->display < gop->key_display)
        {
          ok = r->rewriter == NULL || rewrite_packet (r, gop->first_packet + i, TRUE, error);
          av_packet_unref (r->pending);
          if (!ok)
            return FALSE;
          continue;
        }
      /* the source's IDR: the copy goes on with the source's numbers */
      if (p->restart)
        g_clear_pointer (&r->rewriter, g_free);
      g_assert (p->display >= chunk->first_display && p->display < chunk->first_display + chunk->n_frames);
      pts = chunk_pts (r->cut, chunk, p->display);
      dts = p->dts * SUBTICKS + chunk->shift;
      duration = chunk_duration (r->cut, chunk, p->display);
      if (r->cut->mpeg4)
        {
          if (chunk->restart && written == 0)
            {
              /* after the encoder's VOL header: the source's again */
              g_byte_array_set_size (r->scratch, 0);
              g_byte_array_append (r->scratch, r->cut->par->extradata, (guint) r->cut->par->extradata_size);
              g_byte_array_append (r->scratch, r->pending->data, (guint) r->pending->size);
              ok = write_video (r, r->scratch->data, r->scratch->len, NULL, pts, dts, duration, TRUE, error);
            }
          else
            ok = write_video (r, NULL, 0, r->pending, pts, dts, duration,
                              (r->pending->flags & AV_PKT_FLAG_KEY) != 0, error);
        }
      else if (r->rewriter != NULL)
        ok = rewrite_packet (r, gop->first_packet + i, FALSE, error) &&
             write_video (r, r->scratch->data, r->scratch->len, NULL, pts, dts, duration,
                          (chunk->rewrite && written == 0) || (r->pending->flags & AV_PKT_FLAG_KEY) != 0,
                          error);
      else if (r->cut->hevc && chunk->restart && written == 0)
        {
          /* After x265's frames (their VPS/SPS/PPS carry the same ids):
           * the source's parameter sets again, in the stream, and a CRA
           * made a BLA (its leading pictures are not copied). */
          g_byte_array_set_size (r->scratch, 0);
          g_byte_array_append (r->scratch, r->cut->hevc_parameter_sets->data, r->cut->hevc_parameter_sets->len);
          if (!for_each_nal (r->pending->data, (gsize) r->pending->size, 4, append_as_bla, r->scratch))
            {
              g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "A video packet of %s is damaged", r->cut->source_path);
              return FALSE;
            }
          ok = write_video (r, r->scratch->data, r->scratch->len, NULL, pts, dts, duration, TRUE, error);
        }
      else if (r->cut->nal_length_size == 4)
        ok = write_video (r, NULL, 0, r->pending, pts, dts, duration,
                          (r->pending->flags & AV_PKT_FLAG_KEY) != 0, error);
      else
        {
          g_byte_array_set_size (r->scratch, 0);
          if (!for_each_nal (r->pending->data, (gsize) r->pending->size, r->cut->nal_length_size,
                             append_length_prefixed, r->scratch))
            {
              g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "A video packet of %s is damaged", r->cut->source_path);
              return FALSE;
            }
          ok = write_video (r, r->scratch->data, r->scratch->len, NULL, pts, dts, duration,
                            (r->pending->flags & AV_PKT_FLAG_KEY) != 0, error);
        }
      if (r->rewriter == NULL)
        r->last_idr_pic_id = p->restart ? p->idr_pic_id : -1;
      av_packet_unref (r->pending);
      if (!ok)
        return FALSE;
      written++;
    }
  r->frames_done += chunk->n_frames;
  r->need_idr = TRUE;
  return TRUE;
}

static gboolean
find_idr_pic_id (const guint8 *nal,
                 gsize         size,
                 gpointer      data)
{
  Render *r = data;

  if ((nal[0] & 0x1f) != 5)
    return TRUE;
  r->last_idr_pic_id = _ave_h264_idr_pic_id (nal, size, r->x264_log2_max_frame_num);
  return FALSE;
}

static gboolean
receive_encoded (Render  *r,
                 GError **error)
{
  for (;;)
    {
      AVPacket *pkt = r->out_pkt;
      gboolean ok;
      int ret = avcodec_receive_packet (r->encoder, pkt);

      if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
        return TRUE;
      if (av_failed (ret, error, "The H.264 encoder failed"))
        return FALSE;
      r->encoder_received++;
      g_byte_array_set_size (r->scratch, 0);
      if (r->cut->mpeg4)
        {
          gssize bit;

          g_byte_array_append (r->scratch, pkt->data, (guint) pkt->size);
          /* The encoder's VOL says low_delay (it writes no B-VOPs); the
           * source's may not.  A decoder that saw it change mid-stream
           * would change how long it holds frames back: the encoder's
           * header says what the source's says. */
          bit = mpeg4_low_delay_bit (r->scratch->data, r->scratch->len);
          if (bit >= 0 && r->mpeg4_low_delay >= 0 &&
              ((r->scratch->data[bit / 8] >> (7 - bit % 8)) & 1) != r->mpeg4_low_delay)
            r->scratch->data[bit / 8] ^= (guint8) (1 << (7 - bit % 8));
        }
      else
        {
          if (r->cut->hevc)
            for_each_nal (pkt->data, (gsize) pkt->size, 0, append_encoded_hevc, r);
          else
            for_each_nal (pkt->data, (gsize) pkt->size, 0, append_length_prefixed, r->scratch);
          /* x264 picks its IDRs' idr_pic_id: a copy resumed right after
           * one must pick another */
          if (!r->cut->hevc && r->x264_log2_max_frame_num > 0)
            {
              r->last_idr_pic_id = -1;
              if (pkt->flags & AV_PKT_FLAG_KEY)
                for_each_nal (r->scratch->data, r->scratch->len, 4, find_idr_pic_id, r);
            }
        }
      {
        /* MPEG-4 Part 2 counts time more coarsely: its frame's own time */
        gint64 pts = r->cut->mpeg4 ? r->encoded_pts : pkt->pts;
        gint64 dts = r->cut->mpeg4 ? r->encoded_pts : pkt->dts;
        gboolean key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;

        av_packet_unref (pkt);
        ok = write_video (r, r->scratch->data, r->scratch->len, NULL, pts, dts, r->encoded_duration, key, error);
      }
      if (!ok)
        return FALSE;
    }
}

static gboolean
encode_frame (Render       *r,
              AVFrame      *frame,
              const Chunk  *chunk,
              gint32        d,
              GError      **error)
{
  int ret;

  /* the source's own time, moved with its piece */
  frame->pts = r->encoded_pts = chunk_pts (r->cut, chunk, d);
  r->encoded_duration = chunk_duration (r->cut, chunk, d);
  if (r->cut->mpeg4)
    {
      /* a VOP time resolution of at most 65535 per second */
      frame->pts = MAX (av_rescale_q (frame->pts, r->cut->out_time_base, r->encoder->time_base),
                        r->mpeg4_last_pts + 1);
      r->mpeg4_last_pts = frame->pts;
    }
  /* x264 writes an IDR (forced-idr) where the stream switches from the
   * source's parameter sets to its own. */
  frame->pict_type = r->need_idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  frame->key_frame = 0;
  while (frame->nb_side_data > 0)
    av_frame_remove_side_data (frame, frame->side_data[0]->type);
  r->need_idr = FALSE;
  ret = avcodec_send_frame (r->encoder, frame);
  if (av_failed (ret, error, "The H.264 encoder failed"))
    return FALSE;
  r->encoder_sent++;
  if (!receive_encoded (r, error))
    return FALSE;
  /* zerolatency: no frame is held back, so copied packets may follow */
  if (r->encoder_received != r->encoder_sent)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "The H.264 encoder held frames back (%" G_GINT64_FORMAT " sent, %"
                   G_GINT64_FORMAT " received)", r->encoder_sent, r->encoder_received);
      return FALSE;
    }
  return TRUE;
}

/* Hands decoded frames to the encoder for the chunk's output frames;
 * *next counts the chunk's frames done. */
static gboolean
receive_decoded (Render       *r,
                 const Chunk  *chunk,
                 gint32       *next,
                 GError      **error)
{
  for (;;)
    {
      int ret = avcodec_receive_frame (r->decoder, r->frame);
      gint64 ts;
      gint32 d;

      if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
        return TRUE;
      if (av_failed (ret, error, "Cannot decode the video of %s", r->cut->source_path))
        return FALSE;
      ts = r->frame->pts != AV_NOPTS_VALUE ? r->frame->pts : r->frame->best_effort_timestamp;
      d = display_of_pts (r->cut, ts);
      if (*next < chunk->n_frames && d == chunk->first_display + *next)
        {
          if (!encode_frame (r, r->frame, chunk, d, error))
            return FALSE;
          (*next)++;
        }
      av_frame_unref (r->frame);
    }
}

static gboolean
encode_chunk (Render       *r,
              const Chunk  *chunk,
              GError      **error)
{
  const Gop *gop = &g_array_index (r->cut->gops, Gop, chunk->gop);
  gint32 next = 0, n_packets = (gint32) r->cut->packets->len;
  int ret;

  g_clear_pointer (&r->rewriter, g_free);
  if (!seek_to_packet (r, gop->first_packet, error))
    return FALSE;
  avcodec_flush_buffers (r->decoder);
  /* from the keyframe on, across GOPs where leading pictures need the next one */
  for (gint32 i = gop->first_packet; i < n_packets && next < chunk->n_frames; i++)
    {
      const Packet *p = &g_array_index (r->cut->packets, Packet, i);

      if (g_cancellable_set_error_if_cancelled (r->cancellable, error) || !read_packet (r, error))
        return FALSE;
      /* Pictures before the chunk are decoded only as references: the
       * decoder drops the ones nothing refers to (B-frames, mostly). */
      r->decoder->skip_frame = p->display < chunk->first_display ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
      ret = avcodec_send_packet (r->decoder, r->pending);
      av_packet_unref (r->pending);
      if (av_failed (ret, error, "Cannot decode the video of %s", r->cut->source_path))
        return FALSE;
      if (!receive_decoded (r, chunk, &next, error))
        return FALSE;
    }
  if (next < chunk->n_frames)
    {
      /* the last frames are still in the decoder's reorder buffer */
      ret = avcodec_send_packet (r->decoder, NULL);
      if (av_failed (ret, error, "Cannot decode the video of %s", r->cut->source_path) ||
          !receive_decoded (r, chunk, &next, error))
        return FALSE;
    }
  avcodec_flush_buffers (r->decoder);
  r->decoder->skip_frame = AVDISCARD_DEFAULT;
  if (next < chunk->n_frames)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "Frame %d of %s could not be decoded", chunk->first_display + next, r->cut->source_path);
      return FALSE;
    }
  r->frames_done += chunk->n_frames;
  return TRUE;
}

static const char *
x264_profile (int profile)
{
  switch (profile)
    {
    case FF_PROFILE_H264_BASELINE:
    case FF_PROFILE_H264_CONSTRAINED_BASELINE:
      return "baseline";
    case FF_PROFILE_H264_MAIN:
      return "main";
    default:
      return "high";
    }
}

/* libx264 configured as close to the source as it goes (profile, level,
 * size, pixel format, colours), with parameter-set ids the source does
 * not use; its SPS and PPS go into `sets`. */
/* libx265 for an HEVC source: Main profile, the source's size and
 * colours, each IDR with its VPS/SPS/PPS in the stream (the output is
 * 'hev1': parameter sets may change at each IRAP picture). */
static gboolean
open_hevc_encoder (Render  *r,
                   GError **error)
{
  const AVCodecParameters *par = r->cut->par;
  const AVCodec *codec = avcodec_find_encoder_by_name ("libx265");
  const AveSettings *settings = r->settings;
  AVCodecContext *enc;
  g_autofree char *params = NULL;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_ENCODER_MISSING,
                           "The HEVC encoder libx265 is not available in this FFmpeg build: "
                           "install libavcodec-extra or an FFmpeg with libx265");
      return FALSE;
    }
  enc = r->encoder = avcodec_alloc_context3 (codec);
  enc->width = par->width;
  enc->height = par->height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->framerate = r->cut->fps;
  enc->time_base = r->cut->out_time_base;
  enc->sample_aspect_ratio = par->sample_aspect_ratio;
  enc->color_range = par->color_range;
  enc->color_primaries = par->color_primaries;
  enc->color_trc = par->color_trc;
  enc->colorspace = par->color_space;
  enc->gop_size = (int) MIN (600.0, 10.0 * av_q2d (r->cut->fps));
  /* x265 is several times slower than x264 at the same preset name (76
   * frames of 1080p took 15.7 CPU s at veryfast): two steps faster, the
   * CRF cap keeps the pieces near the copied source's quality. */
  av_opt_set (enc->priv_data, "preset", ave_encoder_preset_step (ave_settings_reencode_preset (settings), 2), 0);
  av_opt_set (enc->priv_data, "tune", "zerolatency", 0);
  av_opt_set_double (enc->priv_data, "crf", MIN (settings->crf, REENCODE_MAX_CRF), 0);
  av_opt_set_int (enc->priv_data, "forced-idr", 1, 0);
  params = g_strdup_printf ("repeat-headers=1:log-level=error:pools=%d:frame-threads=1",
                            (int) (settings->encoder_threads > 0 ? settings->encoder_threads
                                                                 : MAX (1, settings->n_workers)));
  av_opt_set (enc->priv_data, "x265-params", params, 0);
  ret = avcodec_open2 (enc, codec, NULL);
  return !av_failed (ret, error, "Cannot start the HEVC encoder for %dx%d", par->width, par->height);
}

/* FFmpeg's MPEG-4 Part 2 encoder: the source's size, no B-frames, fine
 * quantiser; each I-VOP carries its VOL header in the stream. */
static gboolean
open_mpeg4_encoder (Render  *r,
                    GError **error)
{
  const AVCodecParameters *par = r->cut->par;
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_MPEG4);
  AVCodecContext *enc;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_ENCODER_MISSING,
                           "This FFmpeg build has no MPEG-4 Part 2 encoder");
      return FALSE;
    }
  enc = r->encoder = avcodec_alloc_context3 (codec);
  enc->width = par->width;
  enc->height = par->height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = av_make_q (1, 60000);
  enc->framerate = r->cut->fps;
  enc->sample_aspect_ratio = par->sample_aspect_ratio;
  enc->max_b_frames = 0;
  enc->gop_size = 600;
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * 2;
  enc->thread_count = (int) (r->settings->encoder_threads > 0 ? r->settings->encoder_threads
                                                               : MAX (1, r->settings->n_workers));
  r->mpeg4_last_pts = G_MININT64 / 2;
  {
    gssize bit = mpeg4_low_delay_bit (par->extradata, (gsize) par->extradata_size);
    r->mpeg4_low_delay = bit >= 0 ? (par->extradata[bit / 8] >> (7 - bit % 8)) & 1 : -1;
  }
  ret = avcodec_open2 (enc, codec, NULL);
  return !av_failed (ret, error, "Cannot start the MPEG-4 Part 2 encoder for %dx%d", par->width, par->height);
}

/* x264's SPS (zerolatency: one reference, no B-frames) declares one
 * reference, no picture waiting for output and a one-picture buffer, a
 * source with B-frames more.  When the SPS becomes active at the IDR that
 * starts an encoded piece after a copied run with other values, a decoder
 * may drop the copied pictures still waiting for output (C.4.4): OpenH264
 * does (it reallocates its picture buffer when the reference count
 * changes), and GStreamer's H.264 decoders drain and start a new
 * sequence.  So x264's SPS declares the source's values; an encoded piece
 * then waits as long as the copied runs do before its pictures come out,
 * and its slices, which use one reference, decode the same. */
static void
declare_source_buffering (AveSmartCut   *cut,
                          ParameterSets *encoder_sets)
{
  const char *why = "the source's SPS cannot be read to the end";
  GBytes *declared = NULL;
  gsize len;
  const guint8 *nal = g_bytes_get_data (g_ptr_array_index (encoder_sets->sps, 0), &len);

  if (cut->buffering_known)
    declared = _ave_h264_sps_with_buffering (nal, len, &cut->buffering, &why);
  if (declared == NULL)
    {
      g_message ("Smart cut: the encoded pieces of %s declare x264's own picture buffer, "
                 "not the source's (%s); some decoders may drop the pictures before each piece",
                 cut->source_path, why);
      return;
    }
  g_bytes_unref (g_ptr_array_index (encoder_sets->sps, 0));
  g_ptr_array_index (encoder_sets->sps, 0) = declared;
}

static gboolean
open_encoder (Render         *r,
              ParameterSets  *sets,
              GError        **error)
{
  const AVCodecParameters *par = r->cut->par;
  const AVCodec *codec = avcodec_find_encoder_by_name ("libx264");
  const AveSettings *settings = r->settings;
  AVCodecContext *enc;
  g_autofree char *params = NULL;
  int id = -1, ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_ENCODER_MISSING,
                           "The H.264 encoder libx264 is not available in this FFmpeg build: "
                           "install libavcodec-extra or an FFmpeg with libx264");
      return FALSE;
    }
  for (int i = 0; i < 32 && id < 0; i++)
    if (!r->cut->sps_used[i] && !r->cut->pps_used[i])
      id = i;
  if (id < 0)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "%s uses every H.264 parameter-set id", r->cut->source_path);
      return FALSE;
    }

  enc = r->encoder = avcodec_alloc_context3 (codec);
  enc->width = par->width;
  enc->height = par->height;
  enc->pix_fmt = par->format;
  enc->framerate = r->cut->fps;
  /* the source's own times (moved with each piece), whatever its rate */
  enc->time_base = r->cut->out_time_base;
  enc->sample_aspect_ratio = par->sample_aspect_ratio;
  enc->color_range = par->color_range;
  enc->color_primaries = par->color_primaries;
  enc->color_trc = par->color_trc;
  enc->colorspace = par->color_space;
  enc->chroma_sample_location = par->chroma_location;
  enc->level = par->level > 0 ? par->level : -99;
  /* x264 puts IDRs where it is told (and at scene changes): no fixed GOP. */
  enc->gop_size = (int) MIN (600.0, 10.0 * av_q2d (r->cut->fps));
  enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  enc->thread_count = (int) (settings->encoder_threads > 0 ? settings->encoder_threads
                                                            : MAX (1, settings->n_workers));
  /* One preset faster than fast mode's (`superfast` for `veryfast`:
   * diamond motion search, no inter sub-partitions, less sub-pixel
   * refinement; zerolatency has turned the look-ahead off).  On 1080p pieces
   * it took 15-27 % off x264's CPU time for 17-19 % more bytes on those
   * few frames (docs/performance.md); the CRF cap keeps their quality. */
  av_opt_set (enc->priv_data, "preset", ave_encoder_preset_step (ave_settings_reencode_preset (settings), 1), 0);
  av_opt_set (enc->priv_data, "tune", "zerolatency", 0);
  av_opt_set (enc->priv_data, "profile", x264_profile (par->profile), 0);
  av_opt_set_double (enc->priv_data, "crf", MIN (settings->crf, REENCODE_MAX_CRF), 0);
  av_opt_set_int (enc->priv_data, "forced-idr", 1, 0);
  params = g_strdup_printf ("sps-id=%d", id);
  av_opt_set (enc->priv_data, "x264-params", params, 0);

  ret = avcodec_open2 (enc, codec, NULL);
  if (av_failed (ret, error, "Cannot start the H.264 encoder for %dx%d", par->width, par->height))
    return FALSE;
  if (enc->extradata == NULL ||
      !for_each_nal (enc->extradata, (gsize) enc->extradata_size, 0, collect_parameter_sets, sets) ||
      sets->sps->len != 1 || sets->pps->len != 1)
    {
      g_set_error_literal (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                           "The H.264 encoder gave no parameter sets");
      return FALSE;
    }
  declare_source_buffering (r->cut, sets);
  {
    gsize len;
    const guint8 *nal = g_bytes_get_data (g_ptr_array_index (sets->pps, 0), &len);
    if (_ave_h264_parameter_set_id (nal, len) != id)
      {
        g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                     "The H.264 encoder ignored the parameter-set id %d", id);
        return FALSE;
      }
  }
  {
    /* to read the idr_pic_id of x264's IDRs (copies resumed after them) */
    g_autofree AveH264ParameterSets *x264_sets = g_new0 (AveH264ParameterSets, 1);
    gsize len;
    const guint8 *nal = g_bytes_get_data (g_ptr_array_index (sets->sps, 0), &len);
    const char *why = NULL;

    if (_ave_h264_add_parameter_set (x264_sets, nal, len, &why) && x264_sets->sps[id].valid)
      r->x264_log2_max_frame_num = x264_sets->sps[id].log2_max_frame_num;
  }
  return TRUE;
}

static gboolean
open_decoder (Render  *r,
              GError **error)
{
  const AVCodec *codec = avcodec_find_decoder (r->cut->par->codec_id);
  AVCodecContext *dec;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_UNSUPPORTED_CODEC,
                           r->cut->hevc ? "This FFmpeg build has no HEVC decoder"
                                        : "This FFmpeg build has no H.264 decoder");
      return FALSE;
    }
  dec = r->decoder = avcodec_alloc_context3 (codec);
  ret = avcodec_parameters_to_context (dec, r->cut->par);
  if (ret >= 0)
    {
      dec->pkt_timebase = r->cut->time_base;
      /* decoding may start at an open GOP's keyframe (not an IDR) */
      dec->flags2 |= AV_CODEC_FLAG2_SHOW_ALL;
      dec->thread_count = (int) (r->settings->thread_pool_size > 0 ? r->settings->thread_pool_size
                                                                   : CLAMP (r->settings->n_workers, 1, 8));
      ret = avcodec_open2 (dec, codec, NULL);
    }
  return !av_failed (ret, error, "Cannot start the H.264 decoder for %s", r->cut->source_path);
}

/* The avcC for the output: the source's parameter sets, then x264's. */
static GByteArray *
build_avcc (AveSmartCut   *cut,
            ParameterSets *extra)
{
  const AVCodecParameters *par = cut->par;
  g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ParameterSets sets = { sps, pps };
  GByteArray *out = g_byte_array_new ();
  gsize tail = 0;
  guint8 head[6], count;

  parse_avcc (par->extradata, (gsize) par->extradata_size, &sets, &tail);
  for (guint i = 0; extra != NULL && i < extra->sps->len; i++)
    g_ptr_array_add (sps, g_bytes_ref (g_ptr_array_index (extra->sps, i)));
  for (guint i = 0; extra != NULL && i < extra->pps->len; i++)
    g_ptr_array_add (pps, g_bytes_ref (g_ptr_array_index (extra->pps, i)));

  memcpy (head, par->extradata, 4);
  head[4] = 0xfc | 3;                 /* 4-byte NAL lengths */
  head[5] = 0xe0 | (guint8) sps->len;
  g_byte_array_append (out, head, 6);
  append_parameter_sets (out, sps);
  count = (guint8) pps->len;
  g_byte_array_append (out, &count, 1);
  append_parameter_sets (out, pps);
  /* High profile's chroma format and bit depth: the same for both */
  if (tail < (gsize) par->extradata_size)
    g_byte_array_append (out, par->extradata + tail, (guint) ((gsize) par->extradata_size - tail));
  return out;
}

static gboolean
open_output (Render                   *r,
             const AveComposeCaptions *captions,
             const char               *output_path,
             GError                  **error)
{
  AveSmartCut *cut = r->cut;
  g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ParameterSets encoder_sets = { sps, pps };
  g_autoptr(GByteArray) avcc = NULL;
  gboolean need_encoder = FALSE;
  AVCodecParameters *vpar;
  int ret;

  for (guint i = 0; i < cut->chunks->len; i++)
    need_encoder |= g_array_index (cut->chunks, Chunk, i).kind == CHUNK_ENCODE;
  if (need_encoder && (!(cut->mpeg4 ? open_mpeg4_encoder (r, error)
                         : cut->hevc ? open_hevc_encoder (r, error)
                         : open_encoder (r, &encoder_sets, error)) ||
                       !open_decoder (r, error)))
    return FALSE;

  ret = avformat_alloc_output_context2 (&r->out, NULL, "mp4", output_path);
  if (ret < 0 || r->out == NULL)
    return !av_failed (ret < 0 ? ret : AVERROR (ENOMEM), error, "Cannot set up an MP4 file for %s", output_path);

  r->video_st = avformat_new_stream (r->out, NULL);
  vpar = r->video_st->codecpar;
  avcodec_parameters_copy (vpar, cut->par);
  vpar->codec_tag = 0;
  if (cut->hevc)
    /* the source's hvcC; the parameter sets change in the stream */
    vpar->codec_tag = MKTAG ('h', 'e', 'v', '1');
  else if (cut->mpeg4)
    ;   /* the source's VOL header; the encoder's come in the stream */
  else
    {
      avcc = build_avcc (cut, need_encoder ? &encoder_sets : NULL);
      av_freep (&vpar->extradata);
      vpar->extradata = av_mallocz (avcc->len + AV_INPUT_BUFFER_PADDING_SIZE);
      memcpy (vpar->extradata, avcc->data, avcc->len);
      vpar->extradata_size = (int) avcc->len;
    }
  r->video_st->time_base = cut->out_time_base;
  r->video_st->avg_frame_rate = cut->fps;
  r->video_st->sample_aspect_ratio = cut->par->sample_aspect_ratio;
  /* The pictures keep their orientation: the display matrix says how to
   * show them, as it did in the source. */
  if (cut->display_matrix != NULL)
    {
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      guint8 *side = av_stream_new_side_data (r->video_st, AV_PKT_DATA_DISPLAYMATRIX,
                                              cut->display_matrix_size);
G_GNUC_END_IGNORE_DEPRECATIONS
      if (side != NULL)
        memcpy (side, cut->display_matrix, cut->display_matrix_size);
    }

  if (r->audio != NULL)
    {
      if (!audio_pipe_wait_ready (r->audio, error))
        return FALSE;
      r->audio_st = avformat_new_stream (r->out, NULL);
      avcodec_parameters_copy (r->audio_st->codecpar, r->audio->parameters);
      r->audio_st->codecpar->codec_tag = 0;
      r->audio_st->time_base = r->audio->time_base;
    }
  if (r->settings->embed_subtitles && captions != NULL && captions->cues != NULL && captions->cues->len > 0)
    r->subtitles = _ave_subtitle_track_new (r->out, captions->cues, captions->language);

  ret = _ave_media_open_output (r->out, output_path);
  if (av_failed (ret, error, "Cannot write %s", output_path))
    return FALSE;
  ret = avformat_write_header (r->out, NULL);
  return !av_failed (ret, error, "Cannot write the header of %s", output_path);
}

gboolean
ave_smart_cut_render (AveSmartCut        *self,
                      const AveSettings  *settings,
                      const AveComposeCaptions *captions,
                      const char         *output_path,
                      AveComposeResult   *result,
                      AveProgressFunc     progress,
                      gpointer            progress_data,
                      GCancellable       *cancellable,
                      GError            **error)
{
  Render r = { 0 };
  gboolean ok = FALSE;
  int ret;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);
  g_return_val_if_fail (output_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  r.cut = self;
  r.settings = settings;
  r.cancellable = cancellable;
  r.progress = progress;
  r.progress_data = progress_data;
  r.last_progress = -1.0;
  r.next_packet = -1;
  r.pending = av_packet_alloc ();
  r.frame = av_frame_alloc ();
  r.out_pkt = av_packet_alloc ();
  r.scratch = g_byte_array_new ();
  r.last_dts = AV_NOPTS_VALUE;
  r.need_idr = TRUE;
  r.slices = g_array_new (FALSE, FALSE, sizeof (AveH264SliceHeader));
  r.rewritten = g_array_new (FALSE, FALSE, sizeof (AveH264SliceHeader));
  r.rbsp = g_byte_array_new ();
  r.last_idr_pic_id = -1;

  /* The sound, exactly as the full render makes it, on another thread
   * while the pictures are copied and encoded here. */
  if (self->info->has_audio)
    {
      r.audio = audio_pipe_start (self, settings, cancellable, error);
      if (r.audio->thread == NULL)
        goto out;
    }

  ret = _ave_media_open_input (&r.in, self->source_path, NULL);
  if (av_failed (ret, error, "Cannot open %s", self->source_path))
    goto out;
  for (unsigned i = 0; i < r.in->nb_streams; i++)
    if ((int) i != self->video_index)
      r.in->streams[i]->discard = AVDISCARD_ALL;
  if (!open_output (&r, captions, output_path, error))
    goto out;
  note_encoded_pieces (self);

  for (guint i = 0; i < self->chunks->len; i++)
    {
      const Chunk *chunk = &g_array_index (self->chunks, Chunk, i);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      if (chunk->kind == CHUNK_COPY ? !copy_chunk (&r, chunk, error) : !encode_chunk (&r, chunk, error))
        goto out;
      render_progress (&r, 0.99 * (double) r.frames_done / (double) self->n_frames);
    }
  if (r.encoder != NULL)
    {
      ret = avcodec_send_frame (r.encoder, NULL);
      if (av_failed (ret, error, "The H.264 encoder failed") || !receive_encoded (&r, error))
        goto out;
    }
  if (!write_audio_until (&r, -1.0, error))
    goto out;
  if (r.subtitles != NULL && !_ave_subtitle_track_write_until (r.subtitles, -1.0, error))
    goto out;
  if (r.audio != NULL)
    {
      double audio_duration = r.audio->result.output_duration;

      if (fabs (audio_duration - self->grid_frames / av_q2d (self->fps)) > 0.5 / av_q2d (self->fps))
        {
          g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                       "The rendered audio lasts %.3f s, the pictures %.3f s",
                       audio_duration, self->grid_frames / av_q2d (self->fps));
          goto out;
        }
    }
  ret = av_write_trailer (r.out);
  if (av_failed (ret, error, "Cannot finish %s", output_path))
    goto out;
  ok = TRUE;

  if (result != NULL)
    {
      result->output_duration = self->grid_frames / av_q2d (self->fps);
      result->video_frames = self->n_frames;
      result->output_lufs = r.audio != NULL ? r.audio->result.output_lufs : -70.0;
      result->gain_db = r.audio != NULL ? r.audio->result.gain_db : 0.0;
      result->frames_copied = self->frames_copied;
      result->frames_reencoded = self->frames_reencoded;
      result->smart_cut = TRUE;
      result->frames_captioned = 0;
    }
  g_debug ("wrote %s: %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT " copied, %"
           G_GINT64_FORMAT " encoded", output_path, self->n_frames, self->frames_copied, self->frames_reencoded);
  render_progress (&r, 1.0);

out:
  /* after a failure here the sound is no longer wanted: its thread stops */
  g_clear_pointer (&r.audio, audio_pipe_free);
  render_clear (&r);
  return ok;
}
