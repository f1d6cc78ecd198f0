"""ONNX graphs as ONNX Runtime Web sees them: read one (with its external data), say what
the browser cannot run, and what its inputs and outputs are. Imports onnx (the protobuf
reader) only, never onnxruntime or an exporter."""
from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from ... import contract
from ...errors import ExportError

#: onnxruntime-web 1.31.1 loads models of opset 21 to 26 (measured under Node).
MAX_OPSET = 26
#: Chrome caps an ArrayBuffer near 2 GB; the model file is one buffer.
MAX_BYTES = 2**31 - 1
#: ONNX element types the page can feed and read.
ELEMENT_TYPES = {1: "float32", 6: "int32", 7: "int64", 10: "float16", 11: "float64", 9: "bool"}
FEEDABLE = {"float32", "float64", "int32", "int64"}


def onnx_module() -> Any:
    """The onnx package, or an error that says how to install it."""
    try:
        import onnx
    except ImportError:
        raise ExportError("Exporting to ONNX needs the onnx package: pip install 'clientside[onnx]'") from None
    return onnx


def load(source: Any, *, external_data: bool = True) -> Any:
    """An onnx.ModelProto from a path, bytes, or a ModelProto. A file's external data (weights
    in files beside it, as exporters write big models) is read in, unless external_data=False."""
    onnx = onnx_module()
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix != ".onnx" or not path.is_file():
            raise ExportError(f"Expected an .onnx file. Received: {path}")
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as exc:  # noqa: BLE001 - protobuf raises several types
            raise ExportError(f"{path} is not an ONNX model that can be read: {exc}") from None
        if external_data:
            from onnx.external_data_helper import load_external_data_for_model

            try:
                load_external_data_for_model(model, str(path.parent))
            except Exception as exc:  # noqa: BLE001 - OSError, or onnx's ValidationError for a missing file
                raise ExportError(f"{path} keeps its weights in external data files, and they cannot be read "
                                  f"({exc}): keep them beside it, under the names the model gives them.") from None
    elif isinstance(source, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(source))
    else:
        model = source
    return model


def problems(model: Any) -> list[str]:
    """What onnxruntime-web cannot run, each naming what and why."""
    onnx = onnx_module()
    found = []
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version > MAX_OPSET:
            found.append(f"opset {opset.version} is newer than onnxruntime-web supports ({MAX_OPSET}): "
                         f"export with opset_version={MAX_OPSET} or lower")
    external = [t.name for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        found.append(f"weights stored as external data ({', '.join(external[:3])}…) were not read in: give "
                     "the .onnx file's path, with its data files beside it")
    size = model.ByteSize()
    if size > MAX_BYTES:
        found.append(f"the model is {size / 1e9:.1f} GB; the page holds its weights in one buffer, which browsers "
                     "cap near 2 GB: make it smaller (--quantize int8 stores about a quarter)")
    for kind, values in (("input", real_inputs(model)), ("output", model.graph.output)):
        for v in values:
            which = v.type.WhichOneof("value")
            if which != "tensor_type":
                what = {"sequence_type": "a sequence", "map_type": "a map",
                        "optional_type": "an optional"}.get(which, which)
                hint = " (scikit-learn's ZipMap: `clientside export FILE OUT` keeps the probabilities before it)" \
                    if which == "sequence_type" else ""
                found.append(f"{kind} {v.name!r} is {what}; onnxruntime-web only takes and gives tensors{hint}")
                continue
            dtype = ELEMENT_TYPES.get(v.type.tensor_type.elem_type)
            if dtype is None or (kind == "input" and dtype not in FEEDABLE):
                name = onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()
                found.append(f"{kind} {v.name!r} is a {name} tensor; the page feeds float32, float64, int32 or int64")
    return found


def real_inputs(model: Any) -> list[Any]:
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


#: Names an RNN's state input goes by: h, c, state, h0, c0, hx, cx, hidden.
STATE_NAMES = ("state", "states", "h", "c", "h0", "c0", "hx", "cx", "hidden", "hidden_state")


def recurrent_state(name: str, outputs: Collection[str]) -> str | None:
    """The output an input comes back as, if it is a recurrent state: a state's name, given
    back under the same name with N, n, _out or _next (silero's state -> stateN, h -> hn)."""
    if name.lower() not in STATE_NAMES:
        return None
    base = name[:-1] if name.endswith("0") else name
    return next((out for out in (name + "N", name + "n", base + "n", name + "_out", name + "_next")
                 if out in outputs), None)


#: ONNX-ML classifiers: their second output is the class probabilities.
CLASSIFIERS = ("LinearClassifier", "TreeEnsembleClassifier", "SVMClassifier")


def _probabilities(model: Any, v: Any, shape: list[int | None]) -> bool:
    """Whether an output is an ONNX-ML classifier's probabilities (its scores after a
    softmax or logistic post-transform)."""
    if len(shape) != 2 or ELEMENT_TYPES.get(v.type.tensor_type.elem_type) != "float32":
        return False
    producers = {out: n for n in model.graph.node for out in n.output}
    name, node = v.name, producers.get(v.name)
    while node is not None and node.op_type in ("Normalizer", "Identity", "Cast"):  # skl2onnx adds a Normalizer
        name = node.input[0]
        node = producers.get(name)
    if node is None or node.op_type not in CLASSIFIERS:
        return False
    transform = next((a.s.decode() for a in node.attribute if a.name == "post_transform"), "NONE")
    return list(node.output).index(name) == 1 and transform != "NONE"


def _is_class_number(v: Any, shape: list[int | None]) -> bool:
    """An integer output of one number per item ([N] or [N, 1]): a classifier's label."""
    integer = ELEMENT_TYPES.get(v.type.tensor_type.elem_type) in ("int64", "int32")
    return integer and (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1))


