"""scikit-learn estimators and pipelines, through skl2onnx. The whole pipeline (scalers,
encoders, the model) runs inside the graph; the page's input is the table kind, one field
per feature. ZipMap is off (the browser runtime reads tensors only), and a classifier gives
its class probabilities, named by its classes_; its duplicate `label` output is dropped."""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..contract import IO
from ..errors import ExportError
from ..runtimes.onnx.graph import onnx_module, prepend
from ..steps import table
from . import missing, samples
from .base import Say, Source, SourceModel


def accepts(obj: Any) -> bool:
    return type(obj).__module__.startswith("sklearn.")


def load(estimator: Any, *, sample: Any = None, feature_names: Sequence[str] | None = None,
         labels: Sequence[str] | None = None, categories: dict[str, Sequence[str]] | None = None) -> SourceModel:
    """sample: rows as a 2-D array of numbers, a pandas DataFrame or a CSV file, whose text columns
    (categories) are fields with a choice of values: the fitted OneHotEncoder's categories,
    else `categories[column]`, else the values in the sample. The page sends them one-hot,
    and a front added to the graph turns them back into the strings the pipeline reads."""
    try:
        import skl2onnx  # noqa: F401
        import sklearn
    except ImportError:
        raise ExportError("Exporting scikit-learn needs skl2onnx: pip install 'clientside[sklearn]'") from None
    _refuse_raw_text(estimator)
    sample = samples.read(sample, samples.fitted_columns(estimator))
    frame = hasattr(sample, "columns") and hasattr(sample, "dtypes")
    double = compares_in_double(estimator)
    numbers: Any = np.float64 if double else np.float32  # what the page sends
    if frame:
        columns = _frame_columns(estimator, sample, categories or {})
        example = None
    else:
        x = np.asarray(sample, dtype=numbers)
        if x.ndim != 2:
            raise ExportError(f"Expected sample rows as a 2-D array [rows, features]. Received shape {x.shape}")
        names: Any = feature_names if feature_names is not None else getattr(estimator, "feature_names_in_", None)
        names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(x.shape[1])]
        if len(names) != x.shape[1]:
            raise ExportError(f"{len(names)} feature names for {x.shape[1]} columns")
        example = x[:1]
    numbers_only = frame and not any(c.categories for c in columns)
    try:
        model = _convert(estimator, example, _initial_types(columns, double) if frame else None)
    except Exception as exc:  # noqa: BLE001 - skl2onnx raises many types
        if not numbers_only:
            raise ExportError(f"skl2onnx cannot convert this estimator: {type(exc).__name__}: {exc}") from None
        # a bare estimator (HistGradientBoosting, XGBoost) takes the columns as one input
        try:
            model = _convert(estimator, sample.to_numpy(numbers)[:1], None)
        except Exception as exc:  # noqa: BLE001
            raise ExportError(f"skl2onnx cannot convert this estimator: {type(exc).__name__}: {exc}") from None
        frame = False
        names, x = [c.name for c in columns], sample.to_numpy(numbers)
    if frame:
        model = table_front(model, columns)
        steps: list[dict[str, Any]] = [
            {"op": "one_hot", "feature": c.name, "categories": list(c.categories)} if c.categories
            else {"op": "pass", "feature": c.name} for c in columns]
        x = _encode_frame(sample, [{**s, "missing": True} if s["op"] == "pass" else s for s in steps],
                          numbers)  # NaN stays
        rows = sample
        fields = table.fields_from_sample([(c.name, sample[c.name].tolist()) for c in columns])
    else:
        steps = [{"op": "pass", "feature": n} for n in names]
        rows = sample if numbers_only else x  # a DataFrame stays one: the estimator knows its column names
        given = np.asarray(sample, dtype=np.float64)  # the sample as written, not float32's 14.229999
        fields = table.fields_from_sample([(n, list(given[:, i])) for i, n in enumerate(names)])
    outputs = [o.name for o in model.graph.output]
    if "probabilities" in outputs and hasattr(estimator, "predict_proba"):
        for o in [o for o in model.graph.output if o.name != "probabilities"]:
            model.graph.output.remove(o)
        classes = [str(c) for c in getattr(estimator, "classes_", [])]
        out = {"name": "probabilities", "kind": "classes", "scores": "probabilities",
               "labels": list(labels) if labels else classes}

        def predicted(rows: Any) -> np.ndarray:
            return np.asarray(estimator.predict_proba(rows))
    else:
        out = {"name": outputs[0], "kind": "values"}

        def predicted(rows: Any) -> np.ndarray:
            return np.asarray(estimator.predict(rows)).reshape(len(rows), -1)

    return finish(model, steps, rows, x, fields, predicted, out, source="sklearn", title="scikit-learn",
                  native=estimator, description=describe(estimator, len(steps)),
                  generated_by=f"scikit-learn {sklearn.__version__} (skl2onnx)")


