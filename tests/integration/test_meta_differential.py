"""Meta commands, byte for byte against Debian's memcached 1.6.18 (issue #3).

Meta commands ride on text connections, so the sessions reuse test_differential's runner (a
`version` sentinel ends each session). Normalised: CAS values (`c<digits>`), remaining TTLs
(`t<digits>`, which may differ by 1 across a second boundary: compared with that tolerance) and
last-access times (`l<digits>`). `me` lines are compared by shape (test_me_shape): corecached has no
slab classes (cls=1 always) and rebuilds memcached's item size, as its man page says.
"""

import base64
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

B64_NUM = b"bnVt"  # base64("num")
B64_180 = base64.b64encode(b"z" * 180)  # 240 characters
B64_250 = base64.b64encode(b"z" * 250)  # 336 characters: too long before decoding
OPAQUE_32 = b"O" + b"x" * 31
OPAQUE_33 = b"O" + b"x" * 32

SESSIONS += [
    # -- mg: every return flag on a hit and on a miss
    ("mg-all-flags-hit", b"ms mk 3 F7 T100\r\nabc\r\nmg mk s v f t c k O55 h l\r\n"
                         b"mg mk s v f t c k O56 h l\r\n"),
    ("mg-all-flags-miss", b"mg nokey s v f t c k O55 h l\r\nmg nokey k O1 q\r\nmn\r\n"),
    ("mg-no-flags-hit", b"ms mk 1\r\nx\r\nmg mk\r\nmg mk q\r\nmn\r\n"),
    ("mg-ttl-none", b"ms mk 1\r\nx\r\nmg mk t\r\nms mk 1 T0\r\nx\r\nmg mk t v\r\n"),
    ("mg-touch-T", b"ms mk 1 T100\r\nx\r\nmg mk T30 t v\r\nmg mk t\r\nmg mk T0 t\r\n"),
    ("mg-u-no-bump", b"ms mk 1\r\nx\r\nmg mk u v h\r\nmg mk h\r\n"),
    ("mg-E-not-in-1.6.18", b"ms mk 1\r\nx\r\nmg mk E99 c v\r\n"),
    ("mg-opaque-lengths", b"mg nokey " + OPAQUE_32 + b"\r\nmg nokey " + OPAQUE_33 + b"\r\n"),
    ("mg-P-L-hints", b"ms mk 1\r\nx\r\nmg mk v Pfoo Lbar\r\n"),
    # -- stale / win / recache flows
    ("mg-vivify-flags", b"mg viv N30 t s c v k\r\nmg viv N30 t s v\r\nms viv 2\r\nok\r\nmg viv v\r\n"),
    ("mg-vivify-quiet", b"mg viv N30 q v\r\nmg viv N30 q v\r\nmn\r\n"),
    ("mg-recache-R", b"ms rc 1 T100\r\nx\r\nmg rc R200 v t\r\nmg rc R200 v t\r\nmg rc R50 v\r\n"),
    ("mg-recache-no-ttl", b"ms rc 1\r\nx\r\nmg rc R30 v\r\n"),
    ("md-invalidate-flow", b"ms st 3 T100\r\nold\r\nmd st I T30\r\nmg st v c t\r\nmg st v t\r\n"
                           b"ms st 3\r\nnew\r\nmg st v\r\n"),
    ("ms-invalidate-older-cas", b"ms st 1\r\na\r\nmd st I\r\nms st 1 I C1\r\nb\r\nmg st v\r\n"
                                b"ms st 1 I C1\r\nc\r\n"),
    ("ms-I-not-stale", b"ms st 1\r\na\r\nms st 1 I C1\r\nb\r\nmg st v\r\n"),
    ("md-invalidate-miss", b"md nokey I T30\r\nmd nokey I q\r\nmn\r\n"),
    # -- ms: flags, modes, CAS
    ("ms-return-flags", b"ms mk 2 c k O9\r\nhi\r\nms mk 2 T60 F3 k\r\nhi\r\nmg mk f t v\r\n"),
    # E (explicit CAS) came after 1.6.18: memcached 1.6.18 answers "invalid flag"
    ("ms-explicit-cas-E", b"ms mk 1 E12345\r\na\r\nmg mk v\r\nms mk 1 C12345 E777\r\nb\r\n"
                          b"ms mk 1 C12345\r\nc\r\nmg mk v\r\n"),
    ("ms-mode-lowercase-invalid", b"ms mk 1 Ms\r\na\r\nms mk 1 Ma\r\nb\r\nms mk 1 Mp\r\nc\r\nms mk 1 Mr\r\nd\r\n"
                          b"ms mk 1 Me\r\ne\r\nmg mk v\r\n"),
    ("ms-append-miss-and-vivify", b"ms nokey 1 MA\r\nx\r\nms nokey 1 MA N30\r\nx\r\nmg nokey v\r\n"),
    ("ms-cas-miss", b"ms nokey 1 C5\r\nx\r\nms nokey 1 C5 q\r\nx\r\nmn\r\n"),
    ("ms-quiet-errors-shown", b"ms mk 1 ME q\r\nx\r\nms mk 1 ME q\r\ny\r\nms mk 1 C1 q\r\nz\r\nmn\r\n"),
    ("ms-zero-length", b"ms mk 0\r\n\r\nmg mk v s\r\n"),
    ("ms-bad-datalen", b"ms mk abc\r\nmg mk v\r\n"),
    ("ms-negative-datalen", b"ms mk -1\r\n"),
    ("ms-too-large", b"ms mk 2000000\r\n" + b"x" * 2000000 + b"\r\nmg mk v\r\n"),
    ("ms-key-too-long", b"ms " + b"k" * 251 + b" 1\r\nx\r\n"),
    ("ms-bad-flag-value", b"ms mk 1 Fabc\r\nx\r\nms mk 1 Tabc\r\nx\r\nms mk 1 Cabc\r\nx\r\n"),
    # -- md
    ("md-flags", b"ms mk 1\r\nx\r\nmd mk k O7\r\nms mk 1\r\nx\r\nmd mk C1\r\nmd mk k O8\r\n"),
    ("md-quiet-mn", b"ms mk 1\r\nx\r\nmd mk q\r\nmd mk q\r\nmd mk q O3\r\nmn\r\n"),
    ("md-x-not-in-1.6.18", b"ms mk 3 F9\r\nabc\r\nmd mk x\r\nmg mk v f s\r\n"),
    ("md-T-without-I", b"ms mk 1\r\nx\r\nmd mk T30\r\nmg mk v\r\n"),
    # -- ma
    ("ma-all-flags", b"ms num 1 T100\r\n5\r\nma num v t c k O4 N0\r\nma num MI D10 v\r\n"
                     b"ma num M+ D1 v\r\nma num M- D2 v\r\nma num Md D100 v\r\n"),
    ("ma-vivify-J-T", b"ma newn N100 J42 v t\r\nma newn v t\r\nma newn2 N0 J7 D3 MD v\r\n"),
    ("ma-quiet", b"ms num 1\r\n1\r\nma num q\r\nma nokey q\r\nma num q v\r\nmn\r\n"),
    ("ma-cas", b"ms num 1\r\n1\r\nma num C1 v\r\nma nokey C1\r\n"),
    ("ma-bad-args", b"ma num Dabc\r\nma num D-1\r\nma num Jabc N0\r\nma num Mx\r\n"
                    b"ma num D18446744073709551616\r\n"),
    ("ma-wrap-and-floor", b"ms num 20\r\n18446744073709551615\r\nma num v\r\nma num MD D5 v\r\n"),
    ("ma-base64", b"ms " + B64_NUM + b" 2 b\r\n10\r\nma " + B64_NUM + b" b v k\r\nmg num v\r\n"),
    # -- base64 keys
    ("base64-all-verbs", b"ms " + B64_FOO + b" 3 b k\r\nbar\r\nmg " + B64_FOO + b" b k v c\r\n"
                         b"md " + B64_FOO + b" b k q\r\nmg " + B64_FOO + b" b k v\r\nmn\r\n"),
    ("base64-bad-length", b"mg Zm9 b v\r\nmg Zm9vY b v\r\n"),
    ("base64-decodes-with-space", b"ms Zm9vIGJhcg== 1 b\r\nx\r\nmg Zm9vIGJhcg== b k v\r\n"),
    # -- mn / me / quiet mode / errors
    ("quiet-mixed-then-mn", b"mg a v q\r\nms b 1 q\r\nx\r\nmd nokey q\r\nma nokey q\r\n"
                            b"mg b v q k\r\nmn\r\nmn\r\n"),
    ("mn-with-tokens", b"mn foo bar\r\n"),
    ("me-miss", b"me nokey\r\n"),
    ("me-no-key", b"me\r\n"),
    ("meta-unknown-verb", b"mz foo\r\nm\r\n"),
    ("mg-too-many-flags", b"ms mk 1\r\nx\r\nmg mk " + b" ".join([b"v"] * 30) + b"\r\n"),
    ("mg-key-with-control-byte", b"mg a\x01b v\r\n"),
    ("mg-flag-glued", b"ms mk 1\r\nx\r\nmg mk vk\r\n"),
    # a hit prints the key as the item was stored (with or without b), whatever the mg says;
    # ms, md, ma and misses follow the request's b
    ("base64-item-flag", b"ms Zm9v 2 b\r\nhi\r\nmg foo k v\r\nmg Zm9v b k v\r\nms bar 2\r\nhi\r\n"
     b"mg YmFy b k\r\nms foo 2 MA k\r\nyo\r\nmg foo k\r\nms Zm9v 1 MA b k\r\n!\r\nmg foo k s\r\n"
     b"mg YWJj b N30 k\r\nmg abc k\r\nma ZGVm b N0 J5 k\r\nma def k\r\nmd ZGVm b k\r\n"
     b"mg bm9uZQ== b k\r\nms Zm9v 1 b I k\r\nz\r\nmg foo k\r\n"),
    ("base64-key-180", b"ms " + B64_180 + b" 1 b\r\nx\r\nmg " + B64_180 + b" b k v\r\n"),
    ("base64-key-250-too-long-encoded", b"mg " + B64_250 + b" b v\r\n"),
    ("mg-quiet-hit-with-opaque", b"ms a 1\r\nx\r\nmg a O1 q\r\nmg a O2 q v\r\nmn\r\n"),
    ("ms-S-flag", b"ms a S1 T0\r\nx\r\n"),
    ("ms-I-without-cas", b"ms a 1 I\r\nx\r\nmg a v\r\n"),
    ("ma-on-stale", b"ms n 1\r\n1\r\nmd n I\r\nma n v\r\nmg n v\r\n"),
    ("mg-vivify-then-ms-cas", b"mg v N30 c\r\nms v 1 C1\r\nx\r\nmg v v\r\n"),
    ("md-quiet-hit-opaque-key", b"ms a 1\r\nx\r\nmd a q O5 k\r\nmn\r\n"),
    ("ms-cas-zero", b"ms a 1\r\nx\r\nms a 1 C0\r\ny\r\nmg a v\r\n"),
    ("ma-J-without-N", b"ma nn J5 v\r\n"),
    # the created item's TTL is the last of N and T; mg applies T/N in flag order and t shows
    # the TTL at its own place
    ("ma-vivify-N-T", b"ma nn N10 T20 t v\r\nmg nn t\r\n"),
    ("ma-vivify-T-N", b"ma nn T20 N10 t v\r\nmg nn t\r\n"),
    ("mg-vivify-T-N-order", b"mg a T20 N10 t v\r\nmg b N10 T20 t v\r\nmg c N10 t v T20\r\n"
     b"mg c t\r\nmg b t T40\r\nmg b t\r\nmg e t N10\r\nmg e t\r\nmg b N5 T7 t\r\n"),
    ("ma-vivify-N-T0", b"ma nn N10 T0 t v\r\nma nn T30 N5 t v\r\n"),
    ("mg-vivify-and-recache", b"mg x N10 R20 v t\r\nmg x R20 v t\r\n"),
    ("ms-flags-32-bit", b"ms a 1 F4294967296\r\nx\r\nms a 1 F4294967295\r\nx\r\nmg a f\r\n"),
    ("ms-negative-ttl", b"ms a 1 T-1\r\nx\r\nmg a v\r\n"),
    ("mg-touch-negative-ttl", b"ms a 1\r\nx\r\nmg a T-1 v\r\nmg a v\r\n"),
    ("mn-q", b"mn q\r\n"),
    ("ms-noreply-token", b"ms a 1 noreply\r\nx\r\n"),
    ("mg-spaces", b"ms a 1\r\nx\r\nmg a v \r\nmg  a  v\r\n"),
    ("meta-bare-lf", b"ms a 1\nx\r\nmg a v\n"),
]

