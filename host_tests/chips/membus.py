# Shared pieces for the memory-mapped chip models (lan9118, stm32eth,
# nxpenet): fakemachine installation, a cached DMA
# address lookup, a preallocated frame queue for the "wire", a clause-22
# PHY, the Ethernet FCS, the Device at the far end of a model's cable, and
# the end-to-end scenarios: two_interfaces (ARP, ping, UDP) and tcp_both_ways
# (a TCP bulk transfer both ways at once, chips/e2e.py's TcpPump).
#
import sys

import fakemachine
from smolnet import fast


def install():
    """A fresh fake bus (regions and DMA table cleared) behind the same
    `machine`/`uctypes` module objects drivers were imported with."""
    fakemachine.reset()
    return fakemachine.install()


try:
    from support import raises
except ImportError:
    def raises(exc, fn, *args, **kw):
        """True if fn(*args, **kw) raises exc."""
        try:
            fn(*args, **kw)
        except exc:
            return True
        return False

try:
    from support import heap_locked
except ImportError:
    def heap_locked(fn):
        """Run fn() with the MicroPython heap locked (no-op lock on CPython)."""
        import micropython
        micropython.heap_lock()
        try:
            return fn()
        finally:
            micropython.heap_unlock()


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


# --- Ethernet FCS (IEEE 802.3 clause 3.2.9: CRC-32, reflected, ~) -------

def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC = _crc_table()


def fcs(buf, off, n):
    """FCS of buf[off:off+n] as an int; sent least significant byte first."""
    c = 0xFFFFFFFF
    t = _CRC
    for i in range(off, off + n):
        c = t[(c ^ buf[i]) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


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


def is_micropython():
    return sys.implementation.name == "micropython"


def two_interfaces(nic, peer, rounds=8, pump=None, slow=1):
    """Interface A over the driver, interface B over the far end of the
    model's cable: ARP, ping both ways, UDP both ways byte-exact.
    pump() runs between polls when the cable has latency (QEMU); slow
    multiplies the polls allowed per exchange. Returns (a, b)."""
    from smolnet.iface.interface import Interface
    from smolnet.config import Config
    from smolnet.socket.icmp import IcmpSocket
    from smolnet.socket.udp import UdpSocket
    from smolnet.wire import ipaddr
    ip_a = ipaddr.parse4("192.0.2.1")
    ip_b = ipaddr.parse4("192.0.2.2")
    a = Interface(nic, Config(strict=True))
    a.add_ip("192.0.2.1/24")
    b = Interface(peer, Config(strict=True))
    b.add_ip("192.0.2.2/24")
    clock = [0]

    def run(steps):
        for _ in range(steps * slow):
            if pump is not None:
                pump()
            a.poll(clock[0])
            b.poll(clock[0])
            clock[0] += 1

    buf = bytearray(1600)
    sa = a.add_socket(IcmpSocket())
    sa.bind(0x1234)
    sb = b.add_socket(IcmpSocket())
    sb.bind(0x4321)
    for seq in range(rounds):
        payload = bytes((seq * 7 + i) & 0xFF for i in range(56 + seq))
        sa.send_echo(ip_b, seq, payload, len(payload))
        run(6)
        n = sa.recv_into(buf)
        assert n == 8 + len(payload), n
        assert buf[0] == 0 and bytes(buf[8:n]) == payload
        sb.send_echo(ip_a, seq, payload, len(payload))
        run(6)
        n = sb.recv_into(buf)
        assert n == 8 + len(payload) and bytes(buf[8:n]) == payload
    assert a.stats.arp_requests == 1 and b.stats.arp_replies == 1
    ua = a.add_socket(UdpSocket(rx_bytes=3000, tx_bytes=3000))
    ua.bind(1000)
    ub = b.add_socket(UdpSocket(rx_bytes=3000, tx_bytes=3000))
    ub.bind(6969)
    for size in (0, 1, 17, 18, 19, 20, 100, 1000, 1471, 1472):
        data = bytes((i * 31 + size) & 0xFF for i in range(size))
        ua.send_to(data, size, ip_b, 6969)
        run(3)
        n = ub.recv_into(buf)
        assert n == size and bytes(buf[:n]) == data
        assert bytes(ub.peer_addr[:4]) == ip_a and ub.peer_port == 1000
        ub.send_to(data, size, ip_a, 1000)
        run(3)
        n = ua.recv_into(buf)
        assert n == size and bytes(buf[:n]) == data
    assert a.stats.drops() == 0, a.stats
    assert b.stats.drops() == 0, b.stats
    return a, b


def tcp_both_ways(nic, peer, n, flag=None, faults=None, **opts):
    """Interface A over the driver, B over the far end of the model's cable
    (PeerDevice): n bytes each way at once over TCP, hash-compared, then a
    clean close (chips/e2e.py tcp_end_to_end: flag, faults, TCP options).
    Returns (pair, pump, fault injector or None)."""
    from chips.e2e import tcp_end_to_end
    return tcp_end_to_end(nic, peer, n, flag=flag, faults=faults, **opts)
