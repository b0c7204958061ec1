"""The real test peers work on this machine, each proven with a tiny real input."""

from __future__ import annotations

import time
from pathlib import Path
from textwrap import dedent
from typing import Any

import github
import gitlab
import pytest
import requests

from peers.exporter import MetricsExporter
from peers.github_openapi import GithubOpenAPI
from peers.http_fake import ANY, HttpFake
from peers.locate import require_bin
from peers.openmetrics import Series, openmetrics_text
from peers.prometheus import PrometheusFactory
from peers.runners import ActRunner, BuildahTools, GitlabCiLocal, Tool, git_repo, run

# A fixed past instant keeps the history tests deterministic (2023-11-14T22:13:20Z).
T0 = 1_700_000_000


# --- failing, never skipping --------------------------------------------------------------


def test_missing_peer_fails_the_test_and_names_the_install_step() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"apt: nothing.*run `bash scripts/test.sh`"):
        require_bin("releasegate-no-such-peer", "apt: nothing")


# --- OpenMetrics and Prometheus -----------------------------------------------------------


def test_openmetrics_text_groups_families_and_sorts_samples() -> None:
    text = openmetrics_text(
        [
            Series("http_requests_total", {"code": "500"}, [(T0 + 15, 2), (T0, 1)], "counter"),
            Series("http_requests_total", {"code": "200"}, [(T0, 7.5)], "counter"),
            Series("queue_depth", {}, [(T0 + 0.25, 3)]),
        ]
    )
    assert text == dedent(
        f"""\
        # TYPE http_requests counter
        http_requests_total{{code="500"}} 1.0 {T0}
        http_requests_total{{code="500"}} 2.0 {T0 + 15}
        http_requests_total{{code="200"}} 7.5 {T0}
        # TYPE queue_depth gauge
        queue_depth 3.0 {T0}.25
        # EOF
        """
    )


