"""TensorFlow.js (runtime "tfjs"): a layers model, model.json and its weight shards.

    format.py     the format's names (model.json) and numbers
    inspect.py    a model.json's inputs and outputs (folders from other tools)
    converter/    Keras 3 -> TF.js layers: one small converter per layer class, in a registry
    weights.py    the weight shards, content-hashed, optionally quantized
    write.py      the bundle, written whole
    verify.py, node.py, predict.cjs   real TF.js under Node against Keras (--verify)
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ... import contract
from ...contract.migrate import from_v1
from ...errors import BundleError
from ...files import content_hash, folder_name, hashed_name, measure, sha256_bytes
from ..base import Read, StaticFiles
from .format import DEFAULT_SHARD_BYTES, MODEL_JSON, QUANTIZE_DTYPES
from .inspect import io, is_layers_model, weight_paths

if TYPE_CHECKING:
    from ...sources.base import SourceModel
    from ...verify import Feeds, Report


def hashed_shards(bundle: Read, what: str) -> StaticFiles:
    """A TF.js model (layers or graph) for a static host: every shard under a content-hashed
    name, and the model's JSON (the bundle's first file) rewritten to name them so, as
    model.json, the one name hosts revalidate: the one caching rule, hashed names immutable,
    holds. what: the JSON's description, for the error if it does not read."""
    entry, shards = bundle.files[0], bundle.files[1:]
    renamed = {s.path: s.path if s.hashed_name else hashed_name(s.path.removesuffix(".bin"), s.sha256)
               for s in shards}
    model_json = read_json(bundle.root / entry.path, what)
    for group in model_json.get("weightsManifest", []):
        group["paths"] = [renamed[p] for p in group["paths"]]
    body = json.dumps(model_json, separators=(",", ":")).encode()
    files: dict[str, Path | bytes] = {MODEL_JSON: body}
    files.update({renamed[s.path]: bundle.root / s.path for s in shards})
    entries = [{"path": MODEL_JSON, "size": len(body), "sha256": sha256_bytes(body)},
               *({**s.entry(), "path": renamed[s.path]} for s in shards)]
    return StaticFiles({**bundle.contract, "files": entries}, files)


def read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{path} not found: {what}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise BundleError(f"{path} must hold a JSON object.")
    return data


