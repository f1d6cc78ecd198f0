"""Which features take a missing value (sources/missing.py): found by trying each column as
NaN against the estimator and onnxruntime; where the graph cannot take one, the contract says
so and an empty cell is refused naming the row and column, on the server as in the page."""
from __future__ import annotations

import numpy as np
import pytest

from clientside import ExportError, create_app, load_bundle
from clientside import export as export_any
from tests.sources.test_trees import wine


def fitted(make, keep_empty=None):
    """make() fitted on the wine rows, their empty cells filled but in keep_empty (all: None)."""
    (fit_x, fit_y), held = wine()
    if keep_empty is not None:
        fit_x = fit_x.copy()
        filled = [c for c in fit_x.columns if c not in keep_empty]
        fit_x[filled] = fit_x[filled].fillna(fit_x[filled].mean())
    return make().fit(fit_x, fit_y), fit_x, held


def plain():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def imputed():
    from sklearn.impute import SimpleImputer

    pipeline = plain()
    pipeline.steps.insert(0, ("simpleimputer", SimpleImputer(strategy="median")))
    return pipeline


def partly_imputed():
    """An imputer on two columns only; the other columns reach the model as they are."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    filled = make_pipeline(SimpleImputer(), StandardScaler())
    return make_pipeline(ColumnTransformer([("fill", filled, ["alcohol", "ash"])], remainder=StandardScaler()),
                         LogisticRegression(max_iter=2000))


def test_an_imputer_takes_every_column_and_the_server_sends_empty_cells_as_nan(tmp_path):
    model, fit_x, (held_x, _) = fitted(imputed)
    out = export_any(model, tmp_path / "b", sample=fit_x.iloc[:30], say=lambda _: None)
    bundle = load_bundle(out)
    assert all(s["missing"] for s in bundle.inputs[0]["steps"])
    rows = [{k: ("" if np.isnan(v) else str(v)) for k, v in row.items()} for row in held_x.to_dict("records")]
    response = create_app(out, prepare="server").test_client().post("/api/prepare", json={"inputs": {"features": rows}})
    assert response.status_code == 200, response.get_json()
    tensor = response.get_json()["inputs"]["features"]["tensor"]  # JSON has no NaN: null
    prepared = np.asarray([[np.nan if v is None else v for v in row] for row in tensor], np.float64)
    np.testing.assert_array_equal(np.isnan(prepared), np.isnan(held_x.to_numpy()))


def test_a_model_that_refuses_nan_takes_no_missing_value_and_says_which_row(tmp_path):
    model, fit_x, _ = fitted(plain, keep_empty=())
    out = export_any(model, tmp_path / "b", sample=fit_x.iloc[:30], say=lambda _: None)
    assert not any(s.get("missing") for s in load_bundle(out).inputs[0]["steps"])
    row = {name: "1" for name in fit_x.columns}
    response = create_app(out, prepare="server").test_client().post(
        "/api/prepare", json={"inputs": {"features": [row, {**row, "ash": " "}]}})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == (
        "features[1]: column 'ash': empty, and this model takes no missing value here: fill it in")


def test_only_the_imputed_columns_take_a_missing_value(tmp_path):
    model, fit_x, _ = fitted(partly_imputed, keep_empty=("alcohol", "ash"))
    out = export_any(model, tmp_path / "b", sample=fit_x.iloc[:30], say=lambda _: None)
    taken = {s["feature"] for s in load_bundle(out).inputs[0]["steps"] if s.get("missing")}
    assert taken == {"alcohol", "ash"}


def test_empty_cells_in_the_sample_where_the_model_cannot_take_them_are_refused(tmp_path):
    model, fit_x, _ = fitted(plain, keep_empty=())
    (fit_x, _), _ = wine()  # the sample as it came, with empty cells
    with pytest.raises(ExportError, match=r"the sample has empty cells in '.*', and this model cannot take a missing"):
        export_any(model, tmp_path / "b", sample=fit_x.iloc[:30], say=lambda _: None)
    assert not (tmp_path / "b").exists()
