"""Every output a command writes is declared in action.yml: GitHub exposes only declared
outputs of a composite action (act leaks the others, so a test under act alone cannot tell).

Each command runs in-process as the action runs it (``launch.main`` with ``GITHUB_OUTPUT``
set, the GitHub API the stateful stand-in); the names written are compared with
``action.yml``'s ``outputs:``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml

from github_actions.payloads import SHA
from peers.locate import ROOT
from releasegate.adapters.github_actions import launch

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
DECLARED = set(ACTION["outputs"])

POLICY = """\
version: 1
service: checkout
gates:
  quick:
    provider: prometheus
    address: http://127.0.0.1:9
    interval: 1s
    retries: 0
    metrics:
      - name: error-rate
        query: 'max(error_ratio{service="{service}"})'
        judge: threshold
        fail_if: "> 0.05"
  health:
    provider: prometheus
    address: http://127.0.0.1:9
    interval: 1m
    retries: 0
    metrics:
      - name: error-rate
        query: 'max(error_ratio{service="{service}"})'
        judge: threshold
        fail_if: "> 0.05"
cache:
  write_on: [main]
  dependencies: auto
  docker: {backend: registry, ref: ghcr.io/acme/app/cache, mode: max}
drift:
  files:
    staging: [deploy/staging.env]
    production: [deploy/production.env]
environments:
  - name: staging
  - name: production
    requires:
      from: staging
    strategy:
      canary:
        router: {kind: command, command: "true {weight}"}
        steps:
          - weight: 50
    rollback:
      gates: [quick]
      window: 2s
"""

#: (command, args, standin seeding): one run per command, and per outcome whose outputs differ.
RUNS = [
    ("check", ""),
    ("plan", ""),
    ("promote", "--to production"),  # allowed: environment, sha, deployment(-id), environment-url
    ("promote", "--to production --sha " + "c" * 40),  # blocked
    ("analyze", "--gate health --once"),  # the provider is down: provider-error
    ("canary", "--env production --step 1"),  # continue: next-step, next-weight
    ("canary", "--env production"),  # promote
    ("watch", "--env production"),  # the provider is down: window, and no decision
    ("drill", "--env production"),
    ("drift", ""),
    ("cache", ""),
    ("record", "--env staging --status success"),
]


def written_names(text: str) -> set[str]:
    """Output names in ``$GITHUB_OUTPUT`` text (``name=value`` lines and ``name<<DELIM`` heredocs)."""
    names, lines, i = set(), text.splitlines(), 0
    while i < len(lines):
        heredoc = re.fullmatch(r"([A-Za-z0-9_-]+)<<(.+)", lines[i])
        if heredoc:
            names.add(heredoc.group(1))
            i = lines.index(heredoc.group(2), i + 1) + 1
            continue
        names.add(lines[i].split("=", 1)[0])
        i += 1
    return names


def test_the_readme_names_exactly_the_declared_outputs():
    readme = (ROOT / "adapters" / "github_actions" / "README.md").read_text()
    table = readme.split("## Outputs", 1)[1].split("\n## ", 1)[0]
    named = {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([a-z-]+)`", row.split("|")[1])
    }
    assert named == DECLARED


def test_every_command_of_the_action_is_run_here():
    assert {command for command, _ in RUNS} == set(launch.COMMANDS)


def test_every_declared_output_maps_to_the_run_steps_output_of_the_same_name():
    for name, spec in ACTION["outputs"].items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}", name
        assert spec.get("description"), name


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "deploy").mkdir(parents=True)
    (ws / "releasegate.yml").write_text(POLICY)
    (ws / "requirements.txt").write_text("requests==2.31.0\n")
    (ws / "deploy" / "staging.env").write_text("LOG_LEVEL=debug\n")
    (ws / "deploy" / "production.env").write_text("LOG_LEVEL=info\n")
    return ws


def _run(workspace: Path, github_env, standin, command: str, args: str, **extra: str) -> set[str]:
    output = workspace.parent / "output.txt"
    output.write_text("")
    env = github_env(
        standin,
        RELEASEGATE_COMMAND=command,
        RELEASEGATE_ARGS=args,
        RELEASEGATE_CONFIG=str(workspace / "releasegate.yml"),
        RUNNER_TEMP=str(workspace.parent),
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(output),
        RELEASEGATE_GITHUB_CHECK_RUN="false",
        RELEASEGATE_ENVIRONMENT_URL="https://acme.example",
        **extra,
    )
    launch.main(env=env, stdout=io.StringIO())
    return written_names(output.read_text())


@pytest.mark.parametrize(("command", "args"), RUNS, ids=[f"{c} {a}".strip() for c, a in RUNS])
def test_every_written_output_is_declared(
    workspace, github_env, github_standin, monkeypatch, command, args
):
    monkeypatch.chdir(workspace)
    github_standin.add_deployment(SHA, "staging", "success")

    written = _run(workspace, github_env, github_standin, command, args)

    assert written - DECLARED == set(), f"{command} writes undeclared outputs"


def test_the_outputs_a_deploy_step_needs_are_written(
    workspace, github_env, github_standin, monkeypatch
):
    monkeypatch.chdir(workspace)
    github_standin.add_deployment(SHA, "staging", "success")

    written = _run(workspace, github_env, github_standin, "promote", "--to production")

    assert {
        "outcome",
        "reason",
        "report",
        "decision",
        "deployment-id",
        "environment-url",
    } <= written
    assert github_standin.statuses[2][0]["environment_url"] == "https://acme.example"


@pytest.mark.peer("act")
def test_act_leaks_undeclared_composite_outputs_which_github_hides(tmp_path, act):
    """Why the tests above parse action.yml: under act an undeclared output still reaches
    ``steps.X.outputs``; GitHub exposes only the outputs a composite action declares
    (docs: "Metadata syntax for GitHub Actions", outputs for composite actions)."""
    from peers.runners import git_repo

    ws = tmp_path / "ws"
    (ws / ".github" / "workflows").mkdir(parents=True)
    (ws / "action.yml").write_text(
        "name: leak\ndescription: writes one declared and one undeclared output\n"
        "outputs:\n  declared:\n    description: d\n    value: ${{ steps.w.outputs.declared }}\n"
        "runs:\n  using: composite\n  steps:\n    - id: w\n      shell: bash\n"
        '      run: |\n        echo declared=1 >> "$GITHUB_OUTPUT"\n        echo undeclared=1 >> '
        '"$GITHUB_OUTPUT"\n'
    )
    (ws / ".github" / "workflows" / "leak.yml").write_text(
        "name: leak\non: [push]\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - id: a\n        uses: ./\n      - shell: bash\n        env:\n"
        '          OUTPUTS: ${{ toJSON(steps.a.outputs) }}\n        run: echo "OUTPUTS=$OUTPUTS"\n'
    )
    git_repo(ws, remote="https://github.com/acme/app.git")

    proc = act(ws, "push", "-W", ".github/workflows/leak.yml", timeout=120)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = proc.stdout + proc.stderr
    assert '"declared"' in log
    assert '"undeclared"' in log  # act's leak: on GitHub this key is absent
