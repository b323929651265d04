#!/usr/bin/env bash
# bench-gpu.sh — the whole job with and without --enable-gpu, in one run.
#
#   bench/bench-gpu.sh [--duration S] [--size WxH] [--device NAME] [--work DIR]
#                      [--resolution HEIGHT] [--no-process]
#
# On one generated talk (tools/make-sample.sh, default 60 s at 1920x1080) it
# times, one after the other on the same machine:
#   ffmpeg scdet                       the reference of the analysis target
#   analyze                            the CPU default: decoded pictures
#                                      downscaled by swscale in the reader
#   analyze, AVE_ANALYSIS_SCALER=compute   downscaled by AveCompute's
#                                      vectorised (AVX2) scale kernel
#   analyze, ... and AVE_COMPUTE_CPU=scalar   the same, scalar reference kernels
#   analyze --enable-gpu               scale and analysis kernels on Vulkan
#   the same with AVE_VULKAN_STAGING=1 the discrete-GPU path's copies, with
#                                      the bytes uploaded and downloaded
#   process, process --enable-gpu      (unless --no-process)
#   process of the CPU run's plan with a title card added, rendered at
#   --resolution (default 720p, so the composer scales every picture):
#     on the CPU with swscale (the default there), on the CPU with the
#     AVX2 scale kernel (AVE_COMPOSE_SCALER=compute), and --enable-gpu
#     (scale, blend, overlay and the card's conversion on Vulkan); the two
#     kernel renders must decode to the same pictures (MD5), the swscale
#     one is compared by PSNR
# and prints wall and CPU seconds (user + system, all threads), peak RSS,
# the ratios, and from each run's metrics how many times each compute
# kernel ran and on which backend, so a GPU run shows whether its kernels
# really ran on the device.  The device is $AVE_VULKAN_DEVICE or --device
# (default "llvmpipe", Mesa's CPU Vulkan, for parity on machines without a
# GPU; name a real one, e.g. --device nvidia, where there is one).
# Not a test: numbers depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=60
size=1920x1080
work=${TMPDIR:-/tmp}/ave-bench
device=${AVE_VULKAN_DEVICE:-llvmpipe}
do_process=1
resolution=720p
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-process) do_process=0; shift ;;
    --resolution) resolution=$2; shift 2 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "bench-gpu.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=build/src/ai-video-editor
