"""The image steps transformers' image processors need, in Python: Pillow's 8-bit resize in
Pillow 13's pass order, transformers' shortest-edge size and center crop, and whole
preprocessor_config.json files translated into steps that give the processor's own pixels."""
from __future__ import annotations

import numpy as np
import PIL
import pytest
from PIL import Image

from clientside.steps import image as im

RNG = np.random.default_rng(11)
CASES = [(int(RNG.integers(3, 90)), int(RNG.integers(3, 90)), int(RNG.integers(2, 70)), int(RNG.integers(2, 70)),
          ("bilinear", "bicubic")[k % 2]) for k in range(60)]


def picture(h: int, w: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    x[: h // 2] = x[: h // 2] // 64 * 64  # flat areas and hard edges, where rounding shows
    return Image.fromarray(x, "RGB")


@pytest.mark.skipif(int(PIL.__version__.split(".")[0]) < 13, reason="the pass order to compare with is Pillow 13's")
@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_8_bit_resize_is_pillows_own(case):
    h, w, oh, ow, resample = CASES[case]
    img = picture(h, w, case)
    want = np.asarray(img.resize((ow, oh), im.RESAMPLE[resample]), np.float32)
    got = im.run(img, [{"op": "resize", "size": [oh, ow], "resample": resample, "precision": "uint8"}])
    np.testing.assert_array_equal(got, want)


def test_the_pass_order_matters_and_is_pillow_13s():
    """A picture whose height shrinks far more than its width: Pillow 13 runs the vertical pass
    first, Pillow 12 the horizontal one, and the 8-bit rounding in between differs."""
    img = picture(71, 33, 3)
    vertical_first = img.resize((33, 20), Image.Resampling.BICUBIC).resize((40, 20), Image.Resampling.BICUBIC)
    horizontal_first = img.resize((40, 71), Image.Resampling.BICUBIC).resize((40, 20), Image.Resampling.BICUBIC)
    assert im.vertical_first(71, 33, 20, 40)
    assert not np.array_equal(np.asarray(vertical_first), np.asarray(horizontal_first))
    got = im.run(img, [{"op": "resize", "size": [20, 40], "resample": "bicubic", "precision": "uint8"}])
    np.testing.assert_array_equal(got, np.asarray(vertical_first, np.float32))


def test_shortest_edge_and_center_crop_are_transformers():
    image_transforms = pytest.importorskip("transformers.image_transforms")
    from transformers.image_utils import ChannelDimension

    for h, w in [(10, 10), (37, 53), (53, 37), (5, 400), (301, 7)]:
        for size in (3, 16, 224):
            x = np.zeros((h, w, 3), np.uint8)
            want = image_transforms.get_resize_output_image_size(x, size=size, default_to_square=False,
                                                                 input_data_format=ChannelDimension.LAST)
            assert im.shortest_edge_size(h, w, size) == tuple(want), (h, w, size)
    rng = np.random.default_rng(1)
    for h, w, ch, cw in [(10, 10, 4, 4), (11, 10, 4, 5), (9, 13, 9, 13), (5, 7, 8, 8), (6, 20, 10, 4), (3, 3, 4, 2)]:
        x = rng.integers(0, 256, (h, w, 3)).astype(np.float32)
        want = image_transforms.center_crop(x, (ch, cw), data_format=ChannelDimension.LAST,
                                            input_data_format=ChannelDimension.LAST)
        np.testing.assert_array_equal(im.center_crop(x, (ch, cw)), want, err_msg=str((h, w, ch, cw)))


@pytest.mark.parametrize("make", ["vit", "convnext"])
def test_a_processor_becomes_steps_that_give_its_pixels(tmp_path, make):
    transformers = pytest.importorskip("transformers")
    from clientside.sources.huggingface.image import image_steps
    from tests import hf_models

    folder = getattr(hf_models, make)(tmp_path / make)
    processor = transformers.AutoImageProcessor.from_pretrained(folder)
    steps = image_steps(processor)
    pictures = [picture(40 + 9 * k, 70 - 11 * k, k) for k in range(4)]
    want = processor(pictures, return_tensors="np")["pixel_values"]
    got = np.stack([im.run(p, steps).transpose(2, 0, 1) for p in pictures])
    np.testing.assert_allclose(got, want, atol=2e-6)  # float32 normalize: the order of two roundings
