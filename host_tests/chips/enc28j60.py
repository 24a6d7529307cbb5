# Register-level model of the Microchip ENC28J60, written from its datasheet
# (DS39662) and silicon errata (DS80349, rev. B7):
#   SPI commands: 3-bit opcode + 5-bit argument per CS frame (RCR, RBM, WCR,
#   WBM, BFS, BFC, SRC); four control register banks (ECON1.BSEL) plus the
#   common EIE/EIR/ESTAT/ECON2/ECON1; MAC/MII reads shift out a dummy byte.
#   8 KB buffer memory with ERDPT/EWRPT auto-increment, the rx ring
#   ERXST..ERXND with ERXWRPT/ERXRDPT, 6-byte packet headers (next pointer
#   + receive status vector), EPKTCNT/PKTDEC, the tx area with per-packet
#   control byte and 7-byte transmit status vector, the PHY behind
#   MIREGADR/MICMD/MISTAT/MIWR/MIRD, and the INT pin.
#
# It raises AssertionError when a driver: touches the chip with CS high or
# within 1 ms of a system reset (errata: CLKRDY is no guide then); reads a
# MAC/MII register without the dummy byte; uses BFS/BFC on a MAC/MII
# register; writes read-only or unimplemented registers; writes an even
# ERXRDPT (errata) or one that frees unread data; sets up the rx ring away from
# 0000h (errata) or while receiving; reads ring memory that holds no received
# data; writes the ring with WBM; issues PKTDEC with EPKTCNT = 0; touches the
# MII while it is busy; sets TXRTS while a transmission is pending or the tx
# logic is in reset; clears TXRTS with a register write (WCR bank switching)
# mid-transmission; lets MAC and PHY disagree on duplex.
#
# Errata behaviour it reproduces: after abort_next_tx() the next transmission
# aborts (late collision) and the transmit logic stalls with TXRTS set until
# a TXRST pulse; clearing TXRST sets TXERIF again. EIR.PKTIF reads 0 (errata:
# unreliable) unless pktif_reliable=True; the INT pin follows EPKTCNT.
#
# Timing is counted in SPI transactions: an MII operation is busy for
# mii_latency of them, a transmission takes tx_latency.
# Allocation: transfer(), frame_in() and the transmit path allocate nothing.
# (One chip, one file: past the usual ~600 lines because the register map,
# with its read-only and unimplemented addresses, is most of it.)
from micropython import const
import time
from chips import SpiChip, fcs, is_broadcast

_EIE = const(0x1B)
_EIR = const(0x1C)
_ESTAT = const(0x1D)
_ECON2 = const(0x1E)
_ECON1 = const(0x1F)

# pointer pairs in bank 0, index = address >> 1
_P_ERDPT = const(0)
_P_EWRPT = const(1)
_P_ETXST = const(2)
_P_ETXND = const(3)
_P_ERXST = const(4)
_P_ERXND = const(5)
_P_ERXRDPT = const(6)
_P_ERXWRPT = const(7)

_ERXFCON = const(0x18)    # bank 1
_EPKTCNT = const(0x19)
_MACON1 = const(0x00)     # bank 2
_MACON3 = const(0x02)
_MAMXFLL = const(0x0A)
_MICMD = const(0x12)
_MIREGADR = const(0x14)
_MIWRL = const(0x16)
_MIWRH = const(0x17)
_MIRDL = const(0x18)
_MIRDH = const(0x19)
_MISTAT = const(0x0A)     # bank 3
_EREVID = const(0x12)

