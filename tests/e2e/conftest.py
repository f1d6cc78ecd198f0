"""Browser-test helpers: a switchable app behind one live server (same origin, so the
browser's caches carry over), and page helpers."""
from __future__ import annotations

import pytest

READY = "body[data-state=ready], body[data-state=error]"


class Switch:
    """A WSGI app that forwards to whichever app is current (a "new deployment" without
    changing the origin), and logs every path it serves: the server's own count of what
    the browser fetched, whether a page, a worker or a service worker asked."""

    def __init__(self, app):
        self.app = app
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(environ.get("PATH_INFO", ""))
        return self.app(environ, start_response)

    def shard_requests(self) -> list[str]:
        return [p for p in self.paths if p.endswith(".bin")]


def open_page(page, url, expect="ready"):
    page.goto(url)
    page.wait_for_selector(READY, timeout=60_000)
    state = page.evaluate("document.body.dataset.state")
    assert state == expect, page.inner_text("#error")
    return page


def labels(page):
    return [e.inner_text() for e in page.query_selector_all(".result .label")]


def draw_a_one(page, pad="#pad"):
    """A "1" on the drawing pad: one vertical stroke, drawn with the mouse."""
    box = page.query_selector(pad).bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 140, y + 40)
    page.mouse.down()
    page.mouse.move(x + 142, y + 240, steps=15)
    page.mouse.up()


def predict_files(page, files, count=None):
    before = len(page.query_selector_all(".result"))
    page.set_input_files("#files", [str(f) for f in files])
    page.click("#predict")
    n = before + (count if count is not None else len(files))
    page.wait_for_function(f"() => document.querySelectorAll('.result').length === {n} "
                           "|| !document.getElementById('error').hidden", timeout=120_000)
    assert page.is_hidden("#error"), page.inner_text("#error")
    return labels(page)[: n - before]


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    yield ctx
    ctx.close()
