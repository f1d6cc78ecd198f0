"""CatBoost models: a CatBoostClassifier or CatBoostRegressor, or a model file (.cbm, as
save_model writes it; it loads without running code). They go the scikit-learn way: CatBoost's
own ONNX export, registered with skl2onnx (boosted.py), one table input, NaN where the trees
take it; inside a scikit-learn Pipeline, the sklearn source takes it. CatBoost exports no
categorical or text features to ONNX: a model that has them is refused, saying what to do."""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ExportError
from . import samples, sklearn
from .base import Source, SourceModel, as_path

SUFFIXES = (".cbm",)


def _library() -> Any:
    try:
        import catboost
    except ImportError:
        raise ExportError("Reading a CatBoost model needs catboost: pip install 'clientside[catboost]'") from None
    return catboost


def accepts(obj: Any) -> bool:
    path = as_path(obj)
    if path is not None:
        return path.suffix.lower() in SUFFIXES
    return type(obj).__module__.startswith("catboost")


def as_estimator(model: Any) -> Any:
    """The classifier or regressor for a model or a .cbm file (its loss function picks it)."""
    catboost = _library()
    if isinstance(model, (catboost.CatBoostClassifier, catboost.CatBoostRegressor)):
        estimator = model
    else:
        path = as_path(model)
        plain = catboost.CatBoost()
        if path is not None:
            try:
                plain.load_model(str(path))
            except catboost.CatBoostError as exc:
                raise ExportError(f"{path} is not a CatBoost model that can be read: {str(exc).splitlines()[0]}. "
                                  "Save it again with model.save_model('model.cbm').") from None
        elif isinstance(model, catboost.CatBoost):
            plain = model
        else:
            raise ExportError(f"Expected a CatBoost model (CatBoostClassifier, CatBoostRegressor or a .cbm file). "
                              f"Received: {type(model).__qualname__}")
        loss = str(plain.get_all_params().get("loss_function", ""))
        classifying = loss in ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll")
        if not classifying and loss not in ("RMSE", "MAE", "Quantile", "MAPE", "Poisson", "Huber", "Lq", "Expectile",
                                            "Tweedie", "LogLinQuantile", "RMSEWithUncertainty", ""):
            raise ExportError(f"This CatBoost model's loss is {loss}: clientside exports classifiers and regressors; "
                              "a ranking model has no ONNX export.")
        estimator = (catboost.CatBoostClassifier if classifying else catboost.CatBoostRegressor)()
        with tempfile.TemporaryDirectory(prefix="clientside-catboost-") as tmp:  # the same trees, as an estimator
            plain.save_model(str(Path(tmp) / "model.cbm"))
            estimator.load_model(str(Path(tmp) / "model.cbm"))
    categorical = list(estimator.get_cat_feature_indices()) + list(getattr(estimator, "get_text_feature_indices",
                                                                           lambda: [])())
    if categorical:
        names = estimator.feature_names_ or []
        shown = ", ".join(names[i] if i < len(names) else str(i) for i in categorical[:5])
        raise ExportError(f"This CatBoost model has categorical or text features ({shown}): CatBoost's ONNX export "
                          "takes numbers only. Fit it on one-hot columns (a OneHotEncoder before it in a scikit-learn "
                          "Pipeline), or on numbers, and export that.")
    return estimator


def load(model: Any, *, sample: Any = None, feature_names: Sequence[str] | None = None,
         labels: Sequence[str] | None = None) -> SourceModel:
    """sample: rows (an array, a DataFrame, or a CSV file with a header), as for scikit-learn;
    a model fitted on named columns takes those columns of it."""
    catboost = _library()
    estimator = as_estimator(model)
    names = samples.fitted_columns(estimator) or list(estimator.feature_names_ or []) or None
    return sklearn.load_as(estimator, names, sample=sample, feature_names=feature_names, labels=labels,
                           source="catboost", title="CatBoost",
                           generated_by=f"catboost {catboost.__version__} (its ONNX export)",
                           description=f"A {type(estimator).__name__}, over {len(estimator.feature_names_ or [])} "
                                       "features.")




SOURCE = Source(name="catboost", title="CatBoost", accepts=accepts, load=load, suffixes=SUFFIXES,
                what="a CatBoost model (CatBoostClassifier, CatBoostRegressor, or a .cbm file; with sample=rows)")
