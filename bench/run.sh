#!/usr/bin/env bash
# corecached vs Debian's memcached, side by side, same load generator (memcaslap).
# See bench/README.md. Every process started here is stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
HELPER="$HERE/mchelper.py"

# ---- configuration (environment) -------------------------------------------------------
CONFIG_VARS="QUICK ROUNDS DURATION RSS_ITEMS MEM THREADS SHARDS MAXCONNS CLIENT_THREADS IDLE_CONNS
  LOAD_SOCKETS WORKLOADS RSS MEMCASLAP CORECACHED_BINARY MEMCACHED_BINARY MEMCACHED_FLAGS CORECACHED_FLAGS"
CMDLINE=""  # the variables the caller set, to print beside the numbers
for v in $CONFIG_VARS; do
  [[ -n "${!v+x}" ]] && CMDLINE+="$(printf '%s=%q ' "$v" "${!v}")"
done
CMDLINE+="bench/run.sh"
QUICK=${QUICK:-0}
if [[ "$QUICK" == 1 ]]; then
  ROUNDS=${ROUNDS:-2}; DURATION=${DURATION:-3}; RSS_ITEMS=${RSS_ITEMS:-1000000}
else
  ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-10}; RSS_ITEMS=${RSS_ITEMS:-1000000}
fi
MEM=${MEM:-1024}                    # -m, both servers
THREADS=${THREADS:-4}               # -t, both servers
SHARDS=${SHARDS:-$THREADS}          # corecached --shards: must equal -t since issue #10
MAXCONNS=${MAXCONNS:-4096}          # -c, both servers (workload idle1000 needs > 1064)
CLIENT_THREADS=${CLIENT_THREADS:-2} # memcaslap -T
IDLE_CONNS=${IDLE_CONNS:-1000}
LOAD_SOCKETS=${LOAD_SOCKETS:-4}
WORKLOADS=${WORKLOADS:-"get90 mget20 set50_1k conns1000 idle1000 get90_bin"}
RSS=${RSS:-1}                       # 0 skips the RSS-per-item measurement
MEMCASLAP=${MEMCASLAP:-/usr/bin/memcaslap}

CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
MEMCACHED_BINARY=${MEMCACHED_BINARY:-/usr/bin/memcached}
ROOT_FLAGS=""
[[ $EUID -eq 0 ]] && ROOT_FLAGS="-u root"
MEMCACHED_FLAGS=${MEMCACHED_FLAGS-"$ROOT_FLAGS -U 0"}
if [[ -z "${CORECACHED_FLAGS+x}" ]]; then
  # Pointing CORECACHED_BINARY at a memcached (to prove this script) needs memcached's flags.
  if [[ "$(basename "$CORECACHED_BINARY")" == memcached* ]]; then
    CORECACHED_FLAGS="$ROOT_FLAGS -U 0"
  else
    CORECACHED_FLAGS="--shards $SHARDS"
  fi
fi

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$HERE/out/$STAMP}
mkdir -p "$OUT/raw"
RESULTS="$OUT/results.tsv"     # workload server round ops note
RSS_TSV="$OUT/rss.tsv"         # kind server json
: >"$RESULTS"; : >"$RSS_TSV"

for f in "$CORECACHED_BINARY" "$MEMCACHED_BINARY" "$MEMCASLAP" "$PY"; do
  [[ -x "$f" ]] || { echo "run.sh: $f is not executable" >&2; exit 2; }
done

