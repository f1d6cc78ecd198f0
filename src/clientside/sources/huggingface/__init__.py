"""Hugging Face transformers models: a `save_pretrained` folder, a model object with its
tokenizer, or a `transformers.pipeline`. To ONNX through torch.onnx.export (dynamo), batch and
sequence length free; checked against transformers in PyTorch on text the export never saw.

    tasks.py   the task table (architecture -> task, output entry) and what is refused
    text.py    the tokenizer as the contract's text input (tokenizer.json, attention mask)
    export.py  the graph: torch.onnx.export of the model and its task's output
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ...errors import ExportError, InstallError
from ..base import Say, Source, SourceModel, as_path
from . import tasks as task_table
from .text import TextInput

#: Weight files save_pretrained writes (one, or shards with an index).
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")

#: Text the export never saw, of several lengths (the batch is padded), to compare on.
CHECK_TEXTS = [
    "The film was a delight from start to finish.",
    "No.",
    "Une phrase en français, avec des accents : déjà vu !",
    "A much longer sentence, with commas, numbers like 3.14 and 2026, and a name: Ada Lovelace wrote programs.",
    "東京は日本の首都です。",
]
#: What the export is traced on (other lengths than CHECK_TEXTS, so the sizes must stay free).
TRACE_TEXTS = ["hello world", "a second example that is a little longer"]


def transformers_module() -> Any:
    try:
        import transformers
    except ImportError:
        raise InstallError("Hugging Face models need transformers and torch: pip install 'clientside[hf]'") from None
    return transformers


def is_model_folder(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def accepts(obj: Any) -> bool:
    path = as_path(obj)
    if path is not None:
        return is_model_folder(path)
    transformers = sys.modules.get("transformers")
    if transformers is not None and isinstance(obj, (transformers.PreTrainedModel, transformers.Pipeline)):
        return True
    st = sys.modules.get("sentence_transformers")
    return st is not None and isinstance(obj, st.SentenceTransformer)


def load(obj: Any, *, tokenizer: Any = None, image_processor: Any = None, task: str | None = None,
         pooling: str | None = None, normalize: bool | None = None, say: Say = print) -> SourceModel:
    """obj: a save_pretrained folder, a PreTrainedModel (with tokenizer=..., or
    image_processor=... for an image model), a pipeline, or a sentence-transformers model or
    folder (modules.json: its own pooling and normalize).
    task: the pipeline task when the architecture does not say it (--task). pooling, normalize:
    how a plain encoder's feature-extraction makes one vector per text (default: mean, as is)."""
    transformers = transformers_module()
    path = as_path(obj)
    st = _sentence_transformer(obj)
    if st is not None:
        loaded = _from_sentence_transformer(st, transformers, tokenizer, pooling, normalize)
        if path is not None:
            loaded.about = {**loaded.about, "title": _title(path.name)}
        return loaded
    if path is not None:
        model, tokenizer, image_processor, task = _from_folder(transformers, path, tokenizer, image_processor, task)
    elif isinstance(obj, transformers.Pipeline):
        model, tokenizer, task = obj.model, tokenizer or obj.tokenizer, task or obj.task
        image_processor = image_processor or getattr(obj, "image_processor", None)
    else:
        model = obj
    chosen = task_table.of_config(model.config, task)
    if chosen.input_kind == "image":
        if tokenizer is not None:
            raise ExportError(f"A {chosen.name} model reads pictures, not text: give it no tokenizer.")
        return _image_model(model.eval(), chosen, image_processor, transformers)
    if (pooling is not None or normalize is not None) and chosen.name != "feature-extraction":
        raise ExportError(f"pooling and normalize are for feature-extraction models; this one is {chosen.name}.")
    if pooling is not None and pooling not in task_table.POOLINGS:
        raise ExportError(f"pooling={pooling!r}: expected one of {', '.join(task_table.POOLINGS)}")
    tokenizer = _tokenizer_for(transformers, tokenizer, chosen.name)
    model = model.eval()
    text_input = TextInput.of_transformers(tokenizer, model.config, _model_inputs(model, tokenizer))
    if chosen.name == "token-classification":
        text_input.with_offsets(chosen.name)
    from .export import Head

    settings = {"pooling": pooling or "mean", "normalize": bool(normalize)}
    head = Head(model, chosen, text_input.model_inputs, **settings)
    about = _about(model, chosen.name, chosen.entry(model.config))
    if chosen.name == "feature-extraction":
        about["description"] += (f" One vector per text: {settings['pooling']} pooling of the last hidden state"
                                 f"{', L2-normalized' if normalize else ''}.")
    return _source_model(head, text_input, chosen.entry(model.config), type(model).__name__, transformers, about)


