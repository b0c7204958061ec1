"""Broken policies: each one pins the exact location and the whole message of every problem."""

from __future__ import annotations

import textwrap

import pytest

from releasegate.errors import PolicyError
from releasegate.policy import parse_policy

GOOD_GATE = """
gates:
  health:
    provider: prometheus
    address: http://127.0.0.1:9090
    metrics:
      - {name: errors, query: 'rate(x{track="{variant}"}[1m])', judge: sequential}
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(textwrap.dedent(text).encode(), "p.yml", env or {})
    assert caught.value.exit_code == 2
    return caught.value.problems


def test_valid_minimal_policy_loads() -> None:
    policy = parse_policy(b"version: 1\nenvironments: [{name: dev}]\n", "p.yml", {})
    assert [e.name for e in policy.environments] == ["dev"]


CASES = [
    (
        "not a mapping",
        "- 1\n- 2\n",
        ["p.yml:1:1: the policy must be a mapping with 'version: 1' at the top"],
    ),
    (
        "bad yaml",
        "version: 1\nenvironments: [\n",
        ["p.yml:3:1: invalid YAML: expected the node content, but found '<stream end>'"],
    ),
    ("wrong version", "version: 2\n", ["p.yml:1:1: version: expected 1, got 2"]),
    (
        "missing version",
        "environments: [{name: dev}]\n",
        ["p.yml:1:1: missing required key 'version'"],
    ),
    (
        "unknown top-level key",
        "version: 1\nenvironmnets: []\n",
        ["p.yml:2:1: environmnets: unknown key 'environmnets'; did you mean 'environments'?"],
    ),
    (
        "misspelt requires key",
        """\
        version: 1
        environments:
          - name: dev
          - name: staging
            requires:
              critera: [coverage >= 80]
        """,
        [
            "p.yml:6:7: environments[1].requires.critera: unknown key 'critera'; did you mean 'criteria'?"
        ],
    ),
    (
        "auto_deploy, which never deployed anything, is gone",
        "version: 1\nenvironments:\n  - name: dev\n    auto_deploy: true\n",
        [
            "p.yml:4:5: environments[0].auto_deploy: unknown key 'auto_deploy'; expected one of: name, production, "
            "requires, strategy, rollback"
        ],
    ),
    (
        "environment without name",
        "version: 1\nenvironments:\n  - requires: {}\n",
        ["p.yml:3:5: environments[0]: missing required key 'name'"],
    ),
    (
        "duplicate environment",
        "version: 1\nenvironments:\n  - name: dev\n  - name: dev\n",
        ["p.yml:4:5: environments[1].name: duplicate environment 'dev' (also environments[0])"],
    ),
    (
        "from undefined",
        "version: 1\nenvironments:\n  - name: staging\n  - name: production\n"
        "    requires: {from: stagign}\n",
        [
            "p.yml:5:16: environments[1].requires.from: unknown environment 'stagign'; did you mean 'staging'?"
        ],
    ),
    (
        "from a later environment",
        "version: 1\nenvironments:\n  - name: staging\n    requires: {from: production}\n"
        "  - name: production\n",
        [
            "p.yml:4:16: environments[0].requires.from: 'production' must come before 'staging' in the promotion path"
        ],
    ),
    (
        "unknown validation",
        "version: 1\nvalidations:\n  unit-tests: {junit: 'r/*.xml'}\n"
        "environments:\n  - name: dev\n    requires: {validations: [unit-test]}\n",
        [
            "p.yml:6:30: environments[0].requires.validations[0]: unknown validation 'unit-test'; did you mean "
            "'unit-tests'?"
        ],
    ),
    (
        "validation with two sources",
        "version: 1\nvalidations:\n  t: {junit: a.xml, sarif: b.sarif}\n",
        [
            "p.yml:3:3: validations.t: needs exactly one of check, junit, coverage, sarif, trivy, audit; got junit, "
            "sarif"
        ],
    ),
    (
        "validation option of another kind",
        "version: 1\nvalidations:\n  t: {junit: a.xml, max_severity: high}\n",
        [
            "p.yml:3:21: validations.t.max_severity: 'max_severity' applies only to sarif / trivy / audit validations"
        ],
    ),
    (
        "bad severity",
        "version: 1\nvalidations:\n  s: {sarif: a.sarif, max_severity: hihg}\n",
        [
            "p.yml:3:23: validations.s.max_severity: expected one of none, low, medium, high, critical, got the string "
            "'hihg'; did you mean 'high'?"
        ],
    ),
    (
        "coverage above 100",
        "version: 1\nvalidations:\n  c: {coverage: c.xml, min: 120}\n",
        ["p.yml:3:24: validations.c.min: must be <= 100, got 120"],
    ),
    (
        "bad soak duration",
        "version: 1\nenvironments:\n  - name: dev\n    requires: {soak: 5 minutes}\n",
        [
            "p.yml:4:16: environments[0].requires.soak: expected a duration such as 30s, 5m, 1h30m or 2d, got '5 "
            "minutes'"
        ],
    ),
    (
        "duration of the wrong type",
        "version: 1\nenvironments:\n  - name: dev\n    requires: {soak: [1]}\n",
        [
            "p.yml:4:16: environments[0].requires.soak: expected a duration: 30s, 5m, 1h30m, 2d, or a number of "
            "seconds, got "
            "a list"
        ],
    ),
    (
        "criterion that does not parse",
        "version: 1\nenvironments:\n  - name: dev\n"
        "    requires:\n      criteria: ['coverage >=']\n",
        [
            "p.yml:5:18: environments[0].requires.criteria[0]: criterion 'coverage >=': not a valid expression: "
            "invalid "
            "syntax"
        ],
    ),
    (
        "hostile criterion",
        "version: 1\nenvironments:\n  - name: dev\n"
        "    requires:\n      criteria: [\"__import__('os').system('x')\"]\n",
        [
            "p.yml:5:18: environments[0].requires.criteria[0]: criterion \"__import__('os').system('x')\": dunder "
            "names are "
            "not allowed"
        ],
    ),
    (
        "bad window",
        "version: 1\nenvironments:\n  - name: dev\n    requires: {window: 'Mon-Fri 9-5 Mars/Olympus'}\n",
        None,
    ),
    (
        "unknown approval group",
        "version: 1\ngroups: {release-leads: [alice]}\nenvironments:\n  - name: dev\n"
        "    requires:\n      approvals: [{group: release-lead, count: 1}]\n",
        [
            "p.yml:6:20: environments[0].requires.approvals[0].group: unknown group 'release-lead'; did you mean "
            "'release-leads'? (define it under 'groups:' or write team:ORG/NAME)"
        ],
    ),
    (
        "approval count zero",
        "version: 1\nenvironments:\n  - name: dev\n    requires:\n      approvals: [{count: 0}]\n",
        ["p.yml:5:20: environments[0].requires.approvals[0].count: must be >= 1, got 0"],
    ),
    (
        "canary weights decreasing",
        "version: 1\nenvironments:\n  - name: prod\n    strategy:\n      canary:\n"
        "        steps: [{weight: 50}, {weight: 25}, {weight: 100}]\n",
        [
            "p.yml:6:32: environments[0].strategy.canary.steps[1].weight: weights must increase step by step; 25 "
            "follows "
            "50"
        ],
    ),
    (
        "canary weight above 100",
        "version: 1\nenvironments:\n  - name: prod\n    strategy:\n      canary:\n"
        "        steps: [{weight: 50}, {weight: 150}]\n",
        [
            "p.yml:6:32: environments[0].strategy.canary.steps[1].weight: a weight is a percentage of traffic, at "
            "most 100; "
            "got 150"
        ],
    ),
    (
        "canary step gate undefined",
        "version: 1\nenvironments:\n  - name: prod\n    strategy:\n      canary:\n"
        "        steps: [{weight: 5, gates: [helth]}]\n" + GOOD_GATE,
        [
            "p.yml:6:37: environments[0].strategy.canary.steps[0].gates[0]: unknown gate 'helth'; did you mean "
            "'health'?"
        ],
    ),
    (
        "rollback gate undefined",
        "version: 1\nenvironments:\n  - name: prod\n    rollback: {gates: [healt]}\n" + GOOD_GATE,
        [
            "p.yml:4:24: environments[0].rollback.gates[0]: unknown gate 'healt'; did you mean 'health'?"
        ],
    ),
    (
        "unknown judge",
        "version: 1\ngates:\n  g:\n    provider: file\n    metrics: [{name: m, query: q, judge: "
        "treshold}]\n",
        [
            "p.yml:5:35: gates.g.metrics[0].judge: unknown judge 'treshold'; did you mean 'threshold'? (known: "
            "threshold, "
            "anomaly, ratio, compare, sequential)"
        ],
    ),
    (
        "threshold without fail_if",
        "version: 1\ngates:\n  g:\n    provider: file\n    metrics: [{name: m, query: q, "
        "judge: threshold}]\n",
        ["p.yml:5:15: gates.g.metrics[0]: a threshold judge needs 'fail_if:' (e.g. \"> 0.05\")"],
    ),
    (
        "bad threshold condition",
        "version: 1\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: q, judge: threshold, fail_if: above 5}]\n",
        [
            "p.yml:5:53: gates.g.metrics[0].fail_if: expected a condition such as '> 0.05' or '>= 500', got 'above 5'"
        ],
    ),
    (
        "option of another judge",
        "version: 1\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: q, judge: sequential, sigma: 3}]\n",
        [
            "p.yml:5:54: gates.g.metrics[0].sigma: 'sigma' applies only to the anomaly judge, not sequential"
        ],
    ),
    (
        "quantile of another judge",
        "version: 1\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: q, judge: compare, quantile: 0.99}]\n",
        [
            "p.yml:5:51: gates.g.metrics[0].quantile: 'quantile' applies only to the sequential judge, not compare"
        ],
    ),
    (
        "quantile of a rate",
        "version: 1\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: q, count_query: n, judge: sequential, quantile: 0.99}]\n",
        [
            "p.yml:5:70: gates.g.metrics[0].quantile: 'quantile' applies to level metrics (kind: level), "
            "not to a rate; remove it or set kind: level"
        ],
    ),
    (
        "quantile out of range",
        "version: 1\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: q, judge: sequential, quantile: 99}]\n",
        ["p.yml:5:54: gates.g.metrics[0].quantile: must be < 1, got 99"],
    ),
    (
        "unknown placeholder",
        "version: 1\nservice: checkout\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: 'up{job=\"{servce}\"}', judge: sequential}]\n",
        [
            "p.yml:6:25: gates.g.metrics[0].query: unknown placeholder {servce}; did you mean 'service'? (known: "
            "{service}, "
            "{variant}, {env}, {interval})"
        ],
    ),
    (
        "service placeholder without service",
        "version: 1\ngates:\n  g:\n    provider: file\n"
        "    metrics: [{name: m, query: 'up{job=\"{service}\"}', judge: sequential}]\n",
        [
            "p.yml:5:25: gates.g.metrics[0].query: uses {service} but the policy sets no top-level 'service:'"
        ],
    ),
    (
        "prometheus without address",
        "version: 1\ngates:\n  g:\n    provider: prometheus\n"
        "    metrics: [{name: m, query: q, judge: sequential}]\n",
        [
            "p.yml:3:3: gates.g: a prometheus gate needs 'address:' (e.g. ${PROMETHEUS_URL:-http://127.0.0.1:9090})"
        ],
    ),
    (
        "duplicate metric",
        "version: 1\ngates:\n  g:\n    provider: file\n    metrics:\n"
        "      - {name: m, query: q, judge: sequential}\n      - {name: m, query: q, judge: sequential}\n",
        ["p.yml:7:10: gates.g.metrics[1].name: duplicate metric name 'm' in gate 'g'"],
    ),
    (
        "unset variable",
        "version: 1\ngates:\n  g:\n    provider: prometheus\n    address: ${PROM_URL}\n"
        "    metrics: [{name: m, query: q, judge: sequential}]\n",
        [
            "p.yml:5:14: gates.g.address: environment variable PROM_URL is not set and has no default (write "
            "${PROM_URL:-VALUE} to give one)"
        ],
    ),
    (
        "duplicate key",
        "version: 1\nservice: a\nservice: b\n",
        ["p.yml:3:1: service: duplicate key 'service' (first defined on line 2)"],
    ),
    (
        "python tag",
        "version: 1\nservice: !!python/object/apply:os.system ['true']\n",
        [
            "p.yml:2:10: service: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'; only plain "
            "YAML is "
            "allowed"
        ],
    ),
    (
        "bad name",
        "version: 1\nenvironments:\n  - name: 'my env'\n",
        [
            "p.yml:3:5: environments[0].name: 'my env' is not a valid name (letters, digits, '_', '.', '-'; starting "
            "with a "
            "letter or digit)"
        ],
    ),
    (
        "drift for unknown environment",
        "version: 1\nenvironments: [{name: staging}]\ndrift:\n  files: {stagin: a.yaml}\n",
        ["p.yml:4:11: drift.files.stagin: unknown environment 'stagin'; did you mean 'staging'?"],
    ),
    (
        "bad cache backend",
        "version: 1\ncache:\n  docker: {backend: regsitry, ref: r}\n",
        [
            "p.yml:3:12: cache.docker.backend: expected one of registry, gha, local, s3, inline, got the string "
            "'regsitry'; "
            "did you mean 'registry'?"
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in CASES], ids=[name for name, _, _ in CASES]
)
def test_broken_policy(text: str, expected: list[str] | None) -> None:
    found = problems(text)
    if expected is None:
        assert len(found) == 1 and found[0].startswith("p.yml:4:")
    else:
        assert found == expected


def test_all_problems_are_reported_in_one_run() -> None:
    found = problems("""\
        version: 1
        environmnets: []
        validations:
          t: {junit: a.xml, min: 5}
        environments:
          - name: dev
            requires: {validations: [x], soak: soon}
        """)
    assert found == [
        "p.yml:2:1: environmnets: unknown key 'environmnets'; did you mean 'environments'?",
        "p.yml:4:21: validations.t.min: 'min' applies only to coverage validations",
        "p.yml:7:30: environments[0].requires.validations[0]: unknown validation 'x'",
        "p.yml:7:34: environments[0].requires.soak: expected a duration such as 30s, 5m, 1h30m or 2d, got 'soon'",
    ]


def test_window_error_names_the_problem() -> None:
    [line] = problems(
        "version: 1\nenvironments:\n  - name: dev\n    requires: {window: 'Mon-Fri 09:00-17:00 "
        "Mars/Olympus'}\n"
    )
    assert line == (
        "p.yml:4:16: environments[0].requires.window: window 'Mon-Fri 09:00-17:00 Mars/Olympus': "
        "unknown time zone 'Mars/Olympus', use an IANA name such as Europe/Berlin"
    )
