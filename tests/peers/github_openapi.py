"""Validate requests sent to a GitHub-shaped fake against GitHub's own OpenAPI description.

I/O: reads ``.cache/github-openapi/api.github.com.json`` (from ``@octokit/openapi``, 13 MB)
once per session. The description is OpenAPI 3.0: its ``nullable`` is turned into JSON
Schema types, paths are indexed once, and schemas are validated with ``jsonschema``, their
``$ref``s resolved inside the document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from peers.http_fake import HttpFake, RecordedRequest, Validator
from peers.locate import OPENAPI_FILE, require_file

__all__ = ["GithubOpenAPI", "Operation", "github_fake", "github_openapi"]

_URI = "urn:github-openapi"
# Parameters whose values may contain "/" unencoded (``heads/main``, ``docs/index.md``).
_SPANNING = frozenset({"ref", "path", "branch"})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _nullable_to_types(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 ``nullable: true`` into JSON Schema that accepts ``null``, in place."""
    if isinstance(node, list):
        for item in node:
            _nullable_to_types(item)
    elif isinstance(node, dict):
        for value in node.values():
            _nullable_to_types(value)
        if node.get("nullable") is True:
            del node["nullable"]
            kind = node.get("type")
            if isinstance(kind, str) and "$ref" not in node:
                node["type"] = [kind, "null"]
                if "enum" in node and None not in node["enum"]:
                    node["enum"] = [*node["enum"], None]
            else:
                inner = dict(node)
                node.clear()
                node["anyOf"] = [inner, {"type": "null"}]
    return node


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Operation:
    """One operation of the description, found by method and path template."""

    method: str
    template: str
    operation_id: str
    pointer: str


