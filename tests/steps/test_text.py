"""Text steps against what Keras computed (tests/data/text/keras_golden.json, written by
scripts/keras-text-golden with TensorFlow's TextVectorization and tf_keras's Tokenizer) on
600 awkward lines: non-ASCII letters, emoji, punctuation runs, odd whitespace, empty lines."""
from __future__ import annotations

import json

import pytest

from clientside.steps import text
from tests.helpers import DATA

CORPUS = json.loads((DATA / "text" / "corpus.json").read_text())
GOLDEN = json.loads((DATA / "text" / "keras_golden.json").read_text())


def vectorization_steps(golden=GOLDEN["text_vectorization"]):
    return [{"op": "standardize"}, {"op": "split"}, {"op": "vocabulary", "tokens": golden["vocabulary"]},
            {"op": "pad", "length": golden["output_sequence_length"]}]


def tokenizer_steps(golden=GOLDEN["tokenizer"]):
    return [{"op": "tokenize"},
            {"op": "word_index", "index": golden["word_index"], "num_words": golden["num_words"],
             "oov_token": golden["oov_token"]},
            {"op": "pad", "length": golden["maxlen"], "padding": "pre", "truncating": "pre"}]


def plain_tokenizer_steps(golden=GOLDEN["tokenizer_plain"]):
    return [{"op": "tokenize"}, {"op": "word_index", "index": golden["word_index"]},
            {"op": "pad", "length": golden["maxlen"]}]


CASES = {"text_vectorization": vectorization_steps, "tokenizer": tokenizer_steps,
         "tokenizer_plain": plain_tokenizer_steps}


def test_the_corpus_is_awkward_enough():
    assert len(CORPUS) >= 500
    assert "" in CORPUS and any(ord(c) > 0xFFFF for line in CORPUS for c in line)  # emoji
    assert any("\u00a0" in line for line in CORPUS) and any("!!!" in line for line in CORPUS)


@pytest.mark.parametrize("case", CASES)
def test_ids_equal_keras(case):
    steps = CASES[case]()
    got = [text.run(line, steps) for line in CORPUS]
    want = GOLDEN[case]["ids"]
    bad = [(i, CORPUS[i], g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, f"{len(bad)} lines differ, first: {bad[0]}"


def test_lowering_is_ascii_only_for_text_vectorization_and_unicode_for_the_tokenizer():
    # What TF computes (tf.strings.lower lowers ASCII only) and what Python's str.lower does.
    assert text.standardize("ÉCOLE İstanbul ΟΔΟΣ") == "École İstanbul ΟΔΟΣ"
    assert text.tokenize("ÉCOLE ΟΔΟΣ") == ["école", "οδος"]
    assert text.split("a\u00a0b c\u3000d\te\x0bf") == ["a\u00a0b", "c\u3000d", "e", "f"]


def test_prepare_pads_a_batch_for_a_model_of_any_length():
    spec = {"name": "review", "shape": [None, None], "dtype": "int32",
            "steps": vectorization_steps()[:3]}
    batch = text.prepare(spec, ["great movie", "the movie was great fun"])
    assert batch.shape == (2, 5) and batch.dtype.name == "int32" and list(batch[0, 2:]) == [0, 0, 0]


@pytest.mark.parametrize("steps, words", [
    ([{"op": "standardize", "mode": "upper"}], "steps[0] (standardize): mode must be one of"),
    ([{"op": "split"}, {"op": "vocabulary", "tokens": ["", "x"]}], "oov_token: '[UNK]' is not in the vocabulary"),
    ([{"op": "tokenize"}, {"op": "word_index", "index": {"a": 0}}], "steps[1].index: expected a map"),
    ([{"op": "split"}, {"op": "vocabulary", "tokens": ["", "[UNK]"]}, {"op": "pad", "length": 5}],
     "pad makes 5 ids, the model takes 20"),
])
def test_bad_text_steps_are_refused_naming_the_step(steps, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        text.validate({"name": "t", "shape": [None, 20], "dtype": "int32", "kind": "text", "steps": steps}, "inputs[0]")


class Vectorizer:
    """What input_from_vectorizer reads of a TextVectorization (the real one needs TensorFlow)."""

    def __init__(self, vocabulary, **config):
        self.vocabulary = vocabulary
        self.config = {"name": "text_vectorization", "standardize": "lower_and_strip_punctuation",
                       "split": "whitespace", "ngrams": None, "output_mode": "int", **config}

    def get_vocabulary(self):
        return self.vocabulary

    def get_config(self):
        return self.config


class Tokenizer:
    def __init__(self, word_index, **options):
        self.word_index = word_index
        self.filters, self.lower, self.split, self.char_level = text.TOKENIZER_FILTERS, True, " ", False
        self.num_words, self.oov_token = options.get("num_words"), options.get("oov_token")


def test_entries_from_a_vectorizer_and_a_tokenizer_reproduce_keras():
    golden = GOLDEN["text_vectorization"]
    entry = text.input_from_vectorizer(Vectorizer(golden["vocabulary"], output_sequence_length=20))
    assert [text.run(line, entry["steps"]) for line in CORPUS] == golden["ids"]
    golden = GOLDEN["tokenizer"]
    entry = text.input_from_tokenizer(Tokenizer(golden["word_index"], num_words=250, oov_token="<OOV>"), maxlen=16)
    assert [text.run(line, entry["steps"]) for line in CORPUS] == golden["ids"]


@pytest.mark.parametrize("config, words", [
    ({"output_mode": "tf_idf"}, "output_mode='tf_idf' is not supported"),
    ({"standardize": "custom_fn"}, "cannot run in the browser"),
    ({"split": "character"}, "split='character' is not supported"),
    ({"ngrams": 2}, "ngrams=2 is not supported"),
])
def test_a_vectorizer_the_steps_cannot_reproduce_is_refused(config, words):
    with pytest.raises(ValueError, match=words):
        text.input_from_vectorizer(Vectorizer(["", "[UNK]"], **config))
