"""A transformers tokenizer as the contract's text input: its tokenizer.json (a bundle file,
named by its content), the step that runs it on both sides, and the inputs the model also
takes from it (attention_mask, token_type_ids)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ExportError
from ...files import hashed_name, sha256_bytes
from ...steps import tokenizer_json

#: What the model takes beside the ids, and which part of an encoding each is.
PARTS = ("attention_mask", "token_type_ids")
#: Position embeddings that start after the padding index (RoBERTa's family): the longest text
#: is max_position_embeddings - pad_token_id - 1 tokens.
OFFSET_POSITIONS = ("roberta", "xlm-roberta", "camembert", "longformer", "mpnet", "ibert", "data2vec-text",
                    "xmod", "roberta-prelayernorm", "luke")
#: Beyond this, transformers' model_max_length means "not set".
UNSET = 10**6


def tokenizer_text(tokenizer: Any) -> str:
    """The tokenizer.json of a transformers tokenizer: its Rust tokenizer as transformers runs
    it (post-processor included), or a tokenizers.Tokenizer's own."""
    backend = getattr(tokenizer, "backend_tokenizer", None) or tokenizer
    if not hasattr(backend, "to_str"):
        raise ExportError(f"{type(tokenizer).__name__} is a slow (Python) tokenizer with no tokenizer.json: load the "
                          "fast one (AutoTokenizer.from_pretrained(folder)), or save a tokenizer.json with the "
                          "`tokenizers` library.")
    return backend.to_str()


def longest_text(tokenizer: Any, config: Any) -> int | None:
    """The longest text the model reads, in tokens: the tokenizer's model_max_length, else the
    position embeddings' size."""
    given = getattr(tokenizer, "model_max_length", None)
    if isinstance(given, int) and 0 < given < UNSET:
        return given
    positions = getattr(config, "max_position_embeddings", None)
    if not isinstance(positions, int):
        return None
    if getattr(config, "model_type", "") in OFFSET_POSITIONS:
        positions -= (getattr(config, "pad_token_id", 1) or 0) + 1
    return positions


class TextInput:
    """The tokenizer, registered under its bundle file name, and the contract entries for it."""

    def __init__(self, text: str, *, max_length: int | None, pad_id: int, model_inputs: Sequence[str],
                 model_vocab: int | None = None, vocab_from: str = "config.json vocab_size"):
        self.text = text
        self.bytes = text.encode("utf-8")
        self.file = hashed_name("tokenizer", sha256_bytes(self.bytes), ".json")
        self.python = tokenizer_json.register_json(self.file, text)
        vocab = self.python.get_vocab_size(with_added_tokens=True)
        if model_vocab is not None and vocab > model_vocab:
            raise ExportError(f"The tokenizer has {vocab} tokens and the model's embedding {model_vocab} "
                              f"({vocab_from}): they are not a pair. Save the tokenizer the model was "
                              "trained with beside it (tokenizer.save_pretrained(folder)).")
        self.max_length, self.pad_id = max_length, pad_id
        self.model_inputs = ["input_ids", *[p for p in PARTS if p in model_inputs]]
        self.offsets = False  # the page finds each token's place in the text too (NER)

    def with_offsets(self, task: str) -> None:
        """The page must find each token's characters (an NER model's spans): it does for
        WordPiece tokenizers (BERT and its kin); another family is refused, not guessed."""
        kind = json.loads(self.text).get("model", {}).get("type")
        if kind != "WordPiece":
            raise ExportError(f"A {task} model's spans need each token's place in the text, which the page finds "
                              "for WordPiece tokenizers (BERT, DistilBERT, MiniLM, ELECTRA); this tokenizer is "
                              f"{kind}. Not yet: export a WordPiece model, or run this one with the Python pipeline.")
        self.offsets = True

    @classmethod
    def of_transformers(cls, tokenizer: Any, config: Any, model_inputs: Sequence[str],
                        max_length: int | None = None) -> TextInput:
        """A transformers tokenizer (its Rust tokenizer's JSON) for a model with this config."""
        pad = getattr(tokenizer, "pad_token_id", None)
        vocab = getattr(config, "vocab_size", None)
        return cls(tokenizer_text(tokenizer), max_length=max_length or longest_text(tokenizer, config),
                   pad_id=int(pad) if isinstance(pad, int) else 0, model_inputs=model_inputs,
                   model_vocab=vocab if isinstance(vocab, int) else None)

    @classmethod
    def of_file(cls, path: Path, model_inputs: Sequence[str], fixed_length: int | None = None,
                model_vocab: int | None = None) -> TextInput:
        """--tokenizer: a tokenizer.json (or a folder holding one, and maybe tokenizer_config.json)
        read with HF tokenizers alone: its truncation, else tokenizer_config.json's
        model_max_length, else the graph's fixed length is the longest text."""
        folder = path if path.is_dir() else path.parent
        file = path / "tokenizer.json" if path.is_dir() else path
        try:
            text = file.read_text(encoding="utf-8")
            doc = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ExportError(f"--tokenizer {file}: not a tokenizer.json ({exc})") from None
        config = _json_beside(folder / "tokenizer_config.json")
        given = config.get("model_max_length")
        truncation = doc.get("truncation") or {}
        longest = truncation.get("max_length") or (given if isinstance(given, int) and 0 < given < UNSET else None) \
            or fixed_length
        if longest is None:
            raise ExportError(f"--tokenizer {file}: neither it (truncation) nor a tokenizer_config.json beside it "
                              "(model_max_length) says how many tokens the model reads at most: add one, or give "
                              'the tokenizer step\'s max_length in --meta ({"inputs": [{"name": "input_ids", '
                              '"steps": [...]}]}).')
        if fixed_length is not None and longest > fixed_length:
            longest = fixed_length
        library = tokenizer_json.library()
        try:
            python = library.Tokenizer.from_str(text)
        except Exception as exc:  # noqa: BLE001 - tokenizers raises its own types for a bad file
            raise ExportError(f"--tokenizer {file}: HF tokenizers cannot read it ({exc})") from None
        return cls(text, max_length=int(longest), pad_id=_pad_id(doc, config, python), model_inputs=model_inputs,
                   model_vocab=model_vocab, vocab_from="the model's embedding table")

    @property
    def step(self) -> dict[str, Any]:
        step = {"op": "tokenizer", "file": self.file, "max_length": self.max_length, "truncation_side": "right",
                "pad_id": self.pad_id}
        return {**step, "offsets": True} if self.offsets else step

    def entries(self, label: str = "Text") -> list[dict[str, Any]]:
        """input_ids (the text box) and the parts the model takes."""
        ids = {"name": "input_ids", "label": label, "kind": "text", "multiline": True, "dtype": "int64",
               "shape": [None, None], "steps": [self.step]}
        return [ids] + [{"name": p, "kind": "text", "from": "input_ids", "part": p, "dtype": "int64",
                         "shape": [None, None], "steps": []} for p in self.model_inputs[1:]]

    def feeds(self, texts: Sequence[str], order: Sequence[str] | None = None) -> list[np.ndarray]:
        """The model's inputs for texts, as the page makes them (the same step), in `order`
        (the graph's), else input_ids, attention_mask, token_type_ids."""
        spec = {"name": "input_ids", "kind": "text", "dtype": "int64", "shape": [None, None], "steps": [self.step]}
        from ...steps import text

        parts = text.encode_batch(spec, texts)
        return [parts["ids" if name == "input_ids" else name] for name in (order or self.model_inputs)]


