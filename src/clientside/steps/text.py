"""Text inputs: a string -> token ids, the way Keras computed them at training time.

Two conventions, each reproduced exactly (static/steps/text.js does the same in the page):

- `keras.layers.TextVectorization`: `standardize` (TF's `tf.strings.lower`, which lowers
  ASCII letters only, then Keras's punctuation regex), `split` on TF's whitespace (the six
  ASCII spaces), `vocabulary` (index 0 is "", 1 is "[UNK]"), `pad` at the end.
- the legacy `Tokenizer` + `pad_sequences`: `tokenize` (Python's `str.lower`, which lowers
  every script, the `filters` characters turned into the split character), `word_index`
  (1-based; unknown words dropped, or the OOV token's index), `pad` at the front.

And a Hugging Face `tokenizer.json` (`tokenizer`, the only step: tokenizer_json.py): ids, and
the parts the model also takes (`attention_mask`, `token_type_ids`), which the contract lists
as inputs of their own that name this one as `from`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from . import tokenizer_json

#: keras/src/layers/preprocessing/text_vectorization.py, DEFAULT_STRIP_REGEX.
KERAS_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
#: tf.strings.split with no separator splits on these (absl::ascii_isspace).
TF_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
#: keras.preprocessing.text.Tokenizer's default filters.
TOKENIZER_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

STANDARDIZE_MODES = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
PAD_SIDES = ("pre", "post")
#: What a tokenizer step gives beside the ids, for the inputs that name its input as `from`.
PARTS = ("attention_mask", "token_type_ids")

STEPS: dict[str, Callable[..., Any]] = {}


def step(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        STEPS[name] = fn
        return fn
    return decorator


@step("standardize")
def standardize(text: str, mode: str = "lower_and_strip_punctuation") -> str:
    """TextVectorization's standardize: ASCII-only lowering (TF's), Keras's punctuation set."""
    if mode not in STANDARDIZE_MODES:
        raise ValueError(f"mode must be one of {', '.join(STANDARDIZE_MODES)}. Received: {mode!r}")
    if mode != "strip_punctuation":
        text = text.translate(_ASCII_LOWER)
    if mode != "lower":
        text = KERAS_PUNCTUATION.sub("", text)
    return text


@step("split")
def split(text: str, on: str = "whitespace") -> list[str]:
    """TextVectorization's split="whitespace": runs of ASCII whitespace, no empty tokens."""
    if on != "whitespace":
        raise ValueError(f"on must be 'whitespace'. Received: {on!r}")
    return [t for t in TF_WHITESPACE.split(text) if t]


@step("vocabulary")
def vocabulary(words: list[str], tokens: Sequence[str] = (), oov_token: str = "[UNK]") -> list[int]:
    """A word's index in TextVectorization's get_vocabulary() ("" and "[UNK]" first)."""
    index = _index(tokens)
    oov = index[oov_token]
    return [index.get(w, oov) for w in words]


@step("tokenize")
def tokenize(text: str, filters: str = TOKENIZER_FILTERS, lower: bool = True, split: str = " ") -> list[str]:
    """keras.preprocessing.text.text_to_word_sequence."""
    if lower:
        text = text.lower()
    text = text.translate({ord(c): split for c in filters})
    return [t for t in text.split(split) if t]


@step("word_index")
def word_index(words: list[str], index: dict[str, int] | None = None, num_words: int | None = None,
               oov_token: str | None = None) -> list[int]:
    """Tokenizer.texts_to_sequences: 1-based ids; words past num_words or unknown are
    dropped, or replaced by the OOV token's id when the tokenizer had one."""
    index = index or {}
    oov = index.get(oov_token) if oov_token is not None else None
    ids = []
    for w in words:
        i = index.get(w)
        if i is not None and (num_words is None or i < num_words):
            ids.append(i)
        elif oov is not None:
            ids.append(oov)
    return ids


