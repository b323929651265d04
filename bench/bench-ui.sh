#!/usr/bin/env bash
# bench-ui.sh — the desktop app's longest main-loop stall while it
# processes, edits and renders a 1080p clip (target: under 50 ms).  Runs
# tests/app/test-ui.sh under Xvfb on a generated 1920x1080 talk.
#
#   bench/bench-ui.sh [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20
[ "${1:-}" = "--duration" ] && duration=$2
work=${TMPDIR:-/tmp}/ave-bench
mkdir -p "$work"
clip="$work/talk-1920x1080-${duration}s.mp4"
[ -f "$clip" ] || tools/make-sample.sh --duration "$duration" --size 1920x1080 "$clip" >/dev/null
AVE_UI_CLIP="$clip" AVE_UI_STALL_LIMIT=${AVE_UI_STALL_LIMIT:-50} \
  tests/app/test-ui.sh build/src/ai-video-editor
