#!/usr/bin/env bash
# Cold tier benchmark (issue #4): a Zipf-skewed 90/10 get/set workload over a data set 4x the
# memory limit, against (a) corecached -m MEM with the cold tier on a temp dir and (b) corecached
# with -m RAM_MEM, large enough to hold everything in RAM. Reports the throughput ratio (a)/(b),
# cold-read p50/p99 (single gets of Zipf-tail keys, client-side) and RAM per cold item from
# `stats` and the process's RssAnon. Loopback only; every process started here is stopped by PID.
# Results and raw JSON go to $OUT (default /tmp/corecached-cold-STAMP). About 3-4 minutes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
LOAD="$HERE/coldload.py"

MEM=${MEM:-64}               # -m of (a), MiB
RAM_MEM=${RAM_MEM:-768}      # -m of (b): the whole data set fits
FACTOR=${FACTOR:-4}          # data set = FACTOR x MEM of values (1..4 KiB, 2.5 KiB average)
DURATION=${DURATION:-25}     # measurement seconds per configuration
PROCS=${PROCS:-4}            # client processes
DEPTH=${DEPTH:-8}            # commands per round trip per client
SAMPLES=${SAMPLES:-3000}     # cold-read latency samples
SHARDS=${SHARDS:-2}
THREADS=${THREADS:-2}
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
NKEYS=${NKEYS:-$(( FACTOR * MEM * 1024 * 1024 / 2560 ))}
HALF=$(( NKEYS / 2 ))

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-/tmp/corecached-cold-$STAMP}
mkdir -p "$OUT"
COLD_DIR=$(mktemp -d /tmp/corecached-cold-lmdb.XXXXXX)
PID=""

