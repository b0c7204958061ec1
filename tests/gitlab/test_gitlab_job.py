"""``releasegate-gitlab``, the one command of every template: evidence on every exit, the
cache job's read-only fallback, the notice outside GitLab CI, and the inputs it refuses."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from gitlab_standin import GitlabStandIn

from releasegate.adapters.gitlab.inputs import check_inputs
from releasegate.adapters.gitlab.job import main
from releasegate.errors import UsageError

POLICY = """\
version: 1
service: checkout
environments:
  - name: dev
"""


@pytest.fixture
def job_env(
    ci_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """A GitLab job's variables as a template sets them, run in ``tmp_path``."""
    (tmp_path / "releasegate.yml").write_text(POLICY)
    monkeypatch.chdir(tmp_path)
    return {
        **ci_env,
        "RELEASEGATE_CONFIG": "releasegate.yml",
        "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
    }


def _dotenv(path: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(path).read_text().splitlines())


def test_exit_4_still_leaves_the_dotenv_and_a_junit_error(
    http_fake: GitlabStandIn, job_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        **job_env,
        "RELEASEGATE_GITLAB_COMMAND": "promote",
        "RELEASEGATE_TO": "dev",
        "CI_JOB_TOKEN": "revoked",
    }

    code = main([], env)

    assert code == 4
    assert http_fake.take_refused()  # GitLab answered 401 to the revoked job token
    values = _dotenv(env["RELEASEGATE_GITLAB_DOTENV"])
    assert values["RELEASEGATE_OUTCOME"] == "error" and values["RELEASEGATE_EXIT_CODE"] == "4"
    assert values["RELEASEGATE_KIND"] == "promotion"  # the error decision, published
    assert values["RELEASEGATE_REASON"].startswith(
        "no decision: GitLab rejected CI_JOB_TOKEN (401 Unauthorized)"
    )
    error = ET.parse(env["RELEASEGATE_GITLAB_JUNIT"]).getroot().find(".//testcase/error")
    said = capsys.readouterr().err.strip().split("releasegate: error: ")[-1]
    assert error is not None and (error.get("message") or "").startswith(said)
    assert "None" not in Path(env["RELEASEGATE_GITLAB_JUNIT"]).read_text()


def test_a_usage_error_leaves_evidence_too(job_env: dict[str, str]) -> None:
    env = {**job_env, "RELEASEGATE_GITLAB_COMMAND": "promote", "RELEASEGATE_TO": "prod"}

    assert main([], env) == 2
    assert _dotenv(env["RELEASEGATE_GITLAB_DOTENV"])["RELEASEGATE_REASON"].startswith(
        "--to prod: no such environment"
    )


def test_an_earlier_jobs_report_is_not_taken_for_this_ones(job_env: dict[str, str]) -> None:
    Path(job_env["RELEASEGATE_GITLAB_DOTENV"]).write_text("RELEASEGATE_OUTCOME=allow\n")
    env = {**job_env, "RELEASEGATE_GITLAB_COMMAND": "promote", "RELEASEGATE_TO": "prod"}

    main([], env)

    assert _dotenv(env["RELEASEGATE_GITLAB_DOTENV"])["RELEASEGATE_OUTCOME"] == "error"


def test_a_policy_typo_in_the_cache_job_falls_back_to_read_only_and_warns(
    job_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "releasegate.yml").write_text(POLICY + "cache:\n  write_onn: [main]\n")
    env = {
        **job_env,
        "RELEASEGATE_GITLAB_COMMAND": "cache",
        "RELEASEGATE_TARGET": "gitlab",
        "RELEASEGATE_FORMAT": "yaml",
        "RELEASEGATE_GITLAB_CACHE_FILE": "releasegate-cache.yml",
    }

    assert main([], env) == 0  # unit tests on every branch are not blocked by it

    values = _dotenv(env["RELEASEGATE_GITLAB_DOTENV"])
    assert (values["RELEASEGATE_CACHE_POLICY"], values["RELEASEGATE_OUTCOME"]) == ("pull", "error")
    assert "cache: []" in (tmp_path / "releasegate-cache.yml").read_text()
    assert "the cache plan failed; later jobs only read caches" in capsys.readouterr().err


def test_outside_gitlab_ci_it_says_so(
    job_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**job_env, "GITLAB_CI": "false", "RELEASEGATE_GITLAB_COMMAND": "check"}

    assert main([], env) == 0
    assert (
        "releasegate: notice: GitLab CI not detected (GITLAB_CI is not 'true')"
        in capsys.readouterr().err
    )


