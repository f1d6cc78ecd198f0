"""The Keras 3 -> TF.js layers converter: one small converter per layer class, in a registry."""
from __future__ import annotations

# Importing the layer modules registers their converters.
from . import layers_conv, layers_core, layers_merge, layers_norm, layers_recurrent  # noqa: F401
from .registry import supported_layers

__all__ = ["supported_layers"]
