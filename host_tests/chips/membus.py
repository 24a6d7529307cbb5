# Shared pieces for the memory-mapped chip models (lan9118, stm32eth,
# nxpenet): fakemachine installation, a cached DMA address lookup, a
# preallocated frame queue for the "wire", a clause-22 PHY and the Device at
# the far end of a model's cable. (The FCS is chips.fcs, the end-to-end
# scenarios chips/e2e.py and host_tests/board_scenario.py.)
import fakemachine
from smolnet import fast


def install():
    """A fresh fake bus (regions and DMA table cleared) behind the same
    `machine`/`uctypes` module objects drivers were imported with."""
    fakemachine.reset()
    return fakemachine.install()


class DmaView:
    """dma_resolve() with a cache: the first look-up of an address
    allocates (warm-up), later ones do not."""

    def __init__(self):
        self._cache = {}

    def resolve(self, addr, need=1):
        """(buf, offset) for a bus address; AssertionError if the `need`
        bytes from there are not inside one mapped buffer."""
        t = self._cache.get(addr)
        if t is None:
            try:
                t = fakemachine.dma_resolve(addr)
            except OSError:
                raise AssertionError("DMA access to unmapped address 0x%08x" % addr)
            self._cache[addr] = t
        if t[1] + need > len(t[0]):
            raise AssertionError("DMA access of %d bytes at 0x%08x runs past its buffer"
                                 % (need, addr))
        return t


def get32(buf, off):
    return buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)


def put32(buf, off, v):
    buf[off] = v & 0xFF
    buf[off + 1] = (v >> 8) & 0xFF
    buf[off + 2] = (v >> 16) & 0xFF
    buf[off + 3] = (v >> 24) & 0xFF


def get16(buf, off):
    return buf[off] | (buf[off + 1] << 8)


def put16(buf, off, v):
    buf[off] = v & 0xFF
    buf[off + 1] = (v >> 8) & 0xFF


class FrameQueue:
    """Fixed slots of frames: the wire between a chip model and its peer."""

    def __init__(self, slots=64, size=2048):
        self.bufs = [bytearray(size) for _ in range(slots)]
        self.lens = [0] * slots
        self.head = 0
        self.count = 0
        self.dropped = 0

    def put(self, src, off, n):
        if self.count == len(self.bufs):
            self.dropped += 1
            return False
        k = self.head + self.count
        if k >= len(self.bufs):
            k -= len(self.bufs)
        fast.copy(self.bufs[k], 0, src, off, n)
        self.lens[k] = n
        self.count += 1
        return True

    def get_into(self, dst):
        """Copy the oldest frame into dst; its length, 0 if none."""
        if self.count == 0:
            return 0
        n = self.lens[self.head]
        fast.copy(dst, 0, self.bufs[self.head], 0, n)
        self.head += 1
        if self.head == len(self.bufs):
            self.head = 0
        self.count -= 1
        return n

    def pop(self):
        """The oldest frame as bytes (allocates: for test assertions)."""
        b = bytearray(len(self.bufs[0]))
        n = self.get_into(b)
        return bytes(b[:n]) if n else None


class Phy:
    """A clause-22 PHY: BMCR/BMSR/ID/ANAR/ANLPAR plus vendor registers.

    Reset self-clears after `reset_reads` reads of BMCR; auto-negotiation
    completes at once while the cable is up. set_link(False) pulls it."""

    def __init__(self, id1, id2, partner=0x05E1, reset_reads=1):
        self.id1 = id1
        self.id2 = id2
        self.partner = partner      # ANLPAR while linked (default: 10/100 full/half)
        self.reset_reads = reset_reads
        self.cable = True
        self.vendor = {}            # reg -> value for registers a chip adds
        self._hard_reset()

    def _hard_reset(self):
        self.bmcr = 0x3000          # 100 Mbit/s, auto-negotiation enabled
        self.anar = 0x01E1
        self.latched_down = False
        self._resetting = 0

    def set_link(self, up):
        if not up:
            self.latched_down = True
        self.cable = up

    def _linked(self):
        return self.cable and not self.bmcr & 0x0800 and not self._resetting  # not powered down

    def read(self, reg):
        if reg == 0:
            if self._resetting:
                self._resetting -= 1
                if self._resetting == 0:
                    self._hard_reset()
                    return self.bmcr
                return self.bmcr | 0x8000
            return self.bmcr
        if reg == 1:
            v = 0x7809              # 10/100 half/full abilities, AN able, ext caps
            if self._linked() and not self.latched_down:
                v |= 0x0004
            if self._linked() and self.bmcr & 0x1000:
                v |= 0x0020
            self.latched_down = False  # latched low: cleared by this read
            return v
        if reg == 2:
            return self.id1
        if reg == 3:
            return self.id2
        if reg == 4:
            return self.anar
        if reg == 5:
            return self.partner if self._linked() else 0
        if reg == 6:
            return 0x0001 if self._linked() else 0
        v = self.vendor.get(reg)
        if v is None:
            raise AssertionError("PHY register %d is not implemented by this PHY" % reg)
        return v

    def write(self, reg, value):
        if reg == 0:
            if value & 0x8000:
                self._resetting = self.reset_reads
                self.bmcr = value & 0x7FFF
                return
            self.bmcr = value & 0x7F80 & ~0x0200  # restart-AN self-clears
            return
        if reg == 4:
            self.anar = (value & 0x2DE0) | 0x0001
            return
        if reg in (1, 2, 3, 5, 6):
            raise AssertionError("PHY register %d is read-only" % reg)
        if reg not in self.vendor:
            raise AssertionError("PHY register %d is not implemented by this PHY" % reg)
        self.vendor[reg] = value


class PeerDevice:
    """The far end of a modelled chip's cable, as a smolnet Device.

    Frames the chip transmits are received here; frames sent here arrive
    at the chip's receiver."""

    mtu = 1514
    medium = 1  # MEDIUM_ETHERNET
    poll_obj = None
    flag = None

    def __init__(self, model, mac):
        self.model = model
        self.mac = bytes(mac)

    def recv_into(self, buf):
        return self.model.wire_out.get_into(buf)

    def send(self, buf, n):
        self.model.wire_in(buf, n)
        return True

    def link_up(self):
        return True

    def close(self):
        pass
