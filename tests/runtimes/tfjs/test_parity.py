"""Every supported layer kind, activation and model kind: TF.js (Node) equals Keras."""
from __future__ import annotations

import keras
import pytest
from keras import layers as L

from clientside.runtimes.tfjs.converter.registry import ACTIVATIONS
from tests.runtimes.tfjs.parity import Case, checked_diff, randomize, run_cases

pytestmark = pytest.mark.node


def seq(shape, *layers, dtype="float32"):
    return lambda: randomize(keras.Sequential([keras.Input(shape, dtype=dtype), *layers]))


def two_inputs(merge, shape=(4, 3)):
    def build():
        a, b = keras.Input(shape), keras.Input(shape)
        return randomize(keras.Model([a, b], merge([L.Dense(shape[-1])(a), b])))
    return build


def branches_and_shared():
    x = keras.Input((8, 8, 3))
    shared = L.Conv2D(4, 3, padding="same", activation="relu", name="shared_conv")
    a = shared(x)
    b = shared(L.Conv2D(3, 1, name="mix")(x))  # the same layer called twice
    c = L.Concatenate()([a, b, L.MaxPooling2D(1)(x)])
    y = L.GlobalAveragePooling2D()(L.BatchNormalization()(c))
    return randomize(keras.Model(x, L.Dense(5)(y)))


def multi_io():
    image, meta = keras.Input((6, 6, 2), name="image"), keras.Input((3,), name="meta")
    h = L.Flatten()(L.Conv2D(2, 3)(image))
    h = L.Concatenate()([h, L.Dense(4, activation="tanh")(meta)])
    return randomize(keras.Model([image, meta], [L.Dense(3, name="cls")(h), L.Dense(1, name="reg")(h)]))


def nested():
    block = keras.Sequential([keras.Input((5,)), L.Dense(6, activation="relu"), L.Dense(5)], name="block")
    fin = keras.Input((5,))
    head = keras.Model(fin, L.Dense(2)(fin), name="head")
    x = keras.Input((5,))
    y = block(block(x))  # a nested model, shared
    return randomize(keras.Model(x, [head(y), block(x)]))


