#!/usr/bin/env python3
# test-flatpak-manifest.py — flatpak/<app id>.json agrees with the project:
# the app id, the command, the D-Bus service, the meson options it passes,
# and a module (or the GNOME runtime) for every dependency meson.build asks
# for.  It only reads files; nothing is built or downloaded.
# usage: test-flatpak-manifest.py SOURCE_ROOT BUILT_BINARY
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

# What org.gnome.Platform/Sdk (the runtime-version in the manifest) already
# has.  A new dependency() in meson.build must go here, after checking the
# SDK really ships it, or get a module in the manifest (MODULE_FOR).
FROM_RUNTIME = {
    "glib-2.0", "gobject-2.0", "gio-2.0", "json-glib-1.0", "cairo",
    "pangocairo", "gtk4", "libadwaita-1", "gstreamer-1.0", "vulkan",
    # gst-plugins-base's appsrc, for the preview's sound (the runtime ships
    # gst-plugins-base: GTK's media backend needs it)
    "gstreamer-app-1.0",
    # the remote providers' HTTP client and the keyring (the GNOME runtime ships both)
    "libsoup-3.0", "libsecret-1",
}
# pkg-config name (or program) -> the manifest module that provides it.
MODULE_FOR = {
    "libavformat": "ffmpeg", "libavcodec": "ffmpeg", "libavutil": "ffmpeg",
    "libswscale": "ffmpeg", "libswresample": "ffmpeg",
    "libebur128": "libebur128", "aubio": "aubio",
    "pocketsphinx": "pocketsphinx", "sphinxbase": "sphinxbase",
    "yaml-0.1": "libyaml", "glslc": "shaderc",
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def main():
    root, binary = sys.argv[1], sys.argv[2]
    command = os.path.basename(binary)

    desktop_ins = [f for f in os.listdir(os.path.join(root, "data")) if f.endswith(".desktop.in")]
    if len(desktop_ins) != 1:
        print(f"test-flatpak-manifest: FAIL: expected one data/*.desktop.in, found {desktop_ins}", file=sys.stderr)
        return 1
    app_id = desktop_ins[0][: -len(".desktop.in")]

    path = os.path.join(root, "flatpak", app_id + ".json")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"test-flatpak-manifest: FAIL: {path}: {e}", file=sys.stderr)
        return 1

    # Identity: the id, the command, and what the desktop file, the metainfo
    # and the D-Bus service say about them.
    manifest_id = manifest.get("id", manifest.get("app-id"))
    check(manifest_id == app_id, f"the manifest id is {manifest_id!r}, the desktop file is {app_id}.desktop")
    check(manifest.get("command") == command,
          f"the manifest command is {manifest.get('command')!r}, the binary is {command!r}")
    check(manifest.get("runtime") == "org.gnome.Platform" and manifest.get("sdk") == "org.gnome.Sdk",
          "the runtime is not org.gnome.Platform / org.gnome.Sdk")

    with open(os.path.join(root, "data", desktop_ins[0]), encoding="utf-8") as f:
        exec_line = re.search(r"^Exec=(\S+)", f.read(), re.M)
    check(exec_line is not None and exec_line.group(1) == command,
          f"the desktop file runs {exec_line.group(1) if exec_line else None!r}, not {command!r}")

    metainfo = ET.parse(os.path.join(root, "data", app_id + ".metainfo.xml.in")).getroot()
    check(metainfo.findtext("id") == app_id, f"the metainfo id is {metainfo.findtext('id')!r}")
    binaries = [b.text for b in metainfo.iter("binary")]
    check(command in binaries, f"the metainfo <provides> lists {binaries}, not {command!r}")

    with open(os.path.join(root, "data", app_id + ".service.in"), encoding="utf-8") as f:
        service = f.read()
    name = re.search(r"^Name=(\S+)", service, re.M)
    service_exec = re.search(r"^Exec=(\S+)", service, re.M)
    # Flatpak lets an app own its own id on the session bus; any other name
    # would need --own-name in finish-args.
    check(name is not None and name.group(1) == app_id
          or f"--own-name={name.group(1) if name else ''}" in manifest.get("finish-args", []),
          f"the D-Bus service name {name.group(1) if name else None!r} is neither the app id nor in --own-name")
    check(service_exec is not None and os.path.basename(service_exec.group(1)) == command,
          "the D-Bus service does not start the binary")

    # Modules: the app is built last, with meson, from this checkout.
    # (A module may also be the path of a file; only inline ones are read.)
    listed = manifest.get("modules", [])
    if not check(len(listed) > 0 and isinstance(listed[-1], dict), "the last module is not written inline"):
        return report()
    modules = [m for m in listed if isinstance(m, dict)]
    names = [m.get("name") for m in modules]
    app = modules[-1]
    check(app.get("buildsystem") == "meson", "the last module is not built with meson")
    first = (app.get("sources") or [{}])[0]
    check(first.get("type") == "dir" and first.get("path") == "..",
          "the last module does not build the project from \"..\" (a dir source)")

    # Every -D the manifest passes is an option meson_options.txt defines.
    with open(os.path.join(root, "meson_options.txt"), encoding="utf-8") as f:
        options = set(re.findall(r"option\(\s*'([^']+)'", f.read()))
    for opt in app.get("config-opts", []):
        m = re.match(r"-D([^=]+)=", opt)
        if m and "." not in m.group(1):
            check(m.group(1) in options, f"the manifest passes {opt}, but meson_options.txt has no '{m.group(1)}'")

    # Every dependency() and find_program() of the top meson.build comes from
    # the runtime or from a module built before the app.
    with open(os.path.join(root, "meson.build"), encoding="utf-8") as f:
        top = f.read()
    wanted = re.findall(r"dependency\(\s*'([^']+)'", top) + re.findall(r"find_program\(\s*'([^']+)'", top)
    for dep in wanted:
        if dep in FROM_RUNTIME:
            continue
        module = MODULE_FOR.get(dep)
        if check(module is not None,
                 f"meson.build needs '{dep}': give it a module in the manifest (and MODULE_FOR here), "
                 f"or add it to FROM_RUNTIME here after checking the GNOME SDK ships it"):
            check(module in names[:-1], f"meson.build needs '{dep}', but the manifest has no '{module}' module")

    # The engine encodes with libx264: FFmpeg must be built with it, after x264.
    ffmpeg = next((m for m in modules if m.get("name") == "ffmpeg"), {})
    for flag in ("--enable-gpl", "--enable-libx264"):
        check(flag in ffmpeg.get("config-opts", []), f"the ffmpeg module lacks {flag}")
    check("x264" in names and "ffmpeg" in names and names.index("x264") < names.index("ffmpeg"),
          "x264 is not built before ffmpeg")

    # Sources are pinned: archives by sha256, git by commit or tag.
    for module in modules:
        for source in module.get("sources", []):
            where = f"module {module.get('name')}: {source.get('url', source.get('path'))}"
            kind = source.get("type")
            if kind in ("archive", "file") and "url" in source:
                check(re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")) is not None,
                      f"{where} has no sha256")
            elif kind == "git":
                check("commit" in source or "tag" in source, f"{where} is pinned to neither a commit nor a tag")
            if "url" in source:
                check(source["url"].startswith("https://"), f"{where} is not fetched over https")

    return report()


def report():
    for message in failures:
        print(f"test-flatpak-manifest: FAIL: {message}", file=sys.stderr)
    if not failures:
        print("test-flatpak-manifest: ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
