"""Affine quantization, the one formula both runtimes store weights with: per tensor, the
range widened to include 0 and nudged so that 0 is exactly representable (as the TF.js
converter does), q = round((w - min) / scale), restored as q * scale + min."""
from __future__ import annotations

import numpy as np


def affine_range(low: float, high: float, dtype: str) -> tuple[float, float]:
    """(scale, min) for values in [low, high] stored as the unsigned integer `dtype`."""
    qmax = float(np.iinfo(dtype).max)
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        return 1.0, 0.0
    scale = (high - low) / qmax
    zero_point = round(-low / scale)
    return scale, -zero_point * scale


def quantize(array: np.ndarray, dtype: str) -> tuple[np.ndarray, float, float]:
    """array -> (q as `dtype`, scale, min); min is -zero_point * scale, so 0 restores to 0."""
    scale, low = affine_range(float(array.min()), float(array.max()), dtype)
    q = np.clip(np.round((array.astype(np.float64) - low) / scale), 0, np.iinfo(dtype).max)
    return q.astype(dtype), scale, low


def zero_point(scale: float, low: float) -> int:
    """The integer that restores to 0 (ONNX writes it beside the scale)."""
    return round(-low / scale)
