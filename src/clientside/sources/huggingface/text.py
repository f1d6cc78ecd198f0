"""A transformers tokenizer as the contract's text input: its tokenizer.json (a bundle file,
named by its content), the step that runs it on both sides, and the inputs the model also
takes from it (attention_mask, token_type_ids)."""
from __future__ import annotations

from collections.abc import Sequence
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

    def __init__(self, tokenizer: Any, config: Any, model_inputs: Sequence[str], max_length: int | None = None):
        self.text = tokenizer_text(tokenizer)
        self.bytes = self.text.encode("utf-8")
        self.file = hashed_name("tokenizer", sha256_bytes(self.bytes), ".json")
        self.python = tokenizer_json.register_json(self.file, self.text)
        vocab, model_vocab = self.python.get_vocab_size(with_added_tokens=True), getattr(config, "vocab_size", None)
        if isinstance(model_vocab, int) and vocab > model_vocab:
            raise ExportError(f"The tokenizer has {vocab} tokens and the model's embedding {model_vocab} "
                              f"(config.json vocab_size): they are not a pair. Save the tokenizer the model was "
                              "trained with beside it (tokenizer.save_pretrained(folder)).")
        self.max_length = max_length or longest_text(tokenizer, config)
        pad = getattr(tokenizer, "pad_token_id", None)
        self.pad_id = int(pad) if isinstance(pad, int) else 0
        self.model_inputs = ["input_ids", *[p for p in PARTS if p in model_inputs]]

    @property
    def step(self) -> dict[str, Any]:
        return {"op": "tokenizer", "file": self.file, "max_length": self.max_length, "truncation_side": "right",
                "pad_id": self.pad_id}

    def entries(self, label: str = "Text") -> list[dict[str, Any]]:
        """input_ids (the text box) and the parts the model takes."""
        ids = {"name": "input_ids", "label": label, "kind": "text", "multiline": True, "dtype": "int64",
               "shape": [None, None], "steps": [self.step]}
        return [ids] + [{"name": p, "kind": "text", "from": "input_ids", "part": p, "dtype": "int64",
                         "shape": [None, None], "steps": []} for p in self.model_inputs[1:]]

    def feeds(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The model's inputs for texts, as the page makes them (the same step)."""
        spec = {"name": "input_ids", "kind": "text", "dtype": "int64", "shape": [None, None], "steps": [self.step]}
        from ...steps import text

        parts = text.encode_batch(spec, texts)
        return [parts["ids" if name == "input_ids" else name] for name in self.model_inputs]
