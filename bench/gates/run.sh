#!/bin/sh
# Score releasegate's default gate beside the reference judges on a gatebench split.
#   bench/gates/run.sh [CORPUS_DIR] [JOBS]      (default: ../shared/gatebench/corpus/dev, 2 jobs)
# Results (one JSON per judge) go to bench/gates/results/<split>/; the table is printed at the end.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CORPUS=${1:-$ROOT/../shared/gatebench/corpus/dev}
JOBS=${2:-2}
BENCH=${GATEBENCH:-$(cd "$CORPUS/../.." && pwd)/bench.py}
# A Python with releasegate installed: $PYTHON, else the test venv, else the one on PATH.
if [ -z "${PYTHON:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; fi
PY=${PYTHON:-$(command -v python3)}
if ! "$PY" -c "import releasegate" 2>/dev/null; then
    echo "run.sh: $PY cannot import releasegate; pip install . (or set PYTHON=/path/to/python)" >&2
    exit 2
fi
OUT="$HERE/results/$(basename "$CORPUS")"
mkdir -p "$OUT"
run() {  # name, judge command
    "$PY" "$BENCH" run --corpus "$CORPUS" --name "$1" --judge "$2" -j "$JOBS" --out "$OUT" > "$OUT/$1.log"
}
run releasegate "$PY $HERE/gatebench_judge.py"
for judge in naive argo kayenta; do
    run "$judge" "$PY $HERE/reference.py --judge $judge"
done
"$PY" "$BENCH" table "$OUT/releasegate.json" "$OUT/naive.json" "$OUT/argo.json" "$OUT/kayenta.json" "$OUT/info-limit.json"
