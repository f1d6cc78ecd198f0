"""Input kinds and their preprocessing steps: one module per kind, one table of kinds.

A model input declares a `kind` (image, text, table, tensor, audio) and a list of `steps`
(`{"op": name, ...params}`). The same kinds and steps exist in the browser
(server/static/steps/*.js); tests/steps/test_registries.py keeps the two tables equal,
step names and parameters alike. Nothing here imports Flask or Keras.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import audio, image, table, tensor, text
from .common import DTYPES, as_batch, check_params

#: kind name -> its module. Each module has STEPS (op -> function), validate(spec, where)
#: and prepare(spec, items, limits) -> a float32 or int32 batch.
KINDS: dict[str, ModuleType] = {"image": image, "text": text, "table": table, "tensor": tensor, "audio": audio}

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


__all__ = ["DTYPES", "KINDS", "as_batch", "check_params", "kind_module", "parameters", "step_table"]
