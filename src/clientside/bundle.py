"""The bundle on disk: model.json, its weight shards, and clientside.json (the contract).

A bundle is what `clientside export` and `clientside mnist train` write and what the
server serves. A plain TF.js layers folder (e.g. from the official converter) is
accepted too: what it lacks is inferred from model.json or given by the caller.
The contract itself (format 2, its schema, format-1 migration) is clientside/contract.py.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import contract
from .errors import BundleError

MODEL_JSON = "model.json"
BUNDLE_JSON = "clientside.json"
BUNDLE_FORMAT = contract.FORMAT


#: The one caching rule for model files, followed by the app, the static build and nginx:
#: a shard named `<stem>.<first 16 hex digits of its sha256>.bin` changes name whenever its
#: content changes, so it may be cached forever; any other name is revalidated.
HASH_CHARS = 16
MODEL_FILE_SUFFIXES = (".bin", ".onnx")
HASHED_SHARD_SUFFIX = r"\.[0-9a-f]{%d}\.(?:bin|onnx)" % HASH_CHARS


def hashed_shard_name(stem: str, sha256: str, suffix: str = ".bin") -> str:
    return f"{stem}.{sha256[:HASH_CHARS]}{suffix}"


@dataclass(frozen=True)
class ShardFile:
    path: str
    size: int
    sha256: str | None = None

    @property
    def hashed_name(self) -> bool:
        """True when the file name carries its content hash: it can be cached forever."""
        return bool(self.sha256) and any(self.path.endswith(hashed_shard_name("", self.sha256, suffix))
                                         for suffix in MODEL_FILE_SUFFIXES)

    def entry(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass
class Bundle:
    root: Path
    model_json: dict[str, Any] | None  # None for an ONNX model (one .onnx file)
    contract: dict[str, Any]
    shards: list[ShardFile] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.contract["name"]

    @property
    def content_hash(self) -> str:
        return self.contract["content_hash"]

    @property
    def runtime(self) -> str:
        return self.contract["runtime"]

    @property
    def prepare(self) -> str | None:
        """Where the bundle asks its inputs to be prepared, if it does."""
        return self.contract.get("prepare")

    @property
    def inputs(self) -> list[dict[str, Any]]:
        return self.contract["inputs"]

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return self.contract["outputs"]

    # The first input and output, for the many models that have one of each.
    @property
    def input_shape(self) -> list[int | None]:
        return self.inputs[0]["shape"]

    @property
    def labels(self) -> list[str]:
        return list(self.outputs[0].get("labels", []))

    @property
    def preprocess(self) -> list[dict[str, Any]] | None:
        """The first input's image steps (None unless it is an image)."""
        first = self.inputs[0]
        return first["steps"] if first["kind"] == "image" else None

    def shard(self, path: str) -> ShardFile | None:
        return next((s for s in self.shards if s.path == path), None)

    def renamed(self, name: str) -> Bundle:
        return dataclasses.replace(self, contract={**self.contract, "name": name})


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _content_hash(files: Sequence[ShardFile]) -> str:
    """Changes whenever model.json or any shard changes."""
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.path}:{f.sha256}\n".encode())
    return h.hexdigest()[:16]


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{path} not found: {what}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise BundleError(f"{path} must hold a JSON object.")
    return data


def _measure(root: Path, rel: str, known: dict[str, dict], verify: bool) -> ShardFile:
    path = root / rel
    if "/" in rel or "\\" in rel or rel.startswith("."):
        raise BundleError(f"{MODEL_JSON} names a file outside the folder: {rel!r}")
    if not path.is_file():
        raise BundleError(f"Missing model file {rel} in {root}.")
    size = path.stat().st_size
    info = known.get(rel)
    if info and info.get("size") != size:
        raise BundleError(f"Model file {rel} is {size} bytes; {BUNDLE_JSON} says {info.get('size')}.")
    digest = info.get("sha256") if info else None
    if digest is None or verify:
        actual = sha256_file(path)
        if digest and actual != digest:
            raise BundleError(f"Model file {rel} does not match its sha256 in {BUNDLE_JSON}.")
        digest = actual
    return ShardFile(rel, size, digest)


