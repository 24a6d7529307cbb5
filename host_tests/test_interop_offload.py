"""Issue 12 item 4: a veth whose kernel end keeps TX checksum offload on
(the default) hands smolnet TCP/UDP frames with partial checksums. The unix
port cannot read PACKET_AUXDATA, so AfPacket recognises the pattern (the
checksum field holds the pseudo-header sum and the checksum fails), counts
it and prints one line with the fix. CPython pytest; the kernel test is
root only, in a namespace whose veth gets its TX checksum offload back on.
"""
import struct
import sys

import pytest

from netns import (micropython, ROOT, KERNEL_IF, KERNEL_IP,  # noqa: F401
                   SMOLNET_IF, SMOLNET_IP, PREFIX)
from smolnet.phy.afpacket import partial_csum


def _fold(s):
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _sum(b):
    if len(b) & 1:
        b = b + b"\x00"
    return _fold(sum(struct.unpack("!%dH" % (len(b) // 2), b)))


def _frame4(proto, l4, partial):
    """An Ethernet/IPv4 frame around the TCP or UDP segment l4 (checksum
    field zero in it): the right checksum, or Linux's partial one."""
    src, dst = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    pseudo = _fold(_sum(src + dst) + proto + len(l4))
    at = 16 if proto == 6 else 6
    c = pseudo if partial else (~_fold(pseudo + _sum(l4)) & 0xFFFF)
    l4 = l4[:at] + struct.pack("!H", c) + l4[at + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, proto, 0, src, dst)
    return bytes(12) + b"\x08\x00" + ip + l4


def _frame6(proto, l4, partial):
    src = bytes([0x20, 0x01, 0x0d, 0xb8]) + bytes(11) + b"\x01"
    dst = src[:-1] + b"\x02"
    pseudo = _fold(_sum(src + dst) + proto + len(l4))
    at = 16 if proto == 6 else 6
    c = pseudo if partial else (~_fold(pseudo + _sum(l4)) & 0xFFFF)
    l4 = l4[:at] + struct.pack("!H", c) + l4[at + 2:]
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(l4), proto, 64, src, dst)
    return bytes(12) + b"\x86\xdd" + ip + l4


UDP = struct.pack("!HHHH", 4000, 5000, 8 + 5, 0) + b"hello"   # 47 bytes: unpadded
TCP = struct.pack("!HHIIBBHHH", 4000, 80, 1, 0, 0x50, 0x02, 64240, 0, 0) + b"data"


def test_partial_checksum_pattern():
    for make in (_frame4, _frame6):
        for proto, l4 in ((17, UDP), (6, TCP)):
            good = bytearray(make(proto, l4, False))
            part = bytearray(make(proto, l4, True))
            assert not partial_csum(good, len(good)), (make, proto)
            assert partial_csum(part, len(part)), (make, proto)
            assert not partial_csum(part, len(part) - 3)        # truncated: not ours to judge
            bad = bytearray(good)
            bad[-1] ^= 0xFF                                     # corrupted on a wire
            assert not partial_csum(bad, len(bad))
    arp = bytearray(bytes(12) + b"\x08\x06" + bytes(46))
    assert not partial_csum(arp, len(arp))


# SIOCETHTOOL with ETHTOOL_STXCSUM (0x17) and data 1 or 0 (linux/ethtool.h)
_TX_CSUM = """
import ctypes, fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v = ctypes.create_string_buffer(struct.pack("II", 0x17, int(sys.argv[2])))
fcntl.ioctl(s, 0x8946, struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(v)))
"""

SEND = """
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    time.sleep(0.3)
    u.sendto(b"datagram %d" % i, (sys.argv[1], 5000))
"""

RECEIVE = """
import sys, time
sys.path.insert(0, ROOT)
from smolnet.phy.afpacket import AfPacket
from smolnet.iface.interface import Interface
from smolnet.socket.udp import UdpSocket
dev = AfPacket(IFNAME)
iface = Interface(dev)
iface.add_ip(ADDR)
u = UdpSocket()
u.bind(5000)
iface.add_socket(u)
buf = bytearray(100)
got = 0
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < 2500:
    iface.poll(time.ticks_ms())
    while u.recv_into(buf) >= 0:
        got += 1
    time.sleep_ms(5)
print("partial", dev.rx_partial_csum, "bad", iface.stats.drop_bad_checksum, "got", got)
"""


def _receive(ns):
    script = (RECEIVE.replace("ROOT", repr(ROOT)).replace("IFNAME", repr(SMOLNET_IF))
              .replace("ADDR", repr("%s/%d" % (SMOLNET_IP, PREFIX))))
    sender = ns.spawn("send", [sys.executable, "-c", SEND, SMOLNET_IP])
    r = ns.run(micropython(), "-c", script, check=False, timeout=30)
    ns.wait(sender)
    assert r.returncode == 0, r.stdout
    return r.stdout.strip().split("\n")


@pytest.mark.root
def test_offload_on_gives_a_hint_and_a_count(netns):
    ns = netns
    ns.run(sys.executable, "-c", _TX_CSUM, KERNEL_IF, 1)       # the default, back on
    lines = _receive(ns)
    hint = ("smolnet: %s receives TCP/UDP frames with partial checksums (TX checksum "
            "offload at the other end): run `ethtool -K %s tx off`" % (SMOLNET_IF, KERNEL_IF))
    assert lines[0] == hint, lines
    assert lines[-1] == "partial 3 bad 3 got 0", lines             # once, then counted
    ns.run(sys.executable, "-c", _TX_CSUM, KERNEL_IF, 0)       # the fix the hint gives
    lines = _receive(ns)
    assert lines == ["partial 0 bad 0 got 3"], lines
