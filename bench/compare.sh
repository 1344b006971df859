#!/usr/bin/env bash
# Before/after in one run: the meetings and import benchmarks on an older commit and on
# this tree, back to back on the same machine (so the ratios share its load).
#
#   bash bench/compare.sh [BEFORE_REV] [--quick]
#
# BEFORE_REV (default: main) is exported with `git archive` into a temporary folder; it
# keeps its own bench/ scripts and gets this tree's where it has none (this tree's scripts import
# the modules as they are now, which an older commit may not have). Each side uses its
# own scratch databases on the server of DATABASE_URL. Reports:
# bench/results/compare-{before,after}-*.txt, their warnings and errors in *.err.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REV="${1:-main}"
RUNS=20
ROWS=10000
if [[ "${2:-}" == "--quick" ]]; then RUNS=5; ROWS=2000; fi
URL="${DATABASE_URL:-postgres://portal:portal@127.0.0.1:5432/portal}"
PY="$ROOT/.venv/bin/python"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
BEFORE="$(mktemp -d /tmp/bench-before-XXXXXX)"
trap 'rm -rf "$BEFORE"' EXIT
git -C "$ROOT" archive "$REV" | tar -x -C "$BEFORE"
cp -n "$ROOT"/bench/*.py "$BEFORE/bench/"
cp -r "$ROOT/static/vendor" "$BEFORE/static/" 2>/dev/null || true
(cd "$BEFORE" && "$PY" manage.py compilemessages -v 0 >/dev/null 2>&1 || true)
SUFFIX="$(basename "$ROOT")"

scratch() {  # a fresh scratch database for the import bench
  "$PY" - "$URL" "$1" <<'PYEOF'
import sys
sys.path.insert(0, ".")
from bench.run import recreate_database
recreate_database(sys.argv[1], sys.argv[2])
PYEOF
}

for side in before after; do
  tree="$ROOT"; [[ $side == before ]] && tree="$BEFORE"
  echo "== $side ($tree)"
  (cd "$tree" && "$PY" bench/meetings.py --runs "$RUNS" --db-name "bench_cmp_${SUFFIX}_$side" 2>"$OUT/compare-$side-meetings.err" \
    | tee "$OUT/compare-$side-meetings.txt")
  db="bench_cmp_import_${SUFFIX}_$side"
  (cd "$ROOT" && scratch "$db")
  base="${URL%/*}"
  (cd "$tree" && "$PY" bench/import_members.py --rows "$ROWS" --database-url "$base/$db" 2>"$OUT/compare-$side-import.err" \
    | tee "$OUT/compare-$side-import.txt")
done
