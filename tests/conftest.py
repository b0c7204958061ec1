"""Suite-wide pytest setup: registers the real test peers of ``tests/peers/`` as fixtures.

Fakes exist only at HTTP boundaries: ``http_fake`` and ``github_fake`` (local servers on
127.0.0.1). Everything else is real: ``prometheus`` (+ ``metrics_exporter``),
``gitlab_ci_local``, ``act``, ``tekton_lint``, ``check_jsonschema``, ``actionlint``,
``hadolint``, ``buildah`` and ``run_cli``. ``scripts/test.sh`` installs them all; a missing
one fails the test that needs it, naming the install step.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
