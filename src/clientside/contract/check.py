"""The self-check a bundle carries (the contract's `check`): one input item, the original
framework's outputs for it, and the tolerance. The page runs it on the first load with each
backend, before it accepts that backend, and falls back to the next one where the answers
differ (server/static/check.js, worker.js). It stays small: an input of more than
STORED_VALUES values is kept as a seed that both sides turn into the same numbers (mulberry32,
written out here and in check.js), and an output keeps at most OUTPUT_VALUES of its values,
evenly spaced.

Not written (the page then runs no check) where nothing outside the bundle says what it must
compute: a TF.js graph model (served as it is) and a quantized bundle (its answers are the
quantized weights', not the framework's); nor where the framework's outputs are not finite.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..steps.common import DTYPES

if TYPE_CHECKING:
    from ..sources.base import SourceModel

STORED_VALUES = 256
OUTPUT_VALUES = 256
SEED = 20260101
#: The size given to a free dimension other than the batch (verify.py's, for the same reason).
FREE_SIZE = 8


def seeded(count: int, seed: int, low: float, high: float, integer: bool = False) -> np.ndarray:
    """count numbers in [low, high) from mulberry32(seed), as check.js makes them: each draw u
    in [0, 1) is a double, low + (high - low) * u is rounded down for an integer input and to
    float32 for a float one (by the caller, through the input's dtype)."""
    a = seed & 0xFFFFFFFF
    out = np.empty(count, np.float64)
    for i in range(count):
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (1 | a)) & 0xFFFFFFFF
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
        out[i] = ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    values = low + (high - low) * out
    return np.floor(values) if integer else values


def _range(spec: dict[str, Any], model: SourceModel) -> tuple[float, float, bool]:
    """The values a caller could send: token ids below the vocabulary's size, a picture's
    bytes, else numbers in [0, 1)."""
    hint = model.hints.get(spec["name"])
    if spec["dtype"] in ("int32", "int64", "uint8") or (hint is not None and hint.high is not None):
        high = hint.high if hint is not None and hint.high is not None else (256 if spec["dtype"] == "uint8" else 2)
        return (hint.low if hint is not None else 0), high, True
    return 0.0, 1.0, False


def _shape(spec: dict[str, Any], example: np.ndarray | None) -> list[int]:
    """One item (or the batch a model insists on), free sizes as the example's or FREE_SIZE."""
    batch = spec["shape"][0] if spec["shape"] and isinstance(spec["shape"][0], int) else 1
    if example is not None:
        return [batch, *example.shape[1:]]
    return [batch if axis == 0 else (d or FREE_SIZE) for axis, d in enumerate(spec["shape"])]


def _first_whole_row(examples: Sequence[np.ndarray], specs: Sequence[dict[str, Any]]) -> int | None:
    """The first item with no missing value in any input (a table's sample has empty cells)."""
    items = [x for x, s in zip(examples, specs) if "value" not in s]
    count = min(len(x) for x in items) if items else 1
    for row in range(count):
        if all(np.isfinite(np.asarray(x[row], np.float64)).all() for x in items):
            return row
    return None