@step("pad")
def pad(ids: list[int], length: int | None = None, padding: str = "post", truncating: str = "post",
        value: int = 0) -> list[int]:
    """Fixed length: TextVectorization pads and truncates at the end (post), pad_sequences
    at the front (pre) by default."""
    if padding not in PAD_SIDES or truncating not in PAD_SIDES:
        raise ValueError(f"padding and truncating must be 'pre' or 'post'. Received: {padding!r}, {truncating!r}")
    if length is None:
        return ids
    if len(ids) > length:
        ids = ids[:length] if truncating == "post" else ids[len(ids) - length:]
    fill = [value] * (length - len(ids))
    return ids + fill if padding == "post" else fill + ids


@step("tokenizer")
def tokenizer(text: str, file: str | None = None, max_length: int | None = None, truncation_side: str = "right",
              pad_id: int = 0, offsets: bool = False) -> tokenizer_json.Encoded:
    """A Hugging Face tokenizer.json (a bundle file): the text as the model reads it, special
    tokens added, cut to max_length tokens (the model's own maximum). pad_id fills a batch's
    shorter lines. offsets: the page also finds where each token is in the text (for the
    spans an NER model gives; HF tokenizers always gives them in Python)."""
    if truncation_side not in tokenizer_json.SIDES:
        raise ValueError(f"truncation_side must be 'right' or 'left'. Received: {truncation_side!r}")
    if file is None:
        raise ValueError("file: the tokenizer.json of the bundle is required")
    del offsets  # HF tokenizers gives them with every encoding
    return tokenizer_json.encode(text, file, max_length, truncation_side)


_INDEX_CACHE: dict[int, tuple[Sequence[str], dict[str, int]]] = {}


def _index(tokens: Sequence[str]) -> dict[str, int]:
    """word -> first position, built once per vocabulary list (a bundle's lives as long as it)."""
    cached = _INDEX_CACHE.get(id(tokens))
    if cached is None or cached[0] is not tokens:
        index: dict[str, int] = {}
        for i, t in enumerate(tokens):
            index.setdefault(t, i)
        cached = _INDEX_CACHE[id(tokens)] = (tokens, index)
    return cached[1]


def run(text: str, steps: Sequence[dict[str, Any]]) -> list[int]:
    value: Any = text
    for s in steps:
        params = {k: v for k, v in s.items() if k != "op"}
        value = STEPS[s["op"]](value, **params)
    return value


def validate(spec: dict[str, Any], where: str) -> None:
    from .common import check_params

    steps = spec.get("steps", [])
    check_params(steps, STEPS, f"{where}.steps")
    ops = [s["op"] for s in steps]
    if "from" in spec or "part" in spec:
        if steps or "from" not in spec or spec.get("part") not in PARTS:
            raise ValueError(f"{where}: an input made from another text input's tokens has no steps of its own, "
                             f"a 'from' (that input's name) and a 'part' ({' or '.join(PARTS)})")
        return
    if "tokenizer" in ops:
        _validate_tokenizer(steps, spec, where)
        return
    for i, s in enumerate(steps):
        if s["op"] == "vocabulary":
            vocab = s.get("tokens")
            if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
                raise ValueError(f"{where}.steps[{i}].tokens: expected a list of strings")
            if s.get("oov_token", "[UNK]") not in vocab:
                raise ValueError(f"{where}.steps[{i}].oov_token: {s.get('oov_token', '[UNK]')!r} is not in "
                                 "the vocabulary (TextVectorization's get_vocabulary() starts with '' and '[UNK]')")
        if s["op"] == "word_index":
            index = s.get("index")
            if not isinstance(index, dict) or not all(isinstance(v, int) and v > 0 for v in index.values()):
                raise ValueError(f"{where}.steps[{i}].index: expected a map of word -> id >= 1 "
                                 "(Tokenizer.word_index)")
        try:  # a value the step cannot use (a bad mode, a bad padding side)
            STEPS[s["op"]]("" if s["op"] in ("standardize", "split", "tokenize") else [],
                           **{k: v for k, v in s.items() if k != "op"})
        except ValueError as exc:
            raise ValueError(f"{where}.steps[{i}] ({s['op']}): {exc}") from None
    if steps and ops[-1] != "pad" and not {"vocabulary", "word_index"} & set(ops):
        raise ValueError(f"{where}.steps: the steps must turn text into ids (a vocabulary or word_index step)")
    length = spec["shape"][1] if len(spec["shape"]) > 1 else None
    pads = [s for s in steps if s["op"] == "pad"]
    if length is not None and pads and pads[-1].get("length") != length:
        raise ValueError(f"{where}.steps: pad makes {pads[-1].get('length')} ids, the model takes {length}")


