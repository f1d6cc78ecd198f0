"""Verification for every source and runtime: one sampler of inputs, one comparison, one
report, one tolerance.

An export is exact or refused: before a bundle is written, and again with --verify in the
browser's own runtime under Node, the model is run on the same inputs as its source and the
largest difference, relative to the output scale, must stay within the tolerance.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ExportError
from .steps.common import DTYPES

Feeds = list[np.ndarray]

#: Float32 rounding between two correct implementations stays near 1e-4 of the output
#: scale (ResNet50 on two Keras backends: 2e-4); every real mismatch found was above 1e-2.
DEFAULT_TOLERANCE = 1e-3
#: A free dimension other than the batch (a sequence length, a picture's side) in samples.
FREE_SIZE = 8


@dataclass(frozen=True)
class Hint:
    """What a source knows of an input's values beyond its contract entry: ids below `high`
    (an Embedding's vocabulary), from `low` (1 where 0 is padding), and whether the model
    masks zero padding (then the sample holds padded sequences of every length)."""

    high: int | None = None
    low: int = 0
    padded: bool = False


def sample(specs: Sequence[dict[str, Any]], hints: Mapping[str, Hint] | None = None, *, batch: int = 8,
           seed: int = 0) -> Feeds:
    """Inputs a real caller could send, of each contract entry's shape (a free batch is
    `batch`, any other free size FREE_SIZE) and dtype: normal noise for floats (negative
    values too, so every branch of an activation is reached); integers in [low, high), by
    default 0 or 1, which any vocabulary has. Padded inputs hold sequences of every length
    from empty to full, pre-padded as pad_sequences writes them (the first half of the
    batch) and post-padded as TextVectorization does (the rest), so masks are exercised.
    hints: per input name, what the model's source knows of its values."""
    rng = np.random.default_rng(seed)
    feeds = []
    for spec in specs:
        if "value" in spec:  # a constant: its value, its free sizes 1 (the model runs item by item)
            feeds.append(np.full([d or 1 for d in spec["shape"]], spec["value"], DTYPES[spec["dtype"]]))
            continue
        hint = (hints or {}).get(spec["name"]) or Hint()
        shape = [d if d is not None else (batch if axis == 0 else FREE_SIZE) for axis, d in enumerate(spec["shape"])]
        integer = spec["dtype"] not in ("float32", "float64") or hint.high is not None
        if not integer:
            feeds.append(rng.normal(0, 1, shape).astype(DTYPES[spec["dtype"]]))
            continue
        high = hint.high or (256 if spec["dtype"] == "uint8" else 2)  # uint8: a picture's bytes
        ids = rng.integers(hint.low, max(high, hint.low + 1), shape)
        if hint.padded and len(shape) >= 2:
            rows, steps = shape[0], shape[1]
            for row, (values, length) in enumerate(zip(ids, rng.permutation(np.arange(rows) % (steps + 1)))):
                if row < rows // 2:
                    values[: steps - length] = 0  # pre-padding: the last `length` steps are kept
                else:
                    values[length:] = 0  # post-padding
        feeds.append(ids.astype(DTYPES[spec["dtype"]]))
    return feeds


def fixed_batch(specs: Sequence[dict[str, Any]]) -> int | None:
    """The batch size a model insists on (often 1 in ONNX files from elsewhere), or None. A
    constant with a free size (a recurrent state) makes it 1: the model runs item by item."""
    if any("value" in s and None in s["shape"] for s in specs):
        return 1
    items = [s for s in specs if "value" not in s]
    first = items[0]["shape"][0] if items and items[0]["shape"] else None
    return first if isinstance(first, int) else None


def constants(specs: Sequence[dict[str, Any]]) -> frozenset[int]:
    """The positions of the constant inputs (a value, not items): fed whole to every batch."""
    return frozenset(i for i, s in enumerate(specs) if "value" in s)


