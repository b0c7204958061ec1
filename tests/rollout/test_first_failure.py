"""The first failing gate ends the step at once: two and three gates on a step with a long
pause, on a real Prometheus scraping a live exporter. One gate starts failing mid-step; the
router is told 0 within two analysis intervals of that sample (measured from the recorded
timestamps, in intervals), ``rollback.command`` runs once with the right tokens, exit 1."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from peers.cli import CliResult
from releasegate.ledger import Ledger
from releasegate.records import ALLOWED

INTERVAL = 3.0  # seconds; Prometheus scrapes every second
RECORD = (
    "import sys, time\n"
    "open(sys.argv[1], 'a').write(' '.join([repr(time.time()), *sys.argv[2:]]) + '\\n')\n"
)


def _policy(tmp_path: Path, url: str, gates: list[str]) -> str:
    (tmp_path / "record.py").write_text(RECORD)
    record = f"python3 {tmp_path / 'record.py'}"
    gate_text = "".join(
        f"""\
  {name}:
    provider: prometheus
    address: {url}
    interval: {INTERVAL:g}s
    retries: 0
    metrics:
      - name: errors
        query: 'max(gate_{name}_errors)'
        judge: threshold
        fail_if: "> 0.5"
"""
        for name in gates
    )
    text = f"""\
version: 1
service: checkout
gates:
{gate_text}environments:
  - name: production
    strategy:
      canary:
        steps:
          - {{weight: 10, pause: 10m, gates: [{", ".join(gates)}]}}
        router:
          command: "{record} {tmp_path / "router.txt"} {{weight}}"
    rollback:
      command: "{record} {tmp_path / "rollback.txt"} {{rollback_to}} {{env}} {{service}}"
"""
    path = tmp_path / "releasegate.yml"
    path.write_text(text)
    return str(path)


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.peer("prometheus")
@pytest.mark.slow
@pytest.mark.parametrize("gates", [["a", "b"], ["a", "b", "c"]], ids=["two-gates", "three-gates"])
def test_the_first_failing_gate_rolls_back_within_two_intervals(
    tmp_path, prometheus, metrics_exporter, run_cli, gates
) -> None:
    for name in gates:
        metrics_exporter.set(f"gate_{name}_errors", 0)
    server = prometheus(scrape=[metrics_exporter.target])
    metrics_exporter.wait_for_scrapes(2)
    path = _policy(tmp_path, server.url, gates)
    ledger = tmp_path / "ledger.db"
    with Ledger.open(ledger) as records:
        old = datetime.fromtimestamp(time.time() - 7200, tz=timezone.utc)
        done = records.record_deployment("production", "0ld0ld", "promoting", at=old)
        records.update_deployment(done.id, "success", at=old)
        records.record_deployment(
            "production", "new", "promoting", vouch=ALLOWED, at=datetime.now(timezone.utc)
        )
    out: list[CliResult] = []
    run = threading.Thread(
        target=lambda: out.append(
            run_cli(
                "canary",
                "-c",
                path,
                "--env",
                "production",
                "--sha",
                "new",
                "--format",
                "json",
                env={"RELEASEGATE_LEDGER": str(ledger), "CI": "true"},
                timeout=120,
            )
        )
    )
    run.start()
    deadline = time.monotonic() + 30
    while not _lines(tmp_path / "router.txt") and time.monotonic() < deadline:
        time.sleep(0.1)
    # Two healthy intervals, then the middle gate starts failing.
    time.sleep(2 * INTERVAL)
    failing = gates[1]
    metrics_exporter.set(f"gate_{failing}_errors", 1)
    failed_at = time.time()
    run.join(timeout=120)

    result = out[0]
    assert result.code == 1, result.stderr
    body = json.loads(result.stdout)
    assert body["outcome"] == "rollback"
    assert f"gate {failing} failed" in body["reason"]
    router = _lines(tmp_path / "router.txt")
    assert [call[1] for call in router] == ["10", "0"]
    late = (float(router[1][0]) - failed_at) / INTERVAL
    assert late <= 2, f"weight 0 came {late:.2f} intervals after the failing sample"
    rollback = _lines(tmp_path / "rollback.txt")
    assert [call[1:] for call in rollback] == [["0ld0ld", "production", "checkout"]]
    assert float(rollback[0][0]) >= float(router[1][0])  # traffic first, then the command
    assert body["outputs"]["rollback-steps"] == "traffic=done,command=done"
