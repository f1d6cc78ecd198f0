"""Run a TF.js bundle in real TF.js under Node: the ground truth for --verify and parity tests."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...vendor import VENDOR_FILES
from ..node import NodeRunError, NodeUnavailable, node_binary, vendor_root

__all__ = ["NodeUnavailable", "TFJSError", "predict", "predict_many"]

SCRIPT = Path(__file__).with_name("predict.cjs")


def node_modules_map() -> dict[str, str]:
    """npm module name -> the file Node should load for it: the very files the page is
    served (clientside/vendor.py finds them: a wheel's packaged copy or node_modules)."""
    root = vendor_root()
    return {rel.split("/dist/")[0]: str(root / rel) for name, rel in VENDOR_FILES.items() if name.endswith(".js")}


class TFJSError(NodeRunError):
    """TF.js could not load or run a model."""


def predict_many(jobs: Sequence[tuple[str | os.PathLike, Sequence[np.ndarray]]], backend: str = "cpu",
                 timeout: float = 1200) -> list[list[np.ndarray] | TFJSError]:
    """Outputs of several bundles for their inputs, computed by TF.js in one Node process.
    A model TF.js cannot load or run gives a TFJSError in its place."""
    node = node_binary()
    modules = node_modules_map()
    with tempfile.TemporaryDirectory(prefix="clientside-tfjs-") as tmp:
        request_jobs = []
        for j, (bundle_dir, inputs) in enumerate(jobs):
            specs = []
            for i, x in enumerate(inputs):
                x = np.asarray(x)
                dtype = "int32" if np.issubdtype(x.dtype, np.integer) else "float32"
                path = Path(tmp) / f"in{j}_{i}.bin"
                path.write_bytes(np.ascontiguousarray(x, dtype="<i4" if dtype == "int32" else "<f4").tobytes())
                specs.append({"path": str(path), "shape": list(x.shape), "dtype": dtype})
            request_jobs.append({"dir": str(bundle_dir), "inputs": specs, "output": str(Path(tmp) / f"out{j}")})
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({"jobs": request_jobs, "backend": backend, "modules": modules}))
        proc = subprocess.run([node, str(SCRIPT), str(request)],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise TFJSError(f"TF.js under Node failed:\n{proc.stderr.strip()}")
        results: list[list[np.ndarray] | TFJSError] = []
        for j, result in enumerate(json.loads(proc.stdout)["results"]):
            if "error" in result:
                results.append(TFJSError(result["error"]))
                continue
            results.append([np.fromfile(Path(tmp) / f"out{j}.{i}.f32", dtype="<f4").reshape(o["shape"])
                            for i, o in enumerate(result["outputs"])])
        return results


def predict(bundle_dir: str | os.PathLike, inputs: Sequence[np.ndarray], backend: str = "cpu",
            timeout: float = 600) -> list[np.ndarray]:
    """Outputs of the model in bundle_dir for the given inputs, computed by TF.js."""
    result = predict_many([(bundle_dir, inputs)], backend=backend, timeout=timeout)[0]
    if isinstance(result, TFJSError):
        raise TFJSError(f"TF.js failed on {bundle_dir}: {result}")
    return result
