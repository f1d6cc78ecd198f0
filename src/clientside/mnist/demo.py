"""The MNIST demo for people who installed clientside with pip: trained once into the
user's cache folder, then served like any bundle."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ..bundle import BUNDLE_JSON, load_bundle
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
                data: str | os.PathLike | None = None, say: Callable[[str], None] = print) -> Path:
    """The demo bundle's folder: the cached one if it loads, else trained now (once)."""
    folder = (folder or cache_dir() / DEMO_FOLDER).expanduser().resolve()
    if not retrain and (folder / BUNDLE_JSON).exists():
        try:
            load_bundle(folder)
        except BundleError as exc:
            say(f"The cached demo in {folder} is unusable ({exc}); training it again.")
        else:
            say(f"Using the MNIST demo trained earlier in {folder} (--retrain trains it again).")
            return folder
    say(f"Training the MNIST demo into {folder} (once; about two minutes on two cores).")
    # In a child process: the server forks its workers next, and a process that has run
    # JAX's threads must not fork (JAX warns of deadlocks); the server never needs Keras.
    command = [sys.executable, "-m", "clientside.cli", "mnist", "train", str(folder)]
    if epochs:
        command += ["--epochs", str(epochs)]
    if data:
        command += ["--data", str(Path(data).expanduser().resolve())]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
        for line in child.stdout or ():
            say(line.rstrip("\n"))
    if child.returncode != 0:
        raise BundleError(f"Training the demo failed (exit status {child.returncode}): the lines above say why.")
    return folder
