"""The model card: title, a safe Markdown description, what the model takes and gives, its
download, and that it works offline, in the page as served (no JavaScript needed to read it)."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from clientside import create_app
from clientside.contract import readable, with_card
from clientside.server.card import gives, render_markdown, takes, title_of

HOSTILE = """# Wine classes

Trained on **178** wines. See [the data](https://archive.ics.uci.edu/dataset/109/wine).

<script>alert("x")</script>
<img src=x onerror=alert(1)>
[click me](javascript:alert(1)) [or me](vbscript:msgbox) [data](data:text/html;base64,PHNjcmlwdD4=)
"""


class Tags(HTMLParser):
    """Every tag and attribute in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_markdown_is_rendered_and_nothing_in_it_can_run():
    html = str(render_markdown(HOSTILE))
    tags = tags_of(html)
    assert ("h1", {}) in tags and ("strong", {}) in tags
    assert ("a", {"href": "https://archive.ics.uci.edu/dataset/109/wine"}) in tags
    assert {t for t, _ in tags} <= {"h1", "p", "strong", "a"}, tags  # no script, no img
    assert not [a for t, a in tags if any(k.startswith("on") for k in a)]
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert not [h for h in hrefs if re.match(r"\s*(javascript|vbscript|data):", h, re.I)], hrefs
    assert "&lt;script&gt;" in html  # shown as text, so the author sees the mistake


def test_the_page_carries_the_card(small_bundle):
    app = create_app(small_bundle, meta={"title": "Digits <b>v2</b>", "description": HOSTILE})
    html = app.test_client().get("/").get_data(as_text=True)
    assert "<title>Digits &lt;b&gt;v2&lt;/b&gt;</title>" in html
    assert re.search(r"<h1>Digits &lt;b&gt;v2&lt;/b&gt;</h1>", html)
    card = html[html.index('<aside class="card"'):html.index("</aside>")]
    assert "One of 10 classes: 0, 1, 2, 3, 4, 5 and 4 more, with its probability." in card
    assert "A picture: upload, paste or draw one." in card
    assert "Works offline after the first visit." in card
    assert re.search(r"\d+(\.\d+)? KB of model and \d+(\.\d+)? [KM]B of TensorFlow.js, once", card), card
    assert "Stays in this browser: nothing you give the model is sent anywhere." in card
    page_tags = tags_of(html)
    scripts = [a for t, a in page_tags if t == "script"]
    assert all(a.get("src") or a.get("type") == "application/json" for a in scripts), scripts
    assert "alert" not in "".join(a.get("src") or "" for a in scripts)
    assert not [a for t, a in page_tags if t == "img"]


def test_without_a_title_the_page_uses_the_name_made_readable(small_bundle):
    html = create_app(small_bundle, meta={"name": "wine_classifier"}).test_client().get("/").get_data(as_text=True)
    assert "<h1>Wine classifier</h1>" in html and "clientside:" not in html


@pytest.mark.parametrize(("name", "shown"), [
    ("malic_acid", "Malic acid"), ("od280/od315_of_diluted_wines", "Od280/od315 of diluted wines"),
    ("pH", "pH"), ("LSTAT", "LSTAT"), ("SmallCNN", "SmallCNN"), ("  petal  width ", "Petal width"),
])
def test_names_are_made_readable(name, shown):
    assert readable(name) == shown


def test_what_an_entry_takes_and_gives_in_words():
    table = {"name": "x", "kind": "table", "shape": [None, 3], "steps": [
        {"op": "pass", "feature": "alcohol"}, {"op": "pass", "feature": "malic_acid"},
        {"op": "one_hot", "feature": "colour", "categories": ["red", "white"]}],
        "features": [{"name": "alcohol", "unit": "% vol"}]}
    assert takes(table) == "3 values: alcohol (% vol), malic_acid, colour. One row in the form, or many in a CSV file."
    assert takes({"name": "t", "kind": "text", "multiline": True, "shape": [None, 8]}) == \
        "Text, one prediction per line."
    assert takes({"name": "t", "kind": "tensor", "dtype": "int64", "shape": [None, 2, None]}) == \
        "A int64 tensor of shape 2 \u00d7 any, as JSON."
    assert gives({"name": "p", "kind": "values", "names": ["price", "rent"], "units": ["$"]}) == \
        "Values: price ($), rent."
    assert gives({"name": "p", "kind": "multilabel", "labels": list("abcdefgh")}) == \
        "Which of 8 labels apply: a, b, c, d, e, f and 2 more."
    assert title_of({"name": "m", "title": "Mine"}) == "Mine"


def test_title_and_description_join_meta_and_a_description_file_is_read(tmp_path):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"outputs": [{"labels": ["a", "b"]}], "title": "old"}))
    (tmp_path / "card.md").write_text("From *a file*.")
    doc = with_card(str(meta), title="New", description=str(tmp_path / "card.md"))
    assert doc == {"outputs": [{"labels": ["a", "b"]}], "title": "New", "description": "From *a file*."}
    assert with_card(str(meta)) == str(meta)  # nothing to add: the file is read as before
    assert with_card(None, description="plain.md")["description"] == "plain.md"  # no such file: it is the text
