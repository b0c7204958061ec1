"""Hostile report text through the GitLab templates, run for real by gitlab-ci-local: the
JUnit artifact stays well-formed (GitLab rejects one that is not), the Markdown report
carries no HTML or forged heading, and the job log and dotenv hold no injected line."""

from __future__ import annotations

from pathlib import Path

import pytest
from render.hostile import (
    FILES,
    assert_inert_markdown,
    assert_inert_text,
    assert_well_formed_junit,
)
from test_gitlab_pipelines import _artifact, _deployments_of, _log, _repo, _run, pipeline

from peers.http_fake import HttpFake
from peers.runners import GitlabCiLocal

pytestmark = pytest.mark.peer("gitlab-ci-local")


def test_a_promotion_over_hostile_reports_publishes_inert_reports(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    _deployments_of(http_fake, "staging")
    files = dict(FILES)
    files[".gitlab-ci.yml"] = pipeline(
        """\
        stages: [deploy, after]
        include:
          - local: templates/promote.yml
            inputs: {environment: staging}
        """,
        "releasegate-promote",
    )
    repo = _repo(tmp_path, http_fake, files)

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # blocked by the findings
    junit = _artifact(repo, "releasegate-promote", "releasegate-junit.xml").read_text(
        encoding="utf-8"
    )
    assert_well_formed_junit(junit)
    assert_inert_markdown(
        _artifact(repo, "releasegate-promote", "releasegate-report.md").read_text(encoding="utf-8")
    )
    assert_inert_text(_log(repo, "releasegate-promote"))
    announced = _log(repo, "announce")
    assert "outcome=block kind=promotion" in announced
    assert_inert_text(announced)
    reason = next(line for line in announced.splitlines() if line.startswith("reason="))
    assert (
        reason.startswith("reason=blocked ") and "forged quote" in reason
    )  # report text, on one line