class GithubOpenAPI:
    """GitHub's REST description, indexed for request validation.

    :param path: ``api.github.com.json``.
    """

    def __init__(self, path: Path) -> None:
        self.document: dict[str, Any] = _nullable_to_types(json.loads(path.read_bytes()))
        resource = Resource(contents=self.document, specification=DRAFT4)
        self._registry: Registry[Any] = Registry().with_resource(_URI, resource)
        # method -> [(regex of single segments, regex that lets a parameter span "/", op)]
        self._index: dict[str, list[tuple[re.Pattern[str], re.Pattern[str], Operation]]] = {}
        entries = []
        for template, item in self.document["paths"].items():
            literals = sum(1 for seg in template.split("/") if seg and "{" not in seg)
            strict, loose = self._regexes(template)
            for method in _METHODS:
                if method in item:
                    op = Operation(
                        method.upper(),
                        template,
                        item[method].get("operationId", ""),
                        _pointer("paths", template, method),
                    )
                    entries.append((-literals, template, method, strict, loose, op))
        for _, _, method, strict, loose, op in sorted(entries, key=lambda e: (e[0], e[1])):
            self._index.setdefault(method.upper(), []).append((strict, loose, op))

    @staticmethod
    def _regexes(template: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
        pieces = re.split(r"\{([^}]+)\}", template)
        strict = loose = ""
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                strict += re.escape(piece)
                loose += re.escape(piece)
            else:
                strict += "([^/]+)"
                loose += "(.+)" if piece in _SPANNING else "([^/]+)"
        return re.compile(f"^{strict}$"), re.compile(f"^{loose}$")

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """Find the operation for ``method`` and a concrete ``path`` (no query).

        :returns: the operation and its path parameters (percent-decoded).
        :raises AssertionError: when no operation of the description matches.
        """
        candidates = self._index.get(method.upper(), [])
        for which in (0, 1):
            for entry in candidates:
                match = entry[which].match(path)
                if match:
                    op = entry[2]
                    names = re.findall(r"\{([^}]+)\}", op.template)
                    return op, {n: unquote(v) for n, v in zip(names, match.groups(), strict=True)}
        raise AssertionError(f"GitHub API has no operation {method.upper()} {path}")

    def _resolve(self, node: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
        while "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), f"unsupported $ref {ref!r}"
            pointer = ref[1:]
            node = self._at(pointer)
        return node, pointer

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    @cache  # noqa: B019 - one instance per session
    def _validator(self, pointer: str) -> Draft4Validator:
        return Draft4Validator({"$ref": f"{_URI}#{pointer}"}, registry=self._registry)

    def _errors(self, pointer: str, instance: Any) -> list[str]:
        errors = sorted(self._validator(pointer).iter_errors(instance), key=lambda e: e.json_path)
        return [f"{e.json_path}: {e.message}" for e in errors]

    def _parameters(self, op: Operation) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        path_pointer = _pointer("paths", op.template)
        for base in (path_pointer, op.pointer):
            for i, raw in enumerate(self._at(base).get("parameters", [])):
                param, pointer = self._resolve(raw, f"{base}/parameters/{i}")
                found[(param["in"], param["name"])] = (param, pointer)
        return found

    @staticmethod
    def _coerce(schema: dict[str, Any], values: list[str]) -> Any:
        kind = schema.get("type")
        if kind == "array":
            items = schema.get("items", {})
            parts = [p for v in values for p in (v.split(",") if len(values) == 1 else [v])]
            return [GithubOpenAPI._coerce(items, [p]) for p in parts]
        value = values[-1]
        try:
            if kind == "integer":
                return int(value)
            if kind == "number":
                return float(value)
        except ValueError:
            return value
        if kind == "boolean":
            return {"true": True, "false": False}.get(value, value)
        return value

    def validate_request(self, method: str, path_with_query: str, body: Any) -> Operation:
        """Check one request against the description.

        :param method: the HTTP method.
        :param path_with_query: e.g. ``/repos/acme/app/deployments?per_page=100``.
        :param body: the parsed JSON body, or ``None`` when there is none.
        :returns: the matched operation.
        :raises AssertionError: naming the operation and every problem found.
        """
        split = urlsplit(path_with_query)
        op, path_params = self.find(method, split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        params = self._parameters(op)
        problems: list[str] = []
        for (where, name), (param, pointer) in params.items():
            schema, schema_pointer = self._resolve(param.get("schema", {}), f"{pointer}/schema")
            if where == "path":
                raw = [path_params[name]] if name in path_params else None
            elif where == "query":
                raw = query.get(name) or query.get(f"{name}[]")
            else:
                continue
            if raw is None:
                if param.get("required"):
                    problems.append(f"{where} parameter {name!r} is required")
                continue
            problems += [
                f"{where} parameter {name!r}={raw}: {m}"
                for m in self._errors(schema_pointer, self._coerce(schema, raw))
            ]
        known = {name for where, name in params if where == "query"}
        problems += [
            f"query parameter {name!r} is not a parameter of this operation"
            for name in query
            if name not in known and name.removesuffix("[]") not in known
        ]
        problems += self._body_problems(op, body)
        if problems:
            raise AssertionError(
                f"GitHub API {op.method} {op.template} ({op.operation_id}): " + "; ".join(problems)
            )
        return op

    def _body_problems(self, op: Operation, body: Any) -> list[str]:
        raw = self._at(op.pointer).get("requestBody")
        if raw is None:
            return [] if body is None else ["this operation takes no request body"]
        request_body, pointer = self._resolve(raw, f"{op.pointer}/requestBody")
        if body is None:
            return ["the request body is required"] if request_body.get("required") else []
        content = request_body.get("content", {})
        if "application/json" not in content:
            return []
        schema_pointer = f"{pointer}/content/application~1json/schema"
        return [f"body {message}" for message in self._errors(schema_pointer, body)]

    def validator_for(self, prefix: str = "") -> Validator:
        """An :class:`~peers.http_fake.HttpFake` validator checking every request.

        :param prefix: a path prefix to strip first (``/api/v3`` for a GHES-style base URL).
        """

        def validate(request: RecordedRequest) -> None:
            target = request.target
            if prefix:
                assert target.startswith(prefix), f"path {target} does not start with {prefix}"
                target = target[len(prefix) :]
            self.validate_request(request.method, target, request.json)

        return validate


@pytest.fixture(scope="session")
def github_openapi() -> GithubOpenAPI:
    """GitHub's REST description, loaded and indexed once per session."""
    return GithubOpenAPI(require_file(OPENAPI_FILE, "openapi: npm pack @octokit/openapi"))


@pytest.fixture
def github_fake(github_openapi: GithubOpenAPI) -> Iterator[HttpFake]:
    """An :class:`~peers.http_fake.HttpFake` whose every request must fit GitHub's description.

    Point PyGithub at it with ``Github(base_url=github_fake.url, ...)``.
    """
    fake = HttpFake([github_openapi.validator_for()]).start()
    yield fake
    fake.stop()
    fake.verify()
