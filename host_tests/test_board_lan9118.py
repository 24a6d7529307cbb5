# runtimes: cpython unix
# The LAN9118 driver (boards/lan9118) against the register-level model in
# chips/lan9118.py: bring-up, MAC address, PHY over MII, FIFOs byte-exact,
# wraparound, error statuses, interrupt and poll modes, allocation-free
# per-frame paths, signed mem32 values, and two smolnet Interfaces talking
# through the modelled chip: ARP, ping, UDP, and TCP bulk transfers both ways
# (poll mode, interrupt-driven, RX FIFO overflow, 5% loss, heap locked).
import sys

import board_scenario as scenario
from chips import Flag, membus
from support import raises
from chips.lan9118 import (LAN9118Model, RXS_CRC, TXS_EXCESS_COLL,
                           MAC_CR_FDPX, MAC_CR_PRMS, MAC_CR_RXEN, MAC_CR_TXEN,
                           MAC_CR_MCPAS)

BASE = 0x40200000
MAC = b"\x02\x00\x00\x11\x91\x18"
PEER = b"\x02\x00\x00\x22\x22\x22"


def _setup(irq=None, **kw):
    m = membus.install()
    model = LAN9118Model(base=BASE, irq_pin=irq, **kw)
    from boards.lan9118 import LAN9118
    nic = LAN9118(base=BASE, irq=m.Pin(irq) if irq else None)
    return model, nic


CHIP = scenario.MemChip(_setup, MAC, PEER, "LAN_IRQ", "rx_dropped", 13)
_frame = CHIP.frame


def test_bring_up_checks_ids_and_keeps_eeprom_mac():
    model, nic = _setup()
    assert nic.chip_id == 0x0118
    assert nic.mac == MAC
    cr = model.mac_cr
    assert cr & MAC_CR_TXEN and cr & MAC_CR_RXEN and cr & MAC_CR_MCPAS
    assert not cr & MAC_CR_PRMS           # reset value was promiscuous
    assert model.tx_cfg & 2               # TX_ON
    assert nic.mtu == 1514 and nic.medium == 1 and nic.poll_obj is None


def test_programmed_mac_reaches_addrh_addrl():
    membus.install()
    model = LAN9118Model(base=BASE)
    from boards.lan9118 import LAN9118
    mine = b"\x02\x12\x34\xfe\xdc\xba"    # ADDRL has bit 31 set: signed read
    nic = LAN9118(base=BASE, mac=mine)
    assert model.mac_address() == mine and nic.mac == mine


def test_no_eeprom_and_no_mac_is_an_error():
    membus.install()
    LAN9118Model(base=BASE, mac=None)
    from boards.lan9118 import LAN9118
    assert raises(ValueError, LAN9118, BASE)
    membus.install()
    LAN9118Model(base=BASE, mac=None)
    nic = LAN9118(base=BASE, mac=MAC)
    assert nic.mac == MAC


class _Swapped:
    # a bus where BYTE_TEST comes back 16-bit swapped: wrong bus set-up
    def read(self, off, width):
        return 0x43218765

    def write(self, off, width, value):
        raise AssertionError("driver wrote to a chip it did not identify")


def test_byte_test_mismatch_is_enodev():
    membus.install()
    import fakemachine
    fakemachine.map_region(BASE, 0x100, _Swapped())
    from boards.lan9118 import LAN9118
    assert raises(OSError, LAN9118, base=BASE).args[0] == 19


def test_soft_reset_is_polled():
    model, nic = _setup(reset_reads=5, ready_reads=3)
    assert nic.chip_id == 0x0118         # driver waited through READY and SRST


def test_link_and_duplex_follow_the_phy():
    model, nic = _setup()
    assert nic.link_up()
    assert model.mac_cr & MAC_CR_FDPX     # partner offers 100 full
    model.phy.set_link(False)
    assert not nic.link_up()
    model.phy.partner = 0x00A1            # 100/10 half duplex only
    model.phy.set_link(True)
    assert nic.link_up()
    assert not model.mac_cr & MAC_CR_FDPX
    from boards.common import mdio
    assert mdio.phy_id(nic, 1) == 0x0007C0C1
    assert mdio.phy_id(nic, 5) == 0xFFFFFFFF   # nobody at address 5


def test_rx_byte_exact_all_tail_lengths():
    model, nic = _setup()
    buf = bytearray(1514)
    for n in (60, 61, 62, 63, 64, 65, 100, 1513, 1514):
        f = _frame(n, seed=n)
        assert model.wire_in(f, n)
        got = nic.recv_into(buf)
        assert got == n
        assert buf[:n] == f
    assert nic.recv_into(buf) == 0
    assert nic.rx_frames == 9


def test_short_frames_arrive_padded():
    model, nic = _setup()
    buf = bytearray(1514)
    f = _frame(42)
    model.wire_in(f, 42)
    assert nic.recv_into(buf) == 60
    assert buf[:42] == f and buf[42:60] == bytes(18)


