"""Export for ONNX Runtime Web: a .onnx file made by any tool, a PyTorch module (through
torch.onnx's dynamo exporter) or a scikit-learn estimator (skl2onnx), exactly or not at all.

Before anything is written: what the browser runtime cannot run is refused, naming the
input, output or node (a sequence or map output, an opset newer than the runtime, external
data, a file over the browser's buffer limit), and Python's onnxruntime (the same kernels as
the browser's wasm) must reproduce the source framework within the tolerance.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ... import __version__, contract
from ...bundle import BUNDLE_JSON, HASH_CHARS
from ...errors import ExportError
from ..tfjs.verify import DEFAULT_TOLERANCE

#: onnxruntime-web 1.30.0 loads models of opset 21 to 25 (measured under Node).
MAX_OPSET = 25
#: Chrome caps an ArrayBuffer near 2 GB; the model file is one buffer.
MAX_BYTES = 2**31 - 1
#: ONNX element types the page can feed and read.
ELEMENT_TYPES = {1: "float32", 6: "int32", 7: "int64", 10: "float16", 11: "float64", 9: "bool"}
FEEDABLE = {"float32", "int32", "int64"}

Feeds = list[np.ndarray]
log = logging.getLogger("clientside.export")


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ExportError("Exporting to ONNX needs the onnx package: pip install 'clientside[onnx]'") from None
    return onnx


def load(source: Any) -> Any:
    """An onnx.ModelProto from a path, bytes, or a ModelProto; external data is refused."""
    onnx = _onnx()
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix != ".onnx" or not path.is_file():
            raise ExportError(f"Expected an .onnx file. Received: {path}")
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as exc:  # noqa: BLE001 - protobuf raises several types
            raise ExportError(f"{path} is not an ONNX model that can be read: {exc}") from None
    elif isinstance(source, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(source))
    else:
        model = source
    return model


def problems(model: Any) -> list[str]:
    """What onnxruntime-web cannot run, each naming what and why."""
    onnx = _onnx()
    found = []
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version > MAX_OPSET:
            found.append(f"opset {opset.version} is newer than onnxruntime-web supports ({MAX_OPSET}): "
                         f"export with opset_version={MAX_OPSET} or lower")
    external = [t.name for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        found.append(f"weights stored as external data ({', '.join(external[:3])}…): the page loads one "
                     "file; save the model with all its tensors inside (onnx.save(..., save_as_external_data=False))")
    size = model.ByteSize()
    if size > MAX_BYTES:
        found.append(f"the model is {size / 1e9:.1f} GB; browsers cap one buffer near 2 GB")
    for kind, values in (("input", _real_inputs(model)), ("output", model.graph.output)):
        for v in values:
            which = v.type.WhichOneof("value")
            if which != "tensor_type":
                what = {"sequence_type": "a sequence", "map_type": "a map", "optional_type": "an optional"}.get(which, which)
                hint = " (scikit-learn's ZipMap: convert with options={'zipmap': False})" if which == "sequence_type" else ""
                found.append(f"{kind} {v.name!r} is {what}; onnxruntime-web only takes and gives tensors{hint}")
                continue
            dtype = ELEMENT_TYPES.get(v.type.tensor_type.elem_type)
            if dtype is None or (kind == "input" and dtype not in FEEDABLE):
                name = onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()
                found.append(f"{kind} {v.name!r} is a {name} tensor; the page feeds float32, int32 or int64")
    return found


def _real_inputs(model: Any) -> list[Any]:
    """Graph inputs that are not initializers (old exporters list weights as inputs)."""
    weights = {t.name for t in model.graph.initializer}
    return [v for v in model.graph.input if v.name not in weights]


def _shape(value: Any) -> list[int | None]:
    dims = value.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]


def _producer_op(model: Any, name: str) -> str | None:
    for node in model.graph.node:
        if name in node.output:
            return node.op_type
    return None


def io_entries(model: Any, labels: Sequence[str] | None = None) -> tuple[list[dict], list[dict]]:
    """The contract's inputs and outputs as the graph says (activation: its last node)."""
    inputs = [contract.input_entry(v.name, _shape(v), ELEMENT_TYPES[v.type.tensor_type.elem_type])
              for v in _real_inputs(model)]
    image_in = inputs[0] if len(inputs) == 1 and inputs[0]["kind"] == "image" else None
    outputs = []
    for i, v in enumerate(model.graph.output):
        op = _producer_op(model, v.name)
        activation = {"Softmax": "softmax", "Sigmoid": "sigmoid"}.get(op or "")
        shape = _shape(v)
        outputs.append(contract.output_entry(v.name, shape, activation, labels if i == 0 else None,
                                             image_in if len(shape) == 4 else None))
    return inputs, outputs