[ -x "$bin" ] || { echo "bench-gpu.sh: build first (tools/setup.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-gpu.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$work"
# Outputs and metrics of this invocation: a folder of its own, the only
# thing it removes.
runs=$(mktemp -d "$work/gpu-runs.XXXXXX")
trap 'rm -rf "$runs"' EXIT

clip="$work/talk-${size}-${duration}s.mp4"
if [ ! -f "$clip" ]; then
  echo "generating $clip ..." >&2
  tools/make-sample.sh --duration "$duration" --size "$size" "$clip" >/dev/null
fi

printf "machine: %s, %s cores; clip %s, %s s; Vulkan device filter: %s\n\n" \
  "$(uname -m)" "$(nproc)" "$size" "$duration" "$device"
printf "%-36s %8s %8s %8s  %s\n" "run" "wall s" "CPU s" "peak MB" "compute backend: kernel calls"

# run LABEL ENV... -- CMD...  -> sets $wall, $cpu (s) and $rss (MB); prints a row
run() {
  local label=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local metrics="$runs/metrics-$label"
  env "${envs[@]}" /usr/bin/time -f "%e %U %S %M" -o "$runs/time.txt" "$@" \
    >"$runs/$label.out" 2>"$runs/$label.err" || {
    echo "bench-gpu.sh: $label failed:" >&2; tail -5 "$runs/$label.err" >&2; exit 1; }
  read -r wall user sys rss_kb < "$runs/time.txt"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
  rss=$(awk -v k="$rss_kb" 'BEGIN{printf "%.0f", k/1024}')
  local calls="-"
  if [ -d "$metrics" ]; then
    # the summary line's "gpu" object: backend and kernel_calls
    calls=$(tail -n 1 "$metrics"/*.jsonl | python3 -c '
import json, sys
g = json.loads(sys.stdin.read()).get("gpu", {})
calls = g.get("kernel_calls", {})
vk = g.get("vulkan", {})
bus = " upload %.1f MB, download %.1f MB" % (vk["upload_bytes"] / 1e6, vk["download_bytes"] / 1e6) \
      if vk.get("upload_bytes") else ""
print(g.get("backend"), " ".join("%s=%d" % (k, v) for k, v in calls.items() if v) + bus)')
  fi
  printf "%-36s %8.2f %8.2f %8s  %s\n" "$label" "$wall" "$cpu" "$rss" "$calls"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

run scdet -- ffmpeg -nostdin -v error -i "$clip" -vf scdet=threshold=10 -an -f null -
t_scdet=$wall; c_scdet=$cpu
run analyze-cpu -- \
  "$bin" analyze "$clip" -o "$runs/out-analyze-cpu" --json --metrics-output="$runs/metrics-analyze-cpu"
t_cpu=$wall; c_cpu=$cpu
run analyze-cpu-kernel AVE_ANALYSIS_SCALER=compute -- \
  "$bin" analyze "$clip" -o "$runs/out-analyze-cpu-kernel" --json --metrics-output="$runs/metrics-analyze-cpu-kernel"
t_kernel=$wall; c_kernel=$cpu
run analyze-cpu-kernel-scalar AVE_ANALYSIS_SCALER=compute AVE_COMPUTE_CPU=scalar -- \
  "$bin" analyze "$clip" -o "$runs/out-analyze-cpu-kernel-scalar" --json \
  --metrics-output="$runs/metrics-analyze-cpu-kernel-scalar"
t_scalar=$wall; c_scalar=$cpu
run analyze-gpu AVE_VULKAN_DEVICE="$device" -- \
  "$bin" analyze "$clip" -o "$runs/out-analyze-gpu" --json --enable-gpu --metrics-output="$runs/metrics-analyze-gpu"
t_gpu=$wall; c_gpu=$cpu
# The discrete-GPU path (device-local buffers, copies over the bus) on any
# device: its row shows the bytes uploaded and downloaded.
run analyze-gpu-staged AVE_VULKAN_DEVICE="$device" AVE_VULKAN_STAGING=1 -- \
  "$bin" analyze "$clip" -o "$runs/out-analyze-gpu-staged" --json --enable-gpu \
  --metrics-output="$runs/metrics-analyze-gpu-staged"
if [ "$do_process" = 1 ]; then
  run process-cpu -- \
    "$bin" process "$clip" -o "$runs/out-process-cpu" --json --metrics-output="$runs/metrics-process-cpu"
  t_pcpu=$wall; c_pcpu=$cpu
  run process-gpu AVE_VULKAN_DEVICE="$device" -- \
    "$bin" process "$clip" -o "$runs/out-process-gpu" --json --enable-gpu --metrics-output="$runs/metrics-process-gpu"
  t_pgpu=$wall; c_pgpu=$cpu

  # The CPU run's plan with a 2 s title card before its second segment
  # (crossfading in and out), rendered smaller than the source.
  plan="$runs/plan-card.json"
  python3 - "$runs/out-process-cpu"/*/plan.json "$plan" <<'PY'
import json, os, sys
plan = json.load(open(sys.argv[1]))
# the plan names its source relative to its own folder; this copy lives elsewhere
plan["source"] = os.path.normpath(os.path.join(os.path.dirname(sys.argv[1]), plan["source"]))
plan.setdefault("cards", []).append({
    "kind": "title", "title": "Part Two", "subtitle": "bench-gpu.sh", "style": "accent",
    "insert_before": 1, "duration": 2, "transition": "crossfade", "transition_duration": 0.5})
json.dump(plan, open(sys.argv[2], "w"))
PY
  run "render-$resolution-cpu" -- \
    "$bin" process "$clip" --plan "$plan" --resolution "$resolution" -o "$runs/out-render-cpu" --json \
    --metrics-output="$runs/metrics-render-$resolution-cpu"
  t_rcpu=$wall; c_rcpu=$cpu
  run "render-$resolution-cpu-kernel" AVE_COMPOSE_SCALER=compute -- \
    "$bin" process "$clip" --plan "$plan" --resolution "$resolution" -o "$runs/out-render-kernel" --json \
    --metrics-output="$runs/metrics-render-$resolution-cpu-kernel"
  t_rkernel=$wall; c_rkernel=$cpu
  run "render-$resolution-gpu" AVE_VULKAN_DEVICE="$device" -- \
    "$bin" process "$clip" --plan "$plan" --resolution "$resolution" -o "$runs/out-render-gpu" --json --enable-gpu \
    --metrics-output="$runs/metrics-render-$resolution-gpu"
  t_rgpu=$wall; c_rgpu=$cpu
fi

# shots must not depend on the path
shots() { python3 -c '
import json, sys
print(json.dumps([[round(s["start"], 3), s["transition"]] for s in json.load(open(sys.argv[1]))["shots"]]))' "$1"; }
a_sws=$(shots "$runs/out-analyze-cpu"/*/analysis.json)
a_cpu=$(shots "$runs/out-analyze-cpu-kernel"/*/analysis.json)
a_gpu=$(shots "$runs/out-analyze-gpu"/*/analysis.json)

echo
printf "analyze (CPU default, swscale) / scdet: %s wall, %s CPU   (target <= 1.0 at 1080p)\n" \
  "$(ratio "$t_cpu" "$t_scdet")" "$(ratio "$c_cpu" "$c_scdet")"
printf "analyze AVX2 scale kernel / swscale:     %s wall, %s CPU   (< 1: the kernel path is faster)\n" \
  "$(ratio "$t_kernel" "$t_cpu")" "$(ratio "$c_kernel" "$c_cpu")"
printf "analyze AVX2 / scalar kernels:           %s wall, %s CPU\n" \
  "$(ratio "$t_kernel" "$t_scalar")" "$(ratio "$c_kernel" "$c_scalar")"
printf "analyze --enable-gpu / CPU default:      %s wall, %s CPU   (target <= 0.5 on a real GPU)\n" \
  "$(ratio "$t_gpu" "$t_cpu")" "$(ratio "$c_gpu" "$c_cpu")"
if [ "$do_process" = 1 ]; then
  printf "process --enable-gpu / default:          %s wall, %s CPU\n" \
    "$(ratio "$t_pgpu" "$t_pcpu")" "$(ratio "$c_pgpu" "$c_pcpu")"
fi
if [ "$do_process" = 1 ]; then
  printf "render %s: AVX2 kernel / swscale:     %s wall, %s CPU   (< 1: the kernel is faster on the CPU)\n" \
    "$resolution" "$(ratio "$t_rkernel" "$t_rcpu")" "$(ratio "$c_rkernel" "$c_rcpu")"
  printf "render %s: --enable-gpu / CPU default: %s wall, %s CPU\n" \
    "$resolution" "$(ratio "$t_rgpu" "$t_rcpu")" "$(ratio "$c_rgpu" "$c_rcpu")"
  vmd5() { ffmpeg -v error -nostdin -i "$1" -map 0:v -f md5 - ; }
  m_kernel=$(vmd5 "$runs/out-render-kernel"/*/final.mp4)
  m_gpu=$(vmd5 "$runs/out-render-gpu"/*/final.mp4)
  if [ "$m_kernel" = "$m_gpu" ]; then
    echo "render $resolution: the CPU kernel and --enable-gpu renders decode to the same pictures ($m_kernel)"
  else
    echo "render $resolution: kernel and GPU renders DIFFER: $m_kernel against $m_gpu"
  fi
  printf "render %s: PSNR swscale render against the GPU render: %s\n" "$resolution" \
    "$(ffmpeg -nostdin -i "$runs/out-render-cpu"/*/final.mp4 -i "$runs/out-render-gpu"/*/final.mp4 \
       -lavfi psnr -f null - 2>&1 | grep -o 'average:[^ ]* min:[^ ]*')"
fi
if [ "$a_sws" = "$a_cpu" ] && [ "$a_cpu" = "$a_gpu" ]; then
  echo "shots: identical on the three analysis paths ($(python3 -c 'import json, sys; print(len(json.loads(sys.argv[1])))' "$a_cpu") shots)"
else
  echo "shots DIFFER: swscale $a_sws"
  echo "              kernel  $a_cpu"
  echo "              gpu     $a_gpu"
fi
