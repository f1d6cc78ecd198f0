"""`pip install clientside` alone gives a working server: the wheel carries TF.js.

The wheel is built from this checkout, installed into a new virtualenv in an empty
folder (no node_modules anywhere above it), without the `train` extra.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import open_page, predict_files
from tests.helpers import REPO, SEVEN, free_port, start_process, stop_process, wait_healthy

HEAVY = ("keras", "jax", "torch", "tensorflow")


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=900, **kwargs)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout, as the README builds it."""
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", "--quiet", "-w", dist)
    [built] = dist.glob("clientside-*.whl")
    print(f"\nwheel: {built.name}, {built.stat().st_size / 1e6:.2f} MB")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """(venv python, an empty working folder): the wheel installed as a user would."""
    home = tmp_path_factory.mktemp("user")
    assert not any((p / "node_modules").exists() for p in [home, *home.parents])
    run(sys.executable, "-m", "venv", home / "venv")
    python = home / "venv" / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    return python, home / "work"


def user_env(python: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CLIENTSIDE_NODE_MODULES", "PYTHONPATH", "VIRTUAL_ENV", "KERAS_BACKEND")}
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    return env


def test_the_wheel_carries_tfjs_as_locked(installed):
    python, _ = installed
    code = ("from clientside.vendor import find_vendor_root, VENDOR_FILES; import json; "
            "print(json.dumps([str(find_vendor_root()), VENDOR_FILES]))")
    root, files = json.loads(run(python, "-c", code, env=user_env(python), cwd="/").stdout)
    assert "site-packages" in root and root.endswith("clientside/vendored")
    manifest = json.loads((Path(root) / "MANIFEST.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())["packages"]
    for name, entry in manifest["packages"].items():
        assert entry == {"version": lock[f"node_modules/{name}"]["version"],
                         "integrity": lock[f"node_modules/{name}"]["integrity"]}
    for rel in files.values():
        assert (Path(root) / rel).read_bytes() == (REPO / "node_modules" / rel).read_bytes()


def test_the_wheel_carries_the_page_and_the_schema(installed):
    """Every file of the page (its module folders included) and the contract's schema."""
    python, _ = installed
    code = "import clientside, pathlib; print(pathlib.Path(clientside.__file__).parent)"
    package = Path(run(python, "-c", code, env=user_env(python), cwd="/").stdout.strip())
    source = REPO / "src" / "clientside"
    wanted = [p.relative_to(source) for p in (source / "server" / "static").rglob("*") if p.is_file()]
    wanted += [Path("contract/bundle.schema.json"), Path("server/templates/index.html")]
    assert len(wanted) > 30
    for rel in wanted:
        assert (package / rel).read_bytes() == (source / rel).read_bytes(), rel


def readme_install_block() -> list[str]:
    """The README's "Installing it elsewhere" commands, line by line, comments dropped."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("**Installing it elsewhere.**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith(" ")]


def test_the_readme_install_lines_run_as_written(installed, wheel, tmp_path):
    """Each `pip install` line of the README, run by bash from a folder holding dist/ (the
    wheel), as written. pip is the test venv's, with --no-deps so that no extra is downloaded:
    the line's own wheel name and extra are what is checked (a quoted `*` never expands).
    The torch line's own index and pin are left out (no index here)."""
    python, _ = installed
    lines = readme_install_block()
    assert lines[0].startswith("pip wheel . --no-deps -w dist/"), lines  # what the fixture ran
    (tmp_path / "dist").mkdir()
    shutil.copy(wheel, tmp_path / "dist")
    installs = lines[1:]
    assert sum(line.startswith("pip install") for line in installs) >= 3, installs
    script = "set -euo pipefail\npip() { command pip \"$@\" --no-deps --quiet --disable-pip-version-check; }\n"
    script += "\n".join(line.replace("torch==2.13.0", "").replace(
        "--extra-index-url https://download.pytorch.org/whl/cpu", "") for line in installs)
    env = {**user_env(python), "PIP_NO_INDEX": "1"}
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "not a valid wheel filename" not in result.stderr


def test_the_wheel_carries_the_runtime_files_compressed(installed, small_bundle):
    """Brotli and gzip copies of every runtime file worth compressing, each equal to its file
    once decompressed, in the manifest; the installed server sends the 14 MB ONNX Runtime wasm
    as brotli from its first request."""
    import brotli

    from clientside import precompressed

    python, _ = installed
    code = "from clientside.vendor import find_vendor_root; print(find_vendor_root())"
    root = Path(run(python, "-c", code, env=user_env(python), cwd="/").stdout.strip())
    manifest = json.loads((root / "MANIFEST.json").read_text())["files"]
    from clientside.vendor import VENDOR_FILES

    compressed = 0
    for rel in VENDOR_FILES.values():
        body = (root / rel).read_bytes()
        if precompressed.worth_compressing(root / rel, len(body)):
            assert brotli.decompress((root / f"{rel}.br").read_bytes()) == body, rel
            assert gzip.decompress((root / f"{rel}.gz").read_bytes()) == body, rel
            assert f"{rel}.br" in manifest and f"{rel}.gz" in manifest
            compressed += 1
    assert compressed >= 10
    code = (f"from clientside import create_app; c = create_app({str(small_bundle)!r}).test_client(); "
            "r = c.get('/vendor/ort-wasm-simd-threaded.wasm', headers={'Accept-Encoding': 'br'}, buffered=True); "
            "print(r.headers.get('Content-Encoding'), len(r.data))")
    encoding, size = run(python, "-c", code, env=user_env(python), cwd="/").stdout.split()
    assert encoding == "br" and int(size) < 3_000_000


def test_serving_needs_no_keras_jax_or_torch(installed, small_bundle):
    python, _ = installed
    code = (f"import importlib.util, sys; from clientside import create_app; "
            f"c = create_app({str(small_bundle)!r}).test_client(); "
            "assert all(c.get(p, buffered=True).status_code == 200 "
            "for p in ('/', '/vendor/tf-core.min.js', '/model')); "
            f"print([m for m in {HEAVY!r} if importlib.util.find_spec(m) or m in sys.modules])")
    assert run(python, "-c", code, env=user_env(python), cwd="/").stdout.strip() == "[]"


@pytest.mark.node
def test_tfjs_under_node_runs_from_the_wheel(installed, small_bundle, tmp_path):
    """What --verify runs: the packaged TF.js files under Node, with no npm install."""
    from clientside.runtimes.tfjs import node as tfjs_node

    python, _ = installed
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    code = (f"import numpy as np; from clientside.runtimes.tfjs import node as tfjs_node; "
            f"y = tfjs_node.predict({str(small_bundle)!r}, [np.load({str(tmp_path / 'x.npy')!r})])[0]; "
            f"np.save({str(tmp_path / 'y.npy')!r}, y)")
    run(python, "-c", code, env=user_env(python), cwd="/")
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), tfjs_node.predict(small_bundle, [x])[0])


@pytest.mark.browser
def test_the_installed_server_predicts_in_chromium(installed, small_bundle, page):
    python, work = installed
    work.mkdir(exist_ok=True)
    shutil.copytree(small_bundle, work / "my_bundle", dirs_exist_ok=True)
    port = free_port()
    proc = start_process([python.parent / "clientside", "serve", "my_bundle/", "--port", str(port)],
                         cwd=work, env=user_env(python))
    try:
        wait_healthy(port, proc)
        open_page(page, f"http://127.0.0.1:{port}/")
        assert predict_files(page, [SEVEN])[0] in list("0123456789")
        assert page.errors == []
    finally:
        log = stop_process(proc)
    assert "Traceback" not in log, log


def load_setup():
    spec = importlib.util.spec_from_file_location("clientside_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("tamper, words", [
    ("file", "differs from"), ("lock", "does not match package-lock.json's integrity")])
