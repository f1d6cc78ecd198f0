"""clientside: put a trained model on the web so that its predictions run in the visitor's
browser (TensorFlow.js or ONNX Runtime Web), not on the server.

    clientside.export(model, "bundle")      Keras, PyTorch, scikit-learn or an ONNX file -> a bundle
    clientside.create_app("bundle")         a Flask app serving its page and files
    clientside.load_bundle("bundle")        read and check one
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle import Bundle, load_bundle
from .errors import BundleError, ClientsideError, ExportError, InputError
from .version import __version__

if TYPE_CHECKING:
    from flask import Flask


def export(model: Any, out_dir: str | os.PathLike, *, runtime: str = "auto",
           labels: Sequence[str] | None = None, preprocess: str | Sequence[dict[str, Any]] | None = None,
           meta: str | os.PathLike | Mapping[str, Any] | None = None, name: str | None = None,
           title: str | None = None, description: str | None = None, inputs: Sequence[Any] | None = None,
           tolerance: float | None = None, quantize: str | None = None,
           say: Callable[[str], None] | None = None, **options: Any) -> Path:
    """Export a model to a bundle in out_dir, exact against the model or not written at all.

    model, any of (the same as `clientside export MODEL`; clientside.sources lists them):
    - a keras.Model, or a .keras/.h5 path: runtime="auto" (TF.js where it translates
      exactly, else ONNX Runtime Web, the reason said), "tfjs" or "onnx";
    - a torch.nn.Module, with example_inputs=[...] (input_names=, dynamic_batch=): ONNX;
    - a .pt2 archive from torch.export.save: ONNX;
    - a fitted scikit-learn estimator or pipeline, with sample=rows (a 2-D array or a
      DataFrame; feature_names=, categories=): ONNX;
    - an .onnx path or an onnx.ModelProto (reference=fn, the model it was made from): ONNX.

    labels, preprocess (an image recipe for the first input: "mnist", "imagenet", a JSON
    file or a list of steps), meta (contract entries merged over what is inferred), name,
    title and description (Markdown, or a .md file): what the page shows. inputs: arrays
    to check on (default: random ones or the source's examples). tolerance: the largest
    difference allowed, relative to the output scale (default 1e-3). quantize: "uint8"
    (both runtimes), "float16" or "uint16" (TF.js). say: where the choices made are told
    (default: warnings on the 'clientside.export' logger).
    TF.js takes shard_bytes=, allow_unknown= and quantize_patterns= too.
    """
    from .pipeline import export as run
    from .verify import DEFAULT_TOLERANCE

    return run(model, out_dir, runtime=runtime, labels=labels, preprocess=preprocess, meta=meta, name=name,
               title=title, description=description,
               inputs=inputs, tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance, quantize=quantize,
               say=say, **options)


def create_app(bundle_dir: Any, **options: Any) -> Flask:
    """The Flask app factory; see clientside.server.create_app."""
    from .server import create_app as make

    return make(bundle_dir, **options)


__all__ = ["Bundle", "BundleError", "ClientsideError", "ExportError", "InputError",
           "__version__", "create_app", "export", "load_bundle"]
