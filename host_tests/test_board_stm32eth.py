# runtimes: cpython unix
# The STM32F4/F7 ETH driver (boards/stm32eth) against the register and
# DMA-descriptor model in chips/stm32eth.py: reset, clocks and RMII
# bring-up, MAC address, PHY over MDIO, rings byte-exact with wraparound,
# OWN handoff, error statuses, interrupt and poll modes, allocation-free
# per-frame paths, and two smolnet Interfaces through the modelled MAC:
# ARP, ping, UDP, and TCP bulk transfers both ways (poll mode,
# interrupt-driven through full rx rings, 5% loss, heap locked).
from chips import membus
from chips.membus import raises
from chips.stm32eth import (STM32EthModel, Stm32SysModel, RDES0_CE, TDES0_EC,
                            MACCR_TE, MACCR_RE, MACCR_DM, MACCR_FES, MACFFR_PAM)

BASE = 0x40028000
MAC = b"\x02\x00\x00\x32\xf7\x67"
PEER = b"\x02\x00\x00\x22\x22\x22"


class Flag:
    def __init__(self):
        self.count = 0

    def set(self):
        self.count += 1

    def clear(self):
        self.count = 0


def _frame(n, seed=1, dst=MAC):
    f = bytearray(n)
    f[0:6] = dst
    f[6:12] = PEER
    f[12] = 0x08
    f[13] = 0x00
    for i in range(14, n):
        f[i] = (i * 11 + seed) & 0xFF
    return f


def _setup(irq=None, mac=MAC, model_kw=None, **kw):
    m = membus.install()
    model = STM32EthModel(base=BASE, irq_pin=irq, **(model_kw or {}))
    from boards.stm32eth import STM32ETH
    nic = STM32ETH(base=BASE, mac=mac, irq=m.Pin(irq) if irq else None, **kw)
    return model, nic


def test_bring_up_programs_mac_filter_and_dma():
    model, nic = _setup()
    assert model.mac_address() == MAC and nic.mac == MAC
    assert model.macffr == MACFFR_PAM
    assert model.maccr & (MACCR_TE | MACCR_RE) == MACCR_TE | MACCR_RE
    assert model._rx_running and model._tx_running
    assert model.dmaomr & (1 << 25) and model.dmaomr & (1 << 21)   # RSF, TSF
    assert nic.mtu == 1514 and nic.medium == 1 and nic.poll_obj is None


def test_mac_from_unique_id_or_error():
    m = membus.install()
    STM32EthModel(base=BASE)
    from boards.stm32eth import STM32ETH
    assert raises(ValueError, STM32ETH, BASE)          # the fake has no unique_id
    m = membus.install()
    m.unique_id = lambda: b"\x31\x00\x2a\x00\x0f\x51\x34\x37\x33\x39\x38\x31"
    model = STM32EthModel(base=BASE)
    nic = STM32ETH(base=BASE)
    assert nic.mac[0] == 0x02 and len(nic.mac) == 6
    assert model.mac_address() == nic.mac
    del m.unique_id


def test_missing_ref_clock_times_out():
    membus.install()
    STM32EthModel(base=BASE, refclk=False)
    from boards.stm32eth import STM32ETH
    try:
        STM32ETH(base=BASE, mac=MAC, timeout=50)
        assert False, "no error"
    except OSError as e:
        assert e.args[0] == 110


def test_board_setup_order_clocks_and_pins():
    m = membus.install()
    sysm = Stm32SysModel()
    model = STM32EthModel(base=BASE, clocks=sysm)
    from boards.stm32eth import STM32ETH, board
    assert raises(AssertionError, m.mem32.__getitem__, BASE)  # clocks still off
    board.enable_rmii()
    assert sysm.pmc & (1 << 23) and sysm.eth_clocked()
    assert sysm.gpio[0x08] & (3 << 2)                 # PA1 very high speed
    assert m.Pin("G13")._mode == m.Pin.ALT
    STM32ETH(base=BASE, mac=MAC)
    assert model.mac_address() == MAC


def test_board_model_rejects_clocks_before_rmii_select():
    m = membus.install()
    Stm32SysModel()
    m.mem32[0x40023800 + 0x10] = 1 << 25              # MAC in reset
    assert raises(AssertionError, m.mem32.__setitem__, 0x40023800 + 0x30, 7 << 25)