def io(model: Any, labels: Sequence[str] | None = None) -> contract.IO:
    """The contract's inputs and outputs as the graph says (activation: its last node)."""
    inputs = [contract.input_entry(v.name, _shape(v), ELEMENT_TYPES[v.type.tensor_type.elem_type])
              for v in real_inputs(model)]
    returned = {v.name for v in model.graph.output}
    states = set()
    for entry in inputs:
        state = recurrent_state(entry["name"], returned)
        if state is not None and entry["shape"] and len(inputs) > 1:
            entry["value"] = 0  # a state the graph gives back: zeros to start, each item alone
            states.add(state)   # and what it gives back is the next call's, not shown
    image_in = contract.the_image_input(inputs)
    outputs = []
    for i, v in enumerate(o for o in model.graph.output if o.name not in states):
        op = _producer_op(model, v.name)
        activation = {"Softmax": "softmax", "Sigmoid": "sigmoid"}.get(op or "")
        shape = _shape(v)
        named = labels if i == 0 else None
        if _probabilities(model, v, shape):  # an ONNX-ML classifier's, beside its label: named too
            activation = "softmax"
            named = labels if labels and shape[1] in (None, len(labels)) else None
        if labels and _is_class_number(v, shape):  # an int64 label: the class's number, named by labels
            outputs.append({"name": v.name, "shape": shape, "kind": "classes", "scores": "index",
                            "labels": list(labels)})
            continue
        outputs.append(contract.output_entry(v.name, shape, activation, named, image_in if len(shape) == 4 else None))
    return contract.IO(inputs, outputs)


def without_zipmap(model: Any) -> tuple[Any, dict[str, list[str]]]:
    """The model with each ZipMap that gives a graph output removed, and the labels of the
    tensor it read. ZipMap (scikit-learn's converters add it) turns a classifier's
    probabilities tensor into a list of {label: probability} maps, which ONNX Runtime Web
    cannot give; the tensor itself is exact, and the ZipMap's keys label it. The classifier's
    label output beside it (an int64 or string tensor: the top class) is dropped, as the
    probabilities say it."""
    onnx = onnx_module()
    from onnx import helper

    graph = model.graph
    outputs = {v.name: v for v in graph.output}
    found: dict[str, list[str]] = {}
    for node in [n for n in graph.node if n.op_type == "ZipMap" and n.output[0] in outputs]:
        keys = next((list(a.strings) or list(a.ints) for a in node.attribute
                     if a.name in ("classlabels_strings", "classlabels_int64s")), [])
        tensor = node.input[0]
        labels = [k.decode() if isinstance(k, bytes) else str(k) for k in keys]
        graph.node.remove(node)
        at = list(graph.output).index(outputs[node.output[0]])
        graph.output.remove(outputs[node.output[0]])
        graph.output.insert(at, helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, [None, len(labels)]))
        found[tensor] = labels
    if found:  # the top class, as an int64 or string tensor of one value per row
        for other in [v for v in graph.output if v.type.tensor_type.elem_type in (onnx.TensorProto.INT64,
                                                                                  onnx.TensorProto.STRING)
                      and len(v.type.tensor_type.shape.dim) <= 1]:
            graph.output.remove(other)
    return model, found


def without_debug_info(model: Any) -> Any:
    """model without what torch.onnx.export's dynamo path writes on every node for debugging
    (its stack trace, FX node, class hierarchy: half of a small model's bytes, and the paths
    of the exporting machine's files, which a page should not publish)."""
    graphs = [model.graph]
    while graphs:
        graph = graphs.pop()
        for node in graph.node:
            del node.metadata_props[:]
            node.doc_string = ""
            graphs += [a.g for a in node.attribute if a.HasField("g")] + [g for a in node.attribute for g in a.graphs]
    return model


def prepend(graph: Any, nodes: Sequence[Any], initializers: Sequence[Any] = ()) -> None:
    """Put nodes (and their constants) in front of a graph's own, in place."""
    old = list(graph.node)
    del graph.node[:]
    graph.node.extend([*nodes, *old])
    graph.initializer.extend(initializers)


def refusal(problems: Sequence[str]) -> str:
    """The error when ONNX Runtime Web was asked for and cannot run the model."""
    return "Cannot serve this model with onnxruntime-web; nothing was written:\n" + \
        "\n".join(f"  - {p}" for p in problems)
