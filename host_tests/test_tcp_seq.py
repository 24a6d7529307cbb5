# runtimes: cpython unix wasm
# Sequence arithmetic on halves (smolnet/socket/tcp_seq.py, seq_get/seq_put
# in smolnet/fast): against plain big-int arithmetic, and the viper twins
# against the pure ones.
import smolnet  # noqa: F401  (on CPython: installs the micropython/time shim)
import smolnet.socket.tcp_seq as tcp_seq
from smolnet import fast
from smolnet.fast import pure
from prng import Lcg

FAR = tcp_seq.FAR
M32 = 0xFFFFFFFF


def put32(b, off, v):
    b[off] = (v >> 24) & 0xFF
    b[off + 1] = (v >> 16) & 0xFF
    b[off + 2] = (v >> 8) & 0xFF
    b[off + 3] = v & 0xFF


def get32(b, off):
    return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]


def ref_rel(v, base):
    d = (v - base) & M32
    if d >= 0x80000000:
        d -= 0x100000000
    if d >= FAR:
        return FAR
    if d < -FAR:
        return -FAR
    return d


BASES = (0, 1, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFB,
         0xFFFF0000, 0x1234ABCD)
DELTAS = (0, 1, -1, 0xFFFF, 0x10000, -0x10000, 0x1FFFFFFF, -0x20000000,
          0x20000000, -0x20000001, 0x7FFFFFFF, -0x80000000, 12345, -54321)


def _impls():
    out = [(pure.seq_get, pure.seq_put)]
    if fast.IMPL in ("viper", "thumb"):
        from smolnet.fast import viper as v
        out.append((v.seq_get, v.seq_put))
    return out


def test_seq_get_edges():
    b = bytearray(6)
    for get, _ in _impls():
        for base in BASES:
            for d in DELTAS:
                v = (base + d) & M32
                put32(b, 2, v)
                assert get(b, 2, base >> 16, base & 0xFFFF) == ref_rel(v, base), (base, d)


def test_seq_get_random():
    r = Lcg(7)
    b = bytearray(4)
    for get, _ in _impls():
        for _ in range(500):
            base = r.next32()
            v = r.next32() if r.next16() & 1 else (base + r.next16() - 0x8000) & M32
            put32(b, 0, v)
            assert get(b, 0, base >> 16, base & 0xFFFF) == ref_rel(v, base)


def test_seq_put_round_trip():
    b = bytearray(8)
    r = Lcg(11)
    for get, put in _impls():
        for base in BASES:
            for _ in range(40):
                rel = (r.next32() & 0x3FFFFFFF) - 0x20000000
                put(b, 3, base >> 16, base & 0xFFFF, rel)
                assert get32(b, 3) == (base + rel) & M32
                if -FAR < rel < FAR:
                    assert get(b, 3, base >> 16, base & 0xFFFF) == rel


def test_pure_and_viper_agree():
    # whichever implementation smolnet.fast picked gives the pure answers
    b = bytearray(4)
    c = bytearray(4)
    r = Lcg(3)
    for _ in range(300):
        base = r.next32()
        v = r.next32()
        put32(b, 0, v)
        bh = base >> 16
        bl = base & 0xFFFF
        assert fast.seq_get(b, 0, bh, bl) == pure.seq_get(b, 0, bh, bl)
        rel = (v & 0x3FFFFFFF) - 0x20000000
        fast.seq_put(b, 0, bh, bl, rel)
        pure.seq_put(c, 0, bh, bl, rel)
        assert bytes(b) == bytes(c)


def test_base_add():
    for base in BASES:
        for k in (0, 1, 0xFFFF, 0x10000, 0x08000000, 0x3FFFFFFF, -1, -0x10000, -0x3FFFFFFF):
            hi = tcp_seq.base_hi(base >> 16, base & 0xFFFF, k)
            lo = tcp_seq.base_lo(base & 0xFFFF, k)
            assert (hi << 16) | lo == (base + k) & M32


def test_results_are_small_ints():
    # every result fits a 31-bit small int, whatever the input
    b = bytearray(4)
    for get, _ in _impls():
        for base in BASES:
            for v in BASES:
                put32(b, 0, v)
                x = get(b, 0, base >> 16, base & 0xFFFF)
                assert -0x40000000 <= x < 0x40000000
