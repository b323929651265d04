/* ave-composer.h — renders a plan to an H.264/AAC MP4. */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "core/ave-progress.h"
#include "analysis/ave-analysis.h"
#include "compute/ave-compute.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

typedef struct
{
  double output_duration;     /* seconds written */
  gint64 video_frames;
  double output_lufs;         /* measured integrated loudness of the output audio */
  double gain_db;             /* gain applied for loudness normalisation */
  /* Fast mode's smart cut (ave-smart-cut.h): frames whose packets were
   * copied from the source and frames encoded anew.  The full render
   * encodes every frame (frames_copied == 0). */
  gint64 frames_copied;
  gint64 frames_reencoded;
  gboolean smart_cut;         /* TRUE when the smart cut wrote the file */
  gint64 frames_captioned;    /* frames with a caption drawn into them (--burn-captions) */
} AveComposeResult;

/* The captions of a render: the same cues final.srt has (built once by the
 * caller, docs/captions.md), embedded as a mov_text track when
 * settings->embed_subtitles and drawn into the pictures in the settings'
 * caption style when settings->burn_captions. */
typedef struct
{
  GArray     *words;          /* AveCaptionWord, ave_caption_words_map() */
  GArray     *cues;           /* AveCue, ave_captions_build() of `words` */
  const char *language;       /* BCP 47, may be NULL */
} AveComposeCaptions;

/* Decodes the plan's segments from the source (streaming), applies audio
 * crossfades at every cut and video transitions where the plan asks,
 * normalises loudness to settings->loudness_target, honours rotation, and
 * encodes H.264 (libx264, settings->encoder_preset / crf) + AAC into an MP4
 * at `output_path` (written in place: the caller gives a temporary name and
 * renames it).  A/V stay in sync within one frame across every cut; the
 * output duration equals ave_plan_get_output_duration() within one frame.
 * `analysis` may be NULL (then loudness is measured by a pre-pass). */
gboolean ave_composer_render (AvePlan            *plan,
                              const AveAnalysis  *analysis,
                              const AveSettings  *settings,
                              AveCompute         *compute,
                              const char         *output_path,
                              AveComposeResult   *result,
                              AveProgressFunc     progress,
                              gpointer            progress_data,
                              GCancellable       *cancellable,
                              GError            **error);

/* ave_composer_render() with captions (may be NULL: none).  Burned
 * captions are new pictures: fast mode then renders every frame instead of
 * smart cutting (result->smart_cut is FALSE, frames_captioned says how
 * many frames show a caption). */
gboolean ave_composer_render_with_captions (AvePlan                  *plan,
                                            const AveAnalysis        *analysis,
                                            const AveSettings        *settings,
                                            AveCompute               *compute,
                                            const AveComposeCaptions *captions,
                                            const char               *output_path,
                                            AveComposeResult         *result,
                                            AveProgressFunc           progress,
                                            gpointer                  progress_data,
                                            GCancellable             *cancellable,
                                            GError                  **error);

/* Whether FFmpeg has this encoder ("libx264", "aac"). */
gboolean     ave_composer_has_encoder        (const char *name);
/* Frames per second x264 encodes at width x height with this preset (a
 * moving pattern with detail, n_frames of it, CRF 23); 0 when it cannot. */
double       ave_composer_measure_encode_fps (const char *preset,
                                              int         width,
                                              int         height,
                                              int         n_frames);

G_END_DECLS
