"""A local HTTP server for API-boundary tests: expected requests in, canned replies out.

I/O: a threaded HTTP server on 127.0.0.1. A test registers what it expects with
:meth:`HttpFake.expect` and what to answer with :meth:`Expectation.respond` (call it several
times for a sequence, e.g. 502 then 200). At teardown the fixture fails the test when an
expected request never came, an unexpected one came, or a validator (such as GitHub's
OpenAPI description) rejected one. Every request is kept in :attr:`HttpFake.requests`.
"""

from __future__ import annotations

import json as jsonlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = ["ANY", "Expectation", "HttpFake", "RecordedRequest", "Reply", "Validator", "http_fake"]

#: Status of the answer to a request the fake did not expect or a validator rejected.
FAKE_FAILURE_STATUS = 418


class _Any:
    def __repr__(self) -> str:
        return "ANY"


#: Matches anything: the default for the query, body and header checks of an expectation.
ANY: Any = _Any()
_NO_JSON: Any = object()


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it.

    :param method: upper-case HTTP method.
    :param target: the request target, path and query, as sent (``/a/b?x=1``).
    :param headers: header names in lower case, with their values.
    :param body: the raw body (empty when there was none).
    """

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The path without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query parameters, each with its list of values."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when the body is empty.

        :raises AssertionError: when the body is not JSON.
        """
        if not self.body:
            return None
        try:
            return jsonlib.loads(self.body)
        except ValueError as exc:
            raise AssertionError(f"{self.method} {self.target}: body is not JSON: {exc}") from exc

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


@dataclass(frozen=True)
class Reply:
    """A canned answer: status, JSON (or raw) body and headers."""

    status: int = 200
    json: Any = _NO_JSON
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The body bytes and headers to send (JSON gets its content type)."""
        headers = dict(self.headers)
        if self.json is _NO_JSON:
            return self.body, headers
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return jsonlib.dumps(self.json).encode(), headers


def _normal_query(query: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else [str(x) for x in v] for k, v in query.items()}


class Expectation:
    """A request the test expects, answered by its replies in order (one request each).

    :param method: HTTP method.
    :param path: the exact path, without the query.
    :param query: the exact query (``{"page": "2"}``), or :data:`ANY`.
    :param json: the exact JSON body, ``None`` for no body, a predicate, or :data:`ANY`.
    :param headers: headers that must be present with these values (a value may be :data:`ANY`).
    """

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | Sequence[str]] | Any = ANY,
        json: Any = ANY,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.query = ANY if query is ANY else _normal_query(query)
        self.json = json
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.replies: list[Reply] = []
        self.served = 0

    def respond(
        self,
        status: int = 200,
        json: Any = _NO_JSON,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str = b"",
    ) -> Expectation:
        """Add the answer to the next matching request; chain calls for a sequence.

        :returns: this expectation, for chaining.
        """
        raw = body.encode() if isinstance(body, str) else body
        self.replies.append(Reply(status, json, raw, dict(headers or {})))
        return self

    @property
    def pending(self) -> int:
        """How many more requests this expectation waits for."""
        return max(len(self.replies), 1) - self.served

    def mismatch(self, request: RecordedRequest) -> str | None:
        """Why ``request`` does not match (method and path aside), or ``None`` when it does."""
        if self.query is not ANY and request.query != self.query:
            return f"query {request.query} != expected {self.query}"
        for name, value in self.headers.items():
            got = request.headers.get(name)
            if got is None or (value is not ANY and got != value):
                return f"header {name}: {got!r} != expected {value!r}"
        if self.json is ANY:
            return None
        try:
            body = request.json
        except AssertionError as exc:
            return str(exc)
        if callable(self.json):
            return None if self.json(body) else f"body {body!r} rejected by {self.json!r}"
        if body != self.json:
            return f"body {body!r} != expected {self.json!r}"
        return None

    def take(self) -> Reply:
        """The reply to serve for the next matching request."""
        reply = self.replies[self.served] if self.replies else Reply()
        self.served += 1
        return reply

    def __str__(self) -> str:
        return f"{self.method} {self.path} (query={self.query}, json={self.json!r})"


Validator = Callable[[RecordedRequest], None]


class HttpFake:
    """The fake server. Start it with :meth:`start`; its URL is :attr:`url`.

    :param validators: called with every request; an ``AssertionError`` rejects the request.
    """

    def __init__(self, validators: Sequence[Validator] = ()) -> None:
        self.validators: list[Validator] = list(validators)
        self.expectations: list[Expectation] = []
        self.requests: list[RecordedRequest] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, no trailing slash (absolute ``Link`` URLs start with it)."""
        assert self._server is not None, "HttpFake.start() was not called"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def expect(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | Sequence[str]] | Any = ANY,
        json: Any = ANY,
        headers: Mapping[str, Any] | None = None,
    ) -> Expectation:
        """Register an expected request; see :class:`Expectation`. Answer it with ``.respond``."""
        expectation = Expectation(method, path, query=query, json=json, headers=headers)
        with self._lock:
            self.expectations.append(expectation)
        return expectation

    def link(self, path: str, rel: str) -> str:
        """One ``Link`` header entry pointing back at this server: ``<URL/path>; rel="next"``."""
        return f'<{self.url}{path}>; rel="{rel}"'

    def handle(self, request: RecordedRequest) -> Reply:
        """Record ``request``, validate it and pick its reply (called by the server thread)."""
        with self._lock:
            self.requests.append(request)
            for validate in self.validators:
                try:
                    validate(request)
                except AssertionError as exc:
                    return self._fail(f"{request}: rejected: {exc}")
            reasons = []
            for expectation in self.expectations:
                if expectation.method != request.method or expectation.path != request.path:
                    continue
                if expectation.pending <= 0:
                    reasons.append(f"{expectation}: already served {expectation.served} times")
                    continue
                why = expectation.mismatch(request)
                if why is None:
                    return expectation.take()
                reasons.append(f"{expectation}: {why}")
            detail = "; ".join(reasons) if reasons else "no expectation for this method and path"
            return self._fail(f"unexpected request {request}: {detail}")

    def _fail(self, message: str) -> Reply:
        self.failures.append(message)
        return Reply(FAKE_FAILURE_STATUS, {"message": message})

    def verify(self) -> None:
        """Fail when a request was unexpected or rejected, or an expected one never came.

        :raises AssertionError: listing every problem.
        """
        with self._lock:
            problems = list(self.failures)
            problems += [
                f"expected request never came: {e} ({e.pending} more)"
                for e in self.expectations
                if e.pending > 0
            ]
        if problems:
            raise AssertionError("HTTP fake: " + "\n  ".join(["", *problems]).lstrip())

    def start(self) -> HttpFake:
        """Start serving on a free port of 127.0.0.1; returns ``self``."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                body = self._read_body()
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake.handle(RecordedRequest(self.command, self.path, headers, body))
                payload, reply_headers = reply.encoded()
                self.send_response(reply.status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    length = int(self.headers.get("Content-Length") or 0)
                    return self.rfile.read(length) if length else b""
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def http_fake() -> Iterator[HttpFake]:
    """A started :class:`HttpFake`; verified (and stopped) when the test ends."""
    fake = HttpFake().start()
    yield fake
    fake.stop()
    fake.verify()
