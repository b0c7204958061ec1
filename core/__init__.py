"""releasegate: promotion rules, build-cache configuration and rollback gates.

One policy file (``releasegate.yml``) decides how a build moves from
environment to environment, how it is cached, and when a rollout rolls back.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