def load_as(estimator: Any, columns: Sequence[str] | None, *, sample: Any, feature_names: Sequence[str] | None,
            labels: Sequence[str] | None, source: str, title: str, generated_by: str,
            description: str) -> SourceModel:
    """Another library's scikit-learn-style estimator (XGBoost, LightGBM, CatBoost) through
    this source, its sample read by the columns it was fitted on, told as that library's."""
    found = load(estimator, sample=samples.read(sample, columns), feature_names=feature_names, labels=labels)
    return dataclasses.replace(found, source=source, title=title, generated_by=generated_by,
                               about={"description": description})


def finish(model: Any, steps: list[dict[str, Any]], rows: Any, x: np.ndarray, fields: list[dict[str, Any]],
           predicted: Any, out: dict[str, Any], *, source: str, title: str, native: Any, description: str,
           generated_by: str) -> SourceModel:
    """The SourceModel of a table model's graph (one float input [rows, width] that the steps
    make): the features that take missing values found (missing.py), and the estimator's
    answers on the sample, with those columns' empty cells, as the reference."""
    taken = missing.taken(model, steps, rows, x, predicted)
    if taken.columns:
        steps = [{**s, "missing": True} if s.get("feature") in taken.columns else s for s in steps]
        rows, x = taken.rows, taken.x  # the export is checked on rows with the empty cells too

    def reference(feeds: Any) -> list[np.ndarray]:
        return [predicted(rows)]

    known = IO([{"name": model.graph.input[0].name, "kind": "table", "steps": steps, "features": fields}], [out])

    def graph(say: Say) -> Any:
        return model

    # the reference is the estimator on the sample's own rows: it is compared on them alone
    return SourceModel(source=source, title=title, graphs={"onnx": graph}, reference=reference,
                       io=known, examples=[x], examples_are="the sample", native=native,
                       about={"description": description}, generated_by=generated_by,
                       reference_on_examples_only=True)


def _convert(estimator: Any, example: Any, initial_types: Any) -> Any:
    from skl2onnx import to_onnx

    from . import boosted

    boosted.register(estimator)  # XGBoost and LightGBM estimators, alone or inside a pipeline
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zipmap_off = {"zipmap": False} if hasattr(estimator, "predict_proba") else None
        model = to_onnx(boosted.for_conversion(estimator), None if initial_types else example, options=zipmap_off,
                        initial_types=initial_types, target_opset={"": 21, "ai.onnx.ml": 3})
    if compares_in_double(estimator):
        # skl2onnx types a classifier's outputs after its input; a tree ensemble's scores are float
        for output in model.graph.output:
            if output.type.tensor_type.elem_type == onnx_module().TensorProto.DOUBLE:
                output.type.tensor_type.elem_type = onnx_module().TensorProto.FLOAT
        _ml_ops_in_double(model)
    return model


def _ml_ops_in_double(model: Any) -> None:
    """Two ai.onnx.ml operators lose double in ONNX Runtime, so in a graph that runs in double
    each becomes what it computes in standard operators: a FeatureVectorizer (its output is
    always float) a Concat of its columns; an Imputer (no double kernel) Where(IsNaN(x), its
    values, x), or Equal(x, v) where it replaces a number v."""
    from onnx import helper, numpy_helper

    nodes, inits = [], []
    for node in model.graph.node:
        if node.op_type == "FeatureVectorizer" and node.domain == "ai.onnx.ml":
            nodes.append(helper.make_node("Concat", list(node.input), list(node.output), axis=1))
            continue
        if node.op_type != "Imputer" or node.domain != "ai.onnx.ml":
            nodes.append(node)
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        values = np.asarray(attributes.get("imputed_value_floats", []), np.float64)
        if not values.size:
            raise ExportError(f"The pipeline's imputer ({node.name}) fills integers: clientside runs a LightGBM "
                              "pipeline in double, and this imputer has no double form. Impute with floats.")
        replaced = float(attributes.get("replaced_value_float", 0.0))
        p = f"clientside_{node.name or node.output[0]}"
        inits.append(numpy_helper.from_array(values, f"{p}_values"))
        if np.isnan(replaced):
            nodes.append(helper.make_node("IsNaN", [node.input[0]], [f"{p}_missing"]))
        else:
            inits.append(numpy_helper.from_array(np.asarray(replaced, np.float64), f"{p}_replaced"))
            nodes.append(helper.make_node("Equal", [node.input[0], f"{p}_replaced"], [f"{p}_missing"]))
        nodes.append(helper.make_node("Where", [f"{p}_missing", f"{p}_values", node.input[0]], [node.output[0]]))
    if len(nodes) != len(model.graph.node) or inits:
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        model.graph.initializer.extend(inits)


