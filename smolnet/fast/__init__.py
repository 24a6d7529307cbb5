# Byte-level fast paths: the few loops every packet goes through.
#
# Four twins give the same answers (host_tests/test_fast.py checks that;
# test_firmware_qemu.py checks thumb.py against pure.py on the Cortex-M3):
#   viper.py  MicroPython with the viper emitter (unix port, Cortex-M, ...):
#             equal, fill, seq_get, seq_put here, the rest in viper_bulk.py
#   thumb.py  sum16, copy, copy_sum16, copy_sum in Thumb-2 assembler, on ARMv7-M and
#             later (Cortex-M3/M4/M7): 6 to 8 times viper's speed there, and
#             their firmware leaves viper_bulk.py out (6 KB less flash)
#   pure.py   MicroPython without viper (webassembly port): plain loops
#   host.py   CPython: slices and int.from_bytes, fast where allocation is free
# The choice is made once, here, at import.
#
#   sum16(buf, off, n, acc) -> folded 16-bit one's-complement sum of buf[off:off+n]
#                              (odd tail padded with a zero byte) plus acc (0..0xFFFF)
#   copy(dst, doff, src, soff, n)  memmove semantics: overlap in one buffer is safe
#   copy_sum16(dst, doff, src, soff, n, acc) -> copy n bytes (src and dst must not
#                              overlap) and return sum16(dst, doff, n, acc) of them:
#                              one pass instead of two (TCP payload into a frame).
#       Chunks: the sum treats the chunk's first byte as the high byte of a
#       word. A chunk that starts at an odd offset within what is being
#       summed (e.g. the part after a ring buffer wraps) gives a byte-swapped
#       sum: swap16() it before adding (RFC 1071 2(B)), or make every chunk
#       but the last of even length.
#   copy_sum(dst, doff, src, soff, n) -> copy_sum16(..., 0): five arguments,
#                              which leave a caller room in an 11-word frame
#   swap16(s) -> s with its two bytes exchanged (plain Python, no allocation)
#   equal(a, aoff, b, boff, n) -> bool
#   fill(buf, off, n, value)
#   swap(buf, a, b, n)     exchange buf[a:a+n] and buf[b:b+n] (not overlapping)
#   ip4_header(buf, off, src, dst, len_id, ttl_proto)  the 20-byte IPv4
#                          header at buf[off:] (RFC 791 3.1), checksum
#                          included, in one call: version 4, IHL 5, TOS 0,
#                          len_id = total length << 16 | identification,
#                          ttl_proto = flags byte << 16 | TTL << 8 | protocol
#                          (fragment offset 0), source src[0:4], destination
#                          dst[0:4]; with IP4_SWAP in ttl_proto, the addresses
#                          already at buf[off+12:off+20] exchanged instead
#                          (src and dst unread: an echo reply in place)
#   seq_get(buf, off, bhi, blo) -> the 32-bit big-endian number at off minus
#                              the base (bhi, blo halves), signed, clamped to
#                              +-2**29 (TCP's offsets, smolnet/socket/tcp_seq.py)
#   seq_put(buf, off, bhi, blo, rel)  store base + rel there (mod 2**32)
#   tcp_head(buf, off, s, hlen)  a TcpSocket's ACK segment header (and its
#                              TS option) from the socket's fields, in one
#                              call (pure.tcp_head says which; tcp_emit._head)
#   tcp_nums(b, off, s, g) -> a segment's SEQ and ACK against a TcpSocket's
#                              bases into g, TSval - TS.Recent returned
#                              (pure.tcp_nums; tcp_rx._synchronized)
# None of them allocates on MicroPython.
# They trust their callers: no bounds checks (the viper twins write through
# raw pointers, past the end of a buffer or into bytes if told to). Offsets
# and lengths that come from users reach them only through the one check
# per call in smolnet/socket/span.py; the rest come from parsed, validated
# headers and the stack's own buffers.
import sys
from micropython import const

IP4_SWAP = const(0x1000000)

IMPL = "pure"
if sys.implementation.name != "micropython":
    from .host import sum16, copy, copy_sum16, copy_sum, equal, fill, swap, seq_get, seq_put, \
        ip4_header, tcp_head, tcp_nums
    IMPL = "host"
else:
    try:
        from .viper import equal, fill, swap, seq_get, seq_put, ip4_header, tcp_head, tcp_nums
        IMPL = "viper"
    except (SyntaxError, ImportError):
        # webassembly (and other builds without native emitters) reject
        # @micropython.viper at compile time
        from .pure import sum16, copy, copy_sum16, copy_sum, equal, fill, swap, seq_get, seq_put, \
            ip4_header, tcp_head, tcp_nums
    if IMPL == "viper":
        try:
            # sys.implementation._mpy's bits 10-13: the native code this
            # MicroPython runs; 5-8 are ARMv7-M and ARMv7E-M (py/persistentcode.h)
            if not 5 <= (getattr(sys.implementation, "_mpy", 0) >> 10) & 0xF <= 8:
                raise ImportError
            from .thumb import sum16, copy, copy_sum16, copy_sum
            IMPL = "thumb"
        except (SyntaxError, ImportError):
            # elsewhere (or a build without the inline assembler) viper's
            # word loops: a firmware for ARMv7-M freezes thumb.py in their
            # place (firmware/smolnet_files.py ARCH_NOT)
            from .viper_bulk import sum16, copy, copy_sum16, copy_sum

__all__ = ("sum16", "copy", "copy_sum16", "copy_sum", "equal", "fill", "swap", "seq_get", "seq_put",
           "ip4_header", "swap16", "IP4_SWAP", "IMPL", "tcp_head", "tcp_nums")


def swap16(s):
    """A folded sum with its bytes exchanged: the sum of the same bytes
    taken from an odd offset (RFC 1071 2(B), byte order independence)."""
    return ((s & 0xFF) << 8) | (s >> 8)
