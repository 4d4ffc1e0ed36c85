#!/usr/bin/env bash
# Cold tier benchmark (issues #4, #14), against (a) corecached -m MEM with the cold tier on a temp
# dir, (b) corecached with -m RAM_MEM, large enough to hold everything in RAM, and (c) Debian's
# memcached -m MEM -o ext_path (extstore, EXT=0 leaves it out), all loaded with a data set
# FACTOR (4) x MEM:
#  - the hot path: gets only, uniform over HOT_KEYS keys (HOT_FRACTION of MEM in values) that are
#    resident in RAM (a warm-up loads them; cold_reads during the run shows they stayed), while
#    the tier holds the other 3/4+ of the data set on disk; ratio (a)/(b);
#  - the mixed workload: Zipf-skewed 90/10 get/set over the whole data set; ratio (a)/(b);
#  - cold-read p50/p99 (single gets of Zipf-tail keys, client-side);
#  - RAM per cold item from `stats` and the process's RssAnon, and the restart's rebuild time.
# Loopback only; every process started here is stopped by PID.
# Results and raw JSON go to $OUT (default /tmp/corecached-cold-STAMP). About 4-5 minutes.
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
READERS=${READERS:-2}        # cold_tier.reader_threads of (a)
INLINE=${INLINE:-true}       # cold_tier.inline_reads of (a) (false: every cold read goes to the readers)
HOT_FRACTION=${HOT_FRACTION:-0.5}  # the hot set's values as a fraction of MEM (under the watermarks)
THREADS=${THREADS:-2}
CORECACHED_BINARY=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
MEMCACHED=${MEMCACHED:-/usr/bin/memcached}
EXT=${EXT:-1}                # 1: (c) memcached with extstore in the same run
NKEYS=${NKEYS:-$(( FACTOR * MEM * 1024 * 1024 / 2560 ))}
HALF=$(( NKEYS / 2 ))
HOT_KEYS=${HOT_KEYS:-$($PY -c "print(int($HOT_FRACTION * $MEM * 1024 * 1024 / 2560))")}

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-/tmp/corecached-cold-$STAMP}
mkdir -p "$OUT"
COLD_DIR=$(mktemp -d /tmp/corecached-cold-lmdb.XXXXXX)
EXT_DIR=$(mktemp -d /tmp/memcached-ext.XXXXXX)
declare -A PIDS=() PORTS=()

