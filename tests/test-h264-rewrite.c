#define G_LOG_DOMAIN "ave-test-h264-rewrite"

#include "config.h"

#include <string.h>
#include <libavformat/avformat.h>

#include "ave-test-util.h"
#include "compose/ave-h264-rewrite.h"
#include "compose/ave-smart-cut-private.h"

/* The H.264 header rewriter on x264's own streams: headers read and
 * written again unchanged are the same bits; a stream cut at an open
 * GOP's I-frame, made an IDR, is checked with FFmpeg (trace_headers, and
 * decoding to the very pictures of the source, with no message). */

/* 6 s, a keyframe every 24 frames (three leading B-frames each), B-pyramid, weighted prediction, three
 * references: x264's open GOPs with memory management commands and
 * reordered reference lists. */
static const char *
open_gop_media (void)
{
  return ave_test_ffmpeg_media ("open-gop.mp4",
                                "-f lavfi -i testsrc2=s=320x240:r=25:d=6 -c:v libx264 -preset medium "
                                "-x264-params open-gop=1:keyint=24:min-keyint=24:scenecut=0:bframes=3:"
                                "b-pyramid=normal:ref=3:weightp=2 -pix_fmt yuv420p");
}

typedef struct
{
  AveH264ParameterSets *sets;
  GPtrArray            *sps, *pps;   /* GBytes, the avcC's */
  GPtrArray            *packets;     /* AVPacket, decode order */
  int                   length_size;
} Stream;

static void
stream_clear (Stream *s)
{
  g_free (s->sets);
  g_ptr_array_unref (s->sps);
  g_ptr_array_unref (s->pps);
  g_ptr_array_unref (s->packets);
}

static void
free_packet (gpointer p)
{
  AVPacket *pkt = p;
  av_packet_free (&pkt);
}

static void
read_stream (const char *path,
             Stream     *s)
{
  AVFormatContext *fmt = NULL;
  AVPacket *pkt = av_packet_alloc ();
  const AVCodecParameters *par;
  gsize tail;

  s->sets = g_new0 (AveH264ParameterSets, 1);
  s->sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  s->pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  s->packets = g_ptr_array_new_with_free_func (free_packet);
  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (fmt, NULL), >=, 0);
  par = fmt->streams[0]->codecpar;
  g_assert_cmpint (par->codec_id, ==, AV_CODEC_ID_H264);
  g_assert_true (_ave_smart_cut_parse_avcc (par->extradata, (gsize) par->extradata_size, s->sps, s->pps, &tail));
  s->length_size = (par->extradata[4] & 3) + 1;
  for (guint i = 0; i < s->sps->len + s->pps->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (i < s->sps->len ? g_ptr_array_index (s->sps, i)
                                                            : g_ptr_array_index (s->pps, i - s->sps->len), &len);
      const char *why = NULL;

      g_assert_true (_ave_h264_add_parameter_set (s->sets, nal, len, &why));
      g_assert_null (why);
    }
  while (av_read_frame (fmt, pkt) >= 0)
    {
      if (pkt->stream_index == 0)
        g_ptr_array_add (s->packets, av_packet_clone (pkt));
      av_packet_unref (pkt);
    }
  av_packet_free (&pkt);
  avformat_close_input (&fmt);
}

static gboolean
collect_nal (const guint8 *nal,
             gsize         size,
             gpointer      data)
{
  g_ptr_array_add (data, g_bytes_new (nal, size));
  return TRUE;
}

static GPtrArray *
packet_nals (const Stream   *s,
             const AVPacket *pkt)
{
  GPtrArray *nals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_true (_ave_smart_cut_for_each_nal (pkt->data, (gsize) pkt->size, s->length_size, collect_nal, nals));
  return nals;
}

/* The slice headers of one packet, and its slice NAL units. */
static GArray *
packet_slices (const Stream   *s,
               const AVPacket *pkt,
               GPtrArray      *slice_nals,
               GByteArray     *scratch)
{
  g_autoptr(GPtrArray) nals = packet_nals (s, pkt);
  GArray *headers = g_array_new (FALSE, FALSE, sizeof (AveH264SliceHeader));

  for (guint i = 0; i < nals->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (nals, i), &len);
      AveH264SliceHeader h;
      const char *why = NULL;
      int type = nal[0] & 0x1f;

      if (type != 1 && type != 5)
        continue;
      g_assert_true (_ave_h264_parse_slice_header (s->sets, nal, len, scratch, &h, &why));
      g_assert_null (why);
      g_array_append_val (headers, h);
      g_ptr_array_add (slice_nals, g_bytes_ref (g_ptr_array_index (nals, i)));
    }
  g_assert_cmpuint (headers->len, >, 0);
  return headers;
}

