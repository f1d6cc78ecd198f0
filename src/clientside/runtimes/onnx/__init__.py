"""ONNX Runtime Web (runtime "onnx"): one .onnx file, run by onnxruntime-web's wasm build.

    graph.py      read an ONNX graph, what the browser cannot run, its inputs and outputs
    write.py      the bundle: checked by Python's onnxruntime against the source first
    optimize.py   the graph optimized once at export (ORT basic level, affine steps folded into Convs)
    quantize.py   uint8 weights
    run.py        Python's onnxruntime (the same kernels as the browser's wasm)
    node.py, predict.cjs   onnxruntime-web under Node (--verify)
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ... import contract
from ...errors import BundleError, ExportError
from ...files import HASH_CHARS, folder_name, hashed_name, measure
from ..base import Read, StaticFiles

if TYPE_CHECKING:
    from ...sources.base import SourceModel
    from ...verify import Feeds, Report


class OnnxRuntime:
    name = "onnx"
    title = "ONNX Runtime Web"
    infers_from = "its graph"
    page_module = "runtimes/onnx.js"
    page_files: ClassVar[tuple[str, ...]] = (
        "ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
        "ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm")
    #: The CPU build only: the WebGPU build (4 MB brotli) is fetched where WebGPU runs the model.
    offline_files: ClassVar[tuple[str, ...]] = page_files[:3]
    page_backends: ClassVar[tuple[str, ...]] = ("webgpu", "wasm")
    node_backends: ClassVar[tuple[str, ...]] = ("wasm",)
    #: optimize: the graph saved optimized for the browser (optimize.py), where it still agrees.
    options: ClassVar[dict[str, Any]] = {"optimize": True}
    quantize: ClassVar[tuple[str, ...]] = ("uint8", "float16", "int8")

    def recognizes(self, path: Path) -> bool:
        return path.is_file() and path.suffix == ".onnx"

    def read(self, path: Path, stored: contract.Contract | None, *, verify_hashes: bool) -> Read:
        if stored is None:
            return self._plain(path)
        where = str(path / contract.BUNDLE_JSON)
        if stored.get("format") != contract.FORMAT:
            raise BundleError(f"{where}: an ONNX bundle needs format {contract.FORMAT}.")
        listed = {f["path"]: f for f in stored.get("files", []) if isinstance(f, dict) and "path" in f}
        files = [measure(path, rel, listed, verify_hashes, named_by=contract.BUNDLE_JSON) for rel in listed]
        return Read(path, dict(stored), files)

    def _plain(self, path: Path) -> Read:
        """An .onnx file from any tool: inputs and outputs from its graph (what it cannot say
        comes from --labels, --preprocess and --meta)."""
        from . import graph, weights

        try:
            model = graph.load(path, external_data=False)  # served as it is: one file, the weights inside
            if weights.has_external_data(model):
                raise BundleError(f"{path} keeps its weights in external data files beside it. Make it a bundle, "
                                  f"which carries them: clientside export {path} OUT, then clientside serve OUT.")
            found = graph.problems(model)
            if found:
                raise BundleError(f"{path} cannot run in onnxruntime-web:\n" + "\n".join(f"  - {p}" for p in found))
            io = graph.io(model)
        except ExportError as exc:
            raise BundleError(exc.message) from None
        file = measure(path.parent, path.name, {}, True, named_by=path.name)
        found_contract = {"format": contract.FORMAT, "name": folder_name(path.with_suffix("")), "runtime": self.name,
                          "files": [file.entry()], "content_hash": file.sha256[:HASH_CHARS],
                          "inputs": io.inputs, "outputs": io.outputs}
        return Read(path.parent, found_contract, [file])

    def static_files(self, bundle: Read) -> StaticFiles:
        """The files, named by their content unless they came from elsewhere (an .onnx file
        served as it is: its weights are inside, so renaming it breaks nothing)."""
        out: dict[str, Path | bytes] = {}
        for f in bundle.files:
            name = f.path if f.hashed_name else hashed_name(f.path.removesuffix(".onnx"), f.sha256, ".onnx")
            out[name] = bundle.root / f.path
        flags = {f["path"]: f for f in bundle.contract.get("files", [])}  # external_data, as the contract says
        entries = [{**flags.get(f.path, {}), **f.entry(), "path": name} for f, name in zip(bundle.files, out)]
        return StaticFiles({**bundle.contract, "files": entries}, out)

    def aliases(self, bundle: Read) -> dict[str, bytes]:
        return {}

    # --- write side ---
    def problems(self, graph: Any, **options: Any) -> list[str]:
        from . import graph as graphs

        return graphs.problems(graphs.load(graph))

    def reasons(self, problems: Sequence[Any]) -> list[str]:
        return [f"  - {p}" for p in problems]

    def refusal(self, problems: Sequence[Any]) -> str:
        from .graph import refusal

        return refusal(problems)

    def write(self, graph: Any, out_dir: Path, model: SourceModel, **settings: Any) -> Path:
        from .write import write

        return write(graph, out_dir, model, **settings)

    def verify(self, out_dir: Path, model: SourceModel | None, inputs: Feeds | None, tolerance: float) -> Report:
        from .write import verify

        return verify(out_dir, model, inputs, tolerance)

    def run_under_node(self, out_dir: Path, feeds: Feeds, backend: str) -> Feeds:
        from ...verify import constants, fixed_batch
        from .node import predict

        written = json.loads((Path(out_dir) / contract.BUNDLE_JSON).read_text())
        specs = written["inputs"]
        external = [Path(out_dir) / f["path"] for f in written["files"] if f.get("external_data")]
        return predict(Path(out_dir) / written["files"][0]["path"], [s["name"] for s in specs], feeds,
                       [s["dtype"] for s in specs], fixed_batch(specs), external=external, whole=constants(specs))


RUNTIME = OnnxRuntime()

__all__ = ["RUNTIME", "OnnxRuntime"]
