#!/usr/bin/env bash
# screenshots.sh — regenerates the app's screenshots in docs/screenshots/
# (issue #14): the empty window and the editor at 1280x800 while a generated talk is processed,
# in libadwaita's light and dark styles, and with the settings sidebar
# open.  Runs the built app under Xvfb and a private session bus, with
# settings in a key file of its own (never the user's), and takes each
# shot with ImageMagick's `import -window root`.
#
# usage: tools/screenshots.sh [BUILD_DIR] [OUT_DIR]
#   BUILD_DIR defaults to build/, OUT_DIR to docs/screenshots/.
# Needs: xvfb-run, dbus-run-session, gdbus, import (imagemagick), xdotool
# (for the sidebar shot; skipped without it), tools/make-sample.sh's tools.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(readlink -f "${1:-$root/build}")
shots=$(readlink -f "${2:-$root/docs/screenshots}")
bin="$build/src/ai-video-editor"
[ -x "$bin" ] || { echo "screenshots: build the app first ($bin is missing)" >&2; exit 1; }

if [ -z "${AVE_SHOTS_INNER:-}" ]; then
  export AVE_SHOTS_INNER=1
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$0" "$build" "$shots"
fi

for tool in gdbus import; do
  command -v $tool >/dev/null || { echo "screenshots: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$shots"

dest=io.github.aivideoeditor.Editor
path=/io/github/aivideoeditor/Editor
activate() {
  gdbus call --session --dest $dest --object-path $path \
    --method org.gtk.Actions.Activate "$1" "${2:-[]}" "{}" >/dev/null
}
action_enabled() {
  gdbus call --session --dest $dest --object-path $path \
    --method org.gtk.Actions.Describe "$1" 2>/dev/null | grep -q "(true,"
}
wait_for() { # seconds command...
  local limit=$1; shift
  for _ in $(seq $((limit * 5))); do
    "$@" && return 0
    sleep 0.2
  done
  echo "screenshots: timed out waiting for: $*" >&2
  return 1
}

clip="$work/talk.mp4"
"$root/tools/make-sample.sh" --duration 60 --size 640x360 "$clip" >/dev/null 2>&1

export GSETTINGS_BACKEND=keyfile
export XDG_CONFIG_HOME="$work/config"
export GSK_RENDERER=${GSK_RENDERER:-cairo}
mkdir -p "$XDG_CONFIG_HOME/glib-2.0/settings"
cat >"$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" <<'KEYS'
[io/github/aivideoeditor/Editor]
window-width=1280
window-height=800
show-captions=true
budget-limit=2.5
KEYS

# The empty window (no file given), light style.
export ADW_DEBUG_COLOR_SCHEME=prefer-light
"$bin" >"$work/app-empty.log" 2>&1 &
app_pid=$!
name_owned() { gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                 --method org.freedesktop.DBus.NameHasOwner $dest 2>/dev/null | grep -q true; }
wait_for 30 name_owned
sleep 1.5
import -window root "$shots/empty.png"
activate quit
wait "$app_pid" || true
app_pid=

# One run per style: process, (light only) the settings sidebar and the
# results view, then cut a segment and render: the editor while that job
# runs, its stages and the live graphs under the timeline.
for style in light dark; do
  suffix=
  [ $style = dark ] && suffix=-dark
  if [ $style = dark ]; then
    export ADW_DEBUG_COLOR_SCHEME=prefer-dark
  else
    export ADW_DEBUG_COLOR_SCHEME=prefer-light
  fi
  out="$work/out-$style"
  "$bin" --output-dir "$out" "$clip" >"$work/app-$style.log" 2>&1 &
  app_pid=$!
  wait_for 30 action_enabled process
  sleep 1
  activate process
  wait_for 300 action_enabled render
  sleep 1
  if [ $style = light ] && command -v xdotool >/dev/null; then
    xdotool key F9
    sleep 1
    import -window root "$shots/settings.png"
    xdotool key F9
    xdotool key ctrl+shift+r
    sleep 1.5
    import -window root "$shots/results.png"
    xdotool key ctrl+shift+r
  fi
  # An edit rendered: a segment cut on the timeline, the strip showing the
  # render's stages and the graphs while it runs.
  activate cut-segment "[<uint32 1>]"
  activate render
  sleep "${AVE_SHOTS_RENDER_DELAY:-3}"
  import -window root "$shots/editor$suffix.png"
  wait_for 300 action_enabled render
  activate quit
  wait "$app_pid" || true
  app_pid=
done
echo "screenshots: written to $shots"