/* Every slice of x264's stream, parsed and written with its header
 * unchanged, is the same NAL unit, bit for bit. */
static void
test_roundtrip (void)
{
  Stream s;
  g_autoptr(GByteArray) scratch = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint n_slices = 0, n_marking = 0, n_mods = 0;

  read_stream (open_gop_media (), &s);
  for (guint p = 0; p < s.packets->len; p++)
    {
      g_autoptr(GPtrArray) nals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autoptr(GArray) headers = packet_slices (&s, g_ptr_array_index (s.packets, p), nals, scratch);

      for (guint i = 0; i < headers->len; i++)
        {
          const AveH264SliceHeader *h = &g_array_index (headers, AveH264SliceHeader, i);
          gsize len;
          const guint8 *nal = g_bytes_get_data (g_ptr_array_index (nals, i), &len);

          g_byte_array_set_size (out, 0);
          _ave_h264_write_slice (s.sets, nal, len, h, h, scratch, out);
          g_assert_cmpuint (out->len, ==, len);
          g_assert_true (memcmp (out->data, nal, len) == 0);
          n_slices++;
          n_marking += h->n_mmco > 0;
          n_mods += h->n_mods[0] + h->n_mods[1] > 0;
        }
    }
  g_test_message ("%u slices, %u with memory management commands, %u with list modifications",
                  n_slices, n_marking, n_mods);
  g_assert_cmpuint (n_slices, ==, s.packets->len);
  /* the syntax the rewriter changes is there to be read */
  g_assert_cmpuint (n_marking, >, 10);
  g_assert_cmpuint (n_mods, >, 10);
  stream_clear (&s);
}

static void
append_annexb (GByteArray   *out,
               const guint8 *nal,
               gsize         len)
{
  static const guint8 start[4] = { 0, 0, 0, 1 };

  g_byte_array_append (out, start, 4);
  g_byte_array_append (out, nal, (guint) len);
}

/* The hash column of `ffmpeg -f framemd5` (display order). */
static char **
frame_hashes (const char *path,
              const char *input_options)
{
  g_autofree char *md5 = ave_test_sh_output ("ffmpeg -v error -nostdin %s -i '%s' -f framemd5 - | grep -v '^#' "
                                             "| awk -F', *' '{print $6}'", input_options, path);

  g_strstrip (md5);
  return g_strsplit (md5, "\n", -1);
}

/* Cut at the second GOP's I-frame (not an IDR): made an IDR, its leading
 * pictures left out, everything after renumbered.  FFmpeg reads the
 * IDR's syntax back and decodes the rest of the source's pictures, the
 * very same ones, without a word. */
