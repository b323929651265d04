#!/usr/bin/python3
# ges-seek.py — the GES side of bench/bench-ui.sh's preview comparison
# (issue #14: "GES or the engine's composer feeding a GStreamer pipeline
# are both fair ways; measure and choose").
#
#   bench/ges-seek.py CLIP [SEEKS]
#
# Builds with GStreamer Editing Services (Debian: gir1.2-ges-1.0,
# libges-1.0-0, python3-gi) the same edit the app's preview bench plays:
# 1.6 s kept of every 2 s of CLIP, a 0.4 s crossfade at every fourth cut,
# rendered at 640x360 into fakesinks in sync, and times accurate seeks in
# output time (from the seek call to the pipeline's ASYNC_DONE, i.e. the
# new frame prerolled), then plays 10 s and counts the frames that reach
# the video sink.  Prints the same lines as test-preview-edit --bench.
# Not a test: numbers depend on the machine.
import os
import resource
import statistics
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GES", "1.0")
from gi.repository import GES, GLib, Gst  # noqa: E402


def cpu_ms():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return (u.ru_utime + u.ru_stime) * 1000.0


def wait_async_done(bus, timeout_s=30.0):
    msg = bus.timed_pop_filtered(int(timeout_s * Gst.SECOND),
                                 Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
    if msg is None:
        sys.exit("ges-seek: no ASYNC_DONE within %.0f s" % timeout_s)
    if msg.type == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        sys.exit("ges-seek: %s (%s)" % (err.message, dbg))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench/ges-seek.py CLIP [SEEKS]")
    clip = os.path.abspath(sys.argv[1])
    n_seeks = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    Gst.init(None)
    GES.init()

    asset = GES.UriClipAsset.request_sync(Gst.filename_to_uri(clip))
    duration = asset.get_duration() / Gst.SECOND
    timeline = GES.Timeline.new_audio_video()
    layer = timeline.append_layer()
    # Overlapping clips on one layer become a crossfade (video and audio)
    # with auto-transition, as Pitivi builds them.
    layer.set_auto_transition(True)
    out = 0.0
    t = 0.0
    i = 0
    while t + 1.6 <= duration:
        overlap = 0.4 if i % 4 == 3 else 0.0
        start = max(0.0, out - overlap)
        layer.add_asset(asset, int(start * Gst.SECOND), int(t * Gst.SECOND),
                        int(1.6 * Gst.SECOND), GES.TrackType.UNKNOWN)
        out = start + 1.6
        t += 2.0
        i += 1
    timeline.commit_sync()
    out_duration = timeline.get_duration() / Gst.SECOND

    pipeline = GES.Pipeline()
    pipeline.set_timeline(timeline)
    vsink = Gst.parse_bin_from_description(
        "videoconvert ! videoscale ! video/x-raw,width=640,height=360 ! "
        "fakesink name=v sync=true", True)
    asink = Gst.ElementFactory.make("fakesink", None)
    asink.set_property("sync", True)
    pipeline.preview_set_video_sink(vsink)
    pipeline.preview_set_audio_sink(asink)
    frames = [0]
    fsink = vsink.get_by_name("v")
    fsink.set_property("signal-handoffs", True)
    fsink.connect("handoff", lambda *a: frames.__setitem__(0, frames[0] + 1))
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PAUSED)
    wait_async_done(bus, 120)

    lat, cpu = [], []
    flags = Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE
    for i in range(n_seeks):
        # the targets test-preview-edit --bench seeks to (equal work)
        target = ((i + 1) * 0.6180339887498949) % 1.0 * (out_duration - 0.5)
        c0, t0 = cpu_ms(), time.monotonic()
        pipeline.seek_simple(Gst.Format.TIME, flags, int(target * Gst.SECOND))
        wait_async_done(bus)
        lat.append((time.monotonic() - t0) * 1000.0)
        cpu.append(cpu_ms() - c0)
        time.sleep(0.05)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    p90 = sorted(lat)[(len(lat) * 9) // 10]
    print("GES seek latency (%s, %d seeks): median %.0f ms, 90th percentile %.0f ms, max %.0f ms; "
          "CPU per seek: median %.0f ms, max %.0f ms; load average %s"
          % (os.path.basename(clip), len(lat), statistics.median(lat), p90, max(lat),
             statistics.median(cpu), max(cpu), load))

    pipeline.seek_simple(Gst.Format.TIME, flags, 0)
    wait_async_done(bus)
    frames[0] = 0
    played = min(10.0, out_duration - 0.5)
    pipeline.set_state(Gst.State.PLAYING)
    loop = GLib.MainLoop()
    GLib.timeout_add(int(played * 1000), loop.quit)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    print("GES playback at 640x360: %.1f s of output, %d frames reached the sink (%.1f fps)"
          % (played, frames[0], frames[0] / played))


if __name__ == "__main__":
    main()
