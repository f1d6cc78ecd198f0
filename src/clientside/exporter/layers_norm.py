"""Converters for normalization layers."""
from __future__ import annotations

from .registry import Converted, LayerContext, converts, map_config


@converts("BatchNormalization")
def batch_norm(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("axis", "epsilon", "center", "scale", "momentum"),
                     require={"synchronized": False, "renorm": False},
                     drop=("renorm_clipping", "renorm_momentum"))
    return Converted("BatchNormalization", cfg)


@converts("LayerNormalization")
def layer_norm(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("axis", "epsilon", "center", "scale"), require={"rms_scaling": False})
    return Converted("LayerNormalization", cfg)
