# SMSC/Microchip LAN9118 family (LAN9115..9118, LAN9215..9218, LAN9220/9221)
# as a smolnet Device, memory-mapped through machine.mem32.
#
# The chip sits on the CPU's external bus: a 256-byte window of 32-bit
# registers, with the RX/TX data FIFOs behind single ports. Frames come with
# a status word (RX status FIFO) and go with two command words (TX data
# FIFO); MAC registers sit behind an indirect CSR interface, the PHY behind
# the MAC's MII registers. See README.md for boards, wiring and QEMU.
#
#   nic = LAN9118()                       # mps2-an385 / QEMU: 0x40200000
#   iface = Interface(nic, Config())
#
# Allocation: recv_into() and send() allocate nothing (FIFO copies in
# fifo.py; status words with bit 30/31 set do not occur on the good path).
# Init, link_up() and attach_flag() may allocate: MAC CSR commands have bit
# 31 set, which is a boxed int on 32-bit ports.
import machine
from micropython import const

from smolnet.phy.device import Device
from boards.common import mdio
from . import fifo

# register offsets (datasheet section 5.3)
_RX_DATA = const(0x00)
_TX_DATA = const(0x20)
_RX_STATUS = const(0x40)
_TX_STATUS = const(0x48)
_ID_REV = const(0x50)
_IRQ_CFG = const(0x54)
_INT_STS = const(0x58)
_INT_EN = const(0x5C)
_BYTE_TEST = const(0x64)
_FIFO_INT = const(0x68)
_RX_CFG = const(0x6C)
_TX_CFG = const(0x70)
_HW_CFG = const(0x74)
_RX_FIFO_INF = const(0x7C)
_TX_FIFO_INF = const(0x80)
_PMT_CTRL = const(0x84)
_MAC_CSR_CMD = const(0xA4)
_MAC_CSR_DATA = const(0xA8)

# MAC CSR indexes, reached through MAC_CSR_CMD/MAC_CSR_DATA
_MAC_CR = const(1)
_ADDRH = const(2)
_ADDRL = const(3)
_MII_ACC = const(6)
_MII_DATA = const(7)

_BYTE_TEST_VALUE = const(0x87654321)
_HW_CFG_SRST = const(0x01)
_HW_CFG_SRST_TO = const(0x02)
_PMT_READY = const(0x01)
_CSR_BUSY = const(0x80000000)
_CSR_READ = const(0x40000000)
_MII_BZY = const(0x01)
_MII_WRITE = const(0x02)
_TX_ON = const(0x02)
_MAC_CR_RXEN = const(0x04)
_MAC_CR_TXEN = const(0x08)
_MAC_CR_MCPAS = const(1 << 19)   # pass all multicast (IPv6 ND, mDNS)
_MAC_CR_FDPX = const(1 << 20)
_IRQ_EN = const(1 << 8)          # IRQ pin: open drain, active low (reset type)
_INT_RSFL = const(1 << 3)        # RX status FIFO level (above FIFO_INT.RXSL = 0)
_INT_ALL = const(-1)             # write-1-to-clear everything (0xFFFFFFFF, unboxed)

# RX status word: 29:16 length incl. FCS, 15 error summary; TX status: 15 ES
_RXS_ES = const(0x8000)
_TXS_ES = const(0x8000)
_TXA_FIRST = const(0x2000)
_TXA_LAST = const(0x1000)

_FCS = const(4)
_MIN_FRAME = const(14)
_MTU = const(1514)
_IDS = (0x0115, 0x0116, 0x0117, 0x0118, 0x115A, 0x116A, 0x117A, 0x118A,
        0x9210, 0x9211, 0x9220, 0x9221)


