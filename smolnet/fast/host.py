# CPython versions of the fast paths: same answers as pure.py, using slices
# (allocation does not matter on the host, speed of the test suite does).
# No bounds checks: callers are trusted (see smolnet/fast/__init__.py and
# smolnet/socket/span.py, the check user numbers pass before they get here).
from micropython import const
from .pure import seq_get, seq_put  # noqa: F401  (plain arithmetic: no faster way here)
from .pure import tcp_head, tcp_nums  # noqa: F401  (attribute reads and stores: the same here)

# copy of smolnet/fast/__init__.py's IP4_SWAP
_IP4_SWAP = const(0x1000000)


def sum16(buf, off, n, acc):
    even = n & ~1
    s = acc
    if even:
        # sum big-endian 16-bit words in one go: pairs of bytes as an integer
        # sum is the same as sum of hi bytes * 256 + sum of lo bytes
        mv = memoryview(buf)[off:off + even]
        s += (sum(mv[0::2]) << 8) + sum(mv[1::2])
    if n & 1:
        s += buf[off + n - 1] << 8
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def copy(dst, doff, src, soff, n):
    if n > 0:
        dst[doff:doff + n] = bytes(src[soff:soff + n]) if dst is src else src[soff:soff + n]


def copy_sum16(dst, doff, src, soff, n, acc):
    if n <= 0:
        return sum16(dst, doff, 0, acc)
    dst[doff:doff + n] = src[soff:soff + n]
    return sum16(dst, doff, n, acc)


def copy_sum(dst, doff, src, soff, n):
    return copy_sum16(dst, doff, src, soff, n, 0)


def equal(a, aoff, b, boff, n):
    return a[aoff:aoff + n] == b[boff:boff + n]


def swap(buf, a, b, n):
    buf[a:a + n], buf[b:b + n] = buf[b:b + n], buf[a:a + n]


def fill(buf, off, n, value):
    buf[off:off + n] = bytes([value]) * n


def ip4_header(buf, off, src, dst, len_id, ttl_proto):
    if ttl_proto & _IP4_SWAP:
        buf[off + 12:off + 20] = buf[off + 16:off + 20] + buf[off + 12:off + 16]
    else:
        buf[off + 12:off + 16] = src[0:4]
        buf[off + 16:off + 20] = dst[0:4]
    buf[off:off + 12] = bytes((0x45, 0, len_id >> 24, (len_id >> 16) & 0xFF, (len_id >> 8) & 0xFF,
                               len_id & 0xFF, (ttl_proto >> 16) & 0xFF, 0, (ttl_proto >> 8) & 0xFF,
                               ttl_proto & 0xFF, 0, 0))
    c = ~sum16(buf, off, 20, 0) & 0xFFFF
    buf[off + 10] = c >> 8
    buf[off + 11] = c & 0xFF
