"""A bundle from a TF.js graph model, and --verify for one.

The model is served as it is: its weight shards are copied byte for byte under hashed names,
and its JSON changes only in the names of those files. Before anything is written, TF.js
under Node must load it and run it on inputs of the contract's shapes and dtypes (an op TF.js
lacks is refused here, naming it, not found by a visitor); the shapes it gives fill what the
graph does not say.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ... import contract
from ...errors import ExportError
from ...files import HASH_CHARS, ModelFile, folder_name, hashed_name, new_folder, sha256_bytes, sha256_file
from ...sources.base import Say, SourceModel
from ...verify import DEFAULT_TOLERANCE, Feeds, Report, compare, fixed_batch, sample
from ...version import __version__
from ..base import is_bundle_folder
from ..node import NodeUnavailable
from ..tfjs import read_json
from ..tfjs.format import MODEL_JSON
from .inspect import after_selection, entry_of, weight_paths
from .inspect import io as graph_io
from .node import TFJSGraphError, run, run_many

#: The batch the export is checked on when the model's is free.
CHECK_BATCH = 3


def feeds_for(inputs: Sequence[dict[str, Any]], feeds: Feeds) -> list[tuple[str, np.ndarray]]:
    """The contract's inputs, named, as TF.js is fed them: uint8 as int32 (TF.js has no uint8)."""
    return [(spec["name"], np.asarray(x, np.int32) if spec["dtype"] == "uint8" else np.asarray(x))
            for spec, x in zip(inputs, feeds)]


def write(graph: Any, out_dir: str | os.PathLike, model: SourceModel, *, labels: Sequence[str] | None = None,
          preprocess: Any = None, meta: Any = None, name: str | None = None, inputs: Feeds | None = None,
          tolerance: float = DEFAULT_TOLERANCE, quantize: str | None = None, say: Say = print) -> Path:
    """The graph model at `graph` (its folder or JSON file) as a bundle in out_dir."""
    if quantize is not None:
        raise ExportError("A TF.js graph model is served with the weights it has: quantize it where it was made (the "
                          "TF.js converter's --quantize_float16 or --quantize_uint8), and drop quantize.")
    entry = entry_of(Path(graph))
    if entry is None:
        raise ExportError(f"{graph} is not a TF.js graph model (a JSON file of format 'graph-model').")
    model_json = read_json(entry, "the graph model's JSON")
    shards = {}
    for rel in weight_paths(model_json):
        source = entry.parent / rel
        if not source.is_file():
            raise ExportError(f"{entry.name} names the weight file {rel}, which is not in {entry.parent}: "
                              "copy the model's folder whole.")
        shards[rel] = (source, sha256_file(source))
    io = graph_io(model_json, labels)
    feeds = inputs if inputs is not None else model.examples
    if feeds is None:
        feeds = sample(io.inputs, model.hints, batch=fixed_batch(io.inputs) or CHECK_BATCH)
    try:
        ran = run(entry, feeds_for(io.inputs, feeds))
    except NodeUnavailable as exc:
        raise ExportError(f"Checking a graph model needs TF.js under Node, which runs it before it is written: "
                          f"{exc}") from None
    except TFJSGraphError as exc:
        raise ExportError(f"TF.js cannot run {entry}: {exc}\nIf an op is named, TF.js has no kernel for it: "
                          "export the model without it, or to ONNX (tf2onnx) and serve that.") from None
    io = graph_io(model_json, labels, shapes={o["name"]: o["shape"] for o in ran.outputs})
    out_dir = Path(out_dir)
    draft = contract.draft("tfjs-graph", name or folder_name(out_dir.resolve()), io, known=model.about, meta=meta,
                           preprocess=preprocess)
    renamed = {rel: hashed_name(Path(rel).stem, digest) for rel, (_, digest) in shards.items()}
    for group in model_json.get("weightsManifest", []):
        group["paths"] = [renamed[p] for p in group["paths"]]
    body = json.dumps(model_json, separators=(",", ":")).encode()
    files = [ModelFile(MODEL_JSON, len(body), sha256_bytes(body)),
             *(ModelFile(renamed[rel], source.stat().st_size, digest) for rel, (source, digest) in shards.items())]
    params = sum(int(np.prod(w.get("shape") or [1])) for group in model_json.get("weightsManifest", [])
                 for w in group.get("weights", []))
    draft.update(files=[f.entry() for f in files], content_hash=sha256_bytes(
                     "".join(f.sha256 for f in files).encode())[:HASH_CHARS],
                 params=params, generated_by=str(model_json.get("generatedBy") or model.generated_by),
                 converted_by=", ".join([*filter(None, [str(model_json.get("convertedBy") or "")]),
                                         f"served as it is by clientside {__version__}"]))
    contract.validate(draft, str(out_dir / contract.BUNDLE_JSON))
    with new_folder(out_dir, ours=is_bundle_folder, what="bundle") as tmp:
        (tmp / MODEL_JSON).write_bytes(body)
        for rel, (source, _) in shards.items():
            shutil.copyfile(source, tmp / renamed[rel])
        (tmp / contract.BUNDLE_JSON).write_text(json.dumps(draft, indent=2) + "\n")
    say(f"TF.js ran it under Node{' with executeAsync (the graph has control flow)' if ran.needs_async else ''}: "
        + ", ".join(f"{o['name']} {o['shape']}" for o in ran.outputs))
    return out_dir


def verify(out_dir: str | os.PathLike, model: SourceModel | None, inputs: Feeds | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> Report:
    """The bundle as the page loads it, in TF.js's wasm backend under Node (the page's
    default), against the original files (or the bundle, given no source) in its cpu backend,
    the reference kernels. Outputs that a NonMaxSuppression feeds are judged apart: on
    near-equal scores (random inputs have many) two sets of kernels may keep other boxes."""
    out_dir = Path(out_dir)
    stored = json.loads((out_dir / contract.BUNDLE_JSON).read_text())
    bundle_json = out_dir / stored["files"][0]["path"]
    original = entry_of(Path(model.native)) if model is not None and model.native is not None else None
    feeds = inputs if inputs is not None else sample(stored["inputs"], batch=fixed_batch(stored["inputs"]) or 4)
    named = feeds_for(stored["inputs"], feeds)
    expected = run(original or bundle_json, named, backend="cpu")
    got = run_many([(bundle_json, named)], backend="wasm")[0]
    if isinstance(got, TFJSGraphError):
        raise ExportError(f"TF.js's wasm backend cannot run the bundle: {got}")
    names = [o["name"] for o in expected.outputs]
    selected = after_selection(read_json(bundle_json, "the graph model's JSON"), names)
    kept = [i for i, name in enumerate(names) if name not in selected]
    got_by = "TF.js wasm under Node (the bundle)"
    expected_by = "TF.js cpu under Node (" + ("the original files)" if original else "the bundle)")
    report = compare([expected.values[i] for i in kept], [got.values[i] for i in kept], tolerance=tolerance,
                     got_by=got_by, expected_by=expected_by)
    if selected:
        apart = compare([expected.values[names.index(n)] for n in selected],
                        [got.values[names.index(n)] for n in selected], got_by=got_by, expected_by=expected_by)
        report.notes.append(f"{len(selected)} output(s) follow a NonMaxSuppression ({', '.join(selected)}): "
                            f"largest difference {apart.max_abs_diff:.3g}, judged apart (which boxes are kept "
                            "flips on near-equal scores); compared: the other outputs")
    return report
