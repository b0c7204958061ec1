"""One HTTP GET with hard limits: a total deadline, a response size cap, no redirects (I/O);
and the deadline of the gate interval a query runs in.

``requests``' ``timeout`` bounds each socket read, not the request: a server that sends
one byte every half second never trips it. Here the request runs on a daemon thread and
the caller waits at most ``deadline`` seconds for connect, headers and the whole body
together; the body is read in chunks and abandoned past ``max_bytes``. Redirects are
never followed: the answer of a server the gate was not configured for is never used.

A gate interval has a budget too: every query of the interval, with all its retries, must
end by the interval's end, however many queries wait for a worker. Whoever runs an
interval's queries sets that end with :func:`interval_deadline` in each worker thread, and
providers read it with :func:`interval_left` (a context variable, so it holds per thread
and a provider that ignores it loses nothing but the bound).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

__all__ = [
    "Answer",
    "DeadlineExceeded",
    "Redirected",
    "TooLarge",
    "bounded_get",
    "interval_deadline",
    "interval_left",
]

_CHUNK = 64 * 1024
#: ``time.monotonic()`` by which the current gate interval's queries must be done.
_INTERVAL_END: ContextVar[float | None] = ContextVar("releasegate_interval_end", default=None)


@contextmanager
def interval_deadline(end: float | None) -> Iterator[None]:
    """Run the body with ``end`` (``time.monotonic()`` seconds, ``None`` for none) as the
    deadline of the gate interval; an enclosing, earlier deadline stays in force."""
    outer = _INTERVAL_END.get()
    token = _INTERVAL_END.set(end if outer is None or (end is not None and end < outer) else outer)
    try:
        yield
    finally:
        _INTERVAL_END.reset(token)


def interval_left() -> float | None:
    """Seconds left in the current gate interval (may be negative), ``None`` outside one."""
    end = _INTERVAL_END.get()
    return None if end is None else end - time.monotonic()


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status, headers and the body as bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class DeadlineExceeded(Exception):
    """Connect, headers and body together took longer than the deadline."""


class TooLarge(Exception):
    """The body is larger than the cap (declared by Content-Length, or as read)."""


class Redirected(Exception):
    """The server answered with a redirect; ``location`` is where it pointed."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(f"HTTP {status} redirect to {location or 'nowhere'}")
        self.status = status
        self.location = location


def bounded_get(
    session: requests.Session,
    url: str,
    *,
    params: dict[str, str],
    deadline: float,
    max_bytes: int,
) -> Answer:
    """GET ``url`` and read the whole answer within ``deadline`` seconds and ``max_bytes``.

    :raises DeadlineExceeded: when the answer is not complete in time.
    :raises TooLarge: when the body is larger than ``max_bytes``.
    :raises Redirected: on any 3xx answer with a ``Location``.
    :raises requests.RequestException: as ``requests`` raises it (connect errors...).
    """
    done = threading.Event()
    stop = threading.Event()
    box: dict[str, Any] = {}

    def fetch() -> None:
        try:
            box["answer"] = _fetch(session, url, params, deadline, max_bytes, stop, box)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=fetch, name="releasegate-http", daemon=True)
    worker.start()
    if not done.wait(max(deadline, 0.0)):
        stop.set()
        _abort(box.get("response"))
        raise DeadlineExceeded(f"no complete answer within {deadline:g}s")
    if "error" in box:
        raise box["error"]
    answer: Answer = box["answer"]
    return answer


def _fetch(
    session: requests.Session,
    url: str,
    params: dict[str, str],
    deadline: float,
    max_bytes: int,
    stop: threading.Event,
    box: dict[str, Any],
) -> Answer:
    response = session.get(url, params=params, timeout=deadline, stream=True, allow_redirects=False)
    box["response"] = response
    try:
        if response.is_redirect or 300 <= response.status_code < 400:
            raise Redirected(response.status_code, response.headers.get("Location", ""))
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge(f"Content-Length {int(declared)} bytes")
        body = bytearray()
        for chunk in response.iter_content(_CHUNK):
            if stop.is_set():
                raise DeadlineExceeded("abandoned")
            body += chunk
            if len(body) > max_bytes:
                raise TooLarge(f"more than {max_bytes} bytes")
        return Answer(response.status_code, dict(response.headers), bytes(body))
    finally:
        response.close()


def _abort(response: Any) -> None:
    """Shut the socket of an abandoned answer so its thread stops reading (best effort)."""
    if response is None:
        return
    try:
        import socket

        connection = getattr(response.raw, "_connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):
        pass