def sample_inputs(specs: Sequence[dict], batch: int = 3, seed: int = 0) -> Feeds:
    """Random feeds of the inputs' shapes (a free batch 3; any other free size 8)."""
    rng = np.random.default_rng(seed)
    feeds = []
    for spec in specs:
        first = spec["shape"][0] if spec["shape"][0] is not None else batch
        shape = [first] + [d if d is not None else 8 for d in spec["shape"][1:]]
        if spec["dtype"] == "float32":
            feeds.append(rng.random(shape, dtype=np.float32))
        else:
            feeds.append(rng.integers(0, 2, shape).astype(np.int64 if spec["dtype"] == "int64" else np.int32))
    return feeds


def in_batches(run: Callable[[Feeds], Feeds], feeds: Feeds, batch: int | None) -> Feeds:
    """run(feeds) for a model whose batch is fixed (often 1): slice by slice, concatenated."""
    rows = len(feeds[0])
    if batch is None or rows == batch or rows % batch:
        return run(feeds)
    parts = [run([f[i:i + batch] for f in feeds]) for i in range(0, rows, batch)]
    return [np.concatenate(outs) for outs in zip(*parts)]


def fixed_batch(specs: Sequence[dict]) -> int | None:
    first = specs[0]["shape"][0] if specs and specs[0]["shape"] else None
    return first if isinstance(first, int) else None


def run_onnxruntime(model_bytes: bytes, names: Sequence[str], feeds: Feeds, batch: int | None = None) -> list[np.ndarray]:
    """The outputs Python's onnxruntime computes (batch: the model's fixed batch size, if any)."""
    try:
        import onnxruntime
    except ImportError:
        raise ExportError("Checking an ONNX export needs onnxruntime: pip install 'clientside[onnx]'") from None
    try:
        session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        return in_batches(lambda part: session.run(None, dict(zip(names, part))), feeds, batch)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        raise ExportError(f"onnxruntime cannot run this model: {exc}") from None


def compare(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], tolerance: float) -> tuple[float, float]:
    """The largest difference, absolute and relative to the output scale (as --verify does)."""
    max_abs = max(float(np.abs(np.asarray(e, np.float64) - np.asarray(g, np.float64)).max())
                  for e, g in zip(expected, got))
    scale = max(max(float(np.abs(np.asarray(e, np.float64)).max()) for e in expected), 1e-6)
    return max_abs, max_abs / scale


