"""Real test peers for the releasegate suite: servers, fakes at HTTP boundaries and CLI runners.

Each peer is installed by ``scripts/test.sh``. A fixture whose peer is missing fails the
test with the install step to run; it never skips, because a skip would hide a broken CI.
The fixtures are registered for the whole suite by ``tests/conftest.py``.
"""

from __future__ import annotations
