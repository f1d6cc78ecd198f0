"""A big model's weights beside its graph, as ONNX external data. Given one .onnx file,
ONNX Runtime Web copies it into its wasm memory, parses it there, and keeps the parsed
weights too, so its memory holds the weights about twice (measured on DistilBERT-base:
797 MB resident after load, against 512 MB with external data). Given the weights apart,
it reads each tensor straight into its own buffer: one copy."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .graph import onnx_module

#: Graphs whose file would be this big or more get their weights apart (DistilBERT-base, in
#: float32 and int8); smaller ones (MobileNetV2's 14 MB) stay one file: one request, and the
#: second copy ORT keeps is small.
SPLIT_BYTES = 32 * 2**20
#: Tensors of fewer bytes stay in the graph (shapes, small constants).
MIN_TENSOR_BYTES = 1024
#: Each tensor starts at a multiple of this in the data file.
ALIGN = 64


def _initializers(graph: Any) -> Iterator[Any]:
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.g.ByteSize():
                yield from _initializers(attribute.g)
            for sub in attribute.graphs:
                yield from _initializers(sub)


def has_external_data(model: Any) -> bool:
    onnx = onnx_module()
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in _initializers(model.graph))


def split(model_bytes: bytes, name_data: Any) -> tuple[bytes, bytes, str] | None:
    """(graph bytes, weights bytes, weights file name) for a model of SPLIT_BYTES or more, else None.
    name_data(data bytes) -> the data file's name, which the graph records (a content hash, so
    the graph's own hash changes with its weights)."""
    if len(model_bytes) < SPLIT_BYTES:
        return None
    onnx = onnx_module()
    model = onnx.load_from_string(model_bytes)
    data = bytearray()
    moved = []
    for tensor in _initializers(model.graph):
        if tensor.HasField("raw_data") and len(tensor.raw_data) >= MIN_TENSOR_BYTES:
            data.extend(b"\0" * (-len(data) % ALIGN))
            moved.append((tensor, len(data), len(tensor.raw_data)))
            data.extend(tensor.raw_data)
    if not moved:
        return None
    body = bytes(data)
    location = name_data(body)
    for tensor, offset, length in moved:
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        del tensor.external_data[:]
        for key, value in (("location", location), ("offset", offset), ("length", length)):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, str(value)
    return model.SerializeToString(), body, location


def beside(graph_file: str | os.PathLike) -> list[Path]:
    """The external data files an .onnx file names (beside it), in the order first named."""
    onnx = onnx_module()
    path = Path(graph_file)
    model = onnx.load(str(path), load_external_data=False)
    names = [e.value for t in _initializers(model.graph) if t.data_location == onnx.TensorProto.EXTERNAL
             for e in t.external_data if e.key == "location"]
    return [path.parent / name for name in dict.fromkeys(names)]
