"""The runtimes table, kept in step on both sides: Python's (clientside/runtimes), the page
worker's (static/worker.js), the contract's schema, the vendored files each names, and each
runtime's backends (its page adapter's BACKENDS, which devices.js orders)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from clientside import contract, load_bundle, runtimes
from clientside.server.assets import STATIC
from clientside.vendor import VENDOR_FILES


def worker_table() -> dict[str, str]:
    source = (STATIC / "worker.js").read_text()
    body = re.search(r"const RUNTIMES = \{(.*?)\};", source, re.S).group(1)
    return dict(re.findall(r"'?([\w-]+)'?: '([^']+)'", body))


def test_the_page_runs_exactly_the_runtimes_python_writes():
    assert worker_table() == {name: f"./{r.page_module}" for name, r in runtimes.RUNTIMES.items()}
    for runtime in runtimes.RUNTIMES.values():
        assert (STATIC / runtime.page_module).is_file()


def test_the_schema_names_the_same_runtimes():
    assert contract.schema()["properties"]["runtime"]["enum"] == list(runtimes.RUNTIMES)


@pytest.mark.parametrize("name", list(runtimes.RUNTIMES))
def test_each_runtime_names_vendored_files_and_the_protocol(name):
    runtime = runtimes.get(name)
    assert runtime.name == name and runtime.title and runtime.infers_from
    assert set(runtime.page_files) <= set(VENDOR_FILES)
    assert set(runtime.offline_files) <= set(runtime.page_files)
    for method in ("recognizes", "read", "static_files", "aliases", "problems", "reasons", "refusal", "write",
                   "verify", "run_under_node"):
        assert callable(getattr(runtime, method)), method


def page_backends(module: str) -> list[str]:
    """The BACKENDS a page adapter exports: its own, or the module's it re-exports them from."""
    source = (STATIC / module).read_text()
    found = re.search(r"export const BACKENDS = \[(.*?)\];", source, re.S)
    if found is None:
        origin = re.search(r"import \{[^}]*\bBACKENDS\b[^}]*\} from '\./([\w-]+\.js)'", source).group(1)
        return page_backends(f"{Path(module).parent.as_posix()}/{origin}")
    return re.findall(r"name: '([\w-]+)'", found.group(1))


@pytest.mark.parametrize("name", list(runtimes.RUNTIMES))
def test_each_runtime_s_backends_are_the_page_s(name):
    runtime = runtimes.get(name)
    assert page_backends(runtime.page_module) == list(runtime.page_backends)
    assert set(runtime.node_backends) <= set(runtime.page_backends)


def test_an_unknown_runtime_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"one of tfjs, onnx, tfjs-graph\. Received: 'pytorch'"):
        runtimes.get("pytorch")


def test_a_contract_with_the_old_runtime_name_still_loads(small_bundle, tmp_path):
    """Bundles written before the runtime had one name said "tfjs-layers"."""
    old = tmp_path / "old"
    shutil.copytree(small_bundle, old)
    stored = json.loads((old / "clientside.json").read_text())
    stored["runtime"] = "tfjs-layers"
    (old / "clientside.json").write_text(json.dumps(stored))
    bundle = load_bundle(old)
    assert bundle.runtime == "tfjs" and bundle.contract["runtime"] == "tfjs"
    from clientside import create_app

    assert create_app(old).test_client().get("/api/model").get_json()["runtime"] == "tfjs"
