# ruff: noqa: RUF001 - the corpus is made of look-alike characters on purpose
"""Tokenizers of the five families transformers models use, trained here with HF `tokenizers`
(no hub), each set up as its real models are; and a hard corpus to tokenize.

    wordpiece_uncased   BERT uncased: BertNormalizer (lowercase, accents stripped), BertPreTokenizer
    wordpiece_cased     BERT cased: the same, neither lowered nor stripped
    byte_level_bpe      GPT-2 / RoBERTa: ByteLevel pre-tokenizer and decoder, RobertaProcessing
    unigram_metaspace   XLM-R / T5: NFKC, Metaspace, a Unigram model, "$A </s>"
    bpe_byte_fallback   Llama: Prepend + Replace normalizer, BPE with byte_fallback over <0x00>..<0xFF>
"""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from functools import cache

from tests.helpers import DATA

CORPUS = json.loads((DATA / "text" / "corpus.json").read_text())

#: What the trainers learn from: the awkward corpus, and plain English so that merges exist.
TRAINING = CORPUS + [
    "The quick brown fox jumps over the lazy dog while the model reads every word.",
    "Tokenizers split text into pieces; a piece the vocabulary lacks becomes unknown or bytes.",
    "Café, naïve, façade, coöperate: accents that some tokenizers strip and others keep.",
    "日本語のテキストと中文文本和한국어 텍스트", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया",
] * 3

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 6


def hard_lines() -> list[str]:
    """At least 300 lines that break tokenizers: accents and combining marks (NFC and NFD), CJK,
    emoji with ZWJ, skin tones and flags, RTL scripts, whitespace runs and tabs, special-token
    strings typed as text, very long words, and lines longer than any model's maximum."""
    pieces = [
        "Café naïve façade", unicodedata.normalize("NFD", "Café naïve façade"), "e\u0301\u0302\u0323 a\u030a",
        "Ångström ÅNGSTRÖM", "İstanbul ıi ß ẞ ﬁ ﬂ", "Ǆ ǅ ǆ", "ﾃｽﾄ ＡＢＣ １２３", "日本語のテキスト",
        "中文文本，标点。",
        "한국어 텍스트", "𠀀𠀁 CJK ext B", "\U0002B820\U0002B920 ext E", "İSTANBUL ΟΔΟΣ ΣΊΣΥΦΟΣ", "tag\U000E0001char",
        "👩‍👩‍👧‍👦 family", "👍🏽 tone", "🇫🇷🇩🇪🇯🇵 flags", "🏳️‍🌈 flag ZWJ",
        "❤️ ❤ variation", "مرحبا بالعالم", "שלום עולם", "mixed English עברית العربية", "नमस्ते दुनिया", "ภาษาไทย",
        "a  b   c", "\ttab\there\t", "line\u00a0nbsp", "\u3000ideographic space", "zero\u200bwidth",
        "nel\u0085line \u2028sep", " \ufeffBOM after a space",
        "[CLS] [SEP] [PAD] [MASK] [UNK]", "<s> </s> <pad> <unk> <mask>", "<|endoftext|>", "<0x41><0xFF>",
        "▁already▁metaspace", "Ġalready Ġbyte", "##suffix ##ing", LONG_WORD, "x" * 700,
        "numbers 3.14159 1,000,000 -42 1e-9", "email@example.com https://example.org/a?b=c#d",
        "punctuation!!! ??? ... ,,, ;;; ---", "ALL CAPS SHOUTING", "MiXeD CaSe", "'quotes' \"double\" «guillemets»",
        "\u0000control\u0007chars\u001f", "\ufeffBOM", "surrogate-free 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐛𝐨𝐥𝐝", "",
    ]
    lines = list(pieces)
    lines += [f"{a} {b}" for a, b in zip(pieces, pieces[7:] + pieces[:7])]
    lines += [" ".join(pieces[i:i + 5]) for i in range(0, len(pieces), 2)]
    long_line = " ".join(CORPUS[:80])  # far beyond 128 tokens
    lines += [long_line, long_line + " " + LONG_WORD, "word " * 400]
    lines += [line for line in CORPUS if line.strip()][:200]
    return lines


def _save(tokenizer) -> str:
    return tokenizer.to_str()


def _wordpiece(lowercase: bool) -> str:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(TRAINING, trainers.WordPieceTrainer(vocab_size=1500, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    return _save(tok)


def _byte_level_bpe() -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TRAINING, trainers.BpeTrainer(
        vocab_size=1500, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")), trim_offsets=True,
                                                      add_prefix_space=False)
    return _save(tok)


def _unigram() -> str:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.train_from_iterator(TRAINING, trainers.UnigramTrainer(
        vocab_size=1200, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"))
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", tok.token_to_id("</s>"))])
    return _save(tok)


def _bpe_byte_fallback() -> str:
    """Llama's layout: <unk> <s> </s>, then the 256 byte tokens, then the learnt pieces; the
    byte tokens are model vocabulary, not added tokens (typed "<0x41>" is text)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.train_from_iterator(TRAINING, trainers.BpeTrainer(vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"]))
    doc = json.loads(tok.to_str())
    learnt = sorted(doc["model"]["vocab"].items(), key=lambda kv: kv[1])
    specials = [t for t, _ in learnt[:3]]
    vocab = {t: i for i, t in enumerate(specials + [f"<0x{b:02X}>" for b in range(256)])}
    for t, _ in learnt[3:]:
        vocab.setdefault(t, len(vocab))
    doc["model"]["vocab"] = vocab
    for added in doc["added_tokens"]:
        added["id"] = vocab[added["content"]]
    bos = vocab["<s>"]
    doc["post_processor"] = json.loads(processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]).__getstate__())
    return json.dumps(doc, ensure_ascii=False)


FAMILIES: dict[str, Callable[[], str]] = {
    "wordpiece_uncased": lambda: _wordpiece(True),
    "wordpiece_cased": lambda: _wordpiece(False),
    "byte_level_bpe": _byte_level_bpe,
    "unigram_metaspace": _unigram,
    "bpe_byte_fallback": _bpe_byte_fallback,
}


@cache
def tokenizer_json(family: str) -> str:
    """The family's tokenizer.json text (trained once per test run)."""
    return FAMILIES[family]()
