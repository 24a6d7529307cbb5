# Descriptor rings for the DMA MAC drivers (boards/stm32eth, boards/nxpenet).
#
# Both MACs walk rings of fixed-size descriptors, each pointing at one frame
# buffer of `bs` bytes; the rings and buffers live in preallocated buffers
# (or are carved from a caller's DMA region). In both descriptor formats the
# ownership bit is bit 7 of byte 3 (STM32 TDES0/RDES0 OWN, bit 31 of a
# little-endian word; NXP ENET's E/R, bit 15 of the flags half-word): set,
# the MAC owns the descriptor; the driver touches one only while it is
# clear, and hands it over by writing byte 3 last, alone (a whole word with
# bit 31 set would be a boxed int on 32-bit ports).
#
#   size(nrx, ntx, desc, bs, ring_align)   bytes carve() needs
#   carve(dma, nrx, ntx, desc, bs, align, ring_align)
#                                      (rxd, txd, rxb, txb): rings and frame
#                                      buffers, allocated or cut from `dma`
#   put32(b, off, v)                   a little-endian word into a descriptor
#   owned(d, i)                        the MAC holds descriptor i
#   release(d, i, b3)                  status bytes 0-2 cleared, then byte 3
#                                      (ownership and its neighbours) written
#   after(d, i, desc)                  the descriptor after i, wrapping: the
#                                      ring walk
#   rx_verdict(nic, n, room, status)   what becomes of a received descriptor:
#                                      True to copy its frame, else counted in
#                                      the Device contract's counters
#
# Allocation: size/carve/put32 run at set-up and allocate; owned, release,
# after and rx_verdict run per frame and allocate nothing (their frames fit
# the C stack: a few arguments, no locals).
import uctypes
from micropython import const

OWN = const(0x80)               # byte 3 of a descriptor
# rx_verdict's status bits: where STM32 RDES0 byte 1 has LS, FS and ES, so
# that driver passes that byte as it is
RX_LAST = const(0x01)
RX_FIRST = const(0x02)
RX_BAD = const(0x80)
_MIN_FRAME = const(14)          # an Ethernet header


def _up(n, a):
    return (n + a - 1) // a * a


def size(nrx, ntx, desc, bs, ring_align):
    """Bytes of a DMA region that carve() cuts into: the frame buffers, then
    each ring rounded up to ring_align."""
    return (nrx + ntx) * bs + _up(nrx * desc, ring_align) + _up(ntx * desc, ring_align)


def carve(dma, nrx, ntx, desc, bs, align, ring_align):
    """(rxd, txd, rxb, txb). Without dma: four new bytearrays. With dma (a
    writable buffer, `align`-byte aligned, size() bytes or more): views of
    it, frame buffers first (they stay aligned to bs multiples), then the
    rx ring and the tx ring, each starting on a ring_align boundary."""
    nrd = nrx * desc
    ntd = ntx * desc
    if dma is None:
        return bytearray(nrd), bytearray(ntd), bytearray(nrx * bs), bytearray(ntx * bs)
    if len(dma) < size(nrx, ntx, desc, bs, ring_align):
        raise ValueError("dma buffer too small")
    if uctypes.addressof(dma) % align:
        raise ValueError("dma buffer must be %d-byte aligned" % align)
    mv = memoryview(dma)
    rb = nrx * bs
    tb = ntx * bs
    o = rb + tb
    t = o + _up(nrd, ring_align)
    return mv[o:o + nrd], mv[t:t + ntd], mv[0:rb], mv[rb:rb + tb]


def put32(b, off, v):
    b[off] = v & 0xFF
    b[off + 1] = (v >> 8) & 0xFF
    b[off + 2] = (v >> 16) & 0xFF
    b[off + 3] = (v >> 24) & 0xFF


def owned(d, i):
    return d[i + 3] & OWN


def release(d, i, b3):
    d[i] = 0
    d[i + 1] = 0
    d[i + 2] = 0
    d[i + 3] = b3                       # ownership last


def after(d, i, desc):
    i += desc
    return 0 if i == len(d) else i


def rx_verdict(nic, n, room, status):
    """A descriptor the MAC gave back, holding n frame bytes: True if the
    frame is whole, good and fits `room` (copy it); otherwise it is counted
    and skipped. status: RX_LAST (the frame ends here), RX_FIRST (it starts
    here; set it where the format does not say), RX_BAD (error summary).
    A frame spanning descriptors (longer than one buffer) is dropped whole:
    nic._rx_skip is set at its first part and cleared at its end, which
    counts it in rx_too_long; so is a frame over `room`, never truncated.
    A bad frame or a runt counts in rx_errors."""
    if not status & RX_LAST:
        nic._rx_skip = True             # frame spans buffers: too long
    elif nic._rx_skip or not status & RX_FIRST:
        nic._rx_skip = False
        nic.rx_too_long += 1
    elif status & RX_BAD or n < _MIN_FRAME:
        nic.rx_errors += 1
    elif n > room:
        nic.rx_too_long += 1
    else:
        return True
    return False
