#!/usr/bin/env bash
# run-tests.sh [--sanitize] [meson test arguments] — sets up (installs what
# is missing, builds) and runs the whole test suite with meson.
#
# --sanitize runs it on build-sanitize (AddressSanitizer and
# UndefinedBehaviorSanitizer; tools/setup.sh --sanitize): any memory error,
# leak or undefined behaviour ends the test with the sanitizer's report.
# Tests that measure peak memory do not check their limit there (the
# sanitizer's shadow memory and quarantine double it; tests/ave-test-sanitizer.h).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--sanitize" ]; then
  shift
  tools/setup.sh --sanitize
  # GLib's slice allocator would hide its blocks from ASan.
  export G_SLICE=always-malloc
  # Lavapipe only, and kept loaded: the Vulkan loader unloads its drivers
  # when the engine lets go of Vulkan, and what Mesa allocated once then
  # shows as leaks of an "<unknown module>" that no suppression can name.
  lavapipe=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
  lavapipe_lib=/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so
  if [ -f "$lavapipe" ] && [ -f "$lavapipe_lib" ]; then
    export VK_ICD_FILENAMES="$lavapipe"
    export LD_PRELOAD="$lavapipe_lib${LD_PRELOAD:+ $LD_PRELOAD}"
  fi
  # verify_asan_link_order=0: the preload above comes before libasan.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:verify_asan_link_order=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizer/ubsan.supp}"
  # Sanitized code runs 2-5 times slower.
  run=(meson test -C build-sanitize --print-errorlogs --num-processes "${AVE_TEST_JOBS:-2}"
       --timeout-multiplier "${AVE_SANITIZE_TIMEOUT_MULTIPLIER:-4}")
  if [ $# -gt 0 ]; then
    exec "${run[@]}" "$@"
  fi
  # The GTK app's tests run without leak checking: GTK, Mesa's GL and
  # GStreamer keep memory until exit that only whole stacks could tell
  # from ours, and whole stacks make the app too slow to test.  The app's
  # own units and every engine test keep it.
  gtk_tests=(app-ui timeline transcript app-drop preview-edit)
  # gpu-cli runs whole `process --enable-gpu` processes on lavapipe, whose
  # own allocations now and then slip past leak:libvulkan_lvp.so
  # (docs/reliability.md, "Open findings").  Its leaks are not checked;
  # test-vulkan drives the same Vulkan backend in-process and is.
  # app-keyring talks to a real gnome-keyring through libsecret, whose
  # service keeps D-Bus replies it parsed on GDBus's thread until exit;
  # the keys' code is leak-checked in app-units (no keyring there).
  unchecked_tests=(gpu-cli app-keyring)
  # The tests that start the scripted HTTP server (tests/ave-test-server.c):
  # libsoup 3.2's server side keeps a few sockets and addresses after
  # soup_server_disconnect.  Whole stacks (slower, but these tests are
  # short) let lsan.supp name the test server's thread, so a leak of the
  # engine's HTTP client in the same tests is still reported.
  http_tests=(http remote-asr llm-director remote-image)
  others=()
  while read -r name; do
    name="${name##* / }"
    case " ${gtk_tests[*]} ${http_tests[*]} ${unchecked_tests[*]} " in *" $name "*) ;; *) others+=("$name") ;; esac
  done < <(meson test -C build-sanitize --list 2>/dev/null | grep ' / ')
  status=0
  "${run[@]}" "${others[@]}" || status=$?
  ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" "${run[@]}" --no-rebuild "${http_tests[@]}" || status=$?
  ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "${run[@]}" --no-rebuild "${gtk_tests[@]}" || status=$?
  present=()
  for name in "${unchecked_tests[@]}"; do
    if meson test -C build-sanitize --list 2>/dev/null | grep -q " / $name\$"; then
      present+=("$name")
    fi
  done
  if [ ${#present[@]} -gt 0 ]; then
    ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "${run[@]}" --no-rebuild "${present[@]}" || status=$?
  fi
  exit "$status"
fi

tools/setup.sh
meson test -C build --print-errorlogs --num-processes "${AVE_TEST_JOBS:-2}" "$@"
