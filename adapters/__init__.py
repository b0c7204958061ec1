"""Adapters: the CI platforms releasegate runs in (GitHub Actions, GitLab CI, Tekton)."""
