"""A real Prometheus server with deterministic history, as a pytest factory fixture.

I/O: writes OpenMetrics files, runs ``promtool`` and ``prometheus`` on 127.0.0.1.
History is written as blocks with ``promtool tsdb create-blocks-from openmetrics`` before
the server starts, so a test gets exact samples at exact timestamps in well under a second.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from peers.locate import require_bin
from peers.openmetrics import Series, openmetrics_text

__all__ = ["PrometheusFactory", "PrometheusServer", "free_port", "prometheus"]

_APT_STEP = "apt: prometheus"
_READY_TIMEOUT_S = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config_text(scrape_targets: Sequence[str], scrape_interval: str) -> str:
    lines = [
        "global:",
        f"  scrape_interval: {scrape_interval}",
        f"  scrape_timeout: {scrape_interval}",
        f"  evaluation_interval: {scrape_interval}",
    ]
    if scrape_targets:
        targets = ", ".join(f'"{target}"' for target in scrape_targets)
        lines += [
            "scrape_configs:",
            "  - job_name: exporter",
            "    static_configs:",
            f"      - targets: [{targets}]",
        ]
    return "\n".join(lines) + "\n"


class PrometheusServer:
    """One ``prometheus`` process on 127.0.0.1 over a data directory of its own.

    :param binary: the ``prometheus`` executable.
    :param workdir: an empty directory for the config, the data and the log.
    :param scrape_targets: ``host:port`` of exporters to scrape (on 127.0.0.1 only).
    :param scrape_interval: the scrape (and evaluation) interval, e.g. ``"1s"``.
    """

    def __init__(
        self,
        binary: Path,
        workdir: Path,
        *,
        scrape_targets: Sequence[str] = (),
        scrape_interval: str = "1s",
    ) -> None:
        self.binary = binary
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.config_file = workdir / "prometheus.yml"
        self.log_file = workdir / "prometheus.log"
        self.port = free_port()
        self.config_file.write_text(_config_text(scrape_targets, scrape_interval))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start (or restart, over the same data and port) and wait until ``/-/ready``."""
        if self.running:
            return
        self.data_dir.mkdir(exist_ok=True)
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(self.binary),
                    f"--config.file={self.config_file}",
                    f"--storage.tsdb.path={self.data_dir}",
                    "--storage.tsdb.retention.time=3650d",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"prometheus on {self.url} did not become ready:\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s); the data stays."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def query(self, promql: str, at: float) -> list[dict[str, Any]]:
        """Run an instant query at ``at`` (unix seconds) and return ``data.result``."""
        return self._api("query", {"query": promql, "time": at})

    def query_range(
        self, promql: str, start: float, end: float, step: float
    ) -> list[dict[str, Any]]:
        """Run a range query and return ``data.result`` (one entry per series)."""
        return self._api("query_range", {"query": promql, "start": start, "end": end, "step": step})

    def _api(self, endpoint: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/v1/{endpoint}", params=params, timeout=10)
        body = response.json()
        assert body.get("status") == "success", f"{endpoint} {params}: {body}"
        return list(body["data"]["result"])

    def _log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def create_blocks(promtool: Path, series: Iterable[Series], workdir: Path, data_dir: Path) -> None:
    """Write ``series`` as OpenMetrics and turn them into TSDB blocks in ``data_dir``.

    :raises AssertionError: with promtool's output when it rejects the data.
    """
    source = workdir / "history.om.txt"
    source.write_text(openmetrics_text(series))
    data_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(promtool), "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"promtool rejected {source}: exit {result.returncode}\n{result.stdout}{result.stderr}"
        )


class PrometheusFactory:
    """Starts Prometheus servers for one test and stops them all at its end.

    Call it: ``prometheus([Series(...), ...], scrape=[exporter.target])``.

    :param binary: the ``prometheus`` executable.
    :param promtool: the ``promtool`` executable.
    :param tmp_root: a directory of the test's own for the servers' files.
    """

    def __init__(self, binary: Path, promtool: Path, tmp_root: Path) -> None:
        self.binary = binary
        self.promtool = promtool
        self.tmp_root = tmp_root
        self.servers: list[PrometheusServer] = []

    def __call__(
        self,
        series: Iterable[Series] = (),
        *,
        scrape: Sequence[str] = (),
        scrape_interval: str = "1s",
    ) -> PrometheusServer:
        """Create blocks from ``series``, start a server over them and return it (ready).

        :param series: the history; may be empty for a server that only scrapes.
        :param scrape: ``host:port`` targets to scrape, e.g. ``exporter.target``.
        :param scrape_interval: the scrape interval.
        """
        workdir = self.tmp_root / f"prometheus-{len(self.servers)}"
        workdir.mkdir(parents=True)
        server = PrometheusServer(
            self.binary, workdir, scrape_targets=scrape, scrape_interval=scrape_interval
        )
        self.servers.append(server)
        series = list(series)
        if series:
            create_blocks(self.promtool, series, workdir, server.data_dir)
        server.start()
        return server

    def stop_all(self) -> None:
        """Stop every server this factory started."""
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="session")
def prometheus_binaries() -> tuple[Path, Path]:
    """``(prometheus, promtool)`` as installed by the test command's apt step."""
    binary = require_bin("prometheus", _APT_STEP)
    promtool = require_bin("promtool", _APT_STEP)
    return binary, promtool


@pytest.fixture
def prometheus(
    prometheus_binaries: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusFactory]:
    """A factory of real Prometheus servers with history; every server stops after the test."""
    factory = PrometheusFactory(*prometheus_binaries, tmp_path_factory.mktemp("prometheus"))
    yield factory
    factory.stop_all()
