"""The Prometheus metric provider: instant and range queries over the HTTP API (I/O).

It receives its ``requests`` session, settings and sleep function in its constructor.
5xx answers, timeouts and connection errors are retried with exponential backoff; every
error names the server, the query and the server's own ``errorType``/``error``. An empty
result, NaN, an infinity or several series where one was expected are missing values.
Each request has a total deadline (``timeout``: connect, headers and body together) and a
size cap (``max_response_bytes``); all attempts of one query, and all queries of one
interval (:func:`~releasegate.providers.bounded.interval_left`), fit in the gate interval;
redirects are refused. Credentials in the address (``http://user:pass@host``) are sent as
basic auth and shown as ``http://user:***@host``.
``requests`` is imported lazily so commands that never query a server do not load it.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from releasegate.errors import ProviderError, UsageError
from releasegate.plugins import Registry, hookimpl
from releasegate.providers import Points, ProviderOverrides
from releasegate.providers.bounded import (
    Answer,
    DeadlineExceeded,
    Redirected,
    TooLarge,
    bounded_get,
    interval_left,
)
from releasegate.redaction import masked_address, redact, redact_url, remember, split_userinfo

if TYPE_CHECKING:
    import requests

    from releasegate.policy.model import Gate

__all__ = ["PrometheusProvider", "PrometheusSettings"]

_POOL_SIZE = 32
_MAX_POINTS = 11000  # Prometheus refuses range queries above this many points per series
#: The default response size cap: a range query of 11000 points is about 0.5 MiB.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Header names whose values are credentials, redacted from every output.
_SECRET_HEADER = ("auth", "key", "token", "secret", "password", "cookie")


@dataclass(frozen=True)
class PrometheusSettings:
    """How to reach one Prometheus server.

    :param address: base URL, e.g. ``http://127.0.0.1:9090`` (a path prefix is kept).
    :param headers: extra HTTP headers sent with every request.
    :param bearer_token: sent as ``Authorization: Bearer <token>``.
    :param basic_auth: ``(user, password)`` for HTTP basic auth.
    :param ca_file: a PEM bundle to verify the server's TLS certificate with.
    :param timeout: total seconds for each HTTP request (connect, headers and body).
    :param retries: extra attempts after a 5xx, a timeout or a connection error.
    :param backoff: seconds before the first retry; doubled for each further one.
    :param max_response_bytes: the largest answer read; a larger one is an error.
    :param budget: seconds all attempts of one query may take together (the gate interval);
        ``None`` for no budget beyond each request's deadline.
    """

    address: str
    headers: Mapping[str, str] = field(default_factory=dict)
    bearer_token: str | None = None
    basic_auth: tuple[str, str] | None = None
    ca_file: str | None = None
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    max_response_bytes: int = MAX_RESPONSE_BYTES
    budget: float | None = None
    _shown: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Userinfo in the address becomes basic auth; the address keeps only where to go.
        try:
            address, credentials = split_userinfo(self.address)
        except ValueError as exc:
            raise UsageError(f"prometheus {masked_address(self.address)}: {exc}") from None
        object.__setattr__(self, "address", address)
        shown = redact_url(address) if credentials is None else _shown(address, credentials)
        object.__setattr__(self, "_shown", shown)
        if credentials is not None:  # the address is the more specific setting: it wins
            if self.bearer_token:
                raise ProviderError(
                    f"prometheus {shown}: the address holds credentials and a bearer token is set"
                    " too; keep one of them"
                )
            object.__setattr__(self, "basic_auth", credentials)
        remember(self.bearer_token, self.basic_auth[1] if self.basic_auth else None)
        if self.basic_auth:  # as it travels in the Authorization header, should a server echo it
            remember(base64.b64encode(":".join(self.basic_auth).encode()).decode())
        remember(
            *(
                value
                for name, value in self.headers.items()
                if any(word in name.lower() for word in _SECRET_HEADER)
            )
        )

    @property
    def shown(self) -> str:
        """The address as it may be printed: ``http://user:***@host`` when it held credentials."""
        return self._shown

    @classmethod
    def from_gate(
        cls, gate: Gate, overrides: ProviderOverrides | None = None
    ) -> PrometheusSettings:
        """Build settings from a gate's policy, with command-line overrides winning.

        :raises releasegate.errors.ProviderError: when no address is known.
        """
        overrides = overrides or ProviderOverrides()
        address = overrides.address or gate.address
        if not address:
            raise ProviderError(
                f"gate {gate.name}: no Prometheus address; set gates.{gate.name}.address"
                " or pass --prometheus-url (RELEASEGATE_PROMETHEUS_URL)"
            )
        return cls(
            address=address,
            headers=dict(gate.headers),
            bearer_token=overrides.bearer_token or gate.bearer_token,
            basic_auth=gate.basic_auth,
            ca_file=gate.ca_file,
            timeout=gate.timeout,
            retries=gate.retries,
            max_response_bytes=gate.max_response_bytes,
            budget=gate.interval,
        )


