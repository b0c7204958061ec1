"""Configuration drift between environments: pairs to compare, findings, decisions (pure).

The shell (:mod:`releasegate.configfiles`) reads each environment's files into
:class:`ConfigUnit` values; everything here works on those values only.
"""

from __future__ import annotations

from collections.abc import Sequence

from releasegate.drift.compare import compare_units, match_units
from releasegate.drift.decision import drift_decision, drift_requirement, finding_requirement
from releasegate.drift.model import ConfigUnit, DriftReport, Finding, Named, Side, format_path
from releasegate.drift.rules import allowed_reason, looks_secret, value_is_secret
from releasegate.errors import UsageError
from releasegate.policy.model import Policy

__all__ = [
    "ConfigUnit",
    "DriftReport",
    "Finding",
    "Named",
    "Side",
    "allowed_reason",
    "compare",
    "compare_units",
    "drift_decision",
    "drift_pairs",
    "drift_requirement",
    "finding_requirement",
    "format_path",
    "looks_secret",
    "match_units",
    "value_is_secret",
]


def drift_pairs(policy: Policy, names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The environment pairs to compare: the two ``names``; one name against the environment
    before it (of those with ``drift.files``); else each environment with ``drift.files``
    against the next one along the promotion path that has them too.

    :raises UsageError: without a ``drift:`` section, for unknown names, or names without files.
    """
    files = policy.drift.files if policy.drift else {}
    if not files:
        raise UsageError(
            f"{policy.path}: no drift.files; name each environment's configuration, "
            "e.g. drift: {files: {staging: deploy/staging/values.yaml, ...}}"
        )
    known = [e.name for e in policy.environments]
    along = [name for name in known if name in files]
    for name in names:
        if name not in known:
            raise UsageError(
                f"--env {name}: no such environment in {policy.path}; known: "
                f"{', '.join(known) or 'none'}"
            )
        if name not in files:
            raise UsageError(
                f"--env {name}: {policy.path} has no drift.files for {name}; "
                f"it has: {', '.join(files)}"
            )
    if len(names) > 2 or (len(names) == 2 and names[0] == names[1]):
        raise UsageError(
            f"--env: give one environment (compared with the one before it) or two "
            f"different ones, got {', '.join(names)}"
        )
    if len(names) == 2:
        return [(names[0], names[1])]
    if len(names) == 1:
        index = along.index(names[0])
        if index == 0:
            raise UsageError(
                f"--env {names[0]}: no environment before it on the promotion path "
                "has drift.files; name the other one with a second --env"
            )
        return [(along[index - 1], names[0])]
    if len(along) < 2:
        raise UsageError(
            f"{policy.path}: drift.files names {len(along)} environment(s) of the "
            "promotion path; at least two are needed to compare"
        )
    return [(along[i], along[i + 1]) for i in range(len(along) - 1)]


def compare(
    policy: Policy,
    left: str,
    right: str,
    left_units: Sequence[ConfigUnit],
    right_units: Sequence[ConfigUnit],
) -> DriftReport:
    """Compare two environments' units under the policy's ``drift.allow``."""
    allow = policy.drift.allow if policy.drift else ()
    findings = compare_units(left, right, left_units, right_units, allow)
    return DriftReport(
        left=left,
        right=right,
        findings=tuple(findings),
        units=max(len(left_units), len(right_units)),
    )
