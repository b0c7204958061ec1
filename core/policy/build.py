"""From validated policy data to the typed :class:`~releasegate.policy.model.Policy` (pure).

Runs the checks a schema cannot express: references between sections,
durations, criteria, windows, thresholds, canary weights and query tokens.
Every problem is collected with its document path; none stops the others.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from releasegate.durations import DurationError, parse_duration
from releasegate.evidence.model import FACTS
from releasegate.placeholders import (
    CONTEXTS,
    check_query_value,
    executable_problem,
    shell_problem,
    tokens_in,
)
from releasegate.policy.model import (
    JUDGES,
    Adaptive,
    Advance,
    ApprovalRule,
    BazelCache,
    Cache,
    Canary,
    CanaryStep,
    Concurrency,
    Criterion,
    DependencyCache,
    DockerCache,
    Drift,
    DriftAllow,
    Environment,
    Freeze,
    Gate,
    KanikoCache,
    Metric,
    Policy,
    Requires,
    Rollback,
    Router,
    Validation,
    sequential_kind,
)
from releasegate.policy.schema import did_you_mean

Path = tuple[str | int, ...]
T = TypeVar("T")

QUERY_TOKENS = CONTEXTS["query"]
_CONDITION = re.compile(
    r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*$", re.ASCII
)
_HISTOGRAM_QUANTILE = re.compile(r"histogram_quantile\s*\(\s*(0?\.\d+|1(?:\.0*)?|0)\s*,")
_AGGREGATE = re.compile(r"^\s*(mean|avg|max|min|median|sum|p\d{1,2})\s+over\s+(\S+)\s*$", re.ASCII)
VALIDATION_SOURCES = ("check", "junit", "coverage", "sarif", "trivy", "audit")
#: Largest absolute value of any number in a policy (the criteria language's literal limit too).
MAX_NUMBER = 1e15


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _present(items: dict[str, T | None]) -> dict[str, T]:
    return {k: v for k, v in items.items() if v is not None}


class Builder:
    """Builds a Policy; problems collect in :attr:`problems` as ``(path, message)``."""

    def __init__(
        self, path: str, sha256: str, judges: Callable[[], Iterable[str]] | None = None
    ) -> None:
        self.path = path
        self.sha256 = sha256
        self._plugin_judges = judges
        self._known_judges: tuple[str, ...] | None = None
        self.problems: list[tuple[Path, str]] = []
        self.locate: Callable[[Path], tuple[int, int] | None] = lambda _p: None
        #: Paths the schema already rejected; an element failing to build under one is not reported twice.
        self.rejected: set[Path] = set()

    def problem(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def duration(self, value: Any, path: Path) -> float | None:
        if value is None or (isinstance(value, float) and not abs(value) <= MAX_NUMBER):
            return None  # numbers() reports NaN, infinities and numbers too large
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.problem(path, str(exc))
            return None

    def check(self, parse: Callable[[str], T], text: str, path: Path, what: str) -> T | None:
        try:
            return parse(text)
        except ValueError as exc:
            message = str(exc)
            self.problem(
                path, message if message.startswith(what) else f"{what} {text!r}: {message}"
            )
            return None

    def tokens(
        self, text: str, allowed: tuple[str, ...], path: Path, policy_service: str | None
    ) -> None:
        for name in dict.fromkeys(tokens_in(text)):
            if name not in allowed:
                self.problem(
                    path,
                    f"unknown placeholder {{{name}}}{did_you_mean(name, allowed)}"
                    f" (known: {', '.join('{' + a + '}' for a in allowed)})",
                )
            elif name == "service" and not policy_service:
                self.problem(path, "uses {service} but the policy sets no top-level 'service:'")

    def query_values(self, text: str, values: dict[str, str], path: Path) -> None:
        """The policy's own values (``service:``, ``variants:``) must fit where the query puts them."""
        for name, value in values.items():
            problem = check_query_value(text, name, value)
            if problem:
                self.problem(path, problem)

    def command(self, raw: dict[str, Any], context: str, path: Path, service: str | None) -> None:
        """Tokens of ``raw["command"]`` known to ``context``, and none inside a shell's script
        unless ``allow_shell: true``."""
        self.tokens(raw["command"], CONTEXTS[context], (*path, "command"), service)
        try:
            words = shlex.split(raw["command"])
        except ValueError as exc:
            self.problem((*path, "command"), f"{exc}; check the quotes")
            return
        wrong = executable_problem(words)
        if wrong:
            self.problem((*path, "command"), wrong)
        problem = shell_problem(words)
        if problem and not raw.get("allow_shell"):
            self.problem(
                (*path, "command"),
                f"{problem}; pass the values as arguments after the script"
                " (sh -c 'kubectl ... \"$1\"' sh {service}) or set allow_shell: true",
            )

    # -- sections ----------------------------------------------------------------------------

    def guard(self, where: Path, build: Callable[..., T], *args: Any) -> T | None:
        """Build one element; ``None`` when its shape is wrong.

        The schema has usually said why; when it has not, the element is reported here, so a
        value the builder cannot read never silently removes an environment, gate or validation.
        """
        try:
            return build(*args)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError):
            if not any(path[: len(where)] == where for path in self.rejected):
                self.problem(
                    where, "this entry has a value of the wrong kind or size; check its fields"
                )
            return None

    def numbers(self, data: Any) -> None:
        """Refuse NaN, infinities and numbers beyond :data:`MAX_NUMBER` anywhere in the policy."""
        stack: list[tuple[Path, Any]] = [((), data)]
        while stack:
            path, value = stack.pop()
            if isinstance(value, dict):
                stack += [((*path, key), item) for key, item in value.items()]
            elif isinstance(value, list):
                stack += [((*path, index), item) for index, item in enumerate(value)]
            elif isinstance(value, float) and not math.isfinite(value):
                self.problem(
                    path, f"{value!r} is not a number a policy can use: write a finite number"
                )
            elif (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and abs(value) > MAX_NUMBER
            ):
                self.problem(path, f"number too large: at most {MAX_NUMBER:g}")

    def build(self, data: dict[str, Any]) -> Policy:
        self.numbers(data)
        service = data.get("service") if isinstance(data.get("service"), str) else None
        groups = {k: tuple(v) for k, v in _mapping(data, "groups").items() if isinstance(v, list)}
        validations = _present(
            {
                name: self.guard(("validations", name), self.validation, name, raw)
                for name, raw in _mapping(data, "validations").items()
            }
        )
        gates = _present(
            {
                name: self.guard(("gates", name), self.gate, name, raw, service)
                for name, raw in _mapping(data, "gates").items()
            }
        )
        listed = data.get("environments")
        raw_envs: list[Any] = listed if isinstance(listed, list) else []
        environments = tuple(
            e
            for e in (
                self.guard(("environments", i), self.environment, i, raw, service)
                for i, raw in enumerate(raw_envs)
            )
            if e is not None
        )
        self.cross_check(environments, validations, gates, groups)
        cache = (
            self.guard(("cache",), self.cache, data["cache"], service)
            if data.get("cache")
            else None
        )
        drift = (
            self.guard(("drift",), self.drift, data["drift"], [e.name for e in environments])
            if data.get("drift")
            else None
        )
        return Policy(
            version=data.get("version", 1),
            path=self.path,
            sha256=self.sha256,
            service=service,
            groups=groups,
            validations=validations,
            environments=environments,
            gates=gates,
            cache=cache,
            drift=drift,
        )

    def validation(self, name: str, raw: dict[str, Any]) -> Validation:
        path: Path = ("validations", name)
        kinds = [k for k in VALIDATION_SOURCES if k in raw]
        if len(kinds) != 1:
            found = f"got {', '.join(kinds)}" if kinds else "got none"
            self.problem(path, f"needs exactly one of {', '.join(VALIDATION_SOURCES)}; {found}")
        kind = kinds[0] if kinds else "check"
        rules = {
            "min_tests": ("junit",),
            "min": ("coverage",),
            "min_branch": ("coverage",),
            "max_severity": ("sarif", "trivy", "audit"),
            "unknown_severity": ("sarif", "trivy", "audit"),
            "allow_skipped": ("audit",),
            "allow_conclusions": ("check",),
            "wait": ("check",),
        }
        for key, kinds_allowed in rules.items():
            if key in raw and kind not in kinds_allowed:
                self.problem(
                    (*path, key), f"{key!r} applies only to {' / '.join(kinds_allowed)} validations"
                )
        return Validation(
            name=name,
            kind=kind,
            source=str(raw.get(kind, "")),
            min_tests=raw.get("min_tests"),
            min_coverage=raw.get("min"),
            min_branch_coverage=raw.get("min_branch"),
            max_severity=raw.get("max_severity"),
            location=self.locate(path),
            unknown_severity=raw.get("unknown_severity"),
            allow_skipped=raw.get("allow_skipped") is True,
            allow_conclusions=tuple(raw.get("allow_conclusions") or ()),
            wait=self.duration(raw.get("wait"), (*path, "wait")) or 0.0,
        )

    def environment(self, index: int, raw: dict[str, Any], service: str | None) -> Environment:
        path: Path = ("environments", index)
        name = raw["name"]
        requires = self.requires(raw.get("requires") or {}, (*path, "requires"))
        strategy = raw.get("strategy") or {}
        canary = (
            self.canary(strategy["canary"], (*path, "strategy", "canary"), service)
            if "canary" in strategy
            else None
        )
        rollback = (
            self.rollback(raw["rollback"], (*path, "rollback"), service)
            if "rollback" in raw
            else None
        )
        return Environment(
            name=name,
            requires=requires,
            production=bool(raw.get("production", name in ("production", "prod"))),
            canary=canary,
            rollback=rollback,
            location=self.locate(path),
        )

    def requires(self, raw: dict[str, Any], path: Path) -> Requires:
        from releasegate import criteria, windows

        approvals_raw = raw.get("approvals", [])
        approvals: tuple[ApprovalRule, ...]
        if isinstance(approvals_raw, int):
            approvals = (ApprovalRule(count=approvals_raw),) if approvals_raw else ()
        else:
            approvals = tuple(
                ApprovalRule(count=a)
                if isinstance(a, int)
                else ApprovalRule(count=a["count"], group=a.get("group"))
                for a in approvals_raw
            )
        crits = []
        for i, text in enumerate(raw.get("criteria", [])):
            self.check(criteria.parse, text, (*path, "criteria", i), "criterion")
            crits.append(Criterion(text=text, location=self.locate((*path, "criteria", i))))
        window = raw.get("window", [])
        window_list = [window] if isinstance(window, str) else list(window)
        for i, text in enumerate(window_list):
            where = (*path, "window") if isinstance(window, str) else (*path, "window", i)
            self.check(windows.parse_window, text, where, "window")
        freezes = []
        for i, item in enumerate(raw.get("freeze", [])):
            try:
                windows.parse_freeze(item["from"], item["to"])
            except ValueError as exc:
                self.problem((*path, "freeze", i), f"freeze {item['from']} .. {item['to']}: {exc}")
            freezes.append(
                Freeze(start=str(item["from"]), end=str(item["to"]), reason=item.get("reason"))
            )
        stale = self.duration(raw.get("stale_after"), (*path, "stale_after"))
        return Requires(
            from_env=raw.get("from"),
            soak=self.duration(raw.get("soak"), (*path, "soak")),
            validations=tuple(raw.get("validations", [])),
            approvals=approvals,
            approvals_expire=self.duration(
                raw.get("approvals_expire"), (*path, "approvals_expire")
            ),
            allow_self_approval=bool(raw.get("allow_self_approval", False)),
            criteria=tuple(crits),
            approvals_from="platform" if raw.get("approvals_from") == "platform" else "any",
            windows=tuple(window_list),
            freezes=tuple(freezes),
            break_glass=bool(raw.get("break_glass", True)),
            drift=raw.get("drift"),
            stale_after=3600.0 if stale is None else stale,
        )

    def canary(self, raw: dict[str, Any], path: Path, service: str | None) -> Canary:
        steps = []
        previous = 0.0
        for i, step in enumerate(raw["steps"]):
            weight = float(step["weight"])
            if weight > 100:
                self.problem(
                    (*path, "steps", i, "weight"),
                    f"a weight is a percentage of traffic, at most 100; got {step['weight']}",
                )
            elif weight <= previous:
                self.problem(
                    (*path, "steps", i, "weight"),
                    f"weights must increase step by step; {step['weight']} follows {previous:g}",
                )
            previous = max(previous, weight)
            steps.append(
                CanaryStep(
                    weight=weight,
                    pause=self.duration(step.get("pause"), (*path, "steps", i, "pause")),
                    gates=tuple(step.get("gates", [])),
                    location=self.locate((*path, "steps", i)),
                    advance=self.advance(step, (*path, "steps", i)),
                )
            )
        router = None
        if "router" in raw:
            r = raw["router"]
            kind = r.get("kind", "command" if "command" in r else "argo-rollouts")
            if kind == "command" and not r.get("command"):
                self.problem(
                    (*path, "router"),
                    "a command router needs 'command:' (e.g. rollout-cli weight "
                    "{service} {weight}); without one, leave kind: out for argo-rollouts",
                )
            if r.get("command"):
                self.command(r, "router", (*path, "router"), service)
            for key, value in (r.get("options") or {}).items():
                self.tokens(
                    str(value),
                    CONTEXTS["router_options"],
                    (*path, "router", "options", key),
                    service,
                )
            router = Router(
                kind=kind,
                command=r.get("command"),
                options={k: str(v) for k, v in (r.get("options") or {}).items()},
                allow_shell=bool(r.get("allow_shell", False)),
            )
        adaptive_raw = raw.get("adaptive") or {}
        adaptive = Adaptive(
            enabled=bool(adaptive_raw.get("enabled", bool(adaptive_raw))),
            min_requests=int(adaptive_raw.get("min_requests", 1000)),
            max_skip=int(adaptive_raw.get("max_skip", 1)),
        )
        return Canary(steps=tuple(steps), router=router, adaptive=adaptive)

    def advance(self, step: dict[str, Any], path: Path) -> Advance | None:
        """A step's ``advance: {by, when, otherwise}``; the names it reads are checked against the
        step's gates in :meth:`advance_names`."""
        raw = step.get("advance")
        if not isinstance(raw, dict):
            return None
        from releasegate import criteria

        self.check(criteria.parse, str(raw["when"]), (*path, "advance", "when"), "condition")
        if not step.get("gates"):
            self.problem(
                (*path, "advance"),
                "an advance rule reads the step's gate metrics; give the step gates",
            )
        return Advance(
            by=float(raw["by"]), when=str(raw["when"]), otherwise=float(raw["otherwise"])
        )

    def advance_names(self, env: Environment, index: int, gates: dict[str, Any]) -> None:
        """An advance condition reading a value none of its step's gates measures would always
        take the slow branch: refuse it."""
        from releasegate import criteria

        for s, step in enumerate(env.canary.steps if env.canary else ()):
            if step.advance is None:
                continue
            known = {
                m.name.replace("-", "_") for g in step.gates if g in gates for m in gates[g].metrics
            }
            try:
                names = criteria.parse(step.advance.when).names
            except criteria.CriteriaError:
                continue
            for name in sorted(names - known):
                self.problem(
                    ("environments", index, "strategy", "canary", "steps", s, "advance", "when"),
                    f"no metric {name!r} among the step's gates{did_you_mean(name, sorted(known))}"
                    f" (known: {', '.join(sorted(known)) or 'none'}; dashes in metric names are underscores)",
                )

    def rollback(self, raw: dict[str, Any], path: Path, service: str | None) -> Rollback:
        if raw.get("command"):
            self.command(raw, "rollback", path, service)
        return Rollback(
            on_failure=bool(raw.get("on_failure", True)),
            window=self.duration(raw.get("window"), (*path, "window")),
            gates=tuple(raw.get("gates", [])),
            command=raw.get("command"),
            mode=raw.get("mode"),
            allow_shell=bool(raw.get("allow_shell", False)),
        )

    def gate(self, name: str, raw: dict[str, Any], service: str | None) -> Gate:
        path: Path = ("gates", name)
        if raw["provider"] == "prometheus" and not raw.get("address"):
            self.problem(
                path,
                "a prometheus gate needs 'address:' (e.g. ${PROMETHEUS_URL:-http://127.0.0.1:9090})",
            )
        metrics = []
        seen: set[str] = set()
        for i, m in enumerate(raw["metrics"]):
            if m["name"] in seen:
                self.problem(
                    (*path, "metrics", i, "name"),
                    f"duplicate metric name {m['name']!r} in gate {name!r}",
                )
            seen.add(m["name"])
            metrics.append(self.metric(m, (*path, "metrics", i), service))
        basic = raw.get("basic_auth")
        variants = {"canary": "canary", "baseline": "stable", **(raw.get("variants") or {})}
        for i, m in enumerate(raw["metrics"]):
            for key in ("query", "count_query"):
                for value in variants.values() if isinstance(m.get(key), str) else ():
                    if isinstance(value, str):
                        self.query_values(m[key], {"variant": value}, (*path, "metrics", i, key))
        interval = self.duration(raw.get("interval", "1m"), (*path, "interval"))
        timeout = self.duration(raw.get("timeout", "10s"), (*path, "timeout"))
        return Gate(
            name=name,
            provider=raw["provider"],
            metrics=tuple(metrics),
            address=raw.get("address"),
            interval=interval or 60.0,
            variants=variants,
            failure_limit=int(raw.get("failure_limit", 0)),
            inconclusive_limit=int(raw.get("inconclusive_limit", 0)),
            error_limit=int(raw.get("error_limit", 4)),
            min_samples=int(raw.get("min_samples", 1)),
            min_requests=int(raw.get("min_requests", 0)),
            on_inconclusive=raw.get("on_inconclusive", "fail"),
            headers=dict(raw.get("headers") or {}),
            bearer_token=raw.get("bearer_token"),
            basic_auth=(basic["username"], basic["password"]) if basic else None,
            ca_file=raw.get("ca_file"),
            timeout=timeout or 10.0,
            retries=int(raw.get("retries", 3)),
            max_response_bytes=int(raw.get("max_response_bytes", 16 * 1024 * 1024)),
            location=self.locate(path),
        )

    def known_judges(self) -> tuple[str, ...]:
        """Built-in judges and, asked only when a policy names another one, the plugins'."""
        if self._known_judges is None:
            more = tuple(self._plugin_judges()) if self._plugin_judges else ()
            self._known_judges = JUDGES + tuple(name for name in more if name not in JUDGES)
        return self._known_judges

    def metric(self, raw: dict[str, Any], path: Path, service: str | None) -> Metric:
        judge = raw["judge"]
        if judge not in JUDGES and judge not in self.known_judges():
            known = self.known_judges()
            self.problem(
                (*path, "judge"),
                f"unknown judge {judge!r}{did_you_mean(judge, known)} (known: {', '.join(known)})",
            )
        for key in ("query", "count_query"):
            if raw.get(key):
                self.tokens(raw[key], QUERY_TOKENS, (*path, key), service)
                self.query_values(raw[key], {"service": service} if service else {}, (*path, key))
        fail_if = None
        if "fail_if" in raw:
            match = _CONDITION.match(raw["fail_if"])
            if not match:
                self.problem(
                    (*path, "fail_if"),
                    f"expected a condition such as '> 0.05' or '>= 500', got {raw['fail_if']!r}",
                )
            else:
                value = float(match.group(2)) / (100 if match.group(3) else 1)
                if math.isfinite(value) and abs(value) <= MAX_NUMBER:
                    fail_if = (match.group(1), value)
                else:
                    self.problem((*path, "fail_if"), f"number too large: at most {MAX_NUMBER:g}")
        aggregate = None
        if "aggregate" in raw:
            match = _AGGREGATE.match(raw["aggregate"])
            seconds = self.duration(match.group(2), (*path, "aggregate")) if match else None
            if not match:
                self.problem(
                    (*path, "aggregate"),
                    f"expected '<mean|max|min|median|sum|pNN> over <duration>', got "
                    f"{raw['aggregate']!r}",
                )
            elif seconds is not None:
                aggregate = (match.group(1).replace("avg", "mean"), seconds)
        if judge == "threshold" and fail_if is None and "fail_if" not in raw:
            self.problem(path, "a threshold judge needs 'fail_if:' (e.g. \"> 0.05\")")
        if judge == "ratio" and "min_ratio" not in raw and "max_ratio" not in raw:
            self.problem(path, "a ratio judge needs 'min_ratio:' or 'max_ratio:'")
        for key, judges in (
            ("fail_if", ("threshold",)),
            ("for", ("threshold",)),
            ("aggregate", ("threshold",)),
            ("sigma", ("anomaly",)),
            ("min_ratio", ("ratio",)),
            ("max_ratio", ("ratio",)),
            ("kind", ("sequential",)),
            ("threshold", ("sequential",)),
            ("quantile", ("sequential",)),
        ):
            if key in raw and judge not in judges:
                self.problem(
                    (*path, key),
                    f"{key!r} applies only to the {' / '.join(judges)} judge, not {judge}",
                )
        quantile = self.quantile(raw, path)
        return Metric(
            name=raw["name"],
            query=raw["query"],
            judge=judge,
            count_query=raw.get("count_query"),
            direction=raw.get("direction", "decrease" if judge == "ratio" else "increase"),
            alpha=float(raw.get("alpha", 0.01)),
            fail_if=fail_if,
            hold_for=self.duration(raw.get("for"), (*path, "for")),
            aggregate=aggregate,
            sigma=float(raw.get("sigma", 2.0)),
            history=self.duration(raw.get("history", "1h"), (*path, "history")) or 3600.0,
            min_ratio=raw.get("min_ratio"),
            max_ratio=raw.get("max_ratio"),
            tolerance=float(raw.get("tolerance", 0.25)),
            confidence=float(raw.get("confidence", 0.98)),
            effect=raw.get("effect"),
            lookback=int(raw.get("lookback", 10)),
            kind=raw.get("kind", "auto"),
            threshold=raw.get("threshold"),
            quantile=quantile,
            location=self.locate(path),
        )

    def quantile(self, raw: dict[str, Any], path: Path) -> float | None:
        """The quantile a sequential level metric measures: ``quantile:``, else the one of a
        ``histogram_quantile(q, ...)`` in its query, else ``None`` (a mean-like level)."""
        if raw.get("judge") != "sequential":
            return None
        rate = sequential_kind(raw.get("kind", "auto"), raw.get("count_query")) == "rate"
        if "quantile" in raw:
            if rate:
                self.problem(
                    (*path, "quantile"),
                    "'quantile' applies to level metrics (kind: level), "
                    "not to a rate; remove it or set kind: level",
                )
            return float(raw["quantile"])
        found = {float(q) for q in _HISTOGRAM_QUANTILE.findall(raw.get("query", ""))}
        if rate or len(found) != 1:
            return None
        q = found.pop()
        return q if 0.0 < q < 1.0 else None

    def cross_check(
        self,
        environments: tuple[Environment, ...],
        validations: dict[str, Validation],
        gates: dict[str, Gate],
        groups: dict[str, tuple[str, ...]],
    ) -> None:
        names: dict[str, int] = {}
        for i, env in enumerate(environments):
            if env.name in names:
                self.problem(
                    ("environments", i, "name"),
                    f"duplicate environment {env.name!r} (also environments[{names[env.name]}])",
                )
            names.setdefault(env.name, i)
        for i, env in enumerate(environments):
            req: Path = ("environments", i, "requires")
            source = env.requires.from_env
            if source is not None:
                if source not in names:
                    self.problem(
                        (*req, "from"),
                        f"unknown environment {source!r}{did_you_mean(source, names)}",
                    )
                elif names[source] >= i:
                    self.problem(
                        (*req, "from"),
                        f"{source!r} must come before {env.name!r} in the promotion path",
                    )
            for j, name in enumerate(env.requires.validations):
                if name not in validations:
                    self.problem(
                        (*req, "validations", j),
                        f"unknown validation {name!r}{did_you_mean(name, validations)}",
                    )
            for j, rule in enumerate(env.requires.approvals):
                if rule.group and not rule.group.startswith("team:") and rule.group not in groups:
                    self.problem(
                        (*req, "approvals", j, "group"),
                        f"unknown group {rule.group!r}{did_you_mean(rule.group, groups)} (define it under "
                        f"'groups:' or write team:ORG/NAME)",
                    )
            self.criteria_data(env, i, validations)
            references: list[tuple[Path, str]] = []
            if env.canary:
                for s, step in enumerate(env.canary.steps):
                    references += [
                        (("environments", i, "strategy", "canary", "steps", s, "gates", g), name)
                        for g, name in enumerate(step.gates)
                    ]
            if env.rollback:
                references += [
                    (("environments", i, "rollback", "gates", g), name)
                    for g, name in enumerate(env.rollback.gates)
                ]
            for where, name in references:
                if name not in gates:
                    self.problem(where, f"unknown gate {name!r}{did_you_mean(name, gates)}")
            self.advance_names(env, i, gates)

    def criteria_data(
        self, env: Environment, index: int, validations: dict[str, Validation]
    ) -> None:
        """A criterion reading a fact no validation of ``env`` provides can never hold: refuse it."""
        from releasegate import criteria

        facts: set[str] = set()
        prefixed: set[str] = set()
        for name in env.requires.validations:
            validation = validations.get(name)
            if validation is not None:
                kind_facts = FACTS.get(validation.kind, ())
                facts.update(kind_facts)
                prefixed.update(f"{name.replace('-', '_')}.{fact}" for fact in kind_facts)
        for j, criterion in enumerate(env.requires.criteria):
            try:
                names = criteria.parse(criterion.text).names
            except criteria.CriteriaError:
                continue  # requires() reported it
            lacking = sorted(names - facts - prefixed)
            if lacking:
                hint = (
                    f"its validations provide {', '.join(sorted(facts))}"
                    if facts
                    else "it lists no report validation (junit, coverage, sarif, trivy, audit)"
                )
                self.problem(
                    ("environments", index, "requires", "criteria", j),
                    f"no validation of {env.name!r} provides {', '.join(lacking)}"
                    f"{did_you_mean(lacking[0], sorted(facts | prefixed))}; {hint}",
                )

    def cache(self, raw: dict[str, Any], raw_service: str | None) -> Cache:
        deps_raw = raw.get("dependencies", "auto")
        deps: Any = (
            deps_raw
            if isinstance(deps_raw, str)
            else tuple(
                DependencyCache(
                    ecosystem=d["ecosystem"],
                    lockfiles=tuple(d.get("lockfiles", [])),
                    paths=tuple(d.get("paths", [])),
                )
                for d in deps_raw
            )
        )
        docker = None
        if raw.get("docker"):
            d = raw["docker"]
            if d["backend"] == "registry" and not d.get("ref"):
                self.problem(
                    ("cache", "docker"), "a registry cache needs 'ref:' (the cache image reference)"
                )
            if d["backend"] == "s3":
                lacking = [k for k in ("bucket", "region") if k not in (d.get("options") or {})]
                if lacking:
                    self.problem(
                        ("cache", "docker", "options"),
                        f"an s3 cache needs options {' and '.join(lacking)} (e.g. bucket: ci-cache, region: "
                        f"eu-west-1)",
                    )
            size = None
            if d.get("size_estimate"):
                size = self.size(d["size_estimate"], ("cache", "docker", "size_estimate"))
            docker = DockerCache(
                backend=d["backend"],
                ref=d.get("ref"),
                mode=d.get("mode", "min"),
                scope=d.get("scope"),
                options=dict(d.get("options") or {}),
                size_estimate=size,
            )
        kaniko = None
        if raw.get("kaniko"):
            k = raw["kaniko"]
            kaniko = KanikoCache(
                repo=k["repo"],
                ttl=self.duration(k.get("ttl"), ("cache", "kaniko", "ttl")),
                copy_layers=bool(k.get("copy_layers", False)),
                fork=k.get("fork"),
            )
        bazel = None
        if raw.get("bazel"):
            b = raw["bazel"]
            bazel = BazelCache(
                remote_cache=b.get("remote_cache"),
                instance_name=b.get("instance_name"),
                disk_cache=b.get("disk_cache"),
                header_env=b.get("header_env"),
            )
        concurrency = None
        if raw.get("concurrency"):
            c = raw["concurrency"]
            self.tokens(
                c["group"], CONTEXTS["concurrency"], ("cache", "concurrency", "group"), raw_service
            )
            concurrency = Concurrency(group=c["group"], max_parallel=int(c.get("max_parallel", 1)))
        write_on = tuple(raw.get("write_on", ("default", "tags")))
        for i, entry in enumerate(write_on):
            if entry.startswith("refs/"):
                self.problem(
                    ("cache", "write_on", i),
                    f"write_on takes branch names or globs, 'default', "
                    f"'tags' or 'pull_requests', not a full ref: write {entry.split('/', 2)[-1]!r}",
                )
        return Cache(
            write_on=write_on,
            dependencies=deps,
            per_directory=bool(raw.get("per_directory", False)),
            prefix=raw.get("prefix", "releasegate"),
            docker=docker,
            kaniko=kaniko,
            bazel=bazel,
            concurrency=concurrency,
        )

    def size(self, text: str, path: Path) -> float | None:
        from releasegate.cache.tools import parse_size

        try:
            return parse_size(str(text))
        except ValueError as exc:
            self.problem(path, str(exc))
            return None

    def drift(self, raw: dict[str, Any], environments: list[str]) -> Drift:
        files = {}
        for env, value in (raw.get("files") or {}).items():
            if env not in environments:
                self.problem(
                    ("drift", "files", env),
                    f"unknown environment {env!r}{did_you_mean(env, environments)}",
                )
            files[env] = (value,) if isinstance(value, str) else tuple(value)
        allow = tuple(DriftAllow(path=a["path"], reason=a["reason"]) for a in raw.get("allow", []))
        return Drift(files=files, allow=allow)
