"""``python -m releasegate.adapters.github_actions``: what the action's run step executes."""

from __future__ import annotations

from releasegate.adapters.github_actions.launch import main

raise SystemExit(main())
