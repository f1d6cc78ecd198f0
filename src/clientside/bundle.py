"""The bundle on disk: model.json, its weight shards, and clientside.json (metadata).

A bundle is what `clientside export` and `clientside mnist train` write and what the
server serves. A plain TF.js layers folder (e.g. from the official converter) is
accepted too: what it lacks is inferred from model.json or given by the caller.
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

from . import preprocess
from .errors import BundleError

MODEL_JSON = "model.json"
BUNDLE_JSON = "clientside.json"
BUNDLE_FORMAT = 1

#: Named preprocessing pipelines a user can ask for by name.
PRESETS: dict[str, list[dict[str, Any]]] = {"mnist": preprocess.MNIST_STEPS,
                                             "imagenet": preprocess.IMAGENET_STEPS}


#: The one caching rule for model files, followed by the app, the static build and nginx:
#: a shard named `<stem>.<first 16 hex digits of its sha256>.bin` changes name whenever its
#: content changes, so it may be cached forever; any other name is revalidated.
HASH_CHARS = 16
HASHED_SHARD_SUFFIX = r"\.[0-9a-f]{%d}\.bin" % HASH_CHARS


def hashed_shard_name(stem: str, sha256: str) -> str:
    return f"{stem}.{sha256[:HASH_CHARS]}.bin"


@dataclass(frozen=True)
class ShardFile:
    path: str
    size: int
    sha256: str | None = None

    @property
    def hashed_name(self) -> bool:
        """True when the file name carries its content hash: it can be cached forever."""
        return bool(self.sha256) and self.path.endswith(hashed_shard_name("", self.sha256))


@dataclass
class Bundle:
    root: Path
    model_json: dict[str, Any]
    content_hash: str
    input_shape: list[int | None]
    labels: list[str]
    preprocess: list[dict[str, Any]] | None
    shards: list[ShardFile] = field(default_factory=list)
    name: str = "model"
    prepare: str | None = None  # where the bundle asks images to be prepared, if it does

    def shard(self, path: str) -> ShardFile | None:
        return next((s for s in self.shards if s.path == path), None)

    def metadata(self) -> dict[str, Any]:
        """What the page needs to know about the model (served as JSON)."""
        return {
            "name": self.name,
            "content_hash": self.content_hash,
            "input_shape": self.input_shape,
            "labels": self.labels,
            "preprocess": self.preprocess,
            "shards": [{"path": s.path, "size": s.size, "sha256": s.sha256} for s in self.shards],
        }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _content_hash(model_path: Path, shards: Sequence[ShardFile]) -> str:
    """Changes whenever model.json or any shard changes (for folders without metadata)."""
    h = hashlib.sha256(model_path.read_bytes())
    for shard in shards:
        h.update(f"{shard.path}:{shard.sha256}".encode())
    return h.hexdigest()[:16]


def input_shape_from_model_json(model_json: dict[str, Any]) -> list[int | None]:
    """The batch input shape of the (first) input layer of a layers-model topology."""
    topology = model_json.get("modelTopology", {})
    topology = topology.get("model_config", topology)
    config = topology.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    for layer in layers:
        cfg = layer.get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if shape:
            return list(shape)
    raise BundleError("model.json names no input shape (no layer has batch_input_shape).")


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


def resolve_preprocess(value: str | Sequence[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """A preset name, a path to a JSON list of steps, or the list itself."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in PRESETS:
            return [dict(s) for s in PRESETS[value]]
        path = Path(value)
        if path.is_file():
            value = json.loads(path.read_text())
        else:
            raise BundleError(f"Unknown preprocessing {value!r}: expected one of "
                              f"{', '.join(PRESETS)} or a JSON file of steps.")
    steps = [dict(s) for s in value]
    try:
        preprocess.validate_steps(steps)
    except ValueError as exc:
        raise BundleError(str(exc)) from None
    return steps


def load_bundle(root: str | os.PathLike, *, labels: Sequence[str] | None = None,
                preprocess_steps: str | Sequence[dict[str, Any]] | None = None,
                verify_hashes: bool = True) -> Bundle:
    """Read and check a bundle (or a plain TF.js layers folder); fail fast and clearly.

    The folder is resolved here, once: everything downstream (Flask's send_file resolves a
    relative path against the app's package folder) sees an absolute path.
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder: expected a folder holding {MODEL_JSON}.")
    model_json = _read_json(root / MODEL_JSON, "a bundle holds the TF.js model.json")
    if model_json.get("format", "layers-model") != "layers-model" or "modelTopology" not in model_json:
        raise BundleError(f"{root / MODEL_JSON} is not a TF.js layers model "
                          "(format 'layers-model' with a modelTopology).")
    meta_path = root / BUNDLE_JSON
    meta = _read_json(meta_path, "") if meta_path.exists() else {}

    known = {s["path"]: s for s in meta.get("shards", [])}
    shards = []
    for group in model_json.get("weightsManifest", []):
        for rel in group.get("paths", []):
            path = root / rel
            if "/" in rel or "\\" in rel or rel.startswith("."):
                raise BundleError(f"{MODEL_JSON} names a shard outside the folder: {rel!r}")
            if not path.is_file():
                raise BundleError(f"Missing weight shard {rel} in {root}.")
            size = path.stat().st_size
            info = known.get(rel)
            if info and info["size"] != size:
                raise BundleError(f"Weight shard {rel} is {size} bytes; expected {info['size']}.")
            digest = info.get("sha256") if info else None
            if digest is None or verify_hashes:
                actual = sha256_file(path)
                if digest and actual != digest:
                    raise BundleError(f"Weight shard {rel} does not match its sha256 in {BUNDLE_JSON}.")
                digest = actual
            shards.append(ShardFile(rel, size, digest))

    content_hash = meta.get("content_hash") or _content_hash(root / MODEL_JSON, shards)
    input_shape = meta.get("input_shape") or input_shape_from_model_json(model_json)
    steps = resolve_preprocess(preprocess_steps if preprocess_steps is not None else meta.get("preprocess"))
    if steps is None and list(input_shape[1:]) == [28, 28, 1]:
        steps = resolve_preprocess("mnist")  # a 28x28x1 model is MNIST-like unless told otherwise
    if labels is None:
        labels = meta.get("labels")
    return Bundle(
        root=root, model_json=model_json, content_hash=content_hash,
        input_shape=list(input_shape), labels=list(labels) if labels else [],
        preprocess=steps, shards=shards, name=meta.get("name") or root.name,
        prepare=meta.get("prepare"),
    )


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
    return [dataclasses.replace(b, name=n) for b, n in zip(loaded, names)]