static void
test_resume_at_open_gop (void)
{
  const char *source = open_gop_media ();
  g_autofree char *cut = ave_test_path ("resumed.h264");
  g_autoptr(GByteArray) scratch = g_byte_array_new ();
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *trace = NULL, *warnings = NULL;
  g_auto(GStrv) source_hashes = NULL, cut_hashes = NULL;
  AveH264Dpb dpb = { 0 };
  AveH264Rewriter rw;
  Stream s;
  gint64 key = -1, key_pts = 0, next_key = -1;
  guint n_keys = 0, n_copied = 0, n_later_pts_before = 0;
  int status;

  read_stream (source, &s);
  for (guint i = 0; i < s.sps->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (s.sps, i), &len);
      append_annexb (stream, nal, len);
    }
  for (guint i = 0; i < s.pps->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (s.pps, i), &len);
      append_annexb (stream, nal, len);
    }

  for (guint p = 0; p < s.packets->len; p++)
    {
      const AVPacket *pkt = g_ptr_array_index (s.packets, p);
      g_autoptr(GPtrArray) nals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autoptr(GArray) headers = packet_slices (&s, pkt, nals, scratch);
      const AveH264SliceHeader *first = &g_array_index (headers, AveH264SliceHeader, 0);
      const char *why = NULL;

      if (pkt->flags & AV_PKT_FLAG_KEY)
        {
          n_keys++;
          if (n_keys == 2)
            {
              g_assert_cmpint (first->nal_unit_type, ==, 1);
              key = p;
              key_pts = pkt->pts;
              _ave_h264_rewriter_init (&rw, &dpb, 1);
            }
          else if (n_keys == 3)
            next_key = p;
        }
      if (key >= 0 && (next_key < 0 || (gint64) p < next_key) && pkt->pts < key_pts)
        {
          /* a leading picture (shows before the I-frame, refers to the GOP before) */
          g_assert_true (_ave_h264_rewriter_skip (&rw, s.sets, first, p, &why));
          n_later_pts_before++;
        }
      else if (key >= 0)
        {
          g_autoptr(GArray) rewritten = g_array_sized_new (FALSE, FALSE, sizeof (AveH264SliceHeader), headers->len);

          g_array_set_size (rewritten, headers->len);
          if (!_ave_h264_rewriter_picture (&rw, s.sets, (const AveH264SliceHeader *) headers->data,
                                           (int) headers->len, p, (AveH264SliceHeader *) rewritten->data, &why))
            g_error ("packet %u: %s", p, why);
          for (guint i = 0; i < headers->len; i++)
            {
              gsize len;
              const guint8 *nal = g_bytes_get_data (g_ptr_array_index (nals, i), &len);
              g_autoptr(GByteArray) nal_out = g_byte_array_new ();

              _ave_h264_write_slice (s.sets, nal, len, &g_array_index (headers, AveH264SliceHeader, i),
                                     &g_array_index (rewritten, AveH264SliceHeader, i), scratch, nal_out);
              append_annexb (stream, nal_out->data, nal_out->len);
            }
          n_copied++;
        }
      g_assert_true (_ave_h264_dpb_decode (&dpb, s.sets, first, p, NULL, &why));
    }
  g_assert_cmpint (key, >, 0);
  g_assert_cmpuint (n_later_pts_before, >, 0);
  g_assert_true (rw.converged);
  g_assert_true (g_file_set_contents (cut, (const char *) stream->data, stream->len, &error));
  g_assert_no_error (error);

  /* the I-frame reads back as an IDR: type 5, frame_num 0, IDR marking */
  trace = ave_test_sh_output ("ffmpeg -v trace -nostdin -i '%s' -c copy -bsf:v trace_headers -frames:v 2 -f null - 2>&1 "
                              "| grep trace_headers | sed 's/^.*] //' | awk '/Slice Header/{n++} n==1'", cut);
  g_assert_true (g_regex_match_simple ("nal_unit_type +00101 = 5\n", trace, 0, 0));
  g_assert_true (g_regex_match_simple ("frame_num +0+ = 0\n", trace, 0, 0));
  g_assert_true (g_regex_match_simple ("idr_pic_id +010 = 1\n", trace, 0, 0));
  g_assert_true (g_regex_match_simple ("no_output_of_prior_pics_flag +0 = 0\n", trace, 0, 0));
  g_assert_true (g_regex_match_simple ("long_term_reference_flag +0 = 0\n", trace, 0, 0));
  g_assert_true (g_regex_match_simple ("pic_order_cnt_lsb +0+ = 0\n", trace, 0, 0));

  /* it decodes without a message, to the source's own pictures */
  status = ave_test_sh_status (NULL, &warnings, "ffmpeg -v warning -nostdin -i '%s' -f null -", cut);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (warnings, ==, "");
  source_hashes = frame_hashes (source, "");
  cut_hashes = frame_hashes (cut, "-r 25");
  g_test_message ("%u of %u pictures copied from packet %" G_GINT64_FORMAT ", %u leading ones left out",
                  n_copied, s.packets->len, key, n_later_pts_before);
  g_assert_cmpuint (g_strv_length (cut_hashes), ==, n_copied);
  g_assert_cmpuint (g_strv_length (source_hashes), ==, s.packets->len);
  for (guint i = 0; i < n_copied; i++)
    g_assert_cmpstr (cut_hashes[i], ==, source_hashes[s.packets->len - n_copied + i]);
  stream_clear (&s);
}

/* A picture of a hand-made stream: POC type 2 (no reordering), CABAC,
 * one slice, at most two reference pictures. */
static AveH264SliceHeader
picture (int   nal_unit_type,
         int   slice_type,
         guint frame_num)
{
  AveH264SliceHeader h = { .nal_ref_idc = 2, .nal_unit_type = nal_unit_type, .slice_type = slice_type,
                           .frame_num = frame_num };

  h.num_ref_idx_active[0] = slice_type == 2 ? 0 : 1;
  return h;
}

static void
hand_made_sets (AveH264ParameterSets *sets)
{
  sets->sps[0] = (AveH264Sps) { .valid = TRUE, .chroma_array_type = 1, .frame_mbs_only = TRUE,
                                .log2_max_frame_num = 4, .poc_type = 2, .max_num_ref_frames = 2 };
  sets->pps[0] = (AveH264Pps) { .valid = TRUE, .cabac = TRUE, .num_slice_groups = 1,
                                .num_ref_idx_default = { 1, 1 } };
}

/* Memory management commands for pictures before the I-frame are left
 * out (the sliding window then does what the source meant), those for
 * copied pictures renumbered; a reference list that names a picture
 * before the I-frame is refused. */
