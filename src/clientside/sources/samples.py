"""A table model's sample rows, as a user gives them: an array, a pandas DataFrame, or (from
the CLI's --sample) a CSV file, whose header names the columns. The sample gives the page's
fields (names, ranges, categories) and the rows the export is checked on."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ExportError


def read(sample: Any, columns: Sequence[str] | None = None) -> Any:
    """The sample as an array or a DataFrame; a CSV path is read with pandas (an empty cell
    is NaN). columns: the features the model was fitted on, when it knows them: those of the
    sample, in that order (a target column beside them is left out)."""
    if sample is None:
        raise ExportError("A table model needs sample rows (sample=... in Python, --sample rows.csv on the command "
                          "line): they give the page's fields and the rows the export is checked on.")
    if isinstance(sample, (str, os.PathLike)):
        sample = _csv(Path(sample))
    if columns is None or not hasattr(sample, "columns"):
        return sample
    wanted = [str(c) for c in columns]
    absent = [c for c in wanted if c not in sample.columns]
    if absent:
        raise ExportError(f"the sample has no column {absent[0]!r}, which the model was fitted on "
                          f"(its features: {', '.join(wanted)}; the sample's columns: "
                          f"{', '.join(map(str, sample.columns))})")
    return sample[wanted]


def _csv(path: Path) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ExportError("Reading a CSV sample needs pandas: pip install pandas") from None
    if not path.is_file():
        raise ExportError(f"--sample {path}: no such file (a CSV of rows whose header names the columns)")
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], skipinitialspace=True)  # only empty is missing
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ExportError(f"--sample {path} is not a CSV file that can be read: {exc}") from None
    if frame.empty:
        raise ExportError(f"--sample {path} has no rows under its header")
    return frame


def fitted_columns(estimator: Any) -> list[str] | None:
    """The column names the estimator was fitted on, if it kept them."""
    names = getattr(estimator, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else None
