# Register-level model of the SMSC LAN9118 (32-bit bus mode), from the
# datasheet's register and FIFO chapters, for board driver tests.
#
#   model = LAN9118Model(base=0x40200000, mac=b"...", irq_pin="LAN_IRQ")
#   model.wire_in(frame, n)       a frame arrives on the cable
#   model.wire_out                FrameQueue of frames the chip transmitted
#   model.phy.set_link(False)     pull the cable
#   model.tx_hold = True          keep queued frames in the TX FIFO (fills it)
#   model.release_tx()            ... and send them
#
# What the model checks (AssertionError): accesses other than 32-bit,
# reserved offsets, writes to read-only registers, reads of the write-only
# TX data port, register access during soft reset, MAC CSR and MII accesses
# while busy, reading RX data without first popping that frame's status
# word, reading past the end of a frame, popping a status while the previous
# frame's data is still in the FIFO, reading an empty status FIFO,
# malformed TX command words, overrunning the TX data FIFO, a full TX status
# FIFO (the driver forgot to pop TX status words), transmitting with the
# transmitter off. RX data offset/end padding and TX start offset/end
# alignment are not modelled (asserted to be 0).
#
# Hot paths (FIFO word reads/writes, status pops, wire_in) allocate nothing
# once constructed, so drivers can be checked under heap_lock.
import fakemachine
from chips import addressed_to, fcs, is_broadcast
from chips.membus import FrameQueue, Phy

# registers (byte offsets in the 256-byte window)
RX_DATA = 0x00
TX_DATA = 0x20
RX_STATUS = 0x40
RX_STATUS_PEEK = 0x44
TX_STATUS = 0x48
TX_STATUS_PEEK = 0x4C
ID_REV = 0x50
IRQ_CFG = 0x54
INT_STS = 0x58
INT_EN = 0x5C
BYTE_TEST = 0x64
FIFO_INT = 0x68
RX_CFG = 0x6C
TX_CFG = 0x70
HW_CFG = 0x74
RX_DP_CTRL = 0x78
RX_FIFO_INF = 0x7C
TX_FIFO_INF = 0x80
PMT_CTRL = 0x84
GPIO_CFG = 0x88
GPT_CFG = 0x8C
GPT_CNT = 0x90
WORD_SWAP = 0x98
FREE_RUN = 0x9C
RX_DROP = 0xA0
MAC_CSR_CMD = 0xA4
MAC_CSR_DATA = 0xA8
AFC_CFG = 0xAC
E2P_CMD = 0xB0
E2P_DATA = 0xB4

# MAC CSR indexes
MAC_CR = 1
ADDRH = 2
ADDRL = 3
HASHH = 4
HASHL = 5
MII_ACC = 6
MII_DATA = 7
FLOW = 8
VLAN1 = 9
VLAN2 = 10
WUFF = 11
WUCSR = 12

MAC_CR_RXALL = 1 << 31
MAC_CR_FDPX = 1 << 20
MAC_CR_MCPAS = 1 << 19
MAC_CR_PRMS = 1 << 18
MAC_CR_PASSBAD = 1 << 16
MAC_CR_BCAST = 1 << 11     # disable broadcast
MAC_CR_TXEN = 1 << 3
MAC_CR_RXEN = 1 << 2

INT_SW = 1 << 31
INT_PHY = 1 << 18
INT_TX_IOC = 1 << 21
INT_RXE = 1 << 14
INT_TDFO = 1 << 10
INT_TSFF = 1 << 8
INT_RXDF = 1 << 6
INT_RSFL = 1 << 3

# RX status word bits (error bits a test may inject through wire_in)
RXS_ES = 1 << 15
RXS_BCAST = 1 << 13
RXS_LENERR = 1 << 12
RXS_RUNT = 1 << 11
RXS_MCAST = 1 << 10
RXS_TOOLONG = 1 << 7
RXS_FRAMETYPE = 1 << 5
RXS_MIIERR = 1 << 3
RXS_CRC = 1 << 1
_RXS_ERRORS = RXS_LENERR | RXS_RUNT | RXS_TOOLONG | (1 << 6) | (1 << 4) | RXS_MIIERR | RXS_CRC

