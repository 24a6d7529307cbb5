# runtimes: cpython unix wasm
# IPv6 through the Interface: Neighbor Discovery against the kernel's own
# frames, ping and UDP between two smolnet instances on a Loopback pair,
# extension headers, ICMPv6 error rules (RFC 4443 2.4), DAD, router
# advertisements and SLAAC, source selection, routes, TCP over IPv6, and
# bad input counted, never raised.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.socket.tcp import TcpSocket, ESTABLISHED
from smolnet.socket import errno
from smolnet.wire import ipaddr, ipv6, icmpv6, checksum
from vectors6 import (NS_BYTES, NA_REPLY_BYTES, NA_BYTES, ECHO6_REQUEST_BYTES,
                      ECHO6_REPLY_BYTES, UDP6_HELLO_BYTES, UDP6_HELLO_REPLY_BYTES,
                      MLD2_REPORT_BYTES, RS_BYTES, DAD_NS_BYTES, PORT_UNREACHABLE6_BYTES,
                      KERNEL_MAC, PEER_MAC, KERNEL_IP6, PEER_IP6)
from ping6 import Ping6
from support import raises
from prng import Prng

A6 = ipaddr.parse6("2001:db8::1")
B6 = ipaddr.parse6("2001:db8::2")
MAC_A = b"\x02\x00\x00\x00\x00\x01"
MAC_B = b"\x02\x00\x00\x00\x00\x02"
LL_A = ipaddr.parse6("fe80::ff:fe00:1")
LL_B = ipaddr.parse6("fe80::ff:fe00:2")
ALL_NODES = ipaddr.parse6("ff02::1")


class Pair:
    """Two Interfaces on a Loopback pair with a fake clock; A is
    2001:db8::1/64, B 2001:db8::2/64 (plus their link-local addresses)."""

    def __init__(self, cfg_a=None, cfg_b=None, addrs=True):
        self.t = 0
        self.dev_a, self.dev_b = Loopback.pair(mac_a=MAC_A, mac_b=MAC_B, slots=16)
        self.a = Interface(self.dev_a, cfg_a or Config(strict=True))
        self.b = Interface(self.dev_b, cfg_b or Config(strict=True))
        if addrs:
            self.a.add_ip("2001:db8::1/64")
            self.b.add_ip("2001:db8::2/64")

    def step(self, ms=1):
        self.a.poll(self.t)
        self.b.poll(self.t)
        self.t += ms

    def run(self, ms, step=1):
        for _ in range(0, ms, step):
            self.step(step)


def _udp(iface, port):
    s = iface.add_socket(UdpSocket(rx_slots=8, rx_bytes=4000))
    s.bind(port)
    return s


def _one(cfg=None):
    """An Interface at 2001:db8::2 (and 192.0.2.2) on PEER_MAC, and the test's
    end of the cable (the "kernel" at KERNEL_MAC)."""
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, cfg or Config(strict=True))
    i.add_ip("192.0.2.2/24")
    i.add_ip("2001:db8::2/64")
    return i, peer


def _out(peer):
    buf = bytearray(1600)
    n = peer.recv_into(buf)
    return bytes(buf[:n]) if n else None


def _frame(src, dst, nh, body, hops=64, dst_mac=PEER_MAC, src_mac=KERNEL_MAC):
    h = bytearray(40)
    ipv6.emit(h, 0, src, 0, dst, 0, nh, len(body), hops)
    return bytes(dst_mac) + bytes(src_mac) + b"\x86\xdd" + bytes(h) + bytes(body)


def _icmp(src, dst, body):
    """An ICMPv6 message with its checksum filled in."""
    b = bytearray(body)
    icmpv6.fill_checksum(b, 0, len(b), checksum.pseudo6(src, 0, dst, 0, 58, len(b)))
    return bytes(b)


def _udp_body(src, dst, sport, dport, data, cs_len=None):
    from smolnet.wire import udp
    b = bytearray(8 + len(data))
    udp.emit(b, 0, sport, dport, len(data))
    b[8:] = data
    udp.fill_checksum(b, 0, len(b), checksum.pseudo6(src, 0, dst, 0, 17, len(b)))
    return bytes(b)


def _feed(i, peer, frame, now=0):
    peer.send(frame, len(frame))
    i.poll(now)
    return _out(peer)


# --- addresses ---------------------------------------------------------------
def test_link_local_from_mac_and_ips6():
    i, _ = _one()
    assert i.ips6() == ["fe80::ff:fe00:1/64", "2001:db8::2/64"]
    assert i.ips() == ["192.0.2.2/24"]          # ips() stays IPv4
    i.add_ip("2001:db8::2/60")                  # same address: prefix updated
    assert i.ips6()[1] == "2001:db8::2/60"
    assert i.remove_ip("2001:db8::2")
    assert not i.remove_ip("2001:db8::2")
    assert i.ips6() == ["fe80::ff:fe00:1/64"]
    i.add_ip("2001:db8::7")
    assert i.ips6()[1] == "2001:db8::7/128"
    i.clear_ips()                                # keeps the link-local address
    assert i.ips() == [] and i.ips6() == ["fe80::ff:fe00:1/64"]


