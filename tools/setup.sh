#!/usr/bin/env bash
# setup.sh — installs what is missing (Debian 12 packages), configures and
# builds AI Video Editor in ./build.  Safe to run again: it only installs
# missing packages and rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  gcc meson ninja-build pkg-config
  # engine
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev libyaml-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
  libebur128-dev libaubio-dev libpocketsphinx-dev pocketsphinx-en-us
  libcairo2-dev libpango1.0-dev
  # Vulkan compute (lavapipe runs it on the CPU for the tests)
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-tools
  # media tools used by the sample generator, the tests and the benchmark
  ffmpeg espeak-ng sox time
  # desktop app, its preview and the UI test
  libgtk-4-dev libadwaita-1-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgtk-4-media-gstreamer gstreamer1.0-libav gstreamer1.0-plugins-good
  desktop-file-utils appstream gettext xvfb xauth dbus dbus-x11 imagemagick
)

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

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized ${AVE_MESON_ARGS:-} >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built build/src/ai-video-editor" >&2
