"""``releasegate drill`` against a real Prometheus, a real ledger and real executables.

The gates' Prometheus holds the last half hour of a checkout service: requests for the
canary and stable tracks, but no ``orders_total`` series, so one metric can never fail.
"""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from peers.openmetrics import Series

OLD = "1111111111111111111111111111111111111111"
NEW = "2222222222222222222222222222222222222222"
ERROR_RATE = (
    'sum(rate(http_requests_total{service="{service}",track="{variant}",code="500"}[{interval}]))'
    ' / sum(rate(http_requests_total{service="{service}",track="{variant}"}[{interval}]))'
)
ORDERS = 'sum(rate(orders_total{track="{variant}"}[{interval}]))'
SERVICE_ERRORS = (
    'sum(rate(http_requests_total{service="{service}",code="500"}[1m]))'
    ' / sum(rate(http_requests_total{service="{service}"}[1m]))'
)


def policy(
    url: str,
    *,
    router: str = "rollouts-cli set weight {service} {weight}",
    rollback: str = "deploy-cli rollback {service} --to {rollback_to}",
    orders: bool = True,
) -> str:
    conversion = (
        (
            f"      - name: conversion\n        query: '{ORDERS}'\n        judge: threshold\n"
            "        fail_if: '< 1'\n"
        )
        if orders
        else ""
    )
    return f"""version: 1
service: checkout
environments:
  - name: staging
  - name: production
    strategy:
      canary:
        steps:
          - {{weight: 10, pause: 5m, gates: [canary-health]}}
          - {{weight: 100}}
        router:
          command: "{router}"
    rollback:
      gates: [service-health]
      command: "{rollback}"
gates:
  canary-health:
    provider: prometheus
    address: {url}
    interval: 1m
    retries: 0
    variants: {{canary: canary, baseline: stable}}
    metrics:
      - name: error-rate
        query: '{ERROR_RATE}'
        judge: threshold
        fail_if: '> 0.05'
{conversion}  service-health:
    provider: prometheus
    address: {url}
    interval: 1m
    retries: 0
    metrics:
      - name: error-rate
        query: '{SERVICE_ERRORS}'
        judge: threshold
        fail_if: '> 0.05'
"""


def traffic(end: float) -> list[Series]:
    series = []
    for track, rate in (("canary", 5.0), ("stable", 50.0)):
        for code, share in (("200", 0.99), ("500", 0.01)):
            samples = [(end - 1800 + 15 * i, 15 * i * rate * share) for i in range(121)]
            series.append(
                Series(
                    "http_requests_total",
                    {"service": "checkout", "track": track, "code": code},
                    samples,
                    "counter",
                )
            )
    return series


@pytest.fixture
def setup(prometheus, tmp_path, releasegate_clock):
    """``setup(**policy_options) -> config path``: Prometheus with traffic, the clock at its end,
    and two tools on a PATH of their own that log their arguments."""
    end = float(int(time.time()) // 60 * 60 - 120)
    server = prometheus(traffic(end))
    releasegate_clock.current = datetime.fromtimestamp(end, tz=timezone.utc)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("rollouts-cli", "deploy-cli"):
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls.log"\necho ok\n')
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)

    def make(**options: object) -> str:
        config = tmp_path / "releasegate.yml"
        config.write_text(policy(server.url, **options))  # type: ignore[arg-type]
        return str(config)

    return make


def path_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{tmp_path / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"}


def deploy(cli, config: str, *rows: tuple[str, str, str]) -> None:
    for sha, version, status in rows:
        result = cli(
            "record",
            "-c",
            config,
            "--env",
            "production",
            "--sha",
            sha,
            "--version",
            version,
            "--status",
            status,
            "--force",
            "seeded history",
        )
        assert result.exit_code == 0, result.stderr


def lines(stdout: str) -> dict[str, str]:
    """Check name -> its text line (status word first, spaces collapsed)."""
    out = {}
    for line in stdout.splitlines()[1:]:
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] in ("PASS", "FAIL", "SKIP", "ERR", "MISS"):
            out[parts[1].split("  ")[0].strip()] = " ".join(line.split())
    return out


def test_drill_finds_the_target_the_empty_query_and_shows_the_commands(
    setup, releasegate_cli, tmp_path
) -> None:
    config = setup()
    deploy(releasegate_cli, config, (OLD, "1.3.2", "success"), (NEW, "1.4.0", "success"))

    result = releasegate_cli("drill", "-c", config, "--env", "production", env=path_env(tmp_path))

    assert result.exit_code == 1, result.stderr
    checks = lines(result.stdout)
    assert list(checks) == [
        "rollback target",
        "gate canary-health error-rate",
        "gate canary-health conversion",
        "gate service-health error-rate",
        "router set weight 0 (command)",
        "rollback command",
        "rollback access",
    ]
    assert checks["rollback target"].startswith("PASS rollback target")
    assert (
        f"would roll back production to deployment 1 ({OLD[:12]}, 1.3.2)"
        in checks["rollback target"]
    )
    assert checks["gate canary-health error-rate"].startswith("PASS")
    assert (
        "[canary 0.01; baseline 0.01 vs data for canary, baseline]"
        in checks["gate canary-health error-rate"]
    )
    assert checks["gate canary-health conversion"].startswith(
        "FAIL gate canary-health conversion no data for canary, baseline: the gate could never fail"
    )
    assert checks["gate service-health error-rate"].startswith("PASS")
    assert checks["router set weight 0 (command)"].endswith(
        "found; not run (use --execute --target NAME) [rollouts-cli set weight checkout 0 vs rollouts-cli on PATH]"
    )
    assert (
        f"[deploy-cli rollback checkout --to {OLD} vs deploy-cli on PATH]"
        in checks["rollback command"]
    )
    assert checks["rollback access"].startswith("PASS rollback access")
    assert not (tmp_path / "calls.log").exists()
    assert result.stdout.splitlines()[0].startswith(
        "FAIL drill (env=production): a rollback of production is not ready: gate canary-health conversion:"
    )