def test_address_config_errors():
    i = Interface(Loopback(), Config(addrs6=2))
    raises(ValueError, i.add_ip, "2001:db8::/129")
    raises(ValueError, i.add_ip, "ff02::1/64")
    raises(ValueError, i.add_ip, "::/0")
    raises(ValueError, i.add_ip, "2001:db8::zz/64")
    i.add_ip("2001:db8::1/64")
    e = raises(OSError, i.add_ip, "2001:db8::3/64")
    assert e.args[0] == errno.ENOMEM
    off = Interface(Loopback(), Config(ipv6=False))
    assert off.ips6() == []
    e = raises(OSError, off.add_ip, "2001:db8::1/64")
    assert e.args[0] == errno.EOPNOTSUPP
    raises(ValueError, i.routes6.add, "2001:db8::/64", "192.0.2.1")


def test_ipv6_off_counts_unknown_ethertype():
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, Config(strict=True, ipv6=False))
    assert _feed(i, peer, NS_BYTES) is None
    assert i.stats.drop_unknown_ethertype == 1
    assert i.tx_begin(B6, 0, 16, None, 0, 0) == -2


# --- Neighbor Discovery against the kernel's frames ---------------------------
def test_ns_from_kernel_gets_exact_na_and_learns():
    i, peer = _one()
    assert _feed(i, peer, NS_BYTES) == NA_REPLY_BYTES
    assert i.stats.nd_adverts == 1 and i.stats.drops() == 0
    j = i.neighbors.lookup(KERNEL_IP6, 0, 16, 0)
    assert j >= 0 and bytes(i.neighbors.macs[6 * j:6 * j + 6]) == KERNEL_MAC


def test_echo_request_from_kernel_gets_exact_reply():
    i, peer = _one()
    assert _feed(i, peer, ECHO6_REQUEST_BYTES) == ECHO6_REPLY_BYTES
    assert i.stats.icmp_echo_replies == 1


def test_udp_from_kernel_and_exact_answer():
    i, peer = _one()
    u = _udp(i, 6969)
    _feed(i, peer, NS_BYTES)                 # the kernel resolves us first
    assert _feed(i, peer, UDP6_HELLO_BYTES) is None
    assert u.recvfrom() == (b"hello", ("2001:db8::1", 40000))
    u.send_to(b"hello\n", 6, u.peer_addr, u.peer_port)
    i.poll(1)
    assert _out(peer) == UDP6_HELLO_REPLY_BYTES
    assert i.stats.drops() == 0


def test_our_solicitation_and_kernel_na():
    i, peer = _one()
    u = _udp(i, 6969)
    u.sendto(b"x", ("2001:db8::1", 9))
    i.poll(0)
    ns = _out(peer)
    # to ff02::1:ff00:1 (MAC 33:33:ff:00:00:01), from our global address,
    # hop limit 255, our MAC in a source link-layer option
    assert ns[0:6] == bytes.fromhex("3333ff000001") and ns[6:12] == PEER_MAC
    assert ns[14 + 7] == 255 and ns[54] == icmpv6.TYPE_NEIGHBOR_SOLICIT
    assert ns[14 + 8:14 + 24] == PEER_IP6
    assert ns[54 + 8:54 + 24] == KERNEL_IP6 and ns[78:86] == b"\x01\x01" + PEER_MAC
    assert i.stats.nd_solicits == 1 and len(u.tx) == 1
    d = _feed(i, peer, NA_BYTES, 5)              # the kernel's answer: the datagram goes
    assert d[0:6] == KERNEL_MAC and d[14 + 6] == 17 and d[-1:] == b"x"
    assert len(u.tx) == 0 and i.stats.drops() == 0


def test_kernel_frames_a_host_does_not_use():
    # MLDv2 report (to ff02::16: not a group we hear), router solicitation,
    # the kernel's DAD probe for its own address: dropped, counted, unanswered
    i, peer = _one()
    assert _feed(i, peer, MLD2_REPORT_BYTES) is None
    assert _feed(i, peer, RS_BYTES) is None
    assert _feed(i, peer, DAD_NS_BYTES) is None
    assert i.stats.drop_not_for_us == 3
    # an RS sent to all-nodes instead reaches ND and is ignored there
    rs = bytearray(RS_BYTES)
    rs[14 + 24 + 15] = 1
    rs[54 + 2] = rs[54 + 3] = 0
    src = rs[14 + 8:14 + 24]
    rs[54:] = _icmp(src, ALL_NODES, rs[54:])
    assert _feed(i, peer, bytes(rs)) is None
    assert i.stats.drop_icmp6_unhandled == 1
    assert i.stats.drop_internal_error == 0


def test_bad_nd_messages_counted():
    def ns(hops=255, target=PEER_IP6, src=KERNEL_IP6, dst=None, opts=b"\x01\x01" + KERNEL_MAC,
           code=0):
        if dst is None:
            dst = ipaddr.parse6("ff02::1:ff00:2")
        body = bytes([135, code, 0, 0, 0, 0, 0, 0]) + target + opts
        return _frame(src, dst, 58, _icmp(src, dst, body), hops=hops,
                      dst_mac=bytes.fromhex("3333ff000002"))
    unspec = bytes(16)
    cases = (
        ns(hops=64),                                  # forwarded: not on-link
        ns(code=1),
        ns(target=ALL_NODES),                         # multicast target
        ns(opts=b"\x01\x00" + KERNEL_MAC),           # zero-length option
        ns(opts=b"\x01\x02" + KERNEL_MAC),           # option past the end
        ns(opts=b"\x01\x01" + KERNEL_MAC + b"\x01"),
        ns(src=unspec),                               # DAD probe with a source LLA
        ns(src=unspec, opts=b"", dst=B6),             # DAD probe to a unicast address
    )
    for f in cases:
        i, peer = _one()
        assert _feed(i, peer, f) is None
        assert i.stats.drop_bad_nd == 1 and i.stats.drops() == 1, i.stats
        assert i.neighbors.lookup(KERNEL_IP6, 0, 16, 0) < 0
    # a solicited NA to a multicast group is invalid (RFC 4861 7.1.2)
    i, peer = _one()
    body = bytes([136, 0, 0, 0, 0x60, 0, 0, 0]) + KERNEL_IP6 + b"\x02\x01" + KERNEL_MAC
    f = _frame(KERNEL_IP6, ALL_NODES, 58, _icmp(KERNEL_IP6, ALL_NODES, body), hops=255,
               dst_mac=bytes.fromhex("333300000001"))
    assert _feed(i, peer, f) is None and i.stats.drop_bad_nd == 1
    # an NS for an address that is not ours
    i, peer = _one()
    assert _feed(i, peer, ns(target=ipaddr.parse6("2001:db8::3"),
                             dst=ipaddr.parse6("ff02::1:ff00:3"))) is None
    assert i.stats.drop_not_for_us == 1


