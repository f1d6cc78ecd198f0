"""A Hugging Face `tokenizer.json`, run by HF `tokenizers` (the library transformers' fast
tokenizers are): text -> ids, attention mask, token type ids and character offsets.

The page runs the same file through npm `@huggingface/tokenizers` (static/steps/text.js);
tests/steps/test_tokenizer_parity.py holds the two to the same ids on a hard corpus. Two
settings a tokenizer.json may carry are decided here, on purpose, and the page does the same:
its own `padding` is off (a batch is padded to its longest line, by the step's `pad_id`), and
its `truncation` is replaced by the step's `max_length` and side.

A bundle names the file by its content (tokenizer.<sha256>.json), so one loaded tokenizer
serves every bundle and request that names it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InstallError

SIDES = ("right", "left")

_LOADED: dict[str, Any] = {}   # file name -> tokenizers.Tokenizer (no padding, no truncation)
_PATHS: dict[str, Path] = {}   # file name -> where it is on disk, until first used
_LOCK = threading.Lock()


@dataclass
class Encoded:
    """One text's encoding. total: how many tokens it had before truncation (specials included)."""

    ids: list[int]
    attention_mask: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int]] = field(default_factory=list)
    total: int = 0
    special: list[int] = field(default_factory=list)  # 1 for what the post-processor added ([CLS], [SEP])
    tokens: list[str] = field(default_factory=list)


def library() -> Any:
    try:
        import tokenizers
    except ImportError:
        raise InstallError("This model's text is tokenized by Hugging Face tokenizers, which is not installed: "
                           "pip install 'clientside[hf]' (or pip install tokenizers).") from None
    return tokenizers


def register(name: str, path: str | Path) -> None:
    """The bundle file `name` is at `path` (read when first used)."""
    with _LOCK:
        if name not in _LOADED:
            _PATHS[name] = Path(path)


def register_json(name: str, text: str) -> Any:
    """The tokenizer `name` from its JSON text (an export, a test)."""
    tokenizer = library().Tokenizer.from_str(text)
    tokenizer.no_padding()
    tokenizer.no_truncation()
    with _LOCK:
        _LOADED[name] = tokenizer
    return tokenizer


def get(name: str) -> Any:
    with _LOCK:
        tokenizer = _LOADED.get(name)
        path = _PATHS.get(name)
    if tokenizer is not None:
        return tokenizer
    if path is None:
        raise ValueError(f"the tokenizer file {name!r} is not loaded (it is read with its bundle)")
    return register_json(name, path.read_text(encoding="utf-8"))


def added_tokens(tokenizer: Any) -> int:
    """How many special tokens the post-processor adds to one text ([CLS] ... [SEP]: 2)."""
    return int(tokenizer.num_special_tokens_to_add(False))


def encode(text: str, name: str, max_length: int | None = None, side: str = "right") -> Encoded:
    """`text` as the model reads it. Truncation, as HF tokenizers does it: the text's own
    tokens are cut to max_length less the special tokens, then the specials are added."""
    tokenizer = get(name)
    whole = tokenizer.encode(text)
    total = len(whole.ids)
    kept = whole
    if max_length is not None and total > max_length:
        content = tokenizer.encode(text, add_special_tokens=False)
        keep = max(0, max_length - added_tokens(tokenizer))
        content.truncate(keep, direction=side)
        kept = tokenizer.post_process(content)
    return Encoded(list(kept.ids), list(kept.attention_mask), list(kept.type_ids),
                   [tuple(o) for o in kept.offsets], total, list(kept.special_tokens_mask), list(kept.tokens))
