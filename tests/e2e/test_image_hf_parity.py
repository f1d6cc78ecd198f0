"""The image steps transformers' processors need, in Chromium (static/steps/image.js) against
Python's (Pillow itself for the 8-bit resize): the same integers after rgb, resize (8-bit,
bilinear and bicubic, Pillow 13's pass order), resize_shortest_edge and center_crop on PNG
files; the same pixels within float32 rounding after normalize."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from clientside import create_app
from clientside.steps import image as im
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page
from tests.steps.test_image_hf import CASES, picture

pytestmark = pytest.mark.browser

BROWSER = """async ([items]) => {
  const pre = await import('./static/steps/image.js');
  const out = [];
  for (const [b64, steps] of items) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const img = await pre.prepareImage(new Blob([bytes], { type: 'image/png' }), steps, 'case');
    out.push([img.height, img.width, img.channels, Array.from(img.data)]);
  }
  return out;
}"""


def png(img) -> str:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def live_small(small_bundle):
    with LiveServer(create_app(small_bundle)) as server:
        yield server


def test_the_page_makes_pythons_pixels(page, live_small):
    items, expected = [], []
    for k, (h, w, oh, ow, resample) in enumerate(CASES):
        img = picture(h, w, k)
        steps = [{"op": "rgb"}, {"op": "resize", "size": [oh, ow], "resample": resample, "precision": "uint8"}]
        if k % 3 == 1:
            steps = [{"op": "rgb"}, {"op": "resize_shortest_edge", "size": 8 + k, "resample": resample,
                                     "precision": "uint8"}, {"op": "center_crop", "size": [8 + k // 2, 9 + k // 3]}]
        if k % 4 == 2:
            steps.append({"op": "normalize", "scale": 1 / 255, "mean": [0.485, 0.456, 0.406],
                          "std": [0.229, 0.224, 0.225]})
        items.append([png(img), steps])
        expected.append(im.prepare_image(base64.b64decode(items[-1][0]), steps))
    open_page(page, live_small.url)
    got = page.evaluate(BROWSER, [items])
    for k, ((h, w, c, data), want) in enumerate(zip(got, expected)):
        assert [h, w, c] == list(want.shape), k
        values = np.asarray(data, np.float32).reshape(want.shape)
        if items[k][1][-1]["op"] == "normalize":
            np.testing.assert_allclose(values, want, atol=2e-6, err_msg=str(CASES[k]))
        else:
            np.testing.assert_array_equal(values, want, err_msg=str(CASES[k]))
