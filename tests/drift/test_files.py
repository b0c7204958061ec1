"""Reading configuration with the line of every value: YAML streams, JSON, TOML, .env."""

from __future__ import annotations

import pytest

from releasegate.configfiles import read_environment, read_units
from releasegate.errors import UsageError


def test_a_manifest_stream_becomes_one_unit_per_resource_and_lists_are_unpacked(tree) -> None:
    root = tree(
        {
            "all.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: checkout, namespace: shop}
        spec:
          replicas: 3
        ---
        # an empty document is skipped
        ---
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: checkout-config
            data:
              LOG_LEVEL: info
    """
        }
    )

    units = read_units(root / "all.yaml", "all.yaml", "0")

    assert [(u.key, u.label) for u in units] == [
        ("Deployment/shop/checkout", "Deployment shop/checkout"),
        ("ConfigMap//checkout-config", "ConfigMap checkout-config"),
    ]
    assert units[0].line(("spec", "replicas")) == 5
    assert units[1].line(("data", "LOG_LEVEL")) == 17
    assert units[1].line(("data", "LOG_LEVEL", "deeper")) == 17


@pytest.mark.parametrize(
    ("name", "text", "path", "line", "value"),
    [
        (
            "config.json",
            '{\n  "server": {\n    "port": 8080,\n    "hosts": ["a",\n      "b"]\n  }\n}\n',
            ("server", "hosts", 1),
            5,
            "b",
        ),
        (
            "config.toml",
            'title = "x"\n\n[server]\nport = 8080\n\n[[workers]]\nname = "a"\n[[workers]]\nname = "b"\n',
            ("workers", 1, "name"),
            9,
            "b",
        ),
        ("config.toml", "[server]\ntls.enabled = true\n", ("server", "tls", "enabled"), 2, True),
        (
            ".env",
            '# comment\nexport LOG_LEVEL=debug\nGREETING="hello # not a comment"\nPLAIN=x # comment\n',
            ("GREETING",),
            3,
            "hello # not a comment",
        ),
        ("staging.env", "A=1\nPLAIN=x # comment\n", ("PLAIN",), 2, "x"),
        ("values.yml", "image:\n  tag: '1.0'\non: yes\n", ("on",), 3, True),
    ],
)
def test_every_format_gives_values_and_their_lines(tree, name, text, path, line, value) -> None:
    root = tree({name: text})

    [unit] = read_units(root / name, name, "0")

    data = unit.data
    for part in path:
        data = data[part]
    assert data == value
    assert unit.line(path) == line


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "bad.yaml",
            "a: 1\nb: [1, 2\n",
            "bad.yaml:3:1: invalid YAML: did not find expected ',' or ']'",
        ),
        (
            "dup.yaml",
            "a: 1\nb: 2\na: 3\n",
            "dup.yaml:3:1: duplicate key 'a' (first on line 1); remove one",
        ),
        (
            "bad.json",
            '{"a": 1,}',
            "bad.json:1:9: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        ("bad.env", "A=1\nnot a line\n", "bad.env:2:1: expected KEY=VALUE, got 'not a line'"),
        (
            "values.ini",
            "[a]\n",
            "values.ini: unknown configuration format; name it .yaml, .yml, .json, .toml or .env",
        ),
    ],
)
def test_unreadable_files_are_one_line_errors_at_their_line(tree, name, text, message) -> None:
    root = tree({name: text})

    with pytest.raises(UsageError) as caught:
        read_units(root / name, name, "0")

    assert str(caught.value) == message


def test_custom_tags_are_kept_as_text_not_refused(tree) -> None:
    root = tree({"cfn.yaml": "bucket: !Ref Bucket\nwhen: 2026-01-02\n"})

    [unit] = read_units(root / "cfn.yaml", "cfn.yaml", "0")

    assert unit.data == {"bucket": "!Ref Bucket", "when": "2026-01-02"}


def test_globs_pair_files_by_the_part_they_matched_and_nothing_matched_is_an_error(tree) -> None:
    root = tree({"deploy/staging/app.yaml": "a: 1\n", "deploy/staging/db.yaml": "b: 1\n"})

    units = read_environment(["deploy/staging/*.yaml"], root, "staging")

    assert [(u.key, u.file) for u in units] == [
        ("0:app.yaml", "deploy/staging/app.yaml"),
        ("0:db.yaml", "deploy/staging/db.yaml"),
    ]
    with pytest.raises(
        UsageError, match=r"^drift.files.production: deploy/production/\*.yaml matches no file"
    ):
        read_environment(["deploy/production/*.yaml"], root, "production")
