# WIZnet W5500 as a smolnet Device: socket 0 in MACRAW mode over machine.SPI.
#
# The W5500's own TCP/IP engine is bypassed: socket 0 is opened in MACRAW
# mode with all 16 KB of rx and tx buffer, so it moves whole Ethernet frames
# and smolnet does the rest. Facts below are from the W5500 datasheet
# (section numbers refer to it).
#
# SPI frame (2.2): 16-bit offset address, one control byte
# BSB[4:0] RWB OM[1:0], then data. We use variable-length data mode (OM=00):
# the frame lasts as long as CS is low, and the address auto-increments, so a
# whole frame moves in one CS-low burst.
#
# Buffers (4.2, Sn_RX_RD / Sn_TX_WR): the rx/tx pointers are free-running
# 16-bit counters; the chip maps an offset into the socket's buffer modulo the
# buffer size (16 KB divides 64 KB, so the map is consistent across the 16-bit
# wrap) and a burst that runs past the end of the buffer continues at its
# start. So the driver only keeps its pointer arithmetic modulo 0x10000.
#
# MACRAW rx format (5.2.x): every frame is preceded by a 2-byte big-endian
# length that counts the 2 header bytes too; no FCS is stored.
from micropython import const
from smolnet.phy.device import MEDIUM_ETHERNET, ETHERNET_MTU
from boards.common.mac import pick_mac
from boards.common.spiframe import FrameIO

# control byte: block select (BSB << 3), read/write bit, operation mode
_BSB_COMMON = const(0x00)
_BSB_S0_REG = const(0x08)   # socket 0 register block (BSB 00001)
_BSB_S0_TX = const(0x10)    # socket 0 tx buffer (BSB 00010)
_BSB_S0_RX = const(0x18)    # socket 0 rx buffer (BSB 00011)
_RWB_WRITE = const(0x04)

# common registers
_MR = const(0x0000)
_MR_RST = const(0x80)
_SHAR = const(0x0009)
_IMR = const(0x0016)
_SIMR = const(0x0018)
_PHYCFGR = const(0x002E)
_PHYCFGR_LNK = const(0x01)
_VERSIONR = const(0x0039)
_CHIP_VERSION = const(0x04)

# socket registers (offsets inside a socket register block)
_Sn_MR = const(0x0000)
_Sn_CR = const(0x0001)
_Sn_IR = const(0x0002)
_Sn_SR = const(0x0003)
_Sn_RXBUF_SIZE = const(0x001E)
_Sn_TXBUF_SIZE = const(0x001F)
_Sn_TX_WR = const(0x0024)
_Sn_RX_RSR = const(0x0026)
_Sn_RX_RD = const(0x0028)
_Sn_IMR = const(0x002C)

_MR_MACRAW = const(0x04)
_MR_MFEN = const(0x80)       # MACRAW: MAC filter (own MAC, broadcast, multicast)
_CR_OPEN = const(0x01)
_CR_CLOSE = const(0x10)
_CR_SEND = const(0x20)
_CR_RECV = const(0x40)
_IR_SEND_OK = const(0x10)
_IR_RECV = const(0x04)
_SOCK_MACRAW = const(0x42)

_BUF_KB = const(16)
_WIRE_MAX = const(1518)      # longest frame the MAC passes (VLAN tag included)
_MIN_FRAME = const(14)
_POLLS = const(64)           # bounded waits for the chip (each is one SPI frame)
_STUCK_SENDS = const(32)     # refused sends in a row before the socket is reset
_RX_TRIES = const(4)         # frames one recv_into may skip (drops) before giving up

_ENODEV = const(19)
_EIO = const(5)

# the default address (locally administered, unicast), unique_id() folded
# into its last three bytes where the port has it
_MAC_TEMPLATE = b"\x02\x00\x57\x55\x00\x01"


