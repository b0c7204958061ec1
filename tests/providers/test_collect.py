"""Gate collection: placeholder rendering, the query plan, and collecting from a real
Prometheus (and a local server that proves the queries run concurrently)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from releasegate.policy.model import Gate, Metric
from releasegate.providers.prometheus import PrometheusProvider, PrometheusSettings
from releasegate.rollout.collect import collect, observation_grid, plan_queries, render_query

ERRORS = (
    'sum(rate(http_requests_total{service="{service}",track="{variant}",code=~"5.."}[{interval}]))'
    ' / sum(rate(http_requests_total{service="{service}",track="{variant}"}[{interval}]))'
)
COUNT = 'sum(increase(http_requests_total{service="{service}",track="{variant}"}[{interval}]))'
P99 = 'max(http_request_latency_p99_seconds{service="{service}"})'


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ('up{job="{service}"}', {"service": "checkout"}, 'up{job="checkout"}'),
        ("rate(x[{interval}])", {"interval": "1m"}, "rate(x[1m])"),
        (
            'x{track="{variant}",env="{env}"}',
            {"variant": "canary", "env": "prod"},
            'x{track="canary",env="prod"}',
        ),
        ('x{a="b"} + y{}', {"service": "s"}, 'x{a="b"} + y{}'),  # PromQL's braces stay
        ('x{a="{window}"}', {"service": "s"}, 'x{a="{window}"}'),  # not ours: untouched
        ('x{a="{service}"}', {}, 'x{a="{service}"}'),  # no value: untouched
        ('x{a="{service}"}', {"service": 'we"ird\\'}, 'x{a="we\\"ird\\\\"}'),  # escaped
        ("{{service}}", {"service": "s"}, "{s}"),
    ],
)
def test_render_query_replaces_whole_tokens_only(template, values, expected) -> None:
    assert render_query(template, values) == expected


def gate(*metrics: Metric, **options: object) -> Gate:
    return Gate(
        name="canary-health", provider="prometheus", metrics=metrics, interval=60.0, **options
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("deployed", "now", "grid"),
    [
        (1000.0, 1059.0, None),
        (1000.0, 1060.0, (1060.0, 1060.0)),
        (1000.0, 1300.5, (1060.0, 1300.0)),
        (0.0, 60.0 * 20000, (60.0 * 10001, 60.0 * 20000)),  # capped to the latest 10000 points
    ],
)
def test_observations_are_whole_intervals_after_the_deploy(deployed, now, grid) -> None:
    assert observation_grid(gate(), deployed, now) == grid


def test_plan_runs_variant_queries_per_variant_and_history_for_anomaly() -> None:
    plan = plan_queries(
        gate(
            Metric("error-rate", ERRORS, "sequential", count_query=COUNT),
            Metric("p99", P99, "anomaly", history=600),
        ),
        service="checkout",
        env="production",
        deployed_at=1000.0,
        now=1180.0,
    )

    rows = [(q.metric, q.role, q.start, q.end) for q in plan]
    assert rows == [
        ("error-rate", "canary", 1060.0, 1180.0),
        ("error-rate", "baseline", 1060.0, 1180.0),
        ("error-rate", "canary_count", 1060.0, 1180.0),
        ("error-rate", "baseline_count", 1060.0, 1180.0),
        ("p99", "canary", 1060.0, 1180.0),
        ("p99", "history", 400.0, 999.0),
    ]
    assert plan[1].query == (
        'sum(rate(http_requests_total{service="checkout",track="stable",code=~"5.."}[1m]))'
        ' / sum(rate(http_requests_total{service="checkout",track="stable"}[1m]))'
    )
    assert plan[5].query == 'max(http_request_latency_p99_seconds{service="checkout"})'


def test_collect_reads_canary_baseline_counts_and_history_from_prometheus(
    rollout_prometheus,
) -> None:
    server, deploy = rollout_prometheus("bad")
    provider = PrometheusProvider(settings=PrometheusSettings(server.url))
    the_gate = gate(
        Metric("error-rate", ERRORS, "sequential", count_query=COUNT),
        Metric("p99", P99, "anomaly", history=900),
    )

    got = collect(
        the_gate,
        provider,
        service="checkout",
        env="production",
        deployed_at=deploy,
        now=deploy + 600,
    )

    assert got.provider_errors == ()
    errors = got.data["error-rate"]
    assert [o.time for o in errors.observations] == [deploy + 60 * i for i in range(1, 11)]
    assert errors.error is None
    assert all(0.04 < o.canary < 0.13 for o in errors.observations)
    assert all(0.0 < o.baseline < 0.025 for o in errors.observations)
    assert all(250 < o.canary_count < 350 for o in errors.observations)  # 5 requests/s
    assert all(1000 < o.baseline_count < 1400 for o in errors.observations)  # 20 requests/s
    p99 = got.data["p99"]
    assert [t for t, _ in p99.history] == [deploy - 900 + 60 * i for i in range(15)]
    assert all(0.15 < v < 0.25 for _, v in p99.history)
    assert all(o.canary > 0.5 and o.baseline is None for o in p99.observations)


def test_a_provider_error_becomes_the_metrics_error_not_an_exception() -> None:
    provider = PrometheusProvider(settings=PrometheusSettings("http://127.0.0.1:9", retries=0))

    got = collect(
        gate(Metric("p99", P99, "threshold")),
        provider,
        service="s",
        env="e",
        deployed_at=0,
        now=120,
    )

    assert len(got.provider_errors) == 1
    assert got.data["p99"].error is not None and "cannot connect" in got.data["p99"].error
    assert [o.canary for o in got.data["p99"].observations] == []


class Barrier:
    """A Prometheus stand-in that answers only once ``parties`` requests are in flight."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                try:
                    outer.barrier.wait()
                    body = {
                        "status": "success",
                        "data": {
                            "resultType": "matrix",
                            "result": [{"metric": {}, "values": [[60, "1"]]}],
                        },
                    }
                    status = 200
                except threading.BrokenBarrierError:
                    body, status = (
                        {"status": "error", "errorType": "test", "error": "not concurrent"},
                        400,
                    )
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def barrier20() -> Iterator[Barrier]:
    server = Barrier(20)
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_all_queries_of_a_gate_are_in_flight_at_once(barrier20) -> None:
    url = f"http://127.0.0.1:{barrier20.server.server_address[1]}"
    provider = PrometheusProvider(settings=PrometheusSettings(url, retries=0, timeout=30))
    metrics = [Metric(f"m{i}", f'up{{i="{i}"}}', "threshold") for i in range(20)]

    got = collect(gate(*metrics), provider, service="s", env="e", deployed_at=0, now=60)

    assert got.provider_errors == ()
    assert [got.data[f"m{i}"].observations[0].canary for i in range(20)] == [1.0] * 20
