#!/usr/bin/env bash
# make-sample.sh — generates a sample "talk": spoken sentences with pauses
# and filler words (espeak-ng, sox) over several visually distinct shots
# (ffmpeg lavfi), encoded as H.264/AAC MP4.  Writes the ground truth next to
# it as OUT.truth.json (shot cuts, pauses, fillers, sentences), which the
# tests and the benchmark use.
#
# usage: tools/make-sample.sh [--duration S] [--size WxH] [--fps N] OUT.mp4
set -euo pipefail

duration=30
size=1280x720
fps=30
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --fps) fps=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "make-sample.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -n "${out:-}" ] || { echo "usage: make-sample.sh [--duration S] [--size WxH] [--fps N] OUT.mp4" >&2; exit 2; }
for tool in ffmpeg espeak-ng sox soxi; do
  command -v "$tool" >/dev/null || { echo "make-sample.sh: $tool is missing (apt-get install ffmpeg espeak-ng sox)" >&2; exit 1; }
done

# sox dithers with a random seed when it reduces bit depth: every sample
# would sound slightly different and the speech recogniser's words with it.
# -R seeds it with a fixed number, so a sample is the same on every run.
export SOX_OPTS="-R${SOX_OPTS:+ $SOX_OPTS}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rate=16000

sentences=(
  "Welcome to this short talk about editing video automatically."
  "Today we will look at how silences and filler words are found."
  "The editor listens to the speech and watches every shot."
  "A good edit keeps the ideas and removes the waiting."
  "Loudness is measured and brought to a common level."
  "Thumbnails are chosen from the sharpest and brightest frames."
  "Chapters follow the topics of the transcript."
  "Thank you for watching this demonstration."
)
fillers=(um uh)
# pauses between utterances, seconds: short ones stay, long ones are cut
pauses=(0.3 1.4 0.25 1.1 0.4 1.6)

pieces=()
truth_words=""
truth_pauses=""
truth_sentences=""
t=0
i=0
n=0
add_piece() { pieces+=("$1"); }
silence() { # seconds -> file
  local f="$work/sil$n.wav"; n=$((n+1))
  sox -n -r $rate -c 1 -b 16 "$f" trim 0 "$1"
  echo "$f"
}
dur() { soxi -D "$1"; }

while awk -v t="$t" -v d="$duration" 'BEGIN{exit !(t < d - 4)}'; do
  s=${sentences[$((i % ${#sentences[@]}))]}
  f="$work/s$n.wav"; n=$((n+1))
  espeak-ng -s 165 -w "$work/raw.wav" "$s"
  sox "$work/raw.wav" -r $rate -c 1 -b 16 "$f" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
  d=$(dur "$f")
  truth_sentences+="{\"start\":$t,\"end\":$(awk -v a="$t" -v b="$d" 'BEGIN{printf "%.4f", a+b}'),\"text\":\"$s\"},"
  add_piece "$f"; t=$(awk -v a="$t" -v b="$d" 'BEGIN{printf "%.4f", a+b}')

  p=${pauses[$((i % ${#pauses[@]}))]}
  add_piece "$(silence "$p")"
  truth_pauses+="{\"start\":$t,\"end\":$(awk -v a="$t" -v b="$p" 'BEGIN{printf "%.4f", a+b}')},"
  t=$(awk -v a="$t" -v b="$p" 'BEGIN{printf "%.4f", a+b}')

  if [ $((i % 2)) -eq 1 ]; then
    w=${fillers[$(((i / 2) % ${#fillers[@]}))]}
    f="$work/f$n.wav"; n=$((n+1))
    espeak-ng -s 120 -w "$work/raw.wav" "$w"
    sox "$work/raw.wav" -r $rate -c 1 -b 16 "$f" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
    d=$(dur "$f")
    truth_words+="{\"word\":\"$w\",\"start\":$t,\"end\":$(awk -v a="$t" -v b="$d" 'BEGIN{printf "%.4f", a+b}'),\"filler\":true},"
    add_piece "$f"; t=$(awk -v a="$t" -v b="$d" 'BEGIN{printf "%.4f", a+b}')
    add_piece "$(silence 0.3)"
    truth_pauses+="{\"start\":$t,\"end\":$(awk -v a="$t" 'BEGIN{printf "%.4f", a+0.3}')},"
    t=$(awk -v a="$t" 'BEGIN{printf "%.4f", a+0.3}')
  fi
  i=$((i+1))
done
sox "${pieces[@]}" "$work/speech.wav"
# pad to the exact duration; the tail is silence
sox "$work/speech.wav" "$work/audio.wav" pad 0 "$duration"; sox "$work/audio.wav" "$work/audio2.wav" trim 0 "$duration"; mv "$work/audio2.wav" "$work/audio.wav"
tail_start=$t
truth_pauses+="{\"start\":$tail_start,\"end\":$duration}"

# Shots: about one every 6 s, each a different lavfi source; cut times are
# multiples of the frame duration so they are exact.
nshots=$(awk -v d="$duration" 'BEGIN{n=int(d/6); if(n<3)n=3; print n}')
sources=("testsrc2" "smptehdbars" "mandelbrot" "rgbtestsrc" "testsrc" "cellauto" "life" "yuvtestsrc")
frames_total=$(awk -v d="$duration" -v f="$fps" 'BEGIN{print int(d*f + 0.5)}')
graph=""
inputs=""
cuts=""
start_frame=0
for ((k=0; k<nshots; k++)); do
  end_frame=$(awk -v k="$k" -v n="$nshots" -v T="$frames_total" 'BEGIN{print int((k+1)*T/n)}')
  len=$((end_frame - start_frame))
  src=${sources[$((k % ${#sources[@]}))]}
  case "$src" in
    life) spec="life=s=$size:r=$fps:mold=10:ratio=0.1:death_color=#202020:life_color=#ffcc00" ;;
    cellauto) spec="cellauto=s=$size:r=$fps:rule=110" ;;
    mandelbrot) spec="mandelbrot=s=$size:r=$fps" ;;
    *) spec="$src=s=$size:r=$fps" ;;
  esac
  graph+="$spec,trim=end_frame=$len,setpts=PTS-STARTPTS,format=yuv420p,setsar=1[v$k];"
  inputs+="[v$k]"
  if [ "$k" -gt 0 ]; then cuts+="$(awk -v f="$start_frame" -v r="$fps" 'BEGIN{printf "%.6f", f/r}'),"; fi
  start_frame=$end_frame
done
graph+="${inputs}concat=n=$nshots:v=1:a=0[v]"

ffmpeg -nostdin -loglevel error -y \
  -filter_complex "$graph" -i "$work/audio.wav" \
  -map "[v]" -map 0:a -c:v libx264 -preset veryfast -crf 23 -g $((fps*2)) -pix_fmt yuv420p \
  -c:a aac -b:a 128k -ar 48000 -ac 2 -shortest -movflags +faststart "$out.part.mp4"
mv "$out.part.mp4" "$out"

cat > "$out.truth.json" <<JSON
{
  "duration": $duration,
  "fps": $fps,
  "size": "$size",
  "shot_cuts": [${cuts%,}],
  "pauses": [${truth_pauses}],
  "fillers": [${truth_words%,}],
  "sentences": [${truth_sentences%,}]
}
JSON
echo "$out"
