/* ave-smart-cut.h — fast mode: cut-only plans rendered by copying GOPs.
 *
 * A cut-only plan (every cut a hard cut, no cards) shows the source's own
 * pictures, so most of them need no new encode: whole GOPs between the cuts
 * are copied packet for packet with their own timestamps, and only the
 * frames between a cut and the next keyframe are decoded and encoded
 * again.  The sound is rendered exactly as ave_composer_render() renders
 * it (cross-fades at cuts, loudness) and muxed next to the copied
 * pictures.  docs/composition.md,
 * "Smart cut", explains the choices and their limits.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "core/ave-progress.h"
#include "director/ave-plan.h"
#include "ave-composer.h"

G_BEGIN_DECLS

typedef struct _AveSmartCut AveSmartCut;

/* Checks that `plan` can be smart cut and indexes the source's video
 * packets (one read of the video stream, no decoding), then decides piece
 * by piece what is copied and what encoded.  Returns NULL and a one-line
 * reason in *reason (never an error: the full render is then the answer)
 * when it cannot: a plan with transitions or cards, a source that is not
 * progressive 8-bit 4:2:0 H.264 in MP4/MOV/Matroska, frames that share a
 * timestamp...  A variable frame rate, joins, open GOPs and edit lists
 * only change which pieces are encoded. */
AveSmartCut *ave_smart_cut_prepare    (AvePlan            *plan,
                                       const AveSettings  *settings,
                                       char              **reason);
/* ave_smart_cut_prepare() for callers that only ask. */
gboolean     ave_smart_cut_applicable (AvePlan            *plan,
                                       const AveSettings  *settings,
                                       char              **reason);

/* Writes the MP4 at `output_path` (in place: the caller gives a temporary
 * name): copied and re-encoded H.264 with the source's rotation, AAC, and
 * with settings->embed_subtitles the cues of `captions` (may be NULL) as a
 * mov_text track beside them.  Fills every field of `result`,
 * smart_cut = TRUE.  Captions are never burned here (the composer renders
 * those). */
gboolean     ave_smart_cut_render     (AveSmartCut        *self,
                                       const AveSettings  *settings,
                                       const AveComposeCaptions *captions,
                                       const char         *output_path,
                                       AveComposeResult   *result,
                                       AveProgressFunc     progress,
                                       gpointer            progress_data,
                                       GCancellable       *cancellable,
                                       GError            **error);

void         ave_smart_cut_free       (AveSmartCut        *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSmartCut, ave_smart_cut_free)

G_END_DECLS
