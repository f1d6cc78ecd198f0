"""The Keras 3 -> TF.js layers converter: one small converter per layer class, in a registry."""
from __future__ import annotations

from collections.abc import Sequence

# Importing the layer modules registers their converters.
from . import layers_conv, layers_core, layers_merge, layers_norm, layers_recurrent  # noqa: F401 - imported to register
from .registry import Problem, supported_layers

__all__ = ["Problem", "reasons", "refusal", "supported_layers"]


def reasons(problems: Sequence[Problem], limit: int = 3) -> list[str]:
    """One line per setting, with the layers it hits (why a model went to another runtime)."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for p in problems:
        groups.setdefault((p.class_name, p.setting, p.reason), []).append(p.layer)
    lines = []
    for (class_name, setting, reason), layers in groups.items():
        where = ", ".join(layers[:limit]) + (f" and {len(layers) - limit} more" if len(layers) > limit else "")
        lines.append(f"  - {class_name} {where}: {setting}: {reason}")
    return lines


def refusal(problems: Sequence[Problem]) -> str:
    """Every problem of every layer, in one error (before anything is written)."""
    lines = [f"Cannot export this model to TF.js exactly ({len(problems)} problem"
             f"{'s' if len(problems) != 1 else ''}); nothing was written:"]
    return "\n".join(lines + [f"  - {p}" for p in problems])