TXS_ES = 1 << 15
TXS_EXCESS_COLL = 1 << 8

CHIP_ID_REV = 0x01180001
_BYTE_TEST_VALUE = 0x87654321
RX_FIFO_WORDS = 2640        # 10560-byte RX data FIFO with TX_FIF_SZ = 5
RX_STATUS_SLOTS = 176       # 704-byte RX status FIFO
TX_FIFO_BYTES = 4608        # TX data FIFO (5 KiB minus the TX status FIFO)
TX_STATUS_SLOTS = 128       # 512-byte TX status FIFO

_RESERVED = (0x60, 0x94)
_READ_ONLY = (RX_STATUS, RX_STATUS_PEEK, TX_STATUS, TX_STATUS_PEEK, ID_REV,
              BYTE_TEST, RX_FIFO_INF, TX_FIFO_INF, FREE_RUN, RX_DROP, GPT_CNT)

_TX_IDLE = 0   # expecting command A
_TX_B = 1      # expecting command B
_TX_DATA = 2   # expecting data words of the current buffer


class LAN9118Model:
    def __init__(self, base=0x40200000, mac=b"\x02\x00\x00\x11\x91\x18", irq_pin=None,
                 ready_reads=1, reset_reads=2, csr_busy_reads=1):
        self.base = base
        self.eeprom_mac = mac       # None: no EEPROM, ADDRH/ADDRL read all ones
        self.phy = Phy(0x0007, 0xC0C1)
        self.phy.vendor[17] = 0x0002   # mode control/status
        self.phy.vendor[18] = 0x00E1   # special modes: PHY address 1
        self.phy.vendor[29] = 0        # interrupt source
        self.phy.vendor[30] = 0        # interrupt mask
        self.phy.vendor[31] = 0x0058   # special control/status: 100FD, AN done
        self.phy_addr = 1
        self.wire_out = FrameQueue()
        self.tx_hold = False
        self.tx_error_next = 0         # TX status error bits for the next frame
        self.rx_dropped = 0            # frames lost for lack of FIFO room (RX_DROP)
        self.rx_filtered = 0           # frames the address filter rejected
        self.accesses = 0
        self._csr_busy_reads = csr_busy_reads
        self._reset_reads_cfg = reset_reads
        self._pin = fakemachine.Pin(irq_pin) if irq_pin is not None else None
        if self._pin is not None:
            self._pin.drive(1)          # open drain, pulled up: idle high
        # FIFOs, preallocated
        self._rxf = bytearray(RX_FIFO_WORDS * 4)
        self._rxs = [0] * RX_STATUS_SLOTS
        self._rxs_words = [0] * RX_STATUS_SLOTS
        self._txs = [0] * TX_STATUS_SLOTS
        self._txframe = bytearray(2048)
        self._padbuf = bytearray(60)
        self._held = FrameQueue(slots=80)
        self._held_bytes = [0] * 80
        self._held_tags = [0] * 80
        self._held_head = 0
        self._mac = bytearray(6)
        self._power_on(ready_reads)
        fakemachine.map_region(base, 0x100, self)

    # --- reset ---------------------------------------------------------------

    def _power_on(self, ready_reads):
        self._defaults()
        self._reset_left = 0
        self._not_ready = ready_reads

    def _defaults(self):
        self.irq_cfg = 0
        self.int_sts = 0
        self.int_en = 0
        self.fifo_int = 0x48000000
        self.rx_cfg = 0
        self.tx_cfg = 0
        self.hw_cfg = 0x00050000
        self.pmt_ctrl = 0x00000001
        self.gpio_cfg = 0
        self.gpt_cfg = 0xFFFF
        self.word_swap = 0
        self.afc_cfg = 0
        self.e2p_cmd = 0
        self.e2p_data = 0
        self.mac_cmd = 0
        self.mac_data = 0
        self.mac_cr = MAC_CR_PRMS       # reset value 0x00040000
        self.hashh = 0
        self.hashl = 0
        self.mii_acc = 0
        self.mii_data = 0
        self.flow = 0
        self.vlan1 = 0
        self.vlan2 = 0
        self.wucsr = 0
        self._csr_pending = 0
        self._mii_pending = 0
        self.rx_drop_count = 0
        # RX data FIFO: words, ring
        self._rx_head = 0
        self._rx_used = 0
        self._rxs_head = 0
        self._rxs_used = 0
        self._rx_cur = 0               # words left of the frame whose status was popped
        # TX
        self._tx_state = _TX_IDLE
        self._tx_used = 0              # bytes of the frame being written (cmds + data)
        self._tx_cmd_a = 0
        self._tx_words = 0             # data words left in the current buffer
        self._tx_bufsize = 0
        self._tx_len = 0               # bytes of the frame assembled so far
        self._tx_pktlen = 0
        self._tx_tag = 0
        self._tx_in_frame = False
        self._txs_head = 0
        self._txs_used = 0
        self._held.count = 0
        self._held.head = 0
        self._held_bytes_total = 0
        if self.eeprom_mac is not None:
            for i in range(6):
                self._mac[i] = self.eeprom_mac[i]
            self.e2p_cmd = 0x100          # MAC_ADDR_LOADED
        else:
            for i in range(6):
                self._mac[i] = 0xFF
        self.phy._hard_reset()
        self._update_irq()

    # --- bus interface (fakemachine) ----------------------------------------

    def read(self, off, width):
        self.accesses += 1
        self._check_access(off, width)
        if self._reset_left or self._not_ready:
            return self._read_resetting(off)
        if off < TX_DATA:
            return self._rx_data_pop()
        if off < RX_STATUS:
            raise AssertionError("LAN9118: TX data FIFO port 0x%02x is write-only" % off)
        if off == RX_STATUS:
            return self._rx_status_pop()
        if off == RX_STATUS_PEEK:
            if self._rxs_used == 0:
                raise AssertionError("LAN9118: RX status peek with the FIFO empty")
            return self._rxs[self._rxs_head]
        if off == TX_STATUS:
            return self._tx_status_pop()
        if off == TX_STATUS_PEEK:
            if self._txs_used == 0:
                raise AssertionError("LAN9118: TX status peek with the FIFO empty")
            return self._txs[self._txs_head]
        if off == ID_REV:
            return CHIP_ID_REV
        if off == IRQ_CFG:
            return self.irq_cfg | ((1 << 12) if self.int_sts & self.int_en else 0)
        if off == INT_STS:
            return self.int_sts
        if off == INT_EN:
            return self.int_en
        if off == BYTE_TEST:
            return _BYTE_TEST_VALUE
        if off == FIFO_INT:
            return self.fifo_int
        if off == RX_CFG:
            return self.rx_cfg
        if off == TX_CFG:
            return self.tx_cfg
        if off == HW_CFG:
            return self.hw_cfg
        if off == RX_DP_CTRL:
            return 0                   # RX_FFWD completes at once
        if off == RX_FIFO_INF:
            return (self._rxs_used << 16) | (self._rx_used * 4)
        if off == TX_FIFO_INF:
            return (self._txs_used << 16) | self._tx_free()
        if off == PMT_CTRL:
            return self.pmt_ctrl
        if off == GPIO_CFG:
            return self.gpio_cfg
        if off == GPT_CFG:
            return self.gpt_cfg
        if off == GPT_CNT:
            return 0xFFFF
        if off == WORD_SWAP:
            return self.word_swap
        if off == FREE_RUN:
            return self.accesses & 0xFFFFFFFF
        if off == RX_DROP:
            v = self.rx_drop_count
            self.rx_drop_count = 0      # clears on read
            return v
        if off == MAC_CSR_CMD:
            return self._csr_cmd_read()
        if off == MAC_CSR_DATA:
            if self._csr_pending:
                raise AssertionError("LAN9118: MAC_CSR_DATA read while MAC_CSR_CMD busy")
            return self.mac_data
        if off == AFC_CFG:
            return self.afc_cfg
        if off == E2P_CMD:
            return self.e2p_cmd
        if off == E2P_DATA:
            return self.e2p_data
        raise AssertionError("LAN9118: read of unmodelled register 0x%02x" % off)

    def write(self, off, width, value):
        self.accesses += 1
        self._check_access(off, width)
        if self._reset_left or self._not_ready:
            raise AssertionError("LAN9118: write to 0x%02x before PMT_CTRL.READY" % off)
        if off < TX_DATA:
            raise AssertionError("LAN9118: RX data FIFO port 0x%02x is read-only" % off)
        if off < RX_STATUS:
            self._tx_push(value)
            return
        if off in _READ_ONLY:
            raise AssertionError("LAN9118: register 0x%02x is read-only" % off)
        if off == IRQ_CFG:
            self.irq_cfg = value & 0xFF000111   # INT_DEAS, IRQ_EN, IRQ_POL, IRQ_TYPE
        elif off == INT_STS:
            self.int_sts &= ~value              # write 1 to clear
        elif off == INT_EN:
            self.int_en = value & ~0x7C001000   # reserved bits
            if value & INT_SW:
                self.int_sts |= INT_SW
        elif off == FIFO_INT:
            self.fifo_int = value
        elif off == RX_CFG:
            self._write_rx_cfg(value)
        elif off == TX_CFG:
            self._write_tx_cfg(value)
        elif off == HW_CFG:
            if value & 1:
                self._reset_left = self._reset_reads_cfg
                return
            self.hw_cfg = (value & 0x000F3000) | (self.hw_cfg & ~0x000F3000)
        elif off == RX_DP_CTRL:
            if value & 0x80000000:
                self._rx_fast_forward()
        elif off == PMT_CTRL:
            self.pmt_ctrl = (self.pmt_ctrl & ~0x34E) | (value & 0x34E)
        elif off == GPIO_CFG:
            self.gpio_cfg = value
        elif off == GPT_CFG:
            self.gpt_cfg = value & 0x2000FFFF
        elif off == WORD_SWAP:
            self.word_swap = value
        elif off == MAC_CSR_CMD:
            self._csr_cmd_write(value)
        elif off == MAC_CSR_DATA:
            if self._csr_pending:
                raise AssertionError("LAN9118: MAC_CSR_DATA written while MAC_CSR_CMD busy")
            self.mac_data = value
        elif off == AFC_CFG:
            self.afc_cfg = value & 0x00FFFFFF
        elif off == E2P_CMD:
            self.e2p_cmd = value & 0x700001FF
        elif off == E2P_DATA:
            self.e2p_data = value & 0xFF
        else:
            raise AssertionError("LAN9118: write to unmodelled register 0x%02x" % off)
        self._update_irq()

    def _check_access(self, off, width):
        if width != 4:
            raise AssertionError("LAN9118 in 32-bit mode: %d-bit access at 0x%02x"
                                 % (width * 8, off))
        if off in _RESERVED or off >= 0xB8:
            raise AssertionError("LAN9118: access to reserved offset 0x%02x" % off)

    def _read_resetting(self, off):
        if off == BYTE_TEST:
            return _BYTE_TEST_VALUE
        if off == PMT_CTRL:
            self._tick_reset()
            return self.pmt_ctrl & ~1 if (self._reset_left or self._not_ready) else self.pmt_ctrl
        if off == HW_CFG and self._reset_left:
            self._tick_reset()
            return self.hw_cfg | 1 if self._reset_left else self.hw_cfg
        raise AssertionError("LAN9118: register 0x%02x read before PMT_CTRL.READY "
                             "(only BYTE_TEST, PMT_CTRL, HW_CFG)" % off)

    def _tick_reset(self):
        if self._not_ready:
            self._not_ready -= 1
            return
        self._reset_left -= 1
        if self._reset_left == 0:
            self._defaults()

    # --- interrupt line ------------------------------------------------------

    def _update_irq(self):
        if self._pin is None:
            return
        asserted = bool(self.int_sts & self.int_en) and bool(self.irq_cfg & 0x100)
        high_active = (self.irq_cfg & 0x11) == 0x11   # push-pull, active high
        level = asserted if high_active else not asserted
        if level != self._pin.value():
            self._pin.drive(level)

    # --- MAC CSR and MII -----------------------------------------------------

    def _csr_cmd_write(self, value):
        if self._csr_pending:
            raise AssertionError("LAN9118: MAC_CSR_CMD written while busy")
        self.mac_cmd = value & 0x400000FF
        if value & 0x80000000:
            index = value & 0xFF
            if index < MAC_CR or index > WUCSR:
                raise AssertionError("LAN9118: MAC CSR index %d does not exist" % index)
            self._csr_pending = self._csr_busy_reads
            if self._csr_pending == 0:
                self._csr_do()

    def _csr_cmd_read(self):
        if self._csr_pending:
            self._csr_pending -= 1
            v = self.mac_cmd | 0x80000000
            if self._csr_pending == 0:
                self._csr_do()
            return v
        return self.mac_cmd

    def _csr_do(self):
        index = self.mac_cmd & 0xFF
        if self.mac_cmd & 0x40000000:
            self.mac_data = self._mac_csr_read(index)
        else:
            self._mac_csr_write(index, self.mac_data)

    def _mac_csr_read(self, index):
        if index == MAC_CR:
            return self.mac_cr
        if index == ADDRH:
            return self._mac[4] | (self._mac[5] << 8)
        if index == ADDRL:
            m = self._mac
            return m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)
        if index == HASHH:
            return self.hashh
        if index == HASHL:
            return self.hashl
        if index == MII_ACC:
            if self._mii_pending:
                self._mii_pending -= 1
                if self._mii_pending == 0:
                    self._mii_do()
                    return self.mii_acc
                return self.mii_acc | 1
            return self.mii_acc
        if index == MII_DATA:
            if self._mii_pending:
                raise AssertionError("LAN9118: MII_DATA read while MII_ACC.MIIBZY")
            return self.mii_data
        if index == FLOW:
            return self.flow
        if index == VLAN1:
            return self.vlan1
        if index == VLAN2:
            return self.vlan2
        if index == WUCSR:
            return self.wucsr
        raise AssertionError("LAN9118: MAC CSR %d is write-only" % index)

    def _mac_csr_write(self, index, value):
        if index == MAC_CR:
            if self.mac_cr & MAC_CR_RXEN and not value & MAC_CR_RXEN:
                self.int_sts |= 1 << 24          # RXSTOP_INT
            self.mac_cr = value & ~0x7F404213 & 0xFFFFFFFF
        elif index == ADDRH:
            self._mac[4] = value & 0xFF
            self._mac[5] = (value >> 8) & 0xFF
        elif index == ADDRL:
            for i in range(4):
                self._mac[i] = (value >> (8 * i)) & 0xFF
        elif index == HASHH:
            self.hashh = value
        elif index == HASHL:
            self.hashl = value
        elif index == MII_ACC:
            if self._mii_pending:
                raise AssertionError("LAN9118: MII_ACC written while MIIBZY")
            self.mii_acc = value & 0xFFC2
            if value & 1:
                self._mii_pending = self._csr_busy_reads
                if self._mii_pending == 0:
                    self._mii_do()
        elif index == MII_DATA:
            if self._mii_pending:
                raise AssertionError("LAN9118: MII_DATA written while MIIBZY")
            self.mii_data = value & 0xFFFF
        elif index == FLOW:
            self.flow = value
        elif index == VLAN1:
            self.vlan1 = value & 0xFFFF
        elif index == VLAN2:
            self.vlan2 = value & 0xFFFF
        elif index == WUFF:
            pass
        elif index == WUCSR:
            self.wucsr = value

    def _mii_do(self):
        phy = (self.mii_acc >> 11) & 0x1F
        reg = (self.mii_acc >> 6) & 0x1F
        if phy != self.phy_addr:
            if not self.mii_acc & 2:
                self.mii_data = 0xFFFF      # nothing answers: MDIO pulled high
            return
        if self.mii_acc & 2:
            self.phy.write(reg, self.mii_data)
        else:
            self.mii_data = self.phy.read(reg)

    # --- receive path --------------------------------------------------------

    def _write_rx_cfg(self, value):
        if value & 0xC0001F00:
            raise AssertionError("LAN9118 model: RX end alignment/data offset not modelled")
        if value & 0x8000:               # RX_DUMP
            if self._rx_cur:
                raise AssertionError("LAN9118: RX_DUMP while a frame is being read")
            self._rx_used = 0
            self._rxs_used = 0
        self.rx_cfg = value & 0xCFFF1F00

    def _filter(self, buf, off):
        if self.mac_cr & (MAC_CR_PRMS | MAC_CR_RXALL):
            return True
        if buf[off] & 1:
            if is_broadcast(buf, off):
                return not self.mac_cr & MAC_CR_BCAST
            return bool(self.mac_cr & MAC_CR_MCPAS)   # hash filtering not modelled
        return addressed_to(buf, off, self._mac)

    def wire_in(self, buf, n, errors=0, off=0):
        """A frame of n bytes (without FCS) arrives; `errors` are RX status
        error bits to report (e.g. RXS_CRC: its FCS arrives corrupted)."""
        if self._reset_left or self._not_ready or not self.mac_cr & MAC_CR_RXEN:
            return False
        if not self._filter(buf, off):
            self.rx_filtered += 1
            return False
        if errors & (RXS_RUNT | (1 << 6)) and not self.mac_cr & MAC_CR_PASSBAD:
            return False                 # runts and collided frames need PASSBAD
        size = n if n >= 60 else 60      # the sender's MAC padded it
        words = (size + 4 + 3) >> 2
        if self._rxs_used == RX_STATUS_SLOTS or RX_FIFO_WORDS - self._rx_used < words:
            self.rx_drop_count += 1
            self.rx_dropped += 1
            self.int_sts |= INT_RXDF
            self._update_irq()
            return False
        crc = fcs(buf, off, n)
        if size > n:                     # FCS covers the padding too
            crc = self._fcs_padded(buf, off, n, size)
        if errors & RXS_CRC:
            crc ^= 0xFFFFFFFF
        pos = self._rx_head + self._rx_used
        if pos >= RX_FIFO_WORDS:
            pos -= RX_FIFO_WORDS
        pos *= 4
        total = len(self._rxf)
        for i in range(size + 4):
            if i < n:
                b = buf[off + i]
            elif i < size:
                b = 0
            else:
                b = (crc >> (8 * (i - size))) & 0xFF
            self._rxf[pos] = b
            pos += 1
            if pos == total:
                pos = 0
        for i in range(size + 4, words * 4):   # tail of the last word
            self._rxf[pos] = 0
            pos += 1
            if pos == total:
                pos = 0
        self._rx_used += words
        status = ((size + 4) << 16) | errors
        if errors & _RXS_ERRORS:
            status |= RXS_ES
        if buf[off] & 1:
            status |= RXS_BCAST if buf[off + 1] == 0xFF and buf[off] == 0xFF else RXS_MCAST
        if (buf[off + 12] << 8 | buf[off + 13]) >= 0x0600:
            status |= RXS_FRAMETYPE
        k = self._rxs_head + self._rxs_used
        if k >= RX_STATUS_SLOTS:
            k -= RX_STATUS_SLOTS
        self._rxs[k] = status
        self._rxs_words[k] = words
        self._rxs_used += 1
        if self._rxs_used > (self.fifo_int & 0xFF):
            self.int_sts |= INT_RSFL
        self._update_irq()
        return True

    def _fcs_padded(self, buf, off, n, size):
        pad = self._padbuf
        for i in range(n):
            pad[i] = buf[off + i]
        for i in range(n, size):
            pad[i] = 0
        return fcs(pad, 0, size)

    def _rx_status_pop(self):
        if self._rx_cur:
            raise AssertionError("LAN9118: RX status popped while %d data words of the "
                                 "previous frame are still in the FIFO" % self._rx_cur)
        if self._rxs_used == 0:
            raise AssertionError("LAN9118: read of the empty RX status FIFO")
        v = self._rxs[self._rxs_head]
        self._rx_cur = self._rxs_words[self._rxs_head]
        self._rxs_head += 1
        if self._rxs_head == RX_STATUS_SLOTS:
            self._rxs_head = 0
        self._rxs_used -= 1
        return v

    def _rx_data_pop(self):
        if self._rx_cur == 0:
            raise AssertionError("LAN9118: RX data FIFO read with no frame open "
                                 "(pop its RX status word first, and read no further "
                                 "than its length)")
        p = self._rx_head * 4
        f = self._rxf
        v = f[p] | (f[p + 1] << 8) | (f[p + 2] << 16) | (f[p + 3] << 24)
        self._rx_head += 1
        if self._rx_head == RX_FIFO_WORDS:
            self._rx_head = 0
        self._rx_used -= 1
        self._rx_cur -= 1
        return v

    def _rx_fast_forward(self):
        if self._rx_cur == 0:
            raise AssertionError("LAN9118: RX_FFWD with no frame open")
        if self._rx_cur < 4:
            raise AssertionError("LAN9118: RX_FFWD needs at least 4 words left; "
                                 "read the last %d words instead" % self._rx_cur)
        self._rx_head = (self._rx_head + self._rx_cur) % RX_FIFO_WORDS
        self._rx_used -= self._rx_cur
        self._rx_cur = 0

    # --- transmit path -------------------------------------------------------

    def _write_tx_cfg(self, value):
        if value & 0x8000:               # TXS_DUMP
            self._txs_used = 0
        if value & 0x4000:               # TXD_DUMP
            self._tx_state = _TX_IDLE
            self._tx_used = 0
            self._tx_in_frame = False
        if value & 1:                    # STOP_TX: stops after the current frame
            value &= ~2
            self.int_sts |= 1 << 25      # TXSTOP_INT
        self.tx_cfg = value & 0x6

    def _tx_free(self):
        return TX_FIFO_BYTES - self._tx_used - self._held_bytes_total

    def _tx_push(self, value):
        if self._tx_free() < 4:
            self.int_sts |= INT_TDFO
            raise AssertionError("LAN9118: TX data FIFO overrun (check TX_FIFO_INF.TDFREE)")
        self._tx_used += 4
        st = self._tx_state
        if st == _TX_IDLE:
            self._tx_cmd_a = value
            if value & 0x031F0000:
                raise AssertionError("LAN9118 model: TX data start offset/end alignment "
                                     "not modelled")
            first = value & 0x2000
            if first and self._tx_in_frame:
                raise AssertionError("LAN9118: TX command A with FIRST_SEG inside a frame "
                                     "(previous segment had no LAST_SEG)")
            if not first and not self._tx_in_frame:
                raise AssertionError("LAN9118: TX command A without FIRST_SEG at a frame start")
            self._tx_bufsize = value & 0x7FF
            if self._tx_bufsize == 0:
                raise AssertionError("LAN9118: TX command A with buffer size 0")
            self._tx_state = _TX_B
            return
        if st == _TX_B:
            pktlen = value & 0x7FF
            if not self._tx_in_frame:
                self._tx_pktlen = pktlen
                self._tx_tag = (value >> 16) & 0xFFFF
                self._tx_len = 0
                self._tx_in_frame = True
            elif pktlen != self._tx_pktlen:
                raise AssertionError("LAN9118: TX command B packet length changed mid-frame")
            self._tx_words = (self._tx_bufsize + 3) >> 2
            self._tx_state = _TX_DATA
            return
        # data word: up to 4 bytes of this buffer, little-endian
        take = self._tx_bufsize if self._tx_bufsize < 4 else 4
        if self._tx_len + take > self._tx_pktlen:
            raise AssertionError("LAN9118: TX data beyond command B packet length")
        f = self._txframe
        i = self._tx_len
        for k in range(take):
            f[i + k] = (value >> (8 * k)) & 0xFF
        self._tx_len += take
        self._tx_bufsize -= take
        self._tx_words -= 1
        if self._tx_words:
            return
        self._tx_state = _TX_IDLE
        if self._tx_cmd_a & 0x80000000:
            self.int_sts |= INT_TX_IOC
        if not self._tx_cmd_a & 0x1000:  # more segments follow
            return
        if self._tx_len != self._tx_pktlen:
            raise AssertionError("LAN9118: TX segments add up to %d bytes, command B said %d"
                                 % (self._tx_len, self._tx_pktlen))
        self._tx_in_frame = False
        if not (self.tx_cfg & 2 and self.mac_cr & MAC_CR_TXEN):
            raise AssertionError("LAN9118: frame queued with the transmitter off "
                                 "(TX_CFG.TX_ON and MAC_CR.TXEN)")
        used = self._tx_used
        self._tx_used = 0
        if self.tx_hold:
            k = self._held_slot()
            if not self._held.put(f, 0, self._tx_len):
                raise AssertionError("LAN9118 model: too many held frames")
            self._held_bytes[k] = used
            self._held_tags[k] = self._tx_tag
            self._held_bytes_total += used
            return
        self._transmit(f, self._tx_len, self._tx_tag)

    def _held_slot(self):
        k = self._held.head + self._held.count
        if k >= len(self._held.bufs):
            k -= len(self._held.bufs)
        return k

    def _transmit(self, f, n, tag):
        if self._txs_used == TX_STATUS_SLOTS:
            if not self.tx_cfg & 4:      # TXSAO
                raise AssertionError("LAN9118: TX status FIFO full: pop TX status words "
                                     "(TX_FIFO_INF.TXSUSED) or set TX_CFG.TXSAO")
        status = tag << 16
        if self.tx_error_next:
            status |= self.tx_error_next | TXS_ES
            self.tx_error_next = 0
        else:
            if n < 60:                   # auto-pad (command B DISABLE_PADDING not set)
                for i in range(n, 60):
                    f[i] = 0
                n = 60
            self.wire_out.put(f, 0, n)
        if self._txs_used < TX_STATUS_SLOTS:
            k = self._txs_head + self._txs_used
            if k >= TX_STATUS_SLOTS:
                k -= TX_STATUS_SLOTS
            self._txs[k] = status
            self._txs_used += 1
        else:
            self.int_sts |= 1 << 16      # TXSO: status lost

    def release_tx(self):
        """Send the frames held while tx_hold was set."""
        self.tx_hold = False
        scratch = bytearray(2048)
        while self._held.count:
            k = self._held.head
            used = self._held_bytes[k]
            tag = self._held_tags[k]
            n = self._held.get_into(scratch)
            self._held_bytes_total -= used
            self._transmit(scratch, n, tag)
        self._update_irq()

    def _tx_status_pop(self):
        if self._txs_used == 0:
            raise AssertionError("LAN9118: read of the empty TX status FIFO")
        v = self._txs[self._txs_head]
        self._txs_head += 1
        if self._txs_head == TX_STATUS_SLOTS:
            self._txs_head = 0
        self._txs_used -= 1
        return v

    # --- test helpers --------------------------------------------------------

    def mac_address(self):
        return bytes(self._mac)

    def irq_asserted(self):
        return bool(self.int_sts & self.int_en) and bool(self.irq_cfg & 0x100)
