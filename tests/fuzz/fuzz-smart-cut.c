/* fuzz-smart-cut.c — the smart cut's H.264, HEVC and MPEG-4 Part 2
 * readers, which see the source file's bytes before FFmpeg decodes
 * anything: the avcC/hvcC (stream extradata), VOL headers and the NAL
 * units of each packet, length-prefixed (MP4, Matroska) or Annex B (the
 * encoder's extradata).
 *
 * The first byte picks the reader, the rest is its input:
 *   0        avcC, then the id of each parameter set found (check_stream)
 *   1 to 4   a packet with NAL lengths of that many bytes (index_packets),
 *            its parameter sets and slice headers through the H.264
 *            header rewriter (ave-h264-rewrite.c), each slice a picture
 *   5-253    an Annex B buffer (open_encoder, write_video)
 *   254      an MPEG-4 Part 2 VOL header's low_delay flag (open_mpeg4_encoder)
 *   255      hvcC (check_hevc_stream)
 */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <stdlib.h>

#include "compose/ave-h264-rewrite.h"
#include "compose/ave-smart-cut-private.h"
#include "fuzz-util.h"

typedef struct
{
  AveH264ParameterSets *sets;
  GByteArray           *scratch, *out;
  AveH264Dpb            dpb;
  AveH264Rewriter       rw;
  gboolean              rewriting;
  gint64                id;
} H264Fuzz;

/* A slice written again reads back (headers the writer made, too). */
static void
write_and_read_back (H264Fuzz                 *f,
                     const guint8             *nal,
                     gsize                     size,
                     const AveH264SliceHeader *parsed,
                     const AveH264SliceHeader *header)
{
  AveH264SliceHeader again;
  const char *why = NULL;

  g_byte_array_set_size (f->out, 0);
  _ave_h264_write_slice (f->sets, nal, size, parsed, header, f->scratch, f->out);
  g_assert (f->out->len > 0);
  g_assert_true (_ave_h264_parse_slice_header (f->sets, f->out->data, f->out->len, f->scratch, &again, &why));
  g_assert (again.frame_num == header->frame_num && again.nal_unit_type == header->nal_unit_type);
  g_assert (again.n_mmco == (header->adaptive ? header->n_mmco : 0));
}

static gboolean
visit_h264 (const guint8 *nal,
            gsize         size,
            gpointer      data)
{
  H264Fuzz *f = data;
  int type = nal[0] & 0x1f;
  AveH264SliceHeader h, rewritten;
  const char *why = NULL;

  if (type == 7 || type == 8)
    {
      AveH264Buffering b;

      (void) _ave_h264_add_parameter_set (f->sets, nal, size, &why);
      if (type == 7 && _ave_h264_sps_buffering (nal, size, &b))
        {
          /* the same buffering declared again reads back as it was */
          g_autoptr(GBytes) again = _ave_h264_sps_with_buffering (nal, size, &b, &why);
          AveH264Buffering back;
          gsize len;
          const guint8 *bytes;

          if (again != NULL)
            {
              bytes = g_bytes_get_data (again, &len);
              g_assert_true (_ave_h264_sps_buffering (bytes, len, &back));
              g_assert_true (back.declared);
              g_assert_cmpint (back.num_reorder_frames, ==, b.num_reorder_frames);
              g_assert_cmpint (back.max_dec_frame_buffering, ==, b.max_dec_frame_buffering);
            }
        }
      return TRUE;
    }
  if ((type != 1 && type != 5) || !_ave_h264_parse_slice_header (f->sets, nal, size, f->scratch, &h, &why))
    return TRUE;
  write_and_read_back (f, nal, size, &h, &h);
  (void) _ave_h264_idr_pic_id (nal, size, f->sets->sps[f->sets->pps[h.pps_id].sps_id].log2_max_frame_num);
  if (!f->rewriting && type == 1 && h.slice_type == 2)
    {
      _ave_h264_rewriter_init (&f->rw, &f->dpb, 1);
      f->rewriting = TRUE;
    }
  if (f->rewriting)
    {
      if (_ave_h264_rewriter_picture (&f->rw, f->sets, &h, 1, f->id, &rewritten, &why))
        write_and_read_back (f, nal, size, &h, &rewritten);
      else
        f->rewriting = FALSE;
    }
  (void) _ave_h264_dpb_decode (&f->dpb, f->sets, &h, f->id, NULL, &why);
  f->id++;
  return TRUE;
}