_ECON1_TXRST = const(0x80)
_ECON1_RXRST = const(0x40)
_ECON1_DMAST = const(0x20)
_ECON1_TXRTS = const(0x08)
_ECON1_RXEN = const(0x04)
_ECON2_AUTOINC = const(0x80)
_ECON2_PKTDEC = const(0x40)
_ESTAT_INT = const(0x80)
_ESTAT_LATECOL = const(0x10)
_ESTAT_TXABRT = const(0x02)
_ESTAT_CLKRDY = const(0x01)
_EIE_INTIE = const(0x80)
_EIR_PKTIF = const(0x40)
_EIR_TXIF = const(0x08)
_EIR_TXERIF = const(0x02)
_EIR_RXERIF = const(0x01)
_FC_UCEN = const(0x80)
_FC_CRCEN = const(0x20)
_FC_MCEN = const(0x02)
_FC_BCEN = const(0x01)
_MACON1_MARXEN = const(0x01)
_MACON3_TXCRCEN = const(0x10)
_MACON3_HFRMEN = const(0x04)
_MACON3_FULDPX = const(0x01)
_MICMD_MIIRD = const(0x01)
_MICMD_MIISCAN = const(0x02)

_PHCON1 = const(0x00)
_PHSTAT1 = const(0x01)
_PHID1 = const(0x02)
_PHID2 = const(0x03)
_PHCON2 = const(0x10)
_PHSTAT2 = const(0x11)
_PHIE = const(0x12)
_PHIR = const(0x13)
_PHLCON = const(0x14)
_PHCON1_PRST = const(0x8000)
_PHCON1_PDPXMD = const(0x0100)

_OP_NONE = const(-1)
_OP_RCR = const(0)
_OP_RBM = const(1)
_OP_WCR = const(2)
_OP_WBM = const(3)
_OP_BFS = const(4)
_OP_BFC = const(5)
_OP_SRC = const(7)

_MEM_TOP = const(0x1FFF)
_WIRE_MAX = const(1514)

# implemented addresses per bank (bit n = address n), from the register map
_IMPL = (0x00FFFFFF,             # bank 0: ERDPT..EDMACS
         0x0333FFFF,             # bank 1: EHT, EPMM, EPMCS, EPMO, ERXFCON, EPKTCNT
         0x03D40FDD,             # bank 2: MACON1..MAMXFL, MICMD, MIREGADR, MIWR, MIRD
         0x03A407FF)             # bank 3: MAADR, EBST*, MISTAT, EREVID, ECOCON, EFLOCON, EPAUS
_READ_ONLY = ((1 << 0x0E) | (1 << 0x0F),       # ERXWRPT
              1 << _EPKTCNT,
              (1 << _MIRDL) | (1 << _MIRDH),
              (1 << _MISTAT) | (1 << _EREVID))


