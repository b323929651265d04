#!/usr/bin/env bash
# run-tests.sh — sets up (installs what is missing, builds) and runs the
# whole test suite with meson.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
meson test -C build --print-errorlogs --num-processes "${AVE_TEST_JOBS:-2}" "$@"