static void
test_references (void)
{
  g_autofree AveH264ParameterSets *sets = g_new0 (AveH264ParameterSets, 1);
  AveH264SliceHeader stream[5], out;
  AveH264Dpb dpb = { 0 };
  AveH264Rewriter rw;
  const char *why = NULL;

  hand_made_sets (sets);
  stream[0] = picture (5, 2, 0);
  stream[1] = picture (1, 0, 1);
  /* the I-frame drops the IDR: picNum 2 - (1 + 1) = 0 */
  stream[2] = picture (1, 2, 2);
  stream[2].adaptive = TRUE;
  stream[2].n_mmco = 1;
  stream[2].mmco[0] = (AveH264Op) { 1, 1, 0 };
  /* drops picture 1 (before the I-frame) */
  stream[3] = picture (1, 0, 3);
  stream[3].adaptive = TRUE;
  stream[3].n_mmco = 1;
  stream[3].mmco[0] = (AveH264Op) { 1, 1, 0 };
  /* drops the I-frame: picNum 4 - 2 = 2 */
  stream[4] = picture (1, 0, 4);
  stream[4].adaptive = TRUE;
  stream[4].n_mmco = 1;
  stream[4].mmco[0] = (AveH264Op) { 1, 1, 0 };

  for (int i = 0; i < 2; i++)
    g_assert_true (_ave_h264_dpb_decode (&dpb, sets, &stream[i], i, NULL, &why));
  _ave_h264_rewriter_init (&rw, &dpb, 3);
  g_assert_true (_ave_h264_rewriter_picture (&rw, sets, &stream[2], 1, 2, &out, &why));
  g_assert_cmpint (out.nal_unit_type, ==, 5);
  g_assert_cmpuint (out.frame_num, ==, 0);
  g_assert_cmpuint (out.idr_pic_id, ==, 3);
  g_assert_false (out.adaptive);
  g_assert_false (rw.converged);

  g_assert_true (_ave_h264_rewriter_picture (&rw, sets, &stream[3], 1, 3, &out, &why));
  g_assert_cmpuint (out.frame_num, ==, 1);
  g_assert_false (out.adaptive);
  g_assert_cmpint (out.n_mmco, ==, 0);
  g_assert_true (rw.converged);

  g_assert_true (_ave_h264_rewriter_picture (&rw, sets, &stream[4], 1, 4, &out, &why));
  g_assert_cmpuint (out.frame_num, ==, 2);
  g_assert_true (out.adaptive);
  g_assert_cmpint (out.n_mmco, ==, 1);
  /* the I-frame is now picNum 0: 2 - (1 + 1) */
  g_assert_cmpuint (out.mmco[0].value, ==, 1);

  /* a P-frame after the I-frame that puts picture 1 (before it, still a
   * reference: the sliding window dropped the IDR) first: picNum
   * 3 - (1 + 1) = 1 */
  stream[3] = picture (1, 0, 3);
  stream[3].modification[0] = TRUE;
  stream[3].n_mods[0] = 1;
  stream[3].mods[0][0] = (AveH264Op) { 0, 1, 0 };
  dpb = (AveH264Dpb) { 0 };
  for (int i = 0; i < 2; i++)
    g_assert_true (_ave_h264_dpb_decode (&dpb, sets, &stream[i], i, NULL, &why));
  _ave_h264_rewriter_init (&rw, &dpb, 0);
  stream[2].n_mmco = 0;
  stream[2].adaptive = FALSE;
  g_assert_true (_ave_h264_rewriter_picture (&rw, sets, &stream[2], 1, 2, &out, &why));
  g_assert_false (_ave_h264_rewriter_picture (&rw, sets, &stream[3], 1, 3, &out, &why));
  g_test_message ("refused: %s", why);
  g_assert_nonnull (strstr (why, "before the keyframe"));
}

