"""A registry of plugin classes of one kind, keyed by their ``name`` (pure)."""

from __future__ import annotations

from typing import Any

from releasegate.errors import UsageError


class Registry:
    """Classes of one kind (providers, readers...) by name, remembering which plugin added each."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, Any] = {}
        self._owners: dict[str, str] = {}
        self.current_plugin = "?"

    def add(self, cls: Any, name: str | None = None) -> None:
        """Register ``cls`` under ``name`` (default ``cls.name``).

        :raises UsageError: when another plugin already registered that name.
        """
        from releasegate.plugins.interfaces import conformance_problem

        key = name or getattr(cls, "name", None)
        if not key:
            raise UsageError(
                f"plugin {self.current_plugin}: {self.kind} class {cls!r} has no 'name'"
            )
        problem = conformance_problem(self.kind, cls)
        if problem is not None:
            raise UsageError(
                f"plugin {self.current_plugin}: {self.kind} {key!r} {problem}; see "
                "releasegate.plugins.hookspecs"
            )
        if key in self._classes and self._classes[key] is not cls:
            raise UsageError(
                f"{self.kind} {key!r} is registered twice: by plugin "
                f"{self._owners[key]} and by plugin {self.current_plugin}"
            )
        self._classes[key] = cls
        self._owners[key] = self.current_plugin

    def get(self, name: str) -> Any:
        """The class registered as ``name``; :class:`UsageError` naming the known ones otherwise."""
        try:
            return self._classes[name]
        except KeyError:
            known = ", ".join(sorted(self._classes)) or "none"
            raise UsageError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._classes)

    def owner(self, name: str) -> str:
        return self._owners[name]

    def __contains__(self, name: object) -> bool:
        return name in self._classes
