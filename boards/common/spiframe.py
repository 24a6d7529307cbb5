# Moving the first n bytes of a frame buffer over machine.SPI without
# allocating, for SPI Ethernet chips (W5500, ENC28J60).
#
# machine.SPI.readinto()/write() always move a whole buffer, and slicing a
# bytearray or memoryview allocates, so "read n bytes into buf" cannot be
# spelled spi.readinto(memoryview(buf)[:n]) on a per-frame path. Instead a
# frame of n bytes moves in at most two SPI calls inside one chip-select
# frame (the chip sees one continuous burst):
#   bulk  the first 64*(n // 64) bytes, through a view of the caller's own
#         buffer: views buf[:64], buf[:128], ... are made once per buffer
#         object and kept (the stack reuses one rx and one tx buffer)
#   tail  the last n % 64 bytes, through a 64-byte scratch buffer with
#         views scratch[:1] .. scratch[:63] made once, copied to/from buf
# Memory: about (len(buf) // 64 + 64) memoryview objects per FrameIO
# (~2 KB on a 32-bit port for 1514-byte frames). The views keep the last rx
# and tx buffer alive (and, on CPython, unresizable) until others are used.
from micropython import const
from smolnet.fast import copy

_STEP = const(64)
_SHIFT = const(6)
_MASK = const(63)


class FrameIO:
    """Allocation: __init__ allocates the scratch views; read()/write()
    allocate only the first time they see a given buffer object (its bulk
    views), then never again for that buffer."""

    def __init__(self):
        self._scratch = bytearray(_STEP)
        mv = memoryview(self._scratch)
        self._tails = [mv[:i] for i in range(_STEP)]
        self._rbuf = None
        self._rviews = None
        self._wbuf = None
        self._wviews = None

    @staticmethod
    def _views(buf):
        mv = memoryview(buf)
        return [mv[:_STEP * q] for q in range(len(buf) // _STEP + 1)]

    def read(self, spi, buf, n):
        """Clock n bytes from the chip into buf[0:n] (CS already low)."""
        if buf is not self._rbuf:
            self._rviews = self._views(buf)
            self._rbuf = buf
        q = n >> _SHIFT
        if q:
            spi.readinto(self._rviews[q])
        r = n & _MASK
        if r:
            spi.readinto(self._tails[r])
            copy(buf, n - r, self._scratch, 0, r)

    def write(self, spi, buf, n):
        """Clock buf[0:n] out to the chip (CS already low)."""
        if buf is not self._wbuf:
            self._wviews = self._views(buf)
            self._wbuf = buf
        q = n >> _SHIFT
        if q:
            spi.write(self._wviews[q])
        r = n & _MASK
        if r:
            copy(self._scratch, 0, buf, n - r, r)
            spi.write(self._tails[r])
