"""The Prometheus provider against servers that try to steer or stall a gate, on loopback:
slow-drip answers and headers, oversized answers, redirects to another server, and
credentials in the address. Every case fails closed with an error naming the limit hit."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from releasegate.errors import ProviderError
from releasegate.providers.prometheus import PrometheusProvider, PrometheusSettings
from releasegate.redaction import forget_all

OK_BODY = json.dumps(
    {"status": "success", "data": {"resultType": "scalar", "result": [0, "0.5"]}}
).encode()

Handler = Callable[[BaseHTTPRequestHandler], None]


class Hostile:
    """A loopback HTTP server answering every GET with ``handle``; counts requests and bytes."""

    def __init__(self, handle: Handler) -> None:
        self.requests: list[dict[str, str]] = []
        self.sent = 0
        self.finished = threading.Event()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                outer.requests.append(
                    {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
                )
                try:
                    handle(self)
                    outer.finished.set()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hostile() -> Iterator[Callable[[Handler], Hostile]]:
    servers: list[Hostile] = []

    def make(handle: Handler) -> Hostile:
        servers.append(Hostile(handle))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()
    forget_all()


def _prom(address: str, **settings: object) -> PrometheusProvider:
    return PrometheusProvider(
        settings=PrometheusSettings(address, **settings), sleep=lambda _: None
    )  # type: ignore[arg-type]


def _ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(OK_BODY)))
    handler.end_headers()
    handler.wfile.write(OK_BODY)


def test_a_slow_drip_body_is_cut_at_the_total_deadline(hostile) -> None:
    body = b" " * 400 + OK_BODY  # valid JSON, but one byte every 50 ms: 20 s in all

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            server.sent += 1
            time.sleep(0.05)

    server = hostile(drip)

    with pytest.raises(ProviderError) as caught:
        _prom(server.url, timeout=0.5, retries=1).query("up", 0)

    assert str(caught.value) == (
        f"prometheus {server.url}: query 'up' timed out: no complete answer in the timeout of 0.5s"
        " (connect, headers and body; 2 attempts); raise the gate's timeout or simplify the query"
    )
    # Each read got a byte well inside the per-read timeout: only a total deadline stops this.
    assert not server.finished.is_set() and server.sent < len(body)


def test_slow_drip_headers_are_cut_at_the_total_deadline(hostile) -> None:
    def drip_headers(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(400):
            handler.wfile.write(b"X: y\r\n")
            handler.wfile.flush()
            server.sent += 1
            time.sleep(0.05)

    server = hostile(drip_headers)

    with pytest.raises(
        ProviderError, match=r"timed out: no complete answer in the timeout of 0\.5s"
    ):
        _prom(server.url, timeout=0.5, retries=0).query("up", 0)
    assert not server.finished.is_set()


def test_all_attempts_of_a_query_fit_in_the_gate_interval(hostile) -> None:
    def stall(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(5)

    server = hostile(stall)

    with pytest.raises(ProviderError) as caught:
        _prom(server.url, timeout=0.4, retries=10, budget=1.0).query("up", 0)

    message = str(caught.value)
    assert (
        "the gate interval (1s)" in message or "no answer within the gate interval (1s" in message
    )
    assert len(server.requests) < 11


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_answer_is_refused_naming_the_cap(hostile, declared: bool) -> None:
    big = (
        b'{"status":"success","data":{"resultType":"scalar","result":[0,"1"]},"pad":"'
        + b"x" * 300_000
        + b'"}'
    )

    def oversized(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if declared:
            handler.send_header("Content-Length", str(len(big)))
            handler.end_headers()
            handler.wfile.write(big)
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(big), 8192):
            piece = big[start : start + 8192]
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    server = hostile(oversized)

    with pytest.raises(ProviderError) as caught:
        _prom(server.url, max_response_bytes=100_000).query("up", 0)

    message = str(caught.value)
    assert message.startswith(
        f"prometheus {server.url}: query 'up': answer larger than max_response_bytes (100000 "
        f"bytes; "
    )
    assert message.endswith("narrow the query or raise the gate's max_response_bytes")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_no_header_reaches_the_other_server(
    hostile, status: int
) -> None:
    elsewhere = hostile(_ok)

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", f"{elsewhere.url}/api/v1/query?query=vector(0)")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server = hostile(redirect)

    with pytest.raises(ProviderError) as caught:
        _prom(server.url, headers={"X-Api-Key": "k-123456", "X-Scope-OrgID": "tenant"}).query(
            "up", 0
        )

    assert str(caught.value) == (
        f"prometheus {server.url}: query 'up': HTTP {status} redirect to"
        f" '{elsewhere.url}/api/v1/query?query=vector(0)' refused (redirects are never followed);"
        " set the gate's address to the server that answers"
    )
    assert elsewhere.requests == []
    assert len(server.requests) == 1


def test_credentials_in_the_address_become_basic_auth_and_are_never_shown(hostile) -> None:
    def needs_auth(handler: BaseHTTPRequestHandler) -> None:
        if (
            handler.headers.get("Authorization")
            != "Basic " + base64.b64encode(b"admin:s3cr3t-pw").decode()
        ):
            handler.send_response(401)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = b'{"status":"error","errorType":"bad_data","error":"nope"}'
        handler.send_response(400)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server = hostile(needs_auth)
    address = server.url.replace("http://", "http://admin:s3cr3t-pw@")

    with pytest.raises(ProviderError) as caught:
        _prom(address).query("up", 0)

    shown = server.url.replace("http://", "http://admin:***@")
    assert str(caught.value) == (
        f"prometheus {shown}: query 'up' failed (HTTP 400): bad_data: nope; fix the query or the server"
    )
    assert server.requests[0]["path"].startswith("/api/v1/query?")


def test_a_servers_error_text_reaches_the_message_as_one_line(hostile) -> None:
    def newline_error(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(
            {
                "status": "error",
                "errorType": "x\n::add-mask::allow",
                "error": "a\r\n::stop-commands::t",
            }
        ).encode()
        handler.send_response(422)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server = hostile(newline_error)

    with pytest.raises(ProviderError) as caught:
        _prom(server.url).query("up", 0)

    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


@pytest.mark.parametrize("kind", ["drip", "oversized", "redirect"])
def test_analyze_fails_closed_on_a_hostile_server(
    hostile, releasegate_cli, tmp_path, kind: str
) -> None:
    elsewhere = hostile(_ok)

    def answer(handler: BaseHTTPRequestHandler) -> None:
        if kind == "redirect":
            handler.send_response(302)
            handler.send_header("Location", elsewhere.url + handler.path)
            handler.end_headers()
            return
        body = OK_BODY + b" " * (200_000 if kind == "oversized" else 100)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for start in range(0, len(body), 1 if kind == "drip" else len(body)):
            handler.wfile.write(body[start : start + (1 if kind == "drip" else len(body))])
            handler.wfile.flush()
            if kind == "drip":
                time.sleep(0.05)

    server = hostile(answer)
    (tmp_path / "releasegate.yml").write_text(
        "version: 1\ngates:\n  live:\n    provider: prometheus\n"
        f"    address: {server.url}\n    timeout: 1s\n    retries: 0\n    max_response_bytes: 100000\n"
        "    metrics:\n      - {name: errors, query: 'sum(rate(e[1m]))', judge: threshold, fail_if: '> 1'}\n"
    )

    result = releasegate_cli(
        "analyze",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "live",
        "--once",
        "--format",
        "json",
    )

    assert result.exit_code == 4, result.stderr
    body = json.loads(result.stdout)
    assert body["outcome"] == "error"  # no decision: the provider failed
    limit = {
        "drip": "no complete answer in the timeout of 1s",
        "oversized": "larger than max_response_bytes",
        "redirect": "redirect to",
    }[kind]
    assert limit in body["reason"]
    assert elsewhere.requests == []


def test_a_server_echoing_the_credentials_gets_them_redacted_in_the_error_itself(hostile) -> None:
    def echo(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(
            {
                "status": "error",
                "errorType": "echo",
                "error": f"{handler.headers['Authorization']} {handler.headers['X-Api-Key']}",
            }
        ).encode()
        handler.send_response(400)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server = hostile(echo)

    with pytest.raises(ProviderError) as caught:
        _prom(
            server.url, bearer_token="tok-abcdef-123", headers={"X-Api-Key": "key-abcdef-456"}
        ).query("up", 0)

    # The message itself is clean, so wherever it is kept (canary state, ledger) it stays so.
    assert str(caught.value).endswith(
        "failed (HTTP 400): echo: Bearer *** ***; fix the query or the server"
    )


def test_a_compressed_answer_is_capped_by_its_decoded_size(hostile) -> None:
    import gzip

    bomb = gzip.compress(
        b'{"status":"success","data":{"resultType":"scalar","result":[0,"1"]},"pad":"'
        + b"0" * 20_000_000
        + b'"}'
    )

    def compressed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    server = hostile(compressed)
    assert len(bomb) < 100_000  # what travels fits the cap; what it expands to does not

    with pytest.raises(
        ProviderError, match=r"answer larger than max_response_bytes \(100000 bytes; more than"
    ):
        _prom(server.url, max_response_bytes=100_000).query("up", 0)


def test_a_slow_drip_server_cannot_stretch_one_interval_over_queued_queries(
    hostile, releasegate_cli, tmp_path
) -> None:
    body = b" " * 400 + OK_BODY  # one byte every 50 ms: 20 s, far beyond the 2 s interval

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.05)

    server = hostile(drip)
    # 40 queries for 32 workers: the last 8 wait for a worker, which frees only when its own
    # query has used the interval up; each query alone would be allowed a whole interval.
    metrics = "".join(
        f"      - {{name: m{i}, query: 'sum(rate(e{i}[1m]))', judge: threshold, fail_if: '> 1'}}\n"
        for i in range(40)
    )
    (tmp_path / "releasegate.yml").write_text(
        "version: 1\ngates:\n  live:\n    provider: prometheus\n"
        f"    address: {server.url}\n    interval: 2s\n    timeout: 1s\n    retries: 5\n"
        f"    metrics:\n{metrics}"
    )

    result = releasegate_cli(
        "analyze",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "live",
        "--once",
        "--format",
        "json",
    )

    assert result.exit_code == 4, result.stderr
    body_json = json.loads(result.stdout)
    assert body_json["outcome"] == "error"
    assert (
        "no answer within the gate interval (2s" in body_json["reason"]
        or "what is left of the gate interval (2s)" in body_json["reason"]
    )
    queried = {request["path"].split("query=")[1].split("&")[0] for request in server.requests}
    assert len(queried) <= 32  # the queued queries were never sent: the interval was over
    # at most two attempts of 1 s (with a 0.5 s pause) fit in 2 s, for each of 32 workers
    assert len(server.requests) <= 64


def test_a_query_run_inside_a_gate_interval_ends_with_it(hostile) -> None:
    from releasegate.providers.bounded import interval_deadline

    def stall(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(5)

    server = hostile(stall)

    with interval_deadline(time.monotonic() + 0.6), pytest.raises(ProviderError) as caught:
        _prom(server.url, timeout=0.4, retries=10, budget=30.0).query("up", 0)

    assert "gate interval" in str(caught.value)
    assert len(server.requests) <= 2  # 0.4 s, then what is left of 0.6 s; never the 30 s budget
