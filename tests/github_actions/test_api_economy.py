"""How much of GitHub a decision reads: against the stateful stand-in, which pages as GitHub does."""

from __future__ import annotations

import io
import json
from pathlib import Path

from github_actions.payloads import OTHER_SHA, SHA, TOKEN
from github_actions.standin import BASE
from releasegate.adapters.github_actions import launch
from releasegate.adapters.github_actions.api import GitHubAPI

POLICY = """\
version: 1
environments:
  - name: staging
  - name: production
    requires:
      from: staging
"""


def _promote(tmp_path: Path, github_env, standin, **extra: str) -> tuple[int, str, dict[str, str]]:
    (tmp_path / "releasegate.yml").write_text(POLICY)
    env = github_env(
        standin,
        RELEASEGATE_COMMAND="promote",
        RELEASEGATE_ENVIRONMENT="production",
        RELEASEGATE_CONFIG=str(tmp_path / "releasegate.yml"),
        RUNNER_TEMP=str(tmp_path),
        RELEASEGATE_GITHUB_CHECK_RUN="false",
        **extra,
    )
    out = io.StringIO()
    code = launch.main(env=env, stdout=out)
    report = json.loads(Path(env.get("RELEASEGATE_OUTPUT") or _report(tmp_path)).read_text())
    return code, out.getvalue(), report


def _report(folder: Path) -> str:
    return str(next(folder.glob("releasegate-*.json")))


def _history(standin, candidate_position: int, total: int = 200) -> None:
    """``total`` deployments alternating staging/production, the candidate's staging one
    ``candidate_position``-th newest among staging's."""
    staging = total // 2
    for i in range(staging):
        newest_rank = staging - i  # 1 = newest
        sha = SHA if newest_rank == candidate_position else f"{i:040x}"
        standin.add_deployment(sha, "staging", "success", minutes=2 * i)
        standin.add_deployment(f"{i + 1000:040x}", "production", "success", minutes=2 * i + 1)


def test_a_commit_deployed_41st_newest_to_staging_is_found(tmp_path, github_env, github_standin):
    _history(github_standin, candidate_position=41, total=120)  # 60 in staging: past page 1 of 30

    code, _, report = _promote(tmp_path, github_env, github_standin)

    assert report["outcome"] == "allow", report["reason"]
    assert code == 0


def test_promote_on_200_deployments_makes_at_most_6_reads(tmp_path, github_env, github_standin):
    _history(github_standin, candidate_position=41)

    code, _, report = _promote(tmp_path, github_env, github_standin)

    assert report["outcome"] == "allow", report["reason"]
    reads = github_standin.reads()
    assert len(reads) <= 6, [str(r) for r in reads]
    writes = [str(r) for r in github_standin.requests if r.method != "GET"]
    assert writes == [f"POST {BASE}/deployments", f"POST {BASE}/deployments/201/statuses"]


def test_a_commit_older_than_the_first_page_is_found_by_gitHubs_sha_filter(
    tmp_path, github_env, github_standin
):
    _history(github_standin, candidate_position=150, total=300)  # 150 staging; past page 1 of 100

    code, _, report = _promote(tmp_path, github_env, github_standin)

    assert report["outcome"] == "allow", report["reason"]
    assert any(r.query.get("sha") == [SHA] for r in github_standin.reads(f"{BASE}/deployments"))


def test_a_commit_never_deployed_is_reported_missing_not_found_elsewhere(
    tmp_path, github_env, github_standin
):
    github_standin.add_deployment(OTHER_SHA, "staging", "success")

    code, _, report = _promote(tmp_path, github_env, github_standin)

    assert report["outcome"] == "block"
    assert "was never deployed to staging" in report["reason"]


def test_the_stand_in_pages_like_github(github_standin):
    for i in range(45):
        github_standin.add_deployment(f"{i:040x}", "staging")
    api = GitHubAPI(
        TOKEN, "acme/app", base_url=github_standin.url, retries=0, backoff=0, per_page=30
    )

    rows = api.list_deployments("staging")

    assert [r["id"] for r in rows] == list(range(45, 0, -1))  # newest first, every page
    assert [r.query.get("page") for r in github_standin.reads()] == [None, ["2"]]


def test_a_rate_limit_is_waited_out_visibly(github_standin):
    github_standin.add_deployment(SHA, "staging")
    github_standin.throttle.append(("secondary", 7))
    waited: list[float] = []
    said: list[str] = []
    api = GitHubAPI(
        TOKEN,
        "acme/app",
        base_url=github_standin.url,
        retries=0,
        backoff=0,
        sleep=waited.append,
        say=said.append,
    )

    rows = api.list_deployments("staging")

    assert [r["sha"] for r in rows] == [SHA]
    assert waited == [7.0]
    assert said == [
        "releasegate: GitHub answered 403 (rate limit): waiting 7 s before the next GitHub "
        "API request"
    ]


def test_a_rate_limit_longer_than_the_wait_fails_with_the_reset(github_standin):
    from releasegate.errors import PlatformError

    github_standin.throttle.append(("secondary", 3600))
    api = GitHubAPI(
        TOKEN,
        "acme/app",
        base_url=github_standin.url,
        retries=0,
        backoff=0,
        sleep=lambda s: None,
        say=lambda s: None,
    )
    try:
        api.list_deployments("staging")
    except PlatformError as exc:
        assert "rate limit" in str(exc)
    else:
        raise AssertionError("no error")
