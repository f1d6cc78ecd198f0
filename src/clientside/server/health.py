"""Health and Prometheus metrics: requests by route and status, prepare latency, model
bytes served, and model revalidations answered 304 (the browser's cache working)."""
from __future__ import annotations

import os
import time

from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "install", "make_blueprint"]

from ..bundle import Bundle


class Metrics:
    """One registry per app, so several apps (or tests) in one process do not collide.
    Under a multi-worker server, set PROMETHEUS_MULTIPROC_DIR (clientside serve does) and
    /metrics adds up every worker."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("clientside_requests", "HTTP requests by route and status.",
                                ["route", "status"], registry=self.registry)
        self.prepare_seconds = Histogram("clientside_prepare_seconds",
                                         "Time to prepare one /api/prepare batch.", registry=self.registry)
        self.model_bytes = Counter("clientside_model_bytes_served", "Bytes of model files sent.",
                                   registry=self.registry)
        self.model_not_modified = Counter("clientside_model_cache_hits",
                                          "Model file requests answered 304 Not Modified.",
                                          registry=self.registry)

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def make_blueprint(bundles: list[Bundle], metrics: Metrics) -> Blueprint:
    """/healthz and /metrics for one model (its own routes) or several (the app's index)."""
    bp = Blueprint("health", __name__)
    status: dict[str, object]
    if len(bundles) == 1:
        status = {"status": "ok", "model": bundles[0].name, "content_hash": bundles[0].content_hash}
    else:
        status = {"status": "ok", "models": {b.name: b.content_hash for b in bundles}}

    @bp.get("/healthz")
    def healthz():
        response = jsonify(status)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/metrics")
    def metrics_route():
        return Response(metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)

    return bp


def install(bp: Blueprint, metrics: Metrics) -> None:
    """Count every request of bp by its route pattern (not its path: bounded label values)."""

    @bp.before_request
    def start_timer():
        g.clientside_started = time.perf_counter()

    @bp.after_request
    def count(response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(rule, str(response.status_code)).inc()
        if request.endpoint and ".model_files." in f".{request.endpoint}.":
            if response.status_code == 304:
                metrics.model_not_modified.inc()
            elif response.status_code == 200 and response.content_length:
                metrics.model_bytes.inc(response.content_length)
        return response
