"""Gradient-boosted trees in Chromium, through the real page: XGBoost from a CSV with empty
cells, LightGBM from the form with a field left blank, both equal to predict_proba on the same
rows (NaN included); and an empty cell where the model takes none, refused naming the line,
the row and the column."""
from __future__ import annotations

import numpy as np
import pytest

from clientside import create_app
from clientside import export as export_any
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page
from tests.e2e.test_onnx_page import page_output
from tests.sources.test_missing import fitted, plain
from tests.sources.test_trees import lightgbm, wine, xgboost

pytestmark = [pytest.mark.browser, pytest.mark.gallery]


def test_xgboost_from_a_csv_with_empty_cells(page, tmp_path):
    (fit_x, fit_y), (held_x, _) = wine()
    model = xgboost.XGBClassifier(n_estimators=40, max_depth=4, random_state=0).fit(fit_x, fit_y)
    out = export_any(model, tmp_path / "xgb", sample=fit_x, say=lambda _: None)
    held_x.to_csv(tmp_path / "held.csv", index=False)  # an empty cell for each NaN
    assert ",," in (tmp_path / "held.csv").read_text()
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        page.set_input_files("#csv", str(tmp_path / "held.csv"))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.results-table tr').length === {len(held_x) + 1}")
        got = page_output(page).reshape(len(held_x), 3)
    np.testing.assert_allclose(got, model.predict_proba(held_x), atol=1e-5)
    assert page.errors == []


def test_lightgbm_from_the_form_with_a_field_left_blank(page, tmp_path):
    (fit_x, fit_y), _ = wine()
    model = lightgbm.LGBMClassifier(n_estimators=40, random_state=0, verbose=-1).fit(fit_x, fit_y)
    out = export_any(model, tmp_path / "lgbm", sample=fit_x, say=lambda _: None)
    row = fit_x.median().round(2)
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        assert "may be left empty" in page.inner_text("#field-0-1-hint")
        for k, name in enumerate(fit_x.columns):
            page.fill(f"#field-0-{k}", "" if name == "malic_acid" else str(row[name]))
        page.click("#predict")
        page.wait_for_selector(".result")
        got = page_output(page)
    one = row.to_frame().T.astype(float)
    one["malic_acid"] = np.nan
    np.testing.assert_allclose(got, model.predict_proba(one)[0], atol=1e-5)
    assert page.errors == []


def test_an_empty_cell_where_the_model_takes_none_names_the_row_and_column(page, tmp_path):
    model, fit_x, (held_x, _) = fitted(plain, keep_empty=())
    out = export_any(model, tmp_path / "plain", sample=fit_x.iloc[:30], say=lambda _: None)
    rows = held_x.fillna(1.0).iloc[:5].copy()
    rows.loc[rows.index[3], "ash"] = np.nan
    rows.to_csv(tmp_path / "rows.csv", index=False)
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        page.set_input_files("#csv", str(tmp_path / "rows.csv"))
        page.click("#predict")
        page.wait_for_selector("#error:not([hidden])")
        assert ("rows.csv, line 5 (row 4): column 'ash': empty, and this model takes no missing value here"
                in page.inner_text("#error"))


@pytest.mark.parametrize("prepare", ["browser", "server"])
def test_lightgbm_in_double_from_a_csv_of_dense_values(page, tmp_path, prepare):
    """Scaled diabetes rows, among them one within float32's rounding of a split threshold
    (tests/sources/test_trees.py): the page feeds a Float64Array (or the server's JSON, read
    as one), and every row equals Booster.predict, that one too."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True, as_frame=True)
    booster = lightgbm.train({"objective": "regression", "verbose": -1}, lightgbm.Dataset(x.iloc[:300], y.iloc[:300]),
                             200)
    out = export_any(booster, tmp_path / "lgbm", sample=x.iloc[:300], say=lambda _: None)
    held = x.iloc[300:]
    held.to_csv(tmp_path / "held.csv", index=False, float_format="%.17g")  # every digit of each double
    with LiveServer(create_app(out, prepare=prepare)) as server:
        open_page(page, server.url)
        page.set_input_files("#csv", str(tmp_path / "held.csv"))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.results-table tr').length === {len(held) + 1}")
        got = page_output(page)
    want = booster.predict(held)
    assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max())
    assert page.errors == []
