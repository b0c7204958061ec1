"""No secret leaves the process: distinct secrets are seeded in every place one can enter
(the gate's address, ``--prometheus-url``, the token variable, the token file, the policy's
``bearer_token``, ``basic_auth`` and headers), a hostile server echoes what it received in
its errors, and every output channel and every ledger table is searched for them."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SECRETS = {
    "address": "GATEPASS1111",
    "url": "URLPASS2222",
    "env": "ENVTOKEN3333",
    "file": "FILETOKEN4444",
    "bearer": "POLICYBEARER5555",
    "basic": "POLICYBASIC6666",
    "header": "HEADERKEY7777",
}


class Echo:
    """A loopback server that answers every query with an error quoting the request's
    credential headers (as a careless or hostile proxy would)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                wanted = ("Authorization", "X-Api-Key")
                seen = " ".join(f"{k}={self.headers[k]}" for k in wanted if k in self.headers)
                body = json.dumps({"status": "error", "errorType": "echo", "error": seen}).encode()
                self.send_response(422)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = Echo()
    yield server
    server.stop()


def _policy(address: str, auth: str) -> str:
    return (
        "version: 1\nservice: checkout\ngates:\n  live:\n    provider: prometheus\n"
        f"    address: {address}\n    retries: 0\n    interval: 1m\n{auth}"
        "    metrics:\n      - name: errors\n        query: sum(rate(errors_total[{interval}]))\n"
        '        judge: threshold\n        fail_if: "> 0.05"\n'
    )


def _channels(run_cli, tmp_path: Path, args: list[str], env: dict[str, str]) -> str:
    """Everything a run leaves anywhere: stdout and stderr of each format, --output, ledger."""
    texts = []
    for fmt in ("text", "json", "markdown", "junit"):
        out = tmp_path / f"decision-{fmt}.json"
        code, stdout, stderr = run_cli(
            *args,
            "--format",
            fmt,
            "--output",
            out,
            cwd=tmp_path,
            env={"RELEASEGATE_LEDGER": str(tmp_path / "ledger.db"), **env},
        )
        assert code == 4, stderr  # the provider failed: never a pass
        texts += [stdout, stderr, out.read_text(encoding="utf-8")]
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            texts += [repr(row) for row in db.execute(f"SELECT * FROM {table}")]  # noqa: S608
    return "\n".join(texts)


def _leaks(text: str) -> list[str]:
    """The secrets found in ``text``, as written or as they travel in a basic auth header."""

    def forms(secret: str) -> list[str]:
        users = ("admin", "ops", "urluser")
        return [secret] + [base64.b64encode(f"{user}:{secret}".encode()).decode() for user in users]

    return [name for name, secret in SECRETS.items() if any(form in text for form in forms(secret))]


def test_no_secret_from_the_policy_the_environment_or_a_file_reaches_any_output(
    run_cli, echo, tmp_path
) -> None:
    header = f"    headers: {{X-Api-Key: {SECRETS['header']}}}\n"
    (tmp_path / "releasegate.yml").write_text(
        _policy(echo.url(f"admin:{SECRETS['address']}@"), header)
    )
    args = ["analyze", "--gate", "live", "--once"]

    everything = _channels(run_cli, tmp_path, args, {})

    assert _leaks(everything) == []
    assert echo.url("admin:***@") in everything  # the address is shown, its password masked
    assert "Authorization=Basic *** X-Api-Key=***" in everything  # echoed back, then redacted

    bearer = f"    bearer_token: {SECRETS['bearer']}\n"
    (tmp_path / "releasegate.yml").write_text(_policy(echo.url(), header + bearer))
    everything = _channels(run_cli, tmp_path, args, {})
    assert _leaks(everything) == []
    assert "Authorization=Bearer *** X-Api-Key=***" in everything

    (tmp_path / "token").write_text(SECRETS["file"] + "\n")
    everything = _channels(run_cli, tmp_path, [*args, "--prometheus-token-file", "token"], {})
    assert _leaks(everything) == []
    assert "Authorization=Bearer ***" in everything

    everything = _channels(
        run_cli, tmp_path, args, {"RELEASEGATE_PROMETHEUS_TOKEN": SECRETS["env"]}
    )
    assert _leaks(everything) == []
    assert "Authorization=Bearer ***" in everything


