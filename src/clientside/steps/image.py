"""Preprocessing as data: a declared pipeline of steps, run here with NumPy and Pillow.

A bundle stores its pipeline (a list of `{"op": name, ...params}`) in its contract, so
the same numbers drive the server's /api/prepare, training, and the browser's copy of
this pipeline. Every step works on a float32 array [height, width, channels] in 0..255
until the final `normalize` (steps registered with takes_decoded may get the decoded
Pillow image instead). This module never imports Flask.
"""
from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from ..errors import InputError

Step = dict[str, Any]
StepFn = Callable[..., Any]  # an array [h, w, c] (or a Pillow image for takes_decoded steps)

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP", "BMP"})
DEFAULT_MAX_PIXELS = 40_000_000

#: ImageNet-style input (e.g. MobileNetV2 at 224x224): RGB, resized, per-channel mean/std.
IMAGENET_STEPS: list[Step] = [
    {"op": "flatten_alpha", "background": 255},
    {"op": "resize", "size": [224, 224]},
    {"op": "normalize", "scale": 1 / 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
]

#: The classic MNIST recipe: white ink on black, digit fitted into 20x20 and placed in
#: 28x28 so that its centre of mass is in the middle, values in 0..1.
MNIST_STEPS: list[Step] = [
    {"op": "flatten_alpha", "background": 255},
    {"op": "grayscale"},
    {"op": "invert", "when": "light_background"},
    {"op": "normalize_contrast", "min_range": 24},
    {"op": "clear_margin", "fraction": 0.03},
    {"op": "crop_to_ink", "threshold": 0.25},
    {"op": "fit", "size": [20, 20]},
    {"op": "pad", "size": [28, 28]},
    {"op": "center_of_mass"},
    {"op": "normalize", "scale": 1 / 255, "mean": [0.0], "std": [1.0]},
]

_TAKES_DECODED: set[str] = set()
_STEPS: dict[str, StepFn] = {}


def register_step(name: str, fn: StepFn, *, takes_decoded: bool = False) -> None:
    """Make `fn(image, **params)` available to pipelines as `{"op": name}`. A step gets a
    float32 array [h, w, c] in 0..255; with takes_decoded it may instead get the decoded
    Pillow image (RGB or RGBA), so a full-size photo need not be copied into floats first."""
    _STEPS[name] = fn
    if takes_decoded:
        _TAKES_DECODED.add(name)
    else:
        _TAKES_DECODED.discard(name)


def step(name: str, *, takes_decoded: bool = False) -> Callable[[StepFn], StepFn]:
    def decorator(fn: StepFn) -> StepFn:
        register_step(name, fn, takes_decoded=takes_decoded)
        return fn
    return decorator


@dataclass(frozen=True)
class Limits:
    """What one uploaded image may cost the server."""

    max_pixels: int = DEFAULT_MAX_PIXELS


def validate_steps(steps: Sequence[Step], where: str = "steps") -> None:
    """Reject a bad pipeline when a bundle is exported or loaded, not on every request:
    an unknown step, an unknown or missing parameter, or a value the step cannot use
    (found by running the pipeline once on a synthetic drawing). Errors start with the
    step's place (`where[i]`)."""
    from .common import check_params

    check_params(steps, _STEPS, where)
    sample = np.zeros((40, 32, 3), np.float32)
    sample[8:30, 12:20] = 255.0  # a bar of ink, so steps that look for ink find some
    image: np.ndarray | Image.Image = Image.fromarray(sample.astype(np.uint8))
    for i, s in enumerate(steps):
        if s["op"] not in _TAKES_DECODED:
            image = _floats(image)
        try:
            image = _STEPS[s["op"]](image, **{k: v for k, v in s.items() if k != "op"})
        except InputError:
            return  # a refusal a real image could also get: the parameters themselves are usable
        except Exception as exc:  # noqa: BLE001 - any other failure is a bad parameter value
            raise ValueError(f"{where}[{i}] ({s['op']}) cannot run with {s!r}: "
                             f"{type(exc).__name__}: {exc}") from None


#: The op -> function table (the kind registry's view of this module).
STEPS = _STEPS

#: How an image input may be given on the page.
WIDGETS = ("upload", "paste", "draw", "camera")


def item_shape(spec: dict[str, Any]) -> list[int | None]:
    """[height, width, channels] of one picture, whatever the input's layout."""
    shape = spec["shape"]
    return [shape[2], shape[3], shape[1]] if spec.get("layout") == "nchw" else list(shape[1:])


def validate(spec: dict[str, Any], where: str) -> None:
    validate_steps(spec.get("steps", []), f"{where}.steps")
    shape = spec["shape"]
    if len(shape) != 4 or item_shape(spec)[-1] not in (1, 3, 4, None):
        order = "channels, height, width" if spec.get("layout") == "nchw" else "height, width, channels"
        raise ValueError(f"{where}.shape: an image input is [batch, {order}] with 1, 3 "
                         f"or 4 channels. Received: {shape}")


def prepare(spec: dict[str, Any], items: Sequence[tuple[bytes, str]], limits: Limits = Limits()) -> np.ndarray:
    """Uploaded files (bytes, name) -> the model-ready batch; each must fit the input's shape."""
    from .common import as_batch

    want = item_shape(spec)
    if spec.get("max_pixels"):
        limits = Limits(max_pixels=min(limits.max_pixels, spec["max_pixels"]))
    rows = []
    for data, name in items:
        x = prepare_image(data, spec.get("steps", []), name, limits)
        if x.ndim != len(want) or any(w is not None and w != d for w, d in zip(want, x.shape)):
            raise InputError(f"{name}: the preprocessing made {'x'.join(map(str, x.shape))}, the model expects "
                             f"{'x'.join('?' if d is None else str(d) for d in want)}.", status=422, file=name)
        rows.append(x)
    if len({r.shape for r in rows}) > 1:
        raise InputError(f"The prepared images have different shapes {sorted({r.shape for r in rows})}: "
                         "send one at a time.", status=422)
    batch = as_batch(rows, spec.get("dtype", "float32"))
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2)) if spec.get("layout") == "nchw" else batch


