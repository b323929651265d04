#!/usr/bin/env bash
# bench-fast.sh — `process --mode fast` (smart cut) against a plain x264
# re-encode of the same file, in one invocation, with the ratio.
#
#   bench/bench-fast.sh [--duration S] [--size WxH] [--work DIR] [--binary PATH]
#                       [--variants "plain vfr joined open-gop edit-list hevc mpeg4"]
#                       [--default] [--equal-work]
#
# Generates a talk once (tools/make-sample.sh, default 300 s at 1920x1080)
# into the work folder (default /tmp/ave-bench), then times:
#   ffmpeg -i FILE -c:v libx264 -preset veryfast -c:a aac out.mp4
#   ai-video-editor process --mode fast FILE    (end to end: analysis, plan,
#                                                assets, smart-cut render)
# and prints both wall times, the ratio (the issue's target is <= 0.25),
# the stage breakdown of the process run (its --json stage-end events) and
# how many frames the smart cut copied and encoded again.  Not a test:
# numbers depend on the machine.
#
# --variants runs the same comparison on files made the way phones,
# cameras and editors make them, derived from the talk (each made once,
# kept in the work folder):
#   plain      the talk as made (x264, closed GOPs, constant rate)
#   vfr        re-encoded with every fifth frame 12 ms late (phone-style)
#   joined     an eighth of the talk joined 8 times (-stream_loop 7 -c copy)
#   open-gop   re-encoded with x264 open GOPs (one IDR)
#   edit-list  copied from 0.52 s on (-ss 0.52 -c copy: an edit list)
#   hevc       re-encoded with libx265 veryfast (open GOPs, CRA keyframes)
#   mpeg4      re-encoded as MPEG-4 Part 2 (FFmpeg's mpeg4, no B-frames)
# and prints one summary row per file.  --default also times the default
# mode on each file (fast mode must never be slower).
#
# --equal-work runs, on the talk as made, each of our stages beside an
# ffmpeg command doing the same work (each row says what each side does):
# fast mode's composition against ffmpeg -c copy of the same segments from
# keyframes + concat (the lower bound of a smart cut); the default mode's
# composition against one ffmpeg trim/xfade/acrossfade/concat render of
# the same plan at the same preset and CRF; fast mode's analysis against
# ffmpeg decoding at the analysis size with deblocking skipped (and scdet
# at full size, the older comparison).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=300
size=1920x1080
work=${TMPDIR:-/tmp}/ave-bench
bin=build/src/ai-video-editor
variants=
with_default=0
equal=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --binary) bin=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --default) with_default=1; shift ;;
    --equal-work) equal=1; shift ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
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

