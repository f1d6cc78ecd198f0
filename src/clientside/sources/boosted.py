"""Gradient-boosted trees inside scikit-learn's converter: onnxmltools' XGBoost and LightGBM
converters, and CatBoost's own ONNX export, registered with skl2onnx, so that an
XGBClassifier, an LGBMRegressor or a CatBoostClassifier converts alone or as the last step of
a Pipeline, like any scikit-learn estimator. Registered once, for whichever libraries are
installed."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

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
    _register_catboost(update_registered_converter, calculate_linear_classifier_output_shapes,
                       calculate_linear_regressor_output_shapes, classifier_options)
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
        if library == "lightgbm":
            convert = in_double(convert)
            _lightgbm_booster_in_double()
        for alias, cls in classes.items():
            classifier = "Classifier" in alias
            shapes = (calculate_linear_classifier_output_shapes if classifier
                      else calculate_linear_regressor_output_shapes)
            update_registered_converter(
                cls, alias, shapes_in_double(shapes) if library == "lightgbm" else shapes,
                convert, options=classifier_options if classifier else ({"split": None} if library == "lightgbm"
                                                                        else None))
        _done.add(library)


# ---- LightGBM in double ----
# LightGBM compares each feature with its split thresholds in double; onnxmltools writes the
# thresholds as float32 (`nodes_values`), so a value within float32's rounding of a threshold
# takes the other branch. Given a double input, the converters below write the thresholds
# exactly (`nodes_values_as_tensor`, ai.onnx.ml opset 3) and the tree ensemble compares in
# double, as LightGBM does; its scores stay float32, which LightGBM's own sums meet within
# 1e-7 of their scale. A scaler or an imputer before it then runs in double too (skl2onnx
# converts them in the input's type), as scikit-learn runs them.

def _is_double(variable_type: Any) -> bool:
    return type(variable_type).__name__ == "DoubleTensorType"


def in_double(convert: Callable[..., None]) -> Callable[..., None]:
    """The LightGBM converter, writing its thresholds in double when its input is double."""
    def converter(scope: Any, operator: Any, container: Any) -> None:
        if not _is_double(operator.inputs[0].type):
            return convert(scope, operator, container)
        from onnx import numpy_helper

        add_node = container.add_node

        def add_exact(op_type: str, *args: Any, **attrs: Any) -> Any:
            if op_type.startswith("TreeEnsemble") and "nodes_values" in attrs:
                values = np.asarray(attrs.pop("nodes_values"), np.float64)  # the thresholds as LightGBM wrote them
                attrs["nodes_values_as_tensor"] = numpy_helper.from_array(values, "nodes_values_as_tensor")
            return add_node(op_type, *args, **attrs)

        container.add_node = add_exact
        try:
            convert(scope, operator, container)
        finally:
            del container.add_node  # the container's own method again
    return converter


def shapes_in_double(calculate: Callable[[Any], None]) -> Callable[[Any], None]:
    """The shape calculator, told a double input is float (the calculators take float only):
    the ensemble's scores are float32 either way."""
    def calculator(operator: Any) -> None:
        given = operator.inputs[0].type
        if not _is_double(given):
            return calculate(operator)
        float_type = sys.modules[type(given).__module__].FloatTensorType  # of the same library as given
        operator.inputs[0].type = float_type(given.shape)
        try:
            calculate(operator)
        finally:
            operator.inputs[0].type = given
    return calculator


def ml_opset_for_double(model: Any) -> None:
    """The model's ai.onnx.ml opset raised to 3, the first whose tree ensembles take double
    thresholds (onnxmltools writes 1 for a target opset of 15)."""
    for opset in model.opset_import:
        if opset.domain == "ai.onnx.ml" and opset.version < 3:
            opset.version = 3


def _lightgbm_booster_in_double() -> None:
    """The same for onnxmltools' own converters, which convert a LightGBM Booster."""
    from onnxmltools.convert.common import _registration

    for name in ("LgbmClassifier", "LgbmRegressor"):
        _registration._converter_pool[name] = in_double(_registration._converter_pool[name])
        _registration._shape_calculator_pool[name] = shapes_in_double(_registration._shape_calculator_pool[name])


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


def _register_catboost(update: Any, classifier_shapes: Any, regressor_shapes: Any, options: dict[str, Any]) -> None:
    """CatBoost writes its own ONNX (one TreeEnsemble node, and a ZipMap for a classifier):
    its TreeEnsemble node goes into skl2onnx's graph as it is (the recipe skl2onnx documents
    for CatBoost), fed the operator's input, giving its label and probabilities tensors."""
    if "catboost" in _done:
        return
    try:
        import catboost
    except ImportError:
        return
    from catboost.utils import convert_to_onnx_object
    from onnx.helper import get_attribute_value

    def convert(scope: Any, operator: Any, container: Any) -> None:
        onx = convert_to_onnx_object(operator.raw_operator)
        ops = [n.op_type for n in onx.graph.node]
        if not ops or not ops[0].startswith("TreeEnsemble") or ops[1:] not in ([], ["ZipMap"]) or onx.graph.initializer:
            raise ExportError(f"CatBoost's ONNX export gave {', '.join(ops)}: clientside takes one tree ensemble "
                              "(with a ZipMap for a classifier).")
        node = onx.graph.node[0]
        versions = {d.domain: d.version for d in onx.opset_import}
        attributes = {a.name: get_attribute_value(a) for a in node.attribute}
        container.add_node(node.op_type, [operator.inputs[0].full_name],
                           [o.full_name for o in operator.outputs][:len(node.output)],
                           op_domain=node.domain, op_version=versions.get(node.domain), **attributes)

    def parse(scope: Any, model: Any, inputs: Any, custom_parsers: Any = None) -> Any:
        """A classifier's label and probabilities (skl2onnx cannot tell a CatBoostClassifier
        is a classifier: it carries no scikit-learn tags)."""
        from skl2onnx._parse import _apply_zipmap, _get_sklearn_operator_name
        from skl2onnx.common.data_types import Int64TensorType, guess_tensor_type

        zipmap = scope.get_options(model, {"zipmap": True})["zipmap"]
        operator = scope.declare_local_operator(_get_sklearn_operator_name(type(model)), model)
        operator.inputs = inputs
        operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
        operator.outputs.append(scope.declare_local_variable("probabilities", guess_tensor_type(inputs[0].type)))
        if zipmap is False:
            return operator.outputs
        return _apply_zipmap(zipmap, scope, model, inputs[0].type, operator.outputs)

    update(catboost.CatBoostClassifier, "CatBoostCatBoostClassifier", classifier_shapes, convert, parser=parse,
           options=options)
    update(catboost.CatBoostRegressor, "CatBoostCatBoostRegressor", regressor_shapes, convert)
    _done.add("catboost")
