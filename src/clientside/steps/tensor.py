"""Tensor inputs: a JSON array of the model's item shape, for anything no other kind fits."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError

#: No steps: the array is the model's input as is.
STEPS: dict[str, Callable[..., Any]] = {}


def validate(spec: dict[str, Any], where: str) -> None:
    if spec.get("steps"):
        raise ValueError(f"{where}.steps: a tensor input takes no steps")


def prepare(spec: dict[str, Any], items: Sequence[Any], limits: Any = None) -> np.ndarray:
    from .common import as_batch

    want = spec["shape"][1:]
    rows = []
    for i, item in enumerate(items):
        try:
            x = np.asarray(item, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{spec['name']}[{i}]: expected a (nested) array of numbers", status=422) from None
        if x.ndim != len(want) or any(w is not None and w != d for w, d in zip(want, x.shape)):
            raise InputError(f"{spec['name']}[{i}]: expected shape "
                             f"[{', '.join('any' if d is None else str(d) for d in want)}], got {list(x.shape)}",
                             status=422)
        if not np.isfinite(x).all():
            raise InputError(f"{spec['name']}[{i}]: expected finite numbers", status=422)
        rows.append(x)
    if len({r.shape for r in rows}) > 1:
        raise InputError(f"{spec['name']}: the arrays have different shapes", status=422)
    return as_batch(rows, spec.get("dtype", "float32"))