def test_all_checks_pass_and_execute_runs_the_commands_against_the_test_target(
    setup, releasegate_cli, tmp_path
) -> None:
    config = setup(orders=False)
    deploy(releasegate_cli, config, (OLD, "1.3.2", "success"), (NEW, "1.4.0", "success"))

    result = releasegate_cli(
        "drill",
        "-c",
        config,
        "--env",
        "production",
        "--execute",
        "--target",
        "checkout-drill",
        "--format",
        "json",
        env=path_env(tmp_path),
    )

    assert result.exit_code == 0, result.stdout
    body = json.loads(result.stdout)
    assert (body["kind"], body["outcome"], body["outputs"]["rollback-to"]) == ("drill", "pass", OLD)
    assert (tmp_path / "calls.log").read_text().splitlines() == [
        "rollouts-cli set weight checkout-drill 0",
        f"deploy-cli rollback checkout-drill --to {OLD}",
    ]
    assert all(r["status"] == "pass" for r in body["requirements"]), body["requirements"]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ((), "no earlier successful deployment of production to roll back to"),
        (
            ((NEW, "1.4.0", "success"),),
            "no earlier successful deployment of production to roll back to",
        ),
        (
            ((OLD, "1.3.2", "failure"), (NEW, "1.4.0", "success")),
            "no earlier successful deployment of production to roll back to",
        ),
    ],
)
def test_without_a_rollback_target_the_drill_fails(
    setup, releasegate_cli, tmp_path, rows, reason
) -> None:
    config = setup(orders=False)
    deploy(releasegate_cli, config, *rows)

    result = releasegate_cli(
        "drill", "-c", config, "--env", "production", "--format", "json", env=path_env(tmp_path)
    )

    assert result.exit_code == 1
    target = json.loads(result.stdout)["requirements"][0]
    assert (target["name"], target["status"], target["reason"]) == (
        "rollback target",
        "fail",
        reason,
    )
    assert "{rollback_to}" not in result.stdout


def test_a_target_that_names_no_artifact_fails(setup, releasegate_cli, tmp_path) -> None:
    config = setup(orders=False)
    assert (
        releasegate_cli(
            "record",
            "-c",
            config,
            "--env",
            "production",
            "--sha",
            OLD,
            "--status",
            "success",
            "--force",
            "seeded history",
        ).exit_code
        == 0
    )
    deploy(releasegate_cli, config, (NEW, "1.4.0", "success"))

    result = releasegate_cli("drill", "-c", config, "--env", "production", env=path_env(tmp_path))

    assert result.exit_code == 1
    assert lines(result.stdout)["rollback target"] == (
        "FAIL rollback target deployment 1 names no artifact to redeploy: record it "
        f"with --version or --digest [{OLD[:12]} vs an earlier successful deployment with its commit "
        "and version or digest]"
    )


def test_missing_router_and_rollback_executables_fail_and_nothing_runs(
    setup, releasegate_cli, tmp_path
) -> None:
    config = setup(
        orders=False,
        router="kubectl-argo-missing set weight {service} {weight}",
        rollback="helm-missing rollback {service}",
    )
    deploy(releasegate_cli, config, (OLD, "1.3.2", "success"), (NEW, "1.4.0", "success"))

    result = releasegate_cli(
        "drill",
        "-c",
        config,
        "--env",
        "production",
        "--execute",
        "--target",
        "drill",
        env=path_env(tmp_path),
    )

    assert result.exit_code == 1
    checks = lines(result.stdout)
    assert checks["router set weight 0 (command)"] == (
        "FAIL router set weight 0 (command) executable 'kubectl-argo-missing' not found on PATH; "
        "install it where the rollback runs, or change the policy [kubectl-argo-missing set weight "
        "drill 0 vs kubectl-argo-missing on PATH]"
    )
    assert checks["rollback command"].startswith(
        "FAIL rollback command executable 'helm-missing' not found on PATH"
    )


def test_an_unreachable_metrics_server_is_a_finding_not_a_crash(
    setup, releasegate_cli, tmp_path
) -> None:
    from peers.prometheus import free_port

    config = setup(orders=False)
    text = Path(config).read_text()
    url = text.split("address: ")[1].split("\n")[0]
    Path(config).write_text(text.replace(url, f"http://127.0.0.1:{free_port()}", 1))
    deploy(releasegate_cli, config, (OLD, "1.3.2", "success"), (NEW, "1.4.0", "success"))

    result = releasegate_cli("drill", "-c", config, "--env", "production", env=path_env(tmp_path))

    assert result.exit_code == 1
    line = lines(result.stdout)["gate canary-health error-rate"]
    assert line.startswith(
        "ERR gate canary-health error-rate unreachable: canary: prometheus http://127.0.0.1:"
    )
    assert "cannot connect" in line
    assert lines(result.stdout)["gate service-health error-rate"].startswith("PASS")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--env", "qa"],
            "releasegate: error: --env qa: no such environment in {config}; known: staging, production",
        ),
        (
            ["--env", "production", "--execute"],
            "releasegate: error: --execute needs --target NAME: a test "
            "target to run the commands against, never the live service",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, releasegate_cli, args, message) -> None:
    config = tmp_path / "releasegate.yml"
    config.write_text(policy("http://127.0.0.1:9"))

    result = releasegate_cli("drill", "-c", str(config), *args)

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == message.format(config=config) + "\n"
