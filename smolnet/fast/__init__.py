# Byte-level fast paths: the few loops every packet goes through.
#
# Three twins give the same answers (host_tests/test_fast.py checks that):
#   viper.py  MicroPython with the viper emitter (unix port, Cortex-M, ...)
#   pure.py   MicroPython without viper (webassembly port): plain loops
#   host.py   CPython: slices and int.from_bytes, fast where allocation is free
# The choice is made once, here, at import.
#
#   sum16(buf, off, n, acc) -> folded 16-bit one's-complement sum of buf[off:off+n]
#                              (odd tail padded with a zero byte) plus acc (0..0xFFFF)
#   copy(dst, doff, src, soff, n)  memmove semantics: overlap in one buffer is safe
#   equal(a, aoff, b, boff, n) -> bool
#   fill(buf, off, n, value)
# None of them allocates on MicroPython.
import sys

IMPL = "pure"
if sys.implementation.name != "micropython":
    from .host import sum16, copy, equal, fill
    IMPL = "host"
else:
    try:
        from .viper import sum16, copy, equal, fill
        IMPL = "viper"
    except (SyntaxError, ImportError):
        # webassembly (and other builds without native emitters) reject
        # @micropython.viper at compile time
        from .pure import sum16, copy, equal, fill
