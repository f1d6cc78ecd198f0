"""Table inputs: a row of named fields -> the model's feature vector.

Each step encodes one feature into one or more columns, and the columns are laid side by
side in step order: `standardize` ((x - mean) / std), `min_max` ((x - min) / (max - min)),
`one_hot` (one column per category), `pass` (the number as is). A number step with
`missing: true` reads an empty cell as NaN, for a model that handles NaN (an imputer or trees
in the graph); without it an empty cell is refused. The page builds its form and reads CSV
files from the same steps (static/steps/table.js).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError

#: What counts as a number in a form field or a CSV cell, on both sides (JS's Number()
#: would take "", "0x1f" and "Infinity").
NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*")

STEPS: dict[str, Callable[..., list[float]]] = {}


def step(name: str) -> Callable[[Callable[..., list[float]]], Callable[..., list[float]]]:
    def decorator(fn: Callable[..., list[float]]) -> Callable[..., list[float]]:
        STEPS[name] = fn
        return fn
    return decorator


class FieldError(InputError):
    """A bad cell: says which column; the caller adds which row."""

    def __init__(self, column: str, message: str):
        super().__init__(f"column {column!r}: {message}", status=422)
        self.column = column


def _field(row: dict[str, Any], feature: str) -> Any:
    if feature not in row:
        raise FieldError(feature, "missing")
    return row[feature]


def _show(value: Any) -> str:
    """A cell as messages quote it, the same on both sides: strings in quotes, else JSON."""
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def empty(value: Any) -> bool:
    """A missing value: an empty cell (nothing but spaces and tabs), JSON null, or NaN (as
    pandas reads an empty cell)."""
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or (isinstance(value, str) and not value.strip(" \t"))


def number(row: dict[str, Any], feature: str, missing: bool = False) -> float:
    """The cell's number; an empty one is NaN where the feature takes missing values (the
    contract's `missing: true`: the model handles NaN), else refused."""
    value = _field(row, feature)
    if empty(value):
        if missing:
            return math.nan
        raise FieldError(feature, "empty, and this model takes no missing value here: fill it in")
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (isinstance(value, str) and NUMBER.fullmatch(value)) or numeric:
        number = float(value)
    else:
        raise FieldError(feature, f"expected a number, got {_show(value)}")
    if not math.isfinite(number):
        raise FieldError(feature, f"expected a finite number, got {_show(value)}")
    return number


def category(row: dict[str, Any], feature: str, categories: Sequence[str]) -> str:
    value = _field(row, feature)
    text = value.strip(" \t") if isinstance(value, str) else str(value)
    if text not in categories:
        raise FieldError(feature, f"unknown category '{text}'; expected one of {', '.join(map(_show, categories))}")
    return text


@step("standardize")
def standardize(row: dict[str, Any], feature: str = "", mean: float = 0.0, std: float = 1.0,
                missing: bool = False) -> list[float]:
    return [(number(row, feature, missing) - mean) / std]


@step("min_max")
def min_max(row: dict[str, Any], feature: str = "", min: float = 0.0, max: float = 1.0,
            missing: bool = False) -> list[float]:
    return [(number(row, feature, missing) - min) / (max - min)]


@step("one_hot")
def one_hot(row: dict[str, Any], feature: str = "", categories: Sequence[str] = ()) -> list[float]:
    value = category(row, feature, categories)
    return [1.0 if c == value else 0.0 for c in categories]


@step("pass")
def pass_through(row: dict[str, Any], feature: str = "", missing: bool = False) -> list[float]:
    return [number(row, feature, missing)]


def width(steps: Sequence[dict[str, Any]]) -> int:
    """How many columns the steps make."""
    return sum(len(s.get("categories", ())) if s["op"] == "one_hot" else 1 for s in steps)


