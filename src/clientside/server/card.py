"""The model card: what the page says about its model, from the contract alone, so the
server and the static build show the same card and a screen reader reads it without
JavaScript. The description is Markdown, rendered with raw HTML off (markdown-it-py
escapes it) and markdown-it's link check (no javascript:, vbscript:, file: or data: links),
so a bundle's text can never put script into the page."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .. import runtimes
from ..contract.infer import readable
from ..errors import size_in_words
from ..precompressed import copy_path
from ..steps import table
from ..vendor import VENDOR_FILES

Entry = Mapping[str, Any]
#: How many labels or features a line names before "and N more".
NAMED = 6


def render_markdown(text: str) -> Markup:
    """Markdown -> safe HTML (CommonMark, tables and strikethrough; raw HTML shown as text)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])
    return Markup(md.render(text))  # html=False: markdown-it escapes every tag


def title_of(contract: Entry) -> str:
    """The contract's title, else its name made readable ("wine_classifier" -> "Wine classifier")."""
    return contract.get("title") or readable(contract["name"])


def model_card(contract: Entry, vendor_root: Path) -> dict[str, Any]:
    """What index.html's card shows: title, description (HTML), one line per input and
    output, the download and the runtime."""
    runtime = runtimes.get(contract["runtime"])
    model_bytes = sum(f["size"] for f in contract["files"])
    # what a first visit fetches on the CPU (a GPU backend's files come only where one runs)
    runtime_bytes = sum(_sent_size(vendor_root / VENDOR_FILES[n]) for n in runtime.offline_files)
    description = contract.get("description")
    return {
        "title": title_of(contract),
        "description": render_markdown(description) if description else None,
        "inputs": [(entry_label(e), e.get("description") or takes(e)) for e in contract["inputs"]
                   if "from" not in e and "value" not in e],  # a mask, a constant: the page's business
        "outputs": [(entry_label(e), e.get("description") or gives(e)) for e in contract["outputs"]],
        "download": f"{size_in_words(model_bytes)} of model and {size_in_words(runtime_bytes)} of {runtime.title}, "
                    "once: later visits load them from this browser",
        "runtime": f"{runtime.title}, in your browser (on a hardware GPU where it has one, else WebAssembly)",
        "privacy": "Stays in this browser: nothing you give the model is sent anywhere."
                   if contract.get("prepare", "browser") == "browser"
                   else "Sent to this site's server to be prepared, then the model runs in your browser.",
    }


def entry_label(entry: Entry) -> str:
    return entry.get("label") or entry["name"]  # as the page heads its widget


def takes(entry: Entry) -> str:
    """What an input expects, in words, from its kind and steps."""
    kind = entry["kind"]
    if kind == "image":
        ways = {"upload": "upload", "paste": "paste", "draw": "draw", "camera": "take"}
        given = [ways[w] for w in entry.get("widgets") or ("upload", "paste")]
        return f"A picture: {', '.join(given[:-1]) + ' or ' if len(given) > 1 else ''}{given[-1]} one."
    if kind == "text":
        said = "Text" + (", one prediction per line." if entry.get("multiline") else ".")
        tokenizer = next((s for s in entry.get("steps", []) if s["op"] == "tokenizer"), None)
        if tokenizer and tokenizer.get("max_length"):
            said += f" It reads {tokenizer['max_length']} tokens at most; longer text is cut."
        return said
    if kind == "audio":
        ways = {"upload": "a sound file (WAV, FLAC, MP3, Ogg, WebM)", "record": "a recording from the microphone",
                "live": "the microphone live"}
        given = [ways[w] for w in entry.get("widgets") or ("upload", "record", "live")]
        rate = next((s["rate"] for s in entry.get("steps", []) if s["op"] == "resample"), None)
        heard = f", heard at {rate / 1000:g} kHz" if rate else ""
        ways_said = given[0] if len(given) == 1 else f"{', '.join(given[:-1])} or {given[-1]}"
        return f"Sound: {ways_said}, up to {entry.get('max_seconds', 60):g} s{heard}."
    if kind == "table":
        fields = table.features(dict(entry))
        # as the form labels them: the label, else the column's own name
        names = [(f.get("label") or f["name"]) + (f" ({f['unit']})" if f.get("unit") else "") for f in fields]
        return f"{len(fields)} values: {_some(names)}. One row in the form, or many in a CSV file."
    shape = " \u00d7 ".join("any" if d is None else str(d) for d in entry["shape"][1:])
    return f"A {entry.get('dtype', 'float32')} tensor of shape {shape or 'scalar'}, as JSON."


def gives(entry: Entry) -> str:
    """What an output means, in words."""
    kind, labels = entry["kind"], entry.get("labels") or []
    if kind == "classes" and entry.get("scores") == "index":
        return f"One of {len(labels)} classes: {_some(labels)}." if labels else "A class number."
    if kind == "classes":
        return f"One of {len(labels)} classes: {_some(labels)}, with its probability." if labels \
            else "Class scores."
    if kind == "multilabel":
        return f"Which of {len(labels)} labels apply: {_some(labels)}." if labels else "Labels that apply."
    if kind == "values":
        names = entry.get("names") or []
        units = entry.get("units") or []
        named = [f"{n} ({u})" if u else n for n, u in zip(names, units + [""] * len(names))]
        return f"Values: {_some(named)}." if named else "Numbers."
    if kind == "image":
        return "A mask over the input picture." if entry.get("mode") == "mask" else "A picture."
    if kind == "timeline":
        tracks = _some(labels) if labels else "one value"
        step = entry.get("frame_seconds")
        return f"A timeline ({tracks}){f', every {step:g} s' if step else ', frame by frame'}; downloadable as CSV."
    if kind == "spans":
        names = sorted({label.split("-", 1)[-1] for label in labels} - set(entry.get("ignore") or ["O"]))
        return f"The entities in the text ({_some(names)}), marked where they are." if names else "Spans of the text."
    if kind == "embedding":
        size = entry["shape"][-1] if entry.get("shape") else None
        return (f"A vector{f' of {size} numbers' if size else ''} for each text (an embedding), and how alike the "
                "texts are (cosine similarity); downloadable as JSON.")
    return "A tensor, shown as numbers."


def _some(names: list[str]) -> str:
    if len(names) <= NAMED:
        return ", ".join(names)
    return f"{', '.join(names[:NAMED])} and {len(names) - NAMED} more"


def _sent_size(path: Path) -> int:
    """What a visitor downloads of a runtime file: its brotli copy when it has one."""
    br = copy_path(path, "br")
    return br.stat().st_size if br.exists() else path.stat().st_size