def _validate_tokenizer(steps: Sequence[dict[str, Any]], spec: dict[str, Any], where: str) -> None:
    if len(steps) != 1:
        raise ValueError(f"{where}.steps: a tokenizer step is the only step (its tokenizer.json normalizes the text)")
    s = steps[0]
    if not isinstance(s.get("file"), str):
        raise ValueError(f"{where}.steps[0].file: expected the name of the bundle's tokenizer.json")
    if s.get("truncation_side", "right") not in tokenizer_json.SIDES:
        raise ValueError(f"{where}.steps[0].truncation_side: expected 'right' or 'left'. "
                         f"Received: {s['truncation_side']!r}")
    if not isinstance(s.get("offsets", False), bool):
        raise ValueError(f"{where}.steps[0].offsets: expected true or false. Received: {s['offsets']!r}")
    for key in ("max_length", "pad_id"):
        value = s.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{where}.steps[0].{key}: expected a whole number >= 0. Received: {value!r}")
    fixed = spec["shape"][1] if len(spec["shape"]) > 1 else None
    if fixed is not None and (s.get("max_length") is None or s["max_length"] > fixed):
        raise ValueError(f"{where}.steps[0].max_length: the model takes {fixed} tokens; max_length must be at "
                         f"most that. Received: {s.get('max_length')}")


def register_files(spec: dict[str, Any], folder: Path) -> None:
    """The bundle files this input's steps read (a tokenizer.json), found in its folder."""
    for s in spec.get("steps", []):
        if s["op"] == "tokenizer":
            tokenizer_json.register(s["file"], folder / s["file"])


def _texts(spec: dict[str, Any], items: Sequence[Any]) -> list[str]:
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(f"{spec['name']}[{i}]: expected a string. Received: {type(item).__name__}", status=422)
    return list(items)


def is_tokenized(spec: dict[str, Any]) -> bool:
    steps = spec.get("steps") or []
    return bool(steps) and steps[-1]["op"] == "tokenizer"


def encode_batch(spec: dict[str, Any], items: Sequence[Any]) -> dict[str, Any]:
    """Texts through a tokenizer step -> {"ids", "attention_mask", "token_type_ids"}, each a
    batch padded at the end to the longest line (or to the model's fixed length): pad_id,
    mask 0, type 0, as HF tokenizers pads a batch; "total", each text's tokens before
    truncation; and with offsets, "spans": per text its token offsets, specials and tokens."""
    from .common import DTYPES

    step = spec["steps"][-1]
    params = {k: v for k, v in step.items() if k != "op"}
    try:
        encoded = [tokenizer(t, **params) for t in _texts(spec, items)]
    except ValueError as exc:
        raise InputError(f"{spec['name']}: {exc}", status=422) from None
    fixed = spec["shape"][1] if len(spec["shape"]) > 1 else None
    length = fixed if fixed is not None else max(1, max((len(e.ids) for e in encoded), default=1))
    dtype = DTYPES.get(spec.get("dtype", "int64"), np.int64)
    fills = {"ids": params.get("pad_id", 0), "attention_mask": 0, "token_type_ids": 0}
    out: dict[str, Any] = {}
    for part, fill in fills.items():
        batch = np.full((len(encoded), length), fill, dtype=dtype)
        for i, e in enumerate(encoded):
            row = e.ids if part == "ids" else getattr(e, part)
            batch[i, :len(row)] = row
        out[part] = batch
    out["total"] = np.asarray([e.total for e in encoded], np.int64)
    if params.get("offsets"):  # for a spans output: where each token is, which are specials, the tokens
        out["spans"] = [{"offsets": [list(o) for o in e.offsets], "special": e.special, "tokens": e.tokens}
                        for e in encoded]
    return out


