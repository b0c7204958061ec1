"""The drill's rollback-access check on GitHub: one read-only request, three answers."""

from __future__ import annotations

import pytest

from github_actions.payloads import AUTH

BASE = "/repos/acme/app"


def repository(fake, permissions=None):
    body = {
        "id": 1,
        "node_id": "R_1",
        "name": "app",
        "full_name": "acme/app",
        "private": False,
        "owner": {"login": "acme", "id": 2},
        "html_url": "https://github.com/acme/app",
        "url": f"{fake.url}{BASE}",
    }
    if permissions is not None:
        body["permissions"] = permissions
    return body


@pytest.mark.parametrize(
    ("permissions", "status", "start"),
    [
        (
            {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            "pass",
            "the token can write to acme/app",
        ),
        (
            {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
            "fail",
            "the token can only read acme/app",
        ),
        (None, "unverified", "GitHub does not report this token's permissions"),
    ],
)
def test_rollback_access_reads_the_repository_permissions(
    github_fake, github_env, make_platform, permissions, status, start
) -> None:
    github_fake.expect("GET", BASE, headers=AUTH).respond(json=repository(github_fake, permissions))
    platform, _ = make_platform(github_fake, github_env(github_fake))

    found, message = platform.rollback_access()

    assert found == status
    assert message.startswith(start)
