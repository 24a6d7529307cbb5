# runtimes: cpython unix wasm
# The receive path's shortcuts give the answers of the long ways: wire.tcp's
# parse() (data offset check, the NOP NOP TS layout without the option walk)
# against parse_options(), and the SACK scoreboard's unsacked_in() against a
# set-of-offsets model. No allocation in parse().
import smolnet  # noqa: F401  (CPython shim)
from smolnet.socket.tcp_sack import Scoreboard
from smolnet.wire import tcp
from prng import XorShift
from support import heap_locked

FIELDS = ("mss", "ws", "sack_perm", "ts", "sack_n")


def _segment(opts, data=0):
    b = bytearray(20 + len(opts) + data)
    tcp.put_header(b, 0, 1, 2, tcp.ACK_FLAG, 20 + len(opts), 1000)
    b[20:20 + len(opts)] = opts
    return b


def _same(a, b):
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f
    if a.ts:
        assert a.ts_off == b.ts_off
    if a.sack_n:
        assert a.sack_off == b.sack_off


def test_nop_nop_ts_without_the_walk():
    b = _segment(bytes([1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8]), 100)
    o = tcp.Options()
    o.mss = 1460            # left from a SYN: parse() clears it
    o.ws = 7
    o.sack_perm = True
    o.sack_n = 2
    assert tcp.parse(b, 0, len(b), o) == 100
    assert o.ts and o.ts_off == 24 and o.mss == 0 and o.ws == -1
    assert not o.sack_perm and o.sack_n == 0
    ref = tcp.Options()
    assert tcp.parse_options(b, 0, 32, ref)
    _same(o, ref)


def test_bad_data_offsets():
    o = tcp.Options()
    b = _segment(b"", 10)
    for doff in (0, 4):
        b[12] = doff << 4
        assert tcp.parse(b, 0, len(b), o) == -1
    b[12] = 6 << 4                     # 24 bytes of header in a 30-byte segment
    assert tcp.parse(b, 0, 30, o) == 6
    assert tcp.parse(b, 0, 23, o) == -1
    b[12] = 5 << 4
    o.ts = True
    assert tcp.parse(b, 0, 30, o) == 10 and not o.ts


def test_random_options_agree_with_parse_options():
    rng = XorShift(11)
    kinds = (0, 1, 2, 3, 4, 5, 8, 30)
    for _ in range(600):
        opts = bytearray()
        if rng.below(3) == 0:
            opts += bytes([1, 1, 8, 10])
            opts += bytes(rng.below(256) for _ in range(8))
        while len(opts) < 40 and rng.below(4):
            k = kinds[rng.below(len(kinds))]
            if k in (0, 1):
                opts.append(k)
                continue
            n = (4, 3, 2, 2 + 8 * (1 + rng.below(3)), 10, 2 + rng.below(6))[
                (2, 3, 4, 5, 8, 30).index(k)]
            if rng.below(8) == 0:
                n = rng.below(12)      # a wrong or illegal length
            opts += bytes([k, n] + [rng.below(256) for _ in range(max(n - 2, 0))])
        opts = opts[:40]
        while len(opts) & 3:
            opts.append(0)
        b = _segment(bytes(opts), rng.below(50))
        got = tcp.Options()
        n = tcp.parse(b, 0, len(b), got)
        ref = tcp.Options()
        ok = tcp.parse_options(b, 0, 20 + len(opts), ref)
        if not ok:
            assert n == -1
            continue
        assert n == len(b) - 20 - len(opts)
        _same(got, ref)


def test_parse_does_not_allocate():
    b = _segment(bytes([1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8]), 100)
    c = _segment(bytes([1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 5, 10]) + bytes(8), 10)
    o = tcp.Options()

    def run():
        for _ in range(20):
            tcp.parse(b, 0, len(b), o)
            tcp.parse(c, 0, len(c), o)

    heap_locked(run)


def test_unsacked_in_against_model():
    rng = XorShift(5)
    for _ in range(40):
        sb = Scoreboard(1 + rng.below(4), mss=10)
        sacked = set()
        for _ in range(30):
            a = rng.below(80)
            e = a + 1 + rng.below(12)
            sb.add(a, e)
            sacked = set()
            for i in range(sb.count()):
                sacked.update(range(sb.start(i), sb.end(i)))
            lo = rng.below(90)
            hi = lo + rng.below(30)
            want = -1
            for x in range(lo, hi):
                if x not in sacked:
                    want = x
                    break
            assert sb.unsacked_in(lo, hi) == want
            if want >= 0:
                n = 0
                while want + n < hi and want + n not in sacked:
                    n += 1
                assert sb.hole_len == n
            total = sum(1 for x in range(lo, hi) if x in sacked)
            assert sb.sacked_in(lo, hi) == total