def test_link_speed_and_duplex_follow_the_phy():
    model, nic = _setup()
    assert nic.link_up()
    assert model.maccr & MACCR_FES and model.maccr & MACCR_DM
    model.phy.set_link(False)
    assert not nic.link_up()
    model.phy.partner = 0x0021                         # 10 Mbit/s half duplex only
    model.phy.set_link(True)
    assert nic.link_up()
    assert not model.maccr & (MACCR_FES | MACCR_DM)
    from boards.common import mdio
    assert mdio.phy_id(nic, 0) == 0x0007C131           # LAN8742A
    assert mdio.phy_id(nic, 1) == 0xFFFFFFFF


def test_rx_tx_byte_exact():
    model, nic = _setup()
    buf = bytearray(1514)
    for n in (60, 61, 62, 63, 64, 100, 1513, 1514):
        f = _frame(n, seed=n)
        assert model.wire_in(f, n)
        assert nic.recv_into(buf) == n and buf[:n] == f
        g = _frame(n, seed=n + 1, dst=PEER)
        assert nic.send(g, n)
        assert model.wire_out.pop() == bytes(g)
    model.wire_in(_frame(42), 42)
    assert nic.recv_into(buf) == 60 and buf[42:60] == bytes(18)   # padded on the wire
    assert nic.send(_frame(42, dst=PEER), 42)
    assert model.wire_out.pop() == bytes(_frame(42, dst=PEER)) + bytes(18)
    assert nic.recv_into(buf) == 0
    assert raises(ValueError, nic.send, bytearray(1600), 1515)


def test_many_frames_wrap_the_rings():
    model, nic = _setup(rx_slots=4, tx_slots=3)
    buf = bytearray(1514)
    got = 0
    for k in range(600):
        n = 60 + (k * 53) % 1455
        f = _frame(n, seed=k)
        assert model.wire_in(f, n)
        if k % 3 == 2:
            while True:
                r = nic.recv_into(buf)
                if not r:
                    break
                got += 1
        g = _frame(n, seed=k + 7, dst=PEER)
        assert nic.send(g, n)
        assert model.wire_out.pop() == bytes(g)
    while nic.recv_into(buf):
        got += 1
    assert got == 600 and model.rx_missed == 0


def test_full_rx_ring_misses_then_resumes():
    model, nic = _setup(rx_slots=4)
    buf = bytearray(1514)
    for k in range(6):
        model.wire_in(_frame(100, seed=k), 100)
    assert model.rx_missed == 2 and model.mfc == 2
    for k in range(4):
        assert nic.recv_into(buf) == 100 and buf[:100] == _frame(100, seed=k)
    assert nic.recv_into(buf) == 0
    assert model.wire_in(_frame(100, seed=9), 100)     # poll demand resumed RX
    assert nic.recv_into(buf) == 100 and buf[:100] == _frame(100, seed=9)


def test_error_frames_dropped_in_fifo_or_counted():
    model, nic = _setup()
    buf = bytearray(1514)
    model.wire_in(_frame(100), 100, errors=RDES0_CE)   # store-and-forward drops it
    assert model.rx_fifo_dropped == 1 and model.mmc_rx_crc == 1
    model.wire_in(_frame(100), 100, errors=RDES0_CE, to_descriptor=True)
    model.wire_in(_frame(200, seed=5), 200)
    assert nic.recv_into(buf) == 200 and buf[:200] == _frame(200, seed=5)
    assert nic.rx_errors == 1 and nic.rx_frames == 1


def test_oversized_frames_are_dropped_whole():
    model, nic = _setup()
    buf = bytearray(1514)
    model.wire_in(_frame(2000), 2000)                  # spans two 1536-byte buffers
    model.wire_in(_frame(90, seed=3), 90)
    assert nic.recv_into(buf) == 90 and buf[:90] == _frame(90, seed=3)
    assert nic.rx_too_long == 1
    small = bytearray(64)
    model.wire_in(_frame(65), 65)
    model.wire_in(_frame(64, seed=4), 64)
    assert nic.recv_into(small) == 64 and small == _frame(64, seed=4)
    assert nic.rx_too_long == 2


