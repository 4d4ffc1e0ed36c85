"""Concurrency: threads with their own pymemcache clients on distinct and shared keys.

Bounded: fixed iteration counts, joins with timeouts.
"""

import threading

JOIN_TIMEOUT = 60


def run_threads(n, target):
    errors = []
    barrier = threading.Barrier(n, timeout=10)

    def wrap(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    assert not errors, errors


def test_incr_same_key_is_exact(server, key):
    threads, per = 8, 300
    c = server.client()
    c.set(key, b"0")
    seen = [[] for _ in range(threads)]

    def work(i):
        cl = server.client()
        try:
            for _ in range(per):
                seen[i].append(cl.incr(key, 1))
        finally:
            cl.close()

    run_threads(threads, work)
    assert int(c.get(key)) == threads * per
    returned = sorted(v for s in seen for v in s)
    assert returned == list(range(1, threads * per + 1)), "every incr returns a distinct value"
    c.close()


def test_distinct_keys_per_thread(server, key):
    threads, per = 6, 200

    def work(i):
        cl = server.client()
        try:
            for j in range(per):
                k = f"{key}-{i}-{j % 20}"
                v = b"%d:%d:" % (i, j) + bytes([i]) * (j % 300)
                assert cl.set(k, v)
                got = cl.get(k)
                assert got == v, (k, got[:40] if got else got, v[:40])
        finally:
            cl.close()

    run_threads(threads, work)
    c = server.client()
    for i in range(threads):
        for j in range(per - 20, per):
            assert c.get(f"{key}-{i}-{j % 20}") == b"%d:%d:" % (i, j) + bytes([i]) * (j % 300)
    c.close()


def _make(writer, seq):
    size = 100 + (seq * 7919 + writer * 104729) % 60000
    head = b"w%d-s%d-n%d:" % (writer, seq, size)
    return head + bytes([65 + writer]) * (size - len(head))


def _check_whole(v):
    head, _, body = v.partition(b":")
    w, s, n = head.split(b"-")
    writer, seq, size = int(w[1:]), int(s[1:]), int(n[1:])
    assert len(v) == size, (head, len(v))
    assert v == _make(writer, seq), f"torn value {head!r}"


def test_same_key_values_never_torn(server, key):
    writers, readers, per = 3, 3, 150

    def work(i):
        cl = server.client()
        try:
            for j in range(per):
                if i < writers:
                    assert cl.set(key, _make(i, j))
                else:
                    v = cl.get(key)
                    if v is not None:
                        _check_whole(v)
                    many = cl.get_many([key, key + "-none"])
                    if key in many:
                        _check_whole(many[key])
        finally:
            cl.close()

    run_threads(writers + readers, work)
    c = server.client()
    _check_whole(c.get(key))
    c.close()


def test_cas_loop_counter_is_exact(server, key):
    threads, per = 4, 50
    c = server.client()
    c.set(key, b"0")

    def work(i):
        cl = server.client()
        try:
            for _ in range(per):
                for _attempt in range(1000):
                    v, cas = cl.gets(key)
                    if cl.cas(key, b"%d" % (int(v) + 1), cas):
                        break
                else:
                    raise AssertionError("cas never succeeded in 1000 attempts")
        finally:
            cl.close()

    run_threads(threads, work)
    assert int(c.get(key)) == threads * per
    c.close()


def test_add_race_single_winner(server, key):
    threads, rounds = 6, 30
    wins = [0] * threads

    def work(i):
        cl = server.client()
        try:
            for r in range(rounds):
                if cl.add(f"{key}-{r}", b"%d" % i, noreply=False):
                    wins[i] += 1
        finally:
            cl.close()

    run_threads(threads, work)
    assert sum(wins) == rounds, wins
