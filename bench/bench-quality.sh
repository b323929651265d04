#!/usr/bin/env bash
# bench-quality.sh — the guide's quality table, measured: wall time, peak
# memory and output size of `ai-video-editor process --quality LEVEL` for
# each level on one generated clip (default 60 s 1920x1080), in one
# invocation.  Not a test: the numbers depend on the machine.
#
#   bench/bench-quality.sh [--duration S] [--size WxH] [--levels fast,medium,high,ultra] [--mode MODE]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=60
size=1920x1080
levels=fast,medium,high,ultra
mode=balanced
work=${TMPDIR:-/tmp}/ave-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --levels) levels=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "bench-quality.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=build/src/ai-video-editor
[ -x "$bin" ] || { echo "bench-quality.sh: build first (tools/setup.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-quality.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$work"
clip="$work/talk-${size}-${duration}s.mp4"
[ -f "$clip" ] || tools/make-sample.sh --duration "$duration" --size "$size" "$clip" >/dev/null

printf "clip: %s (%s s, %s); mode %s; %s cores\n\n" "$(basename "$clip")" "$duration" "$size" "$mode" "$(nproc)"
printf "%-8s %9s %9s %10s %11s %9s\n" level "wall s" "peak MB" "output MB" "analysis s" "render s"
IFS=, read -ra list <<< "$levels"
for level in "${list[@]}"; do
  out="$work/quality-$level"
  rm -rf "$out"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" process "$clip" -o "$out" --quality "$level" --mode "$mode" --json \
    > "$work/quality-$level.jsonl" 2> "$work/quality-$level.err" \
    || { echo "bench-quality.sh: --quality $level failed:" >&2; tail -3 "$work/quality-$level.err" >&2; exit 1; }
  read -r wall rss_kb < "$work/time.txt"
  size_mb=$(stat -c %s "$out"/*/final.mp4 | awk '{printf "%.1f", $1/1048576}')
  stage() { grep '"stage-end"' "$work/quality-$level.jsonl" | grep "\"stage\":\"$1\"" | sed -E 's/.*"wall_seconds":([0-9.e-]+).*/\1/'; }
  analysis=$(awk -v a="$(stage audio_analysis)" -v v="$(stage video_analysis)" 'BEGIN{printf "%.1f", (a>v?a:v)}')
  printf "%-8s %9.1f %9.0f %10s %11s %9.1f\n" "$level" "$wall" "$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')" \
    "$size_mb" "$analysis" "$(stage composition)"
done
