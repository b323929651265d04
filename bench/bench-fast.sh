#!/usr/bin/env bash
# bench-fast.sh — `process --mode fast` (smart cut) against a plain x264
# re-encode of the same file, in one invocation, with the ratio.
#
#   bench/bench-fast.sh [--duration S] [--size WxH] [--work DIR] [--binary PATH]
#
# Generates a talk once (tools/make-sample.sh, default 300 s at 1920x1080)
# into the work folder (default /tmp/ave-bench), then times:
#   ffmpeg -i FILE -c:v libx264 -preset veryfast -c:a aac out.mp4
#   ai-video-editor process --mode fast FILE    (end to end: analysis, plan,
#                                                assets, smart-cut render)
# and prints both wall times, the ratio (the issue's target is <= 0.35),
# the stage breakdown of the process run (its --json stage-end events) and
# how many frames the smart cut copied and encoded again.  Not a test:
# numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=300
size=1920x1080
work=${TMPDIR:-/tmp}/ave-bench
bin=build/src/ai-video-editor
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --binary) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench-fast.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

[ -x "$bin" ] || { echo "bench-fast.sh: build first (tools/setup.sh) or pass --binary" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-fast.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$work"

clip="$work/talk-${size}-${duration}s.mp4"
if [ ! -f "$clip" ]; then
  echo "generating $clip ..." >&2
  tools/make-sample.sh --duration "$duration" --size "$size" "$clip" >/dev/null
fi

# run LABEL CMD... -> sets $wall (s), $cpu (user + system s) and $rss (MB)
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >"$work/$label.out" 2>"$work/$label.err" || {
    echo "bench-fast.sh: $label failed:" >&2; tail -5 "$work/$label.err" >&2; exit 1; }
  read -r wall user sys rss_kb < "$work/time.txt"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.1f", u + s}')
  rss=$(awk -v k="$rss_kb" 'BEGIN{printf "%.0f", k/1024}')
}

printf "machine: %s, %s cores, %s\n" "$(uname -m)" "$(nproc)" "$(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
printf "ffmpeg: %s\n" "$(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
printf "input: %s (%s s, %s)\n\n" "$clip" "$duration" "$size"

rm -rf "$work/fast-out" "$work/reencode.mp4"
run reencode ffmpeg -nostdin -v error -y -i "$clip" -c:v libx264 -preset veryfast -c:a aac "$work/reencode.mp4"
t_ffmpeg=$wall; c_ffmpeg=$cpu; m_ffmpeg=$rss
run fast env G_MESSAGES_DEBUG=ave-smart-cut "$bin" process --mode fast --json -o "$work/fast-out" "$clip"
t_fast=$wall; c_fast=$cpu; m_fast=$rss

printf "%-50s %9s %9s %9s\n" "run" "wall s" "cpu s" "peak MB"
printf "%-50s %9.1f %9.1f %9s\n" "ffmpeg -c:v libx264 -preset veryfast -c:a aac" "$t_ffmpeg" "$c_ffmpeg" "$m_ffmpeg"
printf "%-50s %9.1f %9.1f %9s\n" "ai-video-editor process --mode fast" "$t_fast" "$c_fast" "$m_fast"
printf "\nratio fast / re-encode, wall time: %s (target <= 0.35)\n" "$(awk -v a="$t_fast" -v b="$t_ffmpeg" 'BEGIN{printf "%.3f", a/b}')"
# CPU time does not move with what else runs on the machine.
printf "ratio fast / re-encode, CPU time:  %s\n\n" "$(awk -v a="$c_fast" -v b="$c_ffmpeg" 'BEGIN{printf "%.3f", a/b}')"
printf "load average while running: %s\n\n" "$(cut -d' ' -f1-3 /proc/loadavg)"

# Stage breakdown from the JSON events; the final file's frames from ffprobe.
final=$(find "$work/fast-out" -name final.mp4 | head -1)
python3 - "$work/fast.out" <<'EOF'
import json, sys
rows = []
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "stage-end":
        rows.append((ev["stage"], ev.get("wall_seconds", 0.0), ev.get("cpu_seconds", 0.0),
                     ev.get("peak_rss_mb", 0), ev.get("skipped", False)))
print("%-16s %9s %9s %9s" % ("stage", "wall s", "cpu s", "peak MB"))
for stage, wall, cpu, rss, skipped in rows:
    print("%-16s %9.1f %9.1f %9s%s" % (stage, wall, cpu, rss, "  (skipped)" if skipped else ""))
EOF
if grep -q "re-encodes the whole video" "$work/fast.err"; then
  echo; echo "smart cut NOT used: $(grep 're-encodes the whole video' "$work/fast.err" | head -1)"
fi
copied=$(grep -ho "[0-9]* frames, [0-9]* copied, [0-9]* encoded" "$work/fast.out" "$work/fast.err" | tail -1 || true)
[ -n "$copied" ] && printf "\nsmart cut: %s\n" "$copied"
if [ -n "$final" ]; then
  printf "\nfinal.mp4: %s s, %s video packets\n" \
    "$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$final")" \
    "$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of default=nw=1:nk=1 "$final")"
fi