def test_unicast_ns_without_option_answered_to_sender_mac():
    # a reachability probe (RFC 4861 7.2.4): unicast, no option
    i, peer = _one()
    body = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + PEER_IP6
    f = _frame(KERNEL_IP6, PEER_IP6, 58, _icmp(KERNEL_IP6, PEER_IP6, body), hops=255)
    na = _feed(i, peer, f)
    assert na[0:6] == KERNEL_MAC and na[54] == 136 and na[58] == 0x60
    assert i.neighbors.lookup(KERNEL_IP6, 0, 16, 0) < 0   # nothing learned without it


def test_na_rules():
    i, peer = _one()
    # unsolicited NA for an unknown neighbor: no entry made (RFC 4861 7.2.5)
    assert _feed(i, peer, NA_BYTES) is None
    assert i.stats.drop_not_for_us == 1
    assert i.neighbors.lookup(KERNEL_IP6, 0, 16, 0) < 0
    _feed(i, peer, NS_BYTES)                             # entry from the NS
    other = b"\x02\x00\x00\x00\x00\xbb"

    def na(flags, mac):
        body = bytes([136, 0, 0, 0, flags, 0, 0, 0]) + KERNEL_IP6 + b"\x02\x01" + mac
        return _frame(KERNEL_IP6, PEER_IP6, 58, _icmp(KERNEL_IP6, PEER_IP6, body), hops=255)
    _feed(i, peer, na(0x40, other))                      # no override: kept
    j = i.neighbors.lookup(KERNEL_IP6, 0, 16, 0)
    assert bytes(i.neighbors.macs[6 * j:6 * j + 6]) == KERNEL_MAC
    _feed(i, peer, na(0x20, other))                      # override: replaced
    j = i.neighbors.lookup(KERNEL_IP6, 0, 16, 0)
    assert bytes(i.neighbors.macs[6 * j:6 * j + 6]) == other
    # an NA claiming our own address is a conflict, counted
    body = bytes([136, 0, 0, 0, 0x20, 0, 0, 0]) + PEER_IP6 + b"\x02\x01" + other
    _feed(i, peer, _frame(KERNEL_IP6, PEER_IP6, 58, _icmp(KERNEL_IP6, PEER_IP6, body), hops=255))
    assert i.stats.dad_conflicts == 1 and "2001:db8::2/64" in i.ips6()


# --- two smolnet instances ------------------------------------------------------
def test_ping6_round_trip_and_sizes():
    p = Pair()
    s = p.a.add_socket(Ping6(0x1234))
    for size in (0, 1, 56, 1000, 1451, 1452):
        data = bytes((k * 7 + size) & 0xFF for k in range(size))
        s.send_echo(B6, size, data, size)
        p.run(4)
        n = s.take()
        assert n == 8 + size, (size, n)
        assert s.reply[0] == 129 and bytes(s.reply[8:n]) == data
        assert bytes(s.reply_from) == B6
    s.send_echo(B6, 1, bytes(1453), 1453)                  # one byte past the MTU
    p.run(4)
    assert s.too_big == 1 and s.take() == -1
    assert p.b.stats.icmp_echo_replies == 6
    assert p.a.stats.nd_solicits == 1 and p.b.stats.nd_adverts == 1
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0


def test_udp6_request_response():
    p = Pair()
    ua = _udp(p.a, 1000)
    ub = _udp(p.b, 6969)
    ua.sendto(b"ping6", ("2001:db8::2", 6969))
    p.run(5)
    assert ub.recvfrom() == (b"ping6", ("2001:db8::1", 1000))
    assert ub.peer_alen == 16
    ub.send_to(b"pong6", 5, ub.peer_addr, ub.peer_port)
    p.run(3)
    assert ua.recvfrom() == (b"pong6", ("2001:db8::2", 6969))
    # both learned each other: one solicitation in all
    assert p.a.stats.nd_solicits + p.b.stats.nd_solicits == 1


def test_link_local_only():
    p = Pair(addrs=False)
    ua = _udp(p.a, 1000)
    ub = _udp(p.b, 6969)
    ua.send_to(b"ll", 2, LL_B, 6969)
    p.run(5)
    assert ub.recvfrom() == (b"ll", ("fe80::ff:fe00:1", 1000))
    s = p.a.add_socket(Ping6(9))
    s.send_echo(LL_B, 1, b"abc", 3)
    p.run(4)
    assert s.take() == 11 and bytes(s.reply_from) == LL_B


