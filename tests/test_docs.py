"""The README and the hook reference stay in step with the code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from releasegate.cli import COMMANDS
from releasegate.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_embeds_the_example_policy_verbatim() -> None:
    policy = (ROOT / "examples" / "checkout" / "releasegate.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{policy.rstrip()}\n```" in README


def test_readme_shows_the_two_commands_and_ci_runs_the_test_command() -> None:
    assert "pip install . && bash examples/demo.sh" in README
    assert "bash scripts/test.sh" in README
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set "))]
    assert ci == ["bash scripts/test.sh"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme_table(name: str) -> None:
    assert f"| `releasegate {name}" in README


def test_every_relative_link_in_the_readme_exists() -> None:
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", README)
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []


HOOKS = [name for name, obj in vars(hookspecs).items() if name.startswith("releasegate_") and callable(obj)]


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    hook = getattr(hookspecs, name)
    doc = inspect.getdoc(hook) or ""
    assert len(doc.splitlines()[0]) > 20
    for param in inspect.signature(hook).parameters:
        assert f":param {param}:" in doc, f"{name} does not document {param}"
    assert ":return:" in doc and "firstresult" in doc


def test_every_hook_has_an_implementation_that_tests_exercise() -> None:
    from releasegate.plugins import Hooks

    implemented = {impl.function.__name__ for impls in (
        getattr(Hooks.load({}).pm.hook, name).get_hookimpls() for name in HOOKS) for impl in impls}
    sample = (ROOT / "tests" / "plugins" / "sample_plugin" / "src" / "releasegate_sample" / "__init__.py").read_text()
    implemented |= set(re.findall(r"def (releasegate_\w+)", sample))
    assert sorted(set(HOOKS) - implemented) == []
