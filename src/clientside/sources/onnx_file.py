"""ONNX files from any tool (an .onnx path, or an onnx.ModelProto): run by ONNX Runtime Web
as they are. With no reference given, the check only proves onnxruntime runs them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..verify import Feeds
from .base import Say, Source, SourceModel, as_path, has_suffix

SUFFIXES = (".onnx",)


def accepts(obj: Any) -> bool:
    return has_suffix(obj, SUFFIXES) or type(obj).__name__ == "ModelProto"


def load(source: Any, *, reference: Callable[[Feeds], Feeds] | None = None,
         generated_by: str | None = None) -> SourceModel:
    """reference(feeds) -> outputs: the model the file was made from, if you have it; the
    written bundle must then reproduce it."""
    from ..runtimes.onnx.graph import load as read

    model = read(source)
    path = as_path(source)

    def graph(say: Say) -> Any:
        return model

    return SourceModel(source="onnx", title="the reference", graphs={"onnx": graph}, reference=reference,
                       generated_by=generated_by or (path.name if path else "an ONNX file"),
                       about={"description": model.doc_string.strip()} if model.doc_string.strip() else {})


SOURCE = Source(name="onnx", title="ONNX file", what="an .onnx file or an onnx.ModelProto",
                accepts=accepts, load=load, suffixes=SUFFIXES)
