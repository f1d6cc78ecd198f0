"""Gradient-boosted trees inside scikit-learn's converter: onnxmltools' XGBoost and LightGBM
converters, registered with skl2onnx, so that an XGBClassifier or an LGBMRegressor converts
alone or as the last step of a Pipeline, like any scikit-learn estimator. Registered once,
for whichever of the two libraries is installed."""
from __future__ import annotations

from typing import Any

from ..errors import ExportError

_done: set[str] = set()


def _onnxmltools() -> Any:
    try:
        import onnxmltools
    except ImportError:
        raise ExportError("Converting XGBoost and LightGBM models needs onnxmltools: "
                          "pip install 'clientside[xgboost]' or 'clientside[lightgbm]'") from None
    return onnxmltools


def register(estimator: Any = None) -> None:
    """Register the converters of the installed libraries (an error naming the extra when the
    estimator is one of theirs and onnxmltools is missing)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    classifier_options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    for library in ("xgboost", "lightgbm"):
        if library in _done:
            continue
        try:
            module = __import__(library)
        except ImportError:
            continue
        try:
            _onnxmltools()
        except ExportError:
            if estimator is not None and type(estimator).__module__.startswith(library):
                raise
            continue
        if library == "xgboost":
            from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost as convert
            classes = {"XGBoostXGBClassifier": module.XGBClassifier, "XGBoostXGBRegressor": module.XGBRegressor}
        else:
            from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm as convert
            classes = {"LightGbmLGBMClassifier": module.LGBMClassifier, "LightGbmLGBMRegressor": module.LGBMRegressor}
        for alias, cls in classes.items():
            classifier = "Classifier" in alias
            update_registered_converter(
                cls, alias,
                calculate_linear_classifier_output_shapes if classifier else calculate_linear_regressor_output_shapes,
                convert, options=classifier_options if classifier else ({"split": None} if library == "lightgbm"
                                                                        else None))
        _done.add(library)


def for_conversion(estimator: Any) -> Any:
    """The estimator as onnxmltools can convert it: an XGBoost model fitted on named columns
    is given as a copy without the names (its converter reads only f0, f1... names; the trees
    refer to features by position either way). A Pipeline's last step likewise."""
    steps = getattr(estimator, "steps", None)
    if steps:
        last = for_conversion(steps[-1][1])
        if last is steps[-1][1]:
            return estimator
        from sklearn.pipeline import Pipeline

        return Pipeline([*steps[:-1], (steps[-1][0], last)])
    if not type(estimator).__module__.startswith("xgboost.") or not hasattr(estimator, "get_booster"):
        return estimator
    booster = estimator.get_booster()
    if not booster.feature_names:
        return estimator
    copy = type(estimator)(**estimator.get_params())
    copy.load_model(bytearray(booster.save_raw("json")))
    copy.get_booster().feature_names = None
    copy.get_booster().feature_types = None
    return copy