def _source_model(head: Any, text_input: TextInput, output: dict[str, Any], arch: str, transformers: Any,
                  about: dict[str, str]) -> SourceModel:
    import torch

    from ...contract import IO
    from .export import to_onnx

    def graph(say: Say) -> Any:
        return to_onnx(head, text_input.model_inputs, text_input.feeds(TRACE_TEXTS), output["name"], arch)

    return SourceModel(
        source="huggingface", title="transformers (PyTorch)", graphs={"onnx": graph}, reference=head.reference,
        io=IO(text_input.entries(), [output]), examples=text_input.feeds(CHECK_TEXTS),
        examples_are=f"{len(CHECK_TEXTS)} sentences the export never saw", native=head.model,
        generated_by=f"transformers {transformers.__version__}, torch {torch.__version__} (torch.onnx.export, dynamo)",
        assets={text_input.file: text_input.bytes}, about=about,
        verify_on_examples=True, check_in_browser_runtime=True, tolerance=1e-4)


def _sentence_transformer(obj: Any) -> Any:
    """A SentenceTransformer: the object, or loaded from a folder with modules.json; else None."""
    path = as_path(obj)
    if path is None:
        st = sys.modules.get("sentence_transformers")
        return obj if st is not None and isinstance(obj, st.SentenceTransformer) else None
    if not (path / "modules.json").is_file():
        return None
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise InstallError(f"{path} is a sentence-transformers folder (modules.json): reading its pooling needs "
                           "sentence-transformers: pip install sentence-transformers") from None
    try:
        return SentenceTransformer(str(path), local_files_only=True, device="cpu")
    except (OSError, ValueError, KeyError) as exc:
        raise ExportError(f"sentence-transformers could not load {path}: {exc}") from None


def _from_sentence_transformer(st: Any, transformers: Any, tokenizer: Any, pooling: str | None,
                               normalize: bool | None) -> SourceModel:
    if pooling is not None or normalize is not None:
        raise ExportError("A sentence-transformers model brings its own pooling and normalize (its modules.json): "
                          "leave pooling and normalize unset.")
    first = st[0]
    auto = getattr(first, "auto_model", None) or getattr(first, "model", None)
    if auto is None or not hasattr(auto, "config"):
        raise ExportError(f"This sentence-transformers model starts with {type(first).__name__}, not a transformers "
                          "model: clientside takes text models whose first module is a Transformer.")
    refused = task_table.refusal(auto.config)
    if refused:
        raise ExportError(refused)
    tokenizer = _tokenizer_for(transformers, tokenizer or getattr(first, "tokenizer", None), "feature-extraction")
    st = st.eval()
    text_input = TextInput.of_transformers(tokenizer, auto.config, _model_inputs(auto, tokenizer),
                                           max_length=getattr(st, "max_seq_length", None))
    from .export import Head

    head = Head(st, None, text_input.model_inputs)
    modules = [type(m).__name__ for m in st]
    about = {"description": f"A sentence-transformers model ({' → '.join(modules)}) over a {type(auto).__name__}: "
                            "one vector per text, pooled as the model was trained."}
    output = task_table.TASKS["feature-extraction"].entry(auto.config)
    return _source_model(head, text_input, output, f"SentenceTransformer({', '.join(modules)})", transformers, about)


def _tokenizer_for(transformers: Any, tokenizer: Any, task: str) -> Any:
    if tokenizer is None:
        raise ExportError(f"A {task} model reads text through its tokenizer: pass it "
                          "(clientside.export(model, out, tokenizer=tokenizer)), or export the folder both were saved "
                          "to with save_pretrained.")
    return _tokenizer_from(transformers, Path(tokenizer)) if isinstance(tokenizer, (str, Path)) else tokenizer