META_CAS_RE = re.compile(rb"(?<= )c\d+")
META_TTL_RE = re.compile(rb"(?<= )t(\d+)(?=[ \r])")
META_LA_RE = re.compile(rb"(?<= )l\d+(?=[ \r])")


def normalise_meta(data):
    data = META_CAS_RE.sub(b"c<cas>", normalise(data))
    data = META_LA_RE.sub(b"l<la>", data)
    return META_TTL_RE.sub(b"t<ttl>", data)


def ttls(data):
    return [int(m) for m in META_TTL_RE.findall(data)]


@pytest.mark.parametrize("payload", [p for _, p in SESSIONS], ids=[n for n, _ in SESSIONS])
def test_meta_same_bytes_as_memcached(server, reference, payload):
    # Keys are shared by the sessions: each starts with flush_all on both servers (run_session).
    ref_bytes, ref_closed = run_session(reference, payload)
    sut_bytes, sut_closed = run_session(server, payload)
    assert normalise_meta(sut_bytes) == normalise_meta(ref_bytes)
    assert all(abs(a - b) <= 1 for a, b in zip(ttls(sut_bytes), ttls(ref_bytes))), \
        (ttls(sut_bytes), ttls(ref_bytes))
    assert sut_closed == ref_closed


def test_sessions_have_unique_ids():
    names = [n for n, _ in SESSIONS]
    assert len(names) == len(set(names))


