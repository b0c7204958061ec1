"""How close the default gate's charts come to their thresholds on a gatebench split (I/O).

For tuning: every chart of every scenario (each metric's CUSUM and from-deploy test, and the
gate's combined chart) as a share of its threshold, interval by interval, from the same
conversion and judge as ``tune.py``. Prints false rollbacks on the odd half, the even half
and the whole split, detections, detections within 5 intervals and the median delay; the
healthy rollouts that came closest to a rollback (their *margin*: a share of 0.95 is one
noisy interval from a false rollback); and with ``--sweep`` what a uniform threshold scale
would give.

    python bench/gates/margins.py --corpus ../shared/gatebench/corpus/dev [--sweep] [--set HORIZON=30]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import GATE, gate_policy, replay_csv  # noqa: E402
from tune import override, split  # noqa: E402

from releasegate.analysis import sequential  # noqa: E402
from releasegate.policy import parse_policy  # noqa: E402
from releasegate.providers.file import build_replay, parse_rows  # noqa: E402

#: Chart name -> its value as a share of its threshold after each interval.
Charts = dict[str, list[float]]


def charts(scenario: dict[str, Any]) -> Charts:
    """Every chart of the scenario's gate, interval by interval, as a share of its threshold."""
    gate = parse_policy(gate_policy(scenario).encode(), "releasegate.yml", {}).gates[GATE]
    replay = build_replay(
        parse_rows(io.StringIO(replay_csv(scenario)), "scenario.csv"), "scenario.csv"
    )
    out: Charts = {}
    combined: dict[float, float] = {}
    times: list[float] = []
    for metric in gate.metrics:
        measured = sequential.judge_sequential(metric, replay.metrics[metric.name], gate.interval)
        times = [m.time for m in measured]
        h = sequential.default_threshold(metric.alpha, sequential.metric_kind(metric))
        h_sprt = sequential.sprt_threshold(metric.alpha)
        out[f"{metric.name} cusum"] = [float(m.statistic.get("cusum", 0.0)) / h for m in measured]
        out[f"{metric.name} sprt"] = [
            float(m.statistic.get("sprt", 0.0)) / h_sprt for m in measured
        ]
        for m in measured:
            increment = m.statistic.get("llr combined")
            if isinstance(increment, float):
                combined[m.time] = combined.get(m.time, 0.0) + increment
    value, shares, h = 0.0, [], sequential.default_threshold(0.01)
    for time in times:
        value = max(0.0, value + combined.get(time, 0.0))
        shares.append(value / h)
    out["combined"] = shares
    return out


def first_alarm(chart_set: Charts, scale: float = 1.0) -> int | None:
    """The first interval at which any chart reaches ``scale`` times its threshold."""
    hits = [
        next((i for i, share in enumerate(c) if share >= scale - 1e-6), None)
        for c in chart_set.values()
    ]
    found = [i for i in hits if i is not None]
    return min(found) if found else None


def score(
    all_charts: dict[str, Charts], truth: dict[str, Any], ids: list[str], scale: float = 1.0
) -> str:
    false_rollbacks = healthy = 0
    delays = []
    for sid in ids:
        t = first_alarm(all_charts[sid], scale)
        if truth[sid]["label"] == "healthy":
            healthy += 1
            false_rollbacks += t is not None
        elif t is not None and t >= truth[sid]["onset"]:
            delays.append(t - truth[sid]["onset"])
    bad = len(ids) - healthy
    median = statistics.median(delays) if delays else None
    return (
        f"FR {false_rollbacks}/{healthy}  detection {len(delays)}/{bad}  "
        f"within5 {sum(d <= 5 for d in delays)}  median delay {median}"
    )


def main() -> int:
    default = Path(__file__).resolve().parents[3] / "shared" / "gatebench" / "corpus" / "dev"
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus", default=str(default))
    ap.add_argument(
        "--set", action="append", default=[], help="NAME=VALUE on releasegate.analysis.sequential"
    )
    ap.add_argument(
        "--top", type=int, default=10, help="how many of the closest healthy rollouts to list"
    )
    ap.add_argument(
        "--sweep", action="store_true", help="also score uniform threshold scales 0.95 .. 0.7"
    )
    args = ap.parse_args()
    override(args.set)
    corpus = Path(args.corpus)
    truth, ids = split(corpus)
    all_charts = {
        sid: charts(json.loads((corpus / "scenarios" / f"{sid}.json").read_text())) for sid in ids
    }
    for name, part in (("odd", ids[0::2]), ("even", ids[1::2]), ("all", ids)):
        print(f"{name:4s} {score(all_charts, truth, part)}")
    peaks = sorted(
        (
            (
                max(max(c, default=0.0) for c in all_charts[sid].values()),
                sid,
                max(all_charts[sid], key=lambda k: max(all_charts[sid][k], default=0.0)),
                truth[sid]["category"],
            )
            for sid in ids
            if truth[sid]["label"] == "healthy"
        ),
        reverse=True,
    )
    print(
        f"healthy rollouts within 0.9 of a threshold: {sum(p[0] >= 0.9 for p in peaks)}, "
        f"within 0.8: {sum(p[0] >= 0.8 for p in peaks)}"
    )
    for share, sid, chart, category in peaks[: args.top]:
        print(f"  {share:.3f} {sid} {chart:22s} {category}")
    if args.sweep:
        for scale in (0.95, 0.9, 0.85, 0.8, 0.75, 0.7):
            print(f"  thresholds x{scale}: {score(all_charts, truth, ids, scale)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
