"""The Prometheus provider against a real Prometheus holding the sample rollout, and against
local servers for what a real one will not do on demand (5xx, slowness, auth checks)."""

from __future__ import annotations

import base64

import pytest
from providers.checkout_rollout import synth

from releasegate.errors import ProviderError
from releasegate.policy.model import Gate, Metric
from releasegate.providers import ProviderOverrides
from releasegate.providers.prometheus import PrometheusProvider, PrometheusSettings

CANARY_P99 = 'http_request_latency_p99_seconds{service="checkout",track="canary"}'


def provider(
    address: str, sleeps: list[float] | None = None, **settings: object
) -> PrometheusProvider:
    record = sleeps.append if sleeps is not None else (lambda _: None)
    return PrometheusProvider(settings=PrometheusSettings(address, **settings), sleep=record)  # type: ignore[arg-type]


def sample(deploy: float, at: float) -> float:
    start = deploy - synth.HISTORY
    for name, _, labels, samples in synth.series(start, "healthy"):
        if name == "http_request_latency_p99_seconds" and labels["track"] == "canary":
            return dict(samples)[at]
    raise AssertionError("no such sample")


def test_instant_and_range_read_the_samples_at_their_times(rollout_prometheus) -> None:
    server, deploy = rollout_prometheus("healthy")
    prom = provider(server.url)

    assert prom.query(CANARY_P99, deploy + 600) == sample(deploy, deploy + 600)
    answer = prom.query_range(CANARY_P99, deploy + 60, deploy + 600, 60)
    assert [t for t, _ in answer.points] == [deploy + 60 * i for i in range(1, 11)]
    assert [v for _, v in answer.points] == [sample(deploy, t) for t, _ in answer.points]
    assert answer.note is None


def test_range_marks_times_without_data_missing(rollout_prometheus) -> None:
    server, deploy = rollout_prometheus("healthy")

    answer = provider(server.url).query_range(CANARY_P99, deploy - 180, deploy + 120, 60)

    assert [v is None for _, v in answer.points] == [True, True, True, False, False, False]


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("nonexistent_metric", "no data"),
        ("0/0", None),  # NaN
        ("1/0", None),  # +Inf
        ("-1/0", None),  # -Inf
        ('http_request_latency_p99_seconds{service="checkout"}', "2 series where one was expected"),
    ],
)
def test_empty_nan_infinite_and_ambiguous_answers_are_missing(
    rollout_prometheus, query, note
) -> None:
    server, deploy = rollout_prometheus("healthy")
    prom = provider(server.url)

    assert prom.query(query, deploy + 600) is None
    answer = prom.query_range(query, deploy + 60, deploy + 300, 60)
    assert answer.present == 0
    assert len(answer.points) == 5
    if note:
        assert answer.note is not None and answer.note.startswith(note)


def test_a_bad_query_names_the_query_and_the_servers_error(rollout_prometheus) -> None:
    server, deploy = rollout_prometheus("healthy")

    with pytest.raises(ProviderError) as caught:
        provider(server.url).query("sum(rate(x[5m])", deploy)

    message = str(caught.value)
    assert message.startswith(
        f"prometheus {server.url}: query 'sum(rate(x[5m])' failed (HTTP 400): bad_data: "
    )
    assert "\n" not in message


def test_5xx_is_retried_with_exponential_backoff_then_answered(rollout_prometheus, front) -> None:
    server, deploy = rollout_prometheus("healthy")
    proxy = front(server.url, fail=2, status=503)
    sleeps: list[float] = []

    value = provider(proxy.url, sleeps, retries=3, backoff=0.5).query(CANARY_P99, deploy + 600)

    assert value == sample(deploy, deploy + 600)
    assert sleeps == [0.5, 1.0]
    assert len(proxy.seen) == 3


def test_5xx_on_every_attempt_is_a_provider_error(rollout_prometheus, front) -> None:
    server, _ = rollout_prometheus("healthy")
    proxy = front(server.url, fail=99, status=503)
    sleeps: list[float] = []

    with pytest.raises(ProviderError) as caught:
        provider(proxy.url, sleeps, retries=2, backoff=1).query("up", 0)

    assert str(caught.value) == (
        f"prometheus {proxy.url}: query 'up' (3 attempts) failed (HTTP 503): unavailable:"
        " overloaded; fix the query or the server"
    )
    assert sleeps == [1, 2]


def test_a_slow_server_times_out_with_a_clear_error(front) -> None:
    slow = front("http://127.0.0.1:9", delay=2.0)

    with pytest.raises(ProviderError) as caught:
        provider(slow.url, timeout=0.2, retries=1).query("up", 0)

    assert str(caught.value) == (
        f"prometheus {slow.url}: query 'up' timed out: no complete answer in the timeout of 0.2s"
        " (connect, headers and body; 2 attempts); raise the gate's timeout or simplify the query"
    )


