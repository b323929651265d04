/* ave-h264-rewrite.h — H.264 parameter sets and slice headers, read and
 * written again bit for bit, so that the smart cut can resume a copy at
 * an open GOP's I-frame: the I-frame becomes an IDR and the slices after
 * it are renumbered (docs/composition.md, "Smart cut", Open GOPs).
 *
 * Also the picture buffer an H.264 SPS, or an HEVC VPS or SPS, declares,
 * read and declared again, so that the encoded pieces declare the source's
 * (docs/composition.md, "One picture buffer").
 *
 * Private to src/engine/compose/.  Only what the smart cut can check is
 * accepted: progressive frames, CABAC, one slice group, picture order
 * count type 0 or 2, short-term references only.  Anything else is
 * refused with a reason, and the smart cut encodes instead.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AVE_H264_MAX_REFS     16
#define AVE_H264_MAX_LIST     32
#define AVE_H264_MAX_MMCO     32
/* Leading pictures left out of one resumed copy that the rewriter tracks. */
#define AVE_H264_MAX_SKIPPED  64

typedef struct
{
  gboolean valid;
  int      chroma_array_type;
  gboolean frame_mbs_only;
  int      log2_max_frame_num;
  int      poc_type;
  int      log2_max_poc_lsb;
  gboolean delta_pic_order_always_zero;
  int      max_num_ref_frames;
  gboolean gaps_allowed;
} AveH264Sps;

typedef struct
{
  gboolean valid;
  int      sps_id;
  gboolean cabac;
  gboolean bottom_field_pic_order_in_frame_present;
  int      num_slice_groups;
  int      num_ref_idx_default[2];
  gboolean weighted_pred;
  int      weighted_bipred_idc;
  gboolean deblocking_filter_control_present;
  gboolean redundant_pic_cnt_present;
} AveH264Pps;

typedef struct
{
  AveH264Sps sps[32];
  AveH264Pps pps[256];
} AveH264ParameterSets;

typedef struct
{
  int   op;       /* modification_of_pic_nums_idc or memory_management_control_operation */
  guint value;    /* abs_diff_pic_num_minus1, long_term_pic_num; difference_of_pic_nums_minus1,
                   * long_term_pic_num, max_long_term_frame_idx_plus1 or long_term_frame_idx */
  guint value2;   /* MMCO 3: long_term_frame_idx */
} AveH264Op;

typedef struct
{
  int        nal_ref_idc;
  int        nal_unit_type;
  int        slice_type;            /* 0 P, 1 B, 2 I, 3 SP, 4 SI (slice_type % 5) */
  int        pps_id;
  guint      frame_num;
  guint      idr_pic_id;
  guint      poc_lsb;
  int        delta_poc_bottom;
  int        num_ref_idx_active[2];
  gboolean   modification[2];       /* ref_pic_list_modification_flag_l0/l1 */
  int        n_mods[2];             /* without the closing 3 */
  AveH264Op  mods[2][AVE_H264_MAX_LIST + 1];
  gboolean   no_output_of_prior_pics;
  gboolean   long_term_reference;
  gboolean   adaptive;
  int        n_mmco;                /* without the closing 0 */
  AveH264Op  mmco[AVE_H264_MAX_MMCO];

  /* Bit offsets in the RBSP (after the NAL header byte) of the parts a
   * rewrite changes; what lies between is copied as it is. */
  gsize      frame_num_bit, idr_bit, after_idr_bit, after_poc_lsb_bit;
  gsize      mods_bit, after_mods_bit, marking_bit, after_marking_bit;
  gsize      end_bit;               /* the header's end */
  gsize      data_byte;             /* slice_data (CABAC: byte-aligned) */
} AveH264SliceHeader;

/* The id an SPS or PPS NAL unit (header byte included) declares; -1 when
 * the unit is too short to hold one. */
int      _ave_h264_parameter_set_id    (const guint8         *nal,
                                        gsize                 size);

/* Parses an SPS or PPS NAL unit (header byte included) into `sets`;
 * FALSE with *why when the set is one the rewriter does not handle (the
 * set is then marked unusable, and slices that name it are refused). */
gboolean _ave_h264_add_parameter_set   (AveH264ParameterSets *sets,
                                        const guint8         *nal,
                                        gsize                 size,
                                        const char          **why);

/* The decoded picture buffer an SPS declares: its reference pictures
 * (max_num_ref_frames), how many pictures may wait for output
 * (max_num_reorder_frames) and the buffer's size (max_dec_frame_buffering),
 * the last two declared in its VUI or as a decoder infers them (E.2.1).
 * When an SPS with other values becomes active at an IDR, a decoder may
 * drop the pictures still waiting for output (no_output_of_prior_pics_flag
 * inferred, C.4.4); OpenH264 reallocates its picture buffer when the
 * reference count changes and drops them. */
typedef struct
{
  int      max_num_ref_frames;
  int      num_reorder_frames;
  int      max_dec_frame_buffering;
  gboolean declared;            /* the last two are in the VUI */
} AveH264Buffering;

/* FALSE when `nal` is not an SPS that can be read to the end of its VUI. */
gboolean _ave_h264_sps_buffering       (const guint8           *nal,
                                        gsize                   size,
                                        AveH264Buffering       *buffering);

/* A copy of the SPS `nal` that declares `buffering` (a VUI added when it
 * has none); every other field as it is.  NULL with *why when the SPS
 * cannot be read, or when its level does not allow that buffer or it
 * would declare fewer references than it has. */
