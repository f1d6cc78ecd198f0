"""Converters for core, convolution and pooling layers."""
from __future__ import annotations

from .registry import Converted, LayerContext, activation, converts, default_weights, map_config


@converts("InputLayer")
def input_layer(ctx: LayerContext) -> Converted:
    cfg = ctx.config
    out = {"name": ctx.name, "batch_input_shape": list(cfg["batch_shape"]),
           "dtype": cfg.get("dtype", "float32"), "sparse": False}
    if cfg.get("sparse"):
        ctx.refuse("sparse=True", "TF.js has no sparse tensors")
    if cfg.get("ragged"):
        ctx.refuse("ragged=True", "TF.js has no ragged tensors")
    if cfg.get("optional"):
        ctx.refuse("optional=True", "TF.js inputs cannot be optional")
    if isinstance(out["dtype"], dict):
        out["dtype"] = out["dtype"].get("config", {}).get("name", "float32")
    return Converted("InputLayer", out)


@converts("Dense")
def dense(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("units", "use_bias"),
                     require={"lora_rank": (None, 0), "quantization_config": None},
                     drop=("activation", "lora_alpha"))
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    return Converted("Dense", cfg)




@converts("Conv1D", "Conv2D", "Conv3D")
def conv(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("filters", "kernel_size", "strides", "padding", "data_format",
                                "dilation_rate", "use_bias"),
                     require={"groups": 1}, drop=("activation",))
    if ctx.config.get("padding") == "causal" and ctx.class_name != "Conv1D":
        ctx.refuse("padding='causal'", "only Conv1D supports causal padding")
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    return Converted(ctx.class_name, cfg)


def _pool(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("pool_size", "strides", "padding", "data_format"))
    return Converted(ctx.class_name, cfg)


for _name in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
              "AveragePooling1D", "AveragePooling2D", "AveragePooling3D"):
    converts(_name)(_pool)


@converts("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D")
def global_pool(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("data_format",), require={"keepdims": False})
    return Converted(ctx.class_name, cfg)


@converts("Flatten")
def flatten(ctx: LayerContext) -> Converted:
    return Converted("Flatten", map_config(ctx, keep=("data_format",)))


@converts("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
          "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization")
def training_only(ctx: LayerContext) -> Converted:
    """Identity at inference: written as a Dropout TF.js knows (rate kept for the record)."""
    rate = ctx.config.get("rate", 0.0)
    return Converted("Dropout", {"name": ctx.name, "trainable": ctx.config.get("trainable", True),
                                 "rate": rate if isinstance(rate, (int, float)) else 0.0})


@converts("Activation")
def activation_layer(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, drop=("activation",))
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    return Converted("Activation", cfg)


@converts("Reshape")
def reshape(ctx: LayerContext) -> Converted:
    return Converted("Reshape", map_config(ctx, keep=("target_shape",)))


__all__ = ["default_weights"]
