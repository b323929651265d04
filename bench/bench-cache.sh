#!/usr/bin/env bash
# bench-cache.sh — the analysis cache: a second identical
# `analyze --persistent-cache` against the first, in one invocation.
#
#   bench/bench-cache.sh [--input FILE] [--binary PATH] [--work DIR]
#
# The first run analyses (a miss) and stores the entry in a fresh cache
# folder (XDG_CACHE_HOME points into the work folder, so the user's cache is
# neither used nor touched); the second finds it (a hit).  Prints both wall
# times and the ratio; the target is <= 0.10 (issue #3).  Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."

input=${TMPDIR:-/tmp}/ave-bench/talk-1280x720-60s.mp4
binary=${AVE_BINARY:-build/src/ai-video-editor}
work=${TMPDIR:-/tmp}/ave-bench-cache
while [ $# -gt 0 ]; do
  case "$1" in
    --input) input=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench-cache.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ ! -f "$input" ]; then
  mkdir -p "$(dirname "$input")"
  tools/make-sample.sh --duration 60 --size 1280x720 "$input" >/dev/null
fi
rm -rf "$work"
mkdir -p "$work"
export XDG_CACHE_HOME=$work/xdg-cache

run() {
  local start end
  start=$(date +%s.%N)
  "$binary" analyze --persistent-cache -o "$work/out-$1" "$input" 2>"$work/log-$1"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

first=$(run first)
second=$(run second)
grep -q "cache miss" "$work/log-first" || { echo "first run was not a cache miss" >&2; exit 1; }
grep -q "cache hit" "$work/log-second" || { echo "second run was not a cache hit" >&2; exit 1; }
cmp -s <(grep -v '"source"' "$work/out-first/"*/analysis.json) \
       <(grep -v '"source"' "$work/out-second/"*/analysis.json) \
  || { echo "the cached analysis.json differs from the computed one" >&2; exit 1; }

printf 'input            %s\n' "$input"
printf 'analyze (miss)   %8.3f s\n' "$first"
printf 'analyze (hit)    %8.3f s\n' "$second"
printf 'ratio hit/miss   %8.4f  (target <= 0.10)\n' "$(echo "$second / $first" | bc -l)"
