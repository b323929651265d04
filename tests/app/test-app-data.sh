#!/usr/bin/env bash
# test-app-data.sh — the desktop file, AppStream metainfo, GSettings schema,
# icons and the translations are valid and complete.
# usage: test-app-data.sh SOURCE_ROOT BUILT_DESKTOP_FILE BUILT_METAINFO
set -euo pipefail
root=$1 desktop=$2 metainfo=$3
fail() { echo "test-app-data: FAIL: $*" >&2; exit 1; }

desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
grep -q '^Name\[de\]=' "$desktop" || fail "the desktop file carries no German name (translations not merged)"

appstreamcli validate --no-net --pedantic "$metainfo" || fail "appstreamcli validate $metainfo"
for shot in $(sed -n 's|.*<image type="source">.*/main/\(docs/screenshots/[^<]*\)</image>.*|\1|p' "$metainfo"); do
  [ -s "$root/$shot" ] || fail "the metainfo shows $shot, which is not in the repository"
  file "$root/$shot" | grep -q "PNG image" || fail "$shot is not a PNG"
done

schemas=$(mktemp -d); trap 'rm -rf "$schemas"' EXIT
cp "$root/data/io.github.aivideoeditor.Editor.gschema.xml" "$schemas/"
glib-compile-schemas --strict --dry-run "$schemas" || fail "glib-compile-schemas --strict"

for svg in "$root"/data/icons/hicolor/scalable/apps/*.svg "$root"/data/icons/hicolor/symbolic/apps/*.svg; do
  xmllint --noout "$svg" 2>/dev/null || python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" "$svg" \
    || fail "$svg is not well-formed XML"
done

# Every source file with translatable strings is in POTFILES.
for f in $(grep -lE '_\("|N_\("|translatable="yes"' "$root"/src/app/*.c "$root"/ui/*.ui 2>/dev/null); do
  grep -qx "${f#$root/}" "$root/po/POTFILES" || fail "${f#$root/} has translatable strings but is not in po/POTFILES"
done

for lang in $(cat "$root/po/LINGUAS"); do
  po="$root/po/$lang.po"
  stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1) || fail "msgfmt --check $po: $stats"
  echo "$lang: $stats"
  if echo "$stats" | grep -qE "untranslated|fuzzy"; then fail "$po is incomplete: $stats"; fi
  # Nothing in the sources is missing from the translation.
  msgcmp --use-untranslated "$po" <(cd "$root" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
      --keyword=C_:1c,2 --keyword=ngettext:1,2 -f po/POTFILES -o -) 2>/dev/null \
    || fail "$po lacks strings that are in the sources (run ninja ai-video-editor-update-po)"
done
echo "test-app-data: ok"
