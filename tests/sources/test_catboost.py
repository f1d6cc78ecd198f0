"""CatBoost (sources/catboost.py, its ONNX export registered with skl2onnx in boosted.py): a
classifier and a regressor, alone, as a .cbm file from the command line and inside a
scikit-learn Pipeline; exact against predict_proba and predict on held-out rows the export
never saw, empty cells (NaN) included, in Python's onnxruntime and in onnxruntime-web under
Node. Categorical features, which CatBoost's ONNX export cannot carry, are refused."""
from __future__ import annotations

import json

import catboost  # the catboost extra (make install)
import numpy as np
import pytest

from clientside import ExportError
from clientside import export as export_any
from clientside.cli import main
from tests.sources.test_trees import diabetes, exact, outputs, wine

quiet = {"say": lambda _: None}


def classifier():
    return catboost.CatBoostClassifier(iterations=60, depth=4, random_seed=0, verbose=0, allow_writing_files=False)


@pytest.mark.parametrize("kind", ["CatBoostClassifier", "CatBoostRegressor", "Pipeline(SimpleImputer, CatBoost)"])
def test_catboost_exports_exactly_with_missing_values(tmp_path, kind):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    regress = kind == "CatBoostRegressor"
    (fit_x, fit_y), (held_x, _) = diabetes() if regress else wine()
    estimator = {"CatBoostClassifier": classifier,
                 "CatBoostRegressor": lambda: catboost.CatBoostRegressor(iterations=60, depth=4, random_seed=0,
                                                                         verbose=0, allow_writing_files=False),
                 "Pipeline(SimpleImputer, CatBoost)": lambda: make_pipeline(SimpleImputer(), classifier())}[kind]()
    estimator.fit(fit_x, fit_y)
    out = export_any(estimator, tmp_path / "b", sample=fit_x.iloc[:40], **quiet)
    doc = json.loads((out / "clientside.json").read_text())
    assert np.isnan(held_x.to_numpy()).any(axis=1).mean() > 0.5  # most held-out rows have an empty cell
    want = estimator.predict(held_x) if regress else estimator.predict_proba(held_x)
    python, web = outputs(out, held_x)
    exact(python, want)
    exact(web, want)
    if regress:
        assert doc["outputs"][0]["kind"] == "values"
    else:
        assert doc["outputs"][0]["kind"] == "classes" and doc["outputs"][0]["labels"] == ["0", "1", "2"]
    assert all(s.get("missing") is True for s in doc["inputs"][0]["steps"])  # trees and imputers take NaN


def test_a_cbm_file_from_the_command_line(tmp_path, runner):
    (fit_x, fit_y), (held_x, _) = wine()
    model = classifier().fit(fit_x, fit_y)
    model.save_model(str(tmp_path / "model.cbm"))
    fit_x.assign(target=fit_y).to_csv(tmp_path / "rows.csv", index=False)  # a target column beside: left out
    result = runner.invoke(main, ["export", str(tmp_path / "model.cbm"), str(tmp_path / "b"),
                                  "--sample", str(tmp_path / "rows.csv")])
    assert result.exit_code == 0, result.output
    assert "onnxruntime reproduced CatBoost on the sample" in result.output
    python, web = outputs(tmp_path / "b", held_x)
    exact(python, model.predict_proba(held_x))
    exact(web, model.predict_proba(held_x))


def test_categorical_features_are_refused_saying_what_to_do(tmp_path):
    import pandas as pd

    rows = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0] * 10, "colour": ["red", "blue", "red", "green"] * 10})
    model = catboost.CatBoostClassifier(iterations=5, verbose=0, allow_writing_files=False)
    model.fit(rows, [0, 1, 0, 1] * 10, cat_features=["colour"])
    with pytest.raises(ExportError, match=r"categorical or text features \(colour\).*OneHotEncoder"):
        export_any(model, tmp_path / "b", sample=rows, **quiet)
    assert not (tmp_path / "b").exists()
