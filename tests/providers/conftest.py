"""Fixtures for the provider tests: the sample ``checkout`` rollout in a real Prometheus, and
small local HTTP servers standing in front of it (503 then proxy, slow answers).

I/O: runs ``promtool``/``prometheus`` through the shared ``prometheus`` factory and serves
HTTP on 127.0.0.1 only.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from providers.checkout_rollout import checkout_series, rollout_start, synth

from peers.prometheus import PrometheusFactory, PrometheusServer

RolloutServer = Callable[[str], tuple[PrometheusServer, float]]


@pytest.fixture
def rollout_prometheus(prometheus: PrometheusFactory) -> RolloutServer:
    """``rollout_prometheus("healthy"|"bad") -> (server, deploy_time)``: a real Prometheus
    holding the sample rollout, with the deploy at ``deploy_time`` and the canary data
    ending 30 minutes later."""

    def start(canary: str) -> tuple[PrometheusServer, float]:
        begin = rollout_start()
        server = prometheus(checkout_series(begin, canary))
        return server, begin + synth.HISTORY

    return start


class FrontServer:
    """A local HTTP server in front of ``upstream``: answers the first ``fail`` requests with
    ``status`` (after ``delay`` seconds), then proxies. Records every request's headers."""

    def __init__(
        self, upstream: str, *, fail: int = 0, status: int = 503, delay: float = 0.0
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.fail, self.status, self.delay = fail, status, delay
        self.seen: list[dict[str, str]] = []
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                front.seen.append({k.lower(): v for k, v in self.headers.items()})
                if front.delay:
                    time.sleep(front.delay)
                if len(front.seen) <= front.fail:
                    body = b'{"status":"error","errorType":"unavailable","error":"overloaded"}'
                    self.send_response(front.status)
                else:
                    with urllib.request.urlopen(front.upstream + self.path, timeout=10) as answer:
                        body = answer.read()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def front() -> Iterator[Callable[..., FrontServer]]:
    """Factory of :class:`FrontServer`; all are stopped after the test."""
    servers: list[FrontServer] = []

    def make(upstream: str, **options: float) -> FrontServer:
        server = FrontServer(upstream, **options)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
