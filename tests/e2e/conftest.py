"""Browser-test helpers: a switchable app behind one live server (same origin, so the
browser's caches carry over), and page helpers."""
from __future__ import annotations

import os
import re
from pathlib import Path

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


# The gallery: every page a test in a `gallery` module leaves open is photographed at a
# desktop's width, at a phone's (375 px) and in dark mode, into test-artefacts/gallery/
# (CLIENTSIDE_ARTEFACTS to move it), and checked where a check can be written down: no
# sideways scrolling on a phone, readable contrast in both schemes, a name for every control.
ARTEFACTS = Path(os.environ.get("CLIENTSIDE_ARTEFACTS", Path(__file__).parents[2] / "test-artefacts"))
#: Roles a screen reader announces by name: each must have one.
NAMED_ROLES = {"button", "textbox", "spinbutton", "combobox", "checkbox", "slider", "link", "listbox", "radio"}


def luminance(css: str) -> float:
    """The relative luminance (WCAG 2) of a computed CSS colour, rgb() or rgba()."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    return sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
               for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def unnamed_controls(page) -> list[str]:
    """Controls the accessibility tree gives no name (what a screen reader would read)."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [f"{n['role']['value']} #{n.get('backendDOMNodeId')}" for n in nodes
            if not n.get("ignored") and n.get("role", {}).get("value") in NAMED_ROLES
            and not (n.get("name", {}).get("value") or "").strip()]


def photograph(page, path: Path) -> None:
    """The whole page, down to 8000 px (a page with a 1 MB text opened is too tall to capture)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": min(height, 8000)})


def check_page(page, name: str) -> None:
    """Photograph the page three ways and check what can be checked (see above)."""
    folder = ARTEFACTS / "gallery"
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 720}
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        photograph(page, folder / f"{name}-desktop.png")
        assert unnamed_controls(page) == [], f"{name}: controls without a name"
        page.set_viewport_size({"width": 375, "height": 800})
        photograph(page, folder / f"{name}-phone.png")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                           && !e.closest('.table-scroll, .visually-hidden'))
            .map((e) => `${e.tagName.toLowerCase()}.${e.className}`).slice(0, 5)""")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375 and not wide, \
            f"{name}: wider than a phone's screen: {wide}"
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            colours = page.evaluate("""() => ['body', '#status', '.card dd', 'label', '.hint', '.result .time']
                .map((s) => document.querySelector(s)).filter(Boolean)
                .map((e) => [e.tagName, getComputedStyle(e).color])""")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            if scheme == "dark":
                page.set_viewport_size({"width": 1280, "height": 900})
                photograph(page, folder / f"{name}-dark.png")
                assert luminance(background) < 0.05, f"{name}: dark mode keeps a light background {background}"
            low = [(tag, colour, round(contrast(colour, background), 2)) for tag, colour in colours
                   if contrast(colour, background) < 4.5]
            assert not low, f"{name} ({scheme}): text below WCAG AA contrast 4.5: {low}"
    finally:
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(size)


@pytest.fixture(autouse=True)
def gallery(request):
    """After each test of a module marked `gallery` that used `page`: check_page on what it
    left open, if that is one of clientside's pages and the test passed."""
    wanted = request.node.get_closest_marker("gallery") is not None and "page" in request.fixturenames
    page = request.getfixturevalue("page") if wanted else None  # set up first: closed after this
    yield
    report = getattr(request.node, "outcome_call", None)
    if page is None or report is None or not report.passed:
        return
    if page.is_closed() or not page.query_selector("body[data-state]"):
        return
    check_page(page, re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)[:90].strip("-"))