class ENC28J60(SpiChip):
    """ENC28J60(spi_id, cs, int_pin=None, rst_pin=None, revision=0x06,
    tx_latency=2, mii_latency=1, pdpxmd_strap=0, pktif_reliable=False)

    Counters: wire_in, wire_out, rx_filtered, rx_overflow, rx_disabled,
    rx_runt, tx_aborted. Test hooks: abort_next_tx(), bad_fcs_next, the
    attributes ptr (pointer registers), pktcnt, mem."""

    def __init__(self, spi_id, cs, int_pin=None, rst_pin=None, revision=0x06,
                 tx_latency=2, mii_latency=1, pdpxmd_strap=0, pktif_reliable=False):
        SpiChip.__init__(self, spi_id, cs)
        self.revision = revision
        self.tx_latency = tx_latency
        self.mii_latency = mii_latency
        self.pdpxmd_strap = pdpxmd_strap
        self.pktif_reliable = pktif_reliable
        self.mem = bytearray(8192)
        self.banks = [bytearray(32) for _ in range(4)]
        self.common = bytearray(32)          # indexes 0x1B..0x1F used
        self.ptr = [0] * 8
        self.phy = [0] * 32
        self._txframe = bytearray(_WIRE_MAX)
        self.wire = None
        self.wire_pins(int_pin, rst_pin)
        self.wire_in = 0
        self.wire_out = 0
        self.rx_filtered = 0
        self.rx_overflow = 0
        self.rx_disabled = 0
        self.rx_runt = 0
        self.tx_aborted = 0
        self.bad_fcs_next = False
        self._abort_next = False
        self._reset_at = None
        self.clock = time.ticks_ms  # a test may freeze it
        self.reset()

    # --- reset ------------------------------------------------------------------

    def reset(self):
        for b in self.banks:
            for i in range(32):
                b[i] = 0
        c = self.common
        for i in range(32):
            c[i] = 0
        c[_ECON2] = _ECON2_AUTOINC
        c[_ESTAT] = _ESTAT_CLKRDY
        p = self.ptr
        p[_P_ERDPT] = 0x05FA
        p[_P_EWRPT] = 0
        p[_P_ETXST] = 0
        p[_P_ETXND] = 0
        p[_P_ERXST] = 0x05FA
        p[_P_ERXND] = 0x1FFF
        p[_P_ERXRDPT] = 0x05FA
        p[_P_ERXWRPT] = 0
        self._rdpt_low = 0xFA
        self.pktcnt = 0
        self.banks[1][_ERXFCON] = 0xA1
        b2 = self.banks[2]
        b2[_MAMXFLL] = 0x00
        b2[_MAMXFLL + 1] = 0x06
        b2[0x08] = 0x0F          # MACLCON1
        b2[0x09] = 0x37          # MACLCON2
        b3 = self.banks[3]
        b3[0x15] = 0x04          # ECOCON
        b3[0x19] = 0x10          # EPAUS = 0x1000
        self._phy_reset()
        self._op = _OP_NONE
        self._nbytes = 0
        self._mii_busy = 0
        self._mii_write = False
        self._tx_busy = False
        self._tx_wait = 0
        self._tx_stalled = False
        self._update_int()

    def _phy_reset(self):
        ph = self.phy
        for i in range(32):
            ph[i] = 0
        ph[_PHCON1] = _PHCON1_PDPXMD if self.pdpxmd_strap else 0
        ph[_PHSTAT1] = 0x1800    # PFDPX | PHDPX: both duplex modes possible
        ph[_PHID1] = 0x0083
        ph[_PHID2] = 0x1400
        ph[_PHLCON] = 0x3422

    def _rst_edge(self, level):
        if level == 0:
            self.reset()

    def abort_next_tx(self):
        """The next transmission ends in a late collision (half duplex)."""
        self._abort_next = True

    # --- SPI framing -----------------------------------------------------------

    def begin(self):
        if self._reset_at is not None:
            dt = time.ticks_diff(self.clock(), self._reset_at)
            assert dt >= 1, "errata: access %d ms after a system reset; wait >= 1 ms " \
                "(ESTAT.CLKRDY is not cleared by the reset command)" % dt
            self._reset_at = None
        self._op = _OP_NONE
        self._nbytes = 0

    def transfer(self, wbuf, rbuf, n, fill):
        for i in range(n):
            r = self._byte(wbuf[i] if wbuf is not None else fill)
            if rbuf is not None:
                rbuf[i] = r

    def _byte(self, b):
        op = self._op
        if op == _OP_NONE or op == _OP_SRC:
            self._opcode(b)
            return 0
        self._nbytes += 1
        if op == _OP_RBM:
            return self._rbm()
        if op == _OP_WBM:
            self._wbm(b)
            return 0
        assert self._nbytes == 1 or (op == _OP_RCR and self._nbytes == 2 and self._macmii), \
            "one register per command: raise CS after it"
        if op == _OP_RCR:
            if self._macmii and self._nbytes == 1:
                return 0xFF          # the dummy byte
            return self._reg_read(self._arg)
        if op == _OP_WCR:
            self._reg_write(self._arg, b)
        else:
            assert not self._macmii, "BFS/BFC work on ETH registers only, not MAC/MII " \
                "(bank %d, 0x%02x)" % (self.common[_ECON1] & 3, self._arg)
            v = self._raw(self._arg)
            self._reg_write(self._arg, v | b if op == _OP_BFS else v & ~b & 0xFF)
        return 0

    def _opcode(self, b):
        assert self._op != _OP_SRC, "the reset command takes no data bytes"
        if b == 0xFF:
            self.reset()
            self._reset_at = self.clock()
            self._op = _OP_SRC
            return
        op = b >> 5
        arg = b & 0x1F
        assert op != 6 and op != 7, "undefined SPI opcode 0x%02x" % b
        if op == _OP_RBM or op == _OP_WBM:
            assert arg == 0x1A, "RBM/WBM take argument 0x1A, not 0x%02x" % arg
        self._op = op
        self._arg = arg
        bank = self.common[_ECON1] & 3
        self._macmii = arg < 0x1B and (bank == 2 or (bank == 3 and (arg <= 5 or arg == _MISTAT)))

    def end(self):
        op = self._op
        if op == _OP_RCR:
            assert self._nbytes, "RCR without a data byte"
            assert not (self._macmii and self._nbytes == 1), \
                "MAC/MII register read without the dummy byte (bank %d, 0x%02x)" \
                % (self.common[_ECON1] & 3, self._arg)
        elif op == _OP_WCR or op == _OP_BFS or op == _OP_BFC:
            assert self._nbytes, "register command without its data byte"
        self._op = _OP_NONE
        self._tick()

    # --- buffer memory ----------------------------------------------------------

    def _in_ring(self, a):
        return self.ptr[_P_ERXST] <= a <= self.ptr[_P_ERXND]

    def _ring_dist(self, a, b):
        # bytes from a forward to b inside the ring
        d = b - a
        if d < 0:
            d += self.ptr[_P_ERXND] - self.ptr[_P_ERXST] + 1
        return d

    def _ring_next(self, a):
        return self.ptr[_P_ERXST] if a == self.ptr[_P_ERXND] else a + 1

    def _rbm(self):
        p = self.ptr
        a = p[_P_ERDPT]
        if self._in_ring(a):
            start = self._ring_next(p[_P_ERXRDPT])
            assert self._ring_dist(start, a) < self._ring_dist(start, p[_P_ERXWRPT]), \
                "RBM at 0x%04x reads rx ring memory with no received data in it " \
                "(ERXRDPT=0x%04x ERXWRPT=0x%04x)" % (a, p[_P_ERXRDPT], p[_P_ERXWRPT])
        v = self.mem[a]
        if self.common[_ECON2] & _ECON2_AUTOINC:
            if a == p[_P_ERXND]:
                a = p[_P_ERXST]      # reads wrap inside the rx ring
            else:
                a = (a + 1) & _MEM_TOP
            p[_P_ERDPT] = a
        return v

    def _wbm(self, b):
        p = self.ptr
        a = p[_P_EWRPT]
        assert not self._in_ring(a), "WBM at 0x%04x writes into the rx ring" % a
        self.mem[a] = b
        if self.common[_ECON2] & _ECON2_AUTOINC:
            p[_P_EWRPT] = (a + 1) & _MEM_TOP

    # --- registers -----------------------------------------------------------------

    def _raw(self, a):
        # stored value for BFS/BFC read-modify-write (no read side effects)
        if a >= _EIE:
            return self.common[a]
        bank = self.common[_ECON1] & 3
        if bank == 0 and a < 0x10:
            return self._ptr_byte(a)
        return self.banks[bank][a]

    def _ptr_byte(self, a):
        v = self.ptr[a >> 1]
        return v >> 8 if a & 1 else v & 0xFF

    def _reg_read(self, a):
        if a >= _EIE:
            if a == _EIR:
                v = self.common[_EIR] & ~_EIR_PKTIF
                if self.pktif_reliable and self.pktcnt:
                    v |= _EIR_PKTIF
                return v
            if a == _ESTAT:
                return self.common[_ESTAT] | (_ESTAT_INT if self._int_level == 0 else 0)
            return self.common[a]
        bank = self.common[_ECON1] & 3
        if not _IMPL[bank] >> a & 1:
            return 0
        if bank == 0 and a < 0x10:
            return self._ptr_byte(a)
        if bank == 1 and a == _EPKTCNT:
            return self.pktcnt
        if bank == 2 and (a == _MIRDL or a == _MIRDH):
            assert not self._mii_busy, "MIRD read while the MII is busy"
        if bank == 3:
            if a == _MISTAT:
                return 1 if self._mii_busy else 0
            if a == _EREVID:
                return self.revision
        return self.banks[bank][a]

    def _reg_write(self, a, v):
        if a >= _EIE:
            self._common_write(a, v)
            return
        bank = self.common[_ECON1] & 3
        assert _IMPL[bank] >> a & 1 or (bank == 2 and a == 0x01), \
            "write to unimplemented register (bank %d, 0x%02x)" % (bank, a)
        assert not _READ_ONLY[bank] >> a & 1, \
            "write to read-only register (bank %d, 0x%02x)" % (bank, a)
        if bank == 0 and a < 0x10:
            self._ptr_write(a, v)
        elif bank == 2 and a >= _MICMD:
            self._mii_write_reg(a, v)
        else:
            self.banks[bank][a] = v

    def _ptr_write(self, a, v):
        i = a >> 1
        p = self.ptr
        if i == _P_ERXST or i == _P_ERXND:
            assert not self.common[_ECON1] & _ECON1_RXEN, "rx ring moved while receiving"
        if i == _P_ERXRDPT:
            if a & 1 == 0:
                self._rdpt_low = v       # taken with the high byte
                return
            self._set_rdpt(((v & 0x1F) << 8) | self._rdpt_low)
            return
        p[i] = ((v & 0x1F) << 8) | (p[i] & 0xFF) if a & 1 else (p[i] & 0x1F00) | v
        if i == _P_ERXST:
            p[_P_ERXWRPT] = p[_P_ERXST]  # writing ERXST reloads the write pointer

    def _set_rdpt(self, rd):
        p = self.ptr
        assert rd & 1, "errata: ERXRDPT=0x%04x is even; write next_packet - 1 " \
            "(ERXND when next_packet is ERXST)" % rd
        assert self._in_ring(rd), "ERXRDPT=0x%04x outside the rx ring" % rd
        if self.common[_ECON1] & _ECON1_RXEN:
            # it may only move forward over packets already read
            old1 = self._ring_next(p[_P_ERXRDPT])
            assert self._ring_dist(old1, self._ring_next(rd)) <= \
                self._ring_dist(old1, p[_P_ERXWRPT]), \
                "ERXRDPT=0x%04x frees rx ring memory not yet received (write pointer 0x%04x)" \
                % (rd, p[_P_ERXWRPT])
        p[_P_ERXRDPT] = rd

    def _common_write(self, a, v):
        c = self.common
        if a == _ECON1:
            self._econ1_write(v)
        elif a == _ECON2:
            if v & _ECON2_PKTDEC:
                assert self.pktcnt > 0, "PKTDEC with EPKTCNT == 0"
                self.pktcnt -= 1
            c[_ECON2] = v & ~_ECON2_PKTDEC
        elif a == _EIR:
            c[_EIR] = v & ~_EIR_PKTIF
        elif a == _ESTAT:
            # only the sticky error bits clear; CLKRDY/INT are status
            c[_ESTAT] = (c[_ESTAT] & ~(_ESTAT_LATECOL | _ESTAT_TXABRT)) | \
                (v & c[_ESTAT] & (_ESTAT_LATECOL | _ESTAT_TXABRT))
        else:
            c[a] = v
        self._update_int()

    def _econ1_write(self, v):
        c = self.common
        old = c[_ECON1]
        assert not v & _ECON1_DMAST, "the DMA engine is not modelled"
        if old & _ECON1_TXRTS and not v & _ECON1_TXRTS and not v & _ECON1_TXRST \
                and self._tx_busy:
            raise AssertionError("TXRTS cleared by a register write mid-transmission "
                                 "(bank switch with WCR? use BFS/BFC)")
        assert not (v & _ECON1_TXRST and v & _ECON1_TXRTS and not old & _ECON1_TXRTS), \
            "TXRTS set while the transmit logic is held in reset"
        c[_ECON1] = v
        if v & _ECON1_TXRST:
            # transmit logic held in reset: whatever was pending is gone
            c[_ECON1] = v & ~_ECON1_TXRTS
            self._tx_busy = False
        elif old & _ECON1_TXRST:
            if self._tx_stalled:
                # errata: leaving tx reset can raise TXERIF again
                c[_EIR] |= _EIR_TXERIF
                self._tx_stalled = False
        elif v & _ECON1_TXRTS and not old & _ECON1_TXRTS:
            self._tx_start()
        if v & _ECON1_RXEN and not old & _ECON1_RXEN:
            self._rx_enable_checks()

    def _duplex_check(self):
        mac = bool(self.banks[2][_MACON3] & _MACON3_FULDPX)
        phy = bool(self.phy[_PHCON1] & _PHCON1_PDPXMD)
        assert mac == phy, "MACON3.FULDPX=%d but PHCON1.PDPXMD=%d" % (mac, phy)

    def _rx_enable_checks(self):
        p = self.ptr
        assert self.banks[2][_MACON1] & _MACON1_MARXEN, "RXEN with MACON1.MARXEN clear"
        assert p[_P_ERXST] == 0, "errata: put the rx ring at 0000h (ERXST=0x%04x)" % p[_P_ERXST]
        assert p[_P_ERXRDPT] & 1, "errata: ERXRDPT must be odd"
        assert p[_P_ERXND] < 0x1FFF and p[_P_ERXND] & 1, "ERXND should be odd, below 0x1FFF"
        self._duplex_check()

    # --- MII and PHY ------------------------------------------------------------------

    def _mii_write_reg(self, a, v):
        b2 = self.banks[2]
        if a == _MIRDL or a == _MIRDH:
            raise AssertionError("MIRD is read-only")
        assert not self._mii_busy, "MII register 0x%02x written while MISTAT.BUSY" % a
        if a == _MICMD:
            assert not v & _MICMD_MIISCAN, "MII scan is not modelled"
            if v & _MICMD_MIIRD and not b2[_MICMD] & _MICMD_MIIRD:
                self._mii_busy = self.mii_latency + 1
                self._mii_write = False
        elif a == _MIWRH:
            self._mii_busy = self.mii_latency + 1
            self._mii_write = True
        b2[a] = v

    def _mii_done(self):
        b2 = self.banks[2]
        r = b2[_MIREGADR] & 0x1F
        if self._mii_write:
            self._phy_write(r, b2[_MIWRL] | (b2[_MIWRH] << 8))
        else:
            v = self._phy_read(r)
            b2[_MIRDL] = v & 0xFF
            b2[_MIRDH] = v >> 8

    def _phy_read(self, r):
        assert r <= _PHLCON and (r <= _PHID2 or r >= _PHCON2), "no PHY register 0x%02x" % r
        up = self.wire is not None and self.wire.link_up()
        if r == _PHSTAT2:
            v = 0x0400 if up else 0                                   # LSTAT
            if self.phy[_PHCON1] & _PHCON1_PDPXMD:
                v |= 0x0200                                           # DPXSTAT
            return v
        if r == _PHSTAT1:
            v = self.phy[_PHSTAT1]
            self.phy[_PHSTAT1] = (v & ~0x0004) | (0x0004 if up else 0)   # LLSTAT latches low
            return v
        return self.phy[r]

    def _phy_write(self, r, v):
        assert r == _PHCON1 or r == _PHCON2 or r == _PHIE or r == _PHLCON, \
            "write to read-only or missing PHY register 0x%02x" % r
        if r == _PHCON1 and v & _PHCON1_PRST:
            self._phy_reset()
            return
        self.phy[r] = v

    # --- time, transmit, interrupt ----------------------------------------------------

    def _tick(self):
        if self._mii_busy:
            self._mii_busy -= 1
            if self._mii_busy == 0:
                self._mii_done()
        if self._tx_busy and not self._tx_stalled:
            if self._tx_wait <= 0:
                self._tx_finish()
            else:
                self._tx_wait -= 1

    def _tx_start(self):
        p = self.ptr
        st = p[_P_ETXST]
        nd = p[_P_ETXND]
        assert not self._tx_busy, "TXRTS set while a transmission is pending"
        assert nd >= st + 14, "ETXND=0x%04x leaves no frame after ETXST=0x%04x" % (nd, st)
        assert st > p[_P_ERXND] or nd < p[_P_ERXST], "tx area overlaps the rx ring"
        assert nd + 7 <= _MEM_TOP, "no room for the transmit status vector after ETXND"
        self._duplex_check()
        self._tx_busy = True
        self._tx_wait = self.tx_latency
        if self._abort_next:
            self._abort_next = False
            self._tx_abort()
        elif self._tx_wait <= 0:
            self._tx_finish()

    def _tx_settings(self):
        # per-packet control byte: POVERRIDE(0) selects its own PCRCEN(1) and
        # PPADEN(2); otherwise MACON3 PADCFG(7:5) and TXCRCEN(4) apply
        ctrl = self.mem[self.ptr[_P_ETXST]]
        if ctrl & 0x01:
            self._tx_crc = ctrl & 0x02
            self._tx_pad = 60 if ctrl & 0x04 else 0
            return
        m3 = self.banks[2][_MACON3]
        pad = m3 >> 5
        self._tx_crc = m3 & _MACON3_TXCRCEN
        self._tx_pad = 0
        if pad & 1:
            self._tx_pad = 64 if pad & 3 == 3 else 60

    def _tx_finish(self):
        p = self.ptr
        st = p[_P_ETXST]
        nd = p[_P_ETXND]
        n = nd - st
        self._tx_settings()
        pad = self._tx_pad
        assert self._tx_crc, "transmission without FCS (MACON3.TXCRCEN / PCRCEN)"
        assert n <= _WIRE_MAX or self.banks[2][_MACON3] & _MACON3_HFRMEN, \
            "%d-byte frame is longer than Ethernet allows" % n
        f = self._txframe
        mem = self.mem
        for i in range(n):
            f[i] = mem[st + 1 + i]
        while n < pad:
            f[n] = 0
            n += 1
        self._tx_busy = False
        self.common[_ECON1] &= ~_ECON1_TXRTS
        self.common[_EIR] |= _EIR_TXIF
        self._write_tsv(nd + 1, n + 4, 0x80, 0)     # done
        self._update_int()
        self.wire_out += 1
        if self.wire is not None:
            self.wire.carry(self, f, n)

    def _tx_abort(self):
        # errata: in half duplex a late collision aborts the frame and may
        # leave the transmit logic stalled (TXRTS stays set) until TXRST
        self.tx_aborted += 1
        self._tx_stalled = True
        self.common[_EIR] |= _EIR_TXERIF
        self.common[_ESTAT] |= _ESTAT_TXABRT | _ESTAT_LATECOL
        self._write_tsv(self.ptr[_P_ETXND] + 1, 64, 0x00, 0x20)   # late collision
        self._update_int()

    def _write_tsv(self, a, count, b2, b3):
        m = self.mem
        m[a] = count & 0xFF
        m[a + 1] = count >> 8
        m[a + 2] = b2
        m[a + 3] = b3
        m[a + 4] = count & 0xFF
        m[a + 5] = count >> 8
        m[a + 6] = 0

    def _update_int(self):
        c = self.common
        flags = c[_EIR] | (_EIR_PKTIF if self.pktcnt else 0)
        low = c[_EIE] & _EIE_INTIE and flags & c[_EIE] & 0x7B
        level = 0 if low else 1
        if level != self._int_level:
            self._int_level = level
            if self.int_pin is not None:
                self.int_pin.drive(level)

    # --- the wire side ---------------------------------------------------------------------

    def frame_in(self, buf, n):
        """A frame (n bytes, no FCS) arrives from the wire."""
        self.wire_in += 1
        bad_fcs = self.bad_fcs_next
        self.bad_fcs_next = False
        c1 = self.common[_ECON1]
        if not c1 & _ECON1_RXEN or c1 & _ECON1_RXRST:
            self.rx_disabled += 1
            return
        if n < 60:
            self.rx_runt += 1
            return
        fc = self.banks[1][_ERXFCON]
        if not self._accept(buf, fc) or (bad_fcs and fc & _FC_CRCEN):
            self.rx_filtered += 1
            return
        count = n + 4
        b2 = self.banks[2]
        if count > (b2[_MAMXFLL] | (b2[_MAMXFLL + 1] << 8)) and not b2[_MACON3] & _MACON3_HFRMEN:
            self.rx_filtered += 1
            return
        need = 6 + count + (count & 1)
        if self.pktcnt == 255 or need > self._free():
            self.common[_EIR] |= _EIR_RXERIF
            self.rx_overflow += 1
            self._update_int()
            return
        p = self.ptr
        start = p[_P_ERXWRPT]
        nxt = start + need
        if nxt > p[_P_ERXND]:
            nxt -= p[_P_ERXND] - p[_P_ERXST] + 1
        s2 = 0x10 if bad_fcs else 0x80              # CRC error / received OK
        s3 = 0
        if buf[0] & 1:
            s3 = 0x02 if buf[0] == 0xFF and buf[5] == 0xFF else 0x01   # broadcast / multicast
        a = self._put(start, nxt & 0xFF)
        a = self._put(a, nxt >> 8)
        a = self._put(a, count & 0xFF)
        a = self._put(a, count >> 8)
        a = self._put(a, s2)
        a = self._put(a, s3)
        for i in range(n):
            a = self._put(a, buf[i])
        crc = fcs(buf, 0, n) ^ (0xFF if bad_fcs else 0)
        for _ in range(4):
            a = self._put(a, crc & 0xFF)
            crc >>= 8
        p[_P_ERXWRPT] = nxt
        self.pktcnt += 1
        self._update_int()

    def _put(self, a, b):
        self.mem[a] = b
        return self._ring_next(a)

    def _free(self):
        # datasheet: free space between the hardware write pointer and ERXRDPT
        p = self.ptr
        wr = p[_P_ERXWRPT]
        rd = p[_P_ERXRDPT]
        size = p[_P_ERXND] - p[_P_ERXST]
        if wr > rd:
            return size - (wr - rd)
        if wr == rd:
            return size
        return rd - wr - 1

    def _accept(self, buf, fc):
        if fc & (_FC_UCEN | _FC_MCEN | _FC_BCEN) == 0:
            return True                             # promiscuous
        if buf[0] & 1:
            if is_broadcast(buf, 0):
                return fc & _FC_BCEN != 0
            return fc & _FC_MCEN != 0
        if not fc & _FC_UCEN:
            return False
        b3 = self.banks[3]
        # MAADR1..6 live at 0x04 0x05 0x02 0x03 0x00 0x01
        return buf[0] == b3[4] and buf[1] == b3[5] and buf[2] == b3[2] and \
            buf[3] == b3[3] and buf[4] == b3[0] and buf[5] == b3[1]

    def mac(self):
        b3 = self.banks[3]
        return bytes((b3[4], b3[5], b3[2], b3[3], b3[0], b3[1]))
