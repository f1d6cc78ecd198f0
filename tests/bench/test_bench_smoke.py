"""`make bench` code, run small and fast so a broken benchmark shows up in `make test`.
No timing is asserted (timings here swing by 50%): only that each part runs, counts what
it should, and writes its table; and the facts that do not depend on speed (a warm visit
downloads no model bytes, no request per prediction in the default mode)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import SEVEN

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

# bench/ is a folder of scripts, not a package: its modules are imported once it is on the path
import baseline_app  # noqa: E402 - after sys.path
import browser_bench  # noqa: E402 - after sys.path
import export_bench  # noqa: E402 - after sys.path
import image_path_bench  # noqa: E402 - after sys.path
import inference_bench  # noqa: E402 - after sys.path
import server_bench  # noqa: E402 - after sys.path

from clientside.steps import image as preprocess  # noqa: E402 - after sys.path

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def small_keras(tmp_path_factory):
    """A small CNN saved as .keras, and its bundle."""
    import keras

    from tests.helpers import export_tfjs as export

    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    folder = tmp_path_factory.mktemp("bench")
    model.save(folder / "small.keras")
    bundle = export(model, folder / "small", labels=list("0123456789"), preprocess="mnist", quantize="uint8")
    return folder / "small.keras", bundle


def test_visitor_and_page_overhead(browser, small_keras, monkeypatch):
    monkeypatch.setattr(browser_bench, "RUNS", 1)
    monkeypatch.setattr(browser_bench, "OVERHEAD_RUNS", 3)
    _, bundle = small_keras
    section, figures = browser_bench.run(bundle, SEVEN, [("small", bundle, SEVEN)], browser)
    assert figures["requests_per_prediction"] == 0
    assert figures["warm_model_bytes"] == 0
    assert figures["warm_ms"] > 0 and figures["cold_bytes"] > 100_000
    assert "| browser |" in section and "| server |" in section and "| small (upload-seven.png) | wasm |" in section
    overhead = figures["overhead"]["small"]
    assert overhead["total"] >= overhead["inference"] > 0 and overhead["preprocessing"] > 0
    # the Targets table of BENCHMARKS.md renders from these figures
    import run

    table = run.targets({"MobileNetV2 224": 12.0, "MNIST CNN": 1.5}, figures, {"MNIST CNN": 3.0},
                        {"blob-fused": 9.0, "camera small": 20.0})
    assert "| small: the page's own overhead small next to inference |" in table
    assert "wasm unavailable" in table  # no MobileNetV2 figure was given
    assert "| MobileNetV2: preprocessing at most 1/4 of inference | not measured | **missed** |" in table
    assert "| camera: frames per second reported | small 20.0 | reported |" in table


def test_image_path_options_and_camera(browser, small_keras, monkeypatch, tmp_path):
    """Every option of the image path runs and keeps parity with Python; the camera loop runs."""
    from PIL import Image

    monkeypatch.setattr(image_path_bench, "RUNS", 2)
    monkeypatch.setattr(image_path_bench, "CAMERA_SECONDS", 1)
    _, bundle = small_keras
    photo = tmp_path / "photo.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(photo)
    rows, figures = image_path_bench.options(bundle, photo, browser)
    assert [r.split(" | ")[0] for r in rows] == ["| " + o for o, _ in image_path_bench.OPTIONS]
    for row in rows:  # each option either ran with parity, or says why it could not
        assert "unavailable" in row or float(row.rstrip(" |").rsplit("| ", 1)[1]) < 1e-4, row
    assert figures["blob-fused"] > 0
    fps = image_path_bench.camera_fps(bundle, SEVEN, browser.browser_type,
                                      {"inputs": [{"widgets": ["upload", "camera"]}]})
    assert isinstance(fps, float) and fps > 0, fps


def test_inference_in_every_backend_and_native(browser, small_keras, monkeypatch):
    small = [("SINGLES", 3), ("BATCH", 4), ("BATCH_RUNS", 1), ("BUDGET_MS", 3000), ("BATCH_BUDGET_MS", 3000)]
    for name, value in small:
        monkeypatch.setattr(inference_bench, name, value)
    keras_file, bundle = small_keras
    section, ratios = inference_bench.run([("small", bundle, keras_file)], browser)
    for backend in inference_bench.BACKENDS:
        row = next(line for line in section.splitlines() if line.startswith(f"| small: TF.js {backend} |"))
        assert "unavailable" not in row and row.split("|")[6].strip() == "3"  # singles run
    assert ratios["small"] > 0


def test_server_cost_of_prepare_and_the_baseline(small_keras, monkeypatch):
    monkeypatch.setattr(server_bench, "DURATION", 1.0)
    keras_file, bundle = small_keras
    b = server_bench.measure("B", str(keras_file), str(bundle), preprocess.MNIST_STEPS, SEVEN)
    assert b["errors"] == 0 and b["n"] > 0 and b["cpu_ms"] > 0
    # A, the baseline, through Flask's test client: it predicts what the model says
    client = baseline_app.create_app(str(keras_file), preprocess.MNIST_STEPS).test_client()
    response = client.post("/predict", data={"file": (SEVEN.open("rb"), SEVEN.name)})
    assert response.status_code == 200
    probs = np.array(response.get_json()["probabilities"])
    assert probs.shape == (1, 10) and abs(probs.sum() - 1) < 1e-4


def test_reliability_section(small_keras, monkeypatch):
    import reliability_bench

    monkeypatch.setattr(reliability_bench, "SOAK_PREPARES", 60)
    monkeypatch.setattr(reliability_bench, "MIXED_SECONDS", 1.0)
    monkeypatch.setattr(reliability_bench, "STALLED", 16)
    monkeypatch.setattr(reliability_bench, "IDLE", 16)
    section, result = reliability_bench.run(small_keras[1], SEVEN, SEVEN)
    assert "## Reliability" in section and "**FAILED**" not in section, section
    assert result["passed"]


def test_export_measure(small_keras, tmp_path):
    """The export section's measurement of each quantization variant, on a small model."""
    keras_file, _ = small_keras
    results = export_bench.measure(str(keras_file), tmp_path / "small")
    assert sorted(results) == sorted(export_bench.VARIANTS)
    sizes = {v: r["bytes"] for v, r in results.items()}
    assert sizes["float32"] > sizes["float16"] > sizes["uint8"] > 0 and results["float32"]["params"] > 0