# ---- process bookkeeping ---------------------------------------------------------------
PIDS=()
stop_pid() {  # stop_pid PID: TERM, then KILL after 5 s; returns the exit status
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && { echo "run.sh: pid $pid ignored SIGTERM, sending SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null || true; }
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  forget_pid "$pid"
  return $rc
}
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do [[ "$p" != "$1" ]] && keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$p" || true; done
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

# ---- servers -------------------------------------------------------------------------
SERVER_PID=""; SERVER_PORT=""; SERVER_LOG=""
start_server() {  # start_server corecached|memcached TAG
  local which=$1 tag=$2 bin flags attempt
  if [[ $which == corecached ]]; then bin=$CORECACHED_BINARY; flags=$CORECACHED_FLAGS
  else bin=$MEMCACHED_BINARY; flags=$MEMCACHED_FLAGS; fi
  for attempt in 1 2 3; do
    SERVER_PORT=$($PY "$HELPER" freeport)
    SERVER_LOG="$OUT/raw/$tag.$which.server.log"
    # shellcheck disable=SC2086
    "$bin" -p "$SERVER_PORT" -l 127.0.0.1 -m "$MEM" -t "$THREADS" -c "$MAXCONNS" $flags \
      >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    if $PY "$HELPER" wait "$SERVER_PORT" "$SERVER_PID" 10 2>>"$SERVER_LOG"; then
      return 0
    fi
    stop_pid "$SERVER_PID" || true
    echo "run.sh: $which did not start (attempt $attempt), see $SERVER_LOG" >&2
  done
  return 1
}
stop_server() {  # stop_server: returns 1 if the server had died before we stopped it
  local died=0
  kill -0 "$SERVER_PID" 2>/dev/null || died=1
  local rc=0
  stop_pid "$SERVER_PID" || rc=$?
  if ((died)); then
    echo "run.sh: server pid $SERVER_PID had exited during the run (status $rc), see $SERVER_LOG" >&2
    return 1
  fi
  return 0
}

# ---- workloads -----------------------------------------------------------------------
write_cfg() {  # write_cfg FILE VALUE_SIZE SET_PROP GET_PROP
  # memcaslap refuses keys shorter than 16 bytes.
  printf 'key\n16 16 1\nvalue\n%s %s 1\ncmd\n0 %s\n1 %s\n' "$2" "$2" "$3" "$4" >"$1"
}
write_cfg "$OUT/get90.cfg" 100 0.1 0.9
write_cfg "$OUT/set50_1k.cfg" 1024 0.5 0.5

describe() {
  case $1 in
    get90)     echo "90/10 get/set, 100 B values, 64 conns" ;;
    mget20)    echo "multi-get 20 keys (ops = keys), 100 B values, 64 conns" ;;
    set50_1k)  echo "50/50 set/get, 1 KiB values, 64 conns" ;;
    conns1000) echo "1000 conns, 1 request in flight each, 90/10, 100 B" ;;
    idle1000)  echo "$IDLE_CONNS idle conns held + 64 busy conns, 90/10, 100 B" ;;
    get90_bin) echo "binary protocol, 90/10 get/set, 100 B values, 64 conns" ;;
    *) echo "unknown workload $1" >&2; return 1 ;;
  esac
}
memcaslap_args() {  # memcaslap_args WORKLOAD -> args after -s
  local c=(-T "$CLIENT_THREADS" -t "${DURATION}s")
  case $1 in
    get90)     echo "-F $OUT/get90.cfg -c 64 -v 0.01 ${c[*]}" ;;
    mget20)    echo "-F $OUT/get90.cfg -c 64 -d 20 -v 0.01 ${c[*]}" ;;
    set50_1k)  echo "-F $OUT/set50_1k.cfg -c 64 -w 4k -v 0.01 ${c[*]}" ;;
    conns1000) echo "-F $OUT/get90.cfg -c 1000 -w 1k ${c[*]}" ;;
    idle1000)  echo "-F $OUT/get90.cfg -c 64 ${c[*]}" ;;
    get90_bin) echo "-F $OUT/get90.cfg -c 64 -v 0.01 -B ${c[*]}" ;;
  esac
}

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

