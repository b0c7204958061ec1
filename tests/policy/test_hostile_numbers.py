"""Hostile numbers, durations and criteria in a policy: every row is a ``check`` error (exit 2)
whose line names the file, line and field, never an internal error and never "valid"."""

from __future__ import annotations

from pathlib import Path

import pytest

from peers.cli import Invoke

BASE = """\
version: 1
service: web
validations:
  unit: {{junit: reports/*.xml{validation}}}
  cov: {{coverage: coverage.xml{coverage}}}
environments:
  - name: staging
    requires:
      validations: [unit]
  - name: production
    requires:
      from: staging
      validations: [unit, cov]
{requires}    strategy:
      canary:
        steps:
          - {{weight: {weight}, pause: {pause}, gates: [g]}}
          - {{weight: 100}}
gates:
  g:
    provider: prometheus
    address: http://127.0.0.1:9090
{gate}    metrics:
      - {{name: m, query: up, judge: {judge}{metric}}}
"""

DEFAULTS = {
    "validation": "",
    "coverage": "",
    "requires": "",
    "weight": "10",
    "pause": "5m",
    "gate": "",
    "judge": "threshold",
    "metric": ', fail_if: "> 0.05"',
}

# (what is changed, the field named in the message, a piece of the message)
CASES: list[tuple[dict[str, str], str, str]] = [
    (
        {"judge": "anomaly", "metric": ", sigma: .nan"},
        "gates.g.metrics[0].sigma",
        "nan is not a number",
    ),
    (
        {"judge": "anomaly", "metric": ", sigma: .inf"},
        "gates.g.metrics[0].sigma",
        "inf is not a number",
    ),
    (
        {"judge": "anomaly", "metric": ", sigma: 1.0e+308"},
        "gates.g.metrics[0].sigma",
        "number too large",
    ),
    (
        {"judge": "sequential", "metric": ", alpha: .nan"},
        "gates.g.metrics[0].alpha",
        "nan is not a number",
    ),
    (
        {"judge": "sequential", "metric": ", threshold: .nan"},
        "gates.g.metrics[0].threshold",
        "nan is not a number",
    ),
    (
        {"judge": "sequential", "metric": ", threshold: .inf"},
        "gates.g.metrics[0].threshold",
        "inf is not a number",
    ),
    (
        {"judge": "sequential", "metric": ", quantile: .nan"},
        "gates.g.metrics[0].quantile",
        "nan is not a number",
    ),
    ({"judge": "sequential", "metric": ", effect: -.inf"}, "gates.g.metrics[0].effect", ""),
    (
        {"judge": "ratio", "metric": ", max_ratio: .nan"},
        "gates.g.metrics[0].max_ratio",
        "nan is not a number",
    ),
    (
        {"judge": "ratio", "metric": ", min_ratio: .inf"},
        "gates.g.metrics[0].min_ratio",
        "inf is not a number",
    ),
    ({"metric": ', fail_if: "> 1e999"'}, "gates.g.metrics[0].fail_if", "number too large"),
    ({"metric": ', fail_if: "> .nan"'}, "gates.g.metrics[0].fail_if", "expected a condition"),
    ({"metric": ', fail_if: "> \u0663"'}, "gates.g.metrics[0].fail_if", "expected a condition"),
    (
        {"metric": ', fail_if: "> 0.05", tolerance: .inf'},
        "gates.g.metrics[0].tolerance",
        "inf is not a number",
    ),
    ({"coverage": ", min: .nan"}, "validations.cov.min", "nan is not a number"),
    ({"coverage": ", min_branch: .nan"}, "validations.cov.min_branch", "nan is not a number"),
    ({"validation": ", min_tests: 1.0e+308"}, "validations.unit.min_tests", "number too large"),
    ({"weight": ".nan"}, "environments[1].strategy.canary.steps[0].weight", "nan is not a number"),
    ({"gate": "    failure_limit: .inf\n"}, "gates.g.failure_limit", ""),
    ({"gate": "    failure_limit: 1.0e+308\n"}, "gates.g.failure_limit", "number too large"),
    (
        {"gate": "    error_limit: 1e300\n"},
        "gates.g.error_limit",
        "expected an integer, got the string",
    ),
    (
        {"gate": "    min_requests: 100000000000000000000\n"},
        "gates.g.min_requests",
        "number too large",
    ),
    ({"gate": "    interval: .inf\n"}, "gates.g.interval", "inf is not a number"),
    ({"gate": "    interval: 1.0e+308\n"}, "gates.g.interval", "number too large"),
    ({"gate": "    timeout: 1000000000000\n"}, "gates.g.timeout", "at most 3650d"),
    ({"gate": '    timeout: "1e400"\n'}, "gates.g.timeout", "expected a duration"),
    ({"requires": '      soak: "²"\n'}, "environments[1].requires.soak", "expected a duration"),
    (
        {"requires": '      soak: "\u0663m"\n'},
        "environments[1].requires.soak",
        "expected a duration",
    ),
    ({"requires": '      soak: "１h"\n'}, "environments[1].requires.soak", "expected a duration"),
    ({"requires": "      soak: .nan\n"}, "environments[1].requires.soak", "nan is not a number"),
    ({"requires": "      soak: 1.0e+308\n"}, "environments[1].requires.soak", "number too large"),
    (
        {"requires": "      stale_after: 99999999d\n"},
        "environments[1].requires.stale_after",
        "at most 3650d",
    ),
    (
        {"requires": "      approvals_expire: .inf\n"},
        "environments[1].requires.approvals_expire",
        "",
    ),
    (
        {"pause": '"\u00b2m"'},
        "environments[1].strategy.canary.steps[0].pause",
        "expected a duration",
    ),
    (
        {"judge": "anomaly", "metric": ', sigma: 2, history: "1e308s"'},
        "gates.g.metrics[0].history",
        "expected a duration",
    ),
    (
        {"requires": '      criteria: ["test-coverage >80%"]\n'},
        "environments[1].requires.criteria[0]",
        "names are identifiers: 'test-coverage' would be read as test - coverage; write test_coverage",
    ),
    (
        {"requires": '      criteria: ["unit-tests.tests.total > 1"]\n'},
        "environments[1].requires.criteria[0]",
        "write unit_tests.tests.total",
    ),
    (
        {"requires": '      criteria: ["vulnerabilities.critical == 0"]\n'},
        "environments[1].requires.criteria[0]",
        "no validation of 'production' provides vulnerabilities.critical; its validations provide coverage",
    ),
    (
        {"requires": '      criteria: ["coverage.lines >= 80"]\n'},
        "environments[1].requires.criteria[0]",
        "no validation of 'production' provides coverage.lines",
    ),
    (
        {"requires": '      criteria: ["scan.vulnerabilities.high == 0"]\n'},
        "environments[1].requires.criteria[0]",
        "provides scan.vulnerabilities.high",
    ),
    (
        {"requires": '      criteria: ["coverage >= \u0668\u0660"]\n'},
        "environments[1].requires.criteria[0]",
        "only ASCII",
    ),
]


