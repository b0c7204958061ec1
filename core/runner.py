"""Moved to :mod:`releasegate.rollout.runner`; this import path stays, since plugins use it."""

from releasegate.rollout.runner import *  # noqa: F403
from releasegate.rollout.runner import __all__ as __all__
