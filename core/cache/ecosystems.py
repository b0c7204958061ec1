"""Package-manager ecosystems: which files are their lockfiles and where their caches live (pure).

Detection works on a list of repository-relative POSIX paths; it never touches
the file system, so the same list gives the same groups on every machine.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

OSES = ("linux", "macos", "windows")

#: Directory names never searched for lockfiles: VCS metadata, vendored code, virtualenvs.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        ".releasegate",
        "node_modules",
        "bower_components",
        "vendor",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".cache",
        "target",
        ".gradle",
        ".yarn",
        ".pnpm-store",
    }
)


@dataclass(frozen=True)
class Ecosystem:
    """One package manager.

    :param name: the ecosystem name used in keys and in the policy.
    :param lockfiles: basename globs of the files whose content decides the key.
    :param paths: the tool's own cache directories, per OS (``~`` is the home directory).
    :param project: the same caches moved inside the project (GitLab, Tekton workspaces).
    :param env: ``(VARIABLE, value)`` pairs that move the cache to ``project``; ``{root}``
        in a value is the project directory in the target's own syntax.
    :param local: paths relative to a lockfile's directory, cached per directory.
    """

    name: str
    lockfiles: tuple[str, ...]
    paths: dict[str, tuple[str, ...]]
    project: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    local: tuple[str, ...] = field(default=())


def _same(*paths: str) -> dict[str, tuple[str, ...]]:
    return {os_name: tuple(paths) for os_name in OSES}


ECOSYSTEMS: dict[str, Ecosystem] = {
    e.name: e
    for e in (
        Ecosystem(
            "pip",
            ("requirements*.txt", "constraints*.txt"),
            {
                "linux": ("~/.cache/pip",),
                "macos": ("~/Library/Caches/pip",),
                "windows": ("~\\AppData\\Local\\pip\\Cache",),
            },
            (".cache/pip",),
            (("PIP_CACHE_DIR", "{root}/.cache/pip"),),
            (".venv",),
        ),
        Ecosystem(
            "uv",
            ("uv.lock",),
            {
                "linux": ("~/.cache/uv",),
                "macos": ("~/.cache/uv",),
                "windows": ("~\\AppData\\Local\\uv\\cache",),
            },
            (".cache/uv",),
            (("UV_CACHE_DIR", "{root}/.cache/uv"),),
            (".venv",),
        ),
        Ecosystem(
            "poetry",
            ("poetry.lock",),
            {
                "linux": ("~/.cache/pypoetry",),
                "macos": ("~/Library/Caches/pypoetry",),
                "windows": ("~\\AppData\\Local\\pypoetry\\Cache",),
            },
            (".cache/pypoetry",),
            (("POETRY_CACHE_DIR", "{root}/.cache/pypoetry"),),
            (".venv",),
        ),
        Ecosystem(
            "pipenv",
            ("Pipfile.lock",),
            {
                "linux": ("~/.cache/pipenv",),
                "macos": ("~/Library/Caches/pipenv",),
                "windows": ("~\\AppData\\Local\\pipenv\\pipenv\\Cache",),
            },
            (".cache/pipenv",),
            (("PIPENV_CACHE_DIR", "{root}/.cache/pipenv"),),
            (".venv",),
        ),
        Ecosystem(
            "npm",
            ("package-lock.json", "npm-shrinkwrap.json"),
            {
                "linux": ("~/.npm",),
                "macos": ("~/.npm",),
                "windows": ("~\\AppData\\Local\\npm-cache",),
            },
            (".cache/npm",),
            (("npm_config_cache", "{root}/.cache/npm"),),
            ("node_modules",),
        ),
        Ecosystem(
            "yarn",
            ("yarn.lock",),
            {
                "linux": ("~/.cache/yarn",),
                "macos": ("~/Library/Caches/Yarn",),
                "windows": ("~\\AppData\\Local\\Yarn\\Cache",),
            },
            (".cache/yarn",),
            (("YARN_CACHE_FOLDER", "{root}/.cache/yarn"),),
            ("node_modules",),
        ),
        Ecosystem(
            "pnpm",
            ("pnpm-lock.yaml",),
            {
                "linux": ("~/.local/share/pnpm/store",),
                "macos": ("~/Library/pnpm/store",),
                "windows": ("~\\AppData\\Local\\pnpm\\store",),
            },
            (".cache/pnpm-store",),
            (("npm_config_store_dir", "{root}/.cache/pnpm-store"),),
            ("node_modules",),
        ),
        Ecosystem(
            "go",
            ("go.sum",),
            {
                "linux": ("~/go/pkg/mod", "~/.cache/go-build"),
                "macos": ("~/go/pkg/mod", "~/Library/Caches/go-build"),
                "windows": ("~\\go\\pkg\\mod", "~\\AppData\\Local\\go-build"),
            },
            (".cache/go/mod", ".cache/go/build"),
            (("GOMODCACHE", "{root}/.cache/go/mod"), ("GOCACHE", "{root}/.cache/go/build")),
        ),
        Ecosystem(
            "cargo",
            ("Cargo.lock",),
            {
                "linux": ("~/.cargo/registry/index", "~/.cargo/registry/cache", "~/.cargo/git/db"),
                "macos": ("~/.cargo/registry/index", "~/.cargo/registry/cache", "~/.cargo/git/db"),
                "windows": (
                    "~\\.cargo\\registry\\index",
                    "~\\.cargo\\registry\\cache",
                    "~\\.cargo\\git\\db",
                ),
            },
            (".cache/cargo/registry", ".cache/cargo/git"),
            (("CARGO_HOME", "{root}/.cache/cargo"),),
            ("target",),
        ),
        Ecosystem(
            "maven",
            ("pom.xml",),
            {
                "linux": ("~/.m2/repository",),
                "macos": ("~/.m2/repository",),
                "windows": ("~\\.m2\\repository",),
            },
            (".cache/maven",),
            (("MAVEN_OPTS", "-Dmaven.repo.local={root}/.cache/maven"),),
        ),
        Ecosystem(
            "gradle",
            ("*.gradle", "*.gradle.kts", "gradle-wrapper.properties", "libs.versions.toml"),
            {
                "linux": ("~/.gradle/caches", "~/.gradle/wrapper"),
                "macos": ("~/.gradle/caches", "~/.gradle/wrapper"),
                "windows": ("~\\.gradle\\caches", "~\\.gradle\\wrapper"),
            },
            (".cache/gradle/caches", ".cache/gradle/wrapper"),
            (("GRADLE_USER_HOME", "{root}/.cache/gradle"),),
        ),
        Ecosystem(
            "bundler",
            ("Gemfile.lock",),
            _same("vendor/bundle"),
            ("vendor/bundle",),
            (("BUNDLE_PATH", "{root}/vendor/bundle"),),
            ("vendor/bundle",),
        ),
        Ecosystem(
            "composer",
            ("composer.lock",),
            {
                "linux": ("~/.cache/composer",),
                "macos": ("~/Library/Caches/composer",),
                "windows": ("~\\AppData\\Local\\Composer",),
            },
            (".cache/composer",),
            (("COMPOSER_CACHE_DIR", "{root}/.cache/composer"),),
            ("vendor",),
        ),
    )
}

#: A Python directory with one of these locks gets no pip entry: its requirements are an export.
_PYTHON_LOCKS = ("uv", "poetry", "pipenv")
#: Builds whose modules nest: every file belongs to the outermost build directory above it.
_NESTED = ("maven", "gradle")
_EXACT = {
    pattern: eco.name
    for eco in ECOSYSTEMS.values()
    for pattern in eco.lockfiles
    if not any(c in pattern for c in "*?[")
}


@dataclass(frozen=True)
class LockGroup:
    """The lockfiles of one ecosystem in one directory (``.`` is the root).

    :param paths: cache paths the policy lists for it; empty means the ecosystem's own.
    """

    ecosystem: str
    directory: str
    lockfiles: tuple[str, ...]
    paths: tuple[str, ...] = ()


def skipped(path: str) -> bool:
    """True when ``path`` lies in a directory never searched (VCS, vendored code, caches)."""
    return any(part in SKIP_DIRS for part in path.split("/")[:-1])


def classify(path: str) -> tuple[str, str] | None:
    """``(ecosystem, directory)`` of a lockfile path, or ``None`` when it is no lockfile.

    ``path`` is repository-relative with ``/`` separators; files under ``gradle/`` and a
    ``requirements/`` directory belong to the directory above it.
    """
    directory, name = posixpath.split(path)
    parent = posixpath.basename(directory)
    if name in _EXACT:
        eco = _EXACT[name]
        if eco == "gradle":
            return eco, _above(directory, "gradle", "gradle/wrapper")
        return eco, directory or "."
    if name.endswith((".gradle", ".gradle.kts")):
        return "gradle", directory or "."
    if name.endswith(".txt"):
        if fnmatchcase(name, "requirements*.txt") or fnmatchcase(name, "constraints*.txt"):
            return "pip", directory or "."
        if parent == "requirements":
            return "pip", posixpath.dirname(directory) or "."
    return None


def _above(directory: str, *suffixes: str) -> str:
    for suffix in sorted(suffixes, key=len, reverse=True):
        if directory == suffix:
            return "."
        if directory.endswith("/" + suffix):
            return directory[: -len(suffix) - 1]
    return directory or "."


def detect(paths: Iterable[str]) -> list[LockGroup]:
    """Group every lockfile in ``paths`` by ecosystem and directory, sorted, independent of order."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in paths:
        if skipped(path):
            continue
        hit = classify(path)
        if hit is not None:
            found.setdefault(hit, set()).add(path)
    for eco in _NESTED:
        dirs = sorted(d for e, d in found if e == eco)
        for directory in dirs:
            root = _outermost(directory, dirs)
            if root != directory and (eco, directory) in found:
                found.setdefault((eco, root), set()).update(found.pop((eco, directory)))
    python_dirs = {d for e, d in found if e in _PYTHON_LOCKS}
    return sorted(
        (
            LockGroup(e, d, tuple(sorted(files)))
            for (e, d), files in found.items()
            if not (e == "pip" and d in python_dirs)
        ),
        key=lambda g: (g.ecosystem, g.directory),
    )


def _outermost(directory: str, dirs: list[str]) -> str:
    for candidate in dirs:  # sorted, so shorter ancestors come first
        if candidate == "." or directory == candidate or directory.startswith(candidate + "/"):
            return candidate
    return directory
