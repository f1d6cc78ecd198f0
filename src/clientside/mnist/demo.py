"""The MNIST demo for people who installed clientside with pip: trained once into the
user's cache folder, then served like any bundle."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..bundle import load_bundle
from ..errors import BundleError

CACHE_ENV = "CLIENTSIDE_CACHE_DIR"
DEMO_FOLDER = "mnist-demo"


def cache_dir() -> Path:
    """$CLIENTSIDE_CACHE_DIR, else $XDG_CACHE_HOME/clientside, else ~/.cache/clientside."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "clientside"


def demo_bundle(*, folder: Path | None = None, epochs: int | None = None, retrain: bool = False,
                log: Callable[[str], None] = print) -> Path:
    """The demo bundle's folder: the cached one if it loads, else trained now (once)."""
    folder = (folder or cache_dir() / DEMO_FOLDER).expanduser().resolve()
    if not retrain and (folder / "model.json").exists():
        try:
            load_bundle(folder)
        except BundleError as exc:
            log(f"The cached demo in {folder} is unusable ({exc}); training it again.")
        else:
            log(f"Using the MNIST demo trained earlier in {folder} (--retrain trains it again).")
            return folder
    from .train import DEFAULT_EPOCHS, train

    log(f"Training the MNIST demo into {folder} (once; about two minutes on two cores).")
    train(folder, epochs=epochs or DEFAULT_EPOCHS, log=log)
    return folder