def test_tx_ring_full_refuses_then_recovers():
    model, nic = _setup(tx_slots=4)
    model.tx_hold = True
    sent = []
    k = 0
    while nic.send(_frame(200, seed=k, dst=PEER), 200):
        sent.append(bytes(_frame(200, seed=k, dst=PEER)))
        k += 1
    assert len(sent) == 4 and nic.tx_full == 1
    model.release_tx()
    for f in sent:
        assert model.wire_out.pop() == f
    assert nic.send(_frame(60, dst=PEER), 60)
    assert model.wire_out.pop() == bytes(_frame(60, dst=PEER))


def test_tx_error_counted_when_the_slot_comes_round():
    model, nic = _setup(tx_slots=2)
    model.tx_error_next = TDES0_EC
    f = _frame(100, dst=PEER)
    assert nic.send(f, 100)
    assert model.wire_out.pop() is None
    assert nic.send(f, 100)
    assert nic.tx_errors == 0
    assert nic.send(f, 100)                            # slot 0 again
    assert nic.tx_errors == 1


def test_interrupt_sets_flag_and_is_acknowledged():
    model, nic = _setup(irq="ETH_IRQ")
    flag = Flag()
    nic.attach_flag(flag)
    buf = bytearray(1514)
    model.wire_in(_frame(64), 64)
    assert flag.count == 1 and model.irq_asserted()
    model.wire_in(_frame(65), 65)
    assert flag.count == 1
    assert nic.recv_into(buf) == 64 and nic.recv_into(buf) == 65
    assert nic.recv_into(buf) == 0 and not model.irq_asserted()
    model.wire_in(_frame(66), 66)
    assert flag.count == 2
    nic.close()
    assert not model.irq_asserted()


def test_poll_mode_needs_no_interrupt():
    model, nic = _setup()
    assert raises(ValueError, nic.attach_flag, Flag())
    assert model.dmaier == 0
    buf = bytearray(1514)
    model.wire_in(_frame(300), 300)
    assert nic.recv_into(buf) == 300


def test_signed_values_and_high_mac_bytes():
    mac = b"\x02\xff\xee\xdd\xcc\xbb"                  # MACA0LR = 0xddeeff02
    model, nic = _setup(mac=mac)
    assert model.mac_address() == mac
    import machine
    assert machine.mem32[BASE + 0x40] < 0              # MO bit reads back signed
    buf = bytearray(1514)
    f = bytearray(mac) + bytearray(PEER) + b"\x86\xdd" + b"\xff\xfe\x80\xc0" * 30
    model.wire_in(f, len(f))
    assert nic.recv_into(buf) == len(f) and buf[:len(f)] == f


def test_rings_carved_from_a_given_dma_region():
    membus.install()
    model = STM32EthModel(base=BASE)
    from boards.stm32eth import STM32ETH
    region = bytearray(STM32ETH.dma_size(4, 4, 1536))
    nic = STM32ETH(base=BASE, mac=MAC, dma=region)
    buf = bytearray(1514)
    f = _frame(500)
    model.wire_in(f, 500)
    assert nic.recv_into(buf) == 500 and buf[:500] == f
    assert region[:500] == f                           # the DMA wrote into the region
    assert nic.send(f, 500) and model.wire_out.pop() == bytes(f)
    assert raises(ValueError, STM32ETH, BASE, MAC, 0, None, 4, 4, 1536, 4, bytearray(100))


def _rounds(st, count):
    model, nic, f, g, buf, res = st
    ok = 0
    for _ in range(count):
        model.wire_in(f, 300)
        if nic.recv_into(buf) == 300:
            ok += 1
        if nic.send(g, 301):
            ok += 1
        model.wire_out.get_into(buf)
    res[0] = ok


def test_per_frame_paths_do_not_allocate():
    model, nic = _setup()
    buf = bytearray(1514)
    res = [0]
    st = (model, nic, _frame(300), _frame(301, dst=PEER), buf, res)
    _rounds(st, 20)                                    # warm-up: every descriptor seen
    membus.heap_locked(lambda: _rounds(st, 300))
    assert res[0] == 600 and buf[:301] == st[3]


def test_model_catches_driver_mistakes():
    model, nic = _setup()
    import machine
    nic._rxd[3] = 0                                    # steal descriptor 0 back
    assert raises(AssertionError, model.wire_in, _frame(64), 64)
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x100C, 0x20000000)
    machine.mem32[BASE + 0x10] = (5 << 6) | (4 << 2) | 1     # MDIO read started
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x10, 1)
    assert raises(AssertionError, machine.mem16.__getitem__, BASE + 0x1014)
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x1048, 0)  # RO
    assert raises(AssertionError, machine.mem32.__getitem__, BASE + 0x700)     # PTP


