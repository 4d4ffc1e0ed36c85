#!/usr/bin/python3
"""Summary of bench/overload.sh: medians over repeats, one Markdown table per server and one
side-by-side table. Usage: overload_report.py STEPS_JSONL META_JSON"""
import json
import statistics
import sys


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None and r[key] >= 0]
    return statistics.median(vals) if vals else None


def fmt(v, kind="int"):
    if v is None:
        return "-"
    if kind == "ms":
        return f"{v:,.2f}" if v < 10 else f"{v:,.0f}"
    return f"{v:,.0f}"


def main():
    steps = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    meta = json.loads(sys.argv[2])
    servers = list(dict.fromkeys(s["server"] for s in steps))
    keys = list(dict.fromkeys((s["phase"], s.get("offered", 0)) for s in steps))
    group = {}
    for s in steps:
        group.setdefault((s["server"], s["phase"], s.get("offered", 0)), []).append(s)

    print(f"### {meta['date'][:10]} git {meta['git']}, {meta['cores']} cores, "
          f"load average {meta['loadavg_start']} at start, {meta['loadavg_end']} at end")
    print()
    print(f"Command: `{meta['command']}` ({meta['elapsed_s']} s). Servers `-t {meta['threads']}` "
          f"(corecached also `--shards {meta['shards']}`), `-m 1024 -c 4096`; corecached-tight adds "
          f"`--config` with backpressure {meta['tight']}. Generator: {meta['conns']} connections, "
          f"{meta['gen_threads']} thread(s), window {meta['window']} requests per connection, "
          f"{meta['keys']} keys preloaded, {meta['vsize']} B values, set ratio {meta['set_ratio']}; "
          f"{meta['step_s']} s per step + up to {meta['grace_s']} s to drain; "
          f"medians of {meta['repeats']} repeat(s).")
    print()
    dead = [s for s in steps if s.get("server_died") or s.get("gen_failed")]
    for s in dead:
        print(f"**{s['server']} rep {s['rep']} offered {s.get('offered')}: "
              f"{'SERVER DIED' if s.get('server_died') else 'generator failed'}**")
    print("| offered/s | " + " | ".join(f"{sv} goodput/s" for sv in servers) + " | "
          + " | ".join(f"{sv} p99 ms" for sv in servers) + " |")
    print("| --- |" + " ---: |" * (2 * len(servers)))
    for phase, off in keys:
        label = f"{off:,}" + (" (recovery)" if phase == "recovery" else "")
        cells = []
        for metric, kind in (("goodput", "int"), ("p99_ms", "ms")):
            for sv in servers:
                cells.append(fmt(med(group.get((sv, phase, off), []), metric), kind))
        print(f"| {label} | " + " | ".join(cells) + " |")
    for sv in servers:
        print()
        print(f"**{sv}**")
        print()
        print("| offered/s | goodput/s | shed/s | other err/s | unsent/s (window full) | unanswered "
              "| p50 ms | p99 ms | p99.9 ms | shed reply p99 ms | retry hint p50 (max) ms "
              "| sheds counted: generator / server stat | RSS MB | gen CPU % | load avg |")
        print("| --- |" + " ---: |" * 14)
        for phase, off in keys:
            rows = group.get((sv, phase, off), [])
            if not rows:
                continue
            dur = rows[0].get("duration") or 1
            for r in rows:
                r["unsent_rate"] = r.get("unsent", 0) / dur
                r["unanswered"] = r.get("timeouts", 0) + r.get("conn_errors", 0)
                r["gen_cpu_pct"] = 100 * r.get("gen_cpu_s", 0) / (r.get("gen_wall_s") or 1)
                r["rss_mb"] = r.get("rss_kb", 0) / 1024
            hint = med(rows, "hint_p50_ms")
            hmax = max((r.get("hint_max_ms", -1) for r in rows), default=-1)
            label = f"{off:,}" + (" (recovery)" if phase == "recovery" else "")
            shed_stat = med([r for r in rows if r.get("server_shed_stat") is not None], "server_shed_stat")
            print(f"| {label} | {fmt(med(rows, 'goodput'))} | {fmt(med(rows, 'shed_rate'))} "
                  f"| {fmt(med(rows, 'err_rate'))} | {fmt(med(rows, 'unsent_rate'))} "
                  f"| {fmt(med(rows, 'unanswered'))} | {fmt(med(rows, 'p50_ms'), 'ms')} "
                  f"| {fmt(med(rows, 'p99_ms'), 'ms')} | {fmt(med(rows, 'p999_ms'), 'ms')} "
                  f"| {fmt(med(rows, 'shed_p99_ms'), 'ms')} "
                  f"| {fmt(hint)}{'' if hmax < 0 else f' ({hmax:,.0f})'} "
                  f"| {fmt(med(rows, 'shed'))} / {fmt(shed_stat)} | {fmt(med(rows, 'rss_mb'))} "
                  f"| {fmt(med(rows, 'gen_cpu_pct'))} | {med(rows, 'loadavg1'):.2f} |")
    errs = sorted({s.get("first_error") for s in steps if s.get("first_error")})
    if errs:
        print()
        print("First error reply or connection error seen (per step, deduplicated): "
              + "; ".join(f"`{e}`" for e in errs))


if __name__ == "__main__":
    main()