def make(draft: dict[str, Any], model: SourceModel, tolerance: float) -> dict[str, Any] | None:
    """The check for a bundle's contract (None where none can be written: see the module)."""
    if model.reference is None or draft.get("quantization") or draft.get("runtime") == "tfjs-graph":
        return None
    specs = draft["inputs"]
    examples = [np.asarray(x) for x in model.examples] if model.examples is not None else None
    if examples is not None and len(examples) != len(specs):
        return None  # examples line up with every input, constants included (the runtimes' rule)
    # A source's own examples that are small are kept as they are, and so are a table's
    # however wide (its reference answers on the sample's own rows alone); else seeded inputs.
    explicit = examples is not None and (model.reference_on_examples_only
                                         or all(x[:1].size <= STORED_VALUES for x in examples))
    row = _first_whole_row(examples, specs) if explicit and examples is not None else 0
    if row is None:
        return None
    feeds: list[np.ndarray] = []
    entries: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        dtype = DTYPES[spec["dtype"]]
        if "value" in spec:
            feeds.append(examples[i] if explicit and examples is not None
                         else np.full([d or 1 for d in spec["shape"]], spec["value"], dtype))
            continue
        if explicit and examples is not None:
            feeds.append(examples[i])
            entries[spec["name"]] = {"shape": [1, *examples[i].shape[1:]],
                                     "values": _written(examples[i][row:row + 1].ravel(), spec["dtype"])}
            continue
        shape = _shape(spec, examples[i] if examples is not None else None)
        low, high, integer = _range(spec, model)
        seed = SEED + i
        feeds.append(seeded(math.prod(shape), seed, low, high, integer).reshape(shape).astype(dtype))
        entries[spec["name"]] = {"shape": shape, "seed": seed, "low": low, "high": high}
    if any(v is None for e in entries.values() for v in e.get("values", [])):
        return None
    expected = [np.asarray(o, np.float64) for o in model.reference(feeds)]
    if len(expected) != len(draft["outputs"]):
        return None
    outputs = {}
    for spec, out in zip(draft["outputs"], expected):
        one = out[row:row + 1] if out.ndim else out  # the item checked (a scalar output is the whole)
        if not np.isfinite(one).all():
            return None
        flat = one.ravel()
        every = max(1, math.ceil(flat.size / OUTPUT_VALUES))
        outputs[spec["name"]] = {"shape": list(one.shape), "every": every,
                                 "values": _written(flat[::every], "float32")}
    return {"tolerance": tolerance, "inputs": entries, "outputs": outputs,
            "made_by": model.generated_by or model.title}


def _written(values: np.ndarray, dtype: str) -> list[Any]:
    """Values as JSON holds them, as short as they stay exact in the input's dtype (float32's
    shortest digits: 0.12573022, not 0.1257302165031433); None for one that is not finite."""
    values = np.asarray(values, np.float64)
    if not np.isfinite(values).all():
        return [None]
    if dtype == "float64":
        return [float(v) for v in values]
    if dtype == "float32":
        return [float(str(np.float32(v))) for v in values]
    return [int(v) for v in values]


def feeds(written: dict[str, Any]) -> list[np.ndarray]:
    """The check's input item for every input of a contract that carries one, in contract
    order, as check.js makes it (checkFeeds): values as stored, or expanded from the seed;
    a constant at its value."""
    found = written["check"]["inputs"]
    out = []
    for spec in written["inputs"]:
        dtype = DTYPES[spec["dtype"]]
        entry = found.get(spec["name"])
        if entry is None:
            out.append(np.full([d or 1 for d in spec["shape"]], spec["value"], dtype))
            continue
        if "values" in entry:
            values = np.asarray(entry["values"], np.float64)
        else:
            values = seeded(math.prod(entry["shape"]), entry["seed"], entry["low"], entry["high"],
                            integer=spec["dtype"] not in ("float32", "float64"))
        out.append(values.astype(dtype).reshape(entry["shape"]))
    return out


def difference(check: dict[str, Any], outputs: Sequence[np.ndarray]) -> float:
    """The largest difference between outputs (in contract order, the first item first) and
    the check's, over the largest expected magnitude (check.js computes the same)."""
    worst, scale = 0.0, 0.0
    for want, got in zip(check["outputs"].values(), outputs):
        flat = np.asarray(got, np.float64).ravel()[::want["every"]]
        values = np.asarray(want["values"], np.float64)
        worst = max(worst, float(np.abs(flat[:values.size] - values).max()) if values.size else 0.0)
        scale = max(scale, float(np.abs(values).max()) if values.size else 0.0)
    return worst / max(scale, 1e-6)


def add(out_dir: Path, model: SourceModel, tolerance: float) -> dict[str, Any] | None:
    """Writes the check into the bundle's clientside.json (replaced whole, never half-written)."""
    from . import BUNDLE_JSON

    path = Path(out_dir) / BUNDLE_JSON
    draft = json.loads(path.read_text())
    found = make(draft, model, tolerance)
    if found is None:
        return None
    draft["check"] = found
    tmp = path.with_name(f".{BUNDLE_JSON}.tmp")
    tmp.write_text(json.dumps(draft, indent=2) + "\n")
    os.replace(tmp, path)
    return found
