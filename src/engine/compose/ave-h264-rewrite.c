#define G_LOG_DOMAIN "ave-h264-rewrite"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ave-h264-rewrite.h"

/* H.264 (ITU-T H.264, 7.3 syntax, 8.2 reference pictures) as far as the
 * smart cut needs it to turn an open GOP's I-frame into an IDR.  FFmpeg's
 * own reader (CBS) is not public API, hence this small one. */

/* ------------------------------------------------------------ bits */

typedef struct
{
  const guint8 *data;
  gsize         size_bits;
  gsize         pos;
  gboolean      overrun;
} Reader;

static guint32
read_bits (Reader *r,
           int     n)
{
  guint32 v = 0;

  for (int i = 0; i < n; i++)
    {
      if (r->pos >= r->size_bits)
        {
          r->overrun = TRUE;
          return 0;
        }
      v = (v << 1) | ((r->data[r->pos / 8] >> (7 - r->pos % 8)) & 1);
      r->pos++;
    }
  return v;
}

static guint32
read_ue (Reader *r)
{
  int zeros = 0;

  while (read_bits (r, 1) == 0)
    {
      if (r->overrun || ++zeros > 31)
        {
          r->overrun = TRUE;
          return 0;
        }
    }
  if (zeros == 0)
    return 0;
  return (guint32) (((guint64) 1 << zeros) - 1 + read_bits (r, zeros));
}

/* ue(v) of at most `max` (larger values mark the data unreadable: they
 * would overflow what they count). */
static int
read_ue_max (Reader  *r,
             guint32  max)
{
  guint32 v = read_ue (r);

  if (v > max)
    {
      r->overrun = TRUE;
      return 0;
    }
  return (int) v;
}

static gint32
read_se (Reader *r)
{
  guint32 k = read_ue (r);

  return (k & 1) ? (gint32) ((k + 1) / 2) : -(gint32) (k / 2);
}

typedef struct
{
  GByteArray *out;
  guint8      byte;
  int         n;      /* bits in `byte` */
} Writer;

static void
write_bits (Writer  *w,
            guint32  v,
            int      n)
{
  for (int i = n - 1; i >= 0; i--)
    {
      w->byte = (guint8) ((w->byte << 1) | ((v >> i) & 1));
      if (++w->n == 8)
        {
          g_byte_array_append (w->out, &w->byte, 1);
          w->byte = 0;
          w->n = 0;
        }
    }
}

static void
write_ue (Writer  *w,
          guint32  v)
{
  guint64 x = (guint64) v + 1;
  int len = 0;

  while ((x >> len) > 1)
    len++;
  write_bits (w, 0, len);
  for (int i = len; i >= 0; i--)
    write_bits (w, (guint32) ((x >> i) & 1), 1);
}

/* Copies the bits [from, to) of `data` as they are. */
static void
copy_bits (Writer       *w,
           const guint8 *data,
           gsize         from,
           gsize         to)
{
  for (gsize p = from; p < to; p++)
    write_bits (w, (data[p / 8] >> (7 - p % 8)) & 1, 1);
}

/* The RBSP of a NAL unit's payload (after its `header` bytes): emulation
 * prevention bytes (00 00 03) removed, at most `limit` bytes of input. */
static void
unescape_after (const guint8 *nal,
                gsize         size,
                gsize         header,
                gsize         limit,
                GByteArray   *rbsp)
{
  int zeros = 0;

  g_byte_array_set_size (rbsp, 0);
  for (gsize i = header; i < size && i <= limit; i++)
    {
      if (zeros >= 2 && nal[i] == 3)
        {
          zeros = 0;
          continue;
        }
      zeros = nal[i] == 0 ? zeros + 1 : 0;
      g_byte_array_append (rbsp, &nal[i], 1);
    }
}

/* The same for H.264's one-byte NAL header. */
static void
unescape (const guint8 *nal,
          gsize         size,
          gsize         limit,
          GByteArray   *rbsp)
{
  unescape_after (nal, size, 1, limit, rbsp);
}

/* The reverse: 03 after two zero bytes where the next is 00-03, and after
 * a final zero byte (7.4.1). */
static void
escape (const guint8 *rbsp,
        gsize         size,
        GByteArray   *out)
{
  static const guint8 three = 3;
  int zeros = 0;

  for (gsize i = 0; i < size; i++)
    {
      if (zeros >= 2 && rbsp[i] <= 3)
        {
          g_byte_array_append (out, &three, 1);
          zeros = 0;
        }
      g_byte_array_append (out, &rbsp[i], 1);
      zeros = rbsp[i] == 0 ? zeros + 1 : 0;
    }
  if (size > 0 && rbsp[size - 1] == 0)
    g_byte_array_append (out, &three, 1);
}

/* A parameter set written to `w`, ended (rbsp_trailing_bits) and made a
 * NAL unit again: `nal`'s header (`header` bytes), then the escaped RBSP. */
static GBytes *
finish_nal (Writer       *w,
            const guint8 *nal,
            gsize         header)
{
  GByteArray *out = g_byte_array_new ();

  write_bits (w, 1, 1);               /* rbsp_stop_one_bit */
  while (w->n != 0)
    write_bits (w, 0, 1);
  g_byte_array_append (out, nal, (guint) header);
  escape (w->out->data, w->out->len, out);
  return g_byte_array_free_to_bytes (out);
}

/* ------------------------------------------------------------ parameter sets */

static gboolean
skip_scaling_list (Reader *r,
                   int     n)
{
  int last = 8, next = 8;

  for (int j = 0; j < n; j++)
    {
      if (next != 0)
        {
          int delta = read_se (r);
          if (delta < -128 || delta > 127)
            return FALSE;
          next = (last + delta + 256) % 256;
        }
      last = next == 0 ? last : next;
    }
  return !r->overrun;
}

int
_ave_h264_parameter_set_id (const guint8 *nal,
                            gsize         size)
{
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  Reader r = { 0 };
  guint32 id;

  if (size < 2)
    return -1;
  /* an id is a few bytes in: an SPS's after 3 bytes of profile and level */
  unescape (nal, size, 16, rbsp);
  r.data = rbsp->data;
  r.size_bits = rbsp->len * 8;
  if ((nal[0] & 0x1f) == 7)
    read_bits (&r, 24);
  id = read_ue (&r);
  return r.overrun || id > G_MAXINT ? -1 : (int) id;
}

/* Every field of an SPS that the smart cut looks at, read in one walk
 * through the whole set (7.3.2.1.1, and the VUI of E.1.1). */
typedef struct
{
  int      profile_idc;
  gboolean constraint_set3;
  int      level_idc;
  guint    id;
  int      chroma_format;
  gboolean separate_planes;
  int      log2_max_frame_num;
  int      poc_type;
  int      log2_max_poc_lsb;
  gsize    refs_bit, after_refs_bit;  /* max_num_ref_frames in the RBSP */
  int      max_num_ref_frames;
  gboolean gaps_allowed;
  guint    width_mbs;
  guint    height_map_units;
  gboolean frame_mbs_only;
  /* bit offsets in the RBSP: vui_parameters_present_flag, and (with a
   * VUI) bitstream_restriction_flag; what follows the latter is the
   * restriction itself and the trailing bits */
  gsize    vui_bit;
  gboolean vui;
  gsize    restriction_bit;
  gboolean restriction;
  guint    restriction_fields[5];  /* motion_vectors_over_pic_boundaries_flag ... log2_max_mv_length_vertical */
  guint    num_reorder_frames;
  guint    max_dec_frame_buffering;
  gboolean vui_complete;             /* the VUI was read to its end */
} SpsFields;

