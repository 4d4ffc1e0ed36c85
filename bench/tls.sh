#!/usr/bin/env bash
# get90 over TLS and the full-handshake rate, corecached -Z beside memcached -Z (issue #12).
# memcaslap has no TLS, so the load comes from bench/tls_gen.c (closed loop, one request in flight
# per connection, 90/10 get/set of 100 B values, like memcaslap's get90). Certificates are made in
# a temporary directory for the run (RSA 2048, as most deployments) and removed at exit.
# Every process started here is stopped by PID on exit.
#
#   ROUNDS=3 DURATION=10 HS_DURATION=5 CONNS=64 GEN_THREADS=2 bench/tls.sh
# Each server also gets a plain listener (-l notls:...) that the same generator loads with --plain,
# so the TLS figures can be read against plain TCP measured the same way in the same run.
# Prints a Markdown table (medians of ROUNDS, servers alternating each round) and the raw JSON.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
HS_DURATION=${HS_DURATION:-5}
CONNS=${CONNS:-64}
GEN_THREADS=${GEN_THREADS:-2}
HS_THREADS=${HS_THREADS:-4}
THREADS=${THREADS:-4}
SHARDS=${SHARDS:-2}
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
MEMCACHED_BINARY=${MEMCACHED_BINARY:-/usr/bin/memcached}
ROOT_FLAGS=""
[[ $EUID -eq 0 ]] && ROOT_FLAGS="-u root"

WORK=$(mktemp -d /tmp/cc-tls-bench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

cc -O2 -pthread -o "$WORK/tls_gen" "$HERE/tls_gen.c" -lssl -lcrypto
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/server.key" -out "$WORK/server.crt" \
  -days 2 -subj "/CN=localhost" 2>/dev/null
TLS="-Z -o ssl_chain_cert=$WORK/server.crt,ssl_key=$WORK/server.key"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {  # start NAME PORT PLAIN_PORT: TLS on PORT, plain (notls:) on PLAIN_PORT; sets SERVER_PID
  local name=$1 port=$2 plain=$3
  if [[ $name == corecached ]]; then
    # shellcheck disable=SC2086
    "$CORECACHED_BINARY" -l "127.0.0.1,notls:127.0.0.1:$plain" -p "$port" -m 1024 -c 4096 -t "$THREADS" --shards "$SHARDS" $TLS \
      2>"$WORK/$name.err" &
  else
    # shellcheck disable=SC2086
    "$MEMCACHED_BINARY" $ROOT_FLAGS -U 0 -l "127.0.0.1,notls:127.0.0.1:$plain" -p "$port" -m 1024 -c 4096 -t "$THREADS" $TLS \
      2>"$WORK/$name.err" &
  fi
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "tls.sh: $name did not start" >&2
  cat "$WORK/$name.err" >&2
  exit 2
}

stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

RAW="$WORK/raw.jsonl"
: >"$RAW"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= ROUNDS; r++)); do
  for name in corecached memcached; do
    port=$(free_port)
    plain_port=$(free_port)
    start "$name" "$port" "$plain_port"
    get=$("$WORK/tls_gen" --port "$port" --duration "$DURATION" --conns "$CONNS" --threads "$GEN_THREADS")
    plain=$("$WORK/tls_gen" --port "$plain_port" --plain --duration "$DURATION" --conns "$CONNS" \
      --threads "$GEN_THREADS")
    hs=$("$WORK/tls_gen" --port "$port" --handshakes --duration "$HS_DURATION" --threads "$HS_THREADS")
    stop "$SERVER_PID"
    echo "{\"round\": $r, \"server\": \"$name\", \"get90\": $get, \"plain\": $plain, \"handshakes\": $hs}" | tee -a "$RAW"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$RAW" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def med(server, kind):
    return statistics.median(r[kind]["per_second"] for r in rows if r["server"] == server)
print()
print("| measure | corecached -Z | memcached -Z | ratio |")
print("| --- | ---: | ---: | ---: |")
for kind, label in (("get90", "get90 over TLS, ops/s"), ("plain", "get90 plain (notls: listener), ops/s"),
                    ("handshakes", "full handshakes/s")):
    c, m = med("corecached", kind), med("memcached", kind)
    print(f"| {label} | {c:,.0f} | {m:,.0f} | {c / m:.2f}x |")
EOF
