#!/usr/bin/env bash
# bench.sh — our analysis and processing against the equivalent ffmpeg
# command lines, on generated clips, in one invocation, with ratios.
#
#   bench/bench.sh [--duration S] [--sizes 1280x720,1920x1080] [--work DIR]
#
# For each size it generates a talk (tools/make-sample.sh), then times:
#   ffmpeg scdet pass            (shot detection alone, all cores)
#   ffmpeg silencedetect pass    (silence detection alone)
#   ffmpeg x264 re-encode        (same preset and CRF as our --quality high)
#   ai-video-editor analyze      (shots, quality, silences, loudness, transcript;
#                                 reference pictures decoded, cuts placed on
#                                 their frames: the default)
#   the same, every picture      (AVE_ANALYSIS_FRAMES=all, as --quality ultra
#                                 decodes: the previous default)
#   ai-video-editor process      (analysis, plan, thumbnails, render)
# and prints wall and CPU time, peak RSS and the ratios the targets are stated in
# (docs/performance.md).  Not a test: numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=60
sizes=1280x720,1920x1080
work=${TMPDIR:-/tmp}/ave-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=build/src/ai-video-editor
[ -x "$bin" ] || { echo "bench.sh: build first (tools/setup.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$work"

# run LABEL CMD... -> sets $wall (s), $cpu (user + system s) and $rss (MiB)
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >"$work/$label.out" 2>"$work/$label.err" || {
    echo "bench.sh: $label failed:" >&2; tail -5 "$work/$label.err" >&2; exit 1; }
  read -r wall rss_kb user sys < "$work/time.txt"
  rss=$(awk -v k="$rss_kb" 'BEGIN{printf "%.0f", k/1024}')
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
}
shot_starts() {
  python3 -c 'import json,sys; print(" ".join("%.3f" % s["start"] for s in json.load(open(sys.argv[1]))["shots"]))' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

printf "machine: %s, %s cores, %s\n" "$(uname -m)" "$(nproc)" "$(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
printf "ffmpeg: %s\n\n" "$(ffmpeg -version | head -1 | cut -d' ' -f1-3)"

IFS=, read -ra size_list <<< "$sizes"
for size in "${size_list[@]}"; do
  clip="$work/talk-${size}-${duration}s.mp4"
  if [ ! -f "$clip" ]; then
    echo "generating $clip ..." >&2
    tools/make-sample.sh --duration "$duration" --size "$size" "$clip" >/dev/null
  fi
  rm -rf "$work/out" "$work/out-all"

  run scdet ffmpeg -nostdin -v error -i "$clip" -vf scdet=threshold=10 -an -f null -
  t_scdet=$wall; m_scdet=$rss; c_scdet=$cpu
  run silencedetect ffmpeg -nostdin -v error -i "$clip" -vn -af silencedetect=n=-40dB:d=0.35 -f null -
  t_sil=$wall; c_sil=$cpu
  run x264 ffmpeg -nostdin -v error -y -i "$clip" -c:v libx264 -preset medium -crf 21 -c:a aac -b:a 160k "$work/x264.mp4"
  t_x264=$wall; m_x264=$rss; c_x264=$cpu
  run analyze "$bin" analyze "$clip" -o "$work/out" --json
  t_an=$wall; m_an=$rss; c_an=$cpu
  shots_ref=$(shot_starts "$work/out/$(basename "$clip" .mp4)/analysis.json")
  AVE_ANALYSIS_FRAMES=all run analyze-all "$bin" analyze "$clip" -o "$work/out-all" --json
  t_all=$wall; m_all=$rss; c_all=$cpu
  shots_all=$(shot_starts "$work/out-all/$(basename "$clip" .mp4)/analysis.json")
  run process "$bin" process "$clip" -o "$work/out" --json
  t_pr=$wall; m_pr=$rss; c_pr=$cpu

  echo "== $size, ${duration} s =="
  printf "%-34s %8s %8s %9s\n" "run" "wall s" "CPU s" "peak MiB"
  printf "%-34s %8.2f %8.2f %9s\n" "ffmpeg scdet (shot detection)" "$t_scdet" "$c_scdet" "$m_scdet"
  printf "%-34s %8.2f %8.2f %9s\n" "ffmpeg silencedetect" "$t_sil" "$c_sil" "-"
  printf "%-34s %8.2f %8.2f %9s\n" "ffmpeg x264 medium re-encode" "$t_x264" "$c_x264" "$m_x264"
  printf "%-34s %8.2f %8.2f %9s\n" "ai-video-editor analyze" "$t_an" "$c_an" "$m_an"
  printf "%-34s %8.2f %8.2f %9s\n" "  the same, every picture decoded" "$t_all" "$c_all" "$m_all"
  printf "%-34s %8.2f %8.2f %9s\n" "ai-video-editor process" "$t_pr" "$c_pr" "$m_pr"
  echo "stages of process (wall s / CPU s):"
  grep '"stage-end"' "$work/process.out" | sed -E 's/.*"stage":"([a-z_]+)".*"wall_seconds":([0-9.e-]+),"cpu_seconds":([0-9.e-]+).*/  \1 \2 \3/' \
    | awk '{printf "  %-16s %7.2f %7.2f\n", $1, $2, $3}'
  printf "ratio analyze / scdet:            %s   (target <= 1.0 at 1080p, 1.5 at 720p)\n" "$(ratio "$t_an" "$t_scdet")"
  printf "ratio every picture / scdet:      %s\n" "$(ratio "$t_all" "$t_scdet")"
  printf "the same in CPU time (all cores):  analyze %s, every picture %s\n" \
    "$(ratio "$c_an" "$c_scdet")" "$(ratio "$c_all" "$c_scdet")"
  if [ "$shots_ref" = "$shots_all" ]; then
    echo "shot starts: the same either way ($(wc -w <<< "$shots_ref") shots)"
  else
    printf "shot starts differ:\n  reference pictures: %s\n  every picture:      %s\n" "$shots_ref" "$shots_all"
  fi
  printf "ratio analyze / (scdet+silence):  %s\n" "$(ratio "$t_an" "$(awk -v a="$t_scdet" -v b="$t_sil" 'BEGIN{print a+b}')")"
  printf "ratio process / x264 re-encode:   %s\n" "$(ratio "$t_pr" "$t_x264")"
  printf "peak RSS of process:              %s MiB  (target <= 300 MiB at 1080p)\n\n" "$m_pr"
done
