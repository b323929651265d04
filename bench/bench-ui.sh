#!/usr/bin/env bash
# bench-ui.sh — the desktop app's longest main-loop stall while it
# processes, edits and renders a 1080p clip (target: under 50 ms), then
# the preview playing an edit of it: seek latency (median, 90th percentile
# and max over --seeks seeks in output time, target: every one under
# 150 ms) first on the source itself, as before its preview proxy exists,
# then with the proxy (media/ave-proxy.h; its build time, wall and CPU,
# and size are printed between the two), and the frame rate of playback
# at preview size with the proxy (frames shown per second of output
# played, and whether that held real time).  Runs tests/app/test-ui.sh and
# tests/app/test-preview-edit --bench under Xvfb on a generated 1920x1080
# talk (the proxy goes to a temporary cache folder, removed after).
# --preview-only skips the stall measure.
#
#   bench/bench-ui.sh [--duration S] [--seeks N] [--preview-only]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20
seeks=20
preview_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --seeks) seeks=$2; shift 2 ;;
    --preview-only) preview_only=1; shift ;;
    *) echo "usage: bench/bench-ui.sh [--duration S] [--seeks N] [--preview-only]" >&2; exit 2 ;;
  esac
done
work=${TMPDIR:-/tmp}/ave-bench
mkdir -p "$work"
clip="$work/talk-1920x1080-${duration}s.mp4"
[ -f "$clip" ] || tools/make-sample.sh --duration "$duration" --size 1920x1080 "$clip" >/dev/null
if [ "$preview_only" = 0 ]; then
  AVE_UI_CLIP="$clip" AVE_UI_STALL_LIMIT=${AVE_UI_STALL_LIMIT:-50} \
    tests/app/test-ui.sh build/src/ai-video-editor
fi
# The preview plays an edit of the clip (1.6 s kept of every 2 s, some
# crossfades): no audio device under Xvfb, so it keeps the monotonic clock.
xvfb-run -a build/tests/app/test-preview-edit --bench "$clip" "$seeks" 2>&1 | grep -v -e "^ALSA lib" -e "^AL lib"
# The same edit, seeks and playback through GStreamer Editing Services, the
# other way the issue allowed (bench/ges-seek.py; Debian's gir1.2-ges-1.0
# and python3-gi, not installed by tools/setup.sh).
if /usr/bin/python3 -c 'import gi; gi.require_version("GES", "1.0"); from gi.repository import GES' 2>/dev/null; then
  bench/ges-seek.py "$clip" "$seeks"
else
  echo "GES comparison skipped: apt-get install gir1.2-ges-1.0 python3-gi to run bench/ges-seek.py"
fi
