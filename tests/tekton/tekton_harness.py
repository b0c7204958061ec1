"""A stand-in for the Tekton controller and entrypoint, for one TaskRun of a v1 Task (I/O).

No cluster runs here, so this plays the parts Tekton documents
(docs/variables.md, docs/tasks.md): params checked against the Task and
defaulted, ``$(params.x)``, ``$(results.x.path)``, ``$(workspaces.x.path|bound)``
and ``$(context.*)`` substituted in the fields Tekton substitutes, the
``stepTemplate`` merged into each step, each ``script`` written to a file and run
by its shebang (``#!/bin/sh`` + ``set -e`` when it has none) in ``workingDir``,
and the results read back, refused past the 4 KB termination message. A
reference Tekton would reject (an undeclared param, result or workspace) fails
the run before any step starts.

The image is either the project's venv on this host (``image_bin`` first on
PATH, run as this user: the venv's interpreter lives under ``/root``), or an
unpacked image root (``chroot``), where steps run as their ``runAsUser``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CHROOT", "TERMINATION_MESSAGE_LIMIT", "TaskRunError", "TaskRunHarness", "TaskRunResult"]

#: Tekton passes results through the container's termination message, capped at 4096 bytes.
TERMINATION_MESSAGE_LIMIT = 4096
_VARIABLE = re.compile(r"\$\(([^()]*)\)")
_NAME = r"""(?:\.([A-Za-z0-9_-]+)|\['([^']+)'\]|\["([^"]+)"\])"""
_REFERENCE = re.compile(rf"^(params|results|workspaces){_NAME}(?:\.(path|bound|claim|volume))?$")
_SCRIPT_DEFAULT = "#!/bin/sh\nset -e\n"
#: coreutils' chroot lives in sbin, which a non-login PATH may lack.
CHROOT = shutil.which("chroot", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") or "chroot"


class TaskRunError(AssertionError):
    """The TaskRun would be rejected by Tekton before any step starts."""


@dataclass(frozen=True)
class TaskRunResult:
    """What one TaskRun left: whether it succeeded, its results and each step's output."""

    succeeded: bool
    exit_code: int
    results: dict[str, Any]
    stdout: str
    stderr: str
    image: str
    termination_message: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TaskRunHarness:
    """Runs TaskRuns of ``task_file``; ``image_bin`` is the directory that plays the image's PATH.

    :param task_file: the Task YAML.
    :param image_bin: put first on the steps' PATH (the venv with releasegate installed).
    :param root: a directory every step user can traverse; TaskRun directories go under it.
        With ``chroot``, it must lie inside that root.
    :param chroot: an unpacked image to run the steps in, as their ``runAsUser``.
    """

    task_file: Path
    image_bin: Path
    root: Path
    chroot: Path | None = None
    runs: int = 0
    volumes: int = 0
    #: The Task itself, when it does not come from ``task_file`` (one of several in a file).
    document: dict[str, Any] | None = None

    @property
    def task(self) -> dict[str, Any]:
        task = self.document or yaml.safe_load(self.task_file.read_text(encoding="utf-8"))
        if task.get("apiVersion") != "tekton.dev/v1" or task.get("kind") != "Task":
            raise TaskRunError(f"{self.task_file}: not a tekton.dev/v1 Task")
        return dict(task)

    def workspace(self, name: str) -> Path:
        """A fresh directory to bind as a workspace, owned by the steps' user."""
        self.volumes += 1
        path = self.root / "volumes" / f"{name}-{self.volumes}"
        path.mkdir(parents=True)
        _give(path, self.step_uid())
        return path

    def run(
        self,
        params: Mapping[str, str | list[str]] | None = None,
        workspaces: Mapping[str, Path] | None = None,
        *,
        name: str | None = None,
        timeout: float = 120,
    ) -> TaskRunResult:
        """Run one TaskRun with ``params`` and ``workspaces`` (name -> bound directory)."""
        task = self.task
        spec = task["spec"]
        self.runs += 1
        run_name = name or f"{task['metadata']['name']}-run-{self.runs}"
        rundir = self.root / run_name
        (rundir / "results").mkdir(parents=True)
        (rundir / "home").mkdir()
        (rundir / "scripts").mkdir()
        uid = self.step_uid()
        for path in (rundir / "results", rundir / "home"):
            _give(path, uid)
        values, lists = self._variables(
            spec, dict(params or {}), dict(workspaces or {}), rundir, run_name
        )
        template = spec.get("stepTemplate", {})
        outputs, logs_out, logs_err, exit_code, image = [], [], [], 0, ""
        for index, step in enumerate(spec["steps"]):
            step = _merge(template, step)
            image = _substitute(step.get("image", ""), values)
            env = {
                e["name"]: _substitute(str(e.get("value", "")), values) for e in step.get("env", [])
            }
            env = {
                k: (self.view(rundir / "home") if v == "/tekton/home" else v)
                for k, v in env.items()
            }
            base = {"PATH": f"{self.image_bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
            workdir = _substitute(step.get("workingDir", ""), values) or self.view(rundir / "home")
            args = _substitute_list(step.get("args", []), values, lists)
            if "script" in step:
                if "command" in step:
                    raise TaskRunError(f"step {step['name']}: script and command are exclusive")
                text = _substitute(step["script"], values)
                if not text.startswith("#!"):
                    text = _SCRIPT_DEFAULT + text
                script = rundir / "scripts" / f"script-{index}"
                script.write_text(text, encoding="utf-8")
                script.chmod(0o755)
                cmd = [self.view(script), *args]
            else:
                cmd = _substitute_list(step["command"], values, lists) + args
            if self.chroot is not None:
                user = (step.get("securityContext") or {}).get("runAsUser", 0)
                chroot = [CHROOT, f"--userspec={user}:{user}", str(self.chroot)]
                cmd, workdir = [*chroot, "/usr/bin/env", "-C", workdir, *cmd], "/"
            done = subprocess.run(
                cmd,
                cwd=workdir,
                env={**base, **env},
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            outputs.append({"name": step["name"], "image": image, "exit_code": done.returncode})
            logs_out.append(done.stdout)
            logs_err.append(done.stderr)
            if done.returncode != 0:
                exit_code = done.returncode
                break
        results, message = _read_results(spec, rundir / "results")
        return TaskRunResult(
            succeeded=exit_code == 0,
            exit_code=exit_code,
            results=results,
            stdout="".join(logs_out),
            stderr="".join(logs_err),
            image=image,
            termination_message=message,
            steps=outputs,
        )

    def view(self, path: Path) -> str:
        """``path`` as the steps see it: inside the chroot when there is one."""
        return "/" + str(path.relative_to(self.chroot)) if self.chroot else str(path)

    def step_uid(self) -> int | None:
        """The ``runAsUser`` the steps share, when they run as it (in a chroot, as root)."""
        users = {
            (_merge(self.task["spec"].get("stepTemplate", {}), s).get("securityContext") or {}).get(
                "runAsUser"
            )
            for s in self.task["spec"]["steps"]
        }
        user = users.pop() if len(users) == 1 else None
        return user if self.chroot is not None and os.geteuid() == 0 else None

    def _variables(
        self,
        spec: dict[str, Any],
        given: dict[str, str | list[str]],
        bound: dict[str, Path],
        rundir: Path,
        run_name: str,
    ) -> tuple[dict[str, str], dict[str, list[str]]]:
        declared = {p["name"]: p for p in spec.get("params", [])}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise TaskRunError(f"params not declared by the Task: {', '.join(unknown)}")
        values: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        for pname, param in declared.items():
            kind = param.get("type", "string")
            if kind not in ("string", "array"):
                raise TaskRunError(f"param {pname}: type {kind} is not played here")
            if pname in given:
                value = given[pname]
            elif "default" in param:
                value = param["default"]
            else:
                raise TaskRunError(f"param {pname} has no default and was not given")
            if kind == "array":
                # docs/tasks.md "Specifying Parameters": an array param takes a list of strings
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise TaskRunError(
                        f"param {pname}: a list of strings is expected, got {value!r}"
                    )
                lists[f"params.{pname}"] = list(value)
                continue
            if not isinstance(value, str):
                raise TaskRunError(f"param {pname}: a string is expected, got {value!r}")
            values[f"params.{pname}"] = value
        declared_ws = {w["name"]: w for w in spec.get("workspaces", [])}
        extra = sorted(set(bound) - set(declared_ws))
        if extra:
            raise TaskRunError(f"workspaces not declared by the Task: {', '.join(extra)}")
        for wname, ws in declared_ws.items():
            if wname in bound:
                values[f"workspaces.{wname}.path"] = self.view(bound[wname])
                values[f"workspaces.{wname}.bound"] = "true"
            elif ws.get("optional"):
                values[f"workspaces.{wname}.path"] = ""
                values[f"workspaces.{wname}.bound"] = "false"
            else:
                raise TaskRunError(f"workspace {wname} is required and was not bound")
        for result in spec.get("results", []):
            if result.get("type", "string") not in ("string", "array"):
                raise TaskRunError(
                    f"result {result['name']}: only string and array results are played"
                )
            values[f"results.{result['name']}.path"] = self.view(
                rundir / "results" / result["name"]
            )
        values["context.taskRun.name"] = run_name
        values["context.taskRun.namespace"] = "default"
        values["context.taskRun.uid"] = f"00000000-0000-4000-8000-{self.runs:012d}"
        values["context.task.name"] = spec.get("name", self.task["metadata"]["name"])
        values["context.task.retry-count"] = "0"
        return values, lists


def _substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every Tekton variable in ``text``; shell ``$(...)`` that is not one stays."""

    def one(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        ref = _REFERENCE.match(inner)
        if ref:
            kind, name = ref.group(1), next(g for g in ref.group(2, 3, 4) if g)
            key = f"{kind}.{name}" + (f".{ref.group(5)}" if ref.group(5) else "")
            if key not in values:
                raise TaskRunError(f"$({inner}) refers to nothing the Task declares")
            return values[key]
        if inner.startswith("context."):
            if inner not in values:
                raise TaskRunError(f"$({inner}) is not a context variable of a TaskRun")
            return values[inner]
        return match.group(0)

    return _VARIABLE.sub(one, text)


def _substitute_list(
    items: list[str], values: Mapping[str, str], lists: Mapping[str, list[str]]
) -> list[str]:
    """``command``/``args`` with ``$(params.x[*])`` of an array param expanded in place.

    docs/tasks.md "Substituting Array parameters": an array param is referenced with
    the star notation as an item of its own in a step's ``command`` or ``args``.
    """
    out: list[str] = []
    for item in items:
        star = re.fullmatch(r"\$\(params\.([A-Za-z0-9_-]+)\[\*\]\)", item.strip())
        if star:
            key = f"params.{star.group(1)}"
            if key not in lists:
                raise TaskRunError(f"{item} refers to no array param of the Task")
            out += lists[key]
        else:
            out.append(_substitute(item, values))
    return out


def _merge(template: Mapping[str, Any], step: Mapping[str, Any]) -> dict[str, Any]:
    """A step over its ``stepTemplate``: step fields win; env merges by name, the step's last."""
    merged = {**template, **step}
    env = {e["name"]: e for e in template.get("env", [])}
    env.update({e["name"]: e for e in step.get("env", [])})
    merged["env"] = list(env.values())
    if "securityContext" in template and "securityContext" in step:
        merged["securityContext"] = {**template["securityContext"], **step["securityContext"]}
    return merged


def _read_results(spec: Mapping[str, Any], directory: Path) -> tuple[dict[str, Any], str]:
    results: dict[str, Any] = {}
    raw = {}
    for result in spec.get("results", []):
        path = directory / result["name"]
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            raw[result["name"]] = text
            results[result["name"]] = text
            if result.get("type") == "array":
                # docs/tasks.md "Emitting Array Results": the file holds a JSON list of strings
                try:
                    value = json.loads(text)
                except ValueError:
                    value = None
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise TaskRunError(
                        f"array result {result['name']} is not a JSON list: {text!r}"
                    )
                results[result["name"]] = value
    # the entrypoint writes the message with Go's json.Marshal: UTF-8 as is, <, > and &
    # escaped as \u003c... (pkg/termination/write.go)
    message = json.dumps(
        [{"key": k, "value": v, "type": 1} for k, v in raw.items()], ensure_ascii=False
    )
    message = message.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if len(message.encode("utf-8")) > TERMINATION_MESSAGE_LIMIT:
        raise TaskRunError(
            f"results take {len(message.encode())} bytes; the termination message holds"
            f" {TERMINATION_MESSAGE_LIMIT}"
        )
    return results, message


def _give(path: Path, uid: int | None) -> None:
    if uid is not None:
        for sub in [path, *path.rglob("*")]:
            os.chown(sub, uid, uid, follow_symlinks=False)


def copy_tree(src: Path, harness: TaskRunHarness, name: str = "source") -> Path:
    """A workspace holding a copy of ``src``, owned by the steps' user."""
    target = harness.workspace(name)
    shutil.copytree(src, target, dirs_exist_ok=True, symlinks=True)
    _give(target, harness.step_uid())
    return target


def harness_root() -> Iterator[Path]:
    """A directory under the system temp dir that the steps' user can traverse (pytest's is 0700)."""
    root = Path(tempfile.mkdtemp(prefix="releasegate-taskrun-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
