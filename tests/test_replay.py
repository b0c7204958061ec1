"""``releasegate replay`` end to end on real CSV files, and the replay reader's messages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from releasegate.errors import EvidenceError, UsageError
from releasegate.providers.file import build_replay, parse_rows

POLICY = """\
version: 1
gates:
  health:
    provider: file
    interval: 1m
    metrics:
      - name: error-rate
        query: errors{track="{variant}"}
        count_query: requests{track="{variant}"}
        judge: sequential
"""


def _csv(rows: list[str]) -> str:
    return "time,metric,variant,value,count\n" + "\n".join(rows) + "\n"


def _run(tmp_path: Path, cli, ratio: float, extra: tuple[str, ...] = ()) -> tuple[int, list[dict]]:
    rows = ["2025-01-01T00:00:00Z,error-rate,service,0.01,"]
    for i in range(1, 31):
        canary = 0.01 * (ratio if i > 10 else 1.0)
        rows += [
            f"{1735689600 + 60 * i},error-rate,canary,{canary},1000",
            f"{1735689600 + 60 * i},error-rate,baseline,0.01,9000",
        ]
    (tmp_path / "releasegate.yml").write_text(POLICY)
    (tmp_path / "m.csv").write_text(_csv(rows))
    result = cli(
        "replay",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "health",
        "--metrics",
        str(tmp_path / "m.csv"),
        *extra,
    )
    lines = (
        [json.loads(line) for line in result.stdout.splitlines()] if "--format" not in extra else []
    )
    return result.exit_code, lines


def test_replay_healthy_promotes(tmp_path: Path, releasegate_cli) -> None:
    code, lines = _run(tmp_path, releasegate_cli, 1.0)
    assert code == 0
    assert len(lines) == 30
    assert lines[-1]["outcome"] == "promote"
    assert lines[0]["time"] == "2025-01-01T00:01:00Z"


def test_replay_regression_rolls_back_after_onset(tmp_path: Path, releasegate_cli) -> None:
    code, lines = _run(tmp_path, releasegate_cli, 5.0)
    assert code == 1
    first = next(i for i, line in enumerate(lines) if line["outcome"] == "rollback")
    assert 10 <= first <= 13
    assert lines[first]["reasons"][0].startswith("error-rate failed 1 > failure_limit 0: CUSUM")


def test_replay_shows_how_far_each_metric_is_towards_a_rollback(
    tmp_path: Path, releasegate_cli
) -> None:
    _, lines = _run(tmp_path, releasegate_cli, 5.0)
    first = next(i for i, line in enumerate(lines) if line["outcome"] == "rollback")
    shares = [line["evidence"]["error-rate"] for line in lines]
    assert shares[0] < 0.5
    assert max(shares[:first]) < 1.0 <= shares[first]


def test_replay_text_names_the_closest_call_of_a_healthy_rollout(
    tmp_path: Path, releasegate_cli
) -> None:
    (tmp_path / "releasegate.yml").write_text(POLICY)
    rows = []
    for i in range(1, 21):
        canary = 0.02 if i in (8, 9) else 0.01  # two worse intervals, not enough to roll back
        rows += [
            f"{1735689600 + 60 * i},error-rate,canary,{canary},1000",
            f"{1735689600 + 60 * i},error-rate,baseline,0.01,9000",
        ]
    (tmp_path / "m.csv").write_text(_csv(rows))
    result = releasegate_cli(
        "replay",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "health",
        "--metrics",
        str(tmp_path / "m.csv"),
        "--format",
        "text",
    )
    assert result.exit_code == 0
    last = result.stdout.splitlines()[-1]
    assert last.startswith("closest to a rollback: error-rate at 0.")
    assert last.endswith("of its threshold at [8] 2025-01-01T00:09:00Z")


def test_replay_text_of_a_rollback_has_no_closest_call(tmp_path: Path, releasegate_cli) -> None:
    (tmp_path / "releasegate.yml").write_text(POLICY)
    _run(tmp_path, releasegate_cli, 5.0)
    result = releasegate_cli(
        "replay",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "health",
        "--metrics",
        str(tmp_path / "m.csv"),
        "--format",
        "text",
    )
    assert result.exit_code == 1
    assert "closest to a rollback" not in result.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit"])
def test_replay_other_formats(tmp_path: Path, releasegate_cli, fmt: str) -> None:
    code, _ = _run(tmp_path, releasegate_cli, 5.0, ("--format", fmt))
    assert code == 1


def test_replay_unknown_gate(tmp_path: Path, releasegate_cli) -> None:
    (tmp_path / "releasegate.yml").write_text(POLICY)
    (tmp_path / "m.csv").write_text(_csv(["1,error-rate,canary,0.1,10"]))
    result = releasegate_cli(
        "replay",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "nope",
        "--metrics",
        str(tmp_path / "m.csv"),
    )
    assert result.exit_code == 2
    assert "no gate named 'nope' (gates: health)" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "x.csv:1: the file is empty; expected the header time,metric,variant,value,count"),
        (
            "time,metric,value\n",
            "x.csv:1: header lacks variant; expected time,metric,variant,value,count",
        ),
        (
            _csv(["1,m,canary,abc,1"]),
            "x.csv:2: value 'abc' is not a number; write a number or leave it empty",
        ),
        (
            _csv(["yesterday,m,canary,1,1"]),
            "x.csv:2: time 'yesterday' is neither ISO 8601 nor unix seconds",
        ),
        (
            _csv(["1,m,green,1,1"]),
            "x.csv:2: variant 'green' is not one of canary, baseline, service",
        ),
        (_csv(["1,m,canary,1,-3"]), "x.csv:2: count -3 must be a finite number >= 0"),
        (
            _csv(["1,m,canary,1,1", "1,m,canary,2,1"]),
            "x.csv:3: a second m canary row for this time (first at line 2)",
        ),
        (_csv(["1,m"]), "x.csv:2: 2 fields, expected 5 (time,metric,variant,value,count)"),
    ],
)
def test_bad_csv_messages(text: str, message: str) -> None:
    with pytest.raises(EvidenceError) as err:
        parse_rows(io.StringIO(text), "x.csv")
    assert str(err.value) == message


def test_history_missing_values_and_service_gates() -> None:
    rows = parse_rows(
        io.StringIO(
            _csv(
                [
                    "2025-01-01T00:00:00,lat,service,100,",
                    "60,lat,service,110,",
                    "120,lat,canary,,",
                    "120,lat,baseline,100,50",
                    "180,lat,canary,120,5",
                ]
            )
        ),
        "x.csv",
    )
    replay = build_replay(rows, "x.csv")
    data = replay.metrics["lat"]
    assert replay.deployed_at == 120.0
    assert data.history == ((1735689600.0, 100.0), (60.0, 110.0)) or data.history[-1] == (
        60.0,
        110.0,
    )
    assert data.observations[0].canary is None
    assert data.observations[1].baseline is None
    with pytest.raises(UsageError, match="pass --deployed-at"):
        build_replay(parse_rows(io.StringIO(_csv(["1,m,service,1,"])), "x.csv"), "x.csv")
    service = build_replay(
        parse_rows(io.StringIO(_csv(["1,m,service,1,", "2,m,service,2,"])), "x.csv"),
        "x.csv",
        deployed_at=2.0,
    )
    assert service.metrics["m"].observations == (service.metrics["m"].observations[0],)
    assert service.metrics["m"].observations[0].canary == 2.0