class TfjsRuntime:
    name = "tfjs"
    title = "TensorFlow.js"
    infers_from = "model.json"
    page_module = "runtimes/tfjs.js"
    page_files: ClassVar[tuple[str, ...]] = (
        "tf-backend-cpu.min.js", "tf-backend-wasm.min.js", "tf-backend-webgl.min.js", "tf-backend-webgpu.min.js",
        "tf-core.min.js",
        "tf-layers.min.js", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm",
        "tfjs-backend-wasm.wasm")
    #: Only the SIMD wasm binary, the one browsers use without cross-origin isolation; the
    #: service worker keeps another one (threads, no SIMD) once a visit has fetched it.
    offline_files: ClassVar[tuple[str, ...]] = (
        "tf-core.min.js", "tf-layers.min.js", "tf-backend-wasm.min.js", "tfjs-backend-wasm-simd.wasm")
    page_backends: ClassVar[tuple[str, ...]] = ("webgpu", "webgl", "wasm", "cpu")
    node_backends: ClassVar[tuple[str, ...]] = ("wasm", "cpu")
    options: ClassVar[dict[str, Any]] = {"shard_bytes": DEFAULT_SHARD_BYTES, "allow_unknown": (),
                                         "quantize_patterns": ("*",)}
    quantize: ClassVar[tuple[str, ...]] = QUANTIZE_DTYPES

    def recognizes(self, path: Path) -> bool:
        """A folder with model.json, unless that is a graph model (runtime tfjs-graph's)."""
        if not (path.is_dir() and (path / MODEL_JSON).is_file()):
            return False
        try:
            return json.loads((path / MODEL_JSON).read_text()).get("format") != "graph-model"
        except (OSError, ValueError, AttributeError):
            return True  # read() says what is wrong with it

    def read(self, path: Path, stored: contract.Contract | None, *, verify_hashes: bool) -> Read:
        """A bundle of ours (format 2 or 1), or a plain TF.js layers folder (e.g. from the
        official converter): what it lacks is inferred from model.json."""
        model_json = read_json(path / MODEL_JSON, "a bundle holds the TF.js model.json")
        if not is_layers_model(model_json):
            raise BundleError(f"{path / MODEL_JSON} is not a TF.js layers model "
                              "(format 'layers-model' with a modelTopology).")
        where = contract.BUNDLE_JSON
        known = {f["path"]: f for f in (stored or {}).get("files", []) + (stored or {}).get("shards", [])
                 if isinstance(f, dict)}
        shards = [measure(path, rel, known, verify_hashes, named_by=MODEL_JSON) for rel in weight_paths(model_json)]
        model_file = measure(path, MODEL_JSON, {k: v for k, v in known.items() if k == MODEL_JSON}, True,
                             named_by=where)
        if stored is not None and stored.get("format") == contract.FORMAT:
            found = dict(stored)
            listed = {f["path"] for f in found.get("files", [])}
            missing = sorted({s.path for s in shards} - listed)
            if missing:
                raise BundleError(f"{path / where}: files: {missing[0]} is in model.json but not listed.")
            return Read(path, found, [model_file, *shards])
        if stored is not None:  # format 1
            found = from_v1(stored, io(model_json, stored.get("labels")), self.name)
        else:
            inputs, outputs = io(model_json)
            found = {"format": contract.FORMAT, "runtime": self.name, "inputs": inputs, "outputs": outputs}
        found["files"] = [model_file.entry(), *(s.entry() for s in shards)]
        found["name"] = found.get("name") or folder_name(path)
        found["content_hash"] = found.get("content_hash") or content_hash([model_file, *shards])
        return Read(path, found, [model_file, *shards])

    def static_files(self, bundle: Read) -> StaticFiles:
        """A plain TF.js folder's `group1-shard1of1.bin` becomes `group1-shard1of1.<hash>.bin`."""
        return hashed_shards(bundle, "a bundle holds the TF.js model.json")

    def aliases(self, bundle: Read) -> dict[str, bytes]:
        """model.json at its own URL, and at the article's, <page>/model, its shard paths
        written "model/<shard>" there (TF.js resolves them against the folder of the model's URL)."""
        canonical = (bundle.root / MODEL_JSON).read_bytes()
        model_json = json.loads(canonical)
        for group in model_json.get("weightsManifest", []):
            group["paths"] = ["model/" + p for p in group["paths"]]
        return {f"model/{MODEL_JSON}": canonical, "model": json.dumps(model_json, separators=(",", ":")).encode()}

    # --- write side ---
    def problems(self, graph: Any, allow_unknown: Sequence[str] = (), **options: Any) -> list[Any]:
        from .converter.topology import convert_model

        return list(convert_model(graph, frozenset(allow_unknown)).problems)

    def reasons(self, problems: Sequence[Any]) -> list[str]:
        from .converter import reasons

        return reasons(problems)

    def refusal(self, problems: Sequence[Any]) -> str:
        from .converter import refusal

        return refusal(problems)

    def write(self, graph: Any, out_dir: Path, model: SourceModel, **settings: Any) -> Path:
        from .write import write

        return write(graph, out_dir, model, **settings)

    def verify(self, out_dir: Path, model: SourceModel | None, inputs: Feeds | None, tolerance: float) -> Report:
        from .verify import verify

        if model is None or model.native is None:
            raise BundleError("Verifying a TF.js bundle needs the Keras model it was written from.")
        return verify(model, out_dir, inputs, tolerance)

    def run_under_node(self, out_dir: Path, feeds: Feeds, backend: str) -> Feeds:
        from .node import predict

        return predict(out_dir, feeds, backend=backend)


RUNTIME = TfjsRuntime()

__all__ = ["MODEL_JSON", "RUNTIME", "TfjsRuntime"]
