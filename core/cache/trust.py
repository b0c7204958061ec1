"""Who may write caches: the ref being built judged against ``cache.write_on`` (pure).

Writes happen only on refs the policy names (branch globs, ``default``, ``tags``);
pull requests read only unless ``pull_requests`` is listed, forks never write, and
anything unknown reads only. Every answer carries the one sentence saying why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

RefKind = Literal["branch", "tag", "pull", "unknown"]

#: Triggers that run with the default branch's cache scope on behalf of untrusted code.
UNTRUSTED_TRIGGERS = frozenset({"pull_request_target", "workflow_run"})
SPECIAL_ENTRIES = ("default", "tags", "pull_requests")
#: What git forbids in a ref name (``git check-ref-format``): such a ref is never trusted.
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^/|/$|\.lock$|^-")


@dataclass(frozen=True)
class Ref:
    """The ref being built, as far as it is known.

    :param name: branch or tag name without ``refs/heads/`` or ``refs/tags/``.
    :param kind: ``branch``, ``tag``, ``pull`` (a pull/merge request ref) or ``unknown``.
    """

    name: str | None
    kind: RefKind


@dataclass(frozen=True)
class Trust:
    """Whether this run may write caches, and why.

    :param rule: the ``write_on`` entry that granted the write, when one did.
    """

    write: bool
    reason: str
    rule: str | None = None


def parse_ref(
    text: str | None, context_ref: str | None = None, context_kind: str | None = None
) -> Ref:
    """Read ``--ref`` or the platform's ref.

    ``refs/heads/X`` is a branch, ``refs/tags/X`` a tag, ``refs/pull/N/...`` and
    ``refs/merge-requests/N/...`` pull requests; a bare name is a branch unless the
    platform reported that very name as a tag; other ``refs/``, ``HEAD`` and names git
    would refuse (spaces, control characters, ``..``) are unknown.
    """
    if not text or not text.strip():
        return Ref(None, "unknown")
    text = text.strip()
    if _BAD_REF.search(text):
        return Ref(_BAD_REF.sub("?", text), "unknown")
    for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
        if text.startswith(prefix) and len(text) > len(prefix):
            return Ref(text[len(prefix) :], kind)  # type: ignore[arg-type]
    if text.startswith(("refs/pull/", "refs/merge-requests/")):
        return Ref(text, "pull")
    if text.startswith("refs/") or text == "HEAD":
        return Ref(text, "unknown")
    if context_kind == "tag" and text == context_ref:
        return Ref(text, "tag")
    return Ref(text, "branch")


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def glob_matches(pattern: str, text: str) -> bool:
    """Glob as in CI branch filters and ``hashFiles``: ``*`` stays within one ``/`` segment,
    ``**`` crosses segments and ``**/`` may match nothing."""
    return _glob(pattern).fullmatch(text) is not None


branch_matches = glob_matches


def decide(
    write_on: Sequence[str],
    ref: Ref,
    *,
    pull_request: bool = False,
    fork: bool = False,
    default_branch: str | None = None,
    trigger: str | None = None,
    workstation: bool = False,
) -> Trust:
    """Decide whether this run may write caches.

    :param write_on: the policy's entries: branch globs, ``default``, ``tags``, ``pull_requests``.
    :param pull_request: the run builds a pull/merge request (whatever ``ref`` says).
    :param fork: that request comes from a fork; never writes, whatever the policy says.
    :param default_branch: the platform's default branch, for the ``default`` entry.
    :param trigger: the platform's event name, when known (``pull_request_target``...).
    :param workstation: no CI platform claimed the run and no ref was given: read only.
    """
    listed = ", ".join(write_on) or "nothing"
    if fork:
        return Trust(False, "a pull request from a fork never writes caches")
    if workstation:
        return Trust(
            False,
            "no CI platform detected, and a workstation reads only (pass --ref to judge a ref)",
        )
    if trigger in UNTRUSTED_TRIGGERS:
        return Trust(
            False,
            f"a {trigger} run acts for untrusted code with the default branch's "
            "cache scope, so it reads only",
        )
    if pull_request or ref.kind == "pull":
        if "pull_requests" in write_on:
            return Trust(
                True,
                "a same-repository pull request, allowed by write_on: pull_requests",
                "pull_requests",
            )
        return Trust(False, "pull requests read only (write_on does not list pull_requests)")
    if ref.kind == "unknown" or not ref.name:
        shown = f" {ref.name!r}" if ref.name else ""
        return Trust(
            False,
            f"the ref{shown} is not a known branch or tag, so it reads only "
            "(pass --ref refs/heads/NAME or refs/tags/NAME)",
        )
    if ref.kind == "tag":
        if "tags" in write_on:
            return Trust(True, f"tag {ref.name} is allowed by write_on: tags", "tags")
        return Trust(False, f"tag {ref.name} reads only (write_on: {listed} does not list tags)")
    for entry in write_on:
        if entry == "default":
            if default_branch and ref.name == default_branch:
                return Trust(
                    True, f"branch {ref.name} is the default branch (write_on: default)", entry
                )
        elif entry not in SPECIAL_ENTRIES and branch_matches(entry, ref.name):
            return Trust(True, f"branch {ref.name} matches write_on entry {entry!r}", entry)
    unknown = (
        "; the default branch is unknown" if "default" in write_on and not default_branch else ""
    )
    return Trust(
        False, f"branch {ref.name} matches no write_on entry ({listed}){unknown}, so it reads only"
    )