def export_onnx(source: Any, out_dir: str | os.PathLike, *, labels: Sequence[str] | None = None,
                preprocess: str | Sequence[dict] | None = None, meta: str | os.PathLike | dict | None = None,
                name: str | None = None, reference: Callable[[Feeds], Feeds] | None = None,
                inputs: Feeds | None = None, tolerance: float = DEFAULT_TOLERANCE,
                generated_by: str = "an ONNX file", known: dict | None = None, quantize: str | None = None,
                say: Callable[[str], None] | None = None) -> Path:
    """Write an ONNX model as a bundle for onnxruntime-web. reference(feeds) -> outputs is the
    source framework: onnxruntime must reproduce it on `inputs` (or random ones). known: what
    the exporting code knows of the inputs and outputs (merged before the user's meta).
    quantize="uint8": weights stored in one byte each (see quantize_weights), after the float32
    graph has been checked; the difference it makes is measured and said."""
    if quantize not in (None, "uint8"):
        raise ExportError(f"ONNX bundles store weights as float32 or uint8. Received: quantize={quantize!r}")
    model = load(source)
    found = problems(model)
    if found:
        raise ExportError("Cannot serve this model with onnxruntime-web; nothing was written:\n"
                          + "\n".join(f"  - {p}" for p in found))
    in_specs, out_specs = io_entries(model, labels)
    out_dir = Path(out_dir)
    doc = {"format": contract.FORMAT, "name": name or _name_of(out_dir),
           "runtime": contract.RUNTIME_ONNX, "inputs": in_specs, "outputs": out_specs}
    if known:
        doc = contract.merge(doc, meta=known)
    doc = contract.merge(doc, meta=contract.load_meta(meta), preset=contract.resolve_preset(preprocess))
    model_bytes = model.SerializeToString()
    feeds = inputs if inputs is not None else sample_inputs(in_specs)
    got = run_onnxruntime(model_bytes, [s["name"] for s in in_specs], feeds, fixed_batch(in_specs))
    if reference is not None:
        expected = reference(feeds)
        max_abs, relative = compare(expected, got, tolerance)
        if not relative <= tolerance:
            raise ExportError(f"onnxruntime does not reproduce the source model: largest difference {max_abs:.3g} "
                              f"({relative:.3g} of the output scale; tolerance {tolerance:g}); nothing was written.")
    if quantize:
        model = quantize_weights(model)
        model_bytes = model.SerializeToString()
        quantized = run_onnxruntime(model_bytes, [s["name"] for s in in_specs], feeds, fixed_batch(in_specs))
        max_abs, relative = compare(got, quantized, tolerance)
        (say or log.warning)(f"uint8 weights: largest difference from the float32 model {max_abs:.3g} "
                             f"({relative:.3g} of the output scale)")
        doc["quantization"] = {"dtype": quantize, "patterns": [f"float32 weights of {MIN_QUANTIZED} values or more"]}
    digest = hashlib.sha256(model_bytes).hexdigest()
    file = f"model.{digest[:HASH_CHARS]}.onnx"
    doc.update(files=[{"path": file, "size": len(model_bytes), "sha256": digest}],
               content_hash=digest[:HASH_CHARS], generated_by=generated_by,
               converted_by=f"clientside {__version__}")
    contract.validate(doc, str(out_dir / BUNDLE_JSON))
    _write_bundle(out_dir, {file: model_bytes, BUNDLE_JSON: (json.dumps(doc, indent=2) + "\n").encode()})
    return out_dir


#: Smaller weights (biases, norms) stay float32: they weigh little and matter most.
MIN_QUANTIZED = 1024


def quantize_weights(model: Any, min_values: int = MIN_QUANTIZED) -> Any:
    """Each float32 weight of min_values or more stored as uint8 with its scale and zero
    point: affine per tensor, the range widened to include 0 so that 0 stays exact (as TF.js's
    uint8 quantization does). Restored as (float(q) - zero) * scale by Cast, Sub and Mul, which
    onnxruntime folds into a float32 weight when the session loads, so the browser and Python
    run the same float kernels (a DequantizeLinear would be kept unfolded, and fused into
    other kernels differently in the wasm build: measured 7e-4 of the output scale apart)."""
    onnx = _onnx()
    from onnx import helper, numpy_helper

    model = copy.deepcopy(model)
    graph = model.graph
    inputs = {v.name for v in graph.input}
    nodes, keep, added = [], [], []
    for tensor in graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT or tensor.name in inputs or \
                int(np.prod(tensor.dims)) < min_values:
            keep.append(tensor)
            continue
        w = numpy_helper.to_array(tensor).astype(np.float64)
        low, high = min(float(w.min()), 0.0), max(float(w.max()), 0.0)
        scale = (high - low) / 255 if high > low else 1.0
        zero = int(np.clip(round(-low / scale), 0, 255))
        q = np.clip(np.round(w / scale) + zero, 0, 255).astype(np.uint8)
        name = tensor.name
        added += [numpy_helper.from_array(q, f"{name}_uint8"),
                  numpy_helper.from_array(np.asarray(scale, np.float32), f"{name}_scale"),
                  numpy_helper.from_array(np.asarray(zero, np.float32), f"{name}_zero_point")]
        nodes += [helper.make_node("Cast", [f"{name}_uint8"], [f"{name}_float"], to=onnx.TensorProto.FLOAT),
                  helper.make_node("Sub", [f"{name}_float", f"{name}_zero_point"], [f"{name}_centred"]),
                  helper.make_node("Mul", [f"{name}_centred", f"{name}_scale"], [name])]
    del graph.initializer[:]
    graph.initializer.extend(keep + added)
    old = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + old)
    return model