static gboolean
skip_hrd (Reader *r)
{
  guint cpb_cnt = read_ue (r) + 1;

  if (cpb_cnt > 32)
    return FALSE;
  read_bits (r, 8);                   /* bit_rate_scale, cpb_size_scale */
  for (guint i = 0; i < cpb_cnt; i++)
    {
      read_ue (r);                    /* bit_rate_value_minus1, cpb_size_value_minus1 */
      read_ue (r);
      read_bits (r, 1);               /* cbr_flag */
    }
  read_bits (r, 20);                  /* four delay and offset lengths */
  return !r->overrun;
}

/* FALSE when the set is malformed up to its VUI; a VUI that cannot be
 * read (some encoders truncate it) leaves vui_complete FALSE. */
static gboolean
read_sps (Reader    *r,
          SpsFields *f)
{
  int p;

  *f = (SpsFields) { .chroma_format = 1 };
  p = f->profile_idc = (int) read_bits (r, 8);
  read_bits (r, 3);                   /* constraint_set0..2 */
  f->constraint_set3 = read_bits (r, 1);
  read_bits (r, 4);
  f->level_idc = (int) read_bits (r, 8);
  f->id = read_ue (r);
  if (r->overrun || f->id > 31)
    return FALSE;
  if (p == 100 || p == 110 || p == 122 || p == 244 || p == 44 || p == 83 || p == 86 ||
      p == 118 || p == 128 || p == 138 || p == 139 || p == 134 || p == 135)
    {
      f->chroma_format = read_ue_max (r, 3);
      if (f->chroma_format == 3)
        f->separate_planes = read_bits (r, 1);
      read_ue (r);                    /* bit depths */
      read_ue (r);
      read_bits (r, 1);               /* qpprime_y_zero_transform_bypass */
      if (read_bits (r, 1))           /* seq_scaling_matrix_present */
        for (int i = 0; i < (f->chroma_format != 3 ? 8 : 12); i++)
          if (read_bits (r, 1) && !skip_scaling_list (r, i < 6 ? 16 : 64))
            return FALSE;
    }
  f->log2_max_frame_num = read_ue_max (r, 12) + 4;
  f->poc_type = read_ue_max (r, 2);
  if (f->poc_type == 0)
    f->log2_max_poc_lsb = read_ue_max (r, 12) + 4;
  else if (f->poc_type == 1)
    {
      guint cycle;

      read_bits (r, 1);               /* delta_pic_order_always_zero */
      read_se (r);                    /* offset_for_non_ref_pic, offset_for_top_to_bottom_field */
      read_se (r);
      cycle = read_ue (r);
      if (cycle > 255)
        return FALSE;
      for (guint i = 0; i < cycle; i++)
        read_se (r);
    }
  f->refs_bit = r->pos;
  f->max_num_ref_frames = read_ue_max (r, AVE_H264_MAX_REFS);
  f->after_refs_bit = r->pos;
  f->gaps_allowed = read_bits (r, 1);
  f->width_mbs = read_ue (r) + 1;
  f->height_map_units = read_ue (r) + 1;
  f->frame_mbs_only = read_bits (r, 1);
  if (!f->frame_mbs_only)
    read_bits (r, 1);                 /* mb_adaptive_frame_field */
  read_bits (r, 1);                   /* direct_8x8_inference */
  if (read_bits (r, 1))               /* frame_cropping */
    for (int i = 0; i < 4; i++)
      read_ue (r);
  if (r->overrun || f->log2_max_frame_num > 16 || f->poc_type > 2 ||
      (f->poc_type == 0 && f->log2_max_poc_lsb > 16) || f->max_num_ref_frames > AVE_H264_MAX_REFS)
    return FALSE;
  f->vui_bit = r->pos;
  f->vui = read_bits (r, 1);
  if (f->vui)
    {
      gboolean hrd = FALSE;

      if (read_bits (r, 1) && read_bits (r, 8) == 255)    /* aspect_ratio_idc: Extended_SAR */
        read_bits (r, 32);
      if (read_bits (r, 1))           /* overscan_info_present */
        read_bits (r, 1);
      if (read_bits (r, 1))           /* video_signal_type_present */
        {
          read_bits (r, 4);
          if (read_bits (r, 1))       /* colour_description_present */
            read_bits (r, 24);
        }
      if (read_bits (r, 1))           /* chroma_loc_info_present */
        {
          read_ue (r);
          read_ue (r);
        }
      if (read_bits (r, 1))           /* timing_info_present */
        read_bits (r, 32), read_bits (r, 32), read_bits (r, 1);
      for (int k = 0; k < 2; k++)     /* nal_hrd, vcl_hrd */
        if (read_bits (r, 1))
          {
            hrd = TRUE;
            if (!skip_hrd (r))
              return TRUE;
          }
      if (hrd)
        read_bits (r, 1);             /* low_delay_hrd */
      read_bits (r, 1);               /* pic_struct_present */
      f->restriction_bit = r->pos;
      f->restriction = read_bits (r, 1);
      if (f->restriction)
        {
          f->restriction_fields[0] = read_bits (r, 1);
          for (int i = 1; i < 5; i++)
            f->restriction_fields[i] = read_ue (r);
          f->num_reorder_frames = read_ue (r);
          f->max_dec_frame_buffering = read_ue (r);
        }
    }
  f->vui_complete = !r->overrun;
  return TRUE;
}

static gboolean
parse_sps (AveH264ParameterSets *sets,
           Reader               *r,
           const char          **why)
{
  SpsFields f;

  if (!read_sps (r, &f))
    {
      *why = "an SPS is malformed";
      if (f.id < 32)
        sets->sps[f.id].valid = FALSE;
      return FALSE;
    }
  sets->sps[f.id].valid = FALSE;
  if (f.poc_type == 1)
    {
      *why = "the SPS counts picture order in cycles (pic_order_cnt_type 1)";
      return FALSE;
    }
  if (!f.frame_mbs_only)
    {
      *why = "the SPS allows field pictures (interlaced)";
      return FALSE;
    }
  sets->sps[f.id] = (AveH264Sps) {
    .valid = TRUE,
    .chroma_array_type = f.separate_planes ? 0 : f.chroma_format,
    .frame_mbs_only = f.frame_mbs_only,
    .log2_max_frame_num = f.log2_max_frame_num,
    .poc_type = f.poc_type,
    .log2_max_poc_lsb = f.log2_max_poc_lsb,
    .max_num_ref_frames = f.max_num_ref_frames,
    .gaps_allowed = f.gaps_allowed,
  };
  return TRUE;
}

/* ------------------------------------------------------------ output buffering */

/* MaxDpbMbs of the SPS's level (Table A-1); 0 for a level not in it. */
static guint
max_dpb_mbs (const SpsFields *f)
{
  static const struct { int level; guint mbs; } table[] = {
    { 10, 396 }, { 11, 900 }, { 12, 2376 }, { 13, 2376 }, { 20, 2376 }, { 21, 4752 },
    { 22, 8100 }, { 30, 8100 }, { 31, 18000 }, { 32, 20480 }, { 40, 32768 },
    { 41, 32768 }, { 42, 34816 }, { 50, 110400 }, { 51, 184320 }, { 52, 184320 },
    { 60, 696320 }, { 61, 696320 }, { 62, 696320 },
  };
  gboolean constrained = f->profile_idc == 66 || f->profile_idc == 77 || f->profile_idc == 88;

  /* level 1b: 9, or 11 with constraint_set3 in the constrained profiles */
  if (f->level_idc == 9 || (f->level_idc == 11 && f->constraint_set3 && constrained))
    return 396;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].level == f->level_idc)
      return table[i].mbs;
  return 0;
}

