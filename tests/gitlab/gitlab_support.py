"""Helpers of the GitLab adapter tests: the fake's paths, the tokens and a platform builder."""

from __future__ import annotations

from typing import Any

from gitlab_payloads import PROJECT

from releasegate.adapters.gitlab.api import GitlabApi
from releasegate.adapters.gitlab.plugin import GitlabPlatform
from releasegate.ledger import Ledger

__all__ = ["API", "JOB_TOKEN", "PRIVATE_TOKEN", "PROJECT", "Platforms"]

#: Where python-gitlab sends project calls.
API = f"/api/v4/projects/{PROJECT}"
JOB_TOKEN = "job-token-4f1c2d"
PRIVATE_TOKEN = "glpat-secret-9a8b7c"


class Platforms:
    """Builds a :class:`GitlabPlatform` over the fake; records the sleeps between retries."""

    def __init__(self, env: dict[str, str], ledger: Ledger) -> None:
        self.env = env
        self.ledger = ledger
        self.sleeps: list[float] = []

    def __call__(self, **overrides: Any) -> GitlabPlatform:
        env = {k: v for k, v in {**self.env, **overrides}.items() if v is not None}
        api = GitlabApi(env, sleep=self.sleeps.append, attempts=3, timeout=5)
        return GitlabPlatform(self.ledger, env, api=api)