def test_no_secret_from_the_command_line_url_or_basic_auth_reaches_any_output(
    run_cli, echo, tmp_path
) -> None:
    auth = f"    basic_auth: {{username: ops, password: {SECRETS['basic']}}}\n"
    (tmp_path / "releasegate.yml").write_text(_policy("http://127.0.0.1:9", auth))
    url = echo.url(f"urluser:{SECRETS['url']}@")

    everything = _channels(run_cli, tmp_path, ["analyze", "--gate", "live", "--once"], {})
    assert _leaks(everything) == []

    everything = _channels(
        run_cli, tmp_path, ["analyze", "--gate", "live", "--once", "--prometheus-url", url], {}
    )
    assert _leaks(everything) == []
    assert echo.url("urluser:***@") in everything
    assert (
        "Authorization=Basic ***" in everything
    )  # the address's credentials won, echoed, redacted

    everything = _channels(
        run_cli,
        tmp_path,
        ["analyze", "--gate", "live", "--once"],
        {"RELEASEGATE_PROMETHEUS_URL": url},
    )
    assert _leaks(everything) == []


def test_a_token_on_the_command_line_is_refused_before_anything_runs(run_cli, tmp_path) -> None:
    (tmp_path / "releasegate.yml").write_text(_policy("http://127.0.0.1:9", ""))

    for option in (
        ["--prometheus-token", SECRETS["env"]],
        [f"--prometheus-token={SECRETS['env']}"],
    ):
        code, out, err = run_cli(
            "analyze",
            "--gate",
            "live",
            "--once",
            *option,
            cwd=tmp_path,
            env={"RELEASEGATE_LEDGER": str(tmp_path / "ledger.db")},
        )
        assert code == 2
        assert err == (
            "releasegate analyze: error: --prometheus-token is not accepted"
            " on the command line (every local user can read it in ps); set RELEASEGATE_PROMETHEUS_TOKEN"
            " or pass --prometheus-token-file PATH (see releasegate analyze --help)\n"
        )
        assert SECRETS["env"] not in out + err
    assert not (tmp_path / "ledger.db").exists()


def test_an_unreadable_token_file_is_a_usage_error(run_cli, tmp_path) -> None:
    (tmp_path / "releasegate.yml").write_text(_policy("http://127.0.0.1:9", ""))
    (tmp_path / "empty").write_text("\n")

    for path, why in (
        ("missing", "cannot read it: No such file or directory"),
        ("empty", "expected one line holding the token"),
    ):
        code, _, err = run_cli(
            "analyze",
            "--gate",
            "live",
            "--once",
            "--prometheus-token-file",
            path,
            cwd=tmp_path,
            env={"RELEASEGATE_LEDGER": str(tmp_path / "ledger.db")},
        )
        assert (code, err) == (2, f"releasegate: error: --prometheus-token-file {path}: {why}\n")


#: Passwords holding URL-reserved characters, as written in the address and as meant.
RESERVED = [
    ("Raw@Pass1234", "Raw@Pass1234"),
    ("Two@At@Pass56", "Two@At@Pass56"),
    ("Enc%40Pass%2F78", "Enc@Pass/78"),
    ("low%2fenc%3aPass90", "low/enc:Pass90"),
    ("Pct%25Pass12", "Pct%Pass12"),
    ("Co:lon@Pass34", "Co:lon@Pass34"),
]


