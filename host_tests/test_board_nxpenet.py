# runtimes: cpython unix
# The NXP ENET driver (boards/nxpenet) against the register and buffer
# descriptor model in chips/nxpenet.py: reset, MAC address, PHY over MMFR,
# rings byte-exact with wraparound, E/R handoff and RDAR/TDAR, error
# statuses, link changes restarting the MAC, interrupt and poll modes,
# allocation-free per-frame paths, and two smolnet Interfaces through it:
# ARP, ping, UDP, and TCP bulk transfers both ways (poll mode,
# interrupt-driven through full rx rings, 5% loss, heap locked).
import board_scenario as scenario
from chips import membus
from support import raises
from chips.nxpenet import (ENETModel, BD_CR, BD_OV, RCR_DRT, RCR_RMII_MODE,
                           RCR_RMII_10T, RCR_MII_MODE, RCR_LOOP, TCR_FDEN,
                           ECR_DBSWP, ECR_ETHEREN)

BASE = 0x402D8000
MAC = b"\x02\x00\x00\x10\x60\xe1"
PEER = b"\x02\x00\x00\x22\x22\x22"


def _setup(irq=None, mac=MAC, base=BASE, model_kw=None, **kw):
    m = membus.install()
    model = ENETModel(base=base, irq_pin=irq, **(model_kw or {}))
    from boards.nxpenet import NXPENET
    nic = NXPENET(base=base, mac=mac, irq=m.Pin(irq) if irq else None, **kw)
    return model, nic


CHIP = scenario.MemChip(_setup, MAC, PEER, "ENET_IRQ", "rx_missed", 7)
_frame = CHIP.frame


def test_bring_up_programs_mac_and_rings():
    model, nic = _setup()
    assert model.mac_address() == MAC and nic.mac == MAC
    assert model.ecr & (ECR_DBSWP | ECR_ETHEREN) == ECR_DBSWP | ECR_ETHEREN
    assert model.rcr & RCR_MII_MODE and model.rcr & RCR_RMII_MODE
    assert not model.rcr & RCR_LOOP
    assert (model.rcr >> 16) == 1518 and model.mrbr == 1536
    assert model.tcr & TCR_FDEN and model.rdar
    assert model.gaur == 0xFFFFFFFF and model.galr == 0xFFFFFFFF
    assert nic.mtu == 1514 and nic.medium == 1 and nic.poll_obj is None


def test_imx6_base_and_unique_id_mac():
    m = membus.install()
    m.unique_id = lambda: b"\x12\x34\x56\x78\x9a\xbc\xde\xf0"
    model = ENETModel(base=0x02188000)
    from boards.nxpenet import NXPENET
    nic = NXPENET(base=0x02188000)
    assert nic.mac[0] == 0x02 and model.mac_address() == nic.mac
    del m.unique_id
    # no unique_id() (MicroPython's qemu port): the address PALR/PAUR hold,
    # as a boot ROM or QEMU's -nic mac= leaves it, else DEFAULT_MAC
    membus.install()
    model = ENETModel(base=BASE)
    model.palr = 0x02AABBCC
    model.paur = 0xDDEE0000
    nic = NXPENET(BASE)
    assert nic.mac == bytes.fromhex("02aabbccddee") == model.mac_address()
    membus.install()
    model = ENETModel(base=BASE)
    from boards import nxpenet
    nic = NXPENET(BASE)
    assert nic.mac == nxpenet.DEFAULT_MAC == bytes.fromhex("0200004e5850")
    assert model.mac_address() == nic.mac
    membus.install()
    ENETModel(base=BASE)
    assert raises(ValueError, NXPENET, BASE, b"\x01\x00\x00\x00\x00\x01")  # multicast


def test_link_changes_restart_the_mac():
    model, nic = _setup()
    buf = bytearray(1514)
    assert nic.link_up()
    model.phy.set_link(False)
    assert not nic.link_up()
    model.phy.partner = 0x0021                         # 10 Mbit/s half duplex
    model.phy.set_link(True)
    assert nic.link_up()
    assert model.rcr & RCR_DRT and model.rcr & RCR_RMII_10T
    assert not model.tcr & TCR_FDEN
    f = _frame(300)
    assert model.wire_in(f, 300)                       # rings rebuilt and running
    assert nic.recv_into(buf) == 300 and buf[:300] == f
    assert nic.send(f, 300) and model.wire_out.pop() == bytes(f)
    from boards.common import mdio
    assert mdio.phy_id(nic, 0) == 0x00221561           # KSZ8081
    assert mdio.phy_id(nic, 3) == 0xFFFFFFFF


def test_rx_tx_byte_exact():
    scenario.mem_rx_tx_byte_exact(CHIP)


def test_many_frames_wrap_the_rings():
    model, nic = scenario.mem_many_frames(CHIP, 41, 3, rx_slots=4, tx_slots=3)
    assert model.rx_missed == 0


def test_full_rx_ring_stops_then_rdar_resumes():
    model, nic = _setup(rx_slots=4)
    buf = bytearray(1514)
    for k in range(6):
        model.wire_in(_frame(100, seed=k), 100)
    assert model.rx_missed == 2 and not model.rdar
    for k in range(4):
        assert nic.recv_into(buf) == 100 and buf[:100] == _frame(100, seed=k)
    assert model.rdar                                  # RDAR written on give-back
    assert model.wire_in(_frame(100, seed=9), 100)
    assert nic.recv_into(buf) == 100 and buf[:100] == _frame(100, seed=9)


