"""Traffic routers: what sets a canary's weight (I/O: runs a command).

Built in: ``argo-rollouts`` (the default: a Rollout moved from pause to pause with Argo
Rollouts' kubectl plugin, :mod:`releasegate.rollout.argo`), ``command`` (a command
template with ``{weight}``, ``{service}``, ``{env}`` tokens), ``istio`` (a ``kubectl
patch`` of a VirtualService's route weights) and ``gateway-api`` (the same for an
HTTPRoute's backendRefs). Commands run as an argv list, never through a shell:
a template is split first and tokens are replaced inside each word, so a value cannot
add arguments.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from releasegate.errors import PlatformError, PolicyError
from releasegate.placeholders import render_argument, render_command
from releasegate.plugins import Registry, hookimpl
from releasegate.policy.model import Router

__all__ = [
    "CommandRouter",
    "GatewayApiRouter",
    "IstioRouter",
    "Runner",
    "router_for",
]

#: ``subprocess.run``'s shape, injected in tests.
Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def _weight(value: float) -> int:
    if not 0 <= value <= 100 or value != int(value):
        raise PolicyError([f"canary weight {value:g}: weights are whole percentages from 0 to 100"])
    return int(value)


def _run(argv: Sequence[str], run: Runner, timeout: float, what: str) -> str:
    try:
        done = run(list(argv), capture_output=True, text=True, check=False, timeout=timeout)
    except FileNotFoundError as exc:
        raise PlatformError(
            f"{what}: executable {argv[0]!r} not found on PATH; install it or change"
            " strategy.canary.router in the policy"
        ) from exc
    except PermissionError as exc:
        raise PlatformError(f"{what}: {argv[0]!r} is not executable; fix its permissions") from exc
    except subprocess.TimeoutExpired as exc:
        raise PlatformError(f"{what}: {shlex.join(argv)} did not finish in {timeout:g}s") from exc
    if done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout or "no output").split())[-300:]
        raise PlatformError(f"{what}: {shlex.join(argv)} exited {done.returncode}: {detail}")
    return done.stdout or ""


class CommandRouter:
    """Runs a command template to set the weight.

    :param template: the command, split like a shell would (quotes group words).
    :param values: ``service`` and ``env`` for the template.
    :param run: runs an argv list (``subprocess.run`` by default).
    :param timeout: seconds the command may take.
    :param allow_shell: let placeholders into a shell's script (values then restricted to
        characters no shell treats specially); refused otherwise.
    :raises releasegate.placeholders.PlaceholderError: for placeholders in a shell's script.
    """

    name: ClassVar[str] = "command"

    def __init__(
        self,
        template: str,
        values: Mapping[str, str] | None = None,
        *,
        run: Runner = subprocess.run,
        timeout: float = 120.0,
        allow_shell: bool = False,
    ) -> None:
        try:
            self.words = shlex.split(template)
        except ValueError as exc:
            raise PolicyError([f"strategy.canary.router.command: {exc}; check the quotes"]) from exc
        if not self.words:
            raise PolicyError(["strategy.canary.router.command is empty; give a command"])
        self.allow_shell = allow_shell
        self.values = dict(values or {})
        self.argv(0)  # a placeholder in a shell's script is refused before anything runs
        self._run = run
        self.timeout = timeout

    @classmethod
    def from_policy(
        cls, router: Router, values: Mapping[str, str], *, run: Runner = subprocess.run
    ) -> CommandRouter:
        """Build from the policy's ``router: {command}``.

        :raises releasegate.errors.PolicyError: when ``command`` is not set.
        """
        if not router.command:
            raise PolicyError(
                [
                    "strategy.canary.router: a command router needs 'command:'"
                    " (e.g. rollout-cli weight {service} {weight})"
                ]
            )
        return cls(router.command, values, run=run, allow_shell=router.allow_shell)

    def argv(self, weight: float) -> list[str]:
        """The command for ``weight``, tokens replaced inside each word."""
        pct = _weight(weight)
        values = {**self.values, "weight": str(pct), "stable_weight": str(100 - pct)}
        return render_command(self.words, values, "router", allow_shell=self.allow_shell)

    def set_weight(self, weight: float) -> str:
        """Send ``weight`` percent of traffic to the canary; returns the command's output.

        :raises releasegate.errors.PlatformError: when the command is missing or fails.
        """
        return _run(self.argv(weight), self._run, self.timeout, f"router set weight {weight:g}")


class _PatchRouter:
    """A ``kubectl patch --type=json`` of two weights in a routing resource."""

    resource: ClassVar[str]
    default_paths: ClassVar[tuple[str, str]]

    def __init__(
        self, options: Mapping[str, str], *, run: Runner = subprocess.run, timeout: float = 120.0
    ) -> None:
        kind = type(self).name  # type: ignore[attr-defined]
        if not options.get("name"):
            raise PolicyError(
                [
                    f"strategy.canary.router ({kind}): set options.name to the {self.resource} to patch"
                ]
            )
        self.options = dict(options)
        self._run = run
        self.timeout = timeout

    @classmethod
    def from_policy(
        cls, router: Router, values: Mapping[str, str], *, run: Runner = subprocess.run
    ) -> _PatchRouter:
        """Build from the policy's ``router: {kind, options}``; ``{service}`` in options expands."""
        options = {
            k: render_argument(
                str(v), values, "router_options", f"strategy.canary.router.options.{k}"
            )
            for k, v in router.options.items()
        }
        return cls(options, run=run)

    def patch(self, weight: float) -> list[dict[str, Any]]:
        """The JSON patch that sends ``weight`` percent to the canary."""
        pct = _weight(weight)
        stable_path, canary_path = self.paths()
        return [
            {"op": "replace", "path": stable_path, "value": 100 - pct},
            {"op": "replace", "path": canary_path, "value": pct},
        ]

    def paths(self) -> tuple[str, str]:
        raise NotImplementedError

    def argv(self, weight: float) -> list[str]:
        """The ``kubectl patch`` command for ``weight``."""
        argv = [self.options.get("kubectl", "kubectl")]
        if self.options.get("context"):
            argv += ["--context", self.options["context"]]
        if self.options.get("namespace"):
            argv += ["--namespace", self.options["namespace"]]
        patch = json.dumps(self.patch(weight), separators=(",", ":"))
        return [*argv, "patch", self.resource, self.options["name"], "--type=json", "-p", patch]

    def set_weight(self, weight: float) -> str:
        """Patch the resource so the canary gets ``weight`` percent.

        :raises releasegate.errors.PlatformError: when kubectl is missing or fails.
        """
        return _run(self.argv(weight), self._run, self.timeout, f"router set weight {weight:g}")


