# runtimes: cpython unix
# The STM32F4/F7 ETH driver (boards/stm32eth) against the register and
# DMA-descriptor model in chips/stm32eth.py: reset, clocks and RMII
# bring-up, MAC address, PHY over MDIO, rings byte-exact with wraparound,
# OWN handoff, error statuses, interrupt and poll modes, allocation-free
# per-frame paths, and two smolnet Interfaces through the modelled MAC:
# ARP, ping, UDP, and TCP bulk transfers both ways (poll mode,
# interrupt-driven through full rx rings, 5% loss, heap locked).
import board_scenario as scenario
from chips import membus
from support import raises
from chips.stm32eth import (STM32EthModel, Stm32SysModel, RDES0_CE, TDES0_EC,
                            MACCR_TE, MACCR_RE, MACCR_DM, MACCR_FES, MACFFR_PAM)

BASE = 0x40028000
MAC = b"\x02\x00\x00\x32\xf7\x67"
PEER = b"\x02\x00\x00\x22\x22\x22"


def _setup(irq=None, mac=MAC, model_kw=None, **kw):
    m = membus.install()
    model = STM32EthModel(base=BASE, irq_pin=irq, **(model_kw or {}))
    from boards.stm32eth import STM32ETH
    nic = STM32ETH(base=BASE, mac=mac, irq=m.Pin(irq) if irq else None, **kw)
    return model, nic


CHIP = scenario.MemChip(_setup, MAC, PEER, "ETH_IRQ", "rx_missed", 11)
_frame = CHIP.frame


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
    assert raises(OSError, STM32ETH, base=BASE, mac=MAC, timeout=50).args[0] == 110


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
    scenario.mem_rx_tx_byte_exact(CHIP)


def test_many_frames_wrap_the_rings():
    model, nic = scenario.mem_many_frames(CHIP, 53, 7, rx_slots=4, tx_slots=3)
    assert model.rx_missed == 0


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
    scenario.mem_oversized_frames_dropped_whole(CHIP)


def test_tx_ring_full_refuses_then_recovers():
    model, nic = scenario.mem_tx_full_refuses_then_recovers(CHIP, 200, 4, tx_slots=4)
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
    scenario.mem_interrupt_sets_flag_and_is_acknowledged(CHIP)


def test_poll_mode_needs_no_interrupt():
    model, nic = scenario.mem_poll_mode_needs_no_interrupt(CHIP)
    assert model.dmaier == 0


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


def test_per_frame_paths_do_not_allocate():
    scenario.mem_per_frame_paths_do_not_allocate(CHIP)


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
