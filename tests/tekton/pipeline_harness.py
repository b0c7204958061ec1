"""A stand-in for the Tekton controller running one PipelineRun of a v1 Pipeline (I/O).

Each PipelineTask becomes a TaskRun of :class:`tekton_harness.TaskRunHarness`; this
module plays the Pipeline's execution rules as tektoncd/pipeline docs/pipelines.md
states them, each rule cited where it is applied:

- ordering: ``runAfter`` and result references both make a Task wait ("Configuring the
  Task execution order");
- ``when`` guards only its own Task since Pipelines 0.44: the ordering-dependent Tasks
  still run, the resource-dependent ones are skipped for want of the result ("Guarding a
  Task only");
- a Task whose TaskRun fails stops the scheduling of Tasks not yet started, then
  ``finally`` runs ("PipelineRun Status with finally");
- ``finally`` Tasks may read ``$(tasks.status)`` and ``$(tasks.<name>.status)``, and are
  skipped when a result they read was never produced ("Consuming Task execution results in
  finally", "Using Execution Status of pipelineTask", "Using Aggregate Execution Status");
- a result that a Task declared but did not write fails the consuming Task's run with
  ``InvalidTaskResultReference`` ("Passing one Task's Results into the Parameters...");
  array results pass whole with ``[*]`` and ``[*]`` of an empty array is refused
  (docs/tasks.md "Emitting Array Results");
- results share the 4 KB termination message (enforced by the TaskRun harness).

Tasks run one at a time in declaration order among those ready, which is one of the
orders Tekton may choose; tests never depend on two independent Tasks' interleaving.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tekton_harness import TaskRunError, TaskRunHarness, TaskRunResult

__all__ = ["PipelineRunHarness", "PipelineRunResult", "load_tasks"]

_TASK_REF = re.compile(r"\$\(tasks\.([a-z0-9-]+)\.(results\.([A-Za-z0-9_-]+)(\[\*\])?|status)\)")
_VARIABLE = re.compile(r"\$\(([^()]*)\)")


def load_tasks(*files: Path) -> dict[str, dict[str, Any]]:
    """Every ``tekton.dev/v1`` Task in ``files``, by name."""
    tasks: dict[str, dict[str, Any]] = {}
    for file in files:
        for doc in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "Task":
                tasks[doc["metadata"]["name"]] = doc
    return tasks


@dataclass
class PipelineRunResult:
    """What a PipelineRun left: each Task's status, TaskRun and the run's reason."""

    #: ``Succeeded`` | ``Failed`` | ``None`` per PipelineTask (``None``: skipped or never run).
    status: dict[str, str] = field(default_factory=dict)
    #: Why each skipped Task was skipped.
    skipped: dict[str, str] = field(default_factory=dict)
    taskruns: dict[str, TaskRunResult] = field(default_factory=dict)
    #: The params each TaskRun was given, after substitution.
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``Succeeded``, ``Completed`` (some Task skipped) or ``Failed``.
    reason: str = ""
    aggregate: str = ""

    def ran(self, name: str) -> bool:
        return name in self.taskruns

    def results(self, name: str) -> dict[str, Any]:
        return self.taskruns[name].results


@dataclass
class PipelineRunHarness:
    """Runs PipelineRuns of ``pipeline_file`` with the Tasks of ``task_files``.

    :param image_bin: the directory playing every step image's PATH (see TaskRunHarness).
    :param root: where the TaskRun directories go.
    """

    pipeline_file: Path
    task_files: tuple[Path, ...]
    image_bin: Path
    root: Path
    runs: int = 0

    @property
    def pipeline(self) -> dict[str, Any]:
        doc = yaml.safe_load(self.pipeline_file.read_text(encoding="utf-8"))
        if doc.get("apiVersion") != "tekton.dev/v1" or doc.get("kind") != "Pipeline":
            raise TaskRunError(f"{self.pipeline_file}: not a tekton.dev/v1 Pipeline")
        return dict(doc)

    def run(self, params: Mapping[str, str], workspaces: Mapping[str, Path]) -> PipelineRunResult:
        """One PipelineRun with ``params`` and ``workspaces`` (pipeline workspace -> directory)."""
        self.runs += 1
        spec = self.pipeline["spec"]
        tasks = load_tasks(*self.task_files)
        values = _pipeline_params(spec, params)
        bound = _pipeline_workspaces(spec, workspaces)
        pipeline_tasks = spec.get("tasks", [])
        finally_tasks = spec.get("finally", [])
        names = [t["name"] for t in pipeline_tasks]
        _check_references(pipeline_tasks, finally_tasks, names, tasks)
        result = PipelineRunResult()
        done: set[str] = set()
        stopped = False
        while len(done) < len(pipeline_tasks):
            ready = [
                t for t in pipeline_tasks
                if t["name"] not in done and _dependencies(t) <= done
            ]  # fmt: skip
            if not ready:
                raise TaskRunError(f"a cycle among {sorted(set(names) - done)}")
            task = ready[0]
            done.add(task["name"])
            if stopped:
                # "PipelineRun Status with finally": after a failure no new Task starts
                result.status[task["name"]] = "None"
                result.skipped[task["name"]] = "the PipelineRun is stopping after a failure"
                continue
            self._one(task, tasks, values, bound, result, final=False)
            if result.status[task["name"]] == "Failed":
                stopped = True
        result.aggregate = _aggregate(result, names)
        for task in finally_tasks:
            self._one(task, tasks, values, bound, result, final=True)
        result.reason = (
            "Failed" if "Failed" in result.status.values()
            else "Completed" if result.skipped
            else "Succeeded"
        )  # fmt: skip
        return result

    # -- one PipelineTask ---------------------------------------------------------------

    def _one(
        self,
        ptask: dict[str, Any],
        tasks: Mapping[str, dict[str, Any]],
        values: Mapping[str, str],
        bound: Mapping[str, Path],
        result: PipelineRunResult,
        *,
        final: bool,
    ) -> None:
        name = ptask["name"]
        try:
            params = {
                p["name"]: _resolve(p["value"], values, result, final=final)
                for p in ptask.get("params", [])
            }
            whens = [
                (
                    _resolve(w.get("input", ""), values, result, final=final),
                    w["operator"],
                    _resolve(w["values"], values, result, final=final),
                )
                for w in ptask.get("when", [])
            ]
        except _Missing as missing:
            # "Guarding a Task only": resource-dependent Tasks of a skipped Task are skipped;
            # "Consuming Task execution results in finally": so is a finally Task
            result.status[name] = "None"
            result.skipped[name] = str(missing)
            return
        for value, operator, allowed in whens:
            # "Guard Task execution using when expressions": in / notin over the values
            if (value in allowed) != (operator == "in"):
                result.status[name] = "None"
                result.skipped[name] = f"when {value!r} {operator} {allowed}"
                return
        task = tasks.get(ptask["taskRef"]["name"])
        if task is None:
            raise TaskRunError(f"{name}: no Task named {ptask['taskRef']['name']}")
        workspaces = {}
        for ws in ptask.get("workspaces", []):
            if ws["workspace"] in bound:
                workspaces[ws["name"]] = bound[ws["workspace"]]
        harness = TaskRunHarness(
            Path(f"{task['metadata']['name']}.yaml"),
            self.image_bin,
            self.root / f"pr-{self.runs}",
            document=task,
        )
        run = harness.run(params, workspaces, name=f"run{self.runs}-{name}")
        result.params[name] = params
        result.taskruns[name] = run
        result.status[name] = "Succeeded" if run.succeeded else "Failed"


class _Missing(Exception):
    """A result the Task reads was never produced (its Task was skipped or failed)."""


def _dependencies(ptask: Mapping[str, Any]) -> set[str]:
    """``runAfter`` plus every Task whose results this one reads ("Configuring the Task
    execution order": resource and ordering dependencies)."""
    found = set(ptask.get("runAfter", []))
    text = yaml.safe_dump({"params": ptask.get("params", []), "when": ptask.get("when", [])})
    found |= {m.group(1) for m in _TASK_REF.finditer(text) if m.group(2) != "status"}
    return found


def _check_references(
    pipeline_tasks: list[dict[str, Any]],
    finally_tasks: list[dict[str, Any]],
    names: list[str],
    tasks: Mapping[str, dict[str, Any]],
) -> None:
    """What the controller's validation refuses before any TaskRun starts."""
    by_name = {t["name"]: t for t in pipeline_tasks}
    for ptask in [*pipeline_tasks, *finally_tasks]:
        final = ptask in finally_tasks
        text = yaml.safe_dump({"params": ptask.get("params", []), "when": ptask.get("when", [])})
        for match in _TASK_REF.finditer(text):
            target = match.group(1)
            if target not in by_name:
                raise TaskRunError(f"{ptask['name']}: $(tasks.{target}...) names no Task")
            if match.group(2) == "status" and not final:
                # "Using Execution Status of pipelineTask": only finally Tasks read it
                raise TaskRunError(f"{ptask['name']}: $(tasks.{target}.status) outside finally")
            if match.group(3):
                declared = {
                    r["name"]
                    for r in tasks[by_name[target]["taskRef"]["name"]]["spec"].get("results", [])
                }
                if match.group(3) not in declared:
                    raise TaskRunError(
                        f"{ptask['name']}: Task {target} declares no result {match.group(3)}"
                    )
        if not final and "$(tasks.status)" in text:
            raise TaskRunError(f"{ptask['name']}: $(tasks.status) is for finally Tasks only")
        for after in ptask.get("runAfter", []):
            if after not in names:
                raise TaskRunError(f"{ptask['name']}: runAfter {after} names no Task")


def _aggregate(result: PipelineRunResult, names: list[str]) -> str:
    """``$(tasks.status)`` ("Using Aggregate Execution Status of All Tasks")."""
    statuses = [result.status.get(n, "None") for n in names]
    if "Failed" in statuses:
        return "Failed"
    if all(s == "Succeeded" for s in statuses):
        return "Succeeded"
    if all(s == "Succeeded" or n in result.skipped for s, n in zip(statuses, names, strict=True)):
        return "Completed"
    return "None"


def _resolve(
    value: Any, values: Mapping[str, str], result: PipelineRunResult, *, final: bool
) -> Any:
    """A PipelineTask param value (string or list) with Pipeline variables substituted."""
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            star = re.fullmatch(r"\$\(tasks\.([a-z0-9-]+)\.results\.([A-Za-z0-9_-]+)\[\*\]\)", item)
            if star:
                array = _result(result, star.group(1), star.group(2))
                if not isinstance(array, list):
                    raise TaskRunError(f"{item}: [*] of a string result")
                if not array:
                    # docs/tasks.md "Emitting Array Results": [*] of [] is InvalidTaskResultReference
                    raise TaskRunError(f"{item}: InvalidTaskResultReference (empty array)")
                out += array
            else:
                out.append(_resolve(item, values, result, final=final))
        return out

    def one(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner in values:
            return values[inner]
        if inner == "tasks.status":
            return result.aggregate
        ref = _TASK_REF.fullmatch(match.group(0))
        if ref and ref.group(2) == "status":
            return result.status.get(ref.group(1), "None")
        if ref and not ref.group(4):
            found = _result(result, ref.group(1), ref.group(3))
            if not isinstance(found, str):
                raise TaskRunError(f"$({inner}): an array result in a string")
            return found
        if inner.startswith(("params.", "tasks.", "context.")):
            raise TaskRunError(f"$({inner}) refers to nothing the Pipeline declares")
        return match.group(0)

    return _VARIABLE.sub(one, str(value))


def _result(result: PipelineRunResult, task: str, name: str) -> Any:
    run = result.taskruns.get(task)
    if run is None or not run.succeeded:
        # "Guarding a Task only" / "Consuming Task execution results in finally": a skipped or
        # failed Task's results do not exist
        raise _Missing(f"result {name} of {task}, which {'failed' if run else 'did not run'}")
    if name not in run.results:
        # "Passing one Task's Results...": declared but not produced -> InvalidTaskResultReference
        raise TaskRunError(f"InvalidTaskResultReference: {task} did not produce {name}")
    return run.results[name]


def _pipeline_params(spec: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    declared = {p["name"]: p for p in spec.get("params", [])}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TaskRunError(f"params not declared by the Pipeline: {', '.join(unknown)}")
    out = {}
    for name, param in declared.items():
        if name in given:
            out[f"params.{name}"] = given[name]
        elif "default" in param:
            out[f"params.{name}"] = param["default"]
        else:
            raise TaskRunError(f"Pipeline param {name} has no default and was not given")
    out["context.pipelineRun.name"] = "pipelinerun"
    out["context.pipelineRun.namespace"] = "default"
    return out


def _pipeline_workspaces(spec: Mapping[str, Any], given: Mapping[str, Path]) -> dict[str, Path]:
    declared = {w["name"]: w for w in spec.get("workspaces", [])}
    extra = sorted(set(given) - set(declared))
    if extra:
        raise TaskRunError(f"workspaces not declared by the Pipeline: {', '.join(extra)}")
    for name, ws in declared.items():
        if name not in given and not ws.get("optional"):
            raise TaskRunError(f"Pipeline workspace {name} is required and was not bound")
    return dict(given)