def load_bundle(root: str | os.PathLike, *, labels: Sequence[str] | None = None,
                preprocess_steps: str | Sequence[dict[str, Any]] | None = None,
                meta: str | os.PathLike | Mapping[str, Any] | None = None,
                verify_hashes: bool = True) -> Bundle:
    """Read and check a bundle (or a plain TF.js layers folder); fail fast and clearly.

    labels, preprocess_steps (--preprocess) and meta (--meta: inputs and outputs entries)
    are merged over what the folder says. The folder is resolved here, once: everything
    downstream (Flask's send_file resolves a relative path against the app's package
    folder) sees an absolute path.
    """
    root = Path(root).expanduser().resolve()
    options = dict(labels=labels, preprocess_steps=preprocess_steps, meta=meta)
    if root.is_file() and root.suffix == ".onnx":
        return _plain_onnx(root, **options)
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder: expected a folder holding {MODEL_JSON}, or an .onnx file.")
    meta_path = root / BUNDLE_JSON
    stored = _read_json(meta_path, "") if meta_path.exists() else {}
    if stored.get("runtime") == contract.RUNTIME_ONNX:
        return _onnx_bundle(root, stored, verify_hashes, **options)
    model_json = _read_json(root / MODEL_JSON, "a bundle holds the TF.js model.json")
    if model_json.get("format", "layers-model") != "layers-model" or "modelTopology" not in model_json:
        raise BundleError(f"{root / MODEL_JSON} is not a TF.js layers model "
                          "(format 'layers-model' with a modelTopology).")
    fmt = stored.get("format", 1) if stored else None
    if fmt not in (None, 1, contract.FORMAT):
        raise BundleError(f"{meta_path}: format {fmt!r} is newer than this clientside reads "
                          f"(format {contract.FORMAT}): upgrade clientside.")

    known = {f["path"]: f for f in stored.get("files", []) + stored.get("shards", []) if isinstance(f, dict)}
    shards = [_measure(root, rel, known, verify_hashes)
              for group in model_json.get("weightsManifest", []) for rel in group.get("paths", [])]
    model_file = _measure(root, MODEL_JSON, {k: v for k, v in known.items() if k == MODEL_JSON}, True)

    if fmt == contract.FORMAT:
        doc = dict(stored)
        listed = {f["path"] for f in doc.get("files", [])}
        missing = sorted({s.path for s in shards} - listed)
        if missing:
            raise BundleError(f"{meta_path}: files: {missing[0]} is in model.json but not listed.")
    else:
        if fmt == 1:
            doc = contract.from_v1(stored, model_json)
        else:
            inputs, outputs = contract.infer_from_model_json(model_json, labels)
            doc = {"format": contract.FORMAT, "runtime": contract.RUNTIME_TFJS, "inputs": inputs, "outputs": outputs}
        doc["files"] = [model_file.entry(), *(s.entry() for s in shards)]
        doc["name"] = doc.get("name") or _folder_name(root)
        doc["content_hash"] = doc.get("content_hash") or _content_hash([model_file, *shards])
    source = str(meta_path) if stored else f"{root.name} (inferred from {MODEL_JSON})"
    doc = contract.merge(doc, meta=contract.load_meta(meta), labels=labels,
                         preset=contract.resolve_preset(preprocess_steps))
    contract.validate(doc, source)
    return Bundle(root=root, model_json=model_json, contract=doc, shards=shards)


def _merged(doc: dict[str, Any], source: str, labels, preprocess_steps, meta) -> dict[str, Any]:
    doc = contract.merge(doc, meta=contract.load_meta(meta), labels=labels,
                         preset=contract.resolve_preset(preprocess_steps))
    return contract.validate(doc, source)


def _onnx_bundle(root: Path, stored: dict[str, Any], verify: bool, **options: Any) -> Bundle:
    """A bundle for onnxruntime-web: its contract lists the one .onnx file."""
    if stored.get("format") != contract.FORMAT:
        raise BundleError(f"{root / BUNDLE_JSON}: an ONNX bundle needs format {contract.FORMAT}.")
    listed = {f["path"]: f for f in stored.get("files", []) if isinstance(f, dict) and "path" in f}
    files = [_measure(root, rel, listed, verify) for rel in listed]
    doc = _merged(dict(stored), str(root / BUNDLE_JSON), **options)
    return Bundle(root=root, model_json=None, contract=doc, shards=files)


