#!/usr/bin/env bash
# Where one corecached server's CPU goes under bench/cold.sh's mixed workload (issue #14): the
# cold.sh data set (4 x 64 MiB of 1..4 KiB values) loaded into one server, 5 s of the mixed Zipf
# 90/10 workload to warm up, then `perf record -F 999 -g` of the server for SECONDS while the same
# workload runs. MEM=64 (default) is cold.sh's (a), with the cold tier; MEM=768 its (b), all in RAM.
#   bench/cold_prof.sh BINARY OUTDIR     then: perf report -i OUTDIR/perf.data --no-children
# Prints ops/s, the server's CPU per op and per thread name, and the cold tier's counters for the
# recorded span. Loopback only; the server is stopped by PID. About 2 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$1
OUTD=$2
MEM=${MEM:-64}
SECONDS_RECORDED=${SECONDS_RECORDED:-20}
DEPTH=${DEPTH:-8}
LOAD="$HERE/coldload.py"
PY=/usr/bin/python3
NKEYS=$(( 4 * 64 * 1024 * 1024 / 2560 ))
mkdir -p "$OUTD"
DIR=$(mktemp -d /tmp/corecached-cold-prof.XXXXXX)
PID=""
stop() {
  if [[ -n "$PID" ]]; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap stop EXIT
printf 'cold_tier:\n  reader_threads: 2\n  inline_reads: true\n' >"$OUTD/cold.yaml"
PORT=$($PY "$LOAD" freeport)
"$BIN" -l 127.0.0.1 -p "$PORT" -m "$MEM" -t 2 --shards 2 --config "$OUTD/cold.yaml" \
  --cold-tier-path "$DIR" 2>"$OUTD/server.stderr" &
PID=$!
$PY "$LOAD" wait "$PORT" "$PID" 60
$PY "$LOAD" prepare "$PORT" "$NKEYS" 4 >/dev/null
$PY "$LOAD" run "$PORT" "$NKEYS" 5 4 "$DEPTH" >/dev/null
$PY "$LOAD" stats "$PORT" >"$OUTD/stats0.json"
c0=$($PY "$LOAD" cpu "$PID")
perf record -F 999 -g -o "$OUTD/perf.data" -p "$PID" -- sleep "$SECONDS_RECORDED" 2>"$OUTD/perf.stderr" &
PERF=$!
$PY "$LOAD" run "$PORT" "$NKEYS" "$SECONDS_RECORDED" 4 "$DEPTH" >"$OUTD/run.json"
c1=$($PY "$LOAD" cpu "$PID")
wait "$PERF" || true
$PY "$LOAD" stats "$PORT" >"$OUTD/stats.json"
$PY - "$OUTD" "$c0" "$c1" <<'PY' | tee "$OUTD/summary.txt"
import json, sys
d, a, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
run = json.load(open(f"{d}/run.json"))
s0, s = (json.load(open(f"{d}/{x}.json")) for x in ("stats0", "stats"))
delta = lambda k: int(s.get(k, 0)) - int(s0.get(k, 0))
ops = run["ops"]
threads = {n: 1e6 * (b["threads"].get(n, 0) - a["threads"].get(n, 0)) / ops for n in b["threads"]}
print(f"ops/s {run['ops_per_s']}, server CPU per op {1e6 * (b['cpu_s'] - a['cpu_s']) / ops:.2f} us "
      f"(by thread: {', '.join(f'{n} {v:.2f}' for n, v in sorted(threads.items()))}); "
      f"misses {run['misses']}, wrong {run['bad']}")
print(f"gets {delta('cmd_get')}, sets {delta('cmd_set')}, cold reads {delta('cold_reads')} "
      f"(inline {delta('cold_reads_inline')}), promotions {delta('cold_promotions')}, "
      f"demotions {delta('cold_evictions_to_disk')} (clean {delta('cold_clean_demotions')})")
PY