def test_an_unknown_command_is_a_usage_error(
    job_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], {**job_env, "RELEASEGATE_GITLAB_COMMAND": "promte"}) == 2
    assert "RELEASEGATE_GITLAB_COMMAND='promte': expected one of" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "RELEASEGATE_BREAK_GLASS",
            "$REASON",
            "RELEASEGATE_BREAK_GLASS holds '$REASON', a variable GitLab did not expand",
        ),
        (
            "RELEASEGATE_AUTHOR",
            "${GITLAB_USER}",
            "RELEASEGATE_AUTHOR holds '${GITLAB_USER}', a variable GitLab did not expand",
        ),
        ("RELEASEGATE_BREAK_GLASS", "   ", "RELEASEGATE_BREAK_GLASS holds only blanks"),
        (
            "RELEASEGATE_GITLAB_INPUT_BREAK_GLASS",
            "$REASON",
            "break-glass: $REASON is not defined in this pipeline",
        ),
    ],
)
def test_unexpanded_variables_and_blanks_are_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_inputs({name: value})

    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("raw", ["INC-$TICKET", "INC-${TICKET}", "$PREFIX$TICKET"])
def test_break_glass_made_partly_of_an_undefined_variable_is_refused(raw: str) -> None:
    """The runner expands an undefined variable to nothing: ``INC-$TICKET`` would turn the
    override on in every pipeline with the reason ``INC-``."""
    expanded = raw.replace("${TICKET}", "").replace("$TICKET", "").replace("$PREFIX", "INC-")
    with pytest.raises(UsageError) as raised:
        check_inputs(
            {
                "RELEASEGATE_GITLAB_INPUT_BREAK_GLASS": raw,
                "PREFIX": "INC-",
                "RELEASEGATE_BREAK_GLASS": expanded,
            }
        )

    message = (
        "break-glass: ${TICKET} is not defined"
        if "{" in raw
        else "break-glass: $TICKET is not defined"
    )
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "env",
    [
        {"RELEASEGATE_BREAK_GLASS": ""},
        {"RELEASEGATE_BREAK_GLASS": "costs $$5 a minute"},
        {"RELEASEGATE_PROMETHEUS_TOKEN": "pa$word"},
        {"RELEASEGATE_GITLAB_INPUT_BREAK_GLASS": "$REASON", "RELEASEGATE_BREAK_GLASS": "INC-1"},
        {
            "RELEASEGATE_GITLAB_INPUT_BREAK_GLASS": "INC-$TICKET",
            "TICKET": "42",
            "RELEASEGATE_BREAK_GLASS": "INC-42",
        },
        {"RELEASEGATE_BREAK_GLASS": "echo $(id) `id`"},
    ],
)
def test_values_and_secrets_pass(env: dict[str, str]) -> None:
    check_inputs(env)


def test_a_template_included_twice_without_a_job_prefix_is_refused(
    job_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("""\
include:
  - component: $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0
    inputs: {environment: staging}
  - component: $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0
    inputs: {environment: production}
  - component: $CI_SERVER_FQDN/acme/releasegate/analyze@0.1.0
    inputs: {environment: production, job-prefix: prod}
  - component: $CI_SERVER_FQDN/acme/releasegate/analyze@0.1.0
    inputs: {environment: staging}
job:
  script: !reference [.other, script]
""")

    assert main(["check"], {**job_env, "GITLAB_CI": "true"}) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "releasegate: error: $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0 and "
        "$CI_SERVER_FQDN/acme/releasegate/promote@0.1.0 both define job releasegate-promote: "
        "GitLab keeps only the later one; give each include its own job-prefix input"
    )


