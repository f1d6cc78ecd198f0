"""The graph the browser runs, optimized once at export instead of at every visit.

ONNX Runtime Web optimizes a graph when it creates the session, as native onnxruntime does,
but a graph from Keras through torch carries what neither removes: a Transpose around every
convolution (channels_last) and each batch normalization spelled out as Sub, Mul and Add,
which ORT's Conv fusions do not take (they fuse a Mul or an Add that follows the Conv
directly, never a Sub). On MobileNetV2 that is 156 elementwise passes over the activations
per prediction. So the export runs:

1. onnxruntime's basic level (constant folding, the transpose optimizer, ORT's own Conv
   fusions): standard ONNX operators only, the same for every machine, unlike the higher
   levels, whose NCHWc layouts are native-only;
2. a fold of what still follows a Conv (Sub, Add, Mul or Div by a per-channel constant)
   into its weights and bias: conv(x, W) * s + b = conv(x, W * s) + b * s.

Both reassociate float arithmetic, as ORT's own fusions do at load: the result is checked
against the source like any export (write.py), and kept only if it agrees.

The optimized graph is never bigger than the graph given: where constant folding would store
compressed weights expanded (int8 or float16 weights cast to float32 in the graph, folded into
float32 initializers: four or two times the bytes to download), the basic level runs without
it, and where nothing then gets smaller, the graph stays as it was.
"""
from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

#: Beyond this the graph is not rewritten: ORT saves the optimized graph as one protobuf (2 GB at most).
MAX_BYTES = 1 << 30
FOLDABLE = ("Add", "Sub", "Mul", "Div")
#: How much bigger the optimized graph may be: a Conv's weights copied where another Conv shares them.
GROWTH, SLACK = 1.01, 64 * 1024


def optimized(model: Any) -> tuple[Any, str] | None:
    """(the optimized onnx.ModelProto, what changed, in words), or None where nothing would
    get smaller or the graph is too big to rewrite here."""
    onnx = _onnx()
    size = model.ByteSize()
    if size > MAX_BYTES:
        return None
    before = Counter(n.op_type for n in model.graph.node)
    for left_out in ((), ("ConstantFolding",)):
        basic = _onnxruntime_basic(model, left_out)
        folded = fold_into_conv(basic)
        if basic.ByteSize() <= size * GROWTH + SLACK:
            break
    else:
        return None
    after = Counter(n.op_type for n in basic.graph.node)
    if sum(after.values()) >= sum(before.values()):
        return None
    _keep_used_domains(basic)
    gone = ", ".join(f"{count} {op}" for op, count in (before - after).most_common())
    onnx.checker.check_model(basic)
    return basic, (f"{sum(before.values())} nodes -> {sum(after.values())} ({gone} fewer"
                   + (f"; {folded} folded into their Convs" if folded else "")
                   + ("; without constant folding, which would have stored compressed weights expanded"
                      if left_out else "") + ")")


def _keep_used_domains(model: Any) -> None:
    """Drops the opset imports no node uses: ORT's saved graph declares every domain it knows
    (its NCHWc and experimental ones among them), which the browser's build need not."""
    used = {""}

    def walk(graph: Any) -> None:
        for node in graph.node:
            used.add(node.domain if node.domain != "ai.onnx" else "")
            for attribute in node.attribute:
                if attribute.g.ByteSize():
                    walk(attribute.g)
                for sub in attribute.graphs:
                    walk(sub)
    walk(model.graph)
    keep = [o for o in model.opset_import if (o.domain if o.domain != "ai.onnx" else "") in used]
    del model.opset_import[:]
    model.opset_import.extend(keep)


def _onnx() -> Any:
    from .graph import onnx_module

    return onnx_module()


def _onnxruntime_basic(model: Any, left_out: tuple[str, ...] = ()) -> Any:
    """The graph as onnxruntime's basic level leaves it (less the optimizers left_out), saved by
    onnxruntime itself."""
    import onnxruntime

    onnx = _onnx()
    with tempfile.TemporaryDirectory(prefix="clientside-optimize-") as tmp:
        out = Path(tmp) / "basic.onnx"
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(out)
        options.log_severity_level = 3
        onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"],
                                     disabled_optimizers=list(left_out))
        return onnx.load(str(out))


def fold_into_conv(model: Any) -> int:
    """Folds, in place, each Sub, Add, Mul or Div by a per-channel constant that is the one
    consumer of a Conv's output into that Conv's weights and bias; returns how many."""
    _onnx()
    from onnx import numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    folded = 0
    changed = True
    while changed:
        changed = False
        consumers: dict[str, list[Any]] = {}
        for node in graph.node:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        for conv in list(graph.node):
            if conv.op_type != "Conv" or conv.domain not in ("", "ai.onnx") or conv.input[1] not in inits:
                continue
            after = consumers.get(conv.output[0], [])
            if len(after) != 1 or conv.output[0] in outputs:
                continue
            [step] = after
            if step.op_type not in FOLDABLE or step.domain not in ("", "ai.onnx") or len(step.input) != 2:
                continue
            first = step.input[0] == conv.output[0]
            other = step.input[1] if first else step.input[0]
            if other not in inits or (not first and step.op_type in ("Sub", "Div")):
                continue
            weights = numpy_helper.to_array(inits[conv.input[1]])
            channels = weights.shape[0]
            per_channel = _per_channel(numpy_helper.to_array(inits[other]), channels, weights.ndim)
            if per_channel is None or weights.dtype != per_channel.dtype or weights.dtype.kind != "f":
                continue
            bias = (numpy_helper.to_array(inits[conv.input[2]]) if len(conv.input) > 2 and conv.input[2]
                    else np.zeros(channels, weights.dtype))
            if len(conv.input) > 2 and conv.input[2] and conv.input[2] not in inits:
                continue
            scale = per_channel.reshape((channels,) + (1,) * (weights.ndim - 1))
            if step.op_type == "Add":
                bias = bias + per_channel
            elif step.op_type == "Sub":
                bias = bias - per_channel
            elif step.op_type == "Mul":
                weights, bias = weights * scale, bias * per_channel
            else:
                weights, bias = weights / scale, bias / per_channel
            names = [_unique(inits, f"{conv.name or conv.output[0]}_folded_{kind}") for kind in ("W", "B")]
            for name, value in zip(names, (weights, bias)):
                tensor = numpy_helper.from_array(value.astype(per_channel.dtype), name)
                graph.initializer.append(tensor)
                inits[name] = tensor
            del conv.input[1:]
            conv.input.extend(names)
            gone = conv.output[0]
            conv.output[0] = step.output[0]
            graph.node.remove(step)
            for info in [v for v in graph.value_info if v.name == gone]:
                graph.value_info.remove(info)
            folded += 1
            changed = True
            break
    used = {name for node in graph.node for name in node.input}
    keep = [t for t in graph.initializer if t.name in used or t.name in outputs]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return folded


def _per_channel(value: np.ndarray, channels: int, rank: int) -> np.ndarray | None:
    """value as one number per output channel (C,), where it broadcasts over a Conv's output
    (N, C, spatial...) along the channels only; else None."""
    if value.ndim > rank:
        return None
    if value.size == 1:
        return np.full(channels, value.reshape(()), value.dtype)
    padded = (1,) * (rank - value.ndim) + value.shape
    if padded[1] != channels or any(d != 1 for i, d in enumerate(padded) if i != 1):
        return None
    return value.reshape(channels)


def _unique(taken: dict[str, Any], name: str) -> str:
    out, i = name, 0
    while out in taken:
        i += 1
        out = f"{name}_{i}"
    return out
