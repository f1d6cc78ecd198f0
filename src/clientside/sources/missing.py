"""Which features of a table model take a missing value, found by trying: each number column
of the sample's first rows is made NaN in turn, and the column takes missing values when the
estimator answers for those rows (scikit-learn refuses NaN where the pipeline cannot take it)
and onnxruntime gives the same answer on the graph. An imputer and XGBoost
or LightGBM trees pass; a bare LogisticRegression does not. The contract then says
`missing: true` on that feature's step, and the page sends an empty cell as NaN."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ExportError
from ..verify import compare

#: Sample rows each column is tried on.
TRIED_ROWS = 8
#: How close onnxruntime must come to the estimator on those rows, relative to the output scale.
TOLERANCE = 1e-5


@dataclass
class Taken:
    columns: set[str] = field(default_factory=set)
    rows: Any = None          # the sample, then each taken column's rows with it made NaN
    x: Any = None             # the same rows as the page sends them


def _offsets(steps: Sequence[dict[str, Any]]) -> list[int]:
    at, out = 0, []
    for s in steps:
        out.append(at)
        at += len(s["categories"]) if s["op"] == "one_hot" else 1
    return out


def _is_frame(rows: Any) -> bool:
    return hasattr(rows, "iloc")


def _with_nan(rows: Any, x: np.ndarray, name: str, column: int) -> tuple[Any, np.ndarray]:
    x = x.copy()
    x[:, column] = np.nan
    if _is_frame(rows):  # the estimator reads it by column name
        rows = rows.copy()
        rows[name] = np.nan
    else:
        rows = x
    return rows, x


def _concat(parts: Sequence[Any]) -> Any:
    if _is_frame(parts[0]):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def taken(model: Any, steps: Sequence[dict[str, Any]], rows: Any, x: np.ndarray,
          predicted: Callable[[Any], np.ndarray]) -> Taken:
    """The number features whose empty cells the graph handles as the estimator does, and the
    check rows grown by those columns' NaN rows. Empty cells in the sample itself must land in
    such a column, else the export is refused naming the column."""
    from ..runtimes.onnx.run import run_onnxruntime

    numbers = [(s["feature"], column) for s, column in zip(steps, _offsets(steps)) if s["op"] != "one_hot"]
    if not numbers:
        return Taken(rows=rows, x=x)
    head_rows = rows.iloc[:TRIED_ROWS] if _is_frame(rows) else rows[:TRIED_ROWS]
    head_x = x[:TRIED_ROWS]
    variants = [_with_nan(head_rows, head_x, name, column) for name, column in numbers]
    model_bytes = model.SerializeToString()
    got = run_onnxruntime(model_bytes, [model.graph.input[0].name], [np.concatenate([v[1] for v in variants])])[0]
    n = len(head_x)
    found = Taken(rows=rows, x=x)
    for k, ((name, _), (nan_rows, nan_x)) in enumerate(zip(numbers, variants)):
        try:
            want = predicted(nan_rows)
        except Exception:  # noqa: BLE001 - scikit-learn's "Input contains NaN", or another refusal
            continue
        if compare([want], [got[k * n:(k + 1) * n]], tolerance=TOLERANCE, got_by="onnxruntime",
                   expected_by="the estimator").passed:
            found.columns.add(name)
            found.rows, found.x = _concat([found.rows, nan_rows]), np.concatenate([found.x, nan_x])
    blank = sorted({name for name, column in numbers if np.isnan(x[:, column]).any()} - found.columns)
    if blank:
        raise ExportError(f"the sample has empty cells in {', '.join(map(repr, blank))}, and this model cannot "
                          "take a missing value there (the estimator refuses NaN, or the converted graph answers "
                          "otherwise): fill them in, or put a SimpleImputer in front of the model")
    return found
