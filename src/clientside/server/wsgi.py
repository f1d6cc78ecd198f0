"""Run the app under gunicorn, a production WSGI server, from `clientside serve`.

The app is built (and the bundle checked) before gunicorn starts, so a broken bundle fails
at once with a clear message; workers are forked from that app. SIGTERM stops gracefully:
requests in flight are finished first.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from flask import Flask


def prepare_multiprocess_metrics() -> str:
    """Each worker counts in files under one folder; /metrics adds them up."""
    folder = tempfile.mkdtemp(prefix="clientside-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


def run(make_app: Callable[[], Flask], *, host: str, port: int, workers: int = 2, threads: int = 4,
        access_log: bool = True, graceful_timeout: int = 30) -> None:
    from gunicorn.app.base import BaseApplication

    metrics_dir = prepare_multiprocess_metrics()
    app = make_app()

    def child_exit(server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "graceful_timeout": graceful_timeout,
        "timeout": 60,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "child_exit": child_exit,
        "proc_name": "clientside",
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    try:
        Server().run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
