"""The GitLab plugin without the API: activation, the ``CI_*`` context, lazy import, reports."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from gitlab_payloads import SHA
from gitlab_support import Platforms

from releasegate.adapters.gitlab.dotenv import MAX_BYTES, dotenv_text, output_variable, sanitize
from releasegate.adapters.gitlab.plugin import GitlabPlatform, context_from_env
from releasegate.ledger import Ledger
from releasegate.model import Decision, Requirement, Subject
from releasegate.plugins import Hooks


def test_the_plugin_answers_only_inside_gitlab_ci(ledger: Ledger) -> None:
    hooks = Hooks.load({"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert isinstance(hooks.platform({"GITLAB_CI": "true"}, ledger), GitlabPlatform)
    assert hooks.platform({"GITLAB_CI": "false"}, ledger).name == "local"
    assert hooks.platform({}, ledger).name == "local"


def test_loading_the_plugins_does_not_import_python_gitlab() -> None:
    code = (
        "import sys\nfrom releasegate.plugins import Hooks\n"
        "Hooks.load({'RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD': '1'})\n"
        "import releasegate.adapters.gitlab.plugin\n"
        "print('gitlab' in sys.modules, 'requests' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_context_of_a_branch_pipeline(ci_env: dict[str, str]) -> None:
    context = context_from_env(ci_env)

    assert (context.platform, context.sha, context.ref, context.ref_type) == (
        "gitlab",
        SHA,
        "main",
        "branch",
    )
    assert (context.default_branch, context.actor, context.repository) == (
        "main",
        "carol",
        "acme/app",
    )
    assert (context.protected, context.pull_request, context.fork) == (True, False, False)
    assert context.run_url == "https://gitlab.example.com/acme/app/-/jobs/700"


@pytest.mark.parametrize(
    ("extra", "ref", "ref_type", "pull_request", "fork", "protected"),
    [
        (
            {"CI_COMMIT_TAG": "v1.4.0", "CI_COMMIT_REF_NAME": "v1.4.0"},
            "v1.4.0",
            "tag",
            False,
            False,
            True,
        ),
        (
            {
                "CI_MERGE_REQUEST_IID": "12",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
                "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1217",
                "CI_MERGE_REQUEST_PROJECT_ID": "1217",
                "CI_COMMIT_REF_PROTECTED": "false",
            },
            "feature",
            "branch",
            True,
            False,
            False,
        ),
        (
            {
                "CI_MERGE_REQUEST_IID": "13",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "main",
                "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "9999",
                "CI_MERGE_REQUEST_PROJECT_ID": "1217",
            },
            "main",
            "branch",
            True,
            True,
            True,
        ),
        (  # a GitHub pull request of a project using CI/CD for external repositories
            {
                "CI_PIPELINE_SOURCE": "external_pull_request_event",
                "CI_EXTERNAL_PULL_REQUEST_IID": "7",
                "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME": "feature",
                "CI_EXTERNAL_PULL_REQUEST_SOURCE_REPOSITORY": "mallory/app",
                "CI_EXTERNAL_PULL_REQUEST_TARGET_REPOSITORY": "acme/app",
                "CI_COMMIT_REF_NAME": "feature",
            },
            "feature",
            "branch",
            True,
            True,
            True,
        ),
    ],
    ids=["tag", "merge-request", "fork", "external-pull-request"],
)
def test_context_of_tags_merge_requests_and_forks(
    ci_env: dict[str, str],
    extra: dict[str, str],
    ref: str,
    ref_type: str,
    pull_request: bool,
    fork: bool,
    protected: bool,
) -> None:
    context = context_from_env({**ci_env, **extra})

    assert (
        context.ref,
        context.ref_type,
        context.pull_request,
        context.fork,
        context.protected,
    ) == (ref, ref_type, pull_request, fork, protected)


def test_output_names_never_shadow_a_cli_option() -> None:
    assert output_variable("next-weight") == "RELEASEGATE_NEXT_WEIGHT"
    assert output_variable("rollback-to") == "RELEASEGATE_ROLLBACK_TO"
    assert output_variable("environment") == "RELEASEGATE_RESULT_ENVIRONMENT"
    assert output_variable("step") == "RELEASEGATE_RESULT_STEP"


def test_values_are_one_safe_line() -> None:
    assert sanitize('error "rate"\n  > 5% # of $REQ `x` \\ y') == "error rate > 5% of REQ x y"
    assert len(sanitize("x" * 500)) == 200 and sanitize("x" * 500).endswith("...")


def test_the_report_keeps_the_important_variables_within_gitlabs_limits() -> None:
    values = {f"RELEASEGATE_EXTRA_{i}": "v" * 150 for i in range(40)}
    values.update(
        {
            "RELEASEGATE_ROLLBACK_TO": SHA,
            "RELEASEGATE_OUTCOME": "rollback",
            "RELEASEGATE_REASON": "r" * 1000,
        }
    )

    text = dotenv_text(values)

    lines = text.splitlines()
    assert len(text.encode()) <= MAX_BYTES and len(lines) <= 20
    assert lines[0] == "RELEASEGATE_OUTCOME=rollback"
    assert (
        lines[1].startswith("RELEASEGATE_REASON=rrr")
        and len(lines[1]) == len("RELEASEGATE_REASON=") + 200
    )
    assert lines[2] == f"RELEASEGATE_ROLLBACK_TO={SHA}"
    assert all(line.count("=") == 1 and " " not in line.split("=")[0] for line in lines)


def test_publish_writes_dotenv_junit_and_markdown(make_platform: Platforms, tmp_path: Path) -> None:
    decision = Decision(
        kind="canary",
        outcome="continue",
        reason="step 1 healthy: error-rate within limits",
        subject=Subject(environment="production", sha=SHA),
        time=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        requirements=(Requirement("gate canary-health error-rate", "pass", "0.1% <= 5%"),),
        outputs={"next-weight": "25", "step": "2"},
    )

    make_platform().publish(decision)

    assert (tmp_path / "releasegate.env").read_text() == (
        "RELEASEGATE_OUTCOME=continue\n"
        "RELEASEGATE_REASON=step 1 healthy: error-rate within limits\n"
        "RELEASEGATE_KIND=canary\n"
        "RELEASEGATE_NEXT_WEIGHT=25\n"
        "RELEASEGATE_RESULT_STEP=2\n"
    )
    assert 'name="gate canary-health error-rate"' in (tmp_path / "junit.xml").read_text()
    assert "error-rate" in (tmp_path / "report.md").read_text()


def test_publish_outputs_adds_to_the_same_report(make_platform: Platforms, tmp_path: Path) -> None:
    make_platform().publish_outputs({"next-weight": "20", "window": "3s"})

    assert (tmp_path / "releasegate.env").read_text() == (
        "RELEASEGATE_NEXT_WEIGHT=20\nRELEASEGATE_RESULT_WINDOW=3s\n"
    )


_CACHE = {
    "cache-key": "deps-linux-pip-3f2a",
    "cache-save": "true",
    "cache-write-reason": "main",
    "cache-action": "actions/cache",
    "concurrency-group": "deploy-{env}",
    "cache-entries": '[{"key":"deps-linux-pip-3f2a","path":["~/.cache/pip"],'
    '"project-path":[".cache/pip"],"fallback-key":"deps-linux-pip-latest"}]',
}


@pytest.mark.parametrize(
    ("pipeline", "policy"),
    [
        ({}, "pull-push"),
        ({"CI_MERGE_REQUEST_IID": "12"}, "pull"),
        # doc/ci/ci_cd_for_external_repos: a GitHub pull request's pipeline has no merge request
        # IID, only CI_EXTERNAL_PULL_REQUEST_IID; it is a merge request all the same
        (
            {
                "CI_PIPELINE_SOURCE": "external_pull_request_event",
                "CI_EXTERNAL_PULL_REQUEST_IID": "7",
            },
            "pull",
        ),
    ],
    ids=["branch", "merge-request", "external-pull-request"],
)
def test_cache_outputs_are_gitlab_shaped_and_merge_requests_only_pull(
    make_platform: Platforms, tmp_path: Path, pipeline: dict[str, str], policy: str
) -> None:
    make_platform(**pipeline).publish_outputs(dict(_CACHE))

    text = (tmp_path / "releasegate.env").read_text()
    assert text.splitlines()[:4] == [
        "RELEASEGATE_CACHE_KEY=deps-linux-pip-3f2a",
        "RELEASEGATE_CACHE_FALLBACK_KEY=deps-linux-pip-latest",
        "RELEASEGATE_CACHE_PATHS=.cache/pip",
        f"RELEASEGATE_CACHE_POLICY={policy}",
    ]
    # GitHub's forms and an unrendered {env} never reach GitLab.
    assert "actions/cache" not in text and "~" not in text and "{" not in text
