"""One image, one source: every reference to the releasegate image in adapters/ and examples/
is ``releasegate.IMAGE`` tagged ``releasegate.__version__``, or pinned by a sha256 digest.

References are found where YAML names an image: every ``image:`` value, and the default
of every Tekton param or GitLab input named ``image``. A reference that is a variable
(``$(params.image)``, ``$[[ inputs.image ]]``) is where the default is used, not a source.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import releasegate
from peers.locate import ROOT, VENV_BIN

FOLDERS = ("adapters", "examples")
DIGEST = "sha256:" + "5" * 64
#: Where the image must be found, so that the rule cannot pass on an empty list.
MUST = {
    "adapters/tekton/releasegate.yaml",
    "examples/argo-rollouts/analysistemplate.yaml",
    "adapters/gitlab/templates/check.yml",
    "adapters/gitlab/templates/promote.yml",
    "adapters/gitlab/templates/analyze.yml",
    "adapters/gitlab/templates/canary.yml",
    "adapters/gitlab/templates/cache.yml",
    "adapters/gitlab/templates/record.yml",
}


def allowed(reference: str) -> bool:
    """``IMAGE:<version>``, ``IMAGE@sha256:<64 hex>`` or ``IMAGE:<version>@sha256:<64 hex>``."""
    image, version = re.escape(releasegate.IMAGE), re.escape(releasegate.__version__)
    return re.fullmatch(
        rf"{image}(:{version})?(@sha256:[0-9a-f]{{64}})?", reference
    ) is not None and (reference != releasegate.IMAGE)


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield value
            if isinstance(value, dict) and key == "image" and isinstance(value.get("name"), str):
                yield value["name"]
            if key in ("params", "inputs") and isinstance(value, (list, dict)):
                entries = (
                    value
                    if isinstance(value, list)
                    else [
                        {"name": k, **(v or {})}
                        for k, v in value.items()
                        if isinstance(v, dict | None)
                    ]
                )
                for entry in entries:
                    if (
                        isinstance(entry, dict)
                        and entry.get("name") == "image"
                        and "default" in entry
                    ):
                        yield str(entry["default"])
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def references(root: Path) -> dict[str, list[str]]:
    """Image references naming releasegate, by file relative to ``root``."""
    found: dict[str, list[str]] = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                refs = [r.strip() for r in _walk(doc) if "releasegate" in r.split("/")[-1]]
                refs = [r for r in refs if not r.startswith(("$(", "$[["))]
                if refs:
                    found.setdefault(str(path.relative_to(root)), []).extend(refs)
    return found


def test_every_image_reference_comes_from_the_one_source() -> None:
    found = references(ROOT)

    assert MUST <= set(found), sorted(MUST - set(found))
    wrong = {file: refs for file, refs in found.items() if not all(allowed(r) for r in refs)}
    assert wrong == {}, f"not {releasegate.IMAGE}:{releasegate.__version__} nor pinned: {wrong}"


@pytest.mark.parametrize(
    ("reference", "ok"),
    [
        (f"{releasegate.IMAGE}:{releasegate.__version__}", True),
        (f"{releasegate.IMAGE}@{DIGEST}", True),
        (f"{releasegate.IMAGE}:{releasegate.__version__}@{DIGEST}", True),
        (releasegate.IMAGE, False),
        (f"{releasegate.IMAGE}:latest", False),
        (f"{releasegate.IMAGE}:0.0.9", False),
        (f"{releasegate.IMAGE}@sha256:1234", False),
        (f"registry.gitlab.com/releasegate/releasegate:{releasegate.__version__}", False),
    ],
)
def test_the_rule(reference: str, ok: bool) -> None:
    assert allowed(reference) is ok


def test_the_release_pins_every_reference_by_digest(tmp_path: Path) -> None:
    for folder in FOLDERS:
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    script = ROOT / "scripts" / "pin_image.py"
    run = [str(VENV_BIN / "python"), str(script)]

    refused = subprocess.run(
        [*run, "--root", str(tmp_path), "sha256:12"], capture_output=True, text=True
    )
    done = subprocess.run([*run, "--root", str(tmp_path), DIGEST], capture_output=True, text=True)
    pinned = {r for refs in references(tmp_path).values() for r in refs}
    later = "sha256:" + "6" * 64
    again = subprocess.run([*run, "--root", str(tmp_path), later], capture_output=True, text=True)

    assert refused.returncode == 2 and "is not sha256: and 64 hex digits" in refused.stderr
    assert done.returncode == 0, done.stderr
    assert MUST <= set(done.stdout.split())
    assert pinned == {f"{releasegate.IMAGE}:{releasegate.__version__}@{DIGEST}"}
    # a later release re-pins: no reference is left on the earlier digest
    assert again.returncode == 0, again.stderr
    assert {r for refs in references(tmp_path).values() for r in refs} == {
        f"{releasegate.IMAGE}:{releasegate.__version__}@{later}"
    }
