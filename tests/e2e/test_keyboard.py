"""The page with the keyboard alone: every control is reached by Tab, in reading order; a
file is chosen, a form filled and Predict pressed without a mouse."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import labels, open_page
from tests.e2e.test_kinds import TABLE_STEPS, serve, table_page  # noqa: F401 - fixtures
from tests.helpers import SEVEN

pytestmark = [pytest.mark.browser, pytest.mark.gallery]


@pytest.fixture(scope="module")
def runtime():
    """The keyboard is the page's, not the runtime's: one runtime is enough (test_kinds has both)."""
    return "tfjs"


def focus_order(page, limit: int = 60) -> list[str]:
    """What Tab reaches, from the top of the page, until it comes round again."""
    page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)")
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = page.evaluate("""() => { const e = document.activeElement;
            return e === document.body ? null : (e.id ? '#' + e.id : e.tagName.toLowerCase()); }""")
        if here is None or (seen and here == seen[0]):
            break
        seen.append(here)
    return seen


def test_an_image_is_chosen_and_predicted_with_the_keyboard(page, live_mnist):
    # listened for before the page loads: Playwright turns on its file-chooser interception
    # when the first listener comes, and a key pressed before that opens nothing it can see
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    open_page(page, live_mnist.url)
    order = focus_order(page)
    assert order.index("summary") < order.index("#clear") < order.index("#files"), order  # reading order
    assert "#predict" not in order  # disabled until there is something to predict
    page.focus("#files")
    assert page.evaluate("document.activeElement.id") == "files"
    # the hidden input, styled as the drop zone's button, is what a keyboard user reaches
    outline = page.evaluate("getComputedStyle(document.querySelector('.drop')).outlineStyle")
    assert outline != "none", "the focused file control shows no focus ring"
    page.keyboard.press("Space")
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert len(choosers) == 1, "Space on the focused file control opened no file chooser"
    choosers[0].set_files(str(SEVEN))
    page.wait_for_selector("#predict:not([disabled])")
    assert focus_order(page)[-1] == "#predict"  # after the inputs, before the card
    while page.evaluate("document.activeElement.id") != "predict":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result")
    assert labels(page) == ["7"]
    assert page.errors == []


def test_a_form_is_filled_and_predicted_with_the_keyboard(page, table_page):  # noqa: F811 - the fixture
    _, url = table_page
    open_page(page, url)
    order = focus_order(page)
    fields = [f"#field-0-{k}" for k in range(len(TABLE_STEPS))]
    assert [o for o in order if o in fields] == fields, order  # the form's own order
    assert order.index(fields[-1]) < order.index("#csv") < order.index("#predict"), order
    page.focus(fields[0])
    typed = {"#field-0-0": "35", "#field-0-1": "52000", "#field-0-3": "-0.25"}
    for f in fields:
        assert page.evaluate("'#' + document.activeElement.id") == f
        if f in typed:
            page.keyboard.press("Control+A")
            page.keyboard.type(typed[f])
        else:
            page.keyboard.press("ArrowDown")  # a select: the next option
        page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.id") != "predict":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result, #error:not([hidden])")
    assert page.is_hidden("#error"), page.inner_text("#error")
    assert {f: page.input_value(f) for f in typed} == typed
    assert page.input_value("#field-0-2") != page.evaluate(
        "document.querySelector('#field-0-2').options[0].value")  # the arrow moved the select
    assert page.inner_text(".result .label") in ("low", "mid", "high")
    assert page.errors == []
