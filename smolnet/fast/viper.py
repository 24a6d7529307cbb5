# Viper fast paths. Imported only where @micropython.viper compiles; the pure
# twins in pure.py must give the same results (host_tests/test_fast.py).
# No bounds checks: callers are trusted (see smolnet/fast/__init__.py and
# smolnet/socket/span.py, the check user numbers pass before they get here).
import micropython


@micropython.viper
def sum16(buf: ptr8, off: int, n: int, acc: int) -> int:
    s = acc
    i = off
    end = off + n - 1
    while i < end:
        # fold every 16 KiB so a 32-bit machine word never overflows
        stop = i + 16384
        if stop > end:
            stop = end
        while i < stop:
            s += (buf[i] << 8) | buf[i + 1]
            i += 2
        s = (s & 0xFFFF) + (s >> 16)
    if i == end:
        s += buf[i] << 8
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


@micropython.viper
def _copy(dst: ptr8, doff: int, src: ptr8, soff: int, n: int, backwards: int):
    if backwards:
        i = n - 1
        while i >= 0:
            dst[doff + i] = src[soff + i]
            i -= 1
    else:
        i = 0
        while i < n:
            dst[doff + i] = src[soff + i]
            i += 1


def copy(dst, doff, src, soff, n):
    _copy(dst, doff, src, soff, n, dst is src and soff < doff < soff + n)


@micropython.viper
def copy_sum16(dst: ptr8, doff: int, src: ptr8, soff: int, n: int, acc: int) -> int:
    d = ptr8(uint(dst) + doff)     # base pointers: no offset added per byte
    p = ptr8(uint(src) + soff)
    s = acc
    i = 0
    end = n - 1
    while i < end:
        stop = i + 16384           # fold every 16 KiB, as sum16 does
        if stop > end:
            stop = end
        while i < stop:
            hi = p[i]
            lo = p[i + 1]
            d[i] = hi
            d[i + 1] = lo
            s += (hi << 8) | lo
            i += 2
        s = (s & 0xFFFF) + (s >> 16)
    if i == end:
        hi = p[i]
        d[i] = hi
        s += hi << 8
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


@micropython.viper
def _equal(a: ptr8, aoff: int, b: ptr8, boff: int, n: int) -> int:
    i = 0
    while i < n:
        if a[aoff + i] != b[boff + i]:
            return 0
        i += 1
    return 1


def equal(a, aoff, b, boff, n):
    return _equal(a, aoff, b, boff, n) == 1


@micropython.viper
def fill(buf: ptr8, off: int, n: int, value: int):
    i = off
    end = off + n
    while i < end:
        buf[i] = value
        i += 1
