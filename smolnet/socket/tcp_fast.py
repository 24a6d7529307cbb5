# TCP's per-segment number crunching, chosen once at import: viper twins
# where the emitter exists (unix port, Cortex-M), the pure versions from
# tcp_seq elsewhere (CPython, webassembly). Same results either way.
#   seq_get(buf, off, bhi, blo) -> signed offset of the 32-bit number at off
#   seq_put(buf, off, bhi, blo, rel)
# No bounds checks: the callers are TCP's own segment code, with offsets of
# headers the Interface has already checked against the frame's length.
import sys

IMPL = "pure"
if sys.implementation.name == "micropython":
    try:
        from .tcp_fast_viper import seq_get, seq_put
        IMPL = "viper"
    except (SyntaxError, ImportError):
        from .tcp_seq import seq_get, seq_put
else:
    from .tcp_seq import seq_get, seq_put

__all__ = ("seq_get", "seq_put", "IMPL")   # the chosen implementation
