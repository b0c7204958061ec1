"""The live analysis loop: collect, judge, report progress, every gate interval (I/O shell).

The clock and the sleep function are injected, so a fifteen-minute analysis runs in
milliseconds under test. Each interval prints one progress line; the loop stops early
on a rollback or after more than the gate's ``error_limit`` intervals in a row in which
the provider failed, else when the duration is over. A provider failure is never a pass.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from releasegate.model import Decision, Requirement, Subject
from releasegate.rollout.collect import Collected, collect

if TYPE_CHECKING:
    from releasegate.analysis.data import MetricData
    from releasegate.analysis.verdict import GateVerdict
    from releasegate.policy.model import Gate
    from releasegate.providers import MetricProvider
    from releasegate.rollout.verdict import GateResult

__all__ = ["AnalysisRun", "IntervalReport", "analysis_decision", "gate_result", "run_analysis"]

Evaluate = Callable[..., "GateVerdict"]


@dataclass(frozen=True)
class IntervalReport:
    """What one interval saw: its time, the gate's outcome and reason, provider errors."""

    index: int
    time: float
    outcome: str
    reason: str
    provider_errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisRun:
    """The result of :func:`run_analysis`.

    :param verdict: the gate's verdict at the last interval (``None`` if none ran).
    :param collected: the data that verdict was reached on.
    :param intervals: one report per interval, in order.
    :param provider_failure: why the provider prevented a decision, else ``None``.
    """

    gate: Gate
    deployed_at: float
    verdict: GateVerdict | None
    collected: Collected | None
    intervals: tuple[IntervalReport, ...]
    provider_failure: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the gate rolled back on a metric that failed (not on provider errors)."""
        verdict = self.verdict
        return (
            verdict is not None
            and verdict.outcome == "rollback"
            and any(m.status == "fail" for m in verdict.metrics)
        )

    @property
    def outcome(self) -> str:
        """``pass``, ``fail`` or ``inconclusive`` (a provider failure is ``inconclusive``)."""
        from releasegate.rollout.verdict import settle

        if self.failed:
            return "fail"
        if self.provider_failure or (
            self.verdict is not None and self.verdict.outcome == "rollback"
        ):
            return "inconclusive"
        # One rule for missing data in every command: on_inconclusive decides, as in a canary.
        settled = settle(gate_result(self))
        return "inconclusive" if settled == "pause" else settled


def _clock_text(when: float) -> str:
    return datetime.fromtimestamp(when, tz=timezone.utc).strftime("%H:%M:%SZ")


def run_analysis(
    gate: Gate,
    provider: MetricProvider,
    *,
    service: str,
    env: str,
    deployed_at: float,
    duration: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    progress: Callable[[str], None],
    once: bool = False,
    error_limit: int | None = None,
    evaluate: Evaluate | None = None,
    label: str = "analyze",
    stop: threading.Event | None = None,
) -> AnalysisRun:
    """Run ``gate`` every interval for ``duration`` seconds (or once) and return the result.

    :param gate: the gate to run.
    :param provider: the metrics backend for it.
    :param service: value of ``{service}`` in queries.
    :param env: value of ``{env}`` in queries.
    :param deployed_at: when the rollout started (unix seconds); observations are whole
        intervals after it, history is before it.
    :param duration: how long to analyse, in seconds from the first call of ``clock``.
    :param clock: returns the current time in unix seconds.
    :param sleep: waits that many seconds.
    :param progress: receives one line per interval.
    :param once: evaluate a single interval now and stop.
    :param error_limit: stop after more than this many intervals in a row with provider
        errors; the gate's ``error_limit`` by default.
    :param evaluate: the gate judge; :func:`releasegate.analysis.gate.evaluate_gate` by default.
    :param label: the word that starts each progress line (``analyze``, ``canary 5%``...).
    :param stop: set by another gate of the same step or watch that failed: the analysis ends
        before its next interval (waits are cut into slices of at most one second to notice).
        The run is then still ``running`` (see :func:`gate_result`).
    """
    if evaluate is None:
        from releasegate.analysis.gate import evaluate_gate

        evaluate = evaluate_gate
    limit = gate.error_limit if error_limit is None else error_limit
    started = clock()
    deadline = started + (0.0 if once else duration)
    total = 1 if once else max(1, math.ceil(max(duration, 0.0) / gate.interval))
    next_at = started if once else max(started, deployed_at + gate.interval)
    reports: list[IntervalReport] = []
    verdict: GateVerdict | None = None
    collected: Collected | None = None
    failing = 0
    while True:
        if _wait(next_at, clock, sleep, stop):
            break
        now = clock()
        collected = collect(
            gate, provider, service=service, env=env, deployed_at=deployed_at, now=now
        )
        verdict = evaluate(gate, collected.data, now=now)
        failing = failing + 1 if collected.provider_errors else 0
        report = IntervalReport(
            len(reports) + 1, now, verdict.outcome, verdict.reason, collected.provider_errors
        )
        reports.append(report)
        progress(_line(label, gate, report, total))
        # Only a rollback (or missing data that fails under on_inconclusive: fail) ends the
        # analysis early: a window must be watched to its end.
        if verdict.outcome == "rollback" or once or failing > limit:
            break
        # Provider errors have their own limit (error_limit) before they end the analysis.
        if (
            verdict.outcome == "inconclusive"
            and gate.on_inconclusive == "fail"
            and not collected.provider_errors
        ):
            break
        if now >= deadline:
            break
        next_at = min(now + gate.interval, deadline)
    failure = None
    run = AnalysisRun(gate, deployed_at, verdict, collected, tuple(reports))
    if not run.failed:
        if collected is not None and collected.provider_errors:
            failure = collected.provider_errors[0]
        elif verdict is not None and verdict.outcome == "rollback":
            errors = [m.reason for m in verdict.metrics if m.status == "error"]
            failure = errors[0] if errors else verdict.reason
    return AnalysisRun(gate, deployed_at, verdict, collected, tuple(reports), failure)


def run_side_by_side(
    gates: Sequence[Gate],
    providers: Sequence[MetricProvider],
    **options: Any,
) -> list[AnalysisRun]:
    """Run ``gates`` at once, one thread each, with :func:`run_analysis`'s ``options``.

    Returns when every gate has finished, or as soon as one gate's result settles to a
    failure (``fail``, or ``inconclusive`` under ``on_inconclusive: fail``): the others are
    told to stop before their next interval and are left out of the list, so the caller can
    start the rollback within the failing gate's interval. The list is in ``gates`` order.
    """
    from releasegate.rollout.verdict import settle

    if len(gates) == 1:
        return [run_analysis(gates[0], providers[0], **options)]
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=len(gates), thread_name_prefix="releasegate-gate")
    futures = {
        pool.submit(run_analysis, gate, provider, stop=stop, **options): index
        for index, (gate, provider) in enumerate(zip(gates, providers, strict=True))
    }
    runs: dict[int, AnalysisRun] = {}
    try:
        for future in as_completed(futures):
            run = future.result()
            runs[futures[future]] = run
            if settle(gate_result(run)) == "fail":
                break
    finally:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
    return [runs[index] for index in sorted(runs)]


def _wait(
    until: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    stop: threading.Event | None,
) -> bool:
    """Sleep until ``until``; ``True`` when ``stop`` was set meanwhile."""
    while True:
        if stop is not None and stop.is_set():
            return True
        wait = until - clock()
        if wait <= 0:
            return False
        sleep(wait if stop is None else min(wait, 1.0))


def gate_result(run: AnalysisRun, *, finished: bool = True) -> GateResult:
    """What :mod:`releasegate.rollout.verdict` needs of a run: its status and reason.

    :param finished: whether the run got to the end of its window; a run stopped early by
        another gate's failure without a failure of its own is still ``running``.
    """
    from releasegate.rollout.verdict import GateResult

    at = run.intervals[-1].time if run.intervals else None
    if run.failed:
        reason = run.verdict.reason if run.verdict else "failed"
        return GateResult(run.gate.name, "fail", reason, run.gate.on_inconclusive, at)
    if run.provider_failure:
        return GateResult(
            run.gate.name, "error", run.provider_failure, run.gate.on_inconclusive, at
        )
    if run.verdict is None:
        if not finished:
            return GateResult(
                run.gate.name, "running", "no interval analysed yet", run.gate.on_inconclusive, at
            )
        return GateResult(
            run.gate.name, "inconclusive", "no interval was analysed", run.gate.on_inconclusive, at
        )
    outcome = run.verdict.outcome
    if outcome == "inconclusive" or (finished and outcome == "continue"):
        return GateResult(
            run.gate.name, "inconclusive", run.verdict.reason, run.gate.on_inconclusive, at
        )
    if not finished:
        return GateResult(
            run.gate.name, "running", run.verdict.reason, run.gate.on_inconclusive, at
        )
    return GateResult(run.gate.name, "pass", run.verdict.reason, run.gate.on_inconclusive, at)


def _line(label: str, gate: Gate, report: IntervalReport, total: int) -> str:
    head = f"{label} {gate.name} [{report.index}/{max(total, report.index)}] {_clock_text(report.time)}"
    text = f"{head} {report.outcome}: {report.reason}"
    if report.provider_errors and report.provider_errors[0] not in report.reason:
        text += f" (provider: {report.provider_errors[0]})"
    return " ".join(text.split())


def _requirements(run: AnalysisRun) -> tuple[Requirement, ...]:
    out: list[Requirement] = []
    if run.verdict is not None:
        out.extend(run.verdict.to_requirements())
    if run.provider_failure:
        out.append(
            Requirement(
                name=f"gate {run.gate.name} provider",
                status="error",
                reason=run.provider_failure,
                expected="answers from the provider",
            )
        )
    return tuple(out)


def analysis_decision(
    run: AnalysisRun,
    *,
    subject: Subject,
    time: datetime,
    policy_sha256: str | None = None,
    policy_path: str | None = None,
    kind: str = "analysis",
    extra_outputs: Mapping[str, str] | None = None,
) -> Decision:
    """The Decision for a finished analysis (pure).

    Outcome ``pass``/``fail``/``inconclusive``, or ``error`` when a provider failure
    prevented a decision; the reason is the gate's last reason, or that failure.
    """
    if run.verdict is None:
        reason = f"gate {run.gate.name}: no interval was analysed"
    elif run.provider_failure and run.outcome != "fail":
        reason = f"gate {run.gate.name}: no decision, the provider failed: {run.provider_failure}"
    else:
        reason = f"gate {run.gate.name}: {run.verdict.reason}"
    outputs: dict[str, Any] = {
        "gate": run.gate.name,
        "intervals": str(judged_intervals(run)),
        **(dict(extra_outputs) if extra_outputs else {}),
    }
    if run.provider_failure:
        outputs["provider-error"] = "true"
    return Decision(
        kind=kind,
        outcome="error" if run.provider_failure and run.outcome != "fail" else run.outcome,
        reason=reason,
        subject=subject,
        time=time,
        requirements=_requirements(run),
        policy_sha256=policy_sha256,
        policy_path=policy_path,
        outputs=outputs,
    )


def judged_intervals(run: AnalysisRun) -> int:
    """How many intervals since the deploy the final verdict was reached on: a one-off review
    of 20 intervals is 20, not the 1 evaluation that read them."""
    seen = [len(data.observations) for data in metric_data(run).values()]
    return max([len(run.intervals), *seen])


def metric_data(run: AnalysisRun) -> Mapping[str, MetricData]:
    """The data the final verdict was reached on (empty when nothing ran)."""
    return run.collected.data if run.collected is not None else {}