# --equal-work: the same work on both sides, on the talk as made.
equal_work() {
  local ew="$work/equal" threads
  threads=$(nproc)
  rm -rf "$ew"; mkdir -p "$ew"
  run ew-fast "$bin" process --mode fast --json -o "$ew/fast" "$clip"
  run ew-default "$bin" process --json -o "$ew/default" "$clip"
  fast_plan=$(find "$ew/fast" -name plan.json | head -1)
  default_plan=$(find "$ew/default" -name plan.json | head -1)
  # stage LABEL NAME -> wall seconds of that stage in the run's JSON events;
  # the analysis is audio and video at once: until the later one ends.
  stage() { python3 - "$work/$1.out" "$2" <<'EOF'
import json, sys
walls = {}
ends = {}
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "stage-end":
        walls[ev["stage"]] = ev.get("wall_seconds", 0.0)
        ends[ev["stage"]] = ev.get("time", 0.0)
if sys.argv[2] == "analysis":
    print("%.2f" % max(ends.get("audio_analysis", 0.0), ends.get("video_analysis", 0.0)))
else:
    print("%.2f" % walls.get(sys.argv[2], 0.0))
EOF
  }
  # 1. The lower bound of a smart cut: each kept segment copied from the
  #    keyframe at or before its start (-ss before -i, -c copy), then
  #    joined with the concat demuxer.  No frame is encoded, the cuts are
  #    off by up to a GOP and the sound is not faded or normalised.
  python3 - "$fast_plan" "$clip" "$ew" > "$ew/copy.sh" <<'EOF'
import json, sys, shlex
plan, clip, d = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
lines, parts = [], []
for i, s in enumerate(x for x in plan["segments"] if x.get("enabled", True)):
    out = "%s/seg%03d.mp4" % (d, i)
    lines.append("ffmpeg -nostdin -v error -y -ss %.3f -i %s -t %.3f -c copy -avoid_negative_ts make_zero %s"
                 % (s["start"], shlex.quote(clip), s["end"] - s["start"], shlex.quote(out)))
    parts.append("file '%s'" % out)
open(d + "/list.txt", "w").write("\n".join(parts) + "\n")
lines.append("ffmpeg -nostdin -v error -y -f concat -safe 0 -i %s/list.txt -c copy %s/copy.mp4" % (d, d))
print("set -e\n" + "\n".join(lines))
EOF
  run ew-copy bash "$ew/copy.sh"; t_copy=$wall
  # 2. The default render's work in one ffmpeg command: the same segments
  #    (trim/atrim), crossfades where the plan has them (xfade and
  #    acrossfade of the same length), 10 ms sound fades at hard cuts as
  #    ours, x264 at the default quality's preset and CRF, AAC.  Not on the
  #    ffmpeg side: loudness measurement and gain, the limiter, cards.
  python3 - "$default_plan" "$clip" "$ew" > "$ew/render.sh" <<'EOF'
import json, sys, shlex
plan, clip, d = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
segs = [s for s in plan["segments"] if s.get("enabled", True) and s["end"] > s["start"]]
f, length = [], 0.0
for i, s in enumerate(segs):
    dur = s["end"] - s["start"]
    f.append("[0:v]trim=start=%.3f:end=%.3f,setpts=PTS-STARTPTS[v%d]" % (s["start"], s["end"], i))
    f.append("[0:a]atrim=start=%.3f:end=%.3f,asetpts=PTS-STARTPTS,afade=t=in:d=0.01,"
             "afade=t=out:st=%.3f:d=0.01[a%d]" % (s["start"], s["end"], max(0.0, dur - 0.01), i))
v, a = "v0", "a0"
length = segs[0]["end"] - segs[0]["start"]
for i, s in enumerate(segs[1:], 1):
    dur = s["end"] - s["start"]
    xd = s.get("transition_duration", 0.0) if s.get("transition") == "crossfade" else 0.0
    if xd > 0.0:
        f.append("[%s][v%d]xfade=transition=fade:duration=%.3f:offset=%.3f[vx%d]" % (v, i, xd, length - xd, i))
        f.append("[%s][a%d]acrossfade=d=%.3f[ax%d]" % (a, i, xd, i))
        length += dur - xd
    else:
        f.append("[%s][%s][v%d][a%d]concat=n=2:v=1:a=1[vx%d][ax%d]" % (v, a, i, i, i, i))
        length += dur
    v, a = "vx%d" % i, "ax%d" % i
open(d + "/graph.txt", "w").write(";\n".join(f))
print("ffmpeg -nostdin -v error -y -i %s -filter_complex_script %s/graph.txt -map '[%s]' -map '[%s]' "
      "-c:v libx264 -preset medium -crf 21 -c:a aac -b:a 160k %s/render.mp4" % (shlex.quote(clip), d, v, a, d))
EOF
  run ew-render bash "$ew/render.sh"; t_render=$wall
  # 3. The analysis's decoding alone: the same size (the quality's
  #    analysis width, 384 at the default quality), the deblocking filter
  #    skipped and FFmpeg's fast flags as ours, non-reference frames
  #    skipped in fast mode as ours; the sound decoded and resampled to
  #    16 kHz mono for the recogniser.  It analyses nothing.
  run ew-decode ffmpeg -nostdin -v error -threads "$threads" -skip_loop_filter all -flags2 fast -skip_frame noref \
    -i "$clip" -vf scale=384:-2 -f null - -map 0:a -af aresample=16000 -ac 1 -f null -
  t_decode=$wall
  run ew-scdet ffmpeg -nostdin -v error -i "$clip" -vf scdet=threshold=10 -an -f null -
  t_scdet=$wall
  t_fast_compose=$(stage ew-fast composition); t_default_compose=$(stage ew-default composition)
  t_fast_analysis=$(stage ew-fast analysis)
  printf "\nequal work on %s (%s s, %s):\n" "$(basename "$clip")" "$duration" "$size"
  printf "%-62s %9s\n" "run" "wall s"
  printf "%-62s %9.1f\n" "fast mode, composition stage (smart cut of its plan)" "$t_fast_compose"
  printf "%-62s %9.1f\n" "ffmpeg -c copy per segment from keyframes + concat (lower bound)" "$t_copy"
  printf "%-62s %9.1f\n" "default mode, composition stage (render of its plan)" "$t_default_compose"
  printf "%-62s %9.1f\n" "ffmpeg trim/xfade/concat of the same plan, medium CRF 21" "$t_render"
  printf "%-62s %9.1f\n" "fast mode, analysis stages (audio and video at once)" "$t_fast_analysis"
  printf "%-62s %9.1f\n" "ffmpeg decode at 384 wide, no deblocking, nonref skipped + audio" "$t_decode"
  printf "%-62s %9.1f\n" "ffmpeg scdet at full size" "$t_scdet"
  printf "ratios: smart cut / copy+concat %s, render / ffmpeg render %s, analysis / decode %s, analysis / scdet %s\n" \
    "$(awk -v a="$t_fast_compose" -v b="$t_copy" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$t_default_compose" -v b="$t_render" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$t_fast_analysis" -v b="$t_decode" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$t_fast_analysis" -v b="$t_scdet" 'BEGIN{printf "%.2f", a/b}')"
}

if [ "$equal" = 1 ]; then
  equal_work
  [ -n "$variants" ] || exit 0
fi

