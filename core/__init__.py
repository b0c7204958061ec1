"""releasegate: promotion rules, build-cache configuration and rollback gates.

One policy file (``releasegate.yml``) decides how a build moves from
environment to environment, how it is cached, and when a rollout rolls back.
"""

from __future__ import annotations

__version__ = "0.1.0"
#: The one OCI image (Tekton steps, Argo Rollouts analysis jobs, GitLab jobs): every sample
#: and template names it with the tag ``__version__``, or pinned by digest after a release.
IMAGE = "ghcr.io/releasegate/releasegate"

__all__ = ["IMAGE", "__version__"]
