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
from clientside.server.assets import PAGE_MODULES, STATIC

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node (installed by make install)")


def node_json(expression: str, module: str) -> object:
    url = json.dumps((STATIC / module).as_uri())
    code = f"const m = await import({url}); console.log(JSON.stringify({expression}));"
    out = subprocess.run(["node", "--input-type=module", "-e", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_step_tables_are_equal():
    python = json.loads(json.dumps(steps.step_table()))
    javascript = node_json("m.stepTable()", "steps/index.js")
    assert javascript == python


def test_kinds_are_the_schemas():
    schema = contract.schema()["$defs"]
    input_kinds = schema["input"]["properties"]["kind"]["enum"]
    output_kinds = schema["output"]["properties"]["kind"]["enum"]
    assert sorted(steps.KINDS) == sorted(input_kinds)
    assert sorted(node_json("Object.keys(m.KINDS)", "steps/index.js")) == sorted(input_kinds)
    assert sorted(node_json("Object.keys(m.WIDGETS)", "inputs/index.js")) == sorted(input_kinds)
    assert sorted(node_json("Object.keys(m.RENDERERS)", "outputs/index.js")) == sorted(output_kinds)


def imports_of(module: str, seen: set[str]) -> set[str]:
    source = (STATIC / module).read_text()
    folder = (STATIC / module).parent
    for rel in re.findall(r"^(?:import|export) .*? from '(\./[^']+|\.\./[^']+)';", source, re.M):
        target = (folder / rel).resolve().relative_to(STATIC.resolve()).as_posix()
        if target not in seen:
            seen.add(target)
            imports_of(target, seen)
    return seen


def test_the_page_preloads_what_it_imports():
    assert sorted(imports_of("app.js", set())) == sorted(PAGE_MODULES)
