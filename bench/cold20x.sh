#!/usr/bin/env bash
# Cold tier at 20x the memory limit (issue #14): corecached -m MEM (64) with FACTOR (20) x MEM of
# values (1..4 KiB, about 1.3 GB at the defaults) in the cold tier. Measures, each step checking
# every byte served (bench/coldload.py `intact`: size, key and the whole value pattern):
#  1. the load (sets/s), then one full read-back pass over every key (misses, wrong bytes);
#  2. the mixed Zipf 90/10 workload over the whole data set (ROUNDS x DURATION/ROUNDS seconds);
#  3. cold-read p50/p99 (single gets of Zipf-tail keys, client-side);
#  4. SIGTERM (time to write the hot values back and exit), the restart's rebuild time (start to
#     first answer), and a second full read-back pass on the restarted server.
# The load average is printed before each step. Loopback only; every process started here is
# stopped by PID. Results go to $OUT (default /tmp/corecached-cold20x-STAMP).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
LOAD="$HERE/coldload.py"

MEM=${MEM:-64}
FACTOR=${FACTOR:-20}
DURATION=${DURATION:-25}
ROUNDS=${ROUNDS:-5}
PROCS=${PROCS:-4}
DEPTH=${DEPTH:-8}
SAMPLES=${SAMPLES:-3000}
SHARDS=${SHARDS:-2}
THREADS=${THREADS:-2}
MAX_SIZE=${MAX_SIZE:-4g}     # cold_tier.max_size: the LMDB map (1..4 KiB records waste page room)
INLINE=${INLINE:-true}       # cold_tier.inline_reads (false: every cold read goes to the readers)
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
NKEYS=${NKEYS:-$(( FACTOR * MEM * 1024 * 1024 / 2560 ))}

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-/tmp/corecached-cold20x-$STAMP}
mkdir -p "$OUT"
COLD_DIR=$(mktemp -d /tmp/corecached-cold20x-lmdb.XXXXXX)
PID=""
PORT=""

stop_server() {  # SIGTERM, then SIGKILL after 180 s; the seconds to exit go to $OUT/stop.seconds
  [[ -n "$PID" ]] || return 0
  local t0; t0=$($PY -c 'import time; print(time.monotonic())')
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 1800); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
  $PY -c "import time; print(round(time.monotonic() - $t0, 2))" >"$OUT/stop.seconds"
}
cleanup() { stop_server; rm -rf "$COLD_DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {  # start NAME: the seconds from exec to the first answer go to $OUT/NAME.start.seconds
  local name=$1
  PORT=$($PY "$LOAD" freeport)
  local t0; t0=$($PY -c 'import time; print(time.monotonic())')
  "$CORECACHED_BINARY" -l 127.0.0.1 -p "$PORT" -m "$MEM" -t "$THREADS" --shards "$SHARDS" \
    --config "$OUT/cold.yaml" --cold-tier-path "$COLD_DIR" 2>"$OUT/$name.stderr" &
  PID=$!
  $PY "$LOAD" wait "$PORT" "$PID" 600
  $PY -c "import time; print(round(time.monotonic() - $t0, 2))" >"$OUT/$name.start.seconds"
}
load_avg() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
step() { echo "cold20x: $* ($(load_avg))" | tee -a "$OUT/log.txt"; }

[[ -x "$CORECACHED_BINARY" ]] || { echo "cold20x.sh: $CORECACHED_BINARY is not executable" >&2; exit 2; }
printf 'cold_tier:\n  max_size: %s\n  inline_reads: %s\n' "$MAX_SIZE" "$INLINE" >"$OUT/cold.yaml"
step "$NKEYS keys, values 1024..4096 B, ${FACTOR}x -m $MEM, inline_reads $INLINE; git $(git -C "$ROOT" rev-parse --short HEAD); out $OUT"
start first
step "load"
$PY "$LOAD" load "$PORT" 0 "$NKEYS" "$PROCS" | tee "$OUT/load.json"
$PY "$LOAD" settle "$PORT" 60
$PY "$LOAD" stats "$PORT" >"$OUT/stats-loaded.json"
step "read-back pass"
$PY "$LOAD" warm "$PORT" 0 "$NKEYS" 1 | tee "$OUT/readback1.json"
SLICE=$($PY -c "print(max(1.0, $DURATION / $ROUNDS))")
step "mixed 90/10 Zipf, $ROUNDS x $SLICE s"
for _ in $(seq 1 "$ROUNDS"); do
  $PY "$LOAD" run "$PORT" "$NKEYS" "$SLICE" "$PROCS" "$DEPTH" | tee -a "$OUT/run.jsonl"
  echo "$(load_avg)" >>"$OUT/run.loadavg"
