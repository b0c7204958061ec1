#!/usr/bin/env bash
# The main job on the bundled example: validate the policy, show the plan, then walk one
# commit from dev to staging (allowed) and ask for production (blocked, with the reasons).
# Uses a throw-away ledger, so it can be run again and again.
set -euo pipefail
cd "$(dirname "$0")/checkout"
export RELEASEGATE_LEDGER="${RELEASEGATE_LEDGER:-$(mktemp -d)/ledger.db}"
SHA="${SHA:-$(git rev-parse HEAD 2>/dev/null || echo 0123456789abcdef0123456789abcdef01234567)}"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step releasegate check
step releasegate plan
step releasegate record-check lint --sha "$SHA" --status passed
step releasegate promote --to dev --sha "$SHA"
step releasegate record --env dev --sha "$SHA" --status success
step releasegate promote --to staging --sha "$SHA"
step releasegate record --env staging --sha "$SHA" --status success
set +e
step releasegate promote --to production --sha "$SHA" --dry-run
code=$?
set -e
if [ "$code" -ne 1 ]; then
    echo "expected production to be blocked (exit 1), got exit $code" >&2
    exit 1
fi
printf '\nproduction is blocked, as the policy says it should be: see the FAIL and MISS lines above.\n'
