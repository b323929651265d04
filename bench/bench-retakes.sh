#!/usr/bin/env bash
# bench-retakes.sh — precision and recall of the local director's retake
# detection on generated speech with known retakes.
#
#   bench/bench-retakes.sh [--work DIR] [--binary PATH]
#
# Builds a small set of talks with espeak-ng and sox: some sentences are
# said twice (a full retake), some are false starts ("so the … so the
# result is"), others are said once.  Each talk goes through
#   ai-video-editor process --type educational --quality fast
# and the earlier takes it switched off ("retake of …" segments in
# plan.json) are compared with the known ones: a detected retake is right
# when it covers the middle of a true earlier take.  Prints one line per
# talk and the totals.  Not a test: it measures the recogniser as much as
# the director.
set -euo pipefail
cd "$(dirname "$0")/.."

work=${TMPDIR:-/tmp}/ave-bench-retakes
bin=build/src/ai-video-editor
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --binary) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench-retakes.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in espeak-ng sox soxi ffmpeg python3; do
  command -v "$tool" >/dev/null || { echo "bench-retakes.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench-retakes.sh: build $bin first (or give --binary)" >&2; exit 1; }
export SOX_OPTS="-R"
rate=16000
mkdir -p "$work"

# Each talk: items "S:text" (said once), "R:text" (said twice: the first
# take is a retake), "F:start|text" (a false start, then the sentence).
talks=(
  "S:welcome to this lesson about neural networks;R:the gradient tells us which way is downhill;S:then we take a small step and measure the loss again;F:so the|so the result is a network that has learned"
  "S:today we look at sorting algorithms;S:the first one compares neighbouring elements;R:it swaps them when they are in the wrong order;S:after enough passes the list is sorted"
  "F:the main|the main idea is to divide the problem;S:each half is sorted on its own;R:then the two halves are merged together;S:that is why it is called merge sort"
  "S:this talk has no retakes at all;S:every sentence is said exactly once;S:the director should keep each one of them;S:and cut only the pauses between them"
)

# The earlier take (or false start) is said slower and lower than the
# kept one, as a talker's second try differs from the first.
say() { # text out.wav [espeak-ng voice arguments]
  espeak-ng ${3:--s 150} -w "$work/raw.wav" "$1"
  sox "$work/raw.wav" -r $rate -c 1 -b 16 "$2" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
}
pause() { sox -n -r $rate -c 1 -b 16 "$2" trim 0 "$1"; }

total_true=0; total_found=0; total_right=0
n=0
for talk in "${talks[@]}"; do
  n=$((n + 1))
  dir="$work/talk$n"; mkdir -p "$dir"
  pieces=(); truth=""; t=0.5; k=0
  pause 0.5 "$dir/p0.wav"; pieces+=("$dir/p0.wav")
  add() { # wav -> appends, advances t
    local d; d=$(soxi -D "$1"); pieces+=("$1")
    t=$(awk -v a="$t" -v b="$d" 'BEGIN{printf "%.4f", a+b}')
    k=$((k + 1)); pause 1.0 "$dir/gap$k.wav"; pieces+=("$dir/gap$k.wav")
    t=$(awk -v a="$t" 'BEGIN{printf "%.4f", a+1.0}')
  }
  IFS=';' read -ra items <<< "$talk"
  for item in "${items[@]}"; do
    kind=${item%%:*}; text=${item#*:}
    case "$kind" in
      S) say "$text" "$dir/s$k.wav"; add "$dir/s$k.wav" ;;
      R) say "$text" "$dir/r$k.wav" "-s 138 -p 40"; start=$t; add "$dir/r$k.wav"
         truth+="$start:$(awk -v a="$t" 'BEGIN{printf "%.4f", a-1.0}'),"
         say "$text" "$dir/s$k.wav"; add "$dir/s$k.wav" ;;
      F) say "${text%%|*}" "$dir/f$k.wav" "-s 138 -p 40"; start=$t; add "$dir/f$k.wav"
         truth+="$start:$(awk -v a="$t" 'BEGIN{printf "%.4f", a-1.0}'),"
         say "${text#*|}" "$dir/s$k.wav"; add "$dir/s$k.wav" ;;
    esac
  done
  sox "${pieces[@]}" "$dir/talk.wav"
  ffmpeg -nostdin -v error -y -f lavfi -i color=c=gray:s=320x240:r=25 -i "$dir/talk.wav" -shortest \
    -c:v libx264 -preset ultrafast -c:a aac "$dir/talk.mp4"
  "$bin" process --type educational --quality fast -o "$dir/out" "$dir/talk.mp4" >/dev/null 2>&1
  read -r n_true n_found n_right < <(python3 - "$dir/out/talk/plan.json" "$truth" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
truth = [tuple(map(float, p.split(':'))) for p in sys.argv[2].split(',') if p]
found = [(s['start'], s['end']) for s in plan['segments']
         if not s['enabled'] and (s.get('reason') or '').startswith('retake of')]
right = sum(1 for a, b in found if any(a <= (x + y) / 2 <= b for x, y in truth))
print(len(truth), len(found), right)
PY
)
  echo "talk$n: $n_true known retakes, $n_found found, $n_right right"
  total_true=$((total_true + n_true)); total_found=$((total_found + n_found)); total_right=$((total_right + n_right))
done
awk -v t="$total_true" -v f="$total_found" -v r="$total_right" 'BEGIN{
  printf "total: %d known, %d found, %d right; precision %.2f, recall %.2f\n",
    t, f, r, (f > 0 ? r / f : 1), (t > 0 ? r / t : 1) }'
