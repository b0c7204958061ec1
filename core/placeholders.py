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

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    "code_words",
    "executable_problem",
    "program_name",
    "gitlab_group_problem",
    "render_argument",
    "render_command",
    "render_group",
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
    "concurrency": ("env", "service"),
}
#: What a value outside a PromQL string literal may consist of.
BARE_VALUE = re.compile(r"[A-Za-z0-9_:.-]+")
#: Shells: ``-c`` (alone or in a cluster such as ``-ec``) makes the first operand a script.
SHELLS = frozenset(
    {
        "sh",
        "bash",
        "dash",
        "zsh",
        "ksh",
        "mksh",
        "ash",
        "yash",
        "fish",
        "csh",
        "tcsh",
        "busybox",
        "rbash",
    }
)
#: Shell options that take the next word as their value (``-o pipefail``, ``--rcfile f``).
_SHELL_OPTION_ARGS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
#: Interpreters and the switches whose value is code (``python -c CODE``, ``perl -e CODE``).
INTERPRETERS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c"}),
    "pypy": frozenset({"-c"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "bun": frozenset({"-e", "--eval", "-p", "--print"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "luajit": frozenset({"-e"}),
    "rscript": frozenset({"-e"}),
    "osascript": frozenset({"-e"}),
    "su": frozenset({"-c", "--command"}),
    "runuser": frozenset({"-c", "--command"}),
    "flock": frozenset({"-c", "--command"}),
    "script": frozenset({"-c", "--command"}),
    "sed": frozenset({"-e", "--expression"}),
}
#: Programs whose first operand is code when no switch gave it (``awk 'BEGIN{...}'``).
FIRST_OPERAND_CODE = frozenset({"awk", "gawk", "mawk", "nawk", "sed"})
#: Programs that join every later word into one command line for a shell or their own
#: parser (cmd and PowerShell re-parse even a script's arguments; ssh hands them to the
#: remote shell; ``watch``, ``eval``, GNU ``parallel`` and ``env -S`` join and re-split).
JOINERS = frozenset({"cmd", "powershell", "pwsh", "ssh", "watch", "eval", "parallel"})
#: Characters a value may hold where ``allow_shell: true`` lets it into a script: none of
#: them is special to sh, cmd or PowerShell inside a word.
SHELL_INERT = re.compile(r"[A-Za-z0-9_.:/@+,-]*")

#: What a value may be in a concurrency (GitHub) or resource (GitLab) group name: a name, or
#: names joined by ``/`` (``review/feature-1``); no ``$`` GitLab would expand, no space, no brace.
GROUP_VALUE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
#: GitLab's resource_group key (app/models/ci/resource_group.rb, Gitlab::Regex
#: environment_name_regex): letters, digits, ``- _ / $ { } .`` and spaces, not starting or
#: ending with ``/``, at most 255 characters.
GITLAB_GROUP = re.compile(r"(?!/)[A-Za-z0-9_/${}. -]{1,255}(?<!/)")

#: A string literal that follows these is a regex (label matchers ``=~`` and ``!~``).
_REGEX_MATCHER = re.compile(r"[=!]~\s*$")
#: What Go's ``regexp.QuoteMeta`` escapes (RE2 refuses an escaped space or letter).
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$])")

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


def render_command(
    words: Sequence[str], values: Mapping[str, str], context: str, *, allow_shell: bool = False
) -> list[str]:
    """An argv list: tokens replaced inside each already-split word, so none adds a word.

    A placeholder is never rendered into a shell's or interpreter's code
    (:func:`shell_problem`) unless ``allow_shell``; even then, a value going into code may
    hold only :data:`SHELL_INERT` characters. A value that would start a word with ``-``
    is refused: the program would read it as an option (``--kubeconfig=...``).

    :raises PlaceholderError: naming the command's problem or the value.
    """
    wrong = executable_problem(words)
    if wrong:
        raise PlaceholderError(f"{context} command: {wrong}")
    problem = shell_problem(words)
    if problem and not allow_shell:
        raise PlaceholderError(
            f"{context} command: {problem}; pass the values as arguments after"
            " the script or set allow_shell: true"
        )
    code = code_words(words) if problem else {}
    for index in code:
        for name in tokens_in(words[index]):
            value = values.get(name) if name in CONTEXTS[context] else None
            if value is not None and not SHELL_INERT.fullmatch(value):
                raise PlaceholderError(
                    f"{context} command: {{{name}}} = {value!r} would be parsed as code by"
                    f" {code[index][0]}; with allow_shell a value there may hold only letters, digits"
                    " and _ . : / @ + , -"
                )
    for word in words:
        first = _TOKEN.match(word)
        name = first.group(1) if first else ""
        value = values.get(name) if name in CONTEXTS[context] else None
        if value is not None and value.startswith("-"):
            raise PlaceholderError(
                f"{context} command: {{{name}}} = {value!r} would start an argument with"
                " '-', which the program would read as an option; fix the value"
            )
    return [render_text(word, values, context) for word in words]


def render_argument(template: str, values: Mapping[str, str], context: str, where: str) -> str:
    """One argv word rendered from ``template`` (a router option such as ``name: vs-{service}``),
    refused when it would start with ``-``, which the program would read as an option.

    :raises PlaceholderError: naming ``where`` the word comes from.
    """
    word = render_text(template, values, context)
    if word.startswith("-") and tokens_in(template):
        raise PlaceholderError(
            f"{where}: {template!r} renders as {word!r}, which would start an argument"
            " with '-' that the program would read as an option; fix the value"
        )
    return word


def program_name(word: str) -> str:
    """``/usr/bin/Python3.11.exe`` -> ``python``: the program a word runs, for the tables above."""
    name = re.split(r"[\\/]", word)[-1].lower()
    name = name[:-4] if name.endswith(".exe") else name
    return re.sub(r"(?<=[a-z])[0-9][0-9.]*$", "", name)


def code_words(words: Sequence[str]) -> dict[int, tuple[str, str]]:
    """The words of an argv list that a shell or interpreter parses as code, by index, each
    with what makes it code: ``(label, kind)``, kind ``shell``, ``code``, ``program`` or ``joined``
    (``{2: ("sh -c", "shell")}``).

    Found wherever the program stands, so wrappers (``env``, ``timeout 30``, ``sudo``,
    ``kubectl exec pod --``) do not hide it. A word after a shell's script is a positional
    argument (``$1``) and is data. Where a switch's value cannot be told apart, every word up
    to the code counts: refusing a safe command is better than running an unsafe one.
    """
    found: dict[int, tuple[str, str]] = {}
    for start, word in enumerate(words):
        program = program_name(word)
        later = words[start + 1 :]
        if program in JOINERS or (
            program == "env"
            and any(
                w in ("-S", "--split-string") or w.startswith(("-S", "--split-string="))
                for w in later
            )
        ):
            kind = "shell" if program in ("cmd", "powershell", "pwsh") else "joined"
            found.update({i: (program, kind) for i in range(start + 1, len(words))})
        elif program in SHELLS:
            found.update(_operand_code(words, start, program, _shell_flag, "shell"))
        elif program in INTERPRETERS or program in FIRST_OPERAND_CODE:
            switches = INTERPRETERS.get(program, frozenset())
            found.update(
                _operand_code(
                    words, start, program, functools.partial(_switch, switches=switches), "code"
                )
            )
    return found


def _shell_flag(word: str) -> str | None:
    cluster = re.fullmatch(r"[-+][A-Za-z]+", word) is not None and "c" in word[1:]
    return word if word == "-c" or cluster else None


def _switch(word: str, switches: frozenset[str]) -> str | None:
    """The code switch ``word`` is or starts (``-c``, ``-ne``, ``-cCODE``, ``--eval=CODE``)."""
    for switch in switches:
        if word == switch:
            return switch
        if switch.startswith("--"):
            if word.startswith(switch + "="):
                return switch
        elif word.startswith(switch) or (
            re.fullmatch(r"-[A-Za-z]+", word) and switch[1] in word[1:]
        ):
            return word if re.fullmatch(r"-[A-Za-z]+", word) else switch
    return None


#: Programs whose operands may come before their code switch (``flock FILE -c CMD``,
#: ``su root -c CMD``): their switch is looked for in every later word.
_SWITCH_ANYWHERE = frozenset({"flock", "su", "runuser"})


def _operand_code(
    words: Sequence[str],
    start: int,
    program: str,
    is_switch: Callable[[str], str | None],
    kind: str,
) -> dict[int, tuple[str, str]]:
    """Every word from the program up to its code: the value of a code switch, else (for
    programs in :data:`FIRST_OPERAND_CODE`) the first operand; a shell without ``-c`` runs a
    script file, whose arguments are data."""
    found: dict[int, tuple[str, str]] = {}
    switch: str | None = None
    if program in _SWITCH_ANYWHERE:
        at = next((i for i in range(start + 1, len(words)) if is_switch(words[i])), None)
        if at is None:
            return found
        named = is_switch(words[at])
        end = at + 1 if words[at] == named and at + 1 < len(words) else at
        return {i: (f"{program} {named}", kind) for i in range(start + 1, end + 1)}
    index = start + 1
    while index < len(words):
        word = words[index]
        named = is_switch(word) if switch is None else None
        if named:
            switch = named
            found[index] = (f"{program} {named}", kind)  # an attached value (-cCODE) is code too
        elif word.startswith(("-", "+")) and len(word) > 1:
            found[index] = (f"{program} {switch or word}", kind)
            if kind == "shell" and word in _SHELL_OPTION_ARGS and index + 1 < len(words):
                index += 1
                found[index] = (f"{program} {word}", kind)
        else:  # the first operand: code after a switch, a script file otherwise
            if switch is not None:
                found[index] = (f"{program} {switch}", kind)
            elif program in FIRST_OPERAND_CODE:
                found[index] = (program, "program")
            break
        index += 1
    return found


def executable_problem(words: Sequence[str]) -> str | None:
    """Why the program ``words`` run would come from a value, or ``None`` when it does not."""
    names = tokens_in(words[0]) if words else []
    if not names:
        return None
    return (
        "the executable comes from a placeholder ({" + "}, {".join(names) + "}): a value would"
        " choose the program that runs; write the program's name"
    )


def shell_problem(words: Sequence[str]) -> str | None:
    """Why ``words`` hand placeholders to a shell or interpreter as code, or ``None``.

    ``sh -c 'kubectl ... {service}'`` re-opens the injection argv lists close: the value is
    parsed by the shell. So do ``python -c``, ``perl -e``, ``awk`` programs, ``ssh`` and
    ``cmd``/PowerShell command lines. A placeholder as a positional argument after a shell's
    script (``sh -c '... "$1"' sh {service}``) is data, and safe.
    """
    code = code_words(words)
    holding = [i for i in sorted(code) if tokens_in(words[i])]
    if not holding:
        return None
    names = "{" + "}, {".join(dict.fromkeys(n for i in holding for n in tokens_in(words[i]))) + "}"
    label, kind = code[holding[0]]
    if kind == "shell":
        return (
            f"{label} runs its script through a shell, and placeholders inside it ({names})"
            " would be parsed as shell code"
        )
    if kind == "joined":
        return (
            f"{label} parses its arguments as one command line, and placeholders in them"
            f" ({names}) would be parsed as code"
        )
    if kind == "program":
        return (
            f"{label} runs its first argument as a program, and placeholders inside it ({names})"
            " would be parsed as code"
        )
    return f"{label} runs its argument as code, and placeholders inside it ({names}) would be parsed as code"


def render_group(template: str, values: Mapping[str, str | None]) -> str:
    """A concurrency group name with the ``concurrency`` tokens ``values`` gives (not empty)
    replaced; a token without a value stays, for the renderers to leave the group out.

    :raises PlaceholderError: for a value that is not a :data:`GROUP_VALUE`.
    """
    given = {name: value for name, value in values.items() if value}
    for name in dict.fromkeys(tokens_in(template)):
        value = given.get(name)
        if (
            name in CONTEXTS["concurrency"]
            and value is not None
            and not GROUP_VALUE.fullmatch(value)
        ):
            raise PlaceholderError(
                f"cache.concurrency.group: {{{name}}} = {value!r} cannot be part of a group name;"
                " a value there may hold only letters, digits and _ . - (and / between names)"
            )
    return render_text(template, given, "concurrency")


def gitlab_group_problem(name: str) -> str | None:
    """Why GitLab would refuse ``name`` as a ``resource_group``, or ``None``."""
    if GITLAB_GROUP.fullmatch(name):
        return None
    return (
        f"{name!r} is not a resource_group GitLab accepts (letters, digits, - _ / $ {{ }} . and"
        " spaces, not starting or ending with /, at most 255 characters)"
    )


def render_query(template: str, values: Mapping[str, str]) -> str:
    """PromQL with the ``query`` tokens ``values`` gives replaced, each for its position.

    Inside a ``"..."`` or ``'...'`` literal the value is escaped for it; inside a raw
    `` `...` `` literal it may not hold a backtick; outside any literal it must match
    ``[A-Za-z0-9_:.-]+``. In the literal of a regex matcher (``=~``, ``!~``) the value's
    regex metacharacters are escaped first, as Go's ``regexp.QuoteMeta`` does, so
    ``prod|.*`` matches only itself. A token ``values`` does not give stays as written.

    :raises PlaceholderError: naming the token and the value that cannot stand there.
    """
    allowed = CONTEXTS["query"]
    out: list[str] = []
    quote: str | None = None
    regex = False
    i = 0
    while i < len(template):
        char = template[i]
        match = _TOKEN.match(template, i) if char == "{" else None
        if match and match.group(1) in allowed and match.group(1) in values:
            out.append(_promql_value(match.group(1), values[match.group(1)], quote, regex))
            i = match.end()
            continue
        out.append(char)
        if quote is None:
            if char in "\"'`":
                quote = char
                regex = _REGEX_MATCHER.search("".join(out[:-1])) is not None
        elif char == "\\" and quote != "`" and i + 1 < len(template):
            out.append(template[i + 1])
            i += 1
        elif char == quote:
            quote = None
        i += 1
    return "".join(out)


def _promql_value(name: str, value: str, quote: str | None, regex: bool = False) -> str:
    if quote is not None and regex:
        value = _REGEX_META.sub(r"\\\1", value)
    if quote is None:
        if not BARE_VALUE.fullmatch(value):
            raise PlaceholderError(
                f"{{{name}}} = {value!r} stands outside quotes in a query, where only letters, digits"
                " and _ : . - are accepted; quote the placeholder in the query"
                f' (label="{{{name}}}") or fix the value'
            )
        return value
    if quote == "`":
        if "`" in value:
            raise PlaceholderError(
                f"{{{name}}} = {value!r} cannot stand in a `raw` PromQL string;"
                " use a double-quoted one"
            )
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
                        raise PlaceholderError(
                            f"gate {gate.name}, metric {metric.name}: {exc}"
                        ) from None
