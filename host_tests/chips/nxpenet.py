# Register-level model of the NXP ENET MAC (i.MX RT1060 reference manual,
# "10/100-Mbps Ethernet MAC (ENET)"), legacy buffer descriptors, for board
# driver tests.
#
#   model = ENETModel(irq_pin="ENET_IRQ")    # mapped at 0x402D8000
#   model.wire_in(frame, n)      a frame arrives on the cable
#   model.wire_out               FrameQueue of transmitted frames
#   model.phy                    the PHY (KSZ8081RNB ids) on MDIO address 0
#   model.tx_hold = True         TDAR does not start transmission ...
#   model.release_tx()           ... until this
#
# Descriptors are the legacy 8-byte ones in the little-endian layout that
# ECR.DBSWP selects on Arm; the MAC walks them from RDSR/TDSR, honouring
# E/R, W, L, TC and MRBR, and writes length and status back.
# Checks (AssertionError): non-32-bit or unmodelled register access,
# writes to read-only registers, access while ECR.RESET is in progress,
# enabling the MAC with DBSWP clear (descriptors would be big-endian), with
# RCR.MII_MODE clear, with the reset-value RCR.LOOP still set in RMII
# mode, without MRBR (a multiple of 16) or ring bases (8-byte aligned),
# changing RCR/TCR/RDSR/TDSR/MRBR with ETHEREN set, MDIO with MSCR.MII_SPEED
# 0 or a malformed MMFR frame or while one is in flight, RX buffers not
# 16-byte aligned, TX descriptors without TC or with no data, buffers
# outside mapped memory, and the driver clearing E/R on a descriptor the
# MAC owns. Frame arrival and the per-frame register paths allocate nothing
# once the descriptors have been seen (warm-up).
import fakemachine
from chips import addressed_to, fcs, is_broadcast
from chips.membus import DmaView, FrameQueue, Phy, get16, put16, get32

EIR = 0x004
EIMR = 0x008
RDAR = 0x010
TDAR = 0x014
ECR = 0x024
MMFR = 0x040
MSCR = 0x044
MIBC = 0x064
RCR = 0x084
TCR = 0x0C4
PALR = 0x0E4
PAUR = 0x0E8
OPD = 0x0EC
IAUR = 0x118
IALR = 0x11C
GAUR = 0x120
GALR = 0x124
TFWR = 0x144
RDSR = 0x180
TDSR = 0x184
MRBR = 0x188
FTRL = 0x1B0
RACC = 0x1C4

EIR_BABR = 1 << 30
EIR_TXF = 1 << 27
EIR_TXB = 1 << 26
EIR_RXF = 1 << 25
EIR_RXB = 1 << 24
EIR_MII = 1 << 23

ECR_RESET = 1 << 0
ECR_ETHEREN = 1 << 1
ECR_DBSWP = 1 << 8

RCR_LOOP = 1 << 0
RCR_DRT = 1 << 1
RCR_MII_MODE = 1 << 2
RCR_PROM = 1 << 3
RCR_BC_REJ = 1 << 4
RCR_RMII_MODE = 1 << 8
RCR_RMII_10T = 1 << 9
RCR_CRCFWD = 1 << 14
TCR_FDEN = 1 << 2

# RX descriptor status bits a test may inject through wire_in
BD_LG = 1 << 5
BD_NO = 1 << 4
BD_CR = 1 << 2
BD_OV = 1 << 1
BD_TR = 1 << 0
_E = 1 << 15
_W = 1 << 13
_L = 1 << 11
_TC = 1 << 10
_BC = 1 << 7
_MC = 1 << 6

_SIMPLE = {OPD: 0x00010000, 0x0F0: 0, 0x100: 0, 0x190: 0, 0x194: 0, 0x198: 4,
           0x19C: 4, 0x1A0: 0, 0x1A4: 4, 0x1A8: 8, 0x1AC: 12, FTRL: 0x7FF,
           0x1C0: 0, RACC: 0}
