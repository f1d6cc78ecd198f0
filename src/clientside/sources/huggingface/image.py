"""A transformers image processor (preprocessor_config.json) as the contract's image steps:
rgb (the pipeline loads every picture with convert("RGB")), resize by size or shortest_edge
with its resample and Pillow's 8-bit arithmetic (what the processor's PIL backend computes),
ConvNeXt's crop_pct, center_crop, rescale and normalize; channels first. What has no step is
refused, naming the setting."""
from __future__ import annotations

from typing import Any

from ...errors import ExportError

#: PIL's resample codes (transformers' `resample`) -> the steps' names.
RESAMPLE = {2: "bilinear", 3: "bicubic"}


def _get(processor: Any, key: str, default: Any = None) -> Any:
    value = getattr(processor, key, default)
    return default if value is None else value


def _size(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, int):
        return {"height": value, "width": value}
    if hasattr(value, "items"):
        return {k: v for k, v in value.items() if v is not None}
    return {k: getattr(value, k) for k in ("height", "width", "shortest_edge", "longest_edge")
            if getattr(value, k, None) is not None}


def image_steps(processor: Any) -> list[dict[str, Any]]:
    """The steps that reproduce processor on a picture, or an ExportError naming what cannot."""
    name = type(processor).__name__.removesuffix("Pil").removesuffix("Fast")
    where = f"{name} (preprocessor_config.json)"
    for flag in ("do_pad", "do_reduce_labels", "do_convert_grayscale"):
        if _get(processor, flag, False):
            raise ExportError(f"{where}: {flag}=True has no step in the page; clientside cannot reproduce it.")
    resample_code = int(_get(processor, "resample", 2))
    if resample_code not in RESAMPLE:
        raise ExportError(f"{where}: resample={resample_code} (PIL's code) has no step; the page resamples "
                          f"{' and '.join(f'{v} ({k})' for k, v in RESAMPLE.items())}.")
    resample = RESAMPLE[resample_code]
    steps: list[dict[str, Any]] = [{"op": "rgb"}]
    if _get(processor, "do_resize", True):
        size = _size(_get(processor, "size"))
        crop_pct = getattr(processor, "crop_pct", None)
        if "shortest_edge" in size and name.startswith("ConvNext"):
            edge = int(size["shortest_edge"])
            if edge < 384:
                steps += [{"op": "resize_shortest_edge", "size": int(edge / (crop_pct or 224 / 256)),
                           "resample": resample, "precision": "uint8"},
                          {"op": "center_crop", "size": [edge, edge]}]
            else:
                steps.append({"op": "resize", "size": [edge, edge], "resample": resample, "precision": "uint8"})
        elif "shortest_edge" in size and "longest_edge" not in size:
            steps.append({"op": "resize_shortest_edge", "size": int(size["shortest_edge"]), "resample": resample,
                          "precision": "uint8"})
        elif "height" in size and "width" in size:
            steps.append({"op": "resize", "size": [int(size["height"]), int(size["width"])], "resample": resample,
                          "precision": "uint8"})
        else:
            raise ExportError(f"{where}: size={size} has no step (the page resizes to height and width, or by "
                              "shortest_edge).")
    if _get(processor, "do_center_crop", False):
        crop = _size(_get(processor, "crop_size"))
        if "height" not in crop or "width" not in crop:
            raise ExportError(f"{where}: crop_size={crop} has no step (expected height and width).")
        steps.append({"op": "center_crop", "size": [int(crop["height"]), int(crop["width"])]})
    scale = float(_get(processor, "rescale_factor", 1 / 255)) if _get(processor, "do_rescale", True) else 1.0
    mean, std = [0.0], [1.0]
    if _get(processor, "do_normalize", True):
        mean = [float(v) for v in _as_list(_get(processor, "image_mean", [0.5, 0.5, 0.5]))]
        std = [float(v) for v in _as_list(_get(processor, "image_std", [0.5, 0.5, 0.5]))]
    steps.append({"op": "normalize", "scale": scale, "mean": mean, "std": std})
    return steps


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def picture_size(steps: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(height, width) the steps make, when they make a fixed size."""
    size = None
    for s in steps:
        if s["op"] in ("resize", "center_crop"):
            size = (int(s["size"][0]), int(s["size"][1]))
        elif s["op"] == "resize_shortest_edge":
            size = None
    return size
