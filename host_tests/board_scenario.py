# The scenarios every board driver's test runs, once: each per-chip test
# (test_board_<chip>.py) builds its driver on its register-level chip model
# (host_tests/chips/) and calls these with it, then adds what only its chip
# has (a model's own counters and registers). Portable: CPython and the
# MicroPython unix port, like the tests that call them.
#
#   Device contract, every driver
#     contract_counters(nic)          the counters of smolnet/phy/device.py
#     no_counted_drops(nic)           ... all still 0
#   End to end, every driver (chips/e2e.py's Interfaces on both ends of
#   the cable; nic the driver, peer the Device at the cable's far end)
#     tcp_poll_mode, tcp_woken_by_interrupt, tcp_through_fault_injector,
#     tcp_segments_do_not_allocate, tcp_through_rx_overflow
#   The SPI chips (W5500, ENC28J60: a chips.wire.Wire between model and
#   peer, the model's clock counted in SPI transactions: `clock(nic)` lets
#   it run)
#     spi_mac_from_unique_id, spi_absent_chip_is_a_clear_error, spi_rx_tx_byte_exact, spi_interrupt_sets_flag_on_rx,
#     spi_poll_mode_without_interrupt, spi_link_status,
#     arp_ping_udp, arp_ping_udp_with_interrupt, udp_does_not_allocate
#   The memory-mapped chips (LAN9118, STM32 ETH, NXP ENET), described by a
#   MemChip: frames go in with model.wire_in and come out of model.wire_out
#     mem_rx_tx_byte_exact, mem_many_frames, mem_oversized_frames_dropped_whole,
#     mem_tx_full_refuses_then_recovers, mem_interrupt_sets_flag_and_is_acknowledged,
#     mem_poll_mode_needs_no_interrupt, mem_per_frame_paths_do_not_allocate,
#     mem_two_interfaces, mem_two_interfaces_with_interrupt_flag,
#     mem_contract_counters, mem_tcp_poll_mode, mem_tcp_through_full_rings,
#     mem_tcp_through_fault_injector, mem_tcp_segments_do_not_allocate
from chips import Flag
from chips.e2e import (Pair, TcpPump, full_check, heap_locked_segments, tcp_end_to_end,
                       two_interfaces, udp_exchange, udp_heap_locked, KB)
from support import heap_locked, raises

# smolnet/phy/device.py's "Counters:" list (test_board_counters.py holds
# the two together)
COUNTERS = ("rx_frames", "tx_frames", "rx_errors", "rx_too_long", "tx_full", "tx_errors")


# --- the Device contract --------------------------------------------------------

def contract_counters(nic):
    """Every counter of the contract is there, a plain int."""
    for name in COUNTERS:
        v = getattr(nic, name, None)
        assert isinstance(v, int), (type(nic).__name__, name, v)


def no_counted_drops(nic):
    """No frame dropped or refused on the driver's side: the contract's
    error counters are all 0."""
    assert nic.rx_errors == 0 and nic.rx_too_long == 0, (nic.rx_errors, nic.rx_too_long)
    assert nic.tx_errors == 0 and nic.tx_full == 0, (nic.tx_errors, nic.tx_full)


# --- end to end over TCP: bulk data both ways at once, hash-compared --------
# (chips/e2e.py TcpPump: Interface A over the driver, B over the far end of
# the cable, a fake clock that skips idle time). chip: ChipTime for the SPI
# models, whose time runs only while their driver talks to them.

def tcp_poll_mode(nic, peer, n, **opts):
    """n bytes each way, A polled every step: A never retransmits, no
    Interface drops, the driver never refused a frame. (pair, pump)."""
    pair, p, _ = tcp_end_to_end(nic, peer, n, **opts)
    assert p.a.retransmits == 0
    assert pair.a.stats.drops() == 0 and pair.b.stats.drops() == 0
    assert pair.a.stats.tx_device_full == 0
    return pair, p


