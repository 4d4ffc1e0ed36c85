#!/usr/bin/env bash
# Overload: offered load rising past capacity, open loop (bench/overload_gen.c), against
# corecached (default backpressure, and a tighter backpressure config) and Debian's memcached,
# in one run under the same generator. See bench/README.md "Overload".
# Every process started here is stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
HELPER="$HERE/mchelper.py"

CONFIG_VARS="QUICK RATES REPEATS STEP GRACE CONNS GEN_THREADS WINDOW KEYS VSIZE SET_RATIO MEM
  THREADS SHARDS SERVERS TIGHT_DEPTH TIGHT_DELAY_MS CORECACHED_BINARY MEMCACHED_BINARY"
CMDLINE=""
for v in $CONFIG_VARS; do
  [[ -n "${!v+x}" ]] && CMDLINE+="$(printf '%s=%q ' "$v" "${!v}")"
done
CMDLINE+="bench/overload.sh"
QUICK=${QUICK:-0}
if [[ "$QUICK" == 1 ]]; then
  RATES=${RATES:-"50000 150000 300000 600000"}; REPEATS=${REPEATS:-1}; STEP=${STEP:-1}
  GRACE=${GRACE:-1}
else
  RATES=${RATES:-"25000 50000 100000 150000 200000 300000 450000 600000"}
  REPEATS=${REPEATS:-3}; STEP=${STEP:-2}; GRACE=${GRACE:-2}
fi
CONNS=${CONNS:-32}             # generator connections, each pipelining, RATE/CONNS req/s each
GEN_THREADS=${GEN_THREADS:-1}  # generator threads
WINDOW=${WINDOW:-4096}         # most requests in flight per connection; past it: "unsent"
KEYS=${KEYS:-10000}            # key space, all stored before the sweep (so gets hit)
VSIZE=${VSIZE:-100}
SET_RATIO=${SET_RATIO:-0.1}    # 90/10 get/set
MEM=${MEM:-1024}
THREADS=${THREADS:-2}          # -t, both servers
SHARDS=${SHARDS:-$THREADS}     # corecached --shards: must equal -t since issue #10
SERVERS=${SERVERS:-"corecached corecached-tight memcached"}
TIGHT_DEPTH=${TIGHT_DEPTH:-8}        # corecached-tight: backpressure.max_queue_depth (cross-thread messages)
TIGHT_DELAY_MS=${TIGHT_DELAY_MS:-2}  # corecached-tight: backpressure.max_queue_delay_ms
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
MEMCACHED_BINARY=${MEMCACHED_BINARY:-/usr/bin/memcached}
ROOT_FLAGS=""
[[ $EUID -eq 0 ]] && ROOT_FLAGS="-u root"

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$HERE/out/overload-$STAMP}
mkdir -p "$OUT/raw"
STEPS="$OUT/steps.jsonl"
: >"$STEPS"
for f in "$CORECACHED_BINARY" "$MEMCACHED_BINARY" "$PY"; do
  [[ -x "$f" ]] || { echo "overload.sh: $f is not executable" >&2; exit 2; }
done
GEN="$HERE/out/overload_gen"
cc -O2 -Wall -pthread -o "$GEN" "$HERE/overload_gen.c"

cat >"$OUT/tight.yaml" <<EOF
backpressure:
  max_queue_depth: $TIGHT_DEPTH
  max_queue_delay_ms: $TIGHT_DELAY_MS
EOF

# ---- process bookkeeping (as run.sh) ------------------------------------------------------
PIDS=()
stop_pid() {
  local pid=$1 i rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "overload.sh: pid $pid ignored SIGTERM, sending SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || rc=$?
  local keep=() p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do [[ "$p" != "$pid" ]] && keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
  return $rc
}
cleanup() { local p; for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$p" || true; done; }
trap cleanup EXIT
trap 'echo "overload.sh: interrupted" >&2; exit 130' INT TERM

server_cmd() {  # server_cmd NAME PORT -> the command line
  case $1 in
    corecached) echo "$CORECACHED_BINARY -p $2 -l 127.0.0.1 -m $MEM -t $THREADS -c 4096 --shards $SHARDS" ;;
    corecached-tight) echo "$CORECACHED_BINARY --config $OUT/tight.yaml -p $2 -l 127.0.0.1 -m $MEM -t $THREADS -c 4096 --shards $SHARDS" ;;
    memcached) echo "$MEMCACHED_BINARY $ROOT_FLAGS -U 0 -p $2 -l 127.0.0.1 -m $MEM -t $THREADS -c 4096" ;;
    # memcached serves at most -R (default 20) requests of one connection per event, then yields.
    memcached-R1000) echo "$MEMCACHED_BINARY $ROOT_FLAGS -U 0 -p $2 -l 127.0.0.1 -m $MEM -t $THREADS -c 4096 -R 1000" ;;
    *) echo "overload.sh: unknown server $1" >&2; return 1 ;;
  esac
}

