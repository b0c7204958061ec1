"""What the ledger and the CI platforms remember: deployments, approvals, check results (pure values).

The same record types come back from the local SQLite ledger and from the
platform adapters (GitHub deployments, GitLab deployments...), so promotion and
rollback rules read one shape whatever the system of record is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEPLOYMENT_STATUSES = ("promoting", "success", "failure", "rolled_back", "inactive")
CHECK_STATUSES = ("passed", "failed")
#: ``Deployment.vouch`` of a deployment started by an allowed promotion.
ALLOWED = "allowed"
#: ``Deployment.vouch`` of a deployment the CI platform itself made (its deployment job), which
#: the platform's own environment protection rules applied to.
PLATFORM = "platform"
#: ``Deployment.vouch`` prefix of a deployment recorded with ``record --force REASON``.
FORCED = "forced: "


@dataclass(frozen=True)
class Deployment:
    """A deployment of one artifact into one environment.

    :param id: the system of record's identifier (ledger row id, GitHub deployment id...).
    :param status: ``promoting`` (in progress), ``success``, ``failure``, ``rolled_back`` or
        ``inactive`` (superseded).
    :param vouch: what the deployment rests on: ``allowed`` (an allowed promotion started it),
        ``platform`` (the CI platform's own deployment record), ``forced: REASON`` (recorded
        with ``record --force``), or ``None``: recorded outside the gate, so it vouches for
        nothing downstream.
    """

    id: int
    environment: str
    sha: str
    status: str
    created_at: datetime
    updated_at: datetime
    version: str | None = None
    digest: str | None = None
    actor: str | None = None
    url: str | None = None
    vouch: str | None = None

    @property
    def vouched(self) -> bool:
        """Whether the deployment may satisfy ``from:`` and ``soak`` (see ``vouch``)."""
        return self.vouch in (ALLOWED, PLATFORM) or (self.vouch or "").startswith(FORCED)

    @property
    def forced(self) -> str | None:
        """The reason given with ``record --force``, when it was forced."""
        vouch = self.vouch or ""
        return vouch[len(FORCED) :] if vouch.startswith(FORCED) else None


#: ``Approval.source`` of an approval the CI platform recorded (a deployment review...).
VOUCHED = "platform"
#: ``Approval.source`` of an approval in the local ledger: anyone can run ``approve --by NAME``.
SELF_ASSERTED = "ledger"


@dataclass(frozen=True)
class Approval:
    """One person's approval of one SHA for one environment.

    :param source: ``platform`` when the CI platform vouches for who approved, ``ledger``
        when it was recorded with ``approve --by NAME`` (self-asserted).
    """

    environment: str
    sha: str
    approver: str
    created_at: datetime
    source: str = SELF_ASSERTED


@dataclass(frozen=True)
class CheckRun:
    """A CI check or job on a commit.

    ``status`` is ``passed``, ``failed`` or ``running`` (queued or in progress: no verdict
    yet); GitHub check runs may also be ``neutral`` or ``skipped``, which pass a validation
    only when its ``allow_conclusions`` lists them.
    """

    sha: str
    name: str
    status: str
    created_at: datetime
    url: str | None = None
