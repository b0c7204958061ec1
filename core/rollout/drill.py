"""The rollback drill: would a rollback of an environment work now? (checks pure, I/O injected)

Four checks, one requirement line each (or more): a rollback target that names an
artifact; every gate of the environment reachable and answering for each selector
over the last interval (an empty answer means the gate could never fail); the
traffic router's and rollback command's executables present, their command lines
shown, and run against a test target only when asked; and the platform's word on
whether this run's credentials could roll back. The checks judge values; the
provider, ``which``, the command runner and the platform are handed in.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from releasegate.errors import ProviderError, ReleasegateError
from releasegate.model import Decision, Requirement, Subject
from releasegate.placeholders import PlaceholderError, render_command
from releasegate.policy.model import Environment, Gate, Policy
from releasegate.providers import MetricProvider, Points
from releasegate.records import Deployment
from releasegate.rollout.collect import QuerySpec, plan_queries

__all__ = [
    "DrillTools",
    "access_requirement",
    "command_requirement",
    "drill_decision",
    "gate_requirements",
    "render_rollback_command",
    "run_drill",
    "target_requirement",
]

Answer = Points | ProviderError


def target_requirement(
    environment: str, target: Deployment | None, artifact: str | None = None
) -> Requirement:
    """A rollback target exists and names an artifact (its commit and a version or digest, or
    ``artifact``: what the platform's rollback redeploys, such as a GitLab deploy job)."""
    name = "rollback target"
    expected = "an earlier successful deployment with its commit and version or digest"
    if target is None:
        return Requirement(
            name=name,
            status="fail",
            expected=expected,
            observed="none",
            reason=f"no earlier successful deployment of {environment} to roll back to",
        )
    artifact = target.digest or target.version or artifact
    shown = f"{target.sha[:12]}" + (f" {artifact}" if artifact else "")
    if not target.sha or not artifact:
        return Requirement(
            name=name,
            status="fail",
            expected=expected,
            observed=shown,
            reason=f"deployment {target.id} names no artifact to redeploy: record it "
            "with --version or --digest",
        )
    return Requirement(
        name=name,
        status="pass",
        expected=expected,
        observed=shown,
        reason=f"would roll back {environment} to deployment {target.id} "
        f"({target.sha[:12]}, {artifact}) of {target.updated_at:%Y-%m-%d %H:%M}Z",
    )


def environment_gates(policy: Policy, env: Environment) -> list[Gate]:
    """The gates of the canary steps and ``rollback.gates``, each once, in policy order."""
    names: list[str] = []
    if env.canary:
        names += [g for step in env.canary.steps for g in step.gates]
    if env.rollback:
        names += list(env.rollback.gates)
    return [policy.gates[n] for n in dict.fromkeys(names) if n in policy.gates]


def gate_requirements(
    gate: Gate, specs: Sequence[QuerySpec], answers: Mapping[QuerySpec, Answer]
) -> list[Requirement]:
    """One requirement per metric: every query answered with data over the last interval."""
    out: list[Requirement] = []
    for metric in gate.metrics:
        mine = [s for s in specs if s.metric == metric.name]
        seen: list[str] = []
        empty: list[str] = []
        errors: list[str] = []
        for spec in mine:
            answer = answers.get(spec)
            if isinstance(answer, ProviderError) or answer is None:
                errors.append(f"{spec.role}: {answer or 'not run'}")
            elif answer.present == 0:
                empty.append(spec.role)
            else:
                last = next(v for _t, v in reversed(answer.points) if v is not None)
                seen.append(f"{spec.role} {last:.4g}")
        name = f"gate {gate.name} {metric.name}"
        expected = "data for " + ", ".join(s.role for s in mine)
        if errors:
            out.append(
                Requirement(
                    name=name,
                    status="error",
                    expected=expected,
                    reason=f"unreachable: {errors[0]}",
                    details={"queries": _queries(mine)},
                )
            )
        elif empty:
            out.append(
                Requirement(
                    name=name,
                    status="fail",
                    expected=expected,
                    observed="; ".join(seen) or None,
                    reason=f"no data for {', '.join(empty)}: the gate could never fail "
                    "on this metric; check the query's labels",
                    details={"queries": _queries(mine)},
                )
            )
        else:
            out.append(
                Requirement(
                    name=name,
                    status="pass",
                    expected=expected,
                    observed="; ".join(seen),
                    reason="every selector answered over the last interval",
                    details={"queries": _queries(mine)},
                )
            )
    return out


def _queries(specs: Sequence[QuerySpec]) -> dict[str, str]:
    return {s.role: s.query for s in specs}


def render_rollback_command(
    template: str, values: Mapping[str, str], *, allow_shell: bool = False
) -> list[str]:
    """``rollback.command`` as an argv list, tokens replaced inside each word; never into a
    shell's script unless ``allow_shell`` (:func:`releasegate.placeholders.render_command`)."""
    return render_command(shlex.split(template), values, "rollback", allow_shell=allow_shell)


def command_requirement(
    what: str,
    argv: Sequence[str],
    found: str | None,
    ran: subprocess.CompletedProcess[str] | None = None,
) -> Requirement:
    """A command's executable exists (``found`` is its path); with ``ran``, it also succeeded."""
    shown = shlex.join(argv)
    if not found:
        return Requirement(
            name=what,
            status="fail",
            observed=shown,
            expected=f"{argv[0]} on PATH",
            reason=f"executable {argv[0]!r} not found on PATH; install it where the "
            "rollback runs, or change the policy",
        )
    if ran is None:
        return Requirement(
            name=what,
            status="pass",
            observed=shown,
            expected=f"{argv[0]} on PATH",
            reason=f"{found} found; not run (use --execute --target NAME)",
        )
    output = " ".join((ran.stderr or ran.stdout or "no output").split())[-200:]
    if ran.returncode != 0:
        return Requirement(
            name=what,
            status="fail",
            observed=shown,
            expected="exit 0",
            reason=f"ran against the test target and exited {ran.returncode}: {output}",
        )
    return Requirement(
        name=what,
        status="pass",
        observed=shown,
        expected="exit 0",
        reason=f"ran against the test target: exit 0 ({output})",
    )


def access_requirement(status: str, message: str) -> Requirement:
    """The platform's answer on rollback permissions; ``unverified`` is shown, not failed."""
    if status == "pass":
        return Requirement(name="rollback access", status="pass", observed="pass", reason=message)
    if status == "unverified":
        return Requirement(
            name="rollback access",
            status="skipped",
            observed="unverified",
            reason=f"unverified: {message}",
        )
    return Requirement(name="rollback access", status="fail", observed=status, reason=message)


@dataclass(frozen=True)
class DrillTools:
    """The drill's collaborators.

    :param platform: the CI platform (``rollback_target``, ``rollback_access``).
    :param provider: builds a gate's metric provider (may raise ``ProviderError``).
    :param which: finds an executable, ``shutil.which``-shaped.
    :param run: runs an argv list, ``subprocess.run``-shaped (only with a test target).
    :param router: builds the router: ``router(policy_router, values) -> object with argv()``.
    """

    platform: Any
    provider: Callable[[Gate], MetricProvider]
    which: Callable[[str], str | None]
    run: Callable[..., subprocess.CompletedProcess[str]]
    router: Callable[[Any, Mapping[str, str]], Any]


def run_drill(
    policy: Policy,
    env: Environment,
    tools: DrillTools,
    *,
    now: float,
    service: str,
    target: str | None = None,
    timeout: float = 120.0,
) -> tuple[list[Requirement], Deployment | None]:
    """Every check of the drill for ``env``, and the rollback target found.

    :param now: unix seconds; gates are queried over the interval ending then.
    :param service: value of ``{service}`` in queries and commands.
    :param target: a test target: the commands run with ``{service}`` (or a patch router's
        resource name) set to it. Without it nothing is run.
    """
    requirements: list[Requirement] = []
    rollback_to = tools.platform.rollback_target(env.name)
    artifact = tools.platform.rollback_artifact(rollback_to) if rollback_to else None
    requirements.append(target_requirement(env.name, rollback_to, artifact))
    gates = environment_gates(policy, env)
    if not gates:
        requirements.append(
            Requirement(
                name="gates",
                status="skipped",
                reason=f"{env.name} has no canary or rollback gates to check",
            )
        )
    for gate in gates:
        specs = plan_queries(
            gate, service=service, env=env.name, deployed_at=now - gate.interval, now=now
        )
        try:
            provider = tools.provider(gate)
        except ReleasegateError as exc:
            requirements.append(
                Requirement(name=f"gate {gate.name}", status="error", reason=str(exc))
            )
            continue
        answers: dict[QuerySpec, Answer] = {}
        for spec in specs:
            try:
                answers[spec] = provider.query_range(spec.query, spec.start, spec.end, spec.step)
            except ProviderError as exc:
                answers[spec] = exc
                if len(answers) == 1:  # the server does not answer at all: spare the retries
                    answers.update({other: exc for other in specs})
                    break
        requirements.extend(gate_requirements(gate, specs, answers))
    values = {"service": target or service, "env": env.name}
    requirements.extend(_commands(env, tools, values, rollback_to, target, timeout))
    try:
        requirements.append(access_requirement(*tools.platform.rollback_access()))
    except ReleasegateError as exc:
        requirements.append(access_requirement("fail", str(exc)))
    return requirements, rollback_to


def _commands(
    env: Environment,
    tools: DrillTools,
    values: dict[str, str],
    rollback_to: Deployment | None,
    target: str | None,
    timeout: float,
) -> list[Requirement]:
    out: list[Requirement] = []
    commands: list[tuple[str, list[str], bool]] = []  # (what, argv, may run)
    if env.canary is not None:
        router = env.canary.router
        if target and router is not None and router.kind != "command":
            router = replace(router, options={**router.options, "name": target})
        try:
            built = tools.router(router, values)
            commands.append(
                (
                    f"router set weight 0 ({getattr(built, 'name', 'plugin')})",
                    list(built.argv(0)),
                    True,
                )
            )
        except ReleasegateError as exc:
            out.append(Requirement(name="router", status="fail", reason=str(exc)))
        except AttributeError:
            out.append(
                Requirement(
                    name="router",
                    status="skipped",
                    reason="a plugin router that shows no command line; not checked",
                )
            )
    if env.rollback is not None and env.rollback.command:
        sha = rollback_to.sha if rollback_to else "<no target>"
        try:
            argv = render_rollback_command(
                env.rollback.command,
                {
                    **values,
                    "rollback_to": sha,
                    "sha": sha,
                    "version": (rollback_to.version or "") if rollback_to else "",
                },
                allow_shell=env.rollback.allow_shell,
            )
            commands.append(("rollback command", argv, rollback_to is not None))
        except PlaceholderError as exc:
            out.append(Requirement(name="rollback command", status="fail", reason=str(exc)))
        except ValueError as exc:
            out.append(
                Requirement(
                    name="rollback command",
                    status="fail",
                    reason=f"rollback.command: {exc}; check the quotes",
                )
            )
    elif tools.platform.rollback_mode(env.rollback.mode if env.rollback else None) == "deploy":
        out.append(
            Requirement(
                name="rollback command",
                status="pass",
                observed="rollback.mode deploy",
                reason="the platform redeploys the target (see rollback access)",
            )
        )
    else:
        out.append(
            Requirement(
                name="rollback command",
                status="skipped",
                reason="no rollback.command: releasegate names the target; your "
                "deploy job redeploys it",
            )
        )
    for what, argv, may_run in commands:
        found = tools.which(argv[0])
        ran = None
        if found and target and may_run:
            try:
                # The executable found on this run's PATH, not whatever the child's PATH finds.
                ran = tools.run(
                    [found, *argv[1:]], capture_output=True, text=True, check=False, timeout=timeout
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                ran = subprocess.CompletedProcess(argv, 126, "", str(exc))
        out.append(command_requirement(what, argv, found, ran))
    return out


def drill_decision(
    env: Environment,
    requirements: Sequence[Requirement],
    *,
    time: datetime,
    policy: Policy,
    target: Deployment | None = None,
) -> Decision:
    """``pass`` when every check passed (or was skipped), else ``fail``."""
    failing = [r for r in requirements if not r.ok]
    if failing:
        listed = "; ".join(f"{r.name}: {r.reason}" for r in failing[:2])
        more = f"; and {len(failing) - 2} more" if len(failing) > 2 else ""
        outcome, reason = "fail", f"a rollback of {env.name} is not ready: {listed}{more}"
    else:
        outcome, reason = (
            "pass",
            f"a rollback of {env.name} would work now: {len(requirements)} checks passed",
        )
    outputs = {"outcome": outcome}
    if target is not None:
        outputs["rollback-to"] = target.sha
    return Decision(
        kind="drill",
        outcome=outcome,
        reason=reason,
        subject=Subject(environment=env.name),
        time=time,
        requirements=tuple(requirements),
        policy_sha256=policy.sha256,
        policy_path=policy.path,
        outputs=outputs,
    )
