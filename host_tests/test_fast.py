# runtimes: cpython unix wasm
# The fast-path twins give the same answers: viper vs pure on the unix port,
# host vs pure on CPython, pure vs a reference everywhere; on the QEMU
# boards' firmware too (test_fast_board.py), where the Cortex-M3 has the
# Thumb-2 assembler twin in place of viper_bulk.py.
import sys
from smolnet import fast
from smolnet.fast import pure
from prng import Prng

_MP = sys.implementation.name == "micropython"


_BULK = ("sum16", "copy", "copy_sum16", "copy_sum")
_SMALL = ("equal", "fill", "swap", "seq_get", "seq_put", "ip4_header")


class _Twin:
    """A fast-path twin made of two modules' functions."""

    def __init__(self, small, bulk):
        for k in _SMALL:
            setattr(self, k, getattr(small, k))
        for k in _BULK:
            setattr(self, k, getattr(bulk, k))


def _twins():
    out = [("pure", pure)]
    if not _MP:
        from smolnet.fast import host
        out.append(("host", host))
        return out
    try:
        from smolnet.fast import viper
    except SyntaxError:
        return out  # no viper on this port (webassembly)
    if fast.IMPL == "thumb":
        # thumb.py's sum16 and copies with viper.py's rest: an ARMv7-M
        # firmware has no viper_bulk.py (firmware/smolnet_files.py ARCH_NOT)
        from smolnet.fast import thumb
        out.append(("thumb", _Twin(viper, thumb)))
    else:
        from smolnet.fast import viper_bulk
        out.append(("viper", _Twin(viper, viper_bulk)))
    return out


def _thumb2():
    # ARMv7-M and later, by the native code this MicroPython runs
    return 5 <= (getattr(sys.implementation, "_mpy", 0) >> 10) & 0xF <= 8


def _ref_sum16(buf, off, n, acc):
    s = acc
    for i in range(0, n, 2):
        hi = buf[off + i]
        lo = buf[off + i + 1] if i + 1 < n else 0
        s += (hi << 8) | lo
        s = (s & 0xFFFF) + (s >> 16)
    return s


def test_impl_choice():
    if not _MP:
        assert fast.IMPL == "host"
    elif sys.platform == "webassembly":
        assert fast.IMPL == "pure"
    else:
        assert fast.IMPL == ("thumb" if _thumb2() else "viper")
    assert len(_twins()) == {"pure": 1, "host": 2, "viper": 2, "thumb": 2}[fast.IMPL]


def test_sum16_every_length_0_to_1500():
    r = Prng(7)
    buf = r.fill(bytearray(1503))
    twins = _twins()
    for n in range(0, 1501):
        off = n & 3  # odd and even starting offsets
        acc = (n * 37) & 0xFFFF
        want = _ref_sum16(buf, off, n, acc) if n < 64 or n % 97 == 0 else None
        got = [m.sum16(buf, off, n, acc) for _, m in twins]
        for g in got:
            assert g == got[0], (n, got)
            assert 0 <= g <= 0xFFFF
        if want is not None:
            assert got[0] == want, (n, got[0], want)


# 64 KB buffers do not fit beside the script on a 140 KiB board
# (test_fast_board.py): there a third of that, still past the 16 KB after
# which viper's loops fold their sums
BIG = 65535 if sys.platform in ("linux", "webassembly") else 21845


