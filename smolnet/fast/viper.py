# Viper fast paths. Imported only where @micropython.viper compiles; the pure
# twins in pure.py must give the same results (host_tests/test_fast.py).
#
# Word at a time: on a Cortex-M3 a byte loop costs ~37 instructions a byte
# for a copy and ~21 for a checksum (measured under QEMU -icount); the loops
# below move and sum 32-bit words from aligned addresses and take only the
# head and tail bytewise. Aligned only: ARMv6-M (Cortex-M0+, RP2040) faults
# on unaligned word access. A source whose alignment differs from the
# destination's is read as aligned words and shifted into place (reads stay
# within the aligned words that hold the source's first and last byte).
# Buffers travel between these functions as the objects themselves (no
# ptr8 annotation on the parameter), each taking its own pointer with ptr8():
# a pointer or an address passed to a call becomes a Python int, boxed
# (allocated) past 2**30 on a 32-bit port. No bounds checks: callers are
# trusted (see smolnet/fast/__init__.py and smolnet/socket/span.py, the check
# user numbers pass before they get here).
import micropython


@micropython.viper
def _fold(s: uint) -> uint:
    while s > uint(0xFFFF):
        s = (s & 0xFFFF) + (s >> 16)
    return s


@micropython.viper
def _sum_words(buf, off: int, nwords: int) -> uint:
    # one's complement sum of the little-endian 16-bit halves of nwords
    # aligned words at buf + off: the byte-swapped sum of the big-endian pairs
    w32 = ptr32(uint(ptr8(buf)) + uint(off))
    s = uint(0)
    i = 0
    while i < nwords:
        stop = i + 4096            # fold before 4096 * 0x1FFFE can overflow
        if stop > nwords:
            stop = nwords
        while i < stop:
            w = uint(w32[i])
            s += (w & 0xFFFF) + (w >> 16)
            i += 1
        s = (s & 0xFFFF) + (s >> 16)
    return s


@micropython.viper
def sum16(obj, off: int, n: int, acc: int) -> int:
    buf = ptr8(obj)
    p = uint(buf) + uint(off)
    s = uint(acc)
    k = 0                          # position from off: even is a pair's high byte
    # bytes up to the first aligned word
    while k < n and (p + uint(k)) & 3:
        b = uint(buf[off + k])
        if k & 1:
            s += b
        else:
            s += b << 8
        k += 1
    nw = (n - k) >> 2
    if nw:
        m = uint(_fold(_sum_words(obj, off + k, nw)))
        # the words' first byte sits at an even position: their sum is swapped
        if k & 1:
            s += m
        else:
            s += ((m & 0xFF) << 8) | (m >> 8)
        k += nw << 2
    while k < n:
        b = uint(buf[off + k])
        if k & 1:
            s += b
        else:
            s += b << 8
        k += 1
    return int(_fold(s))


@micropython.viper
def _copy_back(dst: ptr8, doff: int, src: ptr8, soff: int, n: int):
    i = n - 1
    while i >= 0:
        dst[doff + i] = src[soff + i]
        i -= 1


@micropython.viper
def _copy_words(dst, doff: int, src, soff: int, nwords: int):
    # dst + doff aligned; src + soff of any alignment: aligned reads shifted
    # into place
    d = uint(ptr8(dst)) + uint(doff)
    s = uint(ptr8(src)) + uint(soff)
    dw = ptr32(d)
    k = int(s & 3)
    if k == 0:
        sw = ptr32(s)
        i = 0
        while i < nwords:
            dw[i] = sw[i]
            i += 1
        return
    sw = ptr32(s - uint(k))
    lo = uint(8 * k)
    hi = uint(32) - lo
    prev = uint(sw[0])
    i = 0
    while i < nwords:
        cur = uint(sw[i + 1])
        dw[i] = (prev >> lo) | (cur << hi)
        prev = cur
        i += 1


@micropython.viper
def _copy_fwd(dobj, doff: int, sobj, soff: int, n: int):
    dst = ptr8(dobj)
    src = ptr8(sobj)
    d = uint(dst) + uint(doff)
    i = 0
    while i < n and (d + uint(i)) & 3:
        dst[doff + i] = src[soff + i]
        i += 1
    nw = (n - i) >> 2
    if nw:
        _copy_words(dobj, doff + i, sobj, soff + i, nw)
        i += nw << 2
    while i < n:
        dst[doff + i] = src[soff + i]
        i += 1


def copy(dst, doff, src, soff, n):
    if dst is src and soff < doff < soff + n:
        _copy_back(dst, doff, src, soff, n)
    else:
        _copy_fwd(dst, doff, src, soff, n)


@micropython.viper
def _copy_sum_words(dst, doff: int, src, soff: int, nwords: int) -> uint:
    # _copy_words and _sum_words in one loop: each word is summed as it is
    # stored (one load and one store a word instead of two loads); dst +
    # doff aligned, src of any alignment. Returns the byte-swapped sum of
    # the words written, folded.
    d = uint(ptr8(dst)) + uint(doff)
    s = uint(ptr8(src)) + uint(soff)
    dw = ptr32(d)
    k = int(s & 3)
    sw = ptr32(s - uint(k))
    lo = uint(8 * k)
    hi = uint(32) - lo
    acc = uint(0)
    mask = uint(0xFFFFFFFF)
    prev = uint(sw[0])
    i = 0
    while i < nwords:
        stop = i + 4096            # fold before 4096 * 0x1FFFE can overflow
        if stop > nwords:
            stop = nwords
        if k == 0:
            while i < stop:
                w = uint(sw[i])
                dw[i] = w
                acc += (w & 0xFFFF) + (w >> 16)
                i += 1
        else:
            while i < stop:
                cur = uint(sw[i + 1])
                # (masked: viper words are 64-bit on the unix port, and the
                # shifted-out bits would reach the sum though not the store)
                w = ((prev >> lo) | (cur << hi)) & mask
                dw[i] = w
                acc += (w & 0xFFFF) + (w >> 16)
                prev = cur
                i += 1
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


@micropython.viper
def copy_sum16(dst, doff: int, src, soff: int, n: int, acc: int) -> int:
    # one pass: bytes up to dst's first aligned word, then words copied and
    # summed together, then the tail (src and dst must not overlap); the
    # sum as sum16 keeps it. Viper, not plain Python: six arguments would
    # give a bytecode frame over 11 words, taken from the heap on every call
    # (tools/frame_sizes.py)
    d8 = ptr8(dst)
    s8 = ptr8(src)
    p = uint(d8) + uint(doff)
    s = uint(acc)
    k = 0                          # position from doff: even is a pair's high byte
    while k < n and (p + uint(k)) & 3:
        b = uint(s8[soff + k])
        d8[doff + k] = b
        if k & 1:
            s += b
        else:
            s += b << 8
        k += 1
    nw = (n - k) >> 2
    if nw:
        m = uint(_fold(_copy_sum_words(dst, doff + k, src, soff + k, nw)))
        if k & 1:
            s += m
        else:
            s += ((m & 0xFF) << 8) | (m >> 8)
        k += nw << 2
    while k < n:
        b = uint(s8[soff + k])
        d8[doff + k] = b
        if k & 1:
            s += b
        else:
            s += b << 8
        k += 1
    return int(_fold(s))


@micropython.viper
def copy_sum(dst, doff: int, src, soff: int, n: int) -> int:
    return int(copy_sum16(dst, doff, src, soff, n, 0))


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
