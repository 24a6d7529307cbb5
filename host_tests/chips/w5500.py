# Register-level model of the WIZnet W5500, written from its datasheet:
# the SPI frame (16-bit offset, control byte BSB[4:0] RWB OM[1:0], data in
# variable-length mode while CS is low), the common and socket registers,
# and socket 0 in MACRAW mode with its rx/tx buffer memory and free-running
# 16-bit pointers. Other sockets exist as registers only.
#
# It checks what a driver does and raises AssertionError on misuse: access
# with CS high, a frame cut short inside the header, fixed-length SPI modes,
# reserved blocks, writes to read-only registers, a command written before the
# previous one was taken (Sn_CR != 0), SEND while a send is in progress,
# reading rx memory beyond the received size, writing tx memory that is
# queued for sending, moving Sn_RX_RD past the data, reading rx memory after
# moving Sn_RX_RD without RECV, buffer sizes over 16 KB, and more.
#
# Timing is counted in SPI transactions (CS low..high): a command stays in
# Sn_CR for cmd_latency transactions, a SEND completes (frame on the wire,
# SEND_OK) send_latency transactions after it is taken.
#
# Allocation: transfer(), frame_in() and the command paths allocate nothing.
from micropython import const
from chips import SpiChip, addressed_to, is_broadcast

# common registers
_MR = const(0x00)
_SHAR = const(0x09)
_IR = const(0x15)
_IMR = const(0x16)
_SIR = const(0x17)
_SIMR = const(0x18)
_UIPR = const(0x28)
_PHYCFGR = const(0x2E)
_VERSIONR = const(0x39)
_COMMON_END = const(0x3A)

# socket registers
_Sn_MR = const(0x00)
_Sn_CR = const(0x01)
_Sn_IR = const(0x02)
_Sn_SR = const(0x03)
_Sn_RXBUF_SIZE = const(0x1E)
_Sn_TXBUF_SIZE = const(0x1F)
_Sn_TX_FSR = const(0x20)
_Sn_TX_RD = const(0x22)
_Sn_TX_WR = const(0x24)
_Sn_RX_RSR = const(0x26)
_Sn_RX_RD = const(0x28)
_Sn_RX_WR = const(0x2A)
_Sn_IMR = const(0x2C)
_SOCK_END = const(0x30)

_MR_RST = const(0x80)
_MODE_MACRAW = const(0x04)
_Sn_MR_MFEN = const(0x80)
_Sn_MR_BCASTB = const(0x40)
_Sn_MR_MMB = const(0x20)
_Sn_MR_MIP6B = const(0x10)
_CR_OPEN = const(0x01)
_CR_CLOSE = const(0x10)
_CR_SEND = const(0x20)
_CR_RECV = const(0x40)
_IR_SEND_OK = const(0x10)
_IR_RECV = const(0x04)
_SOCK_CLOSED = const(0x00)
_SOCK_MACRAW = const(0x42)

# block kinds (BSB & 3) and SPI phases
_BLK_REG = const(1)
_BLK_TX = const(2)
_BLK_RX = const(3)
_PH_ADDR_HI = const(0)
_PH_ADDR_LO = const(1)
_PH_CONTROL = const(2)
_PH_DATA = const(3)

_MEM = const(16384)
_FRAME_MAX = const(1514)
_FRAME_MIN = const(60)


