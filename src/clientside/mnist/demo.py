"""The demos for people who installed clientside with pip (MNIST; the spoken words of
keywords/): trained once into the user's cache folder, then served like any bundle."""
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
    command = ["mnist", "train"]
    if epochs:
        command += ["--epochs", str(epochs)]
    if data:
        command += ["--data", str(Path(data).expanduser().resolve())]
    return trained_bundle(folder or cache_dir() / DEMO_FOLDER, command, "the MNIST demo",
                          "about two minutes on two cores", retrain=retrain, say=say)


def trained_bundle(folder: Path, command: list[str], what: str, takes: str, *, retrain: bool = False,
                   say: Callable[[str], None] = print) -> Path:
    """folder if it holds a bundle that loads, else the bundle that `clientside *command folder`
    trains there now (once): what the demos share."""
    folder = folder.expanduser().resolve()
    if not retrain and (folder / BUNDLE_JSON).exists():
        try:
            load_bundle(folder)
        except BundleError as exc:
            say(f"The cached demo in {folder} is unusable ({exc}); training it again.")
        else:
            say(f"Using {what} trained earlier in {folder} (--retrain trains it again).")
            return folder
    say(f"Training {what} into {folder} (once; {takes}).")
    # In a child process: the server forks its workers next, and a process that has run
    # JAX's threads must not fork (JAX warns of deadlocks); the server never needs Keras.
    argv = [sys.executable, "-m", "clientside.cli", *command[:2], str(folder), *command[2:]]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
        for line in child.stdout or ():
            say(line.rstrip("\n"))
    if child.returncode != 0:
        raise BundleError(f"Training the demo failed (exit status {child.returncode}): the lines above say why.")
    return folder
