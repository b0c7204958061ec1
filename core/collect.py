"""Moved to :mod:`releasegate.rollout.collect`; this import path stays, since plugins use it."""

from releasegate.rollout.collect import *  # noqa: F403
from releasegate.rollout.collect import __all__ as __all__
