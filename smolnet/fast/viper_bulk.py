# Viper fast paths: sum16, copy, copy_sum16, copy_sum. Imported only where
# @micropython.viper compiles; the pure twins in pure.py must give the same
# results (host_tests/test_fast.py). ARMv7-M builds have thumb.py's instead
# and leave this file out (firmware/smolnet_files.py ARCH_NOT); equal, fill
# and the sequence numbers are in viper.py.
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
from .viper import _copy_back


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
