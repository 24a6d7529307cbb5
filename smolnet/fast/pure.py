# Pure-Python twins of the fast paths, for MicroPython builds without viper.
# Plain index loops: slow, but they allocate nothing (no slices, no iterators
# beyond range, which MicroPython runs without heap).
# No bounds checks: callers are trusted (see smolnet/fast/__init__.py and
# smolnet/socket/span.py, the check user numbers pass before they get here).
from micropython import const

_FOLD_EVERY = const(8192)  # words per fold: keeps the sum below 2**30 (no boxed int)
# copy of smolnet/socket/tcp_seq.py's FAR (inlined here; test_const_copies.py checks)
_FAR = const(0x20000000)
# copy of smolnet/fast/__init__.py's IP4_SWAP
_IP4_SWAP = const(0x1000000)


def sum16(buf, off, n, acc):
    s = acc
    end = off + n - 1
    i = off
    k = 0
    while i < end:
        s += (buf[i] << 8) | buf[i + 1]
        i += 2
        k += 1
        if k == _FOLD_EVERY:
            s = (s & 0xFFFF) + (s >> 16)
            k = 0
    if i == end:
        s += buf[i] << 8
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def copy(dst, doff, src, soff, n):
    if dst is src and soff < doff < soff + n:
        i = n - 1
        while i >= 0:
            dst[doff + i] = src[soff + i]
            i -= 1
        return
    for i in range(n):
        dst[doff + i] = src[soff + i]


def copy_sum16(dst, doff, src, soff, n, acc):
    # one loop does both: two bytes copied and added per round
    s = acc
    i = 0
    end = n - 1
    k = 0
    while i < end:
        hi = src[soff + i]
        lo = src[soff + i + 1]
        dst[doff + i] = hi
        dst[doff + i + 1] = lo
        s += (hi << 8) | lo
        i += 2
        k += 1
        if k == _FOLD_EVERY:
            s = (s & 0xFFFF) + (s >> 16)
            k = 0
    if i == end:
        hi = src[soff + i]
        dst[doff + i] = hi
        s += hi << 8
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def copy_sum(dst, doff, src, soff, n):
    return copy_sum16(dst, doff, src, soff, n, 0)


def equal(a, aoff, b, boff, n):
    for i in range(n):
        if a[aoff + i] != b[boff + i]:
            return False
    return True


def swap(buf, a, b, n):
    # (an index loop: a range() would take its frame past 11 words)
    n += a
    while a < n:
        t = buf[a]
        buf[a] = buf[b]
        buf[b] = t
        a += 1
        b += 1


def fill(buf, off, n, value):
    for i in range(off, off + n):
        buf[i] = value


def ip4_header(buf, off, src, dst, len_id, ttl_proto):
    """The reference: the addresses first (copied, or exchanged in place),
    then the other fields, then the checksum over the 20 bytes (RFC 791
    3.1)."""
    # (stores written out: copy()'s call would take the frame past 11 words)
    if ttl_proto & _IP4_SWAP:
        swap(buf, off + 12, off + 16, 4)
    else:
        buf[off + 12] = src[0]
        buf[off + 13] = src[1]
        buf[off + 14] = src[2]
        buf[off + 15] = src[3]
        buf[off + 16] = dst[0]
        buf[off + 17] = dst[1]
        buf[off + 18] = dst[2]
        buf[off + 19] = dst[3]
    buf[off] = 0x45
    buf[off + 1] = 0
    buf[off + 2] = len_id >> 24
    buf[off + 3] = (len_id >> 16) & 0xFF
    buf[off + 4] = (len_id >> 8) & 0xFF
    buf[off + 5] = len_id & 0xFF
    buf[off + 6] = (ttl_proto >> 16) & 0xFF
    buf[off + 7] = 0
    buf[off + 8] = (ttl_proto >> 8) & 0xFF
    buf[off + 9] = ttl_proto & 0xFF
    buf[off + 10] = 0
    buf[off + 11] = 0
    len_id = ~sum16(buf, off, 20, 0) & 0xFFFF
    buf[off + 10] = len_id >> 8
    buf[off + 11] = len_id & 0xFF