def test_first_packet_held_rate_limited_given_up():
    p = Pair()
    ua = _udp(p.a, 1000)
    for k in range(3):
        ua.sendto(b"d%d" % k, ("2001:db8::2", 6969))
    ub = _udp(p.b, 6969)
    p.a.poll(0)
    assert p.a.stats.nd_solicits == 1 and len(ua.tx) == 3
    p.run(5)
    assert [ub.recvfrom()[0] for _ in range(3)] == [b"d0", b"d1", b"d2"]
    # nobody at 2001:db8::9: one solicitation a second, dropped after 3 s
    q = Pair()
    uq = _udp(q.a, 1000)
    uq.sendto(b"x", ("2001:db8::9", 6969))
    for t in range(0, 999, 10):
        q.a.poll(t)
    assert q.a.stats.nd_solicits == 1
    assert q.a.poll_delay(995) > 0                   # waits, does not spin
    q.a.poll(1000)
    assert q.a.stats.nd_solicits == 2
    q.a.poll(2000)
    q.a.poll(3000)
    assert len(uq.tx) == 0 and uq.error == errno.EHOSTUNREACH


def test_no_route_off_link():
    p = Pair()
    ua = _udp(p.a, 1000)
    ua.sendto(b"far", ("2001:db8:99::5", 53))
    p.run(3)
    assert p.a.stats.tx_no_route == 1 and ua.error == errno.EHOSTUNREACH
    assert p.a.stats.tx_frames == 0


def test_static_default_route_via_link_local_router():
    p = Pair()
    p.b.add_ip("2001:db8:99::5/64")              # B also owns an off-link address
    p.a.routes6.add_default("fe80::ff:fe00:2")
    ua = _udp(p.a, 1000)
    ub = _udp(p.b, 53)
    ua.sendto(b"via gw", ("2001:db8:99::5", 53))
    p.run(5)
    assert ub.recvfrom() == (b"via gw", ("2001:db8::1", 1000))
    assert p.a.neighbors.lookup(LL_B, 0, 16, p.t) >= 0   # resolved the router
    assert p.a.routes6.entries() == [("::/0", "fe80::ff:fe00:2", "static")]
    assert p.a.routes6.remove("::/0") and p.a.routes6.entries() == []


def test_source_selection():
    p = Pair()
    p.a.add_ip("2001:db8:5::1/64")
    t = p.a
    for dst, want in (("fe80::ff:fe00:2", "fe80::ff:fe00:1"),
                      ("ff02::1", "fe80::ff:fe00:1"),
                      ("2001:db8::2", "2001:db8::1"),
                      ("2001:db8:5::9", "2001:db8:5::1"),
                      ("ff0e::1", "2001:db8::1")):
        off = t.tx_begin(ipaddr.parse6(dst), 0, 16, None, 0, 0)
        assert off == 54 or off == -1, (dst, off)
        assert ipaddr.fmt6(t.tx_src) == want, (dst, ipaddr.fmt6(t.tx_src))
    # a bound source wins
    t.tx_begin(ipaddr.parse6("ff02::1"), 0, 16, ipaddr.parse6("2001:db8:5::1"), 0, 0)
    assert ipaddr.fmt6(t.tx_src) == "2001:db8:5::1"


def test_multicast_udp_and_ping():
    p = Pair()
    ua = _udp(p.a, 1000)
    ub = _udp(p.b, 6969)
    ua.sendto(b"all nodes", ("ff02::1", 6969))
    p.a.poll(0)
    f = _out_of(p.dev_b)
    assert f[0:6] == bytes.fromhex("333300000001") and f[14 + 7] == 1   # hop limit 1
    p.dev_a.send(f, len(f))          # put it back on B's queue (we took it)
    p.run(3)
    assert ub.recvfrom() == (b"all nodes", ("fe80::ff:fe00:1", 1000))
    assert p.a.stats.nd_solicits == 0
    # a closed port on a multicast datagram: no error (RFC 4443 2.4 (e.3))
    ua.sendto(b"none", ("ff02::1", 7777))
    p.run(3)
    assert p.b.stats.drop_no_socket == 1 and p.b.stats.icmp_errors_sent == 0
    # ping all-nodes: B answers from a unicast address (RFC 4443 4.1)
    s = p.a.add_socket(Ping6(3))
    s.send_echo(ALL_NODES, 1, b"hi", 2)
    p.run(4)
    assert s.take() == 10 and bytes(s.reply_from) == LL_B
    # groups we are not in are not ours
    ua.sendto(b"x", ("ff02::1:2", 6969))
    p.run(3)
    assert p.b.stats.drop_not_for_us == 1


def _out_of(dev):
    buf = bytearray(1600)
    n = dev.recv_into(buf)
    return bytes(buf[:n])


def test_port_unreachable_and_rate_limit():
    p = Pair(Config(strict=True), Config(strict=True, icmp_error_burst=3,
                                         icmp_error_interval_ms=1000))
    ua = p.a.add_socket(UdpSocket(tx_slots=10, tx_bytes=1000))
    ua.bind(1000)
    for _ in range(6):
        ua.sendto(b"x", ("2001:db8::2", 9))
    p.run(10)
    assert p.b.stats.drop_no_socket == 6
    assert p.b.stats.icmp_errors_sent == 3 and p.b.stats.icmp_errors_rate_limited == 3
    assert p.a.stats.icmp_errors_received == 3


