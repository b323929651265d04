/* ave-smart-cut-private.h — the smart cut's readers of H.264, HEVC and
 * MPEG-4 Part 2 bytes that come straight from the source file (avcC/hvcC
 * extradata, VOL headers, packets), for the
 * fuzz harness (tests/fuzz/fuzz-smart-cut.c).  Not for the engine's use:
 * ave-smart-cut.c calls the static functions these wrap.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*AveNalFunc) (const guint8 *nal, gsize size, gpointer data);

/* Calls `func` on each NAL unit (never empty) of a length-prefixed
 * (length_size 1-4) or Annex B (length_size 0) buffer; FALSE when the
 * buffer is malformed or `func` returns FALSE. */
gboolean _ave_smart_cut_for_each_nal     (const guint8 *buf,
                                          gsize         size,
                                          int           length_size,
                                          AveNalFunc    func,
                                          gpointer      data);
/* Adds the avcC's SPS and PPS (GBytes) to `sps` and `pps`; *tail_offset is
 * where what follows them starts.  FALSE when malformed or one list is empty. */
gboolean _ave_smart_cut_parse_avcc       (const guint8 *avcc,
                                          gsize         size,
                                          GPtrArray    *sps,
                                          GPtrArray    *pps,
                                          gsize        *tail_offset);
/* The id a (non-empty) SPS or PPS NAL unit declares, -1 when unreadable. */
int      _ave_smart_cut_parameter_set_id (const guint8 *nal,
                                          gsize         size);

/* The hvcC's VPS, SPS and PPS as 4-byte length-prefixed NAL units; NULL
 * when malformed or one of the three is missing. */
GByteArray *_ave_smart_cut_parse_hvcc    (const guint8 *hvcc,
                                          gsize         size);
/* The bit offset of the low_delay flag in the first MPEG-4 Part 2 VOL
 * header of `buf`, -1 when there is none (always < size * 8). */
gssize   _ave_smart_cut_mpeg4_low_delay_bit (const guint8 *buf,
                                             gsize         size);

G_END_DECLS
