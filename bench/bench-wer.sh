#!/usr/bin/env bash
# bench-wer.sh — word error rate of the transcript on recorded human
# speech with published transcripts, at each quality level and mode, with
# the analysis time beside it.  Not a test: it measures the recogniser.
#
#   bench/bench-wer.sh [--binary PATH] [--levels fast,medium,high,ultra] [--modes balanced,fast]
#
# The speech is Debian's pocketsphinx-testdata (apt-get install
# pocketsphinx-testdata): five sentences read for LibriVox (Sense and
# Sensibility) and five card-game phrases (AN4 "cards"), each with its
# transcript.  They are joined with a second of silence between them into
# a talk with a grey picture, twice: as recorded (16 kHz, wideband) and
# through a telephone band (resampled to 8 kHz and back: nothing above
# 4 kHz), the case analysis.json warns about.  WER = (substitutions +
# deletions + insertions) / reference words, fillers left out of the
# hypothesis, over the whole talk.  No vocabulary or language model is
# tuned to these sentences.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/src/ai-video-editor
levels=fast,medium,high,ultra
modes=balanced
work=${TMPDIR:-/tmp}/ave-bench-wer
data=/usr/share/pocketsphinx/test/data
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) bin=$2; shift 2 ;;
    --levels) levels=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench-wer.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -d "$data/librivox" ] || { echo "bench-wer.sh: apt-get install pocketsphinx-testdata" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench-wer.sh: build $bin first (or give --binary)" >&2; exit 1; }
export SOX_OPTS="-R"
rm -rf "$work"; mkdir -p "$work"

# The reference, in the order the pieces are joined.
refs=()
pieces=()
sox -n -r 16000 -c 1 -b 16 "$work/pause.wav" trim 0 1
pieces+=("$work/pause.wav")
while read -r id; do
  refs+=("$(grep "($id)" "$data/librivox/transcription" | sed 's/<s>//;s/<\/s>.*//')")
  pieces+=("$data/librivox/$id.wav" "$work/pause.wav")
done < "$data/librivox/fileids"
while read -r id; do
  refs+=("$(grep "($id)" "$data/cards/cards.transcription" | sed 's/<s>//;s/<\/s>.*//')")
  pieces+=("$data/cards/$id.wav" "$work/pause.wav")
done < "$data/cards/cards.fileids"
printf '%s\n' "${refs[@]}" > "$work/reference.txt"

sox "${pieces[@]}" -r 16000 -c 1 -b 16 "$work/wideband.wav"
sox "$work/wideband.wav" -r 8000 "$work/tel8k.wav"
sox "$work/tel8k.wav" -r 16000 "$work/narrowband.wav"
for band in wideband narrowband; do
  ffmpeg -nostdin -v error -y -f lavfi -i color=c=gray:s=320x240:r=25 -i "$work/$band.wav" -shortest \
    -c:v libx264 -preset ultrafast -c:a aac -b:a 128k "$work/$band.mp4"
done
speech=$(soxi -D "$work/wideband.wav")

wer() { # analysis.json reference.txt -> "WER ref_words errors warnings"
  python3 - "$1" "$2" <<'PY'
import json, re, sys
a = json.load(open(sys.argv[1]))
hyp = [w["word"] for w in a["words"] if not w.get("filler")]
ref = re.sub(r"[^a-z' ]", " ", open(sys.argv[2]).read().lower()).split()
n, m = len(ref), len(hyp)
row = list(range(m + 1))
for i in range(1, n + 1):
    prev, row[0] = row[0], i
    for j in range(1, m + 1):
        cur = min(row[j] + 1, row[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
        prev, row[j] = row[j], cur
warn = "; ".join(w for w in a.get("warnings", []) if "narrowband" in w.lower())
print(f"{row[m] / n:.2f} {n} {row[m]} {warn or '-'}")
PY
}

printf '| band | quality | mode | WER | errors / words | analysis wall s | narrowband warning |\n'
printf '|---|---|---|---|---|---|---|\n'
IFS=',' read -ra level_list <<< "$levels"
IFS=',' read -ra mode_list <<< "$modes"
for band in wideband narrowband; do
  for level in "${level_list[@]}"; do
    for mode in "${mode_list[@]}"; do
      out="$work/out-$band-$level-$mode"
      start=$(date +%s.%N)
      XDG_CACHE_HOME="$work/cache-$band-$level-$mode" \
        "$bin" analyze --quality "$level" --mode "$mode" -o "$out" "$work/$band.mp4" >/dev/null 2>&1
      end=$(date +%s.%N)
      read -r w n e warn < <(wer "$out/$band/analysis.json" "$work/reference.txt")
      printf '| %s | %s | %s | %s | %s / %s | %.1f | %s |\n' "$band" "$level" "$mode" "$w" "$e" "$n" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN{print b - a}')" "$warn"
    done
  done
done
printf '\n%.1f s of recorded speech and pauses, %s sentences.\n' "$speech" "${#refs[@]}"