run_one() {  # run_one WORKLOAD SERVER ROUND
  local wl=$1 srv=$2 rnd=$3 tag="r$3.$1" idle_pid="" note="" ops
  local raw="$OUT/raw/$tag.$srv.memcaslap.txt"
  if ! start_server "$srv" "$tag"; then
    record "$wl" "$srv" "$rnd" fail "server did not start"; return 0
  fi
  if ! $PY "$HELPER" smoke "$SERVER_PORT" 2>>"$raw"; then
    stop_server || true
    record "$wl" "$srv" "$rnd" fail "set/get smoke test failed"; return 0
  fi
  if [[ $wl == get90_bin ]] && ! $PY "$HELPER" probe-binary "$SERVER_PORT" 2>>"$raw"; then
    stop_server || true
    echo "  $srv refuses the binary protocol: workload $wl skipped for it"
    record "$wl" "$srv" "$rnd" skip "no binary protocol"; return 0
  fi
  if [[ $wl == idle1000 ]]; then
    local ready="$OUT/raw/$tag.$srv.idle.ready" before after
    before=$($PY "$HELPER" rss "$SERVER_PID")
    $PY "$HELPER" idle "$SERVER_PORT" "$IDLE_CONNS" "$ready" $((DURATION + 120)) \
      2>>"$raw" &
    idle_pid=$!; PIDS+=("$idle_pid")
    local i
    for ((i = 0; i < 300; i++)); do
      [[ -f $ready ]] && break
      kill -0 "$idle_pid" 2>/dev/null || break
      sleep 0.1
    done
    if [[ ! -f $ready ]]; then
      stop_pid "$idle_pid" || true; stop_server || true
      record "$wl" "$srv" "$rnd" fail "could not open $IDLE_CONNS idle connections"; return 0
    fi
    sleep 0.5
    after=$($PY "$HELPER" rss "$SERVER_PID")
    if [[ $rnd == 1 ]]; then
      printf 'idle\t%s\t{"count": %d, "rss_before_kb": %d, "rss_after_kb": %d, "per": %s}\n' \
        "$srv" "$IDLE_CONNS" "$before" "$after" \
        "$($PY -c "print(($after - $before) * 1024 / $IDLE_CONNS)")" >>"$RSS_TSV"
    fi
  fi
  local args; args=$(memcaslap_args "$wl")
  echo "+ $MEMCASLAP -s 127.0.0.1:$SERVER_PORT $args" >"$raw"
  local rc=0
  # shellcheck disable=SC2086
  timeout -k 5 $((DURATION + 90)) "$MEMCASLAP" -s "127.0.0.1:$SERVER_PORT" $args >>"$raw" 2>&1 &
  local mpid=$!; PIDS+=("$mpid")
  wait "$mpid" || rc=$?
  forget_pid "$mpid"
  if [[ -n $idle_pid ]]; then
    stop_pid "$idle_pid" || note="idle conns broken after the run"
  fi
  local server_ok=1
  stop_server || server_ok=0
  ops=$(sed -n 's/.*TPS: \([0-9]*\).*/\1/p' "$raw" | tail -1)
  local misses vfail
  misses=$(sed -n 's/^get_misses: \([0-9]*\).*/\1/p' "$raw" | tail -1)
  vfail=$(sed -n 's/^verify_failed: \([0-9]*\).*/\1/p' "$raw" | tail -1)
  [[ -n $misses && $misses != 0 ]] && note="${note:+$note, }get_misses>0"
  [[ -n $vfail && $vfail != 0 ]] && note="${note:+$note, }VERIFY FAILED"
  if ((!server_ok)); then
    record "$wl" "$srv" "$rnd" fail "server died"
  elif [[ $rc -ne 0 || -z $ops ]]; then
    record "$wl" "$srv" "$rnd" fail "memcaslap status $rc, see raw/$(basename "$raw")"
  else
    record "$wl" "$srv" "$rnd" "$ops" "$note"
  fi
  printf '  %-10s %-10s round %s: %s ops/s%s\n' "$wl" "$srv" "$rnd" "${ops:-FAIL}" "${note:+ ($note)}"
}

