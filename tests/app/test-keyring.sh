#!/usr/bin/env bash
# test-keyring.sh — runs the app's keyring test (/app/settings/provider-keyring
# in test-app-units) against a real desktop keyring: a private session bus
# (dbus-run-session) and gnome-keyring-daemon unlocked with a throwaway
# password, everything in a temporary HOME (set before the bus starts, so
# that whatever the bus activates uses it too): the user's keyring is never
# touched.
#
# usage: test-keyring.sh TEST-APP-UNITS
set -euo pipefail

bin=$(readlink -f "$1")
if [ -z "${AVE_KEYRING_TEST_HOME:-}" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  export AVE_KEYRING_TEST_HOME="$work/home"
  export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share" XDG_CACHE_HOME="$work/home/.cache"
  export XDG_CONFIG_HOME="$work/home/.config" XDG_RUNTIME_DIR="$work/run"
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  dbus-run-session -- "$0" "$@"
  exit $?
fi

keyring_pid=
cleanup() { [ -n "$keyring_pid" ] && kill "$keyring_pid" 2>/dev/null || true; }
trap cleanup EXIT
# --unlock creates the login keyring with this password and unlocks it.
eval "$(printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets)"
keyring_pid=$(pgrep -u "$(id -u)" -f "gnome-keyring-daemon --unlock" -n || true)
# Only a daemon of this run, in the temporary HOME, is ours to stop.
if [ -n "$keyring_pid" ] && ! tr '\0' '\n' < "/proc/$keyring_pid/environ" | grep -qx "HOME=$AVE_KEYRING_TEST_HOME"; then
  keyring_pid=
fi

AVE_TEST_KEYRING=1 "$bin" -p /app/settings/provider-keyring
