"""uint8 weights for ONNX bundles: each float32 weight of MIN_QUANTIZED values or more
stored in one byte, with its scale and zero point (runtimes/affine.py, the formula TF.js
bundles use too), restored as (float(q) - zero) * scale by Cast, Sub and Mul, which
onnxruntime folds into a float32 weight when the session loads. So the browser and Python
run the same float kernels: a DequantizeLinear would be kept unfolded, and fused into other
kernels differently in the wasm build (measured 7e-4 of the output scale apart)."""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..affine import quantize, zero_point
from .graph import onnx_module, prepend

#: Smaller weights (biases, norms) stay float32: they weigh little and matter most.
MIN_QUANTIZED = 1024


def quantize_weights(model: Any, min_values: int = MIN_QUANTIZED) -> Any:
    """A copy of the model with its big float32 weights as uint8 + scale + zero point."""
    onnx = onnx_module()
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
        q, scale, low = quantize(numpy_helper.to_array(tensor), "uint8")
        name = tensor.name
        added += [numpy_helper.from_array(q, f"{name}_uint8"),
                  numpy_helper.from_array(np.asarray(scale, np.float32), f"{name}_scale"),
                  numpy_helper.from_array(np.asarray(zero_point(scale, low), np.float32), f"{name}_zero_point")]
        nodes += [helper.make_node("Cast", [f"{name}_uint8"], [f"{name}_float"], to=onnx.TensorProto.FLOAT),
                  helper.make_node("Sub", [f"{name}_float", f"{name}_zero_point"], [f"{name}_centred"]),
                  helper.make_node("Mul", [f"{name}_centred", f"{name}_scale"], [name])]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    prepend(graph, nodes, added)
    return model
