/* fuzz-util.h — what the libFuzzer harnesses of tests/fuzz share.
 *
 * Each harness (fuzz-<parser>.c) defines LLVMFuzzerTestOneInput(), which
 * hands the bytes to one of the engine's parsers exactly as a user's file
 * would reach it.  Built with -Dfuzzing=true they link libFuzzer; in the
 * normal build they link fuzz-replay.c instead and the test suite runs
 * every seed and every input that ever crashed through them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Once per process: C locale for numbers, GLib criticals abort (a
 * g_return_if_fail() reached from file contents is a bug to report), other
 * messages dropped (a parser that warns thousands of times a second would
 * slow the fuzzer to a crawl), FFmpeg quiet. */
void        fuzz_init          (void);
/* `name` inside a per-process temporary folder removed at exit. */
const char *fuzz_path          (const char *name);
/* Writes the input to fuzz_path (name) and returns that path. */
const char *fuzz_write_input   (const char *name, const uint8_t *data, size_t size);

G_END_DECLS