SERVER_PID=""; SERVER_PORT=""
start_server() {  # start_server NAME TAG
  local attempt cmd
  for attempt in 1 2 3; do
    SERVER_PORT=$($PY "$HELPER" freeport)
    cmd=$(server_cmd "$1" "$SERVER_PORT")
    # shellcheck disable=SC2086
    $cmd >"$OUT/raw/$2.$1.server.log" 2>&1 &
    SERVER_PID=$!; PIDS+=("$SERVER_PID")
    $PY "$HELPER" wait "$SERVER_PORT" "$SERVER_PID" 10 2>>"$OUT/raw/$2.$1.server.log" && return 0
    stop_pid "$SERVER_PID" || true
  done
  echo "overload.sh: $1 did not start, see $OUT/raw/$2.$1.server.log" >&2
  return 1
}

shed_stat() {  # corecached's shed_requests counter ("" for memcached)
  $PY "$HELPER" stats "$SERVER_PORT" shed_requests 2>/dev/null |
    $PY -c 'import json,sys; v=json.load(sys.stdin).get("shed_requests"); print(v if v is not None else "")' || true
}

step() {  # step SERVER REP RATE PHASE
  local srv=$1 rep=$2 rate=$3 phase=$4 shed0 shed1 rss la json
  shed0=$(shed_stat)
  la=$(cut -d' ' -f1 /proc/loadavg)
  json=$("$GEN" --port "$SERVER_PORT" --rate "$rate" --duration "$STEP" --grace "$GRACE" \
    --conns "$CONNS" --threads "$GEN_THREADS" --window "$WINDOW" --keys "$KEYS" --vsize "$VSIZE" \
    --set-ratio "$SET_RATIO" 2>>"$OUT/raw/gen.stderr") || json='{"gen_failed": 1}'
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "overload.sh: $srv (pid $SERVER_PID) DIED at offered $rate/s, see $OUT/raw/" >&2
    json=${json%\}}', "server_died": 1}'
  fi
  rss=$($PY "$HELPER" rss "$SERVER_PID" 2>/dev/null || echo 0)
  shed1=$(shed_stat)
  local sdelta=null
  [[ -n $shed0 && -n $shed1 ]] && sdelta=$((shed1 - shed0))
  json=${json%\}}", \"server\": \"$srv\", \"rep\": $rep, \"phase\": \"$phase\", \"rss_kb\": $rss, \"server_shed_stat\": $sdelta, \"loadavg1\": $la}"
  echo "$json" >>"$STEPS"
  $PY -c 'import json,sys; d=json.loads(sys.argv[1]); print("  %-16s rep %s %-8s offered %7d/s: goodput %7s/s shed %7s/s err %s/s unsent %s p50 %s ms p99 %s ms rss %s MB load %s" % (d["server"], d["rep"], d["phase"], d.get("offered", 0), d.get("goodput"), d.get("shed_rate"), d.get("err_rate"), d.get("unsent"), d.get("p50_ms"), d.get("p99_ms"), d["rss_kb"] // 1024, d["loadavg1"]))' "$json"
}

GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
echo "cores: $(nproc), load average at start: $LOADAVG, output: $OUT"
for s in $SERVERS; do echo "$s: $(server_cmd "$s" PORT)"; done
echo "generator: $GEN --conns $CONNS --threads $GEN_THREADS --window $WINDOW --keys $KEYS --vsize $VSIZE --set-ratio $SET_RATIO, ${STEP}s steps + ${GRACE}s grace"
echo "tight.yaml: max_queue_depth $TIGHT_DEPTH, max_queue_delay_ms $TIGHT_DELAY_MS"
START=$(date +%s)
FIRST_RATE=${RATES%% *}
for ((r = 1; r <= REPEATS; r++)); do
  for srv in $SERVERS; do
    start_server "$srv" "r$r" || continue
    "$GEN" --port "$SERVER_PORT" --preload --keys "$KEYS" --vsize "$VSIZE" >"$OUT/raw/r$r.$srv.preload.json" ||
      echo "overload.sh: $srv: preload incomplete (gets will miss): $(cat "$OUT/raw/r$r.$srv.preload.json")" >&2
    for rate in $RATES; do step "$srv" "$r" "$rate" sweep; sleep 0.3; done
    # After the heaviest step: does it serve normally again?
    sleep 1
    step "$srv" "$r" "$FIRST_RATE" recovery
    stop_pid "$SERVER_PID" || echo "overload.sh: $srv exited with an error status" >&2
  done
done
ELAPSED=$(($(date +%s) - START))

META=$($PY -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
  command "$CMDLINE" git "$GIT_REV" date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  loadavg_start "$LOADAVG" loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)" cores "$(nproc)" \
  elapsed_s "$ELAPSED" threads "$THREADS" shards "$SHARDS" conns "$CONNS" gen_threads "$GEN_THREADS" \
  window "$WINDOW" step_s "$STEP" grace_s "$GRACE" repeats "$REPEATS" keys "$KEYS" vsize "$VSIZE" \
  set_ratio "$SET_RATIO" tight "max_queue_depth $TIGHT_DEPTH, max_queue_delay_ms $TIGHT_DELAY_MS")
$PY "$HERE/overload_report.py" "$STEPS" "$META" | tee "$OUT/summary.md"
echo
echo "steps: $STEPS; summary: $OUT/summary.md; raw: $OUT/raw/"
