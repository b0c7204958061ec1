"""Checks on the ``RELEASEGATE_*`` variables a GitLab template maps from its inputs (pure).

GitLab expands ``$NAME`` in ``variables:`` values where the variable exists; where it does not
(a pipeline variable that only a manual run sets, a typo, a variable with ``expand: false``),
the text ``$NAME`` can arrive as the value. A free-text input holding an unexpanded reference,
or only blanks, is refused before any side effect, so ``break-glass: $REASON`` never turns an
override on with the text ``$REASON`` as its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from releasegate.errors import UsageError

__all__ = ["UNEXPANDED", "check_inputs"]

#: ``$NAME`` or ``${NAME}`` (GitLab's variable syntax; ``$$`` is GitLab's escape for ``$``).
UNEXPANDED = re.compile(r"(?<!\$)\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")

#: Secrets may hold any character; they are never inputs of a template.
_SECRETS = ("_TOKEN", "_PASSWORD", "_SECRET")
#: Variables releasegate writes itself (dotenv outputs of earlier jobs).
_OUTPUTS = ("RELEASEGATE_OUTCOME", "RELEASEGATE_REASON", "RELEASEGATE_KIND", "RELEASEGATE_RESULT_")
#: An input as written in the include (``expand: false``), beside its expanded variable:
#: ``RELEASEGATE_GITLAB_INPUT_BREAK_GLASS`` holds what ``RELEASEGATE_BREAK_GLASS`` was made from.
RAW = "RELEASEGATE_GITLAB_INPUT_"


def check_inputs(env: Mapping[str, str]) -> None:
    """Refuse a ``RELEASEGATE_*`` variable that holds an unexpanded ``$NAME`` or only blanks.

    An empty value means "not set" and passes.

    :raises UsageError: naming the variable and the reference, and what to do.
    """
    for name in sorted(env):
        value = env[name]
        if name.startswith(RAW):
            _check_raw(name, value, env)
            continue
        if (
            not name.startswith("RELEASEGATE_")
            or name.endswith(_SECRETS)
            or name.startswith(_OUTPUTS)
            or value == ""
        ):
            continue
        if not value.strip():
            raise UsageError(
                f"{name} holds only blanks: leave the input empty to unset it, or give a value"
            )
        found = UNEXPANDED.search(value)
        if found:
            raise UsageError(
                f"{name} holds {found.group(0)!r}, a variable GitLab did not expand (it is not "
                f"defined in this pipeline): define it, or leave the input empty; write $$ for a "
                "literal dollar sign"
            )


def _expand(raw: str, env: Mapping[str, str]) -> str:
    """``raw`` as the runner expands it: an undefined variable becomes nothing, ``$$`` is ``$``."""
    return UNEXPANDED.sub(lambda m: env.get(m.group(1).strip("{}"), ""), raw).replace("$$", "$")


def _check_raw(name: str, raw: str, env: Mapping[str, str]) -> None:
    # GitLab's runner expands a reference to an undefined variable to nothing, which would
    # silently turn `break-glass: $TYPO` into "no input", and `break-glass: INC-$TYPO` into the
    # reason "INC-": the input as written says otherwise. A value that is not the input's
    # expansion came from elsewhere (a pipeline variable of a manual run outranks the job's).
    expanded = env.get("RELEASEGATE_" + name[len(RAW) :], "")
    missing = [m.group(0) for m in UNEXPANDED.finditer(raw) if not env.get(m.group(1).strip("{}"))]
    made_here = expanded == _expand(raw, env) or UNEXPANDED.search(expanded) is not None
    if missing and (not expanded.strip() or made_here):
        input_name = name[len(RAW) :].lower().replace("_", "-")
        raise UsageError(
            f"{input_name}: {missing[0]} is not defined in this pipeline, so it names no "
            f"value: define it, or leave the input empty (for one run only, set "
            f"RELEASEGATE_{name[len(RAW) :]} as a variable of a manually run pipeline)"
        )
