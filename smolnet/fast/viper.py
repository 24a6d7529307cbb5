# Viper fast paths. Imported only where @micropython.viper compiles; the pure
# twins in pure.py must give the same results (host_tests/test_fast.py).
# Here the small ones every board with viper uses (equal, fill, seq_get,
# seq_put, and the backwards copy thumb.py needs too); the word loops of
# sum16 and the copies are in viper_bulk.py, which ARMv7-M firmware leaves
# out for thumb.py's (firmware/smolnet_files.py ARCH_NOT).
# No bounds checks: callers are trusted (see smolnet/fast/__init__.py and
# smolnet/socket/span.py, the check user numbers pass before they get here).
import micropython
from micropython import const

# copy of smolnet/fast/__init__.py's IP4_SWAP
_IP4_SWAP = const(0x1000000)


@micropython.viper
def _copy_back(dst: ptr8, doff: int, src: ptr8, soff: int, n: int):
    i = n - 1
    while i >= 0:
        dst[doff + i] = src[soff + i]
        i -= 1


@micropython.viper
def equal(a: ptr8, aoff: int, b: ptr8, boff: int, n: int) -> bool:
    # viper itself, no Python wrapper: a call fewer (about 1 virtual us on
    # the Cortex-M3) for every address compared
    pa = uint(a) + uint(aoff)
    pb = uint(b) + uint(boff)
    i = 0
    if not ((pa ^ pb) & 3):
        while i < n and (pa + uint(i)) & 3:
            if a[aoff + i] != b[boff + i]:
                return False
            i += 1
        wa = ptr32(pa + uint(i))
        wb = ptr32(pb + uint(i))
        nw = (n - i) >> 2
        j = 0
        while j < nw:
            if wa[j] != wb[j]:
                return False
            j += 1
        i += nw << 2
    while i < n:
        if a[aoff + i] != b[boff + i]:
            return False
        i += 1
    return True


@micropython.viper
def swap(buf: ptr8, a: int, b: int, n: int):
    # two runs of one buffer exchanged, bytewise: they are short (an echo
    # reply's addresses)
    i = 0
    while i < n:
        t = buf[a + i]
        buf[a + i] = buf[b + i]
        buf[b + i] = t
        i += 1


@micropython.viper
def ip4_header(buf: ptr8, off: int, src: ptr8, dst: ptr8, len_id: int, ttl_proto: int):
    # one call for the 20 bytes: the checksum from the fields' values
    # (RFC 1071's sum of 16-bit words, folded), not read back
    b = ptr8(uint(buf) + uint(off))
    if ttl_proto & _IP4_SWAP:
        src = ptr8(uint(b) + 16)      # the old destination is the new source
        dst = ptr8(uint(b) + 12)
    s0 = (src[0] << 8) | src[1]
    s1 = (src[2] << 8) | src[3]
    d0 = (dst[0] << 8) | dst[1]
    d1 = (dst[2] << 8) | dst[3]
    n = (len_id >> 16) & 0xFFFF
    i = len_id & 0xFFFF
    f = (ttl_proto >> 16) & 0xFF
    t = ttl_proto & 0xFFFF
    c = 0x4500 + n + i + (f << 8) + t + s0 + s1 + d0 + d1
    c = (c & 0xFFFF) + (c >> 16)
    c = (c & 0xFFFF) + (c >> 16)
    c = ~c
    b[0] = 0x45
    b[1] = 0
    b[2] = n >> 8
    b[3] = n
    b[4] = i >> 8
    b[5] = i
    b[6] = f
    b[7] = 0
    b[8] = t >> 8
    b[9] = t
    b[10] = c >> 8
    b[11] = c
    b[12] = s0 >> 8
    b[13] = s0
    b[14] = s1 >> 8
    b[15] = s1
    b[16] = d0 >> 8
    b[17] = d0
    b[18] = d1 >> 8
    b[19] = d1


@micropython.viper
def fill(buf: ptr8, off: int, n: int, value: int):
    p = uint(buf) + uint(off)
    i = 0
    while i < n and (p + uint(i)) & 3:
        buf[off + i] = value
        i += 1
    nw = (n - i) >> 2
    if nw:
        v = uint(value & 0xFF)
        v |= v << 8
        v |= v << 16
        w = ptr32(p + uint(i))
        j = 0
        while j < nw:
            w[j] = v
            j += 1
        i += nw << 2
    while i < n:
        buf[off + i] = value
        i += 1


