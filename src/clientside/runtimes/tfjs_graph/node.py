"""A TF.js graph model in real TF.js under Node, with the page's own files: what
tf.loadGraphModel makes of it (names, dtypes, shapes) and its outputs for given inputs."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..node import NodeRunError, NodeUnavailable, node_binary
from ..tfjs.node import node_modules_map

__all__ = ["GraphRun", "NodeUnavailable", "TFJSGraphError", "run_many"]

SCRIPT = Path(__file__).with_name("predict.cjs")


class TFJSGraphError(NodeRunError):
    """TF.js could not load or run a graph model."""


class GraphRun(NamedTuple):
    """What TF.js said of a model (inputs, outputs: [{name, dtype, shape}]) and, when it was
    given inputs, its outputs and whether it needed executeAsync."""

    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    values: list[np.ndarray]
    needs_async: bool


def run_many(jobs: Sequence[tuple[str | os.PathLike, Sequence[tuple[str, np.ndarray]]]], backend: str = "cpu",
             timeout: float = 1200) -> list[GraphRun | TFJSGraphError]:
    """Each job: the model's JSON file and its feeds (name, array); no feeds: only describe it.
    One Node process for all (loading TF.js takes a second); a model that fails gives its error."""
    node = node_binary()
    with tempfile.TemporaryDirectory(prefix="clientside-tfjs-graph-") as tmp:
        request_jobs = []
        for j, (file, feeds) in enumerate(jobs):
            specs = []
            for i, (name, x) in enumerate(feeds):
                x = np.asarray(x)
                integer = np.issubdtype(x.dtype, np.integer)
                path = Path(tmp) / f"in{j}_{i}.bin"
                path.write_bytes(np.ascontiguousarray(x, dtype="<i4" if integer else "<f4").tobytes())
                specs.append({"name": name, "path": str(path), "shape": list(x.shape),
                              "dtype": "int32" if integer else "float32"})
            request_jobs.append({"file": str(file), "inputs": specs, "output": str(Path(tmp) / f"out{j}")})
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({"jobs": request_jobs, "backend": backend, "modules": node_modules_map()}))
        proc = subprocess.run([node, str(SCRIPT), str(request)], capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise TFJSGraphError(f"TF.js under Node failed:\n{proc.stderr.strip()}")
        results: list[GraphRun | TFJSGraphError] = []
        for j, result in enumerate(json.loads(proc.stdout)["results"]):
            if "error" in result:
                results.append(TFJSGraphError(result["error"]))
                continue
            values = [np.fromfile(Path(tmp) / f"out{j}.{i}.f32", dtype="<f4").reshape(o["shape"])
                      for i, o in enumerate(result["outputs"])] if jobs[j][1] else []
            results.append(GraphRun(result["inputs"], result["outputs"], values, bool(result.get("async"))))
        return results


def run(file: str | os.PathLike, feeds: Sequence[tuple[str, np.ndarray]], backend: str = "cpu") -> GraphRun:
    result = run_many([(file, feeds)], backend=backend)[0]
    if isinstance(result, TFJSGraphError):
        raise TFJSGraphError(f"TF.js could not run {file}: {result}")
    return result
