"""A TF.js graph model's model.json as the contract sees it: its inputs and outputs, named,
ordered and typed as tf.loadGraphModel does (tfjs-converter's operation_mapper.ts), so that
the page feeds by the names Python wrote. tests/runtimes/tfjs_graph/test_inspect.py holds the
two to each other on graph models the official converter wrote.

    inputs   the signature's inputs (their nodes), else every Placeholder, in node order;
             shape and dtype from the Placeholder node (the signature's may be narrower)
    outputs  the signature's outputs, else every node nothing consumes, in node order;
             the shape from the signature when it gives one, else traced back from the
             last layer (a MatMul's units, a pooled convolution's filters), else unknown
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ... import contract
from ...errors import BundleError

Doc = dict[str, Any]

GRAPH_MODEL = "graph-model"

#: TensorFlow dtypes -> what TF.js makes of them (operation_mapper.ts parseDtypeParam), and
#: what the contract feeds: uint8 stays uint8 in the contract (values 0..255) and is fed as int32.
DTYPES = {"DT_FLOAT": "float32", "DT_HALF": "float32", "DT_DOUBLE": "float32", "DT_BFLOAT16": "float32",
          "DT_INT32": "int32", "DT_INT64": "int32", "DT_INT16": "int32", "DT_INT8": "int32",
          "DT_UINT16": "int32", "DT_UINT8": "uint8", "DT_BOOL": "bool", "DT_STRING": "string"}
#: Ops that pass a tensor's shape through unchanged, walked back over to find a layer.
SAME_SHAPE = frozenset({"Identity", "Softmax", "Sigmoid", "Relu", "Relu6", "Elu", "Selu", "Tanh", "BiasAdd",
                        "Add", "AddV2", "Mul", "Sub", "LeakyRelu", "Prelu", "Maximum", "Minimum"})
#: The output's own activation, as contract.output_entry reads one.
ACTIVATIONS = {"Softmax": "softmax", "Sigmoid": "sigmoid"}


def is_graph_model(model_json: Doc) -> bool:
    return model_json.get("format") == GRAPH_MODEL and isinstance(model_json.get("modelTopology"), dict)


def entry_of(path: Path) -> Path | None:
    """The graph model's JSON file at path (a folder holding model.json, or the .json file
    itself, as npm packages name them: emotion.json), if it is one."""
    file = path / "model.json" if path.is_dir() else path
    if not (file.is_file() and file.suffix == ".json"):
        return None
    try:
        with open(file, "rb") as f:  # an XGBoost model is a .json too, and may be big: look first
            if b'"graph-model"' not in f.read(1 << 20):
                return None
        return file if is_graph_model(json.loads(file.read_text())) else None
    except (OSError, ValueError):
        return None


def node_name(tensor: str) -> str:
    """'^a/b:1' (a control input, or an output index) -> 'a/b'."""
    name = tensor.lstrip("^")
    head, sep, tail = name.rpartition(":")
    return head if sep and tail.isdigit() else name


def _nodes(model_json: Doc) -> list[Doc]:
    nodes = model_json["modelTopology"].get("node", [])
    if not isinstance(nodes, list):
        raise BundleError("model.json: modelTopology.node must be a list of nodes.")
    return nodes


def _shape(attr_shape: Any) -> list[int | None] | None:
    """A TensorShapeProto in JSON ({"dim": [{"size": "-1"}, ...]}) as a list, None if unknown."""
    if not isinstance(attr_shape, dict) or attr_shape.get("unknownRank"):
        return None
    return [None if int(d.get("size", -1)) < 0 else int(d["size"]) for d in attr_shape.get("dim", [])]


def _dtype(tf_dtype: Any, where: str) -> str:
    dtype = DTYPES.get(tf_dtype if isinstance(tf_dtype, str) else "DT_FLOAT")
    if dtype is None or dtype in ("bool", "string"):
        raise BundleError(f"{where} takes {tf_dtype}: the page feeds numbers (float32, int32, uint8). "
                          "Export the model with a numeric input.")
    return dtype


def io(model_json: Doc, labels: Sequence[str] | None = None,
       shapes: Mapping[str, Sequence[int]] | None = None) -> contract.IO:
    """Inputs and outputs of a TF.js graph model, as tf.loadGraphModel names and orders them.
    shapes: what TF.js gave for each output when it ran (the export's check), for outputs
    whose shape neither the signature nor the last layer says."""
    nodes = _nodes(model_json)
    by_name = {str(n.get("name")): n for n in nodes}
    signature = model_json.get("signature") or model_json.get("userDefinedMetadata", {}).get("signature") or {}
    sig_inputs = signature.get("inputs") or {}
    sig_outputs = signature.get("outputs") or {}
    if sig_inputs:
        placeholders = [by_name.get(node_name(v.get("name", k))) for k, v in sig_inputs.items()]
    else:
        placeholders = [n for n in nodes if n.get("op") == "Placeholder"]
    inputs = []
    for node in placeholders:
        if node is None:
            raise BundleError("model.json: its signature names an input that no node has.")
        attr = node.get("attr", {})
        where = f"model.json: input {node['name']!r}"
        shape = _shape(attr.get("shape", {}).get("shape"))
        if shape is None:
            raise BundleError(f"{where} has no known shape. Give one with --meta "
                              f"(inputs: [{{\"name\": \"{node['name']}\", \"shape\": [...]}}]).")
        inputs.append(contract.input_entry(node["name"], shape, _dtype(attr.get("dtype", {}).get("type"), where)))
    if sig_outputs:
        outs = [(node_name(v.get("name", k)), _shape(v.get("tensorShape"))) for k, v in sig_outputs.items()]
    else:
        consumed = {node_name(i) for n in nodes for i in n.get("input", [])}
        outs = [(n["name"], None) for n in nodes if n.get("name") not in consumed]
    weights = {w["name"]: w.get("shape") for group in model_json.get("weightsManifest", [])
               for w in group.get("weights", [])}
    image_in = contract.the_image_input(inputs)
    outputs = []
    for i, (name, shape) in enumerate(outs):
        traced, activation = _trace(by_name, weights, name)
        shape = shape or traced or (list((shapes or {}).get(name) or []) or None)
        if shape:
            shape = [None, *shape[1:]]  # the batch follows the inputs'
        outputs.append(contract.output_entry(name, shape, activation, labels if i == 0 else None, image_in))
    return contract.IO(inputs, outputs)


def _trace(by_name: dict[str, Doc], weights: dict[str, Any], name: str) -> tuple[list[int | None] | None, str | None]:
    """An output's shape where its last layer says it, and its activation: back through
    Identity and element-wise ops to a MatMul ([batch, units]) or a convolution pooled by a
    Mean over height and width ([batch, filters])."""
    activation = None
    node = by_name.get(name)
    for _ in range(32):
        if node is None:
            return None, activation
        op = node.get("op")
        ins = [i for i in node.get("input", []) if not i.startswith("^")]
        if activation is None and op in ACTIVATIONS:
            activation = ACTIVATIONS[op]
        if op in ("MatMul", "_FusedMatMul") and len(ins) > 1:
            kernel = weights.get(node_name(ins[1]))
            transposed = node.get("attr", {}).get("transpose_b", {}).get("b", False)
            if isinstance(kernel, list) and len(kernel) == 2:
                return [None, int(kernel[0] if transposed else kernel[1])], activation
            return None, activation
        if op == "Mean" and len(ins) > 1 and not node.get("attr", {}).get("keep_dims", {}).get("b", False):
            axes = weights.get(node_name(ins[1]))
            conv = _conv_filters(by_name, weights, node_name(ins[0]))
            if axes == [2] and conv is not None:  # two axes reduced (the converter keeps their values in the shard)
                return [None, conv], activation
            return None, activation
        if op not in SAME_SHAPE or not ins:
            return None, activation
        node = by_name.get(node_name(ins[0]))
    return None, activation


def _conv_filters(by_name: dict[str, Doc], weights: dict[str, Any], name: str) -> int | None:
    node = by_name.get(name)
    for _ in range(32):
        if node is None:
            return None
        ins = [i for i in node.get("input", []) if not i.startswith("^")]
        if node.get("op") in ("Conv2D", "_FusedConv2D") and len(ins) > 1:
            kernel = weights.get(node_name(ins[1]))
            return int(kernel[3]) if isinstance(kernel, list) and len(kernel) == 4 else None
        if node.get("op") not in SAME_SHAPE or not ins:
            return None
        node = by_name.get(node_name(ins[0]))
    return None


def weight_paths(model_json: Doc) -> list[str]:
    """Every shard model.json names, in manifest order."""
    return [rel for group in model_json.get("weightsManifest", []) for rel in group.get("paths", [])]


def dynamic_ops(model_json: Doc) -> list[str]:
    """The ops that make tf.GraphModel.execute refuse the graph (executeAsync runs them)."""
    dynamic = {"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "If", "StatelessIf", "While",
               "StatelessWhile", "NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4",
               "NonMaxSuppressionV5", "Where", "ListDiff", "TensorListReserve"}
    found = {n.get("op") for n in _nodes(model_json)} & dynamic
    return sorted(str(op) for op in found)


#: Ops whose outputs jump when two scores swap order: which boxes they keep, in which order.
SELECTIONS = frozenset({"NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4", "NonMaxSuppressionV5",
                        "TopKV2"})


def after_selection(model_json: Doc, outputs: Sequence[str]) -> list[str]:
    """The outputs a NonMaxSuppression (or TopK) feeds: equal models on two sets of kernels may
    keep other boxes when scores are near-equal, so these are judged apart."""
    nodes = _nodes(model_json)
    consumers: dict[str, list[str]] = {}
    for n in nodes:
        for i in n.get("input", []):
            if not i.startswith("^"):  # a control input orders the run; no value flows along it
                consumers.setdefault(node_name(i), []).append(str(n.get("name")))
    reached = set()
    todo = [str(n.get("name")) for n in nodes if n.get("op") in SELECTIONS]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(consumers.get(name, []))
    return [o for o in outputs if o in reached]
