# STM32F4/F7 Ethernet MAC (Synopsys DWC MAC 10/100 with its DMA) as a
# smolnet Device: descriptor rings in preallocated buffers, OWN-bit handoff,
# DMA poll demand, an RMII PHY (LAN8742A on the NUCLEO-144 boards) over
# MDIO. See README.md for boards, pins, clocks, caches and the H7.
#
#   from boards.stm32eth import STM32ETH, board
#   board.enable_rmii()                      # clocks, RMII select, pins
#   nic = STM32ETH(mac=b"\x02\x00\x00\x00\x00\x01")
#   iface = Interface(nic, Config())
#
# Descriptors are the 16-byte "normal" format in ring mode (DMABMR.EDFE=0,
# DSL=0): one frame buffer per descriptor, frames never span descriptors on
# the good path. The DMA owns a descriptor while bit 31 of word 0 (OWN) is
# set; the driver touches a descriptor only when OWN is clear, and sets OWN
# last, by writing the top byte alone (boards/common/dmaring.py: the ring
# walk, the hand-over and the receive verdict, shared with boards/nxpenet).
#
# Allocation: recv_into() and send() allocate nothing: descriptor words are
# read and written a byte at a time (a whole word with OWN set would be a
# boxed int on 32-bit ports) and frames move with smolnet.fast.copy.
import machine
import uctypes
from micropython import const

from smolnet.phy.device import Device
from smolnet.fast import copy
from boards.common import dmaring, mdio
from boards.common.dmaring import after, owned, put32, release, rx_verdict
from boards.common.mac import pick_mac

# MAC registers (RM0090 / RM0410 "Ethernet register descriptions")
_MACCR = const(0x0000)
_MACFFR = const(0x0004)
_MACMIIAR = const(0x0010)
_MACMIIDR = const(0x0014)
_MACA0HR = const(0x0040)
_MACA0LR = const(0x0044)
# DMA registers
_DMABMR = const(0x1000)
_DMATPDR = const(0x1004)
_DMARPDR = const(0x1008)
_DMARDLAR = const(0x100C)
_DMATDLAR = const(0x1010)
_DMASR = const(0x1014)
_DMAOMR = const(0x1018)
_DMAIER = const(0x101C)

_MACCR_RE = const(1 << 2)
_MACCR_TE = const(1 << 3)
_MACCR_DM = const(1 << 11)        # full duplex
_MACCR_FES = const(1 << 14)       # 100 Mbit/s
_MACFFR_PAM = const(1 << 4)       # pass all multicast (IPv6 ND, mDNS)
_MII_MB = const(1 << 0)
_MII_MW = const(1 << 1)
_DMABMR_SR = const(1 << 0)
# address-aligned beats, separate RX burst length 32, fixed burst, TX burst 32
_DMABMR_SETUP = const((1 << 25) | (1 << 23) | (32 << 17) | (1 << 16) | (32 << 8))
_DMAOMR_SR = const(1 << 1)
_DMAOMR_ST = const(1 << 13)
_DMAOMR_FTF = const(1 << 20)
_DMAOMR_TSF = const(1 << 21)      # store and forward: whole frames only,
_DMAOMR_RSF = const(1 << 25)      # so bad frames are dropped in the FIFO
_DMA_RS = const(1 << 6)
_DMA_RIE = const(1 << 6)
_DMA_NIS = const(1 << 16)
_DMA_CLEAR = const(0x1E7FF)       # every write-1-to-clear status bit

# descriptor bytes (little-endian words 0..3)
_DESC = const(16)
# copy of boards/common/dmaring.py's OWN: byte 3 of word 0
_OWN = const(0x80)
_T3_FIRST_LAST = const(0x30)      # TDES0 byte 3: LS (bit 29), FS (bit 28)
_T2_TER = const(0x20)             # TDES0 byte 2: TER (bit 21), end of ring
_RER = const(0x80)                # RDES1 byte 1: RER (bit 15), end of ring
# RDES0 byte 1 holds ES (bit 15), FS (bit 9) and LS (bit 8) where
# dmaring.rx_verdict's status has RX_BAD, RX_FIRST and RX_LAST: passed as is

_FCS = const(4)
_MIN_FRAME = const(14)
_MTU = const(1514)


