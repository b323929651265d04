/* ave-smart-cut-private.h — the smart cut's readers of H.264 bytes that
 * come straight from the source file (avcC extradata, packets), for the
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

G_END_DECLS