def tcp_woken_by_interrupt(nic, peer, n, flag, chip=None, wakeups=100):
    """A polled only when the interrupt set `flag` (attached by the
    caller), a timer is due or the application queued data (smolnet.aio's
    Driver with attach_irq): more than `wakeups` interrupt polls, and no
    frame found that the interrupt did not announce. (pair, pump)."""
    pair, p, _ = tcp_end_to_end(nic, peer, n, flag=flag, chip=chip)
    assert p.wakeups > wakeups and p.unannounced == 0
    assert p.a.retransmits == 0 and pair.a.stats.drops() == 0
    return pair, p


def tcp_through_fault_injector(nic, peer, n, dropped):
    """5% of the far end's frames lost each way (more than `dropped`):
    retransmissions (fast retransmit with SACK, RTO) all travel through
    the driver. (pair, pump)."""
    pair, p, fi = tcp_end_to_end(nic, peer, n, faults=dict(drop_chance=5, seed=5))
    assert fi.dropped > dropped
    assert p.a.retransmits > 0 and p.b.retransmits > 0
    assert pair.a.stats.drops() == 0
    return pair, p


def tcp_segments_do_not_allocate(nic, peer, flag, chunk, chip=None):
    """After a 64 KB warm-up transfer, 4 x `chunk` more each way with the
    heap locked around the whole loop: TCP, both Interfaces, driver, model,
    interrupt (`flag`, attached by the caller)."""
    pair = Pair(nic, peer)
    p = TcpPump(pair.a, pair.b, 64 * KB, flag=flag, chip=chip, hashing=False)
    p.run(20000)
    assert p.done() and p.bad == 0
    heap_locked_segments(p, chunk, 4)
    want = 64 * KB + 4 * chunk
    assert p.ra == want and p.rb == want and p.unannounced == 0


def tcp_through_rx_overflow(nic, peer, flag, chip=None):
    """The far end sends up to 32 segments per poll into a 64 KB window:
    the chip's receive buffer overflows (the model drops and counts, TCP
    retransmits), and the interrupt still announces every frame that got
    in. (pair, pump)."""
    pair, p, _ = tcp_end_to_end(nic, peer, 512 * KB, flag=flag, chip=chip,
                                burst_b=32, rx=65535, tx=65535)
    assert p.b.retransmits > 0
    assert p.unannounced == 0 and p.a.retransmits == 0
    assert pair.a.stats.drops() == 0
    return pair, p


# --- the SPI chips ----------------------------------------------------------------

def spi_mac_from_unique_id(driver, model, derived, default):
    """driver(spi, cs) on model(0, "cs") without mac=: `derived` (hex) with
    machine.unique_id(), `default` without (pick_mac with the driver's
    template: the addresses boards had before the drivers shared it)."""
    from chips import fresh_machine
    for uid, want in ((bytes.fromhex("e6614103e7452b21"), derived), (None, default)):
        machine = fresh_machine()
        if uid is not None:
            machine.unique_id = lambda: uid
        try:
            model(0, "cs")
            nic = driver(machine.SPI(0), machine.Pin("cs"))
            assert nic.mac == bytes.fromhex(want), (nic.mac, want)
        finally:
            if uid is not None:
                del machine.unique_id


def spi_absent_chip_is_a_clear_error(driver, mac):
    """Nothing on the bus (MISO pulled down, then up): OSError(ENODEV)
    naming the chip, not a driver that seems to work."""
    from chips import AbsentChip, fresh_machine
    for level in (0x00, 0xFF):
        machine = fresh_machine()
        AbsentChip(0, "cs", level)
        e = raises(OSError, driver, machine.SPI(0), machine.Pin("cs"), mac=mac)
        assert e.errno == 19
        assert driver.__name__ in str(e)


def spi_rx_tx_byte_exact(nic, peer, mac, peer_mac, clock):
    from chips import make_frame
    buf = bytearray(1514)
    out = bytearray(1514)
    assert nic.recv_into(buf) == 0
    for n in (60, 61, 64, 127, 128, 129, 1000, 1514):
        f = make_frame(mac, peer_mac, n, n)
        assert peer.send(f, n)
        assert nic.recv_into(buf) == n
        assert buf[:n] == f
        assert nic.recv_into(buf) == 0
        g = make_frame(peer_mac, mac, n, n + 1)
        assert nic.send(g, n)
        clock(nic)          # the frame leaves once the chip has finished
        assert peer.recv_into(out) == n and out[:n] == g
    assert nic.rx_frames == 8 and nic.tx_frames == 8