def export_torch(module: Any, out_dir: str | os.PathLike, example_inputs: Sequence[Any], *,
                 input_names: Sequence[str] | None = None, dynamic_batch: bool = True,
                 tolerance: float = DEFAULT_TOLERANCE, **options: Any) -> Path:
    """A torch.nn.Module through torch.onnx.export(dynamo=True): the exporter torch has made
    its default, which records the module with torch.export (the legacy TorchScript tracer is
    deprecated and fails on LayerNorm-style graphs). The batch dimension stays free."""
    import torch

    module = module.eval()
    examples = tuple(x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x)) for x in example_inputs)
    names = list(input_names or [f"input_{i}" if len(examples) > 1 else "input" for i in range(len(examples))])
    dynamic = None
    if dynamic_batch:
        batch = torch.export.Dim("batch")
        dynamic = tuple({0: batch} for _ in examples)
    try:
        with warnings.catch_warnings():  # torch's own deprecations, not the user's concern
            warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning, UserWarning))
            program = torch.onnx.export(module, examples, input_names=names, dynamo=True, dynamic_shapes=dynamic,
                                        verbose=False)
    except Exception as exc:  # noqa: BLE001 - torch.export raises many types
        raise ExportError(f"torch.onnx.export could not export this module: {type(exc).__name__}: {exc}") from None

    def reference(feeds: Feeds) -> Feeds:
        with torch.no_grad():
            out = module(*[torch.from_numpy(np.asarray(f)) for f in feeds])
        return [o.detach().numpy() for o in (out if isinstance(out, (tuple, list)) else [out])]

    batches = [np.asarray(x.detach().numpy()) for x in examples]
    return export_onnx(program.model_proto, out_dir, reference=reference, inputs=batches, tolerance=tolerance,
                       generated_by=f"torch {torch.__version__} (torch.onnx.export, dynamo)", **options)


