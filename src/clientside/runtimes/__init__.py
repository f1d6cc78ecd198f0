"""Browser runtimes: what runs a model in the visitor's browser. One module per runtime, one
table; the page's worker has the same table (server/static/worker.js RUNTIMES), and
tests/runtimes/test_registry.py keeps the two in step.

Each runtime (see base.Runtime) reads and inspects its bundles and names the files its page
needs, imports nothing heavy for that, and writes and verifies its bundles on demand.
"""
from __future__ import annotations

from .base import Read, Runtime, StaticFiles, is_bundle_folder
from .onnx import RUNTIME as ONNX
from .tfjs import RUNTIME as TFJS
from .tfjs_graph import RUNTIME as TFJS_GRAPH

#: name -> runtime.
RUNTIMES: dict[str, Runtime] = {runtime.name: runtime for runtime in (TFJS, ONNX, TFJS_GRAPH)}
#: The runtime choice that picks one (runtimes/choice.py): the first, in the source's order
#: of preference, that runs the model exactly.
AUTO = "auto"


def get(name: str) -> Runtime:
    try:
        return RUNTIMES[name]
    except KeyError:
        raise ValueError(f"Expected a runtime: one of {', '.join(RUNTIMES)}. Received: {name!r}") from None


__all__ = ["AUTO", "RUNTIMES", "Read", "Runtime", "StaticFiles", "get", "is_bundle_folder"]
