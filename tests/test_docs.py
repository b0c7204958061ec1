"""The README and the hook reference stay in step with the code."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peers.cli import Invoke
from releasegate.cli import COMMANDS
from releasegate.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_embeds_the_example_policy_verbatim() -> None:
    policy = (ROOT / "examples" / "checkout" / "releasegate.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{policy.rstrip()}\n```" in README


def test_readme_shows_the_two_commands_and_ci_runs_the_test_command() -> None:
    assert "pip install . && bash examples/demo.sh" in README
    assert "bash scripts/test.sh" in README
    ci = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set "))
    ]
    assert ci == ["bash scripts/test.sh"]


def test_the_readmes_first_command_runs_the_demo_to_its_end(tmp_path: Path) -> None:
    """`bash examples/demo.sh`, the second half of the README's first command, with the installed CLI.

    The demo walks one commit through dev and staging and expects production blocked; a change
    to the rules of records or promotion that the demo does not follow breaks a new user's first run.
    """
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
    }
    done = subprocess.run(
        ["bash", str(ROOT / "examples" / "demo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "-> outcome: allow\n  -> environment: staging" in done.stdout
    assert "production is blocked, as the policy says it should be" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme_table(name: str) -> None:
    assert f"| `releasegate {name}" in README


def test_every_relative_link_in_the_readme_exists() -> None:
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", README)
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []


HOOKS = [
    name
    for name, obj in vars(hookspecs).items()
    if name.startswith("releasegate_") and callable(obj)
]


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    hook = getattr(hookspecs, name)
    doc = inspect.getdoc(hook) or ""
    assert len(doc.splitlines()[0]) > 20
    for param in inspect.signature(hook).parameters:
        assert f":param {param}:" in doc, f"{name} does not document {param}"
    assert ":return:" in doc and "firstresult" in doc


def test_every_hook_has_an_implementation_that_tests_exercise() -> None:
    from releasegate.plugins import Hooks

    implemented = {
        impl.function.__name__
        for impls in (getattr(Hooks.load({}).pm.hook, name).get_hookimpls() for name in HOOKS)
        for impl in impls
    }
    sample = (
        ROOT / "tests" / "plugins" / "sample_plugin" / "src" / "releasegate_sample" / "__init__.py"
    ).read_text()
    implemented |= set(re.findall(r"def (releasegate_\w+)", sample))
    assert sorted(set(HOOKS) - implemented) == []


def test_the_promotion_docs_validation_example_checks_and_decides_as_its_comments_say(
    invoke: Invoke, tmp_path: Path
) -> None:
    import json

    docs = (ROOT / "docs" / "promotion.md").read_text(encoding="utf-8")
    [example] = [
        block
        for block in re.findall(r"```yaml\n(.*?)```", docs, re.S)
        if "allow_conclusions" in block
    ]
    (tmp_path / "releasegate.yml").write_text(example)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "pip-audit.json").write_text(
        json.dumps(
            {
                "dependencies": [
                    {
                        "name": "requests",
                        "version": "2.31.0",
                        "vulns": [{"id": "GHSA-9wx4-h78v-vm56", "fix_versions": []}],
                    },
                    {
                        "name": "internal-lib",
                        "skip_reason": "Dependency not found on PyPI and could not be audited",
                    },
                ]
            }
        )
    )
    env = {
        "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
        "RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    policy = str(tmp_path / "releasegate.yml")
    checked = invoke("check", "-c", policy, env=env)
    assert checked.code == 0, checked
    code, out, _ = invoke(
        "promote",
        "--to",
        "production",
        "--sha",
        "e" * 40,
        "--dry-run",
        "--format",
        "json",
        "-c",
        policy,
        env=env,
    )
    requirements = {r["name"]: r for r in json.loads(out)["requirements"]}
    assert code == 1
    audit = requirements["validation dependency-audit"]
    assert audit["status"] == "fail"
    assert "1 finding exceeds the medium ceiling: GHSA-9wx4-h78v-vm56 (unknown" in audit["reason"]
    assert requirements["criterion dependencies.skipped <= 2"]["status"] == "pass"


def test_the_documented_streaming_benchmark_command_runs() -> None:
    """README and docs/promotion.md tell readers to run it; a small size keeps it quick."""
    command = "python bench/evidence_streaming.py"
    assert command in README
    assert command in (ROOT / "docs" / "promotion.md").read_text(encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "evidence_streaming.py"),
            "--runs",
            "1",
            "--megabytes",
            "0.2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert rows == ["Cobertura", "JaCoCo", "JUnit"]
    assert all(line.endswith("x") for line in done.stdout.splitlines()[1:])  # both ratios printed


def _adaptive_plan(invoke: Invoke, policy_text: str, tmp_path: Path) -> str:
    path = tmp_path / "releasegate.yml"
    path.write_text(policy_text)
    env = {
        "RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"),
        "RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    checked = invoke("check", "-c", path, env=env)
    assert checked.code == 0, checked
    code, out, _ = invoke("plan", "-c", path, env=env)
    assert code == 0
    return out


def test_the_rollout_docs_adaptive_example_checks_and_plans_as_shown(
    invoke: Invoke, tmp_path: Path
) -> None:
    docs = (ROOT / "docs" / "rollout.md").read_text(encoding="utf-8")
    [example] = [
        block for block in re.findall(r"```yaml\n(.*?)```", docs, re.S) if "advance:" in block
    ]
    [shown] = [
        block for block in re.findall(r"```text\n(.*?)```", docs, re.S) if "advance +20" in block
    ]

    out = _adaptive_plan(invoke, example, tmp_path)

    assert shown.splitlines()[0] in out.splitlines()
    assert (
        "  router: argo-rollouts: Rollout checkout (promote to advance, abort to roll back)" in out
    )


def test_the_readme_adaptive_steps_run_in_the_documented_policy(
    invoke: Invoke, tmp_path: Path
) -> None:
    import yaml

    docs = (ROOT / "docs" / "rollout.md").read_text(encoding="utf-8")
    [example] = [
        block for block in re.findall(r"```yaml\n(.*?)```", docs, re.S) if "advance:" in block
    ]
    [steps] = [
        block for block in re.findall(r"  ```yaml\n(.*?)  ```", README, re.S) if "advance:" in block
    ]
    policy = yaml.safe_load(example)
    policy["environments"][0]["strategy"]["canary"]["steps"] = yaml.safe_load(steps)["steps"]

    out = _adaptive_plan(invoke, yaml.safe_dump(policy, sort_keys=False), tmp_path)

    assert (
        "  canary: 10% for 5m [canary-health] then +20 when latency_p99 < 0.5 and rps > 1000, else +10"
        " -> 100%"
    ) in out.splitlines()
