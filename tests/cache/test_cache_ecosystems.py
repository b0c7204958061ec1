"""Lockfile detection per ecosystem, on path lists only."""

from __future__ import annotations

import random

import pytest

from releasegate.cache.ecosystems import ECOSYSTEMS, OSES, LockGroup, classify, detect


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("requirements.txt", ("pip", ".")),
        ("svc/requirements-dev.txt", ("pip", "svc")),
        ("constraints.txt", ("pip", ".")),
        ("svc/requirements/base.txt", ("pip", "svc")),
        ("uv.lock", ("uv", ".")),
        ("poetry.lock", ("poetry", ".")),
        ("Pipfile.lock", ("pipenv", ".")),
        ("web/package-lock.json", ("npm", "web")),
        ("npm-shrinkwrap.json", ("npm", ".")),
        ("yarn.lock", ("yarn", ".")),
        ("pnpm-lock.yaml", ("pnpm", ".")),
        ("cmd/go.sum", ("go", "cmd")),
        ("Cargo.lock", ("cargo", ".")),
        ("pom.xml", ("maven", ".")),
        ("build.gradle", ("gradle", ".")),
        ("app/build.gradle.kts", ("gradle", "app")),
        ("gradle/wrapper/gradle-wrapper.properties", ("gradle", ".")),
        ("gradle/libs.versions.toml", ("gradle", ".")),
        ("java/gradle/libs.versions.toml", ("gradle", "java")),
        ("Gemfile.lock", ("bundler", ".")),
        ("composer.lock", ("composer", ".")),
        ("README.md", None),
        ("notes.txt", None),
        ("package.json", None),
    ],
)
def test_classify(path: str, expected: tuple[str, str] | None) -> None:
    assert classify(path) == expected


def test_every_ecosystem_has_paths_for_every_os() -> None:
    for eco in ECOSYSTEMS.values():
        assert set(eco.paths) == set(OSES), eco.name
        assert all(p and not p.startswith("/") for p in eco.project), eco.name
        assert all("{root}" in value for _name, value in eco.env), eco.name


def test_detection_does_not_depend_on_order() -> None:
    paths = ["a/package-lock.json", "b/uv.lock", "go.sum", "c/Cargo.lock", "README.md", "b/x.py"]
    shuffled = paths[:]
    random.Random(7).shuffle(shuffled)
    assert detect(paths) == detect(shuffled) == detect(reversed(paths))


def test_vendored_and_vcs_directories_are_skipped() -> None:
    paths = [
        "node_modules/x/package-lock.json",
        "vendor/y/composer.lock",
        ".git/uv.lock",
        "web/node_modules/z/yarn.lock",
        "web/yarn.lock",
    ]
    assert detect(paths) == [LockGroup("yarn", "web", ("web/yarn.lock",))]


def test_requirements_beside_a_python_lock_are_an_export() -> None:
    groups = detect(["api/uv.lock", "api/requirements.txt", "tools/requirements.txt"])
    assert [(g.ecosystem, g.directory) for g in groups] == [("pip", "tools"), ("uv", "api")]


def test_nested_builds_belong_to_the_outermost_build() -> None:
    groups = detect(
        [
            "java/pom.xml",
            "java/core/pom.xml",
            "java/web/pom.xml",
            "other/pom.xml",
            "build.gradle",
            "app/build.gradle",
            "gradle/wrapper/gradle-wrapper.properties",
        ]
    )
    assert groups == [
        LockGroup(
            "gradle",
            ".",
            ("app/build.gradle", "build.gradle", "gradle/wrapper/gradle-wrapper.properties"),
        ),
        LockGroup("maven", "java", ("java/core/pom.xml", "java/pom.xml", "java/web/pom.xml")),
        LockGroup("maven", "other", ("other/pom.xml",)),
    ]
