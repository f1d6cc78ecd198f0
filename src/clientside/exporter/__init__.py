"""Export a Keras 3 model to the TF.js layers format, exactly or not at all."""
from __future__ import annotations

from . import layers_core  # noqa: F401  (registers the converters)
from .writer import export, export_config

__all__ = ["export", "export_config"]
