"""The ``argo-rollouts`` router: drives a Rollout through Argo Rollouts' kubectl plugin (I/O).

Argo Rollouts sets weights itself, from the Rollout's ``setWeight`` steps; its plugin has
no command that sets a weight (``set`` has only ``set image``). So the Rollout carries one
``setWeight: W`` followed by an indefinite ``pause: {}`` per releasegate step
(:func:`rollout_steps`), and releasegate moves it along with the plugin's own verbs:

- reading where it is: ``kubectl argo rollouts get rollout NAME --no-color``
  (``Status:``, ``Step:`` and ``SetWeight:`` lines);
- advancing: ``kubectl argo rollouts promote NAME``, once per Rollout step, until the
  Rollout is paused at the wanted weight (or ``Healthy`` at 100%);
- rolling back (weight 0): ``kubectl argo rollouts abort NAME``, which returns all
  traffic to stable.

Commands run as argv lists, never through a shell.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from releasegate.durations import parse_duration
from releasegate.errors import PlatformError, PolicyError
from releasegate.placeholders import render_text
from releasegate.policy.model import CanaryStep, Router
from releasegate.rollout.routers import Runner, _run, _weight

__all__ = ["ArgoRolloutsRouter", "RolloutView", "parse_get", "rollout_steps"]


def rollout_steps(steps: Sequence[CanaryStep]) -> list[dict[str, Any]]:
    """The ``spec.strategy.canary.steps`` of a Rollout that this router can drive through
    ``steps`` (the planned steps, :func:`releasegate.canary.plan`).

    Every step below 100% is ``setWeight`` then ``pause: {}`` (the Rollout waits until
    promoted); the final 100% is the Rollout's own completion, so it has no step unless
    releasegate analyses it (a pause or gates at 100%), in which case it pauses there too.
    """
    out: list[dict[str, Any]] = []
    for step in steps:
        if step.weight >= 100 and not (step.pause or step.gates):
            continue
        out += [{"setWeight": int(step.weight)}, {"pause": {}}]
    return out


@dataclass(frozen=True)
class RolloutView:
    """What ``get rollout`` says: ``status`` (Healthy, Paused, Progressing, Degraded...),
    ``message``, ``step`` (``"3/10"``) and ``weight`` (the current ``SetWeight``)."""

    status: str
    message: str
    step: str
    weight: float | None


_LINE = re.compile(r"^\s*(Status|Message|Step|SetWeight):\s*(.*?)\s*$")


def parse_get(text: str) -> RolloutView:
    """Read the text of ``kubectl argo rollouts get rollout NAME --no-color``.

    The status line carries an icon before the status word (``Status:  ॥ Paused``); the
    status is its last word.

    :raises releasegate.errors.PlatformError: when the text has no ``Status:`` line.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and match.group(1) not in fields:
            fields[match.group(1)] = match.group(2)
    if not fields.get("Status"):
        shown = " ".join(text.split())[:200] or "no output"
        raise PlatformError(f"argo-rollouts: cannot read the Rollout's status from: {shown}")
    try:
        weight: float | None = float(fields.get("SetWeight", ""))
    except ValueError:
        weight = None
    return RolloutView(
        fields["Status"].split()[-1], fields.get("Message", ""), fields.get("Step", ""), weight
    )


