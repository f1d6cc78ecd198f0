"""TF.js graph models as other tools wrote them (the official converter from a SavedModel or
TF Hub; many npm packages ship one): a folder holding model.json, or the graph model's own
JSON file (emotion.json beside emotion.bin). Nothing to convert: the bundle carries the files
as they are, and the export proves TF.js runs them (runtimes/tfjs_graph/write.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ExportError
from .base import Say, Source, SourceModel, as_path


def accepts(obj: Any) -> bool:
    from ..runtimes.tfjs_graph.inspect import entry_of

    path = as_path(obj)
    return path is not None and path.exists() and entry_of(path) is not None


def load(source: Any) -> SourceModel:
    import json

    from ..runtimes.tfjs_graph.inspect import entry_of

    path = Path(source)
    entry = entry_of(path)
    if entry is None:
        raise ExportError(f"{path} is not a TF.js graph model (a JSON file of format 'graph-model').")
    made_by = str(json.loads(entry.read_text()).get("generatedBy") or entry.name)

    def graph(say: Say) -> Any:
        return entry

    return SourceModel(source="tfjs-graph", title="TF.js (the original files)", graphs={"tfjs-graph": graph},
                       generated_by=made_by, native=entry)


SOURCE = Source(name="tfjs-graph", title="TF.js graph model",
                what="a TF.js graph model (a folder with model.json, or its .json file)",
                accepts=accepts, load=load, suffixes=(".json",), folders=True)
