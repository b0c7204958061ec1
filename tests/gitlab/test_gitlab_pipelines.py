"""Pipelines that include the templates, run for real by gitlab-ci-local (shell executor).

Each job runs the installed ``releasegate`` from PATH with ``GITLAB_CI=true``; its GitLab
server (``CI_SERVER_URL``, from the repository's remote) is the shared ``http_fake`` on
127.0.0.1, so every API call the job makes is asserted. Downstream jobs read the dotenv
report; the artifacts (JUnit, Markdown, JSON) are read back from gitlab-ci-local's state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

import gitlab_payloads as payloads
import pytest
import yaml
from gitlab_support import API, JOB_TOKEN, PRIVATE_TOKEN
from providers.checkout_rollout import (
    ERROR_RATE,
    P99,
    REQUESTS,
    checkout_series,
    rollout_start,
    synth,
)

from peers.http_fake import HttpFake
from peers.runners import GitlabCiLocal, git_repo
from releasegate.adapters.gitlab import TEMPLATES

pytestmark = pytest.mark.peer("gitlab-ci-local")

#: The venv this test runs in holds the ``releasegate`` console script the jobs run.
VENV_BIN = str(Path(sys.executable).parent)
EXAMPLES = Path(__file__).resolve().parents[2] / "adapters" / "gitlab" / "examples"

PASSING_JUNIT = (
    '<testsuite name="unit" tests="2" failures="0" errors="0">'
    '<testcase name="a"/><testcase name="b"/></testsuite>\n'
)
POLICY = """\
version: 1
service: checkout
validations:
  unit-tests:
    junit: reports/*.xml
environments:
  - name: dev
    requires:
      validations: [unit-tests]
"""
DOWNSTREAM = """\
announce:
  stage: after
  needs: [{job}]
  when: always
  script:
    - echo "outcome=$RELEASEGATE_OUTCOME kind=$RELEASEGATE_KIND"
    - echo "reason=$RELEASEGATE_REASON"
"""


def pipeline(text: str, downstream: str | None = None) -> str:
    """A ``.gitlab-ci.yml`` from indented text, with the ``announce`` job after ``downstream``."""
    return textwrap.dedent(text) + (DOWNSTREAM.format(job=downstream) if downstream else "")


def _repo(tmp_path: Path, fake: HttpFake, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True)
    for template in TEMPLATES.glob("*.yml"):
        shutil.copy(template, repo / "templates" / template.name)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return git_repo(repo, remote=f"{fake.url}/acme/app.git")


def _run(gitlab_ci_local: GitlabCiLocal, repo: Path, *variables: str):  # type: ignore[no-untyped-def]
    args = [
        "--force-shell-executor",
        "--ignore-predefined-vars",
        "GITLAB_CI",
        "--variable",
        "GITLAB_CI=true",
        "--variable",
        f"CI_JOB_TOKEN={JOB_TOKEN}",
    ]
    for variable in variables:
        args += ["--variable", variable]
    return gitlab_ci_local(repo, *args, env={"PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"})


def _log(repo: Path, job: str) -> str:
    """What ``job`` printed (gitlab-ci-local keeps each job's log)."""
    return (repo / ".gitlab-ci-local" / "output" / f"{job}.log").read_text()


def _artifact(repo: Path, job: str, name: str) -> Path:
    found = list((repo / ".gitlab-ci-local" / "artifacts" / job).rglob(name))
    assert found, f"{name} is not among the artifacts of {job}"
    return found[0]


def _failures(repo: Path, job: str) -> dict[str, str]:
    """The failed test cases of ``job``'s JUnit report, name to failure message, in order."""
    suite = ET.parse(_artifact(repo, job, "releasegate-junit.xml")).getroot()
    return {
        str(c.get("name")): str(c.find("failure").get("message"))  # type: ignore[union-attr]
        for c in suite.iter("testcase")
        if c.find("failure") is not None
    }


def _deployments_of(
    fake: HttpFake, environment: str, listed: list[dict] | None = None, times: int = 1
) -> None:
    """The job lists ``environment``'s deployments ``times`` times and gets ``listed`` (none)."""
    expectation = fake.expect(
        "GET",
        f"{API}/deployments",
        headers={"JOB-TOKEN": JOB_TOKEN},
        query={
            "environment": environment,
            "order_by": "id",
            "sort": "desc",
            "per_page": "100",
        },
    )
    for _ in range(times):
        expectation.respond(200, listed or [])


def test_an_allowed_promotion_passes_its_outcome_downstream(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    _deployments_of(http_fake, "dev")
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,
            "reports/unit.xml": PASSING_JUNIT,
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [deploy, after]
            include:
              - local: templates/promote.yml
                inputs:
                  environment: dev
                  deployment-tier: development
            """,
                "releasegate-promote",
            ),
        },
    )

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "releasegate-promote > ALLOW promotion" in out
    assert "outcome=allow kind=promotion" in _log(repo, "announce")
    suite = ET.parse(_artifact(repo, "releasegate-promote", "releasegate-junit.xml")).getroot()
    assert [c.get("name") for c in suite.iter("testcase")] == [
        "no promotion in progress",
        "validation unit-tests",
    ]
    assert "| " in _artifact(repo, "releasegate-promote", "releasegate-report.md").read_text()


def test_a_blocked_promotion_fails_the_job_with_the_junit_report_written(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    _deployments_of(http_fake, "dev")
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,  # and no report: the validation is missing
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [deploy, after]
            include:
              - local: templates/promote.yml
                inputs: {environment: dev, job-prefix: gate}
            """,
                "gate-promote",
            ),
        },
    )

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "FAIL  gate-promote" in out
    assert "outcome=block kind=promotion" in _log(repo, "announce")
    assert list(_failures(repo, "gate-promote")) == ["validation unit-tests"]


def test_hostile_string_inputs_stay_data(
    tmp_path: Path,
    http_fake: HttpFake,
    gitlab_ci_local: GitlabCiLocal,
    request: pytest.FixtureRequest,
) -> None:
    _deployments_of(http_fake, "dev")
    # A short path: the input's regex allows 200 characters and the marker appears three times.
    short = Path(tempfile.mkdtemp(prefix="rg-"))
    request.addfinalizer(lambda: shutil.rmtree(short, ignore_errors=True))
    marker = short / "p"
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,
            "reports/unit.xml": PASSING_JUNIT,
            ".gitlab-ci.yml": pipeline(f"""\
            stages: [deploy]
            include:
              - local: templates/promote.yml
                inputs:
                  environment: dev
                  break-glass: '"; touch {marker}; echo $(touch {marker}) `touch {marker}`'
            """),
        },
    )

    result = _run(gitlab_ci_local, repo)

    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists()
    # The policy has no window or freeze to override: the reason is simply shown, verbatim.
    assert f"$(touch {marker}) `touch {marker}`" in _log(repo, "releasegate-promote")


#: (prometheus-url, deployed-at, pipeline variables: True defines them)
@pytest.mark.parametrize(
    ("url", "at", "defined"),
    [
        ("{url}", "{at}", False),
        ("$PROM_URL", "$DEPLOYED_AT", True),
        ("${PROM_URL}", "${DEPLOYED_AT}", True),
        (
            "$PROM_URL",
            "{at}",
            False,
        ),  # a typo'd or unset variable: never the policy's address instead
    ],
    ids=["literal", "variables", "braced-variables", "undefined-variable"],
)
def test_analyze_runs_the_gate_against_the_real_prometheus(
    tmp_path: Path,
    http_fake: HttpFake,
    gitlab_ci_local: GitlabCiLocal,
    prometheus,
    url: str,
    at: str,
    defined: bool,
) -> None:  # type: ignore[no-untyped-def]
    begin = rollout_start()
    server = prometheus(checkout_series(begin, "bad"))
    policy = (
        "version: 1\nservice: checkout\ngates:\n  canary-health:\n    provider: prometheus\n"
        "    address: http://127.0.0.1:9\n    interval: 1m\n    retries: 0\n"
        "    variants: {canary: canary, baseline: stable}\n    metrics:\n"
        f"      - name: error-rate\n        query: '{ERROR_RATE}'\n        count_query: '{REQUESTS}'\n"
        '        judge: threshold\n        fail_if: "> 0.05"\n'
        f"      - name: latency-p99\n        query: '{P99}'\n        count_query: '{REQUESTS}'\n"
        '        judge: threshold\n        fail_if: "> 0.4"\n'
    )
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": policy,
            ".gitlab-ci.yml": pipeline(
                f"""\
            stages: [deploy, after]
            include:
              - local: templates/analyze.yml
                inputs:
                  environment: production
                  gate: canary-health
                  once: true
                  deployed-at: "{at.replace("{at}", str(int(begin + synth.HISTORY)))}"
                  prometheus-url: "{url.replace("{url}", server.url)}"
            """,
                "releasegate-analyze",
            ),
        },
    )
    variables = (
        [f"PROM_URL={server.url}", f"DEPLOYED_AT={int(begin + synth.HISTORY)}"] if defined else []
    )

    result = _run(gitlab_ci_local, repo, *variables)

    out = result.stdout + result.stderr
    if url == "$PROM_URL" and not defined:
        assert result.returncode == 1, out
        assert "outcome=error kind=analyze" in _log(repo, "announce")
        assert "prometheus-url: $PROM_URL is not defined in this pipeline" in _log(
            repo, "releasegate-analyze"
        )
        return
    assert result.returncode == 1, out
    assert "outcome=fail kind=analysis" in _log(repo, "announce")
    suite = ET.parse(_artifact(repo, "releasegate-analyze", "releasegate-junit.xml")).getroot()
    assert any(c.find("failure") is not None for c in suite.iter("testcase"))


def test_check_validates_the_policy_and_attaches_the_plan(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,
            ".gitlab-ci.yml": pipeline("""\
            stages: [test]
            include:
              - local: templates/check.yml
            """),
        },
    )

    result = _run(gitlab_ci_local, repo)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "releasegate.yml: valid" in result.stdout
    assert "`dev`" in _artifact(repo, "releasegate-check", "releasegate-plan.md").read_text()


def test_a_drill_without_a_rollback_target_fails_and_says_why(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    _deployments_of(http_fake, "dev")
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [test, after]
            include:
              - local: templates/drill.yml
                inputs: {environment: dev, job-prefix: rehearse}
            """,
                "rehearse-drill",
            ),
        },
    )

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "outcome=fail kind=drill" in _log(repo, "announce")
    failures = _failures(repo, "rehearse-drill")
    assert list(failures) == ["rollback target", "rollback access"]
    assert "RELEASEGATE_GITLAB_TOKEN is not set" in failures["rollback access"]


CACHE_POLICY = (
    POLICY
    + """\
cache:
  write_on: [main]
  dependencies: auto
"""
)


@pytest.mark.parametrize(
    ("ref", "mr", "policies"),
    [
        ("main", "", ["pull-push", "push"]),
        ("feature/login", "", ["pull"]),
        (
            "main",
            "12",
            ["pull"],
        ),  # a merge request pipeline (of main, as a source branch) never writes
    ],
)
def test_the_cache_template_emits_a_cache_config_that_a_later_job_can_use(
    tmp_path: Path,
    http_fake: HttpFake,
    gitlab_ci_local: GitlabCiLocal,
    ref: str,
    mr: str,
    policies: list[str],
) -> None:
    lock = '{"name": "app", "lockfileVersion": 3, "packages": {}}\n'
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": CACHE_POLICY,
            "package-lock.json": lock,
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [test, after]
            include:
              - local: templates/cache.yml
                inputs: {job-prefix: deps}
            use-cache:
              stage: after
              needs: [deps-cache]
              script:
                - cat releasegate-cache.yml
                - echo "dotenv key=$RELEASEGATE_CACHE_KEY policy=$RELEASEGATE_CACHE_POLICY"
            """
            ),
        },
    )

    merge_request = (
        [f"CI_MERGE_REQUEST_IID={mr}", f"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME={ref}"] if mr else []
    )
    result = _run(
        gitlab_ci_local,
        repo,
        f"CI_COMMIT_REF_NAME={ref}",
        f"CI_COMMIT_BRANCH={ref}",
        "CI_DEFAULT_BRANCH=main",
        f"CI_COMMIT_REF_PROTECTED={str(ref == 'main').lower()}",
        *merge_request,
    )

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    emitted = yaml.safe_load(_artifact(repo, "deps-cache", "releasegate-cache.yml").read_text())
    # A hidden job to `extends:` (or `!reference`) from a child pipeline or an include.
    entries = emitted[".releasegate-cache"]["cache"]
    keys = [entry["key"] for entry in entries]
    assert (
        keys[0].startswith("releasegate-linux-npm-")
        and len(keys[0]) == len("releasegate-linux-npm-") + 64
    )
    assert entries[0]["fallback_keys"] == [
        "releasegate-linux-npm-latest"
    ]  # main writes it, so it matches
    assert [entry["policy"] for entry in entries] == policies  # only main may write
    # The dotenv route agrees: a job using $RELEASEGATE_CACHE_POLICY writes only where allowed.
    assert f"dotenv key={keys[0]} policy={policies[0]}" in _log(repo, "use-cache")


CANARY_POLICY = """\
version: 1
service: checkout
gates:
  canary-health:
    provider: prometheus
    address: {prometheus}
    interval: 1s
    retries: 0
    metrics:
      - name: error-rate
        query: vector(0.2)
        judge: threshold
        fail_if: "> 0.05"
environments:
  - name: production
    strategy:
      canary:
        steps:
          - {{weight: 10, pause: 1s{gates}}}
          - {{weight: 50}}
        router:
          command: "sh -c 'echo $1 >> {weights}' sh {{weight}}"
"""


def _head(repo: Path) -> str:
    import subprocess

    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def _canary_repo(
    tmp_path: Path,
    fake: HttpFake,
    pipeline_text: str,
    gates: str = "",
    prometheus: str = "http://127.0.0.1:9",
) -> tuple[Path, str, Path]:
    weights = tmp_path / "weights.txt"
    policy = CANARY_POLICY.format(gates=gates, weights=weights, prometheus=prometheus)
    repo = _repo(tmp_path, fake, {"releasegate.yml": policy, ".gitlab-ci.yml": pipeline_text})
    return repo, _head(repo), weights


def _canary_deployment(fake: HttpFake, sha: str, lists: int) -> None:
    """The deploy job (job 501) deployed ``sha`` as deployment 77 after the last good one (job
    500); the canary follows that deployment, which GitLab keeps read-only (a CI job made it)."""
    _deployments_of(
        fake,
        "production",
        [
            payloads.deployment(77, "success", sha=sha, job_id=501),
            payloads.deployment(70, "success", sha=payloads.SHA_OLD, job_id=500),
        ],
        times=lists,
    )
    fake.deployments_by_jobs(77, 70)  # type: ignore[attr-defined]


def test_the_canary_template_walks_every_step_through_the_router(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    repo, sha, weights = _canary_repo(
        tmp_path,
        http_fake,
        pipeline(
            """\
        stages: [deploy, after]
        include:
          - local: templates/canary.yml
            inputs: {environment: production}
        """,
            "releasegate-canary",
        ),
    )
    _canary_deployment(http_fake, sha, lists=2)

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert weights.read_text().split() == ["10", "50", "100"]
    assert "outcome=promote kind=canary" in _log(repo, "announce")
    decision = json.loads(
        _artifact(repo, "releasegate-canary", "releasegate-decision.json").read_text()
    )
    assert decision["outcome"] == "promote"


def test_a_canary_with_a_job_per_step_resumes_from_the_previous_jobs_ledger(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    repo, sha, weights = _canary_repo(
        tmp_path,
        http_fake,
        pipeline("""\
        stages: [step-1, step-2, step-3]
        include:
          - local: templates/canary.yml
            inputs: {environment: production, step: 1, job-prefix: first, stage: step-1}
          - local: templates/canary.yml
            inputs: {environment: production, step: 2, job-prefix: second, stage: step-2}
          - local: templates/canary.yml
            inputs: {environment: production, step: 3, job-prefix: third, stage: step-3}
        """),
    )
    _canary_deployment(http_fake, sha, lists=2)

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert weights.read_text().split() == ["10", "50", "100"]
    assert "step 1/3 passed" in _log(repo, "first-canary")
    assert "step 2/3 passed" in _log(repo, "second-canary")
    assert "PROMOTE canary" in _log(repo, "third-canary")


def test_a_failing_canary_gate_sets_weight_0_and_fails_the_job(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal, prometheus
) -> None:  # type: ignore[no-untyped-def]
    server = prometheus([])
    repo, sha, weights = _canary_repo(
        tmp_path,
        http_fake,
        pipeline(
            """\
        stages: [deploy, after]
        include:
          - local: templates/canary.yml
            inputs: {environment: production}
        """,
            "releasegate-canary",
        ),
        gates=", gates: [canary-health]",
        prometheus=server.url,
    )
    _canary_deployment(http_fake, sha, lists=3)

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert weights.read_text().split() == ["10", "0"]
    assert "outcome=rollback kind=canary" in _log(repo, "announce")
    decision = json.loads(
        _artifact(repo, "releasegate-canary", "releasegate-decision.json").read_text()
    )
    assert decision["outputs"]["rollback-to"] == payloads.SHA_OLD  # the last successful deployment
    assert "canary weight set to 0" in decision["reason"]
    # observed: the failing value and the end of its interval
    [(name, message)] = _failures(repo, "releasegate-canary").items()
    assert name == "metric error-rate"
    assert re.fullmatch(
        r"error-rate failed 1 > failure_limit 0: value 0\.2 > 0\.05 "
        r"\(observed 0\.2 at \d\d:\d\d:\d\dZ, expected not > 0\.05\)",
        message,
    ), message


def test_a_failing_canary_with_the_token_retries_the_last_good_deploy_job(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal, prometheus
) -> None:  # type: ignore[no-untyped-def]
    """GitLab's rollback after a canary: weight 0, then the last good deployment's job retried;
    the deploy job's deployment of the bad commit is never written to (GitLab answers 403)."""
    server = prometheus([])
    repo, sha, weights = _canary_repo(
        tmp_path,
        http_fake,
        pipeline("""\
        stages: [deploy, after]
        include:
          - local: templates/canary.yml
            inputs: {environment: production}
        announce:
          stage: after
          needs: [releasegate-canary]
          when: always
          script:
            - echo "outcome=$RELEASEGATE_OUTCOME to=$RELEASEGATE_ROLLBACK_TO retry=$RELEASEGATE_ROLLBACK_RETRY"
        """),
        gates=", gates: [canary-health]",
        prometheus=server.url,
    )
    listed = [
        payloads.deployment(77, "success", sha=sha, job_id=501),
        payloads.deployment(70, "success", sha=payloads.SHA_OLD, job_id=500),
    ]
    http_fake.deployments_by_jobs(77, 70)  # type: ignore[attr-defined]
    listing = http_fake.expect(
        "GET",
        f"{API}/deployments",
        headers={"PRIVATE-TOKEN": PRIVATE_TOKEN},
        query={"environment": "production", "order_by": "id", "sort": "desc", "per_page": "100"},
    )
    for _ in range(3):
        listing.respond(200, listed)
    http_fake.expect(
        "POST", f"{API}/jobs/500/retry", headers={"PRIVATE-TOKEN": PRIVATE_TOKEN}
    ).respond(
        201, payloads.job(951, "deploy-production", "pending", sha=payloads.SHA_OLD, stage="deploy")
    )

    result = _run(gitlab_ci_local, repo, f"RELEASEGATE_GITLAB_TOKEN={PRIVATE_TOKEN}")

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert weights.read_text().split() == ["10", "0"]
    assert f"outcome=rollback to={payloads.SHA_OLD} retry=951" in _log(repo, "announce")
    assert not any(r.method == "PUT" for r in http_fake.requests)


WATCH_POLICY = """\
version: 1
service: checkout
gates:
  service-health:
    provider: prometheus
    address: {prometheus}
    interval: 1s
    retries: 0
    metrics:
      - name: error-rate
        query: vector({errors})
        judge: threshold
        fail_if: "> 0.05"
environments:
  - name: production
    rollback:
      window: 3s
      gates: [service-health]
"""


#: (error rate the gate reads, how often the job lists the deployments, exit code)
@pytest.mark.parametrize(("errors", "lists", "code"), [(0.2, 2, 1), (0.01, 1, 0)])
def test_analyze_in_watch_mode_watches_the_rollback_window_after_a_deployment(
    tmp_path: Path,
    http_fake: HttpFake,
    gitlab_ci_local: GitlabCiLocal,
    prometheus,
    errors: float,
    lists: int,
    code: int,
) -> None:  # type: ignore[no-untyped-def]
    server = prometheus([])
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": WATCH_POLICY.format(prometheus=server.url, errors=errors),
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [verify, after]
            include:
              - local: templates/analyze.yml
                inputs: {environment: production, mode: watch, stage: verify}
            """,
                "releasegate-analyze",
            ),
        },
    )
    sha = _head(repo)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    _deployments_of(
        http_fake,
        "production",
        [
            payloads.deployment(77, "success", sha=sha, created_at=now, updated_at=now, job_id=501),
            payloads.deployment(70, "success", sha=payloads.SHA_OLD, job_id=500),
        ],
        times=lists,
    )
    # Both were made by deploy jobs: GitLab refuses to update them through the API.
    http_fake.deployments_by_jobs(77, 70)  # type: ignore[attr-defined]

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == code, out
    announced = _log(repo, "announce")
    log = _log(repo, "releasegate-analyze")
    if code:  # the target named, and the deploy job to retry (no token here: not retried)
        assert "outcome=rollback kind=watch" in announced
        assert f"rollback-to: {payloads.SHA_OLD}" in log
    else:  # watched every interval of the 3 s window
        assert "outcome=pass kind=watch" in announced
        assert "watch service-health [3/3]" in log


ROLLBACK_POLICY = WATCH_POLICY  # rollback.mode left out: GitLab's default is a job retry


def test_a_failing_watch_after_a_deploy_job_retries_the_last_good_deploy_job(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal, prometheus
) -> None:  # type: ignore[no-untyped-def]
    server = prometheus([])
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": ROLLBACK_POLICY.format(prometheus=server.url, errors=0.2),
            ".gitlab-ci.yml": pipeline("""\
            stages: [deploy, verify, after]
            deploy-production:
              stage: deploy
              environment: {name: production}
              script: [echo deploying]
            include:
              - local: templates/analyze.yml
                inputs: {environment: production, mode: watch, stage: verify}
            announce:
              stage: after
              needs: [releasegate-analyze]
              when: always
              script:
                - echo "outcome=$RELEASEGATE_OUTCOME to=$RELEASEGATE_ROLLBACK_TO job=$RELEASEGATE_ROLLBACK_JOB"
            """),
        },
    )
    sha = _head(repo)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # The deploy job (job 501) made deployment 78 of this commit; job 500 deployed the last good one.
    listed = [
        payloads.deployment(78, "success", sha=sha, created_at=now, updated_at=now, job_id=501),
        payloads.deployment(70, "success", sha=payloads.SHA_OLD, job_id=500),
    ]
    http_fake.deployments_by_jobs(78, 70)  # type: ignore[attr-defined]
    listing = http_fake.expect(
        "GET",
        f"{API}/deployments",
        headers={"PRIVATE-TOKEN": PRIVATE_TOKEN},
        query={"environment": "production", "order_by": "id", "sort": "desc", "per_page": "100"},
    )
    listing.respond(200, listed).respond(200, listed)
    http_fake.expect(
        "POST", f"{API}/jobs/500/retry", headers={"PRIVATE-TOKEN": PRIVATE_TOKEN}
    ).respond(
        201, payloads.job(951, "deploy-production", "pending", sha=payloads.SHA_OLD, stage="deploy")
    )

    result = _run(gitlab_ci_local, repo, f"RELEASEGATE_GITLAB_TOKEN={PRIVATE_TOKEN}")

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"outcome=rollback to={payloads.SHA_OLD} job=500" in _log(repo, "announce")
    assert "retried job 500 as job 951" in _log(repo, "releasegate-analyze")
    assert not any(r.method == "PUT" for r in http_fake.requests)  # GitLab would answer 403


@pytest.mark.parametrize("reason", ["$BREAK_GLASS_REASON", "${BREAK_GLASS_REASON}"])
def test_break_glass_naming_an_undefined_variable_is_refused_before_any_request(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal, reason: str
) -> None:
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,
            "reports/unit.xml": PASSING_JUNIT,
            ".gitlab-ci.yml": pipeline(
                f"""\
            stages: [deploy, after]
            include:
              - local: templates/promote.yml
                inputs:
                  environment: dev
                  break-glass: "{reason}"
            """,
                "releasegate-promote",
            ),
        },
    )

    result = _run(gitlab_ci_local, repo)

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"break-glass: {reason} is not defined in this pipeline" in out
    assert "outcome=error kind=promote" in _log(repo, "announce")
    assert not http_fake.requests  # refused before GitLab is asked anything


def test_break_glass_from_a_pipeline_variable_is_the_reason_for_that_run_only(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    _deployments_of(http_fake, "dev")
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY,
            "reports/unit.xml": PASSING_JUNIT,
            ".gitlab-ci.yml": pipeline("""\
            stages: [deploy]
            include:
              - local: templates/promote.yml
                inputs: {environment: dev}
            """),
        },
    )

    # A pipeline variable (Run pipeline form, or the API) outranks the job's variables:.
    result = _run(gitlab_ci_local, repo, "RELEASEGATE_BREAK_GLASS=INC-4711 payment outage")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "INC-4711 payment outage" in _log(repo, "releasegate-promote")


def test_a_drill_on_branch_deployments_needs_no_version_when_the_rollback_is_a_job_retry(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal
) -> None:
    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": POLICY.replace("name: dev", "name: review-feature-x"),
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [test, after]
            include:
              - local: templates/drill.yml
                inputs: {environment: review-feature-x}
            """,
                "releasegate-drill",
            ),
        },
    )
    private = {"PRIVATE-TOKEN": PRIVATE_TOKEN}
    http_fake.expect(
        "GET",
        f"{API}/deployments",
        headers=private,
        query={
            "environment": "review-feature-x",
            "order_by": "id",
            "sort": "desc",
            "per_page": "100",
        },
    ).respond(
        200,
        [
            payloads.deployment(77, "success", environment="review-feature-x", job_id=501),
            payloads.deployment(
                70, "success", sha=payloads.SHA_OLD, environment="review-feature-x", job_id=500
            ),
        ],
    )
    http_fake.expect("GET", API, headers=private).respond(
        200,
        {
            "id": int(payloads.PROJECT),
            "permissions": {"project_access": {"access_level": 30}, "group_access": None},
        },
    )

    result = _run(gitlab_ci_local, repo, f"RELEASEGATE_GITLAB_TOKEN={PRIVATE_TOKEN}")

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "outcome=pass kind=drill" in _log(repo, "announce")
    assert "deploy job 500" in _log(repo, "releasegate-drill")


APPROVAL_POLICY = """\
version: 1
service: checkout
groups:
  release-leads: [frank, grace]
environments:
  - name: production
    requires:
      approvals:
        - group: release-leads
          count: 1
"""


@pytest.mark.parametrize(("protected", "code"), [(False, 1), (True, 0)])
def test_merge_request_approvals_work_after_merge_and_fail_clearly_in_an_unprotected_mr(
    tmp_path: Path, http_fake: HttpFake, gitlab_ci_local: GitlabCiLocal, protected: bool, code: int
) -> None:
    from gitlab_standin import job_variables

    repo = _repo(
        tmp_path,
        http_fake,
        {
            "releasegate.yml": APPROVAL_POLICY,
            ".gitlab-ci.yml": pipeline(
                """\
            stages: [deploy, after]
            include:
              - local: templates/promote.yml
                inputs: {environment: production, merge-request-approvals: true}
            """,
                "releasegate-promote",
            ),
        },
    )
    sha = _head(repo)
    # The token is a protected project variable: GitLab hands it only to protected refs.
    token = job_variables(
        {"RELEASEGATE_GITLAB_TOKEN": (PRIVATE_TOKEN, True)}, ref_protected=protected
    )
    if protected:  # the default-branch pipeline after merge
        auth = {"PRIVATE-TOKEN": PRIVATE_TOKEN}
        http_fake.expect("GET", f"{API}/deployments", headers=auth).respond(200, []).respond(
            200, []
        )
        http_fake.expect(
            "GET", f"{API}/repository/commits/{sha}/merge_requests", headers=auth
        ).respond(200, [{"iid": 12, "state": "merged", "merge_commit_sha": sha, "sha": "f" * 40}])
        http_fake.expect("GET", f"{API}/merge_requests/12/approvals", headers=auth).respond(
            200, payloads.mr_approvals(12, ["frank"])
        )
        # the change's authors, who may not approve it (doc/api/commits.md, "Get a single commit")
        http_fake.expect("GET", f"{API}/repository/commits/{sha}", headers=auth).respond(
            200,
            {
                "id": sha,
                "short_id": sha[:8],
                "title": "change",
                "author_name": "Dana",
                "author_email": "dana@example.com",
                "committer_name": "Dana",
                "committer_email": "dana@example.com",
                "parent_ids": [],
            },
        )
        where = ["CI_COMMIT_REF_PROTECTED=true"]
    else:  # a merge request pipeline of the unprotected branch feature-x
        (
            http_fake.expect("GET", f"{API}/deployments", headers={"JOB-TOKEN": JOB_TOKEN})
            .respond(200, [])
            .respond(200, [])
        )
        where = [
            "CI_COMMIT_REF_PROTECTED=false",
            "CI_MERGE_REQUEST_IID=12",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=feature-x",
        ]

    result = _run(gitlab_ci_local, repo, *where, *(f"{k}={v}" for k, v in token.items()))

    out = result.stdout + result.stderr
    assert result.returncode == code, out
    announced = _log(repo, "announce")
    if protected:
        assert "outcome=allow kind=promotion" in announced
    else:
        assert "outcome=error kind=promotion" in announced  # the error decision, published
        assert (
            "GitLab passes protected variables such as RELEASEGATE_GITLAB_TOKEN only to protected"
            in out
        )
