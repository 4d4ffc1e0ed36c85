#!/usr/bin/python3
"""Load generator for bench/cold.sh (issue #4): Zipf-skewed 90/10 get/set over a data set larger
than RAM, cold-read latency, stats and anonymous RSS. Standard library only; every socket has a
timeout and every loop a bound. Loopback only.

Keys are "cold:NNNNNNNN" (14 bytes), values 1024..4096 bytes, the size a function of the key, so
any reply can be checked for length; the bytes name the key, so a wrong key's value is caught too.

Subcommands (JSON on stdout):
  freeport                                 a free TCP port on 127.0.0.1
  wait PORT PID SECONDS                    until the server answers `version` (fail if PID died)
  load PORT FIRST END PROCS                set keys FIRST..END-1 (PROCS processes, pipelined)
  run PORT NKEYS SECONDS PROCS DEPTH       90% get / 10% set, key ranks Zipf(s=0.99) over NKEYS;
                                           each process keeps DEPTH commands per round trip
  coldlat PORT NKEYS SAMPLES               single gets, one at a time, of distinct keys from the
                                           Zipf tail (ranks in the last half); client-side
                                           time.perf_counter per get; p50/p99
  warm PORT FIRST END PASSES               get keys FIRST..END-1 PASSES times (pipelined), so a
                                           cold server loads them into RAM; cold_reads per pass
  hotrun PORT FIRST END SECONDS PROCS DEPTH
                                           gets only, keys uniform over FIRST..END-1 (the hot
                                           path when they are resident); cold_reads during it
  stats PORT                               `stats` as a JSON object
  rssanon PID                              RssAnon and VmRSS of PID in kB
  cpu PID                                  CPU seconds PID used so far (user + system, all threads),
                                           and per thread name (cc-worker, cc-cold-writer, ...)
  settle PORT SECONDS                      until cold_writes_pending == 0 (bounded)
  prepare PORT NKEYS PROCS                 into the mixed state: load keys 0..NKEYS-1 in two
                                           halves, settle, 10 s of `run` (depth 8); quiet
"""
import bisect
import contextlib
import io
import json
import multiprocessing
import os
import random
import socket
import statistics
import sys
import time

HOST = "127.0.0.1"
BUSY = b"<busy>"  # a request shed by backpressure: counted apart, neither op nor miss
ZIPF_S = 0.99
SEED = 20240404


def key_of(i):
    return b"cold:%08d" % i


def size_of(i):
    return 1024 + (i * 2654435761) % 3073  # 1024..4096, spread


