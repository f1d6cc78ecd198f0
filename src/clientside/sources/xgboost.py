"""XGBoost models: an XGBClassifier or XGBRegressor, a Booster, or a model file (.json or
.ubj, as Booster.save_model writes it; these load without running code). A Booster becomes
the estimator its objective says (binary: and multi: classify, the rest regress), and goes the
scikit-learn way: onnxmltools' converter registered with skl2onnx (boosted.py), one table
input, NaN where XGBoost takes it (every feature: its trees send a missing value down a
default branch). Inside a scikit-learn Pipeline, the sklearn source takes it."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ExportError
from . import samples, sklearn
from .base import Source, SourceModel, as_path

SUFFIXES = (".ubj", ".json")
CLASSIFYING = ("binary:", "multi:")


def _library() -> Any:
    try:
        import xgboost
    except ImportError:
        raise ExportError("Reading an XGBoost model needs xgboost: pip install xgboost "
                          "'clientside[xgboost]'") from None
    return xgboost


def _is_model_file(path: Path) -> bool:
    if path.suffix.lower() == ".ubj":
        return True
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with open(path, "rb") as f:
        head = f.read(4096)
    return b'"learner"' in head  # an XGBoost model's JSON, not a tokenizer.json or a contract


def accepts(obj: Any) -> bool:
    path = as_path(obj)
    if path is not None:
        return _is_model_file(path)
    return type(obj).__module__.startswith("xgboost.")


def as_estimator(model: Any) -> Any:
    """The scikit-learn estimator for a Booster or a model file (the objective picks it)."""
    xgboost = _library()
    if isinstance(model, xgboost.XGBModel):
        return model
    path = as_path(model)
    if path is not None:
        booster = xgboost.Booster()
        try:
            booster.load_model(str(path))
        except xgboost.core.XGBoostError as exc:
            raise ExportError(f"{path} is not an XGBoost model that can be read: {str(exc).splitlines()[0]}. "
                              "Save it again with booster.save_model('model.json').") from None
    elif isinstance(model, xgboost.Booster):
        booster = model
    else:
        raise ExportError(f"Expected an XGBoost model (XGBClassifier, XGBRegressor, Booster or a .json/.ubj file). "
                          f"Received: {type(model).__qualname__}")
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    if not objective.startswith(CLASSIFYING) and not objective.startswith("reg:"):
        raise ExportError(f"This XGBoost model's objective is {objective}: clientside exports classifiers "
                          "(binary:, multi:) and regressors (reg:); a ranking or survival model has no converter "
                          "to ONNX (onnxmltools).")
    estimator = xgboost.XGBClassifier() if objective.startswith(CLASSIFYING) else xgboost.XGBRegressor()
    estimator.load_model(bytearray(booster.save_raw("json")))
    return estimator


def load(model: Any, *, sample: Any = None, feature_names: Sequence[str] | None = None,
         labels: Sequence[str] | None = None) -> SourceModel:
    """sample: rows (an array, a DataFrame, or a CSV file with a header), as for scikit-learn;
    a model fitted with column names takes those columns of it."""
    xgboost = _library()
    estimator = as_estimator(model)
    names = samples.fitted_columns(estimator) or estimator.get_booster().feature_names
    return sklearn.load_as(estimator, names, sample=sample, feature_names=feature_names, labels=labels,
                           source="xgboost", title="XGBoost",
                           generated_by=f"xgboost {xgboost.__version__} (onnxmltools)",
                           description=f"An XGBoost {type(estimator).__name__}, over {estimator.n_features_in_} "
                                       "features.")


SOURCE = Source(name="xgboost", title="XGBoost", accepts=accepts, load=load, suffixes=SUFFIXES,
                what="an XGBoost model (XGBClassifier, XGBRegressor, Booster, or a .json/.ubj file; with sample=rows)")