ME_RE = re.compile(rb"^ME (\S+) exp=(-?\d+) la=(\d+) cas=(\d+) fetch=(yes|no) cls=(\d+) "
                   rb"size=(\d+)\r\n\Z")


def test_me_shape(server, reference):
    """me: same fields in the same order; exp and fetch agree; cls/size are memcached internals.

    The key is printed base64 when the item was *stored* with a base64 key (memcached's
    ITEM_KEY_BINARY), whatever the `me` request says: both servers keep that bit per item.
    """
    got = []
    for srv in (reference, server):
        with srv.connect() as s:
            s.sendall(b"flush_all\r\n")
            assert s.recv(64) == b"OK\r\n"
            lines = []
            for cmd, replies in ((b"ms mek 5 T100\r\nhello\r\nme mek\r\n", 2),
                                 (b"mg mek v\r\nme mek\r\n", 3),
                                 (b"ms bWVrMg== 1 b\r\nx\r\nme bWVrMg== b\r\n", 2),
                                 (b"me mek2\r\n", 1),
                                 (b"ms mek3 1\r\ny\r\nme bWVrMw== b\r\n", 2)):
                s.sendall(cmd)
                buf = b""
                for _ in range(100):
                    buf += s.recv(4096)
                    if buf.count(b"\r\n") >= replies:
                        break
                lines.append(buf.split(b"\r\n")[-2] + b"\r\n")
        got.append(lines)
    for ref_line, sut_line in zip(*got):
        ref, sut = ME_RE.match(ref_line), ME_RE.match(sut_line)
        assert ref and sut, (ref_line, sut_line)
        assert sut.group(1) == ref.group(1)  # key (base64 form for b)
        assert abs(int(sut.group(2)) - int(ref.group(2))) <= 1 or ref.group(2) == sut.group(2) == b"-1"
        assert sut.group(5) == ref.group(5)  # fetch
        assert int(sut.group(4)) > 0 and int(sut.group(3)) <= 2


def test_normalise_meta():
    assert normalise_meta(b"HD c123 f5\r\n") == b"HD c<cas> f5\r\n"
    assert normalise_meta(b"VA 1 s1\r\nc\r\n") == b"VA 1 s1\r\nc\r\n"
    assert normalise_meta(b"VA 1 t99 l3 h1\r\nx\r\n") == b"VA 1 t<ttl> l<la> h1\r\nx\r\n"
    assert normalise_meta(b"HD t-1 kl5\r\n") == b"HD t-1 kl5\r\n"
    assert ttls(b"HD t30\r\nHD t-1 t7\r\n") == [30, 7]
