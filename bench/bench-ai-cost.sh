#!/usr/bin/env bash
# bench-ai-cost.sh — what `--director llm` and `--asr remote` send per
# minute of video, counted with a real tokenizer, at each quality level and
# mode, priced with data/prices.json.  No paid API is called: the requests
# go to bench/ai-cost/server.py on 127.0.0.1, which keeps each request body
# and answers the chat API with a valid answer of the request's schema
# (the rules are in server.py) and the transcription API with HTTP 400
# (the engine records the seconds of speech it sent, and PocketSphinx's
# words go to the director).  bench/ai-cost/count.cjs counts the captured
# requests and answers with js-tiktoken (o200k_base).
#
#   bench/bench-ai-cost.sh [--input FILE] [--duration S] [--binary PATH]
#                          [--tiktoken DIR] [--work DIR] [--only RUN,...]
#
# --only: some of the runs (q-fast, q-medium, q-high, q-ultra, m-fast,
# m-hq, optimize), e.g. --only q-high for a long input.
# --tiktoken DIR: a folder holding node_modules/js-tiktoken (made with
# `npm install js-tiktoken` in a scratch folder outside the repository).
# Without node or js-tiktoken the requests' bytes are printed instead (a
# token is at least a byte: an upper bound), and the script says so.
# Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=120
input=
binary=${AVE_BINARY:-build/src/ai-video-editor}
tiktoken=${TIKTOKEN_DIR:-}
work=${TMPDIR:-/tmp}/ave-bench-ai-cost
only=
while [ $# -gt 0 ]; do
  case "$1" in
    --input) input=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --tiktoken) tiktoken=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "bench-ai-cost.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# Each run gets a folder of its own inside --work: nothing already there
# (a folder the user named) is ever removed.
mkdir -p "$work"
work=$(mktemp -d "$work/run.XXXXXX")
mkdir -p "$work/capture"
if [ -z "$input" ]; then
  input=$work/talk.mp4
  tools/make-sample.sh --duration "$duration" --size 640x360 "$input" >/dev/null
fi
seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$input")
stem=$(basename "${input%.*}")
export XDG_CACHE_HOME=$work/xdg-cache
unset AVE_API_KEY AVE_LLM_API_KEY AVE_ASR_API_KEY

python3 bench/ai-cost/server.py "$work/capture" >"$work/port" 2>"$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

# name, label, flags: each quality level (in the default balanced mode),
# the other modes (at the default quality), and the compact encoding.
runs=(
  "q-fast|--quality fast|--quality fast"
  "q-medium|--quality medium|--quality medium"
  "q-high|--quality high (default)|--quality high"
  "q-ultra|--quality ultra|--quality ultra"
  "m-fast|--mode fast|--mode fast"
  "m-hq|--mode high_quality|--mode high_quality"
  "optimize|--optimize-requests|--optimize-requests"
)
: >"$work/runs.tsv"
for entry in "${runs[@]}"; do
  IFS='|' read -r name label flags <<<"$entry"
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then
    continue
  fi
  url=http://127.0.0.1:$port/$name/v1
  # shellcheck disable=SC2086
  if ! nice -n 10 "$binary" process "$input" -o "$work/out-$name" --director llm --llm-url "$url" \
       --llm-model gpt-4o-mini --asr remote --asr-url "$url" --api-retries 0 --subtitles none \
       $flags >"$work/log-$name" 2>&1; then
    echo "bench-ai-cost.sh: the run '$label' failed; see $work/log-$name" >&2
    exit 1
  fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$label" "$seconds" "$work/out-$name/$stem/costs.json" >>"$work/runs.tsv"
done

printf 'Input: %s (%.0f s). Requests kept in %s.\n' "$input" "$seconds" "$work/capture"
if command -v node >/dev/null && [ -n "$tiktoken" ] && [ -d "$tiktoken/node_modules/js-tiktoken" ]; then
  node bench/ai-cost/count.cjs "$tiktoken" data/prices.json "$work/runs.tsv" "$work/capture"
else
  echo "node or js-tiktoken is absent (give --tiktoken DIR, a folder where 'npm install js-tiktoken' ran):"
  echo "request bytes per minute of video instead (an upper bound on prompt tokens):"
  while IFS=$'\t' read -r name label secs _; do
    bytes=$(cat "$work/capture/$name"/request-*.json 2>/dev/null | wc -c)
    printf '  %-28s %8.0f bytes/min\n' "$label" "$(echo "$bytes * 60 / $secs" | bc -l)"
  done <"$work/runs.tsv"
fi