def test_distinct_job_prefixes_pass_the_check(job_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("""\
include:
  - local: templates/promote.yml
    inputs: {environment: staging, job-prefix: staging-gate}
  - local: templates/promote.yml
    inputs: {environment: production, job-prefix: production-gate}
""")

    assert main(["check"], job_env) == 0


def test_a_duplicate_across_nested_local_includes_is_refused(
    job_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitLab merges the jobs of every file the pipeline includes, nested local files and
    wildcards too (doc/ci/yaml/includes.md "Use nested includes", "Use include:local with
    wildcard file paths"): a gate included in two of them is dropped the same way."""
    (tmp_path / "ci" / "gates").mkdir(parents=True)
    (tmp_path / ".gitlab-ci.yml").write_text("""\
include:
  - component: $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0
    inputs: {environment: staging}
  - ci/deploy.yml
""")
    (tmp_path / "ci" / "deploy.yml").write_text("include:\n  - local: ci/gates/*.yml\n")
    (tmp_path / "ci" / "gates" / "production.yml").write_text("""\
include:
  - component: $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0
    inputs: {environment: production}
  - local: ci/deploy.yml
""")

    assert main(["check"], {**job_env, "GITLAB_CI": "true"}) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "releasegate: error: $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0 (in "
        "ci/gates/production.yml) and $CI_SERVER_FQDN/acme/releasegate/promote@0.1.0 both define "
        "job releasegate-promote: GitLab keeps only the later one; give each include its own "
        "job-prefix input"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # GitLab 17.11+: a pipeline file may start with its own spec: inputs header
        (
            "spec:\n  inputs:\n    target: {default: staging}\n---\ninclude:\n"
            "  - local: templates/promote.yml\n    inputs: {environment: staging}\n"
            "  - local: templates/promote.yml\n    inputs: {environment: production}\n",
            "releasegate: error: templates/promote.yml and templates/promote.yml both define job "
            "releasegate-promote: GitLab keeps only the later one; give each include its own "
            "job-prefix input",
        ),
        (
            "include: [\n",
            "releasegate: error: .gitlab-ci.yml: not valid YAML (line 2, column 1); "
            "GitLab will refuse this pipeline too",
        ),
    ],
)
def test_the_pipeline_file_with_a_header_or_broken_yaml_is_read_without_a_traceback(
    job_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(text)

    assert main(["check"], {**job_env, "GITLAB_CI": "true"}) == 2
    assert capsys.readouterr().err.splitlines()[-1] == message


@pytest.mark.peer("prometheus")
def test_a_rollback_gitlab_refuses_still_says_error_with_the_target(
    http_fake: GitlabStandIn,
    job_env: dict[str, str],
    tmp_path: Path,
    prometheus,  # type: ignore[no-untyped-def]
) -> None:
    """The watch fails and names its target, then GitLab refuses the retry (an outdated
    deployment job): the dotenv already holds the target, and must also say the job erred."""
    from gitlab_payloads import SHA, SHA_OLD, deployment
    from gitlab_support import API, PRIVATE_TOKEN

    server = prometheus([])
    (tmp_path / "releasegate.yml").write_text(f"""\
version: 1
service: checkout
gates:
  service-health:
    provider: prometheus
    address: {server.url}
    interval: 1s
    retries: 0
    metrics:
      - name: error-rate
        query: vector(0.2)
        judge: threshold
        fail_if: "> 0.05"
environments:
  - name: production
    rollback:
      window: 1s
      gates: [service-health]
""")
    listed = [
        deployment(78, "success", sha=SHA, job_id=501),
        deployment(70, "success", sha=SHA_OLD, job_id=500),
    ]
    http_fake.deployments_by_jobs(78, 70)
    http_fake.expect(
        "GET",
        f"{API}/deployments",
        headers={"PRIVATE-TOKEN": PRIVATE_TOKEN},
        query={
            "environment": "production",
            "order_by": "id",
            "sort": "desc",
            "per_page": "100",
        },
    ).respond(200, listed).respond(200, listed)
    # lib/api/ci/jobs.rb: forbidden!('Job is not retryable') for an outdated deployment job
    http_fake.expect(
        "POST", f"{API}/jobs/500/retry", headers={"PRIVATE-TOKEN": PRIVATE_TOKEN}
    ).respond(403, {"message": "403 Forbidden - Job is not retryable"})
    env = {
        **job_env,
        "RELEASEGATE_GITLAB_COMMAND": "watch",
        "RELEASEGATE_ENVIRONMENT": "production",
        "RELEASEGATE_GITLAB_TOKEN": PRIVATE_TOKEN,
    }

    assert main([], env) == 4

    values = _dotenv(env["RELEASEGATE_GITLAB_DOTENV"])
    assert values["RELEASEGATE_OUTCOME"] == "error"
    # The rollback's steps are recorded: which failed, why, and what a rerun still has to do.
    assert (
        "rollback step platform failed: GitLab refused to retry job 500"
        in values["RELEASEGATE_REASON"]
    )
    assert values["RELEASEGATE_ROLLBACK_LEFT"] == "platform"
    assert values["RELEASEGATE_ROLLBACK_TO"] == SHA_OLD
    assert ET.parse(env["RELEASEGATE_GITLAB_JUNIT"]).getroot().find(".//testcase/error") is not None