def test_kernel_port_unreachable_counted():
    i, peer = _one()
    _feed(i, peer, PORT_UNREACHABLE6_BYTES)
    assert i.stats.icmp_errors_received == 1 and i.stats.drops() == 0


# --- extension headers (RFC 8200 4) ----------------------------------------------
def _with_ext(ext_chain, l4_nh, l4, dst=PEER_IP6, src=KERNEL_IP6, first=None, dst_mac=PEER_MAC):
    """A frame with extension headers ext_chain (bytes, their next-header
    fields already right) before l4; first: the IPv6 header's next header."""
    return _frame(src, dst, first, ext_chain + l4, dst_mac=dst_mac)


def _udp_to(port, data=b"ext", dst=PEER_IP6):
    return _udp_body(KERNEL_IP6, dst, 40000, port, data)


def _err_fields(f):
    """(type, code, pointer) of the ICMPv6 error in frame f."""
    return f[54], f[55], (f[58] << 24) | (f[59] << 16) | (f[60] << 8) | f[61]


def test_extension_headers_skipped():
    i, peer = _one()
    u = _udp(i, 6969)
    hbh = bytes([60, 0, 5, 2, 0, 0, 1, 0])           # router alert, PadN -> DSTOPTS
    dsto = bytes([43, 0, 0x1E, 4, 0, 0, 0, 0])        # unknown option "skip" -> ROUTING
    rh = bytes([44, 0, 4, 0, 0, 0, 0, 0])             # segments left 0 -> FRAGMENT
    frag = bytes([17, 0, 0, 0, 0, 0, 0, 7])           # atomic fragment -> UDP
    f = _with_ext(hbh + dsto + rh + frag, 17, _udp_to(6969), first=0)
    assert _feed(i, peer, f) is None
    assert u.recvfrom() == (b"ext", ("2001:db8::1", 40000))
    assert i.stats.drops() == 0


def test_extension_header_errors():
    def run(f):
        i, peer = _one()
        _udp(i, 6969)
        out = _feed(i, peer, f)
        return i.stats, out
    udpb = _udp_to(6969)
    # routing header with segments left: parameter problem at its type
    st, out = run(_with_ext(bytes([17, 0, 0, 1, 0, 0, 0, 0]), 17, udpb, first=43))
    assert st.drop_ext_header == 1 and _err_fields(out) == (4, 0, 42)
    assert out[0:6] == KERNEL_MAC and out[14 + 24:14 + 40] == KERNEL_IP6
    assert out[62:62 + 40] == _with_ext(bytes([17, 0, 0, 1, 0, 0, 0, 0]), 17, udpb,
                                        first=43)[14:54]          # quoted
    # an unknown next header: code 1 pointing at the field naming it
    st, out = run(_frame(KERNEL_IP6, PEER_IP6, 253, b"\x00" * 8))
    assert st.drop_unknown_protocol == 1 and _err_fields(out) == (4, 1, 6)
    st, out = run(_with_ext(bytes([253, 0, 1, 4, 0, 0, 0, 0]), 253, b"\x00" * 8, first=60))
    assert _err_fields(out) == (4, 1, 40)
    # no next header: the end, quietly
    st, out = run(_frame(KERNEL_IP6, PEER_IP6, 59, b""))
    assert st.drop_unknown_protocol == 1 and out is None
    # Hop-by-Hop not first
    st, out = run(_with_ext(bytes([0, 0, 1, 4, 0, 0, 0, 0]) + bytes([17, 0, 1, 4, 0, 0, 0, 0]),
                            17, udpb, first=60))
    assert st.drop_ext_header == 1 and _err_fields(out) == (4, 1, 40)
    # options by their high bits: 01 quiet, 10 and 11 parameter problem code 2
    for t, answered in ((0x5E, False), (0x9E, True), (0xDE, True)):
        st, out = run(_with_ext(bytes([17, 0, t, 4, 0, 0, 0, 0]), 17, udpb, first=60))
        assert st.drop_ext_header == 1
        assert (out is not None) == answered, t
        if answered:
            assert _err_fields(out) == (4, 2, 42)
    # to a multicast group only 10 is answered (RFC 4443 2.4 (e.3))
    mc = ALL_NODES
    for t, answered in ((0x9E, True), (0xDE, False)):
        f = _with_ext(bytes([17, 0, t, 4, 0, 0, 0, 0]), 17, _udp_to(6969, dst=mc), dst=mc,
                      first=60, dst_mac=bytes.fromhex("333300000001"))
        st, out = run(f)
        assert (out is not None) == answered, t
        if answered:   # from our unicast address, never the group
            assert out[14 + 8:14 + 24] == PEER_IP6
    # truncated headers and real fragments
    st, out = run(_frame(KERNEL_IP6, PEER_IP6, 60, bytes([17, 1, 0, 0, 0, 0, 0, 0])))
    assert st.drop_malformed == 1 and out is None
    st, out = run(_with_ext(bytes([17, 0, 0, 1, 0, 0, 0, 7]), 17, udpb, first=44))
    # (a first fragment whose length is no multiple of 8: RFC 8200 4.5,
    # parameter problem at the payload length; more in test_reasm6.py)
    assert st.drop_malformed == 1 and _err_fields(out) == (4, 0, 4)