def export_pt2(source: str | os.PathLike, out_dir: str | os.PathLike, *,
               tolerance: float = DEFAULT_TOLERANCE, inputs: Feeds | None = None, **options: Any) -> Path:
    """A torch.export archive (.pt2, from torch.export.save): its program is what torch.onnx
    records, with the dynamic shapes it was exported with; its example inputs (or `inputs`)
    are what onnxruntime must reproduce it on."""
    import torch

    path = Path(source)
    if not path.is_file():
        raise ExportError(f"No file at {path}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.export.load(str(path))
    except Exception as exc:  # noqa: BLE001 - torch raises many types for unreadable archives
        raise ExportError(f"{path} is not a torch.export archive that can be read: {exc}") from None
    examples = inputs
    if examples is None:
        args, kwargs = program.example_inputs or ((), {})
        if not args or kwargs:
            raise ExportError(f"{path} holds no example inputs (positional tensors) to compare on: "
                              "pass --inputs FILE.npz")
        examples = [a.detach().numpy() for a in args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            onnx_program = torch.onnx.export(program, dynamo=True, verbose=False)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"torch.onnx.export could not export {path.name}: {type(exc).__name__}: {exc}") from None
    module = program.module()

    def reference(feeds: Feeds) -> Feeds:
        with torch.no_grad():
            out = module(*[torch.from_numpy(np.asarray(f)) for f in feeds])
        return [o.detach().numpy() for o in (out if isinstance(out, (tuple, list)) else [out])]

    return export_onnx(onnx_program.model_proto, out_dir, reference=reference, inputs=list(examples),
                       tolerance=tolerance, generated_by=f"{path.name} (torch {torch.__version__}, torch.onnx)",
                       **options)


def export_sklearn(estimator: Any, out_dir: str | os.PathLike, sample: Any, *,
                   feature_names: Sequence[str] | None = None, labels: Sequence[str] | None = None,
                   categories: dict[str, Sequence[str]] | None = None,
                   tolerance: float = DEFAULT_TOLERANCE, **options: Any) -> Path:
    """A fitted scikit-learn estimator or pipeline, through skl2onnx. The whole pipeline
    (scalers, encoders, the model) runs inside the graph; the page's input is the table kind,
    one field per feature. ZipMap is off (the browser runtime reads tensors only), and a
    classifier gives its class probabilities, named by its classes_; its duplicate `label`
    output is dropped.

    sample: rows as a 2-D array of numbers, or a pandas DataFrame, whose text columns
    (categories) are fields with a choice of values: the fitted OneHotEncoder's categories,
    else `categories[column]`, else the values in the sample. The page sends them one-hot,
    and a front added to the graph turns them back into the strings the pipeline reads."""
    try:
        from skl2onnx import to_onnx
    except ImportError:
        raise ExportError("Exporting scikit-learn needs skl2onnx: pip install 'clientside[sklearn]'") from None
    frame = hasattr(sample, "columns") and hasattr(sample, "dtypes")
    if frame:
        columns = _frame_columns(estimator, sample, categories or {})
        example = None
    else:
        x = np.asarray(sample, dtype=np.float32)
        if x.ndim != 2:
            raise ExportError(f"Expected sample rows as a 2-D array [rows, features]. Received shape {x.shape}")
        names = feature_names if feature_names is not None else getattr(estimator, "feature_names_in_", None)
        names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(x.shape[1])]
        if len(names) != x.shape[1]:
            raise ExportError(f"{len(names)} feature names for {x.shape[1]} columns")
        example = x[:1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zipmap_off = {"zipmap": False} if hasattr(estimator, "predict_proba") else None
            model = to_onnx(estimator, None if frame else example, options=zipmap_off,
                            initial_types=_initial_types(columns) if frame else None,
                            target_opset={"": 21, "ai.onnx.ml": 3})
    except Exception as exc:  # noqa: BLE001 - skl2onnx raises many types
        raise ExportError(f"skl2onnx cannot convert this estimator: {type(exc).__name__}: {exc}") from None
    if frame:
        model = table_front(model, columns)
        steps = [{"op": "one_hot", "feature": c.name, "categories": list(c.categories)} if c.categories
                 else {"op": "pass", "feature": c.name} for c in columns]
        x = _encode_frame(sample, steps)
        source = sample
    else:
        steps = [{"op": "pass", "feature": n} for n in names]
        source = x
    outputs = [o.name for o in model.graph.output]
    classifier = "probabilities" in outputs and hasattr(estimator, "predict_proba")
    if classifier:
        for o in [o for o in model.graph.output if o.name != "probabilities"]:
            model.graph.output.remove(o)
        classes = [str(c) for c in getattr(estimator, "classes_", [])]
        out = {"name": "probabilities", "kind": "classes", "scores": "probabilities",
               "labels": list(labels) if labels else classes}
        reference = lambda feeds: [estimator.predict_proba(source)]  # noqa: E731
    else:
        out = {"name": outputs[0], "kind": "values"}
        reference = lambda feeds: [np.asarray(estimator.predict(source)).reshape(len(source), -1)]  # noqa: E731
    known = {"inputs": [{"name": model.graph.input[0].name, "kind": "table", "steps": steps}], "outputs": [out]}
    import sklearn

    return export_onnx(model, out_dir, reference=reference, inputs=[x], tolerance=tolerance, known=known,
                       generated_by=f"scikit-learn {sklearn.__version__} (skl2onnx)", **options)


class Column(NamedTuple):
    """One column of a DataFrame as the page sends it: a number, or one of its categories."""

    name: str
    categories: list[str] | None


def _initial_types(columns: Sequence[Column]) -> list[tuple[str, Any]]:
    """Numbers as float32 (what the page sends; skl2onnx mixes up int64 and double columns
    that one transformer shares), categories as strings."""
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    return [(c.name, StringTensorType([None, 1]) if c.categories else FloatTensorType([None, 1])) for c in columns]


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


def _encode_frame(frame: Any, steps: Sequence[dict]) -> np.ndarray:
    """The sample as the page sends it (the table steps, as in the browser)."""
    from ...steps import table

    rows = [{k: (str(v) if isinstance(v, str) else float(v)) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]
    try:
        return np.asarray([table.encode(row, steps) for row in rows], np.float32)
    except Exception as exc:  # noqa: BLE001 - an InputError naming the column
        raise ExportError(f"the sample cannot be sent as the page sends it: {exc}") from None


def table_front(model: Any, columns: Sequence[Column], name: str = "features") -> Any:
    """The graph with one float input [rows, width] (what the table steps make) in front of
    its per-column inputs: a number's column sliced and cast; a category's one-hot columns
    turned back into its string (ArgMax, then Gather from the categories)."""
    onnx = _onnx()
    from onnx import helper

    graph = model.graph
    by_name = {v.name: v for v in graph.input}
    missing = [c.name for c in columns if c.name not in by_name]
    if missing or len(columns) != len(by_name):
        raise ExportError(f"skl2onnx's inputs ({', '.join(by_name)}) are not the sample's columns "
                          f"({', '.join(c.name for c in columns)})")
    nodes, inits, start = [], [], 0
    for i, c in enumerate(columns):
        width = len(c.categories) if c.categories else 1
        p = f"clientside_front_{i}"
        inits += [helper.make_tensor(f"{p}_start", onnx.TensorProto.INT64, [1], [start]),
                  helper.make_tensor(f"{p}_end", onnx.TensorProto.INT64, [1], [start + width]),
                  helper.make_tensor(f"{p}_axis", onnx.TensorProto.INT64, [1], [1])]
        nodes.append(helper.make_node("Slice", [name, f"{p}_start", f"{p}_end", f"{p}_axis"], [f"{p}_cols"]))
        if c.categories:
            inits.append(helper.make_tensor(f"{p}_categories", onnx.TensorProto.STRING, [width],
                                            [v.encode() for v in c.categories]))
            nodes += [helper.make_node("ArgMax", [f"{p}_cols"], [f"{p}_index"], axis=1, keepdims=1),
                      helper.make_node("Gather", [f"{p}_categories", f"{p}_index"], [c.name], axis=0)]
        else:
            to = by_name[c.name].type.tensor_type.elem_type  # as skl2onnx typed it
            nodes.append(helper.make_node("Cast", [f"{p}_cols"], [c.name], to=to))
        start += width
    features = helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [None, start])
    del graph.input[:]
    graph.input.append(features)
    old = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + old)
    graph.initializer.extend(inits)
    return model


