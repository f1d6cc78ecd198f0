"""Which of the page's own modules a bundle needs: app.js and what it imports, and the modules
of the bundle's own input and output kinds (inputs/<kind>.js, outputs/<kind>.js, and the
worker's steps/<kind>.js), each with what it imports. The page loads a kind's modules only
when its contract has that kind (inputs/index.js, outputs/index.js, steps/index.js), so a
bundle without sound never downloads the audio code; it preloads the ones it will load, so
they come down beside app.js, and its service worker keeps them, not the others, offline.

The imports are read from the modules themselves, so the lists cannot drift from the code.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ..contract.schema import schema

STATIC = Path(__file__).with_name("static")

#: `import ... from './x.js';` and `export ... from '../y.js';`, over several lines too
_STATIC_IMPORT = re.compile(r"^(?:import|export)\s[^;]*?\sfrom\s'(\.{1,2}/[^']+)';", re.M)

#: files a kind's module loads in other ways than an import (an AudioWorklet's module)
EXTRA = {"inputs/audio.js": ("inputs/audio-recorder.worklet.js",)}

#: npm files a kind loads (under vendor/): the CSV reader, the tokenizer.json reader, the FFT
VENDOR = {"table": ("papaparse.min.js",), "text": ("tokenizers.min.mjs",), "audio": ("fourier-transform.mjs",)}


@cache
def imports(module: str) -> frozenset[str]:
    """module (a path under static/) and every module it imports, directly or not, with
    the files it loads otherwise (EXTRA); npm files (../vendor/) are not the page's own."""
    found = {module, *EXTRA.get(module, ())}
    folder = (STATIC / module).parent
    for rel in _STATIC_IMPORT.findall((STATIC / module).read_text()):
        target = (folder / rel).resolve()
        if STATIC.resolve() in target.parents:
            found |= imports(target.relative_to(STATIC.resolve()).as_posix())
    return frozenset(found)


def _kind_modules(folder: str, kinds: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for kind in kinds:
        if (STATIC / folder / f"{kind}.js").exists():  # an unknown output kind is drawn as a tensor
            out |= imports(f"{folder}/{kind}.js")
    return out


def input_kinds(contract: Mapping[str, Any]) -> set[str]:
    return {spec["kind"] for spec in contract["inputs"]}


def output_kinds(contract: Mapping[str, Any]) -> set[str]:
    return {spec["kind"] for spec in contract["outputs"]}


def page_modules(contract: Mapping[str, Any]) -> list[str]:
    """What the page imports for this contract, app.js aside (its own script tag): the
    modulepreload list."""
    wanted = (imports("app.js") | _kind_modules("inputs", input_kinds(contract))
              | _kind_modules("outputs", output_kinds(contract)))
    return sorted(m for m in wanted - {"app.js"} if m.endswith(".js") and "worklet" not in m)


def unused_modules(contract: Mapping[str, Any]) -> set[str]:
    """The page's files that only other kinds than this contract's load: left out of its
    service worker's offline copy (they would never be asked for)."""
    ins, outs = input_kinds(contract), output_kinds(contract)
    kinds = schema()["$defs"]
    other_ins = set(kinds["input"]["properties"]["kind"]["enum"]) - ins
    other_outs = set(kinds["output"]["properties"]["kind"]["enum"]) - outs
    others = (_kind_modules("inputs", other_ins) | _kind_modules("steps", other_ins)
              | _kind_modules("outputs", other_outs))
    mine = (imports("app.js") | _kind_modules("inputs", ins) | _kind_modules("steps", ins)
            | _kind_modules("outputs", outs))
    return others - mine


def vendor_files(contract: Mapping[str, Any]) -> list[str]:
    """The npm files (besides the runtime's) this contract's kinds load."""
    return [name for kind in sorted(input_kinds(contract)) for name in VENDOR.get(kind, ())]