class LAN9118(Device):
    """LAN9118 at bus address `base`.

    mac: 6 bytes to program, or None to keep the address the chip loaded
    from its EEPROM (QEMU provides one). irq: a machine.Pin wired to the
    chip's IRQ output, needed only for attach_flag(); None = poll mode.
    """

    def __init__(self, base=0x40200000, mac=None, irq=None, phy_addr=1, timeout=100000):
        self._m = machine.mem32
        self._base = base
        self._timeout = timeout
        # addresses precomputed once: base + offset is a boxed int on 32-bit
        self._a_rx_data = base + _RX_DATA
        self._a_tx_data = base + _TX_DATA
        self._a_rx_status = base + _RX_STATUS
        self._a_tx_status = base + _TX_STATUS
        self._a_int_sts = base + _INT_STS
        self._a_rx_inf = base + _RX_FIFO_INF
        self._a_tx_inf = base + _TX_FIFO_INF
        self._irq = irq
        self._phy = phy_addr
        self.flag = None
        self._mode = -1          # negotiated mdio.MODE_* last programmed
        self.rx_frames = 0
        self.tx_frames = 0
        self.rx_errors = 0       # error status (CRC, runt, too long on the wire)
        self.rx_too_long = 0     # good frame larger than the caller's buffer
        self.tx_full = 0         # send() refused: TX data FIFO had no room
        self.tx_errors = 0       # TX status with error summary
        self._reset()
        if mac is None:
            mac = self._read_mac()
        else:
            self._write_mac(mac)
        self.mac = bytes(mac)
        mdio.reset(self, self._phy)
        mdio.start_autoneg(self, self._phy)
        self._reg(_RX_CFG, 0)    # 4-byte end alignment, no data offset
        self._reg(_TX_CFG, _TX_ON)
        self._reg(_INT_EN, 0)
        self._reg(_INT_STS, _INT_ALL)
        self._reg(_IRQ_CFG, 0)
        self._mac_write(_MAC_CR, _MAC_CR_TXEN | _MAC_CR_RXEN | _MAC_CR_MCPAS)
        self.link_up()

    # --- register access -------------------------------------------------

    def _reg(self, off, value=None):
        if value is None:
            return self._m[self._base + off] & 0xFFFFFFFF
        self._m[self._base + off] = value

    def _wait(self, off, mask, want):
        for _ in range(self._timeout):
            if self._reg(off) & mask == want:
                return
        raise OSError(110)  # ETIMEDOUT

    def _reset(self):
        if self._reg(_BYTE_TEST) != _BYTE_TEST_VALUE:
            # wrong base address, or the bus is set up for 16-bit/swapped access
            raise OSError(19)  # ENODEV
        self._wait(_PMT_CTRL, _PMT_READY, _PMT_READY)
        self._reg(_HW_CFG, _HW_CFG_SRST)
        self._wait(_HW_CFG, _HW_CFG_SRST, 0)
        if self._reg(_HW_CFG) & _HW_CFG_SRST_TO:
            raise OSError(110)
        self._wait(_PMT_CTRL, _PMT_READY, _PMT_READY)
        chip = self._reg(_ID_REV) >> 16
        if chip not in _IDS:
            raise OSError(19)
        self.chip_id = chip

    def _mac_read(self, index):
        self._wait(_MAC_CSR_CMD, _CSR_BUSY, 0)
        self._reg(_MAC_CSR_CMD, _CSR_BUSY | _CSR_READ | index)
        self._wait(_MAC_CSR_CMD, _CSR_BUSY, 0)
        return self._reg(_MAC_CSR_DATA)

    def _mac_write(self, index, value):
        self._wait(_MAC_CSR_CMD, _CSR_BUSY, 0)
        self._reg(_MAC_CSR_DATA, value)
        self._reg(_MAC_CSR_CMD, _CSR_BUSY | index)
        self._wait(_MAC_CSR_CMD, _CSR_BUSY, 0)

    def _mii_wait(self):
        for _ in range(self._timeout):
            if not self._mac_read(_MII_ACC) & _MII_BZY:
                return
        raise OSError(110)

    # the `bus` interface boards.common.mdio expects
    def mdio_read(self, phy, reg):
        self._mii_wait()
        self._mac_write(_MII_ACC, (phy << 11) | (reg << 6) | _MII_BZY)
        self._mii_wait()
        return self._mac_read(_MII_DATA) & 0xFFFF

    def mdio_write(self, phy, reg, value):
        self._mii_wait()
        self._mac_write(_MII_DATA, value & 0xFFFF)
        self._mac_write(_MII_ACC, (phy << 11) | (reg << 6) | _MII_WRITE | _MII_BZY)
        self._mii_wait()

    def _read_mac(self):
        lo = self._mac_read(_ADDRL)
        hi = self._mac_read(_ADDRH)
        mac = bytes((lo & 0xFF, (lo >> 8) & 0xFF, (lo >> 16) & 0xFF, lo >> 24,
                     hi & 0xFF, (hi >> 8) & 0xFF))
        if mac == b"\xff" * 6 or mac == b"\x00" * 6 or mac[0] & 1:
            raise ValueError("no MAC address in EEPROM: pass mac=")
        return mac

    def _write_mac(self, mac):
        # the check boards.common.mac.pick_mac makes, kept here: importing
        # that module would cost the MPS2 AN385's tight heap ~350 bytes for
        # a driver that never derives an address (the EEPROM has one)
        if len(mac) != 6 or mac[0] & 1:
            raise ValueError("mac must be 6 bytes, unicast")
        self._mac_write(_ADDRL, mac[0] | (mac[1] << 8) | (mac[2] << 16) | (mac[3] << 24))
        self._mac_write(_ADDRH, mac[4] | (mac[5] << 8))

    # --- Device protocol -------------------------------------------------

    def link_up(self):
        """Carrier from the PHY; on a new link, MAC duplex follows the PHY.

        Two MDIO reads (more on a link change): call it from time to time,
        not per frame."""
        up = mdio.link(self, self._phy)
        if up:
            m = mdio.mode(self, self._phy)
            if m != self._mode:
                cr = _MAC_CR_TXEN | _MAC_CR_RXEN | _MAC_CR_MCPAS
                if m & mdio.MODE_FULL:
                    cr |= _MAC_CR_FDPX
                self._mac_write(_MAC_CR, cr)
                self._mode = m
        return up

    def recv_into(self, buf):
        m = self._m
        while True:
            used = (m[self._a_rx_inf] >> 16) & 0xFF  # RXSUSED: status words waiting
            if used == 0:
                if self.flag is None:
                    return 0
                # acknowledge the level interrupt only once the FIFO is empty,
                # then look again: a frame that raced in keeps its edge
                m[self._a_int_sts] = _INT_RSFL
                if not (m[self._a_rx_inf] >> 16) & 0xFF:
                    return 0
            status = m[self._a_rx_status]
            n = (status >> 16) & 0x3FFF       # bytes in the FIFO incl. FCS
            words = (n + 3) >> 2
            if status & _RXS_ES or n < _MIN_FRAME + _FCS:
                self.rx_errors += 1
                fifo.skip(self._a_rx_data, words)
                continue
            n -= _FCS
            if n > len(buf):
                self.rx_too_long += 1
                fifo.skip(self._a_rx_data, words)
                continue
            fifo.read(self._a_rx_data, buf, n)
            fifo.skip(self._a_rx_data, words - ((n + 3) >> 2))  # FCS (and tail)
            self.rx_frames += 1
            return n

    def send(self, buf, n):
        if n < _MIN_FRAME or n > _MTU or n > len(buf):
            raise ValueError("frame length")
        m = self._m
        self._reap_tx()
        if (m[self._a_tx_inf] & 0xFFFF) < ((n + 3) & ~3) + 8:  # TDFREE vs data + cmd A/B
            self.tx_full += 1
            return False
        m[self._a_tx_data] = _TXA_FIRST | _TXA_LAST | n   # command A: one segment
        m[self._a_tx_data] = (n << 16) | n                 # command B: tag = length
        fifo.write(self._a_tx_data, buf, n)
        self.tx_frames += 1
        return True

    def _reap_tx(self):
        # pop every TX status word: a full status FIFO stops the transmitter
        m = self._m
        while (m[self._a_tx_inf] >> 16) & 0xFF:
            if m[self._a_tx_status] & _TXS_ES:
                self.tx_errors += 1

    def attach_flag(self, flag):
        """Set `flag` (asyncio.ThreadSafeFlag) whenever a frame arrives.

        Needs the irq pin given to the constructor. The handler only calls
        flag.set(); recv_into() acknowledges the chip."""
        if self._irq is None:
            raise ValueError("no irq pin: poll mode only")
        self.flag = flag
        self._isr = self._on_irq  # bound once: creating it allocates
        self._reg(_INT_STS, _INT_ALL)
        self._reg(_INT_EN, _INT_RSFL)
        self._irq.irq(handler=self._isr, trigger=machine.Pin.IRQ_FALLING)
        self._reg(_IRQ_CFG, _IRQ_EN)

    def _on_irq(self, pin):
        self.flag.set()

    def close(self):
        self._reg(_IRQ_CFG, 0)
        self._reg(_INT_EN, 0)
        self._mac_write(_MAC_CR, 0)
        self._reg(_TX_CFG, 0)
        if self._irq is not None:
            self._irq.irq(handler=None)
        self.flag = None