def test_two_runtimes(browser, small_keras, monkeypatch, tmp_path):
    """Both runtimes in every configuration run (isolated pages really are), native rows
    too, and an ONNX bundle's returning visit downloads no model bytes."""
    import onnx_bench
    import run

    monkeypatch.setattr(onnx_bench, "SINGLES", 3)
    monkeypatch.setattr(onnx_bench, "BROTLI_QUALITY", 1)  # q11 takes 3 minutes over ORT's four builds
    monkeypatch.setattr(onnx_bench, "BUDGET_MS", 1000)
    monkeypatch.setattr(onnx_bench, "BATCH_BUDGET_MS", 2000)
    monkeypatch.setattr(inference_bench, "SINGLES", 3)
    monkeypatch.setattr(browser_bench, "RUNS", 1)
    keras_file, bundle = small_keras
    onnx = onnx_bench.onnx_bundle(keras_file, tmp_path / "onnx", preprocess="mnist", labels=list("0123456789"))
    section, figures = onnx_bench.run([("small", bundle, onnx, keras_file)], (onnx, SEVEN), browser)
    measured = {name for (label, name) in figures["single"]}
    assert measured == {c[0] for c in onnx_bench.CONFIGS} | {onnx_bench.SHIM, "Keras/JAX (native)",
                                                             "onnxruntime, Python (native)"}
    assert "unavailable" not in section
    for name, _, isolate, _ in onnx_bench.CONFIGS:  # the worker itself was cross-origin isolated, or not
        assert figures["isolated"][("small", name)] is isolate
    assert figures["isolated"][("small", onnx_bench.SHIM)] is True  # by the service worker, on a plain host
    assert figures["visit"]["warm_model_bytes"] == 0 and figures["visit"]["requests_per_prediction"] == 0
    assert "| ort-wasm-simd-threaded.wasm (CPU: every ONNX page) |" in section
    assert "| file | raw | gzip -9 | brotli q1 |" in section
    rows = run._runtime_targets({"single": {("MobileNetV2 224", "ORT Web wasm, 1 thread"): 50.0,
                                            ("MobileNetV2 224", "TF.js wasm"): 60.0}, "visit": figures["visit"]})
    assert rows[0][2] == "reached" and rows[1][0] == "MNIST page with ORT: cold visit at most 3 MB"


