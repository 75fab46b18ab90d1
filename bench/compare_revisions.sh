#!/usr/bin/env bash
# Old code against new on the same machine and database: runs bench/lookup.py and bench/nearby.py in this
# checkout and in a worktree of REV (default: main's previous commit), alternating, ROUNDS times (default 2).
# The summary lines of each run are printed; full logs go to /tmp/compare-*.log.
#   usage: bench/compare_revisions.sh REV [ROUNDS]      (make bench has loaded patchmap_bench first)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:?give the revision to compare against, e.g. 94e0bf2}
rounds=${2:-2}
old=$(mktemp -d /tmp/patchmap-old.XXXXXX)
git -C "$here" worktree add -f --detach "$old" "$rev" >/dev/null
trap 'git -C "$here" worktree remove --force "$old"' EXIT
export DATABASE_URL=${DATABASE_URL:-$("$here/scripts/localdb" url patchmap)}
# The old code cannot open a database migrated past its own last migration: before its runs, the bench
# database goes down to that migration (this checkout's migrations know how); the new runs upgrade it again.
old_head=$(ls "$old/layers/migrations/versions" | grep -E '^[0-9]{4}_' | sort | tail -1 | cut -c1-4)
bench_db=$(cd "$here" && .venv/bin/python -c "import os; from bench.common import bench_url; print(bench_url(os.environ['DATABASE_URL']))")
for round in $(seq 1 "$rounds"); do
  for tree in "$here" "$old"; do
    name=$([[ $tree == "$here" ]] && echo new || echo "old-$rev")
    if [[ $tree == "$old" ]]; then
      DATABASE_URL=$bench_db "$here/.venv/bin/patchmap" db downgrade "$old_head" >/dev/null
    fi
    for bench in lookup nearby; do
      log=/tmp/compare-$bench-$round-$name.log
      echo "=== round $round, $name, $bench ($(date -u +%T) UTC)"
      (cd "$tree" && "$here/.venv/bin/python" bench/$bench.py >"$log" 2>&1)
      grep -E "p50 latency|requests/s, concurrency 16" "$log" | head -4
    done
  done
done