def decode(data: bytes, filename: str = "upload", limits: Limits = Limits()) -> Image.Image:
    """Bytes of a common image format -> a Pillow RGB or RGBA image, EXIF orientation applied."""
    if not data:
        raise InputError(f"{filename} is empty.", status=400, file=filename)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            if img.format not in ALLOWED_FORMATS:
                raise InputError(
                    f"{filename} is a {img.format} image; expected PNG, JPEG, GIF, WebP or BMP.",
                    status=415, file=filename,
                )
            width, height = img.size
            if width * height > limits.max_pixels:
                raise _too_many_pixels(filename, width, height, limits)
            img.seek(0)
            img.load()
            img = ImageOps.exif_transpose(img)
            if img.mode.startswith("I;16") or img.mode == "I":
                # 16-bit greyscale (scanners): Pillow's convert("RGB") clips it to white;
                # scale 0..65535 to 0..255 as the browser does.
                wide = np.asarray(img, dtype=np.float64)
                img = Image.fromarray(np.clip(np.round(wide / 257.0), 0, 255).astype(np.uint8), "L")
            # Opaque images stay RGB: flatten_alpha on them would compute x*1 + bg*0.
            has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
            rgba = img.convert("RGBA" if has_alpha else "RGB")
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"{filename} has absurd pixel dimensions; the limit is {limits.max_pixels:,} pixels.",
            status=422, file=filename,
        ) from None
    except Image.UnidentifiedImageError:
        raise InputError(
            f"{filename} is not an image that can be read (expected PNG, JPEG, GIF, WebP or BMP).",
            status=415, file=filename,
        ) from None
    except ValueError as exc:
        if "Decompressed data too large" not in str(exc):  # Pillow's guard on PNG text chunks
            raise InputError(f"{filename} could not be decoded: it looks truncated or corrupt ({exc}).",
                             status=422, file=filename) from None
        raise InputError(f"{filename} carries a compressed text chunk that inflates past Pillow's limit "
                         "(a decompression bomb); save the image without metadata.",
                         status=422, file=filename) from None
    except (OSError, SyntaxError, EOFError) as exc:
        raise InputError(
            f"{filename} could not be decoded: it looks truncated or corrupt ({exc}).",
            status=422, file=filename,
        ) from None
    return rgba


def _too_many_pixels(filename: str, width: int, height: int, limits: Limits) -> InputError:
    return InputError(
        f"{filename} is {width}x{height} pixels; the limit is {limits.max_pixels:,} pixels.",
        status=422, file=filename,
    )


def run(image: np.ndarray | Image.Image, steps: Sequence[Step], filename: str = "upload") -> np.ndarray:
    """Apply the pipeline to a decoded image; errors name the file."""
    for s in steps:
        params = {k: v for k, v in s.items() if k != "op"}
        if s["op"] not in _TAKES_DECODED:
            image = _floats(image)
        try:
            image = _STEPS[s["op"]](image, **params)
        except InputError as exc:
            exc.file = exc.file or filename
            exc.message = f"{filename}: {exc.message}"
            exc.args = (exc.message,)
            raise
    return _floats(image)


