# runtimes: cpython unix wasm
# The IPv6 steady state allocates nothing: after a warm-up (neighbor
# discovery, first use), ICMPv6 echo and UDP-over-IPv6 request/response
# loops between two Interfaces run under micropython.heap_lock() (a no-op on
# CPython, where only the results are checked). On the 32-bit webassembly
# port this also shows no value on the path grows past a small int. See
# test_alloc.py for what heap_lock cannot see (large call frames on the unix
# port, which cost time, not memory).
#
# Also locked: the ND exchange itself (an expired neighbor resolved again),
# answering the peer's solicitations, a router advertisement refreshing a
# SLAAC address, and lifetimes running down.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.fast import equal
from smolnet.wire import ipaddr, ipv6, icmpv6, checksum
from ping6 import Ping6
from support import heap_locked

_ROUNDS = 1000
B6 = ipaddr.parse6("2001:db8::2")
LL_B = ipaddr.parse6("fe80::ff:fe00:2")
ALL_NODES = ipaddr.parse6("ff02::1")


class Pair:
    def __init__(self, cfg=None):
        self.t = 0
        self.dev_a, self.dev_b = Loopback.pair(slots=16)
        self.a = Interface(self.dev_a, cfg or Config(strict=True))
        self.b = Interface(self.dev_b, cfg or Config(strict=True))
        self.a.add_ip("2001:db8::1/64")
        self.b.add_ip("2001:db8::2/64")

    def step(self):
        self.a.poll(self.t)
        self.b.poll(self.t)
        self.t += 1

    def run(self, n):
        for _ in range(n):
            self.step()


def _ping_rounds(p, s, payload, count, res):
    ok = 0
    for k in range(count):
        s.send_echo(B6, k & 0xFFFF, payload, 56)
        p.step()
        p.step()
        n = s.take()
        if n == 64 and s.reply[0] == 129 and equal(s.reply, 8, payload, 0, 56):
            ok += 1
    res[0] = ok


def test_1000_ping6_without_allocation():
    p = Pair()
    s = p.a.add_socket(Ping6(77))
    payload = bytes(range(56))
    res = [0]
    _ping_rounds(p, s, payload, 5, res)        # warm-up: ND, first use
    p.run(5)
    s.take()
    _ping_rounds(p, s, payload, 5, res)
    assert res[0] == 5
    ctx = (p, s, payload, res)
    heap_locked(lambda: _ping_rounds(ctx[0], ctx[1], ctx[2], _ROUNDS, ctx[3]))
    assert res[0] == _ROUNDS
    assert p.b.stats.icmp_echo_replies == _ROUNDS + 10
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0


def _udp_rounds(p, ua, ub, req, buf, count, res):
    ok = 0
    for k in range(count):
        req[0] = k & 0xFF
        ua.send_to(req, 32, B6, 6969)
        p.step()
        n = ub.recv_into(buf)
        if n == 32:
            buf[1] = 0xEE
            ub.send_to(buf, n, ub.peer_addr, ub.peer_port)
        p.step()
        p.step()
        m = ua.recv_into(buf)
        if m == 32 and buf[0] == k & 0xFF and buf[1] == 0xEE and equal(buf, 2, req, 2, 30):
            ok += 1
    res[0] = ok


def test_1000_udp6_exchanges_without_allocation():
    p = Pair()
    ua = p.a.add_socket(UdpSocket())
    ua.bind(40000)
    ub = p.b.add_socket(UdpSocket())
    ub.bind(6969)
    req = bytearray(range(32))
    buf = bytearray(64)
    res = [0]
    _udp_rounds(p, ua, ub, req, buf, 5, res)
    p.run(5)
    while ua.recv_into(buf) >= 0 or ub.recv_into(buf) >= 0:
        pass
    _udp_rounds(p, ua, ub, req, buf, 5, res)
    assert res[0] == 5
    assert ub.peer_alen == 16
    ctx = (p, ua, ub, req, buf, res)
    heap_locked(lambda: _udp_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], _ROUNDS, ctx[5]))
    assert res[0] == _ROUNDS
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0


def _ra_frame():
    # from B's link-local address: default router for 30 s, prefix
    # 2001:db8:1::/64 on-link and autonomous (valid 20 s, preferred 10 s)
    body = bytearray([134, 0, 0, 0, 64, 0, 0, 30]) + bytes(8) + \
        b"\x01\x01\x02\x00\x00\x00\x00\x02" + \
        bytes([3, 4, 64, 0xC0, 0, 0, 0, 20, 0, 0, 0, 10]) + bytes(4) + \
        ipaddr.parse6("2001:db8:1::")
    icmpv6.fill_checksum(body, 0, len(body), checksum.pseudo6(LL_B, 0, ALL_NODES, 0, 58,
                                                              len(body)))
    h = bytearray(40)
    ipv6.emit(h, 0, LL_B, 0, ALL_NODES, 0, 58, len(body), 255)
    return bytearray(b"\x33\x33\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x86\xdd" + h + body)


def _nd_rounds(p, ua, ub, req, buf, ra, count, res):
    # every round: the neighbor entries expire (Config.neighbor_ttl_ms is
    # 50 ms here), so A and B solicit and advertise again; an RA refreshes
    # the router and the SLAAC address while the lifetimes tick
    ok = 0
    for k in range(count):
        p.dev_b.send(ra, len(ra))
        ua.send_to(req, 32, B6, 6969)
        for _ in range(60):
            p.step()
            n = ub.recv_into(buf)
            if n == 32:
                ok += 1
    res[0] = ok


def test_nd_and_ra_without_allocation():
    p = Pair(Config(strict=True, neighbor_ttl_ms=50))
    ua = p.a.add_socket(UdpSocket())
    ua.bind(40000)
    ub = p.b.add_socket(UdpSocket())
    ub.bind(6969)
    req = bytearray(range(32))
    buf = bytearray(64)
    ra = _ra_frame()
    res = [0]
    _nd_rounds(p, ua, ub, req, buf, ra, 3, res)
    assert res[0] == 3
    assert "2001:db8:1::ff:fe00:1/64" in p.a.ips6()
    s0 = p.a.stats.nd_solicits
    ctx = (p, ua, ub, req, buf, ra, res)
    heap_locked(lambda: _nd_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5], 100, ctx[6]))
    assert res[0] == 100
    assert p.a.stats.nd_solicits - s0 == 100        # resolved again each round
    assert p.a.stats.ra_received == 103
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0
