"""netns.pcap_errors, the tshark check every interop test runs on its
captures, judges smolnet's frames, not a dissector's guess at what an
ephemeral port carries: TCP on port 34980 (0x88A4, EtherCAT's) once failed
make test with "Malformed ECAT" for clean frames. A transfer between two
smolnet Interfaces from that port, captured by smolnet's PcapWriter, must
check clean; the same capture with a segment's checksum broken must not.

CPython; tshark is installed by `make setup` (fails, never skips, without).
"""
import shutil

import pytest

from netns import pcap_errors
from smolnet.config import Config
from smolnet.iface.interface import Interface
from smolnet.phy.loopback import Loopback
from smolnet.phy.pcap import PcapWriter
from smolnet.socket.tcp import TcpSocket
from smolnet.wire import ipaddr


def _capture(path, sport):
    a_dev, b_dev = Loopback.pair()
    with open(path, "wb") as f:
        ia = Interface(PcapWriter(a_dev, f, clock=lambda: 0), Config(strict=True))
        ia.add_ip("192.0.2.1/24")
        ib = Interface(b_dev, Config(strict=True))
        ib.add_ip("192.0.2.2/24")
        a = ia.add_socket(TcpSocket(4096, 4096))
        b = ib.add_socket(TcpSocket(4096, 4096))
        b.listen(6972)
        a.connect(ipaddr.parse4("192.0.2.2"), 6972, local_port=sport)
        data = bytes(i % 251 for i in range(21 * 1460))    # the interop tests' stream
        buf = bytearray(4096)
        sent = got = 0
        now = 0
        while (sent < 20 * 1460 or got < sent) and now < 2000:
            now += 1
            if a.may_send() and sent < 20 * 1460:
                sent += a.send(data, sent, 1460)
            ia.poll(now)
            ib.poll(now)
            n = b.recv_into(buf)
            if n > 0:
                got += n
        assert got == sent >= 20 * 1460 and a.local_port == sport, (got, sent, a.local_port)


def test_payload_on_a_registered_port_is_not_judged(tmp_path):
    if shutil.which("tshark") is None:
        pytest.fail("tshark not found: run 'make setup'", pytrace=False)
    path = str(tmp_path / "ecat_port.pcap")
    _capture(path, 34980)
    assert pcap_errors(path) == []
    # the check still sees a broken segment: flip a payload byte of the
    # last full-size frame without fixing its checksum
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    at = raw.rfind(bytes(range(100, 108)))
    assert at > 0
    raw[at] ^= 0xFF
    with open(path, "wb") as f:
        f.write(raw)
    assert pcap_errors(path) != []
