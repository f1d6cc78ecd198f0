"""LightGBM models: an LGBMClassifier or LGBMRegressor (the scikit-learn way, through
onnxmltools registered with skl2onnx: boosted.py), or a Booster or its model file (.txt, as
Booster.save_model writes it; it loads without running code), converted by onnxmltools
directly and checked against Booster.predict. One table input; NaN where LightGBM takes it.
Inside a scikit-learn Pipeline, the sklearn source takes it."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ExportError
from ..steps import table
from . import samples, sklearn
from .base import Source, SourceModel, as_path

SUFFIXES = (".txt",)


def _library() -> Any:
    try:
        import lightgbm
    except ImportError:
        raise ExportError("Reading a LightGBM model needs lightgbm: pip install lightgbm "
                          "'clientside[lightgbm]'") from None
    return lightgbm


def _is_model_file(path: Path) -> bool:
    if path.suffix.lower() != ".txt" or not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(5) == b"tree\n"  # LightGBM's text format starts so


def accepts(obj: Any) -> bool:
    path = as_path(obj)
    if path is not None:
        return _is_model_file(path)
    return type(obj).__module__.startswith("lightgbm.")


def _booster(model: Any) -> Any:
    lightgbm = _library()
    path = as_path(model)
    if path is None:
        if not isinstance(model, lightgbm.Booster):
            raise ExportError(f"Expected a LightGBM model (LGBMClassifier, LGBMRegressor, Booster or a .txt file). "
                              f"Received: {type(model).__qualname__}")
        return model
    # LightGBM aborts the process (a C++ terminate) on some truncated files: a file whose trees
    # do not end is refused before it is read
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 65536))
        tail = f.read()
    if b"end of trees" not in tail:
        raise ExportError(f"{path} is not a whole LightGBM model: its trees do not end ('end of trees' is missing), "
                          "so it was cut short. Save it again with booster.save_model('model.txt').")
    try:
        booster = lightgbm.Booster(model_file=str(path))
        booster.dump_model(num_iteration=1)  # a truncated file may load and fail only here
    except Exception as exc:  # noqa: BLE001 - LightGBMError, or a C++ error as a plain Exception
        raise ExportError(f"{path} is not a LightGBM model that can be read: {str(exc).splitlines()[0]}. "
                          "Save it again with booster.save_model('model.txt').") from None
    return booster


def load(model: Any, *, sample: Any = None, feature_names: Sequence[str] | None = None,
         labels: Sequence[str] | None = None) -> SourceModel:
    """sample: rows (an array, a DataFrame, or a CSV file with a header), as for scikit-learn;
    the model's own feature names pick the columns of it."""
    lightgbm = _library()
    made_by = f"lightgbm {lightgbm.__version__} (onnxmltools)"
    if isinstance(model, lightgbm.LGBMModel):
        return sklearn.load_as(model, samples.fitted_columns(model), sample=sample, feature_names=feature_names,
                               labels=labels, source="lightgbm", title="LightGBM", generated_by=made_by,
                               description=f"A LightGBM {type(model).__name__}, over {model.n_features_in_} features.")
    booster = _booster(model)
    return _from_booster(booster, sample, feature_names, labels, made_by)


def _from_booster(booster: Any, sample: Any, feature_names: Sequence[str] | None,
                  labels: Sequence[str] | None, made_by: str) -> SourceModel:
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import DoubleTensorType

    from . import boosted

    names = list(feature_names or booster.feature_name())
    sample = samples.read(sample, names if not all(n.startswith("Column_") for n in names) else None)
    x = np.asarray(sample, dtype=np.float64)  # LightGBM compares in double, and so does the graph
    if x.ndim != 2 or x.shape[1] != booster.num_feature():
        raise ExportError(f"This LightGBM model takes {booster.num_feature()} features; the sample has "
                          f"{x.shape[-1] if x.ndim else 0} columns. Give rows of its features alone.")
    if hasattr(sample, "columns"):
        names = [str(c) for c in sample.columns]
    dumped = booster.dump_model(num_iteration=1)
    objective = str(dumped.get("objective", "")).split(" ")[0]
    classes = int(dumped.get("num_class", 1))
    classifier = objective in ("binary", "multiclass", "multiclassova", "cross_entropy")
    if not classifier and objective not in ("regression", "regression_l1", "huber", "fair", "poisson", "quantile",
                                            "mape", "gamma", "tweedie"):
        raise ExportError(f"This LightGBM model's objective is {objective or 'unknown'}: clientside exports "
                          "classifiers and regressors; a ranking model has no exact converter.")
    boosted.register(booster)  # its converters, in double (boosted.py)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = convert_lightgbm(booster, initial_types=[("features", DoubleTensorType([None, len(names)]))],
                                     zipmap=False, target_opset=15)  # the newest onnxmltools writes
        boosted.ml_opset_for_double(model)
    except Exception as exc:  # noqa: BLE001 - onnxmltools raises many types
        raise ExportError(f"onnxmltools cannot convert this LightGBM model: {type(exc).__name__}: {exc}") from None
    wanted = "probabilities" if classifier else model.graph.output[0].name
    for o in [o for o in model.graph.output if o.name != wanted]:
        model.graph.output.remove(o)
    width = max(classes, 2) if classifier else 1

    def predicted(rows: Any) -> np.ndarray:
        p = np.asarray(booster.predict(rows), np.float64).reshape(len(rows), -1)
        return np.hstack([1 - p, p]) if classifier and p.shape[1] == 1 else p

    if classifier:
        out = {"name": wanted, "kind": "classes", "scores": "probabilities",
               "labels": list(labels) if labels else [str(i) for i in range(width)]}
    else:
        out = {"name": wanted, "kind": "values"}
    steps: list[dict[str, Any]] = [{"op": "pass", "feature": n} for n in names]
    given = np.asarray(sample, dtype=np.float64)
    fields = table.fields_from_sample([(n, list(given[:, i])) for i, n in enumerate(names)])
    rows = sample if hasattr(sample, "columns") else x
    return sklearn.finish(model, steps, rows, x, fields, predicted, out, source="lightgbm", title="LightGBM",
                          native=booster, generated_by=made_by,
                          description=f"A LightGBM {'classifier' if classifier else 'regressor'} "
                                      f"({booster.num_trees()} trees), over {len(names)} features.")


SOURCE = Source(name="lightgbm", title="LightGBM", accepts=accepts, load=load, suffixes=SUFFIXES,
                what="a LightGBM model (LGBMClassifier, LGBMRegressor, Booster, or a .txt file; with sample=rows)")