def _plain_onnx(path: Path, **options: Any) -> Bundle:
    """An .onnx file from any tool: inputs and outputs from its graph (what it cannot say
    comes from --labels, --preprocess and --meta)."""
    try:
        from .runtimes.onnx import write as onnx_export
    except ImportError as exc:  # pragma: no cover - the exporter package imports only stdlib + numpy
        raise BundleError(str(exc)) from None
    from .errors import ExportError

    try:
        model = onnx_export.load(path)
        found = onnx_export.problems(model)
        if found:
            raise BundleError(f"{path} cannot run in onnxruntime-web:\n" + "\n".join(f"  - {p}" for p in found))
        inputs, outputs = onnx_export.io_entries(model)
    except ExportError as exc:
        raise BundleError(exc.message) from None
    file = _measure(path.parent, path.name, {}, True)
    doc = {"format": contract.FORMAT, "name": _folder_name(path.with_suffix("")), "runtime": contract.RUNTIME_ONNX,
           "files": [file.entry()], "content_hash": file.sha256[:HASH_CHARS], "inputs": inputs, "outputs": outputs}
    doc = _merged(doc, f"{path.name} (inferred from its graph)", **options)
    return Bundle(root=path.parent, model_json=None, contract=doc, shards=[file])


def _folder_name(root: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", root.name).lstrip("._-")[:64]
    return name or "model"


#: A bundle's name is a URL path segment (/models/<name>/) and a cache key.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

#: One bundle to serve: its folder, or (name, folder).
BundleSpec = str | os.PathLike | tuple[str, str | os.PathLike]


def parse_bundle_arg(arg: str) -> BundleSpec:
    """`DIR` or `NAME=DIR` from the command line (an existing path containing '=' is a DIR)."""
    name, sep, folder = arg.partition("=")
    if sep and NAME_PATTERN.fullmatch(name) and not Path(arg).exists():
        return (name, folder)
    return arg


def specs_of(bundles: BundleSpec | Sequence[BundleSpec] | Mapping[str, str | os.PathLike]) -> list[BundleSpec]:
    if isinstance(bundles, Mapping):
        return list(bundles.items())
    if isinstance(bundles, (str, os.PathLike, tuple)):
        return [bundles]
    return list(bundles)


def load_bundles(bundles: BundleSpec | Sequence[BundleSpec] | Mapping[str, str | os.PathLike],
                 **options: Any) -> list[Bundle]:
    """Load one or several bundles and give each a distinct name.

    A name given with the folder wins. Otherwise the bundle's own name (clientside.json),
    unless another bundle has it too: then each of those is named after its folder.
    """
    specs = specs_of(bundles)
    if not specs:
        raise BundleError("Expected at least one bundle folder.")
    given = [spec[0] if isinstance(spec, tuple) else None for spec in specs]
    loaded = [load_bundle(spec[1] if isinstance(spec, tuple) else spec, **options) for spec in specs]
    for name in given:
        if name is not None and not NAME_PATTERN.fullmatch(name):
            raise BundleError(f"Expected a name of letters, digits, '.', '_' or '-' (it becomes a URL). "
                              f"Received: {name!r}")
    names = [g if g is not None else b.name for g, b in zip(given, loaded)]
    clashing = {n for n in names if names.count(n) > 1}
    names = [b.root.name if g is None and n in clashing else n for g, b, n in zip(given, loaded, names)]
    for name in sorted(set(names)):
        folders = [str(b.root) for b, n in zip(loaded, names) if n == name]
        if len(folders) > 1:
            raise BundleError(
                f"Two bundles would be served as {name!r} ({', '.join(folders)}). Name each one "
                f"with NAME=DIR: `clientside serve one={folders[0]} two={folders[1]}` "
                "(in Python: create_app({'one': dir1, 'two': dir2})).")
    return [b if b.name == n else b.renamed(n) for b, n in zip(loaded, names)]