_LOCKED = (RCR, TCR, RDSR, TDSR, MRBR)   # only with ETHEREN clear


class ENETModel:
    def __init__(self, base=0x402D8000, irq_pin=None, phy_addr=0, reset_reads=1,
                 mii_busy_reads=1, phy_ids=(0x0022, 0x1561)):
        self.base = base
        self.phy = Phy(phy_ids[0], phy_ids[1])
        for reg in (16, 17, 18, 21, 22, 24, 27, 29, 30, 31):
            self.phy.vendor[reg] = 0
        self.phy.vendor[30] = 0x0015    # KSZ8081 PHY control 1: 100BASE-TX full duplex
        self.phy_addr = phy_addr
        self.wire_out = FrameQueue()
        self.tx_hold = False
        self.rx_missed = 0
        self.rx_filtered = 0
        self._reset_reads = reset_reads
        self._mii_busy_reads = mii_busy_reads
        self._pin = fakemachine.Pin(irq_pin) if irq_pin is not None else None
        if self._pin is not None:
            self._pin.drive(0)
        self.dma = DmaView()
        self._owned = {}
        self._frame = bytearray(2048)
        self._mac = bytearray(6)
        self._defaults()
        fakemachine.map_region(base, 0x800, self)

    def _defaults(self):
        self.eir = 0
        self.eimr = 0
        self.rdar = 0
        self.ecr = 0x70000000
        self.mmfr = 0
        self.mscr = 0
        self.mibc = 0xC0000000
        self.rcr = 0x05EE0001            # MAX_FL 1518, and LOOP set
        self.tcr = 0
        self.palr = 0
        self.paur = 0
        self.iaur = 0
        self.ialr = 0
        self.gaur = 0
        self.galr = 0
        self.tfwr = 0
        self.rdsr = 0
        self.tdsr = 0
        self.mrbr = 0
        self.regs = dict(_SIMPLE)
        for i in range(6):
            self._mac[i] = 0
        self._resetting = 0
        self._mii_busy = 0
        self._rx_cur = 0
        self._tx_cur = 0
        self._update_irq()

    # --- bus interface -------------------------------------------------------

    def read(self, off, width):
        self._check(off, width)
        if self._resetting:
            if off != ECR:
                raise AssertionError("ENET: register 0x%03x read during ECR.RESET" % off)
            self._resetting -= 1
            return self.ecr | ECR_RESET if self._resetting else self.ecr
        if off == EIR:
            if self._mii_busy:
                self._mii_busy -= 1
                if self._mii_busy == 0:
                    self._mii_do()
            return self.eir
        if off == EIMR:
            return self.eimr
        if off == RDAR:
            return (1 << 24) if self.rdar else 0
        if off == TDAR:
            return 0                     # transmission completes at once
        if off == ECR:
            return self.ecr
        if off == MMFR:
            return self.mmfr
        if off == MSCR:
            return self.mscr
        if off == MIBC:
            return self.mibc
        if off == RCR:
            return self.rcr
        if off == TCR:
            return self.tcr
        if off == PALR:
            return self.palr
        if off == PAUR:
            return self.paur | 0x8808
        if off == IAUR:
            return self.iaur
        if off == IALR:
            return self.ialr
        if off == GAUR:
            return self.gaur
        if off == GALR:
            return self.galr
        if off == TFWR:
            return self.tfwr
        if off == RDSR:
            return self.rdsr
        if off == TDSR:
            return self.tdsr
        if off == MRBR:
            return self.mrbr
        if 0x200 <= off < 0x300:
            return 0                     # MIB counters: not counted by the model
        v = self.regs.get(off)
        if v is None:
            raise AssertionError("ENET: read of unmodelled register 0x%03x" % off)
        return v

    def write(self, off, width, value):
        self._check(off, width)
        if self._resetting:
            raise AssertionError("ENET: register 0x%03x written during ECR.RESET" % off)
        if off in _LOCKED and self.ecr & ECR_ETHEREN:
            raise AssertionError("ENET: register 0x%03x changed with ECR.ETHEREN set" % off)
        if off == EIR:
            self.eir &= ~value
        elif off == EIMR:
            self.eimr = value
        elif off == RDAR:
            if self.ecr & ECR_ETHEREN:
                self.rdar = 1
                self._rx_check_empty()
        elif off == TDAR:
            if self.ecr & ECR_ETHEREN:
                self._tx_process()
        elif off == ECR:
            self._ecr_write(value)
        elif off == MMFR:
            self._mmfr_write(value)
        elif off == MSCR:
            self.mscr = value & 0x7FE
        elif off == MIBC:
            self.mibc = 0xC0000000 if value & 0x80000000 else 0
        elif off == RCR:
            self.rcr = value & 0x7FFFF33F
        elif off == TCR:
            self.tcr = value & 0x3EF
        elif off == PALR:
            self.palr = value
            for i in range(4):
                self._mac[i] = (value >> (24 - 8 * i)) & 0xFF
        elif off == PAUR:
            self.paur = value & 0xFFFF0000
            self._mac[4] = (value >> 24) & 0xFF
            self._mac[5] = (value >> 16) & 0xFF
        elif off == IAUR:
            self.iaur = value
        elif off == IALR:
            self.ialr = value
        elif off == GAUR:
            self.gaur = value
        elif off == GALR:
            self.galr = value
        elif off == TFWR:
            self.tfwr = value & 0x13F
        elif off == RDSR:
            self._check_ring(value)
            self.rdsr = value
            self._rx_cur = value
        elif off == TDSR:
            self._check_ring(value)
            self.tdsr = value
            self._tx_cur = value
        elif off == MRBR:
            if value & 0xF or not value & 0x3FF0:
                raise AssertionError("ENET: MRBR must be a non-zero multiple of 16")
            self.mrbr = value & 0x3FF0
        elif 0x200 <= off < 0x300:
            raise AssertionError("ENET: MIB counter 0x%03x is read-only" % off)
        elif off in self.regs:
            if off == RACC and value & 0x80:
                raise AssertionError("ENET model: RACC.SHIFT16 not modelled")
            self.regs[off] = value
        else:
            raise AssertionError("ENET: write to unmodelled register 0x%03x" % off)
        self._update_irq()

    def _check(self, off, width):
        if width != 4:
            raise AssertionError("ENET: %d-bit access at 0x%03x (32-bit registers only)"
                                 % (width * 8, off))

    def _check_ring(self, addr):
        if addr & 7 or not addr:
            raise AssertionError("ENET: descriptor ring base 0x%08x must be 8-byte aligned"
                                 % addr)

    def _ecr_write(self, value):
        if value & ECR_RESET:
            self._defaults()
            self._resetting = self._reset_reads
            return
        old = self.ecr
        if value & ECR_ETHEREN and not old & ECR_ETHEREN:
            if not value & ECR_DBSWP:
                raise AssertionError("ENET: ETHEREN with ECR.DBSWP clear: the MAC would read "
                                     "descriptors big-endian on this little-endian core")
            if value & (1 << 4):
                raise AssertionError("ENET model: enhanced descriptors (EN1588) not modelled")
            if not self.rcr & RCR_MII_MODE:
                raise AssertionError("ENET: RCR.MII_MODE must be set")
            if self.rcr & RCR_LOOP and self.rcr & RCR_RMII_MODE:
                raise AssertionError("ENET: RCR.LOOP (set at reset) with RMII_MODE: clear it")
            if not self.mrbr or not self.rdsr or not self.tdsr:
                raise AssertionError("ENET: ETHEREN before MRBR/RDSR/TDSR are set")
        self.ecr = 0x70000000 | (value & 0x1FE)
        if not value & ECR_ETHEREN:
            # rewinds to the ring starts; the descriptors are the driver's again
            for k in self._owned:
                self._owned[k] = 0
            self.rdar = 0
            self._rx_cur = self.rdsr
            self._tx_cur = self.tdsr

    # --- MDIO ----------------------------------------------------------------

    def _mmfr_write(self, value):
        if self._mii_busy:
            raise AssertionError("ENET: MMFR written while a management frame is in flight")
        if not self.mscr & 0x7E:
            raise AssertionError("ENET: MMFR written with MSCR.MII_SPEED 0 (MDC off)")
        if (value >> 30) != 1 or ((value >> 16) & 3) != 2:
            raise AssertionError("ENET: clause-22 frame needs ST=01 and TA=10 (MMFR 0x%08x)"
                                 % value)
        op = (value >> 28) & 3
        if op not in (1, 2):
            raise AssertionError("ENET: MMFR.OP %d is not a clause-22 read or write" % op)
        self.mmfr = value
        self._mii_busy = self._mii_busy_reads
        if not self._mii_busy:
            self._mii_do()

    def _mii_do(self):
        v = self.mmfr
        phy = (v >> 23) & 0x1F
        reg = (v >> 18) & 0x1F
        if (v >> 28) & 3 == 2:
            data = self.phy.read(reg) if phy == self.phy_addr else 0xFFFF
            self.mmfr = (v & 0xFFFF0000) | data
        elif phy == self.phy_addr:
            self.phy.write(reg, v & 0xFFFF)
        self.eir |= EIR_MII
        self._update_irq()

    # --- interrupt line ------------------------------------------------------

    def _update_irq(self):
        if self._pin is None:
            return
        level = bool(self.eir & self.eimr)
        if level != self._pin.value():
            self._pin.drive(level)

    def _event(self, bits):
        self.eir |= bits
        self._update_irq()

    # --- descriptors ---------------------------------------------------------

    def _bd(self, addr):
        """(buf, offset) of the descriptor at addr, with ownership-theft check."""
        t = self.dma.resolve(addr, 8)
        own = t[0][t[1] + 3] & 0x80
        seen = self._owned.get(addr, 0)
        if seen and not own:
            raise AssertionError("ENET: the driver cleared E/R of the descriptor at 0x%08x "
                                 "while the MAC owned it" % addr)
        if own and not seen:
            self._owned[addr] = 1
        return t

    def _next(self, addr, flags, base):
        return base if flags & _W else addr + 8

    def _rx_check_empty(self):
        t = self._bd(self._rx_cur)
        if not get16(t[0], t[1] + 2) & _E:
            self.rdar = 0                # no empty descriptor: receive stops

    # --- receive -------------------------------------------------------------

    def _hash_hit(self, hi, lo, buf, off):
        h = ((fcs(buf, off, 6) ^ 0xFFFFFFFF) >> 26) & 0x3F
        return bool((hi >> (h - 32)) & 1) if h >= 32 else bool((lo >> h) & 1)

    def _filter(self, buf, off):
        if self.rcr & RCR_PROM:
            return True
        if buf[off] & 1:
            if is_broadcast(buf, off):
                return not self.rcr & RCR_BC_REJ
            return self._hash_hit(self.gaur, self.galr, buf, off)
        if not addressed_to(buf, off, self._mac):
            return self._hash_hit(self.iaur, self.ialr, buf, off)
        return True

    def wire_in(self, buf, n, errors=0, off=0):
        """A frame of n bytes (no FCS) arrives; `errors`: BD status bits
        (e.g. BD_CR: its FCS arrives corrupted)."""
        if self._resetting or not self.ecr & ECR_ETHEREN:
            return False
        if not self._filter(buf, off):
            self.rx_filtered += 1
            return False
        size = n if n >= 60 else 60
        f = self._frame
        for i in range(n):
            f[i] = buf[off + i]
        for i in range(n, size):
            f[i] = 0
        crc = fcs(f, 0, size)
        if errors & BD_CR:
            crc ^= 0xFFFFFFFF
        total = size
        if not self.rcr & RCR_CRCFWD:    # CRCFWD clear: the FCS goes to memory too
            for i in range(4):
                f[size + i] = (crc >> (8 * i)) & 0xFF
            total += 4
        status = errors
        if size + 4 > (self.rcr >> 16) & 0x3FFF:
            status |= BD_LG
        ftrl = self.regs[FTRL] & 0x3FFF
        if total > ftrl:
            total = ftrl
            status |= BD_TR | BD_LG
        if buf[off] & 1:
            status |= _BC if buf[off] == 0xFF and buf[off + 1] == 0xFF else _MC
        if not self.rdar or not self._rx_room(total):
            self.rx_missed += 1
            self.rdar = 0
            return False
        self._rx_write(f, total, status)
        return True

    def _rx_room(self, total):
        addr = self._rx_cur
        while total > 0:
            t = self._bd(addr)
            flags = get16(t[0], t[1] + 2)
            if not flags & _E:
                return False
            total -= self.mrbr
            addr = self._next(addr, flags, self.rdsr)
        return True

    def _rx_write(self, f, total, status):
        done = 0
        while done < total:
            addr = self._rx_cur
            t = self._bd(addr)
            b = t[0]
            o = t[1]
            flags = get16(b, o + 2)
            k = total - done
            if k > self.mrbr:
                k = self.mrbr
            data = get32(b, o + 4)
            if data & 15:
                raise AssertionError("ENET: RX buffer 0x%08x not 16-byte aligned" % data)
            d = self.dma.resolve(data, k)
            db = d[0]
            do = d[1]
            for i in range(k):
                db[do + i] = f[done + i]
            done += k
            flags &= ~(_E | _L | 0x01FF)
            if done >= total:
                put16(b, o, total)       # last descriptor: the whole frame's length
                flags |= _L | status
            else:
                put16(b, o, k)
            put16(b, o + 2, flags)       # E cleared: back to the driver
            self._owned[addr] = 0
            self._rx_cur = self._next(addr, flags, self.rdsr)
            self._event(EIR_RXF if done >= total else EIR_RXB)
        self._rx_check_empty()

    # --- transmit ------------------------------------------------------------

    def _tx_process(self):
        if self.tx_hold:
            return
        n = 0
        f = self._frame
        while True:
            addr = self._tx_cur
            t = self._bd(addr)
            b = t[0]
            o = t[1]
            flags = get16(b, o + 2)
            if not flags & _E:           # R: ready
                if n:
                    raise AssertionError("ENET: frame without L ran out of ready descriptors")
                return
            k = get16(b, o)
            if k == 0:
                raise AssertionError("ENET: TX descriptor 0x%08x with length 0" % addr)
            if n + k > len(f):
                raise AssertionError("ENET: TX frame longer than 2048 bytes")
            d = self.dma.resolve(get32(b, o + 4), k)
            db = d[0]
            do = d[1]
            for i in range(k):
                f[n + i] = db[do + i]
            n += k
            put16(b, o + 2, flags & ~_E)
            self._owned[addr] = 0
            self._tx_cur = self._next(addr, flags, self.tdsr)
            self._event(EIR_TXB)
            if flags & _L:
                if not flags & _TC:
                    raise AssertionError("ENET: last TX descriptor without TC: the MAC would "
                                         "not append the FCS")
                if n < 60:
                    for i in range(n, 60):
                        f[i] = 0
                    n = 60
                self.wire_out.put(f, 0, n)
                self._event(EIR_TXF)
                n = 0

    def release_tx(self):
        self.tx_hold = False
        if self.ecr & ECR_ETHEREN:
            self._tx_process()

    # --- test helpers --------------------------------------------------------

    def mac_address(self):
        return bytes(self._mac)

    def irq_asserted(self):
        return self._pin is not None and bool(self._pin.value())