stop_server() {  # SIGTERM, then SIGKILL after 90 s (the cold tier flushes hot values on SIGTERM)
  [[ -n "$PID" ]] || return 0
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 900); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}
cleanup() { stop_server; rm -rf "$COLD_DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x "$CORECACHED_BINARY" ]] || { echo "cold.sh: $CORECACHED_BINARY is not executable" >&2; exit 2; }
echo "cold.sh: $(uptime)"
echo "cold.sh: $NKEYS keys, values 1024..4096 B, FACTOR=$FACTOR x MEM=$MEM MiB; out: $OUT"

bench() {  # bench NAME -m [extra flags...]
  local name=$1 mem=$2; shift 2
  local port; port=$($PY "$LOAD" freeport)
  "$CORECACHED_BINARY" -l 127.0.0.1 -p "$port" -m "$mem" -t "$THREADS" --shards "$SHARDS" "$@" \
    2>"$OUT/$name.stderr" &
  PID=$!
  $PY "$LOAD" wait "$port" "$PID" 20
  sleep 1
  $PY "$LOAD" rssanon "$PID" >"$OUT/$name.rss-empty.json"
  $PY "$LOAD" load "$port" 0 "$HALF" "$PROCS" >"$OUT/$name.load1.json"
  $PY "$LOAD" settle "$port" 30
  $PY "$LOAD" rssanon "$PID" >"$OUT/$name.rss-half.json"
  $PY "$LOAD" stats "$port" >"$OUT/$name.stats-half.json"
  $PY "$LOAD" load "$port" "$HALF" "$NKEYS" "$PROCS" >"$OUT/$name.load2.json"
  $PY "$LOAD" settle "$port" 30
  $PY "$LOAD" rssanon "$PID" >"$OUT/$name.rss-full.json"
  $PY "$LOAD" stats "$port" >"$OUT/$name.stats-full.json"
  $PY "$LOAD" run "$port" "$NKEYS" "$DURATION" "$PROCS" "$DEPTH" >"$OUT/$name.run.json"
  $PY "$LOAD" settle "$port" 30
  $PY "$LOAD" coldlat "$port" "$NKEYS" "$SAMPLES" >"$OUT/$name.coldlat.json"
  $PY "$LOAD" stats "$port" >"$OUT/$name.stats-end.json"
  stop_server
  echo "cold.sh: $name done: $(cat "$OUT/$name.run.json")"
}

bench cold "$MEM" --cold-tier-path "$COLD_DIR"
# RAM per cold item, all items cold: SIGTERM (above) wrote the hot values to LMDB; a restart
# rebuilds the index with every item cold and nothing hot, so RssAnon over the empty server's
# is the cold items' cost alone (item headers + keys, hash buckets, malloc overhead).
restart_rss() {
  local port; port=$($PY "$LOAD" freeport)
  "$CORECACHED_BINARY" -l 127.0.0.1 -p "$port" -m "$MEM" -t "$THREADS" --shards "$SHARDS" \
    --cold-tier-path "$COLD_DIR" 2>"$OUT/restart.stderr" &
  PID=$!
  $PY "$LOAD" wait "$port" "$PID" 120
  $PY "$LOAD" settle "$port" 30
  $PY "$LOAD" rssanon "$PID" >"$OUT/restart.rss.json"
  $PY "$LOAD" stats "$port" >"$OUT/restart.stats.json"
  stop_server
}
restart_rss
bench ram "$RAM_MEM"

$PY - "$OUT" "$NKEYS" "$HALF" <<'EOF' | tee "$OUT/summary.md"
import json, sys
out, nkeys, half = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
j = lambda n: json.load(open(f"{out}/{n}.json"))
KEY = 14  # "cold:NNNNNNNN"
c, r = j("cold.run"), j("ram.run")
print(f"| | cold tier (a) | all in RAM (b) |\n|---|---:|---:|")
print(f"| ops/s (90/10, Zipf {0.99}) | {c['ops_per_s']} | {r['ops_per_s']} |")
print(f"| get hits / misses / bad | {c['hits']} / {c['misses']} / {c['bad']} | {r['hits']} / {r['misses']} / {r['bad']} |")
cl, rl = j("cold.coldlat"), j("ram.coldlat")
print(f"| tail-key get p50 / p99 (us) | {cl['p50_us']} / {cl['p99_us']} | {rl['p50_us']} / {rl['p99_us']} |")
print(f"| tail gets that were cold reads | {cl['cold_reads']} of {cl['samples']} | - |")
for n in ("cold", "ram"):
    s = j(f"{n}.stats-end")
    print(f"| [{n}] evictions, cold_items, cold_evictions_to_disk, cold_reads, cold_promotions, cold_disk_errors |"
          f" {s.get('evictions')}, {s.get('cold_items')}, {s.get('cold_evictions_to_disk')}, {s.get('cold_reads')}, {s.get('cold_promotions')}, {s.get('cold_disk_errors')} | |")
print(f"\nthroughput ratio (a)/(b): {c['ops_per_s'] / r['ops_per_s']:.3f}")
e, h, f = j("cold.rss-empty"), j("cold.rss-half"), j("cold.rss-full")
sh, sf = j("cold.stats-half"), j("cold.stats-full")
ch, cf = int(sh["cold_items"]), int(sf["cold_items"])
print(f"\nRAM (cold tier server): RssAnon empty {e['RssAnon']} kB, after {half} keys {h['RssAnon']} kB "
      f"(cold_items {ch}, curr_items {sh['curr_items']}, bytes {sh['bytes']}), after {nkeys} keys {f['RssAnon']} kB "
      f"(cold_items {cf}, curr_items {sf['curr_items']}, bytes {sf['bytes']})")
if cf > ch:
    marginal = (f["RssAnon"] - h["RssAnon"]) * 1024 / (cf - ch)
    print(f"marginal RssAnon per extra cold item: {marginal:.1f} B incl. the {KEY}-byte key -> {marginal - KEY:.1f} B excluding the key")
rs, rr = j("restart.stats"), j("restart.rss")
rc = int(rs["cold_items"])
per = (rr["RssAnon"] - e["RssAnon"]) * 1024 / rc
acct = (int(rs["bytes"]) + int(rs.get("hash_bytes", 0))) / rc
print(f"after restart (every item cold): curr_items {rs['curr_items']}, cold_items {rc}, RssAnon {rr['RssAnon']} kB "
      f"vs {e['RssAnon']} kB empty -> {per:.1f} B per cold item incl. the {KEY}-byte key, {per - KEY:.1f} B excluding it; "
      f"server accounting (stats bytes: item allocations) {acct:.1f} B -> {acct - KEY:.1f} B excluding the key")
whole = (f["RssAnon"] - e["RssAnon"]) * 1024
print(f"RssAnon over the empty server after the full load: {whole / 1048576:.1f} MiB for {sf['curr_items']} items ({cf} cold) with -m limit")
EOF