# TCP's 32-bit numbers as offsets from a base held in 16-bit halves
# (smolnet/socket/tcp_seq.py explains the representation): the twins of
# pure.seq_get / seq_put. Viper ints are machine words, so the half
# arithmetic runs without any object being made; the result is always a
# small int.
@micropython.viper
def seq_get(buf: ptr8, off: int, bhi: int, blo: int) -> int:
    dlo = ((buf[off + 2] << 8) | buf[off + 3]) - blo
    dhi = ((buf[off] << 8) | buf[off + 1]) - bhi
    if dlo < 0:
        dlo += 0x10000
        dhi -= 1
    dhi &= 0xFFFF
    if dhi >= 0x8000:
        dhi -= 0x10000
    if dhi >= 0x2000:
        return 0x20000000
    if dhi < -0x2000:
        return -0x20000000
    return (dhi << 16) | dlo


@micropython.viper
def seq_put(buf: ptr8, off: int, bhi: int, blo: int, rel: int):
    lo = blo + (rel & 0xFFFF)
    hi = bhi + (rel >> 16) + (lo >> 16)
    buf[off] = (hi >> 8) & 0xFF
    buf[off + 1] = hi & 0xFF
    buf[off + 2] = (lo >> 8) & 0xFF
    buf[off + 3] = lo & 0xFF


# A TCP segment's header in one call (what tcp_emit._head wrote with eight
# seq_put calls, 3.3 of 5.8 virtual us on the Cortex-M3 going to the
# calls): the twin of pure.tcp_head, which says what it writes. It reads
# the socket's attributes itself (each ~130 ns from viper, against ~500 ns
# for a call of a viper function); every value is a small int, so nothing
# is boxed or allocated.
@micropython.viper
def tcp_head(buf: ptr8, off: int, s, hlen: int):
    v = int(s.local_port)
    buf[off] = v >> 8
    buf[off + 1] = v
    v = int(s.remote_port)
    buf[off + 2] = v >> 8
    buf[off + 3] = v
    rel = int(s.seg_seq)
    lo = int(s.snd_blo) + (rel & 0xFFFF)
    v = int(s.snd_bhi) + (rel >> 16) + (lo >> 16)
    buf[off + 4] = v >> 8
    buf[off + 5] = v
    buf[off + 6] = lo >> 8
    buf[off + 7] = lo
    rel = int(s.rcv_nxt)
    lo = int(s.rcv_blo) + (rel & 0xFFFF)
    v = int(s.rcv_bhi) + (rel >> 16) + (lo >> 16)
    buf[off + 8] = v >> 8
    buf[off + 9] = v
    buf[off + 10] = lo >> 8
    buf[off + 11] = lo
    buf[off + 12] = hlen << 2
    buf[off + 13] = int(s.seg_flags)
    v = int(s.wnd_f)
    buf[off + 14] = v >> 8
    buf[off + 15] = v
    buf[off + 16] = 0
    buf[off + 17] = 0
    buf[off + 18] = 0
    buf[off + 19] = 0
    if s.ts_ok:
        buf[off + 20] = 1
        buf[off + 21] = 1
        buf[off + 22] = 8
        buf[off + 23] = 10
        v = int(s.ts_hi)
        buf[off + 24] = v >> 8
        buf[off + 25] = v
        v = int(s.ts_lo)
        buf[off + 26] = v >> 8
        buf[off + 27] = v
        v = int(s.ts_recent_hi)
        buf[off + 28] = v >> 8
        buf[off + 29] = v
        v = int(s.ts_recent_lo)
        buf[off + 30] = v >> 8
        buf[off + 31] = v



# A segment's three 32-bit numbers against a TcpSocket's state in one call
# (what tcp_rx._synchronized read with three seq_get calls): the twin of
# pure.tcp_nums, which says what it reads and stores. A viper function
# calls another only as Python does, so seq_get's arithmetic is here once
# more, in a loop over the three. The stores are small ints (clamped to
# +-2**29 as seq_get's): nothing is allocated.
@micropython.viper
def tcp_nums(b: ptr8, off: int, s, g) -> int:
    k = 0
    d = 0
    while k < 3:
        if k == 0:
            p = off + 4
            bhi = int(s.rcv_bhi)
            blo = int(s.rcv_blo)
        elif k == 1:
            p = off + 8
            bhi = int(s.snd_bhi)
            blo = int(s.snd_blo)
        elif g.ts:
            p = int(g.ts_off)
            bhi = int(s.ts_recent_hi)
            blo = int(s.ts_recent_lo)
        else:
            return 0
        dlo = ((b[p + 2] << 8) | b[p + 3]) - blo
        dhi = ((b[p] << 8) | b[p + 1]) - bhi
        if dlo < 0:
            dlo += 0x10000
            dhi -= 1
        dhi &= 0xFFFF
        if dhi >= 0x8000:
            dhi -= 0x10000
        if dhi >= 0x2000:
            d = 0x20000000
        elif dhi < -0x2000:
            d = -0x20000000
        else:
            d = (dhi << 16) | dlo
        if k == 0:
            g.seq = d
        elif k == 1:
            g.ack = d
        k += 1
    return d
