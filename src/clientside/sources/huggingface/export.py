"""The graph of a transformers model for its task: torch.onnx.export (dynamo, the exporter
torch made its default) of the model and the task's output tensor, batch and sequence length
free, the output named as the contract names it."""
from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import ExportError
from ...runtimes.onnx.graph import without_debug_info
from ...verify import Feeds
from .tasks import Task


def _head_class() -> type:
    import torch

    class Head(torch.nn.Module):
        """The model and its task's output: the inputs by name (input_ids, attention_mask,
        token_type_ids, those the model takes), one tensor out."""

        def __init__(self, model: Any, task: Task | None, names: Sequence[str], settings: dict[str, Any]):
            super().__init__()
            self.model, self.task, self.names, self.settings = model, task, list(names), settings

        def forward(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None) -> Any:
            given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            given = {k: v for k, v in given.items() if v is not None}
            if self.task is None:  # a sentence-transformers model: its own modules, pooling included
                return self.model(dict(given))["sentence_embedding"]
            return self.task.output(self.model(**given), given, self.settings)

        def reference(self, feeds: Feeds) -> Feeds:
            """transformers in PyTorch on the same feeds: what the export must reproduce."""
            with torch.no_grad():
                out = self(**{n: torch.from_numpy(np.asarray(f, np.int64)) for n, f in zip(self.names, feeds)})
            return [out.detach().float().numpy()]

    return Head


def _image_head_class() -> type:
    import torch

    class ImageHead(torch.nn.Module):
        """An image model and its task's output: pixel_values [batch, 3, height, width] in."""

        def __init__(self, model: Any, task: Task):
            super().__init__()
            self.model, self.task, self.names = model, task, ["pixel_values"]

        def forward(self, pixel_values: Any) -> Any:
            return self.task.output(self.model(pixel_values=pixel_values), {}, {})

        def reference(self, feeds: Feeds) -> Feeds:
            with torch.no_grad():
                out = self(torch.from_numpy(np.asarray(feeds[0], np.float32)))
            return [out.detach().float().numpy()]

    return ImageHead


def ImageHead(model: Any, task: Task) -> Any:  # noqa: N802 - a class made on first use, as Head
    return _image_head_class()(model, task).eval()


def image_to_onnx(head: Any, pixels: np.ndarray, output: str, arch: str) -> Any:
    """The onnx.ModelProto of an image head, traced on pixels, the batch free."""
    import torch

    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program: Any = torch.onnx.export(head, (torch.from_numpy(np.asarray(pixels, np.float32)),),
                                             dynamic_shapes=({0: torch.export.Dim("batch")},), dynamo=True,
                                             verbose=False)
    except Exception as exc:  # noqa: BLE001 - torch.export raises many types
        raise ExportError(f"torch.onnx.export could not export {arch}: {type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}.") from None
    proto = without_debug_info(program.model_proto)  # its input is named as forward's argument: pixel_values
    rename_value(proto, proto.graph.output[0].name, output)
    return proto


def Head(model: Any, task: Task | None, names: Sequence[str], **settings: Any) -> Any:  # noqa: N802
    """The export's module (a class made on first use: torch is imported only when a model is
    exported). task None: model is a SentenceTransformer, which gives its sentence_embedding."""
    return _head_class()(model, task, names, settings).eval()


def to_onnx(head: Any, names: Sequence[str], feeds: Feeds, output: str, arch: str) -> Any:
    """The onnx.ModelProto of head, traced on feeds, with every input's batch and sequence free."""
    import torch

    # "torchvision is not installed. Skipping torchvision::nms": torch's, not the user's concern
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    kwargs = {n: torch.from_numpy(np.asarray(f, np.int64)) for n, f in zip(names, feeds)}
    try:
        with warnings.catch_warnings():  # torch's and transformers' own deprecations, not the user's concern
            warnings.simplefilter("ignore")
            program: Any = torch.onnx.export(head, (), kwargs=kwargs, dynamic_shapes={n: {0: batch, 1: sequence}
                                                                                      for n in names},
                                             dynamo=True, verbose=False)
    except Exception as exc:  # noqa: BLE001 - torch.export raises many types
        raise ExportError(f"torch.onnx.export could not export {arch}: {type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}. clientside takes what "
                          "torch.onnx.export can record; export it yourself and run `clientside export model.onnx "
                          "OUT --tokenizer tokenizer.json`.") from None
    proto = without_debug_info(program.model_proto)
    rename_value(proto, proto.graph.output[0].name, output)
    return proto


def rename_value(proto: Any, old: str, new: str) -> None:
    """The graph's value `old` named `new` everywhere (torch names outputs after their node:
    linear_13); a value already called `new` inside the graph gets another name first."""
    if old == new:
        return
    names = {n for node in proto.graph.node for n in (*node.input, *node.output)}
    if new in names:
        rename_value(proto, new, f"{new}_inner")
    for node in proto.graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for value in (*proto.graph.input, *proto.graph.output, *proto.graph.value_info):
        if value.name == old:
            value.name = new
