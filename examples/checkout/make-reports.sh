#!/bin/sh
# Regenerate reports/ with the real tools, as the example's CI would.
# Needs pytest and coverage; the security reports (trivy.sarif, pip-audit.json)
# come from scanners that need the network, so they are kept as committed samples.
set -eu
cd "$(dirname "$0")"
python -m coverage run -m pytest tests/unit --junitxml=reports/unit/pytest.xml -o junit_suite_name=unit -q
python -m coverage xml -o reports/coverage.xml -q
python -m pytest tests/integration --junitxml=reports/integration/pytest.xml -o junit_suite_name=integration -q
rm -f .coverage