def test_model_catches_tx_descriptor_without_fs():
    model, nic = _setup()
    import machine
    d = nic._txd
    d[4] = 60
    d[3] = 0xA0                                        # OWN | LS, no FS
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x1004, 0)


def test_two_interfaces_through_the_modelled_mac():
    model, nic = _setup()
    peer = membus.PeerDevice(model, PEER)
    a, b = membus.two_interfaces(nic, peer)
    assert nic.rx_errors == 0 and nic.tx_full == 0 and model.rx_missed == 0


def test_two_interfaces_with_interrupt_flag():
    model, nic = _setup(irq="ETH_IRQ")
    flag = Flag()
    nic.attach_flag(flag)
    membus.two_interfaces(nic, membus.PeerDevice(model, PEER), rounds=2)
    assert flag.count > 0 and not model.irq_asserted()


# --- end to end over TCP: bulk data both ways at once, hash-compared --------
# (chips/e2e.py TcpPump through membus.tcp_both_ways: Interface A over the
# driver, B over the far end of the cable, a fake clock skipping idle time)

def test_tcp_both_ways_poll_mode():
    # 1 MB each way; 8 rx descriptors take the peer's bursts (tx_burst 8):
    # not a frame lost, not a segment sent twice
    from chips.e2e import MB
    model, nic = _setup(rx_slots=8)
    pair, p, _ = membus.tcp_both_ways(nic, membus.PeerDevice(model, PEER), MB)
    assert p.a.retransmits == 0 and p.b.retransmits == 0
    assert pair.a.stats.drops() == 0 and pair.b.stats.drops() == 0
    assert model.rx_missed == 0 and model.wire_out.dropped == 0
    assert nic.rx_errors == 0 and nic.rx_too_long == 0 and nic.tx_errors == 0
    assert nic.tx_full == 0 and pair.a.stats.tx_device_full == 0


def test_tcp_woken_by_interrupt_through_full_rings():
    # the default 4 rx descriptors: the peer's bursts find the ring full
    # (frames missed, counted by the model), reception must resume each
    # time, and A, polled only when the IRQ set the flag, a timer is due or
    # the application queued data (smolnet.aio's Driver with attach_irq),
    # finds no frame the interrupt did not announce
    from chips.e2e import MB
    model, nic = _setup(irq="ETH_IRQ")
    flag = Flag()
    nic.attach_flag(flag)
    pair, p, _ = membus.tcp_both_ways(nic, membus.PeerDevice(model, PEER), MB, flag=flag)
    assert model.rx_missed > 0 and p.b.retransmits > 0
    assert p.wakeups > 100 and p.unannounced == 0
    assert p.a.retransmits == 0 and pair.a.stats.drops() == 0
    assert nic.rx_errors == 0 and nic.tx_full == 0
    assert not model.irq_asserted()


def test_tcp_through_fault_injector():
    # 5% of the far end's frames lost each way: retransmissions (fast
    # retransmit with SACK, RTO) all travel through the driver
    from chips.e2e import KB
    model, nic = _setup()
    pair, p, fi = membus.tcp_both_ways(nic, membus.PeerDevice(model, PEER), 512 * KB,
                                       faults=dict(drop_chance=5, seed=5))
    assert fi.dropped > 20
    assert p.a.retransmits > 0 and p.b.retransmits > 0
    assert pair.a.stats.drops() == 0 and nic.rx_errors == 0


def test_tcp_segments_do_not_allocate():
    # after a warm-up transfer, 4 x 64 KB more each way with the heap locked
    # around the whole loop: TCP, both Interfaces, driver, descriptor model,
    # interrupt
    from chips.e2e import Pair, TcpPump, heap_locked_segments, KB
    model, nic = _setup(irq="ETH_IRQ")
    flag = Flag()
    nic.attach_flag(flag)
    pair = Pair(nic, membus.PeerDevice(model, PEER))
    p = TcpPump(pair.a, pair.b, 64 * KB, flag=flag, hashing=False)
    p.run(20000)
    assert p.done() and p.bad == 0
    heap_locked_segments(p, 64 * KB, 4)
    assert p.ra == 320 * KB and p.rb == 320 * KB and p.unannounced == 0
