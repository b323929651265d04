/* ave-audio-analyzer.h — loudness, silences, speech, transcript, fillers, beats.
 *
 * Fed by ave_media_read_for_analysis() on the audio thread.  Works in
 * bounded memory: speech is transcribed segment by segment as the silence
 * detector closes each one (long segments are split), so nothing grows with
 * the input's length except the result lists.
 */
#pragma once

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"

G_BEGIN_DECLS

typedef struct _AveAudioAnalyzer AveAudioAnalyzer;

/* Fails with AVE_ANALYSIS_ERROR_MODEL_MISSING when settings->transcribe is
 * set and the PocketSphinx model cannot be loaded (message says which
 * package to install). */
AveAudioAnalyzer *ave_audio_analyzer_new    (const AveSettings   *settings,
                                             const AveMediaInfo  *media,
                                             GError             **error);
gboolean          ave_audio_analyzer_push   (AveAudioAnalyzer    *self,
                                             const AveAudioChunk *chunk,
                                             GError             **error);
/* Flushes the last segment and writes loudness, silences, speech, words and
 * (when settings->detect_beats) beats and tempo into `into`. */
gboolean          ave_audio_analyzer_finish (AveAudioAnalyzer    *self,
                                             AveAnalysis         *into,
                                             GCancellable        *cancellable,
                                             GError             **error);
/* CPU seconds spent so far on the analyzer's own transcription threads
 * (the caller's thread is not counted). */
double            ave_audio_analyzer_get_worker_cpu_seconds (AveAudioAnalyzer *self);
void              ave_audio_analyzer_free   (AveAudioAnalyzer    *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveAudioAnalyzer, ave_audio_analyzer_free)

G_END_DECLS
