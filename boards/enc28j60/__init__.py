# Microchip ENC28J60 (10BASE-T MAC+PHY, 8 KB buffer) as a smolnet Device
# over machine.SPI. Facts are from the ENC28J60 datasheet (DS39662) and its
# silicon errata (DS80349, rev. B7); "errata" below refers to the latter.
#
# SPI (datasheet 4.2): each command is one CS-low frame: a 3-bit opcode and a
# 5-bit argument, then data. Control registers sit in four banks chosen by
# ECON1.BSEL; 0x1B-0x1F (EIE, EIR, ESTAT, ECON2, ECON1) are in every bank.
# MAC and MII registers shift out a dummy byte before the value on a read,
# and bit set/clear (BFS/BFC) works on ETH registers only.
#
# Buffer memory: rx ring ERXST..ERXND at 0x0000 (errata: the receive buffer
# must start at 0000h or the write pointer can be loaded wrongly), tx area
# after it. Every received packet starts with a 6-byte header: next-packet
# pointer (2 bytes LE) and the receive status vector (byte count with FCS,
# status bits). The hardware pads packets to an even address.
from micropython import const
from smolnet.phy.device import MEDIUM_ETHERNET, ETHERNET_MTU
from boards.common.mac import pick_mac
from boards.common.spiframe import FrameIO

# SPI opcodes (opcode << 5 | argument)
_RCR = const(0x00)
_RBM = const(0x3A)
_WCR = const(0x40)
_WBM = const(0x7A)
_BFS = const(0x80)
_BFC = const(0xA0)
_SRC = const(0xFF)

# registers: address | bank << 5 | 0x80 for MAC/MII (dummy byte on read)
_MACMII = const(0x80)
_EIE = const(0x1B)
_EIR = const(0x1C)
_ESTAT = const(0x1D)
_ECON2 = const(0x1E)
_ECON1 = const(0x1F)
_ERDPTL = const(0x00)
_EWRPTL = const(0x02)
_ETXSTL = const(0x04)
_ETXNDL = const(0x06)
_ERXSTL = const(0x08)
_ERXNDL = const(0x0A)
_ERXRDPTL = const(0x0C)
_ERXFCON = const(0x38)
_EPKTCNT = const(0x39)
_MACON1 = const(0xC0)
_MACON3 = const(0xC2)
_MACON4 = const(0xC3)
_MABBIPG = const(0xC4)
_MAIPGL = const(0xC6)
_MAIPGH = const(0xC7)
_MAMXFLL = const(0xCA)
_MICMD = const(0xD2)
_MIREGADR = const(0xD4)
_MIWRL = const(0xD6)
_MIWRH = const(0xD7)
_MIRDL = const(0xD8)
_MIRDH = const(0xD9)
_MAADR5 = const(0xE0)   # MAADR5, 6, 3, 4, 1, 2 at 0x00..0x05 of bank 3
_MISTAT = const(0xEA)
_EREVID = const(0x72)

# PHY registers (through MIREGADR)
_PHCON1 = const(0x00)
_PHCON2 = const(0x10)
_PHSTAT2 = const(0x11)

# bits
_ECON1_TXRST = const(0x80)
_ECON1_RXRST = const(0x40)
_ECON1_TXRTS = const(0x08)
_ECON1_RXEN = const(0x04)
_ECON2_AUTOINC = const(0x80)
_ECON2_PKTDEC = const(0x40)
_ESTAT_CLKRDY = const(0x01)
_EIE_INTIE = const(0x80)
_EIE_PKTIE = const(0x40)
_EIR_TXIF = const(0x08)
_EIR_TXERIF = const(0x02)
_EIR_RXERIF = const(0x01)
_ERXFCON_FILTER = const(0xA3)  # UCEN | CRCEN | MCEN | BCEN: own, multicast, broadcast; good FCS
_MACON1_MARXEN = const(0x01)
_MACON1_PAUSE = const(0x0C)    # TXPAUS | RXPAUS (full duplex flow control)
_MACON3_BASE = const(0x32)     # PADCFG=001 (pad to 60 + FCS), TXCRCEN, FRMLNEN
_MACON3_FULDPX = const(0x01)
_MACON4_DEFER = const(0x40)
_MICMD_MIIRD = const(0x01)
_MISTAT_BUSY = const(0x01)
_PHCON1_PDPXMD = const(0x0100)
_PHCON2_HDLDIS = const(0x0100)
_PHSTAT2_LSTAT = const(0x0400)
_RSV_OK = const(0x80)          # receive status vector bit 23: received OK
_TSV_LATE_COL = const(0x20)    # transmit status vector bit 29 (byte 3)