def value_of(i, version=0):
    head = b"%s/%d|" % (key_of(i), version)
    n = size_of(i)
    return (head * (n // len(head) + 1))[:n]


def intact(i, v):
    """True when `v` is exactly some version of key i's value: its size, its key, and the head
    "key/version|" repeated to the end (every byte checked, whatever version was written last)."""
    if len(v) != size_of(i) or not v.startswith(key_of(i) + b"/"):
        return False
    end = v.find(b"|")
    if end < 0:
        return False
    head = v[:end + 1]
    return v == (head * (len(v) // len(head) + 1))[:len(v)]


class Conn:
    def __init__(self, port, timeout=30.0):
        self.s = socket.create_connection((HOST, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.s.close()

    def _fill(self):
        chunk = self.s.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                out = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return out
            self._fill()

    def exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n + 2
        return out

    def get_reply(self):
        """Returns the value bytes, None on a miss, BUSY when shed. Raises on anything else."""
        head = self.line()
        if head == b"END":
            return None
        if head.startswith(b"SERVER_ERROR busy"):
            return BUSY
        parts = head.split()
        if len(parts) < 4 or parts[0] != b"VALUE":
            raise ValueError(f"unexpected get reply {head[:100]!r}")
        value = self.exact(int(parts[3]))
        end = self.line()
        if end != b"END":
            raise ValueError(f"unexpected end {end[:100]!r}")
        return value


def cmd_freeport():
    s = socket.socket()
    s.bind((HOST, 0))
    print(s.getsockname()[1])
    s.close()


def cmd_wait(port, pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(f"coldload: server {pid} died")
        try:
            c = Conn(port, timeout=2)
            c.s.sendall(b"version\r\n")
            if c.line().startswith(b"VERSION"):
                c.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"coldload: server on {port} not ready after {seconds}s")


def stats(port):
    c = Conn(port)
    c.s.sendall(b"stats\r\n")
    out = {}
    for _ in range(1000):
        line = c.line()
        if line == b"END":
            break
        parts = line.decode().split(" ", 2)
        out[parts[1]] = parts[2] if len(parts) > 2 else ""
    c.close()
    return out


def rssanon(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "VmRSS:", "RssFile:")):
                name, value = line.split(":")
                out[name] = int(value.split()[0])
    return out


def cpu_seconds(pid, task=None):
    path = f"/proc/{pid}/stat" if task is None else f"/proc/{pid}/task/{task}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "pid (comm)": state is field 3, utime 14 and stime 15 (proc(5)), so 11 and 12 here.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid):
    """CPU seconds per thread name (cc-worker, cc-cold-writer, ...), threads of a name summed."""
    out = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                name = f.read().strip()
            out[name] = out.get(name, 0.0) + cpu_seconds(pid, task)
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return out


def load_worker(args):
    port, first, end, proc, procs = args
    c = Conn(port, timeout=120)
    batch = []
    stored = 0
    for i in range(first + proc, end, procs):
        v = value_of(i)
        batch.append(b"set %s 0 0 %d\r\n%s\r\n" % (key_of(i), len(v), v))
        if len(batch) == 32 or i + procs >= end:
            for _attempt in range(1000):  # a shed batch (backpressure) is sent again, bounded
                c.s.sendall(b"".join(batch))
                shed = []
                for cmd in batch:
                    line = c.line()
                    if line.startswith(b"SERVER_ERROR busy"):
                        shed.append(cmd)
                    elif line != b"STORED":
                        raise ValueError(f"set: {line[:100]!r}")
                    else:
                        stored += 1
                if not shed:
                    break
                batch = shed
                time.sleep(0.01)
            batch = []
    c.close()
    return stored


def cmd_load(port, first, end, procs):
    t0 = time.perf_counter()
    with multiprocessing.Pool(procs) as pool:
        stored = sum(pool.map(load_worker, [(port, first, end, p, procs) for p in range(procs)]))
    seconds = time.perf_counter() - t0
    nbytes = sum(size_of(i) for i in range(first, end))
    print(json.dumps({"keys": stored, "value_bytes": nbytes, "seconds": round(seconds, 2)}))


def zipf_cum(n):
    cum = []
    total = 0.0
    for rank in range(1, n + 1):
        total += 1.0 / rank ** ZIPF_S
        cum.append(total)
    return cum


def permutation(n):
    keys = list(range(n))
    random.Random(SEED).shuffle(keys)  # rank -> key index, the same in every process
    return keys


def run_worker(args):
    port, nkeys, seconds, depth, proc, start_at = args
    rnd = random.Random(SEED + 1 + proc)
    cum = zipf_cum(nkeys)
    total = cum[-1]
    perm = permutation(nkeys)
    c = Conn(port)
    counts = {"ops": 0, "gets": 0, "sets": 0, "hits": 0, "misses": 0, "bad": 0, "busy": 0}
    version = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        ops = []
        out = []
        for _ in range(depth):
            i = perm[bisect.bisect_left(cum, rnd.random() * total)]
            if rnd.random() < 0.9:
                ops.append((0, i))
                out.append(b"get %s\r\n" % key_of(i))
            else:
                version += 1
                v = value_of(i, version)
                ops.append((1, i))
                out.append(b"set %s 0 0 %d\r\n%s\r\n" % (key_of(i), len(v), v))
        c.s.sendall(b"".join(out))
        for kind, i in ops:
            if kind == 0:
                v = c.get_reply()
                if v is BUSY:
                    counts["busy"] += 1
                    continue
                counts["gets"] += 1
                if v is None:
                    counts["misses"] += 1
                elif not intact(i, v):
                    counts["bad"] += 1
                else:
                    counts["hits"] += 1
            else:
                line = c.line()
                if line.startswith(b"SERVER_ERROR busy"):
                    counts["busy"] += 1
                    continue
                counts["sets"] += 1
                if line != b"STORED":
                    counts["bad"] += 1
            counts["ops"] += 1
    c.close()
    return counts


def cmd_run(port, nkeys, seconds, procs, depth):
    start_at = time.time() + 1.0 + 0.2 * procs  # every process built its CDF before the clock
    with multiprocessing.Pool(procs) as pool:
        parts = pool.map(run_worker,
                         [(port, nkeys, seconds, depth, p, start_at) for p in range(procs)])
    total = {k: sum(p[k] for p in parts) for k in parts[0]}
    total["seconds"] = seconds
    total["ops_per_s"] = round(total["ops"] / seconds)
    print(json.dumps(total))


def cmd_warm(port, first, end, passes):
    per_pass = []
    c = Conn(port, timeout=120)
    for _ in range(passes):
        before = int(stats(port).get("cold_reads", 0))
        misses = bad = 0
        t0 = time.perf_counter()
        for lo in range(first, end, 64):
            keys = range(lo, min(lo + 64, end))
            c.s.sendall(b"".join(b"get %s\r\n" % key_of(i) for i in keys))
            for i in keys:
                v = c.get_reply()
                if v is BUSY:
                    continue
                if v is None:
                    misses += 1
                elif not intact(i, v):
                    bad += 1
        per_pass.append({"cold_reads": int(stats(port).get("cold_reads", 0)) - before,
                         "misses": misses, "bad": bad, "seconds": round(time.perf_counter() - t0, 2)})
    c.close()
    print(json.dumps({"keys": end - first, "passes": per_pass}))


def hot_worker(args):
    port, first, end, seconds, depth, proc, start_at = args
    rnd = random.Random(SEED + 7 + proc)
    c = Conn(port)
    counts = {"ops": 0, "hits": 0, "misses": 0, "bad": 0, "busy": 0}
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        keys = [rnd.randrange(first, end) for _ in range(depth)]
        c.s.sendall(b"".join(b"get %s\r\n" % key_of(i) for i in keys))
        for i in keys:
            v = c.get_reply()
            if v is BUSY:
                counts["busy"] += 1
                continue
            if v is None:
                counts["misses"] += 1
            elif not intact(i, v):
                counts["bad"] += 1
            else:
                counts["hits"] += 1
            counts["ops"] += 1
    c.close()
    return counts


def cmd_hotrun(port, first, end, seconds, procs, depth):
    before = stats(port)
    start_at = time.time() + 0.5 + 0.1 * procs
    with multiprocessing.Pool(procs) as pool:
        parts = pool.map(hot_worker, [(port, first, end, seconds, depth, p, start_at)
                                      for p in range(procs)])
    after = stats(port)
    total = {k: sum(p[k] for p in parts) for k in parts[0]}
    total["seconds"] = seconds
    total["ops_per_s"] = round(total["ops"] / seconds)
    total["cold_reads"] = int(after.get("cold_reads", 0)) - int(before.get("cold_reads", 0))
    print(json.dumps(total))


def cmd_coldlat(port, nkeys, samples):
    perm = permutation(nkeys)
    tail = perm[nkeys // 2:]  # the least likely half of the Zipf ranks
    picks = random.Random(SEED + 99).sample(tail, min(samples, len(tail)))
    before = stats(port)
    c = Conn(port)
    lat = []
    misses = bad = 0
    for i in picks:
        t0 = time.perf_counter()
        c.s.sendall(b"get %s\r\n" % key_of(i))
        v = c.get_reply()
        lat.append(time.perf_counter() - t0)
        if v is None:
            misses += 1
        elif not intact(i, v):
            bad += 1
    c.close()
    after = stats(port)
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e6, 1)

    cold_reads = int(after.get("cold_reads", 0)) - int(before.get("cold_reads", 0))
    print(json.dumps({"samples": len(lat), "cold_reads": cold_reads, "misses": misses, "bad": bad,
                      "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99),
                      "mean_us": round(statistics.fmean(lat) * 1e6, 1)}))


def cmd_settle(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if int(stats(port).get("cold_writes_pending", 0)) == 0:
            break
        time.sleep(0.2)
    time.sleep(1.0)


def cmd_prepare(port, nkeys, procs):
    half = nkeys // 2
    with contextlib.redirect_stdout(io.StringIO()):  # the steps' own JSON lines
        cmd_load(port, 0, half, procs)
        cmd_load(port, half, nkeys, procs)
        cmd_settle(port, 30)
        cmd_run(port, nkeys, 10, procs, 8)
    print(json.dumps({"keys": nkeys}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "freeport":
        cmd_freeport()
    elif cmd == "wait":
        cmd_wait(int(args[0]), int(args[1]), float(args[2]))
    elif cmd == "load":
        cmd_load(*map(int, args))
    elif cmd == "run":
        cmd_run(int(args[0]), int(args[1]), float(args[2]), int(args[3]), int(args[4]))
    elif cmd == "warm":
        cmd_warm(*map(int, args))
    elif cmd == "hotrun":
        cmd_hotrun(int(args[0]), int(args[1]), int(args[2]), float(args[3]), int(args[4]),
                   int(args[5]))
    elif cmd == "coldlat":
        cmd_coldlat(*map(int, args))
    elif cmd == "stats":
        print(json.dumps(stats(int(args[0]))))
    elif cmd == "rssanon":
        print(json.dumps(rssanon(int(args[0]))))
    elif cmd == "cpu":
        print(json.dumps({"cpu_s": cpu_seconds(int(args[0])),
                          "threads": thread_cpu_seconds(int(args[0]))}))
    elif cmd == "prepare":
        cmd_prepare(*map(int, args))
    elif cmd == "settle":
        cmd_settle(int(args[0]), float(args[1]))
    else:
        sys.exit(f"coldload: unknown command {cmd}")


if __name__ == "__main__":
    main()
