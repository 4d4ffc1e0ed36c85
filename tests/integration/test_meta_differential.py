"""Meta commands, byte for byte against Debian's memcached 1.6.18 (issue #3).

Meta commands ride on text connections, so the sessions reuse test_differential's runner (a
`version` sentinel ends each session). Normalised: CAS values (`c<digits>`) only.
"""

import re

import pytest

from test_differential import run_session, normalise

B64_FOO = b"Zm9v"  # base64("foo")

SESSIONS = [
    ("mn-alone", b"mn\r\n"),
    ("mg-miss", b"mg nokey v\r\n"),
    ("mg-miss-quiet-then-mn", b"mg nokey v q\r\nmn\r\n"),
    ("ms-then-mg-flags", b"ms mk 3 F5 T0\r\nabc\r\nmg mk v f s k\r\n"),
    ("ms-quiet-hd-suppressed", b"ms mk 2 q\r\nhi\r\nmg mk v q\r\nmn\r\n"),
    ("mg-opaque-and-key", b"ms mk 1\r\nx\r\nmg mk O123 k v\r\nmg nokey O9 k\r\n"),
    ("ms-modes", b"ms mk 1 MS\r\na\r\nms mk 1 ME\r\nb\r\nms mk 1 MA\r\nc\r\nms mk 1 MP\r\nd\r\n"
                 b"ms nokey 1 MR\r\ne\r\nmg mk v\r\n"),
    ("ms-invalid-mode", b"ms mk 1 MX\r\nz\r\nmn\r\n"),
    ("md-hit-miss-quiet", b"ms mk 1\r\nx\r\nmd mk\r\nmd mk\r\nmd mk q\r\nmn\r\n"),
    ("ma-incr-decr", b"ms mn1 2\r\n10\r\nma mn1\r\nma mn1 v\r\nma mn1 MD D3 v\r\nma mn1 MD D100 v\r\n"),
    ("ma-miss-and-vivify", b"ma nonum v\r\nma nonum N0 J7 v\r\nma nonum v\r\n"),
    ("ma-non-numeric", b"ms mtxt 3\r\nabc\r\nma mtxt\r\n"),
    ("mg-vivify-win-then-z", b"mg viv N30 v\r\nmg viv N30 v\r\n"),
    ("md-invalidate-then-win", b"ms stale 1 T60\r\nv\r\nmd stale I T30\r\nmg stale v\r\nmg stale v\r\n"),
    ("base64-key", b"ms " + B64_FOO + b" 3 b\r\nbar\r\nmg " + B64_FOO + b" b v k\r\nmg foo v\r\n"),
    ("base64-bad", b"mg !!!! b v\r\n"),
    ("hit-before", b"ms hb 1\r\nx\r\nmg hb h v\r\nmg hb h v\r\n"),
    ("unknown-flag", b"mg mk !\r\n"),
    ("duplicate-flag", b"mg mk v v\r\n"),
    ("bad-token", b"mg mk Nabc\r\n"),
    ("ms-bad-data-chunk", b"ms mk 2\r\nabcd\r\n"),
    ("ms-no-datalen", b"ms mk\r\n"),
    ("key-too-long", b"mg " + b"k" * 251 + b" v\r\n"),
    ("mg-no-key", b"mg\r\n"),
    ("cas-compare", b"ms cc 1\r\na\r\nms cc 1 C1\r\nb\r\nmg cc v\r\n"),
]

META_CAS_RE = re.compile(rb"(?<= )c\d+")


def normalise_meta(data):
    return META_CAS_RE.sub(b"c<cas>", normalise(data))


@pytest.mark.parametrize("payload", [p for _, p in SESSIONS], ids=[n for n, _ in SESSIONS])
def test_meta_same_bytes_as_memcached(server, reference, payload):
    # Keys are shared by the sessions: each starts with flush_all on both servers (run_session).
    ref_bytes, ref_closed = run_session(reference, payload)
    sut_bytes, sut_closed = run_session(server, payload)
    assert normalise_meta(sut_bytes) == normalise_meta(ref_bytes)
    assert sut_closed == ref_closed


def test_normalise_meta_only_touches_cas():
    assert normalise_meta(b"HD c123 f5\r\n") == b"HD c<cas> f5\r\n"
    assert normalise_meta(b"VA 1 s1\r\nc\r\n") == b"VA 1 s1\r\nc\r\n"
