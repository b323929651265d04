/* ave-test-util.h — shared helpers for the GTest suites.
 *
 * Tests generate their own media with known ground truth (ffmpeg lavfi,
 * espeak-ng, sox) into a per-process temporary folder that is removed at
 * exit.  A missing tool is a failure, not a skip: the set-up installs them.
 */
#pragma once

#include <glib.h>

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
/* Generates the sample talk (tools/make-sample.sh) once per process with
 * the given arguments and returns its path; its ground truth is written next
 * to it as <path>.truth.json. */
const char *ave_test_sample      (const char *name, double seconds, int width, int height);

G_END_DECLS
