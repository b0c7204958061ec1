"""Fixtures for the GitHub Action adapter: GitHub-shaped payloads and a platform wired to a fake.

Fakes only at the HTTP boundary: ``github_fake`` (tests/peers) is a local server whose
every request must fit GitHub's OpenAPI description; PyGithub talks to it for real.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from github_actions.payloads import REPO, RUN_ID, SHA, TOKEN
from peers.http_fake import HttpFake
from releasegate.adapters.github_actions.api import GitHubAPI
from releasegate.adapters.github_actions.platform import GitHubActionsPlatform
from releasegate.ledger import Ledger


@pytest.fixture
def github_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """A GitHub Actions step environment; keyword arguments override or add variables."""

    def make(fake: HttpFake | None = None, event: dict[str, Any] | None = None,
             **extra: str) -> dict[str, str]:
        event_path = tmp_path / "event.json"
        event_path.write_text(json.dumps(event or {"repository": {"default_branch": "main"}}))
        env = {
            "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": SHA,
            "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch",
            "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": str(RUN_ID),
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKSPACE": str(tmp_path),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "RELEASEGATE_GITHUB_TOKEN": TOKEN,
        }
        if fake is not None:
            env["GITHUB_API_URL"] = fake.url
        env.update(extra)
        return env

    return make


@pytest.fixture
def make_platform(tmp_path: Path) -> Iterator[Callable[..., tuple[GitHubActionsPlatform, io.StringIO]]]:
    """``make_platform(fake, env)``: a platform on the fake with instant retries, and its stdout."""
    ledgers: list[Ledger] = []

    def make(fake: HttpFake, env: dict[str, str], retries: int = 2) -> tuple[GitHubActionsPlatform, io.StringIO]:
        ledger = Ledger.open(str(tmp_path / f"ledger{len(ledgers)}.db"))
        ledgers.append(ledger)
        api = GitHubAPI(TOKEN, REPO, base_url=fake.url, retries=retries, backoff=0)
        out = io.StringIO()
        return GitHubActionsPlatform(ledger, env, api=api, stdout=out), out

    yield make
    for ledger in ledgers:
        ledger.close()
