# CPython versions of the fast paths: same answers as pure.py, using slices
# (allocation does not matter on the host, speed of the test suite does).
# No bounds checks: callers are trusted (see smolnet/fast/__init__.py and
# smolnet/socket/span.py, the check user numbers pass before they get here).
from .pure import seq_get, seq_put  # noqa: F401  (plain arithmetic: no faster way here)
from .pure import tcp_head, tcp_nums  # noqa: F401  (attribute reads and stores: the same here)


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
