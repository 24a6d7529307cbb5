"""Board drivers, unchanged, against QEMU's own device models.

CPython only: needs qemu-system-arm (Debian package qemu-system-arm,
installed by `make setup`; without it the tests fail, they never skip). The driver's machine.mem32 accesses travel over
QEMU's qtest protocol into the emulated chip; the NIC's cable is a Unix
datagram socket pair (no IP networking). Interface A runs over the driver,
interface B over the other end of the cable: ARP, ping and UDP byte-exact,
then a TCP bulk transfer both ways at once, hash-compared (chips/e2e.py).

  LAN9118  -M mps2-an385  QEMU's lan9118 at 0x40200000 (interrupt: NVIC 13)
  NXP ENET -M sabrelite   QEMU's imx.enet (i.MX 6) at 0x02188000, PHY at 6,
                          DMA buffers mirrored into guest RAM at 0x17000000
There is no STM32 Ethernet model in QEMU.
"""


import pytest

from chips import Flag, e2e, membus, qemu



@pytest.fixture(autouse=True)
def _need_qemu():
    if not qemu.available():
        pytest.fail("qemu-system-arm is not installed: run `make setup` "
                    "(mk/boards.mk adds it to the Debian packages)")

PEER = b"\x02\x00\x00\x22\x22\x22"


def _lan9118(q, **kw):
    membus.install()
    q.install()
    from boards.lan9118 import LAN9118
    return LAN9118(**kw)


def test_lan9118_on_qemu_mps2_an385():
    with qemu.Qemu("mps2-an385", qemu.M_PROFILE_LOOP,
                   ["-net", "nic,netdev=n0,model=lan9118"]) as q:
        nic = _lan9118(q)
        assert nic.chip_id == 0x0118
        assert nic.mac == bytes.fromhex("525400123456")   # QEMU's EEPROM image
        assert nic.link_up()
        a, b = e2e.two_interfaces(nic, q.peer(PEER), pump=q.pump, slow=4)
        assert nic.rx_errors == 0 and nic.tx_errors == 0 and nic.tx_full == 0
        assert a.stats.rx_frames == nic.rx_frames


def test_lan9118_interrupt_on_qemu():
    with qemu.Qemu("mps2-an385", qemu.M_PROFILE_LOOP,
                   ["-net", "nic,netdev=n0,model=lan9118"]) as q:
        membus.install()
        q.install()
        q.intercept_irqs("/machine/armv7m")
        line = q.irq_line(13)                 # the Ethernet input of the NVIC
        from boards.lan9118 import LAN9118
        nic = LAN9118(irq=line)
        flag = Flag()
        nic.attach_flag(flag)
        assert line.value() == 1              # IRQ_CFG: open drain, active low
        frame = bytearray(100)
        frame[0:6] = nic.mac
        frame[6:12] = PEER
        frame[12] = 0x08
        q.peer(PEER).send(frame, 100)
        for _ in range(100):
            q.pump(0.01)
            q.readl(0x40200064)               # any qtest command collects IRQ notices
            if flag.count:
                break
        assert flag.count == 1 and line.value() == 0
        buf = bytearray(1514)
        assert nic.recv_into(buf) == 100 and buf[:100] == frame
        assert nic.recv_into(buf) == 0
        assert line.value() == 1              # acknowledged once drained
        e2e.two_interfaces(nic, q.peer(PEER), rounds=2, pump=q.pump, slow=4)
        assert flag.count > 1


def test_nxp_enet_on_qemu_sabrelite():
    with qemu.Qemu("sabrelite", qemu.A_PROFILE_LOOP, ["-net", "nic,netdev=n0"]) as q:
        membus.install()
        bus = q.install(dma_base=0x17000000)
        from boards.nxpenet import NXPENET
        from boards.common import mdio
        nic = NXPENET(base=0x02188000, mac=b"\x02\x00\x00\x10\x60\xe1", phy_addr=6)
        assert mdio.phy_id(nic, 6) == 0x0007C0D1
        assert nic.link_up()
        a, b = e2e.two_interfaces(qemu.Synced(nic, bus), q.peer(PEER),
                                     pump=q.pump, slow=4)
        assert nic.rx_errors == 0 and nic.rx_too_long == 0 and nic.tx_full == 0


# --- TCP end to end through QEMU's own models --------------------------------
# chips/e2e.py's TcpPump as for the register models: 256 KB / 1 MB each way
# at once, hash-compared, clean close. QEMU runs in real time next to the
# fake clock: every step lets its main loop move frames (and, with the
# interrupt, a qtest command collects the IRQ notices it queued).

class _QemuTime:
    def __init__(self, q, poke=None):
        self.q = q
        self.poke = poke

    def run(self):
        self.q.pump(0.0002)
        if self.poke is not None:
            self.q.readl(self.poke)


def test_lan9118_tcp_on_qemu_mps2_an385():
    from chips.e2e import tcp_end_to_end, KB
    with qemu.Qemu("mps2-an385", qemu.M_PROFILE_LOOP,
                   ["-net", "nic,netdev=n0,model=lan9118"]) as q:
        nic = _lan9118(q)
        pair, p, _ = tcp_end_to_end(nic, q.peer(PEER), 256 * KB, chip=_QemuTime(q),
                                    max_steps=100000)
        assert pair.a.stats.drops() == 0 and pair.b.stats.drops() == 0
        assert nic.rx_errors == 0 and nic.tx_errors == 0 and nic.rx_too_long == 0


def test_lan9118_tcp_interrupt_on_qemu():
    # A polled only when QEMU's lan9118 raised its NVIC line (or a timer is
    # due, or the application queued data): no frame goes unannounced
    from chips.e2e import tcp_end_to_end, KB
    with qemu.Qemu("mps2-an385", qemu.M_PROFILE_LOOP,
                   ["-net", "nic,netdev=n0,model=lan9118"]) as q:
        membus.install()
        q.install()
        q.intercept_irqs("/machine/armv7m")
        from boards.lan9118 import LAN9118
        nic = LAN9118(irq=q.irq_line(13))
        flag = Flag()
        nic.attach_flag(flag)
        pair, p, _ = tcp_end_to_end(nic, q.peer(PEER), 64 * KB, flag=flag,
                                    chip=_QemuTime(q, 0x40200064), max_steps=100000)
        assert p.wakeups > 10 and p.unannounced == 0
        assert pair.a.stats.drops() == 0 and nic.rx_errors == 0


def test_nxp_enet_tcp_on_qemu_sabrelite():
    from chips.e2e import tcp_end_to_end, MB
    with qemu.Qemu("sabrelite", qemu.A_PROFILE_LOOP, ["-net", "nic,netdev=n0"]) as q:
        membus.install()
        bus = q.install(dma_base=0x17000000)
        from boards.nxpenet import NXPENET
        nic = NXPENET(base=0x02188000, mac=b"\x02\x00\x00\x10\x60\xe1", phy_addr=6)
        pair, p, _ = tcp_end_to_end(qemu.Synced(nic, bus), q.peer(PEER), MB,
                                    chip=_QemuTime(q), max_steps=100000)
        assert pair.a.stats.drops() == 0 and pair.b.stats.drops() == 0
        assert nic.rx_errors == 0 and nic.rx_too_long == 0
