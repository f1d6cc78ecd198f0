"""A bundle's runtime module (server/static/runtimes/*.js) run in Chromium as worker.js runs it:
in a classic worker (TF.js's backends load by importScripts), on a backend the test names,
on feeds the test gives. For parity tests that hold the page's runtimes to the framework
without the page's input steps in between."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tests.e2e.conftest import ARTEFACTS

HARNESS = """
self.onmessage = async ({ data: { runtimeUrl, commonUrl, base, contract, backend, feeds } }) => {
  try {
    const [{ load }, { typedFrom }] = await Promise.all([import(runtimeUrl), import(commonUrl)]);
    const runtime = await load({ base, contract, backend, post: () => {} });
    const typed = {};
    for (const spec of contract.inputs) {
      const { values, shape } = feeds[spec.name];
      typed[spec.name] = { data: typedFrom(spec.dtype, values), shape };
    }
    const out = await runtime.predict(typed);
    const plain = Object.entries(out).map(([k, v]) => [k, { data: Array.from(v.data), shape: v.shape }]);
    self.postMessage({ backend: runtime.backend, detail: runtime.detail, outputs: Object.fromEntries(plain) });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack ? err.stack : err) });
  }
};
"""


#: A blank page on the app's origin: the harness needs the origin, not the app (whose own
#: boot would load and check the model first).
BLANK = "<!doctype html><meta charset=utf-8><title>harness</title>"


def predict_on(page, url: str, feeds: list[np.ndarray], backends: tuple[str, ...] = ("wasm",)
               ) -> dict[str, tuple[dict, dict[str, np.ndarray]]]:
    """{backend: (the answer's backend and detail, {output name: array})} for feeds in the
    contract's input order, from the runtime of the bundle served at url, a fresh worker per
    backend (TF.js keeps one backend per worker)."""
    page.route("**/harness.html", lambda route: route.fulfill(body=BLANK, content_type="text/html"))
    page.route("**/harness-worker.js", lambda route: route.fulfill(body=HARNESS, content_type="text/javascript"))
    page.goto(url + "harness.html")
    contract = page.evaluate("() => fetch('api/model').then((r) => r.json())")
    fed = {spec["name"]: {"values": np.asarray(f).ravel().tolist(), "shape": list(np.shape(f))}
           for spec, f in zip([s for s in contract["inputs"] if "value" not in s], feeds)}
    answers = {}
    for backend in backends:
        got = page.evaluate("""async ([contract, backend, feeds]) => {
            const index = await (await fetch('./')).text();
            const app = new URL(index.match(/<script type="module" src="([^"]+)"/)[1], location.href);
            return await new Promise((resolve) => {
                const worker = new Worker('harness-worker.js');
                worker.onmessage = ({ data }) => { worker.terminate(); resolve(data); };
                worker.onerror = (e) => resolve({ error: e.message || 'worker failed' });
                worker.postMessage({ runtimeUrl: new URL(`runtimes/${contract.runtime}.js`, app).href,
                                     commonUrl: new URL('steps/common.js', app).href, base: location.href,
                                     contract, backend, feeds });
            });
        }""", [contract, backend, fed])
        assert "error" not in got, f"on {backend}: {got['error']}"
        outputs = {name: np.asarray(v["data"], np.float64).reshape(v["shape"]) for name, v in got["outputs"].items()}
        answers[backend] = {"backend": got["backend"], "detail": got["detail"]}, outputs
    return answers


def predict_in_worker(page, url: str, feeds: list[np.ndarray], backend: str = "wasm"
                      ) -> tuple[dict, dict[str, np.ndarray]]:
    """predict_on for one backend."""
    return predict_on(page, url, feeds, (backend,))[backend]


def record_parity(model: str, runtime: str, backend: str, difference: float) -> None:
    """Keeps a measured difference (over the output scale) in test-artefacts/parity.jsonl,
    the figures a note reports per model, runtime and backend."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    line = {"model": model, "runtime": runtime, "backend": backend, "difference": difference,
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "")}
    with Path(ARTEFACTS, "parity.jsonl").open("a") as f:
        f.write(json.dumps(line) + "\n")