class STM32ETH(Device):
    """The ETH block at `base` (0x40028000 on F4/F7).

    mac: 6 bytes; None derives a locally administered address from
    machine.unique_id(). irq: an object with .irq(handler=, trigger=) that
    fires on the ETH interrupt line (see README), only for attach_flag().
    dma: optional writable buffer to carve rings and frame buffers from
    (e.g. uctypes.bytearray_at() in a non-cacheable region on F7); size
    with STM32ETH.dma_size(rx_slots, tx_slots, buf_size).
    """

    def __init__(self, base=0x40028000, mac=None, phy_addr=0, irq=None,
                 rx_slots=4, tx_slots=4, buf_size=1536, mdc_cr=4, dma=None,
                 timeout=100000):
        if buf_size % 16 or buf_size < 1536:
            raise ValueError("buf_size: multiple of 16, >= 1536")
        if rx_slots < 2 or tx_slots < 2:
            raise ValueError("at least 2 descriptors per ring")
        self._m = machine.mem32
        self._base = base
        self._timeout = timeout
        self._a_dmasr = base + _DMASR
        self._a_dmatpdr = base + _DMATPDR
        self._a_dmarpdr = base + _DMARPDR
        self._bs = buf_size
        self._nrx = rx_slots
        self._ntx = tx_slots
        self._phy = phy_addr
        self._mii_cr = (mdc_cr & 7) << 2
        self._irq = irq
        self.flag = None
        self._mode = -1
        self.rx_frames = 0
        self.tx_frames = 0
        self.rx_errors = 0       # last descriptor reported an error summary
        self.rx_too_long = 0     # frame over one buffer, or over the caller's buffer
        self.tx_full = 0         # send() refused: next TX descriptor still owned by the DMA
        self.tx_errors = 0       # TDES0 error summary, seen when the slot comes round again
        self._alloc(dma)
        self.mac = bytes(pick_mac(mac))
        self._reset()
        self._reg(_MACMIIAR, self._mii_cr)
        mdio.reset(self, self._phy)
        mdio.start_autoneg(self, self._phy)
        self._rings()
        self._start()
        self.link_up()

    @staticmethod
    def dma_size(rx_slots=4, tx_slots=4, buf_size=1536):
        return dmaring.size(rx_slots, tx_slots, _DESC, buf_size, _DESC)

    # --- set-up ----------------------------------------------------------

    def _alloc(self, dma):
        # frame buffers first (they stay aligned to buf_size multiples), the
        # rings after them, back to back; the region 32-byte aligned
        self._rxd, self._txd, self._rxb, self._txb = dmaring.carve(
            dma, self._nrx, self._ntx, _DESC, self._bs, 32, _DESC)

    def _reg(self, off, value=None):
        if value is None:
            return self._m[self._base + off] & 0xFFFFFFFF
        self._m[self._base + off] = value

    def _wait_clear(self, off, mask):
        for _ in range(self._timeout):
            if not self._reg(off) & mask:
                return
        raise OSError(110)  # ETIMEDOUT

    def _reset(self):
        # the DMA reset completes only with the PHY's 50 MHz REF_CLK present
        # and RMII selected in SYSCFG before the MAC clocks were enabled
        self._reg(_DMABMR, _DMABMR_SR)
        self._wait_clear(_DMABMR, _DMABMR_SR)
        self._reg(_DMABMR, _DMABMR_SETUP)

    def _rings(self):
        bs = self._bs
        rxb = uctypes.addressof(self._rxb)
        txb = uctypes.addressof(self._txb)
        d = self._rxd
        for k in range(self._nrx):
            i = k * _DESC
            put32(d, i + 4, bs | ((_RER << 8) if k == self._nrx - 1 else 0))
            put32(d, i + 8, rxb + k * bs)
            put32(d, i + 12, 0)
            put32(d, i, 0)
            d[i + 3] = _OWN                     # hand it to the DMA last
        d = self._txd
        for k in range(self._ntx):
            i = k * _DESC
            put32(d, i, (_T2_TER << 16) if k == self._ntx - 1 else 0)
            put32(d, i + 4, 0)
            put32(d, i + 8, txb + k * bs)
            put32(d, i + 12, 0)
        self._rx_i = 0
        self._tx_i = 0
        self._rx_skip = False
        self._reg(_DMARDLAR, uctypes.addressof(self._rxd))
        self._reg(_DMATDLAR, uctypes.addressof(self._txd))

    def _start(self):
        mac = self.mac
        self._reg(_MACA0HR, mac[4] | (mac[5] << 8))   # high first: low latches both
        self._reg(_MACA0LR, mac[0] | (mac[1] << 8) | (mac[2] << 16) | (mac[3] << 24))
        self._reg(_MACFFR, _MACFFR_PAM)
        self._reg(_DMAIER, 0)
        self._reg(_DMASR, _DMA_CLEAR)
        self._reg(_MACCR, _MACCR_TE | _MACCR_RE | _MACCR_FES | _MACCR_DM)
        self._reg(_DMAOMR, _DMAOMR_FTF)
        self._wait_clear(_DMAOMR, _DMAOMR_FTF)
        self._reg(_DMAOMR, _DMAOMR_RSF | _DMAOMR_TSF | _DMAOMR_ST | _DMAOMR_SR)

    # the `bus` interface boards.common.mdio expects
    def mdio_read(self, phy, reg):
        self._wait_clear(_MACMIIAR, _MII_MB)
        self._reg(_MACMIIAR, (phy << 11) | (reg << 6) | self._mii_cr | _MII_MB)
        self._wait_clear(_MACMIIAR, _MII_MB)
        return self._reg(_MACMIIDR) & 0xFFFF

    def mdio_write(self, phy, reg, value):
        self._wait_clear(_MACMIIAR, _MII_MB)
        self._reg(_MACMIIDR, value & 0xFFFF)
        self._reg(_MACMIIAR, (phy << 11) | (reg << 6) | self._mii_cr | _MII_MW | _MII_MB)
        self._wait_clear(_MACMIIAR, _MII_MB)

    # --- Device protocol -------------------------------------------------

    def link_up(self):
        """Carrier from the PHY; on a new link, MACCR speed/duplex follow.

        A few MDIO transactions: call it now and then, not per frame."""
        up = mdio.link(self, self._phy)
        if up:
            m = mdio.mode(self, self._phy)
            if m != self._mode:
                cr = _MACCR_TE | _MACCR_RE
                if m & mdio.MODE_100:
                    cr |= _MACCR_FES
                if m & mdio.MODE_FULL:
                    cr |= _MACCR_DM
                self._reg(_MACCR, cr)
                self._mode = m
        return up

    def recv_into(self, buf):
        d = self._rxd
        while True:
            i = self._rx_i
            if owned(d, i):
                if self.flag is None:
                    return 0
                # ack RS only with the ring drained, then look again
                self._m[self._a_dmasr] = _DMA_RS | _DMA_NIS
                if owned(d, i):
                    return 0
            n = (((d[i + 3] & 0x3F) << 8) | d[i + 2]) - _FCS
            ok = rx_verdict(self, n, len(buf), d[i + 1])   # LS, FS, ES: dmaring's RX_*
            if ok:
                copy(buf, 0, self._rxb, (i >> 4) * self._bs, n)
            release(d, i, _OWN)                  # status cleared, back to the DMA
            self._rx_i = after(d, i, _DESC)
            self._m[self._a_dmarpdr] = 0         # resume if it ran out of descriptors
            if ok:
                self.rx_frames += 1
                return n

    def send(self, buf, n):
        if n < _MIN_FRAME or n > _MTU or n > len(buf):
            raise ValueError("frame length")
        d = self._txd
        i = self._tx_i
        if owned(d, i):
            self.tx_full += 1
            return False
        if d[i + 1] & 0x80:                      # ES of this slot's last frame
            self.tx_errors += 1
        copy(self._txb, (i >> 4) * self._bs, buf, 0, n)
        d[i + 4] = n & 0xFF                      # TBS1; TBS2 stays 0
        d[i + 5] = n >> 8
        d[i] = 0
        d[i + 1] = 0
        d[i + 2] = _T2_TER if i + _DESC == len(d) else 0
        d[i + 3] = _OWN | _T3_FIRST_LAST
        self._tx_i = after(d, i, _DESC)
        self._m[self._a_dmatpdr] = 0             # poll demand: TX may be suspended
        self.tx_frames += 1
        return True

    def attach_flag(self, flag):
        """Set `flag` on the receive interrupt. Needs the irq object given
        to the constructor; its handler only calls flag.set()."""
        if self._irq is None:
            raise ValueError("no irq source: poll mode only")
        self.flag = flag
        self._isr = self._on_irq                 # bound once: creating it allocates
        self._irq.irq(handler=self._isr, trigger=machine.Pin.IRQ_RISING)
        self._reg(_DMASR, _DMA_CLEAR)
        self._reg(_DMAIER, _DMA_NIS | _DMA_RIE)  # NISE (bit 16) | RIE (bit 6)

    def _on_irq(self, pin):
        self.flag.set()

    def close(self):
        self._reg(_DMAIER, 0)
        self._reg(_DMAOMR, 0)
        self._reg(_MACCR, 0)
        if self._irq is not None:
            self._irq.irq(handler=None)
        self.flag = None
