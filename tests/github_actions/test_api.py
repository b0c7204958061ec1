"""The GitHub side at the HTTP boundary: exact requests, validated against GitHub's OpenAPI description."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from github_actions.payloads import AUTH, OTHER_SHA, RUN_ID, SHA, deployment_json, status_json
from releasegate.errors import PlatformError
from releasegate.records import Deployment

BASE = "/repos/acme/app"


def test_history_reads_statuses_down_to_the_first_finished_deployment(
    github_fake, github_env, make_platform
):
    page = [
        deployment_json(github_fake, 3, sha=OTHER_SHA, created="2026-03-03T10:00:00Z"),
        deployment_json(
            github_fake,
            2,
            created="2026-03-02T10:00:00Z",
            payload={"releasegate": {"version": "1.0"}},
        ),
        deployment_json(github_fake, 1, created="2026-03-01T10:00:00Z"),
    ]
    github_fake.expect(
        "GET",
        f"{BASE}/deployments",
        query={"environment": "staging", "per_page": "100"},
        headers=AUTH,
    ).respond(json=page)
    github_fake.expect(
        "GET", f"{BASE}/deployments/3/statuses", query={"per_page": "1"}, headers=AUTH
    ).respond(json=[status_json("in_progress")])
    github_fake.expect(
        "GET", f"{BASE}/deployments/2/statuses", query={"per_page": "1"}, headers=AUTH
    ).respond(json=[status_json("success", created="2026-03-02T10:09:00Z")])
    platform, _ = make_platform(github_fake, github_env(github_fake))

    history = platform.deployments("staging")

    # 1 is older than the finished 2 and not the candidate's newest: never read
    assert [(d.id, d.status, d.sha[:1]) for d in history] == [
        (3, "promoting", "b"),
        (2, "success", "a"),
    ]
    assert history[1].updated_at == datetime(2026, 3, 2, 10, 9, tzinfo=timezone.utc)
    assert history[1].version == "1.0" and history[1].actor == "octocat"


def test_a_rolled_back_deployment_is_read_as_such(github_fake, github_env, make_platform):
    github_fake.expect("GET", f"{BASE}/deployments").respond(json=[deployment_json(github_fake, 3)])
    github_fake.expect("GET", f"{BASE}/deployments/3/statuses").respond(
        json=[status_json("failure", description="releasegate: rolled back")]
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    assert [(d.id, d.status) for d in platform.deployments("staging")] == [(3, "rolled_back")]


def test_this_runs_own_deployment_is_the_promotion_not_a_rival(
    github_fake, github_env, make_platform
):
    own_url = f"https://github.com/acme/app/actions/runs/{RUN_ID}/job/7"
    github_fake.expect("GET", f"{BASE}/deployments").respond(
        json=[deployment_json(github_fake, 9)]
    ).respond(json=[deployment_json(github_fake, 9)])
    github_fake.expect("GET", f"{BASE}/deployments/9/statuses").respond(
        json=[status_json("in_progress", log_url=own_url)]
    ).respond(json=[status_json("in_progress", log_url=own_url)])
    github_fake.expect(
        "POST",
        f"{BASE}/deployments/9/statuses",
        headers=AUTH,
        json={
            "state": "in_progress",
            "description": "releasegate: promoting",
            "environment": "staging",
            "target_url": f"https://github.com/acme/app/actions/runs/{RUN_ID}",
        },
    ).respond(201, json=status_json("in_progress"))
    platform, _ = make_platform(github_fake, github_env(github_fake))

    assert platform.deployments("staging") == []
    deployment = platform.start_deployment("staging", SHA)
    assert (deployment.id, deployment.status) == (9, "promoting")
    # taken over, it is this run's promotion: commands that finish it find it again
    assert [d.id for d in platform.deployments("staging")] == [9]


def test_promotion_creates_a_recording_deployment_and_finishes_it(
    github_fake, github_env, make_platform
):
    github_fake.expect(
        "POST",
        f"{BASE}/deployments",
        headers=AUTH,
        json={
            "ref": SHA,
            "task": "deploy",
            "auto_merge": False,
            "required_contexts": [],
            "payload": {"releasegate": {"version": "1.4.0"}},
            "environment": "production",
            "description": f"releasegate: promote {SHA[:12]}",
            "production_environment": True,
        },
    ).respond(201, json=deployment_json(github_fake, 77, environment="production"))
    run_url = f"https://github.com/acme/app/actions/runs/{RUN_ID}"
    statuses = github_fake.expect("POST", f"{BASE}/deployments/77/statuses", headers=AUTH)
    statuses.respond(201, json=status_json("in_progress")).respond(201, json=status_json("failure"))
    platform, _ = make_platform(github_fake, github_env(github_fake))

    started = platform.start_deployment("production", SHA, version="1.4.0", production=True)
    finished = platform.finish_deployment(started, "rolled_back")

    assert finished.status == "rolled_back"
    bodies = [r.json for r in github_fake.requests if r.path.endswith("/statuses")]
    assert bodies == [
        {
            "state": "in_progress",
            "description": "releasegate: promoting",
            "environment": "production",
            "target_url": run_url,
        },
        {
            "state": "failure",
            "description": "releasegate: rolled back",
            "environment": "production",
            "target_url": run_url,
        },
    ]


def test_checks_are_completed_check_runs_and_the_newest_status_per_context(
    github_fake, github_env, make_platform
):
    runs = [
        {
            "id": 1,
            "name": "lint",
            "head_sha": SHA,
            "status": "completed",
            "conclusion": "success",
            "started_at": "2026-03-02T09:00:00Z",
            "completed_at": "2026-03-02T09:01:00Z",
            "html_url": "https://github.com/acme/app/runs/1",
        },
        {
            "id": 2,
            "name": "e2e",
            "head_sha": SHA,
            "status": "completed",
            "conclusion": "timed_out",
            "started_at": "2026-03-02T09:00:00Z",
            "completed_at": "2026-03-02T09:30:00Z",
            "html_url": "https://github.com/acme/app/runs/2",
        },
        {
            "id": 3,
            "name": "build",
            "head_sha": SHA,
            "status": "in_progress",
            "conclusion": None,
            "started_at": "2026-03-02T09:00:00Z",
            "completed_at": None,
            "html_url": "https://github.com/acme/app/runs/3",
        },
    ]
    github_fake.expect(
        "GET", f"{BASE}/commits/{SHA}/check-runs", query={"per_page": "100"}, headers=AUTH
    ).respond(json={"total_count": 3, "check_runs": runs})
    github_fake.expect("GET", f"{BASE}/commits/{SHA}/statuses", headers=AUTH).respond(
        json=[
            {
                "id": 5,
                "context": "ci/jenkins",
                "state": "failure",
                "created_at": "2026-03-02T09:05:00Z",
                "updated_at": "2026-03-02T09:05:00Z",
                "target_url": None,
            },
            {
                "id": 4,
                "context": "ci/jenkins",
                "state": "success",
                "created_at": "2026-03-02T09:00:00Z",
                "updated_at": "2026-03-02T09:00:00Z",
                "target_url": None,
            },
            {
                "id": 3,
                "context": "deploy/preview",
                "state": "pending",
                "created_at": "2026-03-02T09:00:00Z",
                "updated_at": "2026-03-02T09:00:00Z",
                "target_url": None,
            },
        ]
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    checks = platform.checks(SHA)

    # in progress and pending are running: no verdict yet, but not missing either
    assert [(c.name, c.status) for c in checks] == [
        ("lint", "passed"),
        ("e2e", "failed"),
        ("build", "running"),
        ("ci/jenkins", "failed"),
        ("deploy/preview", "running"),
    ]


def test_approvals_are_this_runs_environment_reviews(github_fake, github_env, make_platform):
    def review(login: str, state: str, env: str) -> dict[str, object]:
        return {
            "state": state,
            "comment": "",
            "user": {"login": login, "id": 1},
            "environments": [{"id": 1, "name": env}],
        }

    github_fake.expect("GET", f"{BASE}/actions/runs/{RUN_ID}/approvals", headers=AUTH).respond(
        json=[
            review("alice", "approved", "production"),
            review("bob", "rejected", "production"),
            review("carol", "approved", "staging"),
        ]
    )
    github_fake.expect("GET", f"{BASE}/actions/runs/{RUN_ID}", headers=AUTH).respond(
        json={
            "id": RUN_ID,
            "run_started_at": "2026-03-02T08:00:00Z",
            "created_at": "2026-03-02T07:59:00Z",
        }
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    approvals = platform.approvals("production", SHA)

    assert [(a.approver, a.created_at.hour) for a in approvals] == [("alice", 8)]


def test_5xx_is_retried_for_reads(github_fake, github_env, make_platform):
    github_fake.expect("GET", f"{BASE}/deployments").respond(502).respond(503).respond(json=[])
    platform, _ = make_platform(github_fake, github_env(github_fake), retries=2)

    assert platform.deployments("staging") == []


def test_5xx_after_retries_is_a_platform_error(github_fake, github_env, make_platform):
    github_fake.expect("GET", f"{BASE}/deployments").respond(
        502, json={"message": "Bad gateway"}
    ).respond(502, json={"message": "Bad gateway"}).respond(502, json={"message": "Bad gateway"})
    platform, _ = make_platform(github_fake, github_env(github_fake), retries=2)

    with pytest.raises(PlatformError) as caught:
        platform.deployments("staging")
    assert str(caught.value) == (
        f"GitHub API GET {BASE}/deployments: 502 server error after 2 retries (Bad gateway)"
    )
    assert caught.value.exit_code == 4


def test_a_post_is_never_retried(github_fake, github_env, make_platform):
    github_fake.expect("POST", f"{BASE}/deployments").respond(502, json={"message": "Bad gateway"})
    platform, _ = make_platform(github_fake, github_env(github_fake))

    with pytest.raises(PlatformError, match="502 server error"):
        platform.start_deployment("staging", SHA)
    assert len(github_fake.requests) == 1


def test_403_names_the_permission_github_asks_for(github_fake, github_env, make_platform):
    github_fake.expect("POST", f"{BASE}/deployments").respond(
        403,
        json={"message": "Resource not accessible by integration"},
        headers={"X-Accepted-GitHub-Permissions": "deployments=write"},
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    with pytest.raises(PlatformError) as caught:
        platform.start_deployment("staging", SHA)
    assert str(caught.value) == (
        f"GitHub API POST {BASE}/deployments: 403 forbidden: the token lacks `deployments: write`; add it "
        "to the job's `permissions:` block (Resource not accessible by integration)"
    )


def test_403_without_a_hint_names_the_permission_the_call_needs(
    github_fake, github_env, make_platform
):
    github_fake.expect("GET", f"{BASE}/commits/{SHA}/check-runs").respond(
        403, json={"message": "Resource not accessible by integration"}
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    with pytest.raises(PlatformError, match=r"the token lacks `checks: read`"):
        platform.checks(SHA)


def test_rate_limit_says_when_it_resets(github_fake, github_env, make_platform):
    reset = int(datetime(2026, 3, 2, 12, 30, tzinfo=timezone.utc).timestamp())
    github_fake.expect("GET", f"{BASE}/deployments").respond(
        403,
        json={"message": "API rate limit exceeded for installation ID 1."},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))
    platform.api.now = lambda: datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)

    with pytest.raises(PlatformError) as caught:
        platform.deployments("staging")
    assert str(caught.value) == (
        f"GitHub API GET {BASE}/deployments: rate limit exceeded; it resets at "
        "2026-03-02T12:30:00Z (in 30 min) (API rate limit exceeded for "
        "installation ID 1.)"
    )


def test_secondary_rate_limit_says_when_to_retry(github_fake, github_env, make_platform):
    github_fake.expect("GET", f"{BASE}/deployments").respond(
        429,
        json={"message": "You have exceeded a secondary rate limit."},
        headers={"Retry-After": "600"},
    )
    platform, _ = make_platform(github_fake, github_env(github_fake), retries=0)

    with pytest.raises(PlatformError, match=r"rate limit exceeded; retry after 600 s"):
        platform.deployments("staging")


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            401,
            f"GitHub API GET {BASE}/deployments: 401 bad credentials: check the github-token input "
            "(an expired or revoked token) (Bad credentials)",
        ),
        (
            404,
            f"GitHub API GET {BASE}/deployments: 404 not found: check the repository and ids, and that "
            "the token can see them (`deployments: read`) (Not Found)",
        ),
    ],
)
def test_auth_and_missing_repository_are_one_line(
    github_fake, github_env, make_platform, status, message
):
    github_fake.expect("GET", f"{BASE}/deployments").respond(
        status, json={"message": "Bad credentials" if status == 401 else "Not Found"}
    )
    platform, _ = make_platform(github_fake, github_env(github_fake))

    with pytest.raises(PlatformError) as caught:
        platform.deployments("staging")
    assert str(caught.value) == message


def test_rollback_creates_a_deployment_of_the_target(github_fake, github_env, make_platform):
    github_fake.expect(
        "POST",
        f"{BASE}/deployments",
        json={
            "ref": OTHER_SHA,
            "task": "deploy",
            "auto_merge": False,
            "required_contexts": [],
            "payload": {"releasegate": {"rollback": True, "version": "1.3.9"}},
            "environment": "production",
            "description": f"releasegate: roll back to {OTHER_SHA[:12]}",
            "production_environment": False,
        },
    ).respond(201, json=deployment_json(github_fake, 80, sha=OTHER_SHA, environment="production"))
    platform, _ = make_platform(github_fake, github_env(github_fake))
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    target = Deployment(
        id=5,
        environment="production",
        sha=OTHER_SHA,
        status="success",
        created_at=at,
        updated_at=at,
        version="1.3.9",
    )

    assert platform.rollback("production", target).startswith(
        "created deployment 80 of bbbbbbbbbbbb"
    )


def test_skipped_and_neutral_check_runs_are_reported_as_such_not_as_passed(
    github_fake, github_env, make_platform
):
    # A job skipped because its `needs:` failed concludes "skipped"; a check may conclude "neutral".
    # The check-run schema in @octokit/openapi (components.schemas.check-run.conclusion) lists both.
    runs = [
        {
            "id": n,
            "name": name,
            "head_sha": SHA,
            "status": "completed",
            "conclusion": conclusion,
            "started_at": "2026-03-02T09:00:00Z",
            "completed_at": "2026-03-02T09:01:00Z",
            "html_url": f"https://github.com/acme/app/runs/{n}",
        }
        for n, (name, conclusion) in enumerate(
            [("e2e", "skipped"), ("lint", "neutral"), ("docs", "action_required")], 1
        )
    ]
    github_fake.expect(
        "GET", f"{BASE}/commits/{SHA}/check-runs", query={"per_page": "100"}, headers=AUTH
    ).respond(json={"total_count": 3, "check_runs": runs})
    github_fake.expect("GET", f"{BASE}/commits/{SHA}/statuses", headers=AUTH).respond(json=[])
    platform, _ = make_platform(github_fake, github_env(github_fake))

    assert [(c.name, c.status) for c in platform.checks(SHA)] == [
        ("e2e", "skipped"),
        ("lint", "neutral"),
        ("docs", "failed"),
    ]
