"""Reference judges for gatebench, to print beside releasegate (I/O: reads one scenario).

    python bench/gates/reference.py --judge naive|argo|kayenta path/to/scenario.json

* naive: the rules a team writes first (gatebench README §6 a): mean canary error rate of the
  last 3 intervals > 5 %, canary p99 > mean + 2 sd of the previous canary p99s (>= 5), or
  canary conversion < 0.8 x baseline.
* argo: Argo Rollouts AnalysisTemplate semantics (§6 b, §8.2): per interval and metric a
  measurement Fails when error > max(2b, b + 0.5 pp), p99 > 1.2 b, conversion < 0.9 b; a null
  is an Error; abort when failed > failureLimit 2 (cumulative) or consecutive errors > 4.
* kayenta: NetflixACAJudge (§6 c, §8.1): from interval 2, every 5 intervals over a
  10-interval lookback, Mann-Whitney 98 % interval with tolerance 0.25 x |estimate| and mean
  ratio 1.1 / 0.9 per metric; score = 100 Pass / (Pass + High + Low), 0 when >= 50 % Nodata;
  fails at score <= 75, promotes only when the score at the plan's last interval reaches 95.

They print the runner's format, one JSON line per interval. The Mann-Whitney interval comes
from ``releasegate.analysis.stats`` (checked against R/scipy in the tests).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from releasegate.analysis.stats import location_shift

Interval = dict[str, Any]


def _value(iv: Interval, metric: str, side: str) -> float | None:
    value = ((iv.get("metrics") or {}).get(metric) or {}).get(side)
    return None if value is None or not math.isfinite(value) else float(value)


def naive(intervals: list[Interval], planned: int) -> Iterator[tuple[str, str]]:
    p99s: list[float] = []
    for t, iv in enumerate(intervals):
        errors = [_value(x, "error_rate", "canary") for x in intervals[max(0, t - 2) : t + 1]]
        errors_known = [e for e in errors if e is not None]
        p99 = _value(iv, "latency_p99_ms", "canary")
        conv_c, conv_b = (
            _value(iv, "conversion_rate", "canary"),
            _value(iv, "conversion_rate", "baseline"),
        )
        if errors_known and statistics.fmean(errors_known) > 0.05:
            yield "rollback", "mean canary error rate of the last 3 intervals > 5%"
            return
        if (
            p99 is not None
            and len(p99s) >= 5
            and p99 > statistics.fmean(p99s) + 2 * statistics.stdev(p99s)
        ):
            yield "rollback", "canary p99 > mean + 2 sd of its past"
            return
        if conv_c is not None and conv_b is not None and conv_c < 0.8 * conv_b:
            yield "rollback", "canary conversion < 0.8 x baseline"
            return
        if p99 is not None:
            p99s.append(p99)
        yield ("promote" if t == planned - 1 else "continue"), ""


ARGO_RULES: dict[str, Callable[[float, float], bool]] = {
    "error_rate": lambda c, b: c > max(2 * b, b + 0.005),
    "latency_p99_ms": lambda c, b: c > 1.2 * b,
    "conversion_rate": lambda c, b: c < 0.9 * b,
}


def argo(
    intervals: list[Interval], planned: int, failure_limit: int = 2, error_limit: int = 4
) -> Iterator[tuple[str, str]]:
    failed = dict.fromkeys(ARGO_RULES, 0)
    errors = dict.fromkeys(ARGO_RULES, 0)
    for t, iv in enumerate(intervals):
        for metric, rule in ARGO_RULES.items():
            c, b = _value(iv, metric, "canary"), _value(iv, metric, "baseline")
            if c is None or b is None:
                errors[metric] += 1
            else:
                errors[metric] = 0
                failed[metric] += rule(c, b)
        bad = [m for m in ARGO_RULES if failed[m] > failure_limit or errors[m] > error_limit]
        if bad:
            yield "rollback", f"{bad[0]} failed {failed[bad[0]]} / errors {errors[bad[0]]}"
            return
        yield ("promote" if t == planned - 1 else "continue"), ""


KAYENTA_DIRECTIONS = {
    "error_rate": "increase",
    "latency_p99_ms": "increase",
    "conversion_rate": "decrease",
}


def _classify(canary: list[float], baseline: list[float], direction: str) -> str:
    if not canary or not baseline:
        return "Nodata"
    if sorted(canary) == sorted(baseline) or len(set(canary + baseline)) == 1:
        return "Pass"
    lo, estimate, hi = location_shift(canary, baseline, 0.98)
    mc, mb = statistics.fmean(canary), statistics.fmean(baseline)
    ratio = mc / mb if mc and mb else math.nan
    if direction != "decrease" and lo > 0.25 * abs(estimate) and not ratio < 1.1:
        return "High"
    if direction != "increase" and hi < -0.25 * abs(estimate) and not ratio > 0.9:
        return "Low"
    return "Pass"


def kayenta(intervals: list[Interval], planned: int) -> Iterator[tuple[str, str]]:
    score = None
    for t, _iv in enumerate(intervals):
        last = t == planned - 1
        if t >= 2 and ((t - 2) % 5 == 0 or last):
            window = intervals[max(0, t - 9) : t + 1]
            classes = []
            for metric, direction in KAYENTA_DIRECTIONS.items():
                canary = [v for x in window if (v := _value(x, metric, "canary")) is not None]
                baseline = [v for x in window if (v := _value(x, metric, "baseline")) is not None]
                classes.append(_classify(canary, baseline, direction))
            nodata = classes.count("Nodata")
            judged = [c for c in classes if c != "Nodata"]
            score = (
                0.0
                if nodata * 2 >= len(classes)
                else 100.0 * judged.count("Pass") / max(len(judged), 1)
            )
            if score <= 75:
                yield "rollback", f"score {score:.0f} <= 75 ({', '.join(classes)})"
                return
        yield ("promote" if last and score is not None and score >= 95 else "continue"), ""


JUDGES = {"naive": naive, "argo": argo, "kayenta": kayenta}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--judge", choices=sorted(JUDGES), required=True)
    ap.add_argument("scenario")
    args = ap.parse_args()
    scenario = json.loads(Path(args.scenario).read_text())
    intervals = scenario["intervals"]
    # The last analysis happens at the plan's end (known in advance), never at the end of
    # whatever data has arrived: a judge that analyses "the last interval seen" decides
    # differently on a prefix, which the runner counts as a causality violation.
    planned = sum(int(step["intervals"]) for step in scenario.get("plan") or []) or len(intervals)
    for t, (decision, reason) in enumerate(JUDGES[args.judge](intervals, planned)):
        print(json.dumps({"t": t, "decision": decision, "reason": reason}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
