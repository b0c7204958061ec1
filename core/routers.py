"""Moved to :mod:`releasegate.rollout.routers`; this import path stays, since plugins use it."""

from releasegate.rollout.routers import *  # noqa: F403
from releasegate.rollout.routers import __all__ as __all__