class W5500:
    """Device protocol over a W5500 (see smolnet/phy/device.py).

    W5500(spi, cs, mac=None, int_pin=None, reset_pin=None)
      spi        a configured machine.SPI (mode 0 or 3, up to 80 MHz by the
                 datasheet; 10-33 MHz is what boards manage)
      cs         machine.Pin for chip select (set to output here)
      mac        6 bytes; default: locally administered, from
                 machine.unique_id() when the port has it
      int_pin    machine.Pin on INTn, used by attach_flag(); None = poll mode
      reset_pin  machine.Pin on RSTn, pulsed at init when given

    Counters (plain ints): the Device contract's rx_frames, tx_frames,
    rx_errors and tx_errors (the chip reports neither: both stay 0),
    rx_too_long, tx_full; then drop_garbage, tx_drop, resets.
    """

    mtu = ETHERNET_MTU
    medium = MEDIUM_ETHERNET
    poll_obj = None

    # __init__ allocates everything the driver will ever use.
    def __init__(self, spi, cs, mac=None, int_pin=None, reset_pin=None):
        self._spi = spi
        self._cs = cs
        self._int = int_pin
        self.flag = None
        self._irq_on = False
        self._irq_handler = self._on_irq    # bound once: the IRQ allocates nothing
        self._w4 = bytearray(4)             # 1-byte register access
        self._r4 = bytearray(4)
        self._w5 = bytearray(5)             # 2-byte register access
        self._r5 = bytearray(5)
        self._hdr = bytearray(3)            # burst header (address, control)
        self._len2 = bytearray(2)           # MACRAW length header
        self._io = FrameIO()
        self._rx_rd = 0
        self._tx_wr = 0
        self._tx_pending = False
        self._refused = 0
        self.rx_frames = 0
        self.tx_frames = 0
        self.rx_errors = 0      # MACRAW passes no receive status: stays 0
        self.rx_too_long = 0    # frame larger than the caller's buffer
        self.tx_full = 0        # send() refused: the previous frame still going out
        self.tx_errors = 0      # MACRAW reports no transmit status: stays 0
        self.drop_garbage = 0
        self.tx_drop = 0
        self.resets = 0
        self.mac = bytes(pick_mac(mac, _MAC_TEMPLATE, _MAC_TEMPLATE, 3))
        cs.init(cs.OUT, value=1)
        if int_pin is not None:
            int_pin.init(int_pin.IN, int_pin.PULL_UP)
        self._init_chip(reset_pin)

    # --- register access (all allocation-free) -------------------------------

    def _read8(self, addr, bsb):
        w = self._w4
        w[0] = addr >> 8
        w[1] = addr & 0xFF
        w[2] = bsb
        self._cs(0)
        self._spi.write_readinto(w, self._r4)
        self._cs(1)
        return self._r4[3]

    def _read16(self, addr, bsb):
        w = self._w5
        w[0] = addr >> 8
        w[1] = addr & 0xFF
        w[2] = bsb
        self._cs(0)
        self._spi.write_readinto(w, self._r5)
        self._cs(1)
        r = self._r5
        return (r[3] << 8) | r[4]

    def _read16_stable(self, addr, bsb):
        # the chip updates 16-bit counters a byte at a time; the datasheet asks
        # for two equal reads in a row (Sn_RX_RSR, Sn_TX_FSR). A first 0 is
        # taken as is: at worst a frame waits for the next call.
        v = self._read16(addr, bsb)
        if v == 0:
            return 0
        for _ in range(_POLLS):
            w = self._read16(addr, bsb)
            if w == v:
                return v
            v = w
        return v

    def _write8(self, addr, bsb, value):
        w = self._w4
        w[0] = addr >> 8
        w[1] = addr & 0xFF
        w[2] = bsb | _RWB_WRITE
        w[3] = value
        self._cs(0)
        self._spi.write(w)
        self._cs(1)

    def _write16(self, addr, bsb, value):
        w = self._w5
        w[0] = addr >> 8
        w[1] = addr & 0xFF
        w[2] = bsb | _RWB_WRITE
        w[3] = value >> 8
        w[4] = value & 0xFF
        self._cs(0)
        self._spi.write(w)
        self._cs(1)

    def _begin_burst(self, addr, bsb):
        h = self._hdr
        h[0] = addr >> 8
        h[1] = addr & 0xFF
        h[2] = bsb
        self._cs(0)
        self._spi.write(h)

    def _command(self, cmd):
        # Sn_CR reads back 0 once the chip has taken the command (4.2 Sn_CR);
        # waiting here means the next register read sees its effect (e.g. a
        # RECV's freed space is gone from Sn_RX_RSR).
        self._write8(_Sn_CR, _BSB_S0_REG, cmd)
        for _ in range(_POLLS):
            if self._read8(_Sn_CR, _BSB_S0_REG) == 0:
                return True
        return False

    # --- bring-up -------------------------------------------------------------

    def _init_chip(self, reset_pin):
        import time
        if reset_pin is not None:
            reset_pin.init(reset_pin.OUT, value=0)
            time.sleep_ms(1)                # RSTn low >= 500 us
            reset_pin(1)
            time.sleep_ms(2)                # PLL lock after reset
        ver = self._read8(_VERSIONR, _BSB_COMMON)
        if ver != _CHIP_VERSION:
            raise OSError(_ENODEV, "W5500 not found: VERSIONR=0x%02x, expected 0x04 "
                          "(check SPI wiring, CS pin, SPI mode 0)" % ver)
        self._write8(_MR, _BSB_COMMON, _MR_RST)
        for _ in range(_POLLS):
            if not self._read8(_MR, _BSB_COMMON) & _MR_RST:
                break
        else:
            raise OSError(_EIO, "W5500 soft reset did not complete")
        self._begin_burst(_SHAR, _BSB_COMMON | _RWB_WRITE)
        self._spi.write(self.mac)
        self._cs(1)
        # all 16 KB of each direction to socket 0: zero the others first so the
        # total never exceeds 16 KB
        for s in range(1, 8):
            bsb = (4 * s + 1) << 3
            self._write8(_Sn_RXBUF_SIZE, bsb, 0)
            self._write8(_Sn_TXBUF_SIZE, bsb, 0)
        self._write8(_Sn_RXBUF_SIZE, _BSB_S0_REG, _BUF_KB)
        self._write8(_Sn_TXBUF_SIZE, _BSB_S0_REG, _BUF_KB)
        self._write8(_IMR, _BSB_COMMON, 0)
        self._write8(_SIMR, _BSB_COMMON, 0)
        self._write8(_Sn_IMR, _BSB_S0_REG, 0)
        self._write8(_Sn_MR, _BSB_S0_REG, _MR_MACRAW | _MR_MFEN)
        self._open()

    def _open(self):
        # allocation-free: also used to recover from a garbled rx buffer
        self._command(_CR_OPEN)
        for _ in range(_POLLS):
            if self._read8(_Sn_SR, _BSB_S0_REG) == _SOCK_MACRAW:
                break
        else:
            raise OSError(_EIO, "W5500 socket 0 did not open in MACRAW mode")
        self._rx_rd = self._read16(_Sn_RX_RD, _BSB_S0_REG)
        self._tx_wr = self._read16(_Sn_TX_WR, _BSB_S0_REG)
        self._tx_pending = False
        self._refused = 0

    def _reopen(self):
        # Allocation-free. CLOSE + OPEN resets the socket's rx/tx pointers:
        # the only way back from a length header that makes no sense.
        self.resets += 1
        self._command(_CR_CLOSE)
        self._open()

    # --- Device protocol --------------------------------------------------------

    def recv_into(self, buf):
        """Copy one frame into buf; its length, or 0. Allocation-free once a
        given buf has been seen (FrameIO keeps views of it)."""
        for _ in range(_RX_TRIES):
            rsr = self._read16_stable(_Sn_RX_RSR, _BSB_S0_REG)
            if rsr == 0 and self._irq_on:
                # clear RECV so the next frame pulls INTn low again (an edge),
                # then look once more for a frame that raced the clear
                self._write8(_Sn_IR, _BSB_S0_REG, _IR_RECV)
                rsr = self._read16_stable(_Sn_RX_RSR, _BSB_S0_REG)
            if rsr < 2:
                self._rx_wait(rsr)
                return 0
            ptr = self._rx_rd
            self._begin_burst(ptr, _BSB_S0_RX)
            self._spi.readinto(self._len2)
            size = (self._len2[0] << 8) | self._len2[1]
            n = size - 2
            if n < _MIN_FRAME or n > _WIRE_MAX:
                self._cs(1)
                self.drop_garbage += 1
                self._reopen()
                return 0
            if size > rsr:
                # the chip counts bytes as they land: the rest is on its way
                self._cs(1)
                self._rx_wait(rsr)
                return 0
            fits = n <= len(buf)
            if fits:
                self._io.read(self._spi, buf, n)
            self._cs(1)
            self._rx_rd = (ptr + size) & 0xFFFF
            self._write16(_Sn_RX_RD, _BSB_S0_REG, self._rx_rd)
            self._command(_CR_RECV)
            if fits:
                self.rx_frames += 1
                return n
            self.rx_too_long += 1
        return 0

    def _rx_wait(self, rsr):
        # part of a frame is in: clear RECV so its arrival makes a new edge
        if rsr and self._irq_on:
            self._write8(_Sn_IR, _BSB_S0_REG, _IR_RECV)

    def send(self, buf, n):
        """Transmit buf[0:n]; False if the chip is still sending the previous
        frame. Allocation-free once a given buf has been seen."""
        if n < _MIN_FRAME or n > ETHERNET_MTU:
            self.tx_drop += 1
            return False
        if self._tx_pending and not self._tx_done():
            self.tx_full += 1
            self._refused += 1
            if self._refused >= _STUCK_SENDS:
                # SEND_OK never came (seen on link loss): start over
                self._reopen()
            return False
        # one frame in flight at a time, so Sn_TX_FSR is the whole buffer here
        ptr = self._tx_wr
        self._begin_burst(ptr, _BSB_S0_TX | _RWB_WRITE)
        self._io.write(self._spi, buf, n)
        self._cs(1)
        self._tx_wr = (ptr + n) & 0xFFFF
        self._write16(_Sn_TX_WR, _BSB_S0_REG, self._tx_wr)
        self._command(_CR_SEND)
        self._tx_pending = True
        self._refused = 0
        self.tx_frames += 1
        return True

    def _tx_done(self):
        # SEND_OK (write 1 to clear) says the previous frame has left
        for _ in range(_POLLS):
            if self._read8(_Sn_IR, _BSB_S0_REG) & _IR_SEND_OK:
                self._write8(_Sn_IR, _BSB_S0_REG, _IR_SEND_OK)
                self._tx_pending = False
                return True
        return False

    def link_up(self):
        """PHYCFGR.LNK. Allocation-free."""
        return bool(self._read8(_PHYCFGR, _BSB_COMMON) & _PHYCFGR_LNK)

    def attach_flag(self, flag):
        """Set flag (e.g. asyncio.ThreadSafeFlag) from INTn when a frame
        arrives; attach_flag(None) goes back to poll mode. Allocates nothing
        per interrupt: the handler is a method bound once in __init__.
        Without an int_pin the flag is kept but never set (poll mode)."""
        self.flag = flag
        pin = self._int
        if pin is None:
            return
        if flag is None:
            pin.irq(handler=None)
            self._write8(_Sn_IMR, _BSB_S0_REG, 0)
            self._write8(_SIMR, _BSB_COMMON, 0)
            self._irq_on = False
            return
        pin.irq(handler=self._irq_handler, trigger=pin.IRQ_FALLING)
        self._write8(_Sn_IR, _BSB_S0_REG, _IR_RECV)
        self._write8(_Sn_IMR, _BSB_S0_REG, _IR_RECV)
        self._write8(_SIMR, _BSB_COMMON, 0x01)
        self._irq_on = True
        if self._read16(_Sn_RX_RSR, _BSB_S0_REG):
            flag.set()      # frames that came before the edge was armed

    def _on_irq(self, pin):
        # interrupt context: no allocation, no SPI (the bus may be mid-transfer)
        self.flag.set()

    def close(self):
        """Close socket 0 and release the interrupt. Allocation-free."""
        if self._int is not None:
            self._int.irq(handler=None)
        self._command(_CR_CLOSE)


def WIZNET5K(spi, pin_cs, pin_rst=None, mac=None):
    """MicroPython's network.WIZNET5K(spi, cs, rst): a
    smolnet.compat.network.LAN over this driver (MACRAW). Here, not in
    smolnet.compat.network, because drivers depend on smolnet and never the
    other way round; imported when called, so the driver alone stays small
    (a firmware without the manifest option lan=True: an ImportError naming it)."""
    from smolnet.compat import network
    return network.LAN(W5500(spi, pin_cs, mac=mac, reset_pin=pin_rst))
