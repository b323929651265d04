/* ave-test-sanitizer.h — whether this test was built with AddressSanitizer
 * (tools/run-tests.sh --sanitize, meson's -Db_sanitize=address,...).
 *
 * ASan's shadow memory, red zones and quarantine of freed blocks about
 * double a process's peak RSS, so the tests that hold a run to a memory
 * limit do the run and report its peak there but do not check the limit
 * (they say so with g_test_skip).  The normal build always checks it. */
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define AVE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AVE_TEST_ASAN 1
#endif
#endif

#ifndef AVE_TEST_ASAN
#define AVE_TEST_ASAN 0
#endif

#define AVE_TEST_ASAN_SKIP_RSS_LIMIT \
  "peak RSS limit not checked under AddressSanitizer (its shadow memory and quarantine double the peak)"
