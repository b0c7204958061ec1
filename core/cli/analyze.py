"""``releasegate analyze``: run one gate live against its metrics provider (I/O edge).

Also holds what ``canary`` and ``watch`` share with it: the provider options, building
a gate's provider, and running several gates at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from releasegate.cli.common import Context, add_env_option, env_default, env_flag
from releasegate.durations import DurationError, parse_duration
from releasegate.errors import UsageError
from releasegate.model import Subject
from releasegate.placeholders import check_gate_values
from releasegate.policy.model import Gate, Policy
from releasegate.providers import ProviderOverrides, provider_class
from releasegate.rollout.runner import AnalysisRun, analysis_decision, run_side_by_side


class _RefuseOnArgv(argparse.Action):
    """Refuses a secret on the command line, where every local user sees it in ``ps``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} is not accepted on the command line (every local user can"
            " read it in ps); set RELEASEGATE_PROMETHEUS_TOKEN or pass"
            " --prometheus-token-file PATH"
        )


def add_provider_options(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """``--prometheus-url``, ``--prometheus-token-file``, ``--service`` and ``--sha``.

    The bearer token comes from ``RELEASEGATE_PROMETHEUS_TOKEN`` or a file, never from argv.
    """
    parser.add_argument(
        "--prometheus-url",
        default=env_default(env, "prometheus-url"),
        metavar="URL",
        help="metrics server address, instead of the gate's address (credentials "
        "in it are sent as basic auth and never printed)",
    )
    parser.add_argument(
        "--prometheus-token-file",
        default=env_default(env, "prometheus-token-file"),
        metavar="PATH",
        help="file holding the metrics server's bearer token "
        "(or set RELEASEGATE_PROMETHEUS_TOKEN; never on the command line)",
    )
    parser.add_argument("--prometheus-token", action=_RefuseOnArgv, help=argparse.SUPPRESS)
    parser.set_defaults(prometheus_token=env_default(env, "prometheus-token"))
    parser.add_argument(
        "--service",
        default=env_default(env, "service"),
        help="value of {service} (default: the policy's service)",
    )
    parser.add_argument(
        "--sha", default=env_default(env, "sha"), help="commit (default: the CI commit)"
    )


def prometheus_token(args: argparse.Namespace) -> str | None:
    """The bearer token from ``--prometheus-token-file`` or ``RELEASEGATE_PROMETHEUS_TOKEN``.

    :raises releasegate.errors.UsageError: when the file cannot be read or is empty.
    """
    from releasegate.redaction import remember

    path = getattr(args, "prometheus_token_file", None)
    token = getattr(args, "prometheus_token", None) or None
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                token = handle.read(65536).strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise UsageError(f"--prometheus-token-file {path}: cannot read it: {reason}") from None
        if not token or "\n" in token:
            raise UsageError(f"--prometheus-token-file {path}: expected one line holding the token")
    remember(token)
    return token


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "analyze",
        parents=parents,
        help="run a metric gate live",
        description="Run gate NAME every interval for DURATION (or once) and decide pass, fail "
        "or inconclusive. Exit 0 pass, 1 fail, 3 inconclusive, 4 provider failure.",
    )
    parser.add_argument(
        "--gate",
        required=env_default(env, "gate") is None,
        default=env_default(env, "gate"),
        metavar="NAME",
        help="the gate to run",
    )
    add_env_option(parser, env, required=False, help="value of {env} in queries")
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--duration",
        default=env_default(env, "duration", "15m"),
        help="how long to analyse (default 15m)",
    )
    when.add_argument(
        "--once",
        action="store_true",
        default=env_flag(env, "once"),
        help="evaluate one interval now and stop",
    )
    parser.add_argument(
        "--deployed-at",
        default=env_default(env, "deployed-at"),
        metavar="TIME",
        help="when the rollout started, ISO 8601 or unix seconds (default: now; "
        "with --once, one interval ago)",
    )
    parser.add_argument(
        "--at",
        default=env_default(env, "at"),
        metavar="TIME",
        help="with --once: evaluate as of this past time instead of now",
    )
    add_provider_options(parser, env)
    parser.set_defaults(handler=handle)


