"""The audio kind: how fast the page's steps run against Python's on the same sound (seconds of
audio prepared per second), how many windows a second listening live gets through, and the
bytes the audio kind adds to a first visit."""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
from browser_bench import FLAGS, serve

from clientside import audio as presets
from clientside import create_app
from clientside.steps import audio

RUNS = 5
SECONDS = 10.0  # the clip each preset's steps run on (Whisper pads or cuts it to its 30 s)
RATE = 44100

#: What the steps are timed on: a clip of SECONDS at 44.1 kHz, stereo, each preset's whole chain.
PRESETS = {
    "log-mel, 16 kHz, 40 bands (keyword demo)": presets.input_from_librosa(
        sr=16000, n_fft=512, hop_length=160, n_mels=40)["steps"],
    "Whisper: 16 kHz, 30 s, 400-point STFT, 80 bands": [
        {"op": "decode"}, {"op": "mono"}, {"op": "resample", "rate": 16000}, {"op": "pad_or_trim", "seconds": 30},
        {"op": "stft", "n_fft": 400, "hop_length": 160, "pad_mode": "reflect", "drop_last": True},
        {"op": "mel", "n_mels": 80, "fmax": 8000.0}, {"op": "log", "kind": "whisper"}],
    "samples: 16 kHz, 25 ms frames every 10 ms (voice activity)": [
        {"op": "decode"}, {"op": "mono"}, {"op": "resample", "rate": 16000},
        {"op": "frames", "window": 400, "hop": 160}, {"op": "normalize", "kind": "standard"}],
}

#: The page's files that only audio needs, by who loads them: the modules every page loads
#: (app.js imports every kind, the worker every kind's steps), the FFT (the worker imports it for
#: a bundle that takes sound), the recorder's worklet (on pressing Record or Listen live).
#: Contracts of three pages: without sound (the MNIST demo's kinds), with sound (the keyword
#: demo's), and with sound and a timeline output (voice activity).
WITHOUT_SOUND = {"runtime": "tfjs", "inputs": [{"kind": "image"}], "outputs": [{"kind": "classes"}]}
WITH_SOUND = {"runtime": "tfjs", "inputs": [{"kind": "audio"}], "outputs": [{"kind": "classes"}]}
WITH_TIMELINE = {"runtime": "tfjs", "inputs": [{"kind": "audio"}], "outputs": [{"kind": "timeline"}]}
MICROPHONE = "static/inputs/audio-recorder.worklet.js"
#: the files that exist for sound
AUDIO = ["static/inputs/audio.js", "static/inputs/audio-decode.js", "static/steps/audio.js",
         "vendor/fourier-transform.mjs", "static/outputs/timeline.js", MICROPHONE]
GROUPS = ("every page", "a bundle that takes sound", "a timeline output", "the microphone, once used")

HARNESS = """async ([url, steps, channels, rate, runs]) => {
  const m = await import(url);
  m.useFFT(await import(new URL('../../vendor/fourier-transform.mjs', url)));
  const clip = m.clip(channels.map((x) => Float32Array.from(x)), rate);
  const times = [];
  for (let i = 0; i < runs + 1; i += 1) {
    const t = performance.now();
    m.runSteps(clip, steps);
    times.push(performance.now() - t);
  }
  return times.slice(1);
}"""


def sound(seconds: float = SECONDS, rate: int = RATE) -> np.ndarray:
    """A chord and noise, stereo: [2, samples] float32."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    left = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1330 * t) + rng.normal(0, 0.02, len(t))
    right = 0.3 * np.sin(2 * np.pi * 330 * t) + rng.normal(0, 0.05, len(t))
    return np.stack([left, right]).astype(np.float32)


def steps_speed(page, url: str, samples: np.ndarray, rate: int, runs: int = RUNS) -> dict[str, dict[str, float]]:
    """Per preset: the median ms of the page's steps (Chromium, the page's module) and of
    Python's on the same clip."""
    import re
    import time

    index = page.evaluate("() => fetch('./').then((r) => r.text())")
    app = re.search(r'<script type="module" src="([^"]+)"', index).group(1)
    module = urljoin(urljoin(url, app), "steps/audio.js")
    out = {}
    channels = samples.tolist()
    for name, steps in PRESETS.items():
        page_ms = page.evaluate(HARNESS, [module, steps, channels, rate, runs])
        python_ms = []
        for _ in range(runs + 1):
            t = time.perf_counter()
            audio.run_steps(audio.from_samples(samples, rate), steps)
            python_ms.append((time.perf_counter() - t) * 1000)
        out[name] = {"page_ms": statistics.median(page_ms), "python_ms": statistics.median(python_ms[1:])}
    return out