def test_sum16_large_buffers_fold():
    # 0xFF bytes maximise every word: catches accumulator overflow
    buf = bytearray(b"\xff" * BIG)
    for off, n, acc in ((0, BIG - 1, 0), (0, BIG, 0xFFFF), (1, BIG * 2 // 3, 1), (3, 9001, 0x8000)):
        want = _ref_sum16(buf, off, n, acc)
        for name, m in _twins():
            assert m.sum16(buf, off, n, acc) == want, (name, off, n)


def test_copy_equal_fill_agree():
    r = Prng(99)
    src = r.fill(bytearray(600))
    for name, m in _twins():
        for n in (0, 1, 2, 3, 7, 64, 255, 599):
            dst = bytearray(700)
            m.copy(dst, 5, src, 1, n)
            assert bytes(dst[5:5 + n]) == bytes(src[1:1 + n]), name
            assert dst[4] == 0 and dst[5 + n] == 0
            assert m.equal(dst, 5, src, 1, n)
            if n:
                dst[5 + n - 1] ^= 1
                assert not m.equal(dst, 5, src, 1, n)
        f = bytearray(20)
        m.fill(f, 3, 10, 0xAB)
        assert bytes(f) == bytes(3) + b"\xab" * 10 + bytes(7), name
        for a, b, n in ((0, 6, 6), (12, 16, 4), (16, 12, 4), (1, 2, 1), (3, 9, 0)):
            f = bytearray(range(20))
            m.swap(f, a, b, n)
            want = bytearray(range(20))
            want[a:a + n], want[b:b + n] = bytes(range(b, b + n)), bytes(range(a, a + n))
            assert f == want, (name, a, b, n)


def _ref_ip4_header(buf, off, src, dst, len_id, ttl_proto):
    # RFC 791 3.1's fields one by one, the checksum as RFC 1071 sums them
    if ttl_proto & fast.IP4_SWAP:
        src, dst = bytes(buf[off + 16:off + 20]), bytes(buf[off + 12:off + 16])
    h = bytearray([0x45, 0, len_id >> 24, (len_id >> 16) & 0xFF, (len_id >> 8) & 0xFF, len_id & 0xFF,
                   (ttl_proto >> 16) & 0xFF, 0, (ttl_proto >> 8) & 0xFF, ttl_proto & 0xFF, 0, 0])
    h += bytes(src[0:4]) + bytes(dst[0:4])
    c = ~_ref_sum16(h, 0, 20, 0) & 0xFFFF
    h[10] = c >> 8
    h[11] = c & 0xFF
    return bytes(h)


def test_ip4_header_agrees():
    r = Prng(7)
    for name, m in _twins():
        for off, len_id, ttl_proto, swapped in (
                (14, (84 << 16) | 1, (64 << 8) | 1, False), (0, (1500 << 16) | 0xFFFF, (0x40 << 16) | (255 << 8) | 6, False),
                (14, (20 << 16), 0, False), (3, (576 << 16) | 0x1234, (1 << 8) | 17, True),
                (14, (0xFFFF << 16) | 0xFFFF, (0xFF << 16) | 0xFFFF, False)):
            buf = r.fill(bytearray(off + 30))
            src = r.fill(bytearray(16))
            dst = r.fill(bytearray(16))
            if swapped:
                src[0:4] = b"\xff\xff\xff\xff"
                dst[0:4] = b"\xc0\x00\x02\x01"
                buf[off + 12:off + 16] = b"\xc0\x00\x02\x02"
                buf[off + 16:off + 20] = b"\xc0\x00\x02\x01"
                ttl_proto |= fast.IP4_SWAP
            want = _ref_ip4_header(buf, off, src, dst, len_id, ttl_proto)
            tail = bytes(buf[off + 20:])
            m.ip4_header(buf, off, src, dst, len_id, ttl_proto)
            assert bytes(buf[off:off + 20]) == want, (name, off, len_id, ttl_proto)
            assert bytes(buf[off + 20:]) == tail, name
            assert _ref_sum16(buf, off, 20, 0) == 0xFFFF, name


def test_copy_every_length_and_alignment():
    # lengths 0..600 (the word loops' heads and tails), source and
    # destination offsets 0..3 mixed: the bytes copied and nothing else
    r = Prng(23)
    src = r.fill(bytearray(608))
    for name, m in _twins():
        dst = bytearray(610)
        for n in range(0, 601):
            soff = n & 3
            doff = (n >> 2) & 3
            pure.fill(dst, 0, len(dst), 0x5A)
            m.copy(dst, doff, src, soff, n)
            assert pure.equal(dst, doff, src, soff, n), (name, n)
            assert dst[doff + n] == 0x5A and (doff == 0 or dst[doff - 1] == 0x5A), (name, n)


def test_copy_overlapping_is_memmove():
    for name, m in _twins():
        b = bytearray(range(32))
        m.copy(b, 4, b, 0, 20)       # forward overlap: must copy backwards
        assert bytes(b[4:24]) == bytes(range(20)), name
        b = bytearray(range(32))
        m.copy(b, 0, b, 4, 20)       # backward overlap
        assert bytes(b[0:20]) == bytes(range(4, 24)), name


def test_copy_sum16_every_length_0_to_1500():
    # the copy is exact, nothing around it is touched, and the sum is
    # sum16 of the copied bytes (plus acc) on every twin
    r = Prng(11)
    src = r.fill(bytearray(1504))
    twins = _twins()
    dsts = [bytearray(1510) for _ in twins]
    for n in range(0, 1501):
        soff = n & 3                 # odd and even source offsets ...
        doff = (n >> 2) & 3          # ... and destination offsets, mixed
        acc = (n * 53) & 0xFFFF
        want = pure.sum16(src, soff, n, acc)
        for k in range(len(twins)):
            name, m = twins[k]
            d = dsts[k]
            fill_val = n & 0xFF
            pure.fill(d, 0, len(d), fill_val)
            got = m.copy_sum16(d, doff, src, soff, n, acc)
            assert got == want, (name, n, got, want)
            assert pure.equal(d, doff, src, soff, n), (name, n)
            for i in range(doff):
                assert d[i] == fill_val, (name, n, i)
            assert d[doff + n] == fill_val, (name, n)


def test_copy_sum_is_copy_sum16_from_zero():
    r = Prng(31)
    src = r.fill(bytearray(1504))
    for name, m in _twins():
        for n in (0, 1, 2, 3, 4, 5, 63, 64, 1460, 1501):
            a, b = bytearray(1510), bytearray(1510)
            soff, doff = n & 3, (n >> 1) & 3
            assert m.copy_sum(a, doff, src, soff, n) == m.copy_sum16(b, doff, src, soff, n, 0), \
                (name, n)
            assert a == b, (name, n)


def test_copy_sum16_large_buffers_fold():
    src = bytearray(b"\xff" * BIG)
    for soff, n, acc in ((0, BIG - 1, 0), (0, BIG, 0xFFFF), (1, BIG * 2 // 3, 1), (3, 9001, 0x8000)):
        want = _ref_sum16(src, soff, n, acc)
        for name, m in _twins():
            d = bytearray(n + 2)
            assert m.copy_sum16(d, 1, src, soff, n, acc) == want, (name, soff, n)


def test_copy_sum16_in_chunks_odd_start_is_swapped():
    # a sum over two chunks, the second starting at an odd offset within
    # the whole: its sum must be byte-swapped (swap16) before it is added
    r = Prng(5)
    src = r.fill(bytearray(600))
    for name, m in _twins():
        for first in (0, 1, 2, 7, 300, 301, 599):
            d = bytearray(600)
            a = m.copy_sum16(d, 0, src, 0, first, 0)
            b = m.copy_sum16(d, first, src, first, 600 - first, 0)
            if first & 1:
                b = fast.swap16(b)
            s = a + b
            s = (s & 0xFFFF) + (s >> 16)
            assert s == pure.sum16(src, 0, 600, 0), (name, first)
            assert fast.swap16(fast.swap16(b)) == b
    assert fast.swap16(0x1234) == 0x3412 and fast.swap16(0xFFFF) == 0xFFFF


class _Sock:
    """The TcpSocket fields tcp_head reads."""


def _head_twins():
    out = [("pure", pure.tcp_head), ("fast", fast.tcp_head)]
    if not _MP:
        from smolnet.fast import host
        out.append(("host", host.tcp_head))
    else:
        try:
            from smolnet.fast import viper
            out.append(("viper", viper.tcp_head))
        except SyntaxError:
            pass  # no viper on this port (webassembly)
    return out


def _ref_head(s, hlen):
    def u32(hi, lo, rel):
        v = (((hi << 16) | lo) + rel) & 0xFFFFFFFF
        return bytes([v >> 24, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF])
    h = bytes([s.local_port >> 8, s.local_port & 0xFF, s.remote_port >> 8, s.remote_port & 0xFF])
    h += u32(s.snd_bhi, s.snd_blo, s.seg_seq) + u32(s.rcv_bhi, s.rcv_blo, s.rcv_nxt)
    h += bytes([hlen << 2, s.seg_flags, s.wnd_f >> 8, s.wnd_f & 0xFF, 0, 0, 0, 0])
    if s.ts_ok:
        h += b"\x01\x01\x08\x0a" + u32(s.ts_hi, s.ts_lo, 0) + u32(s.ts_recent_hi, s.ts_recent_lo, 0)
    return h


def test_tcp_head_agrees():
    # random fields, and the bases and offsets where the low half carries
    # into the high half and the sum wraps through 2**32 (either way)
    r = Prng(23)
    s = _Sock()
    edges = ((0xFFFF, 0xFFFF, 1), (0xFFFF, 0xFFF0, 0x20), (0, 0, -1), (0, 5, -6),
             (0x7FFF, 0xFFFF, 1), (0x1234, 0x8000, 0x8000), (0xFFFF, 0, -0x10000000),
             (0xFFFE, 0xFFFF, 0x0FFFFFFF), (0, 0, 0x1FFFFFFF), (0x8000, 1, -0x20000000))
    for k in range(200):
        e = edges[k % len(edges)]
        s.local_port = r.below(0x10000)
        s.remote_port = r.below(0x10000)
        if k < len(edges):
            s.snd_bhi, s.snd_blo, s.seg_seq = e
            e = edges[-1 - k]
            s.rcv_bhi, s.rcv_blo, s.rcv_nxt = e
        else:
            s.snd_bhi = r.below(0x10000)
            s.snd_blo = r.below(0x10000)
            s.seg_seq = (r.below(0x10000) << 13) - 0x10000000 + r.below(0x2000)
            s.rcv_bhi = r.below(0x10000)
            s.rcv_blo = r.below(0x10000)
            s.rcv_nxt = (r.below(0x10000) << 13) - 0x10000000 + r.below(0x2000)
        s.seg_flags = r.byte()
        s.wnd_f = r.below(0x10000)
        s.ts_hi = r.below(0x10000)
        s.ts_lo = r.below(0x10000)
        s.ts_recent_hi = r.below(0x10000)
        s.ts_recent_lo = r.below(0x10000)
        s.ts_ok = bool(k & 1)
        hlen = (32 if s.ts_ok else 20) + (k & 3) * 8
        want = _ref_head(s, hlen)
        for name, f in _head_twins():
            b = bytearray(b"\xee" * 50)
            f(b, 3, s, hlen)
            assert bytes(b[3:3 + len(want)]) == want, (name, k)
            assert b[2] == 0xEE and b[3 + len(want)] == 0xEE, (name, k)


def _nums_twins():
    out = [("pure", pure.tcp_nums), ("fast", fast.tcp_nums)]
    if not _MP:
        from smolnet.fast import host
        out.append(("host", host.tcp_nums))
    else:
        try:
            from smolnet.fast import viper
            out.append(("viper", viper.tcp_nums))
        except SyntaxError:
            pass  # no viper on this port (webassembly)
    return out


def _ref_rel(b, off, hi, lo):
    # seq_get's answer from 32-bit arithmetic: signed modulo 2**32, clamped
    d = ((b[off] << 24 | b[off + 1] << 16 | b[off + 2] << 8 | b[off + 3])
         - ((hi << 16) | lo)) & 0xFFFFFFFF
    if d >= 0x80000000:
        d -= 0x100000000
    return max(-0x20000000, min(0x20000000, d))


def test_tcp_nums_agrees():
    # random headers and states, and numbers either side of the bases by
    # little (the borrow between halves, the wrap through 0) and by far
    # (the clamp at +-2**29 either side)
    r = Prng(31)
    s = _Sock()
    near = (0, 1, -1, 0x10000, -0x10000, 0xFFFF, -0xFFFF, 0x1FFFFFFF, -0x20000000,
            0x20000000, 0x20000001, -0x20000001, 0x7FFFFFFF, -0x80000000)
    for k in range(300):
        b = r.fill(bytearray(60))
        s.rcv_bhi = r.below(0x10000)
        s.rcv_blo = r.below(0x10000)
        s.snd_bhi = r.below(0x10000)
        s.snd_blo = r.below(0x10000)
        s.ts_recent_hi = r.below(0x10000)
        s.ts_recent_lo = r.below(0x10000)
        if k < 3 * len(near):
            # one of the three numbers near its base: base + near[...]
            hi, lo, at = ((s.rcv_bhi, s.rcv_blo, 6), (s.snd_bhi, s.snd_blo, 10),
                          (s.ts_recent_hi, s.ts_recent_lo, 30))[k % 3]
            v = (((hi << 16) | lo) + near[k // 3]) & 0xFFFFFFFF
            b[at:at + 4] = bytes([v >> 24, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF])
        want_ts = _ref_rel(b, 30, s.ts_recent_hi, s.ts_recent_lo)
        for name, f in _nums_twins():
            for ts in (True, False):
                g = _Sock()
                g.ts = ts
                g.ts_off = 30
                p = f(b, 2, s, g)
                assert g.seq == _ref_rel(b, 6, s.rcv_bhi, s.rcv_blo), (name, k)
                assert g.ack == _ref_rel(b, 10, s.snd_bhi, s.snd_blo), (name, k)
                assert p == (want_ts if ts else 0), (name, k, ts)
