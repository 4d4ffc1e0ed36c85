#!/usr/bin/env bash
# How often the cold tier reads from disk under bench/cold.sh's mixed workload (issue #14): one
# corecached -m MEM with the cold tier, loaded with 4x MEM of values (as cold.sh), a 10 s mixed
# warm-up, then DURATION seconds of Zipf 90/10 measured. Prints the share of gets that were cold
# reads, promotions, demotions (clean / written) and misses, from `stats` before and after.
# Unlike throughput these are counts, so they compare across runs on a noisy machine.
#   bench/cold_hits.sh [BINARY] [OUTDIR]; EXTRA_YAML adds cold_tier keys (e.g. watermarks).
# Loopback only; the server started here is stopped by its PID. About 1.5 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${1:-$HERE/../build/src/corecached}
OUTD=${2:-$(mktemp -d /tmp/corecached-cold-hits.XXXXXX)}
MEM=${MEM:-64}
DURATION=${DURATION:-15}
LOAD="$HERE/coldload.py"
PY=/usr/bin/python3
mkdir -p "$OUTD"
DIR=$(mktemp -d /tmp/corecached-cold-hits-lmdb.XXXXXX)
NKEYS=$(( 4 * MEM * 1024 * 1024 / 2560 ))
port=$($PY "$LOAD" freeport)
printf "cold_tier:\n  reader_threads: 2\n  inline_reads: true\n${EXTRA_YAML:-}" >"$OUTD/cold.yaml"
"$BIN" -l 127.0.0.1 -p "$port" -m "$MEM" -t 2 --shards 2 --config "$OUTD/cold.yaml" \
  --cold-tier-path "$DIR" 2>"$OUTD/stderr" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; kill -KILL $pid 2>/dev/null; rm -rf "$DIR"' EXIT
$PY "$LOAD" wait "$port" "$pid" 60
$PY "$LOAD" prepare "$port" "$NKEYS" 4 >/dev/null
$PY "$LOAD" stats "$port" >"$OUTD/stats-before.json"
$PY "$LOAD" run "$port" "$NKEYS" "$DURATION" 4 8 >"$OUTD/run.json"
$PY "$LOAD" stats "$port" >"$OUTD/stats-after.json"
$PY - "$OUTD" <<'PY'
import json, sys
d = sys.argv[1]
a, b = (json.load(open(f"{d}/stats-{n}.json")) for n in ("before", "after"))
run = json.load(open(f"{d}/run.json"))
delta = lambda k: int(b.get(k, 0)) - int(a.get(k, 0))
gets, demoted, clean = delta("cmd_get"), delta("cold_evictions_to_disk"), delta("cold_clean_demotions")
print(f"ops/s {run['ops_per_s']}, gets {gets}, cold reads {delta('cold_reads')} "
      f"({100 * delta('cold_reads') / gets:.1f} % of gets), promotions {delta('cold_promotions')}, "
      f"demotions {demoted} ({clean} clean, {demoted - clean} written), sets {delta('cmd_set')}, "
      f"misses {run['misses']}, wrong values {run['bad']}")
PY
