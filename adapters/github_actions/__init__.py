"""The GitHub Action adapter: the platform plugin behind the root ``action.yml``.

``plugin`` is registered as a built-in and answers when ``GITHUB_ACTIONS=true``;
``context`` reads the run, ``api`` talks to GitHub (PyGithub, imported lazily),
``publish`` writes workflow commands and files, ``launch`` is what the action runs.
"""

from __future__ import annotations
