"""clientside: serve a Keras model so that predictions run in the visitor's browser."""
from __future__ import annotations

__version__ = "0.1.0"

from .bundle import Bundle, load_bundle  # noqa: E402
from .errors import BundleError, ClientsideError, ExportError, InputError  # noqa: E402


def export(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Export a Keras model to a bundle; see clientside.exporter.writer.export (needs Keras)."""
    from .exporter import export as _export

    return _export(*args, **kwargs)


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """The Flask app factory; see clientside.server.create_app."""
    from .server import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["Bundle", "BundleError", "ClientsideError", "ExportError", "InputError",
           "create_app", "export", "load_bundle", "__version__"]