/* MaxDpbFrames (A.3.1 h, A.3.2 f); 0 when the level is unknown. */
static guint
max_dpb_frames (const SpsFields *f)
{
  guint64 frame_mbs = (guint64) f->width_mbs * f->height_map_units * (f->frame_mbs_only ? 1 : 2);

  return frame_mbs > 0 ? (guint) MIN (max_dpb_mbs (f) / frame_mbs, 16) : 0;
}

static gboolean
read_sps_nal (const guint8 *nal,
              gsize         size,
              SpsFields    *f,
              GByteArray   *rbsp)
{
  Reader r;

  if (size < 2 || (nal[0] & 0x1f) != 7)
    return FALSE;
  unescape (nal, size, size, rbsp);
  r = (Reader) { .data = rbsp->data, .size_bits = rbsp->len * 8 };
  return read_sps (&r, f) && f->vui_complete;
}

gboolean
_ave_h264_sps_buffering (const guint8     *nal,
                         gsize             size,
                         AveH264Buffering *buffering)
{
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  SpsFields f;
  int p;

  if (!read_sps_nal (nal, size, &f, rbsp))
    return FALSE;
  p = f.profile_idc;
  buffering->max_num_ref_frames = f.max_num_ref_frames;
  buffering->declared = f.restriction;
  if (f.restriction)
    {
      buffering->num_reorder_frames = (int) MIN (f.num_reorder_frames, 16u);
      buffering->max_dec_frame_buffering = (int) MIN (f.max_dec_frame_buffering, 16u);
      return TRUE;
    }
  /* E.2.1: inferred, 0 for the intra profiles, else the level's most */
  if ((p == 44 || p == 86 || p == 100 || p == 110 || p == 122 || p == 244) && f.constraint_set3)
    {
      buffering->num_reorder_frames = buffering->max_dec_frame_buffering = 0;
      return TRUE;
    }
  buffering->num_reorder_frames = buffering->max_dec_frame_buffering = (int) max_dpb_frames (&f);
  return buffering->max_dec_frame_buffering > 0;
}

GBytes *
_ave_h264_sps_with_buffering (const guint8           *nal,
                              gsize                   size,
                              const AveH264Buffering *buffering,
                              const char            **why)
{
  /* when the SPS has none: what E.2.1 infers, log2 lengths in range */
  static const guint absent[5] = { 1, 2, 1, 15, 15 };
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  g_autoptr(GByteArray) bits = g_byte_array_new ();
  Writer w = { .out = bits };
  SpsFields f;
  const guint *fields;

  if (!read_sps_nal (nal, size, &f, rbsp))
    {
      *why = "the SPS or its VUI cannot be read";
      return NULL;
    }
  /* fewer references than the stream uses would change its decoding;
   * more only let the sliding window keep pictures nothing refers to */
  if (buffering->num_reorder_frames < 0 || buffering->num_reorder_frames > buffering->max_dec_frame_buffering ||
      buffering->max_num_ref_frames < f.max_num_ref_frames ||
      buffering->max_dec_frame_buffering < MAX (buffering->max_num_ref_frames, 1) ||
      (guint) buffering->max_dec_frame_buffering > max_dpb_frames (&f))
    {
      *why = "its level or references do not allow that buffer size";
      return NULL;
    }

  copy_bits (&w, rbsp->data, 0, f.refs_bit);
  write_ue (&w, (guint32) buffering->max_num_ref_frames);
  if (f.vui)
    copy_bits (&w, rbsp->data, f.after_refs_bit, f.restriction_bit);
  else
    {
      /* a VUI that says nothing but the restriction */
      copy_bits (&w, rbsp->data, f.after_refs_bit, f.vui_bit);
      write_bits (&w, 1, 1);
      write_bits (&w, 0, 8);          /* aspect ratio ... pic_struct_present */
    }
  fields = f.restriction ? f.restriction_fields : absent;
  write_bits (&w, 1, 1);              /* bitstream_restriction_flag */
  write_bits (&w, fields[0], 1);
  for (int i = 1; i < 5; i++)
    write_ue (&w, fields[i]);
  write_ue (&w, (guint32) buffering->num_reorder_frames);
  write_ue (&w, (guint32) buffering->max_dec_frame_buffering);
  return finish_nal (&w, nal, 1);
}

static gboolean
parse_pps (AveH264ParameterSets *sets,
           Reader               *r,
           const char          **why)
{
  AveH264Pps pps = { .valid = TRUE };
  guint id = read_ue (r);

  pps.sps_id = read_ue_max (r, 31);
  if (r->overrun || id > 255 || pps.sps_id > 31)
    {
      *why = "a PPS is malformed";
      return FALSE;
    }
  sets->pps[id].valid = FALSE;
  pps.cabac = read_bits (r, 1);
  pps.bottom_field_pic_order_in_frame_present = read_bits (r, 1);
  pps.num_slice_groups = read_ue_max (r, 7) + 1;
  if (pps.num_slice_groups > 1)
    {
      *why = "the PPS has several slice groups (FMO)";
      return FALSE;
    }
  pps.num_ref_idx_default[0] = read_ue_max (r, AVE_H264_MAX_LIST - 1) + 1;
  pps.num_ref_idx_default[1] = read_ue_max (r, AVE_H264_MAX_LIST - 1) + 1;
  pps.weighted_pred = read_bits (r, 1);
  pps.weighted_bipred_idc = (int) read_bits (r, 2);
  read_se (r);                        /* pic_init_qp, pic_init_qs, chroma_qp_index_offset */
  read_se (r);
  read_se (r);
  pps.deblocking_filter_control_present = read_bits (r, 1);
  read_bits (r, 1);                   /* constrained_intra_pred */
  pps.redundant_pic_cnt_present = read_bits (r, 1);
  if (r->overrun || pps.num_ref_idx_default[0] > AVE_H264_MAX_LIST ||
      pps.num_ref_idx_default[1] > AVE_H264_MAX_LIST)
    {
      *why = "a PPS is malformed";
      return FALSE;
    }
  if (!pps.cabac)
    {
      /* CAVLC slice data is not byte-aligned after the header: it would
       * have to be shifted bit by bit */
      *why = "the PPS codes with CAVLC, not CABAC";
      return FALSE;
    }
  sets->pps[id] = pps;
  return TRUE;
}

gboolean
_ave_h264_add_parameter_set (AveH264ParameterSets *sets,
                             const guint8         *nal,
                             gsize                 size,
                             const char          **why)
{
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  Reader r;
  int type;

  if (size < 2)
    {
      *why = "a parameter set is empty";
      return FALSE;
    }
  type = nal[0] & 0x1f;
  unescape (nal, size, size, rbsp);
  r = (Reader) { .data = rbsp->data, .size_bits = rbsp->len * 8 };
  if (type == 7)
    return parse_sps (sets, &r, why);
  if (type == 8)
    return parse_pps (sets, &r, why);
  *why = "not a parameter set";
  return FALSE;
}

/* ------------------------------------------------------------ slice headers */

static gboolean
parse_ops (Reader    *r,
           AveH264Op *ops,
           int        max,
           int       *n,
           gboolean   marking)
{
  *n = 0;
  for (;;)
    {
      /* (modification_of_pic_nums_idc 4 and 5 are MVC's, not here) */
      int op = read_ue_max (r, marking ? 6 : 3);

      if (r->overrun)
        return FALSE;
      if (op == (marking ? 0 : 3))
        return TRUE;
      if (*n >= max)
        return FALSE;
      ops[*n] = (AveH264Op) { op, 0, 0 };
      if (!marking || op != 5)
        ops[*n].value = read_ue (r);
      if (marking && op == 3)
        ops[*n].value2 = read_ue (r);
      (*n)++;
    }
}