def _id(case: tuple[dict[str, str], str, str]) -> str:
    return f"{case[1]}={next(iter(case[0].values())).strip()[:30]}"


@pytest.mark.parametrize(("change", "field", "message"), CASES, ids=[_id(c) for c in CASES])
def test_hostile_policy_is_a_check_error_naming_the_line(
    invoke: Invoke,
    tmp_path: Path,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    text = BASE.format(**{**DEFAULTS, **change})
    path = tmp_path / "releasegate.yml"
    path.write_text(text, encoding="utf-8")
    code, out, err = invoke("check", "-c", path, env={"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert code == 2, out + err
    assert "internal error" not in err and "Traceback" not in err
    lines = [line for line in err.splitlines() if f": {field}: " in line]
    assert lines, err
    line = lines[0]
    assert line.startswith(f"{path}:")
    number = int(line.split(":")[1])
    assert 1 <= number <= len(text.splitlines())
    assert message in line


def test_the_base_policy_is_valid(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "releasegate.yml"
    path.write_text(
        BASE.format(
            **{
                **DEFAULTS,
                "requires": '      criteria: ["coverage >= 80 and '
                'unit.tests.failed == 0", "cov.coverage.lines.total > 0"]\n',
            }
        )
    )
    result = invoke("check", "-c", path, env={"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.code == 0, result


def test_an_environment_the_builder_cannot_read_is_reported_not_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from releasegate.errors import PolicyError
    from releasegate.policy import parse_policy
    from releasegate.policy.build import Builder

    def explode(*_args: object) -> None:
        raise ValueError("cannot happen")

    builder = Builder("p.yml", "0" * 64)
    builder.environment = explode  # type: ignore[method-assign]
    builder.build({"version": 1, "environments": [{"name": "production"}]})
    assert builder.problems == [
        (("environments", 0), "this entry has a value of the wrong kind or size; check its fields")
    ]
    with pytest.raises(PolicyError):
        parse_policy(
            b"version: 1\nenvironments:\n  - name: x\n    requires: {soak: 5m, approvals: [{count: 1}]}\n"
            b'    strategy: {canary: {steps: [{weight: "10"}]}}\n',
            "p.yml",
            {},
        )
