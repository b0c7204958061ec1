"""A tiny metrics exporter on 127.0.0.1 whose ``/metrics`` text a test changes while it runs.

I/O: an HTTP server thread. Prometheus scrapes it for tests of the live analysis loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from peers.openmetrics import exposition_text

__all__ = ["MetricsExporter", "metrics_exporter"]


class MetricsExporter:
    """Serves ``GET /metrics`` from values the test sets; counts scrapes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._scrapes = 0
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = exporter._render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def target(self) -> str:
        """``127.0.0.1:PORT``, for a Prometheus scrape config."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def scrapes(self) -> int:
        """How many times ``/metrics`` was served."""
        with self._lock:
            return self._scrapes

    def set(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Set the current value of one sample."""
        with self._lock:
            self._values[(name, tuple(sorted((labels or {}).items())))] = value

    def wait_for_scrapes(self, count: int, timeout: float = 15.0) -> None:
        """Block until ``/metrics`` has been served ``count`` more times.

        :raises AssertionError: when that does not happen within ``timeout`` seconds.
        """
        goal = self.scrapes + count
        deadline = time.monotonic() + timeout
        while self.scrapes < goal:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"exporter {self.target}: {count} scrapes not seen in {timeout}s"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()

    def _render(self) -> str:
        with self._lock:
            self._scrapes += 1
            return exposition_text(self._values)


@pytest.fixture
def metrics_exporter() -> Iterator[MetricsExporter]:
    """A running :class:`MetricsExporter`, stopped after the test."""
    exporter = MetricsExporter()
    yield exporter
    exporter.stop()
