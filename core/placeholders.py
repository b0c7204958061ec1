"""Placeholders: which ``{token}`` each template may hold, and rendering them as data (pure).

One token set per context (a gate query, a router command, a router's options, the
rollback command); ``check``, the provider, the router and the drill all use these, so a
token ``check`` accepts is a token that gets replaced. Values are data, never code:

- in PromQL a value inside a string literal is escaped for that literal, and outside one
  only ``[A-Za-z0-9_:.-]`` is accepted, so ``x or vector(0)`` cannot rewrite a query;
- in commands a value replaces a token inside one argv word and cannot add words; a shell
  (``sh -c``...) given placeholders in its script would undo that, so it is refused unless
  the policy says ``allow_shell: true``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from releasegate.durations import format_duration
from releasegate.errors import UsageError

if TYPE_CHECKING:
    from releasegate.policy.model import Gate

__all__ = [
    "CONTEXTS",
    "PlaceholderError",
    "check_gate_values",
    "check_query_value",
    "render_command",
    "render_query",
    "render_text",
    "shell_problem",
    "tokens_in",
    "unknown_tokens",
]

#: The tokens each context accepts; every one is replaced when the template is used.
CONTEXTS: dict[str, tuple[str, ...]] = {
    "query": ("service", "variant", "env", "interval"),
    "router": ("weight", "stable_weight", "service", "env"),
    "router_options": ("service",),
    "rollback": ("rollback_to", "sha", "version", "env", "service"),
}
#: What a value outside a PromQL string literal may consist of.
BARE_VALUE = re.compile(r"[A-Za-z0-9_:.-]+")
#: Executables that run their argument as a script.
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "fish", "csh", "tcsh", "busybox",
                    "cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh", "pwsh.exe"})
#: The switches that hand a shell a script on its command line.
_SCRIPT_FLAGS = ("-c", "/c", "/C", "/k", "/K", "-command", "-Command", "--command")

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class PlaceholderError(UsageError):
    """A value that cannot stand where its placeholder is (exit 2)."""


def tokens_in(template: str) -> list[str]:
    """Every ``{name}`` in ``template``, in order (PromQL's ``{job="x"}`` is not a token)."""
    return _TOKEN.findall(template)


def unknown_tokens(template: str, context: str) -> list[str]:
    """The tokens of ``template`` that ``context`` does not replace."""
    allowed = CONTEXTS[context]
    return [name for name in tokens_in(template) if name not in allowed]


def render_text(template: str, values: Mapping[str, str], context: str) -> str:
    """``template`` with the tokens of ``context`` that ``values`` gives replaced verbatim."""
    allowed = CONTEXTS[context]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in allowed and name in values else match.group(0)

    return _TOKEN.sub(replace, template)


def render_command(words: Sequence[str], values: Mapping[str, str], context: str) -> list[str]:
    """An argv list: tokens replaced inside each already-split word, so none adds a word."""
    return [render_text(word, values, context) for word in words]


def shell_problem(words: Sequence[str]) -> str | None:
    """Why ``words`` hand placeholders to a shell script, or ``None`` when they do not.

    ``sh -c 'kubectl ... {service}'`` re-opens the injection argv lists close: the value is
    parsed by the shell. A shell is found wherever it stands, so wrappers (``env``,
    ``timeout 30``, ``kubectl exec pod --``) do not hide it. A placeholder as a positional
    argument after the script is safe.
    """
    for start, word in enumerate(words):
        if re.split(r"[\\/]", word)[-1] in SHELLS:
            problem = _shell_script_problem(words[start:])
            if problem:
                return problem
    return None


def _shell_script_problem(words: Sequence[str]) -> str | None:
    program = re.split(r"[\\/]", words[0])[-1]
    for index, word in enumerate(words[1:], start=1):
        if not word.startswith(("-", "/")):
            return None  # a script file: what follows are its arguments, not shell code
        cluster = word.startswith("-") and not word.startswith("--") and "c" in word[1:]
        if word in _SCRIPT_FLAGS or (cluster and program not in ("cmd", "cmd.exe")):
            # cmd and PowerShell run every word after the switch as one command line.
            joins = program.split(".")[0] in ("cmd", "powershell", "pwsh")
            script = " ".join(words[index + 1:]) if joins else " ".join(words[index + 1:index + 2])
            names = list(dict.fromkeys(tokens_in(script)))
            if names:
                return (f"{program} {word} runs its script through a shell, and placeholders inside"
                        " it ({" + "}, {".join(names) + "}) would be parsed as shell code")
            return None
    return None


def render_query(template: str, values: Mapping[str, str]) -> str:
    """PromQL with the ``query`` tokens ``values`` gives replaced, each for its position.

    Inside a ``"..."`` or ``'...'`` literal the value is escaped for it; inside a raw
    `` `...` `` literal it may not hold a backtick; outside any literal it must match
    ``[A-Za-z0-9_:.-]+``. A token ``values`` does not give stays as written.

    :raises PlaceholderError: naming the token and the value that cannot stand there.
    """
    allowed = CONTEXTS["query"]
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(template):
        char = template[i]
        match = _TOKEN.match(template, i) if char == "{" else None
        if match and match.group(1) in allowed and match.group(1) in values:
            out.append(_promql_value(match.group(1), values[match.group(1)], quote))
            i = match.end()
            continue
        out.append(char)
        if quote is None:
            if char in "\"'`":
                quote = char
        elif char == "\\" and quote != "`" and i + 1 < len(template):
            out.append(template[i + 1])
            i += 1
        elif char == quote:
            quote = None
        i += 1
    return "".join(out)


def _promql_value(name: str, value: str, quote: str | None) -> str:
    if quote is None:
        if not BARE_VALUE.fullmatch(value):
            raise PlaceholderError(
                f"{{{name}}} = {value!r} stands outside quotes in a query, where only letters, digits"
                " and _ : . - are accepted; quote the placeholder in the query"
                f" (label=\"{{{name}}}\") or fix the value"
            )
        return value
    if quote == "`":
        if "`" in value:
            raise PlaceholderError(f"{{{name}}} = {value!r} cannot stand in a `raw` PromQL string;"
                                   " use a double-quoted one")
        return value
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def check_query_value(template: str, name: str, value: str) -> str | None:
    """Why ``value`` cannot be ``{name}`` in ``template``, or ``None`` when it can."""
    try:
        render_query(template, {name: value})
    except PlaceholderError as exc:
        return str(exc)
    return None


def check_gate_values(gates: Iterable[Gate], *, service: str, env: str) -> None:
    """Render every query of ``gates`` with these values once, before anything runs.

    :raises PlaceholderError: naming the gate and metric whose query cannot take a value.
    """
    for gate in gates:
        values = {"service": service, "env": env, "interval": format_duration(gate.interval)}
        for metric in gate.metrics:
            for template in (metric.query, metric.count_query):
                for variant in gate.variants.values() if template else ():
                    try:
                        render_query(template or "", {**values, "variant": variant})
                    except PlaceholderError as exc:
                        raise PlaceholderError(f"gate {gate.name}, metric {metric.name}: {exc}") from None
