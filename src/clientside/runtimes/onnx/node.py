"""Run an ONNX model in onnxruntime-web's wasm build under Node: the browser's own runtime,
for --verify and the tests."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from ..node import NodeRunError, NodeUnavailable, node_binary, vendor_file

SCRIPT = Path(__file__).with_name("predict.cjs")
DTYPES = {"float32": "<f4", "float64": "<f8", "int32": "<i4", "int64": "<i8"}

__all__ = ["NodeUnavailable", "OrtWebError", "predict"]


class OrtWebError(NodeRunError):
    """onnxruntime-web could not load or run a model."""


def predict(model_file: str | os.PathLike, names: Sequence[str], inputs: Sequence[np.ndarray],
            dtypes: Sequence[str], batch: int | None = None, timeout: float = 600,
            external: Sequence[str | os.PathLike] | None = None, whole: Collection[int] = ()) -> list[np.ndarray]:
    """The model's outputs for the inputs, computed by onnxruntime-web's wasm under Node.
    batch: the model's fixed batch size, if any: the script runs it slice by slice, as the page does.
    external: the files of its weights (external data), given to ORT by name as the page does
    (default: the files the graph names, beside it). whole: the positions of constant inputs,
    fed as they are to every slice."""
    if external is None:
        from .weights import beside

        external = beside(model_file)
    node = node_binary()
    ort = vendor_file("ort.wasm.min.js")
    with tempfile.TemporaryDirectory(prefix="clientside-ort-") as tmp:
        specs = []
        for i, (name, x, dtype) in enumerate(zip(names, inputs, dtypes)):
            path = Path(tmp) / f"in{i}.bin"
            path.write_bytes(np.ascontiguousarray(x, dtype=DTYPES[dtype]).tobytes())
            specs.append({"name": name, "path": str(path), "shape": list(np.shape(x)), "dtype": dtype,
                          "whole": i in whole})
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({"ort": str(ort), "model": str(model_file), "inputs": specs, "batch": batch,
                                       "external": [{"path": Path(f).name, "file": str(f)} for f in external],
                                       "output": str(Path(tmp) / "out")}))
        proc = subprocess.run([node, str(SCRIPT), str(request)], capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise OrtWebError(f"onnxruntime-web under Node failed:\n{proc.stderr.strip()[-2000:]}")
        outputs = json.loads(proc.stdout)["outputs"]
        return [np.fromfile(Path(tmp) / f"out.{i}.f32", dtype="<f4").reshape(o["shape"]) for i, o in enumerate(outputs)]
