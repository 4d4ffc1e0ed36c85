#!/usr/bin/env bash
# A/B of two corecached builds' cold tier (issue #14): both run as bench/cold.sh's (a) (-m 64,
# cold tier, 4x the memory in 1..4 KiB values), loaded alike, then measured in alternating
# rounds of the mixed Zipf 90/10 workload, so a burst of load from the machine's other tenants
# hits both. Reports ops/s (total and median of per-round ratios), the server's CPU per op
# (all threads: the steadier figure on a shared machine; and the cold writer's CPU per value written
# and the loop threads' per op, by thread name), LMDB page writes (pwrite64 counted by `perf stat`)
# per value written, and cold reads per get.
#   bench/cold_ab.sh BINARY_A BINARY_B [OUTDIR]; ENV_A / ENV_B: environment for each server;
#   COLD_A / COLD_B: more cold_tier settings for each, as YAML lines ("  high_watermark: 0.95").
# Loopback only; both servers are stopped by PID. About 4 minutes with ROUNDS=10 SLICE=5.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
A=$1
B=$2
OUTD=${3:-$(mktemp -d /tmp/corecached-cold-ab.XXXXXX)}
ROUNDS=${ROUNDS:-10}
SLICE=${SLICE:-5}
LOAD="$HERE/coldload.py"
PY=/usr/bin/python3
mkdir -p "$OUTD"
NKEYS=$(( 4 * 64 * 1024 * 1024 / 2560 ))
declare -A PID PORT DIR
stop() {
  for n in A B; do [[ -n "${PID[$n]:-}" ]] && kill -TERM "${PID[$n]}" 2>/dev/null; done
  for n in A B; do
    [[ -n "${PID[$n]:-}" ]] || continue
    for _ in $(seq 1 300); do kill -0 "${PID[$n]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PID[$n]}" 2>/dev/null || true
    rm -rf "${DIR[$n]}"
  done
}
trap stop EXIT
for n in A B; do
  bin=${!n}
  envv=ENV_$n
  coldv=COLD_$n
  printf 'cold_tier:\n  reader_threads: 2\n  inline_reads: true\n%s\n' "${!coldv:-}" >"$OUTD/$n.yaml"
  DIR[$n]=$(mktemp -d /tmp/corecached-cold-ab-lmdb.XXXXXX)
  PORT[$n]=$($PY "$LOAD" freeport)
  # shellcheck disable=SC2086  # ENV_A/ENV_B are lists of NAME=VALUE words
  env ${!envv:-} "$bin" -l 127.0.0.1 -p "${PORT[$n]}" -m 64 -t 2 --shards 2 --config "$OUTD/$n.yaml" \
    --cold-tier-path "${DIR[$n]}" 2>"$OUTD/$n.stderr" &
  PID[$n]=$!
done
for n in A B; do
  $PY "$LOAD" wait "${PORT[$n]}" "${PID[$n]}" 60
  $PY "$LOAD" prepare "${PORT[$n]}" "$NKEYS" 4 >/dev/null  # loaded, in the mixed state
  $PY "$LOAD" stats "${PORT[$n]}" >"$OUTD/$n.stats0.json"
done
perf stat -e syscalls:sys_enter_pwrite64 -p "${PID[A]}" -o "$OUTD/A.perf" & pa=$!
perf stat -e syscalls:sys_enter_pwrite64 -p "${PID[B]}" -o "$OUTD/B.perf" & pb=$!
for _ in $(seq 1 "$ROUNDS"); do
  for n in A B; do
    c0=$($PY "$LOAD" cpu "${PID[$n]}")
    $PY "$LOAD" run "${PORT[$n]}" "$NKEYS" "$SLICE" 4 8 >>"$OUTD/$n.run.jsonl"
    printf '[%s, %s]\n' "$c0" "$($PY "$LOAD" cpu "${PID[$n]}")" >>"$OUTD/$n.cpu.jsonl"
  done
done
for n in A B; do $PY "$LOAD" stats "${PORT[$n]}" >"$OUTD/$n.stats.json"; done
kill -INT $pa $pb 2>/dev/null
wait $pa $pb || true
$PY - "$OUTD" <<'PY' | tee "$OUTD/summary.txt"
import json, sys
d = sys.argv[1]
res = {}
for n in "AB":
    runs = [json.loads(line) for line in open(f"{d}/{n}.run.jsonl")]
    spans = [json.loads(line) for line in open(f"{d}/{n}.cpu.jsonl")]
    ops = sum(r["ops"] for r in runs)
    rate = ops / sum(r["seconds"] for r in runs)
    cpu = 1e6 * sum(b["cpu_s"] - a["cpu_s"] for a, b in spans) / ops
    res[n] = (runs, rate, cpu)
    s0, s = (json.load(open(f"{d}/{n}.{x}.json")) for x in ("stats0", "stats"))
    delta = lambda k: int(s[k]) - int(s0[k])
    perf = [line for line in open(f"{d}/{n}.perf") if "pwrite64" in line]
    pwrites = int(perf[0].split()[0].replace(",", "")) if perf else -1
    written = delta("cold_evictions_to_disk") - delta("cold_clean_demotions")
    # The cold writer's own CPU (thread cc-cold-writer) per value written, the loop threads'
    # (cc-worker) per op: steadier than the whole process's on a shared box.
    per_thread = lambda name: sum(b["threads"].get(name, 0) - a["threads"].get(name, 0)
                                  for a, b in spans)
    writer_us = 1e6 * per_thread("cc-cold-writer") / max(1, written)
    worker_us = 1e6 * per_thread("cc-worker") / ops
    print(f"{n}: ops/s {rate:.0f}, server CPU per op {cpu:.2f} us, per round "
          f"{' '.join(str(r['ops_per_s']) for r in runs)}; cold reads {delta('cold_reads')} of "
          f"{delta('cmd_get')} gets ({100 * delta('cold_reads') / max(1, delta('cmd_get')):.1f} %), "
          f"promotions {delta('cold_promotions')}, values written {written}, pwrite64 {pwrites} "
          f"({pwrites / max(1, written):.1f} per value written), writer CPU per value written "
          f"{writer_us:.1f} us, loop threads' CPU per op {worker_us:.2f} us, misses "
          f"{sum(r['misses'] for r in runs)}, wrong values {sum(r['bad'] for r in runs)}")
ratios = sorted(b["ops"] / a["ops"] for a, b in zip(res["A"][0], res["B"][0]))
print(f"B/A ops/s: total {res['B'][1] / res['A'][1]:.3f}, median of rounds "
      f"{ratios[len(ratios) // 2]:.3f}; CPU per op A/B {res['A'][2] / res['B'][2]:.3f}")
PY