class W5500(SpiChip):
    """W5500(spi_id, cs, int_pin=None, rst_pin=None, version=0x04,
    cmd_latency=1, send_latency=2, open_ptr=0)

    open_ptr: where OPEN puts the 16-bit pointers (e.g. 0xFFF0 to make a test
    cross the 16-bit wrap early). Test hooks: hold (bytes of the newest frame
    not yet landed: Sn_RX_RSR leaves them out until release()), poke_rx().
    Counters: wire_in, rx_filtered, rx_overflow, rx_closed, wire_out,
    rx_bytes and tx_bytes (through the socket buffers: > 65536 = pointer wrap)."""

    def __init__(self, spi_id, cs, int_pin=None, rst_pin=None, version=0x04,
                 cmd_latency=1, send_latency=2, open_ptr=0):
        SpiChip.__init__(self, spi_id, cs)
        self.version = version
        self.cmd_latency = cmd_latency
        self.send_latency = send_latency
        self.open_ptr = open_ptr
        self.common = bytearray(_COMMON_END)
        self.sock = [bytearray(_SOCK_END) for _ in range(8)]
        self.rxmem = bytearray(_MEM)
        self.txmem = bytearray(_MEM)
        self._txframe = bytearray(_FRAME_MAX)
        self.wire = None
        self.wire_pins(int_pin, rst_pin)
        self.wire_in = 0
        self.wire_out = 0
        self.rx_filtered = 0
        self.rx_overflow = 0
        self.rx_closed = 0
        self.rx_bytes = 0       # bytes written into / sent from socket 0 buffers
        self.tx_bytes = 0
        self.hold = 0
        self.reset()

    # --- reset and registers ---------------------------------------------------

    def reset(self):
        c = self.common
        for i in range(_COMMON_END):
            c[i] = 0
        c[0x19] = 0x07          # RTR = 0x07D0
        c[0x1A] = 0xD0
        c[0x1B] = 0x08          # RCR
        c[0x1C] = 0x28          # PTIMER
        c[0x26] = 0xFF          # PMRU
        c[0x27] = 0xFF
        c[_PHYCFGR] = 0xB8      # RST=1, OPMD=0, OPMDC=111 (auto-negotiation)
        for s in self.sock:
            for i in range(_SOCK_END):
                s[i] = 0
            for i in range(6):
                s[0x06 + i] = 0xFF  # Sn_DHAR
            s[0x16] = 0x80      # Sn_TTL
            s[_Sn_RXBUF_SIZE] = 2
            s[_Sn_TXBUF_SIZE] = 2
            s[_Sn_IMR] = 0xFF
            s[0x2D] = 0x40      # Sn_FRAG = 0x4000
        self.status = _SOCK_CLOSED
        self.rx_size = 0
        self.tx_size = 0
        self.rx_wr = 0
        self.rx_rd = 0           # the Sn_RX_RD register
        self.rx_done = 0         # Sn_RX_RD as of the last RECV: space before it is free
        self.tx_rd = 0
        self.tx_wr = 0
        self._cmd = 0
        self._cmd_wait = 0
        self._sending = False
        self._send_wait = 0
        self._touched_tx_wr = False
        self._touched_rx_rd = False
        self._phase = _PH_ADDR_HI
        self._update_int()

    def _rst_edge(self, level):
        if level == 0:
            self.reset()

    def _visible_wr(self):
        return (self.rx_wr - self.hold) & 0xFFFF

    def _rsr(self):
        return (self._visible_wr() - self.rx_done) & 0xFFFF

    def _pointer_byte(self, addr):
        # 16-bit socket 0 pointers live in attributes; even offset = high byte
        if addr < _Sn_TX_RD:
            v = self.tx_size - ((self.tx_wr - self.tx_rd) & 0xFFFF) if self.tx_size \
                else self.sock[0][_Sn_TXBUF_SIZE] << 10
        elif addr < _Sn_TX_WR:
            v = self.tx_rd
        elif addr < _Sn_RX_RSR:
            v = self.tx_wr
        elif addr < _Sn_RX_RD:
            v = self._rsr()
        elif addr < _Sn_RX_WR:
            v = self.rx_rd
        else:
            v = self._visible_wr()
        return (v >> 8) & 0xFF if addr & 1 == 0 else v & 0xFF

    def _common_read(self, addr):
        assert addr < _COMMON_END, "no common register at 0x%04x" % addr
        if addr == _VERSIONR:
            return self.version
        if addr == _PHYCFGR:
            up = self.wire is not None and self.wire.link_up()
            # SPD=100M, DPX=full when the link is up
            return (self.common[_PHYCFGR] & 0xF8) | (0x07 if up else 0)
        if addr == _SIR:
            return 0x01 if self.sock[0][_Sn_IR] & self.sock[0][_Sn_IMR] else 0
        return self.common[addr]

    def _common_write(self, addr, v):
        assert addr < _COMMON_END, "no common register at 0x%04x" % addr
        assert addr != _VERSIONR and addr != _SIR and not (_UIPR <= addr < _PHYCFGR), \
            "write to read-only common register 0x%04x" % addr
        if addr == _MR:
            if v & _MR_RST:
                self.reset()
                return
        elif addr == _IR:
            self.common[_IR] &= ~v & 0xFF     # write 1 to clear
            self._update_int()
            return
        elif addr == _PHYCFGR:
            v &= 0xF8
        self.common[addr] = v
        if addr == _IMR or addr == _SIMR:
            self._update_int()

    def _sock_read(self, s, addr):
        assert addr < _SOCK_END, "no socket register at 0x%04x" % addr
        if s == 0:
            if addr == _Sn_SR:
                return self.status
            if addr == _Sn_CR:
                return self._cmd
            if _Sn_TX_FSR <= addr < _Sn_IMR:
                return self._pointer_byte(addr)
        return self.sock[s][addr]

    def _sock_write(self, s, addr, v):
        assert addr < _SOCK_END, "no socket register at 0x%04x" % addr
        assert addr != _Sn_SR and not (_Sn_TX_FSR <= addr < _Sn_TX_WR) \
            and not (_Sn_RX_RSR <= addr < _Sn_RX_RD) and not (_Sn_RX_WR <= addr < _Sn_IMR), \
            "write to read-only socket register 0x%04x" % addr
        regs = self.sock[s]
        if addr == _Sn_RXBUF_SIZE or addr == _Sn_TXBUF_SIZE:
            assert v in (0, 1, 2, 4, 8, 16), "buffer size must be 0/1/2/4/8/16 KB, not %d" % v
            assert self.status == _SOCK_CLOSED, "buffer size changed while socket 0 is open"
        if s != 0:
            assert addr != _Sn_CR or v == 0, "model runs socket 0 only"
            regs[addr] = v
            return
        if addr == _Sn_CR:
            self._command(v)
        elif addr == _Sn_IR:
            regs[_Sn_IR] &= ~v & 0xFF
            self._update_int()
        elif addr == _Sn_MR:
            assert self.status == _SOCK_CLOSED, "Sn_MR changed while socket 0 is open"
            regs[addr] = v
        elif _Sn_TX_WR <= addr < _Sn_RX_RSR:
            self.tx_wr = _set_half(self.tx_wr, addr, v)
            self._touched_tx_wr = True
        elif _Sn_RX_RD <= addr < _Sn_RX_WR:
            self.rx_rd = _set_half(self.rx_rd, addr, v)
            self._touched_rx_rd = True
        else:
            regs[addr] = v
            if addr == _Sn_IMR:
                self._update_int()

    # --- SPI framing -------------------------------------------------------------

    def begin(self):
        self._phase = _PH_ADDR_HI

    def transfer(self, wbuf, rbuf, n, fill):
        i = 0
        while i < n and self._phase != _PH_DATA:
            self._header_byte(wbuf[i] if wbuf is not None else fill)
            if rbuf is not None:
                rbuf[i] = 0
            i += 1
        if i == n:
            return
        if self._kind == 0 or self._kind == _BLK_REG:
            self._reg_burst(wbuf, rbuf, i, n, fill)
        elif self._kind == _BLK_RX:
            self._rx_burst(wbuf, rbuf, i, n, fill)
        else:
            self._tx_burst(wbuf, rbuf, i, n, fill)

    def _header_byte(self, b):
        ph = self._phase
        if ph == _PH_ADDR_HI:
            self._addr = b << 8
        elif ph == _PH_ADDR_LO:
            self._addr |= b
        else:
            bsb = b >> 3
            self._write = b & 0x04
            assert b & 0x03 == 0, "OM=%d: the model (and a CS-driven bus) uses " \
                "variable-length data mode OM=00" % (b & 3)
            kind = bsb & 3
            assert bsb == 0 or kind != 0, "reserved block select %d" % bsb
            self._sockn = bsb >> 2
            self._kind = kind
            if kind == _BLK_TX or kind == _BLK_RX:
                assert self._sockn == 0, "model keeps buffer memory for socket 0 only"
                assert self.status == _SOCK_MACRAW, "socket 0 buffer access while not open"
            if kind == _BLK_RX:
                assert not self._write, "write to the rx buffer"
                assert self.rx_rd == self.rx_done, \
                    "rx buffer read after moving Sn_RX_RD without a RECV command"
        self._phase = ph + 1

    def _reg_burst(self, wbuf, rbuf, i, n, fill):
        common = self._kind == 0 and self._sockn == 0
        while i < n:
            a = self._addr
            if self._write:
                v = wbuf[i] if wbuf is not None else fill
                if common:
                    self._common_write(a, v)
                else:
                    self._sock_write(self._sockn, a, v)
                r = 0
            elif common:
                r = self._common_read(a)
            else:
                r = self._sock_read(self._sockn, a)
            if rbuf is not None:
                rbuf[i] = r
            self._addr = (a + 1) & 0xFFFF
            i += 1

    def _rx_burst(self, wbuf, rbuf, i, n, fill):
        mask = self.rx_size - 1
        mem = self.rxmem
        avail = (self._visible_wr() - self.rx_rd) & 0xFFFF
        while i < n:
            a = self._addr
            assert (a - self.rx_rd) & 0xFFFF < avail, \
                "rx buffer read at 0x%04x beyond the received size (Sn_RX_RD=0x%04x, %d bytes)" \
                % (a, self.rx_rd, avail)
            if rbuf is not None:
                rbuf[i] = mem[a & mask]
            self._addr = (a + 1) & 0xFFFF
            i += 1

    def _tx_burst(self, wbuf, rbuf, i, n, fill):
        mask = self.tx_size - 1
        mem = self.txmem
        free = self.tx_size - ((self.tx_wr - self.tx_rd) & 0xFFFF)
        while i < n:
            a = self._addr
            if self._write:
                assert (a - self.tx_wr) & 0xFFFF < free, \
                    "tx buffer write at 0x%04x outside the free space (Sn_TX_WR=0x%04x, %d free)" \
                    % (a, self.tx_wr, free)
                mem[a & mask] = wbuf[i] if wbuf is not None else fill
                r = 0
            else:
                r = mem[a & mask]
            if rbuf is not None:
                rbuf[i] = r
            self._addr = (a + 1) & 0xFFFF
            i += 1

    def end(self):
        assert self._phase == _PH_ADDR_HI or self._phase == _PH_DATA, \
            "CS raised inside the address/control phase"
        self._phase = _PH_ADDR_HI
        if self._touched_tx_wr:
            self._touched_tx_wr = False
            assert not self._sending, "Sn_TX_WR changed while a SEND is in progress"
            assert (self.tx_wr - self.tx_rd) & 0xFFFF <= self.tx_size, \
                "Sn_TX_WR=0x%04x runs past the tx buffer (Sn_TX_RD=0x%04x)" \
                % (self.tx_wr, self.tx_rd)
        if self._touched_rx_rd:
            self._touched_rx_rd = False
            assert (self.rx_rd - self.rx_done) & 0xFFFF <= self._rsr(), \
                "Sn_RX_RD=0x%04x moved past the received data" % self.rx_rd
        self._tick()

    # --- commands and time ----------------------------------------------------------

    def _command(self, cmd):
        assert self._cmd == 0, "Sn_CR written (0x%02x) before the previous command " \
            "(0x%02x) was taken: poll Sn_CR until 0" % (cmd, self._cmd)
        if cmd == 0:
            return
        self._cmd = cmd
        self._cmd_wait = self.cmd_latency + 1   # the writing transaction counts

    def _tick(self):
        if self._cmd:
            self._cmd_wait -= 1
            if self._cmd_wait <= 0:
                cmd = self._cmd
                self._cmd = 0
                self._execute(cmd)
        if self._sending:
            if self._send_wait <= 0:
                self._transmit()
            else:
                self._send_wait -= 1

    def _execute(self, cmd):
        if cmd == _CR_OPEN:
            mode = self.sock[0][_Sn_MR]
            assert mode & 0x0F == _MODE_MACRAW, "model supports MACRAW only (Sn_MR=0x%02x)" % mode
            rx = 0
            tx = 0
            for s in self.sock:
                rx += s[_Sn_RXBUF_SIZE]
                tx += s[_Sn_TXBUF_SIZE]
            assert rx <= 16 and tx <= 16, "socket buffers add up to more than 16 KB"
            self.rx_size = self.sock[0][_Sn_RXBUF_SIZE] << 10
            self.tx_size = self.sock[0][_Sn_TXBUF_SIZE] << 10
            assert self.rx_size and self.tx_size, "socket 0 opened with a 0 KB buffer"
            p = self.open_ptr & 0xFFFF
            self.rx_wr = self.rx_rd = self.rx_done = p
            self.tx_rd = self.tx_wr = p
            self.hold = 0
            self._sending = False
            self.status = _SOCK_MACRAW
        elif cmd == _CR_CLOSE:
            self.status = _SOCK_CLOSED
            self._sending = False
        elif cmd == _CR_SEND:
            assert self.status == _SOCK_MACRAW, "SEND on a closed socket"
            assert not self._sending, "SEND while a send is pending"
            n = (self.tx_wr - self.tx_rd) & 0xFFFF
            assert 14 <= n <= _FRAME_MAX, "SEND of %d bytes is not an Ethernet frame" % n
            self._sending = True
            self._send_wait = self.send_latency
            if self._send_wait <= 0:
                self._transmit()
        elif cmd == _CR_RECV:
            assert self.status == _SOCK_MACRAW, "RECV on a closed socket"
            self.rx_done = self.rx_rd
        else:
            raise AssertionError("command 0x%02x is not for a MACRAW socket" % cmd)

    def _transmit(self):
        self._sending = False
        n = (self.tx_wr - self.tx_rd) & 0xFFFF
        mask = self.tx_size - 1
        f = self._txframe
        p = self.tx_rd
        self.tx_bytes += n
        for i in range(n):
            f[i] = self.txmem[(p + i) & mask]
        while n < _FRAME_MIN:        # the MAC pads short frames
            f[n] = 0
            n += 1
        self.tx_rd = self.tx_wr
        self.sock[0][_Sn_IR] |= _IR_SEND_OK
        self._update_int()
        self.wire_out += 1
        if self.wire is not None:
            self.wire.carry(self, f, n)

    def _update_int(self):
        s = self.sock[0]
        low = (self.common[_SIMR] & 1 and s[_Sn_IR] & s[_Sn_IMR]) or \
            (self.common[_IR] & self.common[_IMR])
        level = 0 if low else 1
        if level != self._int_level:
            self._int_level = level
            if self.int_pin is not None:
                self.int_pin.drive(level)

    # --- the wire side ----------------------------------------------------------

    def frame_in(self, buf, n):
        """A frame (n bytes, no FCS) arrives from the wire."""
        self.wire_in += 1
        if self.status != _SOCK_MACRAW:
            self.rx_closed += 1
            return
        mode = self.sock[0][_Sn_MR]
        if mode & _Sn_MR_MFEN and not self._accept(buf, mode):
            self.rx_filtered += 1
            return
        need = n + 2
        if n > _FRAME_MAX or need > self.rx_size - ((self.rx_wr - self.rx_done) & 0xFFFF):
            self.rx_overflow += 1
            return
        mask = self.rx_size - 1
        mem = self.rxmem
        p = self.rx_wr
        mem[p & mask] = need >> 8
        mem[(p + 1) & mask] = need & 0xFF
        p += 2
        for i in range(n):
            mem[(p + i) & mask] = buf[i]
        self.rx_wr = (p + n) & 0xFFFF
        self.rx_bytes += need
        self.sock[0][_Sn_IR] |= _IR_RECV
        self._update_int()

    def _accept(self, buf, mode):
        if buf[0] & 1:
            if is_broadcast(buf, 0):
                return not mode & _Sn_MR_BCASTB
            if mode & _Sn_MR_MMB:
                return False
        elif not addressed_to(buf, 0, self.common, _SHAR):
            return False
        if mode & _Sn_MR_MIP6B and buf[12] == 0x86 and buf[13] == 0xDD:
            return False
        return True

    def release(self):
        """The held-back bytes of the newest frame land."""
        self.hold = 0
        self.sock[0][_Sn_IR] |= _IR_RECV
        self._update_int()

    def poke_rx(self, ptr, data):
        """Overwrite rx buffer memory at a 16-bit socket pointer (tests)."""
        for i in range(len(data)):
            self.rxmem[(ptr + i) & (self.rx_size - 1)] = data[i]

    def mac(self):
        return bytes(self.common[_SHAR:_SHAR + 6])


def _set_half(v, addr, b):
    # write one byte of a big-endian 16-bit register
    if addr & 1 == 0:
        return (b << 8) | (v & 0xFF)
    return (v & 0xFF00) | b
