"""Run the app under gunicorn, a production WSGI server, from `clientside serve`.

Workers count metrics in files (PROMETHEUS_MULTIPROC_DIR, which `clientside serve` sets
before prometheus_client is first imported: it reads the variable then). The app is
built (and the bundle checked) before gunicorn starts, so a broken bundle fails
at once with a clear message; workers are forked from that app. SIGTERM stops gracefully:
requests in flight are finished first.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

METRICS_PREFIX = "clientside-metrics-"


def run(make_app: Callable[[], Flask], *, host: str, port: int, workers: int = 2, threads: int = 4,
        access_log: bool = True, graceful_timeout: int = 30, preload: bool = True) -> None:
    """preload=False builds the app in each worker instead (for apps holding state that
    does not survive fork(), such as a JAX runtime)."""
    from gunicorn.app.base import BaseApplication

    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    app = make_app() if preload else None

    def child_exit(server: Any, worker: Any) -> None:
        if metrics_dir:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid, metrics_dir)

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
            return app if app is not None else make_app()

    try:
        Server().run()
    finally:
        if metrics_dir and Path(metrics_dir).name.startswith(METRICS_PREFIX):
            shutil.rmtree(metrics_dir, ignore_errors=True)
