"""bench/gates: the gatebench bridge and the reference judges speak the runner's protocol.

Scored by gatebench's own runner on four scenarios of its dev split (two healthy, two
regressions that start mid-rollout): no protocol errors, no causality violations (the
runner re-runs each judge on truncated copies), and releasegate's default gate rolls
back the regressions after their onset and neither healthy rollout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GATEBENCH = Path(os.environ.get("RELEASEGATE_GATEBENCH", ROOT.parent / "shared/gatebench"))
HEALTHY = ("s0106", "s0309")
BAD = ("s0685", "s0514")  # errors x5 from interval 14; latency x1.35 from interval 20


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = GATEBENCH / "corpus" / "dev"
    if not (source / "truth.json").is_file():
        pytest.fail(
            f"gatebench corpus missing: {source} (the shared gatebench folder)", pytrace=False
        )
    out = tmp_path_factory.mktemp("corpus")
    (out / "scenarios").mkdir()
    truth = json.loads((source / "truth.json").read_text())
    ids = (*HEALTHY, *BAD)
    truth["scenarios"] = {sid: truth["scenarios"][sid] for sid in ids}
    (out / "truth.json").write_text(json.dumps(truth))
    for sid in ids:
        shutil.copy(source / "scenarios" / f"{sid}.json", out / "scenarios")
    return out


def _score(corpus: Path, tmp_path: Path, name: str, judge: list[str]) -> dict:
    command = " ".join([sys.executable, *judge])
    subprocess.run(
        [
            sys.executable,
            str(GATEBENCH / "bench.py"),
            "run",
            "--corpus",
            str(corpus),
            "--name",
            name,
            "--judge",
            command,
            "-j",
            "2",
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads((tmp_path / f"{name}.json").read_text())


def test_releasegate_gate_through_the_bridge(corpus: Path, tmp_path: Path) -> None:
    result = _score(corpus, tmp_path, "releasegate", [str(ROOT / "bench/gates/gatebench_judge.py")])
    assert result["aggregate"]["protocol_errors"] == 0
    assert result["aggregate"]["causality_violations"] == 0
    by_id = {row["id"]: row for row in result["per_scenario"]}
    for sid in HEALTHY:
        assert by_id[sid]["first_rb"] is None, f"{sid} is healthy but was rolled back"
        assert by_id[sid]["promoted"], f"{sid} is healthy but ended without promote"
    for sid in BAD:
        assert by_id[sid]["detected"], (
            f"{sid} regressed at {by_id[sid]['onset']} but was not rolled back"
        )
        assert by_id[sid]["delay"] <= 5


@pytest.mark.parametrize("judge", ["naive", "argo", "kayenta"])
def test_reference_judges_are_causal(corpus: Path, tmp_path: Path, judge: str) -> None:
    result = _score(
        corpus, tmp_path, judge, [str(ROOT / "bench/gates/reference.py"), "--judge", judge]
    )
    assert result["aggregate"]["protocol_errors"] == 0
    assert result["aggregate"]["causality_violations"] == 0


def test_margins_shows_the_closest_healthy_rollouts(corpus: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/gates/margins.py"), "--corpus", str(corpus), "--sweep"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = result.stdout.splitlines()
    assert lines[2].startswith("all  FR 0/2  detection 2/2  within5 2")
    assert lines[3].startswith("healthy rollouts within 0.9 of a threshold: 0")
    assert {line.split()[1] for line in lines[4:6]} == set(HEALTHY)
    assert lines[-1].startswith("  thresholds x0.7: FR ")


@pytest.mark.parametrize("alpha", [None, "0.005"])
def test_tune_scores_a_split_in_process_at_an_alpha(corpus: Path, alpha: str | None) -> None:
    """``tune.py`` (and ``--alpha``, the trade-off curve the docs print) scores like the runner."""
    extra = ["--alpha", alpha] if alpha else []
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/gates/tune.py"), "--corpus", str(corpus), *extra],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    line = result.stdout.splitlines()[0]
    assert "FR 0/2 = 0.00% (95% CI 0.00-65.76%)  detection 2/2 = 100.0%" in line, line
    assert "exposure 0." in line


def test_replay_scaling_prints_a_row_per_size() -> None:
    """``bench/replay_scaling.py`` (the docs' cost table): one row per size, every interval's
    line counted; the times themselves are not asserted (the machine is shared)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/replay_scaling.py"), "--sizes", "30,60"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    rows = result.stdout.splitlines()
    assert [row.split()[0] for row in rows] == ["30", "60"]
    assert all("the reference step  peak" in row for row in rows)
