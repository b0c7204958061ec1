"""A GitLab REST API v4 stand-in: the shared ``HttpFake`` plus the server rules GitLab applies.

Before an expected request is matched, :meth:`GitlabStandIn.refusal` answers what GitLab
itself would refuse, with GitLab's status and body; each rule cites GitLab's source or
documentation. A refusal is recorded in :attr:`GitlabStandIn.refused`; the fixture fails a test
that leaves one there unacknowledged (:meth:`GitlabStandIn.take_refused`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gitlab_payloads import PROJECT
from gitlab_support import JOB_TOKEN, PRIVATE_TOKEN

from peers.http_fake import HttpFake, RecordedRequest, Reply

__all__ = ["GitlabStandIn", "job_variables", "page_headers"]

_PROJECT_PATH = re.compile(r"^/api/v4/projects/(?P<id>[^/]+)(?P<rest>/.*)?$")

#: Routes that accept ``CI_JOB_TOKEN`` (``route_setting :authentication, job_token_allowed:
#: true``), as doc/ci/jobs/ci_job_token.md "Job token access" lists them: all of the
#: Deployments and Environments APIs, ``GET`` of merge requests and of a commit's merge
#: requests, and of the Jobs API only ``GET /job``. Everything else ignores the job token, so
#: ``authenticate!`` answers 401 (lib/api/helpers.rb ``unauthorized!``).
_JOB_TOKEN_ROUTES = (
    ("*", re.compile(r"^/deployments(/\d+)?$")),
    ("*", re.compile(r"^/environments(/.*)?$")),
    ("GET", re.compile(r"^/merge_requests(/\d+)?$")),
    ("GET", re.compile(r"^/repository/commits/[0-9a-f]+(/merge_requests)?$")),
)

#: lib/api/helpers.rb: ``unauthorized!`` renders {"message": "401 Unauthorized"};
#: ``forbidden!(reason)`` "403 Forbidden - <reason>"; ``not_found!('Project')``
#: "404 Project Not Found".
UNAUTHORIZED = Reply(401, {"message": "401 Unauthorized"})
PROJECT_NOT_FOUND = Reply(404, {"message": "404 Project Not Found"})
#: lib/api/deployments.rb, ``put ':id/deployments/:deployment_id'``: ``if deployment.deployable
#: forbidden!('Deployments created using GitLab CI can not be updated using the API')``.
CI_DEPLOYMENT_READ_ONLY = Reply(
    403,
    {
        "message": "403 Forbidden - Deployments created using GitLab CI can not be updated using the API"
    },
)

#: doc/api/rest/_index.md "Offset-based pagination": ``per_page`` defaults to 20, at most 100.
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def page_headers(
    url: str, path: str, query: Mapping[str, str], page: int, per_page: int, total: int
) -> dict[str, str]:
    """The headers GitLab sends with page ``page`` of an offset-paginated list.

    doc/api/rest/_index.md "Pagination link header" and "Other pagination headers":
    ``x-next-page``/``x-prev-page`` (empty on the last/first page), ``x-page``,
    ``x-per-page``, ``x-total``, ``x-total-pages`` and a ``Link`` header with ``next``,
    ``first`` and ``last``.
    """
    pages = max(1, -(-total // per_page))

    def link(number: int) -> str:
        params = "&".join(
            f"{k}={v}" for k, v in {**query, "page": str(number), "per_page": str(per_page)}.items()
        )
        return f"{url}{path}?{params}"

    links = [f'<{link(page + 1)}>; rel="next"'] if page < pages else []
    links += [f'<{link(1)}>; rel="first"', f'<{link(pages)}>; rel="last"']
    return {
        "x-next-page": str(page + 1) if page < pages else "",
        "x-prev-page": str(page - 1) if page > 1 else "",
        "x-page": str(page),
        "x-per-page": str(per_page),
        "x-total": str(total),
        "x-total-pages": str(pages),
        "Link": ", ".join(links),
    }


def job_variables(
    variables: Mapping[str, tuple[str, bool]], *, ref_protected: bool
) -> dict[str, str]:
    """The CI/CD variables a job gets: ``{name: (value, protected)}`` in, values out.

    doc/ci/variables/_index.md, "Protect a CI/CD variable": a protected variable is passed only
    to pipelines that run on protected branches or protected tags; a merge request pipeline of
    an unprotected source branch does not get it.
    """
    return {
        name: value
        for name, (value, protected) in variables.items()
        if ref_protected or not protected
    }


class GitlabStandIn(HttpFake):
    """The fake GitLab: expected requests and canned replies, after GitLab's own refusals.

    :param projects: the project ids and URL-encoded paths that exist.
    """

    def __init__(self, projects: Sequence[str] = (PROJECT, "acme%2Fapp")) -> None:
        super().__init__()
        self.projects = set(projects)
        self.job_created: set[int] = set()
        self.refused: list[str] = []

    def deployments_by_jobs(self, *ids: int) -> None:
        """Declare deployments that CI jobs created (``deployable`` set): read-only via the API."""
        self.job_created |= set(ids)

    def refusal(self, request: RecordedRequest) -> Reply | None:
        """GitLab's answer when GitLab would refuse ``request``; ``None`` when it would serve it."""
        job_token = request.headers.get("job-token")
        private = request.headers.get("private-token")
        if job_token != JOB_TOKEN and private != PRIVATE_TOKEN:
            return UNAUTHORIZED
        match = _PROJECT_PATH.match(request.path)
        rest = (match.group("rest") or "") if match else request.path
        if private is None and not any(
            method in ("*", request.method) and route.match(rest)
            for method, route in _JOB_TOKEN_ROUTES
        ):
            return UNAUTHORIZED
        if match and match.group("id") not in self.projects:
            return PROJECT_NOT_FOUND
        put = re.match(r"^/deployments/(\d+)$", rest)
        if request.method == "PUT" and put and int(put.group(1)) in self.job_created:
            return CI_DEPLOYMENT_READ_ONLY
        return None

    def handle(self, request: RecordedRequest) -> Reply:
        refusal = self.refusal(request)
        if refusal is not None:
            with self._lock:
                self.requests.append(request)
                self.refused.append(f"{request}: {refusal.status} {refusal.json['message']}")
            return refusal
        reply = super().handle(request)
        self._check_page(request, reply)
        return reply

    def _check_page(self, request: RecordedRequest, reply: Reply) -> None:
        # GitLab never returns more items than per_page (at most 100): a canned list longer
        # than that is a test that does not paginate the way GitLab does.
        if request.method != "GET" or not isinstance(reply.json, list):
            return
        asked = int((request.query.get("per_page") or [str(DEFAULT_PER_PAGE)])[0])
        if len(reply.json) > min(asked, MAX_PER_PAGE):
            with self._lock:
                self.failures.append(
                    f"{request}: {len(reply.json)} items in one page, but "
                    f"GitLab sends at most {min(asked, MAX_PER_PAGE)}"
                )

    def take_refused(self) -> list[str]:
        """The refusals so far (the test expected them); clears the list."""
        with self._lock:
            taken, self.refused = self.refused, []
        return taken

    def verify(self) -> None:
        with self._lock:
            if self.refused:
                self.failures.append("GitLab would have refused: " + "; ".join(self.refused))
        super().verify()


def body(reply: Reply) -> Any:
    """The JSON a reply carries (for tests that assert GitLab's bodies)."""
    payload, _ = reply.encoded()
    return json.loads(payload)
