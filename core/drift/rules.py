"""Which differences are allowed, and which values are secret (pure).

``allow:`` paths are globs over the display paths of findings: ``*`` stands for one
key or name, ``[*]`` for any list position or named item, ``**`` for any number of
levels; a path also covers everything beneath it (``resources`` covers
``resources.requests.cpu``). A value is secret when any key on its path looks like a
credential (password, token, key, secret...) or the value is a secret reference
(``vault:...``, ``${{ secrets.X }}``, ``secretKeyRef``, credentials inside a URL...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from releasegate.drift.model import Named, PathPart
from releasegate.policy.model import DriftAllow

__all__ = ["allowed_reason", "looks_secret", "path_is_secret", "pattern_regex", "value_is_secret"]

#: Parts of a key that make its value secret wherever they appear in the key.
_SECRET_FRAGMENTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "authorization",
)
#: Whole words that make a key secret (``key`` alone, but not ``keyspace`` or ``monkey``).
_SECRET_WORDS = frozenset(
    {
        "key",
        "keys",
        "pwd",
        "pass",
        "auth",
        "cookie",
        "salt",
        "dsn",
        "private",
        "signature",
        "bearer",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_REFERENCES = re.compile(
    r"^\s*vault:|vault://|ref\+[a-z0-9]+://|\$\{\{\s*secrets\.|^\s*secret://|^\s*ENC\[|"
    r"arn:aws:secretsmanager:|^\s*(projects/[^/\s]+/)?secrets/[^/\s]+|keyvault|"
    r"://[^/\s:@]+:[^/\s@]+@|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    re.IGNORECASE,
)


def looks_secret(key: str) -> bool:
    """Whether a mapping key (or list item name) names a credential."""
    compact = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(fragment in compact for fragment in _SECRET_FRAGMENTS):
        return True
    return any(word.lower() in _SECRET_WORDS for word in _WORD.findall(key))


def path_is_secret(path: Sequence[PathPart]) -> bool:
    """Whether any key or named item on ``path`` looks secret."""
    for part in path:
        name = part.name if isinstance(part, Named) else part
        if isinstance(name, str) and looks_secret(name):
            return True
    return False


def value_is_secret(value: Any) -> bool:
    """Whether ``value``, or anything inside it, is a secret reference or under a secret key."""
    if isinstance(value, str):
        return bool(_REFERENCES.search(value))
    if isinstance(value, dict):
        return any(
            (isinstance(k, str) and looks_secret(k)) or value_is_secret(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(
            value_is_secret(v)
            or (isinstance(v, dict) and isinstance(v.get("name"), str) and looks_secret(v["name"]))
            for v in value
        )
    return False


@lru_cache(maxsize=256)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of an ``allow:`` path (covering the path and what is beneath)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern.startswith("[*]", i):
            out, i = out + r"\[[^\]]*\]", i + 3
        elif pattern[i] == "*":
            out, i = out + r"[^.\[\]]*", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(rf"(?:{out})(?:[.\[].*)?", re.DOTALL)


def allowed_reason(path: str, allow: Iterable[DriftAllow]) -> str | None:
    """The reason of the first ``allow:`` entry covering ``path``, else ``None``."""
    if not path:
        return None
    for rule in allow:
        if pattern_regex(rule.path).fullmatch(path):
            return rule.reason
    return None