def test_no_error_about_an_icmp_error():
    # an ICMPv6 error behind a routing header that would earn a parameter
    # problem: RFC 4443 2.4 (e.1) says never
    i, peer = _one()
    err = _icmp(KERNEL_IP6, PEER_IP6, bytes([1, 4, 0, 0, 0, 0, 0, 0]) + bytes(48))
    out = _feed(i, peer, _with_ext(bytes([58, 0, 0, 1, 0, 0, 0, 0]), 58, err, first=43))
    assert out is None and i.stats.drop_ext_header == 1 and i.stats.icmp_errors_sent == 0
    # nor to the unspecified source
    f = _frame(bytes(16), PEER_IP6, 253, bytes(8))
    assert _feed(i, peer, f) is None and i.stats.icmp_errors_sent == 0


def test_ip_level_drops():
    i, peer = _one()
    bad = bytearray(UDP6_HELLO_BYTES)
    bad[14 + 8] = 0xFF                                   # multicast source
    assert _feed(i, peer, bytes(bad)) is None and i.stats.drop_bad_src == 1
    bad = bytearray(UDP6_HELLO_BYTES)
    bad[14 + 24 + 15] = 3                                # 2001:db8::3
    assert _feed(i, peer, bytes(bad)) is None and i.stats.drop_not_for_us == 1
    bad = bytearray(UDP6_HELLO_BYTES)
    bad[-1] ^= 1
    _feed(i, peer, bytes(bad))
    assert i.stats.drop_bad_checksum == 1
    z = bytearray(UDP6_HELLO_BYTES)
    z[54 + 6] = z[54 + 7] = 0                            # zero UDP checksum
    _feed(i, peer, bytes(z))
    assert i.stats.drop_bad_checksum == 2
    bad = bytearray(UDP6_HELLO_BYTES)
    bad[14 + 5] = 0xFF                                   # payload length too long
    _feed(i, peer, bytes(bad))
    assert i.stats.drop_bad_ip_length == 1
    bad = bytearray(ECHO6_REQUEST_BYTES)
    bad[54 + 2] ^= 0xFF
    _feed(i, peer, bytes(bad))
    assert i.stats.drop_bad_checksum == 3 and i.stats.icmp_echo_replies == 0


def test_random_garbage_never_raises():
    r = Prng(2606)
    i, peer = _one(Config(strict=True, dad_transmits=1))
    _udp(i, 6969)
    i.add_socket(Ping6(0x1814))
    seeds = (UDP6_HELLO_BYTES, ECHO6_REQUEST_BYTES, NS_BYTES, NA_BYTES, MLD2_REPORT_BYTES,
             DAD_NS_BYTES, PORT_UNREACHABLE6_BYTES)
    buf = bytearray(1600)
    for k in range(700):
        f = bytearray(seeds[k % len(seeds)])
        for _ in range(1 + r.below(3)):
            # bias the damage toward the IPv6 header and what follows it
            f[14 + r.below(len(f) - 14)] = r.byte()
        if k % 5 == 0:
            f[14 + 6] = (0, 43, 44, 60, 58, 17, 6, 59)[r.below(8)]
        if k % 7 == 0:
            f = f[:1 + r.below(len(f) - 1)]
        peer.send(f, len(f))
        i.poll(k * 10)
        while peer.recv_into(buf):
            pass
    assert i.stats.drop_internal_error == 0 and i.stats.rx_frames == 700


# --- DAD, router advertisements, SLAAC -----------------------------------------------
def test_dad_probe_then_preferred():
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, Config(strict=True, dad_transmits=1))
    assert i.ips6() == ["fe80::ff:fe00:1/64 tentative"]
    assert i.poll_delay(0) == 0
    i.add_ip("2001:db8::2/64")
    i.poll(0)
    probes = [_out(peer), _out(peer)]
    for f in probes:
        assert f[54] == 135 and f[14 + 8:14 + 24] == bytes(16) and len(f) == 78
        assert f[0:3] == b"\x33\x33\xff"
    assert probes[1][54 + 8:54 + 24] == PEER_IP6
    assert 0 < i.poll_delay(10) <= 1000
    # tentative: the kernel's NS for it gets no answer, unicast is refused
    assert _feed(i, peer, NS_BYTES, 10) is None
    assert _feed(i, peer, UDP6_HELLO_BYTES, 10) is None
    i.poll(1000)
    assert i.ips6() == ["fe80::ff:fe00:1/64", "2001:db8::2/64"]
    assert i.poll_delay(1000) == -1
    assert _feed(i, peer, NS_BYTES, 1001) == NA_REPLY_BYTES


def test_dad_conflicts():
    # A tests 2001:db8::2, which B already has: B defends (NA to all-nodes)
    p = Pair(Config(strict=True, dad_transmits=1), Config(strict=True), addrs=False)
    p.b.add_ip("2001:db8::2/64")
    p.run(3)
    p.a.add_ip("2001:db8::2/64")
    p.run(1500, step=10)
    assert p.a.ips6() == ["fe80::ff:fe00:1/64"]
    assert p.a.stats.dad_conflicts == 1 and p.b.stats.nd_adverts == 1
    # both test the same address at once: each sees the other's probe
    q = Pair(Config(strict=True, dad_transmits=1), Config(strict=True, dad_transmits=1),
             addrs=False)
    q.a.add_ip("2001:db8::7/64")
    q.b.add_ip("2001:db8::7/64")
    q.run(1500, step=10)
    assert "2001:db8::7/64" not in q.a.ips6() and "2001:db8::7/64" not in q.b.ips6()
    assert q.a.stats.dad_conflicts == 1 and q.b.stats.dad_conflicts == 1
    assert len(q.a.ips6()) == 1 and len(q.b.ips6()) == 1      # link-local kept