# buffer memory layout
_RXSTART = const(0x0000)
_RXEND = const(0x19FF)         # odd, so ERXRDPT = ERXND is a legal (odd) value
_TXSTART = const(0x1A00)       # control byte + 1514 + 7-byte status = 1522 bytes
_RX_SPAN = const(0x1A00)
_FRAME_FCS_MAX = const(1522)   # MAMXFL: 1518 + a VLAN tag
_MIN_COUNT = const(18)         # 14-byte header + FCS

_POLLS = const(64)
_RX_TRIES = const(4)
_ENODEV = const(19)

# the default address (locally administered, unicast), unique_id() folded
# into its last three bytes where the port has it
_MAC_TEMPLATE = b"\x02\x00\x28\x60\x00\x01"


class ENC28J60:
    """Device protocol over an ENC28J60 (see smolnet/phy/device.py).

    ENC28J60(spi, cs, mac=None, int_pin=None, reset_pin=None, full_duplex=False)
      spi          a configured machine.SPI, mode 0 only, <= 20 MHz
      cs           machine.Pin for chip select
      int_pin      machine.Pin on INT, for attach_flag(); None = poll mode
      full_duplex  the chip does not auto-negotiate: keep half duplex unless
                   the link partner is forced to full duplex too

    Counters: the Device contract's rx_frames, tx_frames, rx_errors (receive
    status not OK), rx_too_long, tx_full, tx_errors; then drop_garbage (rx
    ring reset), tx_drop, tx_late_collisions. revision = EREVID (0x06 is
    rev. B7).
    """

    mtu = ETHERNET_MTU
    medium = MEDIUM_ETHERNET
    poll_obj = None

    # __init__ allocates everything the driver will ever use.
    def __init__(self, spi, cs, mac=None, int_pin=None, reset_pin=None,
                 full_duplex=False):
        self._spi = spi
        self._cs = cs
        self._int = int_pin
        self.full_duplex = bool(full_duplex)
        self.flag = None
        self._irq_on = False
        self._irq_handler = self._on_irq    # bound once: the IRQ allocates nothing
        self._w1 = bytearray(1)
        self._w2 = bytearray(2)
        self._r2 = bytearray(2)
        self._w3 = bytearray(3)
        self._r3 = bytearray(3)
        self._rbm = bytes((_RBM,))
        self._wbm = bytes((_WBM, 0x00))     # WBM + per-packet control byte 0: use MACON3
        self._hdr = bytearray(6)            # next pointer + receive status vector
        self._tsv = bytearray(7)
        self._io = FrameIO()
        self._bank = 0
        self._next = _RXSTART
        self._tx_len = 0
        self.revision = 0
        self.rx_frames = 0
        self.tx_frames = 0
        self.rx_errors = 0      # receive status vector not OK
        self.rx_too_long = 0    # frame larger than the caller's buffer
        self.tx_full = 0        # send() refused: the previous frame still going out
        self.tx_errors = 0      # aborted transmissions (errata reset)
        self.drop_garbage = 0
        self.tx_drop = 0
        self.tx_late_collisions = 0
        self.mac = bytes(pick_mac(mac, _MAC_TEMPLATE, _MAC_TEMPLATE, 3))
        cs.init(cs.OUT, value=1)
        if int_pin is not None:
            int_pin.init(int_pin.IN, int_pin.PULL_UP)
        self._init_chip(reset_pin)

    # --- SPI commands (all allocation-free) ------------------------------------

    def _cmd2(self, b0, b1):
        w = self._w2
        w[0] = b0
        w[1] = b1
        self._cs(0)
        self._spi.write(w)
        self._cs(1)

    def _bank_to(self, bank):
        # BFC/BFS on ECON1, never WCR: a write would clear TXRTS/RXEN too
        cur = self._bank
        if cur & ~bank & 3:
            self._cmd2(_BFC | _ECON1, cur & ~bank & 3)
        if bank & ~cur & 3:
            self._cmd2(_BFS | _ECON1, bank & ~cur & 3)
        self._bank = bank

    def _read(self, reg):
        a = reg & 0x1F
        if a < 0x1B and (reg >> 5) & 3 != self._bank:
            self._bank_to((reg >> 5) & 3)
        self._cs(0)
        if reg & _MACMII:
            w = self._w3
            w[0] = _RCR | a
            self._spi.write_readinto(w, self._r3)
            self._cs(1)
            return self._r3[2]          # after the dummy byte
        w = self._w2
        w[0] = _RCR | a
        w[1] = 0
        self._spi.write_readinto(w, self._r2)
        self._cs(1)
        return self._r2[1]

    def _write(self, reg, value):
        a = reg & 0x1F
        if a < 0x1B and (reg >> 5) & 3 != self._bank:
            self._bank_to((reg >> 5) & 3)
        self._cmd2(_WCR | a, value)

    def _write16(self, reg, value):
        # low byte first: ERXRDPT takes the pair when the high byte is written
        self._write(reg, value & 0xFF)
        self._write(reg + 1, value >> 8)

    def _bfs(self, reg, mask):
        a = reg & 0x1F
        if a < 0x1B and (reg >> 5) & 3 != self._bank:
            self._bank_to((reg >> 5) & 3)
        self._cmd2(_BFS | a, mask)

    def _bfc(self, reg, mask):
        a = reg & 0x1F
        if a < 0x1B and (reg >> 5) & 3 != self._bank:
            self._bank_to((reg >> 5) & 3)
        self._cmd2(_BFC | a, mask)

    def _phy_read(self, reg):
        self._write(_MIREGADR, reg)
        self._write(_MICMD, _MICMD_MIIRD)
        self._mii_wait()
        self._write(_MICMD, 0)
        return self._read(_MIRDL) | (self._read(_MIRDH) << 8)

    def _phy_write(self, reg, value):
        self._write(_MIREGADR, reg)
        self._write(_MIWRL, value & 0xFF)
        self._write(_MIWRH, value >> 8)     # writing MIWRH starts the transaction
        self._mii_wait()

    def _mii_wait(self):
        # MISTAT.BUSY clears after ~10.24 us
        for _ in range(_POLLS):
            if not self._read(_MISTAT) & _MISTAT_BUSY:
                return True
        return False

    # --- bring-up -----------------------------------------------------------------

    def _init_chip(self, reset_pin):
        import time
        if reset_pin is not None:
            reset_pin.init(reset_pin.OUT, value=0)
            time.sleep_ms(1)
            reset_pin(1)
        w = self._w1
        w[0] = _SRC
        self._cs(0)
        self._spi.write(w)
        self._cs(1)
        # errata: after a system reset command CLKRDY is not cleared, so
        # polling it says nothing; wait at least 1 ms
        time.sleep_ms(2)
        self._bank = 0
        for _ in range(_POLLS):
            if self._read(_ESTAT) & _ESTAT_CLKRDY:
                break
        else:
            raise OSError(_ENODEV, "ENC28J60 not found: ESTAT.CLKRDY never set "
                          "(check SPI wiring, CS pin, SPI mode 0)")
        rev = self._read(_EREVID)
        if rev == 0 or rev & 0xE0:
            raise OSError(_ENODEV, "ENC28J60 not found: EREVID=0x%02x "
                          "(check SPI wiring, CS pin, SPI mode 0)" % rev)
        self.revision = rev
        self._bfs(_ECON2, _ECON2_AUTOINC)
        self._rx_init()
        self._write16(_ETXSTL, _TXSTART)
        self._write(_ERXFCON, _ERXFCON_FILTER)
        full = self.full_duplex
        # MAC (datasheet 6.5), duplex matching PHCON1.PDPXMD below
        self._write(_MACON1, _MACON1_MARXEN | (_MACON1_PAUSE if full else 0))
        self._write(_MACON3, _MACON3_BASE | (_MACON3_FULDPX if full else 0))
        self._write(_MACON4, 0 if full else _MACON4_DEFER)
        self._write16(_MAMXFLL, _FRAME_FCS_MAX)
        self._write(_MABBIPG, 0x15 if full else 0x12)
        self._write(_MAIPGL, 0x12)
        if not full:
            self._write(_MAIPGH, 0x0C)
        order = (4, 5, 2, 3, 0, 1)          # MAADR1..6 live at 0x04 0x05 0x02 0x03 0x00 0x01
        for i in range(6):
            self._write(_MAADR5 + order[i], self.mac[i])
        self._phy_write(_PHCON1, _PHCON1_PDPXMD if full else 0)
        # half duplex: keep the PHY from looping our own frames back
        self._phy_write(_PHCON2, _PHCON2_HDLDIS)
        self._write(_EIE, 0)
        self._bfc(_EIR, 0x3B)              # stale flags (PKTIF is read-only)
        self._bfs(_ECON1, _ECON1_RXEN)

    def _rx_init(self):
        # allocation-free; rx must be disabled
        self._write16(_ERXSTL, _RXSTART)    # also loads the hardware write pointer
        self._write16(_ERXNDL, _RXEND)
        self._write16(_ERXRDPTL, _RXEND)
        self._next = _RXSTART

    def _rx_restart(self):
        # Allocation-free. The ring no longer makes sense (a next-packet
        # pointer out of place): reset the receive side and start empty.
        self.drop_garbage += 1
        self._bfc(_ECON1, _ECON1_RXEN)
        self._bfs(_ECON1, _ECON1_RXRST)
        self._bfc(_ECON1, _ECON1_RXRST)
        for _ in range(256):
            if not self._read(_EPKTCNT):
                break
            self._bfs(_ECON2, _ECON2_PKTDEC)
        self._rx_init()
        self._bfc(_EIR, _EIR_RXERIF)
        self._bfs(_ECON1, _ECON1_RXEN)

    # --- Device protocol ------------------------------------------------------------

    def recv_into(self, buf):
        """Copy one frame into buf; its length, or 0. Allocation-free once a
        given buf has been seen (FrameIO keeps views of it)."""
        for _ in range(_RX_TRIES):
            # errata: EIR.PKTIF is unreliable, EPKTCNT is the truth
            if not self._read(_EPKTCNT):
                return 0
            cur = self._next
            self._write16(_ERDPTL, cur)
            h = self._hdr
            self._cs(0)
            self._spi.write(self._rbm)
            self._spi.readinto(h)
            nxt = h[0] | (h[1] << 8)
            count = h[2] | (h[3] << 8)      # frame length including the FCS
            # where the hardware must have put the next packet: 6-byte header,
            # data, padded to even, wrapped inside the ring
            want = cur + 6 + count
            want += want & 1
            if want > _RXEND:
                want -= _RX_SPAN
            if nxt != want or count < _MIN_COUNT or count > _FRAME_FCS_MAX:
                self._cs(1)
                self._rx_restart()
                return 0
            n = count - 4
            ok = h[4] & _RSV_OK
            fits = n <= len(buf)
            if ok and fits:
                self._io.read(self._spi, buf, n)
            self._cs(1)
            self._next = nxt
            # errata: ERXRDPT must be odd: next - 1, or ERXND when next is ERXST
            self._write16(_ERXRDPTL, _RXEND if nxt == _RXSTART else nxt - 1)
            self._bfs(_ECON2, _ECON2_PKTDEC)
            if ok and fits:
                self.rx_frames += 1
                return n
            if ok:
                self.rx_too_long += 1
            else:
                self.rx_errors += 1
        return 0

    def send(self, buf, n):
        """Transmit buf[0:n]; False if the previous frame is still going out.
        Allocation-free once a given buf has been seen."""
        if n < 14 or n > ETHERNET_MTU:
            self.tx_drop += 1
            return False
        if not self._tx_ready():
            self.tx_full += 1
            return False
        self._write16(_EWRPTL, _TXSTART)
        self._cs(0)
        self._spi.write(self._wbm)
        self._io.write(self._spi, buf, n)
        self._cs(1)
        self._write16(_ETXNDL, _TXSTART + n)   # last byte: control byte + n - 1
        self._bfs(_ECON1, _ECON1_TXRTS)
        self._tx_len = n
        self.tx_frames += 1
        return True

    def _tx_ready(self):
        # ECON1.TXRTS clears when the previous frame is out (or aborted)
        for _ in range(_POLLS):
            if not self._read(_ECON1) & _ECON1_TXRTS:
                break
            if self._read(_EIR) & _EIR_TXERIF:
                self._tx_recover()          # stalled after an abort: errata
                return True
        else:
            return False
        if self._read(_EIR) & _EIR_TXERIF:
            self._tx_recover()
        return True

    def _tx_recover(self):
        # Errata: an aborted transmission (late collision, excessive
        # collisions or deferral, half duplex) can stall the transmit logic
        # with TXRTS stuck. Reset it, then clear TXERIF (the reset may set it).
        self.tx_errors += 1
        if self._tx_len:
            self._write16(_ERDPTL, _TXSTART + self._tx_len + 1)
            self._cs(0)
            self._spi.write(self._rbm)
            self._spi.readinto(self._tsv)
            self._cs(1)
            if self._tsv[3] & _TSV_LATE_COL:
                self.tx_late_collisions += 1
        self._bfs(_ECON1, _ECON1_TXRST)
        self._bfc(_ECON1, _ECON1_TXRST)
        self._bfc(_EIR, _EIR_TXERIF | _EIR_TXIF)

    def link_up(self):
        """PHSTAT2.LSTAT (PHY read through the MII registers). Allocation-free."""
        return bool(self._phy_read(_PHSTAT2) & _PHSTAT2_LSTAT)

    def attach_flag(self, flag):
        """Set flag (e.g. asyncio.ThreadSafeFlag) from INT when packets are
        pending; attach_flag(None) goes back to poll mode. The handler is a
        method bound once in __init__ and only calls flag.set(). INT stays low
        while EPKTCNT > 0 and rises when recv_into() has drained the ring, so
        every new packet after a drain is a fresh falling edge."""
        self.flag = flag
        pin = self._int
        if pin is None:
            return
        if flag is None:
            pin.irq(handler=None)
            self._write(_EIE, 0)
            self._irq_on = False
            return
        pin.irq(handler=self._irq_handler, trigger=pin.IRQ_FALLING)
        self._write(_EIE, _EIE_INTIE | _EIE_PKTIE)
        self._irq_on = True
        if self._read(_EPKTCNT):
            flag.set()

    def _on_irq(self, pin):
        # interrupt context: no allocation, no SPI
        self.flag.set()

    def close(self):
        """Stop receiving and release the interrupt. Allocation-free."""
        if self._int is not None:
            self._int.irq(handler=None)
        self._write(_EIE, 0)
        self._bfc(_ECON1, _ECON1_RXEN)

