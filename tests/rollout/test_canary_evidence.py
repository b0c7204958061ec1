"""A step with gates is never passed without judged evidence (issue 14's fail-open cases).

A canary killed mid-step and retried after its pause, and a step with gates but no pause,
each against a metrics server that answers HTTP 500 and one that answers only NaN: neither
promotes. The 500 is a provider failure (exit 4, weight unchanged); all-NaN data is missing
data, which rolls back under the default ``on_inconclusive: fail`` (exit 1).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from releasegate.ledger import Ledger
from releasegate.records import ALLOWED
from releasegate.rollout.canary import CanaryState, state_key

ROUTER = "import sys\nopen(sys.argv[1], 'a').write(sys.argv[2] + '\\n')\n"


class Hostile:
    """A Prometheus-shaped server that answers every query with HTTP 500, or with NaN at
    every step of the asked range (Prometheus' own spelling of a 0/0 rate)."""

    def __init__(self, mode: str) -> None:
        self.queries = 0
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, params: dict[str, list[str]]) -> None:
                hostile.queries += 1
                if mode == "500":
                    body = b'{"status":"error","errorType":"internal","error":"boom"}'
                    self.send_response(500)
                else:
                    start, end = float(params["start"][0]), float(params["end"][0])
                    step = float(params["step"][0])
                    points, t = [], start
                    while t <= end + 1e-9:
                        points.append([t, "NaN"])
                        t += step
                    body = json.dumps(
                        {
                            "status": "success",
                            "data": {
                                "resultType": "matrix",
                                "result": [{"metric": {}, "values": points}],
                            },
                        }
                    ).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._answer(parse_qs(urlsplit(self.path).query))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(parse_qs(self.rfile.read(length).decode()))

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _policy(tmp_path: Path, url: str, step: str) -> tuple[str, Path]:
    calls = tmp_path / "weights.txt"
    (tmp_path / "router.py").write_text(ROUTER)
    text = f"""\
version: 1
service: checkout
gates:
  health:
    provider: prometheus
    address: {url}
    interval: 1m
    retries: 0
    metrics:
      - name: error-rate
        query: 'sum(rate(errors{{service="{{service}}"}}[1m]))'
        judge: threshold
        fail_if: "> 0.05"
environments:
  - name: production
    strategy:
      canary:
        steps:
          - {step}
        router:
          command: "python3 {tmp_path / "router.py"} {calls} {{weight}}"
"""
    path = tmp_path / "releasegate.yml"
    path.write_text(text)
    return str(path), calls


def _promoted(tmp_path: Path, now: datetime) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        ledger.record_deployment("production", "new", "promoting", at=now, vouch=ALLOWED)


@pytest.mark.parametrize("mode", ["500", "nan"])
def test_a_canary_retried_after_its_pause_judges_the_whole_step_and_never_promotes(
    tmp_path, releasegate_cli, releasegate_clock, mode
) -> None:
    server = Hostile(mode)
    try:
        path, calls = _policy(tmp_path, server.url, "{weight: 10, pause: 10m, gates: [health]}")
        now = releasegate_clock.current
        _promoted(tmp_path, now)
        # The first job set the weight, then was killed; the retry comes after the pause.
        with Ledger.open(tmp_path / "ledger.db") as ledger:
            deployment = ledger.deployments("production")[0]
            started = now.timestamp() - 15 * 60
            state = CanaryState(
                "production",
                "new",
                weight=10.0,
                step_started_at=started,
                deployment_id=deployment.id,
                reason="step 1/2",
            )
            ledger.set_state(state_key("production", "new"), state.to_dict(), at=now)

        result = releasegate_cli(
            "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
        )
    finally:
        server.stop()

    body = json.loads(result.stdout)
    assert server.queries >= 1  # the step was analysed, not skipped
    assert (result.exit_code, body["outcome"]) == (
        (4, "error") if mode == "500" else (1, "rollback")
    )
    weights = calls.read_text().split() if calls.exists() else []
    assert "100" not in weights
    assert weights == ([] if mode == "500" else ["0"])


@pytest.mark.parametrize("mode", ["500", "nan"])
def test_a_step_with_gates_and_no_pause_is_analysed_for_the_gates_minimum_window(
    tmp_path, releasegate_cli, releasegate_clock, mode
) -> None:
    server = Hostile(mode)
    try:
        path, calls = _policy(tmp_path, server.url, "{weight: 10, gates: [health]}")
        _promoted(tmp_path, releasegate_clock.current)
        began = releasegate_clock.current

        result = releasegate_cli(
            "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
        )
    finally:
        server.stop()

    body = json.loads(result.stdout)
    assert server.queries >= 1
    assert (result.exit_code, body["outcome"]) == (
        (4, "error") if mode == "500" else (1, "rollback")
    )
    assert calls.read_text().split() == (["10"] if mode == "500" else ["10", "0"])
    # One interval (the gate's minimum window) was waited for, on the injected clock.
    assert (releasegate_clock.current - began).total_seconds() >= 60


