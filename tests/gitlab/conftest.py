"""Fixtures for the GitLab adapter: the CI environment of a job and the platform over ``http_fake``.

The API side is tested at the HTTP boundary only: python-gitlab talks to the shared
``http_fake`` on 127.0.0.1, which asserts the exact requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlab_payloads import SHA
from gitlab_standin import GitlabStandIn
from gitlab_support import JOB_TOKEN, PROJECT, Platforms

from peers.http_fake import HttpFake
from releasegate.ledger import Ledger


@pytest.fixture
def ci_env(http_fake: HttpFake, tmp_path: Path) -> dict[str, str]:
    """The predefined variables of a GitLab job whose server is the fake."""
    return {
        "GITLAB_CI": "true",
        "CI_SERVER_URL": http_fake.url,
        "CI_API_V4_URL": f"{http_fake.url}/api/v4",
        "CI_PROJECT_ID": PROJECT,
        "CI_PROJECT_PATH": "acme/app",
        "CI_COMMIT_SHA": SHA,
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_REF_PROTECTED": "true",
        "CI_DEFAULT_BRANCH": "main",
        "CI_PIPELINE_ID": "47",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/app/-/pipelines/47",
        "CI_JOB_ID": "700",
        "CI_JOB_URL": "https://gitlab.example.com/acme/app/-/jobs/700",
        "GITLAB_USER_LOGIN": "carol",
        "CI_JOB_TOKEN": JOB_TOKEN,
        "RELEASEGATE_GITLAB_DOTENV": str(tmp_path / "releasegate.env"),
        "RELEASEGATE_GITLAB_JUNIT": str(tmp_path / "junit.xml"),
        "RELEASEGATE_GITLAB_REPORT": str(tmp_path / "report.md"),
    }


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A fresh local ledger (the GitLab platform keeps nothing in it)."""
    opened = Ledger.open(tmp_path / "ledger.db")
    yield opened
    opened.close()


@pytest.fixture
def make_platform(ci_env: dict[str, str], ledger: Ledger) -> Platforms:
    """``make_platform(**env_overrides)``; ``None`` removes a variable."""
    return Platforms(ci_env, ledger)


@pytest.fixture
def http_fake() -> Iterator[GitlabStandIn]:
    """The GitLab stand-in in place of the plain fake: GitLab's refusals first, then the
    expected requests; verified (and stopped) when the test ends."""
    fake = GitlabStandIn().start()
    yield fake
    fake.stop()
    fake.verify()
