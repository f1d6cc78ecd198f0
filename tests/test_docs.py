"""Docs checked against code: what the README says is supported is what the registry does."""
from __future__ import annotations

import re

from clientside.runtimes.tfjs.converter import supported_layers
from clientside.runtimes.tfjs.converter.registry import REFUSED_LAYERS
from tests.helpers import REPO

README = (REPO / "README.md").read_text()


def test_readme_lists_every_supported_layer_and_no_other():
    line = next(text for text in README.splitlines() if text.startswith("`Activation`"))
    assert re.findall(r"`(\w+)`", line) == supported_layers()


def test_every_supported_layer_has_a_parity_test():
    """The README says so: each converter is run against real TF.js by some parity case."""
    sources = "".join(p.read_text() for p in (REPO / "tests" / "runtimes" / "tfjs").glob("test_*.py"))
    untested = [name for name in supported_layers() if name != "InputLayer" and f"L.{name}(" not in sources]
    assert untested == []


def test_readme_names_every_refused_layer():
    for name in REFUSED_LAYERS:
        assert name in README


def test_every_cli_command_is_in_the_readme():
    from clientside.cli import main

    for name in main.commands:
        assert f"clientside {name}" in README


def test_the_sources_table_has_one_row_per_registered_source_with_its_suffixes_and_extra():
    import tomllib

    from clientside.sources import SOURCES

    section = README.split("### Every source", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = [re.match(r"\| `([\w-]+)`", row).group(1) for row in rows]
    assert names == [s.name for s in SOURCES]
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for source, row in zip(SOURCES, rows):
        for suffix in source.suffixes:
            assert f"`{suffix}`" in row, (source.name, suffix)
        named = re.findall(r"clientside\[(\w+)\]", row)
        alone = "| `clientside` alone" in row  # a source that needs no extra says so
        assert (named or alone) and all(extra in extras for extra in named), (source.name, named)


def test_the_audio_steps_table_has_one_row_per_step_with_its_parameters():
    from clientside.steps import audio

    section = README[README.index("### Audio steps"):README.index("## Deploy")]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)`.*$", section, re.M)}
    assert sorted(rows) == sorted(audio.STEPS)
    from clientside.steps import parameters

    for op, fn in audio.STEPS.items():
        for name in parameters(fn):
            assert f"`{name}`" in rows[op], f"{op}: {name}"
