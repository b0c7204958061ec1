"""``releasegate drift`` and the ``drift: clean`` promotion requirement, in-process and end to end."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from drift.conftest import policy_text

SECRETS = {
    "hunter2-staging-pw",
    "hunter2-production-pw",
    "s3cr3t-in-url",
    "ghp_tokenvalue123",
    "vault:secret/data/checkout#db-staging",
    "vault:secret/data/checkout#db-production",
}
STAGING = """
    image: {tag: "1.4.0"}
    replicaCount: 2
    database:
      url: postgres://app:s3cr3t-in-url@db.staging:5432/shop
      password: hunter2-staging-pw
      vaultRef: vault:secret/data/checkout#db-staging
    env:
      - name: LOG_LEVEL
        value: debug
      - name: API_TOKEN
        value: ghp_tokenvalue123
"""
PRODUCTION = """
    image: {tag: "1.3.2"}
    replicaCount: 6
    database:
      url: postgres://app:other@db.production:5432/shop
      password: hunter2-production-pw
      vaultRef: vault:secret/data/checkout#db-production
    env:
      - name: LOG_LEVEL
        value: info
"""
FILES = {"staging": "deploy/staging/values.yaml", "production": "deploy/production/values.yaml"}
ALLOW = {"image.tag": "promoted separately", "replicaCount": "sized per environment"}


@pytest.fixture
def project(tree):
    def make(
        staging: str = STAGING,
        production: str = PRODUCTION,
        *,
        files=FILES,
        allow=ALLOW,
        requires: str = "",
    ) -> str:
        root = tree(
            {
                "deploy/staging/values.yaml": staging,
                "deploy/production/values.yaml": production,
                "releasegate.yml": policy_text(files, allow, production=requires),
            }
        )
        return str(root / "releasegate.yml")

    return make


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit"])
def test_secret_values_are_never_printed_in_any_format(project, releasegate_cli, fmt) -> None:
    config = project()

    result = releasegate_cli("drift", "-c", config, "--format", fmt)

    assert result.exit_code == 1, result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    assert "database.password" in result.stdout
    assert "secret value differs between staging and production" in result.stdout


def test_drift_names_file_line_and_path_of_each_side_and_exits_1(project, releasegate_cli) -> None:
    config = project()

    result = releasegate_cli(
        "drift", "-c", config, "--format", "json", "--output", config + ".json"
    )

    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert (body["kind"], body["outcome"]) == ("drift", "drift")
    assert (
        body["reason"]
        == "5 unexpected difference(s) in staging vs production (2 allowed difference(s))"
    )
    rows = {r["name"]: (r["status"], r["expected"], r["observed"]) for r in body["requirements"]}
    assert rows == {
        "drift image.tag": ("pass", 'staging: "1.4.0"', 'production: "1.3.2"'),
        "drift replicaCount": ("pass", "staging: 2", "production: 6"),
        "drift database.url": ("fail", "staging: (secret)", "production: (secret)"),
        "drift database.password": ("fail", "staging: (secret)", "production: (secret)"),
        "drift database.vaultRef": ("fail", "staging: (secret)", "production: (secret)"),
        "drift env[name=LOG_LEVEL].value": ("fail", 'staging: "debug"', 'production: "info"'),
        "drift env[name=API_TOKEN]": ("fail", "staging: (secret)", "production: absent"),
    }
    level = next(r for r in body["requirements"] if r["name"] == "drift env[name=LOG_LEVEL].value")
    assert level["reason"] == (
        "value differs between staging and production; staging "
        "deploy/staging/values.yaml:9, production deploy/production/values.yaml:9"
    )
    assert level["details"]["sides"][0] == {
        "environment": "staging",
        "file": "deploy/staging/values.yaml",
        "line": 9,
        "present": True,
    }
    assert json.loads(open(config + ".json").read())["outcome"] == "drift"


def test_only_allowed_differences_are_clean_exit_0(project, releasegate_cli) -> None:
    config = project(
        staging="image: {tag: '1.4.0'}\nreplicaCount: 2\n",
        production="image: {tag: '1.3.2'}\nreplicaCount: 6\n",
    )

    result = releasegate_cli("drift", "-c", config)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "CLEAN drift (env=production): staging vs production: configured alike (2 allowed difference(s))"
    )
    assert (
        "  PASS drift image.tag     allowed (promoted separately): value differs" in result.stdout
    )


def test_markdown_shows_a_compact_diff_table(project, releasegate_cli) -> None:
    config = project()

    result = releasegate_cli("drift", "-c", config, "--format", "markdown")

    assert (
        '| ❌ | drift env\\[name=LOG_LEVEL].value | production: "info" | staging: "debug" | value differs'
        in result.stdout
    )
    junit = ElementTree.fromstring(
        releasegate_cli("drift", "-c", config, "--format", "junit").stdout
    )
    assert junit.get("failures") == "5"


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (
            ["--env", "qa", "--env", "production"],
            FILES,
            "releasegate: error: --env qa: no such environment in {config}; known: dev, staging, production",
        ),
        (
            ["--env", "dev", "--env", "production"],
            FILES,
            "releasegate: error: --env dev: {config} has no drift.files for dev; it has: staging, production",
        ),
        (
            ["--env", "staging"],
            FILES,
            "releasegate: error: --env staging: no environment before it on the promotion path has "
            "drift.files; name the other one with a second --env",
        ),
        (
            [],
            {"staging": "deploy/staging/values.yaml", "production": "deploy/prod/*.yaml"},
            "releasegate: error: drift.files.production: deploy/prod/*.yaml matches no file (relative to {root})",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project, releasegate_cli, args, files, message) -> None:
    config = project(files=files)

    result = releasegate_cli("drift", "-c", config, *args)

    assert result.exit_code == 2
    root = config.rsplit("/", 1)[0]
    assert result.stderr == message.format(config=config, root=root) + "\n"
    assert result.stdout == ""


def test_an_invalid_file_names_its_line(project, releasegate_cli) -> None:
    config = project(production="image:\n  tag: 1\n  tag: 2\n")

    result = releasegate_cli("drift", "-c", config)

    assert (result.exit_code, result.stderr) == (
        2,
        "releasegate: error: deploy/production/values.yaml:3:3: duplicate key 'tag' (first on line 2); "
        "remove one\n",
    )


SHA = "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132"


def promote(releasegate_cli, config):
    for env in ("dev", "staging"):
        assert releasegate_cli("promote", "-c", config, "--to", env, "--sha", SHA).exit_code == 0
        assert (
            releasegate_cli(
                "record", "-c", config, "--env", env, "--sha", SHA, "--status", "success"
            ).exit_code
            == 0
        )
    return releasegate_cli(
        "promote", "-c", config, "--to", "production", "--sha", SHA, "--dry-run", "--format", "json"
    )


def test_promotion_is_blocked_while_staging_and_production_disagree(
    project, releasegate_cli
) -> None:
    config = project(requires="drift: clean")

    result = promote(releasegate_cli, config)

    assert result.exit_code == 1, result.stderr
    body = json.loads(result.stdout)
    [drift] = [r for r in body["requirements"] if r["name"] == "drift clean"]
    assert drift["status"] == "fail"
    assert drift["observed"] == "5 unexpected difference(s)"
    assert drift["reason"].startswith(
        "staging and production differ unexpectedly: database.url, "
        "database.password, database.vaultRef ...; 2 allowed"
    )
    for secret in SECRETS:
        assert secret not in result.stdout


def test_promotion_is_allowed_when_only_allowed_paths_differ(project, releasegate_cli) -> None:
    config = project(
        staging="image: {tag: '1.4.0'}\nreplicaCount: 2\n",
        production="image: {tag: '1.3.2'}\nreplicaCount: 6\n",
        requires="drift: clean",
    )

    result = promote(releasegate_cli, config)

    assert result.exit_code == 0, result.stdout
    body = json.loads(result.stdout)
    assert body["outcome"] == "allow"
    assert [r["status"] for r in body["requirements"] if r["name"] == "drift clean"] == ["pass"]


def test_an_unreadable_drift_file_blocks_the_promotion_instead_of_passing(
    project, releasegate_cli
) -> None:
    config = project(
        requires="drift: clean",
        files={"staging": "deploy/staging/values.yaml", "production": "deploy/missing.yaml"},
    )

    result = promote(releasegate_cli, config)

    assert result.exit_code == 1
    [drift] = [r for r in json.loads(result.stdout)["requirements"] if r["name"] == "drift clean"]
    assert drift["status"] == "error"
    assert drift["reason"].startswith("drift.files.production: deploy/missing.yaml matches no file")
