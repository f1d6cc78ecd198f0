"""The page's files from npm (package-lock.json: TF.js, ONNX Runtime Web, Papa Parse), served
by the app itself: never a CDN.

They are found, in this order: in $CLIENTSIDE_NODE_MODULES; in the installed package
(`vendored/`, which wheels and sdists carry, checked against the lock when they are built:
see setup.py); in a node_modules folder of the working directory or above this file (a
development checkout after `npm ci`). Every place has the same layout: node_modules paths.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import InstallError

#: URL name -> path inside node_modules: exactly what the page (and Node, for --verify) loads.
VENDOR_FILES: dict[str, str] = json.loads(Path(__file__).with_name("vendor.json").read_text())["files"]

VENDOR_ENV = "CLIENTSIDE_NODE_MODULES"
PACKAGED = Path(__file__).with_name("vendored")


def find_vendor_root() -> Path:
    """The folder that holds every file of VENDOR_FILES."""
    candidates = []
    if os.environ.get(VENDOR_ENV):
        candidates.append(Path(os.environ[VENDOR_ENV]))
    here = Path(__file__).resolve()
    candidates += [PACKAGED, Path.cwd() / "node_modules"] + [p / "node_modules" for p in here.parents]
    for root in candidates:
        if all((root / rel).is_file() for rel in VENDOR_FILES.values()):
            return root
    raise InstallError(
        "The page's JavaScript runtimes (TF.js, ONNX Runtime Web) are not installed, so the page could not "
        "load them. A clientside wheel carries them; in a "
        f"development checkout run `npm ci`, or set {VENDOR_ENV} to a node_modules folder holding "
        + ", ".join(sorted({rel.split('/dist/')[0] for rel in VENDOR_FILES.values()}))
    )
