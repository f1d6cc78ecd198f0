"""TensorFlow.js graph models (runtime "tfjs-graph"): what the official converter writes from a
SavedModel or TF Hub, and what many npm model packages ship. Served as they are: model.json
(format "graph-model") and its shards, loaded by tf.loadGraphModel, run by execute, or
executeAsync where the graph has control flow. Quantized weights (float16, uint8) load as
TF.js reads them; nothing here rewrites a weight.

    inspect.py    model.json's inputs and outputs, as tf.loadGraphModel names and types them
    write.py      a bundle from a graph model: its files under hashed names, a contract,
                  checked to load and run in TF.js under Node first
    node.py, predict.cjs   the model in TF.js under Node (the check, --verify, the tests)
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ... import contract
from ...errors import BundleError
from ...files import content_hash, folder_name, measure
from ..base import Read, StaticFiles
from ..tfjs import hashed_shards, read_json
from .inspect import entry_of, io, weight_paths

if TYPE_CHECKING:
    from ...sources.base import SourceModel
    from ...verify import Feeds, Report


class TfjsGraphRuntime:
    name = "tfjs-graph"
    title = "TensorFlow.js (graph model)"
    infers_from = "model.json (a graph model)"
    page_module = "runtimes/tfjs-graph.js"
    page_files: ClassVar[tuple[str, ...]] = (
        "tf-backend-cpu.min.js", "tf-backend-wasm.min.js", "tf-backend-webgl.min.js", "tf-backend-webgpu.min.js",
        "tf-converter.min.js",
        "tf-core.min.js", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm",
        "tfjs-backend-wasm.wasm")
    offline_files: ClassVar[tuple[str, ...]] = (
        "tf-core.min.js", "tf-converter.min.js", "tf-backend-wasm.min.js", "tfjs-backend-wasm-simd.wasm")
    page_backends: ClassVar[tuple[str, ...]] = ("webgpu", "webgl", "wasm", "cpu")
    #: None: a graph model carries no self-check (nothing outside its files says what it must compute).
    node_backends: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[dict[str, Any]] = {}
    quantize: ClassVar[tuple[str, ...]] = ()

    def recognizes(self, path: Path) -> bool:
        return entry_of(path) is not None

    def read(self, path: Path, stored: contract.Contract | None, *, verify_hashes: bool) -> Read:
        """A bundle of ours, or a graph model as another tool wrote it (a folder with
        model.json, or NAME.json beside its shards): what it lacks is inferred from it."""
        if stored is not None:
            if stored.get("format") != contract.FORMAT:
                raise BundleError(f"{path / contract.BUNDLE_JSON}: a graph-model bundle needs "
                                  f"format {contract.FORMAT}.")
            listed = {f["path"]: f for f in stored.get("files", []) if isinstance(f, dict) and "path" in f}
            files = [measure(path, rel, listed, verify_hashes, named_by=contract.BUNDLE_JSON) for rel in listed]
            model_json = read_json(path / files[0].path, "a bundle holds the graph model's JSON")
            missing = sorted(set(weight_paths(model_json)) - set(listed))
            if missing:
                raise BundleError(f"{path / contract.BUNDLE_JSON}: files: {missing[0]} is in "
                                  f"{files[0].path} but not listed.")
            return Read(path, dict(stored), files)
        entry = entry_of(path)
        if entry is None:
            raise BundleError(f"{path} is not a TF.js graph model (a JSON file of format 'graph-model').")
        root = entry.parent
        model_json = read_json(entry, "the graph model's JSON")
        files = [measure(root, entry.name, {}, True, named_by=entry.name),
                 *(measure(root, rel, {}, verify_hashes, named_by=entry.name) for rel in weight_paths(model_json))]
        inputs, outputs = io(model_json)
        found = {"format": contract.FORMAT, "runtime": self.name, "inputs": inputs, "outputs": outputs,
                 "name": folder_name(path if path.is_dir() else path.with_suffix("")),
                 "files": [f.entry() for f in files], "content_hash": content_hash(files)}
        return Read(root, found, files)

    def static_files(self, bundle: Read) -> StaticFiles:
        """A package's emotion.json and emotion.bin become model.json and emotion.<hash>.bin."""
        return hashed_shards(bundle, "the graph model's JSON")

    def aliases(self, bundle: Read) -> dict[str, bytes]:
        return {}

    # --- write side ---
    def problems(self, graph: Any, **options: Any) -> list[Any]:
        return [] if entry_of(Path(graph)) is not None else [f"{graph} is not a TF.js graph model"]

    def reasons(self, problems: Sequence[Any]) -> list[str]:
        return [f"  - {p}" for p in problems]

    def refusal(self, problems: Sequence[Any]) -> str:
        return "TF.js runs graph models as they are; this is not one:\n" + "\n".join(self.reasons(problems))

    def write(self, graph: Any, out_dir: Path, model: SourceModel, **settings: Any) -> Path:
        from .write import write

        return write(graph, out_dir, model, **settings)

    def verify(self, out_dir: Path, model: SourceModel | None, inputs: Feeds | None, tolerance: float) -> Report:
        from .write import verify

        return verify(out_dir, model, inputs, tolerance)

    def run_under_node(self, out_dir: Path, feeds: Feeds, backend: str) -> Feeds:
        raise BundleError("A TF.js graph model carries no self-check to run.")


RUNTIME = TfjsGraphRuntime()

__all__ = ["RUNTIME", "TfjsGraphRuntime", "entry_of"]
