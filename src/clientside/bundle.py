"""A bundle on disk: its model files and its contract (clientside.json), read through the
runtime the contract names. What `clientside export` writes and the server serves.

A model from another tool is a bundle too, when a runtime recognizes it (a TF.js layers
folder, an .onnx file): what it lacks is inferred from it or given by the caller. Loading
imports no exporter and no ML framework.
"""
from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import contract
from .advice import not_servable
from .contract.migrate import runtime_name, upgrade
from .errors import BundleError
from .files import NAME_PATTERN, ModelFile
from .runtimes import RUNTIMES, Read, Runtime
from .steps import text as text_steps

BUNDLE_JSON = contract.BUNDLE_JSON


@dataclass
class Bundle:
    """A bundle as read and checked: its folder, its contract (the user's --labels,
    --preprocess and --meta merged in) and its model files (the first is the model's entry:
    model.json or the .onnx file)."""

    root: Path
    contract: dict[str, Any]
    files: list[ModelFile]

    @property
    def name(self) -> str:
        return self.contract["name"]

    @property
    def content_hash(self) -> str:
        return self.contract["content_hash"]

    @property
    def runtime(self) -> str:
        """The name of the runtime that runs it (runtimes.get(name) gives the runtime)."""
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

    def file(self, path: str) -> ModelFile | None:
        return next((f for f in self.files if f.path == path), None)

    def as_read(self) -> Read:
        return Read(self.root, self.contract, self.files)

    def renamed(self, name: str) -> Bundle:
        return dataclasses.replace(self, contract={**self.contract, "name": name})


def load_bundle(root: str | os.PathLike, *, labels: Sequence[str] | None = None,
                preprocess: str | Sequence[dict[str, Any]] | None = None,
                meta: str | os.PathLike | Mapping[str, Any] | None = None,
                verify_hashes: bool = True) -> Bundle:
    """Read and check a bundle (or a model another tool wrote); fail fast and clearly.

    labels, preprocess (--preprocess: a preset name or image steps for the first input) and
    meta (--meta: inputs and outputs entries) are merged over what the bundle says. The path
    is resolved here, once: everything downstream (Flask's send_file resolves a relative
    path against the app's package folder) sees an absolute path.
    """
    root = Path(root).expanduser().resolve()
    stored_path = root / BUNDLE_JSON
    stored = _read_contract(stored_path) if root.is_dir() and stored_path.exists() else None
    if stored is not None:
        runtime = _runtime_of(stored, stored_path)
        read = runtime.read(root, upgrade(stored), verify_hashes=verify_hashes)
        source = str(stored_path)
    else:
        runtime = _recognize(root)
        read = runtime.read(root, None, verify_hashes=verify_hashes)
        source = f"{root.name} (inferred from {runtime.infers_from})"
    merged = contract.merge(read.contract, meta=contract.load_meta(meta), labels=labels,
                            preset=contract.resolve_preset(preprocess))
    contract.validate(merged, source)
    for spec in merged["inputs"]:
        text_steps.register_files(spec, read.root)
    return Bundle(root=read.root, contract=merged, files=read.files)


def _read_contract(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise BundleError(f"{path} must hold a JSON object.")
    return data


def _runtime_of(stored: dict[str, Any], path: Path) -> Runtime:
    """The runtime a stored contract names (format 1 knew TF.js only)."""
    fmt = stored.get("format", 1)
    if fmt not in (1, contract.FORMAT):
        raise BundleError(f"{path}: format {fmt!r} is newer than this clientside reads "
                          f"(format {contract.FORMAT}): upgrade clientside.")
    name = runtime_name(stored) if fmt == contract.FORMAT else "tfjs"
    if name not in RUNTIMES:
        return RUNTIMES["tfjs"]  # validation names the field and the runtimes it may be
    return RUNTIMES[name]


def _recognize(root: Path) -> Runtime:
    """The runtime whose models look like root, for a model with no contract."""
    for runtime in RUNTIMES.values():
        if runtime.recognizes(root):
            return runtime
    raise BundleError(not_servable(root))


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