def test_the_build_stops_when_tfjs_does_not_match_the_lock(tmp_path, tamper, words):
    setup = load_setup()
    root = tmp_path / "checkout"
    lock = json.loads((REPO / "package-lock.json").read_text())
    files = json.loads(setup.VENDOR_TABLE.read_text())["files"]
    for rel in files.values():
        target = root / "node_modules" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "node_modules" / rel, target)
    if tamper == "file":
        with open(root / "node_modules" / files["tf-core.min.js"], "ab") as f:
            f.write(b"\n// changed\n")
    else:
        entry = lock["packages"]["node_modules/@tensorflow/tfjs-layers"]
        entry["integrity"] = "sha512-" + "A" * 86 + "=="
    (root / "package-lock.json").write_text(json.dumps(lock))
    setup.ROOT = root
    with pytest.raises(SystemExit, match=words):
        setup.collect(tmp_path / "out")


def test_the_static_build_works_from_the_wheel(installed, small_bundle, tmp_path):
    python, _ = installed
    run(python.parent / "clientside", "build", small_bundle, tmp_path / "site", env=user_env(python), cwd=tmp_path)
    [assets] = list((tmp_path / "site" / "assets").iterdir())
    from clientside import runtimes
    from clientside.server.assets import KIND_VENDOR_FILES

    # a TF.js bundle's build carries TF.js (every backend) and the CSV reader, no ONNX Runtime
    wanted = [*runtimes.get("tfjs").page_files, *KIND_VENDOR_FILES]
    shipped = sorted(p.name for p in (assets / "vendor").glob("*") if p.suffix in (".js", ".mjs", ".wasm"))
    assert shipped == sorted(wanted)
