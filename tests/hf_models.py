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
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


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
