"""Moved to :mod:`releasegate.rollout.drill`; this import path stays, since plugins use it."""

from releasegate.rollout.drill import *  # noqa: F403
from releasegate.rollout.drill import __all__ as __all__
