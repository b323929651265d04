#!/usr/bin/env bash
# bench-parallel.sh — the speed-up of parallel processing and the memory
# budget, measured in one invocation on generated clips.
#
#   bench/bench-parallel.sh [--clip FILE] [--bin PATH] [--work DIR] [--repeat N]
#                           [--budget-clip FILE | --budget-minutes M] [--budget GB]
#
# Times `ai-video-editor process` on a 60 s 720p talk (tools/make-sample.sh)
# with the default settings (parallel, balanced strategy), with
# --parallel-strategy aggressive, and with --no-parallel (stages one after
# the other, one worker, one thread per codec), best of N runs each, and
# prints wall time, peak RSS, the per-stage wall times and the speed-up
# against --no-parallel.  With --budget-clip or --budget-minutes it also
# runs `process --max-memory GB` (default 0.3) on that clip (generated at
# 1080p for --budget-minutes) and prints its peak RSS against the budget.
# Not a test: the numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

work=${TMPDIR:-/tmp}/ave-bench
clip=
bin=build/src/ai-video-editor
repeat=1
budget_clip=
budget_minutes=
budget=0.3
while [ $# -gt 0 ]; do
  case "$1" in
    --clip) clip=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --budget-clip) budget_clip=$2; shift 2 ;;
    --budget-minutes) budget_minutes=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench-parallel.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

[ -x "$bin" ] || { echo "bench-parallel.sh: build first (meson setup build && ninja -C build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-parallel.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$work"
clip=${clip:-$work/talk-1280x720-60s.mp4}
if [ ! -f "$clip" ]; then
  echo "generating $clip ..." >&2
  tools/make-sample.sh --duration 60 --size 1280x720 "$clip" >/dev/null
fi

# run LABEL ARGS... -> best wall ($wall, s) and its peak RSS ($rss, MB) over $repeat runs
run() {
  local label=$1; shift
  wall=; rss=
  for _ in $(seq "$repeat"); do
    rm -rf "$work/out-$label"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" process "$@" -o "$work/out-$label" --json \
      >"$work/$label.out" 2>"$work/$label.err" || {
      echo "bench-parallel.sh: $label failed:" >&2; tail -5 "$work/$label.err" >&2; exit 1; }
    read -r w kb < "$work/time.txt"
    if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN{exit !(a<b)}'; then
      wall=$w
      rss=$(awk -v k="$kb" 'BEGIN{printf "%.0f", k*1024/1e6}')
      cp "$work/$label.out" "$work/$label.best"
    fi
  done
}
stages() {
  grep '"stage-end"' "$work/$1.best" \
    | sed -E 's/.*"stage":"([a-z_]+)".*"wall_seconds":([0-9.e-]+).*/\1 \2/' \
    | awk '{printf "%s=%.1f ", $1, $2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

printf "machine: %s, %s cores, %s, load average %s\n" "$(uname -m)" "$(nproc)" \
  "$(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf "clip: %s\n\n" "$clip"

run parallel "$clip"
t_par=$wall; m_par=$rss; s_par=$(stages parallel)
run aggressive "$clip" --parallel-strategy aggressive
t_agg=$wall; m_agg=$rss; s_agg=$(stages aggressive)
run sequential "$clip" --no-parallel
t_seq=$wall; m_seq=$rss; s_seq=$(stages sequential)

printf "%-40s %8s %9s  %s\n" "process" "wall s" "peak MB" "stages (wall s)"
printf "%-40s %8.2f %9s  %s\n" "default (--parallel, balanced)" "$t_par" "$m_par" "$s_par"
printf "%-40s %8.2f %9s  %s\n" "--parallel-strategy aggressive" "$t_agg" "$m_agg" "$s_agg"
printf "%-40s %8.2f %9s  %s\n" "--no-parallel" "$t_seq" "$m_seq" "$s_seq"
printf "speed-up default / --no-parallel:      %sx\n" "$(ratio "$t_seq" "$t_par")"
printf "speed-up aggressive / --no-parallel:   %sx\n" "$(ratio "$t_seq" "$t_agg")"

if [ -n "$budget_minutes" ] && [ -z "$budget_clip" ]; then
  budget_clip=$work/talk-1920x1080-${budget_minutes}min.mp4
  if [ ! -f "$budget_clip" ]; then
    echo "generating $budget_clip ..." >&2
    tools/make-sample.sh --duration "$((budget_minutes * 60))" --size 1920x1080 "$budget_clip" >/dev/null
  fi
fi
if [ -n "$budget_clip" ]; then
  saved_repeat=$repeat; repeat=1
  run budget "$budget_clip" --max-memory "$budget" --monitor-memory --memory-alerts
  repeat=$saved_repeat
  limit=$(awk -v g="$budget" 'BEGIN{printf "%.0f", g*1073741824/1e6}')
  printf "\n--max-memory %s on %s:\n" "$budget" "$budget_clip"
  printf "  wall %.2f s, peak RSS %s MB (budget %s MB), %s\n" "$wall" "$rss" "$limit" \
    "$(awk -v r="$rss" -v l="$limit" 'BEGIN{print (r < l) ? "within the budget" : "OVER THE BUDGET"}')"
  printf "  stages: %s\n" "$(stages budget)"
  grep -c '"decision"' "$work/budget.best" | awk '{printf "  decisions recorded: %s\n", $1}'
fi
