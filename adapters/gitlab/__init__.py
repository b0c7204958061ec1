"""The GitLab CI/CD adapter: a platform plugin plus the component templates under ``templates/``.

:mod:`releasegate.adapters.gitlab.plugin` is registered as a built-in plugin and
answers when ``GITLAB_CI=true``; the templates are package data so the wheel
carries the same files the CI/CD Catalog publishes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEMPLATES"]

#: The component templates (``check.yml``, ``promote.yml``...), shipped as package data.
TEMPLATES: Path = Path(__file__).resolve().parent / "templates"
