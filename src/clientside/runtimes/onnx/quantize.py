"""Smaller ONNX bundles, three ways (QUANTIZE):

- uint8: each float32 weight of MIN_QUANTIZED values or more stored in one byte, with its scale
  and zero point (runtimes/affine.py, the formula TF.js bundles use too), restored as
  (float(q) - zero) * scale by Cast, Sub and Mul, which onnxruntime folds into a float32
  weight when the session loads. So the browser and Python run the same float kernels: a
  DequantizeLinear would be kept unfolded, and fused into other kernels differently in the
  wasm build (measured 7e-4 of the output scale apart).
- float16: the same weights in two bytes, restored by one Cast (folded the same way): the
  kernels stay float32, so it runs wherever float32 does.
- int8: onnxruntime's dynamic quantization (quantize_dynamic): int8 weights and the
  activations quantized at run time, computed by integer kernels (MatMulInteger), which the
  wasm build has: smaller and faster on the CPU, at a cost the export measures and says."""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ...errors import ExportError
from ..affine import quantize, zero_point
from .graph import onnx_module, prepend

#: Smaller weights (biases, norms) stay float32: they weigh little and matter most.
MIN_QUANTIZED = 1024


#: What an ONNX bundle can store, and how it says so in the contract's quantization.patterns.
QUANTIZE = {"uint8": f"float32 weights of {MIN_QUANTIZED} values or more",
            "float16": f"float32 weights of {MIN_QUANTIZED} values or more",
            "int8": "MatMul and Gather weights, activations quantized at run time (onnxruntime quantize_dynamic)"}


def quantized(model: Any, dtype: str) -> Any:
    """A copy of the model, smaller as dtype says (QUANTIZE)."""
    if dtype == "int8":
        return dynamic_int8(model)
    if dtype == "float16":
        return float16_weights(model)
    return quantize_weights(model)


def dynamic_int8(model: Any) -> Any:
    import logging
    import tempfile
    from pathlib import Path

    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    onnx = onnx_module()
    with tempfile.TemporaryDirectory(prefix="clientside-int8-") as tmp:
        source, ready, target = (Path(tmp) / n for n in ("model.onnx", "model.pre.onnx", "model.int8.onnx"))
        source.write_bytes(model.SerializeToString())
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its advice to pre-process is followed: quant_pre_process
        try:  # symbolic shapes fail on free sequence lengths; ONNX's own shape inference is enough
            quant_pre_process(str(source), str(ready), skip_symbolic_shape=True)
            quantize_dynamic(ready, target, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime's tools raise plain Exceptions
            raise ExportError(f"onnxruntime's int8 quantization failed on this model ({type(exc).__name__}: "
                              f"{exc}); export it without --quantize int8, or with --quantize uint8.") from None
        finally:
            root.setLevel(level)
        return onnx.load_from_string(target.read_bytes())


def _replace_weights(model: Any, min_values: int, stored: Any) -> Any:
    """A copy of the model whose float32 weights of min_values values or more are replaced:
    stored(name, array) -> (the initializers that hold it now, the nodes that restore it)."""
    onnx = onnx_module()
    from onnx import numpy_helper

    model = copy.deepcopy(model)
    graph = model.graph
    inputs = {v.name for v in graph.input}
    nodes, keep, added = [], [], []
    for tensor in graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT or tensor.name in inputs or \
                int(np.prod(tensor.dims)) < min_values:
            keep.append(tensor)
            continue
        held, restore = stored(tensor.name, numpy_helper.to_array(tensor))
        added += held
        nodes += restore
    del graph.initializer[:]
    graph.initializer.extend(keep)
    prepend(graph, nodes, added)
    return model


def float16_weights(model: Any, min_values: int = MIN_QUANTIZED) -> Any:
    """A copy of the model with its big float32 weights stored as float16, cast back at load."""
    onnx = onnx_module()
    from onnx import helper, numpy_helper

    def stored(name: str, weights: np.ndarray) -> tuple[list[Any], list[Any]]:
        return ([numpy_helper.from_array(weights.astype(np.float16), f"{name}_float16")],
                [helper.make_node("Cast", [f"{name}_float16"], [name], to=onnx.TensorProto.FLOAT)])

    return _replace_weights(model, min_values, stored)


def quantize_weights(model: Any, min_values: int = MIN_QUANTIZED) -> Any:
    """A copy of the model with its big float32 weights as uint8 + scale + zero point."""
    onnx = onnx_module()
    from onnx import helper, numpy_helper

    def stored(name: str, weights: np.ndarray) -> tuple[list[Any], list[Any]]:
        q, scale, low = quantize(weights, "uint8")
        return ([numpy_helper.from_array(q, f"{name}_uint8"),
                 numpy_helper.from_array(np.asarray(scale, np.float32), f"{name}_scale"),
                 numpy_helper.from_array(np.asarray(zero_point(scale, low), np.float32), f"{name}_zero_point")],
                [helper.make_node("Cast", [f"{name}_uint8"], [f"{name}_float"], to=onnx.TensorProto.FLOAT),
                 helper.make_node("Sub", [f"{name}_float", f"{name}_zero_point"], [f"{name}_centred"]),
                 helper.make_node("Mul", [f"{name}_centred", f"{name}_scale"], [name])])

    return _replace_weights(model, min_values, stored)
