# runtimes: cpython unix wasm
# The IPv4 packet path's address tests (smolnet/iface/ipv4.py): a cheap byte
# test runs first and the address table walk only when it cannot tell, so
# every kind of address is tried here on both sides of those tests: the
# broadcasts and multicast sources dropped (RFC 1122 3.2.1.3), the unicast
# addresses that merely look like them delivered, and the link destination
# picked for each kind of destination on transmit.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.wire import ipaddr, ipv4, udp, checksum
from vectors import UDP_HELLO_BYTES, KERNEL_MAC, PEER_MAC

_IP = 14
_UDP = 34


def _iface(cidr):
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, Config(strict=True))
    i.add_ip(cidr)
    u = i.add_socket(UdpSocket())
    u.bind(6969)
    return i, u, peer


def _hello(src, dst="192.0.2.2"):
    """UDP_HELLO_BYTES from src to dst, both checksums right."""
    f = bytearray(UDP_HELLO_BYTES)
    f[_IP + 12:_IP + 16] = ipaddr.parse4(src)
    f[_IP + 16:_IP + 20] = ipaddr.parse4(dst)
    ipv4.fill_checksum(f, _IP)
    n = len(f) - _UDP
    udp.fill_checksum(f, _UDP, n, checksum.pseudo4(f, _IP + 12, f, _IP + 16, 17, n))
    return f


def _deliver(cidr, src, dst="192.0.2.2"):
    i, u, peer = _iface(cidr)
    f = _hello(src, dst)
    peer.send(f, len(f))
    i.poll(0)
    return i, u


def test_sources_that_are_broadcast_or_multicast_are_dropped():
    for cidr, src in (("192.0.2.2/24", "255.255.255.255"),
                      ("192.0.2.2/24", "192.0.2.255"),        # directed, /24
                      ("192.0.2.2/25", "192.0.2.127"),
                      ("192.0.2.2/30", "192.0.2.3"),          # two host bits
                      ("192.0.2.2/16", "192.0.255.255"),
                      ("192.0.2.2/24", "224.0.0.5"),
                      ("192.0.2.2/24", "239.255.255.255")):
        i, u = _deliver(cidr, src)
        assert i.stats.drop_bad_src == 1, (cidr, src)
        assert not u.can_recv()


def test_unicast_sources_that_look_like_broadcasts_are_delivered():
    # a last byte ending in binary 11 or all ones, a first byte past 224:
    # each walks the table, and none is a broadcast of our prefix
    for cidr, src in (("192.0.2.2/24", "192.0.2.3"),
                      ("192.0.2.2/24", "192.0.3.255"),        # another /24
                      ("192.0.2.2/23", "192.0.2.255"),        # inside the /23
                      ("192.0.2.2/31", "192.0.2.3"),          # RFC 3021: none
                      ("192.0.2.2/24", "240.0.0.1"),          # class E
                      ("192.0.2.2/24", "198.51.100.7")):
        i, u = _deliver(cidr, src, "192.0.2.2")
        assert i.stats.drops() == 0, (cidr, src, i.stats)
        assert u.recvfrom()[0] == b"hello"


def test_destinations_ours_broadcast_or_not_for_us():
    for cidr, dst, delivered in (("192.0.2.2/24", "192.0.2.2", True),
                                 ("192.0.2.2/24", "255.255.255.255", True),
                                 ("192.0.2.2/24", "192.0.2.255", True),
                                 ("192.0.2.2/30", "192.0.2.3", True),
                                 ("192.0.2.2/24", "192.0.2.3", False),
                                 ("192.0.2.2/31", "192.0.2.3", False),
                                 ("192.0.2.2/24", "224.0.0.7", False)):
        i, u = _deliver(cidr, "192.0.2.1", dst)
        assert u.can_recv() == delivered, (cidr, dst)
        assert i.stats.drop_not_for_us == (0 if delivered else 1), (cidr, dst)
        assert i.stats.icmp_errors_sent == 0          # never about a broadcast


def _sent_to(cidr, dst):
    """The first frame the Interface sends for a datagram to dst."""
    i, u, peer = _iface(cidr)
    u.sendto(b"x", (dst, 9))
    i.poll(0)
    buf = bytearray(1514)
    n = peer.recv_into(buf)
    return bytes(buf[:n])


def test_link_destination_of_each_kind():
    bcast = b"\xff" * 6
    f = _sent_to("192.0.2.2/24", "255.255.255.255")
    assert f[0:6] == bcast and f[12:14] == b"\x08\x00"
    assert _sent_to("192.0.2.2/24", "192.0.2.255")[0:6] == bcast
    assert _sent_to("192.0.2.2/30", "192.0.2.3")[0:6] == bcast
    f = _sent_to("192.0.2.2/24", "239.1.2.3")
    assert f[0:6] == bytes.fromhex("01005e010203")
    assert f[_IP + 8] == 1                                # RFC 1112 6.1: TTL 1
    # unicast, though ending in binary 11: resolved by ARP first
    for cidr, dst in (("192.0.2.2/24", "192.0.2.3"), ("192.0.2.2/31", "192.0.2.3")):
        f = _sent_to(cidr, dst)
        assert f[12:14] == b"\x08\x06" and f[_IP + 24:_IP + 28] == ipaddr.parse4(dst)