stop_server() {  # stop_server NAME: SIGTERM, then SIGKILL after 90 s (the cold tier flushes on SIGTERM)
  local pid=${PIDS[$1]:-}
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 900); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PIDS[$1]=""
}
cleanup() { for n in "${!PIDS[@]}"; do stop_server "$n"; done; rm -rf "$COLD_DIR" "$EXT_DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x "$CORECACHED_BINARY" ]] || { echo "cold.sh: $CORECACHED_BINARY is not executable" >&2; exit 2; }
echo "cold.sh: $(uptime)"
echo "cold.sh: $NKEYS keys, values 1024..4096 B, FACTOR=$FACTOR x MEM=$MEM MiB, hot set $HOT_KEYS keys; out: $OUT"

start() {  # start NAME -m [extra flags...]
  local name=$1 mem=$2; shift 2
  local port; port=$($PY "$LOAD" freeport)
  "$CORECACHED_BINARY" -l 127.0.0.1 -p "$port" -m "$mem" -t "$THREADS" --shards "$SHARDS" "$@" \
    2>"$OUT/$name.stderr" &
  PIDS[$name]=$!
  PORTS[$name]=$port
  $PY "$LOAD" wait "$port" "${PIDS[$name]}" 120
}

start_memcached() {  # start_memcached NAME -m [extra flags...]
  local name=$1 mem=$2; shift 2
  local port; port=$($PY "$LOAD" freeport)
  local user=(); [[ $EUID == 0 ]] && user=(-u root)  # memcached refuses root without -u
  "$MEMCACHED" -l 127.0.0.1 -p "$port" -U 0 -m "$mem" -t "$THREADS" "${user[@]}" "$@" \
    2>"$OUT/$name.stderr" &
  PIDS[$name]=$!
  PORTS[$name]=$port
  $PY "$LOAD" wait "$port" "${PIDS[$name]}" 120
}

fill() {  # fill NAME: the whole data set in two halves, then the hot set loaded into RAM
  local name=$1 port=${PORTS[$1]} pid=${PIDS[$1]}
  sleep 1
  $PY "$LOAD" rssanon "$pid" >"$OUT/$name.rss-empty.json"
  $PY "$LOAD" load "$port" 0 "$HALF" "$PROCS" >"$OUT/$name.load1.json"
  $PY "$LOAD" settle "$port" 30
  $PY "$LOAD" rssanon "$pid" >"$OUT/$name.rss-half.json"
  $PY "$LOAD" stats "$port" >"$OUT/$name.stats-half.json"
  $PY "$LOAD" load "$port" "$HALF" "$NKEYS" "$PROCS" >"$OUT/$name.load2.json"
  $PY "$LOAD" settle "$port" 30
  $PY "$LOAD" rssanon "$pid" >"$OUT/$name.rss-full.json"
  $PY "$LOAD" stats "$port" >"$OUT/$name.stats-full.json"
  $PY "$LOAD" warm "$port" 0 "$HOT_KEYS" 3 >"$OUT/$name.warm.json"
  $PY "$LOAD" settle "$port" 30
}

# Both servers run at once; each measurement alternates between them in ROUNDS short rounds, so
# a burst of load from the other tenants of this machine hits both sides alike.
ROUNDS=${ROUNDS:-5}
SLICE=$($PY -c "print(max(1.0, $DURATION / $ROUNDS))")
SERVERS=(cold ram)
[[ $EXT == 1 ]] && SERVERS+=(ext)
alternate() {  # alternate KIND: ROUNDS x (cold, ram[, ext]) of hotrun or run; one JSON line each
  local kind=$1 r n
  for r in $(seq 1 "$ROUNDS"); do
    for n in "${SERVERS[@]}"; do
      if [[ $kind == hot ]]; then
        $PY "$LOAD" hotrun "${PORTS[$n]}" 0 "$HOT_KEYS" "$SLICE" "$PROCS" "$DEPTH" >>"$OUT/$n.hot.jsonl"
      else
        local c0; c0=$($PY "$LOAD" cpu "${PIDS[$n]}")
        $PY "$LOAD" run "${PORTS[$n]}" "$NKEYS" "$SLICE" "$PROCS" "$DEPTH" >>"$OUT/$n.run.jsonl"
        printf '[%s, %s]\n' "$c0" "$($PY "$LOAD" cpu "${PIDS[$n]}")" >>"$OUT/$n.runcpu.jsonl"
      fi
    done
  done
}

# The reader pool size is a YAML key only (no flag).
printf 'cold_tier:\n  reader_threads: %d\n  inline_reads: %s\n' "$READERS" "$INLINE" >"$OUT/cold.yaml"
start cold "$MEM" --config "$OUT/cold.yaml" --cold-tier-path "$COLD_DIR"
fill cold
start ram "$RAM_MEM"
fill ram
if [[ $EXT == 1 ]]; then
  start_memcached ext "$MEM" -o "ext_path=$EXT_DIR/extstore:2G"
  fill ext
fi
alternate hot
alternate mixed
for n in "${SERVERS[@]}"; do
  $PY "$LOAD" settle "${PORTS[$n]}" 30
  $PY "$LOAD" coldlat "${PORTS[$n]}" "$NKEYS" "$SAMPLES" >"$OUT/$n.coldlat.json"
  $PY "$LOAD" stats "${PORTS[$n]}" >"$OUT/$n.stats-end.json"
done
stop_server ram
[[ $EXT == 1 ]] && stop_server ext
stop_server cold
echo "cold.sh: measured; restarting (a) with every item cold"

# RAM per cold item, all items cold: SIGTERM (above) wrote the hot values to LMDB; a restart
# rebuilds the index with every item cold and nothing hot, so RssAnon over the empty server's
# is the cold items' cost alone (item headers + keys, hash buckets, malloc overhead).
T0=$($PY -c 'import time; print(time.monotonic())')
start restart "$MEM" --cold-tier-path "$COLD_DIR"
$PY -c "import json, time; print(json.dumps({'seconds': round(time.monotonic() - $T0, 2)}))" \
  >"$OUT/restart.time.json"
$PY "$LOAD" settle "${PORTS[restart]}" 30
$PY "$LOAD" rssanon "${PIDS[restart]}" >"$OUT/restart.rss.json"
$PY "$LOAD" stats "${PORTS[restart]}" >"$OUT/restart.stats.json"
stop_server restart

$PY - "$OUT" "$NKEYS" "$HALF" "$EXT" <<'EOF' | tee "$OUT/summary.md"
import json, sys
out, nkeys, half, ext = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
j = lambda n: json.load(open(f"{out}/{n}.json"))
KEY = 14  # "cold:NNNNNNNN"
def rounds(n):
    return [json.loads(line) for line in open(f"{out}/{n}.jsonl")]
def total(parts):
    t = {k: sum(p[k] for p in parts) for k in parts[0]}
    t["ops_per_s"] = round(t["ops"] / t["seconds"])
    return t
ch_r, rh_r, c_r, r_r = rounds("cold.hot"), rounds("ram.hot"), rounds("cold.run"), rounds("ram.run")
ch_, rh_, c, r = total(ch_r), total(rh_r), total(c_r), total(r_r)
cw = j("cold.warm")
med = lambda xs: sorted(xs)[len(xs) // 2]
print(f"| | cold tier (a) | all in RAM (b) |\n|---|---:|---:|")
print(f"| hot path ops/s (gets of {cw['keys']} resident keys), {len(ch_r)} rounds | {ch_['ops_per_s']} | {rh_['ops_per_s']} |")
print(f"| hot path per round | {' '.join(str(p['ops_per_s']) for p in ch_r)} | {' '.join(str(p['ops_per_s']) for p in rh_r)} |")
print(f"| hot path hits / misses / bad / cold_reads during it | {ch_['hits']} / {ch_['misses']} / {ch_['bad']} / {ch_['cold_reads']} | {rh_['hits']} / {rh_['misses']} / {rh_['bad']} / {rh_['cold_reads']} |")
print(f"| warm-up cold_reads per pass | {' / '.join(str(p['cold_reads']) for p in cw['passes'])} | - |")
print(f"| mixed ops/s (90/10, Zipf {0.99}), {len(c_r)} rounds | {c['ops_per_s']} | {r['ops_per_s']} |")
print(f"| mixed per round | {' '.join(str(p['ops_per_s']) for p in c_r)} | {' '.join(str(p['ops_per_s']) for p in r_r)} |")
print(f"| get hits / misses / bad / shed (busy) | {c['hits']} / {c['misses']} / {c['bad']} / {c['busy']} | {r['hits']} / {r['misses']} / {r['bad']} / {r['busy']} |")
cl, rl = j("cold.coldlat"), j("ram.coldlat")
print(f"| tail-key get p50 / p99 (us) | {cl['p50_us']} / {cl['p99_us']} | {rl['p50_us']} / {rl['p99_us']} |")
print(f"| tail gets that were cold reads | {cl['cold_reads']} of {cl['samples']} | - |")
for n in ("cold", "ram"):
    s = j(f"{n}.stats-end")
    print(f"| [{n}] evictions, cold_items, cold_evictions_to_disk (cold_clean_demotions of them), cold_reads, cold_promotions, cold_disk_errors |"
          f" {s.get('evictions')}, {s.get('cold_items')}, {s.get('cold_evictions_to_disk')} ({s.get('cold_clean_demotions', '-')}), {s.get('cold_reads')}, {s.get('cold_promotions')}, {s.get('cold_disk_errors')} | |")
print(f"\nhot-path throughput ratio (a)/(b): {ch_['ops_per_s'] / rh_['ops_per_s']:.3f} "
      f"(median of per-round ratios {med([a['ops'] / b['ops'] for a, b in zip(ch_r, rh_r)]):.3f})")
print(f"mixed 90/10 Zipf throughput ratio (a)/(b): {c['ops_per_s'] / r['ops_per_s']:.3f} "
      f"(median of per-round ratios {med([a['ops'] / b['ops'] for a, b in zip(c_r, r_r)]):.3f})")
def cpu_us_per_op(n, runs):  # the server's CPU (all its threads) per op in the mixed rounds
    spans = [json.loads(line) for line in open(f"{out}/{n}.runcpu.jsonl")]
    return 1e6 * sum(b["cpu_s"] - a["cpu_s"] for a, b in spans) / sum(p["ops"] for p in runs)
cpu_c, cpu_r = cpu_us_per_op("cold", c_r), cpu_us_per_op("ram", r_r)
print(f"mixed server CPU per op: (a) {cpu_c:.2f} us, (b) {cpu_r:.2f} us, (b)/(a) {cpu_r / cpu_c:.3f} "
      f"(the throughput ratio if the server's CPU were the bottleneck)")
if ext:
    x_r, xh_r = rounds("ext.run"), rounds("ext.hot")
    x, xh = total(x_r), total(xh_r)
    xl, xs = j("ext.coldlat"), j("ext.stats-end")
    print(f"\n(c) memcached -o ext_path (extstore): hot path {xh['ops_per_s']} ops/s "
          f"(hits {xh['hits']} / misses {xh['misses']} / bad {xh['bad']}); mixed {x['ops_per_s']} ops/s, "
          f"per round {' '.join(str(p['ops_per_s']) for p in x_r)}, "
          f"get hits / misses / bad {x['hits']} / {x['misses']} / {x['bad']} "
          f"({100.0 * x['misses'] / max(1, x['gets']):.1f}% of gets missed)")
    print(f"(c) tail-key get p50 / p99 (us) {xl['p50_us']} / {xl['p99_us']}, misses {xl['misses']} of {xl['samples']}")
    print(f"(c) stats: evictions {xs.get('evictions')}, curr_items {xs.get('curr_items')}, "
          f"get_extstore {xs.get('get_extstore')}, miss_from_extstore {xs.get('miss_from_extstore')}, "
          f"extstore_objects_used {xs.get('extstore_objects_used')}")
    cpu_x = cpu_us_per_op("ext", x_r)
    print(f"(c) mixed server CPU per op {cpu_x:.2f} us, (c)/(a) {cpu_x / cpu_c:.3f}")
    print(f"mixed 90/10 Zipf throughput ratio (a)/(c): {c['ops_per_s'] / x['ops_per_s']:.3f} "
          f"(median of per-round ratios {med([a['ops'] / b['ops'] for a, b in zip(c_r, x_r)]):.3f})")
    print(f"hot-path throughput ratio (a)/(c): {ch_['ops_per_s'] / xh['ops_per_s']:.3f}")
rt = j("restart.time")
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
print(f"restart (rebuild of {rc} cold items from LMDB, start to first answer): {rt['seconds']} s")
whole = (f["RssAnon"] - e["RssAnon"]) * 1024
print(f"RssAnon over the empty server after the full load: {whole / 1048576:.1f} MiB for {sf['curr_items']} items ({cf} cold) with -m limit")
EOF
