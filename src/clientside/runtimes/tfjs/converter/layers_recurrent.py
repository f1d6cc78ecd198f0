"""Converters for recurrent layers and the wrappers TimeDistributed and Bidirectional."""
from __future__ import annotations

from typing import Any

from .registry import Converted, LayerContext, activation, converter_for, converts, default_weights, map_config

_RNN_KEYS = ("units", "use_bias", "return_sequences", "return_state", "go_backwards", "stateful",
             "unroll")


def _rnn(ctx: LayerContext, extra: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> dict:
    # zero_output_for_mask changes only the masked steps of a returned sequence:
    # exporter/masks.py refuses it wherever those steps are read.
    cfg = map_config(ctx, keep=_RNN_KEYS + extra,
                     drop=("activation", "recurrent_activation", "dropout", "recurrent_dropout",
                           "zero_output_for_mask", *drop))
    cfg["activation"] = activation(ctx, ctx.config.get("activation"))
    if "recurrent_activation" in ctx.config:
        cfg["recurrent_activation"] = activation(ctx, ctx.config["recurrent_activation"],
                                                 "recurrent_activation")
    if ctx.config.get("stateful"):
        ctx.refuse("stateful=True", "state carried between predict() calls is not exported")
    return cfg


@converts("SimpleRNN")
def simple_rnn(ctx: LayerContext) -> Converted:
    return Converted("SimpleRNN", _rnn(ctx))


@converts("LSTM")
def lstm(ctx: LayerContext) -> Converted:
    return Converted("LSTM", _rnn(ctx, ("unit_forget_bias",)))


@converts("GRU")
def gru(ctx: LayerContext) -> Converted:
    if ctx.config.get("reset_after", True):
        ctx.refuse("reset_after=True", "TF.js's GRU only implements reset_after=False (the Keras 3 "
                   "default is True): build the GRU with reset_after=False and retrain")
    return Converted("GRU", _rnn(ctx, drop=("reset_after",)))  # True is refused just above


def _inner(ctx: LayerContext, entry: dict[str, Any], layer: Any) -> Converted | None:
    """Convert the layer inside a wrapper with the same registry (its problems bubble up)."""
    class_name = entry["class_name"]
    converter = converter_for(class_name)
    inner = LayerContext(layer=layer, class_name=class_name, config=entry["config"])
    if converter is None:
        ctx.refuse(f"wrapped layer {class_name}", "a layer TF.js cannot load")
        return None
    converted = converter(inner)
    for problem in inner.problems:
        problem.layer = f"{ctx.name}/{problem.layer}"
    ctx.problems.extend(inner.problems)
    return converted


def _as_tfjs(converted: Converted | None) -> dict | None:
    return None if converted is None else {"class_name": converted.class_name, "config": converted.config}


def _time_distributed_weights(layer: Any) -> list:
    """The wrapped layer's weights, named as TF.js does: <wrapper>/<weight>."""
    from .registry import layer_weights

    inner = layer.layer
    return [(f"{layer.name}/{name.split('/', 1)[1]}", w)
            for name, w in layer_weights(type(inner).__name__, inner)]


@converts("TimeDistributed", weights=_time_distributed_weights)
def time_distributed(ctx: LayerContext) -> Converted:
    inner = _inner(ctx, ctx.config["layer"], getattr(ctx.layer, "layer", None))
    cfg = map_config(ctx, drop=("layer",))
    cfg["layer"] = _as_tfjs(inner)
    return Converted("TimeDistributed", cfg)


def _bidirectional_weights(layer: Any) -> list:
    """TF.js builds both directions from the forward config and names their weights
    <wrapper>/forward_<name>/... and <wrapper>/backward_<name>/..."""
    inner = layer.forward_layer.name
    named = []
    for direction, sub in (("forward", layer.forward_layer), ("backward", layer.backward_layer)):
        for _, w in default_weights(sub):
            named.append((f"{layer.name}/{direction}_{inner}/{w.name}", w))
    return named


@converts("Bidirectional", weights=_bidirectional_weights)
def bidirectional(ctx: LayerContext) -> Converted:
    forward = ctx.config["layer"]
    backward = ctx.config.get("backward_layer")
    if backward is not None:
        f_cfg = {k: v for k, v in forward["config"].items() if k not in ("name", "go_backwards")}
        b_cfg = {k: v for k, v in backward["config"].items() if k not in ("name", "go_backwards")}
        if backward["class_name"] != forward["class_name"] or f_cfg != b_cfg:
            ctx.refuse("backward_layer", "TF.js builds the backward layer as a mirror of the forward "
                       "one; a different backward layer cannot be exported")
    forward_layer = getattr(ctx.layer, "forward_layer", None)
    entry = {"class_name": forward["class_name"],
             "config": {**forward["config"], "name": getattr(forward_layer, "name", forward["config"]["name"])}}
    inner = _inner(ctx, entry, forward_layer)
    cfg = map_config(ctx, keep=("merge_mode",), drop=("layer", "backward_layer"))
    cfg["layer"] = _as_tfjs(inner)
    return Converted("Bidirectional", cfg)
