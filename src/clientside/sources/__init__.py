"""Model sources: where a model comes from. One module per source, one table; the Python
API (clientside.export) and the CLI (clientside export) resolve what they are handed
through resolve() alone, so they take the same things and give the same errors.

A source (see base.Source) takes an object or a path and gives a SourceModel: the graphs it
can become (one per runtime it can reach), the original model to compare with, and what it
knows of the inputs and outputs.
"""
from __future__ import annotations

from typing import Any

from ..advice import check_model_file, not_a_model
from ..errors import ExportError
from . import catboost, huggingface, keras, lightgbm, onnx_file, pt2, saved, sklearn, tfjs_graph, torch, xgboost
from .base import Source, SourceModel, as_path

#: In the order they are asked: Keras and Hugging Face before PyTorch (a Keras model on the
#: torch backend, and a transformers model, are torch Modules too); a TF.js graph model's
#: .json before XGBoost's.
SOURCES: list[Source] = [keras.SOURCE, huggingface.SOURCE, torch.SOURCE, pt2.SOURCE, tfjs_graph.SOURCE, xgboost.SOURCE,
                         lightgbm.SOURCE, catboost.SOURCE, sklearn.SOURCE, saved.SOURCE, onnx_file.SOURCE]


def resolve(obj: Any) -> Source:
    """The source that takes obj (a path or an object), or an error listing what does. A
    path is checked (it exists, is a file, starts as its suffix says) before any framework
    is imported."""
    path = as_path(obj)
    wanted = ", ".join(s.what for s in SOURCES[:-1]) + f" or {SOURCES[-1].what}"
    folder = path is not None and path.is_dir()
    if path is not None and not (path.is_file() or folder):
        raise ExportError(not_a_model(path, wanted))
    for source in SOURCES:
        if (not folder or source.folders) and source.accepts(obj):
            problem = check_model_file(path) if path is not None and not folder else None
            if problem:
                raise ExportError(problem)
            return source
    if path is not None:
        raise ExportError(not_a_model(path, wanted))
    raise ExportError(f"Expected {wanted}. Received: a {type(obj).__module__}.{type(obj).__qualname__}")


def suffixes() -> list[str]:
    """Every file suffix some source reads."""
    return [suffix for source in SOURCES for suffix in source.suffixes]


__all__ = ["SOURCES", "Source", "SourceModel", "resolve", "suffixes"]
