"""Node.js, which runs each runtime's browser build outside the browser (--verify, parity
tests), with the very files the page is served."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import InstallError
from ..vendor import VENDOR_FILES, find_vendor_root


class NodeUnavailable(RuntimeError):
    """Node or the project's npm packages are missing."""


class NodeRunError(RuntimeError):
    """A runtime under Node could not load or run a model."""


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise NodeUnavailable("node is not on PATH: install Node.js 18 or newer.")
    return node


def vendor_root() -> Path:
    """Where the page's npm files are (a wheel's packaged copy or node_modules)."""
    try:
        return find_vendor_root()
    except InstallError as exc:
        raise NodeUnavailable(str(exc)) from None


def vendor_file(name: str) -> Path:
    """One of the page's npm files by its URL name (vendor.json)."""
    return vendor_root() / VENDOR_FILES[name]