class ArgoRolloutsRouter:
    """Moves an Argo Rollout whose steps pause indefinitely from pause to pause.

    Options: ``name`` (the Rollout; default ``{service}``, which expands), ``namespace``,
    ``context``, ``kubeconfig``, ``kubectl`` (the executable), ``wait`` (how long the Rollout
    may take to reach a step, default ``10m``) and ``poll`` (between reads, default ``5s``).

    :param run: runs an argv list (``subprocess.run`` by default).
    :param sleep: waits between reads; :param clock: monotonic seconds (injected in tests).
    """

    name: ClassVar[str] = "argo-rollouts"

    def __init__(
        self,
        options: Mapping[str, str],
        *,
        run: Runner = subprocess.run,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 120.0,
    ) -> None:
        if not options.get("name"):
            raise PolicyError(
                [
                    "strategy.canary.router (argo-rollouts): set options.name to the"
                    " Rollout (or the policy's service:)"
                ]
            )
        self.options = dict(options)
        self.wait = self._seconds("wait", 600.0)
        self.poll = self._seconds("poll", 5.0)
        self._run, self._sleep, self._clock, self.timeout = run, sleep, clock, timeout

    def _seconds(self, key: str, default: float) -> float:
        text = self.options.get(key)
        if text is None:
            return default
        try:
            seconds = parse_duration(text)
        except ValueError as exc:
            raise PolicyError([f"strategy.canary.router.options.{key}: {exc}"]) from exc
        if seconds <= 0:
            raise PolicyError(
                [f"strategy.canary.router.options.{key}: must be above 0, got {text!r}"]
            )
        return seconds

    @classmethod
    def from_policy(
        cls, router: Router, values: Mapping[str, str], *, run: Runner = subprocess.run
    ) -> ArgoRolloutsRouter:
        """Build from the policy's ``router: {kind: argo-rollouts, options}``."""
        options = {
            k: render_text(str(v), values, "router_options") for k, v in router.options.items()
        }
        options.setdefault("name", values.get("service", ""))
        return cls(options, run=run)

    def _argv(self, *words: str) -> list[str]:
        # The plugin's flags for the cluster (its kubectl ConfigFlags) follow the verb.
        argv = [self.options.get("kubectl", "kubectl"), "argo", "rollouts", *words]
        for flag in ("namespace", "context", "kubeconfig"):
            if self.options.get(flag):
                argv += [f"--{flag}", self.options[flag]]
        return argv

    def argv(self, weight: float) -> list[str]:
        """The command that starts moving the Rollout to ``weight``: ``abort`` for 0 (all
        traffic to stable), else ``promote`` (run as often as the Rollout needs)."""
        verb = "abort" if _weight(weight) == 0 else "promote"
        return self._argv(verb, self.options["name"])

    def view(self) -> RolloutView:
        """Where the Rollout is, read with ``get rollout NAME --no-color``."""
        out = _run(
            self._argv("get", "rollout", self.options["name"], "--no-color"),
            self._run,
            self.timeout,
            "argo-rollouts get",
        )
        return parse_get(out)

    def set_weight(self, weight: float) -> str:
        """Abort (0) or promote until the Rollout is paused at ``weight`` (``Healthy`` at 100).

        A promote is sent only from a pause and only once per Rollout step, so a Rollout that is
        slow to move is never pushed past a step.

        :raises releasegate.errors.PlatformError: when the plugin fails, the Rollout is
            degraded or already past ``weight``, or it does not get there within ``wait``.
        """
        pct = _weight(weight)
        name = self.options["name"]
        if pct == 0:
            return _run(
                self.argv(0), self._run, self.timeout, "router set weight 0 (argo-rollouts abort)"
            )
        deadline = self._clock() + self.wait
        promoted_from: str | None = None
        done: list[str] = []
        while True:
            view = self.view()
            if view.status == "Degraded":
                raise PlatformError(
                    f"argo-rollouts: Rollout {name} is Degraded ({view.message or 'no message'});"
                    f" it cannot go to {pct}%"
                )
            if view.status == "Healthy" and pct == 100:
                return "; ".join([*done, f"rollout '{name}' Healthy at 100%"])
            if view.status == "Healthy":
                raise PlatformError(
                    f"argo-rollouts: Rollout {name} is Healthy (fully promoted), not at a"
                    f" {pct}% step; deploy the new revision to the Rollout first"
                )
            paused = view.status == "Paused" and view.step != promoted_from
            if paused and view.weight == pct:
                return "; ".join([*done, f"rollout '{name}' paused at {pct}% (step {view.step})"])
            if paused and view.weight is not None and view.weight > pct:
                raise PlatformError(
                    f"argo-rollouts: Rollout {name} is paused at {view.weight:g}%, past the"
                    f" policy's {pct}%; its steps do not match the policy (see `releasegate plan`)"
                )
            if paused:
                done.append(
                    _run(
                        self.argv(pct),
                        self._run,
                        self.timeout,
                        f"router set weight {pct} (argo-rollouts promote)",
                    ).strip()
                )
                promoted_from = view.step
                continue
            if self._clock() >= deadline:
                raise PlatformError(
                    f"argo-rollouts: Rollout {name} did not reach {pct}% within"
                    f" {self.wait:g}s (last: {view.status} {view.message}".rstrip()
                    + ")"
                )
            self._sleep(self.poll)
