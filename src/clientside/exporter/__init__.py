"""Export a Keras 3 model to the TF.js layers format, exactly or not at all."""
from __future__ import annotations

# Importing the layer modules registers their converters.
from . import layers_conv, layers_core, layers_merge, layers_norm, layers_recurrent  # noqa: F401
from .registry import supported_layers
from .writer import export, export_config

__all__ = ["export", "export_config", "supported_layers"]
