#!/usr/bin/python3
"""Helpers for bench/run.sh: ports, readiness, bulk load, RSS, idle connections, summary.

Standard library only (Debian's /usr/bin/python3). Every socket has a timeout and every
loop a bound. Subcommands:

  freeport                         print a free TCP port on 127.0.0.1
  wait PORT PID SECONDS            wait until the server answers `version`; fail early if PID died
  smoke PORT                       set/get round trip, exit 1 on a wrong answer
  probe-binary PORT                exit 0 if the server answers a binary-protocol NOOP/VERSION
  stats PORT [NAME...]             print `stats` (or only the NAMEs) as JSON
  rss PID                          print VmRSS of PID in kB
  load PORT N VSIZE SOCKETS        pipeline N `set kNNNNNNNNN 0 0 VSIZE noreply`, then one
                                   `get` per socket; print JSON {items, seconds, curr_items}
  idle PORT N READYFILE MAXSECS    open N connections, one `version` round trip on each,
                                   write READYFILE, hold them until SIGTERM or MAXSECS
  summary TSV RSS_TSV JSON_OUT     medians, ratios, Markdown table
"""
import json
import os
import signal
import socket
import statistics
import sys
import threading
import time

HOST = "127.0.0.1"


def die(msg, code=1):
    print(f"mchelper: {msg}", file=sys.stderr)
    sys.exit(code)


def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until(sock, terminator, limit=1 << 20):
    buf = b""
    while not buf.endswith(terminator):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed, got {buf[:200]!r}")
        buf += chunk
        if len(buf) > limit:
            raise ValueError(f"reply longer than {limit} bytes: {buf[:200]!r}")
    return buf


def cmd_freeport():
    s = socket.socket()
    s.bind((HOST, 0))
    print(s.getsockname()[1])
    s.close()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def cmd_wait(port, pid, seconds):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            die(f"server pid {pid} exited before answering on port {port}")
        try:
            with connect(port, timeout=1.0) as s:
                s.sendall(b"version\r\n")
                reply = read_until(s, b"\r\n", 4096)
                if reply.startswith(b"VERSION"):
                    return
                last = reply
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.05)
    die(f"server on port {port} did not answer `version` within {seconds}s (last: {last!r})")


def cmd_smoke(port):
    with connect(port) as s:
        s.sendall(b"set benchsmoke 0 0 1\r\nv\r\nget benchsmoke\r\n")
        reply = read_until(s, b"END\r\n", 4096)
    want = b"STORED\r\nVALUE benchsmoke 0 1\r\nv\r\nEND\r\n"
    if reply != want:
        die(f"smoke test on port {port}: got {reply!r}, want {want!r}")


def cmd_probe_binary(port):
    # Binary protocol VERSION request (opcode 0x0b), opaque 0x1234abcd.
    req = bytes([0x80, 0x0B, 0, 0, 0, 0, 0, 0]) + (0).to_bytes(4, "big") \
        + (0x1234ABCD).to_bytes(4, "big") + bytes(8)
    try:
        with connect(port, timeout=3.0) as s:
            s.sendall(req)
            hdr = b""
            while len(hdr) < 24:
                chunk = s.recv(24 - len(hdr))
                if not chunk:
                    break
                hdr += chunk
    except OSError as e:
        print(f"binary probe: {e}", file=sys.stderr)
        sys.exit(1)
    ok = len(hdr) == 24 and hdr[0] == 0x81 and hdr[1] == 0x0B \
        and int.from_bytes(hdr[6:8], "big") == 0 and hdr[12:16] == req[12:16]
    if not ok:
        print(f"binary probe: reply {hdr[:24]!r}", file=sys.stderr)
        sys.exit(1)


def get_stats(port):
    with connect(port) as s:
        s.sendall(b"stats\r\n")
        reply = read_until(s, b"END\r\n")
    out = {}
    for line in reply.decode("ascii", "replace").split("\r\n"):
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "STAT":
            out[parts[1]] = parts[2]
    return out


def cmd_stats(port, names):
    st = get_stats(port)
    if names:
        st = {k: st.get(k) for k in names}
    print(json.dumps(st))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    die(f"no VmRSS for pid {pid}")


