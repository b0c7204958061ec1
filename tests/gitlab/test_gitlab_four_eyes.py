"""Four eyes on GitLab: the commit's and the merge request's authors cannot approve the change.

The stand-in answers only the documented endpoints:
``GET /projects/:id/repository/commits/:sha`` (https://docs.gitlab.com/api/commits/#get-a-single-commit),
``GET /projects/:id/merge_requests/:merge_request_iid``
(https://docs.gitlab.com/api/merge_requests/#get-single-mr) and
``GET /projects/:id/merge_requests/:merge_request_iid/commits``
(https://docs.gitlab.com/api/merge_requests/#get-single-merge-request-commits). The job token
cannot read commits or merge requests (https://docs.gitlab.com/ci/jobs/ci_job_token/ lists what
it can reach), so without ``RELEASEGATE_GITLAB_TOKEN`` only ``CI_COMMIT_AUTHOR`` is known.
"""

from __future__ import annotations

from gitlab_payloads import SHA
from gitlab_support import API, PRIVATE_TOKEN, Platforms

from peers.http_fake import HttpFake

PRIVATE_AUTH = {"PRIVATE-TOKEN": PRIVATE_TOKEN}


def commit(sha: str, author: str, committer: str) -> dict[str, object]:
    """A commit as GitLab returns it: names and addresses only, no usernames."""
    return {
        "id": sha,
        "short_id": sha[:8],
        "title": "change",
        "message": "change",
        "author_name": author.title(),
        "author_email": f"{author}@example.com",
        "committer_name": committer.title(),
        "committer_email": f"{committer}@example.com",
        "authored_date": "2026-03-02T09:00:00.000Z",
        "committed_date": "2026-03-02T09:00:00.000Z",
        "parent_ids": [],
        "web_url": f"https://gitlab.example.com/acme/app/-/commit/{sha}",
    }


def test_without_an_access_token_only_the_pipelines_commit_author_is_known(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    platform = make_platform(CI_COMMIT_AUTHOR="Alice Liddell <alice@example.com>")

    assert platform.change_authors(SHA) == {
        "Alice Liddell": "commit author",
        "alice@example.com": "commit author",
    }
    assert platform.change_authors("f" * 40) == {}


def test_with_a_token_the_commit_the_merge_request_and_its_commits_are_read(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/repository/commits/{SHA}", headers=PRIVATE_AUTH).respond(
        200, commit(SHA, "alice", "bob")
    )
    http_fake.expect("GET", f"{API}/merge_requests/12", headers=PRIVATE_AUTH).respond(
        200,
        {
            "id": 512,
            "iid": 12,
            "project_id": 1,
            "title": "change",
            "state": "opened",
            "author": {"id": 9, "username": "dave", "name": "Dave"},
            "sha": SHA,
        },
    )
    http_fake.expect("GET", f"{API}/merge_requests/12/commits", headers=PRIVATE_AUTH).respond(
        200, [commit("c" * 40, "erin", "erin")]
    )
    platform = make_platform(CI_MERGE_REQUEST_IID="12", RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN)

    authors = platform.change_authors(SHA)

    assert authors == {
        "Alice": "commit author",
        "alice@example.com": "commit author",
        "Bob": "committer",
        "bob@example.com": "committer",
        "dave": "merge request author",
        "Erin": "commit author",
        "erin@example.com": "commit author",
    }
