"""Converters for convolution, pooling, padding, cropping and upsampling layers."""
from __future__ import annotations

from typing import Any

from .registry import Converted, LayerContext, activation, converts, default_weights, map_config

_CONV_KEYS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "use_bias")


def _conv_common(ctx: LayerContext, keep: tuple[str, ...], drop: tuple[str, ...] = (),
                 **kwargs: Any) -> dict:
    cfg = map_config(ctx, keep=keep, drop=("activation", *drop), **kwargs)
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    return cfg


def _refuse_1d_channels_first(ctx: LayerContext) -> None:
    # TF.js's 1D layers ignore data_format: the output would have the wrong shape.
    if ctx.class_name.endswith("1D") and ctx.config.get("data_format") == "channels_first":
        ctx.refuse("data_format='channels_first'", "TF.js's 1D layers only compute channels_last; "
                   "use channels_last (a Permute((2, 1)) before the layer)")


@converts("Conv1D", "Conv2D", "Conv3D")
def conv(ctx: LayerContext) -> Converted:
    _refuse_1d_channels_first(ctx)
    cfg = _conv_common(ctx, _CONV_KEYS, require={"groups": 1})
    if ctx.config.get("padding") == "causal":
        ctx.refuse("padding='causal'", "TF.js 4.22 has not implemented causal padding "
                   "(it fails at prediction time); pad with ZeroPadding1D((k-1)*d, 0) and use 'valid'")
    return Converted(ctx.class_name, cfg)


@converts("Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(ctx: LayerContext) -> Converted:
    dilation = ctx.config.get("dilation_rate")
    cfg = _conv_common(ctx, ("filters", "kernel_size", "strides", "padding", "data_format", "use_bias"),
                       require={"output_padding": None}, drop=("dilation_rate",))
    if dilation is not None and any(d != 1 for d in dilation):
        ctx.refuse(f"dilation_rate={dilation!r}", "TF.js's transposed convolutions are not dilated")
    return Converted(ctx.class_name, cfg)


def _depthwise_weights(layer: Any) -> list:
    # Keras 3 calls the depthwise kernel `kernel`; TF.js expects `depthwise_kernel`.
    return [(name.replace("/kernel", "/depthwise_kernel") if name.endswith("/kernel") else name, w)
            for name, w in default_weights(layer)]


@converts("DepthwiseConv2D", weights=_depthwise_weights)
def depthwise(ctx: LayerContext) -> Converted:
    cfg = _conv_common(ctx, ("kernel_size", "strides", "padding", "data_format", "dilation_rate",
                             "use_bias", "depth_multiplier"))
    return Converted("DepthwiseConv2D", cfg)


@converts("SeparableConv2D")
def separable(ctx: LayerContext) -> Converted:
    cfg = _conv_common(ctx, (*_CONV_KEYS, "depth_multiplier"))
    return Converted("SeparableConv2D", cfg)


def _pool(ctx: LayerContext) -> Converted:
    _refuse_1d_channels_first(ctx)
    return Converted(ctx.class_name, map_config(ctx, keep=("pool_size", "strides", "padding", "data_format")))


for _name in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
              "AveragePooling1D", "AveragePooling2D", "AveragePooling3D"):
    converts(_name)(_pool)


@converts("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D")
def global_pool(ctx: LayerContext) -> Converted:
    _refuse_1d_channels_first(ctx)
    return Converted(ctx.class_name, map_config(ctx, keep=("data_format",), require={"keepdims": False}))


@converts("ZeroPadding2D")
def zero_padding(ctx: LayerContext) -> Converted:
    return Converted("ZeroPadding2D", map_config(ctx, keep=("padding", "data_format")))


@converts("Cropping2D")
def cropping(ctx: LayerContext) -> Converted:
    return Converted("Cropping2D", map_config(ctx, keep=("cropping", "data_format")))


@converts("UpSampling2D")
def upsampling(ctx: LayerContext) -> Converted:
    # Keras 3 resizes bilinearly with half-pixel centres, TF.js without: only nearest is equal.
    return Converted("UpSampling2D", map_config(ctx, keep=("size", "data_format"),
                                                require={"interpolation": "nearest"}))