def features(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The form's fields: one per feature the steps read, with what the spec says of it."""
    declared = {f["name"]: f for f in spec.get("features", [])}
    out = []
    for s in spec.get("steps", []):
        kind = {"type": "category", "options": list(s["categories"])} if s["op"] == "one_hot" \
            else {"type": "number", "missing": bool(s.get("missing"))}
        out.append({"name": s["feature"], **kind, **declared.get(s["feature"], {})})
    return out


def validate(spec: dict[str, Any], where: str) -> None:
    from .common import check_params

    steps = spec.get("steps", [])
    check_params(steps, STEPS, f"{where}.steps")
    seen = set()
    for i, s in enumerate(steps):
        here = f"{where}.steps[{i}]"
        if not isinstance(s.get("feature"), str) or not s["feature"]:
            raise ValueError(f"{here}.feature: expected the name of a column")
        if s["feature"] in seen:
            raise ValueError(f"{here}.feature: {s['feature']!r} is encoded twice")
        seen.add(s["feature"])
        if s["op"] == "standardize" and not (isinstance(s.get("std"), (int, float)) and s["std"] > 0):
            raise ValueError(f"{here}.std: expected a number > 0")
        if s["op"] == "min_max" and not s.get("max", 1.0) > s.get("min", 0.0):
            raise ValueError(f"{here}: max must be greater than min")
        if "missing" in s and not isinstance(s["missing"], bool):
            raise ValueError(f"{here}.missing: expected true or false")
        if s["op"] == "one_hot":
            cats = s.get("categories")
            if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats) \
                    or len(set(cats)) != len(cats):
                raise ValueError(f"{here}.categories: expected a list of distinct strings")
    shape = spec["shape"]
    if len(shape) != 2:
        raise ValueError(f"{where}.shape: a table input is [batch, columns]. Received: {shape}")
    if not steps:
        raise ValueError(f"{where}.steps: a table input needs one step per feature (standardize, min_max, "
                         "one_hot or pass)")
    if shape[1] is not None and width(steps) != shape[1]:
        raise ValueError(f"{where}.steps: they make {width(steps)} columns, the model takes {shape[1]}")


def encode(row: dict[str, Any], steps: Sequence[dict[str, Any]]) -> list[float]:
    if not isinstance(row, dict):
        raise InputError(f"expected an object of column -> value. Received: {type(row).__name__}", status=422)
    columns: list[float] = []
    for s in steps:
        columns += STEPS[s["op"]](row, **{k: v for k, v in s.items() if k != "op"})
    return columns


def prepare(spec: dict[str, Any], items: Sequence[Any], limits: Any = None) -> np.ndarray:
    """Rows -> one batch; an error names the row (0-based, as in the JSON list) and column."""
    from .common import as_batch

    rows = []
    for i, item in enumerate(items):
        try:
            rows.append(np.asarray(encode(item, spec["steps"]), np.float64))
        except InputError as exc:
            raise InputError(f"{spec['name']}[{i}]: {exc.message}", status=422) from None
    return as_batch(rows, spec.get("dtype", "float32"))


#: The finest step a field learns from its sample: finer values are left free ("any").
FINEST_DECIMALS = 4


def fields_from_sample(columns: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
    """The form's fields as the sample shows them: a readable label, and for numbers the
    sample's range, the step its values are written in (1 for whole numbers, 0.01 for
    14.23...) and the median as the default; for categories the most frequent one. Each is
    a --meta `features` entry, so a user can override any part."""
    from ..contract.infer import readable

    out = []
    for name, values in columns:
        field: dict[str, Any] = {"name": name, "label": readable(name)}
        values = [v for v in values if not empty(v)]  # the missing ones say nothing of the range
        numbers = _finite([v for v in values if not isinstance(v, str)])
        if len(numbers) and len(numbers) == len(values):
            decimals = _decimals(numbers)
            field.update(min=_round(numbers.min(), decimals), max=_round(numbers.max(), decimals),
                         default=_round(float(np.median(numbers)), decimals))
            if decimals is not None:
                field["step"] = 10.0 ** -decimals if decimals else 1
        elif values and all(isinstance(v, str) for v in values):
            kinds, counts = np.unique(np.asarray(values, dtype=str), return_counts=True)
            field["default"] = str(kinds[int(np.argmax(counts))])
        out.append(field)
    return out


def _finite(values: Sequence[Any]) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.zeros(0)
    return x[np.isfinite(x)]


def _decimals(x: np.ndarray) -> int | None:
    """The fewest decimals that write every value exactly (None: more than FINEST_DECIMALS)."""
    for decimals in range(FINEST_DECIMALS + 1):
        scaled = x * 10.0 ** decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return decimals
    return None


def _round(value: float, decimals: int | None) -> float | int:
    if decimals == 0:
        return round(float(value))
    return float(round(value, decimals if decimals is not None else 6))
