# Register-level models of Ethernet chips, for testing board drivers on the
# host (CPython and the MicroPython unix port) through fakemachine.
#
#   w5500.py     WIZnet W5500 (SPI, MACRAW socket)
#   enc28j60.py  Microchip ENC28J60 (SPI)
#   lan9118.py   SMSC LAN9118 (memory-mapped FIFOs)
#   stm32eth.py  STM32 ETH (Synopsys MAC, DMA descriptor rings)
#   nxpenet.py   NXP ENET (buffer descriptors)
#   membus.py    what the memory-mapped models share (bus, DMA view, PHY)
#   qemu.py      QEMU's own device models over qtest, for the same drivers
#   wire.py      a cable between chip models and/or a smolnet-style endpoint
#   e2e.py       smolnet Interfaces on both ends of a wire: ARP, ping, UDP,
#                TCP (the scenarios on top: host_tests/board_scenario.py)
#
# This module: what the SPI models share (chip select tracking, INT/RST
# pins), the one CRC-32 for frame check sequences (every model's), the
# destination-address checks of the models' receive filters, a chip that is
# not there, test-frame builders and the one Flag (the tests'
# ThreadSafeFlag). A model's per-transfer path allocates nothing, so a test
# can lock the heap (support.heap_locked) around a driver call that runs
# the model.
import smolnet  # noqa: F401  (CPython: installs micropython/time shims)
import fakemachine


def fresh_machine():
    """Forget every pin/SPI/model from an earlier test and (re)install the
    fake machine module. Call first in every test."""
    fakemachine.reset()
    return fakemachine.install()


class SpiChip:
    """Base for SPI chip models: tracks CS through the fake Pin, refuses
    transfers while CS is high, counts transactions (CS low..high).

    Subclasses implement begin() (CS fell), end() (CS rose) and
    transfer(wbuf, rbuf, n, fill) (bytes clocked while selected)."""

    def __init__(self, spi_id, cs):
        fakemachine.attach_spi(spi_id, self)
        self.cs_pin = cs if isinstance(cs, fakemachine.Pin) else fakemachine.Pin(cs)
        self.selected = self.cs_pin.value() == 0
        self.transactions = 0
        self.cs_pin.watch(self._cs_edge)

    def _cs_edge(self, level):
        if level == 0:
            self.selected = True
            self.begin()
        else:
            self.selected = False
            self.end()
            self.transactions += 1

    def wire_pins(self, int_pin, rst_pin):
        """The chip's INT output (driven high: not asserted) and RST input
        (a falling edge resets the model: _rst_edge), either given as a
        fakemachine.Pin or its name; None: not wired."""
        self.int_pin = None
        self._int_level = 1
        if int_pin is not None:
            self.int_pin = int_pin if isinstance(int_pin, fakemachine.Pin) \
                else fakemachine.Pin(int_pin)
            self.int_pin.drive(1)
        if rst_pin is not None:
            p = rst_pin if isinstance(rst_pin, fakemachine.Pin) else fakemachine.Pin(rst_pin)
            p.watch(self._rst_edge)

    def spi_transfer(self, wbuf, rbuf, n, fill):
        assert self.selected, "SPI transfer while CS is high"
        self.transfer(wbuf, rbuf, n, fill)

    def begin(self):
        pass

    def end(self):
        pass

    def transfer(self, wbuf, rbuf, n, fill):
        pass


class AbsentChip(SpiChip):
    """Nothing on the bus: MISO reads as a constant (0x00 pulled down, 0xFF
    pulled up)."""

    def __init__(self, spi_id, cs, level=0x00):
        SpiChip.__init__(self, spi_id, cs)
        self.level = level

    def transfer(self, wbuf, rbuf, n, fill):
        if rbuf is not None:
            for i in range(n):
                rbuf[i] = self.level


# --- Ethernet FCS (IEEE 802.3 clause 3.2.9: CRC-32, reflected, ~) -------
# The one CRC-32 of the chip models, written here from the standard: the
# drivers under test compute none (the MACs append and check the FCS), so
# nothing a model checks is computed by the code it checks.

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
    """FCS of buf[off:off+n] as an int (table driven; allocates nothing on
    64-bit ports, where values stay small ints); sent least significant
    byte first."""
    c = 0xFFFFFFFF
    t = _CRC
    for i in range(off, off + n):
        c = t[(c ^ buf[i]) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


BROADCAST = b"\xff\xff\xff\xff\xff\xff"


# --- the destination address, for the models' receive filters --------------

def is_broadcast(buf, off):
    """buf[off:off+6] is ff:ff:ff:ff:ff:ff (no slice: allocation-free)."""
    for i in range(6):
        if buf[off + i] != 0xFF:
            return False
    return True


def addressed_to(buf, off, mac, moff=0):
    """buf[off:off+6] equals mac[moff:moff+6] (any indexables; a model's
    address register file, say)."""
    for i in range(6):
        if buf[off + i] != mac[moff + i]:
            return False
    return True


def make_frame(dst, src, n, seed, ethertype=0x88B5):
    """An n-byte Ethernet frame to dst from src with a seed-dependent
    payload (EtherType 0x88B5: IEEE local experimental)."""
    f = bytearray(n)
    f[0:6] = dst
    f[6:12] = src
    f[12] = ethertype >> 8
    f[13] = ethertype & 0xFF
    x = seed & 0xFF
    for i in range(14, n):
        x = (x * 73 + 41 + i) & 0xFF
        f[i] = x
    return f


class Flag:
    """Stand-in for asyncio.ThreadSafeFlag: set() is all an IRQ may call."""

    def __init__(self):
        self.count = 0

    def set(self):
        self.count += 1

    def is_set(self):
        return self.count > 0

    def clear(self):
        self.count = 0
