"""Drift between environments on real-world shapes: Helm values, manifest streams, .env files."""

from __future__ import annotations

import pytest

from releasegate.configfiles import read_environment
from releasegate.drift import Named, compare_units, format_path
from releasegate.drift.rules import allowed_reason, looks_secret, value_is_secret
from releasegate.policy.model import DriftAllow

HELM_STAGING = """
    image:
      repository: ghcr.io/acme/checkout
      tag: "1.4.0"
    replicaCount: 2
    env:
      - name: LOG_LEVEL
        value: debug
      - name: PAYMENT_TIMEOUT
        value: 5s
      - name: FEATURE_NEW_CART
        value: "true"
    ingress:
      hosts: [staging.shop.example, checkout.staging.shop.example]
    resources:
      limits: {cpu: "1", memory: 512Mi}
    podAnnotations:
      prometheus.io/scrape: "true"
"""
HELM_PRODUCTION = """
    image:
      repository: ghcr.io/acme/checkout
      tag: "1.3.2"
    replicaCount: 6
    env:
      - name: PAYMENT_TIMEOUT
        value: 3s
      - name: LOG_LEVEL
        value: info
    ingress:
      hosts: [shop.example, checkout.shop.example]
    resources:
      limits: {cpu: 1, memory: 512Mi}
    podAnnotations:
      prometheus.io/scrape: "true"
      prometheus.io/port: "9102"
"""


def findings(root, staging, production, allow=()):
    left = read_environment(staging, root, "staging")
    right = read_environment(production, root, "production")
    rules = [DriftAllow(path, reason) for path, reason in allow]
    return compare_units("staging", "production", left, right, rules)


def table(found):
    return [(f.kind, f.where, f.left.line, f.right.line, f.allowed) for f in found]


def test_helm_values_name_every_difference_with_both_lines(tree) -> None:
    root = tree({"staging/values.yaml": HELM_STAGING, "production/values.yaml": HELM_PRODUCTION})

    found = findings(
        root,
        ["staging/values.yaml"],
        ["production/values.yaml"],
        [
            ("image.tag", "promoted separately"),
            ("replicaCount", "sized per environment"),
            ("ingress.hosts[*]", "one host name per environment"),
            ("env[name=LOG_LEVEL]", "verbose logs before production"),
        ],
    )

    assert table(found) == [
        ("value", "image.tag", 3, 3, "promoted separately"),
        ("value", "replicaCount", 4, 4, "sized per environment"),
        ("value", "env[name=LOG_LEVEL].value", 7, 9, "verbose logs before production"),
        ("value", "env[name=PAYMENT_TIMEOUT].value", 9, 7, None),
        ("only", "env[name=FEATURE_NEW_CART]", 10, 5, None),
        ("only", "ingress.hosts[0]", 13, 11, "one host name per environment"),
        ("only", "ingress.hosts[1]", 13, 11, "one host name per environment"),
        ("only", "ingress.hosts[0]", 13, 11, "one host name per environment"),
        ("only", "ingress.hosts[1]", 13, 11, "one host name per environment"),
        ("type", "resources.limits.cpu", 15, 13, None),
        ("only", "podAnnotations['prometheus.io/port']", 16, 16, None),
    ]
    assert [f.item for f in found if f.kind == "only"] == [True, True, True, True, True, False]
    assert found[3].left.value == "5s" and found[3].right.value == "3s"
    assert [f.left.present for f in found if f.kind == "only"] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


STAGING_MANIFESTS = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: checkout, namespace: checkout-staging}
    spec:
      replicas: 2
      template:
        spec:
          containers:
            - name: checkout
              image: ghcr.io/acme/checkout:1.4.0
              args: [--port=8080, --metrics]
              env:
                - {name: DB_HOST, value: db.staging}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: checkout, namespace: checkout-staging}
    spec:
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: checkout-flags, namespace: checkout-staging}
    data: {NEW_CART: "on"}
"""
PRODUCTION_MANIFESTS = """
    apiVersion: v1
    kind: Service
    metadata: {name: checkout, namespace: checkout-production}
    spec:
      ports: [{name: http, port: 80}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: checkout, namespace: checkout-production}
    spec:
      replicas: 6
      template:
        spec:
          containers:
            - name: checkout
              image: ghcr.io/acme/checkout:1.3.2
              args: [--metrics, --port=8080]
              env:
                - {name: DB_HOST, value: db.production}
    ---
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: checkout, namespace: checkout-production}
    spec: {minReplicas: 6, maxReplicas: 20}
