"""Real test peers for the releasegate suite: servers, fakes at HTTP boundaries and CLI runners.

Each peer is installed by ``scripts/test.sh``. A fixture whose peer is missing fails the
test with the install step to run; it never skips, because a skip would hide a broken CI.
The fixtures are registered for the whole suite by ``tests/conftest.py``; tests import the
helper types from ``peers.*``. In short::

    server = prometheus([Series("http_requests_total", {"code": "500"}, [(ts, v), ...],
                                "counter")])          # history via promtool, then a ready server
    server.url; server.stop(); server.start()         # restart over the same data and port
    metrics_exporter.set("x", 3); prometheus(scrape=[metrics_exporter.target])   # live, 1 s

    http_fake.expect("POST", "/path", json={...}, headers={"Authorization": ANY}) \\
        .respond(502).respond(201, {"id": 1}, headers={"Link": http_fake.link(p, "next")})
    github_fake                     # the same, every request validated against GitHub's API
    github_openapi.validate_request("POST", "/repos/o/r/deployments", body)

    gitlab_ci_local(git_repo(dir)); act(git_repo(dir), "push", home=tmp_path / "home")
    tekton_lint(file); check_jsonschema("--builtin-schema", "vendor.gitlab-ci", file)
    actionlint(file, cwd=repo); hadolint(file); buildah.buildah_in(tmp_path, "from", "scratch")
    code, out, err = run_cli("check", "--policy", path, cwd=tmp_path, env={...})
    code, out, err = invoke("check", "--policy", path, cwd=tmp_path, env={...})   # in-process

Unexpected or invalid requests to a fake get status 418 and fail the test at teardown.
"""

from __future__ import annotations
