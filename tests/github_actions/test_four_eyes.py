"""Four eyes on GitHub: the change's authors, as GitHub's REST API names them, cannot approve it.

The stand-in answers only the documented endpoints, and ``github_fake`` checks every request
against GitHub's OpenAPI description:
``GET /repos/{owner}/{repo}/commits/{ref}`` (https://docs.github.com/en/rest/commits/commits#get-a-commit)
and ``GET /repos/{owner}/{repo}/pulls/{pull_number}/commits``
(https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request).
"""

from __future__ import annotations

from datetime import datetime, timezone

from github_actions.payloads import AUTH, SHA
from releasegate.policy.model import ApprovalRule, Policy, Requires
from releasegate.promotion.approvals import approval_requirements
from releasegate.records import Approval

BASE = "/repos/acme/app"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
POLICY = Policy(version=1, path="releasegate.yml", sha256="0" * 64)


def commit_json(
    author: str | None, committer: str | None, name: str, email: str
) -> dict[str, object]:
    """A commit object as the REST API returns it: ``author``/``committer`` are GitHub accounts
    (``null`` when the address belongs to none), ``commit.author`` is what git recorded."""

    def account(login: str | None) -> dict[str, object] | None:
        return {"login": login, "id": 7, "type": "User"} if login else None

    person = {"name": name, "email": email, "date": "2026-03-02T09:00:00Z"}
    return {
        "sha": SHA,
        "author": account(author),
        "committer": account(committer),
        "commit": {
            "author": person,
            "committer": {**person, "name": "GitHub", "email": "noreply@github.com"},
            "message": "change",
        },
    }


def test_the_commit_author_and_committer_come_from_the_commit(
    github_fake, github_env, make_platform
):
    github_fake.expect("GET", f"{BASE}/commits/{SHA}", headers=AUTH).respond(
        json=commit_json("alice", "web-flow", "Alice Liddell", "alice@example.com")
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    assert platform.change_authors(SHA) == {
        "alice": "commit author",
        "Alice Liddell": "commit author",
        "alice@example.com": "commit author",
        "web-flow": "committer",
        "GitHub": "committer",
        "noreply@github.com": "committer",
    }


def test_in_a_pull_request_its_author_and_every_commits_author_are_excluded(
    github_fake, github_env, make_platform
):
    event = {
        "pull_request": {
            "number": 12,
            "user": {"login": "dave"},
            "head": {"sha": SHA, "ref": "feature", "repo": {"full_name": "acme/app"}},
            "base": {"repo": {"full_name": "acme/app"}},
        },
        "repository": {"default_branch": "main"},
    }
    github_fake.expect(
        "GET", f"{BASE}/pulls/12/commits", query={"per_page": "100"}, headers=AUTH
    ).respond(json=[commit_json("erin", "erin", "Erin", "erin@example.com")])
    github_fake.expect("GET", f"{BASE}/commits/{SHA}", headers=AUTH).respond(
        json=commit_json(None, None, "Dave", "dave@example.com")
    )
    platform, _ = make_platform(
        github_fake, github_env(github_fake, event=event, GITHUB_EVENT_NAME="pull_request")
    )

    authors = platform.change_authors(SHA)

    assert authors["dave"] == "pull request author"
    assert authors["erin"] == "commit author in the pull request"
    assert authors["dave@example.com"] == "commit author"
    rule = approval_requirements(
        POLICY,
        Requires(approvals=(ApprovalRule(count=2),)),
        [Approval("production", SHA, who, NOW) for who in ("dave", "erin", "bob")],
        author=None,
        now=NOW,
        teams={},
        excluded={**authors, "octocat": "triggered this run"},
    )
    (only,) = rule
    assert only.status == "fail" and only.observed == "1: bob"
    assert "dave cannot approve their own change (dave: pull request author)" in only.reason
    assert (
        "erin cannot approve their own change (erin: commit author in the pull request)"
        in only.reason
    )
    assert only.details["excluded"]["octocat"] == "octocat: triggered this run"


def test_what_a_github_deployment_rests_on() -> None:
    """GitHub's own deployments (a job's ``environment:``) rest on GitHub's protection rules;
    one releasegate created keeps its vouch in the payload, and a forced record its reason in
    the status description, since a payload cannot change."""
    from releasegate.adapters.github_actions.platform import _deployment

    def data(payload: object) -> dict[str, object]:
        return {
            "id": 7,
            "sha": SHA,
            "environment": "staging",
            "payload": payload,
            "creator": "octocat",
            "created_at": NOW,
        }

    def status(description: str) -> dict[str, object]:
        return {"state": "success", "description": description, "created_at": NOW, "url": None}

    assert _deployment(data({}), status("deployed"), "staging").vouch == "platform"
    assert (
        _deployment(
            data({"releasegate": {"vouch": "allowed"}}), status("releasegate: success"), "staging"
        ).vouch
        == "allowed"
    )
    unvouched = _deployment(data({"releasegate": {}}), status("releasegate: success"), "staging")
    assert (unvouched.vouch, unvouched.vouched) == (None, False)
    forced = _deployment(
        data({"releasegate": {}}), status("releasegate: success (forced: INC-7 hotfix)"), "staging"
    )
    assert (forced.vouch, forced.forced, forced.vouched) == (
        "forced: INC-7 hotfix",
        "INC-7 hotfix",
        True,
    )