# TCP's 32-bit numbers as offsets from a base held in 16-bit halves
# (smolnet/socket/tcp_seq.py explains the representation): the reference
# the viper twins must match (host_tests/test_tcp_seq.py).
def seq_get(buf, off, bhi, blo):
    """The 32-bit big-endian number at buf[off] minus the base (bhi, blo),
    as a signed offset, clamped to +-FAR."""
    dlo = ((buf[off + 2] << 8) | buf[off + 3]) - blo
    dhi = ((buf[off] << 8) | buf[off + 1]) - bhi
    if dlo < 0:
        dlo += 0x10000
        dhi -= 1
    dhi &= 0xFFFF
    if dhi >= 0x8000:
        dhi -= 0x10000
    if dhi >= 0x2000:
        return _FAR
    if dhi < -0x2000:
        return -_FAR
    return (dhi << 16) | dlo


def seq_put(buf, off, bhi, blo, rel):
    """Store base + rel (mod 2**32) big-endian at buf[off]; |rel| < 2**30."""
    lo = blo + (rel & 0xFFFF)
    hi = bhi + (rel >> 16) + (lo >> 16)
    buf[off] = (hi >> 8) & 0xFF
    buf[off + 1] = hi & 0xFF
    buf[off + 2] = (lo >> 8) & 0xFF
    buf[off + 3] = lo & 0xFF


def tcp_head(buf, off, s, hlen):
    """The header of TcpSocket s's segment at buf[off] (RFC 9293 3.1), all
    but an ACK-less one's (a SYN's, a RST's): ports; SEQ = the send base +
    s.seg_seq and ACK = the receive base + s.rcv_nxt (as seq_put stores
    them); data offset hlen (bytes); flags s.seg_flags; window field
    s.wnd_f; checksum and urgent pointer 0. With s.ts_ok, then NOP, NOP and
    the TS option: TSval s.ts_hi/lo, TSecr s.ts_recent_hi/lo (RFC 7323 3)."""
    v = s.local_port
    buf[off] = v >> 8
    buf[off + 1] = v & 0xFF
    v = s.remote_port
    buf[off + 2] = v >> 8
    buf[off + 3] = v & 0xFF
    seq_put(buf, off + 4, s.snd_bhi, s.snd_blo, s.seg_seq)
    seq_put(buf, off + 8, s.rcv_bhi, s.rcv_blo, s.rcv_nxt)
    buf[off + 12] = (hlen << 2) & 0xFF
    buf[off + 13] = s.seg_flags
    v = s.wnd_f
    buf[off + 14] = v >> 8
    buf[off + 15] = v & 0xFF
    buf[off + 16] = 0
    buf[off + 17] = 0
    buf[off + 18] = 0
    buf[off + 19] = 0
    if s.ts_ok:
        buf[off + 20] = 1
        buf[off + 21] = 1
        buf[off + 22] = 8
        buf[off + 23] = 10
        seq_put(buf, off + 24, s.ts_hi, s.ts_lo, 0)
        seq_put(buf, off + 28, s.ts_recent_hi, s.ts_recent_lo, 0)


def tcp_nums(b, off, s, g):
    """A TCP segment's numbers (its header at b[off]) against TcpSocket s:
    SEG.SEQ - the receive base into g.seq, SEG.ACK - the send base into
    g.ack (as seq_get reads them, whether or not ACK is set); returns
    TSval - TS.Recent (seq_get's, below 0: older; RFC 7323 5.3) when g.ts
    (its option at g.ts_off), else 0."""
    g.seq = seq_get(b, off + 4, s.rcv_bhi, s.rcv_blo)
    g.ack = seq_get(b, off + 8, s.snd_bhi, s.snd_blo)
    if g.ts:
        return seq_get(b, g.ts_off, s.ts_recent_hi, s.ts_recent_lo)
    return 0
