"""The Tekton platform plugin on its own: which runs it claims, results files, safe cuts."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from releasegate.adapters.tekton.plugin import (
    RESULTS,
    TektonPlatform,
    releasegate_platform,
    result_env,
    truncate,
    write_results,
)
from releasegate.errors import PlatformError
from releasegate.ledger import Ledger
from releasegate.model import Decision, Subject
from releasegate.platform import LocalPlatform
from releasegate.plugins import Hooks


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {result_env(name): str(tmp_path / name) for name in RESULTS}
    return {"RELEASEGATE_PLATFORM": "tekton", **env, **extra}


@pytest.mark.parametrize(
    ("value", "limit", "pointer", "expected"),
    [
        ("short", 10, None, "short"),
        ("two\nlines", 20, None, "two lines"),
        ("abcdefghij", 5, None, "ab…"),
        ("é" * 10, 7, None, "éé…"),
        ("x" * 50, 30, "r.json", "xxxxx… (full report: r.json)"),
        ("x" * 50, 40, "r.json", "x" * 15 + "… (full report: r.json)"),
    ],
)
def test_truncate_cuts_on_characters_within_the_budget(
    value: str, limit: int, pointer: str | None, expected: str
) -> None:
    cut = truncate(value, limit, pointer)

    assert cut == expected
    assert len(cut.encode("utf-8")) <= limit


def test_the_plugin_claims_only_tekton_runs(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        assert releasegate_platform(env={}, ledger=ledger) is None
        assert isinstance(releasegate_platform(env=_env(tmp_path), ledger=ledger), TektonPlatform)
        hooks = Hooks.load({})
        assert isinstance(hooks.platform(_env(tmp_path), ledger), TektonPlatform)
        assert isinstance(hooks.platform({}, ledger), LocalPlatform)


def test_publish_writes_every_result_and_the_declared_outputs(tmp_path: Path) -> None:
    decision = Decision(
        kind="canary",
        outcome="rollback",
        reason="error-rate failed 3 > failure_limit 2",
        subject=Subject(environment="production", sha="a" * 40),
        time=datetime(2026, 1, 1, tzinfo=timezone.utc),
        outputs={
            "rollback-to": "b" * 40,
            "step": "2",
            "rollback-steps": "traffic=done,command=failed",
            "rollback-left": "command",
        },
    )
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        platform = TektonPlatform(ledger, _env(tmp_path, RELEASEGATE_SHA="c" * 40))
        platform.publish(decision)
        context = platform.context()

    written = {name: (tmp_path / name).read_text() for name in RESULTS}
    assert written == {
        "outcome": "rollback",
        "reason": "error-rate failed 3 > failure_limit 2",
        "next-weight": "",
        "rollback-to": "b" * 40,
        "cache-key": "",
        "cache-restore-keys": "",
        "cache-save": "",
        "kaniko-args": '["--cache=false"]',
        "buildkit-args": '["--no-cache"]',
        "rollback-steps": "traffic=done,command=failed",
        "rollback-left": "command",
        "forced": "",
    }
    assert context.platform == "tekton"
    assert context.sha == "c" * 40


def test_publish_outputs_leaves_the_outcome_to_the_step(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        TektonPlatform(ledger, _env(tmp_path)).publish_outputs(
            {"cache-key": "k1", "cache-save": "true"}
        )

    assert (tmp_path / "cache-key").read_text() == "k1"
    assert not (tmp_path / "outcome").exists()


def test_an_unwritable_result_is_a_platform_error(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env[result_env("outcome")] = str(tmp_path / "missing" / "outcome")

    with pytest.raises(
        PlatformError, match=r"^cannot write the Tekton result outcome to .*missing/outcome: "
    ):
        write_results(env, {"outcome": "allow"})


def test_a_flag_list_is_written_whole_or_refused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    read_only = ("--cache=true", "--cache-repo=registry.example.com/c/cache", "--no-push-cache")

    write_results(env, {"kaniko-args": read_only}, fill=False)
    assert json.loads((tmp_path / "kaniko-args").read_text()) == list(read_only)

    # cut to fit, the list would lose --no-push-cache and write the cache: refused instead
    too_long = ("--cache=true", "--cache-repo=" + "r" * 600, "--no-push-cache")
    with pytest.raises(PlatformError, match="the Tekton result kaniko-args would take 6"):
        write_results(env, {"kaniko-args": too_long}, fill=False)


def test_the_fallback_lists_are_the_cache_packages_no_cache() -> None:
    from releasegate.adapters.tekton.plugin import ARRAY_FALLBACK, ARRAY_RESULTS
    from releasegate.cache.render_tools import NO_CACHE

    assert dict(ARRAY_FALLBACK) == NO_CACHE
    assert set(ARRAY_FALLBACK) == ARRAY_RESULTS
