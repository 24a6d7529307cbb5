# Register-level model of the STM32F4/F7 Ethernet MAC and its DMA, from
# the reference manuals' ETH chapter (RM0090 section 33, RM0410 section
# 42), for board driver tests.
#
#   model = STM32EthModel(irq_pin="ETH_IRQ")   # mapped at 0x40028000
#   model.wire_in(frame, n)      a frame arrives on the cable
#   model.wire_out               FrameQueue of transmitted frames
#   model.phy                    the LAN8742A on MDIO address 0
#   model.tx_hold = True         the DMA does not pick up TX descriptors ...
#   model.release_tx()           ... until this
#
# The DMA walks descriptor rings the driver keeps in its own buffers; the
# model reads and writes them through fakemachine.dma_resolve (cached),
# honouring OWN, FS/LS, TER/RER, TCH/RCH, RBS1/RBS2, DSL and EDFE.
# Checks (AssertionError): non-32-bit or unmodelled register access,
# writes to read-only registers, register writes during the DMA soft reset,
# MDIO register use while MACMIIAR.MB is set, a reserved MDC clock range,
# list address changes while the DMA runs, starting the DMA without a list,
# unaligned descriptors, descriptors or buffers outside mapped memory,
# RBS1 not a multiple of 4, TX descriptors without FS at a frame start or
# with FS inside a frame, zero-length TX buffers, transmitting with MACCR.TE
# off, and the driver clearing OWN on a descriptor the DMA owns.
# Frame arrival and the per-frame register paths allocate nothing once the
# descriptors have been seen (warm-up).
import fakemachine
from chips import addressed_to, fcs, is_broadcast
from chips.membus import DmaView, FrameQueue, Phy, get32, put32

MACCR = 0x0000
MACFFR = 0x0004
MACHTHR = 0x0008
MACHTLR = 0x000C
MACMIIAR = 0x0010
MACMIIDR = 0x0014
MACFCR = 0x0018
MACVLANTR = 0x001C
MACRWUFFR = 0x0028
MACPMTCSR = 0x002C
MACDBGR = 0x0034
MACSR = 0x0038
MACIMR = 0x003C
MACA0HR = 0x0040
MACA0LR = 0x0044
MMCCR = 0x0100
MMCRIR = 0x0104
MMCTIR = 0x0108
MMCRIMR = 0x010C
MMCTIMR = 0x0110
MMCTGFCR = 0x0168
MMCRFCECR = 0x0194
MMCRGUFCR = 0x01C4
DMABMR = 0x1000
DMATPDR = 0x1004
DMARPDR = 0x1008
DMARDLAR = 0x100C
DMATDLAR = 0x1010
DMASR = 0x1014
DMAOMR = 0x1018
DMAIER = 0x101C
DMAMFBOCR = 0x1020
DMARSWTR = 0x1024
DMACHTDR = 0x1048
DMACHRDR = 0x104C
DMACHTBAR = 0x1050
DMACHRBAR = 0x1054

MACCR_RE = 1 << 2
MACCR_TE = 1 << 3
MACCR_DM = 1 << 11
MACCR_FES = 1 << 14
MACFFR_PM = 1 << 0
MACFFR_PAM = 1 << 4
MACFFR_BFD = 1 << 5
MACFFR_RA = 1 << 31

DMA_TS = 1 << 0
DMA_TPSS = 1 << 1
DMA_TBUS = 1 << 2
DMA_RS = 1 << 6
DMA_RBUS = 1 << 7
DMA_AIS = 1 << 15
DMA_NIS = 1 << 16
_NORMAL = DMA_TS | DMA_TBUS | DMA_RS | (1 << 14)
_ABNORMAL = 0x3FBA & ~_NORMAL

DMAOMR_SR = 1 << 1
DMAOMR_ST = 1 << 13
DMAOMR_FTF = 1 << 20
DMAOMR_FEF = 1 << 7
DMAOMR_RSF = 1 << 25