def test_a_stopped_server_is_a_provider_error(rollout_prometheus) -> None:
    server, deploy = rollout_prometheus("healthy")
    prom = provider(server.url, retries=1)
    assert prom.query(CANARY_P99, deploy + 600) is not None

    server.stop()

    with pytest.raises(ProviderError, match=r"cannot connect \(2 attempts\).*check the address"):
        prom.query_range(CANARY_P99, deploy + 60, deploy + 600, 60)


SUCCESS = {
    "status": "success",
    "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.5"]}]},
}


def test_bearer_token_and_custom_headers_reach_the_server(http_fake) -> None:
    http_fake.expect(
        "GET",
        "/prefix/api/v1/query",
        query={"query": "up", "time": "1700000000"},
        headers={"Authorization": "Bearer s3cret", "X-Scope-OrgID": "tenant-a"},
    ).respond(200, SUCCESS)

    prom = provider(
        f"{http_fake.url}/prefix/", bearer_token="s3cret", headers={"X-Scope-OrgID": "tenant-a"}
    )

    assert prom.query("up", 1700000000) == 0.5


def test_basic_auth_reaches_the_server(http_fake) -> None:
    token = base64.b64encode(b"reader:pa:ss").decode()
    http_fake.expect("GET", "/api/v1/query", headers={"Authorization": f"Basic {token}"}).respond(
        200, SUCCESS
    )

    assert provider(http_fake.url, basic_auth=("reader", "pa:ss")).query("up", 1) == 0.5


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            401,
            "<html>login</html>",
            "HTTP 401, the server refused the credentials; set the gate's bearer_token, basic_auth or headers",
        ),
        (
            200,
            "<html>grafana</html>",
            "HTTP 200, not a Prometheus API answer (<html>grafana</html>); check that the address points at Prometheus",
        ),
    ],
)
def test_answers_that_are_not_the_prometheus_api(http_fake, status, body, message) -> None:
    http_fake.expect("GET", "/api/v1/query").respond(status, body=body)

    with pytest.raises(ProviderError) as caught:
        provider(http_fake.url, retries=0).query("up", 1)

    assert str(caught.value) == f"prometheus {http_fake.url}: query 'up': {message}"


def test_settings_come_from_the_gate_with_command_line_overrides(tmp_path) -> None:
    gate = Gate(
        name="g",
        provider="prometheus",
        metrics=(Metric(name="m", query="up", judge="threshold"),),
        address="http://127.0.0.1:1",
        bearer_token="from-policy",
        ca_file=str(tmp_path / "ca.pem"),
        timeout=3,
        retries=5,
    )

    plain = PrometheusProvider(gate)
    overridden = PrometheusProvider(
        gate, overrides=ProviderOverrides("http://127.0.0.1:2", "from-cli")
    )

    assert (plain.settings.address, plain.settings.bearer_token) == (
        "http://127.0.0.1:1",
        "from-policy",
    )
    assert plain.session.verify == str(tmp_path / "ca.pem")
    assert (plain.settings.timeout, plain.settings.retries) == (3, 5)
    assert overridden.session.headers["Authorization"] == "Bearer from-cli"
    assert overridden.settings.address == "http://127.0.0.1:2"


def test_a_gate_without_address_says_where_to_set_one() -> None:
    gate = Gate(name="g", provider="prometheus", metrics=())

    with pytest.raises(ProviderError) as caught:
        PrometheusProvider(gate)

    assert str(caught.value) == (
        "gate g: no Prometheus address; set gates.g.address or pass --prometheus-url"
        " (RELEASEGATE_PROMETHEUS_URL)"
    )


def test_a_value_in_a_regex_matcher_matches_only_itself_on_a_real_prometheus(prometheus) -> None:
    """``env=~"{env}"`` with ``prod|.*`` would select every environment's series: the
    value's regex metacharacters are escaped, so the real server sees one literal name."""
    from peers.openmetrics import Series
    from releasegate.placeholders import render_query

    at = 1_767_225_600
    samples = [(at - 600 + 15 * i, 1.0) for i in range(41)]
    server = prometheus(
        [
            Series("errors", {"env": "prod"}, samples),
            Series("errors", {"env": "staging"}, samples),
            Series("errors", {"env": "prod|.*"}, samples),
        ]
    )
    provider = PrometheusProvider(
        settings=PrometheusSettings(server.url, retries=0), sleep=lambda _: None
    )

    for template in (
        'count(errors{env=~"{env}"})',
        "count(errors{env=~'{env}'})",
        "count(errors{env=~`{env}`})",
    ):
        query = render_query(template, {"env": "prod|.*"})
        assert provider.query(query, at) == 1.0, query  # only the series named "prod|.*"
    assert (
        provider.query(render_query('count(errors{env!~"{env}"})', {"env": "prod|.*"}), at) == 2.0
    )