"""


def test_manifest_streams_match_resources_by_kind_and_name_across_namespaces(tree) -> None:
    root = tree(
        {
            "rendered/staging.yaml": STAGING_MANIFESTS,
            "rendered/production.yaml": PRODUCTION_MANIFESTS,
        }
    )

    found = findings(
        root,
        ["rendered/staging.yaml"],
        ["rendered/production.yaml"],
        [
            ("metadata.namespace", "one namespace per environment"),
            ("spec.replicas", "sized per environment"),
            ("spec.template.spec.containers[*].image", "promoted separately"),
            ("**.env[name=DB_HOST].value", "a database per environment"),
        ],
    )

    deployment, service = "Deployment checkout", "Service checkout"
    assert table(found) == [
        ("value", f"{deployment}: metadata.namespace", 3, 9, "one namespace per environment"),
        ("value", f"{deployment}: spec.replicas", 5, 11, "sized per environment"),
        (
            "value",
            f"{deployment}: spec.template.spec.containers[name=checkout].image",
            10,
            16,
            "promoted separately",
        ),
        ("order", f"{deployment}: spec.template.spec.containers[name=checkout].args", 11, 17, None),
        (
            "value",
            f"{deployment}: spec.template.spec.containers[name=checkout].env[name=DB_HOST].value",
            13,
            19,
            "a database per environment",
        ),
        ("value", f"{service}: metadata.namespace", 17, 3, "one namespace per environment"),
        ("only", "ConfigMap checkout-staging/checkout-flags", 21, None, None),
        ("only", "HorizontalPodAutoscaler checkout-production/checkout", None, 21, None),
    ]
    assert found[6].right.file is None and found[7].left.file is None


def test_dotenv_files_differ_key_by_key_and_secrets_only_differ(tree) -> None:
    root = tree(
        {
            "staging/.env": "LOG_LEVEL=debug\nDB_PASSWORD=hunter2-staging\nCACHE_TTL=60\n",
            "production/.env": "CACHE_TTL=300\nLOG_LEVEL=info\nDB_PASSWORD=hunter2-prod\nSENTRY_DSN=x\n",
        }
    )

    found = findings(
        root, ["staging/.env"], ["production/.env"], [("LOG_LEVEL", "verbose before production")]
    )

    assert table(found) == [
        ("value", "LOG_LEVEL", 1, 2, "verbose before production"),
        ("value", "DB_PASSWORD", 2, 3, None),
        ("value", "CACHE_TTL", 3, 1, None),
        ("only", "SENTRY_DSN", 1, 4, None),
    ]
    assert [f.secret for f in found] == [False, True, False, True]
    assert found[1].left.value is None and found[1].right.value is None


def test_identical_configuration_has_no_findings(tree) -> None:
    root = tree({"a/values.yaml": HELM_STAGING, "b/values.yaml": HELM_STAGING})

    assert findings(root, ["a/values.yaml"], ["b/values.yaml"]) == []


def test_a_file_only_one_environment_has_is_a_finding(tree) -> None:
    root = tree(
        {
            "staging/app.yaml": "a: 1\n",
            "staging/extra.yaml": "b: 1\n",
            "production/app.yaml": "a: 1\n",
        }
    )

    found = findings(root, ["staging/*.yaml"], ["production/*.yaml"])

    assert table(found) == [("only", "staging/extra.yaml", 1, None, None)]


@pytest.mark.parametrize(
    ("pattern", "path", "covered"),
    [
        ("image.tag", "image.tag", True),
        ("image.tag", "image.tagline", False),
        ("image", "image.tag", True),
        ("ingress.hosts[*]", "ingress.hosts[3]", True),
        ("ingress.hosts[*]", "ingress.hosts", False),
        ("env.*", "env.LOG_LEVEL", True),
        ("env.*", "envs.LOG_LEVEL", False),
        ("env[name=LOG_*].value", "env[name=LOG_LEVEL].value", True),
        ("**.image", "spec.template.spec.containers[name=app].image", True),
        ("containers[*].image", "spec.containers[name=app].image", False),
        ("resources", "resources.limits.cpu", True),
    ],
)
def test_allow_paths_are_globs_that_cover_what_is_beneath(pattern, path, covered) -> None:
    reason = allowed_reason(path, [DriftAllow(pattern, "why")])

    assert (reason == "why") is covered


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("dbpassword", True),
        ("apiKey", True),
        ("api_key", True),
        ("SECRET_KEY_BASE", True),
        ("token", True),
        ("githubToken", True),
        ("credentials", True),
        ("secretKeyRef", True),
        ("key", True),
        ("tls.key", True),
        ("keyspace", False),
        ("monkey", False),
        ("replicaCount", False),
        ("LOG_LEVEL", False),
        ("image", False),
    ],
)
def test_keys_that_look_secret(key, secret) -> None:
    assert looks_secret(key) is secret


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("vault:secret/data/checkout#db", True),
        ("ref+vault://checkout/db#password", True),
        ("${{ secrets.DB_PASSWORD }}", True),
        ("postgres://app:s3cr3t@db:5432/shop", True),
        ("ENC[AES256_GCM,data:abc]", True),
        ({"valueFrom": {"secretKeyRef": {"name": "db"}}}, True),
        ([{"name": "API_TOKEN", "value": "x"}], True),
        ("postgres://db:5432/shop", False),
        ("info", False),
        (3, False),
        ({"a": "b"}, False),
    ],
)
def test_values_that_are_secret_references(value, secret) -> None:
    assert value_is_secret(value) is secret


def test_paths_are_written_as_people_write_them() -> None:
    assert (
        format_path(("spec", "containers", Named("app"), "env", 0))
        == "spec.containers[name=app].env[0]"
    )
    assert (
        format_path(("metadata", "annotations", "kubernetes.io/ingress.class"))
        == "metadata.annotations['kubernetes.io/ingress.class']"
    )