/* What the rewriter does not handle is refused with a reason. */
static void
test_refused (void)
{
  const char *cavlc = ave_test_ffmpeg_media ("cavlc.mp4", "-f lavfi -i testsrc2=s=160x120:r=25:d=1 -c:v libx264 "
                                             "-preset veryfast -coder 0 -x264-params open-gop=1 -pix_fmt yuv420p");
  const char *interlaced = ave_test_ffmpeg_media ("interlaced.mp4", "-f lavfi -i testsrc2=s=160x120:r=25:d=1 "
                                                  "-c:v libx264 -preset veryfast -flags +ildct+ilme -pix_fmt yuv420p");
  const char *paths[] = { cavlc, interlaced };
  const char *expected[] = { "CAVLC", "interlaced" };

  for (guint k = 0; k < G_N_ELEMENTS (paths); k++)
    {
      AVFormatContext *fmt = NULL;
      g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autofree AveH264ParameterSets *sets = g_new0 (AveH264ParameterSets, 1);
      const AVCodecParameters *par;
      const char *why = NULL;
      gboolean ok = TRUE;
      gsize tail, len;
      const guint8 *nal;

      g_assert_cmpint (avformat_open_input (&fmt, paths[k], NULL, NULL), ==, 0);
      par = fmt->streams[0]->codecpar;
      g_assert_true (_ave_smart_cut_parse_avcc (par->extradata, (gsize) par->extradata_size, sps, pps, &tail));
      nal = g_bytes_get_data (g_ptr_array_index (sps, 0), &len);
      ok = _ave_h264_add_parameter_set (sets, nal, len, &why);
      if (ok)
        {
          nal = g_bytes_get_data (g_ptr_array_index (pps, 0), &len);
          ok = _ave_h264_add_parameter_set (sets, nal, len, &why);
        }
      g_assert_false (ok);
      g_assert_nonnull (why);
      g_test_message ("%s: %s", paths[k], why);
      g_assert_nonnull (strstr (why, expected[k]));
      avformat_close_input (&fmt);
    }
}

/* The SPS of `path`'s avcC (the first). */
static GBytes *
first_sps (const char *path)
{
  AVFormatContext *fmt = NULL;
  g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const AVCodecParameters *par;
  gsize tail;
  GBytes *first;

  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  par = fmt->streams[0]->codecpar;
  g_assert_true (_ave_smart_cut_parse_avcc (par->extradata, (gsize) par->extradata_size, sps, pps, &tail));
  g_assert_cmpuint (sps->len, >=, 1);
  first = g_bytes_ref (g_ptr_array_index (sps, 0));
  avformat_close_input (&fmt);
  return first;
}

typedef struct
{
  GByteArray *out;
  guint8      byte;
  int         n;
} Bits;

static void
put_bits (Bits   *b,
          guint32 v,
          int     n)
{
  for (int i = n - 1; i >= 0; i--)
    {
      b->byte = (guint8) ((b->byte << 1) | ((v >> i) & 1));
      if (++b->n == 8)
        {
          g_byte_array_append (b->out, &b->byte, 1);
          b->byte = 0;
          b->n = 0;
        }
    }
}

static void
put_ue (Bits   *b,
        guint32 v)
{
  int len = 0;

  while (((guint64) v + 1) >> (len + 1))
    len++;
  put_bits (b, 0, len);
  put_bits (b, v + 1, len + 1);
}

/* x264's SPS with zerolatency (no reordering, one-picture buffer) made to
 * declare the buffering of a source with B-frames: FFmpeg's own reader
 * (trace_headers) reads the new values, the stream decodes to the same
 * pictures, and every other field is as it was.  Values a level or the
 * reference count does not allow are refused; an SPS without a VUI gets
 * one. */