def _shown(address: str, credentials: tuple[str, str]) -> str:
    scheme, sep, rest = address.partition("://")
    user = credentials[0] if credentials[1] else ""
    who = f"{user}:***" if user else "***"
    return f"{scheme}{sep}{who}@{rest}" if sep else address


def _new_session(settings: PrometheusSettings) -> requests.Session:
    import requests

    session = requests.Session()
    # A gate's queries run concurrently: keep a connection for each of them.
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=_POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"Accept": "application/json", **dict(settings.headers)})
    if settings.bearer_token:
        session.headers["Authorization"] = f"Bearer {settings.bearer_token}"
    if settings.basic_auth:
        session.auth = settings.basic_auth
    if settings.ca_file:
        session.verify = settings.ca_file
    return session


def _number(raw: Any) -> float | None:
    """A sample value as Prometheus sends it (a string); ``None`` for NaN and infinities."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class PrometheusProvider:
    """Queries one Prometheus server.

    Built as plugins build providers, ``PrometheusProvider(gate=..., session=..., sleep=...)``,
    or from explicit ``settings``.

    :param gate: the gate whose address, auth, TLS, timeout and retries to use.
    :param session: the HTTP session; a new ``requests.Session`` built from the settings
        when ``None``.
    :param sleep: the function to wait between retries (injected in tests).
    :param overrides: command-line settings that win over the gate's.
    :param settings: explicit settings instead of ``gate``.
    """

    name: ClassVar[str] = "prometheus"

    def __init__(
        self,
        gate: Gate | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        overrides: ProviderOverrides | None = None,
        settings: PrometheusSettings | None = None,
    ) -> None:
        if settings is None:
            if gate is None:
                raise TypeError("PrometheusProvider needs a gate or settings")
            settings = PrometheusSettings.from_gate(gate, overrides)
        self.settings = settings
        self.session = session if session is not None else _new_session(settings)
        self._sleep = sleep
        self._url = settings.address.rstrip("/")
        self._base = settings.shown.rstrip("/")

    # -- queries -------------------------------------------------------------------------

    def query(self, query: str, at: float) -> float | None:
        """Evaluate ``query`` at ``at``; ``None`` when the result is empty, NaN, infinite or
        holds more than one series.

        :raises releasegate.errors.ProviderError: on a transport, HTTP or query error.
        """
        data = self._get("query", {"query": query, "time": _ts(at)}, query)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            return _number(result[1])
        if kind == "vector" and isinstance(result, list):
            if len(result) != 1:
                return None
            return _number(result[0].get("value", [None, None])[1])
        raise ProviderError(
            f"prometheus {self._base}: query {query!r} returned a {kind} result;"
            " write a query that returns a single number (a scalar or one series)"
        )

    def query_range(self, query: str, start: float, end: float, step: float) -> Points:
        """Evaluate ``query`` on the grid ``start, start + step, ... <= end``.

        Grid times with no sample, NaN or an infinity are ``None``; when the query returns
        several series every point is ``None`` and ``note`` says why.

        :raises releasegate.errors.ProviderError: on a transport, HTTP or query error, or
            when the grid is larger than Prometheus allows.
        """
        if step <= 0:
            raise ProviderError(f"prometheus {self._base}: query {query!r}: step must be positive")
        if end < start:
            return Points(())
        count = int(math.floor((end - start) / step + 1e-9)) + 1
        if count > _MAX_POINTS:
            raise ProviderError(
                f"prometheus {self._base}: query {query!r} over {count} points exceeds"
                f" {_MAX_POINTS}; shorten the window or lengthen the gate interval"
            )
        grid = [start + i * step for i in range(count)]
        params = {"query": query, "start": _ts(start), "end": _ts(grid[-1]), "step": _ts(step)}
        data = self._get("query_range", params, query)
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise ProviderError(
                f"prometheus {self._base}: query_range {query!r} returned"
                f" {data.get('resultType')!r} instead of a matrix; check the server version"
            )
        if len(result) > 1:
            note: str | None = (
                f"{len(result)} series where one was expected; aggregate the query (sum, max...)"
            )
            return Points(tuple((t, None) for t in grid), note)
        seen: dict[int, float | None] = {}
        for raw_time, raw_value in result[0].get("values", []) if result else []:
            seen[_slot(float(raw_time), start, step)] = _number(raw_value)
        note = None if result else "no data"
        return Points(tuple((t, seen.get(i)) for i, t in enumerate(grid)), note)

    # -- transport -----------------------------------------------------------------------

    def _get(self, endpoint: str, params: dict[str, str], query: str) -> dict[str, Any]:
        import requests

        url = f"{self._url}/api/v1/{endpoint}"
        where = f"prometheus {self._base}: query {query!r}"
        settings = self.settings
        attempts = max(0, settings.retries) + 1
        clock = time.monotonic
        budget_end = clock() + settings.budget if settings.budget else None
        left = interval_left()  # the gate interval this query runs in, shared by all its queries
        if left is not None and (budget_end is None or clock() + left < budget_end):
            budget_end = clock() + left
        span = f"{settings.budget:g}s" if settings.budget else ""
        for attempt in range(attempts):
            deadline, limit = settings.timeout, "the timeout"
            if budget_end is not None and budget_end - clock() < deadline:
                limit = "what is left of the gate interval" + (f" ({span})" if span else "")
                deadline = budget_end - clock()
                if deadline <= 0:
                    raise ProviderError(
                        f"{where}: no answer within the gate interval ({span + ', ' if span else ''}"
                        f"{attempt} attempts);"
                        " fix the server or lengthen the interval"
                    )
            last = attempt == attempts - 1
            try:
                answer = bounded_get(
                    self.session,
                    url,
                    params=params,
                    deadline=deadline,
                    max_bytes=settings.max_response_bytes,
                )
            except (DeadlineExceeded, requests.Timeout) as exc:
                if last or _out_of_budget(budget_end, clock()):
                    raise ProviderError(
                        f"{where} timed out: no complete answer in {limit} of {deadline:.3g}s"
                        f" (connect, headers and body; {attempt + 1} attempts); raise the gate's"
                        " timeout or simplify the query"
                    ) from exc
            except TooLarge as exc:
                raise ProviderError(
                    f"{where}: answer larger than max_response_bytes"
                    f" ({settings.max_response_bytes} bytes; {exc}); narrow the query or raise"
                    " the gate's max_response_bytes"
                ) from exc
            except Redirected as exc:
                raise ProviderError(
                    f"{where}: HTTP {exc.status} redirect to {_one_line(redact(exc.location))!r}"
                    " refused (redirects are never followed); set the gate's address to the"
                    " server that answers"
                ) from exc
            except requests.ConnectionError as exc:
                if last or _out_of_budget(budget_end, clock()):
                    raise ProviderError(
                        f"{where}: cannot connect ({attempt + 1} attempts): {_short(exc)};"
                        " check the address and that the server is up"
                    ) from exc
            except requests.RequestException as exc:
                raise ProviderError(f"{where}: request failed: {_short(exc)}") from exc
            else:
                if answer.status < 500:
                    return self._body(answer, where)
                if last or _out_of_budget(budget_end, clock()):
                    return self._body(answer, f"{where} ({attempt + 1} attempts)")
            pause = settings.backoff * (2**attempt)
            if budget_end is not None:
                pause = min(pause, max(0.0, budget_end - clock()))
            self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _body(self, response: Answer, where: str) -> dict[str, Any]:
        status = response.status
        try:
            body = json.loads(response.body)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "success" and status < 400:
            data = body.get("data")
            if isinstance(data, dict):
                return data
        if isinstance(body, dict) and body.get("status") == "error":
            raise ProviderError(
                f"{where} failed (HTTP {status}): {_one_line(body.get('errorType', 'error'))}:"
                f" {_one_line(body.get('error', 'no message'))}; fix the query or the server"
            )
        if status in (401, 403):
            raise ProviderError(
                f"{where}: HTTP {status}, the server refused the credentials;"
                " set the gate's bearer_token, basic_auth or headers"
            )
        text = _one_line(response.text) if response.body else "empty body"
        raise ProviderError(
            f"{where}: HTTP {status}, not a Prometheus API answer ({text});"
            " check that the address points at Prometheus"
        )


def _out_of_budget(budget_end: float | None, now: float) -> bool:
    """Whether no time is left in the interval for another attempt."""
    return budget_end is not None and now >= budget_end


def _one_line(value: Any, limit: int = 200) -> str:
    """A server-supplied text as one short line without secrets (a server may echo them back),
    as it ends up in logs, decisions and the ledger's state."""
    return redact(" ".join(redact(str(value)).split()))[:limit]


def _ts(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _slot(when: float, start: float, step: float) -> int:
    return int(round((when - start) / step))


_CAUSE = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_CAUSES = (
    "Read timed out",
    "Connection reset by peer",
    "Connection aborted",
    "Name or service not known",
    "certificate verify failed",
    "Remote end closed connection",
)


def _short(exc: BaseException) -> str:
    """The root cause of a requests error in a few words (urllib3 wraps it in pool details)."""
    text = str(exc)
    found = _CAUSE.search(text)
    if found:
        return found.group(1).strip()
    for cause in _CAUSES:
        if cause in text:
            return cause
    return redact(text.splitlines()[0] if text else type(exc).__name__)[:200]


@hookimpl
def releasegate_register_providers(registry: Registry) -> None:
    """Register :class:`PrometheusProvider` as ``prometheus``."""
    registry.add(PrometheusProvider)
