"""A third-party plugin installed from tests/ is found through the entry point group and used."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from peers.cli import CliResult, ConsoleScript

SAMPLE = Path(__file__).parent / "sample_plugin"
#: ``releasegate(*args, **env)``, the fixture below.
Releasegate = Callable[..., CliResult]


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "sample_plugin"
    shutil.copytree(SAMPLE, source)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
    )
    return str(target)


@pytest.fixture
def releasegate(run_cli: ConsoleScript, plugin_path: str, tmp_path: Path) -> Releasegate:
    """``releasegate(*args, **env)``: the console script in ``tmp_path`` with the sample plugin
    on ``PYTHONPATH``, found through its entry point as an installed plugin is."""

    def run(*args: str, **env: str) -> CliResult:
        return run_cli(
            *args,
            cwd=tmp_path,
            env={"PYTHONPATH": plugin_path, "RELEASEGATE_LEDGER": str(tmp_path / "l.db"), **env},
        )

    return run


def test_plugin_is_listed_with_its_version_and_registrations(releasegate: Releasegate) -> None:
    out = releasegate("plugins", "--format", "json")
    assert out.code == 0, out.stderr
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    sample = rows["sample"]
    assert (sample["distribution"], sample["version"], sample["builtin"]) == (
        "releasegate-sample",
        "1.2.3",
        False,
    )
    assert sample["registers"] == {"providers": ["constant"], "judges": ["ceiling"]}
    assert set(sample["hooks"]) == {
        "releasegate_platform",
        "releasegate_register_providers",
        "releasegate_register_judges",
        "releasegate_notify",
    }
    version = releasegate("--version")
    assert "plugin releasegate-sample 1.2.3 (sample)" in version.stdout


def test_plugin_platform_hook_is_used(releasegate: Releasegate) -> None:
    out = releasegate(
        "record",
        "--env",
        "dev",
        "--status",
        "success",
        "--force",
        "seeded",
        SAMPLE_PLATFORM="1",
    )
    assert out.code == 0, out.stderr
    assert out.stdout.startswith("recorded dev 5a5a5a5a5a5a success")
    history = json.loads(releasegate("history", "--format", "json").stdout)
    assert [(h["sha"], h["environment"], h["status"]) for h in history] == [
        ("5a" * 20, "dev", "success")
    ]


def test_autoload_can_be_switched_off(releasegate: Releasegate) -> None:
    out = releasegate(
        "plugins",
        "--format",
        "json",
        RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    assert "sample" not in {row["name"] for row in json.loads(out.stdout)}


def test_a_blocked_plugin_is_not_loaded(releasegate: Releasegate) -> None:
    out = releasegate("plugins", "--format", "json", RELEASEGATE_DISABLE_PLUGINS="sample")
    assert "sample" not in {row["name"] for row in json.loads(out.stdout)}


JUDGED = """version: 1
gates:
  g:
    provider: file
    metrics: [{name: m, query: q, judge: ceiling}]
"""


def test_a_plugin_judge_is_named_in_the_policy_and_used_by_replay(
    releasegate: Releasegate, tmp_path: Path
) -> None:
    (tmp_path / "releasegate.yml").write_text(JUDGED)
    (tmp_path / "m.csv").write_text(
        "time,metric,variant,value,count\n60,m,canary,0.1,\n120,m,canary,0.9,\n"
    )
    assert releasegate("check").code == 0
    replay = releasegate("replay", "--gate", "g", "--metrics", "m.csv")
    assert replay.code == 1
    assert [json.loads(line)["outcome"] for line in replay.stdout.splitlines()] == [
        "promote",
        "rollback",
    ]
    without = releasegate("check", RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD="1")
    assert without.code == 2
    assert (
        "unknown judge 'ceiling' (known: threshold, anomaly, ratio, compare, sequential)"
        in without.stderr
    )


def test_a_failing_notifier_never_changes_the_decision(
    releasegate: Releasegate, tmp_path: Path
) -> None:
    (tmp_path / "releasegate.yml").write_text("version: 1\nenvironments: [{name: dev}]\n")
    notes = tmp_path / "notes.txt"
    done = releasegate(
        "promote",
        "--to",
        "dev",
        "--sha",
        "ab" * 20,
        "--dry-run",
        SAMPLE_NOTIFY_FILE=str(notes),
        SAMPLE_NOTIFY_FAIL="1",
    )
    assert done.code == 0, done.stderr
    assert done.stdout.startswith("ALLOW promotion")
    assert notes.read_text() == "promotion allow\n"
    assert "releasegate: warning: notifier sample failed: chat server unreachable" in done.stderr


PROVIDED = """version: 1
gates:
  g:
    provider: constant
    interval: 1m
    metrics: [{name: m, query: q, judge: threshold, fail_if: "> 0.5"}]
"""


def test_a_provider_written_to_the_hook_spec_runs_a_gate(
    releasegate: Releasegate, tmp_path: Path
) -> None:
    (tmp_path / "releasegate.yml").write_text(PROVIDED)
    healthy = releasegate("analyze", "--gate", "g", "--once", "--format", "json")
    assert healthy.code == 0, healthy.stderr
    assert json.loads(healthy.stdout)["outcome"] == "pass"
    failing = releasegate("analyze", "--gate", "g", "--once", SAMPLE_CONSTANT="0.9")
    assert failing.code == 1, failing.stderr


@pytest.mark.parametrize(
    "name",
    [
        "releasegate.judging",
        "releasegate.providers.prometheus",
        "releasegate.evidence.plugin",
        "releasegate.adapters.gitlab.plugin",
    ],
)
def test_a_builtin_plugin_cannot_be_blocked(
    releasegate: Releasegate, tmp_path: Path, name: str
) -> None:
    (tmp_path / "releasegate.yml").write_text(PROVIDED)
    for command in (["check"], ["plugins"], ["analyze", "--gate", "g", "--once"]):
        out = releasegate(*command, RELEASEGATE_DISABLE_PLUGINS=name)
        assert out.code == 2
        assert out.stderr == (
            f"releasegate: error: RELEASEGATE_DISABLE_PLUGINS: {name} is built in and "
            "cannot be blocked; block third-party plugins by their entry-point name "
            "(see `releasegate plugins`)\n"
        )
