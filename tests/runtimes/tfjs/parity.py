"""Parity harness: export Keras models, run them in real TF.js under Node, compare."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from clientside import ExportError
from clientside.runtimes.tfjs import node as tfjs_node
from tests.helpers import export_tfjs as export


@dataclass
class Case:
    id: str
    build: Callable[[], keras.Model]
    #: tolerance on max |TF.js - Keras|, relative to the output scale max(1, max |Keras|)
    rtol: float = 1e-5


def randomize(model: keras.Model, seed: int = 0) -> keras.Model:
    """Random weights everywhere (not the initializers' zeros and ones), with positive
    variances for normalization statistics, so a wrongly mapped weight shows."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            value = rng.uniform(0.5, 1.5, shape)
        elif "embeddings" in w.path:
            value = rng.normal(0, 1, shape)
        else:
            value = rng.normal(0, 0.5, shape)
        w.assign(value.astype(str(w.dtype)))
    return model


def sample_inputs(model: keras.Model, batch: int = 6, seed: int = 1) -> list[np.ndarray]:
    """What --verify feeds: padded id sequences (pre and post, empty to full) for embeddings,
    noise elsewhere."""
    from tests.helpers import keras_sample

    return keras_sample(model, batch=batch, seed=seed)


def keras_outputs(model: keras.Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def run_cases(cases: list[Case], folder: Path, backend: str = "cpu") -> dict[str, tuple]:
    """Export every case, run them all in one Node process: id -> (keras, tfjs or error).
    backend: TF.js's pure-JS `cpu` (the reference kernels) or `wasm` (the page's, and 20x faster)."""
    jobs, expected, ids, failed = [], [], [], {}
    for case in cases:
        model = case.build()
        inputs = sample_inputs(model)
        out_dir = folder / case.id
        try:
            export(model, out_dir)
        except ExportError as exc:
            failed[case.id] = (None, exc)
            continue
        jobs.append((out_dir, inputs))
        expected.append(keras_outputs(model, inputs))
        ids.append(case.id)
    got = tfjs_node.predict_many(jobs, backend=backend)
    return {**failed, **{i: (e, g) for i, e, g in zip(ids, expected, got)}}


def max_relative_diff(expected: list[np.ndarray], got: list[np.ndarray]) -> float:
    assert len(expected) == len(got)
    worst = 0.0
    for e, g in zip(expected, got):
        assert e.shape == g.shape, (e.shape, g.shape)
        scale = max(1.0, float(np.abs(e).max()))
        worst = max(worst, float(np.abs(e - g).max()) / scale)
    return worst


def checked_diff(results: dict[str, tuple], case: Case) -> float:
    """The case's max relative difference, failing the test if it did not run or is too big."""
    import pytest

    expected, got = results[case.id]
    if isinstance(got, Exception):
        pytest.fail(f"{case.id}: TF.js could not run the exported model: {got}")
    diff = max_relative_diff(expected, got)
    assert diff <= case.rtol, f"{case.id}: {diff:.2e} > {case.rtol:g}"
    return diff
