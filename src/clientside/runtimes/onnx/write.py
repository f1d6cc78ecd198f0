"""Write an ONNX bundle for onnxruntime-web, exactly or not at all, and verify it there.

Before anything is written: what the browser runtime cannot run is refused, naming the
input, output or node (a sequence or map output, an opset newer than the runtime, external
data, a file over the browser's buffer limit), and Python's onnxruntime (the same kernels as
the browser's wasm) must reproduce the source model within the tolerance.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ... import contract
from ...errors import BundleError, ExportError
from ...files import HASH_CHARS, folder_name, hashed_name, new_folder, sha256_bytes
from ...sources.base import Say, SourceModel
from ...verify import DEFAULT_TOLERANCE, FREE_SIZE, Feeds, Report, compare, constants, fixed_batch, sample
from ...version import __version__
from ..base import is_bundle_folder
from . import graph as graphs
from . import weights
from .quantize import QUANTIZE, quantized
from .run import run_onnxruntime

#: The batch of the inputs an export is checked on, when its source gives none.
CHECK_BATCH = 3


def write(graph: Any, out_dir: str | os.PathLike, model: SourceModel, *, labels: Sequence[str] | None = None,
          preprocess: Any = None, meta: Any = None, name: str | None = None, inputs: Feeds | None = None,
          tolerance: float = DEFAULT_TOLERANCE, quantize: str | None = None, optimize: bool = True,
          say: Say = print) -> Path:
    """The bundle for `graph` (an onnx.ModelProto or its bytes) in out_dir. model: its
    source (its reference, examples and what it knows of the inputs and outputs).
    quantize: "uint8", "float16" (smaller weights, float32 kernels) or "int8" (integer kernels),
    after the float32 graph has been checked (quantize.py); the difference it makes is measured
    and said, and the browser's runtime is held to Python's on the quantized graph.
    optimize: the graph saved optimized for the browser (optimize.py), where that agrees with
    the source as closely as the graph itself did."""
    if quantize is not None and quantize not in QUANTIZE:
        raise ExportError(f"ONNX bundles store float32, {', '.join(QUANTIZE)}. Received: quantize={quantize!r}")
    proto = graphs.load(graph)
    found = graphs.problems(proto)
    if found:
        raise ExportError(graphs.refusal(found))
    io = graphs.io(proto, labels)
    out_dir = Path(out_dir)
    known = {**(contract.beyond_the_graph(model.io) if model.io else {}), **model.about}
    draft = contract.draft("onnx", name or folder_name(out_dir.resolve()), io, known=known, meta=meta,
                           preprocess=preprocess)
    assets = dict(model.assets)
    if meta is not None:  # a tokenizer.json named in --meta comes into the bundle
        from ...sources.huggingface.text import bring_tokenizers

        assets.update(bring_tokenizers(draft))
    model_bytes = proto.SerializeToString()
    specs = draft["inputs"]  # with --meta's: a constant (a sampling rate, a recurrent state) has its value
    try:
        contract.check_constants(specs, model.generated_by)
    except BundleError as exc:
        raise ExportError(exc.message) from None
    names, batch, whole = [s["name"] for s in specs], fixed_batch(specs), constants(specs)
    feeds = inputs if inputs is not None else model.examples
    if feeds is None:
        feeds = sample(specs, model.hints, batch=CHECK_BATCH)
    try:
        got = run_onnxruntime(model_bytes, names, feeds, batch, whole)
    except ExportError as exc:
        free = [s["name"] for s in specs if "value" not in s and None in s["shape"][1:]]
        if not free or inputs is not None or model.examples is not None:
            raise
        raise ExportError(f"{exc.message}\nIt was checked on random inputs, {FREE_SIZE} long where a size is free "
                          f"({', '.join(free)}). If the model takes a set size, say it in a --meta file: "
                          f"{{\"inputs\": [{{\"name\": \"{free[0]}\", \"shape\": [null, ...]}}]}}.") from None
    expected = None
    if model.reference is not None:
        expected = model.reference(feeds)
        compare(expected, got, tolerance=tolerance, got_by="onnxruntime", expected_by=model.title) \
            .check("onnxruntime does not reproduce the source model")
    if optimize:
        proto, model_bytes, got = _optimized(proto, model_bytes, got, expected, model.title, tolerance,
                                             (names, feeds, batch, whole), say)
    if expected is not None and model.check_in_browser_runtime:
        in_browser_runtime(model_bytes, specs, feeds, batch, expected, tolerance, model.title, say)
    if quantize:
        size = len(model_bytes)
        proto = quantized(proto, quantize)
        model_bytes = proto.SerializeToString()
        small = run_onnxruntime(model_bytes, names, feeds, batch, whole)
        say(quantization_cost(quantize, got, small, size, len(model_bytes), draft["outputs"][0]["kind"],
                              model.examples_are if feeds is model.examples else "random inputs"))
        if quantize == "int8":
            int8_in_browser(model_bytes, specs, feeds, batch, got, small, draft["outputs"][0]["kind"], say)
        elif model.check_in_browser_runtime:
            in_browser_runtime(model_bytes, specs, feeds, batch, small, tolerance, f"onnxruntime ({quantize})", say)
        draft["quantization"] = {"dtype": quantize, "patterns": [QUANTIZE[quantize]]}
    apart = weights.split(model_bytes, lambda body: hashed_name("weights", sha256_bytes(body)))
    written_files: dict[str, bytes] = {}
    if apart:  # the graph, then its weights (external data: one copy in ORT Web's memory)
        model_bytes, data, data_file = apart
    digest = sha256_bytes(model_bytes)
    file = f"model.{digest[:HASH_CHARS]}.onnx"
    written_files[file] = model_bytes
    if apart:
        written_files[data_file] = data
    written_files.update(assets)
    via = model.via.get("onnx")
    hashes = [sha256_bytes(body) for body in written_files.values()]
    listed: list[dict[str, Any]] = [{"path": path, "size": len(body), "sha256": sha}
                                    for (path, body), sha in zip(written_files.items(), hashes)]
    if apart:
        listed[1]["external_data"] = True
    content_hash = digest if len(listed) == 1 else sha256_bytes("".join(hashes).encode())  # any file changes it
    draft.update(files=listed, content_hash=content_hash[:HASH_CHARS], converted_by=f"clientside {__version__}",
                 generated_by=model.generated_by + (f", {via}" if via else ""))
    contract.validate(draft, str(out_dir / contract.BUNDLE_JSON))
    with new_folder(out_dir, ours=is_bundle_folder, what="bundle") as tmp:
        for name, body in written_files.items():
            (tmp / name).write_bytes(body)
        (tmp / contract.BUNDLE_JSON).write_text(json.dumps(draft, indent=2) + "\n")
    return out_dir


def _optimized(proto: Any, model_bytes: bytes, got: Feeds, expected: Feeds | None, title: str, tolerance: float,
               run: tuple[Any, ...], say: Say) -> tuple[Any, bytes, Feeds]:
    """(graph, its bytes, onnxruntime's outputs): optimized for the browser where that changes
    something and still agrees with the source (or, with none, with the graph as given)."""
    from .optimize import optimized

    try:
        found = optimized(proto)
    except Exception as exc:  # noqa: BLE001 - onnxruntime's and onnx's own errors: the graph stays as it is
        say(f"the graph is saved as exported: optimizing it failed ({str(exc).splitlines()[0][:200]})")
        return proto, model_bytes, got
    if found is None:
        return proto, model_bytes, got
    candidate, what = found
    if graphs.problems(candidate):
        return proto, model_bytes, got
    candidate_bytes = candidate.SerializeToString()
    names, feeds, batch, whole = run
    again = run_onnxruntime(candidate_bytes, names, feeds, batch, whole)
    against, by = (expected, title) if expected is not None else (got, "the graph as given")
    report = compare(against, again, tolerance=tolerance, got_by="onnxruntime (optimized graph)", expected_by=by)
    if not report.passed:
        say(f"the graph is saved as exported: its optimized form differs from {by} by "
            f"{report.relative_diff:.3g} of the output scale")
        return proto, model_bytes, got
    say(f"graph optimized for the browser: {what}")
    return candidate, candidate_bytes, again


def quantization_cost(dtype: str, full: Feeds, small: Feeds, before: int, after: int, kind: str, on: str) -> str:
    """What quantizing cost, in words: the size, the largest difference, and the top class's
    agreement (or, for embeddings, the cosine) with the float32 model."""
    report = compare(full, small, got_by=dtype, expected_by="float32")
    said = (f"{dtype}: {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB; largest difference from the float32 model "
            f"{report.max_abs_diff:.3g} ({report.relative_diff:.3g} of the output scale) on {on}")
    if kind == "embedding":
        said += f"; cosine with float32 {float(_cosines(full[0], small[0]).min()):.4f} at least"
    elif report.top1_agreement is not None:
        said += f"; the top class agrees on {report.top1_agreement:.0%}"
    return said


#: An int8 embedding keeps at least this cosine with the float32 one, in every runtime.
MIN_INT8_COSINE = 0.99


def _cosines(a: Any, b: Any) -> Any:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-30)


def int8_judgement(full: Feeds, python: Feeds, browser: Feeds, kind: str) -> tuple[bool, str]:
    """Whether onnxruntime-web's int8 results are as good as Python's: an int8 graph is not
    bit-reproducible across the two builds (activations are quantized at run time, and a last-
    bit difference in a float kernel moves a value across a rounding step), so it is held to
    the float32 model instead: the same top class as often as Python's int8, or embeddings
    with cosine >= MIN_INT8_COSINE."""
    if kind == "embedding":
        worst = float(_cosines(full[0], browser[0]).min())
        return worst >= MIN_INT8_COSINE, f"cosine with float32 {worst:.4f} at least (at least {MIN_INT8_COSINE} needed)"
    web = compare(full, browser, got_by="int8", expected_by="float32").top1_agreement
    py = compare(full, python, got_by="int8", expected_by="float32").top1_agreement
    if web is None or py is None:
        report = compare(python, browser, got_by="onnxruntime-web", expected_by="onnxruntime")
        return report.relative_diff <= 0.05, f"{report.relative_diff:.3g} of the output scale from Python's int8"
    rows = len(np.asarray(full[0]).reshape(-1, np.asarray(full[0]).shape[-1]))
    return web >= py - 1.0 / max(rows, 1) + 1e-9, (f"the top class agrees with float32 on {web:.0%} "
                                                    f"(Python's int8: {py:.0%})")


def _in_browser(model_bytes: bytes, specs: Sequence[dict[str, Any]], feeds: Feeds, batch: int | None) -> Feeds | str:
    """The outputs onnxruntime-web's wasm (under Node) computes for model_bytes, or why Node
    could not run it."""
    import tempfile

    from ..node import NodeUnavailable
    from .node import predict

    with tempfile.TemporaryDirectory(prefix="clientside-check-") as tmp:
        path = Path(tmp) / "model.onnx"
        path.write_bytes(model_bytes)
        try:
            return predict(path, [s["name"] for s in specs], feeds, [s["dtype"] for s in specs], batch,
                           whole=constants(specs))
        except NodeUnavailable as exc:
            return str(exc)


def int8_in_browser(model_bytes: bytes, specs: Sequence[dict[str, Any]], feeds: Feeds, batch: int | None,
                    full: Feeds, python: Feeds, kind: str, say: Say) -> None:
    """The int8 graph in onnxruntime-web before anything is written: said, and refused if it
    does worse than Python's onnxruntime does on the same graph."""
    browser = _in_browser(model_bytes, specs, feeds, batch)
    if isinstance(browser, str):
        say(f"the int8 graph was not checked in onnxruntime-web ({browser}); --verify checks it later")
        return
    apart = compare(python, browser, got_by="onnxruntime-web", expected_by="onnxruntime")
    ok, how = int8_judgement(full, python, browser, kind)
    say(f"int8 in onnxruntime-web: {how}; {apart.relative_diff:.3g} of the output scale from Python's onnxruntime "
        "on the same graph (run-time quantization is not bit-equal across builds)")
    if not ok:
        raise ExportError(f"onnxruntime-web runs this int8 graph worse than Python's onnxruntime does: {how}; "
                          "nothing was written. Export it without --quantize int8 (float16 keeps float32 kernels).")


def in_browser_runtime(model_bytes: bytes, specs: Sequence[dict[str, Any]], feeds: Feeds, batch: int | None,
                       expected: Feeds, tolerance: float, title: str, say: Say) -> Report:
    """onnxruntime-web's wasm (under Node) on the same feeds, before anything is written."""
    got = _in_browser(model_bytes, specs, feeds, batch)
    if isinstance(got, str):
        say(f"onnxruntime-web was not checked before writing ({got}); --verify checks it later")
        return Report("onnxruntime-web", title, 0.0, 0.0, tolerance, notes=["not run"])
    return compare(expected, got, tolerance=tolerance, got_by="onnxruntime-web (wasm, under Node)",
                   expected_by=title).check("onnxruntime-web does not reproduce the source model")


def verify(bundle_dir: str | os.PathLike, model: SourceModel | None = None, inputs: Feeds | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> Report:
    """The written bundle in onnxruntime-web's wasm (Node) and in Python's onnxruntime, on the
    same inputs (given, else sampled as the source says)."""
    from .node import predict

    bundle_dir = Path(bundle_dir)
    written = json.loads((bundle_dir / contract.BUNDLE_JSON).read_text())
    specs = written["inputs"]
    feeds = inputs if inputs is not None else sample(specs, model.hints if model else {}, batch=CHECK_BATCH)
    path = bundle_dir / written["files"][0]["path"]
    names, dtypes, batch = [s["name"] for s in specs], [s["dtype"] for s in specs], fixed_batch(specs)
    external = [bundle_dir / f["path"] for f in written["files"] if f.get("external_data")]  # as the page gives them
    python = run_onnxruntime(path, names, feeds, batch, constants(specs))
    browser = predict(path, names, feeds, dtypes, batch, external=external, whole=constants(specs))
    report = compare(python, browser, tolerance=tolerance, got_by="onnxruntime-web (wasm, under Node)",
                     expected_by="onnxruntime")
    if (written.get("quantization") or {}).get("dtype") == "int8":
        ok, how = int8_judgement(python, python, browser, written["outputs"][0]["kind"])
        report.judged_by, report.judged_ok = f"int8, not bit-equal across builds: {how}", ok
    if written["outputs"][0]["kind"] == "embedding":  # no classes: how alike the vectors are instead
        cos = _cosines(python[0], browser[0])
        report.top1_agreement = None
        report.notes.append(f"cosine similarity with onnxruntime: {float(cos.min()):.7f} at least")
    return report