def _ra(src_ll=LL_B, mac=MAC_B, lifetime=1800, prefixes=(), mtu=0, hops=255, hop_limit=64,
        sll=True):
    body = bytearray([134, 0, 0, 0, hop_limit, 0, lifetime >> 8, lifetime & 0xFF]) + bytes(8)
    if sll:
        body += b"\x01\x01" + mac
    if mtu:
        body += bytes([5, 1, 0, 0, 0, 0, mtu >> 8, mtu & 0xFF])
    for pfx, plen, flags, valid, pref in prefixes:
        o = bytearray([3, 4, plen, flags]) + bytes(28)
        for k in range(4):
            o[4 + k] = (valid >> (24 - 8 * k)) & 0xFF
            o[8 + k] = (pref >> (24 - 8 * k)) & 0xFF
        o[16:32] = ipaddr.parse6(pfx)
        body += o
    return _frame(src_ll, ALL_NODES, 58, _icmp(src_ll, ALL_NODES, body), hops=hops,
                  dst_mac=bytes.fromhex("333300000001"), src_mac=mac)


def _inject(p, frame):
    """frame arrives at A as if B sent it."""
    p.dev_b.send(frame, len(frame))


def test_ra_gives_slaac_address_router_and_prefix():
    p = Pair(addrs=False)
    p.b.add_ip("2001:db8:1::1/64")
    p.b.add_ip("2001:db8:99::5/64")
    _inject(p, _ra(prefixes=(("2001:db8:1::", 64, 0xC0, 86400, 14400),), mtu=1480,
                   hop_limit=32))
    p.step()
    a = p.a
    assert a.stats.ra_received == 1
    assert "2001:db8:1::ff:fe00:1/64" in a.ips6()
    assert a.routes6.entries() == [("::/0", "fe80::ff:fe00:2", "ra"),
                                   ("2001:db8:1::/64", "on-link", "ra")]
    assert a.ip6.hop_limit == 32 and a.ip6.mtu == 1480
    assert a.neighbors.lookup(LL_B, 0, 16, p.t) >= 0       # from the source LLA
    # on-link: straight to B; off-link: through the router (B too)
    ua = _udp(a, 1000)
    ub = _udp(p.b, 53)
    ua.sendto(b"on-link", ("2001:db8:1::1", 53))
    ua.sendto(b"off-link", ("2001:db8:99::5", 53))
    p.run(6)
    assert ub.recvfrom() == (b"on-link", ("2001:db8:1::ff:fe00:1", 1000))
    assert ub.recvfrom() == (b"off-link", ("2001:db8:1::ff:fe00:1", 1000))
    s = a.add_socket(Ping6(5))
    s.send_echo(ipaddr.parse6("2001:db8:1::1"), 1, bytes(1432), 1432)   # 1480 - 48
    p.run(4)
    assert s.take() == 1440 and s.reply_hops == 64
    # router lifetime 0: no longer a default router
    _inject(p, _ra(lifetime=0))
    p.step()
    assert a.routes6.entries() == [("2001:db8:1::/64", "on-link", "ra")]


def test_slaac_lifetimes_expire():
    p = Pair(addrs=False)
    _inject(p, _ra(lifetime=20, prefixes=(("2001:db8:1::", 64, 0xC0, 10, 5),)))
    p.step()
    a = p.a
    assert "2001:db8:1::ff:fe00:1/64" in a.ips6()
    assert 0 < a.poll_delay(p.t) <= 5000
    p.run(6000, step=50)
    assert "2001:db8:1::ff:fe00:1/64 deprecated" in a.ips6()
    # a deprecated address is the last choice of source
    a.add_ip("2001:db8:2::1/64")
    a.tx_begin(ipaddr.parse6("2001:db8:1::1"), 0, 16, None, 0, p.t)
    assert ipaddr.fmt6(a.tx_src) == "2001:db8:2::1"
    p.run(5000, step=50)
    assert a.ips6() == ["fe80::ff:fe00:1/64", "2001:db8:2::1/64"]
    assert a.routes6.entries() == [("::/0", "fe80::ff:fe00:2", "ra")]
    p.run(10000, step=100)
    assert a.routes6.entries() == []
    assert a.poll_delay(p.t) == -1


def test_slaac_two_hour_rule_and_bad_prefixes():
    p = Pair(addrs=False)
    big = 86400
    _inject(p, _ra(prefixes=(("2001:db8:1::", 64, 0x40, big, big),)))
    p.step()
    a = p.a.ip6.addrs
    i = a.find(ipaddr.parse6("2001:db8:1::ff:fe00:1"), 0)
    assert i >= 0 and a.valid_s[i] - p.a.ip6.secs == big
    assert p.a.routes6.entries() == [("::/0", "fe80::ff:fe00:2", "ra")]   # no L flag
    # RFC 4862 5.5.3 (e): a short valid lifetime is cut to two hours, not 60 s
    _inject(p, _ra(prefixes=(("2001:db8:1::", 64, 0x40, 60, 60),)))
    p.step()
    i = a.find(ipaddr.parse6("2001:db8:1::ff:fe00:1"), 0)
    assert a.valid_s[i] - p.a.ip6.secs == 7200
    n = a.n
    # ignored: link-local prefix, /48, preferred > valid, valid 0 for a new prefix
    _inject(p, _ra(prefixes=(("fe80::", 64, 0xC0, big, big), ("2001:db8:3::", 48, 0x40, big, big),
                             ("2001:db8:4::", 64, 0x40, 10, 20), ("2001:db8:5::", 64, 0x40, 0, 0))))
    p.step()
    assert a.n == n
    # infinite lifetimes
    _inject(p, _ra(prefixes=(("2001:db8:6::", 64, 0x40, 0xFFFFFFFF, 0xFFFFFFFF),)))
    p.step()
    i = a.find(ipaddr.parse6("2001:db8:6::ff:fe00:1"), 0)
    assert i >= 0 and a.valid_s[i] == -1 and a.pref_s[i] == -1


def test_ra_validation_and_switches():
    # not from a link-local source, hop limit below 255: invalid
    p = Pair(addrs=False)
    _inject(p, _ra(src_ll=ipaddr.parse6("2001:db8::9"), prefixes=(("2001:db8:1::", 64, 0xC0,
                                                                    100, 100),)))
    _inject(p, _ra(hops=64))
    p.step()
    assert p.a.stats.drop_bad_nd == 2 and p.a.routes6.entries() == []
    q = Pair(Config(strict=True, accept_ra=False), addrs=False)
    _inject(q, _ra(prefixes=(("2001:db8:1::", 64, 0xC0, 100, 100),)))
    q.step()
    assert q.a.stats.drop_icmp6_unhandled == 1 and q.a.routes6.entries() == []
    r = Pair(Config(strict=True, slaac=False), addrs=False)
    _inject(r, _ra(prefixes=(("2001:db8:1::", 64, 0xC0, 100, 100),)))
    r.step()
    assert len(r.a.ips6()) == 1 and len(r.a.routes6.entries()) == 2


def test_router_solicitations():
    dev, peer = Loopback.pair(mac_a=MAC_A, mac_b=MAC_B)
    i = Interface(dev, Config(strict=True, router_solicitations=2))
    assert i.poll_delay(0) == 0
    i.poll(0)
    rs = _out(peer)
    assert rs[0:6] == bytes.fromhex("333300000002") and rs[54] == 133
    assert rs[14 + 8:14 + 24] == LL_A and rs[62:70] == b"\x01\x01" + MAC_A
    assert i.poll_delay(100) == 3900
    i.poll(3999)
    assert _out(peer) is None
    i.poll(4000)
    assert _out(peer)[54] == 133
    i.poll(8000)
    assert _out(peer) is None and i.stats.nd_solicits == 2
    # an RA ends soliciting early
    dev, peer = Loopback.pair(mac_a=MAC_A, mac_b=MAC_B)
    i = Interface(dev, Config(strict=True, router_solicitations=3))
    i.poll(0)
    f = _ra()
    peer.send(f, len(f))
    i.poll(10)
    i.poll(4000)
    assert i.stats.nd_solicits == 1 and i.stats.ra_received == 1


# --- TCP over IPv6 through the same contract -------------------------------------
def test_tcp_over_ipv6():
    p = Pair()
    srv = p.b.add_socket(TcpSocket())
    srv.listen(80)
    cli = p.a.add_socket(TcpSocket())
    cli.connect("2001:db8::2", 80)
    p.run(60)                      # TCP retries 20 ms after ND answered
    assert cli.state == ESTABLISHED and srv.state == ESTABLISHED
    assert cli.send(b"hello over six") == 14
    p.run(20)
    buf = bytearray(64)
    n = srv.recv_into(buf)
    assert bytes(buf[:n]) == b"hello over six"
    assert bytes(srv.remote_addr[:16]) == A6
    srv.send(b"back")
    p.run(20)
    assert cli.recv_into(buf) == 4 and bytes(buf[:4]) == b"back"
    # a closed port answers with a RST over IPv6
    c2 = p.a.add_socket(TcpSocket())
    c2.connect("2001:db8::2", 81)
    p.run(60)
    assert c2.error == errno.ECONNREFUSED
    assert p.a.stats.drop_bad_checksum == 0 and p.b.stats.drop_bad_checksum == 0


def test_quiet_by_default():
    # with the default Config an Interface sends nothing unasked (no DAD,
    # no router solicitations, no MLD) and has no timer running
    p = Pair()
    assert p.a.poll_delay(0) == -1 and p.b.poll_delay(0) == -1
    p.run(10)
    assert p.a.stats.tx_frames == 0 and p.b.stats.tx_frames == 0


def test_ipv6_without_link_layer():
    # a TUN-like device (MEDIUM_IP): no link-local address, no ND
    from smolnet.phy.device import MEDIUM_IP
    a, b = Loopback.pair(mac_a=None, mac_b=None, medium=MEDIUM_IP, mtu=1500)
    ia = Interface(a, Config(strict=True))
    ib = Interface(b, Config(strict=True))
    ia.add_ip("2001:db8::1/64")
    ib.add_ip("2001:db8::2/64")
    assert ia.ips6() == ["2001:db8::1/64"]
    ua = _udp(ia, 1)
    ub = _udp(ib, 2)
    ua.sendto(b"tun6", ("2001:db8::2", 2))
    s = ia.add_socket(Ping6(4))
    s.send_echo(B6, 1, b"xy", 2)
    for t in range(5):
        ia.poll(t)
        ib.poll(t)
    assert ub.recvfrom() == (b"tun6", ("2001:db8::1", 1))
    assert s.take() == 10
    assert ia.stats.nd_solicits == 0 and ia.stats.drops() == 0 and ib.stats.drops() == 0
