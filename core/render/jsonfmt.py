"""A Decision as JSON: the stable machine-readable form (pure)."""

from __future__ import annotations

import json
from typing import Any

from releasegate.model import Decision


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """The JSON shape of a decision; keys are stable across releases."""
    subject = {k: v for k, v in vars(decision.subject).items() if v is not None}
    return {
        "kind": decision.kind,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "subject": subject,
        "time": decision.time.isoformat(),
        "policy": {"path": decision.policy_path, "sha256": decision.policy_sha256},
        "break_glass": decision.break_glass,
        "outputs": dict(decision.outputs),
        "requirements": [
            {
                "name": r.name,
                "status": r.status,
                "observed": r.observed,
                "expected": r.expected,
                "reason": r.reason,
                **({"details": r.details} if r.details else {}),
                **({"line": r.location[0]} if r.location else {}),
            }
            for r in decision.requirements
        ],
    }


def render_json(decision: Decision) -> str:
    return json.dumps(decision_to_dict(decision), indent=2, sort_keys=False, default=str) + "\n"
