"""Converters for merge layers (several inputs, one output)."""
from __future__ import annotations

from .registry import Converted, LayerContext, converts, map_config


@converts("Add", "Multiply", "Average", "Maximum", "Minimum")
def elementwise(ctx: LayerContext) -> Converted:
    return Converted(ctx.class_name, map_config(ctx))


@converts("Concatenate")
def concatenate(ctx: LayerContext) -> Converted:
    return Converted("Concatenate", map_config(ctx, keep=("axis",)))


@converts("Dot")
def dot(ctx: LayerContext) -> Converted:
    return Converted("Dot", map_config(ctx, keep=("axes", "normalize")))