def prepare(spec: dict[str, Any], items: Sequence[Any], limits: Any = None) -> np.ndarray:
    """Texts -> one batch of ids; shorter rows padded at the end with 0 (as TextVectorization
    does for a batch) when the model takes any length."""
    from .common import as_batch

    if is_tokenized(spec):
        return encode_batch(spec, items)["ids"]
    rows = [run(item, spec.get("steps", [])) for item in _texts(spec, items)]
    fixed = spec["shape"][1] if len(spec["shape"]) > 1 else None
    if fixed is None:
        longest = max(1, max(map(len, rows), default=1))
        rows = [r + [0] * (longest - len(r)) for r in rows]
    for i, r in enumerate(rows):
        if fixed is not None and len(r) != fixed:
            raise InputError(f"{spec['name']}[{i}]: the steps made {len(r)} ids, the model takes {fixed} "
                             "(add a pad step)", status=422)
    return as_batch([np.asarray(r) for r in rows], spec.get("dtype", "float32"))


# --- from the objects a Keras project already has -----------------------------------------

def input_from_vectorizer(vectorizer: Any, *, name: str | None = None, multiline: bool = True) -> dict[str, Any]:
    """A text input entry (for --meta / export(meta=...)) from a keras.layers.TextVectorization
    that was adapted or given a vocabulary. Refuses the settings the steps cannot reproduce."""
    config = vectorizer.get_config()
    where = f"TextVectorization {config.get('name', '')!r}".strip()
    if config.get("output_mode", "int") != "int":
        raise ValueError(f"{where}: output_mode={config['output_mode']!r} is not supported; only 'int' "
                         "(token ids) is. Put the vectorizer's other modes inside the model instead.")
    standardize = config.get("standardize")
    if standardize not in (None, *STANDARDIZE_MODES):
        raise ValueError(f"{where}: standardize={standardize!r} (a custom function) cannot run in the browser; "
                         f"use one of {', '.join(STANDARDIZE_MODES)} or None.")
    if config.get("split", "whitespace") != "whitespace":
        raise ValueError(f"{where}: split={config['split']!r} is not supported; only 'whitespace' is.")
    if config.get("ngrams"):
        raise ValueError(f"{where}: ngrams={config['ngrams']!r} is not supported.")
    steps: list[dict[str, Any]] = []
    if standardize:
        steps.append({"op": "standardize", "mode": standardize})
    steps += [{"op": "split"}, {"op": "vocabulary", "tokens": [str(t) for t in vectorizer.get_vocabulary()]}]
    if config.get("output_sequence_length"):
        steps.append({"op": "pad", "length": int(config["output_sequence_length"])})
    entry = {"kind": "text", "multiline": multiline, "steps": steps}
    return {"name": name, **entry} if name else entry


def input_from_tokenizer(tokenizer: Any, maxlen: int, *, padding: str = "pre", truncating: str = "pre",
                         name: str | None = None, multiline: bool = True) -> dict[str, Any]:
    """A text input entry from a legacy keras.preprocessing.text.Tokenizer and the arguments
    given to pad_sequences (pre-padding and pre-truncating are its defaults)."""
    if getattr(tokenizer, "char_level", False):
        raise ValueError("Tokenizer(char_level=True) is not supported.")
    steps = [
        {"op": "tokenize", "filters": tokenizer.filters, "lower": bool(tokenizer.lower), "split": tokenizer.split},
        {"op": "word_index", "index": dict(tokenizer.word_index), "num_words": tokenizer.num_words,
         "oov_token": tokenizer.oov_token},
        {"op": "pad", "length": int(maxlen), "padding": padding, "truncating": truncating},
    ]
    entry = {"kind": "text", "multiline": multiline, "steps": steps}
    return {"name": name, **entry} if name else entry
