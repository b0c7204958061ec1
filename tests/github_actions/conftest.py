"""Fixtures for the GitHub Action adapter: GitHub-shaped payloads and a platform wired to a fake.

Fakes only at the HTTP boundary: ``github_fake`` (tests/peers) is a local server whose
every request must fit GitHub's OpenAPI description; PyGithub talks to it for real.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from github_actions.payloads import REPO, RUN_ID, SHA, TOKEN
from github_actions.standin import github_standin  # noqa: F401  (a fixture)
from peers.http_fake import HttpFake
from peers.locate import ROOT
from peers.runners import ActRunner, git_repo
from releasegate.adapters.github_actions.api import GitHubAPI
from releasegate.adapters.github_actions.platform import GitHubActionsPlatform
from releasegate.ledger import Ledger

HERE = Path(__file__).resolve().parent
_PIN = re.search(r"actions/cache/restore@([0-9a-f]{40})", (ROOT / "action.yml").read_text())
#: The actions/cache commit action.yml pins; act replaces it with the stand-in.
CACHE_SHA = _PIN.group(1) if _PIN else "missing-pin"


@pytest.fixture
def github_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """A GitHub Actions step environment; keyword arguments override or add variables."""

    def make(
        fake: HttpFake | None = None, event: dict[str, Any] | None = None, **extra: str
    ) -> dict[str, str]:
        event_path = tmp_path / "event.json"
        event_path.write_text(json.dumps(event or {"repository": {"default_branch": "main"}}))
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": SHA,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_ACTOR": "octocat",
            "GITHUB_RUN_ID": str(RUN_ID),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_WORKSPACE": str(tmp_path),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "RELEASEGATE_GITHUB_TOKEN": TOKEN,
        }
        if fake is not None:
            env["GITHUB_API_URL"] = fake.url
        env.update(extra)
        return env

    return make


@pytest.fixture
def make_platform(
    tmp_path: Path,
) -> Iterator[Callable[..., tuple[GitHubActionsPlatform, io.StringIO]]]:
    """``make_platform(fake, env)``: a platform on the fake with instant retries, and its stdout."""
    ledgers: list[Ledger] = []

    def make(
        fake: HttpFake, env: dict[str, str], retries: int = 2
    ) -> tuple[GitHubActionsPlatform, io.StringIO]:
        ledger = Ledger.open(str(tmp_path / f"ledger{len(ledgers)}.db"))
        ledgers.append(ledger)
        api = GitHubAPI(TOKEN, REPO, base_url=fake.url, retries=retries, backoff=0)
        out = io.StringIO()
        return GitHubActionsPlatform(ledger, env, api=api, stdout=out), out

    yield make
    for ledger in ledgers:
        ledger.close()


SUMMARY_PROBE = """\
import atexit, os, shutil

def _copy():
    summary, results = os.environ.get("GITHUB_STEP_SUMMARY", ""), os.environ.get("RESULT_DIR")
    if results and os.path.isfile(summary) and os.path.getsize(summary):
        shutil.copy(summary, os.path.join(results, "summary.md"))

atexit.register(_copy)
"""


@pytest.fixture(scope="session")
def prebuilt_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv whose site-packages chain to this test venv's: what the cache stand-in restores.

    act cannot reach PyPI or the real cache; linking a ready environment into place is
    what a cache hit does on GitHub, so the action's install step is exercised as a hit.
    """
    import subprocess
    import sys
    import sysconfig

    where = tmp_path_factory.mktemp("prebuilt") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    site = where / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    purelib = sysconfig.get_paths()["purelib"]
    (site / "_releasegate_tests.pth").write_text(
        f"import site; site.addsitedir({purelib!r})\nimport _releasegate_probe\n"
    )
    # act truncates a step's summary file before the next step runs: copy it at exit.
    (site / "_releasegate_probe.py").write_text(SUMMARY_PROBE)
    return where


@dataclass(frozen=True)
class ActResult:
    """One act run of ``workflows/action.yml``: the process, the step's outputs and conclusion."""

    proc: subprocess.CompletedProcess[str]
    outputs: dict[str, str]
    conclusion: str
    summary: str
    cache_log: str

    @property
    def log(self) -> str:
        return self.proc.stdout + self.proc.stderr


def copy_action(where: Path) -> None:
    """The files a checkout of the action holds: action.yml and what its install step reads."""
    for name in ("action.yml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, where / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("core", "adapters"):
        shutil.copytree(ROOT / name, where / name, ignore=ignore)


@pytest.fixture
def action_workspace(tmp_path: Path) -> Callable[[dict[str, str]], tuple[Path, str]]:
    """``action_workspace(files)``: a git repository with the action and ``files``; returns it and its SHA."""

    def make(files: dict[str, str]) -> tuple[Path, str]:
        ws = tmp_path / "ws"
        (ws / ".github" / "workflows").mkdir(parents=True)
        copy_action(ws)
        shutil.copy(HERE / "workflows" / "action.yml", ws / ".github" / "workflows" / "action.yml")
        for name, text in files.items():
            (ws / name).parent.mkdir(parents=True, exist_ok=True)
            (ws / name).write_text(text)
        git_repo(ws, remote="https://github.com/acme/app.git")
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True, text=True, check=True
        ).stdout.strip()
        return ws, sha

    return make


@pytest.fixture
def run_action(act: ActRunner, tmp_path: Path, prebuilt_env: Path) -> Callable[..., ActResult]:
    """``run_action(ws, command=..., api=fake, **inputs)``: act runs the action once in ``ws``."""

    def run(
        ws: Path,
        *,
        api: HttpFake | None = None,
        event: dict[str, object] | None = None,
        event_name: str = "push",
        workflow: str = "action.yml",
        env: dict[str, str] | None = None,
        **inputs: str,
    ) -> ActResult:
        results = tmp_path / "results"
        shutil.rmtree(results, ignore_errors=True)  # each run reports afresh
        results.mkdir()
        log = tmp_path / "cache.log"
        log.unlink(missing_ok=True)
        extra = dict(env or {})
        env = {
            "RESULT_DIR": str(results),
            "RELEASEGATE_TEST_PREBUILT": str(prebuilt_env),
            "RELEASEGATE_TEST_CACHE_LOG": str(log),
            "GITHUB_API_URL": api.url if api else "http://127.0.0.1:9",
            **extra,
        }
        env.update({f"RG_{k.upper()}": v for k, v in inputs.items()})
        if workflow != "action.yml":
            shutil.copy(HERE / "workflows" / workflow, ws / ".github" / "workflows" / workflow)
        args = [
            event_name,
            "-W",
            f".github/workflows/{workflow}",
            "-s",
            f"GITHUB_TOKEN={TOKEN}",
            "--local-repository",
            f"actions/cache@{CACHE_SHA}={HERE / 'stand-ins' / 'cache'}",
        ]
        if event is not None:
            (tmp_path / "event.json").write_text(json.dumps(event))
            args += ["-e", str(tmp_path / "event.json")]
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        proc = act(ws, *args, timeout=180)
        read = lambda name: (results / name).read_text() if (results / name).exists() else ""  # noqa: E731
        # GitHub hides what a composite action does not declare; act does not: hide it here
        declared = yaml.safe_load((ws / "action.yml").read_text()).get("outputs") or {}
        outputs = {
            k: v for k, v in json.loads(read("outputs.json") or "{}").items() if k in declared
        }
        return ActResult(
            proc,
            outputs,
            read("conclusion"),
            read("summary.md"),
            log.read_text() if log.exists() else "",
        )

    return run
