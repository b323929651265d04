#!/usr/bin/env bash
# setup.sh [--sanitize | --fuzz] — installs what is missing (Debian 12
# packages), configures and builds AI Video Editor.  Safe to run again: it
# only installs missing packages and rebuilds what changed.
#
#   (no flag)    ./build, the normal build (the quick start)
#   --sanitize   ./build-sanitize: AddressSanitizer + UndefinedBehaviorSanitizer
#                (gcc; its runtimes come with gcc), used by run-tests.sh --sanitize
#   --fuzz       ./build-fuzz: clang, libFuzzer, ASan + UBSan, only the engine
#                and the harnesses of tests/fuzz (used by run-fuzzers.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=normal
case "${1:-}" in
  "") ;;
  --sanitize) profile=sanitize ;;
  --fuzz) profile=fuzz ;;
  *) echo "usage: tools/setup.sh [--sanitize | --fuzz]" >&2; exit 2 ;;
esac

packages=(
  # build
  gcc meson ninja-build pkg-config
  # engine
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev libsecret-1-dev libyaml-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
  libebur128-dev libaubio-dev libpocketsphinx-dev pocketsphinx-en-us
  # recorded human speech with transcripts, for the tests (retakes)
  pocketsphinx-testdata
  libcairo2-dev libpango1.0-dev
  # Vulkan compute (lavapipe runs it on the CPU for the tests)
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-tools
  # media tools used by the sample generator, the tests and the benchmark
  ffmpeg espeak-ng sox time
  # a second H.264 decoder: the smart cut's outputs decoded by OpenH264 too
  libopenh264-dev
  # the MLT engine of Shotcut and Kdenlive: renders our MLT and .kdenlive exports in the tests
  melt
  # desktop app, its preview and the UI test
  libgtk-4-dev libadwaita-1-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgtk-4-media-gstreamer gstreamer1.0-libav gstreamer1.0-plugins-good
  desktop-file-utils appstream gettext xvfb xauth dbus dbus-x11 gnome-keyring imagemagick xdotool
  # the one-node Slurm cluster of the batch --slurm test (tests/slurm)
  slurm-wlm munge
)
case "$profile" in
  # gcc's ASan/UBSan runtimes; llvm-symbolizer turns addresses into lines
  sanitize) packages+=(libasan8 libubsan1 llvm) ;;
  # clang 14 with its libFuzzer and sanitizer runtimes
  fuzz) packages+=(clang libclang-rt-14-dev llvm) ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "$profile" in
  normal)
    if [ ! -f build/build.ninja ]; then
      meson setup build --buildtype=debugoptimized ${AVE_MESON_ARGS:-} >/dev/null
    fi
    ninja -C build >/dev/null
    echo "setup: built build/src/ai-video-editor" >&2
    ;;
  sanitize)
    # Errors stop the program (-fno-sanitize-recover) so that a test cannot
    # pass after one; frame pointers keep the reports' stacks whole.  No
    # AVE_MESON_ARGS (-Dwerror=true in CI): the normal build checks the
    # warnings, and the sanitizers' instrumentation adds false ones.
    if [ ! -f build-sanitize/build.ninja ]; then
      meson setup build-sanitize --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args="-fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
        >/dev/null
    fi
    ninja -C build-sanitize >/dev/null
    echo "setup: built build-sanitize (ASan + UBSan)" >&2
    ;;
  fuzz)
    # The engine is instrumented for coverage (fuzzer-no-link); only the
    # harnesses link libFuzzer (tests/fuzz/meson.build).  Nothing else is
    # built: the app and the tests are not needed to fuzz.
    if [ ! -f build-fuzz/build.ninja ]; then
      CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
        >/dev/null
    fi
    ninja -C build-fuzz fuzzers >/dev/null
    echo "setup: built the fuzzers in build-fuzz/tests/fuzz" >&2
    ;;
esac