def test_tx_byte_exact_and_padding():
    model, nic = _setup()
    for n in (14, 42, 59, 60, 61, 62, 63, 1514):
        f = _frame(n, seed=n, dst=PEER)
        assert nic.send(f, n)
        out = model.wire_out.pop()
        if n < 60:
            assert out == bytes(f) + bytes(60 - n)
        else:
            assert out == bytes(f)
    assert model.wire_out.pop() is None
    assert nic.tx_frames == 8
    assert raises(ValueError, nic.send, bytearray(1600), 1515)


def test_many_frames_wrap_fifos_both_ways():
    model, nic = scenario.mem_many_frames(CHIP, 37, 1)
    assert model.rx_dropped == 0


def test_rx_ring_contents_survive_wrap():
    model, nic = _setup()
    buf = bytearray(1514)
    frames = []
    for k in range(5):                   # 5 x 1514 bytes: ~3/4 of the RX FIFO
        frames.append(_frame(1514, seed=k))
    for rnd in range(4):
        for f in frames:
            assert model.wire_in(f, 1514)
        for f in frames:
            assert nic.recv_into(buf) == 1514 and buf == f


def test_error_status_is_a_counted_drop():
    model, nic = _setup()
    buf = bytearray(1514)
    bad = _frame(100, seed=3)
    good = _frame(200, seed=4)
    model.wire_in(bad, 100, errors=RXS_CRC)
    model.wire_in(good, 200)
    assert nic.recv_into(buf) == 200 and buf[:200] == good
    assert nic.rx_errors == 1 and nic.rx_frames == 1
    assert nic.recv_into(buf) == 0


def test_frame_larger_than_buffer_is_dropped_not_truncated():
    model, nic = _setup()
    small = bytearray(100)
    model.wire_in(_frame(500), 500)
    model.wire_in(_frame(80, seed=9), 80)
    assert nic.recv_into(small) == 80 and small[:80] == _frame(80, seed=9)
    assert nic.rx_too_long == 1


def test_full_tx_fifo_refuses_then_recovers():
    # 4608-byte TX data FIFO: 4 x (1000 + 8)
    model, nic = scenario.mem_tx_full_refuses_then_recovers(CHIP, 1000, 4)
    assert nic.send(_frame(1000, dst=PEER), 1000)


def test_tx_status_errors_are_counted():
    model, nic = _setup()
    model.tx_error_next = TXS_EXCESS_COLL
    f = _frame(100, dst=PEER)
    assert nic.send(f, 100)              # the status arrives later
    assert model.wire_out.pop() is None  # that frame never made it out
    assert nic.send(f, 100)
    assert nic.tx_errors == 1
    assert model.wire_out.pop() == bytes(f)


def test_tx_status_words_never_pile_up():
    model, nic = _setup()
    f = _frame(60, dst=PEER)
    for _ in range(300):                 # more than the 128-entry status FIFO
        assert nic.send(f, 60)
        model.wire_out.pop()


def test_interrupt_sets_flag_and_is_acknowledged():
    scenario.mem_interrupt_sets_flag_and_is_acknowledged(CHIP)


def test_poll_mode_needs_no_interrupt():
    model, nic = scenario.mem_poll_mode_needs_no_interrupt(CHIP)
    assert model.int_en == 0 and not model.irq_cfg & 0x100


def test_words_with_bit31_set_are_byte_exact():
    # every FIFO word of these frames is >= 0x80000000: signed mem32 reads
    model, nic = _setup()
    buf = bytearray(1514)
    f = bytearray(b"\xff" * 6 + bytes(PEER)) + bytearray(b"\x86\xdd") + bytearray(b"\xfe\x80\xc0\xff" * 20)
    model.wire_in(f, len(f))
    assert nic.recv_into(buf) == len(f) and buf[:len(f)] == f
    assert nic.send(f, len(f))
    assert model.wire_out.pop() == bytes(f)


def test_per_frame_paths_do_not_allocate():
    scenario.mem_per_frame_paths_do_not_allocate(CHIP)


def _raw(off):
    import machine
    return machine.mem32[BASE + off]


def _raw_w(off, v):
    import machine
    machine.mem32[BASE + off] = v


def test_model_catches_driver_mistakes():
    model, nic = _setup()
    import machine
    assert raises(AssertionError, _raw, 0x00)            # RX data without a status
    assert raises(AssertionError, _raw, 0x40)            # empty RX status FIFO
    assert raises(AssertionError, _raw, 0x48)            # empty TX status FIFO
    assert raises(AssertionError, _raw_w, 0x50, 0)       # ID_REV is read-only
    assert raises(AssertionError, _raw, 0x20)            # TX data port is write-only
    assert raises(AssertionError, machine.mem16.__getitem__, BASE + 0x64)  # 16-bit
    model.wire_in(_frame(64), 64)
    model.wire_in(_frame(64), 64)
    _raw(0x40)                                           # status of frame 1 ...
    assert raises(AssertionError, _raw, 0x40)            # ... its data not read yet
    for _ in range(17):                                  # 64 + FCS = 17 words
        _raw(0x00)
    assert raises(AssertionError, _raw, 0x00)            # past the frame's end
    _raw_w(0x20, 0x3000 | 64)                            # cmd A, first+last, 64 bytes
    _raw_w(0x20, 60)                                     # cmd B says 60: inconsistent
    for _ in range(15):
        _raw_w(0x20, 0)
    assert raises(AssertionError, _raw_w, 0x20, 0)


