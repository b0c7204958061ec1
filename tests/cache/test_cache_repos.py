"""Keys from real git repositories made in the test: clones, edits, line endings, discovery order."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from releasegate.cache import build_plan, select_groups
from releasegate.cache.scan import digest_files, list_files
from releasegate.cache.trust import Trust
from releasegate.policy.model import Cache

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
}
FILES = {
    "web/package-lock.json": '{\n  "lockfileVersion": 3\n}\n',
    "api/uv.lock": 'version = 1\n[[package]]\nname = "a"\n',
    "api/requirements.txt": "a==1\n",
    "tools/requirements.txt": "b==2\n",
    "svc/go.sum": "example.com/x v1.0.0 h1:abc=\n",
    "src/app.py": "print('hi')\n",
    "node_modules/dep/package-lock.json": "{}\n",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout


def make_repo(path: Path, files: dict[str, str | bytes], *, commit: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "core.autocrlf", "false")
    write(path, files)
    if commit:
        git(path, "add", "-A")
        git(path, "commit", "-qm", "init")
    return path


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())


def keys(root: Path, cache: Cache | None = None) -> dict[tuple[str, str | None], str]:
    cache = cache or Cache()
    files, _how = list_files(root)
    groups, _warnings = select_groups(cache, files)
    digests = digest_files(root, [f for g in groups for f in g.lockfiles])
    plan = build_plan(cache, groups, digests, os_name="linux", trust=Trust(False, "test"))
    return {(e.ecosystem, e.directory): e.key for e in plan.entries}


def test_two_clones_of_one_commit_give_the_same_keys(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", FILES)
    one = tmp_path / "one"
    two = tmp_path / "deep" / "two"
    git(tmp_path, "clone", "-q", str(origin), str(one))
    git(tmp_path, "clone", "-q", "--no-hardlinks", str(origin), str(two))
    first = keys(one)
    assert set(first) == {("go", None), ("npm", None), ("pip", None), ("uv", None)}
    assert first == keys(two) == keys(origin)


@pytest.mark.parametrize(
    ("path", "changes"),
    [
        ("web/package-lock.json", {("npm", None)}),
        ("api/uv.lock", {("uv", None)}),
        ("tools/requirements.txt", {("pip", None)}),
        ("svc/go.sum", {("go", None)}),
        ("src/app.py", set()),
        ("node_modules/dep/package-lock.json", set()),
        ("api/requirements.txt", set()),  # an export beside uv.lock feeds no key
    ],
)
def test_a_key_changes_exactly_when_its_lockfile_changes(
    tmp_path: Path, path: str, changes: set[tuple[str, None]]
) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    before = keys(repo)
    write(repo, {path: FILES[path] + "# changed\n"})
    git(repo, "commit", "-qam", "change")
    after = keys(repo)
    assert {k for k in before if before[k] != after[k]} == changes


def test_crlf_and_lf_checkouts_give_the_same_keys(tmp_path: Path) -> None:
    lf = make_repo(tmp_path / "lf", FILES)
    crlf = make_repo(tmp_path / "crlf", {k: v.replace("\n", "\r\n") for k, v in FILES.items()})
    assert keys(lf) == keys(crlf)


def test_reordered_discovery_gives_the_same_keys(tmp_path: Path) -> None:
    """Files created in another order, found by git in one and by a directory walk in the other."""
    forward = make_repo(tmp_path / "forward", FILES)
    backward = tmp_path / "backward"  # no git: walked
    write(backward, dict(reversed(list(FILES.items()))))
    assert list_files(forward)[1] == "git ls-files" and list_files(backward)[1] == "walk"
    assert keys(forward) == keys(backward)


def test_ignored_files_are_not_lockfiles_but_untracked_ones_are(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**FILES, ".gitignore": "build/\n"})
    write(repo, {"build/Cargo.lock": "ignored\n", "new/Cargo.lock": "untracked\n"})
    files, how = list_files(repo)
    groups, _ = select_groups(Cache(), files)
    assert how == "git ls-files"
    assert [g.lockfiles for g in groups if g.ecosystem == "cargo"] == [("new/Cargo.lock",)]


def test_monorepo_per_directory_entries(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "mono",
        {
            "services/web/package-lock.json": "{}\n",
            "services/admin/package-lock.json": '{"a":1}\n',
            "services/api/uv.lock": "version = 1\n",
            "libs/core/Cargo.lock": "x\n",
        },
    )
    cache = Cache(per_directory=True)
    per_dir = keys(repo, cache)
    assert set(per_dir) == {
        ("npm", "services/web"),
        ("npm", "services/admin"),
        ("uv", "services/api"),
        ("cargo", "libs/core"),
    }
    assert per_dir[("npm", "services/web")].startswith("releasegate-linux-npm-services_web-")
    write(repo, {"services/admin/package-lock.json": '{"a":2}\n'})
    changed = keys(repo, cache)
    assert {k for k in per_dir if per_dir[k] != changed[k]} == {("npm", "services/admin")}
