"""Static build and nginx config: files, headers, and a real nginx serving the page."""
from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import brotli
import pytest

from clientside import BundleError
from clientside.cli import main
from clientside.deploy.nginx import server_block
from clientside.deploy.static_site import build

NGINX = "/usr/sbin/nginx"


def test_build_layout(small_bundle, tmp_path):
    out = build([small_bundle], tmp_path / "site")
    assert (out / "index.html").exists() and (out / "sw.js").exists() and (out / "_headers").exists()
    info = json.loads((out / "api" / "model").read_text())
    assert info["prepare"] == "browser" and info["outputs"][0]["labels"] == list("0123456789")
    listed = {f["path"]: f["size"] for f in info["files"]}  # the contract lists the files as built
    assert listed == {p.name: p.stat().st_size for p in (out / "model").iterdir() if p.suffix not in (".gz", ".br")}
    shards = json.loads((out / "model" / "model.json").read_text())["weightsManifest"][0]["paths"]
    assert all((out / "model" / s).exists() for s in shards)
    [assets] = list((out / "assets").iterdir())
    html = (out / "index.html").read_text()
    assert f'src="assets/{assets.name}/static/app.js"' in html
    for name in ("static/worker.js", "vendor/tf-core.min.js", "vendor/tfjs-backend-wasm-simd.wasm"):
        path = assets / name
        assert gzip.decompress(Path(f"{path}.gz").read_bytes()) == path.read_bytes()
        assert brotli.decompress(Path(f"{path}.br").read_bytes()) == path.read_bytes()
    sw = (out / "sw.js").read_text()
    assert f'"assets/{assets.name}/vendor/tf-core.min.js"' in sw


def test_headers_file_rules(small_bundle, tmp_path):
    headers = (build([small_bundle], tmp_path / "site") / "_headers").read_text()
    assert "/assets/*\n  Cache-Control: public, max-age=31536000, immutable" in headers
    assert "/model/model.json\n  ! Cache-Control\n  Cache-Control: no-cache" in headers
    assert "Content-Security-Policy: default-src 'self'" in headers


def _copy_with(bundle, folder, **changes):
    """A copy of bundle whose clientside.json has the given changes."""
    shutil.copytree(bundle, folder)
    meta = json.loads((folder / "clientside.json").read_text())
    (folder / "clientside.json").write_text(json.dumps({**meta, **changes}))
    return folder