def cmd_load(port, n, vsize, nsock):
    value = b"x" * vsize
    batch = 5000
    errors = []

    def worker(idx):
        try:
            with connect(port, timeout=120.0) as s:
                last = None
                for start in range(idx * batch, n, batch * nsock):
                    end = min(start + batch, n)
                    s.sendall(b"".join(
                        b"set k%09d 0 0 %d noreply\r\n%s\r\n" % (i, vsize, value)
                        for i in range(start, end)))
                    last = end - 1
                if last is None:
                    return
                key = b"k%09d" % last
                s.sendall(b"get " + key + b"\r\n")
                reply = read_until(s, b"END\r\n", 1 << 16)
                want = b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, vsize, value)
                if reply != want:
                    errors.append(f"socket {idx}: final get of {key!r} returned {reply[:200]!r}")
        except Exception as e:  # reported below, the thread must not die silently
            errors.append(f"socket {idx}: {e!r}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(nsock)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    secs = time.monotonic() - t0
    if any(t.is_alive() for t in threads):
        die("load: a loader thread did not finish within 300 s")
    if errors:
        die("load: " + "; ".join(errors))
    curr = int(get_stats(port).get("curr_items", "0"))
    print(json.dumps({"items": n, "seconds": round(secs, 2), "curr_items": curr}))


def cmd_idle(port, n, readyfile, maxsecs):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    socks = []
    try:
        for i in range(n):
            s = connect(port, timeout=10.0)
            socks.append(s)
            s.sendall(b"version\r\n")
            reply = read_until(s, b"\r\n", 4096)
            if not reply.startswith(b"VERSION"):
                die(f"idle: connection {i} got {reply!r}")
        with open(readyfile + ".tmp", "w") as f:
            f.write(f"{len(socks)}\n")
        os.rename(readyfile + ".tmp", readyfile)
        stop.wait(maxsecs)
        # Prove the idle connections still work afterwards (a sample of them).
        dead = 0
        for s in socks[:: max(1, len(socks) // 50)]:
            try:
                s.sendall(b"version\r\n")
                if not read_until(s, b"\r\n", 4096).startswith(b"VERSION"):
                    dead += 1
            except OSError:
                dead += 1
        if dead:
            die(f"idle: {dead} sampled idle connections no longer answer")
    finally:
        for s in socks:
            s.close()


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def cmd_summary(tsv, rss_tsv, json_out):
    # tsv: workload \t server \t round \t ops \t note
    runs = {}
    notes = {}
    order = []
    if os.path.exists(tsv):
        with open(tsv) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 4:
                    continue
                wl, srv, rnd, ops = parts[:4]
                note = parts[4] if len(parts) > 4 else ""
                if wl not in order:
                    order.append(wl)
                if ops == "skip":
                    notes.setdefault(wl, set()).add(f"{srv}: {note}")
                    continue
                if ops == "fail":
                    notes.setdefault(wl, set()).add(f"{srv} round {rnd} failed: {note}")
                    continue
                runs.setdefault(wl, {}).setdefault(srv, []).append(float(ops))
                if note:
                    notes.setdefault(wl, set()).add(note)
    rss = {}
    if rss_tsv and os.path.exists(rss_tsv):
        with open(rss_tsv) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    rss.setdefault(parts[0], {})[parts[1]] = json.loads(parts[2])

    summary = {"workloads": [], "rss": rss, "meta": json.loads(os.environ.get("BENCH_META", "{}"))}
    lines = ["| workload | corecached ops/s (median) | memcached ops/s (median) | ratio cc/mc | runs cc | runs mc |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for wl in order:
        r = runs.get(wl, {})
        cc, mc = r.get("corecached", []), r.get("memcached", [])
        mcc = statistics.median(cc) if cc else None
        mmc = statistics.median(mc) if mc else None
        ratio = mcc / mmc if (mcc is not None and mmc) else None
        summary["workloads"].append({"workload": wl, "corecached": cc, "memcached": mc,
                                     "median_corecached": mcc, "median_memcached": mmc,
                                     "ratio": ratio, "notes": sorted(notes.get(wl, []))})
        note = "; ".join(sorted(notes.get(wl, [])))
        lines.append(f"| {wl}{' (' + note + ')' if note else ''} | {fmt(mcc)} | {fmt(mmc)} | "
                     f"{fmt(ratio, 2)} | {', '.join(fmt(x) for x in cc)} | {', '.join(fmt(x) for x in mc)} |")

    for kind, title, unit in (("items", "RSS per item", "bytes/item"),
                              ("idle", "RSS per idle connection", "bytes/conn")):
        if kind not in rss:
            continue
        cc, mc = rss[kind].get("corecached"), rss[kind].get("memcached")
        lines.append("")
        lines.append(f"| {title} | corecached | memcached | ratio cc/mc |")
        lines.append("| --- | ---: | ---: | ---: |")
        pc = cc.get("per") if cc else None
        pm = mc.get("per") if mc else None
        ratio = pc / pm if (pc is not None and pm) else None
        lines.append(f"| {unit} | {fmt(pc, 1)} | {fmt(pm, 1)} | {fmt(ratio, 2)} |")
        for label, key in (("count", "count"), ("RSS before (kB)", "rss_before_kb"),
                           ("RSS after (kB)", "rss_after_kb")):
            lines.append(f"| {label} | {fmt(cc.get(key)) if cc else 'n/a'} | "
                         f"{fmt(mc.get(key)) if mc else 'n/a'} | |")
    with open(json_out, "w") as f:
        json.dump(summary, f, indent=2)
    print("\n".join(lines))


def main(argv):
    if len(argv) < 2:
        die(__doc__.strip(), 2)
    cmd, args = argv[1], argv[2:]
    if cmd == "freeport":
        cmd_freeport()
    elif cmd == "wait":
        cmd_wait(int(args[0]), int(args[1]), float(args[2]))
    elif cmd == "smoke":
        cmd_smoke(int(args[0]))
    elif cmd == "probe-binary":
        cmd_probe_binary(int(args[0]))
    elif cmd == "stats":
        cmd_stats(int(args[0]), args[1:])
    elif cmd == "rss":
        print(rss_kb(int(args[0])))
    elif cmd == "load":
        cmd_load(int(args[0]), int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "idle":
        cmd_idle(int(args[0]), int(args[1]), args[2], float(args[3]))
    elif cmd == "summary":
        cmd_summary(args[0], args[1], args[2])
    else:
        die(f"unknown subcommand {cmd}", 2)


if __name__ == "__main__":
    main(sys.argv)