def spi_interrupt_sets_flag_on_rx(nic, model, peer, flag, mac, peer_mac, clock):
    """`flag` attached by the caller: one edge per frame after a drain, the
    pin released once drained, none for tx, attach_flag(None) ends it."""
    from chips import make_frame
    assert nic.flag is flag and flag.count == 0
    buf = bytearray(1514)
    for k in range(5):
        f = make_frame(mac, peer_mac, 100 + k, k)
        peer.send(f, len(f))
        assert flag.count == 1, k
        flag.clear()
        assert nic.recv_into(buf) == len(f) and buf[:len(f)] == f
        assert nic.recv_into(buf) == 0
        assert model.int_pin.value() == 1       # released once drained
    nic.send(make_frame(peer_mac, mac, 60, 1), 60)
    clock(nic)
    assert flag.count == 0                      # no rx interrupt for tx
    # two frames before the task runs: one edge, both drained
    peer.send(make_frame(mac, peer_mac, 70, 1), 70)
    peer.send(make_frame(mac, peer_mac, 71, 2), 71)
    assert flag.count == 1
    assert nic.recv_into(buf) == 70 and nic.recv_into(buf) == 71
    assert nic.recv_into(buf) == 0
    nic.attach_flag(None)
    peer.send(make_frame(mac, peer_mac, 70, 1), 70)
    assert flag.count == 1


def spi_poll_mode_without_interrupt(nic, peer, mac, peer_mac):
    """No interrupt pin: a flag is kept but never set, frames still come."""
    from chips import make_frame
    flag = Flag()
    nic.attach_flag(flag)
    buf = bytearray(1514)
    for k in range(20):
        f = make_frame(mac, peer_mac, 60 + k * 50, k)
        peer.send(f, len(f))
        assert nic.recv_into(buf) == len(f) and buf[:len(f)] == f
    assert flag.count == 0


def spi_link_status(nic, wire):
    assert nic.link_up()
    wire.up = False
    assert not nic.link_up()
    wire.up = True
    assert nic.link_up()


def arp_ping_udp(nic, peer):
    """chips/e2e.full_check over the driver: ARP, ping and UDP both ways."""
    pair = Pair(nic, peer)
    full_check(pair)
    return pair


def arp_ping_udp_with_interrupt(nic, peer, rounds):
    """full_check with the driver's interrupt flag attached, then `rounds`
    more UDP rounds of large datagrams (the chip's buffers wrap)."""
    flag = Flag()
    nic.attach_flag(flag)
    pair = Pair(nic, peer)
    full_check(pair)
    assert flag.count > 0
    udp_exchange(pair, (1472, 1000, 1472), rounds=rounds)
    return pair


def udp_does_not_allocate(nic, peer):
    nic.attach_flag(Flag())
    udp_heap_locked(Pair(nic, peer))


# --- the memory-mapped chips ------------------------------------------------------

class MemChip:
    """A memory-mapped driver on its chip model, as its test describes it:
      setup(irq=None, **kw) -> (model, nic)   a fresh bus, model and driver
                                              (kw: the driver's, e.g. rx_slots)
      mac, peer_mac   the driver's and the far end's addresses
      irq        the interrupt pin's name
      missed     the model's counter of frames lost for want of room
                 ("rx_missed", "rx_dropped")
      mult       what the test frames' payload bytes step by"""

    def __init__(self, setup, mac, peer_mac, irq, missed, mult):
        self.setup = setup
        self.mac = mac
        self.peer_mac = peer_mac
        self.irq = irq
        self.missed = missed
        self.mult = mult

    def frame(self, n, seed=1, dst=None):
        """An n-byte IPv4-typed frame from peer_mac to dst (default: the
        driver), its payload a seed-dependent pattern."""
        f = bytearray(n)
        f[0:6] = self.mac if dst is None else dst
        f[6:12] = self.peer_mac
        f[12] = 0x08
        f[13] = 0x00
        for i in range(14, n):
            f[i] = (i * self.mult + seed) & 0xFF
        return f

    def peer(self, model):
        from chips.membus import PeerDevice
        return PeerDevice(model, self.peer_mac)

    def lost(self, model):
        return getattr(model, self.missed)


