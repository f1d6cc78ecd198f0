"""What every browser runtime provides: the Runtime protocol, and what its parts share.

A runtime has two sides. Its read side (serving a bundle, building a static site) is the
descriptor module itself and imports no exporter and no ML framework. Its write side
(problems, write, verify) imports what it needs when called.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

from ..contract import BUNDLE_JSON, Contract
from ..files import ModelFile

if TYPE_CHECKING:
    from ..sources.base import Say, SourceModel
    from ..verify import Feeds, Report

#: What marks a folder as a bundle (ours to replace): a contract, or a TF.js model.json
#: from another tool.
BUNDLE_MARKERS = (BUNDLE_JSON, "model.json")


def is_bundle_folder(path: Path) -> bool:
    return any((path / name).exists() for name in BUNDLE_MARKERS)


class Read(NamedTuple):
    """A bundle as its runtime read it: the folder its files are in, its contract (files
    listed, before the user's --labels, --preprocess and --meta) and its files, checked."""

    root: Path
    contract: Contract
    files: list[ModelFile]


class StaticFiles(NamedTuple):
    """A bundle as a static host serves it: its contract, listing every file under a
    content-hashed name, and each file's content (a path to copy, or bytes)."""

    contract: Contract
    files: dict[str, Path | bytes]


class Runtime(Protocol):
    """One browser runtime: a row of the runtimes table (runtimes/__init__.py)."""

    #: The one name: the contract's `runtime`, the CLI's --runtime, the page worker's table key.
    name: str
    #: What people call it ("TensorFlow.js", "ONNX Runtime Web").
    title: str
    #: What it reads a model with no contract from ("model.json"), for error messages.
    infers_from: str
    #: The page's adapter for it, under server/static/.
    page_module: str
    #: The vendored files (vendor.json names) its page may load, and those kept offline.
    page_files: ClassVar[tuple[str, ...]]
    offline_files: ClassVar[tuple[str, ...]]
    #: The page's backends (its adapter's BACKENDS, in their order on a hardware GPU: a test
    #: keeps the two equal), and those its runner under Node has (--verify runs the check on each).
    page_backends: ClassVar[tuple[str, ...]]
    node_backends: ClassVar[tuple[str, ...]]
    #: Keyword options its writer takes beyond the common ones, with their defaults.
    options: ClassVar[dict[str, Any]]
    #: Values of `quantize` its bundles can store.
    quantize: ClassVar[tuple[str, ...]]

    # --- read side ---
    def recognizes(self, path: Path) -> bool:
        """Whether a folder or file with no contract is a model of this runtime (from other tools)."""

    def read(self, path: Path, stored: Contract | None, *, verify_hashes: bool) -> Read:
        """The bundle at path (stored: its clientside.json, upgraded; None for a plain model)."""

    def static_files(self, bundle: Read) -> StaticFiles:
        """Every file under a content-hashed name, for hosts that cache by name."""

    def aliases(self, bundle: Read) -> dict[str, bytes]:
        """URLs (relative to the page) served from memory rather than from a listed file,
        with their JSON bodies: other names its model is known by."""

    # --- write side ---
    def problems(self, graph: Any, **options: Any) -> list[Any]:
        """Why this runtime cannot run `graph` exactly ([] when it can)."""

    def reasons(self, problems: Sequence[Any]) -> list[str]:
        """The problems as lines, grouped (why another runtime was chosen)."""

    def refusal(self, problems: Sequence[Any]) -> str:
        """The error when this runtime was asked for and cannot run the model."""

    def write(self, graph: Any, out_dir: Path, model: SourceModel, *, labels: Sequence[str] | None,
              preprocess: Any, meta: Any, name: str | None, inputs: Feeds | None, tolerance: float,
              quantize: str | None, say: Say, **options: Any) -> Path:
        """The bundle in out_dir, exact against the model's source or not written at all."""

    def verify(self, out_dir: Path, model: SourceModel | None, inputs: Feeds | None, tolerance: float) -> Report:
        """The written bundle run in the browser's own runtime under Node, compared."""

    def run_under_node(self, out_dir: Path, feeds: Feeds, backend: str) -> Feeds:
        """The bundle's outputs (contract order) for feeds (every input, contract order) under Node."""