if [ -n "$variants" ]; then
  # variant NAME -> path of the file (made once)
  variant() {
    local v="$work/talk-${size}-${duration}s-$1.mp4" enc="-c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p -c:a copy"
    if [ ! -f "$v" ]; then
      echo "making the $1 variant ..." >&2
      case "$1" in
        plain) cp "$clip" "$v" ;;
        vfr) ffmpeg -nostdin -v error -y -i "$clip" -map 0 \
               -vf "setpts='N/(FRAME_RATE*TB)+if(eq(mod(N\,5)\,2)\,0.012/TB\,0)'" -fps_mode passthrough $enc "$v" ;;
        joined) ffmpeg -nostdin -v error -y -i "$clip" -t "$(awk -v d="$duration" 'BEGIN{print d/8}')" -c copy "$v.part.mp4"
                ffmpeg -nostdin -v error -y -stream_loop 7 -i "$v.part.mp4" -c copy -t "$duration" "$v"
                rm -f "$v.part.mp4" ;;
        open-gop) ffmpeg -nostdin -v error -y -i "$clip" -map 0 $enc -x264-params open-gop=1 "$v" ;;
        edit-list) ffmpeg -nostdin -v error -y -ss 0.52 -i "$clip" -c copy "$v" ;;
        hevc) ffmpeg -nostdin -v error -y -i "$clip" -map 0 -c:v libx265 -preset veryfast \
                -x265-params keyint=60:log-level=error -pix_fmt yuv420p -c:a copy "$v" ;;
        mpeg4) ffmpeg -nostdin -v error -y -i "$clip" -map 0 -c:v mpeg4 -q:v 3 -g 60 -c:a copy "$v" ;;
        *) echo "bench-fast.sh: unknown variant $1" >&2; exit 2 ;;
      esac
    fi
    echo "$v"
  }
  printf "%-10s %16s %16s %10s %8s %8s %8s  %s\n" file "ffmpeg wall/cpu" "fast wall/cpu" "default s" ratio "cpu" "copied" \
    "why encoded (first pieces)"
  for name in $variants; do
    file=$(variant "$name")
    rm -rf "$work/fast-out" "$work/default-out" "$work/reencode.mp4"
    run reencode ffmpeg -nostdin -v error -y -i "$file" -c:v libx264 -preset veryfast -c:a aac "$work/reencode.mp4"
    t_ffmpeg=$wall; c_ffmpeg=$cpu
    run fast "$bin" process --mode fast --json -o "$work/fast-out" "$file"
    t_fast=$wall; c_fast=$cpu
    cp "$work/fast.out" "$work/fast-$name.out"; cp "$work/fast.err" "$work/fast-$name.err"
    t_default=-
    if [ "$with_default" = 1 ]; then
      run default "$bin" process --json -o "$work/default-out" "$file"
      t_default=$wall
    fi
    line=$(grep -h "Smart cut: copies" "$work/fast.err" | tail -1 || true)
    copied=$(echo "$line" | sed -n 's/.*frames (\([0-9.]*%\)).*/\1/p')
    [ -n "$copied" ] || copied="none"
    why=$(echo "$line" | sed -n 's/.*encodes \(.*\)/\1/p' | cut -c1-90)
    grep -q "re-encodes the whole video" "$work/fast.err" && why=$(grep -h "re-encodes the whole video" "$work/fast.err" | head -1 | cut -c1-90)
    printf "%-10s %16s %16s %10s %8.3f %8.3f %8s  %s\n" "$name" "$t_ffmpeg/$c_ffmpeg" "$t_fast/$c_fast" "$t_default" \
      "$(awk -v a="$t_fast" -v b="$t_ffmpeg" 'BEGIN{print a/b}')" \
      "$(awk -v a="$c_fast" -v b="$c_ffmpeg" 'BEGIN{print a/b}')" "$copied" "$why"
  done
  printf "\nratio = fast wall / ffmpeg -c:v libx264 -preset veryfast -c:a aac wall (target <= 0.25);\n"
  printf "cpu = the same with user + system CPU seconds (moves less with what else runs)\n"
  printf "load average: %s\n" "$(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

rm -rf "$work/fast-out" "$work/reencode.mp4"
run reencode ffmpeg -nostdin -v error -y -i "$clip" -c:v libx264 -preset veryfast -c:a aac "$work/reencode.mp4"
t_ffmpeg=$wall; c_ffmpeg=$cpu; m_ffmpeg=$rss
run fast env G_MESSAGES_DEBUG=ave-smart-cut "$bin" process --mode fast --json -o "$work/fast-out" "$clip"
t_fast=$wall; c_fast=$cpu; m_fast=$rss

printf "%-50s %9s %9s %9s\n" "run" "wall s" "cpu s" "peak MB"
printf "%-50s %9.1f %9.1f %9s\n" "ffmpeg -c:v libx264 -preset veryfast -c:a aac" "$t_ffmpeg" "$c_ffmpeg" "$m_ffmpeg"
printf "%-50s %9.1f %9.1f %9s\n" "ai-video-editor process --mode fast" "$t_fast" "$c_fast" "$m_fast"
printf "\nratio fast / re-encode, wall time: %s (target <= 0.25)\n" "$(awk -v a="$t_fast" -v b="$t_ffmpeg" 'BEGIN{printf "%.3f", a/b}')"
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