def _floats(image: np.ndarray | Image.Image) -> np.ndarray:
    if isinstance(image, Image.Image):
        return np.asarray(image, dtype=np.float32)
    return image.astype(np.float32, copy=False)


def prepare_image(data: bytes, steps: Sequence[Step], filename: str = "upload",
                  limits: Limits = Limits()) -> np.ndarray:
    """Uploaded bytes -> the model-ready float32 array for one image."""
    return run(decode(data, filename, limits), steps, filename)


# --- steps -----------------------------------------------------------------------

def _border(gray: np.ndarray) -> np.ndarray:
    g = gray[..., 0]
    return np.concatenate([g[0], g[-1], g[1:-1, 0], g[1:-1, -1]])


@step("flatten_alpha", takes_decoded=True)
def flatten_alpha(image: np.ndarray | Image.Image, background: float = 255) -> np.ndarray | Image.Image:
    """Composite RGBA onto a solid background (transparent PNGs, canvas drawings)."""
    if (image.mode != "RGBA") if isinstance(image, Image.Image) else (image.shape[-1] != 4):
        return image
    image = _floats(image)
    alpha = image[..., 3:4] / 255.0
    return image[..., :3] * alpha + np.float32(background) * (1.0 - alpha)


@step("grayscale")
def grayscale(image: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, kept in float so the browser can reproduce it exactly."""
    if image.shape[-1] == 1:
        return image
    rgb = image[..., :3]
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return luma[..., None].astype(np.float32)


@step("invert")
def invert(image: np.ndarray, when: str = "light_background") -> np.ndarray:
    """MNIST is white ink on black: turn dark ink on lighter paper the right way round.
    light_background decides by the ink, not the lighting: a dim photo of paper (grey, about
    117 of 255) with black ink is dark on light too (see ink_is_dark)."""
    if when not in ("always", "never", "light_background"):
        raise ValueError(f"invert: unknown rule when={when!r}")
    if when == "always" or (when == "light_background" and ink_is_dark(image)):
        return 255.0 - image
    return image


def ink_is_dark(image: np.ndarray) -> bool:
    """Whether the ink is darker than the paper. The paper is the border's median; the ink
    is the pixels farther from it than half the largest distance either way, and the side
    with more of them wins. With no ink (or as much either way) the border's mean decides,
    as the lighting rule did. In float64, as the browser computes it."""
    g = image[..., 0].astype(np.float64)
    paper = float(np.median(_border(image).astype(np.float64)))
    half = max(paper - float(g.min()), float(g.max()) - paper) / 2
    dark = int(np.count_nonzero(g < paper - half)) if half > 0 else 0
    light = int(np.count_nonzero(g > paper + half)) if half > 0 else 0
    if dark == light:
        return float(_border(image).astype(np.float64).mean()) > 127.5
    return dark > light


@step("normalize_contrast")
def normalize_contrast(image: np.ndarray, min_range: float = 24) -> np.ndarray:
    """Background (the border's median) to 0, brightest ink to 255: grey paper, faint pens."""
    background = float(np.median(_border(image)))
    peak = float(image.max())
    if peak - background < min_range:
        raise InputError("the image is blank: no digit was found in it.", status=422)
    return np.clip((image - background) * (255.0 / (peak - background)), 0.0, 255.0).astype(np.float32)


@step("clear_margin")
def clear_margin(image: np.ndarray, fraction: float = 0.03) -> np.ndarray:
    """Blank a thin frame at the edges: scans and photos often carry a paper edge or a
    border line that would otherwise count as ink (at least one pixel wide)."""
    h, w = image.shape[:2]
    my, mx = max(1, math.ceil(h * fraction)), max(1, math.ceil(w * fraction))
    if 2 * my >= h or 2 * mx >= w:
        return image
    out = np.zeros_like(image)
    out[my:h - my, mx:w - mx] = image[my:h - my, mx:w - mx]
    return out


@step("crop_to_ink")
def crop_to_ink(image: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """Crop to the bounding box of the pixels brighter than threshold * 255."""
    mask = image.max(axis=-1) > threshold * 255.0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise InputError("the image is blank: no digit was found in it.", status=422)
    return image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _round_half_up(x: float) -> int:
    """Rounding the browser's way (Math.round), not Python's round-half-even."""
    return math.floor(x + 0.5)


def resize(image: np.ndarray | Image.Image, height: int, width: int) -> np.ndarray:
    """Resample to height x width with Pillow's antialiased BILINEAR filter, on float
    planes (mode "F": no rounding to 8 bits, sums in double precision). preprocess.js
    computes the same filter in float64; the two agree within 1e-4 of a grey level."""
    planes = _float_planes(image)
    out = np.empty((height, width, len(planes)), np.float32)
    for c, plane in enumerate(planes):
        out[:, :, c] = np.asarray(plane.resize((width, height), Image.Resampling.BILINEAR))
    return out


def _float_planes(image: np.ndarray | Image.Image) -> list[Image.Image]:
    """One Pillow "F" image per channel; straight from a decoded image, without an array copy."""
    if isinstance(image, Image.Image):
        return [band.convert("F") for band in image.split()]
    x = np.asarray(image, np.float32)
    return [Image.fromarray(np.ascontiguousarray(x[:, :, c])) for c in range(x.shape[2])]


@step("fit")
def fit(image: np.ndarray, size: Sequence[int] = (20, 20)) -> np.ndarray:
    """Scale so the image fits in size (height, width), keeping its aspect ratio."""
    box_h, box_w = size
    h, w = image.shape[:2]
    ratio = min(box_h / h, box_w / w)
    return resize(image, max(1, _round_half_up(h * ratio)), max(1, _round_half_up(w * ratio)))


#: Pillow's filters by the names the steps use (transformers' `resample` 2 and 3).
RESAMPLE = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}
#: float: Pillow's arithmetic on float planes (no rounding); uint8: on 8-bit pictures, as
#: Pillow resizes an RGB image (fixed-point weights, a rounded 8-bit pass between rows and
#: columns): what transformers' image processors compute.
PRECISIONS = ("float", "uint8")


def _resized(image: np.ndarray | Image.Image, height: int, width: int, resample: str, precision: str) -> np.ndarray:
    if resample not in RESAMPLE:
        raise ValueError(f"resample must be one of {', '.join(RESAMPLE)}. Received: {resample!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}. Received: {precision!r}")
    if precision == "uint8":
        return np.asarray(_resize8(_pil8(image), height, width, RESAMPLE[resample]), np.float32)
    if resample == "bilinear":
        return resize(image, height, width)
    planes = _float_planes(image)
    out = np.empty((height, width, len(planes)), np.float32)
    for c, plane in enumerate(planes):
        out[:, :, c] = np.asarray(plane.resize((width, height), RESAMPLE[resample]))
    return out


def vertical_first(height: int, width: int, out_h: int, out_w: int) -> bool:
    """Pillow 13's order of the two passes: vertical first when the height shrinks by more
    than twice what the width does (Pillow 12 always went horizontal first)."""
    return height - out_h > 0 and height - out_h > (width - out_w) * 2


def _resize8(picture: Image.Image, height: int, width: int, resample: Image.Resampling) -> Image.Image:
    """Pillow's 8-bit resize, one axis per call in Pillow 13's order, so the result does not
    depend on the Pillow installed (a one-axis resize is one pass in every version)."""
    w, h = picture.size
    passes = [(width, h), (width, height)]
    if vertical_first(h, w, height, width):
        passes = [(w, height), (width, height)]
    for size in passes:
        if picture.size != size:
            picture = picture.resize(size, resample)
    return picture


def _pil8(image: np.ndarray | Image.Image) -> Image.Image:
    """An 8-bit Pillow picture: the decoded one, or pixels that are still whole numbers 0..255."""
    if isinstance(image, Image.Image):
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    x = np.asarray(image)
    if x.min(initial=0) < 0 or x.max(initial=0) > 255 or not np.array_equal(x, np.round(x)):
        raise ValueError("precision='uint8' resizes 8-bit pixels: put the resize before any step that computes "
                         "(normalize, grayscale...)")
    x = x.astype(np.uint8)
    return Image.fromarray(x[..., 0], "L") if x.shape[2] == 1 else Image.fromarray(x[..., :3], "RGB")


@step("resize", takes_decoded=True)
def resize_step(image: np.ndarray, size: Sequence[int] = (224, 224), resample: str = "bilinear",
                precision: str = "float") -> np.ndarray:
    """Scale to exactly size (height, width), ignoring the aspect ratio."""
    return _resized(image, size[0], size[1], resample, precision)


def shortest_edge_size(height: int, width: int, size: int) -> tuple[int, int]:
    """transformers' get_resize_output_image_size(size, default_to_square=False): the short
    side becomes size, the long one int(size * long / short)."""
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(size * long / short)
    return (new_long, size) if width <= height else (size, new_long)


@step("resize_shortest_edge", takes_decoded=True)
def resize_shortest_edge(image: np.ndarray, size: int = 224, resample: str = "bilinear",
                         precision: str = "float") -> np.ndarray:
    """Scale so the shorter side is size, keeping the aspect ratio (transformers' shortest_edge)."""
    h, w = (image.height, image.width) if isinstance(image, Image.Image) else image.shape[:2]
    out_h, out_w = shortest_edge_size(h, w, int(size))
    return _resized(image, out_h, out_w, resample, precision)


@step("center_crop", takes_decoded=True)
def center_crop(image: np.ndarray, size: Sequence[int] = (224, 224)) -> np.ndarray:
    """The middle size (height, width), as transformers' center_crop: top and left rounded
    down; a picture smaller than size is padded with zeros around it first."""
    x = np.asarray(image, np.float32)
    if x.ndim == 2:
        x = x[..., None]
    crop_h, crop_w = int(size[0]), int(size[1])
    h, w = x.shape[:2]
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    if top >= 0 and left >= 0 and top + crop_h <= h and left + crop_w <= w:
        return x[top:top + crop_h, left:left + crop_w].copy()
    new_h, new_w = max(crop_h, h), max(crop_w, w)
    canvas = np.zeros((new_h, new_w, x.shape[2]), np.float32)
    top_pad, left_pad = math.ceil((new_h - h) / 2), math.ceil((new_w - w) / 2)
    canvas[top_pad:top_pad + h, left_pad:left_pad + w] = x
    top, left = top + top_pad, left + left_pad
    return canvas[max(0, top):min(new_h, top + crop_h), max(0, left):min(new_w, left + crop_w)].copy()


@step("rgb", takes_decoded=True)
def rgb(image: np.ndarray | Image.Image) -> np.ndarray | Image.Image:
    """Three colour channels, the alpha dropped as Pillow's convert("RGB") drops it (not laid on
    a background): how transformers' pipelines load every picture."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    x = np.asarray(image, np.float32)
    return np.repeat(x, 3, axis=2) if x.shape[2] == 1 else x[..., :3].copy()


@step("pad")
def pad(image: np.ndarray, size: Sequence[int] = (28, 28), value: float = 0.0) -> np.ndarray:
    """Place the image in the middle of a canvas of size (height, width)."""
    out_h, out_w = size
    h, w, c = image.shape
    if h > out_h or w > out_w:
        raise ValueError(f"pad: image {h}x{w} is larger than {out_h}x{out_w}; fit it first")
    out = np.full((out_h, out_w, c), value, dtype=np.float32)
    top, left = (out_h - h) // 2, (out_w - w) // 2
    out[top:top + h, left:left + w] = image
    return out


@step("center_of_mass")
def center_of_mass(image: np.ndarray) -> np.ndarray:
    """Shift by whole pixels so the centre of mass sits at the centre (MNIST's recipe)."""
    h, w = image.shape[:2]
    mass = image.sum(axis=-1)
    total = float(mass.sum())
    if total <= 0:
        return image
    cy = float((mass.sum(axis=1) * np.arange(h)).sum()) / total
    cx = float((mass.sum(axis=0) * np.arange(w)).sum()) / total
    dy, dx = _round_half_up((h - 1) / 2 - cy), _round_half_up((w - 1) / 2 - cx)
    # Keep the ink inside the canvas: never shift further than the empty margin allows.
    rows = np.flatnonzero(mass.sum(axis=1) > 0)
    cols = np.flatnonzero(mass.sum(axis=0) > 0)
    dy = int(np.clip(dy, -rows[0], h - 1 - rows[-1]))
    dx = int(np.clip(dx, -cols[0], w - 1 - cols[-1]))
    out = np.zeros_like(image)
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


@step("channel_order")
def channel_order(image: np.ndarray, order: str = "rgb") -> np.ndarray:
    """RGB (as decoded) or BGR (Caffe-style models such as keras.applications' VGG/ResNet)."""
    if order == "rgb" or image.shape[-1] != 3:
        return image
    if order != "bgr":
        raise ValueError(f"channel_order: unknown order {order!r}")
    return image[..., ::-1].copy()


@step("normalize")
def normalize(image: np.ndarray, scale: float = 1 / 255, mean: Sequence[float] = (0.0,),
              std: Sequence[float] = (1.0,)) -> np.ndarray:
    """x * scale, then (x - mean) / std per channel: 0..1 for MNIST, ImageNet stats for others."""
    x = image * np.float32(scale)
    x -= np.asarray(mean, np.float32)
    x /= np.asarray(std, np.float32)
    return x
