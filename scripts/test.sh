#!/usr/bin/env bash
# The project's test command: installs every test peer the suite needs (idempotently,
# skipping what is already there), then runs pytest and exits with pytest's exit code.
#
#   bash scripts/test.sh                         # the whole suite
#   bash scripts/test.sh tests/evidence -k junit # any pytest arguments pass through
#
# Installs, in order: Debian packages (apt), the venv `.venv` with `pip install -e '.[test]'`,
# npm tools into `.cache/npm`, and GitHub's OpenAPI description into `.cache/github-openapi`.
# Set RELEASEGATE_TEST_SKIP_INSTALL=1 to run pytest without checking the installs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
CACHE="$ROOT/.cache"
NPM_PREFIX="$CACHE/npm"
OPENAPI_DIR="$CACHE/github-openapi"

# Pinned so that every machine runs the same peers (see PEERS.md for why these versions).
APT_PACKAGES=(git rsync prometheus buildah debootstrap skopeo umoci ca-certificates)
NPM_PACKAGES=(gitlab-ci-local@4.73.0 @ibm/tekton-lint@1.1.0)
OPENAPI_PACKAGE="@octokit/openapi@23.0.2"

say() { printf '[test.sh %3ds] %s\n' "$SECONDS" "$*"; }
die() { printf '[test.sh] error: %s\n' "$*" >&2; exit 2; }

# Run a command with its output in a log file; show the log only when it fails.
quietly() {
    local log rc=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        die "'$*' failed with exit code $rc"
    fi
    rm -f "$log"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*': run scripts/test.sh as root or install sudo"
    fi
}

install_apt() {
    local missing=() pkg
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        missing+=(nodejs npm)
    fi
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "apt: all present"
        return
    fi
    apt_install "${missing[@]}"
}

apt_install() {
    say "apt: installing $*"
    export DEBIAN_FRONTEND=noninteractive
    quietly as_root apt-get -o DPkg::Lock::Timeout=300 update
    quietly as_root apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@"
    say "apt: done"
}

install_venv() {
    # The stamp records what the venv was installed from; a changed pyproject.toml reinstalls.
    local stamp="$VENV/.releasegate-test-install" want
    want="$(python3 --version 2>&1) $(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -x "$VENV/bin/python" ]; then
        say "venv: creating .venv"
        if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
            # Debian's python3 creates venvs only with python3-venv (ensurepip) installed.
            rm -rf "$VENV"
            apt_install python3-venv
            quietly python3 -m venv "$VENV"
        fi
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/pytest" ]; then
        say "venv: .[test] already installed"
        return
    fi
    say "venv: pip install -e '.[test]'"
    quietly "$VENV/bin/python" -m pip install --disable-pip-version-check -e '.[test]'
    printf '%s' "$want" >"$stamp"
    say "venv: done"
}

install_npm() {
    local stamp="$NPM_PREFIX/.releasegate-test-install" want="${NPM_PACKAGES[*]}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && [ -x "$NPM_PREFIX/node_modules/.bin/gitlab-ci-local" ] \
        && [ -x "$NPM_PREFIX/node_modules/.bin/tekton-lint" ]; then
        say "npm: ${want} already installed"
        return
    fi
    say "npm: installing ${want} into .cache/npm"
    mkdir -p "$NPM_PREFIX"
    quietly npm install --prefix "$NPM_PREFIX" --no-audit --no-fund "${NPM_PACKAGES[@]}"
    printf '%s' "$want" >"$stamp"
    say "npm: done"
}

install_openapi() {
    local target="$OPENAPI_DIR/api.github.com.json" stamp="$OPENAPI_DIR/.releasegate-test-install"
    if [ -s "$target" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$OPENAPI_PACKAGE" ]; then
        say "openapi: $OPENAPI_PACKAGE already extracted"
        return
    fi
    say "openapi: npm pack $OPENAPI_PACKAGE"
    local work tgz
    work="$(mktemp -d)"
    tgz="$(cd "$work" && npm pack --silent --loglevel=error "$OPENAPI_PACKAGE" | tail -n 1)"
    tar -xzf "$work/$tgz" -C "$work" package/generated/api.github.com.json
    mkdir -p "$OPENAPI_DIR"
    mv "$work/package/generated/api.github.com.json" "$target"
    rm -rf "$work"
    printf '%s' "$OPENAPI_PACKAGE" >"$stamp"
    say "openapi: done"
}

if [ "${RELEASEGATE_TEST_SKIP_INSTALL:-0}" != "1" ]; then
    install_apt
    install_venv
    install_npm
    install_openapi
fi

[ -x "$VENV/bin/pytest" ] || die ".venv/bin/pytest is missing: run scripts/test.sh without RELEASEGATE_TEST_SKIP_INSTALL"
export PATH="$VENV/bin:$NPM_PREFIX/node_modules/.bin:$PATH"
# A read-only tree must work: no .pyc files and no pytest cache next to the sources.
export PYTHONDONTWRITEBYTECODE=1
say "pytest $*"
exec "$VENV/bin/pytest" -p no:cacheprovider "$@"