GBytes  *_ave_h264_sps_with_buffering  (const guint8           *nal,
                                        gsize                   size,
                                        const AveH264Buffering *buffering,
                                        const char            **why);

/* HEVC's counterpart, from a VPS's or SPS's sub_layer_ordering_info (the
 * highest sub-layer's): x265 writes its own in each encoded piece. */
typedef struct
{
  int max_dec_pic_buffering;        /* sps_max_dec_pic_buffering_minus1 + 1 */
  int num_reorder_pics;
  int max_latency_increase_plus1;
} AveHevcBuffering;

/* FALSE when `nal` is not a VPS or SPS whose ordering info can be read. */
gboolean _ave_hevc_buffering           (const guint8           *nal,
                                        gsize                   size,
                                        AveHevcBuffering       *buffering);

/* A copy of the VPS or SPS `nal` that declares `buffering` for every
 * sub-layer it lists; every other field as it is.  NULL with *why when it
 * cannot be read, when it would declare less than it does, or when its
 * level does not allow that buffer for its pictures (an SPS's own size, a
 * VPS's `luma_samples`). */
GBytes  *_ave_hevc_with_buffering      (const guint8           *nal,
                                        gsize                   size,
                                        const AveHevcBuffering *buffering,
                                        guint64                 luma_samples,
                                        const char            **why);

/* Parses the header of a slice NAL unit (type 1 or 5).  `scratch` holds
 * the unescaped bytes (reused between calls).  FALSE with *why when the
 * slice is one the rewriter does not handle or is malformed. */
gboolean _ave_h264_parse_slice_header  (const AveH264ParameterSets *sets,
                                        const guint8               *nal,
                                        gsize                       size,
                                        GByteArray                 *scratch,
                                        AveH264SliceHeader         *header,
                                        const char                **why);

/* Appends the slice NAL unit `nal` (whose header was parsed into
 * `parsed`) to `out`, with its header replaced by `header` (a changed copy
 * of `parsed`) and emulation prevention bytes redone; slice data is
 * copied as it is.  `scratch` as above. */
void     _ave_h264_write_slice         (const AveH264ParameterSets *sets,
                                        const guint8               *nal,
                                        gsize                       size,
                                        const AveH264SliceHeader   *parsed,
                                        const AveH264SliceHeader   *header,
                                        GByteArray                 *scratch,
                                        GByteArray                 *out);

/* The idr_pic_id of an IDR slice of a progressive stream whose SPS has
 * `log2_max_frame_num`; -1 when `nal` is not one or is malformed. */
gint64   _ave_h264_idr_pic_id          (const guint8 *nal,
                                        gsize         size,
                                        int           log2_max_frame_num);

/* The decoder's reference pictures (short-term only) and picture order
 * count state, as decoding the source in order leaves them. */
typedef struct
{
  int    n;
  gint64 id[AVE_H264_MAX_REFS + 1];        /* the caller's picture ids, decode order */
  guint  frame_num[AVE_H264_MAX_REFS + 1];
  gint64 poc[AVE_H264_MAX_REFS + 1];
  gboolean started;                        /* an IDR was seen */
  guint  prev_ref_frame_num;
  gint64 prev_poc_msb;
  guint  prev_poc_lsb;
  guint  prev_frame_num;                   /* POC type 2 */
  gint64 prev_frame_num_offset;
} AveH264Dpb;

/* Decodes one picture's headers (its first slice's) into `dpb`: picture
 * order count, frame_num order, reference marking.  FALSE with *why when
 * the stream leaves what the rewriter can follow. */
gboolean _ave_h264_dpb_decode          (AveH264Dpb                 *dpb,
                                        const AveH264ParameterSets *sets,
                                        const AveH264SliceHeader   *header,
                                        gint64                      id,
                                        gint64                     *poc,
                                        const char                **why);

/* Makes a copy that starts at an I-frame a stream of its own: the
 * I-frame an IDR, every later picture's headers renumbered, memory
 * management commands for pictures that are not copied removed, and
 * reference lists checked to name the same pictures as the source's. */
typedef struct
{
  AveH264Dpb source;        /* the source's decoder, fed every picture */
  AveH264Dpb output;        /* the output's, fed the copied ones */
  gint64     key_id;
  guint      key_poc_lsb;
  gint64     poc_offset;    /* source POC - output POC */
  gboolean   started;
  gboolean   converged;     /* both hold the same pictures: only renumbering is left */
  guint      idr_pic_id;
  int        n_skipped;
  gint64     skipped[AVE_H264_MAX_SKIPPED];
} AveH264Rewriter;

/* `source` is the source's state before the I-frame. */
void     _ave_h264_rewriter_init       (AveH264Rewriter  *rw,
                                        const AveH264Dpb *source,
                                        guint             idr_pic_id);
/* A source picture the copy leaves out (a leading picture): the source's
 * state follows it. */
gboolean _ave_h264_rewriter_skip       (AveH264Rewriter            *rw,
                                        const AveH264ParameterSets *sets,
                                        const AveH264SliceHeader   *header,
                                        gint64                      id,
                                        const char                **why);
/* A copied picture, all its slices: `out` gets their rewritten headers.
 * The first picture must be the I-frame. */
gboolean _ave_h264_rewriter_picture    (AveH264Rewriter            *rw,
                                        const AveH264ParameterSets *sets,
                                        const AveH264SliceHeader   *slices,
                                        int                         n_slices,
                                        gint64                      id,
                                        AveH264SliceHeader         *out,
                                        const char                **why);

G_END_DECLS
