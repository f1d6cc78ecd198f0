"""A DistilBERT-base-sized model (66M parameters: 255 MB float32, 64 MB int8) in the page:
its weights apart from its graph (ONNX external data), the download said in bytes as it goes,
the files stored once, a returning visit downloading
nothing, and predictions equal to transformers (float32) or as good as Python's int8."""
from __future__ import annotations

import numpy as np
import pytest

from clientside import create_app, export, load_bundle
from tests import hf_models
from tests.conftest import LiveServer
from tests.e2e.conftest import Switch, open_page

transformers = pytest.importorskip("transformers", reason="the hf extra (make install) installs transformers")
torch = pytest.importorskip("torch")

pytestmark = pytest.mark.browser

LINES = ["a wonderful film", "I did not like it at all, and the ending was worse."]
STATUSES = """(() => { window.statuses = [];
  const seen = () => { const s = document.getElementById('status'); if (s) window.statuses.push(s.textContent); };
  new MutationObserver(seen).observe(document, { subtree: true, childList: true, characterData: true }); })();"""


@pytest.fixture(scope="module")
def distil(tmp_path_factory):
    root = tmp_path_factory.mktemp("distil")
    folder = hf_models.distilbert_base(root / "distilbert")
    return folder, {q: export(folder, root / f"bundle-{q}", quantize=q, say=lambda _: None) for q in (None, "int8")}


def reference(folder, lines):
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        return model(**tokenizer(lines, padding=True, truncation=True, return_tensors="pt")).logits.numpy()


@pytest.fixture
def profile(browser, tmp_path):
    """A browser with a profile on disk, as a visitor's is: Playwright's usual contexts are
    private windows, whose IndexedDB refuses a 255 MB value (the page then says so and runs
    from memory: test_huggingface_page tests that path). Launched by the session's own
    Playwright (a second one cannot run in the same thread)."""
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

    context = browser.browser_type.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                             args=CHROMIUM_FLAGS)
    yield context
    context.close()


@pytest.mark.parametrize("dtype", [None, "int8"])
def test_a_distilbert_sized_model_in_the_page(profile, distil, dtype):
    folder, bundles = distil
    files = load_bundle(bundles[dtype]).contract["files"]
    graph, stored = files[0], files[1]  # the weights apart from the graph: ORT holds them once
    assert graph["path"].endswith(".onnx") and graph["size"] < 2**20 and stored["external_data"] is True
    assert stored["size"] > (250 if dtype is None else 60) * 2**20
    context = profile
    page = context.new_page()
    page.add_init_script(STATUSES)
    switch = Switch(create_app(bundles[dtype]))
    with LiveServer(switch) as server:
        open_page(page, server.url + "?sw=off")
        said = page.evaluate("window.statuses")
        assert any("Downloading" in s and " MB of " in s for s in said), said[:5]
        page.fill("#text", "\n".join(LINES))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.result').length === {len(LINES)}")
        got = np.asarray(page.evaluate("() => Array.from(window.clientside.state.last.outputs.logits.data)"))
        got = got.reshape(len(LINES), 2)
        model = [p for p in switch.paths if p.endswith((graph["path"], stored["path"]))]
        open_page(page, server.url + "?sw=off")  # a returning visit
        assert page.evaluate("document.body.dataset.modelSource") == "cache"
        assert [p for p in switch.paths if p.endswith((graph["path"], stored["path"]))] == model
        assert len(model) == 2
        assert page.inner_text("#notice") == ""
    want = reference(folder, LINES)
    if dtype is None:
        np.testing.assert_allclose(got, want, atol=1e-4 * np.abs(want).max())
    else:
        assert (got.argmax(1) == want.argmax(1)).all()