rss_one() {  # rss_one SERVER
  local srv=$1 before after load curr
  start_server "$srv" rss || { echo "  $srv did not start for the RSS run" >&2; return 0; }
  sleep 0.5
  before=$($PY "$HELPER" rss "$SERVER_PID")
  if ! load=$($PY "$HELPER" load "$SERVER_PORT" "$RSS_ITEMS" 100 "$LOAD_SOCKETS" 2>&1); then
    echo "  $srv: load failed: $load" >&2; stop_server || true; return 0
  fi
  sleep 0.5
  after=$($PY "$HELPER" rss "$SERVER_PID")
  curr=$($PY -c "import json,sys; print(json.loads(sys.argv[1])['curr_items'])" "$load")
  stop_server || true
  printf 'items\t%s\t{"count": %d, "rss_before_kb": %d, "rss_after_kb": %d, "per": %s, "load": %s}\n' \
    "$srv" "$curr" "$before" "$after" \
    "$($PY -c "print(($after - $before) * 1024 / $curr if $curr else None)")" "$load" >>"$RSS_TSV"
  printf '  rss %-10s items=%s before=%s kB after=%s kB load=%s\n' "$srv" "$curr" "$before" "$after" "$load"
  [[ $curr == "$RSS_ITEMS" ]] || echo "  WARNING: $srv holds $curr items, expected $RSS_ITEMS" >&2
}

# ---- main ----------------------------------------------------------------------------
for wl in $WORKLOADS; do describe "$wl" >/dev/null; done
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
echo "corecached: $CORECACHED_BINARY $CORECACHED_FLAGS"
echo "memcached:  $MEMCACHED_BINARY $MEMCACHED_FLAGS ($($MEMCACHED_BINARY -V 2>/dev/null || true))"
echo "both: -l 127.0.0.1 -m $MEM -t $THREADS -c $MAXCONNS; memcaslap -T $CLIENT_THREADS, ${DURATION}s per run, $ROUNDS rounds"
echo "cores: $(nproc), load average at start: $LOADAVG, output: $OUT"
if awk -v l="${LOADAVG%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "WARNING: load average ${LOADAVG%% *} on $(nproc) cores: the machine is busy, numbers will be noisy"
fi

START=$(date +%s)
if [[ $RSS == 1 ]]; then
  echo "== RSS per item: $RSS_ITEMS items, 10 B keys, 100 B values"
  rss_one corecached
  rss_one memcached
fi
for ((r = 1; r <= ROUNDS; r++)); do
  echo "== round $r/$ROUNDS"
  for wl in $WORKLOADS; do
    run_one "$wl" corecached "$r"
    run_one "$wl" memcached "$r"
  done
done
ELAPSED=$(($(date +%s) - START))

export BENCH_META
BENCH_META=$($PY -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
  command "$CMDLINE" git "$GIT_REV" date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  loadavg_start "$LOADAVG" loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)" cores "$(nproc)" \
  elapsed_s "$ELAPSED" corecached "$CORECACHED_BINARY $CORECACHED_FLAGS" \
  memcached "$MEMCACHED_BINARY $MEMCACHED_FLAGS" server_flags "-m $MEM -t $THREADS -c $MAXCONNS" \
  client "memcaslap -T $CLIENT_THREADS -t ${DURATION}s" rounds "$ROUNDS")

{
  echo
  echo "### $(date -u +%Y-%m-%d) git $GIT_REV, $(nproc) cores, load average $LOADAVG at start"
  echo
  echo "Command: \`$CMDLINE\` (${ELAPSED} s; corecached \`$CORECACHED_FLAGS\`, memcached \`$MEMCACHED_FLAGS\`, both \`-m $MEM -t $THREADS -c $MAXCONNS\`; memcaslap \`-T $CLIENT_THREADS -t ${DURATION}s\`, $ROUNDS rounds A B alternating)"
  echo
  for wl in $WORKLOADS; do echo "- $wl: $(describe "$wl"); memcaslap $(memcaslap_args "$wl" | sed "s|$OUT/||")"; done
  echo
  $PY "$HELPER" summary "$RESULTS" "$RSS_TSV" "$OUT/summary.json"
} | tee "$OUT/summary.md"
echo
echo "summary: $OUT/summary.json, $OUT/summary.md; raw output: $OUT/raw/"
if grep -q $'\tfail\t' "$RESULTS"; then
  echo "run.sh: some runs failed (see the table and $OUT/raw/)" >&2
  exit 1
fi