static void
skip_weights (Reader *r,
              int     n,
              int     chroma_array_type)
{
  for (int i = 0; i < n; i++)
    {
      if (read_bits (r, 1))
        {
          read_se (r);
          read_se (r);
        }
      if (chroma_array_type != 0 && read_bits (r, 1))
        for (int j = 0; j < 4; j++)
          read_se (r);
    }
}

static gboolean
parse_slice_header (const AveH264ParameterSets *sets,
                    const guint8               *nal,
                    gsize                       rbsp_size,
                    const guint8               *rbsp,
                    AveH264SliceHeader         *h,
                    const char                **why)
{
  Reader r = { .data = rbsp, .size_bits = rbsp_size * 8 };
  const AveH264Pps *pps;
  const AveH264Sps *sps;
  guint pps_id;
  gboolean idr;

  memset (h, 0, sizeof *h);
  h->nal_ref_idc = (nal[0] >> 5) & 3;
  h->nal_unit_type = nal[0] & 0x1f;
  idr = h->nal_unit_type == 5;
  read_ue (&r);                       /* first_mb_in_slice */
  h->slice_type = (int) (read_ue (&r) % 5);
  pps_id = read_ue (&r);
  if (r.overrun || pps_id > 255)
    {
      *why = "a slice header is malformed";
      return FALSE;
    }
  h->pps_id = (int) pps_id;
  pps = &sets->pps[pps_id];
  sps = &sets->sps[pps->sps_id];
  if (!pps->valid || !sps->valid)
    {
      *why = "a slice names a parameter set the rewriter does not handle";
      return FALSE;
    }
  if (h->slice_type == 3 || h->slice_type == 4)
    {
      *why = "the stream has switching (SP/SI) slices";
      return FALSE;
    }
  if (h->nal_ref_idc == 0 && idr)
    {
      *why = "a slice header is malformed";
      return FALSE;
    }
  h->frame_num_bit = r.pos;
  h->frame_num = read_bits (&r, sps->log2_max_frame_num);
  h->idr_bit = r.pos;                 /* frames only: no field flags */
  if (idr)
    h->idr_pic_id = read_ue (&r);
  h->after_idr_bit = r.pos;
  if (sps->poc_type == 0)
    {
      h->poc_lsb = read_bits (&r, sps->log2_max_poc_lsb);
      h->after_poc_lsb_bit = r.pos;
      if (pps->bottom_field_pic_order_in_frame_present)
        h->delta_poc_bottom = read_se (&r);
    }
  else
    h->after_poc_lsb_bit = r.pos;
  if (pps->redundant_pic_cnt_present && read_ue (&r) != 0)
    {
      *why = "the stream has redundant pictures";
      return FALSE;
    }
  if (h->slice_type == 1)
    read_bits (&r, 1);                /* direct_spatial_mv_pred_flag */
  h->num_ref_idx_active[0] = h->slice_type == 2 ? 0 : pps->num_ref_idx_default[0];
  h->num_ref_idx_active[1] = h->slice_type == 1 ? pps->num_ref_idx_default[1] : 0;
  if (h->slice_type != 2 && read_bits (&r, 1))
    {
      h->num_ref_idx_active[0] = read_ue_max (&r, AVE_H264_MAX_LIST - 1) + 1;
      if (h->slice_type == 1)
        h->num_ref_idx_active[1] = read_ue_max (&r, AVE_H264_MAX_LIST - 1) + 1;
    }
  if (h->num_ref_idx_active[0] > AVE_H264_MAX_LIST || h->num_ref_idx_active[1] > AVE_H264_MAX_LIST)
    {
      *why = "a slice header is malformed";
      return FALSE;
    }
  h->mods_bit = r.pos;
  for (int l = 0; l < (h->slice_type == 1 ? 2 : h->slice_type == 0 ? 1 : 0); l++)
    if ((h->modification[l] = read_bits (&r, 1)) &&
        !parse_ops (&r, h->mods[l], AVE_H264_MAX_LIST + 1, &h->n_mods[l], FALSE))
      {
        *why = "a slice header's reference list modification is malformed";
        return FALSE;
      }
  h->after_mods_bit = r.pos;
  if ((pps->weighted_pred && h->slice_type == 0) || (pps->weighted_bipred_idc == 1 && h->slice_type == 1))
    {
      read_ue (&r);                   /* luma_log2_weight_denom */
      if (sps->chroma_array_type != 0)
        read_ue (&r);
      skip_weights (&r, h->num_ref_idx_active[0], sps->chroma_array_type);
      if (h->slice_type == 1)
        skip_weights (&r, h->num_ref_idx_active[1], sps->chroma_array_type);
    }
  h->marking_bit = r.pos;
  if (h->nal_ref_idc != 0)
    {
      if (idr)
        {
          h->no_output_of_prior_pics = read_bits (&r, 1);
          h->long_term_reference = read_bits (&r, 1);
        }
      else if ((h->adaptive = read_bits (&r, 1)) &&
               !parse_ops (&r, h->mmco, AVE_H264_MAX_MMCO, &h->n_mmco, TRUE))
        {
          *why = "a slice header's memory management commands are malformed";
          return FALSE;
        }
    }
  h->after_marking_bit = r.pos;
  if (h->slice_type != 2)
    read_ue (&r);                     /* cabac_init_idc */
  read_se (&r);                       /* slice_qp_delta */
  if (pps->deblocking_filter_control_present && read_ue (&r) != 1)
    {
      read_se (&r);
      read_se (&r);
    }
  h->end_bit = r.pos;
  /* cabac_alignment_one_bit up to the slice data */
  while (r.pos % 8 != 0)
    if (read_bits (&r, 1) != 1)
      {
        *why = "a slice header is malformed";
        return FALSE;
      }
  h->data_byte = r.pos / 8;
  if (r.overrun || h->data_byte >= rbsp_size)
    {
      *why = "a slice header is malformed";
      return FALSE;
    }
  return TRUE;
}

gboolean
_ave_h264_parse_slice_header (const AveH264ParameterSets *sets,
                              const guint8               *nal,
                              gsize                       size,
                              GByteArray                 *scratch,
                              AveH264SliceHeader         *header,
                              const char                **why)
{
  /* A header takes a few dozen bytes; weight tables for many references
   * more.  The whole NAL unit only when the first part was not enough. */
  const gsize first_try = 1024;
  int type;

  if (size < 2)
    {
      *why = "a slice is empty";
      return FALSE;
    }
  type = nal[0] & 0x1f;
  if (type != 1 && type != 5)
    {
      *why = "not a slice of a picture";
      return FALSE;
    }
  unescape (nal, size, first_try, scratch);
  if (parse_slice_header (sets, nal, scratch->len, scratch->data, header, why))
    return TRUE;
  if (size <= first_try)
    return FALSE;
  unescape (nal, size, size, scratch);
  return parse_slice_header (sets, nal, scratch->len, scratch->data, header, why);
}

static void
write_ops (Writer          *w,
           const AveH264Op *ops,
           int              n,
           gboolean         marking)
{
  for (int i = 0; i < n; i++)
    {
      write_ue (w, (guint32) ops[i].op);
      if (!marking || ops[i].op != 5)
        write_ue (w, ops[i].value);
      if (marking && ops[i].op == 3)
        write_ue (w, ops[i].value2);
    }
  write_ue (w, marking ? 0 : 3);
}

