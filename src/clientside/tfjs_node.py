"""Run an exported model in real TF.js under Node: the ground truth for parity checks."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).with_name("js") / "predict.cjs"


class NodeUnavailable(RuntimeError):
    """Node or the project's npm packages are missing."""


def find_node_modules() -> Path:
    """The node_modules holding @tensorflow/tfjs-layers (project checkout or cwd)."""
    env = os.environ.get("CLIENTSIDE_NODE_MODULES")
    candidates = [Path(env)] if env else []
    candidates += [p / "node_modules" for p in [Path.cwd(), *Path(__file__).resolve().parents]]
    for folder in candidates:
        if (folder / "@tensorflow" / "tfjs-layers").is_dir():
            return folder
    raise NodeUnavailable("TF.js is not installed: run `npm ci` in the clientside project "
                          "(or set CLIENTSIDE_NODE_MODULES to a node_modules folder with it).")


def predict(bundle_dir: str | os.PathLike, inputs: Sequence[np.ndarray], backend: str = "cpu",
            timeout: float = 600) -> list[np.ndarray]:
    """Outputs of the model in bundle_dir for the given inputs, computed by TF.js."""
    node = shutil.which("node")
    if node is None:
        raise NodeUnavailable("node is not on PATH: install Node.js 18 or newer.")
    modules = find_node_modules()
    with tempfile.TemporaryDirectory(prefix="clientside-tfjs-") as tmp:
        specs = []
        for i, x in enumerate(inputs):
            dtype = "int32" if np.issubdtype(x.dtype, np.integer) else "float32"
            path = Path(tmp) / f"in{i}.bin"
            path.write_bytes(np.ascontiguousarray(x, dtype="<i4" if dtype == "int32" else "<f4").tobytes())
            specs.append({"path": str(path), "shape": list(x.shape), "dtype": dtype})
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({"inputs": specs, "output": str(Path(tmp) / "out"),
                                       "backend": backend}))
        env = {**os.environ, "NODE_PATH": str(modules)}
        proc = subprocess.run([node, str(SCRIPT), str(bundle_dir), str(request)], env=env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"TF.js failed on {bundle_dir}:\n{proc.stderr.strip()}")
        result = json.loads(proc.stdout)
        return [np.fromfile(Path(tmp) / f"out.{i}.f32", dtype="<f4").reshape(o["shape"])
                for i, o in enumerate(result["outputs"])]
