"""The typed policy: frozen dataclasses built from a validated ``releasegate.yml`` (pure).

Nothing outside ``releasegate.policy`` sees the raw YAML; every consumer reads
these objects. Durations are seconds (float); ``location`` is the ``(line,
column)`` of the element in the policy file, 1-based, for messages and
annotations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Location = tuple[int, int]

JUDGES = ("threshold", "anomaly", "ratio", "compare", "sequential")


@dataclass(frozen=True)
class Validation:
    """A named proof that a build is good, read from a report or a CI check.

    :param kind: one of ``check``, ``junit``, ``coverage``, ``sarif``, ``trivy``, ``audit``.
    :param source: the CI check/job name for ``check``; a path or glob for report kinds.
    :param min_tests: ``junit`` only: the least number of tests that must have run.
    :param min_coverage: ``coverage`` only: least line coverage in percent.
    :param min_branch_coverage: ``coverage`` only: least branch coverage in percent.
    :param max_severity: ``sarif``/``trivy``/``audit``: the highest severity tolerated.
    :param unknown_severity: ``sarif``/``trivy``/``audit``: the severity a finding without one
        counts as; ``None`` ranks it above critical, so no ceiling tolerates it.
    :param allow_skipped: ``audit`` only: dependencies the audit skipped do not fail it.
    :param allow_conclusions: ``check`` only: check-run conclusions besides success that pass
        (``neutral``, ``skipped``).
    :param wait: ``check`` only: seconds ``promote`` waits for the check while it is running.
    """

    name: str
    kind: str
    source: str
    min_tests: int | None = None
    min_coverage: float | None = None
    min_branch_coverage: float | None = None
    max_severity: str | None = None
    location: Location | None = None
    unknown_severity: str | None = None
    allow_skipped: bool = False
    allow_conclusions: tuple[str, ...] = ()
    wait: float = 0.0


@dataclass(frozen=True)
class ApprovalRule:
    """``count`` distinct approvers, from ``group`` when it is set, else from anyone."""

    count: int
    group: str | None = None


@dataclass(frozen=True)
class Freeze:
    """A period in which nothing is promoted; ``start``/``end`` are ISO dates or datetimes,
    ``end`` inclusive when it is a date."""

    start: str
    end: str
    reason: str | None = None


@dataclass(frozen=True)
class Criterion:
    """A criteria expression as written, e.g. ``coverage >= 80``."""

    text: str
    location: Location | None = None


@dataclass(frozen=True)
class Requires:
    """What an environment requires before a build may enter it."""

    from_env: str | None = None
    soak: float | None = None
    validations: tuple[str, ...] = ()
    approvals: tuple[ApprovalRule, ...] = ()
    approvals_expire: float | None = None
    allow_self_approval: bool = False
    approvals_from: Literal["any", "platform"] = "any"
    criteria: tuple[Criterion, ...] = ()
    windows: tuple[str, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    break_glass: bool = True
    drift: Literal["clean"] | None = None
    stale_after: float = 3600.0


@dataclass(frozen=True)
class Advance:
    """How far a passing step advances: ``by`` points when ``when`` holds over the step's latest
    metric values, else ``otherwise`` (:mod:`releasegate.rollout.adaptive`).

    :param when: a criteria expression; metric names with dashes as underscores.
    """

    by: float
    when: str
    otherwise: float


@dataclass(frozen=True)
class CanaryStep:
    """One canary step: send ``weight`` percent of traffic, then analyse ``gates`` for ``pause``.

    :param advance: the adaptive rule of this step, if any.
    :param origin: index of the policy step this one comes from (steps filled in by an
        ``advance`` rule share their step's origin); ``None`` before planning.
    """

    weight: float
    pause: float | None = None
    gates: tuple[str, ...] = ()
    location: Location | None = None
    advance: Advance | None = None
    origin: int | None = None


@dataclass(frozen=True)
class Router:
    """How a canary's weight is set: Argo Rollouts' kubectl plugin (``argo-rollouts``, the
    default), a command template with ``{weight}``, ``{service}``, ``{env}`` tokens
    (``command``), or another router plugin by ``kind``."""

    kind: str = "argo-rollouts"
    command: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    allow_shell: bool = False


@dataclass(frozen=True)
class Adaptive:
    """Adaptive stepping: skip ahead while the canary is clearly healthy under enough traffic."""

    enabled: bool = False
    min_requests: int = 1000
    max_skip: int = 1


@dataclass(frozen=True)
class Canary:
    steps: tuple[CanaryStep, ...]
    router: Router | None = None
    adaptive: Adaptive = field(default_factory=Adaptive)


@dataclass(frozen=True)
class Rollback:
    """What happens after full rollout: keep watching ``gates`` for ``window``; roll back on failure.

    :param command: optional shell template run to roll back (``{rollback_to}``, ``{env}``...).
    :param allow_shell: placeholders may stand in a shell's script (``sh -c '... {sha}'``),
        with values restricted to characters no shell treats specially.
    :param mode: ``report`` names the target only; ``deploy`` asks the platform to redeploy it;
        ``None`` (not set) leaves the choice to the platform (:meth:`Platform.rollback_mode`).
    """

    on_failure: bool = True
    window: float | None = None
    gates: tuple[str, ...] = ()
    command: str | None = None
    mode: Literal["report", "deploy"] | None = None
    allow_shell: bool = False


@dataclass(frozen=True)
class Environment:
    name: str
    requires: Requires = field(default_factory=Requires)
    production: bool = False
    canary: Canary | None = None
    rollback: Rollback | None = None
    location: Location | None = None

    @property
    def strategy(self) -> str:
        return "canary" if self.canary else "direct"


@dataclass(frozen=True)
class Metric:
    """One metric of a gate and its judge.

    :param query: PromQL with ``{variant}``, ``{service}``, ``{env}``, ``{interval}`` tokens.
    :param count_query: optional PromQL for the requests (or sessions) behind a rate.
    :param judge: ``threshold``, ``anomaly``, ``ratio``, ``compare`` or ``sequential``.
    :param direction: which change is bad: ``increase``, ``decrease`` or ``either``.
    :param fail_if: threshold: ``(operator, value)`` from ``"> 0.05"``.
    :param hold_for: threshold: seconds the condition must hold (``for: 3m``).
    :param aggregate: threshold: ``(function, seconds)`` from ``"mean over 3m"``.
    :param kind: sequential: ``rate`` (a fraction of counted events, judged on the counts),
        ``level`` (a positive level such as a latency quantile, judged on log ratios), or
        ``auto`` (``rate`` when ``count_query`` is set, else ``level``).
    :param threshold: sequential: the CUSUM alarm level in nats; default from ``alpha``.
    :param quantile: sequential, level: the quantile the query measures (``0.99`` for a p99),
        from ``quantile:`` or a ``histogram_quantile(0.99, ...)`` in the query; with request
        counts it sets the small-sample bias and spread of the value. ``None``: a mean-like level.
    """

    name: str
    query: str
    judge: str
    count_query: str | None = None
    direction: Literal["increase", "decrease", "either"] = "increase"
    alpha: float = 0.01
    fail_if: tuple[str, float] | None = None
    hold_for: float | None = None
    aggregate: tuple[str, float] | None = None
    sigma: float = 2.0
    history: float = 3600.0
    min_ratio: float | None = None
    max_ratio: float | None = None
    tolerance: float = 0.25
    confidence: float = 0.98
    effect: float | None = None
    lookback: int = 10
    kind: Literal["auto", "rate", "level"] = "auto"
    threshold: float | None = None
    quantile: float | None = None
    location: Location | None = None


def sequential_kind(kind: str, count_query: str | None) -> str:
    """``rate`` or ``level``: a sequential metric's ``kind``, or with ``auto`` from whether it
    has a ``count_query``."""
    if kind != "auto":
        return kind
    return "rate" if count_query else "level"


@dataclass(frozen=True)
class Gate:
    """A named metric analysis, run every ``interval`` seconds."""

    name: str
    provider: str
    metrics: tuple[Metric, ...]
    address: str | None = None
    interval: float = 60.0
    variants: dict[str, str] = field(
        default_factory=lambda: {"canary": "canary", "baseline": "stable"}
    )
    failure_limit: int = 0
    inconclusive_limit: int = 0
    min_samples: int = 1
    min_requests: int = 0
    on_inconclusive: Literal["fail", "pause", "pass"] = "fail"
    error_limit: int = 4
    headers: dict[str, str] = field(default_factory=dict)
    bearer_token: str | None = None
    basic_auth: tuple[str, str] | None = None
    ca_file: str | None = None
    timeout: float = 10.0
    retries: int = 3
    max_response_bytes: int = 16 * 1024 * 1024
    location: Location | None = None


@dataclass(frozen=True)
class DependencyCache:
    """A dependency cache listed explicitly (``cache.dependencies`` as a list)."""

    ecosystem: str
    lockfiles: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class DockerCache:
    backend: Literal["registry", "gha", "local", "s3", "inline"]
    ref: str | None = None
    mode: Literal["min", "max"] = "min"
    scope: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    size_estimate: float | None = None


@dataclass(frozen=True)
class KanikoCache:
    repo: str
    ttl: float | None = None
    copy_layers: bool = False
    fork: str | None = None


@dataclass(frozen=True)
class BazelCache:
    remote_cache: str | None = None
    instance_name: str | None = None
    disk_cache: str | None = None
    header_env: str | None = None


@dataclass(frozen=True)
class Concurrency:
    group: str
    max_parallel: int = 1


@dataclass(frozen=True)
class Cache:
    """The build-cache policy; ``dependencies`` is ``"auto"`` or an explicit tuple."""

    write_on: tuple[str, ...] = ("default", "tags")
    dependencies: Literal["auto", "none"] | tuple[DependencyCache, ...] = "auto"
    per_directory: bool = False
    prefix: str = "releasegate"
    docker: DockerCache | None = None
    kaniko: KanikoCache | None = None
    bazel: BazelCache | None = None
    concurrency: Concurrency | None = None


@dataclass(frozen=True)
class DriftAllow:
    path: str
    reason: str


@dataclass(frozen=True)
class Drift:
    """Per-environment configuration files (globs) and the paths allowed to differ."""

    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    allow: tuple[DriftAllow, ...] = ()


@dataclass(frozen=True)
class Policy:
    """A validated ``releasegate.yml``.

    :param path: the file it was read from, as given.
    :param sha256: hash of the file's bytes, recorded with every decision.
    """

    version: int
    path: str
    sha256: str
    service: str | None = None
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    validations: dict[str, Validation] = field(default_factory=dict)
    environments: tuple[Environment, ...] = ()
    gates: dict[str, Gate] = field(default_factory=dict)
    cache: Cache | None = None
    drift: Drift | None = None

    def environment(self, name: str) -> Environment:
        """Return the environment called ``name``; :class:`KeyError` when there is none."""
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)

    def previous(self, name: str) -> Environment | None:
        """The environment a build comes from before ``name``: ``from:``, else the one before."""
        env = self.environment(name)
        if env.requires.from_env:
            return self.environment(env.requires.from_env)
        index = self.environments.index(env)
        return self.environments[index - 1] if index else None