void
_ave_h264_write_slice (const AveH264ParameterSets *sets,
                       const guint8               *nal,
                       gsize                       size,
                       const AveH264SliceHeader   *parsed,
                       const AveH264SliceHeader   *h,
                       GByteArray                 *scratch,
                       GByteArray                 *out)
{
  const AveH264Pps *pps = &sets->pps[parsed->pps_id];
  const AveH264Sps *sps = &sets->sps[pps->sps_id];
  g_autoptr(GByteArray) header = g_byte_array_new ();
  Writer w = { .out = header };
  const guint8 *rbsp;
  guint8 nal_header = (guint8) ((h->nal_ref_idc << 5) | h->nal_unit_type);

  unescape (nal, size, size, scratch);
  rbsp = scratch->data;

  copy_bits (&w, rbsp, 0, parsed->frame_num_bit);
  write_bits (&w, h->frame_num, sps->log2_max_frame_num);
  if (h->nal_unit_type == 5)
    write_ue (&w, h->idr_pic_id);
  if (sps->poc_type == 0)
    write_bits (&w, h->poc_lsb, sps->log2_max_poc_lsb);
  copy_bits (&w, rbsp, parsed->after_poc_lsb_bit, parsed->mods_bit);
  for (int l = 0; l < (h->slice_type == 1 ? 2 : h->slice_type == 0 ? 1 : 0); l++)
    {
      gboolean flag = h->modification[l] || h->n_mods[l] > 0;

      write_bits (&w, flag, 1);
      if (flag)
        write_ops (&w, h->mods[l], h->n_mods[l], FALSE);
    }
  copy_bits (&w, rbsp, parsed->after_mods_bit, parsed->marking_bit);
  if (h->nal_ref_idc != 0)
    {
      if (h->nal_unit_type == 5)
        {
          write_bits (&w, h->no_output_of_prior_pics, 1);
          write_bits (&w, h->long_term_reference, 1);
        }
      else
        {
          write_bits (&w, h->adaptive, 1);
          if (h->adaptive)
            write_ops (&w, h->mmco, h->n_mmco, TRUE);
        }
    }
  copy_bits (&w, rbsp, parsed->after_marking_bit, parsed->end_bit);
  while (w.n != 0)
    write_bits (&w, 1, 1);            /* cabac_alignment_one_bit */
  g_byte_array_append (header, rbsp + parsed->data_byte, (guint) (scratch->len - parsed->data_byte));

  g_byte_array_append (out, &nal_header, 1);
  escape (header->data, header->len, out);
}

gint64
_ave_h264_idr_pic_id (const guint8 *nal,
                      gsize         size,
                      int           log2_max_frame_num)
{
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  Reader r;
  guint32 id;

  if (size < 2 || (nal[0] & 0x1f) != 5)
    return -1;
  unescape (nal, size, 64, rbsp);
  r = (Reader) { .data = rbsp->data, .size_bits = rbsp->len * 8 };
  read_ue (&r);                       /* first_mb_in_slice, slice_type, pps_id */
  read_ue (&r);
  read_ue (&r);
  read_bits (&r, log2_max_frame_num);
  id = read_ue (&r);
  return r.overrun ? -1 : (gint64) id;
}

/* ------------------------------------------------------------ reference pictures */

static const AveH264Sps *
header_sps (const AveH264ParameterSets *sets,
            const AveH264SliceHeader   *h)
{
  return &sets->sps[sets->pps[h->pps_id].sps_id];
}

/* FrameNumWrap (8.2.4.1): frames only, so PicNum. */
static gint64
pic_num (guint frame_num,
         guint current,
         gint64 max_frame_num)
{
  return frame_num > current ? (gint64) frame_num - max_frame_num : (gint64) frame_num;
}

static int
dpb_find (const AveH264Dpb *dpb,
          gint64            id)
{
  for (int i = 0; i < dpb->n; i++)
    if (dpb->id[i] == id)
      return i;
  return -1;
}

static void
dpb_remove (AveH264Dpb *dpb,
            int         i)
{
  memmove (&dpb->id[i], &dpb->id[i + 1], (gsize) (dpb->n - i - 1) * sizeof dpb->id[0]);
  memmove (&dpb->frame_num[i], &dpb->frame_num[i + 1], (gsize) (dpb->n - i - 1) * sizeof dpb->frame_num[0]);
  memmove (&dpb->poc[i], &dpb->poc[i + 1], (gsize) (dpb->n - i - 1) * sizeof dpb->poc[0]);
  dpb->n--;
}

/* The picture with PicNum `num`, -1 when there is none. */
static int
dpb_find_pic_num (const AveH264Dpb *dpb,
                  gint64            num,
                  guint             current,
                  gint64            max_frame_num)
{
  for (int i = 0; i < dpb->n; i++)
    if (pic_num (dpb->frame_num[i], current, max_frame_num) == num)
      return i;
  return -1;
}

/* 8.2.1.1 and 8.2.1.3 */
static gint64
dpb_poc (AveH264Dpb               *dpb,
         const AveH264Sps         *sps,
         const AveH264SliceHeader *h)
{
  gboolean idr = h->nal_unit_type == 5;

  if (sps->poc_type == 0)
    {
      gint64 max_lsb = (gint64) 1 << sps->log2_max_poc_lsb;
      gint64 prev_msb = idr ? 0 : dpb->prev_poc_msb;
      gint64 prev_lsb = idr ? 0 : dpb->prev_poc_lsb;
      gint64 lsb = h->poc_lsb, msb, top;

      if (lsb < prev_lsb && prev_lsb - lsb >= max_lsb / 2)
        msb = prev_msb + max_lsb;
      else if (lsb > prev_lsb && lsb - prev_lsb > max_lsb / 2)
        msb = prev_msb - max_lsb;
      else
        msb = prev_msb;
      if (h->nal_ref_idc != 0)
        {
          dpb->prev_poc_msb = msb;
          dpb->prev_poc_lsb = h->poc_lsb;
        }
      top = msb + lsb;
      return MIN (top, top + h->delta_poc_bottom);
    }
  else
    {
      gint64 max_frame_num = (gint64) 1 << sps->log2_max_frame_num;
      gint64 offset = idr ? 0 : dpb->prev_frame_num > h->frame_num
                                ? dpb->prev_frame_num_offset + max_frame_num : dpb->prev_frame_num_offset;
      gint64 poc = idr ? 0 : 2 * (offset + h->frame_num) - (h->nal_ref_idc == 0 ? 1 : 0);

      dpb->prev_frame_num_offset = offset;
      dpb->prev_frame_num = h->frame_num;
      return poc;
    }
}

