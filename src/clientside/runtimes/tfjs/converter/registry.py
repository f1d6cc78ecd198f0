"""Per-layer converters: Keras 3 layer config -> TF.js layers config, or a refusal.

Each converter is one small function registered under the Keras class name. It sees a
`LayerContext` and returns the TF.js class name and config. It never guesses: any
setting it does not know is refused, because TF.js silently ignores unknown keys and a
model that loads but predicts differently is the worst outcome.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Config = dict[str, Any]


@dataclass
class Problem:
    """One reason a layer cannot be exported exactly."""

    layer: str
    class_name: str
    setting: str
    reason: str

    def __str__(self) -> str:
        return f"{self.layer} ({self.class_name}): {self.setting}: {self.reason}"


@dataclass
class LayerContext:
    """What a converter needs: the layer, its Keras config, and where to report problems."""

    layer: Any
    class_name: str
    config: Config
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.get("name", getattr(self.layer, "name", "?"))

    def refuse(self, setting: str, reason: str) -> None:
        self.problems.append(Problem(self.name, self.class_name, setting, reason))


@dataclass(frozen=True)
class Converted:
    class_name: str
    config: Config


Converter = Callable[[LayerContext], Converted | None]
WeightNamer = Callable[[Any], list[tuple[str, Any]]]

_CONVERTERS: dict[str, Converter] = {}
_WEIGHTS: dict[str, WeightNamer] = {}


def register_converter(class_name: str, fn: Converter, weights: WeightNamer | None = None) -> None:
    _CONVERTERS[class_name] = fn
    if weights is not None:
        _WEIGHTS[class_name] = weights


def converts(*class_names: str, weights: WeightNamer | None = None) -> Callable[[Converter], Converter]:
    """Decorator form of register_converter."""
    def decorator(fn: Converter) -> Converter:
        for name in class_names:
            register_converter(name, fn, weights)
        return fn
    return decorator


def converter_for(class_name: str) -> Converter | None:
    return _CONVERTERS.get(class_name)


#: Keras layers that exist in TF.js differently or not at all, with what to do instead.
REFUSED_LAYERS: dict[str, str] = {
    "Subtract": "TF.js layers has no Subtract layer; compute a - b as "
                "Add()([a, Rescaling(-1.0)(b)]), which exports exactly",
    "Lambda": "a Lambda layer holds Python code, which cannot run in the browser; "
              "replace it with built-in layers",
    "Normalization": "TF.js has no Normalization layer (per-feature mean and variance); "
                     "apply it in preprocessing (the normalize step takes mean and std)",
    "Conv1DTranspose": "TF.js layers does not implement Conv1DTranspose",
    "SeparableConv1D": "TF.js layers does not implement SeparableConv1D",
    "MultiHeadAttention": "TF.js's MultiHeadAttention reads a different config and weight "
                          "layout; not exported until it is verified exact",
    "Attention": "TF.js layers does not implement Attention",
    "ConvLSTM2D": "not verified against TF.js yet",
    # TF.js 4.22 has these three, but each fails once loaded from a model (measured):
    "Resizing": "TF.js 4.22's Resizing fails at prediction time when loaded from a model ('x must be "
                "rank 3 or 4, but got rank 1'), and it resizes with aligned corners where Keras uses "
                "half-pixel centres; resize in preprocessing (the resize step) instead",
    "CenterCrop": "TF.js 4.22's CenterCrop overwrites the model's input shape with the crop size when "
                  "loaded, so the model refuses inputs of the real size; crop in preprocessing instead",
    "CategoryEncoding": "TF.js 4.22's CategoryEncoding overwrites the model's input shape with num_tokens "
                        "when loaded, so the model refuses its real inputs; one-hot encode before the "
                        "model, or use an Embedding",
    "Cropping1D": "TF.js layers does not implement Cropping1D",
    "ZeroPadding1D": "TF.js layers does not implement ZeroPadding1D",
}


def supported_layers() -> list[str]:
    return sorted(_CONVERTERS)


def default_weights(layer: Any) -> list[tuple[str, Any]]:
    """TF.js matches weights by `<layer name>/<weight name>`, e.g. `dense/kernel`."""
    return [(f"{layer.name}/{w.name}", w) for w in layer.weights]


def layer_weights(class_name: str, layer: Any) -> list[tuple[str, Any]]:
    return _WEIGHTS.get(class_name, default_weights)(layer)


# --- config helpers shared by the converters ------------------------------------

#: Initial values are overwritten by the exported weights. Writing Zeros spares the browser
#: generating random numbers for every weight, and TF.js 4.22's Orthogonal initializer
#: (the RNN default) crashes ("rMat.flatten is not a function").
ZEROS = {"class_name": "Zeros", "config": {}}

#: Settings that only matter for training: TF.js gets its defaults, predictions are equal.
TRAINING_ONLY = frozenset({
    "kernel_regularizer", "bias_regularizer", "activity_regularizer", "recurrent_regularizer",
    "embeddings_regularizer", "gamma_regularizer", "beta_regularizer",
    "depthwise_regularizer", "pointwise_regularizer", "alpha_regularizer",
    "kernel_constraint", "bias_constraint", "recurrent_constraint", "embeddings_constraint",
    "gamma_constraint", "beta_constraint", "depthwise_constraint", "pointwise_constraint",
    "alpha_constraint", "seed", "noise_shape",
})

_NO_VALUE = object()


def map_config(ctx: LayerContext, *, keep: Iterable[str] = (), rename: dict[str, str] | None = None,
               require: dict[str, Any] | None = None, drop: Iterable[str] = ()) -> Config:
    """Build a TF.js config from the Keras one, refusing every key not accounted for.

    keep: copied as is. rename: copied under the TF.js name. require: Keras settings
    TF.js cannot honour unless they have this value (refused otherwise). drop: keys that
    cannot change a prediction.
    """
    rename = rename or {}
    require = require or {}
    keep = set(keep)
    drop = set(drop) | TRAINING_ONLY
    out: Config = {"name": ctx.name, "trainable": ctx.config.get("trainable", True)}
    dtype = dtype_name(ctx, ctx.config.get("dtype"))
    if dtype is not None:
        out["dtype"] = dtype
    for key, value in ctx.config.items():
        if key in ("name", "trainable", "dtype"):
            continue
        if key.endswith("_initializer"):
            out[key] = ZEROS
        elif key in keep:
            out[key] = value
        elif key in rename:
            out[rename[key]] = value
        elif key in require:
            allowed = require[key]
            allowed = allowed if isinstance(allowed, tuple) else (allowed,)
            if value not in allowed:
                ctx.refuse(f"{key}={value!r}", f"TF.js only supports {key}={allowed[0]!r}")
        elif key in drop:
            continue
        else:
            ctx.refuse(f"{key}={value!r}", "a setting this exporter does not know how TF.js would compute")
    return out


def dtype_name(ctx: LayerContext, dtype: Any) -> str | None:
    """Keras 3 writes a DTypePolicy dict; TF.js wants a plain dtype. Mixed precision is refused."""
    if dtype is None:
        return None
    name = dtype.get("config", {}).get("name", "float32") if isinstance(dtype, dict) else str(dtype)
    if name in ("float32", "int32", "bool", "string"):
        return name
    if name in ("int64", "int16", "int8", "uint8", "uint16"):
        return "int32"  # integer ids: TF.js holds them as int32, values are equal
    ctx.refuse(f"dtype={name!r}", "TF.js computes in float32 only; export the model with "
               "dtype policy 'float32' (keras.config.set_dtype_policy('float32'), then rebuild)")
    return None


# --- activations ----------------------------------------------------------------

#: Keras 3 activation names that TF.js computes the same way, with TF.js's name.
ACTIVATIONS: dict[str, str] = {
    "linear": "linear", "relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid",
    "tanh": "tanh", "softmax": "softmax", "elu": "elu", "selu": "selu",
    "softplus": "softplus", "softsign": "softsign", "swish": "swish", "silu": "swish",
    "gelu": "gelu", "mish": "mish", "log_softmax": "logSoftmax",
}

#: Keras 3 activations that TF.js lacks or computes differently, and why.
REFUSED_ACTIVATIONS: dict[str, str] = {
    "hard_sigmoid": "Keras 3 computes relu6(x + 3) / 6, TF.js the Keras 2 formula "
                    "clip(0.2x + 0.5, 0, 1): predictions would differ",
    "hard_silu": "TF.js has no hard_silu (hard_swish)",
    "hard_swish": "TF.js has no hard_swish",
    "leaky_relu": "TF.js has no leaky_relu activation; use a keras.layers.LeakyReLU layer",
    "exponential": "TF.js has no exponential activation",
}


def activation(ctx: LayerContext, value: Any, setting: str = "activation") -> str | None:
    name = value
    if isinstance(value, dict):  # serialized function, e.g. from a custom activation
        name = value.get("config", value.get("class_name"))
    if name is None:
        return "linear"
    if not isinstance(name, str):
        ctx.refuse(f"{setting}={value!r}", "a custom activation function cannot be exported")
        return None
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    reason = REFUSED_ACTIVATIONS.get(name, "an activation TF.js does not know")
    ctx.refuse(f"{setting}={name!r}", reason)
    return None


def first_input_shape(layer: Any) -> tuple | None:
    """The shape of the tensor a layer is first called on (Keras 3 also records a mask it
    receives as an input, so `layer.input` may be a list)."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes or not nodes[0].input_tensors:
        return None
    return tuple(nodes[0].input_tensors[0].shape)


def as_array(variable: Any) -> np.ndarray:
    """A Keras variable's value as NumPy, whatever the backend."""
    import keras

    value = getattr(variable, "value", variable)  # the backend tensor behind a KerasVariable
    return np.asarray(keras.ops.convert_to_numpy(value))
