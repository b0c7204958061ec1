"""The GitLab platform against a fake GitLab REST API v4: exact requests, tokens and failures."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from gitlab_payloads import SHA, SHA_OLD, approval, deployment, job, member, mr_approvals, pipeline
from gitlab_support import API, JOB_TOKEN, PRIVATE_TOKEN, Platforms

from peers.http_fake import HttpFake
from releasegate.errors import PlatformError
from releasegate.records import Deployment

LIST = {"environment": "production", "order_by": "id", "sort": "desc", "per_page": "100"}
JOB_AUTH = {"JOB-TOKEN": JOB_TOKEN}
PRIVATE_AUTH = {"PRIVATE-TOKEN": PRIVATE_TOKEN}


def test_deployments_follow_pagination_newest_first_and_map_statuses(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    first = [
        deployment(45, "running", job_id=905),
        deployment(44, "success", sha=SHA_OLD, job_id=880),
    ]
    second = [deployment(43, "failed"), deployment(42, "created"), deployment(41, "canceled")]
    http_fake.expect("GET", f"{API}/deployments", query=LIST, headers=JOB_AUTH).respond(
        200,
        first,
        headers={
            "Link": http_fake.link(
                f"{API}/deployments?environment=production&order_by=id&page=2&per_page=100&sort=desc",
                "next",
            )
        },
    )
    http_fake.expect(
        "GET", f"{API}/deployments", query={**LIST, "page": "2"}, headers=JOB_AUTH
    ).respond(200, second)

    history = make_platform().deployments("production")

    assert [(d.id, d.status) for d in history] == [
        (45, "promoting"),
        (44, "success"),
        (43, "failure"),
        (42, "inactive"),
        (41, "inactive"),
    ]
    assert history[1].sha == SHA_OLD and history[1].actor == "alice"
    assert history[1].created_at == datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    assert history[0].url == "https://gitlab.example.com/acme/app/-/jobs/905"


def test_a_tag_deployment_carries_its_tag_as_version(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200, [deployment(50, "success", job_id=900, tag=True, ref="v1.4.0")]
    )

    (only,) = make_platform().deployments("production")

    assert only.version == "v1.4.0"


def test_approvals_read_each_deployment_of_the_commit(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200, [deployment(61, "blocked", job_id=910), deployment(60, "success", sha=SHA_OLD)]
    )
    http_fake.expect("GET", f"{API}/deployments/61", headers=JOB_AUTH).respond(
        200,
        deployment(
            61,
            "blocked",
            job_id=910,
            approvals=[
                approval("bob"),
                approval("dave", status="rejected"),
                approval("erin", created_at="2026-03-02T09:30:00.000Z"),
            ],
        ),
    )

    found = make_platform().approvals("production", SHA)

    assert [(a.approver, a.sha, a.environment) for a in found] == [
        ("bob", SHA, "production"),
        ("erin", SHA, "production"),
    ]
    assert found[1].created_at == datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def test_merge_request_approvals_count_when_asked_and_need_the_access_token(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST, headers=PRIVATE_AUTH).respond(200, [])
    http_fake.expect("GET", f"{API}/merge_requests/12/approvals", headers=PRIVATE_AUTH).respond(
        200, mr_approvals(12, ["frank", "grace"])
    )
    platform = make_platform(
        RELEASEGATE_GITLAB_MR_APPROVALS="true",
        CI_MERGE_REQUEST_IID="12",
        RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN,
    )

    found = platform.approvals("production", SHA)

    assert sorted(a.approver for a in found) == ["frank", "grace"]


def test_checks_are_the_finished_jobs_of_the_commits_pipelines(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect(
        "GET", f"{API}/pipelines", query={"sha": SHA, "per_page": "100"}, headers=PRIVATE_AUTH
    ).respond(200, [pipeline(48), pipeline(47)])
    http_fake.expect("GET", f"{API}/pipelines/48/jobs", query={"per_page": "100"}).respond(
        200,
        [
            job(801, "lint", "success", pipeline_id=48),
            job(802, "deploy", "running", finished_at=None),
        ],
    )
    http_fake.expect("GET", f"{API}/pipelines/47/jobs", query={"per_page": "100"}).respond(
        200, [job(790, "lint", "failed"), job(791, "unit", "skipped", finished_at=None)]
    )

    runs = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN).checks(SHA)

    assert [(r.name, r.status) for r in runs] == [("lint", "passed"), ("lint", "failed")]
    assert runs[0].url == "https://gitlab.example.com/acme/app/-/jobs/801"


def test_checks_with_only_the_job_token_name_the_missing_token_without_a_request(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    with pytest.raises(PlatformError) as raised:
        make_platform().checks(SHA)

    assert str(raised.value) == (
        f"cannot list the jobs of the pipelines of {SHA[:12]}: RELEASEGATE_GITLAB_TOKEN is not set "
        "and CI_JOB_TOKEN cannot do this; it needs the read_api scope and the Reporter role: set "
        "RELEASEGATE_GITLAB_TOKEN (a project or group access token) as a masked, protected CI/CD "
        "variable"
    )
    assert http_fake.requests == []


def test_team_members_are_the_group_members(http_fake: HttpFake, make_platform: Platforms) -> None:
    http_fake.expect(
        "GET",
        "/api/v4/groups/acme%2Frelease/members/all",
        query={"per_page": "100"},
        headers=PRIVATE_AUTH,
    ).respond(200, [member("alice"), member("bob", 40)])

    members = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN).team_members("acme/release")

    assert members == ("alice", "bob")


def test_start_and_finish_a_deployment_from_a_gate_job(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    # No deploy job deployed SHA yet (a deploy outside GitLab jobs): releasegate creates one.
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200, [deployment(60, "success", sha=SHA_OLD, job_id=600)]
    )
    http_fake.expect(
        "POST",
        f"{API}/deployments",
        headers=JOB_AUTH,
        json={
            "environment": "production",
            "sha": SHA,
            "status": "running",
            "ref": "main",
            "tag": False,
        },
    ).respond(201, deployment(70, "running"))
    http_fake.expect("PUT", f"{API}/deployments/70", json={"status": "success"}).respond(
        200, deployment(70, "success", updated_at="2026-03-02T11:00:00.000Z")
    )
    platform = make_platform(CI_ENVIRONMENT_NAME="production", CI_ENVIRONMENT_ACTION="verify")

    started = platform.start_deployment("production", SHA, version="1.4.0")
    finished = platform.finish_deployment(started, "success")

    assert (started.id, started.status, started.version) == (70, "promoting", "1.4.0")
    assert (finished.status, finished.updated_at.hour) == ("success", 11)


def test_a_deployment_job_uses_the_deployment_gitlab_made_for_it(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200, [deployment(72, "running", job_id=700), deployment(71, "success", job_id=650)]
    )
    platform = make_platform(CI_ENVIRONMENT_NAME="production", CI_ENVIRONMENT_ACTION="start")

    started = platform.start_deployment("production", SHA)
    finished = platform.finish_deployment(started, "failure")

    assert (started.id, finished.status) == (72, "failure")
    assert [r.method for r in http_fake.requests] == ["GET"]  # GitLab sets the job's own status


def test_rollback_retries_the_job_of_the_target_with_the_access_token(
    http_fake: HttpFake, make_platform: Platforms, tmp_path: Path
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200,
        [deployment(81, "success", job_id=930), deployment(80, "success", sha=SHA_OLD, job_id=880)],
    )
    http_fake.expect("POST", f"{API}/jobs/880/retry", headers=PRIVATE_AUTH).respond(
        201, job(951, "deploy-production", "pending")
    )
    platform = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN)

    target = platform.rollback_target("production")
    assert target is not None and target.id == 80
    said = platform.rollback("production", target)

    assert said == (
        f"roll back production to {SHA_OLD[:12]}: retried job 880 as job 951 "
        "(https://gitlab.example.com/acme/app/-/jobs/951)"
    )
    assert (tmp_path / "releasegate.env").read_text() == (
        f"RELEASEGATE_ROLLBACK_TO={SHA_OLD}\nRELEASEGATE_ROLLBACK_JOB=880\n"
        "RELEASEGATE_ROLLBACK_RETRY=951\n"
    )


def test_a_deployment_the_record_template_made_is_never_retried_as_a_rollback(
    http_fake: HttpFake, make_platform: Platforms, tmp_path: Path
) -> None:
    """The record template's job only records a deployment made outside GitLab: retrying it
    would record the old commit as deployed again and redeploy nothing."""
    http_fake.expect("GET", f"{API}/deployments", query=LIST, headers=PRIVATE_AUTH).respond(
        200,
        [
            deployment(81, "success", job_id=930, job_name="releasegate-record"),
            deployment(80, "success", sha=SHA_OLD, job_id=880, job_name="prod-record"),
        ],
    )
    platform = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN)

    target = platform.rollback_target("production")
    assert target is not None and target.id == 80
    assert platform.rollback_artifact(target) is None  # the drill asks for a version or digest
    said = platform.rollback("production", target)

    assert said == (
        f"roll back production to {SHA_OLD[:12]}: not retried: job 880 (prod-record) only "
        "recorded that deployment (the record template); redeploy that commit with the tool that "
        "deployed it, then record it"
    )
    assert not any(r.method == "POST" for r in http_fake.requests)
    assert (tmp_path / "releasegate.env").read_text() == f"RELEASEGATE_ROLLBACK_TO={SHA_OLD}\n"


def test_rollback_with_only_the_job_token_names_the_target_and_the_missing_token(
    http_fake: HttpFake, make_platform: Platforms, tmp_path: Path
) -> None:
    http_fake.expect("GET", f"{API}/deployments/80", headers=JOB_AUTH).respond(
        200, deployment(80, "success", sha=SHA_OLD, job_id=880)
    )
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    target = Deployment(80, "production", SHA_OLD, "success", when, when)  # not listed by this run

    said = make_platform().rollback("production", target)

    assert said == (
        f"roll back production to {SHA_OLD[:12]}: retry job 880; not done because "
        "RELEASEGATE_GITLAB_TOKEN is not set (CI_JOB_TOKEN cannot retry jobs: it needs the api "
        "scope and the Developer role, with 'Allow job retries for rollback deployments' enabled)"
    )
    assert "RELEASEGATE_ROLLBACK_TO=" + SHA_OLD in (tmp_path / "releasegate.env").read_text()


@pytest.mark.parametrize(
    ("status", "token", "message"),
    [
        (
            401,
            "job",
            "GitLab rejected CI_JOB_TOKEN (401 Unauthorized) trying to list the deployments "
            "of production: the token is invalid, expired or revoked (a job token is valid "
            "only while its job runs)",
        ),
        (
            401,
            "private",
            "GitLab rejected RELEASEGATE_GITLAB_TOKEN (401 Unauthorized) trying to list "
            "the deployments of production: the token is invalid, expired or revoked",
        ),
        (
            403,
            "job",
            "GitLab refused to list the deployments of production with CI_JOB_TOKEN (403 "
            "Forbidden): it needs the Reporter role (CI_JOB_TOKEN can read its own "
            "project's deployments); set RELEASEGATE_GITLAB_TOKEN (a project or group "
            "access token) as a masked, protected CI/CD variable",
        ),
        (
            403,
            "private",
            "GitLab refused to list the deployments of production with "
            "RELEASEGATE_GITLAB_TOKEN (403 Forbidden): it needs the Reporter role "
            "(CI_JOB_TOKEN can read its own project's deployments)",
        ),
        (
            404,
            "job",
            "GitLab answered 404 Not Found trying to list the deployments of production in "
            "project 1217: it does not exist, or CI_JOB_TOKEN cannot see it (the Reporter "
            "role (CI_JOB_TOKEN can read its own project's deployments))",
        ),
    ],
)
def test_refusals_name_the_token_and_the_permission_never_its_value(
    http_fake: HttpFake, make_platform: Platforms, status: int, token: str, message: str
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        status, {"message": f"{status}"}
    )
    extra = {"RELEASEGATE_GITLAB_TOKEN": PRIVATE_TOKEN} if token == "private" else {}

    with pytest.raises(PlatformError) as raised:
        make_platform(**extra).deployments("production")

    assert str(raised.value) == message
    assert raised.value.exit_code == 4
    assert JOB_TOKEN not in str(raised.value) and PRIVATE_TOKEN not in str(raised.value)


def test_a_5xx_is_retried_then_answers(http_fake: HttpFake, make_platform: Platforms) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        502, {"message": "502"}
    ).respond(200, [deployment(90, "success")])
    platform = make_platform()

    assert [d.id for d in platform.deployments("production")] == [90]
    assert make_platform.sleeps == [0.5]


def test_a_5xx_that_persists_is_exit_4_after_the_retries(
    http_fake: HttpFake, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(503).respond(503).respond(503)

    with pytest.raises(PlatformError) as raised:
        make_platform().deployments("production")

    assert (
        str(raised.value)
        == "GitLab failed to list the deployments of production: HTTP 503 after 3 attempts"
    )


def test_an_unreachable_server_is_exit_4(make_platform: Platforms) -> None:
    platform = make_platform(CI_SERVER_URL="http://127.0.0.1:9")

    with pytest.raises(
        PlatformError,
        match=r"^cannot reach GitLab at http://127.0.0.1:9 to list the "
        r"deployments of production: ConnectionError after 3 attempts$",
    ):
        platform.deployments("production")


def test_no_token_at_all_is_a_platform_error(make_platform: Platforms) -> None:
    with pytest.raises(
        PlatformError, match="neither CI_JOB_TOKEN nor RELEASEGATE_GITLAB_TOKEN is set"
    ):
        make_platform(CI_JOB_TOKEN=None).deployments("production")


@pytest.mark.parametrize(
    ("permissions", "status", "message"),
    [
        (
            {"project_access": {"access_level": 40}, "group_access": None},
            "pass",
            "RELEASEGATE_GITLAB_TOKEN has access level 40 (Developer or above): it may retry deploy jobs",
        ),
        (
            {"project_access": None, "group_access": {"access_level": 20}},
            "fail",
            "RELEASEGATE_GITLAB_TOKEN has access level 20; a rollback needs the api scope and the "
            "Developer role, with 'Allow job retries for rollback deployments' enabled",
        ),
        (
            {"project_access": None, "group_access": None},
            "unverified",
            "GitLab does not report RELEASEGATE_GITLAB_TOKEN's access level on this project; a rollback "
            "needs the api scope and the Developer role, with 'Allow job retries for rollback deployments' enabled",
        ),
    ],
)
def test_rollback_access_reads_the_tokens_access_level(
    http_fake: HttpFake, make_platform: Platforms, permissions: dict, status: str, message: str
) -> None:
    http_fake.expect("GET", API, headers=PRIVATE_AUTH).respond(
        200, {"id": 42, "path_with_namespace": "acme/app", "permissions": permissions}
    )
    platform = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN)
    assert platform.rollback_access() == (status, message)


def test_rollback_access_with_only_the_job_token_fails_without_a_request(
    make_platform: Platforms,
) -> None:
    status, message = make_platform().rollback_access()
    assert (status, message.split(" (")[0]) == (
        "fail",
        "RELEASEGATE_GITLAB_TOKEN is not set and CI_JOB_TOKEN cannot retry jobs",
    )