/* An HEVC VPS or SPS: the buffer it declares, declared again, reads back
 * as it was. */
static gboolean
visit_hevc_set (const guint8 *nal,
                gsize         size,
                gpointer      data)
{
  AveHevcBuffering b, back;
  g_autoptr(GBytes) again = NULL;
  const char *why = NULL;
  gsize len;
  const guint8 *bytes;

  if (!_ave_hevc_buffering (nal, size, &b))
    return TRUE;
  again = _ave_hevc_with_buffering (nal, size, &b, 1920 * 1080, &why);
  if (again == NULL)
    return TRUE;
  bytes = g_bytes_get_data (again, &len);
  g_assert_true (_ave_hevc_buffering (bytes, len, &back));
  g_assert_cmpint (back.max_dec_pic_buffering, ==, b.max_dec_pic_buffering);
  g_assert_cmpint (back.num_reorder_pics, ==, b.num_reorder_pics);
  g_assert_cmpint (back.max_latency_increase_plus1, ==, b.max_latency_increase_plus1);
  return TRUE;
}

static gboolean
visit_nal (const guint8 *nal,
           gsize         size,
           gpointer      data)
{
  guint *n_nals = data;
  int type;

  g_assert (size > 0);
  type = nal[0] & 0x1f;
  if (type == 7 || type == 8)
    (void) _ave_smart_cut_parameter_set_id (nal, size);
  (*n_nals)++;
  return TRUE;
}

static void
parameter_set_ids (GPtrArray *list)
{
  for (guint i = 0; i < list->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (list, i), &len);

      g_assert (len > 0);
      (void) _ave_smart_cut_parameter_set_id (nal, len);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) sps = NULL;
  g_autoptr(GPtrArray) pps = NULL;
  guint n_nals = 0;
  gsize tail = 0;
  int mode;

  fuzz_init ();
  if (size < 1)
    return 0;
  mode = data[0];
  data++;
  size--;

  if (mode == 0)
    {
      sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      if (_ave_smart_cut_parse_avcc (data, size, sps, pps, &tail))
        {
          g_assert (tail <= size);
          g_assert (sps->len > 0 && pps->len > 0);
        }
      parameter_set_ids (sps);
      parameter_set_ids (pps);
    }
  else if (mode == 255)
    {
      g_autoptr(GByteArray) sets = _ave_smart_cut_parse_hvcc (data, size);

      /* 4-byte length-prefixed NAL units that the packet reader takes */
      if (sets != NULL)
        {
          g_assert_true (_ave_smart_cut_for_each_nal (sets->data, sets->len, 4, visit_nal, &n_nals));
          g_assert_true (_ave_smart_cut_for_each_nal (sets->data, sets->len, 4, visit_hevc_set, NULL));
        }
    }
  else if (mode == 254)
    {
      gssize bit = _ave_smart_cut_mpeg4_low_delay_bit (data, size);

      g_assert (bit < (gssize) (size * 8));
    }
  else
    {
      (void) _ave_smart_cut_for_each_nal (data, size, mode <= 4 ? mode : 0, visit_nal, &n_nals);
      if (mode <= 4)
        {
          g_autofree AveH264ParameterSets *sets = g_new0 (AveH264ParameterSets, 1);
          g_autoptr(GByteArray) scratch = g_byte_array_new ();
          g_autoptr(GByteArray) out = g_byte_array_new ();
          H264Fuzz f = { sets, scratch, out };

          (void) _ave_smart_cut_for_each_nal (data, size, mode, visit_h264, &f);
        }
    }
  return 0;
}
