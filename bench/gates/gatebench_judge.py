"""gatebench judge for releasegate: scenario -> replay CSV + gate policy -> ``releasegate replay``.

Format conversion only; every decision is releasegate's. Usage (``bench.py`` appends the path):

    python bench/gates/gatebench_judge.py [--judge sequential] path/to/scenario.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import GATE, gate_policy, replay_csv  # noqa: E402

#: releasegate's outcomes in the runner's vocabulary: an inconclusive interval does not stop it.
DECISIONS = {
    "rollback": "rollback",
    "promote": "promote",
    "continue": "continue",
    "inconclusive": "continue",
}


def releasegate_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m releasegate``."""
    script = Path(sys.executable).with_name("releasegate")
    if script.exists():
        return [str(script)]
    found = shutil.which("releasegate")
    return [found] if found else [sys.executable, "-m", "releasegate"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--judge", default="sequential", help="releasegate judge for every metric")
    ap.add_argument("scenario")
    args = ap.parse_args()
    scenario = json.loads(Path(args.scenario).read_text())
    with tempfile.TemporaryDirectory(prefix="gatebench-") as tmp:
        Path(tmp, "releasegate.yml").write_text(gate_policy(scenario, args.judge))
        Path(tmp, "metrics.csv").write_text(replay_csv(scenario))
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASEGATE_")}
        env["RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        # Each interval's line is passed on as replay prints it (replay streams its verdicts).
        with (
            open(Path(tmp, "stderr.txt"), "w+") as errors,
            subprocess.Popen(
                [
                    *releasegate_command(),
                    "replay",
                    "--gate",
                    GATE,
                    "--metrics",
                    "metrics.csv",
                    "--format",
                    "jsonl",
                ],
                cwd=tmp,
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            ) as proc,
        ):
            assert proc.stdout is not None
            for line in proc.stdout:
                row = json.loads(line)
                reason = "; ".join(row["reasons"][:1])
                print(
                    json.dumps(
                        {"t": row["t"], "decision": DECISIONS[row["outcome"]], "reason": reason}
                    ),
                    flush=True,
                )
            code = proc.wait()
            if code not in (0, 1, 3):
                errors.seek(0)
                sys.stderr.write(errors.read())
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