gboolean
_ave_h264_dpb_decode (AveH264Dpb                 *dpb,
                      const AveH264ParameterSets *sets,
                      const AveH264SliceHeader   *h,
                      gint64                      id,
                      gint64                     *poc_out,
                      const char                **why)
{
  const AveH264Sps *sps = header_sps (sets, h);
  gint64 max_frame_num = (gint64) 1 << sps->log2_max_frame_num;
  gboolean idr = h->nal_unit_type == 5;
  gint64 poc;

  if (!idr && !dpb->started)
    {
      *why = "the stream does not start with an IDR";
      return FALSE;
    }
  if (!idr && h->frame_num != (dpb->prev_ref_frame_num + 1) % max_frame_num)
    {
      *why = "frame_num skips pictures";
      return FALSE;
    }
  poc = dpb_poc (dpb, sps, h);
  if (poc_out != NULL)
    *poc_out = poc;
  if (h->nal_ref_idc == 0)
    return TRUE;

  if (idr)
    {
      if (h->long_term_reference)
        {
          *why = "an IDR is marked a long-term reference";
          return FALSE;
        }
      dpb->n = 0;
      dpb->started = TRUE;
    }
  else if (h->adaptive)
    for (int i = 0; i < h->n_mmco; i++)
      {
        gint64 target;
        int k;

        if (h->mmco[i].op != 1)
          {
            *why = h->mmco[i].op == 5 ? "a picture resets the reference pictures (memory_management_control_operation 5)"
                                      : "the stream uses long-term reference pictures";
            return FALSE;
          }
        target = (gint64) h->frame_num - ((gint64) h->mmco[i].value + 1);
        k = dpb_find_pic_num (dpb, target, h->frame_num, max_frame_num);
        if (k < 0)
          {
            *why = "a memory management command names a picture that is not a reference";
            return FALSE;
          }
        dpb_remove (dpb, k);
      }
  else if (dpb->n > 0 && dpb->n >= MAX (sps->max_num_ref_frames, 1))
    dpb_remove (dpb, 0);              /* sliding window: the oldest (decode order) */
  if (dpb->n >= MAX (sps->max_num_ref_frames, 1))
    {
      *why = "more reference pictures than the SPS allows";
      return FALSE;
    }
  dpb->id[dpb->n] = id;
  dpb->frame_num[dpb->n] = h->frame_num;
  dpb->poc[dpb->n] = poc;
  dpb->n++;
  dpb->prev_ref_frame_num = h->frame_num;
  return TRUE;
}

/* ------------------------------------------------------------ reference lists */

typedef struct
{
  gint64 id;
  gint64 key;
} Entry;

static int
compare_entry_desc (gconstpointer a,
                    gconstpointer b)
{
  gint64 x = ((const Entry *) a)->key, y = ((const Entry *) b)->key;
  return (x < y) - (x > y);
}

static int
compare_entry_asc (gconstpointer a,
                   gconstpointer b)
{
  return -compare_entry_desc (a, b);
}

/* RefPicList0/1 of a slice (8.2.4.2 and 8.2.4.3): picture ids, -1 for "no
 * reference picture"; `targets` gets the pictures the modification
 * names, in its order.  FALSE when it names a picture the DPB lacks. */
static gboolean
build_list (const AveH264Dpb         *dpb,
            gint64                    max_frame_num,
            const AveH264SliceHeader *h,
            gint64                    poc,
            int                       list,
            gint64                   *out,
            gint64                   *targets)
{
  Entry before[AVE_H264_MAX_REFS], after[AVE_H264_MAX_REFS];
  gint64 init[2][AVE_H264_MAX_REFS];
  gint64 work[AVE_H264_MAX_LIST + 1];
  int n_before = 0, n_after = 0, n = h->num_ref_idx_active[list], len = 0;
  gint64 pred = h->frame_num;

  if (h->slice_type == 0)
    {
      for (int i = 0; i < dpb->n; i++)
        before[n_before++] = (Entry) { dpb->id[i], pic_num (dpb->frame_num[i], h->frame_num, max_frame_num) };
      qsort (before, (gsize) n_before, sizeof (Entry), compare_entry_desc);
      for (int i = 0; i < n_before; i++)
        init[0][len++] = before[i].id;
    }
  else
    {
      for (int i = 0; i < dpb->n; i++)
        if (dpb->poc[i] < poc)
          before[n_before++] = (Entry) { dpb->id[i], dpb->poc[i] };
        else
          after[n_after++] = (Entry) { dpb->id[i], dpb->poc[i] };
      qsort (before, (gsize) n_before, sizeof (Entry), compare_entry_desc);
      qsort (after, (gsize) n_after, sizeof (Entry), compare_entry_asc);
      for (int l = 0; l < 2; l++)
        {
          const Entry *first = l == 0 ? before : after, *second = l == 0 ? after : before;
          int n_first = l == 0 ? n_before : n_after, n_second = l == 0 ? n_after : n_before;

          len = 0;
          for (int i = 0; i < n_first; i++)
            init[l][len++] = first[i].id;
          for (int i = 0; i < n_second; i++)
            init[l][len++] = second[i].id;
        }
      if (len > 1 && memcmp (init[0], init[1], (gsize) len * sizeof (gint64)) == 0)
        {
          gint64 t = init[1][0];
          init[1][0] = init[1][1];
          init[1][1] = t;
        }
      if (list == 1)
        memcpy (init[0], init[1], sizeof init[0]);
    }

  for (int i = 0; i <= n; i++)
    work[i] = i < len ? init[0][i] : -1;
  for (int m = 0, ref_idx = 0; m < h->n_mods[list]; m++)
    {
      const AveH264Op *op = &h->mods[list][m];
      gint64 abs_diff = (gint64) op->value + 1, no_wrap, num;
      int k, next;

      if (op->op != 0 && op->op != 1)
        return FALSE;                 /* long-term */
      if (ref_idx >= n)
        return FALSE;
      no_wrap = op->op == 0 ? pred - abs_diff : pred + abs_diff;
      if (no_wrap < 0)
        no_wrap += max_frame_num;
      else if (no_wrap >= max_frame_num)
        no_wrap -= max_frame_num;
      pred = no_wrap;
      num = no_wrap > (gint64) h->frame_num ? no_wrap - max_frame_num : no_wrap;
      k = dpb_find_pic_num (dpb, num, h->frame_num, max_frame_num);
      if (k < 0)
        return FALSE;
      targets[m] = dpb->id[k];
      for (int c = n; c > ref_idx; c--)
        work[c] = work[c - 1];
      work[ref_idx++] = dpb->id[k];
      next = ref_idx;
      for (int c = ref_idx; c <= n; c++)
        if (work[c] != dpb->id[k])
          work[next++] = work[c];
    }
  memcpy (out, work, (gsize) n * sizeof (gint64));
  return TRUE;
}

/* ------------------------------------------------------------ the rewriter */

void
_ave_h264_rewriter_init (AveH264Rewriter  *rw,
                         const AveH264Dpb *source,
                         guint             idr_pic_id)
{
  memset (rw, 0, sizeof *rw);
  rw->source = *source;
  rw->idr_pic_id = idr_pic_id;
}

static gboolean
copied (const AveH264Rewriter *rw,
        gint64                 id)
{
  if (!rw->started || id < rw->key_id)
    return FALSE;
  for (int i = 0; i < rw->n_skipped; i++)
    if (rw->skipped[i] == id)
      return FALSE;
  return TRUE;
}

gboolean
_ave_h264_rewriter_skip (AveH264Rewriter            *rw,
                         const AveH264ParameterSets *sets,
                         const AveH264SliceHeader   *header,
                         gint64                      id,
                         const char                **why)
{
  if (rw->n_skipped >= AVE_H264_MAX_SKIPPED)
    {
      *why = "too many leading pictures are left out";
      return FALSE;
    }
  rw->skipped[rw->n_skipped++] = id;
  return _ave_h264_dpb_decode (&rw->source, sets, header, id, NULL, why);
}

/* The output's counterpart of the source's PicNum arithmetic: an op that
 * makes `pred` (a picNumNoWrap) name the picture with PicNum `num`. */
static AveH264Op
list_op (gint64 *pred,
         gint64  num,
         gint64  max_frame_num)
{
  gint64 no_wrap = num < 0 ? num + max_frame_num : num;
  AveH264Op op;

  if (no_wrap < *pred)
    op = (AveH264Op) { 0, (guint) (*pred - no_wrap - 1) };
  else if (no_wrap > *pred)
    op = (AveH264Op) { 1, (guint) (no_wrap - *pred - 1) };
  else
    op = (AveH264Op) { 0, (guint) (max_frame_num - 1) };   /* all the way round */
  *pred = no_wrap;
  return op;
}

