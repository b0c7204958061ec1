"""Benchmark: cache-key computation on a generated monorepo against ``git ls-files | xargs sha256sum``.

Not a test. Generates a git repository of ``--files`` files (default 50,000) of which
``--lockfiles`` (default 200) are lockfiles spread over many directories and
ecosystems, then times, in this same run and on the same warm page cache:

- releasegate: list files (``git ls-files``), detect lockfiles, hash them with CRLF
  normalisation and compute every key (``per_directory: true``, one entry per lockfile
  directory, the hardest case), through the same functions ``releasegate cache`` uses;
- the same with the directory-walk fallback (no git);
- reference: ``git ls-files -z | xargs -0 sha256sum``, the usual shell way to key a
  cache on a repository's files.

Prints the best of ``--repeat`` runs of each and the ratio reference / releasegate.

    /work/venv/bin/python bench/cache_keys.py [--files 50000] [--lockfiles 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from releasegate.cache import build_plan, select_groups
from releasegate.cache.scan import _walk, digest_files, list_files
from releasegate.cache.trust import Trust
from releasegate.policy.model import Cache

LOCKFILES = (
    "package-lock.json",
    "uv.lock",
    "go.sum",
    "Cargo.lock",
    "poetry.lock",
    "yarn.lock",
    "pnpm-lock.yaml",
    "composer.lock",
    "Gemfile.lock",
    "requirements.txt",
)
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def generate(root: Path, files: int, lockfiles: int, seed: int = 5) -> None:
    """A monorepo: ``services/sNNN/...`` source trees, one lockfile in each of ``lockfiles`` services."""
    rng = random.Random(seed)
    services = max(lockfiles, 1)
    per_service = max((files - lockfiles) // services, 1)
    written = 0
    for s in range(services):
        base = root / "services" / f"s{s:03d}"
        for f in range(per_service):
            if written >= files - lockfiles:
                break
            target = base / f"pkg{f % 17}" / f"mod{f}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(rng.randbytes(rng.randint(200, 3000)).hex().encode()[:4000])
            written += 1
        if s < lockfiles:
            lock = base / LOCKFILES[s % len(LOCKFILES)]
            lock.parent.mkdir(parents=True, exist_ok=True)
            lines = [
                f"package-{i} = {rng.getrandbits(128):032x}" for i in range(rng.randint(200, 2000))
            ]
            lock.write_text("\r\n".join(lines) if s % 3 == 0 else "\n".join(lines))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=GIT_ENV)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=GIT_ENV)
    subprocess.run(["git", "commit", "-qm", "generated"], cwd=root, check=True, env=GIT_ENV)


def releasegate_keys(root: Path, walk: bool = False) -> int:
    """Every key, the way ``releasegate cache`` computes them; returns the number of entries."""
    cache = Cache(per_directory=True)
    files = _walk(root) if walk else list_files(root)[0]
    groups, _ = select_groups(cache, files)
    digests = digest_files(root, [f for g in groups for f in g.lockfiles])
    plan = build_plan(cache, groups, digests, os_name="linux", trust=Trust(False, "bench"))
    return len(plan.entries)


def reference(root: Path) -> int:
    out = subprocess.run(
        "git ls-files -z | xargs -0 sha256sum | sha256sum",
        shell=True,
        cwd=root,
        capture_output=True,
        check=True,
    )
    return len(out.stdout)


def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    times = []
    result = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--lockfiles", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rg-cache-bench-"))
    try:
        if not (root / ".git").exists():
            start = time.perf_counter()
            root.mkdir(parents=True, exist_ok=True)
            generate(root, args.files, args.lockfiles)
            print(
                f"generated {args.files} files, {args.lockfiles} lockfiles in "
                f"{time.perf_counter() - start:.1f}s at {root}"
            )
        reference(root)  # warm the page cache for both sides
        ref_time, _ = best(lambda: reference(root), args.repeat)
        rg_time, entries = best(lambda: releasegate_keys(root), args.repeat)
        walk_time, walk_entries = best(lambda: releasegate_keys(root, walk=True), args.repeat)
        assert walk_entries == entries, "walk and git ls-files found different lockfiles"
        print(f"releasegate keys (git ls-files): {rg_time * 1000:8.1f} ms  ({entries} entries)")
        print(f"releasegate keys (walk)        : {walk_time * 1000:8.1f} ms")
        print(f"git ls-files | xargs sha256sum : {ref_time * 1000:8.1f} ms")
        print(
            f"ratio reference / releasegate  : {ref_time / rg_time:8.2f}x (walk: {ref_time / walk_time:.2f}x)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