static void
test_sps_buffering (void)
{
  const char *source = open_gop_media ();
  const char *piece = ave_test_ffmpeg_media ("zerolatency.mp4", "-f lavfi -i testsrc2=s=320x240:r=25:d=1 "
                                             "-c:v libx264 -preset superfast -tune zerolatency -pix_fmt yuv420p");
  g_autoptr(GBytes) source_sps = first_sps (source);
  g_autoptr(GBytes) piece_sps = first_sps (piece);
  g_autoptr(GBytes) declared = NULL;
  g_autofree AveH264ParameterSets *before = g_new0 (AveH264ParameterSets, 1);
  g_autofree AveH264ParameterSets *after = g_new0 (AveH264ParameterSets, 1);
  g_autofree char *stream_path = ave_test_path ("declared.h264");
  g_autofree char *trace = NULL;
  g_auto(GStrv) piece_hashes = NULL, declared_hashes = NULL;
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  AveH264Buffering want, have, wrong;
  const char *why = NULL;
  gsize len;
  const guint8 *nal;
  Stream s;

  nal = g_bytes_get_data (source_sps, &len);
  g_assert_true (_ave_h264_sps_buffering (nal, len, &want));
  g_assert_true (want.declared);
  g_test_message ("source: %d references, %d pictures wait, buffer of %d", want.max_num_ref_frames,
                  want.num_reorder_frames, want.max_dec_frame_buffering);
  g_assert_cmpint (want.num_reorder_frames, >, 0);
  g_assert_cmpint (want.max_num_ref_frames, >, 1);
  nal = g_bytes_get_data (piece_sps, &len);
  g_assert_true (_ave_h264_sps_buffering (nal, len, &have));
  g_assert_cmpint (have.max_num_ref_frames, ==, 1);
  g_assert_cmpint (have.num_reorder_frames, ==, 0);
  g_assert_cmpint (have.max_dec_frame_buffering, <, want.max_dec_frame_buffering);

  declared = _ave_h264_sps_with_buffering (nal, len, &want, &why);
  g_assert_nonnull (declared);
  g_assert_null (why);
  nal = g_bytes_get_data (declared, &len);
  g_assert_true (_ave_h264_sps_buffering (nal, len, &have));
  g_assert_true (have.declared);
  g_assert_cmpint (have.max_num_ref_frames, ==, want.max_num_ref_frames);
  g_assert_cmpint (have.num_reorder_frames, ==, want.num_reorder_frames);
  g_assert_cmpint (have.max_dec_frame_buffering, ==, want.max_dec_frame_buffering);
  g_assert_true (_ave_h264_add_parameter_set (after, nal, len, &why));
  nal = g_bytes_get_data (piece_sps, &len);
  g_assert_true (_ave_h264_add_parameter_set (before, nal, len, &why));
  before->sps[0].max_num_ref_frames = want.max_num_ref_frames;
  g_assert_cmpmem (&before->sps[0], sizeof before->sps[0], &after->sps[0], sizeof after->sps[0]);

  /* the piece's stream with the new SPS, read and decoded by FFmpeg */
  read_stream (piece, &s);
  nal = g_bytes_get_data (declared, &len);
  append_annexb (stream, nal, len);
  for (guint i = 0; i < s.pps->len; i++)
    {
      nal = g_bytes_get_data (g_ptr_array_index (s.pps, i), &len);
      append_annexb (stream, nal, len);
    }
  for (guint p = 0; p < s.packets->len; p++)
    {
      g_autoptr(GPtrArray) nals = packet_nals (&s, g_ptr_array_index (s.packets, p));

      for (guint k = 0; k < nals->len; k++)
        {
          nal = g_bytes_get_data (g_ptr_array_index (nals, k), &len);
          if ((nal[0] & 0x1f) != 7 && (nal[0] & 0x1f) != 8)
            append_annexb (stream, nal, len);
        }
    }
  stream_clear (&s);
  g_assert_true (g_file_set_contents (stream_path, (const char *) stream->data, stream->len, NULL));
  trace = ave_test_sh_output ("ffmpeg -nostdin -f h264 -i '%s' -c copy -bsf:v trace_headers -f null - 2>&1 "
                              "| grep -E 'max_num_ref_frames|max_num_reorder_frames|max_dec_frame_buffering' | head -3 "
                              "| awk '{print $NF}' | paste -sd,", stream_path);
  g_strstrip (trace);
  {
    g_autofree char *expected = g_strdup_printf ("%d,%d,%d", want.max_num_ref_frames, want.num_reorder_frames,
                                                 want.max_dec_frame_buffering);
    g_assert_cmpstr (trace, ==, expected);
  }
  piece_hashes = frame_hashes (piece, "");
  declared_hashes = frame_hashes (stream_path, "-f h264");
  g_assert_cmpuint (g_strv_length (piece_hashes), ==, 25);
  g_assert_true (g_strv_equal ((const char * const *) piece_hashes, (const char * const *) declared_hashes));

  /* what cannot be declared */
  nal = g_bytes_get_data (source_sps, &len);
  wrong = want;
  wrong.max_dec_frame_buffering = want.max_num_ref_frames - 1;
  g_assert_null (_ave_h264_sps_with_buffering (nal, len, &wrong, &why));
  g_test_message ("a buffer smaller than the references: %s", why);
  wrong = want;
  wrong.max_num_ref_frames--;
  g_assert_null (_ave_h264_sps_with_buffering (nal, len, &wrong, &why));
  g_test_message ("fewer references than the stream has: %s", why);
  wrong = want;
  wrong.num_reorder_frames = want.max_dec_frame_buffering + 1;
  g_assert_null (_ave_h264_sps_with_buffering (nal, len, &wrong, &why));
  wrong = want;
  wrong.max_dec_frame_buffering = 16;
  g_assert_null (_ave_h264_sps_with_buffering (nal, len, &wrong, &why));
  g_test_message ("more than the level allows at 320x240: %s", why);
  {
    g_autoptr(GBytes) same = _ave_h264_sps_with_buffering (nal, len, &want, &why);
    g_assert_nonnull (same);
  }

  /* Baseline, level 3.0, 1280x720, no VUI: a decoder infers MaxDpbFrames
   * (8100 / 3600 macroblocks: 2) for both values */
  {
    g_autoptr(GByteArray) bare = g_byte_array_new ();
    g_autoptr(GBytes) with_vui = NULL;
    Bits b = { .out = bare };
    AveH264Buffering inferred, low = { .max_num_ref_frames = 2, .num_reorder_frames = 0,
                                       .max_dec_frame_buffering = 2 };

    put_bits (&b, 0x67, 8);             /* NAL header: SPS */
    put_bits (&b, 66, 8);
    put_bits (&b, 0, 8);
    put_bits (&b, 30, 8);
    put_ue (&b, 0);                     /* id */
    put_ue (&b, 0);                     /* log2_max_frame_num - 4 */
    put_ue (&b, 2);                     /* POC type */
    put_ue (&b, 1);                     /* references */
    put_bits (&b, 0, 1);
    put_ue (&b, 79);                    /* 80 x 45 macroblocks */
    put_ue (&b, 44);
    put_bits (&b, 1, 1);                /* frame_mbs_only */
    put_bits (&b, 1, 1);                /* direct_8x8_inference */
    put_bits (&b, 0, 1);                /* no cropping */
    put_bits (&b, 0, 1);                /* no VUI */
    put_bits (&b, 1, 1);
    while (b.n != 0)
      put_bits (&b, 0, 1);
    g_assert_true (_ave_h264_sps_buffering (bare->data, bare->len, &inferred));
    g_assert_false (inferred.declared);
    g_assert_cmpint (inferred.num_reorder_frames, ==, 2);
    g_assert_cmpint (inferred.max_dec_frame_buffering, ==, 2);
    with_vui = _ave_h264_sps_with_buffering (bare->data, bare->len, &low, &why);
    g_assert_nonnull (with_vui);
    nal = g_bytes_get_data (with_vui, &len);
    g_assert_true (_ave_h264_sps_buffering (nal, len, &have));
    g_assert_true (have.declared);
    g_assert_cmpint (have.max_num_ref_frames, ==, 2);
    g_assert_cmpint (have.num_reorder_frames, ==, 0);
    g_assert_cmpint (have.max_dec_frame_buffering, ==, 2);
  }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The VPS and SPS NAL units in the first packet of an HEVC file whose
 * encoder repeats them in the stream (hev1). */
static GPtrArray *
hevc_sets (const char *path)
{
  AVFormatContext *fmt = NULL;
  AVPacket *pkt = av_packet_alloc ();
  GPtrArray *sets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  g_assert_cmpint (av_read_frame (fmt, pkt), >=, 0);
  g_assert_true (_ave_smart_cut_for_each_nal (pkt->data, (gsize) pkt->size, 4, collect_nal, sets));
  for (guint i = sets->len; i-- > 0;)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (sets, i), &len);
      int type = (nal[0] >> 1) & 0x3f;

      if (type != 32 && type != 33)
        g_ptr_array_remove_index (sets, i);
    }
  av_packet_free (&pkt);
  avformat_close_input (&fmt);
  return sets;
}