def describe(estimator: Any, features: int) -> str:
    """The card's description: "A scikit-learn pipeline: StandardScaler → LogisticRegression, over 13 features"."""
    steps = getattr(estimator, "steps", None)
    if steps:
        chain = " → ".join(type(step).__name__ for _, step in steps if step not in (None, "passthrough"))
        return f"A scikit-learn pipeline: {chain}, over {features} features."
    return f"A scikit-learn {type(estimator).__name__}, over {features} features."


class Column(NamedTuple):
    """One column of a DataFrame as the page sends it: a number, or one of its categories."""

    name: str
    categories: list[str] | None


def compares_in_double(estimator: Any) -> bool:
    """Whether the graph takes double: the model (a Pipeline's last step) is LightGBM's,
    which compares in double (boosted.py); every other model here compares in float32."""
    steps = getattr(estimator, "steps", None)
    last = steps[-1][1] if steps else estimator
    return type(last).__module__.startswith("lightgbm.")


def _initial_types(columns: Sequence[Column], double: bool = False) -> list[tuple[str, Any]]:
    """Numbers as float32, or double for a model that compares in double (what the page sends;
    skl2onnx mixes up int64 and double columns that one transformer shares), categories as
    strings."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    number = DoubleTensorType if double else FloatTensorType
    return [(c.name, StringTensorType([None, 1]) if c.categories else number([None, 1])) for c in columns]


#: scikit-learn's vectorizers of raw text.
TEXT_VECTORIZERS = ("CountVectorizer", "TfidfVectorizer", "HashingVectorizer")


def _refuse_raw_text(estimator: Any) -> None:
    """A pipeline that reads raw text is refused, with the reason: ONNX Runtime Web takes string
    tensors, but skl2onnx's tokenizer is not scikit-learn's (tests/sources/test_sklearn.py
    measures it), so the page would score text differently from predict_proba."""
    found: list[str] = []

    def visit(est: Any) -> None:
        if type(est).__name__ in TEXT_VECTORIZERS:
            found.append(type(est).__name__)
        for _, step in getattr(est, "steps", []):
            visit(step)
        for _, transformer, _cols in getattr(est, "transformers_", getattr(est, "transformers", [])):
            visit(transformer)
        for _, part in getattr(est, "transformer_list", []):
            visit(part)

    visit(estimator)
    if found:
        raise ExportError(
            f"This pipeline reads raw text ({found[0]}), which clientside does not export: skl2onnx turns the "
            "vectorizer's token pattern into an ASCII-only one ([a-zA-Z0-9_]+) and lower-cases by the system's "
            "locale, so a word with an accent or a non-Latin letter is split differently from scikit-learn, and "
            "the page would score it differently from predict_proba. ONNX Runtime Web can take the text; the "
            "tokenizer is what is not exact. A Keras model with TextVectorization, or a Hugging Face model with its "
            "tokenizer.json, runs text in the page exactly.")


def _frame_columns(estimator: Any, frame: Any, given: dict[str, Sequence[str]]) -> list[Column]:
    fitted = _fitted_categories(estimator)
    columns = []
    for name, dtype in zip(frame.columns, frame.dtypes):
        name = str(name)
        if dtype.kind in "fiu":
            columns.append(Column(name, None))
        elif dtype.kind in "OSU" or str(dtype) in ("category", "string"):
            values = given.get(name) or fitted.get(name) or sorted({str(v) for v in frame[name]})
            columns.append(Column(name, [str(v) for v in values]))
        else:
            raise ExportError(f"column {name!r} is {dtype}: the page can send numbers and text categories")
    return columns


def _fitted_categories(estimator: Any) -> dict[str, list[str]]:
    """column -> categories, from every fitted OneHotEncoder a ColumnTransformer applies to
    named columns (anywhere in the pipeline)."""
    found: dict[str, list[str]] = {}

    def visit(est: Any) -> None:
        for _, step in getattr(est, "steps", []):
            visit(step)
        for _, transformer, cols in getattr(est, "transformers_", []):
            inner = transformer.steps[-1][1] if hasattr(transformer, "steps") else transformer
            if type(inner).__name__ == "OneHotEncoder" and hasattr(inner, "categories_") and \
                    all(isinstance(c, str) for c in np.atleast_1d(cols)):
                for col, cats in zip(np.atleast_1d(cols), inner.categories_):
                    found[str(col)] = [str(c) for c in cats]
            visit(transformer)

    visit(estimator)
    return found


def _encode_frame(frame: Any, steps: Sequence[dict], dtype: Any = np.float32) -> np.ndarray:
    """The sample as the page sends it (the table steps, as in the browser)."""
    rows = [{k: (str(v) if isinstance(v, str) else float(v)) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]
    try:
        return np.asarray([table.encode(row, steps) for row in rows], dtype)
    except Exception as exc:  # noqa: BLE001 - an InputError naming the column
        raise ExportError(f"the sample cannot be sent as the page sends it: {exc}") from None


def table_front(model: Any, columns: Sequence[Column], name: str = "features") -> Any:
    """The graph with one float input [rows, width] (what the table steps make) in front of
    its per-column inputs: a number's column sliced and cast; a category's one-hot columns
    turned back into its string (ArgMax, then Gather from the categories)."""
    onnx = onnx_module()
    from onnx import helper

    graph = model.graph
    # skl2onnx names its inputs after the columns but makes them C identifiers
    # ("od280/od315" -> "od280_od315", "2nd" -> "_2nd", clashes numbered): they are matched
    # by position, in the order of initial_types, and the page keeps the user's names
    given = list(graph.input)
    if len(given) != len(columns):
        raise ExportError(f"skl2onnx made {len(given)} inputs ({', '.join(v.name for v in given)}) for the "
                          f"sample's {len(columns)} columns ({', '.join(c.name for c in columns)})")
    nodes, inits, start = [], [], 0
    for i, (c, graph_input) in enumerate(zip(columns, given)):
        width = len(c.categories) if c.categories else 1
        p = f"clientside_front_{i}"
        inits += [helper.make_tensor(f"{p}_start", onnx.TensorProto.INT64, [1], [start]),
                  helper.make_tensor(f"{p}_end", onnx.TensorProto.INT64, [1], [start + width]),
                  helper.make_tensor(f"{p}_axis", onnx.TensorProto.INT64, [1], [1])]
        nodes.append(helper.make_node("Slice", [name, f"{p}_start", f"{p}_end", f"{p}_axis"], [f"{p}_cols"]))
        if c.categories:
            inits.append(helper.make_tensor(f"{p}_categories", onnx.TensorProto.STRING, [width],
                                            [v.encode() for v in c.categories]))  # type: ignore[misc]
            nodes += [helper.make_node("ArgMax", [f"{p}_cols"], [f"{p}_index"], axis=1, keepdims=1),
                      helper.make_node("Gather", [f"{p}_categories", f"{p}_index"], [graph_input.name], axis=0)]
        else:
            to = graph_input.type.tensor_type.elem_type  # as skl2onnx typed it
            nodes.append(helper.make_node("Cast", [f"{p}_cols"], [graph_input.name], to=to))
        start += width
    numbers = {v.type.tensor_type.elem_type for v in given} - {onnx.TensorProto.STRING}
    double = numbers == {onnx.TensorProto.DOUBLE}  # a model that compares in double: the page sends doubles
    features = helper.make_tensor_value_info(name, onnx.TensorProto.DOUBLE if double else onnx.TensorProto.FLOAT,
                                             [None, start])
    del graph.input[:]
    graph.input.append(features)
    prepend(graph, nodes, inits)
    return model


SOURCE = Source(name="sklearn", title="scikit-learn",
                what="a fitted scikit-learn estimator or pipeline (with sample=rows)", accepts=accepts, load=load)
