"""Suite-wide pytest setup: registers the real test peers of ``tests/peers/`` as fixtures.

Fakes exist only at HTTP boundaries: ``http_fake`` and ``github_fake`` (local servers on
127.0.0.1). Everything else is real: ``prometheus`` (+ ``metrics_exporter``),
``gitlab_ci_local``, ``act``, ``tekton_lint``, ``check_jsonschema``, ``actionlint``,
``hadolint``, ``buildah`` and ``run_cli``. ``scripts/test.sh`` installs them all; a missing
one fails the test that needs it, naming the install step. ``invoke`` (``peers.cli`` too) runs
the CLI in this process and needs no peer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# ``peers`` is imported by that name whether or not ``tests`` itself is a package.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

pytest_plugins = [
    "peers.prometheus",
    "peers.exporter",
    "peers.http_fake",
    "peers.github_openapi",
    "peers.runners",
    "peers.cli",
]

#: The fixture that brings each real peer, and the peer's name in ``peer(NAME)`` marks.
PEER_FIXTURES = {
    "prometheus_binaries": "prometheus",
    "prometheus": "prometheus",
    "gitlab_ci_local": "gitlab-ci-local",
    "act": "act",
    "tekton_lint": "tekton-lint",
    "check_jsonschema": "check-jsonschema",
    "actionlint": "actionlint",
    "hadolint": "hadolint",
    "buildah": "buildah",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--peer",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only the tests that need this peer ({', '.join(sorted(set(PEER_FIXTURES.values())))})",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test ``peer(NAME)`` for each peer its fixtures bring, so no mark is forgotten
    and ``--peer NAME`` selects exactly the tests that need NAME."""
    for item in items:
        marked = {m.args[0] for m in item.iter_markers("peer") if m.args}
        for fixture in getattr(item, "fixturenames", ()):
            name = PEER_FIXTURES.get(fixture)
            if name is not None and name not in marked:
                item.add_marker(pytest.mark.peer(name))
                marked.add(name)
    wanted = config.getoption("peer")
    if not wanted:
        return
    unknown = sorted(set(wanted) - set(PEER_FIXTURES.values()))
    if unknown:
        raise pytest.UsageError(
            f"--peer: unknown peer {', '.join(unknown)}; known: "
            f"{', '.join(sorted(set(PEER_FIXTURES.values())))}"
        )
    keep, drop = [], []
    for item in items:
        needs = {m.args[0] for m in item.iter_markers("peer") if m.args}
        (keep if needs & set(wanted) else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep
