# runtimes: cpython unix wasm
# The shortcuts of the IPv4 packet path (issue 11, the board diet) against
# what they stand for: the usual header checked inline and the rest through
# ipv4.check (the same verdicts), the echo reply patched in place (the same
# bytes as a header written whole, RFC 1624 eqn. 3 for its checksum), the
# source picked without zeroing tx_src first, and the datagram sockets that
# put their due_at back to never (the Interface's contract) only when
# nothing else would want the dispatch.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.wire import ipaddr, ipv4
from smolnet.fast import sum16
from vectors import ECHO_REQUEST_BYTES, UDP_HELLO_BYTES, KERNEL_MAC, PEER_MAC

_IP = 14


def _iface(cidr="192.0.2.2/24", config=None):
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, config or Config(strict=True))
    i.add_ip(cidr)
    return i, peer


def _answer(frame):
    """What the Interface sends back for one frame (None: nothing)."""
    i, peer = _iface()
    peer.send(frame, len(frame))
    i.poll(0)
    buf = bytearray(1514)
    n = peer.recv_into(buf)
    return (bytes(buf[:n]) if n else None), i


def _with_options(frame, opts):
    """frame with opts (a multiple of 4 bytes) after its IPv4 header."""
    f = bytearray(frame[:_IP + 20]) + bytearray(opts) + bytearray(frame[_IP + 20:])
    f[_IP] = 0x40 | (5 + len(opts) // 4)
    tl = ((f[_IP + 2] << 8) | f[_IP + 3]) + len(opts)
    f[_IP + 2] = tl >> 8
    f[_IP + 3] = tl & 0xFF
    ipv4.fill_checksum(f, _IP)
    return f


def test_echo_request_with_options_answered_as_one_without():
    plain, _ = _answer(bytearray(ECHO_REQUEST_BYTES))
    opt, i = _answer(_with_options(ECHO_REQUEST_BYTES, b"\x01\x01\x01\x00"))
    assert plain is not None and opt == plain, (plain, opt)
    assert plain[_IP] == 0x45 and len(plain) == _IP + 20 + 64
    assert plain[0:6] == KERNEL_MAC and plain[6:12] == PEER_MAC
    assert plain[_IP + 12:_IP + 16] == ipaddr.parse4("192.0.2.2")
    assert plain[_IP + 16:_IP + 20] == ipaddr.parse4("192.0.2.1")
    assert plain[_IP + 1] == 0 and plain[_IP + 6] == 0 and plain[_IP + 8] == i.ttl
    assert sum16(plain, _IP, 20, 0) == 0xFFFF
    assert plain[_IP + 20] == 0 and sum16(plain, _IP + 20, 64, 0) == 0xFFFF
    assert plain[_IP + 28:] == ECHO_REQUEST_BYTES[_IP + 28:]


def test_echo_reply_checksum_by_rfc1624_eqn3():
    # the one request checksum (0xF7FF) whose reply's is 0 by eqn. 3 and
    # would be 0xFFFF by adding 0x0800 with the carry back: the payload's
    # last word made so that the request's checksum is 0xF7FF
    f = bytearray(ECHO_REQUEST_BYTES)
    icmp = _IP + 20
    f[icmp + 2] = 0xF7
    f[icmp + 3] = 0xFF
    f[-2] = f[-1] = 0
    w = ~sum16(f, icmp, 64, 0) & 0xFFFF
    f[-2] = w >> 8
    f[-1] = w & 0xFF
    assert sum16(f, icmp, 64, 0) == 0xFFFF
    out, _ = _answer(f)
    assert out[icmp] == 0 and out[icmp + 2] == 0 and out[icmp + 3] == 0
    assert sum16(out, icmp, 64, 0) == 0xFFFF
    # and every other one as the whole sum gives it
    for last in range(0, 0x10000, 0x0FF1):
        f = bytearray(ECHO_REQUEST_BYTES)
        f[-2] = last >> 8
        f[-1] = last & 0xFF
        f[icmp + 2] = f[icmp + 3] = 0
        c = ~sum16(f, icmp, 64, 0) & 0xFFFF
        f[icmp + 2] = c >> 8
        f[icmp + 3] = c & 0xFF
        out, _ = _answer(f)
        assert sum16(out, icmp, 64, 0) == 0xFFFF, last


def _hello():
    return bytearray(UDP_HELLO_BYTES)


def test_headers_off_the_inline_check_get_ipv4_checks_verdicts():
    cases = []
    f = _hello()
    f[_IP + 10] ^= 0x01                                       # its checksum
    cases.append((f, "drop_bad_checksum"))
    f = _hello()
    f[_IP] = 0x65                                             # version 6
    ipv4.fill_checksum(f, _IP)
    cases.append((f, "drop_bad_ip_version"))
    f = _hello()
    f[_IP + 3] = 19                                           # total length < IHL
    ipv4.fill_checksum(f, _IP)
    cases.append((f, "drop_bad_ip_length"))
    f = _hello()
    f[_IP + 3] = len(f) - _IP + 1                             # past the frame
    ipv4.fill_checksum(f, _IP)
    cases.append((f, "drop_bad_ip_length"))
    f = _hello()
    f[_IP] = 0x44                                             # IHL 4
    ipv4.fill_checksum(f, _IP)
    cases.append((f, "drop_bad_ip_length"))
    for f, counter in cases:
        i, peer = _iface()
        peer.send(f, len(f))
        i.poll(0)
        assert getattr(i.stats, counter) == 1, (counter, i.stats)
        assert i.stats.drops() == 1, (counter, i.stats)


def test_a_datagram_with_options_is_delivered():
    i, peer = _iface()
    u = i.add_socket(UdpSocket())
    u.bind(6969)
    f = _with_options(UDP_HELLO_BYTES, b"\x01\x01\x01\x00")
    peer.send(f, len(f))
    i.poll(0)
    assert i.stats.drops() == 0, i.stats
    data, (addr, port) = u.recvfrom()
    assert data == b"hello" and addr == "192.0.2.1" and port == 40000


def _arp_spa(i, peer, dst, src=None):
    """The sender address of the ARP request a datagram to dst sends."""
    u = i.add_socket(UdpSocket())
    u.bind(5000, src)
    u.send_to(b"x", 1, ipaddr.parse4(dst), 9)
    i.poll(0)
    buf = bytearray(1514)
    n = peer.recv_into(buf)
    assert n and buf[12:14] == b"\x08\x06", bytes(buf[:n])
    i.remove_socket(u)
    return ipaddr.fmt4(buf, 28)


def test_source_picked_by_prefix_or_kept_as_asked():
    i, peer = _iface("10.0.0.1/8")
    i.add_ip("192.0.2.2/20")            # a prefix that ends inside a byte
    i.routes.add_default("10.0.0.254")
    assert _arp_spa(i, peer, "192.0.15.1") == "192.0.2.2"
    assert _arp_spa(i, peer, "10.9.9.9") == "10.0.0.1"
    assert _arp_spa(i, peer, "192.0.16.1") == "10.0.0.1"    # off /20: the gateway's
    assert _arp_spa(i, peer, "192.0.15.3", "10.0.0.1") == "10.0.0.1"   # bound


class _Loud(UdpSocket):
    # a subclass that does more in dispatch() (as MdnsResponder serves its
    # queries there): never put back to sleep by the datagram code
    calls = 0

    def dispatch(self, iface, now):
        self.calls += 1
        return UdpSocket.dispatch(self, iface, now)


def test_only_quiet_sockets_go_back_to_never():
    # a datagram in: the Interface dispatches the loud socket after it (the
    # quiet one only if datagrams wait to go)
    i, peer = _iface()
    quiet = i.add_socket(UdpSocket())
    quiet.bind(6969)
    loud = i.add_socket(_Loud())
    loud.bind(7000)
    i.poll(0)
    calls = loud.calls
    for port in (6969, 7000):
        f = _hello()
        f[_IP + 22] = port >> 8                 # the UDP destination port
        f[_IP + 23] = port & 0xFF
        f[_IP + 26] = f[_IP + 27] = 0           # no UDP checksum (RFC 768)
        peer.send(f, len(f))
    quiet.due_at = loud.due_at = -1
    i.poll(1)
    assert quiet.can_recv() and loud.can_recv()
    assert quiet.due_at == -1 and loud.calls == calls + 1
    # a quiet socket whose last datagram went: never, until the next send
    i, peer = _iface()
    i.neighbors.fill(ipaddr.parse4("192.0.2.1"), 0, 4, KERNEL_MAC, 0, 0)
    u = i.add_socket(UdpSocket())
    u.bind(6969)
    u.send_to(b"a", 1, ipaddr.parse4("192.0.2.1"), 9)
    assert u.due_at == -2
    i.poll(0)
    assert u.due_at == -1 and peer.pending() == 1
    assert peer.recv_into(bytearray(1514)) == 60          # padded to the minimum


class _Leaver(UdpSocket):
    # a socket whose dispatch() takes itself out of the Interface (as a
    # callback run from dispatch might): poll() counts the sockets again
    # after every dispatch
    def dispatch(self, iface, now):
        iface.remove_socket(self)
        return False


def test_poll_counts_the_sockets_again_after_a_dispatch():
    i, peer = _iface()
    first = i.add_socket(UdpSocket())
    leaver = i.add_socket(_Leaver())
    leaver.bind(7000)
    last = i.add_socket(UdpSocket())
    last.bind(7002)
    leaver.due_at = -2               # due now: dispatched in this poll
    last.send_to(b"x", 1, ipaddr.parse4("192.0.2.1"), 9)
    i.poll(0)                        # no IndexError past the shorter list
    assert i.sockets == [first, last]
    # `last` moved into the leaver's place, after the index had passed it:
    # still due, it goes out on the next poll (an ARP request for
    # 192.0.2.1 first)
    assert last.due_at == -2
    i.poll(1)
    buf = bytearray(1514)
    n = peer.recv_into(buf)
    assert n and buf[12:14] == b"\x08\x06", bytes(buf[:n])