def test_error_statuses_are_counted_drops():
    model, nic = _setup()
    buf = bytearray(1514)
    model.wire_in(_frame(100), 100, errors=BD_CR)
    model.wire_in(_frame(100), 100, errors=BD_OV)
    model.wire_in(_frame(200, seed=5), 200)
    assert nic.recv_into(buf) == 200 and buf[:200] == _frame(200, seed=5)
    assert nic.rx_errors == 2 and nic.rx_frames == 1


def test_oversized_frames_are_dropped_whole():
    scenario.mem_oversized_frames_dropped_whole(CHIP)


def test_tx_ring_full_refuses_then_recovers():
    model, nic = scenario.mem_tx_full_refuses_then_recovers(CHIP, 200, 4, tx_slots=4)
    assert nic.send(_frame(60, dst=PEER), 60)
    assert model.wire_out.pop() == bytes(_frame(60, dst=PEER))


def test_interrupt_sets_flag_and_is_acknowledged():
    scenario.mem_interrupt_sets_flag_and_is_acknowledged(CHIP)


def test_poll_mode_needs_no_interrupt():
    model, nic = scenario.mem_poll_mode_needs_no_interrupt(CHIP)
    assert model.eimr == 0


def test_signed_values_and_high_mac_bytes():
    mac = b"\x02\xdc\xba\x98\xf6\x54"                 # PAUR = 0xf6540000: bit 31 set
    model, nic = _setup(mac=mac)
    assert model.mac_address() == mac
    import machine
    assert machine.mem32[BASE + 0x0E8] < 0             # PAUR with bit 31 set reads signed
    buf = bytearray(1514)
    f = bytearray(mac) + bytearray(PEER) + b"\x86\xdd" + b"\xff\xfe\x80\xc0" * 30
    model.wire_in(f, len(f))
    assert nic.recv_into(buf) == len(f) and buf[:len(f)] == f


def test_rings_carved_from_a_given_dma_region():
    membus.install()
    model = ENETModel(base=BASE)
    from boards.nxpenet import NXPENET
    region = bytearray(NXPENET.dma_size(4, 4, 1536))
    nic = NXPENET(base=BASE, mac=MAC, dma=region)
    buf = bytearray(1514)
    f = _frame(500)
    model.wire_in(f, 500)
    assert nic.recv_into(buf) == 500 and buf[:500] == f
    assert region[:500] == f
    assert nic.send(f, 500) and model.wire_out.pop() == bytes(f)


def test_per_frame_paths_do_not_allocate():
    scenario.mem_per_frame_paths_do_not_allocate(CHIP)


def test_model_catches_driver_mistakes():
    model, nic = _setup()
    import machine
    nic._rxd[3] = 0x20                                 # take descriptor 0 back (E clear)
    assert raises(AssertionError, model.wire_in, _frame(64), 64)
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x084, 0)  # RCR, running
    assert raises(AssertionError, machine.mem16.__getitem__, BASE + 0x004)
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x040, 0)  # bad MMFR
    assert raises(AssertionError, machine.mem32.__setitem__, BASE + 0x204, 0)  # MIB is RO
    assert raises(AssertionError, machine.mem32.__getitem__, BASE + 0x400)     # 1588 timer


def test_model_rejects_enabling_without_dbswp_or_with_loop():
    m = membus.install()
    ENETModel(base=BASE)
    m.mem32[BASE + 0x188] = 1536
    m.mem32[BASE + 0x180] = 0x20000000
    m.mem32[BASE + 0x184] = 0x20000040
    assert raises(AssertionError, m.mem32.__setitem__, BASE + 0x024, ECR_ETHEREN)
    m.mem32[BASE + 0x084] = 0x05EE0000 | RCR_MII_MODE | RCR_RMII_MODE | RCR_LOOP
    assert raises(AssertionError, m.mem32.__setitem__, BASE + 0x024, ECR_ETHEREN | ECR_DBSWP)


def test_two_interfaces_through_the_modelled_mac():
    model, nic, a, b = scenario.mem_two_interfaces(CHIP)
    assert model.rx_missed == 0


def test_two_interfaces_with_interrupt_flag():
    scenario.mem_two_interfaces_with_interrupt_flag(CHIP)


# --- end to end over TCP: bulk data both ways at once, hash-compared --------
# (board_scenario's TCP scenarios: Interface A over the driver, B over the
# far end of the cable, a fake clock skipping idle time)

def test_tcp_both_ways_poll_mode():
    # 1 MB each way; 8 rx descriptors take the peer's bursts (tx_burst 8)
    from chips.e2e import MB
    scenario.mem_tcp_poll_mode(CHIP, MB, rx_slots=8)


def test_tcp_woken_by_interrupt_through_full_rings():
    # the default 4 rx descriptors
    from chips.e2e import MB
    scenario.mem_tcp_through_full_rings(CHIP, MB)


def test_tcp_through_fault_injector():
    from chips.e2e import KB
    scenario.mem_tcp_through_fault_injector(CHIP, 512 * KB, 20)


def test_tcp_segments_do_not_allocate():
    # 4 x 64 KB each way with the heap locked (descriptor model included)
    from chips.e2e import KB
    scenario.mem_tcp_segments_do_not_allocate(CHIP, 64 * KB)


def test_counters_of_the_device_contract():
    scenario.mem_contract_counters(CHIP)
