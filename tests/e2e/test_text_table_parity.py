"""The browser's text and table steps (static/steps/, in Chromium) against Python's on whole
corpora: the same token ids on 600 awkward lines for both Keras conventions (Python's equal
Keras's own: tests/steps/test_text.py), the same columns and the same refusals for table cells."""
from __future__ import annotations

import numpy as np
import pytest

from clientside import create_app
from clientside.errors import InputError
from clientside.steps import table, text
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page
from tests.steps.test_text import CASES, CORPUS, GOLDEN

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_small(small_bundle):
    with LiveServer(create_app(small_bundle)) as server:
        yield server

BROWSER_TEXT = """async ([lines, steps]) => {
  const t = await import('./static/steps/text.js');
  return lines.map((line) => t.run(line, steps));
}"""


@pytest.mark.parametrize("case", CASES)
def test_token_ids_equal_python_and_keras(page, live_small, case):
    steps = CASES[case]()
    open_page(page, live_small.url)
    browser = page.evaluate(BROWSER_TEXT, [CORPUS, steps])
    python = [text.run(line, steps) for line in CORPUS]
    assert browser == python
    if "pad" in steps[-1]["op"]:
        assert browser == GOLDEN[case]["ids"]


CELLS = ["12", " 12 ", "+.5", "-3.", "1e3", "1E-2", "0x1f", "", " ", "\t \t", None, float("nan"), "Infinity",
         "NaN", "nan", "NA", "1_000", "١٢", "1,5", "5e", ".", "+-1", "007", "1e400", "\t4\t", "\n", "\u00a0"]
STEPS = [{"op": "standardize", "feature": "x", "mean": 1.5, "std": 0.3},
         {"op": "one_hot", "feature": "c", "categories": ["a", "b b", "Ä"]}]
#: The same with missing values taken (a model that handles NaN): the empty cells become NaN
#: on both sides, and nothing else changes.
STEPS_MISSING = [{"op": "pass", "feature": "x", "missing": True},
                 {"op": "one_hot", "feature": "c", "categories": ["a", "b b", "Ä"]}]
CATEGORIES = ["a", " a", "b b", "Ä", "ä", "c", "", "a\t"]

BROWSER_TABLE = """async ([rows, steps]) => {
  const t = await import('./static/steps/table.js');
  return rows.map((row) => { try { return Array.from(t.prepare({ name: 't', steps, dtype: 'float32' }, [row]).data); }
                             catch (err) { return err.message; } });
}"""


def python_table(row, steps):
    try:
        return table.prepare({"name": "t", "steps": steps}, [row])[0].tolist()
    except InputError as exc:
        return exc.message


@pytest.mark.parametrize("steps", [STEPS, STEPS_MISSING], ids=["no-missing", "missing"])
def test_table_cells_are_read_alike(page, live_small, steps):
    rows = [{"x": x, "c": c} for x in CELLS for c in CATEGORIES] + [{"x": 2.5, "c": "a"}, {"c": "a"}, {"x": "1"}]
    open_page(page, live_small.url)
    browser = page.evaluate(BROWSER_TABLE, [rows, steps])
    python = [python_table(r, steps) for r in rows]
    empty = [p for r, p in zip(rows, python) if r.get("c") == "a" and table.empty(r.get("x", "-"))]
    if steps is STEPS_MISSING:  # the five empty cells read as NaN, and only they
        assert len(empty) == 5 and all(np.isnan(p[0]) for p in empty), empty
        assert sum(np.isnan(p[0]) for p in python if isinstance(p, list)) == 5 * 5  # each with the five categories read
    else:
        assert empty == ["t[0]: column 'x': empty, and this model takes no missing value here: fill it in"] * 5
    for row, b, p in zip(rows, browser, python):
        if isinstance(p, list):
            assert isinstance(b, list), (row, b, p)
            np.testing.assert_array_equal(np.asarray(b, np.float32), np.asarray(p, np.float32), err_msg=str(row))
        else:
            assert b == p, row
    assert sum(isinstance(p, list) for p in python) > 20 and sum(isinstance(p, str) for p in python) > 50