def test_build_refuses_server_preprocessing(small_bundle, tmp_path):
    folder = _copy_with(small_bundle, tmp_path / "server-side", prepare="server")
    with pytest.raises(BundleError, match="needs server preprocessing"):
        build([folder], tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_build_several_bundles(small_bundle, tmp_path):
    other = _copy_with(small_bundle, tmp_path / "other", name="other")
    out = build([small_bundle, other], tmp_path / "site")
    index = (out / "index.html").read_text()
    assert 'href="models/small/"' in index and 'href="models/other/"' in index
    page = (out / "models" / "other" / "index.html").read_text()
    assert 'src="../../assets/' in page


def test_cli_build_and_nginx_conf(runner, small_bundle, tmp_path):
    result = runner.invoke(main, ["build", str(small_bundle), str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    conf = runner.invoke(main, ["nginx-conf", str(tmp_path / "site"), "--listen", "8080",
                                "--api-upstream", "127.0.0.1:5000"])
    assert conf.exit_code == 0
    assert "listen 8080;" in conf.output and "proxy_pass http://127.0.0.1:5000;" in conf.output
    bad = runner.invoke(main, ["nginx-conf", str(tmp_path)])
    assert bad.exit_code == 1 and "not a `clientside build` output" in bad.output


class Nginx:
    """A real nginx on a loopback port, with the generated server block."""

    def __init__(self, site: Path, workdir: Path, **options):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        block = server_block(site, listen=f"127.0.0.1:{self.port}", **options)
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(f"""user root;
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {workdir}/access.log;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include /etc/nginx/mime.types;
    {block}
}}
""")
        self.workdir = workdir

    def __enter__(self):
        check = subprocess.run([NGINX, "-t", "-c", str(self.conf), "-p", str(self.workdir)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([NGINX, "-c", str(self.conf), "-p", str(self.workdir)])
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url, timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def bytes_sent(self) -> int:
        """Body bytes of every response so far, from nginx's access log."""
        total = 0
        for line in (self.workdir / "access.log").read_text().splitlines():
            total += int(line.split('" ', 2)[1].split()[1])
        return total


@pytest.fixture
def nginx_site(mnist_bundle, tmp_path):
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: `make test` installs Debian's nginx-light")
    site = build([mnist_bundle], tmp_path / "site")
    with Nginx(site, tmp_path) as server:
        yield server, site


def get(url, **headers):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)


def test_nginx_headers_and_precompressed(nginx_site):
    server, site = nginx_site
    [assets] = list((site / "assets").iterdir())
    wasm = f"{server.url}assets/{assets.name}/vendor/tfjs-backend-wasm-simd.wasm"
    with get(wasm, **{"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Type"] == "application/wasm"
        assert r.headers["Content-Encoding"] == "gzip"
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.read() == (site / "assets" / assets.name / "vendor/tfjs-backend-wasm-simd.wasm.gz").read_bytes()
    with get(f"{server.url}model/model.json") as r:
        assert r.headers["Cache-Control"] == "no-cache" and r.headers["ETag"]
    with get(f"{server.url}api/model") as r:
        assert r.headers["Content-Type"].startswith("application/json") and json.load(r)["name"] == "mnist"
    with get(server.url) as r:
        assert r.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.browser
def test_page_from_nginx_predicts_and_reload_fetches_no_model(nginx_site, browser):
    from tests.e2e.conftest import open_page, predict_files
    from tests.helpers import SEVEN

    server, _site = nginx_site
    context = browser.new_context()
    try:
        page = context.new_page()
        open_page(page, server.url)
        assert predict_files(page, [SEVEN]) == ["7"]
        log = (server.workdir / "access.log").read_text()
        assert ".bin HTTP/1.1\" 200" in log
        before = len(log.splitlines())
        page.reload()
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.modelSource") == "cache"
        assert predict_files(page, [SEVEN]) == ["7"]
        after = (server.workdir / "access.log").read_text().splitlines()[before:]
        assert not any("/model/" in line for line in after)  # no model bytes on a warm visit
    finally:
        context.close()


def test_a_plain_folders_shards_get_hashed_names_in_the_build(small_bundle, tmp_path):
    """Unhashed shards marked immutable would keep visitors on old weights for a year."""
    from clientside.bundle import load_bundle
    from tests.test_bundle import plain_tfjs_copy

    plain = plain_tfjs_copy(small_bundle, tmp_path / "plain")  # the official converter's names
    (plain / "clientside.json").write_text(json.dumps({"preprocess": "mnist"}))
    assert not any(s.hashed_name for s in load_bundle(plain).files)
    out = build([plain], tmp_path / "site")
    built = load_bundle(out / "model")  # model.json and the shards as the site serves them
    shards = built.files[1:]
    assert shards and all(s.hashed_name for s in shards)
    info = json.loads((out / "api" / "model").read_text())
    assert [f["path"] for f in info["files"][1:]] == [s.path for s in shards]
    original = load_bundle(plain).files[1:]
    assert [s.sha256 for s in shards] == [s.sha256 for s in original]


@pytest.mark.browser
def test_a_graph_model_as_its_package_ships_it_builds_predicts_from_nginx_and_comes_back_from_cache(browser, tmp_path):
    """The converter's emotion.json beside emotion.bin: the build gives the shard a hashed
    name (immutable), and the page predicts with it; a reload downloads no model byte."""
    from clientside.bundle import load_bundle
    from tests.e2e.conftest import open_page, predict_files
    from tests.helpers import SEVEN
    from tests.runtimes.tfjs_graph.models import EMOTION

    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: `make test` installs Debian's nginx-light")
    site = build([EMOTION], tmp_path / "site")
    built = load_bundle(site / "model")
    assert built.runtime == "tfjs-graph" and built.files[1].hashed_name
    assert built.files[1].sha256 == load_bundle(EMOTION).files[1].sha256
    with Nginx(site, tmp_path) as server:
        context = browser.new_context()
        try:
            page = context.new_page()
            open_page(page, server.url)
            first = predict_files(page, [SEVEN])
            assert first[0] in [str(k) for k in range(7)], first  # no labels: the class index
            before = len((server.workdir / "access.log").read_text().splitlines())
            page.reload()
            open_page(page, server.url)
            assert page.evaluate("document.body.dataset.modelSource") == "cache"
            assert predict_files(page, [SEVEN]) == first
            after = (server.workdir / "access.log").read_text().splitlines()[before:]
            assert not any("/model/" in line for line in after)
        finally:
            context.close()
