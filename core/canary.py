"""Moved to :mod:`releasegate.rollout.canary`; this import path stays, since plugins use it."""

from releasegate.rollout.canary import *  # noqa: F403
from releasegate.rollout.canary import __all__ as __all__
