"""The bundle's self-check in the page (contract/check.py, check.js, worker.js): the page
regenerates the check's input exactly as Python does, agrees with Keras on its backend and
says so; a returning visit takes the verdict from the cache; and where a backend disagrees,
the page falls back to the next one, says so with the difference, or refuses when none agrees."""
from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from clientside import create_app, export
from clientside.contract import check
from clientside.runtimes.tfjs import node as tfjs_node
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """A model whose sums are long enough for TF.js's wasm and pure-JS kernels to round apart,
    and free of exp and tanh (so Node's V8 and Chromium's compute the pure-JS kernels alike)."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((600,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(5)])
    return model, export(model, tmp_path_factory.mktemp("dense") / "dense", say=lambda _: None)


def _input(contract):
    [entry] = contract["check"]["inputs"].values()
    values = entry.get("values") or check.seeded(int(np.prod(entry["shape"])), entry["seed"], entry["low"],
                                                 entry["high"])
    return np.asarray(values, np.float32).reshape(entry["shape"])


def test_the_page_makes_the_same_input_and_agrees_with_keras(page, dense):
    model, bundle = dense
    contract = json.loads((bundle / "clientside.json").read_text())
    [entry] = contract["check"]["inputs"].values()
    assert "seed" in entry  # 600 values: kept as a seed
    x = _input(contract)
    assert check.difference(contract["check"], [model.predict(x, verbose=0)]) < 1e-6  # the check is Keras's
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        made = page.evaluate("""async (contract) => {
            const boot = document.querySelector('script[src$="boot.js"]').src;
            const { checkFeeds } = await import(new URL('check.js', boot));
            return Array.from(Object.values(checkFeeds(contract))[0].data);
        }""", contract)
        assert np.array_equal(np.asarray(made, np.float32), x.ravel())  # bit for bit, from the seed
        details = page.evaluate("window.clientside.state.loadDetails")
        said = dict(details)["self-check"]
        assert said.startswith("agrees on wasm with keras 3") and " ms" in said, said
        page.reload()
        page.wait_for_selector("body[data-state=ready]")
        assert "checked on an earlier visit" in dict(page.evaluate("window.clientside.state.loadDetails"))["self-check"]
    assert page.errors == []


def test_a_backend_that_disagrees_is_left_for_the_next(page, dense, tmp_path):
    """Built: a check whose outputs are TF.js's pure-JS kernels' own, at tolerance 0. The wasm
    kernels round apart from them (measured under Node first), so wasm fails it; webgl is off
    in this headless browser; cpu agrees, and the page runs there and says why."""
    _, bundle = dense
    contract = json.loads((bundle / "clientside.json").read_text())
    x = _input(contract)
    cpu = tfjs_node.predict(bundle, [x], backend="cpu")[0]
    wasm = tfjs_node.predict(bundle, [x], backend="wasm")[0]
    assert not np.array_equal(cpu, wasm)  # the two sets of kernels round apart here
    forced = tmp_path / "forced"
    shutil.copytree(bundle, forced)
    name = contract["outputs"][0]["name"]
    contract["check"].update(tolerance=0, outputs={name: {"shape": list(cpu.shape), "every": 1,
                                                          "values": [float(v) for v in cpu.ravel()]}})
    (forced / "clientside.json").write_text(json.dumps(contract))
    with LiveServer(create_app(forced)) as server:
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.backend") == "cpu"
        notice = page.inner_text("#notice")
        assert "self-check failed on wasm (largest difference" in notice and "it runs on cpu instead" in notice
        assert dict(page.evaluate("window.clientside.state.loadDetails"))["self-check"].startswith("agrees on cpu")
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken)
    output = contract["check"]["outputs"][name]
    output["values"] = [v + 1.0 for v in output["values"]]
    (broken / "clientside.json").write_text(json.dumps(contract))
    with LiveServer(create_app(broken)) as server:
        open_page(page, server.url, expect="error")
        error = page.inner_text("#error")
        assert "does not compute what the model computes" in error and "wasm" in error and "cpu" in error