done
$PY "$LOAD" settle "$PORT" 60
step "cold-read latency"
$PY "$LOAD" coldlat "$PORT" "$NKEYS" "$SAMPLES" | tee "$OUT/coldlat.json"
$PY "$LOAD" stats "$PORT" >"$OUT/stats-end.json"
step "SIGTERM"
stop_server
echo "{\"sigterm_seconds\": $(cat "$OUT/stop.seconds")}" | tee "$OUT/sigterm.json"
step "restart (rebuild)"
start restart
echo "{\"restart_seconds\": $(cat "$OUT/restart.start.seconds")}" | tee "$OUT/restart.json"
$PY "$LOAD" stats "$PORT" >"$OUT/stats-restart.json"
step "read-back pass after the restart"
$PY "$LOAD" warm "$PORT" 0 "$NKEYS" 1 | tee "$OUT/readback2.json"
$PY "$LOAD" stats "$PORT" >"$OUT/stats-final.json"
stop_server
step "done"

$PY - "$OUT" <<'PYEOF' | tee "$OUT/summary.md"
import json, statistics, sys
out = sys.argv[1]
j = lambda n: json.load(open(f"{out}/{n}.json"))
runs = [json.loads(line) for line in open(f"{out}/run.jsonl")]
ld, r1, r2, cl = j("load"), j("readback1")["passes"][0], j("readback2")["passes"][0], j("coldlat")
se, sr, sf = j("stats-end"), j("stats-restart"), j("stats-final")
loads = [line.strip() for line in open(f"{out}/run.loadavg")]
print(f"| load: keys / value bytes / s / sets/s | {ld['keys']} / {ld['value_bytes']} / {ld['seconds']} / {round(ld['keys'] / ld['seconds'])} |")
print(f"| read-back: s / cold_reads / misses / wrong | {r1['seconds']} / {r1['cold_reads']} / {r1['misses']} / {r1['bad']} |")
print(f"| mixed ops/s per round | {' '.join(str(r['ops_per_s']) for r in runs)} (median {statistics.median(r['ops_per_s'] for r in runs)}) |")
print(f"| mixed: gets / misses / wrong / shed | {sum(r['gets'] for r in runs)} / {sum(r['misses'] for r in runs)} / {sum(r['bad'] for r in runs)} / {sum(r['busy'] for r in runs)} |")
print(f"| load average after each round | {' ; '.join(loads)} |")
print(f"| cold-read p50 / p90 / p99 us (cold reads of samples; misses, wrong) | {cl['p50_us']} / {cl['p90_us']} / {cl['p99_us']} ({cl['cold_reads']} of {cl['samples']}; {cl['misses']}, {cl['bad']}) |")
print(f"| end: curr_items / cold_items / evictions / cold_reads / cold_load_batches / promotions / disk errors | {se.get('curr_items')} / {se.get('cold_items')} / {se.get('evictions')} / {se.get('cold_reads')} / {se.get('cold_load_batches')} / {se.get('cold_promotions')} / {se.get('cold_disk_errors')} |")
print(f"| SIGTERM to exit s / restart to first answer s | {j('sigterm')['sigterm_seconds']} / {j('restart')['restart_seconds']} |")
print(f"| restarted: curr_items / cold_items | {sr.get('curr_items')} / {sr.get('cold_items')} |")
print(f"| read-back after restart: s / cold_reads / misses / wrong | {r2['seconds']} / {r2['cold_reads']} / {r2['misses']} / {r2['bad']} |")
PYEOF