def parse_time(text: str, option: str) -> float:
    """Unix seconds from ``1767225600`` or ``2026-01-01T00:00:00Z`` (no zone means UTC).

    :raises releasegate.errors.UsageError: naming ``option`` when ``text`` is neither.
    """
    from releasegate.instants import parse_instant

    try:
        return parse_instant(text).timestamp()
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def duration(text: str, option: str) -> float:
    """Seconds from a duration option; :class:`UsageError` naming ``option`` otherwise."""
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UsageError(f"{option}: {exc}") from None


def find_gate(policy: Policy, name: str, where: str = "--gate") -> Gate:
    """The policy's gate ``name``; :class:`UsageError` listing the gates otherwise."""
    try:
        return policy.gates[name]
    except KeyError:
        known = ", ".join(sorted(policy.gates)) or "none"
        raise UsageError(
            f"{where} {name!r}: no such gate in {policy.path} (gates: {known})"
        ) from None


def build_provider(gate: Gate, args: argparse.Namespace, ctx: Context) -> Any:
    """The gate's provider, with ``--prometheus-url`` and the token options winning, built as
    the hook spec says: ``cls(gate=..., session=None, sleep=...)``."""
    cls = provider_class(gate, ctx.hooks.providers())
    overrides = ProviderOverrides(args.prometheus_url, prometheus_token(args))
    return cls(gate=overrides.apply(gate), session=None, sleep=ctx.sleep)


def progress_line(text: str) -> None:
    """One progress line on stderr (stdout carries the decision), secrets redacted."""
    from releasegate.redaction import redact
    from releasegate.render.sanitize import one_line

    sys.stderr.write(one_line(redact(text)) + "\n")
    sys.stderr.flush()


def run_gates(
    gates: Sequence[Gate],
    args: argparse.Namespace,
    ctx: Context,
    *,
    service: str,
    env: str,
    deployed_at: float,
    seconds: float,
    label: str,
    clock: Callable[[], float] | None = None,
    once: bool = False,
) -> list[AnalysisRun]:
    """Run ``gates`` side by side over the same window; one thread per gate when several.

    Returns early, without the gates still running, when one of them fails (see
    :func:`releasegate.rollout.runner.run_side_by_side`).
    """
    from functools import partial

    from releasegate.analysis.gate import evaluate_gate

    check_gate_values(gates, service=service, env=env)
    tick = clock or (lambda: ctx.now().timestamp())
    providers = [build_provider(gate, args, ctx) for gate in gates]
    evaluate = partial(evaluate_gate, judges=ctx.judges())

    return run_side_by_side(
        gates,
        providers,
        service=service,
        env=env,
        deployed_at=deployed_at,
        duration=seconds,
        clock=tick,
        sleep=ctx.sleep,
        progress=progress_line,
        once=once,
        label=label,
        evaluate=evaluate,
    )


def handle(args: argparse.Namespace, ctx: Context) -> int:
    policy = ctx.policy
    gate = find_gate(policy, args.gate)
    if args.at and not args.once:
        raise UsageError("--at needs --once: a live analysis runs from now")
    now = parse_time(args.at, "--at") if args.at else ctx.now().timestamp()
    if args.deployed_at:
        deployed_at = parse_time(args.deployed_at, "--deployed-at")
    else:
        deployed_at = now - gate.interval if args.once else now
    seconds = 0.0 if args.once else duration(args.duration, "--duration")
    service = args.service or policy.service or ""
    runs = run_gates(
        [gate],
        args,
        ctx,
        service=service,
        env=args.environment or "",
        deployed_at=deployed_at,
        seconds=seconds,
        label="analyze",
        clock=(lambda: now) if args.at else None,
        once=args.once,
    )
    run = runs[0]
    subject = Subject(environment=args.environment, sha=args.sha, gate=gate.name)
    decision = analysis_decision(
        run, subject=subject, time=ctx.now(), policy_sha256=policy.sha256, policy_path=policy.path
    )
    return ctx.emit(decision)
