"""Upstream, soak, approvals, windows, freezes, break-glass and concurrency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from releasegate.model import Subject
from releasegate.policy.model import ApprovalRule, Freeze

from .conftest import NOW, OTHER, SHA, approval, decide, deployment, policy, reason, status

DIGEST = "sha256:" + "d" * 64


@pytest.mark.parametrize(
    ("history", "expected", "why"),
    [
        ([], "missing", "commit 3f2a9c1d4b5e was never deployed to staging"),
        (
            [deployment("staging", "success")],
            "pass",
            "commit 3f2a9c1d4b5e succeeded in staging (deployment 1)",
        ),
        (
            [
                deployment("staging", "success", sha=OTHER, id=2, age=timedelta(minutes=5)),
                deployment("staging", "inactive"),
            ],
            "pass",
            "commit 3f2a9c1d4b5e succeeded in staging (deployment 1)",
        ),
        (
            [deployment("staging", "rolled_back")],
            "fail",
            "commit 3f2a9c1d4b5e was rolled back in staging",
        ),
        (
            [
                deployment("staging", "rolled_back", id=2, age=timedelta(minutes=5)),
                deployment("staging", "success"),
            ],
            "fail",
            "commit 3f2a9c1d4b5e was rolled back in staging",
        ),
        (
            [deployment("staging", "promoting")],
            "fail",
            "commit 3f2a9c1d4b5e is still being deployed to staging",
        ),
        ([deployment("staging", "failure")], "fail", "commit 3f2a9c1d4b5e failed in staging"),
        (
            [deployment("staging", "success", sha=OTHER)],
            "missing",
            "commit 3f2a9c1d4b5e was never deployed to staging; staging runs 999999999999",
        ),
    ],
)
def test_upstream(history: list, expected: str, why: str) -> None:
    decision = decide(policy(from_env="staging"), history={"staging": history})
    assert status(decision, "from staging") == expected
    assert reason(decision, "from staging").startswith(why)


def test_same_commit_different_image_is_a_different_artifact() -> None:
    history = {"staging": [deployment("staging", "success", digest="sha256:" + "e" * 64)]}
    decision = decide(
        policy(from_env="staging"), history=history, subject=Subject(sha=SHA, digest=DIGEST)
    )
    assert status(decision, "from staging") == "fail"
    assert reason(decision, "from staging").startswith(
        "a different artifact: staging verified sha256:eee"
    )


def test_same_image_digest_vouches_for_the_artifact() -> None:
    history = {"staging": [deployment("staging", "success", sha=OTHER, digest=DIGEST)]}
    decision = decide(
        policy(from_env="staging"), history=history, subject=Subject(sha=SHA, digest=DIGEST)
    )
    assert status(decision, "from staging") == "pass"


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(minutes=64), "fail"),
        (timedelta(minutes=65), "pass"),
        (timedelta(hours=3), "pass"),
    ],
)
def test_soak_counts_from_success(age: timedelta, expected: str) -> None:
    # deployment() marks success 5 minutes after creation: 65 minutes old means 1h in staging.
    history = {"staging": [deployment("staging", "success", age=age)]}
    decision = decide(policy(from_env="staging", soak=3600.0), history=history)
    assert status(decision, "soak 1h in staging") == expected


def test_soak_without_upstream_success_is_missing() -> None:
    decision = decide(policy(from_env="staging", soak=3600.0), history={"staging": []})
    assert status(decision, "soak") == "missing"


LEADS = (ApprovalRule(count=1, group="leads"),)


@pytest.mark.parametrize(
    ("approvers", "kwargs", "expected", "why"),
    [
        ([], {}, "fail", "1 more approval needed"),
        (["alice"], {}, "pass", "approved by alice"),
        (["bob"], {}, "pass", "approved by bob"),  # policy spells Bob; names compare without case
        (["mallory"], {}, "fail", "1 more approval needed (mallory not in leads;"),
        (["carol"], {"teams": {"acme/release": ("carol", "dave")}}, "pass", "approved by carol"),
        (["carol"], {}, "fail", "team acme/release could not be resolved on this platform"),
        (
            ["alice"],
            {"author": "alice"},
            "fail",
            "alice cannot approve their own change (alice: wrote the change)",
        ),
    ],
)
def test_group_approvals(approvers: list[str], kwargs: dict, expected: str, why: str) -> None:
    decision = decide(policy(approvals=LEADS), approvals=[approval(a) for a in approvers], **kwargs)
    assert status(decision, "approvals leads") == expected
    assert why in reason(decision, "approvals leads")


def test_self_approval_when_allowed() -> None:
    decision = decide(
        policy(approvals=LEADS, allow_self_approval=True),
        approvals=[approval("alice")],
        author="Alice",
    )
    assert status(decision, "approvals leads") == "pass"


def test_one_person_twice_counts_once() -> None:
    decision = decide(
        policy(approvals=(ApprovalRule(count=2),)),
        approvals=[
            approval("alice", source="platform"),
            approval("ALICE", timedelta(minutes=5), source="platform"),
        ],
    )
    assert status(decision, "approvals") == "fail"
    assert reason(decision, "approvals") == "1 more approval needed"


def test_ledger_approvals_are_shown_as_self_asserted() -> None:
    decision = decide(
        policy(approvals=(ApprovalRule(count=2),)),
        approvals=[approval("alice"), approval("bob", source="platform")],
    )
    assert status(decision, "approvals") == "pass"
    assert reason(decision, "approvals") == (
        "approved by alice, bob (SELF-ASSERTED: alice only in the "
        "local ledger (`approve --by`), not vouched for by a platform)"
    )


def test_approvals_from_platform_refuses_the_ledgers() -> None:
    decision = decide(
        policy(approvals=(ApprovalRule(count=1),), approvals_from="platform"),
        approvals=[approval("alice")],
    )
    assert status(decision, "approvals") == "fail"
    assert reason(decision, "approvals") == (
        "1 more approval needed (alice's approval is self-asserted in the local ledger; "
        "approvals_from: platform counts only approvals the platform vouches for)"
    )
    vouched = decide(
        policy(approvals=(ApprovalRule(count=1),), approvals_from="platform"),
        approvals=[approval("alice", source="platform")],
    )
    assert status(vouched, "approvals") == "pass"


def test_plain_count_from_anyone_but_the_author() -> None:
    decision = decide(
        policy(approvals=(ApprovalRule(count=2),)),
        author="erin",
        approvals=[approval("x"), approval("y"), approval("erin")],
    )
    assert status(decision, "approvals") == "pass"


@pytest.mark.parametrize(
    ("age", "expected"), [(timedelta(hours=23, minutes=59), "pass"), (timedelta(hours=25), "fail")]
)
def test_approvals_expire(age: timedelta, expected: str) -> None:
    decision = decide(
        policy(approvals=LEADS, approvals_expire=86400.0), approvals=[approval("alice", age)]
    )
    assert status(decision, "approvals leads") == expected


WINDOW = ("Mon-Fri 09:00-16:00 Europe/Berlin",)
YEAR_END = (Freeze("2026-03-28", "2026-04-05", "spring freeze"),)


@pytest.mark.parametrize(
    ("now_offset", "expected"),
    [(timedelta(0), "pass"), (timedelta(hours=7), "fail"), (timedelta(days=-2), "fail")],
)
def test_windows(now_offset: timedelta, expected: str) -> None:
    decision = decide(policy(windows=WINDOW), now=NOW + now_offset)
    assert status(decision, "deploy window") == expected


def test_freeze_blocks_even_inside_a_window() -> None:
    decision = decide(policy(windows=WINDOW, freezes=YEAR_END))
    assert status(decision, "deploy window") == "pass"
    assert status(decision, "freeze") == "fail"
    assert reason(decision, "freeze") == "frozen until 2026-04-06T00:00:00+00:00 (spring freeze)"
    assert decision.outcome == "block"


def test_break_glass_overrides_window_and_freeze_loudly() -> None:
    decision = decide(
        policy(windows=WINDOW, freezes=YEAR_END),
        now=NOW + timedelta(hours=7),
        break_glass="INC-42 payment outage",
        actor="oncall",
    )
    assert status(decision, "deploy window") == "skipped"
    assert status(decision, "freeze") == "skipped"
    assert reason(decision, "break-glass") == (
        "BREAK-GLASS by oncall: INC-42 payment outage; overrides window and freeze"
    )
    assert decision.outcome == "allow"
    assert decision.break_glass == "INC-42 payment outage"
    assert "BREAK-GLASS" in decision.reason


def test_break_glass_overrides_nothing_else() -> None:
    decision = decide(policy(approvals=LEADS, freezes=YEAR_END), break_glass="hotfix")
    assert status(decision, "approvals leads") == "fail"
    assert decision.outcome == "block"


def test_break_glass_forbidden_by_policy() -> None:
    decision = decide(
        policy(freezes=YEAR_END, break_glass=False), break_glass="hotfix", actor="oncall"
    )
    assert status(decision, "freeze") == "fail"
    assert status(decision, "break-glass") == "fail"
    assert reason(decision, "break-glass").startswith("production does not allow break-glass")


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(minutes=10), "fail"),
        (timedelta(minutes=59), "fail"),
        (timedelta(minutes=61), "pass"),
    ],
)
def test_concurrency(age: timedelta, expected: str) -> None:
    history = {"production": [deployment("production", "promoting", sha=OTHER, age=age)]}
    decision = decide(policy(), history=history)
    assert status(decision, "no promotion in progress") == expected
    if expected == "fail":
        assert reason(decision, "no promotion in progress").startswith("in progress: 999999999999")


def test_no_requirements_allows() -> None:
    decision = decide(policy())
    assert decision.outcome == "allow"
    assert decision.exit_code == 0


def test_unknown_environment_is_a_usage_error() -> None:
    from releasegate.errors import UsageError
    from releasegate.promotion import evaluate_promotion

    with pytest.raises(UsageError, match="no environment 'qa'; known: staging, production"):
        evaluate_promotion(
            policy(),
            "qa",
            Subject(sha=SHA),
            evidence={},
            history={},
            approvals=[],
            checks=[],
            now=NOW,
        )