class IstioRouter(_PatchRouter):
    """Istio VirtualService: ``spec.http[route].route[stable|canary].weight``.

    Options: ``name`` (required), ``namespace``, ``context``, ``kubectl``, ``route``
    (index of the HTTP route, default 0), ``stable`` and ``canary`` (destination indexes,
    default 0 and 1).
    """

    name: ClassVar[str] = "istio"
    resource: ClassVar[str] = "virtualservice"

    def paths(self) -> tuple[str, str]:
        route = int(self.options.get("route", 0))
        stable, canary = int(self.options.get("stable", 0)), int(self.options.get("canary", 1))
        base = f"/spec/http/{route}/route"
        return f"{base}/{stable}/weight", f"{base}/{canary}/weight"


class GatewayApiRouter(_PatchRouter):
    """Gateway API HTTPRoute: ``spec.rules[rule].backendRefs[stable|canary].weight``.

    Options as for :class:`IstioRouter`, with ``rule`` instead of ``route``.
    """

    name: ClassVar[str] = "gateway-api"
    resource: ClassVar[str] = "httproute"

    def paths(self) -> tuple[str, str]:
        rule = int(self.options.get("rule", 0))
        stable, canary = int(self.options.get("stable", 0)), int(self.options.get("canary", 1))
        base = f"/spec/rules/{rule}/backendRefs"
        return f"{base}/{stable}/weight", f"{base}/{canary}/weight"


def _builtin() -> dict[str, Any]:
    # Imported here: releasegate.rollout.argo builds on this module's helpers.
    from releasegate.rollout.argo import ArgoRolloutsRouter

    return {
        cls.name: cls for cls in (ArgoRolloutsRouter, CommandRouter, IstioRouter, GatewayApiRouter)
    }


def router_for(
    router: Router | None,
    values: Mapping[str, str],
    *,
    registry: Registry | None = None,
    run: Runner = subprocess.run,
) -> Any:
    """The router object for the policy's ``strategy.canary.router`` (Argo Rollouts when unset).

    :param router: the policy's router, or ``None``.
    :param values: ``service`` and ``env``.
    :param registry: the plugin registry of routers, the only source of routers, built-in ones
        included; without one, only the built-ins are known (library use).
    :raises releasegate.errors.PolicyError: for an unknown router kind.
    """
    router = router or Router()
    table = _builtin() if registry is None else {n: registry.get(n) for n in registry.names()}
    if router.kind in table:
        cls = table[router.kind]
    else:
        known = sorted(table)
        raise PolicyError(
            [
                f"strategy.canary.router.kind: unknown router {router.kind!r} (known: {', '.join(known)})"
            ]
        )
    return cls.from_policy(router, values, run=run)


@hookimpl
def releasegate_register_routers(registry: Registry) -> None:
    """Register the builtin routers: ``argo-rollouts``, ``command``, ``istio`` and ``gateway-api``."""
    for cls in _builtin().values():
        registry.add(cls)