def mem_rx_tx_byte_exact(chip):
    """Every tail length both ways; a short frame padded on the wire."""
    model, nic = chip.setup()
    frame = chip.frame
    peer = chip.peer_mac
    buf = bytearray(1514)
    for n in (60, 61, 62, 63, 64, 100, 1513, 1514):
        f = frame(n, seed=n)
        assert model.wire_in(f, n)
        assert nic.recv_into(buf) == n and buf[:n] == f
        g = frame(n, seed=n + 1, dst=peer)
        assert nic.send(g, n)
        assert model.wire_out.pop() == bytes(g)
    model.wire_in(frame(42), 42)
    assert nic.recv_into(buf) == 60 and buf[42:60] == bytes(18)   # padded on the wire
    assert nic.send(frame(42, dst=peer), 42)
    assert model.wire_out.pop() == bytes(frame(42, dst=peer)) + bytes(18)
    assert nic.recv_into(buf) == 0
    assert raises(ValueError, nic.send, bytearray(1600), 1515)


def mem_many_frames(chip, step, seed_off, **kw):
    """600 frames of varied length each way, received in bursts of three:
    the rings (FIFOs) wrap many times. (model, nic)."""
    model, nic = chip.setup(**kw)
    frame = chip.frame
    buf = bytearray(1514)
    got = 0
    for k in range(600):
        n = 60 + (k * step) % 1455
        f = frame(n, seed=k)
        assert model.wire_in(f, n)
        if k % 3 == 2:                  # let frames queue up, then drain
            while True:
                r = nic.recv_into(buf)
                if not r:
                    break
                got += 1
        g = frame(n, seed=k + seed_off, dst=chip.peer_mac)
        assert nic.send(g, n)
        assert model.wire_out.pop() == bytes(g)
    while nic.recv_into(buf):
        got += 1
    assert got == 600 and nic.rx_frames == 600 and nic.tx_frames == 600
    return model, nic


def mem_oversized_frames_dropped_whole(chip):
    """A frame over one buffer, and one over the caller's buffer: each
    dropped whole and counted, the next one intact."""
    model, nic = chip.setup()
    frame = chip.frame
    buf = bytearray(1514)
    model.wire_in(frame(2000), 2000)                  # spans two buffers
    model.wire_in(frame(90, seed=3), 90)
    assert nic.recv_into(buf) == 90 and buf[:90] == frame(90, seed=3)
    assert nic.rx_too_long == 1
    small = bytearray(64)
    model.wire_in(frame(65), 65)
    model.wire_in(frame(64, seed=4), 64)
    assert nic.recv_into(small) == 64 and small == frame(64, seed=4)
    assert nic.rx_too_long == 2


def mem_tx_full_refuses_then_recovers(chip, size, fits, **kw):
    """With the wire held, `fits` frames of `size` bytes are taken, the
    next refused and counted; released, they leave in order. (model, nic)."""
    model, nic = chip.setup(**kw)
    model.tx_hold = True                # the wire is busy: frames stay queued
    sent = []
    k = 0
    while nic.send(chip.frame(size, seed=k, dst=chip.peer_mac), size):
        sent.append(bytes(chip.frame(size, seed=k, dst=chip.peer_mac)))
        k += 1
    assert len(sent) == fits and nic.tx_full == 1
    model.release_tx()
    for f in sent:
        assert model.wire_out.pop() == f
    return model, nic


