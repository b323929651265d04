/* ave-test-util.h — shared helpers for the GTest suites.
 *
 * Tests generate their own media with known ground truth (ffmpeg lavfi,
 * espeak-ng, sox) into a per-process temporary folder that is removed at
 * exit.  A missing tool is a failure, not a skip: the set-up installs them.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* g_test_init + quiet FFmpeg logging + C locale for numbers. */
void        ave_test_init        (int *argc, char ***argv);
/* The per-process temporary folder (created on first use). */
const char *ave_test_tmpdir      (void);
/* A path inside it (newly allocated). */
char       *ave_test_path        (const char *name);
/* Runs a shell command line; the test fails (showing its output) unless it exits 0. */
void        ave_test_sh          (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Same, returning stdout (newly allocated). */
char       *ave_test_sh_output   (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Runs a shell command line and returns its exit status; stdout/stderr are
 * stored in *out / *err when non-NULL. */
int         ave_test_sh_status   (char **out, char **err, const char *format, ...) G_GNUC_PRINTF (3, 4);
/* The repository root and the built ai-video-editor binary. */
const char *ave_test_source_root (void);
const char *ave_test_binary      (void);
/* Runs `ffmpeg -y FFMPEG_ARGS PATH` once per process for `name` (a file
 * in the temporary folder) and returns PATH. */
const char *ave_test_ffmpeg_media (const char *name, const char *ffmpeg_args);
/* Generates the sample talk (tools/make-sample.sh) once per process with
 * the given arguments and returns its path; its ground truth is written next
 * to it as <path>.truth.json. */
const char *ave_test_sample      (const char *name, double seconds, int width, int height);

/* ---- A/V sync media: a white frame and a 1 kHz beep start together
 * every 2 s (t = 1, 3, 5, 7, 9) on black, 320x240, 25 fps, 10 s. */

/* Generates it once under `name`, encoded with `encoder_args` (video and
 * audio codec options), and returns its path. */
const char *ave_test_sync_media          (const char *name, const char *encoder_args);
/* The output decodes with no error at all (`ffmpeg -v error` prints nothing). */
void        ave_test_assert_decodes_cleanly (const char *path);
/* The audio, mixed to mono, as 48 kHz float samples. */
GArray     *ave_test_decode_audio        (const char *path);
/* Times of the first white frame of each flash and of each beep onset. */
void        ave_test_find_sync_events    (const char *path, double fps,
                                          GArray *white_times, GArray *beep_times);
/* In `output`, rendered from `plan` (an AvePlan *), every white frame and
 * its beep come out together (within a frame) and where the plan puts the
 * source events `events`. */
void        ave_test_assert_events_in_sync (const char *output, gpointer plan,
                                            const double *events, guint n_events,
                                            double fps, const char *label);

/* For a progress callback's data (AveProgressFunc): ave_test_stop_at
 * cancels `cancellable` once the fraction reaches `at`, and keeps the last
 * fraction in `seen`. */
typedef struct
{
  GCancellable *cancellable;
  double        at;
  double        seen;
} AveTestStopAt;

void        ave_test_stop_at             (double fraction, gpointer data);

G_END_DECLS
