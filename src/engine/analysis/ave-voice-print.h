/* ave-voice-print.h — what a stretch of speech sounds like, to find the
 * same words said again.
 *
 * A talker who flubs a sentence says it again right away.  The recogniser
 * may hear the two takes as different words (it does on synthetic voices
 * and on noisy rooms), so the words alone miss many retakes.  The sound
 * does not: two takes of one sentence by one voice follow the same path
 * through the spectrum, only at a slightly different pace.
 *
 * A print is the sequence of mel-frequency cepstral coefficients (MFCC
 * 1..12, 20 ms hop, 32 ms window) of one utterance, trimmed to its sound.
 * ave_voice_print_match_prefix() aligns an earlier print with the start of
 * a later one by dynamic time warping, the earlier one whole and the later
 * one open-ended, so that a full retake and a false start ("so the … so the
 * result is") are the same question: is the earlier take the beginning of
 * the later one?  Coefficients are compared after the mean and spread of
 * the whole file's speech so far are taken out (AveVoiceStats), which
 * removes the microphone and the room but keeps what was said.
 *
 * Cost: an FFT per 20 ms of speech while the audio is decoded, and one
 * alignment per pair of neighbouring utterances (a 20 s utterance against
 * the next is 10^6 cells of 12 multiply-adds); only the previous
 * utterance's print is kept, about 2.4 KB per second of it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AVE_VOICE_PRINT_COEFFS 12
#define AVE_VOICE_PRINT_HOP_S  0.02

typedef struct _AveVoicePrint AveVoicePrint;
typedef struct _AveVoiceStats AveVoiceStats;

/* Mean and spread of every coefficient over the speech seen so far. */
AveVoiceStats *ave_voice_stats_new  (void);
void           ave_voice_stats_free (AveVoiceStats *stats);
/* Seconds of speech seen (the frames of the prints made). */
double         ave_voice_stats_get_seconds (const AveVoiceStats *stats);
/* The share of the speech's power above 4 kHz, in dB: about -10 to -25
 * for a microphone, under -40 for telephone (narrowband) audio. */
double         ave_voice_stats_get_high_band_db (const AveVoiceStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveVoiceStats, ave_voice_stats_free)

/* The print of `n_samples` 16 kHz mono samples that start at `start_time`
 * (seconds).  Frames quieter than `quiet_mean_square` (on samples scaled
 * to -1..1) at either end are left out.  The frames are added to `stats`.
 * Returns NULL when less than `min_seconds` of sound remains. */
AveVoicePrint *ave_voice_print_new  (const gint16  *samples,
                                     gsize          n_samples,
                                     double         start_time,
                                     double         quiet_mean_square,
                                     double         min_seconds,
                                     AveVoiceStats *stats);
void           ave_voice_print_free (AveVoicePrint *print);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveVoicePrint, ave_voice_print_free)

/* Source time of the first and just past the last frame kept. */
double         ave_voice_print_get_start (const AveVoicePrint *print);
double         ave_voice_print_get_end   (const AveVoicePrint *print);

/* Aligns all of `earlier` with the beginning of `later` (which may go on).
 * The matched part of `later` must last between half and twice `earlier`.
 * Returns FALSE when no such alignment exists; else `*distance` is the mean
 * Euclidean distance along the path between normalised frames (0 for the
 * same sound; about 2.5–4 for different sentences of one voice, 1–2 for
 * two takes of one sentence; see ave-audio-analyzer.c for the threshold)
 * and `*later_end` the source time where the match in `later` ends. */
gboolean       ave_voice_print_match_prefix (const AveVoicePrint *earlier,
                                             const AveVoicePrint *later,
                                             const AveVoiceStats *stats,
                                             double              *distance,
                                             double              *later_end);

G_END_DECLS
