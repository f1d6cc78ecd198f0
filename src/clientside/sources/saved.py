"""Estimators saved to a file in Python: a .skops file (skops.io.dump: loaded without running
code, only the types it lists are built, and those outside skops' trusted list are named
first), or a joblib or pickle file (.joblib, .pkl, .pickle: loading one runs any code it
holds, so only with trust_pickle=True, `--trust-pickle`). The object inside then goes to the
source that takes it (scikit-learn, XGBoost, LightGBM), with the same sample."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ExportError
from .base import Source, SourceModel, as_path, has_suffix

PICKLES = (".joblib", ".pkl", ".pickle")
#: Types skops 0.16 leaves off its trusted list that build nothing but a value (numpy.dtype
#: from its name): a plain scikit-learn pipeline names it, and needs no --trust-pickle for it.
ALSO_TRUSTED = ("numpy.dtype",)
SUFFIXES = (".skops", *PICKLES)


def accepts(obj: Any) -> bool:
    return has_suffix(obj, SUFFIXES)


def _skops(path: Path, trust_pickle: bool) -> Any:
    try:
        from skops.io import get_untrusted_types
        from skops.io import load as skops_load
    except ImportError:
        raise ExportError("Reading a .skops file needs skops: pip install 'clientside[sklearn]'") from None
    try:
        named = get_untrusted_types(file=str(path))
    except Exception as exc:  # noqa: BLE001 - a zip or JSON error inside skops
        raise ExportError(f"{path} is not a .skops file that can be read ({type(exc).__name__}: {exc}); "
                          "save it again with skops.io.dump(model, 'model.skops').") from None
    untrusted = [t for t in named if t not in ALSO_TRUSTED]
    if untrusted and not trust_pickle:
        raise ExportError(f"{path} holds types outside skops' trusted list: {', '.join(untrusted)}. If you trust "
                          "this file, pass --trust-pickle (trust_pickle=True) to build them too.")
    try:
        return skops_load(str(path), trusted=named)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"{path} could not be loaded by skops: {type(exc).__name__}: {exc}") from None


def _pickle(path: Path, trust_pickle: bool) -> Any:
    if not trust_pickle:
        raise ExportError(f"{path} is a pickle: loading it runs whatever code it holds. Load only a file you made "
                          "or trust: pass --trust-pickle (trust_pickle=True). A .skops file (skops.io.dump) loads "
                          "without running code.")
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - pickle raises anything the file's code raises
        raise ExportError(f"{path} could not be loaded: {type(exc).__name__}: {exc}. It may be truncated, or "
                          "need a library this Python lacks.") from None


def load(path: Any, *, sample: Any = None, trust_pickle: bool = False, feature_names: Sequence[str] | None = None,
         labels: Sequence[str] | None = None) -> SourceModel:
    """sample: the rows (a CSV file, an array or a DataFrame) the model's source needs."""
    from . import lightgbm, sklearn, xgboost

    path = as_path(path)
    assert path is not None
    obj = _skops(path, trust_pickle) if path.suffix.lower() == ".skops" else _pickle(path, trust_pickle)
    takers = (xgboost.SOURCE, lightgbm.SOURCE, sklearn.SOURCE)
    source = next((s for s in takers if s.accepts(obj)), None)
    if source is None:
        kind = f"a {type(obj).__module__}.{type(obj).__qualname__}"
        raise ExportError(f"{path} holds {kind}, not a table model clientside exports from a saved file (a "
                          "scikit-learn estimator or pipeline, an XGBoost or LightGBM model). Another model "
                          "object: load it in Python and give it to clientside.export.")
    return source.load(obj, sample=sample, feature_names=feature_names, labels=labels)


SOURCE = Source(name="saved", title="saved estimator", accepts=accepts, load=load, suffixes=SUFFIXES,
                what="a .skops, .joblib or .pkl file of an estimator (with --sample rows.csv)")
