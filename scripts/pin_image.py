"""Pin every reference to the releasegate image in adapters/ and examples/ to one digest.

A release builds the image, pushes ``releasegate.IMAGE:<__version__>`` and passes the
digest the registry answered to this script, which rewrites each ``IMAGE:<version>`` (or
an earlier pin) to ``IMAGE:<version>@sha256:<digest>`` in the YAML files:

    python scripts/pin_image.py sha256:<64 hex digits>

The tag stays beside the digest so that a reader sees the version; the digest decides
what runs. Exit 2, with one line on stderr, on a digest that is not sha256 and 64 hex
digits; exit 1 when no reference was found, which would mean the samples moved.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import releasegate

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("adapters", "examples")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def reference_pattern(image: str, version: str) -> re.Pattern[str]:
    """``IMAGE:version`` with or without an ``@sha256:...`` pin, as a whole token."""
    return re.compile(
        rf"(?<![\w./-]){re.escape(image)}:{re.escape(version)}(@sha256:[0-9a-f]{{64}})?(?![\w.-])"
    )


def pin(root: Path, digest: str) -> list[Path]:
    """Rewrite the references under ``root``; returns the files changed."""
    pattern = reference_pattern(releasegate.IMAGE, releasegate.__version__)
    pinned = f"{releasegate.IMAGE}:{releasegate.__version__}@{digest}"
    changed = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            new = pattern.sub(pinned, text)
            if new != text:
                path.write_text(new, encoding="utf-8")
                changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pin_image.py", description=__doc__.splitlines()[0])
    parser.add_argument("digest", help="sha256:<64 hex digits>, as the registry answered the push")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    args = parser.parse_args(argv)
    if not DIGEST.match(args.digest):
        sys.stderr.write(f"pin_image.py: error: {args.digest!r} is not sha256: and 64 hex digits\n")
        return 2
    changed = pin(args.root, args.digest)
    for path in changed:
        print(path.relative_to(args.root))
    if not changed:
        sys.stderr.write(
            f"pin_image.py: error: no {releasegate.IMAGE}:{releasegate.__version__} "
            "reference under adapters/ or examples/\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