def test_the_self_check_cost_and_webgpu_s_answers(gpu_browser, small_keras, monkeypatch, tmp_path):
    """The self-check section: a time for wasm, none for WebGPU (SwiftShader), every verdict
    cached on the reload, every difference within the bundle's tolerance."""
    import check_bench
    import onnx_bench

    monkeypatch.setattr(check_bench, "RUNS", 1)
    keras_file, _ = small_keras
    cases = [("small", onnx_bench.onnx_bundle(keras_file, tmp_path / r, runtime=r)) for r in ("tfjs", "onnx")]
    section, figures = check_bench.run(cases, gpu_browser)
    assert set(figures) == {("small", r, b) for r in ("tfjs", "onnx") for b in ("wasm", "webgpu")}, section
    for (_, _, backend), found in figures.items():
        assert found["cached"] and found["difference"] <= 1e-3
        assert ("check_ms" in found) is (backend == "wasm")
        if backend == "wasm":
            assert 0 < found["check_ms"] < found["ready_ms"]
    assert "| small | onnx | webgpu (SwiftShader: correctness only) | not timed |" in section


def test_ort_warm_start(browser, small_keras, monkeypatch, tmp_path):
    """The warm-start section: each option and visit measured, every step in its order."""
    import onnx_bench
    import warm_start_bench

    monkeypatch.setattr(warm_start_bench, "RUNS", 1)
    monkeypatch.setattr(warm_start_bench, "DWELL_MS", 100)
    keras_file, _ = small_keras
    bundle = onnx_bench.onnx_bundle(keras_file, tmp_path / "onnx", preprocess="mnist", labels=list("0123456789"))
    section, figures = warm_start_bench.run(bundle, SEVEN, browser)
    visits = {k: v for k, v in figures.items() if k[1] != "trace"}
    assert len(visits) == 2 * 3, section
    for found in visits.values():
        assert 0 < found["import"] <= found["session"] <= found["worker"] < found["ready"] < found["shown"], found
    assert "| service worker (as shipped) | second return, after 0 s on the page |" in section
    traces = [v for k, v in figures.items() if k[1] == "trace"]
    assert len(traces) == 2
    for found in traces:  # V8's events were found: ORT's wasm was compiled, anew or from the cache
        assert found["streamed"] > 0 and found["background"] + found["lazy"] > 0, found


def test_ort_web_against_native_per_operator(browser, small_keras, tmp_path, monkeypatch):
    """The profile section: both sides' per-operator tables, the optimized graph with fewer
    nodes than the one as exported, and what ORT says of its other CPU execution providers."""
    import onnx_bench
    import ort_profile_bench
    import run

    monkeypatch.setattr(ort_profile_bench, "RUNS", 3)
    keras_file, _ = small_keras
    cases = [(label, onnx_bench.onnx_bundle(keras_file, tmp_path / str(optimize), optimize=optimize))
             for label, optimize in (("as exported", False), (run.PROFILED, True))]
    section, figures = ort_profile_bench.run(cases, browser)
    assert set(figures) == {"as exported", run.PROFILED}, section
    assert "| Conv |" in section and "| all kernels |" in section
    assert "XNNPACK: " in section and "WebNN (Chromium's, CPU): " in section
    row = run._native_target(figures)
    assert row[1].startswith(f"{figures[run.PROFILED][0]:.1f} ms against") and row[2] in ("reached", "**missed**")


