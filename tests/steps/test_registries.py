"""The Python and JavaScript registries stay in step: the same input kinds, the same steps
with the same parameters and defaults, the same output kinds as the schema; and the page
preloads exactly the modules it imports."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from clientside import contract, steps
from clientside.server import page_modules
from clientside.server.assets import STATIC

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node (installed by make install)")


def node_json(expression: str, module: str) -> object:
    url = json.dumps((STATIC / module).as_uri())
    code = f"const m = await import({url}); console.log(JSON.stringify({expression}));"
    out = subprocess.run(["node", "--input-type=module", "-e", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_step_tables_are_equal():
    python = json.loads(json.dumps(steps.step_table()))
    javascript = node_json("await m.stepTable()", "steps/index.js")
    assert javascript == python


def test_kinds_are_the_schemas():
    schema = contract.schema()["$defs"]
    input_kinds = schema["input"]["properties"]["kind"]["enum"]
    output_kinds = schema["output"]["properties"]["kind"]["enum"]
    assert sorted(steps.KINDS) == sorted(input_kinds)
    assert sorted(node_json("Object.keys(m.KINDS)", "steps/index.js")) == sorted(input_kinds)
    assert sorted(node_json("Object.keys(m.WIDGETS)", "inputs/index.js")) == sorted(input_kinds)
    assert sorted(node_json("Object.keys(m.RENDERERS)", "outputs/index.js")) == sorted(output_kinds)


def loaders(module: str) -> dict[str, str]:
    """A kind table's entries: kind -> the module its loader imports."""
    source = (STATIC / module).read_text()
    return dict(re.findall(r"^  '?([\w-]+)'?: \(\) => import\('\./([\w-]+\.js)'\),$", source, re.M))


def test_each_kind_loads_the_module_of_its_name():
    """page_modules.py finds a kind's modules by name (inputs/<kind>.js...): the tables must
    load exactly those."""
    for table in ("inputs/index.js", "outputs/index.js", "steps/index.js"):
        entries = loaders(table)
        assert entries and all(file == f"{kind}.js" for kind, file in entries.items()), (table, entries)


MNIST = {"runtime": "tfjs", "inputs": [{"kind": "image"}], "outputs": [{"kind": "classes"}]}
WORDS = {"runtime": "tfjs", "inputs": [{"kind": "audio"}], "outputs": [{"kind": "classes"}, {"kind": "timeline"}]}


def test_the_page_preloads_its_own_kinds_and_no_others():
    mnist, words = page_modules.page_modules(MNIST), page_modules.page_modules(WORDS)
    assert {"inputs/index.js", "outputs/index.js", "results.js", "predictor.js"} <= set(mnist) & set(words)
    assert {"inputs/image.js", "draw.js", "outputs/classes.js"} <= set(mnist)
    assert not [m for m in mnist if "audio" in m or "timeline" in m or "text" in m]
    assert {"inputs/audio.js", "inputs/audio-decode.js", "outputs/timeline.js"} <= set(words)
    assert not [m for m in words if "image" in m or "draw" in m]


def test_the_offline_copy_leaves_out_only_other_kinds_modules():
    unused = page_modules.unused_modules(MNIST)
    assert {"inputs/audio.js", "inputs/audio-recorder.worklet.js", "steps/audio.js", "outputs/timeline.js",
            "steps/text.js", "steps/tokenizer-json.js"} <= unused
    kept = {"steps/index.js", "steps/common.js", "steps/image.js", "inputs/image.js", "worker.js", "check.js",
            "outputs/tensor.js", "runtimes/tfjs.js"}
    assert not kept & unused
    assert page_modules.vendor_files(WORDS) == ["fourier-transform.mjs"] and page_modules.vendor_files(MNIST) == []


def test_the_longest_clip_by_default_is_one_number_on_every_side():
    from clientside.steps import audio

    assert node_json("m.DEFAULT_MAX_SECONDS", "steps/audio.js") == audio.DEFAULT_MAX_SECONDS
    assert node_json("m.DEFAULT_MAX_SECONDS", "inputs/audio.js") == audio.DEFAULT_MAX_SECONDS
