"""Estimators saved to files (sources/saved.py), from the command line: a .skops file loads
without running code; a joblib pickle only with --trust-pickle; a file holding something else
is named. Each refusal exits non-zero with a message and writes nothing."""
from __future__ import annotations

import joblib
import numpy as np
import pytest

from clientside import load_bundle
from clientside.cli import main
from clientside.runtimes.onnx.run import run_onnxruntime
from tests.sources.test_trees import wine, xgboost


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folder = tmp_path_factory.mktemp("saved")
    (fit_x, fit_y), held = wine()
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000)).fit(fit_x, fit_y)
    joblib.dump(model, folder / "model.joblib")
    import skops.io

    skops.io.dump(model, folder / "model.skops")
    joblib.dump(xgboost.XGBClassifier(n_estimators=5).fit(fit_x, fit_y), folder / "xgb.joblib")
    joblib.dump({"weights": [1, 2, 3]}, folder / "dict.joblib")
    fit_x.assign(quality=fit_y).to_csv(folder / "rows.csv", index=False)  # with its target column
    return folder, model, held


def export(runner, folder, name, *extra):
    out = folder / f"out-{name}{''.join(extra)}"
    result = runner.invoke(main, ["export", str(folder / name), str(out), "--sample", str(folder / "rows.csv"),
                                  *extra])
    return result, out


@pytest.mark.parametrize("name, extra", [("model.skops", ()), ("model.joblib", ("--trust-pickle",))])
def test_a_saved_estimator_exports_from_the_command_line(runner, saved, name, extra):
    folder, model, (held_x, _) = saved
    result, out = export(runner, folder, name, *extra)
    assert result.exit_code == 0, result.output
    bundle = load_bundle(out)
    steps = bundle.inputs[0]["steps"]
    assert [s["feature"] for s in steps] == list(held_x.columns)  # the target column left out
    assert all(s.get("missing") for s in steps)  # the imputer takes NaN
    got = run_onnxruntime(out / bundle.files[0].path, [bundle.inputs[0]["name"]], [held_x.to_numpy(np.float32)])[0]
    np.testing.assert_allclose(got, model.predict_proba(held_x), atol=1e-5)


def test_a_pickled_xgboost_model_goes_to_its_own_source(runner, saved):
    folder, _, _ = saved
    result, _ = export(runner, folder, "xgb.joblib", "--trust-pickle")
    assert result.exit_code == 0, result.output
    assert "onnxruntime reproduced XGBoost on the sample" in result.output


@pytest.mark.parametrize("name, extra, words", [
    ("model.joblib", (), "is a pickle: loading it runs whatever code it holds"),
    ("dict.joblib", ("--trust-pickle",), "holds a builtins.dict, not a table model"),
])
def test_what_is_not_loaded_says_why(runner, saved, name, extra, words):
    folder, _, _ = saved
    result, out = export(runner, folder, name, *extra)
    assert result.exit_code != 0 and words in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_sample_without_the_models_columns_names_the_missing_one(runner, saved, tmp_path):
    folder, _, (held_x, _) = saved
    held_x.drop(columns=["proline"]).to_csv(tmp_path / "rows.csv", index=False)
    result = runner.invoke(main, ["export", str(folder / "model.skops"), str(tmp_path / "out"),
                                  "--sample", str(tmp_path / "rows.csv")])
    assert result.exit_code != 0 and "the sample has no column 'proline'" in result.output


def test_a_skops_file_names_the_types_it_would_build_beyond_the_trusted_ones(runner, saved, tmp_path):
    import skops.io
    from sklearn.ensemble import HistGradientBoostingClassifier

    folder, _, _ = saved
    (fit_x, fit_y), _ = wine()
    skops.io.dump(HistGradientBoostingClassifier(max_iter=3).fit(fit_x, fit_y), tmp_path / "hgb.skops")
    result = runner.invoke(main, ["export", str(tmp_path / "hgb.skops"), str(tmp_path / "out"),
                                  "--sample", str(folder / "rows.csv")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "holds types outside skops' trusted list: sklearn.ensemble._hist_gradient_boosting" in result.output
    assert "--trust-pickle" in result.output and not (tmp_path / "out").exists()
