"""Issue #14, clean demotion: an item read back from the cold tier (promoted), pushed out again
without a change (no write: `cold_clean_demotions`), then hit by any command, returns memcached's
bytes; so does every read after the changed items are pushed out again (written) and after a
restart."""

import os
import re
import tempfile

import pytest

from conftest import running_server, server_binary
from helpers import call

pytestmark = pytest.mark.skipif(
    os.path.basename(server_binary()).startswith("memcached"), reason="corecached only")

MEMORY_MB = 8
FILL_MB = 24  # 3x the memory limit: every item in RAM goes to the tier
FILL_VALUE = 10_000

# key, initial value, flags, then the commands (with `{k}` for the key) sent to both servers.
# One key per command family, so each command meets an item just demoted clean.
CASES = [
    ("get", b"plain value", 1, [b"get {k}\r\n", b"gets {k}\r\n"]),
    ("gat", b"gat value", 2, [b"gat 1000 {k}\r\n", b"gats 1000 {k}\r\n"]),
    ("touch", b"touch value", 3, [b"touch {k} 1000\r\n", b"get {k}\r\n"]),
    ("incr", b"41", 4, [b"incr {k} 5\r\n", b"get {k}\r\n"]),
    ("decr", b"100", 5, [b"decr {k} 1\r\n", b"get {k}\r\n"]),
    ("grow", b"99", 6, [b"incr {k} 1\r\n", b"get {k}\r\n"]),
    ("append", b"mid", 7, [b"append {k} 0 0 1\r\n>\r\n", b"prepend {k} 0 0 1\r\n<\r\n",
                           b"get {k}\r\n"]),
    ("set", b"old", 8, [b"set {k} 9 0 3\r\nnew\r\n", b"get {k}\r\n"]),
    ("add", b"kept", 9, [b"add {k} 0 0 1\r\nx\r\n", b"replace {k} 10 0 2\r\nrr\r\n",
                         b"get {k}\r\n"]),
    ("cas", b"casme", 11, [b"CAS {k} 12 0 3\r\nyes\r\n", b"gets {k}\r\n"]),
    ("delete", b"gone", 13, [b"delete {k}\r\n", b"get {k}\r\n"]),
    ("mg", b"meta value", 14, [b"mg {k} v f t s c k\r\n", b"mg {k} T500 v\r\n", b"mg {k} v f\r\n"]),
    ("ms", b"ms old", 15, [b"ms {k} 6 F16\r\nms new\r\n", b"mg {k} v f\r\n"]),
    ("md", b"md value", 17, [b"md {k} I\r\n", b"mg {k} v f c\r\n", b"get {k}\r\n"]),
    ("ma", b"7", 18, [b"ma {k} D3 v\r\n", b"ma {k} MD v\r\n", b"get {k}\r\n"]),
]

CAS_IN_VALUE = re.compile(rb"^(VALUE \S+ \d+ \d+) \d+\r\n", re.M)
CAS_IN_META = re.compile(rb"(?<= )c\d+")


def masked(reply):
    """CAS values differ between servers: compare their shape only."""
    return CAS_IN_META.sub(b"c#", CAS_IN_VALUE.sub(rb"\1 #\r\n", reply))


def own_cas(sock, key):
    reply = call(sock, b"gets " + key + b"\r\n")
    return reply.split(b"\r\n", 1)[0].split(b" ")[4]


def send(sock, template, key):
    data = template.replace(b"{k}", key)
    if data.startswith(b"CAS "):  # a cas with this server's own CAS value
        head, body = data[4:].split(b"\r\n", 1)
        data = b"cas " + head + b" " + own_cas(sock, key) + b"\r\n" + body
    return call(sock, data)


def key_of(name):
    return b"clean:" + name.encode()


def fill(client, prefix):
    value = b"f" * FILL_VALUE
    for i in range(FILL_MB * 1024 * 1024 // FILL_VALUE):
        assert client.set(f"{prefix}:{i}", value)


def stat(client, name):
    return int(client.stats()[name.encode()])


def check_all_keys(sock, ref):
    for name, *_ in CASES:
        request = b"get " + key_of(name) + b"\r\n"
        assert call(sock, request) == call(ref, request), name


def test_issue_14_every_command_on_an_item_demoted_clean_returns_memcached_bytes(reference):
    with tempfile.TemporaryDirectory() as d:
        ref = reference.connect()
        with running_server(server_binary(), "-m", MEMORY_MB, "--cold-tier-path", d) as srv:
            client = srv.client()
            sock = srv.connect()
            for name, value, flags, _ in CASES:
                for s in (sock, ref):
                    head = b"set %s %d 0 %d\r\n" % (key_of(name), flags, len(value))
                    assert call(s, head + value + b"\r\n") == b"STORED\r\n"
            fill(client, "fill1")
            assert stat(client, "cold_items") >= len(CASES)
            promotions = stat(client, "cold_promotions")
            for name, value, flags, _ in CASES:  # the second read promotes (admission)
                for _ in range(2):
                    assert call(sock, b"get " + key_of(name) + b"\r\n") == \
                        b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key_of(name), flags, len(value), value)
            promoted = stat(client, "cold_promotions") - promotions
            assert promoted == len(CASES)
            clean = stat(client, "cold_clean_demotions")
            to_disk = stat(client, "cold_evictions_to_disk")
            fill(client, "fill2")
            assert stat(client, "cold_clean_demotions") - clean == promoted
            assert stat(client, "cold_evictions_to_disk") - to_disk > promoted  # fill2 is written
            for name, _, _, commands in CASES:
                for template in commands:
                    got, want = send(sock, template, key_of(name)), send(ref, template, key_of(name))
                    assert masked(got) == masked(want), (name, template)
            fill(client, "fill3")  # changed items are written, unchanged ones go back clean
            check_all_keys(sock, ref)
            assert stat(client, "evictions") == 0
            assert stat(client, "cold_disk_errors") == 0
        with running_server(server_binary(), "-m", MEMORY_MB, "--cold-tier-path", d) as again:
            check_all_keys(again.connect(), ref)