gboolean
_ave_h264_rewriter_picture (AveH264Rewriter            *rw,
                            const AveH264ParameterSets *sets,
                            const AveH264SliceHeader   *slices,
                            int                         n_slices,
                            gint64                      id,
                            AveH264SliceHeader         *out,
                            const char                **why)
{
  const AveH264Sps *sps = header_sps (sets, &slices[0]);
  gint64 max_frame_num = (gint64) 1 << sps->log2_max_frame_num;
  gboolean key = !rw->started;
  AveH264Dpb source_before = rw->source;
  gint64 source_poc, output_poc;
  guint frame_num;

  g_return_val_if_fail (n_slices > 0, FALSE);

  for (int s = 0; s < n_slices; s++)
    {
      const AveH264SliceHeader *h = &slices[s];

      if (header_sps (sets, h) != sps || h->frame_num != slices[0].frame_num ||
          h->nal_ref_idc != slices[0].nal_ref_idc || h->nal_unit_type != slices[0].nal_unit_type ||
          h->poc_lsb != slices[0].poc_lsb || h->adaptive != slices[0].adaptive ||
          h->n_mmco != slices[0].n_mmco ||
          memcmp (h->mmco, slices[0].mmco, (gsize) h->n_mmco * sizeof (AveH264Op)) != 0)
        {
          *why = "the slices of a picture disagree";
          return FALSE;
        }
      if (key && (h->slice_type != 2 || h->nal_ref_idc == 0))
        {
          *why = "the keyframe is not an intra reference picture";
          return FALSE;
        }
    }
  if (key && slices[0].nal_unit_type == 5)
    {
      *why = "the keyframe is already an IDR";
      return FALSE;
    }
  if (!_ave_h264_dpb_decode (&rw->source, sets, &slices[0], id, &source_poc, why))
    return FALSE;

  if (key)
    {
      rw->started = TRUE;
      rw->key_id = id;
      rw->key_poc_lsb = slices[0].poc_lsb;
      frame_num = 0;
    }
  else
    frame_num = (guint) ((rw->output.prev_ref_frame_num + 1) % max_frame_num);

  for (int s = 0; s < n_slices; s++)
    {
      const AveH264SliceHeader *h = &slices[s];
      AveH264SliceHeader *o = &out[s];

      *o = *h;
      o->frame_num = frame_num;
      if (sps->poc_type == 0)
        o->poc_lsb = (guint) ((h->poc_lsb - rw->key_poc_lsb) & ((1u << sps->log2_max_poc_lsb) - 1));
      if (key)
        {
          /* 7.4.3: IDR, frame_num 0, its own idr_pic_id, IDR marking */
          o->nal_unit_type = 5;
          o->idr_pic_id = rw->idr_pic_id;
          o->no_output_of_prior_pics = FALSE;
          o->long_term_reference = FALSE;
          o->adaptive = FALSE;
          o->n_mmco = 0;
        }
    }

  /* The output's picture order counts: the source's less a constant, so
   * B-slices order their references and weigh them as the source does. */
  {
    AveH264Dpb probe = rw->output;
    output_poc = dpb_poc (&probe, sps, &out[0]);
  }
  if (key)
    rw->poc_offset = source_poc - output_poc;
  else if (source_poc - output_poc != rw->poc_offset)
    {
      *why = "the picture order counts cannot be kept apart by a constant";
      return FALSE;
    }

  /* Reference lists: each slice's, in the output, names the same
   * pictures as the source's wherever the source's names a copied one.
   * Modifications name the same pictures in the output's numbering. */
  if (!key)
    for (int s = 0; s < n_slices; s++)
      {
        const AveH264SliceHeader *h = &slices[s];
        AveH264SliceHeader *o = &out[s];

        for (int l = 0; l < (h->slice_type == 1 ? 2 : h->slice_type == 0 ? 1 : 0); l++)
          {
            gint64 source_list[AVE_H264_MAX_LIST], output_list[AVE_H264_MAX_LIST];
            gint64 targets[AVE_H264_MAX_LIST + 1];
            gint64 pred = frame_num;

            if (!build_list (&source_before, max_frame_num, h, source_poc, l, source_list, targets))
              {
                *why = "a reference list modification names a picture that is not a reference";
                return FALSE;
              }
            for (int m = 0; m < h->n_mods[l]; m++)
              {
                int k = dpb_find (&rw->output, targets[m]);

                if (k < 0)
                  {
                    *why = "a reference list names a picture before the keyframe";
                    return FALSE;
                  }
                o->mods[l][m] = list_op (&pred, pic_num (rw->output.frame_num[k], frame_num, max_frame_num),
                                         max_frame_num);
              }
            if (!build_list (&rw->output, max_frame_num, o, output_poc, l, output_list, targets))
              {
                *why = "a reference list cannot be rebuilt";
                return FALSE;
              }
            for (int i = 0; i < h->num_ref_idx_active[l]; i++)
              if (copied (rw, source_list[i]) && source_list[i] != output_list[i])
                {
                  *why = "a reference list would name other pictures than the source's";
                  return FALSE;
                }
          }
      }

  /* Marking: commands for pictures the output never had are left out;
   * none left, the sliding window, whose effect is checked below. */
  if (!key && slices[0].nal_ref_idc != 0 && slices[0].adaptive)
    {
      int kept = 0;

      for (int i = 0; i < slices[0].n_mmco; i++)
        {
          gint64 target = (gint64) slices[0].frame_num - ((gint64) slices[0].mmco[i].value + 1);
          int k = dpb_find_pic_num (&source_before, target, slices[0].frame_num, max_frame_num);
          int j = k >= 0 ? dpb_find (&rw->output, source_before.id[k]) : -1;

          if (j >= 0)
            out[0].mmco[kept++] = (AveH264Op) {
              1, (guint) (frame_num - pic_num (rw->output.frame_num[j], frame_num, max_frame_num) - 1), 0
            };
        }
      out[0].n_mmco = kept;
      out[0].adaptive = kept > 0;
      for (int s = 1; s < n_slices; s++)
        {
          out[s].n_mmco = kept;
          out[s].adaptive = kept > 0;
          memcpy (out[s].mmco, out[0].mmco, sizeof out[0].mmco);
        }
    }

  if (!_ave_h264_dpb_decode (&rw->output, sets, &out[0], id, NULL, why))
    return FALSE;

  /* The output holds exactly the source's references that were copied. */
  for (int i = 0; i < rw->output.n; i++)
    if (dpb_find (&rw->source, rw->output.id[i]) < 0)
      {
        *why = "the output would keep a reference picture the source drops";
        return FALSE;
      }
  rw->converged = TRUE;
  for (int i = 0; i < rw->source.n; i++)
    if (dpb_find (&rw->output, rw->source.id[i]) < 0)
      {
        rw->converged = FALSE;
        if (copied (rw, rw->source.id[i]))
          {
            *why = "the output would drop a reference picture the source keeps";
            return FALSE;
          }
      }
  return TRUE;
}

/* ------------------------------------------------------------ HEVC buffering */