def in_batches(run: Callable[[Feeds], Feeds], feeds: Feeds, batch: int | None,
               whole: Collection[int] = ()) -> Feeds:
    """run(feeds) for a model whose batch is fixed: slice by slice, concatenated; the feeds
    at `whole` (constants) go to every slice as they are. A scalar output becomes one value per slice."""
    items = [f for i, f in enumerate(feeds) if i not in whole]
    rows = len(items[0]) if items else 0
    if batch is None or rows == batch or rows % batch:
        return run(feeds)
    parts = [run([f if k in whole else f[i:i + batch] for k, f in enumerate(feeds)]) for i in range(0, rows, batch)]
    return [np.concatenate([np.reshape(o, (1,)) if np.ndim(o) == 0 else o for o in outs]) for outs in zip(*parts)]


@dataclass
class Report:
    """How far `got` (a runtime) is from `expected` (the source, or another runtime)."""

    got_by: str                      # e.g. "TF.js", "onnxruntime-web (wasm, under Node)"
    expected_by: str                 # e.g. "Keras", "onnxruntime"
    max_abs_diff: float
    relative_diff: float             # max_abs_diff / the largest |expected| (at least 1e-6)
    tolerance: float
    compared: str = "outputs"        # or "logits": a softmax compared before it
    top1_agreement: float | None = None
    quantized_max_abs_diff: float | None = None     # stored weights vs the float32 model
    quantized_top1_agreement: float | None = None
    notes: list[str] = field(default_factory=list)
    #: For what cannot be bit-equal (int8 graphs across builds): what was judged instead, and how it went.
    judged_by: str | None = None
    judged_ok: bool | None = None

    @property
    def passed(self) -> bool:
        if self.judged_ok is not None:
            return self.judged_ok
        return self.relative_diff <= self.tolerance

    def summary(self) -> str:
        return (f"max |{self.got_by} - {self.expected_by}| = {self.max_abs_diff:.3g} "
                f"({self.relative_diff:.3g} of the output scale; tolerance {self.tolerance:g})")

    def lines(self) -> list[str]:
        out = [f"compared {self.compared}: {self.summary()}"]
        if self.top1_agreement is not None:
            out.append(f"top class agrees on {self.top1_agreement:.1%} of the inputs")
        if self.quantized_max_abs_diff is not None:
            out.append(f"quantization cost vs the float32 model: max |diff| = {self.quantized_max_abs_diff:.3g}"
                       + (f", top class agrees on {self.quantized_top1_agreement:.1%}"
                          if self.quantized_top1_agreement is not None else ""))
        out += self.notes
        if self.judged_by:
            out.append(f"judged by {self.judged_by}")
        out.append("verification passed" if self.passed else "VERIFICATION FAILED")
        return out

    def check(self, failure: str) -> Report:
        """self, or an ExportError that starts with `failure` and says how far apart."""
        if not self.passed:
            raise ExportError(f"{failure}: {self.summary()}; nothing was written.")
        return self


def compare(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], *, tolerance: float = DEFAULT_TOLERANCE,
            got_by: str, expected_by: str, compared: str = "outputs") -> Report:
    """The largest difference over every output, absolute and relative to the output scale.
    A value both sides compute as NaN (or the same infinity) counts as equal; NaN on one side
    only is an infinite difference."""
    if len(expected) != len(got):
        raise ExportError(f"{got_by} gives {len(got)} outputs, {expected_by} {len(expected)}")
    max_abs, scale = 0.0, 1e-6
    for e, g in zip(expected, got):
        e, g = np.asarray(e, np.float64), np.asarray(g, np.float64)
        if e.shape != g.shape:
            raise ExportError(f"{got_by} gives an output of shape {list(g.shape)}, {expected_by} {list(e.shape)}")
        same = (e == g) | (np.isnan(e) & np.isnan(g))
        diff = np.where(same, 0.0, np.abs(e - g))
        max_abs = max(max_abs, float(np.nan_to_num(diff, nan=np.inf).max(initial=0.0)))
        finite = np.abs(e[np.isfinite(e)])
        scale = max(scale, float(finite.max(initial=0.0)))
    report = Report(got_by, expected_by, max_abs, max_abs / scale, tolerance, compared)
    report.top1_agreement = top1_agreement(expected, got)
    return report


def top1_agreement(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float | None:
    """How often the first output's top class is the same (None unless it has classes)."""
    first, second = np.asarray(a[0]), np.asarray(b[0])
    if first.ndim < 2 or first.shape[-1] < 2:
        return None
    return float((first.argmax(-1) == second.argmax(-1)).mean())
