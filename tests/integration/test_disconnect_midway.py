"""A client that disconnects mid-value or mid-pipeline leaves nothing half-stored (issue #6).

test_slow_client.py and test_malicious_commands.py cover one half-sent text `set` (FIN and RST).
Here every protocol and every kind of write is cut: the complete requests before the cut take
effect, the cut one has no effect at all (no item, no truncated value, no partial append, no
counter change), and an existing item survives a cut overwrite. Each scenario runs against the
server under test and Debian's memcached (the oracle) and the resulting items must be identical.
Run time ~2 s.
"""

import socket
import struct
import time

import pytest

from helpers import SANITIZED, call, stats, store


def binary(op, key=b"", extras=b"", value=b"", opaque=0):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0, len(body), opaque,
                       0) + body


def bset(key, value, quiet=True):
    return binary(0x11 if quiet else 0x01, key, struct.pack(">II", 0, 0), value)


# (name, keys stored beforehand {key: value}, bytes sent before the cut, keys to read afterwards)
SCENARIOS = [
    ("text-set-mid-value", {}, b"set {p}a 0 0 1\r\n1\r\nset {p}b 0 0 1\r\n2\r\n"
                               b"set {p}c 0 0 10\r\nhalf", ["a", "b", "c"]),
    ("text-set-mid-line", {}, b"set {p}a 0 0 1\r\n1\r\nset {p}c 0 0", ["a", "c"]),
    ("text-set-value-without-crlf", {}, b"set {p}c 0 0 4\r\nfull", ["c"]),
    ("text-overwrite-cut", {"a": b"orig"}, b"set {p}a 0 0 10\r\nnew", ["a"]),
    ("text-append-cut", {"a": b"orig"}, b"append {p}a 0 0 10\r\nabc", ["a"]),
    ("text-prepend-cut", {"a": b"orig"}, b"prepend {p}a 0 0 10\r\nabc", ["a"]),
    ("text-cas-cut", {"a": b"orig"}, b"gets {p}a\r\ncas {p}a 0 0 8 1\r\nnewv", ["a"]),
    ("text-incr-line-cut", {"n": b"5"}, b"incr {p}n 7", ["n"]),
    ("text-pipeline-get-then-cut", {"a": b"orig"},
     b"get {p}a\r\nget {p}a\r\nset {p}b 0 0 1\r\nb\r\ndelete {p}a\r\nset {p}c 0 0 9\r\nxx",
     ["a", "b", "c"]),
    ("meta-ms-mid-value", {}, b"ms {p}a 1\r\n1\r\nms {p}c 10 T0\r\nhalf", ["a", "c"]),
    ("meta-ms-append-cut", {"a": b"orig"}, b"ms {p}a 10 MA\r\nabc", ["a"]),
    ("meta-ma-line-cut", {"n": b"5"}, b"ma {p}n D3", ["n"]),
    ("binary-set-mid-value", {}, "BIN", ["a", "b", "c"]),
    ("binary-header-cut", {"a": b"orig"}, "BINHDR", ["a"]),
]


# Scenarios where memcached's result depends on timing: the pipeline's replies (see the test), and
# quiet binary sets before a cut packet, of which memcached 1.6.18 under load was seen to keep the
# second and drop the first (once in four loaded runs). Checked key by key instead.
RACY = {"text-pipeline-get-then-cut", "binary-set-mid-value"}


def payload(name, raw, prefix):
    p = prefix.encode()
    if raw == "BIN":
        cut = bset(p + b"c", b"x" * 100)[:-50]
        return bset(p + b"a", b"1") + bset(p + b"b", b"2") + cut
    if raw == "BINHDR":
        return bset(p + b"a", b"new")[:10]
    return raw.replace(b"{p}", p)


def run(srv, name, before, raw, keys, prefix, reset):
    with srv.connect() as s:
        for k, v in before.items():
            store(s, prefix + k, v)
    with srv.connect() as s:
        st = stats(s)
        open_before, total_before = int(st["curr_connections"]), int(st["total_connections"])
    s = srv.connect()
    s.sendall(payload(name, raw, prefix))
    if reset:
        time.sleep(0.05)  # let the complete requests arrive before the RST discards the rest
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    with srv.connect() as s:
        # The server has executed what was complete once it has accepted (total_connections
        # counts it and this one) and closed the cut connection.
        deadline = time.monotonic() + 5
        while True:
            st = stats(s)
            if int(st["total_connections"]) >= total_before + 2 and \
                    int(st["curr_connections"]) <= open_before:
                break
            assert time.monotonic() < deadline, f"{name}: cut connection still open after 5 s"
            time.sleep(0.01)
        got = {}
        for k in keys:
            reply = call(s, f"get {prefix}{k}\r\n".encode())
            got[k] = reply
        # The cut connection must not have left a half-stored item readable by binary or meta.
        for k in keys:
            meta = call(s, f"mg {prefix}{k} v\r\n".encode(),
                        until=lambda b: b.endswith(b"EN\r\n") or b.count(b"\r\n") == 2)
            got[k + "/meta"] = meta
    return got


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
@pytest.mark.parametrize("name,before,raw,keys", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_cut_leaves_nothing_half_stored(server, reference, name, before, raw, keys, reset):
    prefix = f"cut-{name}-{'rst' if reset else 'fin'}-"
    ours = run(server, name, before, raw, keys, prefix, reset)
    exact = not (name in RACY or reset or SANITIZED)
    # memcached itself is timing-dependent even for a FIN cut: on a loaded machine it was seen to
    # keep neither complete set of text-set-mid-value (CI, 2026-12-03). So the oracle gets up to
    # three runs (fresh key prefixes, normalised back) to produce corecached's result, which must
    # then be one that memcached produces.
    for attempt in range(3 if exact else 1):
        fresh = prefix if attempt == 0 else f"{prefix}again{attempt}-"
        got = run(reference, name, before, raw, keys, fresh, reset)
        theirs = {k: v.replace(fresh.encode(), prefix.encode()) for k, v in got.items()}
        if theirs == ours:
            break
    p = prefix.encode()

    def item(k, v):
        return b"VALUE %s%s 0 %d\r\n%s\r\nEND\r\n" % (p, k.encode(), len(v), v)

    if name in RACY or reset or SANITIZED:
        # Replies due before the cut (RACY) make the client's close answer with an RST, and
        # memcached drops the rest of the pipeline when its next write fails; an RST (reset)
        # discards whatever the server had not read yet. Either way each complete request applies
        # whole or not at all, and the cut one not at all: checked key by key, not against the
        # oracle's timing. Under a sanitizer (SANITIZED) corecached is slow enough that a loaded
        # shard may shed a complete request (SERVER_ERROR busy, unseen by the departed client).
        for k in keys:
            allowed = {b"END\r\n"}
            if k in before:
                allowed = {item(k, before[k])} | (allowed if name in RACY else set())
            elif k != keys[-1] or name in RACY:
                allowed |= {item(k, v) for v in (b"1", b"2", b"b")}  # a complete set
            assert ours[k] in allowed, (k, ours[k])
            assert theirs[k] in allowed, ("memcached", k, theirs[k])
        return
    assert ours == theirs
    # Independently of the oracle: the cut request left no trace.
    if keys[-1] not in before:
        assert ours[keys[-1]] == b"END\r\n", ours
    for k, v in before.items():
        assert ours[k] == item(k, v), (k, ours[k])