# RDES0 status bits a test may inject through wire_in
RDES0_CE = 1 << 1         # CRC error
RDES0_RE = 1 << 3         # receive error
RDES0_OE = 1 << 11        # overflow
RDES0_LE = 1 << 12        # length error
_RDES0_ES_CAUSES = (1 << 14) | (1 << 11) | (1 << 7) | (1 << 6) | (1 << 4) | (1 << 3) | (1 << 1) | (1 << 0)
TDES0_EC = 1 << 8         # excessive collisions

# SR, OSF, RTC, FUGF, FEF, ST, TTC, TSF, DFRF, RSF, DTCEFD
_DMAOMR_BITS = ((1 << 1) | (1 << 2) | (3 << 3) | (1 << 6) | (1 << 7) | (1 << 13) | (7 << 14)
                | (1 << 21) | (1 << 24) | (1 << 25) | (1 << 26))
_READ_ONLY = (MACDBGR, MMCRIR, MMCTIR, MMCTGFCR, MMCRFCECR, MMCRGUFCR, 0x14C, 0x150,
              0x198, DMAMFBOCR, DMACHTDR, DMACHRDR, DMACHTBAR, DMACHRBAR)
_MAC_RW = (MACHTHR, MACHTLR, MACFCR, MACVLANTR, MACRWUFFR, MACPMTCSR, MACIMR,
           0x48, 0x4C, 0x50, 0x54, 0x58, 0x5C, MMCCR, MMCRIMR, MMCTIMR, DMARSWTR)


