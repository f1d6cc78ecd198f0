"""The image path in the browser: what preparing a 640x480 JPEG for MobileNetV2 costs with
each option (decode in the worker or in the page, a canvas or VideoFrame.copyTo, steps one
by one or flatten_alpha + resize fused), each checked against Python's steps; and live
prediction from a camera (Chromium's fake camera playing a video) in frames per second."""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import numpy as np
from browser_bench import FLAGS, serve
from PIL import Image

from clientside import create_app
from clientside.steps import image as image_steps

HERE = Path(__file__).resolve().parent
RUNS = 20
CAMERA_SECONDS = 6

OPTIONS = [
    ("blob-steps", "decoded in the worker; each step on its own (flatten_alpha copies the picture first)"),
    ("blob-fused",
     "decoded in the worker; flatten_alpha + resize fused, reading the RGBA as decoded (the page's path)"),
    ("bitmap", "decoded by the page (createImageBitmap, timed there), the ImageBitmap transferred to the worker"),
    ("videoframe", "as bitmap, read with VideoFrame.copyTo (RGBA) instead of a canvas"),
]

MEASURE = """async ({ option, steps, bytes, runs }) => {
  const blob = new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' });
  const staticUrl = new URL('static/', document.baseURI).href;
  let bitmaps = [];
  let decode = null;
  if (option === 'bitmap' || option === 'videoframe') {
    const times = [];
    for (let i = 0; i <= runs; i += 1) {
      const t0 = performance.now();
      bitmaps.push(await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none',
                                                   colorSpaceConversion: 'none' }));
      if (i > 0) times.push(performance.now() - t0);
    }
    decode = times.sort((a, b) => a - b)[times.length >> 1];
  }
  const worker = new Worker('bench-image-path.js', { type: 'module' });
  const answer = await new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data);
    worker.onerror = (e) => resolve({ error: e.message });
    worker.postMessage({ staticUrl, option, steps, blob, bitmaps, runs }, bitmaps);
  });
  worker.terminate();
  return { ...answer, decode };
}"""


def options(bundle: Path, photo: Path, chromium) -> tuple[list[str], dict[str, float]]:
    steps = image_steps.IMAGENET_STEPS
    reference = image_steps.prepare_image(photo.read_bytes(), steps).ravel()
    server, url = serve(create_app(bundle))
    script = (HERE / "image_path_worker.js").read_text()
    rows, figures = [], {}
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.route("**/bench-image-path.js", lambda r: r.fulfill(body=script, content_type="text/javascript"))
        page.goto(url + "?sw=off")
        for option, what in OPTIONS:
            got = page.evaluate(MEASURE, {"option": option, "steps": steps, "bytes": list(photo.read_bytes()),
                                          "runs": RUNS})
            if "error" in got:
                rows.append(f"| {option} | {what} | unavailable: {got['error']} | | |")
                continue
            diff = float(np.abs(np.asarray(got["values"], np.float32) - reference).max())
            total = got["ms"] + (got["decode"] or 0)
            figures[option] = total
            page_part = f"{got['decode']:.1f} + " if got["decode"] is not None else ""
            rows.append(f"| {option} | {what} | {page_part}{got['ms']:.1f} = **{total:.1f}** | {diff:.1e} |")
    finally:
        context.close()
        server.shutdown()
    return rows, figures


def write_y4m(path: Path, picture: np.ndarray, frames: int = 60) -> Path:
    """A still picture as a 30 fps YUV 4:2:0 video (BT.601), for Chromium's fake camera."""
    rgb = picture.astype(np.float32)
    h, w = rgb.shape[:2]
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    u = 128 + (rgb[..., 2] - y) * 0.564
    v = 128 + (rgb[..., 0] - y) * 0.713
    planes = [np.clip(y, 0, 255), np.clip(u[::2, ::2], 0, 255), np.clip(v[::2, ::2], 0, 255)]
    frame = b"FRAME\n" + b"".join(np.round(p).astype(np.uint8).tobytes() for p in planes)
    path.write_bytes(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


def camera_fps(bundle: Path, picture: Path, browser_type, meta: dict) -> float | str:
    """The page's own frames-per-second figure after CAMERA_SECONDS of live prediction."""
    with tempfile.TemporaryDirectory() as tmp:
        img = np.asarray(Image.open(picture).convert("RGB").resize((640, 480)))
        video = write_y4m(Path(tmp) / "camera.y4m", img)
        flags = [*FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-video-capture={video}"]
        chromium = browser_type.launch(executable_path="/usr/bin/chromium", args=flags)
        server, url = serve(create_app(bundle, meta=meta))
        try:
            page = chromium.new_context(permissions=["camera"]).new_page()
            page.goto(url + "?sw=off")
            page.wait_for_selector("body[data-state=ready]", timeout=120_000)
            page.click("#camera-toggle")
            page.wait_for_timeout(1000)  # the first frames compile the code
            samples = []
            for _ in range(CAMERA_SECONDS * 2):
                page.wait_for_timeout(500)
                value = page.evaluate("() => document.querySelector('[data-testid=fps]')?.dataset.fps")
                if value:
                    samples.append(float(value))
            if not samples:
                return "no frame: " + page.inner_text("#error")
            return statistics.median(samples)
        finally:
            server.shutdown()
            chromium.close()


def run(mobilenet_bundle: Path, photo: Path, mnist_bundle: Path, seven: Path) -> tuple[str, dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        try:
            rows, figures = options(mobilenet_bundle, photo, chromium)
        finally:
            chromium.close()
        camera = {"inputs": [{"widgets": ["upload", "camera"]}]}
        figures["camera MobileNetV2 224"] = camera_fps(mobilenet_bundle, photo, p.chromium, camera)
        figures["camera MNIST CNN"] = camera_fps(mnist_bundle, seven, p.chromium, camera)
    fps = [f"- {label[7:]}: {v:.1f} frames per second" if isinstance(v, float) else f"- {label[7:]}: {v}"
           for label, v in figures.items() if label.startswith("camera ")]
    return "\n".join([
        "## The image path", "",
        f"Preparing {photo.name} (640x480 JPEG) for MobileNetV2 (ImageNet steps: flatten_alpha, resize to "
        f"224x224, normalize) in Chromium, median of {RUNS} after a warm-up, in ms (page + worker = total). "
        "Parity: the largest difference from Python's steps (clientside/steps/image.py), in the normalized "
        "units the model takes.", "",
        "| option | what | ms | parity |", "|---|---|---|---|", *rows, "",
        f"Live prediction from Chromium's fake camera (a 640x480 still at 30 frames per second) through "
        f"the page, for {CAMERA_SECONDS} s; the page's own figure, median of samples every 0.5 s:", "",
        *fps, ""]), figures
