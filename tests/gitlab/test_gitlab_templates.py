"""The component templates as data: GitLab's CI schema, typed inputs, and no shell splicing.

Every template is split at ``---``: the ``spec:`` header and the job body (its inputs
interpolated with their defaults) are both checked with ``check-jsonschema
--builtin-schema vendor.gitlab-ci``; so are the example pipelines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from peers.cli import Invoke
from peers.runners import Tool
from releasegate.adapters.gitlab import TEMPLATES

NAMES = sorted(p.stem for p in TEMPLATES.glob("*.yml"))
EXAMPLES = TEMPLATES.parent / "examples"
README = TEMPLATES.parent / "README.md"
WHOLE = re.compile(r"^\$\[\[ inputs\.([a-z0-9-]+) \]\]$")
PART = re.compile(r"\$\[\[ inputs\.([a-z0-9-]+) \]\]")
#: Values for the inputs without a default.
REQUIRED = {"environment": "production"}


def _load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, body = yaml.safe_load_all((TEMPLATES / f"{name}.yml").read_text())
    return header, body


def _interpolate(node: Any, values: dict[str, Any]) -> Any:
    """GitLab's ``$[[ inputs.x ]]``: a whole value keeps its type, a part becomes text."""
    if isinstance(node, dict):
        return {_interpolate(k, values): _interpolate(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(item, values) for item in node]
    if isinstance(node, str):
        whole = WHOLE.match(node)
        if whole:
            return values[whole.group(1)]
        return PART.sub(
            lambda m: (
                str(values[m.group(1)]).lower()
                if isinstance(values[m.group(1)], bool)
                else str(values[m.group(1)])
            ),
            node,
        )
    return node


def _defaults(header: dict[str, Any]) -> dict[str, Any]:
    inputs = header["spec"]["inputs"]
    return {name: spec.get("default", REQUIRED.get(name)) for name, spec in inputs.items()}


def test_the_component_has_the_templates_the_issue_names() -> None:
    assert {"check", "promote", "analyze", "canary", "cache"} <= set(NAMES)


def test_headers_bodies_and_examples_validate_against_gitlabs_schema(
    tmp_path: Path, check_jsonschema: Tool
) -> None:
    files = []
    for name in NAMES:
        header, body = _load(name)
        for part, doc in (("spec", header), ("jobs", _interpolate(body, _defaults(header)))):
            target = tmp_path / f"{name}.{part}.yml"
            target.write_text(yaml.safe_dump(doc, sort_keys=False))
            files.append(target)
    files += sorted(EXAMPLES.glob("*.yml"))

    result = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", *files)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_typed_described_and_all_used(name: str) -> None:
    header, body = _load(name)
    inputs = header["spec"]["inputs"]
    text = (TEMPLATES / f"{name}.yml").read_text().split("\n---\n", 1)[1]
    used = set(PART.findall(text))
    assert used == set(inputs), f"unused: {set(inputs) - used}, undeclared: {used - set(inputs)}"
    assert {"job-prefix", "stage", "image", "rules"} <= set(inputs)
    assert inputs["rules"]["type"] == "array"
    for input_name, spec in inputs.items():
        assert spec.get("description"), f"{input_name} has no description"
        kind = spec.get("type", "string")
        if kind == "string" and "default" in spec and "regex" in spec:
            assert re.fullmatch(spec["regex"], spec["default"]), (
                f"{input_name}'s default fails its regex"
            )
        if kind == "string" and input_name not in ("image",):
            assert "regex" in spec or "options" in spec, f"string input {input_name} is unchecked"
    assert not {"default", "stages", "workflow", "variables", "include"} & set(body)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_never_reach_the_script_text(name: str) -> None:
    _, body = _load(name)
    for job in body.values():
        scripts = [job.get("script", []), job.get("before_script", []), job.get("after_script", [])]
        for line in (line for script in scripts for line in script):
            assert "$[[" not in line, f"{name}: input spliced into shell: {line}"


@pytest.mark.parametrize("name", NAMES)
def test_gate_jobs_verify_and_record_jobs_start(name: str) -> None:
    _, body = _load(name)
    (job,) = body.values()
    environment = job.get("environment")
    if name in ("check", "cache"):
        assert environment is None
        return
    assert environment["action"] == ("start" if name == "record" else "verify")
    assert job["resource_group"] == "$[[ inputs.environment ]]"
    if name != "record":
        assert job["artifacts"]["when"] == "always"
        assert job["artifacts"]["reports"] == {
            "dotenv": "releasegate.env",
            "junit": "releasegate-junit.xml",
        }


def test_the_readme_documents_every_template_and_input() -> None:
    readme = README.read_text()
    for name in NAMES:
        assert f"templates/{name}.yml" in readme, name
        header, _ = _load(name)
        for input_name in header["spec"]["inputs"]:
            assert f"`{input_name}`" in readme, f"{name}: input {input_name} is not in the README"


@pytest.mark.parametrize("name", NAMES)
def test_the_image_is_the_one_image_tagged_with_the_component_version(name: str) -> None:
    from releasegate import IMAGE, __version__

    header, _ = _load(name)
    assert header["spec"]["inputs"]["image"]["default"] == f"{IMAGE}:{__version__}"


def test_every_template_reads_the_environment_the_same_way() -> None:
    regexes = {
        name: _load(name)[0]["spec"]["inputs"]["environment"]["regex"]
        for name in NAMES
        if "environment" in _load(name)[0]["spec"]["inputs"] and name != "cache"
    }
    assert set(regexes.values()) == {r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,99}$"}, regexes
    assert set(regexes) == {"promote", "analyze", "canary", "drill", "record"}
    assert re.fullmatch(regexes["drill"], "review/feature-x")


@pytest.mark.parametrize("name", [n for n in NAMES if n != "check"])
def test_each_job_maps_inputs_to_variables_and_runs_one_command(name: str) -> None:
    header, body = _load(name)
    (job,) = _interpolate(body, _defaults(header)).values()
    assert job["script"] == ["releasegate-gitlab"]
    assert job["variables"]["RELEASEGATE_GITLAB_COMMAND"] in (
        "promote",
        "gate",
        "canary",
        "drill",
        "record",
        "cache",
    )
    assert "{" not in str(job.get("resource_group", ""))
    if name not in ("record", "cache"):
        assert job["artifacts"]["expose_as"] == "releasegate report"  # linked in the merge request


@pytest.mark.parametrize(
    ("name", "input_name", "value"),
    [
        ("analyze", "prometheus-url", "$PROMETHEUS_URL"),
        ("analyze", "prometheus-url", "http://127.0.0.1:9090"),
        ("analyze", "deployed-at", "$DEPLOYED_AT"),
        ("analyze", "deployed-at", "2026-03-02T10:00:00Z"),
        ("canary", "prometheus-url", "${PROMETHEUS_URL}"),
    ],
)
def test_inputs_gitlab_expands_accept_a_variable(name: str, input_name: str, value: str) -> None:
    header, _ = _load(name)
    assert re.fullmatch(header["spec"]["inputs"][input_name]["regex"], value)


def _readme_yaml() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S)


def test_every_yaml_example_of_the_readme_is_valid(
    invoke: Invoke, tmp_path: Path, check_jsonschema: Tool
) -> None:
    blocks = _readme_yaml()
    policies = [b for b in blocks if b.startswith("version: 1")]
    pipelines = [b for b in blocks if not b.startswith("version: 1")]
    assert policies and len(pipelines) >= 6
    for index, text in enumerate(policies):
        path = tmp_path / f"policy-{index}.yml"
        path.write_text(text)
        assert invoke("check", "-c", path).code == 0, text
    files = []
    for index, text in enumerate(pipelines):
        files.append(tmp_path / f"pipeline-{index}.yml")
        files[-1].write_text(text)

    result = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", *files)

    assert result.returncode == 0, result.stdout + result.stderr
