# NXP ENET (i.MX RT1050/1060/1064/1170, i.MX 6, Kinetis K6x) as a smolnet
# Device: legacy 8-byte buffer descriptors in preallocated buffers, RDAR/
# TDAR activation, RMII PHY over the MII management frame register.
# See README.md for boards, pins, clocks, caches and QEMU's sabrelite.
#
#   from boards.nxpenet import NXPENET
#   nic = NXPENET(mac=b"\x02\x00\x00\x00\x00\x01")   # RT1060 ENET1, PHY 0
#   iface = Interface(nic, Config())
#
# Descriptor (ECR.DBSWP=1, so little-endian on Arm):
#   bytes 0-1 data length, bytes 2-3 flags, bytes 4-7 buffer address.
#   RX flags: E (15, empty: the MAC owns it), W (13, wrap), L (11, last),
#             LG/NO/CR/OV/TR (5, 4, 2, 1, 0) errors.
#   TX flags: R (15, ready: the MAC owns it), W, L, TC (10, append CRC).
# The driver writes the flag byte holding E/R last, a byte at a time
# (boards/common/dmaring.py: the ring walk, the hand-over and the receive
# verdict, shared with boards/stm32eth).
#
# Allocation: recv_into() and send() allocate nothing. MDIO frames have
# ST=01 in bits 31:30 (a boxed int on 32-bit ports): init and link_up() only.
import machine
import uctypes
from micropython import const

from smolnet.phy.device import Device
from smolnet.fast import copy
from boards.common import dmaring, mdio
from boards.common.dmaring import after, owned, put32, release, rx_verdict
from boards.common.mac import pick_mac, usable

_EIR = const(0x004)
_EIMR = const(0x008)
_RDAR = const(0x010)
_TDAR = const(0x014)
_ECR = const(0x024)
_MMFR = const(0x040)
_MSCR = const(0x044)
_RCR = const(0x084)
_TCR = const(0x0C4)
_PALR = const(0x0E4)
_PAUR = const(0x0E8)
_IAUR = const(0x118)
_IALR = const(0x11C)
_GAUR = const(0x120)
_GALR = const(0x124)
_TFWR = const(0x144)
_RDSR = const(0x180)
_TDSR = const(0x184)
_MRBR = const(0x188)

_ACTIVE = const(1 << 24)          # RDAR / TDAR: descriptors are ready
_EIR_RXF = const(1 << 25)
_EIR_MII = const(1 << 23)
_ALL = const(-1)                  # 0xFFFFFFFF without a boxed int
_ECR_RESET = const(1 << 0)
_ECR_ETHEREN = const(1 << 1)
_ECR_DBSWP = const(1 << 8)
_RCR_MII_MODE = const(1 << 2)     # must be set
_RCR_RMII_MODE = const(1 << 8)
_RCR_RMII_10T = const(1 << 9)
_RCR_DRT = const(1 << 1)          # half duplex: no receive while transmitting
_MAX_FL = const(1518)
_TCR_FDEN = const(1 << 2)
_TFWR_STRFWD = const(1 << 8)
_MMFR_READ = const((1 << 30) | (2 << 28) | (2 << 16))    # ST=01 OP=10 TA=10
_MMFR_WRITE = const((1 << 30) | (1 << 28) | (2 << 16))   # ST=01 OP=01 TA=10

_BD = const(8)
# copy of boards/common/dmaring.py (_F_OWN is OWN there): flags byte 3, E (rx) / R (tx)
_F_OWN = const(0x80)
_F_WRAP = const(0x20)
_F_LAST = const(0x08)
_F_TC = const(0x04)
_RX_ERRORS = const(0x37)          # flags byte 2: LG, NO, CR, OV, TR
# copies of boards/common/dmaring.py's rx_verdict status bits
_RX_LAST = const(0x01)
_RX_FIRST = const(0x02)
_RX_BAD = const(0x80)

_FCS = const(4)
_MIN_FRAME = const(14)
_MTU = const(1514)


# the address a board without unique_id() and with empty MAC registers gets:
# locally administered (bit 1 of the first octet), "NXP" in its last three
DEFAULT_MAC = b"\x02\x00\x00\x4e\x58\x50"