def test_model_catches_forgotten_tx_status_pops():
    model, nic = _setup()
    for k in range(128):
        _raw_w(0x20, 0x3000 | 60)
        _raw_w(0x20, 60)
        for _ in range(15):
            _raw_w(0x20, 0)
    _raw_w(0x20, 0x3000 | 60)
    _raw_w(0x20, 60)
    for _ in range(14):
        _raw_w(0x20, 0)
    assert raises(AssertionError, _raw_w, 0x20, 0)


def test_fifo_twins_agree():
    # viper ptr32 loops (bare metal) against the mem32 twin, on the unix
    # port where viper compiles; the "FIFO" is one word of real memory.
    if sys.implementation.name != "micropython":
        return
    # the fake machine/uctypes first, as every test here has them: the
    # driver package binds `machine` when first imported (a shuffled run
    # may start here)
    membus.install()
    try:
        from boards.lan9118 import _fifo_viper as fv
    except (SyntaxError, ImportError):
        return
    from boards.lan9118 import _fifo_pure as fp
    # the real uctypes for an address, whatever fake an earlier test
    # installed (none when this test runs first)
    fake = sys.modules.pop("uctypes", None)
    try:
        import uctypes as real
        word = bytearray(b"\x81\x92\xa3\xb4")
        port = real.addressof(word)
    finally:
        if fake is not None:
            sys.modules["uctypes"] = fake
        else:
            sys.modules.pop("uctypes", None)

    class One:
        # a FIFO port backed by the same word the viper twin sees
        def read(self, off, width):
            return word[0] | word[1] << 8 | word[2] << 16 | word[3] << 24

        def write(self, off, width, value):
            self.last = value

    membus.install()
    import fakemachine
    one = One()
    fakemachine.map_region(BASE, 4, one)
    for n in (0, 1, 2, 3, 4, 5, 7, 8, 61):
        a = bytearray(64)
        b = bytearray(64)
        fv.read(port, a, n)
        fp.read(BASE, b, n)
        assert a == b
        src = bytearray((i * 29 + n) & 0xFF for i in range(64))
        if n:
            fv.write(port, src, n)
            fp.write(BASE, src, n)
            assert (word[0] | word[1] << 8 | word[2] << 16 | word[3] << 24) == one.last


def test_two_interfaces_through_the_modelled_chip():
    model, nic, a, b = scenario.mem_two_interfaces(CHIP)
    assert nic.rx_too_long == 0
    assert a.stats.rx_frames == nic.rx_frames


def test_two_interfaces_with_interrupt_flag():
    scenario.mem_two_interfaces_with_interrupt_flag(CHIP)


# --- end to end over TCP: bulk data both ways at once, hash-compared --------
# (board_scenario's TCP scenarios: Interface A over the driver, B over the
# far end of the cable, a fake clock skipping idle time)

def test_tcp_both_ways_poll_mode():
    # 1 MB each way through the RX/TX data and status FIFOs
    from chips.e2e import MB
    scenario.mem_tcp_poll_mode(CHIP, MB)


def test_tcp_woken_by_interrupt():
    # every frame that reached the RX FIFO was announced by an interrupt edge
    from chips.e2e import KB
    model, nic = _setup(irq=CHIP.irq)
    flag = Flag()
    nic.attach_flag(flag)
    pair, p = scenario.tcp_woken_by_interrupt(nic, CHIP.peer(model), 512 * KB, flag,
                                              wakeups=50)
    assert p.b.retransmits == 0 and nic.rx_errors == 0
    assert not model.irq_asserted()


def test_tcp_through_fault_injector():
    from chips.e2e import KB
    model, nic = scenario.mem_tcp_through_fault_injector(CHIP, 256 * KB, 10)
    assert model.rx_dropped == 0


def test_tcp_segments_do_not_allocate():
    # 4 x 32 KB each way with the heap locked (viper FIFO loops on
    # MicroPython, model and interrupt included)
    from chips.e2e import KB
    scenario.mem_tcp_segments_do_not_allocate(CHIP, 32 * KB)


def test_tcp_through_rx_fifo_overflow():
    # the RX data FIFO overflows (RX_DROP counts), the status and data
    # FIFOs stay in step
    model, nic = _setup(irq=CHIP.irq)
    flag = Flag()
    nic.attach_flag(flag)
    pair, p = scenario.tcp_through_rx_overflow(nic, CHIP.peer(model), flag)
    assert model.rx_dropped > 0 and nic.rx_errors == 0


def test_counters_of_the_device_contract():
    scenario.mem_contract_counters(CHIP)