def _name_of(out_dir: Path) -> str:
    from ...bundle import _folder_name

    return _folder_name(out_dir.resolve())


def _write_bundle(out_dir: Path, files: dict[str, bytes]) -> None:
    """All files in a new folder, swapped in whole (the old bundle survives until then)."""
    from ..tfjs.write import _replace_dir, new_bundle_folder

    tmp = new_bundle_folder(out_dir)
    try:
        for rel, data in files.items():
            (tmp / rel).write_bytes(data)
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def verify_in_browser_runtime(bundle_dir: str | os.PathLike, inputs: Feeds | None = None,
                              tolerance: float = DEFAULT_TOLERANCE) -> tuple[float, float]:
    """Run the written bundle in onnxruntime-web's wasm (Node) and in Python's onnxruntime on
    the same inputs; (max abs diff, relative) or ExportError past the tolerance."""
    from ...bundle import load_bundle
    from .node import predict

    bundle = load_bundle(bundle_dir)
    specs = bundle.inputs
    feeds = inputs if inputs is not None else sample_inputs(specs)
    path = bundle.root / bundle.shards[0].path
    names, dtypes = [s["name"] for s in specs], [s["dtype"] for s in specs]
    python = run_onnxruntime(path.read_bytes(), names, feeds, fixed_batch(specs))
    browser = in_batches(lambda part: predict(path, names, part, dtypes), feeds, fixed_batch(specs))
    max_abs, relative = compare(python, browser, tolerance)
    if not relative <= tolerance:
        raise ExportError(f"onnxruntime-web differs from onnxruntime on {path.name}: largest difference "
                          f"{max_abs:.3g} ({relative:.3g} of the output scale; tolerance {tolerance:g})")
    return max_abs, relative
