"""``python3 -m releasegate.adapters.tekton``: the Task step's entry point (I/O)."""

from __future__ import annotations

import os

from releasegate.adapters.tekton.run import run

raise SystemExit(run(os.environ))
