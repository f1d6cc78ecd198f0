"""Hugging Face models (sources/huggingface/): a save_pretrained folder, a model with its
tokenizer, a pipeline; the task from the architecture; outputs equal to transformers' own on
text the export never saw; what is refused, and how it is said."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from clientside import export, load_bundle
from clientside.cli import main
from clientside.errors import ExportError
from clientside.runtimes.onnx.run import run_onnxruntime
from clientside.steps import text as text_steps
from tests import hf_models

transformers = pytest.importorskip("transformers", reason="the hf extra (make install) installs transformers")
torch = pytest.importorskip("torch")


def bundle_outputs(bundle_dir, lines):
    """What the bundle computes for lines: its own tokenizer step (Python's), Python's onnxruntime."""
    bundle = load_bundle(bundle_dir)
    text = next(s for s in bundle.inputs if s["kind"] == "text" and "from" not in s)
    parts = text_steps.encode_batch(text, lines)
    feeds = [parts["ids"] if s is text else parts[s["part"]] for s in bundle.inputs]
    model = (bundle.root / bundle.contract["files"][0]["path"]).read_bytes()
    return bundle, run_onnxruntime(model, [s["name"] for s in bundle.inputs], feeds)[0]


def test_a_folder_becomes_a_bundle_that_predicts_as_the_pipeline(hf_sentiment, hf_sentiment_bundle):
    bundle, logits = bundle_outputs(hf_sentiment_bundle, hf_models.UNSEEN)
    contract = bundle.contract
    assert [s["name"] for s in contract["inputs"]] == ["input_ids", "token_type_ids", "attention_mask"] or \
        [s["name"] for s in contract["inputs"]] == ["input_ids", "attention_mask", "token_type_ids"]
    assert contract["outputs"][0]["kind"] == "classes" and contract["outputs"][0]["labels"] == ["NEGATIVE", "POSITIVE"]
    assert contract["title"] == "Sentiment model"
    assert len(contract["files"]) == 2 and contract["files"][1]["path"].startswith("tokenizer.")
    pipe = transformers.pipeline("text-classification", model=str(hf_sentiment), top_k=None)
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    for row, answer in zip(probabilities, pipe(hf_models.UNSEEN)):
        want = {a["label"]: a["score"] for a in answer}
        np.testing.assert_allclose(row, [want["NEGATIVE"], want["POSITIVE"]], atol=1e-5)


def test_a_model_object_with_its_tokenizer_and_a_pipeline_give_the_same_bundle(hf_sentiment, tmp_path):
    model = transformers.AutoModelForSequenceClassification.from_pretrained(hf_sentiment)
    tokenizer = transformers.AutoTokenizer.from_pretrained(hf_sentiment)
    a = export(model, tmp_path / "a", tokenizer=tokenizer, say=lambda _: None)
    b = export(transformers.pipeline("sentiment-analysis", model=model, tokenizer=tokenizer), tmp_path / "b",
               say=lambda _: None)
    _, from_object = bundle_outputs(a, hf_models.UNSEEN)
    _, from_pipeline = bundle_outputs(b, hf_models.UNSEEN)
    np.testing.assert_array_equal(from_object, from_pipeline)
    with pytest.raises(ExportError, match="tokenizer=tokenizer"):
        export(model, tmp_path / "c", say=lambda _: None)


def test_multilabel_from_problem_type_and_roberta_without_token_types(tmp_path):
    multi = export(hf_models.multilabel(tmp_path / "multi"), tmp_path / "m", say=lambda _: None)
    out = load_bundle(multi).contract["outputs"][0]
    assert out["kind"] == "multilabel" and out["labels"] == ["acting", "music", "plot"] and out["scores"] == "logits"
    rob = export(hf_models.roberta(tmp_path / "rob"), tmp_path / "r", say=lambda _: None)
    contract = load_bundle(rob).contract
    assert [s["name"] for s in contract["inputs"]] == ["input_ids", "attention_mask"]
    step = contract["inputs"][0]["steps"][0]
    assert step["max_length"] == 32 and step["pad_id"] == 1  # 34 positions, offset by the pad id (RoBERTa)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path / "rob")
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "rob")
    long = ["word " * 80, "short"]
    _, logits = bundle_outputs(rob, long)
    with torch.no_grad():
        want = model(**tokenizer(long, padding=True, truncation=True, max_length=32, return_tensors="pt")).logits
    np.testing.assert_allclose(logits, want.numpy(), atol=1e-5)


def test_the_cli_exports_a_folder_and_verifies_it_in_onnxruntime_web(hf_sentiment, tmp_path):
    result = CliRunner().invoke(main, ["export", str(hf_sentiment), str(tmp_path / "out"), "--verify"])
    assert result.exit_code == 0, result.output
    assert "5 sentences the export never saw" in result.output
    assert "tolerance 0.0001" in result.output and "verification passed" in result.output


def save(folder, config, tokenizer=None):
    folder.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(folder)
    (tokenizer or hf_models.bert_tokenizer()).save_pretrained(folder)
    return folder


@pytest.mark.parametrize(("make", "said"), [
    (lambda tok: transformers.GPT2Config(vocab_size=len(tok), n_layer=1, n_embd=16, n_head=2,
                                         architectures=["GPT2LMHeadModel"]), "generates text token by token"),
    (lambda tok: transformers.T5Config(vocab_size=len(tok), d_model=16, num_layers=1, num_heads=2,
                                       architectures=["T5ForConditionalGeneration"]), "encoder-decoder"),
    (lambda tok: hf_models.bert_config(tok, architectures=["BertForMaskedLM"]), "cannot tell its task"),
    (lambda tok: hf_models.bert_config(tok, architectures=["MyBert"], auto_map={"AutoModel": "modeling.MyBert"}),
     "needs remote code"),
])
def test_what_cannot_go_is_refused_with_the_reason(tmp_path, make, said):
    folder = save(tmp_path / "model", make(hf_models.bert_tokenizer()))
    result = CliRunner().invoke(main, ["export", str(folder), str(tmp_path / "out")])
    assert result.exit_code != 0 and said in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_folder_without_weights_or_with_another_vocabulary_is_refused(hf_sentiment, tmp_path):
    folder = save(tmp_path / "empty", transformers.AutoConfig.from_pretrained(hf_sentiment))
    result = CliRunner().invoke(main, ["export", str(folder), str(tmp_path / "out")])
    assert result.exit_code != 0 and "no weights" in result.output
    small = save(tmp_path / "small", hf_models.bert_config(hf_models.bert_tokenizer(), vocab_size=100,
                                                            architectures=["BertForSequenceClassification"]))
    transformers.BertForSequenceClassification(transformers.AutoConfig.from_pretrained(small)).save_pretrained(small)
    result = CliRunner().invoke(main, ["export", str(small), str(tmp_path / "out")])
    assert result.exit_code != 0 and "not a pair" in result.output and "Traceback" not in result.output


def test_task_is_taken_from_the_flag_when_the_config_does_not_say(hf_sentiment, tmp_path):
    config = json.loads((hf_sentiment / "config.json").read_text())
    folder = tmp_path / "bare"
    folder.mkdir()
    for f in hf_sentiment.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "config.json").write_text(json.dumps({**config, "architectures": None}))
    result = CliRunner().invoke(main, ["export", str(folder), str(tmp_path / "out")])
    assert result.exit_code != 0 and "--task" in result.output
    result = CliRunner().invoke(main, ["export", str(folder), str(tmp_path / "out"), "--task", "text-classification"])
    assert result.exit_code == 0, result.output


def test_a_sentence_transformers_folder_keeps_its_own_pooling_and_normalize(tmp_path):
    st = pytest.importorskip("sentence_transformers")
    for pooling in ("mean", "max", "cls"):
        folder = hf_models.sentence_transformer(tmp_path / f"st-{pooling}", pooling=pooling)
        written = export(folder, tmp_path / f"b-{pooling}", say=lambda _: None)
        bundle, vectors = bundle_outputs(written, hf_models.UNSEEN)
        out = bundle.contract["outputs"][0]
        assert out["kind"] == "embedding" and out["shape"] == [None, 32]
        assert bundle.inputs[0]["steps"][0]["max_length"] == 40  # the folder's max_seq_length
        want = st.SentenceTransformer(str(folder), device="cpu").encode(hf_models.UNSEEN)
        np.testing.assert_allclose(vectors, want, atol=1e-5)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_a_plain_encoder_is_pooled_as_asked(tmp_path):
    folder = hf_models.encoder(tmp_path / "enc")
    model = transformers.AutoModel.from_pretrained(folder)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(hf_models.UNSEEN, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    _, got = bundle_outputs(export(folder, tmp_path / "mean", say=lambda _: None), hf_models.UNSEEN)
    np.testing.assert_allclose(got, mean, atol=1e-5)
    _, got = bundle_outputs(export(folder, tmp_path / "cls", pooling="cls", normalize=True, say=lambda _: None),
                            hf_models.UNSEEN)
    cls = hidden[:, 0].numpy()
    np.testing.assert_allclose(got, cls / np.linalg.norm(cls, axis=1, keepdims=True), atol=1e-5)
    with pytest.raises(ExportError, match="expected one of mean, cls, max"):
        export(folder, tmp_path / "bad", pooling="median", say=lambda _: None)


@pytest.mark.parametrize("dtype", ["int8", "float16"])
def test_int8_and_float16_bundles_say_their_cost_and_keep_the_embeddings(tmp_path, dtype):
    """int8: onnxruntime's dynamic quantization, integer kernels the wasm build runs; float16:
    weights in two bytes, float32 kernels. Each is checked in onnxruntime-web against Python's
    onnxruntime on the same quantized graph before it is written."""
    st = pytest.importorskip("sentence_transformers")
    folder = hf_models.sentence_transformer(tmp_path / "st")
    said = []
    full = export(folder, tmp_path / "full", say=lambda _: None)
    small = export(folder, tmp_path / dtype, quantize=dtype, say=said.append)
    cost = next(line for line in said if line.startswith(f"{dtype}: "))
    assert "largest difference from the float32 model" in cost and "cosine with float32" in cost, cost
    contract = load_bundle(small).contract
    assert contract["quantization"]["dtype"] == dtype
    size = {b: load_bundle(b).contract["files"][0]["size"] for b in (full, small)}
    assert size[small] < size[full] * 0.9  # the tiny model's many small weights stay float32
    _, vectors = bundle_outputs(small, hf_models.UNSEEN)
    want = st.SentenceTransformer(str(folder), device="cpu").encode(hf_models.UNSEEN)
    cosine = (vectors * want).sum(1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(want, axis=1)
    assert cosine.min() >= 0.99
    if dtype == "int8":
        model = onnx_ops(small)
        assert "MatMulInteger" in model or "DynamicQuantizeMatMul" in model


def onnx_ops(bundle_dir) -> set[str]:
    import onnx

    bundle = load_bundle(bundle_dir)
    return {n.op_type for n in onnx.load(str(bundle.root / bundle.contract["files"][0]["path"])).graph.node}


@pytest.mark.parametrize("make", ["vit", "convnext"])
def test_an_image_classifier_folder_predicts_as_the_pipeline(tmp_path, make):
    from PIL import Image

    from clientside.steps import image as image_steps
    from tests.steps.test_image_hf import picture

    folder = getattr(hf_models, make)(tmp_path / make)
    bundle = load_bundle(export(folder, tmp_path / "bundle", say=lambda _: None))
    spec = bundle.inputs[0]
    assert spec["kind"] == "image" and spec["layout"] == "nchw" and spec["steps"][0] == {"op": "rgb"}
    assert all(s.get("precision", "uint8") == "uint8" for s in spec["steps"] if s["op"].startswith("resize"))
    pictures: list[Image.Image] = [picture(50 + 13 * k, 80 - 17 * k, k) for k in range(3)]
    pixels = np.stack([image_steps.run(p, spec["steps"]).transpose(2, 0, 1) for p in pictures])
    model = (bundle.root / bundle.contract["files"][0]["path"]).read_bytes()
    logits = run_onnxruntime(model, ["pixel_values"], [pixels])[0]
    labels = bundle.contract["outputs"][0]["labels"]
    pipe = transformers.pipeline("image-classification", model=str(folder), top_k=None)
    want = np.asarray([[{a["label"]: a["score"] for a in answer}[k] for k in labels] for answer in pipe(pictures)])
    np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(-1, keepdims=True), want, atol=1e-5)


def test_an_image_model_without_its_processor_is_refused(tmp_path):
    folder = hf_models.vit(tmp_path / "vit")
    (folder / "preprocessor_config.json").unlink()
    result = CliRunner().invoke(main, ["export", str(folder), str(tmp_path / "out")])
    assert result.exit_code != 0 and "no preprocessor_config.json" in result.output