def _json_beside(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _pad_id(doc: dict[str, Any], config: dict[str, Any], tokenizer: Any) -> int:
    """The padding id: the tokenizer.json's own padding, else its pad token's, else 0."""
    padding = doc.get("padding") or {}
    if isinstance(padding.get("pad_id"), int):
        return int(padding["pad_id"])
    token = config.get("pad_token")
    token = token.get("content") if isinstance(token, dict) else token
    for name in (token, "[PAD]", "<pad>"):
        found = tokenizer.token_to_id(name) if isinstance(name, str) else None
        if found is not None:
            return int(found)
    return 0


def bring_tokenizers(draft: dict[str, Any]) -> dict[str, bytes]:
    """--meta's tokenizer steps that name a tokenizer.json on disk (not yet a bundle file):
    the file read, named by its content, and the step pointed at it; the model's
    attention_mask and token_type_ids inputs then come from that text input. Returns the
    files to write beside the model."""
    brought: dict[str, bytes] = {}
    inputs = draft["inputs"]
    for spec in inputs:
        for step in spec.get("steps") or []:
            if step.get("op") != "tokenizer" or not isinstance(step.get("file"), str):
                continue
            path = Path(step["file"]).expanduser()
            if path.name.startswith("tokenizer.") and not path.is_file():
                continue  # a bundle's own file name
            if not path.is_file():
                raise ExportError(f"--meta: {spec['name']}: the tokenizer step's file {step['file']!r} does not exist")
            body = path.read_bytes()
            name = hashed_name("tokenizer", sha256_bytes(body), ".json")
            try:
                tokenizer_json.register_json(name, body.decode("utf-8"))
            except Exception as exc:  # noqa: BLE001 - tokenizers raises its own types for a bad file
                raise ExportError(f"--meta: {spec['name']}: {path} is not a tokenizer.json ({exc})") from None
            step["file"] = name
            brought[name] = body
            for other in inputs:
                if other["name"] in PARTS and "from" not in other and other["kind"] in ("tensor", "text"):
                    other.update(kind="text", steps=[], **{"from": spec["name"], "part": other["name"]})
    return brought