@pytest.mark.parametrize(("written", "meant"), RESERVED, ids=[w for w, _ in RESERVED])
def test_a_password_with_reserved_characters_is_redacted_in_every_channel(
    run_cli, echo, tmp_path, written: str, meant: str
) -> None:
    url = echo.url(f"admin:{written}@")
    (tmp_path / "releasegate.yml").write_text(_policy(f'"{url}"', ""))
    args = ["analyze", "--gate", "live", "--once"]

    for extra, env in (
        ([], {}),
        (["--prometheus-url", url], {}),
        ([], {"RELEASEGATE_PROMETHEUS_URL": url}),
    ):
        everything = _channels(run_cli, tmp_path, [*args, *extra], env)

        pieces = {written, meant, base64.b64encode(f"admin:{meant}".encode()).decode()}
        # what follows the first reserved character, too: a redaction that stops at an '@'
        # inside the password would show the rest of it
        pieces |= {part for part in re.split(r"[@/:%]", meant) if len(part) >= 4}
        assert [piece for piece in pieces if piece in everything] == []
        assert echo.url("admin:***@") in everything
        assert "Authorization=Basic ***" in everything  # the server got the decoded password


def test_an_address_whose_credentials_hold_an_unencoded_slash_is_refused_without_showing_them(
    run_cli, tmp_path
) -> None:
    (tmp_path / "releasegate.yml").write_text(
        _policy('"http://admin:Sla/sh#Pa?ss99@127.0.0.1:9"', "")
    )

    code, out, err = run_cli(
        "analyze",
        "--gate",
        "live",
        "--once",
        cwd=tmp_path,
        env={"RELEASEGATE_LEDGER": str(tmp_path / "ledger.db")},
    )

    assert code == 2
    assert err == (
        "releasegate: error: prometheus http://***@127.0.0.1:9: an '@' after the host: if"
        " the address holds credentials, percent-encode the '/', '?' or '#' in them (%2F, %3F,"
        " %23)\n"
    )
    assert "Sla" not in out + err and "Pa?ss99" not in out + err
    assert not (tmp_path / "ledger.db").exists()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://admin:p@ss@host:9090/x", "http://admin:***@host:9090/x"),
        ("at http://admin:a@b@c@host:9 (mail x@y.z)", "at http://admin:***@host:9 (mail x@y.z)"),
        ("http://tok@en@host/", "http://***@host/"),
        ("http://host:9090/api/v1/query", "http://host:9090/api/v1/query"),
        (
            "docker://registry:5000/app@sha256:abc",
            "docker://registry:5000/app@sha256:abc",
        ),  # a path's @
    ],
)
def test_redact_masks_userinfo_up_to_the_last_at_sign(text: str, shown: str) -> None:
    from releasegate.redaction import masked_address, redact

    assert redact(text) == shown
    assert masked_address("http://admin:Sla/sh@host:9") == "http://***@host:9"


def test_a_password_holding_whitespace_is_redacted_when_a_server_echoes_it_decoded(
    run_cli, tmp_path
) -> None:
    """Output channels make text one line (whitespace to spaces, controls dropped); the
    secret is redacted in that form too, not only as written."""

    class Decoding(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            password = (
                base64.b64decode(self.headers["Authorization"].split()[1]).decode().split(":", 1)[1]
            )
            body = json.dumps(
                {"status": "error", "errorType": "echo", "error": f"you sent {password}"}
            ).encode()
            self.send_response(422)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Decoding)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "releasegate.yml").write_text(_policy("http://127.0.0.1:9", ""))
        url = f"http://admin:Tab%09Pass%0AWord%07Nine@127.0.0.1:{server.server_address[1]}"
        everything = _channels(
            run_cli,
            tmp_path,
            ["analyze", "--gate", "live", "--once"],
            {"RELEASEGATE_PROMETHEUS_URL": url},
        )
    finally:
        server.shutdown()
        server.server_close()

    assert "you sent ***" in everything
    assert [part for part in ("Tab", "Pass", "Word", "Nine") if part in everything] == []