def _values(result: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    return {
        r["metric"].get("code", ""): [(float(t), float(v)) for t, v in r["values"]] for r in result
    }


def test_prometheus_serves_two_hours_of_history_ending_now(prometheus: PrometheusFactory) -> None:
    end = int(time.time()) // 60 * 60
    start = end - 2 * 3600
    steps = range(0, 2 * 3600 + 1, 15)
    server = prometheus(
        [
            Series(
                "http_requests_total", {"code": "200"}, [(start + s, s) for s in steps], "counter"
            ),
            Series(
                "http_requests_total",
                {"code": "500"},
                [(start + s, s // 60) for s in steps],
                "counter",
            ),
        ]
    )
    result = server.query_range("http_requests_total", start, end, 60)
    got = _values(result)
    assert got["200"] == [(float(start + s), float(s)) for s in range(0, 2 * 3600 + 1, 60)]
    assert got["500"] == [(float(start + s), float(s // 60)) for s in range(0, 2 * 3600 + 1, 60)]
    rate = server.query('sum(rate(http_requests_total{code="200"}[5m]))', end)
    assert float(rate[0]["value"][1]) == pytest.approx(1.0)


def test_prometheus_keeps_fixed_past_history_across_a_restart(
    prometheus: PrometheusFactory,
) -> None:
    samples = [(T0 + 30 * i, float(i % 7)) for i in range(240)]
    server = prometheus([Series("checkout_latency_seconds", {"quantile": "0.99"}, samples)])
    before = server.query_range("checkout_latency_seconds", T0, T0 + 30 * 239, 30)
    server.stop()
    server.start()
    after = server.query_range("checkout_latency_seconds", T0, T0 + 30 * 239, 30)
    assert before == after
    assert [float(v) for _, v in after[0]["values"]] == [v for _, v in samples]


def _wait_for_value(server: Any, promql: str, want: float, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        seen = server.query(promql, time.time())
        if seen and float(seen[0]["value"][1]) == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"{promql} never became {want}; last result {seen}")


def test_prometheus_scrapes_a_live_exporter_every_second(
    prometheus: PrometheusFactory, metrics_exporter: MetricsExporter
) -> None:
    metrics_exporter.set("checkout_errors", 3, {"env": "canary"})
    server = prometheus(scrape=[metrics_exporter.target])
    metrics_exporter.wait_for_scrapes(1)
    _wait_for_value(server, 'checkout_errors{env="canary"}', 3)
    metrics_exporter.set("checkout_errors", 5, {"env": "canary"})
    metrics_exporter.wait_for_scrapes(2)
    _wait_for_value(server, 'checkout_errors{env="canary"}', 5)


# --- the HTTP fake --------------------------------------------------------------------------


def test_http_fake_serves_a_sequence_and_records_requests(http_fake: HttpFake) -> None:
    http_fake.expect(
        "POST", "/hooks", query={"dry": "1"}, json={"state": "ok"}, headers={"X-Token": "t"}
    ).respond(502).respond(201, {"id": 7}, headers={"X-Request-Id": "r1"})
    first = requests.post(
        f"{http_fake.url}/hooks?dry=1", json={"state": "ok"}, headers={"X-Token": "t"}, timeout=5
    )
    second = requests.post(
        f"{http_fake.url}/hooks?dry=1", json={"state": "ok"}, headers={"X-Token": "t"}, timeout=5
    )
    assert (first.status_code, second.status_code) == (502, 201)
    assert second.json() == {"id": 7} and second.headers["X-Request-Id"] == "r1"
    assert [str(r) for r in http_fake.requests] == ["POST /hooks?dry=1", "POST /hooks?dry=1"]
    assert http_fake.requests[0].json == {"state": "ok"}


@pytest.mark.parametrize(
    ("send", "problem"),
    [
        (
            lambda url: requests.get(f"{url}/elsewhere", timeout=5),
            "no expectation for this method and path",
        ),
        (
            lambda url: requests.post(f"{url}/hooks", json={"state": "bad"}, timeout=5),
            "body {'state': 'bad'} != expected",
        ),
        (lambda url: None, "expected request never came: POST /hooks"),
    ],
    ids=["unexpected-path", "wrong-body", "never-came"],
)
def test_http_fake_verify_reports_what_went_wrong(send: Any, problem: str) -> None:
    fake = HttpFake().start()
    try:
        fake.expect("POST", "/hooks", json={"state": "ok"}).respond(204)
        response = send(fake.url)
        if response is not None:
            assert response.status_code == 418
    finally:
        fake.stop()
    with pytest.raises(AssertionError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        fake.verify()


def test_python_gitlab_follows_absolute_link_headers_back_to_the_fake(http_fake: HttpFake) -> None:
    base = "/api/v4/projects/acme%2Fapp/deployments"
    http_fake.expect("GET", base, query=ANY, headers={"PRIVATE-TOKEN": "glpat-test"}).respond(
        200,
        [{"id": 1, "status": "success"}],
        headers={"Link": http_fake.link(f"{base}?page=2&per_page=1", "next")},
    )
    http_fake.expect("GET", base, query={"page": "2", "per_page": "1"}).respond(
        200, [{"id": 2, "status": "failed"}]
    )
    gl = gitlab.Gitlab(http_fake.url, private_token="glpat-test")
    project = gl.projects.get("acme/app", lazy=True)
    deployments = project.deployments.list(get_all=True)
    assert [(d.id, d.status) for d in deployments] == [(1, "success"), (2, "failed")]


# --- GitHub's OpenAPI description ------------------------------------------------------------

GOOD_DEPLOYMENT = {
    "ref": "abc123",
    "environment": "staging",
    "required_contexts": [],
    "auto_merge": False,
}


@pytest.mark.parametrize(
    ("method", "target", "body", "error"),
    [
        ("POST", "/repos/acme/app/deployments", GOOD_DEPLOYMENT, None),
        ("GET", "/repos/acme/app/deployments?environment=staging&per_page=100", None, None),
        ("POST", "/repos/acme/app/deployments/42/statuses", {"state": "success"}, None),
        (
            "POST",
            "/repos/acme/app/deploymentz",
            GOOD_DEPLOYMENT,
            "has no operation POST /repos/acme/app/deploymentz",
        ),
        (
            "POST",
            "/repos/acme/app/deployments",
            {**GOOD_DEPLOYMENT, "auto_merge": "no"},
            r"body \$.auto_merge: 'no' is not of type 'boolean'",
        ),
        (
            "POST",
            "/repos/acme/app/deployments",
            {"environment": "staging"},
            r"body \$: 'ref' is a required property",
        ),
        (
            "POST",
            "/repos/acme/app/deployments/42/statuses",
            {"state": "done"},
            r"body \$.state: 'done' is not one of",
        ),
        (
            "GET",
            "/repos/acme/app/deployments?per_page=lots",
            None,
            r"query parameter 'per_page'=\['lots'\]: \$: 'lots' is not of type 'integer'",
        ),
        (
            "GET",
            "/repos/acme/app/deployments?colour=red",
            None,
            "query parameter 'colour' is not a parameter",
        ),
        ("POST", "/repos/acme/app/deployments", None, "the request body is required"),
    ],
)
def test_github_openapi_validates_requests(
    github_openapi: GithubOpenAPI, method: str, target: str, body: Any, error: str | None
) -> None:
    if error is None:
        github_openapi.validate_request(method, target, body)
    else:
        with pytest.raises(AssertionError, match=error):
            github_openapi.validate_request(method, target, body)


def _repo_json(url: str) -> dict[str, Any]:
    return {
        "id": 1,
        "name": "app",
        "full_name": "acme/app",
        "url": f"{url}/repos/acme/app",
        "owner": {"login": "acme"},
    }


def _deployment_json(url: str, number: int) -> dict[str, Any]:
    return {
        "id": number,
        "ref": "abc123",
        "environment": "staging",
        "url": f"{url}/repos/acme/app/deployments/{number}",
    }


def test_pygithub_against_the_validated_fake_with_pagination(github_fake: HttpFake) -> None:
    url = github_fake.url
    github_fake.expect(
        "GET", "/repos/acme/app", headers={"Authorization": "token ghs-test"}
    ).respond(200, _repo_json(url))
    github_fake.expect(
        "POST", "/repos/acme/app/deployments", json=lambda b: b["ref"] == "abc123"
    ).respond(201, _deployment_json(url, 10))
    github_fake.expect(
        "GET", "/repos/acme/app/deployments", query={"environment": "staging"}
    ).respond(
        200,
        [_deployment_json(url, 10)],
        headers={
            "Link": github_fake.link(
                "/repos/acme/app/deployments?environment=staging&page=2", "next"
            )
        },
    )
    github_fake.expect(
        "GET", "/repos/acme/app/deployments", query={"environment": "staging", "page": "2"}
    ).respond(200, [_deployment_json(url, 9)])
    gh = github.Github(base_url=url, auth=github.Auth.Token("ghs-test"), retry=None)
    repo = gh.get_repo("acme/app")
    created = repo.create_deployment(
        "abc123", environment="staging", required_contexts=[], auto_merge=False
    )
    listed = [d.id for d in repo.get_deployments(environment="staging")]
    assert (created.id, listed) == (10, [10, 9])


def test_github_fake_rejects_a_request_outside_the_description(
    github_openapi: GithubOpenAPI,
) -> None:
    fake = HttpFake([github_openapi.validator_for()]).start()
    try:
        fake.expect("POST", "/repos/acme/app/deployments").respond(201, {})
        response = requests.post(
            f"{fake.url}/repos/acme/app/deployments", json={"ref": 5}, timeout=5
        )
    finally:
        fake.stop()
    assert response.status_code == 418
    with pytest.raises(
        AssertionError, match=r"rejected: GitHub API POST .*'ref'|body \$.ref: 5 is not of type"
    ):
        fake.verify()


# --- CLI peers ------------------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return root


DOTENV_PIPELINE = """\
    stages: [gate, report]
    decide:
      stage: gate
      script:
        - echo "GATE_DECISION=promote" > gate.env
      artifacts:
        reports:
          dotenv: gate.env
    announce:
      stage: report
      needs: [decide]
      script:
        - echo "decision=$GATE_DECISION"
        - test "$GATE_DECISION" = promote
    """


def test_gitlab_ci_local_passes_a_dotenv_report_downstream(
    tmp_path: Path, gitlab_ci_local: GitlabCiLocal
) -> None:
    repo = git_repo(_write(tmp_path / "repo", {".gitlab-ci.yml": DOTENV_PIPELINE}))
    result = gitlab_ci_local(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "announce > decision=promote" in result.stdout


COMPOSITE_ACTION = """\
    name: greet
    description: Says hello.
    inputs:
      who:
        description: Whom to greet.
        required: true
    outputs:
      greeting:
        description: The greeting.
        value: ${{ steps.say.outputs.greeting }}
    runs:
      using: composite
      steps:
        - id: say
          shell: bash
          env:
            WHO: ${{ inputs.who }}
          run: echo "greeting=hello $WHO" >> "$GITHUB_OUTPUT"
    """

WORKFLOW = """\
    name: ci
    on: push
    jobs:
      greet:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - id: greet
            uses: ./greet
            with:
              who: releasegate
          - shell: bash
            env:
              GREETING: ${{ steps.greet.outputs.greeting }}
            run: echo "output=$GREETING"
    """


def test_act_runs_a_local_composite_action_on_the_host(tmp_path: Path, act: ActRunner) -> None:
    repo = git_repo(
        _write(
            tmp_path / "repo",
            {"greet/action.yml": COMPOSITE_ACTION, ".github/workflows/ci.yml": WORKFLOW},
        ),
        remote="https://github.com/acme/app.git",
    )
    result = act(repo, "push", home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "output=hello releasegate" in result.stdout


@pytest.mark.parametrize(
    ("typo", "clean"),
    [("steps.greet.outputs.greeting", True), ("steps.greet.outputs.greting", False)],
)
def test_actionlint_checks_local_composite_action_outputs(
    tmp_path: Path, actionlint: Tool, typo: str, clean: bool
) -> None:
    workflow = WORKFLOW.replace("          - uses: actions/checkout@v4\n", "").replace(
        "steps.greet.outputs.greeting", typo
    )
    repo = git_repo(
        _write(
            tmp_path / "repo",
            {"greet/action.yml": COMPOSITE_ACTION, ".github/workflows/ci.yml": workflow},
        )
    )
    result = actionlint(".github/workflows/ci.yml", cwd=repo)
    assert (result.returncode == 0) is clean, result.stdout + result.stderr
    if not clean:
        assert "greting" in result.stdout


TASK = """\
    apiVersion: tekton.dev/v1
    kind: Task
    metadata:
      name: hello
    spec:
      params:
        - name: who
          type: string
      steps:
        - name: greet
          image: docker.io/library/debian@sha256:0000000000000000000000000000000000000000000000000000000000000000
          env:
            - name: WHO
              value: $(params.who)
          script: |
            #!/bin/sh
            echo "hello $WHO"
    """


@pytest.mark.parametrize(("param", "clean"), [("who", True), ("whom", False)])
def test_tekton_lint_checks_a_task(
    tmp_path: Path, tekton_lint: Tool, param: str, clean: bool
) -> None:
    task = (
        _write(tmp_path, {"task.yaml": TASK.replace("$(params.who)", f"$(params.{param})")})
        / "task.yaml"
    )
    result = tekton_lint(task)
    assert (result.returncode == 0) is clean, result.stdout + result.stderr
    if not clean:
        assert "Undefined param 'whom'" in result.stdout


@pytest.mark.parametrize(
    ("text", "clean"),
    [("job:\n  script:\n    - echo hi\n", True), ("job:\n  script: 42\n", False)],
)
def test_check_jsonschema_builtin_gitlab_ci(
    tmp_path: Path, check_jsonschema: Tool, text: str, clean: bool
) -> None:
    ci = _write(tmp_path, {".gitlab-ci.yml": text}) / ".gitlab-ci.yml"
    result = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", ci)
    assert (result.returncode == 0) is clean, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("dockerfile", "rule"),
    [
        ("FROM debian:bookworm-slim\nRUN echo hi\n", None),
        ("FROM debian\nRUN cd /tmp && echo hi\n", "DL3003"),
    ],
)
def test_hadolint_checks_a_dockerfile(
    tmp_path: Path, hadolint: Tool, dockerfile: str, rule: str | None
) -> None:
    result = hadolint(_write(tmp_path, {"Dockerfile": dockerfile}) / "Dockerfile")
    assert (result.returncode == 0) is (rule is None), result.stdout + result.stderr
    if rule:
        assert rule in result.stdout


def test_buildah_builds_an_oci_image_that_skopeo_and_umoci_read(
    tmp_path: Path, buildah: BuildahTools
) -> None:
    _write(tmp_path / "rootfs", {"etc/peer-test": "built by buildah\n"})
    created = buildah.buildah_in(tmp_path, "from", "scratch")
    assert created.returncode == 0, created.stderr
    container = created.stdout.strip()
    for args in (
        ["copy", container, str(tmp_path / "rootfs"), "/"],
        ["commit", "--format", "oci", container, "localhost/peer-test:1"],
        ["push", "localhost/peer-test:1", f"oci-archive:{tmp_path / 'image.tar'}:1"],
    ):
        step = buildah.buildah_in(tmp_path, *args)
        assert step.returncode == 0, f"buildah {args[0]}: {step.stderr}"
    layout = f"oci:{tmp_path / 'layout'}:1"
    copied = run([buildah.skopeo, "copy", f"oci-archive:{tmp_path / 'image.tar'}:1", layout])
    assert copied.returncode == 0, copied.stderr
    unpacked = run(
        [buildah.umoci, "unpack", "--image", f"{tmp_path / 'layout'}:1", tmp_path / "bundle"]
    )
    assert unpacked.returncode == 0, unpacked.stderr
    assert (
        tmp_path / "bundle" / "rootfs" / "etc" / "peer-test"
    ).read_text() == "built by buildah\n"
    assert buildah.debootstrap.is_file()
