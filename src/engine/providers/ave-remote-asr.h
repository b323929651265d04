/* ave-remote-asr.h — speech recognition over the OpenAI-compatible
 * transcription API (--asr remote: OpenAI, whisper.cpp's server,
 * faster-whisper servers …).
 *
 * Only speech is sent: the analysis already knows where the silences are.
 * The speech intervals (padded by 0.2 s) are read from the input as 16 kHz
 * mono, joined with half a second of silence between them into chunks of
 * at most `max_upload_bytes` once encoded (FLAC, or 16-bit WAV with
 * --asr-upload-format wav), and each chunk is POSTed to
 * {url}/audio/transcriptions (multipart: file, model,
 * response_format=verbose_json, timestamp_granularities[]=word, and a
 * prompt written with fillers so that the model keeps them).  The words
 * come back on the chunk's clock and are put back on the recording's.
 * PocketSphinx stays the default and the fallback: the job keeps its
 * words when this fails.
 */
#pragma once

#include "analysis/ave-analysis.h"
#include "providers/ave-remote.h"

G_BEGIN_DECLS

/* OpenAI's limit is 25 MB per file; a little under it. */
#define AVE_REMOTE_ASR_MAX_UPLOAD_BYTES (24u * 1000u * 1000u)

/* Replaces analysis->words (and ->transcriber) with the service's words.
 * FALSE with the cause (the analysis unchanged) when any chunk fails. */
gboolean ave_remote_asr_transcribe (AveRemote          *remote,
                                    const char         *input,
                                    AveAnalysis        *analysis,
                                    const AveSettings  *settings,
                                    gsize               max_upload_bytes,
                                    GCancellable       *cancellable,
                                    GError            **error);

G_END_DECLS
