#!/usr/bin/env python3
"""A stand-in ``kubectl`` with the Argo Rollouts plugin and one Rollout, for router tests.

It accepts exactly the plugin's verbs and flags that releasegate may use, with their real
spellings, answers with the plugin's real output, refuses everything else with the real
error text and exit code, and appends every call (argv after ``kubectl``) to the file named
by ``ARGO_STANDIN_LOG``. The Rollout lives in the JSON file named by ``ARGO_STANDIN_STATE``:
``{"name", "namespace", "steps" (spec.strategy.canary.steps), "index", "aborted", "slow"}``.
Like the controller, it runs ``setWeight`` steps and stops at every ``pause``; with
``slow: N`` it reports ``Progressing`` for N reads after each promote before it pauses.

Sources (argoproj/argo-rollouts, pkg/kubectl-argo-rollouts/):
- cmd/cmd.go: the verbs; cobra's "unknown command" and pflag's "unknown flag" errors (exit 1).
- cmd/promote/promote.go: ``promote ROLLOUT_NAME`` with ``--full``, ``--skip-current-step``/
  ``-c``, ``--skip-all-steps``/``-a``; prints ``rollout 'NAME' promoted``.
- cmd/abort/abort.go: ``abort ROLLOUT_NAME...``; prints ``rollout 'NAME' aborted``.
- cmd/status/status.go: ``status ROLLOUT_NAME`` with ``--watch``/``-w`` (default true) and
  ``--timeout``/``-t``; ``Status - Message``, or an error for ``Degraded``.
- cmd/get/get_rollout.go: ``get rollout|ro|rollouts ROLLOUT_NAME`` with ``--watch``/``-w``,
  ``--no-color``, ``--timeout-seconds``; the ``%-17s%v`` table of Status, Step, SetWeight.
- cmd/set/set.go: ``set`` has only ``set image``; anything else prints the usage, exit 1.
- options/options.go: kubectl's ConfigFlags (``--namespace``/``-n``, ``--context``,
  ``--kubeconfig``...) on every verb.
kubectl itself (k8s.io/kubectl, pkg/cmd/cmd.go): a verb with no plugin is
``error: unknown command "X" for "kubectl"``.
"""

from __future__ import annotations

import json
import os
import re
import sys

CLI = "kubectl-argo-rollouts"
GLOBAL = {
    "--namespace": "namespace",
    "-n": "namespace",
    "--context": "context",
    "--kubeconfig": "kubeconfig",
}
BOOL = {
    "promote": {
        "--full": "full",
        "--skip-current-step": "skip",
        "-c": "skip",
        "--skip-all-steps": "all",
        "-a": "all",
    },
    "status": {"--watch": "watch", "-w": "watch"},
    "get": {"--watch": "watch", "-w": "watch", "--no-color": "no_color"},
}
VALUED = {
    "status": {"--timeout": "timeout", "-t": "timeout"},
    "get": {"--timeout-seconds": "timeout"},
}
DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$")
SET_USAGE = """Usage:
  kubectl-argo-rollouts set COMMAND [flags]
  kubectl-argo-rollouts set [command]

Examples:
  # Set rollout image
  kubectl argo rollouts set image my-rollout argoproj/rollouts-demo:yellow

Available Commands:
  image       Update the image of a rollout

Use "kubectl-argo-rollouts set [command] --help" for more information about a command.
"""


def fail(text: str, code: int = 1) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    raise SystemExit(code)


def parse(verb: str, words: list[str]) -> tuple[list[str], dict[str, object]]:
    """pflag's parsing: ``--flag``, ``--flag=value``, ``-f value``; unknown flags refused."""
    args: list[str] = []
    flags: dict[str, object] = {}
    bools, valued = BOOL.get(verb, {}), {**VALUED.get(verb, {}), **GLOBAL}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            args.append(word)
            continue
        name, eq, value = word.partition("=")
        if name in bools:
            if eq and value not in ("true", "false", "1", "0", "t", "f", "True", "False"):
                fail(
                    f'Error: invalid argument "{value}" for "{name}" flag: strconv.ParseBool: parsing'
                    f' "{value}": invalid syntax'
                )
            flags[bools[name]] = (value in ("true", "1", "t", "True")) if eq else True
        elif name in valued:
            if not eq:
                if i >= len(words):
                    fail(f"Error: flag needs an argument: {name}")
                value = words[i]
                i += 1
            flags[valued[name]] = value
        elif name.startswith("--"):
            fail(f"Error: unknown flag: {name}")
        else:
            fail(f"Error: unknown shorthand flag: '{name[1]}' in {name}")
    return args, flags


def load() -> dict:
    with open(os.environ["ARGO_STANDIN_STATE"], encoding="utf-8") as handle:
        return json.load(handle)


def save(state: dict) -> None:
    with open(os.environ["ARGO_STANDIN_STATE"], "w", encoding="utf-8") as handle:
        json.dump(state, handle)


