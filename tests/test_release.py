"""The release procedure of RELEASING.md, dry-run: both distributions build offline and pass
``twine check``, one version is written everywhere, and the changelog keeps its form."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import releasegate

ROOT = Path(__file__).resolve().parents[1]
VERSION = releasegate.__version__
#: An image reference of ours: the name ends in ``releasegate``, then a tag or a digest.
IMAGE = re.compile(
    r"[\w./-]*/releasegate(?::(?P<tag>[\w.+-]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?(?=[\s\"'\]]|$)"
)
#: Files that name the image a user runs; each must carry the package's version or a digest.
IMAGE_FILES = [
    *sorted((ROOT / "adapters/gitlab/templates").glob("*.yml")),
    *sorted((ROOT / "adapters/tekton").rglob("*.yaml")),
    *sorted((ROOT / "examples").rglob("*.yaml")),
]


def _commands(markdown: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", markdown, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_dry_run_command_is_the_one_releasing_md_shows() -> None:
    commands = _commands((ROOT / "RELEASING.md").read_text(encoding="utf-8"))
    assert commands == [
        "rm -rf dist && .venv/bin/python -m build --no-isolation --outdir dist . "
        "&& .venv/bin/twine check --strict dist/*"
    ]


def test_the_distributions_build_offline_and_pass_twine_check(tmp_path: Path) -> None:
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.pyc", ".venv", ".cache", ".git", "dist", "build", "*.egg-info"
    )
    shutil.copytree(ROOT, source, ignore=ignore, symlinks=True)
    dist = tmp_path / "dist"
    # The same steps as RELEASING.md's dry run, with this interpreter's environment.
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = dist / f"releasegate-{VERSION}-py3-none-any.whl"
    sdist = dist / f"releasegate-{VERSION}.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel.name, sdist.name])
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout
    # The sdist holds what a rebuild needs; the wheel holds the package under its installed name.
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {
        "pyproject.toml",
        "README.md",
        "core/__init__.py",
        "adapters/gitlab/templates/promote.yml",
    } <= names
    with zipfile.ZipFile(wheel) as whl:
        metadata = whl.read(f"releasegate-{VERSION}.dist-info/METADATA").decode()
    assert f"\nVersion: {VERSION}\n" in metadata


@pytest.mark.parametrize("path", IMAGE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_image_reference_carries_the_package_version_or_a_digest(path: Path) -> None:
    wrong = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in IMAGE.finditer(line):
            if match["digest"] is None and match["tag"] != VERSION:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{number}: {match.group(0)} (want :{VERSION} or @sha256:...)"
                )
    assert wrong == []


def test_the_changelog_has_an_unreleased_section_first_in_keep_a_changelog_form() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, flags=re.M)
    assert sections and sections[0] == ("Unreleased", "")
    assert all(date for name, date in sections[1:]), sections
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert set(re.findall(r"^### (.+)$", text, flags=re.M)) <= allowed


def test_the_image_references_are_found_at_all() -> None:
    # one image, named alike everywhere: count the files that name it, not the distinct names
    found = {path for path in IMAGE_FILES if IMAGE.search(path.read_text(encoding="utf-8"))}
    assert len(found) >= 2, found
