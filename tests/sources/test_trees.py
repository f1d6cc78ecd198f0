"""Gradient-boosted trees (sources/xgboost.py, sources/lightgbm.py, sources/boosted.py): each
alone, as a Booster or its model file, and inside a scikit-learn Pipeline; exact against
predict_proba and predict on held-out rows the export never saw, rows with empty cells (NaN)
included, in Python's onnxruntime and in onnxruntime-web under Node."""
from __future__ import annotations

import json

import numpy as np
import pytest

from clientside import ExportError, load_bundle
from clientside import export as export_any
from clientside.cli import main
from clientside.runtimes.onnx.node import predict
from clientside.runtimes.onnx.run import run_onnxruntime
from clientside.steps.common import DTYPES

xgboost = pytest.importorskip("xgboost", reason="the test extra (make install) installs xgboost-cpu")
lightgbm = pytest.importorskip("lightgbm", reason="the test extra (make install) installs lightgbm")

#: Issue 20: exact within 1e-5 of the output scale.
EXACT = 1e-5


def wine(missing: float = 0.15, seed: int = 0):
    """scikit-learn's wine data (13 features, 3 classes), with a share of cells emptied:
    the fitting half and the held-out half, each as (rows, target)."""
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True, as_frame=True)
    x = x.copy()
    x[np.random.default_rng(seed).random(x.shape) < missing] = np.nan
    return (x.iloc[::2], y.iloc[::2]), (x.iloc[1::2], y.iloc[1::2])


def diabetes():
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True, as_frame=True)
    x = x.copy()
    x[np.random.default_rng(1).random(x.shape) < 0.1] = np.nan
    return (x.iloc[::2], y.iloc[::2]), (x.iloc[1::2], y.iloc[1::2])


def outputs(bundle, rows):
    """The bundle's outputs for rows (a DataFrame): Python's onnxruntime and onnxruntime-web,
    fed as the page feeds them (float32, or float64 for LightGBM)."""
    b = load_bundle(bundle)
    spec = b.inputs[0]
    x = rows.to_numpy(DTYPES[spec["dtype"]])
    graph = bundle / b.files[0].path
    return (run_onnxruntime(graph, [spec["name"]], [x])[0],
            predict(graph, [spec["name"]], [x], [spec["dtype"]])[0])


def exact(got, want):
    want = np.asarray(want, np.float64).reshape(got.shape)
    scale = max(float(np.abs(want).max()), 1e-6)
    assert float(np.abs(got - want).max()) <= EXACT * scale, (float(np.abs(got - want).max()), scale)


def make(kind: str):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    return {
        "XGBClassifier": lambda: xgboost.XGBClassifier(n_estimators=40, max_depth=4, random_state=0),
        "XGBRegressor": lambda: xgboost.XGBRegressor(n_estimators=40, max_depth=4, random_state=0),
        "LGBMClassifier": lambda: lightgbm.LGBMClassifier(n_estimators=40, random_state=0, verbose=-1),
        "LGBMRegressor": lambda: lightgbm.LGBMRegressor(n_estimators=40, random_state=0, verbose=-1),
        "Pipeline(SimpleImputer, XGBClassifier)": lambda: make_pipeline(
            SimpleImputer(), xgboost.XGBClassifier(n_estimators=20, random_state=0)),
        "Pipeline(SimpleImputer, LGBMClassifier)": lambda: make_pipeline(
            SimpleImputer(), lightgbm.LGBMClassifier(n_estimators=20, random_state=0, verbose=-1)),
    }[kind]()


@pytest.mark.parametrize("kind", ["XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor",
                                  "Pipeline(SimpleImputer, XGBClassifier)", "Pipeline(SimpleImputer, LGBMClassifier)"])
def test_trees_export_exactly_with_missing_values(tmp_path, kind):
    (fit_x, fit_y), (held_x, _) = diabetes() if "Regressor" in kind else wine()
    estimator = make(kind).fit(fit_x, fit_y)
    out = export_any(estimator, tmp_path / "b", sample=fit_x.iloc[:40], say=lambda _: None)
    doc = json.loads((out / "clientside.json").read_text())
    steps = doc["inputs"][0]["steps"]
    assert [s["feature"] for s in steps] == list(fit_x.columns)
    assert all(s["missing"] is True for s in steps)  # trees and imputers take NaN in every column
    assert np.isnan(held_x.to_numpy()).any(axis=1).mean() > 0.5  # most held-out rows have an empty cell
    python, web = outputs(out, held_x)
    want = estimator.predict_proba(held_x) if "Classifier" in kind else estimator.predict(held_x)
    exact(python, want)
    exact(web, want)
    if "Classifier" in kind:
        assert doc["outputs"][0]["kind"] == "classes" and doc["outputs"][0]["labels"] == ["0", "1", "2"]
    else:
        assert doc["outputs"][0]["kind"] == "values"


