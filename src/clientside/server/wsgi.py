"""Run the app in production from `clientside serve`: gunicorn's processes, waitress's front.

gunicorn's own workers hand a connection to a thread as soon as it is readable, and that
thread then blocks until the client has sent its whole request. 64 clients that send the
headers of an upload and stall their body therefore stop 2 workers x 4 threads from
answering anyone (slowloris). So each gunicorn worker here runs waitress instead: an
event loop reads every request whole (headers and body, big bodies spooled to disk)
before one of its threads runs the app, a connection idle for `client_timeout` is
dropped, a body over `max_body` is refused from its Content-Length before it is read,
and errors at that level answer in clientside's JSON shape. gunicorn keeps what it is
good at: the worker processes (one per core), restarts, graceful SIGTERM, logs.

Workers count metrics in files (PROMETHEUS_MULTIPROC_DIR, which `clientside serve` sets
before prometheus_client is first imported: it reads the variable then). The app is
built (and the bundle checked) before gunicorn starts, so a broken bundle fails at once
with a clear message; workers are forked from that app.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from ..errors import error_body, too_large
from .headers import SECURITY_HEADERS

METRICS_PREFIX = "clientside-metrics-"


@dataclass(frozen=True)
class Limits:
    """What one client may hold of the server."""

    client_timeout: int = 30       # seconds a connection may stay silent (headers, body, keep-alive)
    max_connections: int = 1000    # open connections per worker process
    max_header_bytes: int = 64 * 1024
    #: A body larger than the app's MAX_CONTENT_LENGTH is refused from its Content-Length.


def run(make_app: Callable[[], Flask], *, host: str, port: int, workers: int = 2, threads: int = 4,
        access_log: bool = True, graceful_timeout: int = 30, preload: bool = True,
        limits: Limits = Limits()) -> None:
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
        "worker_class": waitress_worker(limits),
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


def waitress_worker(limits: Limits) -> type:
    """A gunicorn worker class that serves its share of the listening sockets with waitress."""
    from gunicorn.workers.base import Worker
    from waitress import wasyncore
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, create_server
    from waitress.task import ErrorTask

    class JSONErrorTask(ErrorTask):
        """Errors found before the app runs (too large, malformed) in the app's JSON shape."""

        def execute(self) -> None:
            error = self.request.error
            message = f"{error.reason}: {error.body}."
            if error.code == 413:  # the same words as the app's own 413
                message = too_large(None, self.channel.server.adj.max_request_body_size)
            body = json.dumps(error_body(error.code, message)).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.response_headers.extend(SECURITY_HEADERS.items())
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        error_task_class = JSONErrorTask

    class WaitressWorker(Worker):
        def run(self) -> None:
            socket_map: dict = {}
            max_body = getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH") or 1 << 30
            create_server(
                access_logged(self.wsgi, self.log.access_log if self.cfg.accesslog else None),
                map=socket_map, sockets=[s.sock for s in self.sockets], threads=self.cfg.threads,
                channel_timeout=limits.client_timeout,
                cleanup_interval=max(1, min(10, limits.client_timeout // 3)),
                connection_limit=limits.max_connections, max_request_body_size=max_body,
                max_request_header_size=limits.max_header_bytes, asyncore_use_poll=True,
                ident="clientside", expose_tracebacks=False)
            listeners = [d for d in socket_map.values() if isinstance(d, BaseWSGIServer)]
            for listener in listeners:
                listener.channel_class = Channel
            while self.alive:
                self.notify()
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
                wasyncore.loop(timeout=1.0, map=socket_map, use_poll=True, count=1)
            self.finish(socket_map, listeners)

        def finish(self, socket_map: dict, listeners: list) -> None:
            """Graceful stop: accept nothing more, finish and send what is in flight."""
            for listener in listeners:
                listener.accepting = False
            deadline = time.monotonic() + self.cfg.graceful_timeout
            while time.monotonic() < deadline and any(
                    isinstance(c, HTTPChannel) and (c.requests or c.total_outbufs_len)
                    for c in list(socket_map.values())):
                self.notify()
                wasyncore.loop(timeout=0.1, map=socket_map, use_poll=True, count=1)
            listeners[0].task_dispatcher.shutdown(timeout=1)
            wasyncore.close_all(socket_map)

    return WaitressWorker


def access_logged(app: Any, logger: Any) -> Any:
    """One line per response, as gunicorn writes them: `"POST /api/prepare HTTP/1.1" 200`."""
    if logger is None:
        return app

    def logged(environ: dict, start_response: Callable) -> Any:
        started = time.perf_counter()

        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            query = environ.get("QUERY_STRING")
            request_line = (f'{environ.get("REQUEST_METHOD")} {environ.get("PATH_INFO", "")}'
                            f'{"?" + query if query else ""} {environ.get("SERVER_PROTOCOL")}')
            length = next((v for k, v in headers if k.lower() == "content-length"), "-")
            logger.info('%s - - [%s] "%s" %s %s "%s" %.1fms', environ.get("REMOTE_ADDR", "-"),
                        time.strftime("%d/%b/%Y:%H:%M:%S %z"), request_line, status.split(" ", 1)[0],
                        length, environ.get("HTTP_USER_AGENT", "-"), (time.perf_counter() - started) * 1000)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged
