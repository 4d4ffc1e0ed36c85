#!/usr/bin/env bash
# lat4 (issue #10): 4 clients, one request in flight each, 90/10 get/set, Zipf 0.99 over NKEYS
# keys of 100 B..8 KiB (~128 MiB at the default 32768 keys), against corecached and Debian's
# memcached started side by side in one run. Rounds alternate the servers (the machine is shared
# and noisy); the table gives medians of ops/s, p50 and p99 and the ratios. The load generator is
# bench/lat_gen.c (C: a Python client's own ~40 us per request would hide the server's latency).
# Every process started here is stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-4}
NKEYS=${NKEYS:-32768}
MEM=${MEM:-1024}
THREADS=${THREADS:-4}
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
CORECACHED_FLAGS=${CORECACHED_FLAGS:-}
MEMCACHED_BINARY=${MEMCACHED_BINARY:-/usr/bin/memcached}
ROOT_FLAGS=""
[[ $EUID -eq 0 ]] && ROOT_FLAGS="-u root"

OUT=${OUT:-$HERE/out/lat4-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
GEN="$OUT/lat_gen"
cc -O2 -Wall -pthread -o "$GEN" "$HERE/lat_gen.c" -lm

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT PID
  for _ in $(seq 100); do
    kill -0 "$2" 2>/dev/null || { echo "lat4.sh: server pid $2 died" >&2; exit 1; }
    if exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null; then
      printf 'version\r\n' >&3
      local reply=""
      read -r -t 1 reply <&3 || true
      exec 3>&-
      [[ "$reply" == VERSION* ]] && return 0
    fi
    sleep 0.1
  done
  echo "lat4.sh: port $1 never answered" >&2; exit 1
}

declare -A PORT
PORT[corecached]=$(free_port)
"$CORECACHED_BINARY" -l 127.0.0.1 -p "${PORT[corecached]}" -m "$MEM" -t "$THREADS" -c 4096 \
  $CORECACHED_FLAGS 2>"$OUT/corecached.err" &
PIDS+=($!); CC_PID=$!
PORT[memcached]=$(free_port)
"$MEMCACHED_BINARY" -l 127.0.0.1 -p "${PORT[memcached]}" -m "$MEM" -t "$THREADS" -c 4096 -U 0 \
  $ROOT_FLAGS 2>"$OUT/memcached.err" &
PIDS+=($!); MC_PID=$!
wait_port "${PORT[corecached]}" "$CC_PID"
wait_port "${PORT[memcached]}" "$MC_PID"
for s in corecached memcached; do
  "$GEN" load 127.0.0.1 "${PORT[$s]}" "$NKEYS" >/dev/null
done

: >"$OUT/runs.jsonl"
for ((r = 1; r <= ROUNDS; r++)); do
  for s in corecached memcached; do
    line=$("$GEN" run 127.0.0.1 "${PORT[$s]}" "$NKEYS" "$CLIENTS" "$DURATION")
    echo "{\"server\": \"$s\", \"round\": $r, \"result\": $line}" | tee -a "$OUT/runs.jsonl"
  done
done

/usr/bin/python3 - "$OUT/runs.jsonl" "ROUNDS=$ROUNDS DURATION=$DURATION CLIENTS=$CLIENTS NKEYS=$NKEYS THREADS=$THREADS bench/lat4.sh" <<'PY'
import json, statistics, sys, os
runs = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for s in ("corecached", "memcached"):
    rs = [r["result"] for r in runs if r["server"] == s]
    med[s] = {k: statistics.median(x[k] for x in rs) for k in ("ops_per_s", "p50_us", "p99_us")}
    med[s]["misses"] = sum(x["misses"] for x in rs)
    med[s]["errors"] = sum(x["errors"] for x in rs)
print()
print("command: `%s`, load average %s" % (sys.argv[2], os.getloadavg()[0]))
print()
print("| server | ops/s (median) | p50 us | p99 us | misses | errors |")
print("|---|---|---|---|---|---|")
for s in ("corecached", "memcached"):
    m = med[s]
    print("| %s | %.0f | %.0f | %.0f | %d | %d |" % (s, m["ops_per_s"], m["p50_us"], m["p99_us"], m["misses"], m["errors"]))
c, m = med["corecached"], med["memcached"]
print("| ratio corecached/memcached | %.2f | %.2f | %.2f | | |" % (
    c["ops_per_s"] / m["ops_per_s"], c["p50_us"] / max(m["p50_us"], 1), c["p99_us"] / max(m["p99_us"], 1)))
PY