CASES = [
    Case("dense", seq((5,), L.Dense(4))),
    Case("dense_no_bias", seq((5,), L.Dense(4, use_bias=False))),
    *[Case(f"activation_{a}", seq((6,), L.Dense(5, activation=a))) for a in sorted(ACTIVATIONS)],
    *[Case(f"activation_layer_{a}", seq((6,), L.Activation(a))) for a in ("relu", "softmax", "silu", "gelu")],
    Case("conv1d", seq((10, 3), L.Conv1D(4, 3))),
    Case("conv1d_same_strides", seq((10, 3), L.Conv1D(4, 3, strides=2, padding="same"))),
    Case("conv1d_dilated", seq((10, 3), L.Conv1D(4, 3, dilation_rate=2))),
    Case("conv2d", seq((8, 8, 3), L.Conv2D(4, 3, activation="relu"))),
    Case("conv2d_same_strides", seq((9, 9, 3), L.Conv2D(4, 3, strides=2, padding="same"))),
    Case("conv2d_dilated", seq((9, 9, 3), L.Conv2D(4, 3, dilation_rate=2))),
    Case("conv3d", seq((6, 6, 6, 2), L.Conv3D(3, 2))),
    Case("channels_first_2d", seq((3, 8, 8), L.Conv2D(4, 3, data_format="channels_first"),
                                  L.DepthwiseConv2D(3, data_format="channels_first"),
                                  L.UpSampling2D(data_format="channels_first"),
                                  L.ZeroPadding2D(data_format="channels_first"),
                                  L.MaxPooling2D(2, data_format="channels_first"),
                                  L.AveragePooling2D(2, data_format="channels_first"),
                                  L.Flatten(data_format="channels_first"), L.Dense(3))),
    Case("channels_first_global_pool", seq((3, 8, 8), L.GlobalAveragePooling2D(data_format="channels_first"))),
    Case("depthwise_conv2d", seq((8, 8, 3), L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"))),
    Case("separable_conv2d", seq((8, 8, 3), L.SeparableConv2D(4, 3))),
    Case("conv2d_transpose", seq((5, 5, 3), L.Conv2DTranspose(4, 3, strides=2, padding="same"))),
    Case("conv2d_transpose_valid", seq((5, 5, 3), L.Conv2DTranspose(2, 3))),
    Case("conv3d_transpose", seq((3, 3, 3, 2), L.Conv3DTranspose(2, 2, strides=2))),
    Case("max_pooling1d", seq((10, 3), L.MaxPooling1D(2))),
    Case("max_pooling2d_same", seq((7, 7, 3), L.MaxPooling2D(2, padding="same"))),
    Case("max_pooling3d", seq((4, 4, 4, 2), L.MaxPooling3D(2))),
    Case("average_pooling1d", seq((10, 3), L.AveragePooling1D(2))),
    Case("average_pooling2d", seq((8, 8, 3), L.AveragePooling2D(2))),
    Case("average_pooling2d_same", seq((7, 7, 3), L.AveragePooling2D(3, strides=2, padding="same"))),
    Case("average_pooling3d", seq((4, 4, 4, 2), L.AveragePooling3D(2))),
    Case("global_max_pooling1d", seq((10, 3), L.GlobalMaxPooling1D())),
    Case("global_average_pooling1d", seq((10, 3), L.GlobalAveragePooling1D())),
    Case("global_max_pooling2d", seq((6, 6, 3), L.GlobalMaxPooling2D())),
    Case("global_average_pooling2d", seq((6, 6, 3), L.GlobalAveragePooling2D())),
    Case("batch_normalization", seq((6, 6, 3), L.BatchNormalization())),
    Case("batch_normalization_no_scale", seq((5,), L.BatchNormalization(center=False, scale=False, epsilon=0.1))),
    Case("layer_normalization", seq((4, 6), L.LayerNormalization())),
    Case("layer_normalization_axes", seq((4, 6), L.LayerNormalization(axis=[1, 2], epsilon=1e-2))),
    Case("dropout_family", seq((4, 4, 3), L.Dropout(0.5), L.SpatialDropout2D(0.3), L.GaussianNoise(1.0),
                               L.GaussianDropout(0.2), L.AlphaDropout(0.1), L.Dense(2))),
    Case("flatten", seq((3, 4, 2), L.Flatten(), L.Dense(3))),
    Case("reshape", seq((12,), L.Reshape((3, 4)), L.Dense(2))),
    Case("reshape_infer", seq((12,), L.Reshape((-1, 2)), L.Dense(2))),
    Case("permute", seq((3, 4), L.Permute((2, 1)), L.Dense(2))),
    Case("repeat_vector", seq((3,), L.RepeatVector(4), L.Dense(2))),
    Case("zero_padding2d", seq((4, 4, 2), L.ZeroPadding2D(((1, 2), (0, 1))), L.Conv2D(2, 3))),
    Case("cropping2d", seq((6, 6, 2), L.Cropping2D(((1, 0), (2, 1))), L.Conv2D(2, 2))),
    Case("upsampling2d", seq((3, 3, 2), L.UpSampling2D((2, 3)), L.Conv2D(2, 2))),
    Case("add", two_inputs(L.Add())),
    Case("multiply", two_inputs(L.Multiply())),
    Case("average", two_inputs(L.Average())),
    Case("maximum", two_inputs(L.Maximum())),
    Case("minimum", two_inputs(L.Minimum())),
    Case("concatenate", two_inputs(L.Concatenate(axis=1))),
    Case("dot", two_inputs(L.Dot(axes=(2, 2)))),
    Case("dot_normalize", two_inputs(L.Dot(axes=1, normalize=True), shape=(5,))),
    Case("relu_max_value", seq((6,), L.Dense(6), L.ReLU(max_value=0.5))),
    Case("leaky_relu", seq((6,), L.Dense(6), L.LeakyReLU(negative_slope=0.1))),
    Case("prelu", seq((4, 3), L.PReLU())),
    Case("prelu_shared_axes", seq((4, 4, 3), L.PReLU(shared_axes=[1, 2]))),
    Case("elu", seq((6,), L.ELU())),
    Case("softmax", seq((3, 4), L.Softmax())),
    Case("softmax_last_axis_by_number", seq((3, 4), L.Softmax(axis=2))),
    Case("embedding", seq((5,), L.Embedding(10, 4), L.Flatten(), dtype="int32")),
    Case("simple_rnn", seq((5, 3), L.SimpleRNN(4))),
    Case("lstm_sequences", seq((5, 3), L.LSTM(4, return_sequences=True))),
    Case("gru_reset_before", seq((5, 3), L.GRU(4, reset_after=False))),
    Case("lstm_go_backwards", seq((5, 3), L.LSTM(4, go_backwards=True))),
    Case("bidirectional_lstm", seq((5, 3), L.Bidirectional(L.LSTM(4)))),
    Case("bidirectional_gru_sum", seq((5, 3), L.Bidirectional(L.GRU(3, reset_after=False, return_sequences=True),
                                                              merge_mode="sum"))),
    Case("time_distributed_dense", seq((5, 3), L.TimeDistributed(L.Dense(4)))),
    Case("time_distributed_conv2d", seq((2, 6, 6, 3), L.TimeDistributed(L.Conv2D(2, 3)))),
    Case("rescaling", seq((4,), L.Rescaling(1 / 255, offset=-0.5), L.Dense(2))),
    Case("activity_regularization", seq((5,), L.Dense(4), L.ActivityRegularization(l1=0.1), L.Dense(2))),
    Case("spatial_dropout1d", seq((5, 3), L.SpatialDropout1D(0.3), L.Dense(2))),
    Case("spatial_dropout3d", seq((2, 3, 3, 2), L.SpatialDropout3D(0.3), L.Flatten(), L.Dense(2))),
    Case("functional_branches_shared", branches_and_shared),
    Case("multi_input_multi_output", multi_io),
    Case("nested_models", nested),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory.mktemp("parity"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_layer_parity(results, case):
    checked_diff(results, case)
