#!/usr/bin/env bash
# run-fuzzers.sh [SECONDS] [HARNESS...] — builds the libFuzzer harnesses of
# tests/fuzz (clang, ASan + UBSan, in build-fuzz; tools/setup.sh --fuzz) and
# runs each for SECONDS (default 60), one after the other.  Fails when any
# harness finds a crash, a leak, undefined behaviour or a hang; the input is
# then in build-fuzz/fuzz-work/crashes/HARNESS/ (docs/reliability.md says
# what to do with it).
#
# Each run starts from the committed seeds (tests/fuzz/corpus), the media
# of tests/fuzz/media-seeds.txt (generated here), every past crash
# (tests/fuzz/regressions) and what earlier runs on this machine found
# (build-fuzz/fuzz-work/corpus): a long run can be resumed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
[ $# -gt 0 ] && shift
all=(plan analysis project config metrics smart-cut media interchange)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

tools/setup.sh --fuzz

work=build-fuzz/fuzz-work
mkdir -p "$work/logs" "$work/tmp"
# The harnesses write each input to a file in a temporary folder.
export TMPDIR="$PWD/$work/tmp"
export G_SLICE=always-malloc
# Whole stacks for every allocation (slower) so that the json-glib leak
# of tests/sanitizer/lsan.supp can be recognised.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=20:abort_on_error=1:strict_string_checks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizer/ubsan.supp}"

# Copies (and decodes *.hex) the seeds and past crashes of harness $1 into $2.
seed() {
  local name="$1" corpus="$2" f
  for f in tests/fuzz/corpus/"$name"/* tests/fuzz/regressions/"$name"/*; do
    [ -f "$f" ] || continue
    case "$f" in
      */README*) ;;
      *.hex) python3 -c 'import sys; open(sys.argv[2], "wb").write(bytes.fromhex(open(sys.argv[1]).read()))' \
               "$f" "$corpus/seed-$(basename "$f" .hex)" ;;
      *) cp "$f" "$corpus/seed-$(basename "$f")" ;;
    esac
  done
  if [ "$name" = media ]; then
    local line file args
    while read -r file args; do
      case "$file" in ''|'#'*) continue ;; esac
      [ -f "$corpus/seed-$file" ] && continue
      # shellcheck disable=SC2086 # the arguments are a list
      ffmpeg -nostdin -hide_banner -v error -y $args "$corpus/seed-$file"
    done < tests/fuzz/media-seeds.txt
  fi
}

failed=()
printf '%-10s %8s %8s %6s %6s %s\n' harness seconds execs cov ft result
for name in "${harnesses[@]}"; do
  binary=build-fuzz/tests/fuzz/fuzz-$name
  [ -x "$binary" ] || { echo "run-fuzzers: no harness $name (have: ${all[*]})" >&2; exit 2; }
  corpus="$work/corpus/$name"
  crashes="$work/crashes/$name"
  log="$work/logs/$name.log"
  mkdir -p "$corpus" "$crashes"
  seed "$name" "$corpus"
  extra=()
  # Media inputs are larger and each one decodes: a longer -timeout, and
  # room for the seeds to grow.
  if [ "$name" = media ]; then extra=(-max_len=65536 -timeout=20); else extra=(-timeout=10); fi
  start=$(date +%s)
  status=0
  "$binary" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "${extra[@]}" > "$log" 2>&1 || status=$?
  wall=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $status; log $log; input in $crashes/)"
    failed+=("$name")
  fi
  printf '%-10s %8s %8s %6s %6s %s\n' "$name" "$wall" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
  for name in "${failed[@]}"; do
    echo "--- $name: $work/logs/$name.log" >&2
    grep -E -A25 '^==[0-9]+==ERROR|runtime error|^ALARM|Bail out|^Crash|SUMMARY' "$work/logs/$name.log" | head -60 >&2 || true
  done
  echo "run-fuzzers: ${failed[*]} failed" >&2
  exit 1
fi
