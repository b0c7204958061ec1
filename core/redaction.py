"""Keeping credentials out of every output: URL userinfo moved to auth, known secrets redacted.

A URL such as ``http://admin:pass@host`` is split into the URL that is requested
(``http://host``) and the credentials sent as HTTP auth; anything shown to a person shows
``http://admin:***@host``. Secret values the process learns (tokens, passwords) are kept
here so every output channel can replace them with ``***`` (pure apart from that set).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from typing import Any, TypeVar
from urllib.parse import unquote

__all__ = [
    "MASK",
    "forget_all",
    "masked_address",
    "redact",
    "redact_url",
    "redacted",
    "remember",
    "split_userinfo",
    "userinfo",
]

MASK = "***"
#: Shorter values are not redacted as free text: masking every "1" helps nobody.
_MIN_SECRET = 4
#: ``scheme://user:password@`` or ``scheme://token@`` at any place in a text. The userinfo
#: runs to the last ``@`` before the path: a password may hold ``@`` and ``:`` unencoded. (One
#: holding ``/ ? #`` is refused by :func:`userinfo`, and shown by :func:`masked_address`.)
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/?#\s<>]*)@")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
#: Characters an output channel drops from a line (controls other than whitespace).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")

_lock = threading.Lock()
_known: set[str] = set()

T = TypeVar("T")


def remember(*values: str | None) -> None:
    """Redact these values (and their URL-encoded forms) from every later output."""
    with _lock:
        for value in values:
            if value and len(value) >= _MIN_SECRET:
                from urllib.parse import quote

                # as written, URL-encoded, and as a log line shows it once its whitespace and
                # control characters are made spaces or dropped (an echo goes through that)
                flat = " ".join(_CONTROL.sub("", value).split())
                _known.update(
                    v for v in (value, quote(value, safe=""), flat) if len(v) >= _MIN_SECRET
                )


def forget_all() -> None:
    """Drop every remembered secret (for tests that run several commands in one process)."""
    with _lock:
        _known.clear()


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("info").partition(":")
    if not colon:
        return f"{match.group('scheme')}{MASK}@"
    return f"{match.group('scheme')}{user}:{MASK}@"


def redact(text: str) -> str:
    """``text`` with URL passwords shown as ``***`` and every remembered secret replaced."""
    if not text:
        return text
    out = _USERINFO.sub(_mask_userinfo, text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in out:
            out = out.replace(secret, MASK)
    return out


def userinfo(url: str) -> tuple[str, str, str | None] | None:
    """``(url without userinfo, user, password)`` as written (still percent-encoded), ``None``
    when ``url`` holds no userinfo (pure).

    A password may hold an unencoded ``@`` (the host follows the last one). An ``@`` after
    the first ``/``, ``?`` or ``#`` is ambiguous: ``http://admin:pa/ss@host`` may be a
    password with a ``/`` or a path, so it is refused rather than guessed.

    :raises ValueError: for that ambiguous form, naming what to percent-encode.
    """
    scheme = _SCHEME.match(url)
    if not scheme:
        return None
    rest = url[scheme.end() :]
    cut = min([i for i in (rest.find(c) for c in "/?#") if i >= 0], default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in tail:
        raise ValueError(
            "an '@' after the host: if the address holds credentials, percent-encode the"
            " '/', '?' or '#' in them (%2F, %3F, %23)"
        )
    if "@" not in authority:
        return None
    info, _, host = authority.rpartition("@")
    user, colon, password = info.partition(":")
    return f"{scheme.group(0)}{host}{tail}", user, password if colon else None


def masked_address(url: str) -> str:
    """``url`` for a message when :func:`userinfo` refused it: everything up to its last ``@``
    is masked, wherever the userinfo may end (``http://***@host:9090``)."""
    scheme = _SCHEME.match(url)
    if not scheme or "@" not in url:
        return redact(url)
    return f"{scheme.group(0)}{MASK}@{url.rpartition('@')[2]}"


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``(url without userinfo, (user, password) or None)``; the credentials are remembered.

    ``http://admin:p%40ss@host:9090/prefix`` gives ``("http://host:9090/prefix", ("admin",
    "p@ss"))``; so does ``http://admin:p@ss@host:9090/prefix``. A URL with a user but no
    password gives that user an empty password.

    :raises ValueError: as :func:`userinfo` does.
    """
    found = userinfo(url)
    if found is None:
        return url, None
    clean, user, password = found
    credentials = (unquote(user), unquote(password or ""))
    remember(credentials[1], password)
    if not password:
        remember(credentials[0], user)
    return clean, credentials


def redact_url(url: str) -> str:
    """``url`` as it may be shown: ``http://admin:***@host`` (``http://***@host`` for a bare token)."""
    return redact(url)


def redacted(value: T) -> T:
    """``value`` with :func:`redact` applied to every string inside it.

    Walks frozen dataclasses (a Decision and its requirements), dicts, lists and tuples;
    returns ``value`` itself when nothing changed.
    """
    return _walk(value)  # type: ignore[no-any-return]


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_walk(k): _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _walk(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
