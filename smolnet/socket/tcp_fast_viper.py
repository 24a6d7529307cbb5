# Viper twins of tcp_seq.seq_get / seq_put (see tcp_seq.py for the
# representation). Imported only where @micropython.viper compiles; the
# results must equal the pure versions (host_tests/test_tcp_seq.py).
# Viper ints are machine words, so the half arithmetic runs without any
# object being made; the result is always a small int.
# No bounds checks: the callers are TCP's own segment code, with offsets of
# headers the Interface has already checked against the frame's length.
import micropython


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
