"""Converters for normalization layers."""
from __future__ import annotations

from .registry import Converted, LayerContext, converts, first_input_shape, map_config


@converts("BatchNormalization")
def batch_norm(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("axis", "epsilon", "center", "scale", "momentum"),
                     require={"synchronized": False, "renorm": False},
                     drop=("renorm_clipping", "renorm_momentum"))
    axis = ctx.config.get("axis", -1)
    shape = first_input_shape(ctx.layer)
    rank = None if shape is None else len(shape)
    if axis != -1 and axis != (None if rank is None else rank - 1):
        # Measured: axis=1 on a [n, c, h, w] input loads in TF.js and predicts wrongly
        # (differences of the order of the output itself).
        ctx.refuse(f"axis={axis!r}", "TF.js normalizes wrongly along any axis but the last; "
                   "use channels_last and axis=-1")
    return Converted("BatchNormalization", cfg)


@converts("LayerNormalization")
def layer_norm(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("axis", "epsilon", "center", "scale"), require={"rms_scaling": False})
    return Converted("LayerNormalization", cfg)