def run_to_pause(state: dict) -> None:
    steps = state["steps"]
    while state["index"] < len(steps) and "setWeight" in steps[state["index"]]:
        state["index"] += 1


def view(state: dict) -> tuple[str, str, str, int]:
    """(status, message, icon, setWeight) as the plugin's info package computes them."""
    steps, index = state["steps"], state["index"]
    if state.get("aborted"):
        return "Degraded", "RolloutAborted: Rollout aborted update to revision 2", "✖", 0
    if state.get("progressing", 0) > 0:
        state["progressing"] -= 1
        save(state)
        weights = [s["setWeight"] for s in steps[:index] if "setWeight" in s]
        return "Progressing", "more replicas need to be updated", "◌", weights[-1] if weights else 0
    if index >= len(steps):
        return "Healthy", "", "✔", 100
    weights = [s["setWeight"] for s in steps[:index] if "setWeight" in s]
    return "Paused", "CanaryPauseStep", "॥", weights[-1] if weights else 0


def rollout(state: dict, args: list[str], flags: dict) -> None:
    if len(args) != 1:
        fail(f"Error: accepts 1 arg(s), received {len(args)}")
    if args[0] != state["name"] or flags.get("namespace", "default") != state.get(
        "namespace", "default"
    ):
        fail(f'Error: rollouts.argoproj.io "{args[0]}" not found')


def main(argv: list[str]) -> None:
    with open(os.environ["ARGO_STANDIN_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    if argv[:2] != ["argo", "rollouts"]:
        fail(f'error: unknown command "{argv[0] if argv else ""}" for "kubectl"')
    words = argv[2:]
    if not words:
        fail(f"Error: a verb is required; run '{CLI} --help'")
    verb, rest = words[0], words[1:]
    state = load()
    if verb == "promote":
        args, flags = parse(verb, rest)
        rollout(state, args, flags)
        if state.get("aborted") or state["index"] >= len(state["steps"]):
            print(f"rollout '{state['name']}' promoted")  # a no-op patch, as the plugin's
            return
        state["index"] += 1
        run_to_pause(state)
        state["progressing"] = state.get("slow", 0)
        save(state)
        print(f"rollout '{state['name']}' promoted")
    elif verb == "abort":
        args, flags = parse(verb, rest)
        if not args:
            fail("Usage:\n  kubectl-argo-rollouts abort ROLLOUT_NAME [flags]")
        rollout(state, args[:1], flags)
        state["aborted"] = True
        save(state)
        print(f"rollout '{state['name']}' aborted")
    elif verb == "status":
        args, flags = parse(verb, rest)
        rollout(state, args, flags)
        if "timeout" in flags and not DURATION.match(str(flags["timeout"])):
            fail(
                f'Error: invalid argument "{flags["timeout"]}" for "-t, --timeout" flag: time: invalid duration'
                f' "{flags["timeout"]}"'
            )
        status, message, _, _ = view(state)
        if status == "Degraded":
            print(status if flags.get("watch", True) else f"{status} - {message}")
            fail(f"Error: The rollout is in a degraded state with message: {message}")
        if flags.get("watch", True) and status != "Healthy":
            fail(
                "stand-in: `status` without --watch=false would wait for the controller; not modelled",
                97,
            )
        print(status if status == "Healthy" else f"{status} - {message}")
    elif verb == "get":
        if not rest or rest[0] not in ("rollout", "ro", "rollouts"):
            fail("stand-in: only `get rollout` is modelled", 97)
        args, flags = parse(verb, rest[1:])
        rollout(state, args, flags)
        if flags.get("watch"):
            fail("stand-in: `get rollout --watch` is not modelled", 97)
        status, message, icon, weight = view(state)
        rows = [
            ("Name:", state["name"]),
            ("Namespace:", state.get("namespace", "default")),
            ("Status:", f"{icon} {status}"),
        ]
        if message:
            rows.append(("Message:", message))
        step = f"{min(state['index'], len(state['steps']))}/{len(state['steps'])}"
        rows += [
            ("Strategy:", "Canary"),
            ("  Step:", step),
            ("  SetWeight:", str(weight)),
            ("  ActualWeight:", str(weight)),
        ]
        sys.stdout.write("".join(f"{k:<17}{v}\n" for k, v in rows))
        sys.stdout.write("Replicas:\n  Desired:       10\n  Current:       10\n")
    elif verb == "set":
        if rest[:1] != ["image"]:
            sys.stderr.write(SET_USAGE)
            raise SystemExit(1)
        fail("stand-in: `set image` is not modelled", 97)
    elif verb in (
        "create",
        "dashboard",
        "lint",
        "list",
        "pause",
        "restart",
        "retry",
        "terminate",
        "undo",
        "version",
        "completion",
        "help",
        "notifications",
    ):
        fail(f"stand-in: `{verb}` is not modelled", 97)
    else:
        fail(f'Error: unknown command "{verb}" for "{CLI}"\nRun \'{CLI} --help\' for usage.')


if __name__ == "__main__":
    main(sys.argv[1:])