def test_hugging_face_page_side(browser, hf_sentiment, hf_sentiment_bundle, monkeypatch):
    """The clientside half of the Hugging Face bench (the peer, Transformers.js, is installed by
    make bench only): sentences of an exact token count, the page's worker on each case, a warm
    visit that downloads no model bytes, and the renderer's peak memory found."""
    import hf_bench
    import transformers

    monkeypatch.setattr(hf_bench, "VISITS", 1)
    monkeypatch.setattr(hf_bench, "RUNS", 1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(hf_sentiment)
    texts = hf_bench.sentences(tokenizer, 20, 3, seed=1)
    assert len(set(texts)) == 3 and all(len(tokenizer(t)["input_ids"]) == 20 for t in texts)
    cases = {(1, 32): texts[:1], (3, 32): texts}
    found = hf_bench.ours(hf_sentiment_bundle, cases, browser)
    assert found["warm_model_bytes"] == 0 and found["cold_bytes"][0] > 0
    assert found["peak_mb"] and found["peak_mb"] > 0
    ids = tokenizer(texts, padding=True, truncation=True)["input_ids"]
    assert found[(3, 32)]["ids"] == [i for row in ids for i in row]
    assert len(found[(3, 32)]["logits"]) == 3 * 2


def test_audio_steps_live_windows_and_bytes(playwright, tmp_path, monkeypatch):
    """The audio section on the keyword demo's model, untrained (the bench trains it): the
    page's steps and Python's each timed on every preset, live windows counted, each file's bytes."""
    import audio_bench

    from clientside import export
    from clientside.keywords import data, train

    monkeypatch.setattr(audio_bench, "SECONDS", 2.0)
    monkeypatch.setattr(audio_bench, "PRESETS", dict(list(audio_bench.PRESETS.items())[:1]))
    bundle = export(train.build_model(), tmp_path / "keywords", labels=list(data.LABELS), preprocess=train.PRESET,
                    say=lambda _: None)
    section, figures = audio_bench.run(bundle, runs=1, live_seconds=2, playwright=playwright)
    assert set(figures["speed"]) == set(audio_bench.PRESETS)
    assert all(f["page_ms"] > 0 and f["python_ms"] > 0 for f in figures["speed"].values())
    assert isinstance(figures["live"], dict) and figures["live"]["windows_per_second"] > 0, figures["live"]
    assert figures["bytes"]["vendor/fourier-transform.mjs"]["brotli"] < figures["bytes"][
        "vendor/fourier-transform.mjs"]["raw"]
    # sound's files load on pages that take sound only
    assert {s["group"] for s in figures["bytes"].values()} == set(audio_bench.GROUPS) - {"every page"}
    assert "## Audio" in section and "windows per second" in section


def test_the_audio_section_alone_replaces_only_itself(tmp_path):
    import audio_bench

    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Export\n\nfigures\n\n## Hugging Face exporters\n\nkept\n")
    audio_bench.write_section("## Audio\n\nfirst\n", path)
    assert path.read_text() == ("# Benchmarks\n\n## Export\n\nfigures\n\n## Audio\n\nfirst\n\n"
                                "## Hugging Face exporters\n\nkept\n")
    audio_bench.write_section("## Audio\n\nsecond\n", path)
    assert path.read_text().count("## Audio") == 1 and "second" in path.read_text() and "first" not in path.read_text()
    assert path.read_text().endswith("## Hugging Face exporters\n\nkept\n")
