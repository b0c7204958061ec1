"""GitLab's server rules as the stand-in applies them, one test per rule, and the adapter
meeting each: it never asks GitLab for what GitLab refuses."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from gitlab_payloads import SHA, SHA_OLD, deployment, job, mr_approvals
from gitlab_standin import GitlabStandIn, job_variables, page_headers
from gitlab_support import API, JOB_TOKEN, PRIVATE_TOKEN, Platforms

from releasegate.errors import PlatformError
from releasegate.records import Deployment

LIST = {"environment": "production", "order_by": "id", "sort": "desc", "per_page": "100"}
JOB_AUTH = {"JOB-TOKEN": JOB_TOKEN}
PRIVATE_AUTH = {"PRIVATE-TOKEN": PRIVATE_TOKEN}


# -- rule: a deployment a CI job created is read-only through the API ---------------------


def test_gitlab_refuses_to_update_a_deployment_a_job_created(http_fake: GitlabStandIn) -> None:
    http_fake.deployments_by_jobs(77)

    answer = requests.put(
        f"{http_fake.url}{API}/deployments/77",
        json={"status": "canceled"},
        headers=JOB_AUTH,
        timeout=5,
    )

    assert (answer.status_code, answer.json()) == (
        403,
        {
            "message": "403 Forbidden - Deployments created using GitLab CI can not be updated using the API"
        },
    )
    assert http_fake.take_refused() == [
        f"PUT {API}/deployments/77: 403 403 Forbidden - Deployments created using GitLab CI can "
        "not be updated using the API"
    ]


def test_a_rolled_back_job_deployment_is_kept_in_the_ledger_and_never_targeted_again(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    bad, good = (
        deployment(77, "success", job_id=501),
        deployment(70, "success", sha=SHA_OLD, job_id=500),
    )
    http_fake.deployments_by_jobs(77, 70)
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(200, [bad, good]).respond(
        200, [deployment(79, "success", sha="c" * 40, job_id=530), bad, good]
    )
    platform = make_platform()
    rolled = platform.deployments("production")[0]

    platform.finish_deployment(rolled, "rolled_back")  # no PUT: GitLab would refuse it
    # A later deploy of another commit fails: the target skips the commit rolled back before.
    target = platform.rollback_target("production")

    assert target is not None and (target.id, target.sha) == (70, SHA_OLD)
    assert [r.method for r in http_fake.requests] == ["GET", "GET"]


def test_a_deployment_releasegate_created_is_updated_through_the_api(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments/90", headers=JOB_AUTH).respond(
        200, deployment(90, "running")
    )
    http_fake.expect("PUT", f"{API}/deployments/90", json={"status": "failed"}).respond(
        200, deployment(90, "failed")
    )
    platform = make_platform()
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    finished = platform.finish_deployment(
        Deployment(90, "production", SHA, "promoting", now, now), "failure"
    )

    assert finished.status == "failure"


# -- rule: protected variables are absent in merge request pipelines of unprotected branches


def test_gitlab_passes_protected_variables_only_to_protected_refs() -> None:
    variables = {"RELEASEGATE_GITLAB_TOKEN": (PRIVATE_TOKEN, True), "DEPLOY_HOST": ("h", False)}

    assert job_variables(variables, ref_protected=False) == {"DEPLOY_HOST": "h"}
    assert job_variables(variables, ref_protected=True) == {
        "RELEASEGATE_GITLAB_TOKEN": PRIVATE_TOKEN,
        "DEPLOY_HOST": "h",
    }


def test_merge_request_approvals_in_an_unprotected_mr_pipeline_are_one_clear_error(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(200, [])
    project = {"RELEASEGATE_GITLAB_TOKEN": (PRIVATE_TOKEN, True)}
    token = job_variables(project, ref_protected=False).get("RELEASEGATE_GITLAB_TOKEN")
    platform = make_platform(
        RELEASEGATE_GITLAB_MR_APPROVALS="true",
        CI_MERGE_REQUEST_IID="12",
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="feature-x",
        CI_COMMIT_REF_PROTECTED="false",
        RELEASEGATE_GITLAB_TOKEN=token,
    )

    with pytest.raises(PlatformError) as raised:
        platform.approvals("production", SHA)

    assert str(raised.value) == (
        "merge-request-approvals needs RELEASEGATE_GITLAB_TOKEN to read merge request approvals "
        "(CI_JOB_TOKEN cannot): this merge request pipeline runs for the unprotected branch "
        "feature-x, and GitLab passes protected variables such as RELEASEGATE_GITLAB_TOKEN only "
        "to protected branches and tags: run the promote job in the default-branch pipeline "
        "after merge, where the merge request's approvals are read too"
    )


def test_merge_request_approvals_are_read_after_merge_on_the_default_branch(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST, headers=PRIVATE_AUTH).respond(200, [])
    merged = {
        "iid": 12,
        "state": "merged",
        "sha": "f" * 40,
        "merge_commit_sha": SHA,
        "squash_commit_sha": None,
    }
    http_fake.expect(
        "GET", f"{API}/repository/commits/{SHA}/merge_requests", headers=PRIVATE_AUTH
    ).respond(200, [merged])
    http_fake.expect("GET", f"{API}/merge_requests/12/approvals", headers=PRIVATE_AUTH).respond(
        200, mr_approvals(12, ["frank"])
    )
    project = {"RELEASEGATE_GITLAB_TOKEN": (PRIVATE_TOKEN, True)}
    token = job_variables(project, ref_protected=True)["RELEASEGATE_GITLAB_TOKEN"]
    platform = make_platform(RELEASEGATE_GITLAB_MR_APPROVALS="true", RELEASEGATE_GITLAB_TOKEN=token)

    found = platform.approvals("production", SHA)

    assert [a.approver for a in found] == ["frank"]


# -- rule: lists are paginated, at most per_page (100) items a page, with x-next-page ------


def test_the_adapter_reads_every_page_gitlab_sends(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    rows = [deployment(300 - i, "success", job_id=1000 + i) for i in range(150)]
    path = f"{API}/deployments"
    http_fake.expect("GET", path, query=LIST).respond(
        200, rows[:100], headers=page_headers(http_fake.url, path, LIST, 1, 100, 150)
    )
    http_fake.expect("GET", path, query={**LIST, "page": "2"}).respond(
        200, rows[100:], headers=page_headers(http_fake.url, path, LIST, 2, 100, 150)
    )

    history = make_platform().deployments("production")

    assert len(history) == 150 and history[-1].id == 151


def test_the_stand_in_refuses_a_page_longer_than_gitlab_sends(http_fake: GitlabStandIn) -> None:
    http_fake.expect("GET", f"{API}/deployments").respond(
        200, [deployment(i, "success") for i in range(21)]
    )

    requests.get(f"{http_fake.url}{API}/deployments", headers=JOB_AUTH, timeout=5)

    assert http_fake.failures == [
        f"GET {API}/deployments: 21 items in one page, but GitLab sends at most 20"
    ]
    http_fake.failures.clear()


def test_page_headers_are_gitlabs() -> None:
    headers = page_headers("http://127.0.0.1:1", "/api/v4/projects/1/jobs", {}, 2, 20, 45)

    assert {k: v for k, v in headers.items() if k != "Link"} == {
        "x-next-page": "3",
        "x-prev-page": "1",
        "x-page": "2",
        "x-per-page": "20",
        "x-total": "45",
        "x-total-pages": "3",
    }
    assert headers["Link"].startswith(
        '<http://127.0.0.1:1/api/v4/projects/1/jobs?page=3&per_page=20>; rel="next"'
    )


# -- rule: 401, 403 and 404 bodies as GitLab sends them ------------------------------------


def test_a_job_token_cannot_retry_jobs_401(http_fake: GitlabStandIn) -> None:
    answer = requests.post(f"{http_fake.url}{API}/jobs/500/retry", headers=JOB_AUTH, timeout=5)

    assert (answer.status_code, answer.json()) == (401, {"message": "401 Unauthorized"})
    http_fake.take_refused()


def test_without_the_access_token_the_adapter_never_asks_for_a_retry(
    http_fake: GitlabStandIn, make_platform: Platforms, tmp_path: Path
) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200,
        [deployment(77, "success", job_id=501), deployment(70, "success", sha=SHA_OLD, job_id=500)],
    )
    platform = make_platform()
    target = platform.rollback_target("production")
    assert target is not None

    said = platform.rollback("production", target)

    assert "retry job 500; not done because RELEASEGATE_GITLAB_TOKEN is not set" in said
    assert not http_fake.refused


def test_an_unknown_project_is_gitlabs_404(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    with pytest.raises(PlatformError) as raised:
        make_platform(CI_PROJECT_ID="999").deployments("production")

    assert str(raised.value).startswith(
        "GitLab answered 404 Not Found trying to list the deployments of production in project 999"
    )
    assert http_fake.take_refused() == [
        "GET /api/v4/projects/999/deployments?environment=production&order_by=id&sort=desc"
        "&per_page=100: 404 404 Project Not Found"
    ]


def test_a_job_gitlab_will_not_retry_says_why(
    http_fake: GitlabStandIn, make_platform: Platforms
) -> None:
    # lib/api/ci/jobs.rb: a retry that Ci::RetryJobService refuses is
    # forbidden!('Job is not retryable') (an outdated deployment job while "Allow job retries
    # for rollback deployments" is off).
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200,
        [deployment(77, "success", job_id=501), deployment(70, "success", sha=SHA_OLD, job_id=500)],
    )
    http_fake.expect("POST", f"{API}/jobs/500/retry", headers=PRIVATE_AUTH).respond(
        403, {"message": "403 Forbidden - Job is not retryable"}
    )
    platform = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN)
    target = platform.rollback_target("production")
    assert target is not None

    with pytest.raises(PlatformError) as raised:
        platform.rollback("production", target)

    assert str(raised.value) == (
        f"GitLab refused to retry job 500 to roll back production to {SHA_OLD[:12]} with "
        "RELEASEGATE_GITLAB_TOKEN (403 Forbidden: Job is not retryable); enable Settings > "
        "CI/CD > General pipelines > Allow job retries for rollback deployments"
    )


def test_a_retry_gitlab_accepts(http_fake: GitlabStandIn, make_platform: Platforms) -> None:
    http_fake.expect("GET", f"{API}/deployments", query=LIST).respond(
        200,
        [deployment(77, "success", job_id=501), deployment(70, "success", sha=SHA_OLD, job_id=500)],
    )
    http_fake.expect("POST", f"{API}/jobs/500/retry", headers=PRIVATE_AUTH).respond(
        201, job(951, "deploy-production", "pending")
    )
    platform = make_platform(RELEASEGATE_GITLAB_TOKEN=PRIVATE_TOKEN)
    target = platform.rollback_target("production")
    assert target is not None

    assert platform.rollback("production", target).startswith(
        f"roll back production to {SHA_OLD[:12]}: retried job 500 as job 951"
    )