/* profile_tier_level (H.265 7.3.3) with its profile present. */
static void
skip_hevc_profile_tier_level (Reader *r,
                              guint   max_sub_layers_minus1)
{
  gboolean profile[8] = { FALSE }, level[8] = { FALSE };

  read_bits (r, 32);                  /* profile space, tier, profile, compatibility flags 0-23 */
  read_bits (r, 32);                  /* compatibility flags 24-31, constraint flags */
  read_bits (r, 32);                  /* constraint flags, general_level_idc */
  for (guint i = 0; i < max_sub_layers_minus1; i++)
    {
      profile[i] = read_bits (r, 1);
      level[i] = read_bits (r, 1);
    }
  if (max_sub_layers_minus1 > 0)
    for (guint i = max_sub_layers_minus1; i < 8; i++)
      read_bits (r, 2);
  for (guint i = 0; i < max_sub_layers_minus1; i++)
    {
      if (profile[i])
        {
          read_bits (r, 32);
          read_bits (r, 32);
          read_bits (r, 24);
        }
      if (level[i])
        read_bits (r, 8);
    }
}

/* Where a VPS's or SPS's sub_layer_ordering_info lies in its RBSP, and
 * the highest sub-layer's values; FALSE when it cannot be read. */
typedef struct
{
  gsize    start, end;                /* the loop's bits */
  gsize    stop_bit;                  /* rbsp_stop_one_bit */
  guint    first, last;               /* sub-layers it lists */
  int      level_idc;
  guint    width, height;             /* SPS only */
  AveHevcBuffering highest;
} HevcOrdering;

static gboolean
read_hevc_ordering (const GByteArray *rbsp,
                    gboolean          vps,
                    HevcOrdering     *o)
{
  Reader r = { .data = rbsp->data, .size_bits = rbsp->len * 8 };
  guint max_sub_layers_minus1;
  gsize ptl;
  Reader level;

  *o = (HevcOrdering) { 0 };
  if (vps)
    {
      read_bits (&r, 12);             /* id, base layer flags, max_layers_minus1 */
      max_sub_layers_minus1 = read_bits (&r, 3);
      read_bits (&r, 17);             /* temporal_id_nesting, reserved 0xffff */
    }
  else
    {
      read_bits (&r, 4);
      max_sub_layers_minus1 = read_bits (&r, 3);
      read_bits (&r, 1);
    }
  ptl = r.pos;
  skip_hevc_profile_tier_level (&r, max_sub_layers_minus1);
  level = (Reader) { .data = rbsp->data, .size_bits = rbsp->len * 8, .pos = ptl + 88 };
  o->level_idc = (int) read_bits (&level, 8);
  if (!vps)
    {
      read_ue (&r);                   /* sps id */
      if (read_ue (&r) == 3)          /* chroma_format_idc */
        read_bits (&r, 1);
      o->width = read_ue (&r);
      o->height = read_ue (&r);
      if (read_bits (&r, 1))          /* conformance window */
        for (int i = 0; i < 4; i++)
          read_ue (&r);
      read_ue (&r);                   /* bit depths, log2_max_pic_order_cnt_lsb_minus4 */
      read_ue (&r);
      read_ue (&r);
    }
  o->first = read_bits (&r, 1) ? 0 : max_sub_layers_minus1;
  o->last = max_sub_layers_minus1;
  o->start = r.pos;
  for (guint i = o->first; i <= o->last; i++)
    {
      /* (MIN evaluates its arguments twice: read first) */
      guint32 buffering = read_ue (&r), reorder = read_ue (&r), latency = read_ue (&r);

      o->highest.max_dec_pic_buffering = (int) MIN (buffering, 16u) + 1;
      o->highest.num_reorder_pics = (int) MIN (reorder, 16u);
      o->highest.max_latency_increase_plus1 = (int) MIN (latency, (guint32) G_MAXINT);
    }
  o->end = r.pos;
  if (r.overrun || rbsp->len == 0)
    return FALSE;
  /* the stop bit: the last 1 of the RBSP */
  for (gsize bit = rbsp->len * 8; bit > o->end; bit--)
    if ((rbsp->data[(bit - 1) / 8] >> (7 - (bit - 1) % 8)) & 1)
      {
        o->stop_bit = bit - 1;
        return TRUE;
      }
  return FALSE;
}

/* A VPS's or SPS's RBSP and ordering info; FALSE with *why when `nal`
 * is neither or cannot be read. */
static gboolean
read_hevc_set (const guint8  *nal,
               gsize          size,
               GByteArray    *rbsp,
               HevcOrdering  *o,
               gboolean      *vps,
               const char   **why)
{
  int type = size >= 3 ? (nal[0] >> 1) & 0x3f : -1;

  if (type != 32 && type != 33)
    {
      *why = "not a VPS or SPS";
      return FALSE;
    }
  *vps = type == 32;
  unescape_after (nal, size, 2, size, rbsp);
  if (!read_hevc_ordering (rbsp, *vps, o))
    {
      *why = "the parameter set cannot be read";
      return FALSE;
    }
  return TRUE;
}

gboolean
_ave_hevc_buffering (const guint8     *nal,
                     gsize             size,
                     AveHevcBuffering *buffering)
{
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  HevcOrdering o;
  gboolean vps;
  const char *why;

  if (!read_hevc_set (nal, size, rbsp, &o, &vps, &why))
    return FALSE;
  *buffering = o.highest;
  return TRUE;
}

/* MaxDpbSize (A.4.2) for a picture of `samples` luma samples at
 * general_level_idc `level_idc` (30 x the level); 0 for an unknown level. */
static int
hevc_max_dpb_size (int     level_idc,
                   guint64 samples)
{
  static const struct { int level; guint64 max_luma_ps; } table[] = {
    { 30, 36864 }, { 60, 122880 }, { 63, 245760 }, { 90, 552960 }, { 93, 983040 },
    { 120, 2228224 }, { 123, 2228224 }, { 150, 8912896 }, { 153, 8912896 },
    { 156, 8912896 }, { 180, 35651584 }, { 183, 35651584 }, { 186, 35651584 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].level == level_idc)
      {
        guint64 max = table[i].max_luma_ps;

        if (samples <= max >> 2)
          return 16;
        if (samples <= max >> 1)
          return 12;
        if (samples <= (3 * max) >> 2)
          return 8;
        return 6;
      }
  return 0;
}

GBytes *
_ave_hevc_with_buffering (const guint8           *nal,
                          gsize                   size,
                          const AveHevcBuffering *buffering,
                          guint64                 luma_samples,
                          const char            **why)
{
  g_autoptr(GByteArray) rbsp = g_byte_array_new ();
  g_autoptr(GByteArray) bits = g_byte_array_new ();
  Writer w = { .out = bits };
  HevcOrdering o;
  gboolean vps;

  if (!read_hevc_set (nal, size, rbsp, &o, &vps, why))
    return NULL;
  if (buffering->num_reorder_pics < o.highest.num_reorder_pics ||
      buffering->max_dec_pic_buffering < o.highest.max_dec_pic_buffering ||
      buffering->num_reorder_pics > buffering->max_dec_pic_buffering - 1 ||
      buffering->max_dec_pic_buffering >
        hevc_max_dpb_size (o.level_idc, vps ? luma_samples : (guint64) o.width * o.height))
    {
      *why = "its level or its pictures do not allow that buffer";
      return NULL;
    }

  copy_bits (&w, rbsp->data, 0, o.start);
  for (guint i = o.first; i <= o.last; i++)
    {
      write_ue (&w, (guint32) buffering->max_dec_pic_buffering - 1);
      write_ue (&w, (guint32) buffering->num_reorder_pics);
      write_ue (&w, (guint32) buffering->max_latency_increase_plus1);
    }
  copy_bits (&w, rbsp->data, o.end, o.stop_bit);
  return finish_nal (&w, nal, 2);
}