def mem_interrupt_sets_flag_and_is_acknowledged(chip):
    """One edge while frames wait; recv_into acknowledges once the chip is
    drained, so the next frame makes a new edge; close() releases it."""
    model, nic = chip.setup(irq=chip.irq)
    frame = chip.frame
    flag = Flag()
    nic.attach_flag(flag)
    assert nic.flag is flag
    buf = bytearray(1514)
    assert nic.recv_into(buf) == 0 and flag.count == 0
    model.wire_in(frame(64), 64)
    assert flag.count == 1 and model.irq_asserted()
    model.wire_in(frame(65), 65)        # line already asserted: no new edge
    assert flag.count == 1
    assert nic.recv_into(buf) == 64 and nic.recv_into(buf) == 65
    assert nic.recv_into(buf) == 0 and not model.irq_asserted()
    model.wire_in(frame(66), 66)
    assert flag.count == 2
    assert nic.recv_into(buf) == 66
    nic.close()
    assert not model.irq_asserted()


def mem_poll_mode_needs_no_interrupt(chip):
    """Without an irq source attach_flag() refuses; frames still come.
    (model, nic): the caller checks its interrupt enables stayed off."""
    model, nic = chip.setup()
    assert raises(ValueError, nic.attach_flag, Flag())
    buf = bytearray(1514)
    model.wire_in(chip.frame(300), 300)
    assert nic.recv_into(buf) == 300
    return model, nic


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


def mem_per_frame_paths_do_not_allocate(chip):
    """300 frames each way with the heap locked, driver and model alike."""
    model, nic = chip.setup()
    buf = bytearray(1514)
    res = [0]
    # one object closed over: a closure over more than a few cells
    # allocates its argument array when called
    st = (model, nic, chip.frame(300), chip.frame(301, dst=chip.peer_mac), buf, res)
    _rounds(st, 20)                     # warm-up: every descriptor seen
    heap_locked(lambda: _rounds(st, 300))
    assert res[0] == 600 and buf[:301] == st[3]


def mem_two_interfaces(chip):
    """chips/e2e.two_interfaces over the driver. (model, nic, a, b)."""
    model, nic = chip.setup()
    a, b = two_interfaces(nic, chip.peer(model))
    assert nic.rx_errors == 0 and nic.tx_full == 0
    return model, nic, a, b


def mem_two_interfaces_with_interrupt_flag(chip):
    model, nic = chip.setup(irq=chip.irq)
    flag = Flag()
    nic.attach_flag(flag)
    two_interfaces(nic, chip.peer(model), rounds=2)
    assert flag.count > 0 and not model.irq_asserted()


def mem_contract_counters(chip):
    model, nic = chip.setup()
    contract_counters(nic)


def mem_tcp_poll_mode(chip, n, **kw):
    """tcp_poll_mode over the modelled chip (setup kw): not a frame lost,
    not a segment sent twice, nothing counted by the driver."""
    model, nic = chip.setup(**kw)
    pair, p = tcp_poll_mode(nic, chip.peer(model), n)
    assert p.b.retransmits == 0
    assert chip.lost(model) == 0 and model.wire_out.dropped == 0
    no_counted_drops(nic)


def mem_tcp_through_full_rings(chip, n):
    """tcp_woken_by_interrupt with the default rings: the peer's bursts
    find them full (frames missed, counted by the model), reception must
    resume each time; the far end retransmits, A never does."""
    model, nic = chip.setup(irq=chip.irq)
    flag = Flag()
    nic.attach_flag(flag)
    pair, p = tcp_woken_by_interrupt(nic, chip.peer(model), n, flag)
    assert chip.lost(model) > 0 and p.b.retransmits > 0
    assert nic.rx_errors == 0 and nic.tx_full == 0
    assert not model.irq_asserted()


def mem_tcp_through_fault_injector(chip, n, dropped):
    model, nic = chip.setup()
    pair, p = tcp_through_fault_injector(nic, chip.peer(model), n, dropped)
    assert nic.rx_errors == 0
    return model, nic


def mem_tcp_segments_do_not_allocate(chip, chunk):
    """tcp_segments_do_not_allocate with the driver's interrupt attached."""
    model, nic = chip.setup(irq=chip.irq)
    flag = Flag()
    nic.attach_flag(flag)
    tcp_segments_do_not_allocate(nic, chip.peer(model), flag, chunk)
