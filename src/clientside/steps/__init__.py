"""Input kinds and their preprocessing steps: one module per kind, one table of kinds.

A model input declares a `kind` (image, text, table, tensor) and a list of `steps`
(`{"op": name, ...params}`). The same kinds and steps exist in the browser
(server/static/steps/*.js); tests/steps/test_registries.py keeps the two tables equal,
step names and parameters alike. Nothing here imports Flask or Keras.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from . import image, table, tensor, text

#: kind name -> its module. Each module has STEPS (op -> function), validate(spec, where)
#: and prepare(spec, items, limits) -> a float32 or int32 batch.
KINDS: dict[str, ModuleType] = {"image": image, "text": text, "table": table, "tensor": tensor}

Step = dict[str, Any]


def kind_module(kind: str) -> ModuleType:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown input kind {kind!r}; expected one of {', '.join(KINDS)}") from None


def parameters(fn: Callable[..., Any]) -> dict[str, Any]:
    """A step's parameters and their defaults (None for a required one), as JSON values;
    the first argument (what the step works on) is not a parameter."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    return {p.name: _json(p.default) if p.default is not inspect.Parameter.empty else None for p in params}


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def step_table() -> dict[str, dict[str, dict[str, Any]]]:
    """{kind: {op: {param: default}}}: what the browser's table must equal."""
    return {kind: {op: parameters(fn) for op, fn in sorted(module.STEPS.items())}
            for kind, module in KINDS.items()}


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


DTYPES = {"float32": np.float32, "int32": np.int32, "int64": np.int64}


def as_batch(rows: Sequence[np.ndarray], dtype: str) -> np.ndarray:
    return np.stack([np.asarray(r) for r in rows]).astype(DTYPES.get(dtype, np.float32))