/* x265's VPS and SPS with zerolatency made to declare the buffer of an
 * x265 source with B-frames: FFmpeg's reader (trace_headers) reads the
 * new values in every one, and the piece decodes to the same pictures;
 * less than a set declares itself is refused. */
static void
test_hevc_buffering (void)
{
  const char *source, *piece;
  g_autoptr(GPtrArray) source_sets = NULL, piece_sets = NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *stream_path = ave_test_path ("declared.hevc");
  g_autofree char *trace = NULL;
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_auto(GStrv) piece_hashes = NULL, declared_hashes = NULL;
  AveHevcBuffering want, have, less = { .max_dec_pic_buffering = 1 };
  const char *why = NULL;
  gsize len;
  const guint8 *nal;
  AVFormatContext *fmt = NULL;
  AVPacket *pkt;

  if (ave_test_sh_status (NULL, NULL, "ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx265") != 0)
    {
      g_test_skip ("this FFmpeg has no libx265");
      return;
    }
  source = ave_test_ffmpeg_media ("x265.mp4", "-f lavfi -i testsrc2=s=320x240:r=25:d=1 -c:v libx265 "
                                  "-preset veryfast -x265-params log-level=error:repeat-headers=1 "
                                  "-tag:v hev1 -pix_fmt yuv420p");
  piece = ave_test_ffmpeg_media ("x265-zerolatency.mp4", "-f lavfi -i testsrc2=s=320x240:r=25:d=1 -c:v libx265 "
                                 "-preset ultrafast -tune zerolatency -x265-params log-level=error:repeat-headers=1 "
                                 "-tag:v hev1 -pix_fmt yuv420p");
  source_sets = hevc_sets (source);
  piece_sets = hevc_sets (piece);
  g_assert_cmpuint (source_sets->len, ==, 2);
  g_assert_cmpuint (piece_sets->len, ==, 2);
  nal = g_bytes_get_data (g_ptr_array_index (source_sets, 1), &len);
  g_assert_true (_ave_hevc_buffering (nal, len, &want));
  g_test_message ("source: buffer of %d, %d pictures wait, latency %d", want.max_dec_pic_buffering,
                  want.num_reorder_pics, want.max_latency_increase_plus1);
  g_assert_cmpint (want.num_reorder_pics, >, 0);
  nal = g_bytes_get_data (g_ptr_array_index (piece_sets, 1), &len);
  g_assert_true (_ave_hevc_buffering (nal, len, &have));
  g_assert_cmpint (have.num_reorder_pics, ==, 0);
  g_assert_cmpint (have.max_dec_pic_buffering, <, want.max_dec_pic_buffering);

  /* the piece's stream, each VPS and SPS declaring the source's buffer */
  g_assert_cmpint (avformat_open_input (&fmt, piece, NULL, NULL), ==, 0);
  pkt = av_packet_alloc ();
  while (av_read_frame (fmt, pkt) >= 0)
    {
      g_autoptr(GPtrArray) nals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

      g_assert_true (_ave_smart_cut_for_each_nal (pkt->data, (gsize) pkt->size, 4, collect_nal, nals));
      for (guint k = 0; k < nals->len; k++)
        {
          g_autoptr(GBytes) declared = NULL;
          int type;

          nal = g_bytes_get_data (g_ptr_array_index (nals, k), &len);
          type = (nal[0] >> 1) & 0x3f;
          if (type == 32 || type == 33)
            {
              declared = _ave_hevc_with_buffering (nal, len, &want, 320 * 240, &why);
              g_assert_nonnull (declared);
              nal = g_bytes_get_data (declared, &len);
              g_assert_true (_ave_hevc_buffering (nal, len, &have));
              g_assert_cmpmem (&have, sizeof have, &want, sizeof want);
            }
          append_annexb (stream, nal, len);
        }
      av_packet_unref (pkt);
    }
  av_packet_free (&pkt);
  avformat_close_input (&fmt);
  g_assert_true (g_file_set_contents (stream_path, (const char *) stream->data, stream->len, NULL));

  /* every VPS and SPS says the same (minus1, reorder, latency), as
   * `sort -u` lists the values */
  trace = ave_test_sh_output ("ffmpeg -nostdin -f hevc -i '%s' -c copy -bsf:v trace_headers -f null - 2>&1 "
                              "| grep -E 's_max_dec_pic_buffering_minus1|s_max_num_reorder_pics|s_max_latency_increase' "
                              "| awk '{print $NF}' | sort -u | paste -sd,", stream_path);
  g_strstrip (trace);
  g_ptr_array_add (values, g_strdup_printf ("%d", want.max_dec_pic_buffering - 1));
  g_ptr_array_add (values, g_strdup_printf ("%d", want.num_reorder_pics));
  g_ptr_array_add (values, g_strdup_printf ("%d", want.max_latency_increase_plus1));
  g_ptr_array_sort (values, compare_strings);
  for (guint i = 0; i < values->len; i++)
    if (i == 0 || g_strcmp0 (values->pdata[i], values->pdata[i - 1]) != 0)
      g_string_append_printf (expected, "%s%s", expected->len > 0 ? "," : "", (char *) values->pdata[i]);
  g_assert_cmpstr (trace, ==, expected->str);
  piece_hashes = frame_hashes (piece, "");
  declared_hashes = frame_hashes (stream_path, "-f hevc");
  g_assert_cmpuint (g_strv_length (piece_hashes), ==, 25);
  g_assert_true (g_strv_equal ((const char * const *) piece_hashes, (const char * const *) declared_hashes));

  nal = g_bytes_get_data (g_ptr_array_index (source_sets, 1), &len);
  g_assert_null (_ave_hevc_with_buffering (nal, len, &less, 320 * 240, &why));
  g_test_message ("less than it declares: %s", why);
}

int
main (int    argc,
      char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/h264-rewrite/roundtrip", test_roundtrip);
  g_test_add_func ("/engine/h264-rewrite/resume-at-open-gop", test_resume_at_open_gop);
  g_test_add_func ("/engine/h264-rewrite/references", test_references);
  g_test_add_func ("/engine/h264-rewrite/refused", test_refused);
  g_test_add_func ("/engine/h264-rewrite/sps-buffering", test_sps_buffering);
  g_test_add_func ("/engine/h264-rewrite/hevc-buffering", test_hevc_buffering);
  return g_test_run ();
}
