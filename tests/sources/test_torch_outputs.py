"""PyTorch modules whose forward returns a dict, a tuple or a named tuple (torchvision's
segmentation models return {"out": ..., "aux": ...}; detection heads return boxes and
scores): each tensor is an output named by its key, shown by its kind, and exact against
torch on inputs the export never saw; a part that is not a tensor is refused, naming it."""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import pytest
import torch

from clientside import ExportError, load_bundle
from clientside import export as export_any
from clientside.runtimes.onnx.node import predict
from clientside.runtimes.onnx.run import run_onnxruntime

quiet = {"say": lambda _: None}


class Segmenter(torch.nn.Module):
    """As torchvision's FCN answers: an OrderedDict of a main and an auxiliary map."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.aux = torch.nn.Conv2d(4, 2, 1)

    def forward(self, x):
        features = torch.relu(self.body(x))
        return OrderedDict(out=features, aux=self.aux(features))


class Boxes(NamedTuple):
    scores: torch.Tensor
    boxes: torch.Tensor


class Detector(torch.nn.Module):
    """A detection head: class probabilities and boxes, as a tuple with a named tuple inside."""

    def __init__(self):
        super().__init__()
        self.trunk = torch.nn.Linear(6, 8)
        self.classes = torch.nn.Linear(8, 3)
        self.box = torch.nn.Linear(8, 4)

    def forward(self, x):
        h = torch.tanh(self.trunk(x))
        return torch.softmax(self.classes(h), -1), Boxes(torch.sigmoid(self.box(h)[:, :1]), self.box(h))


class Counts(torch.nn.Module):
    def forward(self, x):
        return {"logits": x * 2, "count": 3}


def check(module, out, x):
    bundle = load_bundle(out)
    graph = out / bundle.files[0].path
    names = [s["name"] for s in bundle.inputs]
    with torch.no_grad():
        want = torch.utils._pytree.tree_leaves(module(torch.from_numpy(x)))
    for got in (run_onnxruntime(graph, names, [x]), predict(graph, names, [x], ["float32"])):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), atol=1e-5)
    return bundle


def test_a_dict_of_tensors_gives_outputs_named_by_its_keys(tmp_path):
    torch.manual_seed(0)
    module = Segmenter().eval()
    out = export_any(module, tmp_path / "seg", example_inputs=[torch.rand(2, 3, 16, 16)], **quiet)
    held = np.random.default_rng(1).random((3, 3, 16, 16), dtype=np.float32)
    bundle = check(module, out, held)
    assert [(o["name"], o["kind"]) for o in bundle.outputs] == [("out", "tensor"), ("aux", "tensor")]


def test_a_tuple_with_a_named_tuple_inside_is_flattened_and_named_by_place_and_field(tmp_path):
    torch.manual_seed(0)
    module = Detector().eval()
    out = export_any(module, tmp_path / "det", example_inputs=[torch.rand(2, 6)], labels=["cat", "dog", "fox"],
                     **quiet)
    bundle = check(module, out, np.random.default_rng(2).normal(size=(5, 6)).astype(np.float32))
    outputs = json.loads((out / "clientside.json").read_text())["outputs"]
    assert [o["name"] for o in outputs] == ["output_0", "output_1.scores", "output_1.boxes"]
    assert outputs[0]["kind"] == "classes" and outputs[0]["labels"] == ["cat", "dog", "fox"]  # a softmax: classes
    assert outputs[1]["kind"] == "multilabel" and outputs[2]["kind"] == "values"
    assert bundle.outputs == outputs


def test_a_part_that_is_not_a_tensor_is_refused_naming_it(tmp_path):
    with pytest.raises(ExportError, match=r"forward returns int at count: the page takes tensors\. Wrap the model"):
        export_any(Counts(), tmp_path / "c", example_inputs=[torch.rand(2, 3)], **quiet)
    assert not (tmp_path / "c").exists()
