# FIFO port copies for the LAN9118: the loops every frame goes through.
#
#   read(port, buf, n)   pop (n + 3) // 4 words from the FIFO port at bus
#                        address `port` and store the first n bytes in buf
#                        (little-endian: byte 0 of the frame is bits 7:0)
#   skip(port, words)    pop and discard `words` words
#   write(port, buf, n)  push buf[0:n] as (n + 3) // 4 words, the last one
#                        padded with zeros
#
# Two twins, chosen once here:
#   _fifo_viper.py  ptr32 loops on the real bus (bare-metal MicroPython):
#                   no Python int per word, so nothing is boxed even for
#                   words with bit 30/31 set on 32-bit ports.
#   _fifo_pure.py   machine.mem32 loops: CPython and the unix/webassembly
#                   ports, where machine is the host stand-in that maps the
#                   bus to a chip model (a viper ptr32 on a fake address
#                   would fault). Also the fallback for firmware built
#                   without native emitters; there, on a 32-bit port, words
#                   >= 2**30 are boxed: slower, and it allocates.
import sys

IMPL = "pure"
_HOSTED = ("linux", "darwin", "win32", "freebsd", "webassembly")

if sys.implementation.name == "micropython" and sys.platform not in _HOSTED:
    try:
        from ._fifo_viper import read, skip, write
        IMPL = "viper"
    except (SyntaxError, ImportError):
        from ._fifo_pure import read, skip, write
else:
    from ._fifo_pure import read, skip, write

__all__ = ("read", "skip", "write", "IMPL")   # the chosen implementation