class STM32EthModel:
    def __init__(self, base=0x40028000, irq_pin=None, refclk=True, phy_addr=0,
                 reset_reads=2, mii_busy_reads=1, clocks=None):
        self.base = base
        self.refclk = refclk             # RMII REF_CLK from the PHY present
        self.clocks = clocks             # Stm32SysModel, or None: clocks assumed on
        self.phy = Phy(0x0007, 0xC131)   # LAN8742A
        for reg, v in ((17, 0x0002), (18, 0x60E0 | phy_addr), (26, 0), (27, 0x000B),
                       (29, 0), (30, 0), (31, 0x1058)):
            self.phy.vendor[reg] = v
        self.phy_addr = phy_addr
        self.wire_out = FrameQueue()
        self.tx_hold = False
        self.tx_error_next = 0
        self.rx_missed = 0               # no descriptor / DMA stopped
        self.rx_filtered = 0
        self.rx_fifo_dropped = 0         # error frames dropped in the RX FIFO
        self._reset_reads = reset_reads
        self._mii_busy_reads = mii_busy_reads
        self._pin = fakemachine.Pin(irq_pin) if irq_pin is not None else None
        if self._pin is not None:
            self._pin.drive(0)
        self.dma = DmaView()
        self._owned = {}                 # descriptor address -> DMA saw OWN set
        self._frame = bytearray(2048)
        self._regs = {}
        self._defaults()
        # out of power-on reset the DMA sits in soft reset (DMABMR reads
        # 0x00020101) until the RMII REF_CLK runs
        self.dmabmr |= 1
        self._resetting = reset_reads
        fakemachine.map_region(base, 0x1400, self)

    def _defaults(self):
        self.maccr = 0x00008000
        self.macffr = 0
        self.miiar = 0
        self.miidr = 0
        self.maca0h = 0xFFFF
        self.maca0l = 0xFFFFFFFF
        self._mac = bytearray(b"\xff" * 6)   # the address the filter uses
        self.dmabmr = 0x00020100
        self.rdlar = 0
        self.tdlar = 0
        self.dmasr = 0
        self.dmaomr = 0
        self.dmaier = 0
        self.mfc = 0                     # DMAMFBOCR missed frames counter
        self.mmc_tx_good = 0
        self.mmc_rx_crc = 0
        self.mmc_rx_unicast = 0
        for k in _MAC_RW:
            self._regs[k] = 0
        self._regs[0x48] = self._regs[0x50] = self._regs[0x58] = 0x0000FFFF
        self._regs[0x4C] = self._regs[0x54] = self._regs[0x5C] = 0xFFFFFFFF
        self._resetting = 0
        self._mii_busy = 0
        self._rx_cur = 0
        self._tx_cur = 0
        self._rx_running = False
        self._rx_suspended = False
        self._tx_running = False
        self._tx_in_frame = False
        self._tx_len = 0
        self._update_irq()

    # --- bus interface -------------------------------------------------------

    def read(self, off, width):
        self._check(off, width)
        if self._resetting:
            if off != DMABMR:
                raise AssertionError("STM32 ETH: register 0x%04x read while DMABMR.SR "
                                     "reset is in progress" % off)
            if self.refclk:
                self._resetting -= 1
                if self._resetting == 0:
                    self._defaults()
                    return self.dmabmr
            return self.dmabmr | 1
        if off == MACCR:
            return self.maccr
        if off == MACFFR:
            return self.macffr
        if off == MACMIIAR:
            if self._mii_busy:
                self._mii_busy -= 1
                if self._mii_busy == 0:
                    self._mii_do()
                    return self.miiar & ~1
                return self.miiar | 1
            return self.miiar & ~1
        if off == MACMIIDR:
            if self._mii_busy:
                raise AssertionError("STM32 ETH: MACMIIDR read while MACMIIAR.MB is set")
            return self.miidr
        if off == MACA0HR:
            return 0x80000000 | self.maca0h
        if off == MACA0LR:
            return self.maca0l
        if off == MACDBGR or off == MACSR:
            return 0
        if off == MMCTGFCR:
            return self.mmc_tx_good
        if off == MMCRFCECR:
            return self.mmc_rx_crc
        if off == MMCRGUFCR:
            return self.mmc_rx_unicast
        if off == DMABMR:
            return self.dmabmr
        if off == DMATPDR or off == DMARPDR:
            return 0
        if off == DMARDLAR:
            return self.rdlar
        if off == DMATDLAR:
            return self.tdlar
        if off == DMASR:
            return self._dmasr_read()
        if off == DMAOMR:
            return self.dmaomr
        if off == DMAIER:
            return self.dmaier
        if off == DMAMFBOCR:
            v = self.mfc & 0xFFFF
            if self.mfc > 0xFFFF:
                v |= 1 << 16
            self.mfc = 0                 # clears on read
            return v
        if off == DMACHTDR:
            return self._tx_cur
        if off == DMACHRDR:
            return self._rx_cur
        if off in _READ_ONLY:
            return 0
        v = self._regs.get(off)
        if v is None:
            raise AssertionError("STM32 ETH: read of unmodelled register 0x%04x" % off)
        return v

    def write(self, off, width, value):
        self._check(off, width)
        if self._resetting:
            if off == DMABMR and value & 1:
                self._resetting = self._reset_reads      # reset again: fine
                return
            raise AssertionError("STM32 ETH: register 0x%04x written before DMABMR.SR "
                                 "cleared (software reset in progress)" % off)
        if off in _READ_ONLY:
            raise AssertionError("STM32 ETH: register 0x%04x is read-only" % off)
        if off == MACCR:
            self.maccr = value & 0x02CFFEFC
        elif off == MACFFR:
            self.macffr = value & 0x800007FF
        elif off == MACMIIAR:
            self._miiar_write(value)
        elif off == MACMIIDR:
            if self._mii_busy:
                raise AssertionError("STM32 ETH: MACMIIDR written while MACMIIAR.MB is set")
            self.miidr = value & 0xFFFF
        elif off == MACA0HR:
            self.maca0h = value & 0xFFFF
        elif off == MACA0LR:
            # the low register write latches both halves into the filter
            self.maca0l = value
            for i in range(4):
                self._mac[i] = (value >> (8 * i)) & 0xFF
            self._mac[4] = self.maca0h & 0xFF
            self._mac[5] = self.maca0h >> 8
        elif off == DMABMR:
            if value & 1:
                self._resetting = self._reset_reads
                return
            self.dmabmr = value & 0x07FFFFFE
        elif off == DMATPDR:
            if self._tx_running:
                self._tx_process()
        elif off == DMARPDR:
            if self._rx_running:
                self._rx_suspended = False
                self._desc(self._rx_cur)    # the DMA re-fetches the current descriptor
        elif off == DMARDLAR:
            if self._rx_running:
                raise AssertionError("STM32 ETH: DMARDLAR written while RX DMA runs")
            self._check_list(value)
            self.rdlar = value
            self._rx_cur = value
        elif off == DMATDLAR:
            if self._tx_running:
                raise AssertionError("STM32 ETH: DMATDLAR written while TX DMA runs")
            self._check_list(value)
            self.tdlar = value
            self._tx_cur = value
        elif off == DMASR:
            self.dmasr &= ~(value & 0x1E7FF)
        elif off == DMAOMR:
            self._dmaomr_write(value)
        elif off == DMAIER:
            self.dmaier = value & 0x1E7FF
        else:
            if off not in self._regs:
                raise AssertionError("STM32 ETH: write to unmodelled register 0x%04x" % off)
            self._regs[off] = value
        self._update_irq()

    def _check(self, off, width):
        if width != 4:
            raise AssertionError("STM32 ETH: %d-bit access at 0x%04x (registers are "
                                 "32-bit)" % (width * 8, off))
        if self.clocks is not None and not self.clocks.eth_clocked():
            raise AssertionError("STM32 ETH: register access with the ETH clocks off")

    def _check_list(self, addr):
        if addr & 3:
            raise AssertionError("STM32 ETH: descriptor list 0x%08x not word-aligned" % addr)

    # --- MDIO ----------------------------------------------------------------

    def _miiar_write(self, value):
        if self._mii_busy:
            raise AssertionError("STM32 ETH: MACMIIAR written while MB is set")
        if (value >> 2) & 7 > 4:
            raise AssertionError("STM32 ETH: MACMIIAR.CR %d is reserved" % ((value >> 2) & 7))
        self.miiar = value & 0xFFDF
        if value & 1:
            self._mii_busy = self._mii_busy_reads
            if not self._mii_busy:
                self._mii_do()

    def _mii_do(self):
        phy = (self.miiar >> 11) & 0x1F
        reg = (self.miiar >> 6) & 0x1F
        if phy != self.phy_addr:
            if not self.miiar & 2:
                self.miidr = 0xFFFF
            return
        if self.miiar & 2:
            self.phy.write(reg, self.miidr)
        else:
            self.miidr = self.phy.read(reg)

    # --- DMA control ---------------------------------------------------------

    def _dmaomr_write(self, value):
        old = self.dmaomr
        self.dmaomr = value & _DMAOMR_BITS    # FTF (bit 20) self-clears at once
        if value & DMAOMR_SR and not old & DMAOMR_SR:
            if not self.rdlar:
                raise AssertionError("STM32 ETH: RX DMA started with DMARDLAR unset")
            self._rx_running = True
            self._rx_suspended = False
            self._desc(self._rx_cur)        # first descriptor fetch
        elif not value & DMAOMR_SR:
            self._rx_running = False
        if value & DMAOMR_ST and not old & DMAOMR_ST:
            if not self.tdlar:
                raise AssertionError("STM32 ETH: TX DMA started with DMATDLAR unset")
            self._tx_running = True
            self._tx_process()
        elif not value & DMAOMR_ST:
            self._tx_running = False

    def _dmasr_read(self):
        v = self.dmasr
        if v & self.dmaier & _NORMAL:
            v |= DMA_NIS
        if v & self.dmaier & _ABNORMAL:
            v |= DMA_AIS
        # RPS (19:17): 3 waiting, 4 suspended; TPS (22:20): 6 suspended
        if self._rx_running:
            v |= (4 if self._rx_suspended else 3) << 17
        if self._tx_running:
            v |= 6 << 20
        return v

    def _status(self, bits):
        self.dmasr |= bits
        if bits & self.dmaier & _NORMAL:
            self.dmasr |= DMA_NIS
        if bits & self.dmaier & _ABNORMAL:
            self.dmasr |= DMA_AIS
        self._update_irq()

    def _update_irq(self):
        if self._pin is None:
            return
        level = bool((self.dmasr & DMA_NIS and self.dmaier & DMA_NIS)
                     or (self.dmasr & DMA_AIS and self.dmaier & DMA_AIS))
        if level != self._pin.value():
            self._pin.drive(level)

    def _stride(self):
        words = 8 if self.dmabmr & 0x80 else 4      # EDFE: enhanced 32-byte descriptors
        return (words + ((self.dmabmr >> 2) & 0x1F)) * 4

    def _desc(self, addr):
        """(buf, offset) of the descriptor at addr, with ownership-theft check."""
        if addr & 3:
            raise AssertionError("STM32 ETH: descriptor at 0x%08x not word-aligned" % addr)
        t = self.dma.resolve(addr, 16)
        own = t[0][t[1] + 3] & 0x80
        seen = self._owned.get(addr, 0)
        if seen and not own:
            raise AssertionError("STM32 ETH: the driver cleared OWN of the descriptor at "
                                 "0x%08x while the DMA owned it" % addr)
        if own and not seen:
            self._owned[addr] = 1
        return t

    def _release(self, addr, buf, off, word0):
        put32(buf, off, word0)                      # OWN clear: back to the CPU
        self._owned[addr] = 0

    # --- receive -------------------------------------------------------------

    def _filter(self, buf, off):
        if self.macffr & (MACFFR_PM | MACFFR_RA):
            return True
        if buf[off] & 1:
            if is_broadcast(buf, off):
                return not self.macffr & MACFFR_BFD
            return bool(self.macffr & MACFFR_PAM)  # hash filter not modelled
        return addressed_to(buf, off, self._mac)

    def wire_in(self, buf, n, errors=0, off=0, to_descriptor=False):
        """A frame of n bytes (no FCS) arrives. `errors`: RDES0 error bits.
        With store-and-forward and FEF clear the MAC drops error frames in
        its FIFO; to_descriptor=True models an error the FIFO could not
        catch (cut-through overflow, say) so it reaches the descriptor."""
        if self._resetting or not self.maccr & MACCR_RE:
            return False
        if not self._filter(buf, off):
            self.rx_filtered += 1
            return False
        if errors & RDES0_CE:
            self.mmc_rx_crc += 1
        if errors and not to_descriptor and not self.dmaomr & DMAOMR_FEF:
            self.rx_fifo_dropped += 1
            return False
        if not buf[off] & 1:
            self.mmc_rx_unicast += 1
        size = n if n >= 60 else 60                 # the sender's MAC padded it
        total = size + 4
        f = self._frame
        for i in range(n):
            f[i] = buf[off + i]
        for i in range(n, size):
            f[i] = 0
        crc = fcs(f, 0, size)
        if errors & RDES0_CE:
            crc ^= 0xFFFFFFFF
        for i in range(4):
            f[size + i] = (crc >> (8 * i)) & 0xFF
        if not self._rx_running or self._rx_suspended or not self._rx_room(total):
            self.mfc += 1
            self.rx_missed += 1
            if self._rx_running:
                self._rx_suspended = True
                self._status(DMA_RBUS)
            return False
        self._rx_write(f, total, errors)
        return True

    def _rx_room(self, total):
        addr = self._rx_cur
        stride = self._stride()
        while total > 0:
            t = self._desc(addr)
            b = t[0]
            o = t[1]
            if not b[o + 3] & 0x80:
                return False
            rdes1 = get32(b, o + 4)
            rbs1 = rdes1 & 0x1FFF
            rbs2 = 0 if rdes1 & (1 << 14) else (rdes1 >> 16) & 0x1FFF
            if rbs1 & 3 or rbs2 & 3:
                raise AssertionError("STM32 ETH: RX buffer sizes must be multiples of 4 "
                                     "(RDES1 at 0x%08x)" % addr)
            if rbs1 + rbs2 == 0:
                raise AssertionError("STM32 ETH: RX descriptor at 0x%08x has no buffer" % addr)
            total -= rbs1 + rbs2
            addr = self._next(addr, b, o, rdes1 & (1 << 15), rdes1 & (1 << 14), self.rdlar, stride)
        return True

    def _next(self, addr, b, o, end_of_ring, chained, base, stride):
        if end_of_ring:
            return base
        if chained:
            return get32(b, o + 12)
        return addr + stride

    def _rx_write(self, f, total, errors):
        stride = self._stride()
        done = 0
        first = True
        ft = (1 << 5) if (f[12] << 8 | f[13]) >= 0x0600 else 0
        while done < total:
            addr = self._rx_cur
            t = self._desc(addr)
            b = t[0]
            o = t[1]
            rdes1 = get32(b, o + 4)
            chained = rdes1 & (1 << 14)
            done = self._rx_fill(f, done, total, get32(b, o + 8), rdes1 & 0x1FFF)
            if not chained and done < total:
                done = self._rx_fill(f, done, total, get32(b, o + 12), (rdes1 >> 16) & 0x1FFF)
            w0 = (1 << 9) if first else 0               # FS
            if done >= total:
                w0 |= (1 << 8) | (total << 16) | ft | errors   # LS, FL incl. FCS
                if errors & _RDES0_ES_CAUSES:
                    w0 |= 1 << 15
            first = False
            self._release(addr, b, o, w0)
            self._rx_cur = self._next(addr, b, o, rdes1 & (1 << 15), chained, self.rdlar, stride)
            if done >= total and not rdes1 & (1 << 31):  # DIC
                self._status(DMA_RS)

    def _rx_fill(self, f, done, total, addr, size):
        k = total - done
        if k > size:
            k = size
        if k <= 0:
            return done
        t = self.dma.resolve(addr, k)
        b = t[0]
        o = t[1]
        for i in range(k):
            b[o + i] = f[done + i]
        return done + k

    # --- transmit ------------------------------------------------------------

    def _tx_process(self):
        if self.tx_hold:
            return
        stride = self._stride()
        while True:
            addr = self._tx_cur
            t = self._desc(addr)
            b = t[0]
            o = t[1]
            w0 = get32(b, o)
            if not w0 & (1 << 31):
                self._status(DMA_TBUS)              # suspended until poll demand
                return
            fs = w0 & (1 << 28)
            ls = w0 & (1 << 29)
            if fs and self._tx_in_frame:
                raise AssertionError("STM32 ETH: TX descriptor 0x%08x has FS inside a frame"
                                     % addr)
            if not fs and not self._tx_in_frame:
                raise AssertionError("STM32 ETH: TX descriptor 0x%08x lacks FS at a frame "
                                     "start" % addr)
            if fs:
                self._tx_in_frame = True
                self._tx_len = 0
            w1 = get32(b, o + 4)
            chained = w0 & (1 << 20)
            tbs1 = w1 & 0x1FFF
            tbs2 = 0 if chained else (w1 >> 16) & 0x1FFF
            if tbs1 + tbs2 == 0:
                raise AssertionError("STM32 ETH: TX descriptor 0x%08x with no data" % addr)
            self._tx_take(get32(b, o + 8), tbs1)
            if tbs2:
                self._tx_take(get32(b, o + 12), tbs2)
            status = 0
            if ls:
                self._tx_in_frame = False
                status = self._tx_send(w0)
            self._release(addr, b, o, (w0 & 0x7FF00000 & ~(1 << 31)) | status)
            if ls and w0 & (1 << 30):               # IC
                self._status(DMA_TS)
            self._tx_cur = self._next(addr, b, o, w0 & (1 << 21), chained, self.tdlar, stride)

    def _tx_take(self, addr, n):
        if self._tx_len + n > len(self._frame):
            raise AssertionError("STM32 ETH: TX frame longer than 2048 bytes")
        t = self.dma.resolve(addr, n)
        b = t[0]
        o = t[1]
        f = self._frame
        k = self._tx_len
        for i in range(n):
            f[k + i] = b[o + i]
        self._tx_len += n

    def _tx_send(self, w0):
        if not self.maccr & MACCR_TE:
            raise AssertionError("STM32 ETH: frame handed to the DMA with MACCR.TE off")
        if self.tx_error_next:
            s = self.tx_error_next | (1 << 15)
            self.tx_error_next = 0
            return s
        n = self._tx_len
        if n < 60 and not w0 & (1 << 26):           # DP clear: pad
            for i in range(n, 60):
                self._frame[i] = 0
            n = 60
        if w0 & (1 << 27):                          # DC: the buffer carries its FCS
            n -= 4
        self.wire_out.put(self._frame, 0, n)
        self.mmc_tx_good += 1
        return 0

    def release_tx(self):
        self.tx_hold = False
        if self._tx_running:
            self._tx_process()

    # --- test helpers --------------------------------------------------------

    def mac_address(self):
        return bytes(self._mac)

    def irq_asserted(self):
        return self._pin is not None and bool(self._pin.value())