def test_an_xgboost_booster_and_its_model_files(tmp_path, runner):
    (fit_x, fit_y), (held_x, _) = wine()
    booster = xgboost.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3},
                            xgboost.DMatrix(fit_x, fit_y), 25)
    want = booster.predict(xgboost.DMatrix(held_x))
    out = export_any(booster, tmp_path / "object", sample=fit_x, say=lambda _: None)
    exact(outputs(out, held_x)[0], want)
    fit_x.assign(target=fit_y).to_csv(tmp_path / "rows.csv", index=False)  # a target column beside: left out
    for suffix in ("json", "ubj"):
        booster.save_model(tmp_path / f"model.{suffix}")
        result = runner.invoke(main, ["export", str(tmp_path / f"model.{suffix}"), str(tmp_path / suffix),
                                      "--sample", str(tmp_path / "rows.csv")])
        assert result.exit_code == 0, result.output
        assert "onnxruntime reproduced XGBoost on the sample" in result.output
        python, web = outputs(tmp_path / suffix, held_x)
        exact(python, want)
        exact(web, want)


def test_a_lightgbm_booster_and_its_model_file(tmp_path, runner):
    (fit_x, fit_y), (held_x, _) = wine()
    booster = lightgbm.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                             lightgbm.Dataset(fit_x, fit_y), 30)
    want = booster.predict(held_x)
    booster.save_model(tmp_path / "model.txt")
    fit_x.to_csv(tmp_path / "rows.csv", index=False)
    result = runner.invoke(main, ["export", str(tmp_path / "model.txt"), str(tmp_path / "b"),
                                  "--sample", str(tmp_path / "rows.csv")])
    assert result.exit_code == 0, result.output
    python, web = outputs(tmp_path / "b", held_x)
    exact(python, want)
    exact(web, want)
    binary = lightgbm.train({"objective": "binary", "verbose": -1}, lightgbm.Dataset(fit_x, fit_y == 1), 20)
    out = export_any(binary, tmp_path / "binary", sample=fit_x, say=lambda _: None)
    p = binary.predict(held_x)
    exact(outputs(out, held_x)[0], np.stack([1 - p, p], axis=1))


def test_a_truncated_lightgbm_file_is_refused_and_nothing_is_written(tmp_path, runner):
    (fit_x, fit_y), _ = wine()
    booster = lightgbm.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                             lightgbm.Dataset(fit_x, fit_y), 10)
    booster.save_model(tmp_path / "model.txt")
    text = (tmp_path / "model.txt").read_text()
    (tmp_path / "cut.txt").write_text(text[: len(text) // 3])
    fit_x.to_csv(tmp_path / "rows.csv", index=False)
    result = runner.invoke(main, ["export", str(tmp_path / "cut.txt"), str(tmp_path / "out"),
                                  "--sample", str(tmp_path / "rows.csv")])
    assert result.exit_code != 0 and "cut short" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_tree_model_without_a_sample_says_how_to_give_one(tmp_path):
    (fit_x, fit_y), _ = wine()
    with pytest.raises(ExportError, match=r"--sample rows\.csv"):
        export_any(xgboost.XGBClassifier(n_estimators=3).fit(fit_x, fit_y), tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_lightgbm_compares_in_double_as_lightgbm_does(tmp_path):
    """On dense real-valued data (scikit-learn's scaled diabetes set), a held-out value falls
    within float32's rounding of a split threshold: a float32 graph (onnxmltools' own output)
    takes the other branch there. clientside's graph takes double and keeps LightGBM's
    thresholds in double, so every row is exact: a Booster, an LGBMRegressor behind a
    StandardScaler (which runs in double too), and a classifier behind an imputer."""
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType
    from sklearn.datasets import load_diabetes
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_diabetes(return_X_y=True, as_frame=True)
    fit_x, fit_y, held_x = x.iloc[:300], y.iloc[:300], x.iloc[300:]
    booster = lightgbm.train({"objective": "regression", "verbose": -1}, lightgbm.Dataset(fit_x, fit_y), 200)
    want = booster.predict(held_x)
    in_float = convert_lightgbm(booster, initial_types=[("x", FloatTensorType([None, 10]))], target_opset=15)
    float_graph = run_onnxruntime(in_float.SerializeToString(), ["x"], [held_x.to_numpy(np.float32)])[0].ravel()
    flipped = np.abs(float_graph - want) > EXACT * np.abs(want).max()
    print(f"\nfloat32 graph: {flipped.sum()} of {len(want)} held-out rows take another branch, "
          f"up to {np.abs(float_graph - want).max():.3g}")
    assert flipped.any()  # the data shows the problem
    out = export_any(booster, tmp_path / "booster", sample=fit_x, say=lambda _: None)
    assert load_bundle(out).inputs[0]["dtype"] == "float64"
    python, web = outputs(out, held_x)
    exact(python, want)
    exact(web, want)
    scaled = make_pipeline(StandardScaler(), lightgbm.LGBMRegressor(n_estimators=200, verbose=-1)).fit(fit_x, fit_y)
    out = export_any(scaled, tmp_path / "scaled", sample=fit_x, say=lambda _: None)
    python, web = outputs(out, held_x)
    exact(python, scaled.predict(held_x))
    exact(web, scaled.predict(held_x))
    (fit_x, fit_y), (held_x, _) = diabetes()  # a tenth of the cells empty
    imputed = make_pipeline(SimpleImputer(), lightgbm.LGBMClassifier(n_estimators=100, verbose=-1))
    imputed.fit(fit_x, fit_y > 140)
    out = export_any(imputed, tmp_path / "imputed", sample=fit_x, say=lambda _: None)
    python, web = outputs(out, held_x)
    exact(python, imputed.predict_proba(held_x))
    exact(web, imputed.predict_proba(held_x))
