"""The self-check a bundle carries (contract/check.py): small, made from what the source
knows, equal to the framework on its own input, and absent where nothing says what the
bundle must compute. The page's half is tests/e2e/test_self_check.py."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from clientside import export
from clientside.contract import check


def test_mulberry32_gives_known_numbers():
    """The first draws of mulberry32(1), as the JavaScript reference implementation gives them
    (Tommy Ettinger's; the same numbers check.js makes, tests/e2e/test_self_check.py)."""
    got = check.seeded(3, 1, 0.0, 1.0)
    assert got.tolist() == [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]
    ints = check.seeded(1000, 7, 3, 9, integer=True)
    assert set(ints.tolist()) == {3, 4, 5, 6, 7, 8}


def _contract(folder):
    return json.loads((folder / "clientside.json").read_text())


def test_a_keras_bundle_checks_what_keras_computes(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12,)), keras.layers.Embedding(30, 4), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1000)])
    out = export(model, tmp_path / "b", say=lambda _: None)
    found = _contract(out)["check"]
    [entry] = found["inputs"].values()
    assert entry["values"] == [int(v) for v in entry["values"]]  # small: the export's own sample, as written
    ids = np.asarray(entry["values"], np.int32).reshape(1, 12)
    assert ids.min() >= 0 and ids.max() < 30 and len(set(ids.ravel().tolist())) > 2  # the Embedding's vocabulary
    [want] = found["outputs"].values()
    assert want["every"] == 4 and len(want["values"]) == 250  # 1000 values, kept small
    assert check.difference(found, [model.predict(ids, verbose=0)]) < 1e-6
    assert check.difference(found, [model.predict(ids, verbose=0) + 0.01]) > 1e-3  # it can fail
    assert len((out / "clientside.json").read_bytes()) < 20_000


def test_a_table_checks_its_first_sample_row(tmp_path):
    pytest.importorskip("skl2onnx")
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_wine(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    out = export(model, tmp_path / "t", sample=x.iloc[:30], say=lambda _: None)
    found = _contract(out)["check"]
    [entry] = found["inputs"].values()
    assert entry["values"][0] == 14.23  # float32's shortest digits, not 14.229999542236328
    as_sent = x.iloc[0].to_numpy(np.float32)  # as the page sends it
    assert np.array_equal(np.asarray(entry["values"], np.float32), as_sent)
    assert check.difference(found, [model.predict_proba(x.iloc[:1])]) < 1e-6


def test_no_check_where_nothing_says_what_to_compute(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    out = export(model, tmp_path / "q", quantize="uint8", say=lambda _: None)
    assert "check" not in _contract(out)  # a quantized bundle answers for its weights, not Keras's


def test_a_table_with_empty_cells_checks_its_first_whole_row_in_double(tmp_path):
    """A LightGBM pipeline (a float64 input) fitted on rows with empty cells: the check takes
    the first row with none, every digit of its doubles kept."""
    lightgbm = pytest.importorskip("lightgbm")
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    from tests.sources.test_trees import diabetes

    (fit_x, fit_y), _ = diabetes()
    model = make_pipeline(SimpleImputer(), lightgbm.LGBMClassifier(n_estimators=30, verbose=-1)).fit(fit_x, fit_y > 140)
    out = export(model, tmp_path / "t", sample=fit_x, say=lambda _: None)
    found = _contract(out)["check"]
    [entry] = found["inputs"].values()
    row = next(i for i in range(len(fit_x)) if not fit_x.iloc[i].isna().any())
    assert fit_x.iloc[:row].isna().any(axis=None)  # the rows before it have an empty cell
    assert entry["values"] == fit_x.iloc[row].tolist()  # the doubles as they are
    assert check.difference(found, [model.predict_proba(fit_x.iloc[row:row + 1])]) < 1e-6


def test_a_wide_table_checks_its_own_row_not_a_seed(tmp_path):
    """A table of more than STORED_VALUES columns: its reference answers on the sample's rows
    alone, so the check keeps the first row as it is (a seeded input would have no answer)."""
    pytest.importorskip("skl2onnx")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, check.STORED_VALUES + 44))
    y = (x[:, :3].sum(axis=1) > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    out = export(model, tmp_path / "w", sample=x[:20], say=lambda _: None)
    found = _contract(out)["check"]
    [entry] = found["inputs"].values()
    assert "seed" not in entry and len(entry["values"]) == x.shape[1]
    assert np.array_equal(np.asarray(entry["values"], np.float32), x[0].astype(np.float32))
    assert check.difference(found, [model.predict_proba(x[:1].astype(np.float32))]) < 1e-5
