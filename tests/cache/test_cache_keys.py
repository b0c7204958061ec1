"""Key hashing: line endings, chunk boundaries, order independence and key shapes."""

from __future__ import annotations

import pytest

from releasegate.cache.keys import (
    LineEndingHasher,
    cache_key,
    combine,
    digest_bytes,
    restore_prefixes,
    rolling_key,
    slug,
)

CONTENT = b"name = 'a'\nversion = '1'\n\n[deps]\nb = '2'\n"


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 16])
def test_crlf_reads_as_lf_wherever_chunks_are_cut(chunk: int) -> None:
    crlf = CONTENT.replace(b"\n", b"\r\n")
    hasher = LineEndingHasher()
    for start in range(0, len(crlf), chunk):
        hasher.update(crlf[start : start + chunk])
    assert hasher.hexdigest() == digest_bytes(CONTENT)


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (b"a\r\nb", b"a\nb", True),
        (b"a\rb", b"a\nb", False),  # a lone CR is content, not a line ending
        (b"a\r", b"a", False),
        (b"a\r\r\n", b"a\r\n", False),
        (b"", b"", True),
        (b"a\n", b"a", False),
    ],
)
def test_only_crlf_is_normalised(left: bytes, right: bytes, same: bool) -> None:
    assert (digest_bytes(left) == digest_bytes(right)) is same


def test_combine_ignores_mapping_order_but_not_paths() -> None:
    forward = {"a/uv.lock": "1" * 64, "b/uv.lock": "2" * 64}
    backward = dict(reversed(list(forward.items())))
    assert combine(forward) == combine(backward)
    assert combine(forward) != combine({"a/uv.lock": "2" * 64, "b/uv.lock": "1" * 64})
    assert combine(forward) != combine({"c/uv.lock": "1" * 64, "b/uv.lock": "2" * 64})


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        (".", "root"),
        ("", "root"),
        ("services/web", "services_web"),
        ("a b/c", "a_b_c"),
        ("x.y", "x.y"),
    ],
)
def test_directory_slug(directory: str, expected: str) -> None:
    assert slug(directory) == expected


@pytest.mark.parametrize(
    ("directory", "key", "prefixes", "rolling"),
    [
        (None, "rg-linux-npm-HASH", ("rg-linux-npm-",), "rg-linux-npm-latest"),
        (
            "web",
            "rg-linux-npm-web-HASH",
            ("rg-linux-npm-web-", "rg-linux-npm-"),
            "rg-linux-npm-web-latest",
        ),
    ],
)
def test_key_and_restore_prefixes_most_specific_first(
    directory: str | None, key: str, prefixes: tuple[str, ...], rolling: str
) -> None:
    assert cache_key("rg", "linux", "npm", directory, "HASH") == key
    assert restore_prefixes("rg", "linux", "npm", directory) == prefixes
    assert all(key.startswith(p) for p in prefixes)
    assert rolling_key("rg", "linux", "npm", directory) == rolling