def live_windows(playwright, bundle: Path, seconds: float = 6.0) -> dict[str, float] | str:
    """Listening live on the keyword demo, Chromium's fake microphone playing a word again and
    again: windows per second after `seconds`, and the last window's ms."""
    from clientside.keywords import data

    with tempfile.TemporaryDirectory() as tmp:
        import soundfile

        said = data.speak("stop", "en-us")
        wav = Path(tmp) / "stop.wav"
        soundfile.write(wav, np.concatenate([said.samples, np.zeros(said.rate // 2, np.float32)]), said.rate,
                        subtype="PCM_16")
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            *FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"])
        server, url = serve(create_app(bundle))
        try:
            page = chromium.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=120_000)
            page.click("#listen")
            page.wait_for_timeout(int(seconds * 1000))
            fps = page.get_attribute("#live .fps", "data-fps")
            said_text = page.inner_text("#live .fps")
            page.click("#listen")
            if not fps:
                return f"no window: {said_text}"
            return {"windows_per_second": float(fps), "said": said_text.split("(", 1)[-1].rstrip(")")}
        finally:
            server.shutdown()
            chromium.close()


def loaded_files(contract: dict) -> set[str]:
    """What a first visit to a page of this contract may fetch of the page's own files and
    npm's besides the runtime: the modules it imports (preloaded), its worker's steps, and
    its service worker's offline copy (clientside/server/page_modules.py decides all three)."""
    from clientside.server.assets import shell_files
    from clientside.server.page_modules import page_modules
    from clientside.vendor import find_vendor_root

    return {f"static/{m}" for m in page_modules(contract)} | set(shell_files(find_vendor_root(), contract))


def first_visit_bytes() -> dict[str, dict[str, int | str]]:
    """The files that exist for sound, by which pages fetch them (a page without sound should
    fetch none), and their bytes as the server sends them: brotli, quality 11 (the
    precompressed copy)."""
    import brotli

    from clientside.server.assets import all_files
    from clientside.vendor import find_vendor_root

    files = all_files(find_vendor_root())
    without, sound, timeline = (loaded_files(c) for c in (WITHOUT_SOUND, WITH_SOUND, WITH_TIMELINE))
    out: dict[str, dict[str, int | str]] = {}
    for name in AUDIO:
        group = ("every page" if name in without else "the microphone, once used" if name == MICROPHONE
                 else "a bundle that takes sound" if name in sound else "a timeline output" if name in timeline
                 else "no page")
        body = files[name].read_bytes()
        out[name] = {"raw": len(body), "brotli": len(brotli.compress(body, quality=11)), "group": group}
    return out


def run(bundle: Path, runs: int = RUNS, live_seconds: float = 6.0, playwright=None) -> tuple[str, dict]:
    """bundle: the keyword demo's (an audio input); playwright: a running Playwright (the
    tests'), else one is started. Returns the section and its figures."""
    if playwright is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            return run(bundle, runs, live_seconds, p)
    samples = sound()
    chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
    server, url = serve(create_app(bundle))
    try:
        page = chromium.new_page()
        page.route("**/harness.html", lambda route: route.fulfill(body="<!doctype html><title>h</title>",
                                                                   content_type="text/html"))
        page.goto(url + "harness.html")
        speed = steps_speed(page, url, samples, RATE, runs)
    finally:
        server.shutdown()
        chromium.close()
    live = live_windows(playwright, bundle, live_seconds)
    sizes = first_visit_bytes()
    lines = ["## Audio", "",
             "`make bench`, or this section alone: `python bench/audio_bench.py` (it trains the keyword demo "
             "first, about two minutes).", "",
             f"The steps of each preset on one {SECONDS:g} s stereo clip at {RATE / 1000:g} kHz (a chord and noise), "
             f"median of {runs} runs after one warm-up: the page's steps (`static/steps/audio.js` in Chromium, "
             "float64, npm fourier-transform) against Python's (`clientside/steps/audio.py`, NumPy and SciPy). "
             "Seconds of audio prepared per second of compute; more is faster.", "",
             "| preset | page ms | Python ms | page: s of audio / s | Python: s of audio / s | page / Python time |",
             "|---|---|---|---|---|---|"]
    for name, f in speed.items():
        lines.append(f"| {name} | {f['page_ms']:.1f} | {f['python_ms']:.1f} | {SECONDS / f['page_ms'] * 1000:.0f} | "
                     f"{SECONDS / f['python_ms'] * 1000:.0f} | {f['page_ms'] / f['python_ms']:.2f}x |")
    lines += ["", "Listening live (the keyword demo, TF.js, Chromium's fake microphone saying a word again and again; "
              f"one 1 s window in flight at a time, a new one as soon as 50 ms of new sound has come, so 20 a "
              f"second at most), after {live_seconds:g} s:", ""]
    lines.append(f"- {live['windows_per_second']:.1f} windows per second (the last: {live['said']})"
                 if isinstance(live, dict) else f"- did not run: {live}")
    lines += ["", "What the audio kind adds to a first visit, as the server sends it (brotli, quality 11):", "",
              "| file | loaded by | bytes | brotli |", "|---|---|---|---|"]
    for name, s in sizes.items():
        lines.append(f"| `{name}` | {s['group']} | {int(s['raw']):,} | {int(s['brotli']):,} |")
    for group in GROUPS:
        total = sum(int(s["brotli"]) for s in sizes.values() if s["group"] == group)
        lines.append(f"| **{group}** | | | **{total:,}** |")
    return "\n".join(lines) + "\n", {"speed": speed, "live": live, "bytes": sizes}


def write_section(section: str, path: Path) -> None:
    """The Audio section of BENCHMARKS.md replaced by section (put before the sections other
    commands write when there is none yet)."""
    old = path.read_text()
    start = old.find("\n## Audio\n")
    if start >= 0:
        end = old.find("\n## ", start + 1)
        new = old[:start + 1] + section + (old[end:] if end >= 0 else "")
    else:
        at = old.find("\n## Hugging Face exporters\n")
        new = old[:at + 1] + section + old[at:] if at >= 0 else old.rstrip() + "\n\n" + section
    path.write_text(new)


if __name__ == "__main__":
    import os
    import sys

    os.environ.setdefault("KERAS_BACKEND", "jax")
    from clientside.keywords.train import train

    with tempfile.TemporaryDirectory() as tmp:
        section, _ = run(train(Path(tmp) / "keywords", say=lambda _: None).bundle)
    write_section(section, Path(__file__).resolve().parents[1] / "BENCHMARKS.md")
    sys.stdout.write(section)
