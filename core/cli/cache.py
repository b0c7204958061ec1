"""``releasegate cache``: cache keys, paths and tool flags for one target, read-only unless trusted
(I/O edge: lists and hashes the repository's lockfiles, publishes outputs)."""

from __future__ import annotations

import argparse
import json
import platform as host
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from releasegate.cli.common import Context, env_default, env_flag, shared_parser
from releasegate.errors import UsageError

FORMATS = ("text", "json", "yaml")
_OS_NAMES = {"linux": "linux", "macos": "macos", "darwin": "macos", "windows": "windows"}


def _parents(env: Mapping[str, str]) -> list[argparse.ArgumentParser]:
    # a parent of our own: the shared one offers markdown/junit, this command yaml instead
    parent = shared_parser(env)
    for action in parent._actions:  # argparse has no public way to narrow an inherited option
        if action.dest == "format":
            given = env_default(env, "format", "text")
            action.choices = FORMATS
            action.default = given  # an unknown one is refused by validate_shared
            action.help = (
                "text: the target's native form; json: the whole plan with warnings "
                "(and --explain); yaml: the target's output as YAML (default: text)"
            )
    return [parent]


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    from releasegate.cache import TARGETS
    from releasegate.cache.ecosystems import OSES

    parser = subparsers.add_parser(
        "cache",
        parents=_parents(env),
        help="print build-cache configuration for a CI system or tool",
        description="Compute dependency cache keys from the repository's lockfiles and render the "
        "policy's cache section for one target. Writes are allowed only on the refs in "
        "cache.write_on; pull requests, forks and every other ref get read-only configuration.",
    )
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default=env_default(env, "target"),
        required=env_default(env, "target") is None,
        help="what to render",
    )
    parser.add_argument(
        "--ref",
        default=env_default(env, "ref"),
        metavar="REF",
        help="the ref to judge (main, refs/heads/main, refs/tags/v1, refs/pull/7/merge); "
        "default: the CI platform's",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        default=env_flag(env, "explain"),
        help="say which files fed each key and why writes are allowed or refused",
    )
    parser.add_argument(
        "--os",
        dest="os_name",
        choices=OSES,
        default=env_default(env, "os"),
        help="the OS the cache is for (default: RUNNER_OS, else this machine's)",
    )
    parser.add_argument(
        "--root",
        default=env_default(env, "root", "."),
        metavar="DIR",
        help="the repository checkout to scan (default: .)",
    )
    directories = env_default(env, "directory")
    parser.add_argument(
        "--directory",
        action="append",
        metavar="DIR",
        default=[d.strip() for d in directories.split(",") if d.strip()] if directories else None,
        help="with per_directory: only the entries of DIR (repeatable) "
        "[RELEASEGATE_DIRECTORY, comma-separated]",
    )
    parser.add_argument(
        "--docker-cache-size",
        default=env_default(env, "docker_cache_size"),
        metavar="SIZE",
        help="measured BuildKit cache size (e.g. 7GB), preferred to size_estimate",
    )
    parser.add_argument(
        "--env",
        dest="environment",
        default=env_default(env, "environment"),
        metavar="ENV",
        help="fills {env} in the concurrency group",
    )
    parser.set_defaults(handler=handle)


def _os_name(given: str | None, env: Mapping[str, str]) -> str:
    if given:
        return given
    guess = (env.get("RUNNER_OS") or host.system()).lower()
    return _OS_NAMES.get(guess, "linux")


def handle(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.cache import (
        build_plan,
        decide,
        github_outputs,
        parse_ref,
        render,
        scan,
        select_groups,
    )
    from releasegate.cache.render_tools import tool_args
    from releasegate.cache.tools import parse_size
    from releasegate.policy.model import Cache

    policy = ctx.policy
    cache = policy.cache or Cache()
    root = Path(args.root)
    files, discovery = scan.list_files(root)
    groups, warnings = select_groups(cache, files)
    if args.directory:
        wanted = {d.strip("/") or "." for d in args.directory}
        groups = [g for g in groups if g.directory in wanted]
        if not groups:
            raise UsageError(
                f"--directory {', '.join(sorted(wanted))}: no lockfile group there "
                "(with per_directory: true, use a directory that holds a lockfile)"
            )
    digests = scan.digest_files(root, sorted({f for g in groups for f in g.lockfiles}))
    size = None
    if args.docker_cache_size:
        try:
            size = parse_size(args.docker_cache_size)
        except ValueError as exc:
            raise UsageError(f"--docker-cache-size: {exc}") from exc
    ci = ctx.ci
    ref = parse_ref(args.ref or ci.ref, ci.ref, ci.ref_type)
    trust = decide(
        cache.write_on,
        ref,
        pull_request=ci.pull_request,
        fork=ci.fork,
        default_branch=ci.default_branch or scan.default_branch(root),
        trigger=ctx.env.get("GITHUB_EVENT_NAME"),
        workstation=ci.platform == "local" and not args.ref,
    )
    plan = build_plan(
        cache,
        groups,
        digests,
        os_name=_os_name(args.os_name, ctx.env),
        trust=trust,
        service=policy.service,
        environment=args.environment,
        docker_size=size,
        warnings=warnings,
    )
    rendered = render(plan, args.target, kaniko_fork=cache.kaniko.fork if cache.kaniko else None)
    ctx.platform.publish_outputs(github_outputs(plan))
    ctx.platform.publish_lists(tool_args(plan))
    explain = [*plan.explain, f"lockfiles found with {discovery}", *rendered.notes]
    if ci.protected is False and trust.write:
        explain.append(
            f"the platform reports {ref.name} as unprotected: anyone who can push to it "
            "can write these caches"
        )
    document = _document(
        plan, rendered.data, args.target, ref.name, ref.kind, explain if args.explain else None
    )
    if args.output:
        _write(args.output, json.dumps(document, indent=2))
    if args.format == "json":
        ctx.print(json.dumps(document, indent=2))
    elif args.format == "yaml":
        # the target's output alone, so a GitLab job can write an includable file with it
        from releasegate.cache.render_ci import dump_yaml

        ctx.print(dump_yaml(rendered.data))
    else:
        ctx.stdout.write(rendered.text)
        ctx.stdout.flush()
    from releasegate.render.sanitize import one_line  # paths come from the repository

    for warning in plan.warnings:
        sys.stderr.write(f"releasegate: warning: {one_line(warning)}\n")
    if args.explain and args.format != "json":
        for line in explain:
            sys.stderr.write(f"releasegate: explain: {one_line(line)}\n")
    return 0


def _document(
    plan: Any,
    data: dict[str, Any],
    target: str,
    ref: str | None,
    kind: str,
    explain: list[str] | None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "target": target,
        "os": plan.os,
        "ref": {"name": ref, "kind": kind},
        "write": plan.write,
        "reason": plan.trust.reason,
        "rule": plan.trust.rule,
        "entries": [
            {
                "ecosystem": e.ecosystem,
                "directory": e.directory,
                "key": e.key,
                "restore-keys": list(e.restore_keys),
                "paths": list(e.paths),
                "lockfiles": list(e.lockfiles),
            }
            for e in plan.entries
        ],
        "output": data,
        "warnings": list(plan.warnings),
    }
    if explain is not None:
        doc["explain"] = explain
    return doc


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the cache plan: {exc.strerror}") from exc
