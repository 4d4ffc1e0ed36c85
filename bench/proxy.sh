#!/usr/bin/env bash
# Proxy mode (issue #13): corecached as a proxy vs nutcracker, both in front of the same Debian
# memcached, in the same run: memcaslap get90 and mget20 throughput (medians of ROUNDS runs,
# alternating which proxy goes first) and the p50 latency each adds to a one-at-a-time get
# over a direct connection to memcached. memcaslap straight at memcached (no proxy) runs in the
# same rounds: the ceiling either proxy can reach when all of them share the machine's cores.
# Every process started here is stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}              # corecached -t (network threads)
CONNS_PER_SERVER=${CONNS_PER_SERVER:-2}
CLIENT_THREADS=${CLIENT_THREADS:-2}
LAT_N=${LAT_N:-2000}
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
MEMCASLAP=${MEMCASLAP:-/usr/bin/memcaslap}
NUTCRACKER=${NUTCRACKER:-/usr/sbin/nutcracker}
OUT=${OUT:-$HERE/out/proxy-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
for f in "$CORECACHED_BINARY" "$MEMCASLAP" "$NUTCRACKER" /usr/bin/memcached; do
  [[ -x "$f" ]] || { echo "proxy.sh: $f is not executable" >&2; exit 2; }
done

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
port() { $PY "$HERE/mchelper.py" freeport; }
ready() { $PY "$HERE/mchelper.py" wait "$1" "$2" 10; }

ROOT_FLAGS=""
[[ $EUID -eq 0 ]] && ROOT_FLAGS="-u root"
MC_PORT=$(port)
# shellcheck disable=SC2086
/usr/bin/memcached $ROOT_FLAGS -U 0 -l 127.0.0.1 -p "$MC_PORT" -m 1024 -t 2 -c 4096 &
PIDS+=($!); ready "$MC_PORT" $!

NC_PORT=$(port)
cat >"$OUT/nutcracker.yml" <<YML
alpha:
  listen: 127.0.0.1:$NC_PORT
  hash: fnv1a_64
  distribution: ketama
  timeout: 1000
  servers:
   - 127.0.0.1:$MC_PORT:1
YML
"$NUTCRACKER" -c "$OUT/nutcracker.yml" -s "$(port)" -a 127.0.0.1 -o "$OUT/nutcracker.log" &
PIDS+=($!); ready "$NC_PORT" $!

CC_PORT=$(port)
cat >"$OUT/corecached.yaml" <<YML
proxy:
  pools:
    main:
      servers: ["127.0.0.1:$MC_PORT"]
      timeout_ms: 1000
      connections_per_server: $CONNS_PER_SERVER
YML
"$CORECACHED_BINARY" --config "$OUT/corecached.yaml" -l 127.0.0.1 -p "$CC_PORT" -t "$THREADS" \
  -c 4096 2>"$OUT/corecached.log" &
PIDS+=($!); ready "$CC_PORT" $!

printf 'key\n16 16 1\nvalue\n100 100 1\ncmd\n0 0.1\n1 0.9\n' >"$OUT/get90.cfg"
args() {
  case $1 in
    get90)  echo "-F $OUT/get90.cfg -c 64 -T $CLIENT_THREADS -t ${DURATION}s" ;;
    mget20) echo "-F $OUT/get90.cfg -c 64 -d 20 -T $CLIENT_THREADS -t ${DURATION}s" ;;
  esac
}
echo "memcached :$MC_PORT; nutcracker :$NC_PORT; corecached proxy :$CC_PORT (-t $THREADS," \
  "connections_per_server $CONNS_PER_SERVER); memcaslap -T $CLIENT_THREADS ${DURATION}s x $ROUNDS;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
: >"$OUT/results.tsv"
for ((r = 1; r <= ROUNDS; r++)); do
  order="nutcracker corecached direct"
  ((r % 2 == 0)) && order="corecached nutcracker direct"
  for wl in get90 mget20; do
    for who in $order; do
      p=$NC_PORT; [[ $who == corecached ]] && p=$CC_PORT; [[ $who == direct ]] && p=$MC_PORT
      # shellcheck disable=SC2046
      timeout -k 5 $((DURATION + 60)) "$MEMCASLAP" -s "127.0.0.1:$p" $(args $wl) \
        >"$OUT/r$r.$wl.$who.txt" 2>&1 || true
      ops=$(sed -n 's/.*TPS: \([0-9]*\).*/\1/p' "$OUT/r$r.$wl.$who.txt" | tail -1)
      printf '%s\t%s\t%s\n' "$wl" "$who" "${ops:-0}" >>"$OUT/results.tsv"
      printf '  round %d %-7s %-11s %s ops/s\n' "$r" "$wl" "$who" "${ops:-FAIL}"
    done
  done
  for who in direct nutcracker corecached; do
    p=$MC_PORT; [[ $who == nutcracker ]] && p=$NC_PORT; [[ $who == corecached ]] && p=$CC_PORT
    printf '%s\t%s\t%s\n' "p50_us" "$who" "$($PY "$HERE/proxy_latency.py" "$p" "$LAT_N")" \
      >>"$OUT/results.tsv"
  done
done
$PY - "$OUT/results.tsv" <<'PYEOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    wl, who, v = line.split()
    rows[(wl, who)].append(float(v))
med = {k: statistics.median(v) for k, v in rows.items()}
print("| workload | nutcracker | corecached proxy | ratio | memcached direct (ceiling) |")
print("|---|---|---|---|---|")
for wl in ("get90", "mget20"):
    n, c, m = med[(wl, "nutcracker")], med[(wl, "corecached")], med[(wl, "direct")]
    print(f"| {wl} ops/s | {n:.0f} | {c:.0f} | {c / n:.2f}x | {m:.0f} |")
d = med[("p50_us", "direct")]
print(f"| p50 get, added to direct ({d:.0f} us) | +{med[('p50_us', 'nutcracker')] - d:.0f} us "
      f"| +{med[('p50_us', 'corecached')] - d:.0f} us | | |")
PYEOF