class Stm32SysModel:
    """RCC and SYSCFG, as far as ETH bring-up needs them: checks that RMII
    is selected while the MAC is held in reset, before its clocks run."""

    RCC = 0x40023800
    SYSCFG = 0x40013800

    def __init__(self):
        self.rcc = {0x10: 0, 0x30: 0x00100000, 0x44: 0}
        self.pmc = 0
        self.gpio = {}
        fakemachine.map_region(self.RCC, 0x400, _Window(self, "rcc"))
        fakemachine.map_region(self.SYSCFG, 0x400, _Window(self, "syscfg"))
        fakemachine.map_region(0x40020000, 0x2C00, _Window(self, "gpio"))

    def eth_clocked(self):
        return self.rcc[0x30] & (7 << 25) == (7 << 25) and not self.rcc[0x10] & (1 << 25)

    def access(self, which, off, value):
        if which == "rcc":
            if off not in self.rcc:
                raise AssertionError("RCC register 0x%02x not modelled" % off)
            if value is None:
                return self.rcc[off]
            if off == 0x30 and value & (7 << 25) and not self.rcc[0x30] & (7 << 25):
                if not self.pmc & (1 << 23):
                    raise AssertionError("ETH clocks enabled before SYSCFG_PMC.MII_RMII_SEL")
                if not self.rcc[0x10] & (1 << 25):
                    raise AssertionError("ETH clocks enabled with the MAC not held in reset")
            self.rcc[off] = value
            return None
        if which == "syscfg":
            if off != 0x04:
                raise AssertionError("SYSCFG register 0x%02x not modelled" % off)
            if value is None:
                return self.pmc
            if not self.rcc[0x44] & (1 << 14):
                raise AssertionError("SYSCFG written with its clock off")
            if (value ^ self.pmc) & (1 << 23) and not self.rcc[0x10] & (1 << 25):
                raise AssertionError("MII_RMII_SEL changed with the MAC out of reset")
            self.pmc = value
            return None
        if value is None:
            return self.gpio.get(off, 0)
        self.gpio[off] = value
        return None


class _Window:
    def __init__(self, sysm, which):
        self.sysm = sysm
        self.which = which

    def read(self, off, width):
        return self.sysm.access(self.which, off, None)

    def write(self, off, width, value):
        self.sysm.access(self.which, off, value)
