"""Converters for core layers: inputs, Dense, activations, dropout, reshaping, embedding."""
from __future__ import annotations

from .registry import Converted, LayerContext, activation, converts, first_input_shape, map_config


@converts("InputLayer")
def input_layer(ctx: LayerContext) -> Converted:
    cfg = ctx.config
    dtype = cfg.get("dtype", "float32")
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", "float32")
    if dtype not in ("float32", "int32", "bool"):
        dtype = "int32" if "int" in str(dtype) else dtype
        if dtype != "int32":
            ctx.refuse(f"dtype={cfg.get('dtype')!r}", "TF.js inputs are float32, int32 or bool")
    for flag, reason in (("sparse", "TF.js has no sparse tensors"), ("ragged", "TF.js has no ragged tensors"),
                         ("optional", "TF.js inputs cannot be optional")):
        if cfg.get(flag):
            ctx.refuse(f"{flag}=True", reason)
    return Converted("InputLayer", {"name": ctx.name, "batch_input_shape": list(cfg["batch_shape"]),
                                    "dtype": dtype, "sparse": False})


@converts("Dense")
def dense(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("units", "use_bias"),
                     require={"lora_rank": (None, 0), "quantization_config": None},
                     drop=("activation", "lora_alpha"))
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    return Converted("Dense", cfg)


@converts("Activation")
def activation_layer(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, drop=("activation",))
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    return Converted("Activation", cfg)


@converts("ReLU")
def relu(ctx: LayerContext) -> Converted:
    # TF.js's ReLU has only maxValue: a negative slope or a threshold would be ignored.
    cfg = map_config(ctx, keep=("max_value",),
                     require={"negative_slope": (0.0, 0), "threshold": (0.0, 0)})
    return Converted("ReLU", cfg)


@converts("LeakyReLU")
def leaky_relu(ctx: LayerContext) -> Converted:
    # Keras 3 says negative_slope; TF.js reads alpha and SILENTLY ignores negative_slope.
    return Converted("LeakyReLU", map_config(ctx, rename={"negative_slope": "alpha"}))


@converts("PReLU")
def prelu(ctx: LayerContext) -> Converted:
    return Converted("PReLU", map_config(ctx, keep=("shared_axes",)))


@converts("ELU")
def elu(ctx: LayerContext) -> Converted:
    # TF.js 4.22 throws "Non-default alpha value ... is not supported by the ELU layer yet".
    return Converted("ELU", map_config(ctx, require={"alpha": (1.0, 1)}))


@converts("Softmax")
def softmax(ctx: LayerContext) -> Converted:
    axis = ctx.config.get("axis", -1)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    shape = first_input_shape(ctx.layer)
    rank = None if shape is None else len(shape)
    if len(axes) != 1 or axes[0] not in (-1, None if rank is None else rank - 1):
        ctx.refuse(f"axis={axis!r}", "TF.js only computes softmax along the last axis")
    return Converted("Softmax", map_config(ctx, keep=("axis",)))


@converts("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
          "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization")
def training_only(ctx: LayerContext) -> Converted:
    """Identity at inference: written as a Dropout, which TF.js knows, with rate 0."""
    return Converted("Dropout", {"name": ctx.name, "trainable": ctx.config.get("trainable", True),
                                 "rate": 0.0})


@converts("Flatten")
def flatten(ctx: LayerContext) -> Converted:
    return Converted("Flatten", map_config(ctx, keep=("data_format",)))


@converts("Reshape")
def reshape(ctx: LayerContext) -> Converted:
    return Converted("Reshape", map_config(ctx, keep=("target_shape",)))


@converts("Permute")
def permute(ctx: LayerContext) -> Converted:
    return Converted("Permute", map_config(ctx, keep=("dims",)))


@converts("RepeatVector")
def repeat_vector(ctx: LayerContext) -> Converted:
    return Converted("RepeatVector", map_config(ctx, keep=("n",)))


@converts("Rescaling")
def rescaling(ctx: LayerContext) -> Converted:
    for key in ("scale", "offset"):
        if not isinstance(ctx.config.get(key, 0.0), (int, float)):
            ctx.refuse(f"{key}={ctx.config[key]!r}", "TF.js's Rescaling takes a single number")
    return Converted("Rescaling", map_config(ctx, keep=("scale", "offset")))


@converts("Embedding")
def embedding(ctx: LayerContext) -> Converted:
    cfg = map_config(ctx, keep=("input_dim", "output_dim", "mask_zero"),
                     require={"quantization_config": None, "lora_rank": (None, 0)},
                     drop=("lora_alpha", "input_length"))
    return Converted("Embedding", cfg)


@converts("Masking")
def masking(ctx: LayerContext) -> Converted:
    # Both zero the masked steps and mask a step when all its features equal mask_value;
    # what the mask then does downstream is checked by exporter/masks.py.
    return Converted("Masking", map_config(ctx, keep=("mask_value",)))

