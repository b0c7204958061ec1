"""The GitHub Actions platform hook: claims the run when ``GITHUB_ACTIONS=true`` (I/O edge).

Importing this module is cheap: the platform and PyGithub load only when a run is claimed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from releasegate.plugins import hookimpl

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.platform import Platform


@hookimpl
def releasegate_platform(env: Mapping[str, str], ledger: Ledger) -> Platform | None:
    """A :class:`GitHubActionsPlatform` inside GitHub Actions (and act), else ``None``."""
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    from releasegate.adapters.github_actions.platform import GitHubActionsPlatform

    return GitHubActionsPlatform(ledger, dict(env))
