"""Which exporter takes Hugging Face models to ONNX: HF's own (optimum-onnx) or
torch.onnx.export(dynamo=True), on the tiny models the tests build (tests/hf_models.py),
offline, from local folders. For each: does it export, how long it takes, how far its graph
is from transformers in PyTorch on text it never saw, its size and opset.

optimum-onnx 0.1.0 (the newest) requires transformers < 4.58, so it cannot share the project's
environment (transformers 5): it runs in a venv of its own (.cache/optimum-venv, made on first
use: optimum-onnx 0.1.0, torch 2.13.0, onnxruntime, sentence-transformers < 6), on the same
folders. Run: .venv/bin/python bench/hf_exporters.py [--markdown]
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VENV = REPO / ".cache" / "optimum-venv"
PINS = ["optimum-onnx==0.1.0", "torch==2.13.0", "onnxruntime", "sentence-transformers<6"]

OPTIMUM = """
import json, sys, time
from optimum.exporters.onnx import main_export
folder, out, task = sys.argv[1:4]
started = time.perf_counter()
try:
    main_export(folder, output=out, task=task, do_validation=False)
    print(json.dumps({"ok": True, "seconds": time.perf_counter() - started}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}))
"""


def optimum_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINS],
                       check=True)
    return python


def models(root: Path) -> list[tuple[str, Path, str]]:
    from tests import hf_models

    return [("BERT classifier", hf_models.sentiment(root / "sentiment"), "text-classification"),
            ("BERT NER", hf_models.ner(root / "ner", steps=5), "token-classification"),
            ("RoBERTa classifier", hf_models.roberta(root / "roberta"), "text-classification"),
            ("BERT encoder", hf_models.encoder(root / "encoder"), "feature-extraction"),
            ("ViT", hf_models.vit(root / "vit"), "image-classification"),
            ("ConvNeXt", hf_models.convnext(root / "convnext"), "image-classification")]


def feeds_for(folder: Path, task: str) -> dict[str, np.ndarray]:
    import transformers

    from clientside.sources.huggingface import CHECK_TEXTS, check_pictures

    if task == "image-classification":
        processor = transformers.AutoImageProcessor.from_pretrained(folder)
        return {"pixel_values": processor(check_pictures(), return_tensors="np")["pixel_values"]}
    from clientside.sources.huggingface.text import longest_text

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    longest = longest_text(tokenizer, transformers.AutoConfig.from_pretrained(folder))
    return dict(tokenizer(CHECK_TEXTS, padding=True, truncation=True, max_length=longest, return_tensors="np"))


def reference(folder: Path, task: str, feeds: dict[str, np.ndarray]) -> np.ndarray:
    import torch
    import transformers

    auto = {"text-classification": "AutoModelForSequenceClassification",
            "token-classification": "AutoModelForTokenClassification", "feature-extraction": "AutoModel",
            "image-classification": "AutoModelForImageClassification"}[task]
    model = getattr(transformers, auto).from_pretrained(folder).eval()
    with torch.no_grad():
        out = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
    return (out.last_hidden_state if task == "feature-extraction" else out.logits).numpy()


def run(path: Path, feeds: dict[str, np.ndarray]) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, {n: feeds[n].astype(np.int64 if n != "pixel_values" else np.float32)
                              for n in names if n in feeds})[0]


def dynamo(folder: Path, task: str, out: Path) -> dict:
    """clientside's path: the source's own graph (sources/huggingface), unpooled for the encoder."""
    from clientside.sources import huggingface

    started = time.perf_counter()
    try:
        if task == "feature-extraction":  # token vectors, as optimum's feature-extraction gives
            import transformers

            from clientside.sources.huggingface.export import Head, to_onnx
            from clientside.sources.huggingface.tasks import Task
            from clientside.sources.huggingface.text import TextInput

            model = transformers.AutoModel.from_pretrained(folder).eval()
            tok = transformers.AutoTokenizer.from_pretrained(folder)
            text = TextInput.of_transformers(tok, model.config, tok.model_input_names)
            task_row = Task("tokens", "AutoModel", (), lambda o, i, s: o.last_hidden_state, lambda c: {})
            proto = to_onnx(Head(model, task_row, text.model_inputs), text.model_inputs,
                            text.feeds(huggingface.TRACE_TEXTS), "last_hidden_state", "BertModel")
        else:
            loaded = huggingface.load(folder)
            proto = loaded.graphs["onnx"](print)
    except Exception as exc:  # noqa: BLE001 - the comparison reports any failure
        return {"ok": False, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
    seconds = time.perf_counter() - started
    out.write_bytes(proto.SerializeToString())
    return {"ok": True, "seconds": seconds}


def compare(markdown: bool) -> list[dict]:
    python = optimum_python()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hf-exporters-") as tmp:
        root = Path(tmp)
        for name, folder, task in models(root):
            feeds = feeds_for(folder, task)
            want = reference(folder, task, feeds)
            scale = max(float(np.abs(want).max()), 1e-6)
            for exporter in ("torch.onnx.export(dynamo=True)", "optimum-onnx 0.1.0"):
                out = root / f"{folder.name}-{'dynamo' if 'dynamo' in exporter else 'optimum'}"
                if "dynamo" in exporter:
                    path = out.with_suffix(".onnx")
                    result = dynamo(folder, task, path)
                else:
                    proc = subprocess.run([str(python), "-c", OPTIMUM, str(folder), str(out), task],
                                          capture_output=True, text=True, timeout=900)
                    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
                    result = json.loads(lines[-1]) if lines else {"ok": False, "error": proc.stderr[-200:]}
                    path = out / "model.onnx"
                row = {"model": name, "exporter": exporter, **result}
                if result["ok"]:
                    import onnx

                    got = run(path, feeds)
                    graph = onnx.load(str(path))
                    row.update(diff=float(np.abs(got - want).max()) / scale, mb=path.stat().st_size / 2**20,
                               opset=next(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")),
                               nodes=len(graph.graph.node))
                rows.append(row)
    if markdown:
        print("| model | exporter | exports | seconds | max diff / output scale | MB | opset | nodes |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            if r["ok"]:
                print(f"| {r['model']} | {r['exporter']} | yes | {r['seconds']:.1f} | {r['diff']:.1e} | {r['mb']:.2f} "
                      f"| {r['opset']} | {r['nodes']} |")
            else:
                print(f"| {r['model']} | {r['exporter']} | no: {r['error']} | | | | | |")
    else:
        print(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    compare("--markdown" in sys.argv)
