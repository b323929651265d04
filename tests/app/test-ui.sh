#!/usr/bin/env bash
# test-ui.sh — drives the desktop app over D-Bus on a generated clip:
# process, cut a segment, render again, quit; the edited render must be
# shorter, and the longest main-loop stall is reported.  The settings
# start from a key file with subtitles=srt and show-captions on: the job
# must write final.srt and no final.vtt.  The stall is a
# timing, so the test only requires the report; bench/bench-ui.sh runs this
# script on a 1080p clip with AVE_UI_STALL_LIMIT=50 to hold it to the target.
#
# Environment: AVE_UI_CLIP=FILE (default: a generated 9 s 320x180 talk),
# AVE_UI_STALL_LIMIT=MS (fail above it), ADW_DEBUG_COLOR_SCHEME=prefer-dark
# (libadwaita's dark style, for the screenshots).
#
# usage: test-ui.sh BINARY [SCREENSHOT_DIR]
# Runs itself under xvfb-run and dbus-run-session when not already inside.
set -euo pipefail

bin=$(readlink -f "$1")
shots=${2:-}
root=${AVE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

if [ -z "${AVE_UI_TEST_INNER:-}" ]; then
  export AVE_UI_TEST_INNER=1
  exec xvfb-run -a -s "-screen 0 1280x960x24" dbus-run-session -- "$0" "$@"
fi

for tool in ffprobe gdbus; do
  command -v $tool >/dev/null || { echo "test-ui: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "test-ui: FAIL: $*" >&2; [ -f "$work/app.log" ] && tail -n 30 "$work/app.log" >&2; exit 1; }
duration() { ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$1"; }
shot() { [ -n "$shots" ] && import -window root "$shots/$1.png" || true; }

clip="$work/talk.mp4"
if [ -n "${AVE_UI_CLIP:-}" ]; then
  cp "$AVE_UI_CLIP" "$clip"
else
  "$root/tools/make-sample.sh" --duration 9 --size 320x180 "$clip" >/dev/null 2>&1 || fail "make-sample.sh"
fi

dest=io.github.aivideoeditor.Editor
path=/io/github/aivideoeditor/Editor
activate() { # name [parameter]
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
    kill -0 "$app_pid" 2>/dev/null || fail "the app exited early"
    sleep 0.2
  done
  return 1
}

out="$work/out"
name_owned() { gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                 --method org.freedesktop.DBus.NameHasOwner $dest 2>/dev/null | grep -q true; }
# The app's settings in a key file of our own (never the user's): the
# caption choices under test, as a user would have set them, and AI
# provider keys that a local director leaves unused (no request goes out).
export GSETTINGS_BACKEND=keyfile
export XDG_CONFIG_HOME="$work/config"
# the preview's proxy of the clip (made as the app would) in here too
export XDG_CACHE_HOME="$work/cache"
mkdir -p "$XDG_CONFIG_HOME/glib-2.0/settings"
cat >"$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" <<'KEYS'
[io/github/aivideoeditor/Editor]
subtitles='srt'
show-captions=true
llm-url='http://127.0.0.1:9/v1'
budget-limit=2.5
KEYS
# Xvfb has no GPU: llvmpipe GL renders with threads that starve behind the
# engine on a small CI machine; the cairo renderer draws only what changed.
export GSK_RENDERER=${GSK_RENDERER:-cairo}
export GSETTINGS_SCHEMA_DIR="${GSETTINGS_SCHEMA_DIR:-}"
# The empty state, for the screenshots: no file given.
if [ -n "$shots" ]; then
  "$bin" >"$work/empty.log" 2>&1 &
  app_pid=$!
  wait_for 30 name_owned || fail "the app did not start without a file"
  sleep 1.5
  shot empty
  activate quit
  wait "$app_pid" || fail "the app exited with an error after quit"
  app_pid=
fi

AVE_REPORT_STALL=1 "$bin" --output-dir "$out" "$clip" >"$work/app.log" 2>&1 &
app_pid=$!

wait_for 30 name_owned || fail "the app did not take $dest on the session bus"
# Probing runs off the main thread: process is enabled once the clip is loaded.
wait_for 30 action_enabled process || fail "the process action never became enabled"
sleep 0.5

activate process
result="$out/talk"
wait_for 300 test -s "$result/plan.json" || fail "no plan.json"
sleep 0.3
shot processing
wait_for 300 test -s "$result/final.mp4" || fail "no final.mp4 from processing"
wait_for 60 action_enabled render || fail "render never became enabled after processing"
before=$(duration "$result/final.mp4")
# The subtitles setting reached the job: SubRip only.
[ -s "$result/final.srt" ] || fail "no final.srt with subtitles=srt"
[ -e "$result/final.vtt" ] && fail "final.vtt written with subtitles=srt"
sleep 1
shot results
# For the screenshot: a click on the caption lane puts the playhead in the
# second cue, so the preview shows it over the picture.  xdotool is only
# needed here; the click's place is where the lane is in the default
# window size (the timeline under the preview, its lane at the bottom).
if [ -n "$shots" ] && command -v xdotool >/dev/null; then
  xdotool mousemove "${AVE_UI_LANE_X:-470}" "${AVE_UI_LANE_Y:-494}" click 1 || true
  sleep 1.5
  shot preview-captions
fi
mtime_before=$(stat -c %Y.%N "$result/final.mp4" 2>/dev/null || stat -c %Y "$result/final.mp4")

activate cut-segment "[<uint32 0>]"
activate render
changed() { [ -s "$result/final.mp4" ] && [ "$(stat -c %Y.%N "$result/final.mp4")" != "$mtime_before" ]; }
wait_for 300 changed || fail "render did not write a new final.mp4"
wait_for 60 action_enabled render || fail "render did not finish"
after=$(duration "$result/final.mp4")
echo "test-ui: duration before the edit $before s, after cutting segment 0 $after s"
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a < b - 0.2) }' || fail "the edited render ($after s) is not shorter than before ($before s)"

# Undo is exported too: it restores the cut segment in the plan.
action_enabled undo || fail "undo is not enabled after an edit"

# Process again with an edited plan asks first (issue #9): nothing starts
# until the dialog is answered.
plan_before=$(sha256sum < "$result/plan.json")
activate process
sleep 2
action_enabled cancel && fail "process started without asking about the edited plan"
[ "$(sha256sum < "$result/plan.json")" = "$plan_before" ] || fail "process replaced the edited plan without asking"
shot discard-dialog
# With the edit undone there is nothing to lose: process starts at once,
# and the rendered edit's plan is kept as plan.json.bak.
activate undo
action_enabled undo && fail "undo should be spent after undoing the one edit"
activate process
wait_for 300 test -s "$result/plan.json.bak" || fail "the edited plan was not kept as plan.json.bak"
wait_for 300 action_enabled render || fail "processing again did not finish"

# The running app serves the engine's D-Bus API too (docs/dbus.md): a
# script's job runs beside the window and is listed in it.
cp "$clip" "$work/scripted.mp4"
job=$(gdbus call --session --dest $dest --object-path $path \
  --method io.github.aivideoeditor.Editor.Engine1.Process "['$work/scripted.mp4']" "{'output-dir': <'$out'>}" \
  | sed -n "s/.*objectpath '\([^']*\)'.*/\1/p")
[ -n "$job" ] || fail "Engine1.Process on the running app returned no job"
job_state() { gdbus call --session --dest $dest --object-path "$job" \
  --method org.freedesktop.DBus.Properties.Get io.github.aivideoeditor.Editor.Job1 State; }
sleep 0.5
shot dbus-job
wait_for 300 sh -c "gdbus call --session --dest $dest --object-path '$job' --method org.freedesktop.DBus.Properties.Get io.github.aivideoeditor.Editor.Job1 State | grep -qv -e queued -e running" \
  || fail "the D-Bus job on the app never ended"
job_state | grep -q "'done'" || fail "the D-Bus job on the app did not succeed: $(job_state)"
test -s "$out/scripted/final.mp4" || fail "the D-Bus job wrote no final.mp4"

# The preferences open with their AI providers page (a template error
# would show as a warning in the log); the key status is looked up off
# the main thread, with no keyring on this bus.
activate preferences
sleep 1.5
shot preferences

activate quit
for _ in $(seq 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$app_pid" 2>/dev/null && fail "the app did not quit"
wait "$app_pid" || fail "the app exited with an error"
app_pid=

stall=$(sed -n 's/^main-loop-max-stall-ms: //p' "$work/app.log")
[ -n "$stall" ] || fail "no main-loop stall report"
echo "test-ui: main-loop-max-stall-ms: $stall"
if [ -n "${AVE_UI_STALL_LIMIT:-}" ]; then
  awk -v s="$stall" -v l="$AVE_UI_STALL_LIMIT" 'BEGIN { exit !(s < l) }' \
    || fail "the main loop stalled for $stall ms (limit $AVE_UI_STALL_LIMIT)"
fi
if grep -E "CRITICAL|WARNING" "$work/app.log" >&2; then fail "warnings in the app's log"; fi
echo "test-ui: ok"