class NXPENET(Device):
    """The ENET at `base` (RT1060 ENET1 0x402D8000, ENET2 0x402D4000;
    RT1170 ENET 0x40424000; i.MX 6 0x02188000).

    mac: 6 bytes; None derives a locally administered address from
    machine.unique_id(), or where the port has none (MicroPython's qemu
    port) takes the address PALR/PAUR already hold (a boot ROM's, or QEMU's
    -nic ...,mac=), else DEFAULT_MAC. mii_speed: MSCR divider so that MDC <= 2.5 MHz
    (module clock / ((mii_speed + 1) * 2)). irq: an object with
    .irq(handler=, trigger=) for the ENET interrupt (see README), only for
    attach_flag(). dma: optional writable 64-byte aligned buffer to carve
    rings and frame buffers from (NXPENET.dma_size(...) bytes).
    """

    def __init__(self, base=0x402D8000, mac=None, phy_addr=0, irq=None,
                 rx_slots=4, tx_slots=4, buf_size=1536, mii_speed=31, rmii=True,
                 dma=None, timeout=100000):
        if buf_size % 64 or buf_size < 1536:
            raise ValueError("buf_size: multiple of 64, >= 1536")
        if rx_slots < 2 or tx_slots < 2:
            raise ValueError("at least 2 descriptors per ring")
        self._m = machine.mem32
        self._base = base
        self._timeout = timeout
        self._a_eir = base + _EIR
        self._a_rdar = base + _RDAR
        self._a_tdar = base + _TDAR
        self._bs = buf_size
        self._nrx = rx_slots
        self._ntx = tx_slots
        self._phy = phy_addr
        self._rmii = rmii
        self._irq = irq
        self.flag = None
        self._mode = mdio.MODE_100 | mdio.MODE_FULL
        self.rx_frames = 0
        self.tx_frames = 0
        self.rx_errors = 0       # LG/NO/CR/OV/TR in the last descriptor
        self.rx_too_long = 0     # frame over one buffer, or over the caller's buffer
        self.tx_full = 0         # send() refused: next descriptor still ready (R)
        self.tx_errors = 0       # legacy descriptors carry no TX status: stays 0
        self._alloc(dma)
        self.mac = bytes(pick_mac(mac, self._mac_in_registers()))
        self._reg(_ECR, _ECR_RESET)
        self._wait(_ECR, _ECR_RESET, 0)
        self._reg(_EIMR, 0)
        self._reg(_EIR, _ALL)
        self._reg(_MSCR, (mii_speed & 0x3F) << 1)
        mdio.reset(self, self._phy)
        mdio.start_autoneg(self, self._phy)
        mac = self.mac
        self._reg(_PALR, (mac[0] << 24) | (mac[1] << 16) | (mac[2] << 8) | mac[3])
        self._reg(_PAUR, (mac[4] << 24) | (mac[5] << 16))
        self._reg(_IAUR, 0)
        self._reg(_IALR, 0)
        self._reg(_GAUR, _ALL)          # all multicast hash buckets: IPv6 ND, mDNS
        self._reg(_GALR, _ALL)
        self._reg(_TFWR, _TFWR_STRFWD)
        self._reg(_MRBR, buf_size)
        if mdio.link(self, self._phy):
            self._mode = mdio.mode(self, self._phy)
        self._start()

    @staticmethod
    def dma_size(rx_slots=4, tx_slots=4, buf_size=1536):
        return dmaring.size(rx_slots, tx_slots, _BD, buf_size, 64)

    # --- set-up ----------------------------------------------------------

    def _alloc(self, dma):
        # frame buffers first, then each ring on its own 64-byte boundary (a
        # cache line on the M7); the region 64-byte aligned
        self._rxd, self._txd, self._rxb, self._txb = dmaring.carve(
            dma, self._nrx, self._ntx, _BD, self._bs, 64, 64)

    def _mac_in_registers(self):
        # read before the ECR reset; an unprogrammed register pair is no address
        lo = self._reg(_PALR)
        hi = self._reg(_PAUR)
        mac = bytes((lo >> 24, (lo >> 16) & 0xFF, (lo >> 8) & 0xFF, lo & 0xFF,
                     hi >> 24, (hi >> 16) & 0xFF))
        return mac if usable(mac) else DEFAULT_MAC

    def _reg(self, off, value=None):
        if value is None:
            return self._m[self._base + off] & 0xFFFFFFFF
        self._m[self._base + off] = value

    def _wait(self, off, mask, want):
        for _ in range(self._timeout):
            if self._reg(off) & mask == want:
                return
        raise OSError(110)  # ETIMEDOUT

    def _rings(self):
        bs = self._bs
        rxb = uctypes.addressof(self._rxb)
        txb = uctypes.addressof(self._txb)
        d = self._rxd
        for k in range(self._nrx):
            i = k * _BD
            put32(d, i + 4, rxb + k * bs)
            d[i] = 0
            d[i + 1] = 0
            d[i + 2] = 0
            d[i + 3] = _F_OWN | (_F_WRAP if k == self._nrx - 1 else 0)
        d = self._txd
        for k in range(self._ntx):
            i = k * _BD
            put32(d, i + 4, txb + k * bs)
            d[i] = 0
            d[i + 1] = 0
            d[i + 2] = 0
            d[i + 3] = _F_WRAP if k == self._ntx - 1 else 0
        self._rx_i = 0
        self._tx_i = 0
        self._rx_skip = False

    def _start(self):
        # RCR/TCR and the ring bases change only with ETHEREN clear, and
        # clearing ETHEREN rewinds the MAC to the ring starts: rebuild both
        self._reg(_ECR, _ECR_DBSWP)
        self._rings()
        rcr = (_MAX_FL << 16) | _RCR_MII_MODE
        if self._rmii:
            rcr |= _RCR_RMII_MODE
            if not self._mode & mdio.MODE_100:
                rcr |= _RCR_RMII_10T
        tcr = 0
        if self._mode & mdio.MODE_FULL:
            tcr = _TCR_FDEN
        else:
            rcr |= _RCR_DRT
        self._reg(_RCR, rcr)
        self._reg(_TCR, tcr)
        self._reg(_RDSR, uctypes.addressof(self._rxd))
        self._reg(_TDSR, uctypes.addressof(self._txd))
        self._reg(_ECR, _ECR_DBSWP | _ECR_ETHEREN)
        self._reg(_EIMR, _EIR_RXF if self.flag is not None else 0)
        self._reg(_RDAR, _ACTIVE)

    # the `bus` interface boards.common.mdio expects
    def _mii(self, frame):
        self._reg(_EIR, _EIR_MII)
        self._reg(_MMFR, frame)
        self._wait(_EIR, _EIR_MII, _EIR_MII)
        self._reg(_EIR, _EIR_MII)

    def mdio_read(self, phy, reg):
        self._mii(_MMFR_READ | (phy << 23) | (reg << 18))
        return self._reg(_MMFR) & 0xFFFF

    def mdio_write(self, phy, reg, value):
        self._mii(_MMFR_WRITE | (phy << 23) | (reg << 18) | (value & 0xFFFF))

    # --- Device protocol -------------------------------------------------

    def link_up(self):
        """Carrier from the PHY. A new speed/duplex restarts the MAC (frames
        in the rings are lost, as on any link change). Call it now and
        then, not per frame."""
        up = mdio.link(self, self._phy)
        if up:
            m = mdio.mode(self, self._phy)
            if m != self._mode:
                self._mode = m
                self._start()
        return up

    def recv_into(self, buf):
        d = self._rxd
        while True:
            i = self._rx_i
            if owned(d, i):
                if self.flag is None:
                    return 0
                # ack RXF only with the ring drained, then look again
                self._m[self._a_eir] = _EIR_RXF
                if owned(d, i):
                    return 0
            n = (d[i] | (d[i + 1] << 8)) - _FCS
            ok = rx_verdict(self, n, len(buf), _rx_status(d, i))
            if ok:
                copy(buf, 0, self._rxb, (i >> 3) * self._bs, n)
            release(d, i, _F_OWN | (d[i + 3] & _F_WRAP))   # empty again: back to the MAC
            self._rx_i = after(d, i, _BD)
            self._m[self._a_rdar] = _ACTIVE      # the MAC may have run out
            if ok:
                self.rx_frames += 1
                return n

    def send(self, buf, n):
        if n < _MIN_FRAME or n > _MTU or n > len(buf):
            raise ValueError("frame length")
        d = self._txd
        i = self._tx_i
        f3 = d[i + 3]
        if f3 & _F_OWN:
            self.tx_full += 1
            return False
        copy(self._txb, (i >> 3) * self._bs, buf, 0, n)
        d[i] = n & 0xFF
        d[i + 1] = n >> 8
        d[i + 2] = 0
        d[i + 3] = _F_OWN | _F_LAST | _F_TC | (f3 & _F_WRAP)
        self._tx_i = after(d, i, _BD)
        self._m[self._a_tdar] = _ACTIVE
        self.tx_frames += 1
        return True

    def attach_flag(self, flag):
        """Set `flag` on the receive-frame interrupt (EIR.RXF). Needs the
        irq object given to the constructor; its handler only calls
        flag.set()."""
        if self._irq is None:
            raise ValueError("no irq source: poll mode only")
        self.flag = flag
        self._isr = self._on_irq                 # bound once: creating it allocates
        self._irq.irq(handler=self._isr, trigger=machine.Pin.IRQ_RISING)
        self._reg(_EIR, _EIR_RXF)
        self._reg(_EIMR, _EIR_RXF)

    def _on_irq(self, pin):
        self.flag.set()

    def close(self):
        self._reg(_EIMR, 0)
        self._reg(_ECR, _ECR_DBSWP)
        if self._irq is not None:
            self._irq.irq(handler=None)
        self.flag = None


def _rx_status(d, i):
    # dmaring.rx_verdict's status of RX descriptor i; legacy descriptors
    # mark no first buffer, so RX_FIRST always
    s = _RX_FIRST
    if d[i + 3] & _F_LAST:
        s |= _RX_LAST
    if d[i + 2] & _RX_ERRORS:
        s |= _RX_BAD
    return s
