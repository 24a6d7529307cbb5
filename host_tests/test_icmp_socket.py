# runtimes: cpython unix wasm
# The ICMP echo sockets ping is built on: IcmpSocket over IPv4 and
# Icmpv6Socket over IPv6 (RFC 4443 4), through two Interfaces on a Loopback
# pair; replies byte-exact, other identifiers ignored, misuse raises.
from smolnet.socket.icmp import IcmpSocket, Icmpv6Socket
from smolnet.socket import errno
from smolnet.wire import ipaddr
from netpair import NetPair, IP_B
from support import raises

B6 = ipaddr.parse6("2001:db8::2")


def _pair6():
    p = NetPair()
    p.a.add_ip("2001:db8::1/64")
    p.b.add_ip("2001:db8::2/64")
    return p


def test_echo_over_ipv6_byte_exact():
    p = _pair6()
    s = p.a.add_socket(Icmpv6Socket())
    s.bind(0x4242)
    payload = bytes(range(100))
    s.send_echo(B6, 9, payload, 100)
    p.run(6)
    buf = bytearray(200)
    n = s.recv_into(buf)
    assert n == 108
    assert buf[0] == 129 and buf[1] == 0                  # echo reply
    assert (buf[4] << 8 | buf[5]) == 0x4242 and (buf[6] << 8 | buf[7]) == 9
    assert bytes(buf[8:n]) == payload
    assert s.peer_alen == 16 and bytes(s.peer_addr) == B6


def test_v4_and_v6_sockets_each_get_their_own_replies():
    p = _pair6()
    s4 = p.a.add_socket(IcmpSocket())
    s4.bind(7)
    s6 = p.a.add_socket(Icmpv6Socket())
    s6.bind(7)
    s4.send_echo(IP_B, 1, b"four", 4)
    s6.send_echo(B6, 2, b"six", 3)
    p.run(8)
    buf = bytearray(64)
    assert s4.recv_into(buf) == 12 and bytes(buf[8:12]) == b"four" and buf[0] == 0
    assert s6.recv_into(buf) == 11 and bytes(buf[8:11]) == b"six" and buf[0] == 129
    assert s4.recv_into(buf) == -1 and s6.recv_into(buf) == -1


def test_other_identifier_ignored():
    p = _pair6()
    s = p.a.add_socket(Icmpv6Socket())
    s.bind(1)
    other = p.a.add_socket(Icmpv6Socket())
    other.bind(2)
    s.send_echo(B6, 1, b"x", 1)
    p.run(6)
    buf = bytearray(16)
    assert s.recv_into(buf) == 9
    assert other.recv_into(buf) == -1


def test_misuse_raises():
    s = Icmpv6Socket(tx_slots=1)
    e = raises(OSError, s.send_echo, B6, 1, b"", 0)
    assert e.args[0] == errno.EINVAL                      # not bound
    raises(OSError, s.bind, 70000)
    s.bind(3)
    s.send_echo(B6, 1, b"", 0)
    e = raises(OSError, s.send_echo, B6, 2, b"", 0)
    assert e.args[0] == errno.EAGAIN                      # the one slot is taken
    e = raises(OSError, s.send_to, b"short", 5, B6)
    assert e.args[0] == errno.EINVAL
