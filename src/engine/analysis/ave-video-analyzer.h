/* ave-video-analyzer.h — shots (cuts, dissolves, fades), per-shot quality,
 * highlights and thumbnail candidates, from downscaled frames.
 *
 * Fed by ave_media_read_for_analysis() on the video thread.  Frames are
 * batched and handed to an AveCompute backend; only a few frames and one
 * small record per analysed frame are kept.
 */
#pragma once

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"
#include "compute/ave-compute.h"

G_BEGIN_DECLS

typedef struct _AveVideoAnalyzer AveVideoAnalyzer;

/* The longest time between two key pictures (AveMediaInfo.key_interval)
 * for which the analysis decodes only them: every cut found between two
 * of them costs a decode of the pictures between, and a shot shorter
 * than the interval that returns to the picture it left is not seen. */
#define AVE_VIDEO_ANALYSIS_MAX_KEY_INTERVAL 3.0

/* Which pictures the analysis of `media` decodes: the settings' choice
 * (ave_settings_analysis_frames), but reference pictures instead of key
 * pictures when the media's key pictures may be more than
 * AVE_VIDEO_ANALYSIS_MAX_KEY_INTERVAL apart or their spacing is unknown.
 * `why` (optional) receives a sentence for the log. */
AveAnalysisFrames ave_video_analysis_frames_for (const AveSettings  *settings,
                                                 const AveMediaInfo *media,
                                                 char              **why);

AveVideoAnalyzer *ave_video_analyzer_new    (const AveSettings      *settings,
                                             const AveMediaInfo     *media,
                                             AveCompute             *compute);
gboolean          ave_video_analyzer_push   (AveVideoAnalyzer       *self,
                                             const AveAnalysisFrame *frame,
                                             GError                **error);
/* How many decoders may run at once when key pictures only were analysed
 * and the stretches between some of them are decoded by finish (default:
 * the settings' n_workers; at least 1, at most 4). */
void              ave_video_analyzer_set_decoders (AveVideoAnalyzer *self,
                                                   guint             n);
/* The decoders of those stretches run `increment` nice steps below the
 * thread that calls this (0, the default: at its priority), on threads of
 * their own, as AveMediaReadOptions.video_nice_increment. */
void              ave_video_analyzer_set_nice_increment (AveVideoAnalyzer *self,
                                                         int               increment);
/* Writes shots, highlights and thumbnail candidates into `into`. */
gboolean          ave_video_analyzer_finish (AveVideoAnalyzer       *self,
                                             AveAnalysis            *into,
                                             GError                **error);
void              ave_video_analyzer_free   (AveVideoAnalyzer       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveVideoAnalyzer, ave_video_analyzer_free)

G_END_DECLS
