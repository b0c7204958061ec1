"""Placeholders: every documented token is accepted by ``check`` and replaced where it is
used, every other token is a ``check`` error, and values are data in PromQL and commands."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from releasegate.errors import PolicyError, UsageError
from releasegate.placeholders import (
    CONTEXTS,
    PlaceholderError,
    check_gate_values,
    render_query,
    shell_problem,
)
from releasegate.policy import parse_policy
from releasegate.policy.model import Router
from releasegate.rollout.drill import render_rollback_command
from releasegate.rollout.routers import CommandRouter, IstioRouter

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rollout.md"


def policy(
    *,
    query: str = 'rate(x{s="{service}"}[1m])',
    router: str = "kubectl set {service} {weight}",
    rollback: str = "deploy {rollback_to}",
    extra_router: str = "",
    extra_rollback: str = "",
    service: str = "checkout",
    options: str = "",
) -> str:
    return textwrap.dedent(f"""\
        version: 1
        service: {service}
        gates:
          g:
            provider: prometheus
            address: http://127.0.0.1:9090
            metrics:
              - {{name: m, query: '{query}', judge: threshold, fail_if: "> 1"}}
        environments:
          - name: production
            strategy:
              canary:
                steps: [{{weight: 50, pause: 1m, gates: [g]}}]
                router: {{command: "{router}"{extra_router}{options}}}
            rollback: {{command: "{rollback}"{extra_rollback}}}
        """)


def problems(text: str) -> list[str]:
    try:
        parse_policy(text.encode(), "p.yml", {})
    except PolicyError as exc:
        return [re.sub(r"^p\.yml:\d+:\d+: ", "", line) for line in exc.problems]
    return []


def test_the_documented_tokens_are_the_accepted_ones() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    table = docs[docs.index("| context | tokens |") :]
    rows = {
        line.split("|")[1].strip().strip("`"): set(re.findall(r"`\{(\w+)\}`", line.split("|")[2]))
        for line in table.splitlines()[2:]
        if line.startswith("|")
    }
    assert rows == {context: set(tokens) for context, tokens in CONTEXTS.items()}


def test_every_documented_token_is_accepted_by_check_and_replaced_where_used() -> None:
    query = " + ".join(f'x{{a="{{{t}}}"}}' for t in CONTEXTS["query"])
    router = " ".join(f"{{{t}}}" for t in CONTEXTS["router"])
    rollback = " ".join(f"{{{t}}}" for t in CONTEXTS["rollback"])
    text = policy(query=query, router=f"kubectl {router}", rollback=f"deploy {rollback}")
    assert problems(text) == []

    values = {"service": "checkout", "variant": "canary", "env": "production", "interval": "1m"}
    assert "{" not in render_query(query, values).replace("x{", "")
    argv = CommandRouter(f"kubectl {router}", {"service": "checkout", "env": "production"}).argv(30)
    assert argv == ["kubectl", "30", "70", "checkout", "production"]
    argv = render_rollback_command(
        f"deploy {rollback}",
        {
            "rollback_to": "abc",
            "sha": "abc",
            "version": "1.2",
            "env": "production",
            "service": "checkout",
        },
    )
    assert argv == ["deploy", "abc", "abc", "1.2", "production", "checkout"]
    istio = IstioRouter.from_policy(
        Router(kind="istio", options={"name": "vs-{service}"}), {"service": "checkout"}
    )
    assert istio.options["name"] == "vs-checkout"


OTHER_TOKENS = [
    (context, token)
    for context in ("query", "router", "rollback", "router_options")
    for token in (
        "step",
        "sha",
        "version",
        "gate",
        "metric",
        "window",
        "weight",
        "rollback_to",
        "nope",
    )
    if token not in CONTEXTS[context]
]


@pytest.mark.parametrize(("context", "token"), OTHER_TOKENS)
def test_every_other_token_is_a_check_error(context: str, token: str) -> None:
    text = {
        "query": lambda: policy(query=f'x{{a="{{{token}}}"}}'),
        "router": lambda: policy(router=f"kubectl {{{token}}}"),
        "rollback": lambda: policy(rollback=f"deploy {{{token}}}"),
        "router_options": lambda: policy(
            router="kubectl {weight}", options=f", options: {{name: 'x-{{{token}}}'}}"
        ),
    }[context]()
    found = problems(text)
    assert len(found) == 1 and f"unknown placeholder {{{token}}}" in found[0], found


@pytest.mark.parametrize("value", ["x or vector(0)", "a b", "x)", 'x"', "1m]) or vector(1"])
def test_a_value_outside_quotes_is_only_a_name(value: str) -> None:
    with pytest.raises(UsageError, match=r"stands outside quotes in a query"):
        render_query("rate(x[{interval}])", {"interval": value})
    assert render_query('x{a="{service}"}', {"service": value}).count('"') - value.count('"') == 2


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('x{a="{service}"}', 'x{a="a\\"b\\\\c\\n"}'),
        ("x{a='{service}'}", "x{a='a\"b\\\\c\\n'}"),
    ],
)
def test_a_value_inside_a_string_is_escaped_for_that_string(template: str, expected: str) -> None:
    assert render_query(template, {"service": 'a"b\\c\n'}) == expected


def test_a_policy_value_that_cannot_stand_where_the_query_puts_it_is_a_check_error() -> None:
    found = problems(policy(query="sum by (x) (up{} or {service})", service="'a or vector(1)'"))
    assert found == [
        "gates.g.metrics[0].query: {service} = 'a or vector(1)' stands outside quotes in a query,"
        " where only letters, digits and _ : . - are accepted; quote the placeholder in the query"
        ' (label="{service}") or fix the value'
    ]


def test_a_command_line_value_is_checked_before_anything_runs() -> None:
    gates = parse_policy(policy(query="rate(x[5m]) * {env}").encode(), "p.yml", {}).gates.values()
    with pytest.raises(
        UsageError, match=r"^gate g, metric m: \{env\} = 'prod or vector\(0\)' stands outside"
    ):
        check_gate_values(gates, service="checkout", env="prod or vector(0)")
    check_gate_values(gates, service="checkout", env="prod")


@pytest.mark.parametrize(
    "command",
    [
        "sh -c 'kubectl set {service} {weight}'",
        "bash -lc 'x {weight}'",
        "/bin/sh -e -c 'x {env}'",
        "env A=1 sh -c 'x {service}'",
        "pwsh -Command 'x {weight}'",
        "cmd /c x {weight}",
        "timeout 30 bash -c 'x {weight}'",
        "kubectl exec deploy/ctl -- sh -c 'set {service} {weight}'",
    ],
)
def test_a_shell_given_placeholders_in_its_script_is_a_check_error(command: str) -> None:
    assert shell_problem(__import__("shlex").split(command)) is not None
    found = problems(policy(router=command.replace('"', '\\"')))
    assert len(found) == 1 and "runs its script through a shell" in found[0]
    assert "set allow_shell: true" in found[0]
    assert (
        problems(policy(router=command.replace('"', '\\"'), extra_router=", allow_shell: true"))
        == []
    )


def test_a_shell_is_fine_with_placeholders_as_arguments_and_the_rollback_command_is_checked_too() -> (
    None
):
    documented = 'sh -c \'rollout-cli weight "$1" "$2"\' sh {service} {weight}'
    assert documented in " ".join(DOCS.read_text(encoding="utf-8").replace("`", "").split())
    assert problems(policy(router=documented.replace('"', '\\"'))) == []
    argv = CommandRouter(documented, {"service": "checkout"}).argv(5)
    assert argv == ["sh", "-c", 'rollout-cli weight "$1" "$2"', "sh", "checkout", "5"]
    found = problems(policy(rollback="bash -c 'deploy {rollback_to}'"))
    assert len(found) == 1 and found[0].startswith(
        "environments[0].rollback.command: bash -c runs its script"
    )
    assert (
        problems(
            policy(rollback="bash -c 'deploy {rollback_to}'", extra_rollback=", allow_shell: true")
        )
        == []
    )


#: Commands that hand a placeholder to a shell or an interpreter as code, past the forms
#: the first check knew: options before ``-c``, ``--``, interpreters, joiners, wrappers.
CODE_RUNNERS = [
    "bash -o pipefail -c 'x {service}'",
    "bash +x -c 'x {service}'",
    "bash -c -- 'x {service}'",
    "sh -c -e 'x {service}'",
    "bash.exe -c 'x {service}'",
    "/usr/bin/env bash -c 'x {service}'",
    "python -c 'import os; os.system(\"x {service}\")'",
    "python3.11 -c 'x {service}'",
    "python -Ic 'x {service}'",
    "python -c'x {service}'",
    "perl -ne 'x {service}'",
    "ruby -e 'x {service}'",
    "node --eval='x {service}'",
    "php -r 'x {service}'",
    "awk -F: '{print \"{service}\"}'",
    "sed 's/a/{service}/e' f",
    "env -S 'sh -c \"x {service}\"'",
    "su root -c 'x {service}'",
    "flock -w 5 /tmp/l -c 'x {service}'",
    "ssh host 'x {service}'",
    "watch -n1 'x {service}'",
    "pwsh -File deploy.ps1 {service}",
    "cmd /c deploy.bat {weight}",
]


@pytest.mark.parametrize("command", CODE_RUNNERS)
def test_a_shell_or_interpreter_given_placeholders_as_code_is_refused_by_check_and_by_the_router(
    command: str,
) -> None:
    words = __import__("shlex").split(command)
    assert shell_problem(words) is not None
    found = problems(policy(router=command.replace('"', '\\"')))
    assert len(found) == 1 and found[0].endswith("or set allow_shell: true"), found
    with pytest.raises(PlaceholderError, match="^router command: "):
        CommandRouter(command, {"service": "checkout"})  # refused when built, before any run
    with pytest.raises(PlaceholderError, match="^rollback command: "):
        render_rollback_command(
            command.replace("{weight}", "{sha}"), {"service": "checkout", "sha": "abc"}
        )


@pytest.mark.parametrize(
    "command",
    [
        "kubectl argo rollouts set weight {service} {weight}",
        'sh -c \'kubectl argo rollouts set weight "$1" "$2"\' sh {service} {weight}',
        "bash -o pipefail -c 'kubectl set \"$1\"' bash {service}",
        "sh ./deploy.sh {service}",
        "python deploy.py -e {service}",
        "python -m deploy {service}",
        "sed -i s/a/b/ {service}.yaml",
        "flock /tmp/l kubectl set {service}",
        "timeout 30 kubectl set {weight}",
    ],
)
def test_placeholders_as_plain_arguments_are_data(command: str) -> None:
    assert shell_problem(__import__("shlex").split(command)) is None
    assert problems(policy(router=command.replace('"', '\\"'))) == []


def test_with_allow_shell_a_value_reaches_a_script_only_when_no_shell_would_parse_it(
    tmp_path,
) -> None:
    import subprocess

    template = f"sh -c 'echo {{service}} > {tmp_path}/said'"
    router = CommandRouter(template, {"service": "checkout-2.1"}, allow_shell=True)
    router.set_weight(5)
    assert (tmp_path / "said").read_text() == "checkout-2.1\n"

    for value in (
        "x; touch pwned",
        "$(touch pwned)",
        "`touch pwned`",
        "a|b",
        "a&b",
        "%PATH%",
        "a b",
    ):
        with pytest.raises(
            PlaceholderError, match=r"would be parsed as code by sh -c; with allow_shell"
        ):
            CommandRouter(template, {"service": value}, allow_shell=True, run=subprocess.run)
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_the_executable_never_comes_from_a_value() -> None:
    found = problems(policy(router="{service} set {weight}", extra_router=", allow_shell: true"))
    assert found == [
        "environments[0].strategy.canary.router.command: the executable comes from a"
        " placeholder ({service}): a value would choose the program that runs; write the"
        " program's name"
    ]


def test_a_concurrency_group_takes_env_and_service_only_and_renders_through_the_one_renderer() -> (
    None
):
    from releasegate.placeholders import gitlab_group_problem, render_group

    text = 'version: 1\nservice: checkout\ncache:\n  concurrency: {group: "deploy-{env}-{stage}"}\n'
    found = problems(text)
    assert found == [
        "cache.concurrency.group: unknown placeholder {stage} (known: {env}, {service})"
    ]
    assert (
        render_group("deploy-{env}-{service}", {"env": "review/x-1", "service": "checkout"})
        == "deploy-review/x-1-checkout"
    )
    assert render_group("deploy-{env}", {"env": None, "service": "checkout"}) == "deploy-{env}"
    with pytest.raises(
        PlaceholderError, match=r"\{env\} = 'prod\$CI_JOB_TOKEN' cannot be part of a group"
    ):
        render_group("deploy-{env}", {"env": "prod$CI_JOB_TOKEN"})
    assert gitlab_group_problem("deploy-production") is None
    assert (
        gitlab_group_problem("deploy:production") is not None
        and gitlab_group_problem("/x") is not None
    )


def test_a_value_cannot_start_an_argument_that_a_program_would_read_as_an_option() -> None:
    template = "helm rollback {service} {version} --set=image.tag={version}"
    assert render_rollback_command(template, {"service": "checkout", "version": "1.2"}) == [
        "helm",
        "rollback",
        "checkout",
        "1.2",
        "--set=image.tag=1.2",
    ]
    with pytest.raises(
        PlaceholderError,
        match=r"^rollback command: \{version\} = '--post-renderer=/tmp/x'"
        r" would start an argument with '-'",
    ):
        render_rollback_command(
            template, {"service": "checkout", "version": "--post-renderer=/tmp/x"}
        )
    with pytest.raises(
        PlaceholderError, match="would start an argument with '-'"
    ):  # before any run
        CommandRouter(
            "kubectl argo rollouts set weight {service} {weight}", {"service": "-n=kube-system"}
        )


def test_a_router_option_cannot_become_an_option_of_kubectl() -> None:
    router = Router(kind="istio", options={"name": "{service}"})
    assert (
        IstioRouter.from_policy(
            Router(kind="istio", options={"name": "vs-{service}"}), {"service": "checkout"}
        ).options["name"]
        == "vs-checkout"
    )
    with pytest.raises(
        PlaceholderError,
        match=r"^strategy.canary.router.options.name: '\{service\}' renders as"
        r" '--kubeconfig=/tmp/x', which would start an argument with '-'",
    ):
        IstioRouter.from_policy(router, {"service": "--kubeconfig=/tmp/x"})