#: Pictures the export never saw, to compare on: sizes and shapes the resize and crop must
#: handle (square, wide, tall, smaller than the model's size).
def check_pictures() -> list[Any]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    out = []
    for h, w in ((64, 64), (48, 96), (120, 50), (20, 30)):
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([x * 255 / max(w - 1, 1), y * 255 / max(h - 1, 1), (x + y) % 64 * 4], -1)
        noise = rng.normal(0, 30, (h, w, 3))
        out.append(Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB"))
    return out


def _image_model(model: Any, chosen: task_table.Task, processor: Any, transformers: Any) -> SourceModel:
    import numpy as np
    import torch

    from ...contract import IO
    from ...steps import image as image_steps
    from .export import ImageHead, image_to_onnx
    from .image import image_steps as steps_of
    from .image import picture_size

    if processor is None:
        raise ExportError(f"A {chosen.name} model reads pictures through its image processor: pass it "
                          "(clientside.export(model, out, image_processor=processor)), or export the folder both "
                          "were saved to (processor.save_pretrained(folder)).")
    steps = steps_of(processor)
    size = picture_size(steps)
    if size is None:
        raise ExportError(f"{type(processor).__name__}: its pictures have no fixed size after resizing; clientside "
                          "feeds this model a fixed height and width (add a center crop to the processor).")
    head = ImageHead(model, chosen)
    output = chosen.entry(model.config)
    pixels = np.stack([image_steps.run(p, steps).transpose(2, 0, 1) for p in check_pictures()]).astype(np.float32)
    entry = {"name": "pixel_values", "label": "Picture", "kind": "image", "layout": "nchw", "dtype": "float32",
             "shape": [None, 3, *size], "steps": steps, "widgets": ["upload", "paste", "camera"]}
    arch = type(model).__name__

    trace = np.random.default_rng(3).normal(0, 1, (2, *pixels.shape[1:])).astype(np.float32)  # not a check picture

    def graph(say: Say) -> Any:
        return image_to_onnx(head, trace, output["name"], arch)

    about = _about(model, chosen.name, output)
    return SourceModel(
        source="huggingface", title="transformers (PyTorch)", graphs={"onnx": graph}, reference=head.reference,
        io=IO([entry], [output]), examples=[pixels], examples_are=f"{len(pixels)} pictures the export never saw",
        native=model, about=about, verify_on_examples=True, check_in_browser_runtime=True, tolerance=1e-4,
        generated_by=f"transformers {transformers.__version__}, torch {torch.__version__} (torch.onnx.export, dynamo)")


def _from_folder(transformers: Any, path: Path, tokenizer: Any, image_processor: Any,
                 task: str | None) -> tuple[Any, Any, Any, str | None]:
    try:
        config = transformers.AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"{path / 'config.json'} is not a transformers model config ({first}). Save the model "
                          "with model.save_pretrained(folder).") from None
    chosen = task_table.of_config(config, task)
    if not any((path / w).is_file() for w in WEIGHTS):
        raise ExportError(f"{path} has a config.json but no weights ({' or '.join(WEIGHTS[::2])}): save the model "
                          "with model.save_pretrained(folder).")
    if chosen.input_kind == "image":
        if image_processor is None:
            if not (path / "preprocessor_config.json").is_file():
                raise ExportError(f"{path} has no preprocessor_config.json: save the image processor beside the model "
                                  "with processor.save_pretrained(folder).")
            image_processor = transformers.AutoImageProcessor.from_pretrained(path, local_files_only=True)
    elif tokenizer is None:
        if not (path / "tokenizer.json").is_file():
            raise ExportError(f"{path} has no tokenizer.json: save the (fast) tokenizer beside the model with "
                              "tokenizer.save_pretrained(folder), or give one with --tokenizer.")
        tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    try:
        model = getattr(transformers, chosen.auto).from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ExportError(f"transformers could not load {path}: {exc}") from None
    return model, tokenizer, image_processor, chosen.name


def _tokenizer_from(transformers: Any, path: Path) -> Any:
    """--tokenizer: a tokenizer.json, or a folder that tokenizer.save_pretrained wrote."""
    if path.is_dir():
        return transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    try:
        return transformers.PreTrainedTokenizerFast(tokenizer_file=str(path))
    except Exception as exc:  # noqa: BLE001 - tokenizers raises its own types for a bad file
        raise ExportError(f"--tokenizer {path}: not a tokenizer.json that HF tokenizers reads ({exc})") from None


def _model_inputs(model: Any, tokenizer: Any) -> list[str]:
    """What the tokenizer gives that the model's forward takes (token_type_ids only for models
    whose tokenizer makes them: BERT yes, RoBERTa and DistilBERT no)."""
    import inspect

    takes = set(inspect.signature(model.forward).parameters)
    return [n for n in getattr(tokenizer, "model_input_names", ["input_ids", "attention_mask"]) if n in takes]


def _about(model: Any, task: str, output: dict[str, Any]) -> dict[str, str]:
    config = model.config
    layers = getattr(config, "num_hidden_layers", None)
    labels = output.get("labels") or []
    parts = [f"A {type(model).__name__} (Hugging Face transformers, {task})"]
    folder = Path(str(getattr(model, "name_or_path", "") or "")).name
    if layers:
        parts.append(f"{layers} layers")
    if labels:
        parts.append(f"{len(labels)} labels: " + ", ".join(labels[:8]) + ("…" if len(labels) > 8 else ""))
    about = {"description": ", ".join(parts) + "."}
    if folder:  # a fine-tuned model's folder name says what it is (./sentiment-model)
        about["title"] = _title(folder)
    return about


def _title(folder: str) -> str:
    from ...contract import readable

    return readable(folder.replace("-", " "))


SOURCE = Source(name="huggingface", title="Hugging Face", accepts=accepts, load=load, folders=True,
                what="a Hugging Face model folder (save_pretrained: config.json, weights, tokenizer.json), "
                     "a transformers model (with tokenizer=...) or pipeline")
