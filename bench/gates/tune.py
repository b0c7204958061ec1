"""Score releasegate's gate on a gatebench split in-process, for tuning (I/O: reads the corpus).

Same conversion as the bridge (scenario -> replay CSV -> the real CSV reader and
policy loader -> a ``GateRun`` advanced once per interval, as ``replay`` does), without a process per
scenario. ``--set NAME=VALUE`` overrides a constant of
``releasegate.analysis.sequential`` for a trial. The bridge and ``bench.py``
remain the measurement of record.

    python bench/gates/tune.py --corpus ../shared/gatebench/corpus/dev [--half odd] [--set HORIZON=50]
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import GATE, gate_policy, replay_csv  # noqa: E402

from releasegate.analysis import GateRun, sequential  # noqa: E402
from releasegate.policy import parse_policy  # noqa: E402
from releasegate.providers.file import build_replay, parse_rows  # noqa: E402


def decide(
    scenario: dict, judge: str, extra: str, alpha: float | None = None
) -> tuple[int | None, str, str]:
    """First rollback interval (or None), the last outcome and its reason."""
    policy = parse_policy(
        gate_policy(scenario, judge, extra, alpha).encode(), "releasegate.yml", {}
    )
    gate = policy.gates[GATE]
    replay = build_replay(
        parse_rows(io.StringIO(replay_csv(scenario)), "scenario.csv"), "scenario.csv"
    )
    last = "continue"
    run = GateRun(gate, replay.metrics)
    for t, now in enumerate(replay.times):
        verdict = run.advance(now)
        last = verdict.outcome
        if last == "rollback":
            return t, last, verdict.reason
    return None, last, ""


def pct(values: list[int], q: float) -> float:
    """The ``q`` percentile as ``bench.py`` takes it (the ceil(q n)-th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100.0 * len(ordered)) - 1))]


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson 95 % interval of ``k`` successes in ``n`` (as ``bench.py`` reports it)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def override(items: list[str]) -> None:
    """Apply ``--set NAME=VALUE`` items to ``releasegate.analysis.sequential`` for a trial."""
    for item in items:
        name, value = item.split("=", 1)
        setattr(sequential, name, ast.literal_eval(value))


def split(corpus: Path) -> tuple[dict, list[str]]:
    """A split's ground truth and its scenario ids, sorted."""
    truth = json.loads((corpus / "truth.json").read_text())["scenarios"]
    return truth, sorted(truth)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--judge", default="sequential")
    ap.add_argument(
        "--gate-extra", default="", help="extra gate YAML lines (e.g. 'min_samples: 3')"
    )
    ap.add_argument(
        "--alpha", type=float, help="alpha on every metric (default: the policy default)"
    )
    ap.add_argument("--half", choices=("odd", "even"), help="only every other scenario")
    ap.add_argument("--every", type=int, default=1, help="only every k-th scenario")
    ap.add_argument(
        "--set", action="append", default=[], help="NAME=VALUE on releasegate.analysis.sequential"
    )
    ap.add_argument("--categories", action="store_true", help="print per-category rates")
    ap.add_argument(
        "--dump", help="write one JSON line per scenario (id, category, onset, rollback t) here"
    )
    args = ap.parse_args()
    override(args.set)
    corpus = Path(args.corpus)
    truth, ids = split(corpus)
    if args.half:
        ids = ids[(args.half == "even") :: 2]
    ids = ids[:: args.every]
    start = time.perf_counter()
    fr = det = pre = n_h = n_b = promoted = 0
    harm = harm_all = 0.0
    delays: list[int] = []
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    dump = []
    for sid in ids:
        scenario = json.loads((corpus / "scenarios" / f"{sid}.json").read_text())
        t, last, reason = decide(scenario, args.judge, args.gate_extra, args.alpha)
        info = truth[sid]
        cat = f"{info['label']}/{info['category']}"
        dump.append(
            {
                "id": sid,
                "category": cat,
                "onset": info["onset"],
                "t": t,
                "last": last,
                "reason": reason,
                "info_bound_delay": info.get("info_bound_delay"),
            }
        )
        per[cat][1] += 1
        if info["label"] == "healthy":
            n_h += 1
            fr += t is not None
            per[cat][0] += t is not None
            promoted += t is None and last == "promote"
        else:
            n_b += 1
            harm_all += sum(info["harm"])
            harm += sum(info["harm"][: len(info["harm"]) if t is None else t + 1])
            if t is not None and t >= info["onset"]:
                det += 1
                delays.append(t - info["onset"])
                per[cat][0] += 1
            elif t is not None:
                pre += 1
    seconds = time.perf_counter() - start
    if args.dump:
        Path(args.dump).write_text("".join(json.dumps(row) + "\n" for row in dump))
    med, p90 = pct(delays, 50), pct(delays, 90)
    lo, hi = wilson(fr, n_h)
    print(
        f"scenarios {len(ids)} in {seconds:.1f}s  FR {fr}/{n_h} = {100 * fr / max(n_h, 1):.2f}% "
        f"(95% CI {100 * lo:.2f}-{100 * hi:.2f}%)  detection {det}/{n_b} = {100 * det / max(n_b, 1):.1f}%  "
        f"pre-onset {pre}  median delay {med} (p90 {p90}, within 5: {sum(d <= 5 for d in delays)})  "
        f"exposure {harm / max(harm_all, 1e-9):.3f}  promoted healthy {100 * promoted / max(n_h, 1):.0f}%"
    )
    if args.categories:
        for cat in sorted(per):
            k, n = per[cat]
            cat_delays = [
                r["t"] - r["onset"]
                for r in dump
                if r["category"] == cat
                and r["onset"] is not None
                and r["t"] is not None
                and r["t"] >= r["onset"]
            ]
            med_cat = statistics.median(cat_delays) if cat_delays else "-"
            print(f"  {cat:28s} {k:3d}/{n:3d} = {100 * k / n:5.1f}%  median delay {med_cat}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
