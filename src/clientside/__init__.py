"""clientside: serve a Keras model so that predictions run in the visitor's browser."""
from __future__ import annotations

__version__ = "0.1.0"

from .bundle import Bundle, load_bundle  # noqa: E402
from .errors import BundleError, ClientsideError, ExportError, InputError  # noqa: E402


def export(model, out_dir, **kwargs):  # type: ignore[no-untyped-def]
    """Export a model to a bundle:
    - a Keras model (or .keras/.h5 path): runtime="auto" (TF.js where it is exact, else
      ONNX), "tfjs" or "onnx"; see clientside.exporter.keras_onnx.export_keras;
    - a torch.nn.Module (with example_inputs=[...]): ONNX, see exporter.onnx.export_torch;
    - a fitted scikit-learn estimator or pipeline (with sample=rows): ONNX, export_sklearn;
    - an .onnx path or an onnx.ModelProto: ONNX, see exporter.onnx.export_onnx.
    """
    import os
    import sys

    keras = sys.modules.get("keras")
    torch = sys.modules.get("torch")
    # a Keras model on the torch backend is also a torch Module: Keras first
    if torch is not None and isinstance(model, torch.nn.Module) and \
            not (keras is not None and isinstance(model, keras.Model)):
        from .runtimes.onnx.write import export_torch

        return export_torch(model, out_dir, kwargs.pop("example_inputs"), **kwargs)
    if type(model).__module__.startswith("sklearn."):
        from .runtimes.onnx.write import export_sklearn

        return export_sklearn(model, out_dir, kwargs.pop("sample"), **kwargs)
    if (isinstance(model, (str, os.PathLike)) and str(model).endswith(".onnx")) or \
            type(model).__name__ == "ModelProto":
        from .runtimes.onnx.write import export_onnx

        return export_onnx(model, out_dir, **kwargs)
    from .sources.keras_onnx import export_keras

    return export_keras(model, out_dir, **kwargs)


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """The Flask app factory; see clientside.server.create_app."""
    from .server import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["Bundle", "BundleError", "ClientsideError", "ExportError", "InputError",
           "create_app", "export", "load_bundle", "__version__"]
