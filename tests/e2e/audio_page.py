"""What the audio page's tests share: the page's last outputs, a Chromium whose microphone
plays a file, and a recording made and predicted through the page's Record button."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from clientside import create_app
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page


def last_outputs(page) -> np.ndarray:
    """The one output of the page's last prediction, as an array."""
    [(data, shape)] = page.evaluate("""() => Object.values(window.clientside.state.last.outputs)
        .map((o) => [Array.from(o.data), o.shape])""")
    return np.asarray(data, np.float64).reshape(shape)


def upload_and_predict(page, files: list[Path], shown: str = ".result") -> np.ndarray:
    """On the open page: choose the sound files, press Predict, wait for `shown`; the outputs."""
    page.set_input_files("#files", [str(f) for f in files])
    page.wait_for_function("() => !document.getElementById('predict').disabled", timeout=30_000)
    page.click("#predict")
    page.wait_for_selector(shown, timeout=60_000)
    return last_outputs(page)


def microphone_browser(playwright, wav: Path, loop: bool = False):
    """A Chromium whose microphone plays wav once, or again and again (16-bit WAV: Chromium's
    fake capture device)."""
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}{'' if loop else '%noloop'}"])


def record_and_predict(browser, bundle: Path, seconds: float = 1.5) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """Record for `seconds` on the bundle's page, stop, predict: (the outputs, the samples the
    page recorded [channels, samples], their rate, the page's errors)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        with LiveServer(create_app(bundle)) as server:
            open_page(page, server.url)
            page.click("#record")
            page.wait_for_function("() => document.getElementById('level') && !document.getElementById('level').hidden")
            page.wait_for_timeout(int(seconds * 1000))
            page.click("#record")
            page.wait_for_selector("#clips li", timeout=10_000)
            assert "recording-1.wav" in page.inner_text("#clips")
            page.click("#predict")
            page.wait_for_selector(".result", timeout=60_000)
            got = last_outputs(page)
            [(channels, rate)] = page.evaluate("""() => Object.values(window.clientside.state.last.items)[0]
                .map((c) => [c.channels.map((x) => Array.from(x)), c.rate])""")
    finally:
        context.close()
    samples = np.asarray(channels, np.float32)
    assert samples.shape[1] > 0.5 * rate and np.abs(samples).max() > 0.01, "the word was recorded"
    return got, samples, int(rate), errors
