"""What every input kind's steps share: checking a list of steps against a kind's registry,
and stacking prepared items into one batch."""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def check_params(steps: Any, registry: dict[str, Callable[..., Any]], where: str) -> None:
    """Each step names a known op and only its parameters, with the required ones present."""
    if not isinstance(steps, Sequence) or isinstance(steps, (str, bytes)):
        raise ValueError(f"{where}: expected a list of steps. Received: {steps!r}")
    for i, s in enumerate(steps):
        if not isinstance(s, dict) or s.get("op") not in registry:
            raise ValueError(f"{where}[{i}]: unknown step {s!r}. Known steps: {', '.join(sorted(registry))}")
        try:
            inspect.signature(registry[s["op"]]).bind(None, **{k: v for k, v in s.items() if k != "op"})
        except TypeError as exc:
            raise ValueError(f"{where}[{i}] ({s['op']}): {exc}. Received: {s!r}") from None


DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64, "uint8": np.uint8}


def as_batch(rows: Sequence[np.ndarray], dtype: str) -> np.ndarray:
    return np.stack([np.asarray(r) for r in rows]).astype(DTYPES.get(dtype, np.float32))
