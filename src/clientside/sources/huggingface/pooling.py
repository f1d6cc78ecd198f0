"""Sentence pooling added to an ONNX graph that gives token vectors (an encoder exported
elsewhere: last_hidden_state [batch, sequence, hidden]), so one vector per text comes out of
the graph itself: sentence-transformers' arithmetic (tasks.pooled), in ONNX operators, for
the opset the file already uses. `numpy_pooled` is the same in NumPy: the reference the
export is checked against."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import ExportError


def numpy_pooled(hidden: np.ndarray, mask: np.ndarray, mode: str, normalize: bool) -> np.ndarray:
    hidden = np.asarray(hidden, np.float32)
    weights = np.asarray(mask, np.float32)[..., None]
    if mode == "cls":
        vector = hidden[:, 0]
    elif mode == "max":
        vector = np.where(weights == 0, -np.inf, hidden).max(axis=1)
    else:
        count = np.maximum(weights.sum(axis=1), 1e-9)
        vector = (hidden * weights).sum(axis=1) / (count if mode == "mean" else np.sqrt(count))
    if normalize:
        vector = vector / np.maximum(np.sqrt((vector * vector).sum(axis=1, keepdims=True)), 1e-12)
    return vector.astype(np.float32)


def _opset(proto: Any) -> int:
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)


def append_pooling(proto: Any, hidden: str, mask: str, mode: str, normalize: bool, output: str) -> Any:
    """proto with its output `hidden` pooled over the tokens `mask` keeps (and L2-normalized):
    the graph's only output is then `output` [batch, hidden]."""
    from onnx import TensorProto, helper, numpy_helper

    opset = _opset(proto)
    if opset < 13:
        raise ExportError(f"Pooling is added in ONNX opset 13 or later; this file uses opset {opset}: export it "
                          "again with a newer exporter (torch.onnx.export uses 18).")
    graph = proto.graph
    nodes: list[Any] = []
    consts: list[Any] = []

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        consts.append(numpy_helper.from_array(np.asarray(value, dtype), f"pool_{name}"))
        return f"pool_{name}"

    def node(op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [f"pool_{name}"], name=f"pool_{name}", **attrs))
        return f"pool_{name}"

    def reduce(op: str, x: str, name: str, keepdims: int) -> str:
        axes = const(f"{name}_axes", [1], np.int64)
        if op == "ReduceSum" or opset >= 18:  # ReduceSum took axes as an input first (opset 13)
            return node(op, [x, axes], name, keepdims=keepdims)
        return node(op, [x], name, axes=[1], keepdims=keepdims)

    if mode == "cls":
        vector = node("Gather", [hidden, const("zero", 0, np.int64)], "cls", axis=1)
    else:
        weights = node("Unsqueeze", [node("Cast", [mask], "mask", to=TensorProto.FLOAT),
                                     const("last", [-1], np.int64)], "weights")
        if mode == "max":
            masked = node("Where", [node("Equal", [weights, const("zero_f", 0.0)], "padding"),
                                    const("minus_inf", -np.inf), hidden], "masked")
            vector = reduce("ReduceMax", masked, "max", 0)
        else:
            total = reduce("ReduceSum", node("Mul", [hidden, weights], "weighted"), "sum", 0)
            count = node("Max", [reduce("ReduceSum", weights, "count", 0), const("tiny", 1e-9)], "count_min")
            if mode == "mean_sqrt_len_tokens":
                count = node("Sqrt", [count], "count_sqrt")
            vector = node("Div", [total, count], "mean")
    if normalize:
        length = node("Sqrt", [reduce("ReduceSum", node("Mul", [vector, vector], "squares"), "squares_sum", 1)],
                      "length")
        vector = node("Div", [vector, node("Max", [length, const("eps", 1e-12)], "length_min")], "normalized")
    nodes.append(helper.make_node("Identity", [vector], [output], name="pool_output"))
    graph.node.extend(nodes)
    graph.initializer.extend(consts)
    kept = next(o for o in graph.output if o.name == hidden)
    width = kept.type.tensor_type.shape.dim[-1]
    size = width.dim_value or width.dim_param or None
    out = helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", size])
    del graph.output[:]
    graph.output.append(out)
    return proto
