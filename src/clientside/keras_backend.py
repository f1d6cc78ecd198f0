"""Pick a Keras backend that is installed, before Keras is first imported.

Keras 3 defaults to the tensorflow backend and writes that into ~/.keras/keras.json on
its first import. clientside never installs TensorFlow, so on a fresh machine a plain
`import keras` fails with "No module named 'tensorflow'". Every entry point that needs
Keras calls `import_keras()` instead: it keeps the configured backend when it is
installed, and otherwise uses JAX, then PyTorch, and says so.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from .errors import ClientsideError

log = logging.getLogger("clientside")

#: Keras backend name -> the module it needs, in the order clientside prefers them.
FALLBACKS: dict[str, str] = {"jax": "jax", "torch": "torch"}
BACKEND_MODULES: dict[str, str] = {"tensorflow": "tensorflow", "numpy": "numpy", "openvino": "openvino",
                                   **FALLBACKS}
TRAIN_EXTRA = "pip install 'clientside[train]'"


class KerasUnavailable(ClientsideError):
    """Keras, or every backend it could use, is missing."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def configured_backend() -> tuple[str, str]:
    """The backend Keras would use, and where that choice comes from."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    config = home / "keras.json"
    try:
        backend = json.loads(config.read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if isinstance(backend, str) and backend:
        return backend, str(config)
    return "tensorflow", "Keras's default"


def choose_backend() -> tuple[str, str | None]:
    """(backend, message): message is None when the configured backend is used as is."""
    backend, source = configured_backend()
    if _installed(BACKEND_MODULES.get(backend, backend)):
        return backend, None
    for fallback, module in FALLBACKS.items():
        if _installed(module):
            return fallback, (f"Keras backend: {fallback} ({backend!r}, from {source}, is not installed; "
                              f"set KERAS_BACKEND to choose another)")
    raise KerasUnavailable(
        f"Keras needs a backend: {backend!r} (from {source}) is not installed, and neither is JAX or "
        f"PyTorch. Install the training extra: {TRAIN_EXTRA}")


def import_keras(say: Callable[[str], None] | None = None) -> ModuleType:
    """Keras, imported with an installed backend. say: where to report a fallback
    (default: a warning on the 'clientside' logger)."""
    if "keras" in sys.modules:  # already imported (by the caller): its backend is settled
        return sys.modules["keras"]
    if not _installed("keras"):
        raise KerasUnavailable(f"This needs Keras, which is not installed: {TRAIN_EXTRA}")
    backend, message = choose_backend()
    os.environ["KERAS_BACKEND"] = backend
    if message:
        (say or log.warning)(message)
    import keras

    return keras