def test_a_canary_needs_an_allowed_promotion_or_a_loud_force(tmp_path, releasegate_cli) -> None:
    path, calls = _policy(tmp_path, "http://127.0.0.1:9", "{weight: 10}")

    refused = releasegate_cli("canary", "-c", path, "--env", "production", "--sha", "new")
    assert not calls.exists()  # refused before any side effect
    forced = releasegate_cli(
        "canary",
        "-c",
        path,
        "--env",
        "production",
        "--sha",
        "new",
        "--force",
        "INC-7 hotfix",
        "--format",
        "json",
    )

    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "releasegate: error: --env production: commit new has no allowed promotion into production;"
        ' run releasegate promote --to production first, or pass --force "REASON"'
    )
    body = json.loads(forced.stdout)
    assert forced.exit_code == 0 and body["outcome"] == "promote"
    assert body["reason"].startswith("FORCED without an allowed promotion (INC-7 hotfix): ")
    assert body["outputs"]["forced"] == "INC-7 hotfix"
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        assert ledger.deployments("production")[0].forced == "INC-7 hotfix"


FLAKY = (
    "import os, sys\n"
    "open(sys.argv[1] + '.calls', 'a').write(' '.join(sys.argv[2:]) + '\\n')\n"
    "sys.exit(0 if os.path.exists(sys.argv[1]) else 7)\n"
)


def test_a_rerun_after_a_partial_rollback_continues_it_without_repeating_what_succeeded(
    tmp_path, releasegate_cli, releasegate_clock
) -> None:
    server = Hostile("nan")
    try:
        path, calls = _policy(tmp_path, server.url, "{weight: 10, pause: 2m, gates: [health]}")
        (tmp_path / "flaky.py").write_text(FLAKY)
        ready = tmp_path / "ready"
        with open(path, "a", encoding="utf-8") as policy:
            policy.write(
                f'    rollback:\n      command: "python3 {tmp_path / "flaky.py"} {ready} {{env}}"\n'
            )
        _promoted(tmp_path, releasegate_clock.current)

        first = releasegate_cli(
            "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
        )
        ready.write_text("")
        again = releasegate_cli(
            "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
        )
    finally:
        server.stop()

    body = json.loads(first.stdout)
    assert (first.exit_code, body["outcome"]) == (4, "error")
    assert "NOT rolled back, left to do: command" in body["reason"]
    assert "rolled back:" not in body["reason"]
    assert body["outputs"]["rollback-left"] == "command"
    assert body["outputs"]["rollback-steps"] == "traffic=done,command=failed"
    done = json.loads(again.stdout)
    assert (again.exit_code, done["outcome"]) == (1, "rollback")
    assert done["outputs"]["rollback-steps"] == "traffic=done,command=done"
    assert calls.read_text().split() == ["10", "0"]  # traffic was not sent to 0 twice
    assert (tmp_path / "ready.calls").read_text().splitlines() == ["production", "production"]
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        assert ledger.deployments("production")[0].status == "rolled_back"


def test_watch_honours_duration_and_missing_data_follows_on_inconclusive(
    tmp_path, releasegate_cli, releasegate_clock
) -> None:
    server = Hostile("nan")
    try:
        path, _ = _policy(tmp_path, server.url, "{weight: 10}")
        text = Path(path).read_text()
        Path(path).write_text(text + "    rollback:\n      window: 15m\n      gates: [health]\n")
        began = releasegate_clock.current
        failed = releasegate_cli(
            "watch",
            "-c",
            path,
            "--env",
            "production",
            "--sha",
            "new",
            "--duration",
            "1m",
            "--format",
            "json",
        )
        ran = releasegate_clock.current - began
        Path(path).write_text(
            text.replace("    retries: 0\n", "    retries: 0\n    on_inconclusive: pause\n")
            + "    rollback:\n      window: 15m\n      gates: [health]\n"
        )
        paused = releasegate_cli(
            "watch",
            "-c",
            path,
            "--env",
            "production",
            "--sha",
            "new",
            "--format",
            "json",
            env={"RELEASEGATE_DURATION": "1m"},
        )
    finally:
        server.stop()

    assert ran.total_seconds() <= 90
    assert (failed.exit_code, json.loads(failed.stdout)["outcome"]) == (1, "rollback")
    assert json.loads(failed.stdout)["outputs"]["window"] == "60s"
    assert (paused.exit_code, json.loads(paused.stdout)["outcome"]) == (3, "inconclusive")


def test_a_rerun_of_an_interrupted_canary_resumes_at_its_step_on_the_same_deployment(
    tmp_path, releasegate_cli, releasegate_clock
) -> None:
    steps = "{weight: 10, pause: 5m}\n          - {weight: 50, pause: 5m}"
    path, calls = _policy(tmp_path, "http://127.0.0.1:9", steps)
    now = releasegate_clock.current
    _promoted(tmp_path, now)
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        deployment = ledger.deployments("production")[0]
        # Killed two minutes into step 2, after its weight was set.
        state = CanaryState(
            "production",
            "new",
            step=1,
            weight=50.0,
            step_started_at=now.timestamp() - 120,
            deployment_id=deployment.id,
            passed=(0,),
            reason="step 2/3",
        )
        ledger.set_state(state_key("production", "new"), state.to_dict(), at=now)
    began = releasegate_clock.current

    result = releasegate_cli(
        "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
    )

    assert (result.exit_code, json.loads(result.stdout)["outcome"]) == (0, "promote")
    assert calls.read_text().split() == ["100"]  # no weight set again for the resumed step
    assert (releasegate_clock.current - began).total_seconds() == 180  # the rest of its pause
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        assert [(d.id, d.status) for d in ledger.deployments("production")] == [
            (deployment.id, "success")
        ]
