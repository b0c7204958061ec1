"""Cache keys: line-ending independent file digests, their combination, key and prefix shapes (pure).

A key is ``PREFIX-OS-ECOSYSTEM[-DIRECTORY]-HASH``. The hash covers every lockfile's
repository-relative path and content, sorted by path, with CRLF read as LF, so two
clones of one commit give the same key on any machine whatever the discovery order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

#: Changing how keys are computed changes this, so old caches are not restored by mistake.
KEY_SCHEME = "releasegate-cache-key-v1"
_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")


class LineEndingHasher:
    """sha256 over bytes fed in chunks, with every CRLF read as LF (a lone CR is kept).

    A CR at the end of one chunk is held back until the next chunk shows whether an LF
    follows, so the digest does not depend on where the chunks were cut.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pending = b""

    def update(self, chunk: bytes) -> None:
        """Feed the next bytes of the file."""
        data = self._pending + chunk
        if data.endswith(b"\r"):
            self._pending, data = b"\r", data[:-1]
        else:
            self._pending = b""
        self._hash.update(data.replace(b"\r\n", b"\n"))

    def hexdigest(self) -> str:
        """The digest of everything fed so far (a trailing lone CR counts)."""
        final = self._hash.copy()
        final.update(self._pending)
        return final.hexdigest()


def digest_bytes(content: bytes) -> str:
    """The line-ending independent digest of one file's whole content."""
    hasher = LineEndingHasher()
    hasher.update(content)
    return hasher.hexdigest()


def combine(digests: Mapping[str, str]) -> str:
    """One digest over ``{path: file digest}``, independent of the mapping's order."""
    combined = hashlib.sha256(KEY_SCHEME.encode() + b"\n")
    for path in sorted(digests):
        combined.update(f"{path}\0{digests[path]}\n".encode())
    return combined.hexdigest()


def slug(directory: str) -> str:
    """A key segment for a directory: ``services/web`` -> ``services_web``; the root is ``root``."""
    if directory in ("", "."):
        return "root"
    return _UNSAFE.sub("_", directory).strip("_") or "root"


def key_base(prefix: str, os_name: str, ecosystem: str, directory: str | None) -> str:
    """The key without its hash; ``directory`` is ``None`` for a whole-repository entry."""
    parts = [prefix, os_name, ecosystem] + ([slug(directory)] if directory is not None else [])
    return "-".join(parts)


def cache_key(prefix: str, os_name: str, ecosystem: str, directory: str | None, digest: str) -> str:
    """``PREFIX-OS-ECOSYSTEM[-DIRECTORY]-HASH``."""
    return f"{key_base(prefix, os_name, ecosystem, directory)}-{digest}"


def restore_prefixes(
    prefix: str, os_name: str, ecosystem: str, directory: str | None
) -> tuple[str, ...]:
    """Prefixes to restore from when the exact key misses, most specific first.

    They never go wider than the ecosystem: another ecosystem's files would not help.
    """
    out = [key_base(prefix, os_name, ecosystem, directory) + "-"]
    if directory is not None:
        out.append(key_base(prefix, os_name, ecosystem, None) + "-")
    return tuple(out)


def rolling_key(prefix: str, os_name: str, ecosystem: str, directory: str | None) -> str:
    """The exact key a trusted GitLab job also writes, so ``fallback_keys`` has something to find."""
    return key_base(prefix, os_name, ecosystem, directory) + "-latest"
