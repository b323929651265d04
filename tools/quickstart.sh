#!/usr/bin/env bash
# quickstart.sh — sets up, generates a sample talk (speech with pauses and
# filler words over several shots) and runs `ai-video-editor process` on it
# with the offline defaults, then says where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
mkdir -p samples
if [ ! -f samples/talk.mp4 ]; then
  echo "quickstart: generating samples/talk.mp4 (60 s, 1280x720)" >&2
  tools/make-sample.sh --duration 60 --size 1280x720 samples/talk.mp4 >/dev/null
fi
build/src/ai-video-editor process samples/talk.mp4 -o output
echo
echo "Results: $(pwd)/output/talk/ (final.mp4, final.srt, final.vtt, plan.json, analysis.json, metadata.json, thumbnails/)"
