# runtimes: cpython unix wasm
# Datagram socket paths the other suites pass by: the source address of an
# any-port UdpSocket bound to an address (its datagrams leave from it unless
# send_to names another, one datagram at a time), poll_at() while the next
# hop is being resolved, and the heap-locked send/dispatch/receive of an
# ICMP echo and of a UDP datagram from a bound address.
from smolnet.config import Config
from smolnet.iface.interface import Interface
from smolnet.phy.device import MEDIUM_IP
from smolnet.phy.loopback import Loopback
from smolnet.socket.icmp import IcmpSocket
from smolnet.socket.udp import UdpSocket
from smolnet.wire import ipaddr
from support import heap_locked

A = ipaddr.parse4("192.0.2.1")
B = ipaddr.parse4("192.0.2.2")
BOUND = ipaddr.parse4("198.51.100.7")
OTHER = ipaddr.parse4("198.51.100.8")


def _ip_pair():
    a, b = Loopback.pair(None, None, medium=MEDIUM_IP, mtu=1500)
    ia = Interface(a, Config())
    ia.add_ip("192.0.2.1/24")
    ib = Interface(b, Config(any_ip=True))
    ib.add_ip("192.0.2.2/24")
    return ia, ib


def test_any_port_source_bound_then_given_then_bound():
    ia, ib = _ip_pair()
    cli = ia.add_socket(UdpSocket())
    cli.bind(5000)
    srv = ib.add_socket(UdpSocket())
    srv.bind(0, BOUND, any_port=True)
    buf = bytearray(64)
    for src, want in ((None, BOUND), (OTHER, OTHER), (None, BOUND)):
        srv.send_to(b"hi", 2, A, 5000, 0, -1, src, 53)
        for t in range(3):
            ib.poll(t)
            ia.poll(t)
        assert cli.recv_into(buf) == 2
        assert bytes(cli.peer_addr) == want and cli.peer_port == 53


def test_poll_at_while_resolving():
    a, _ = Loopback.pair(slots=4)      # nobody answers ARP
    i = Interface(a, Config())
    i.add_ip("192.0.2.1/24")
    u = i.add_socket(UdpSocket())
    u.bind(7)
    assert u.poll_at(0) == -1 and not u.dispatch(i, 0)
    u.send_to(b"x", 1, B, 9)
    assert u.poll_at(0) == 0
    assert not u.dispatch(i, 0)        # ARP asked; the datagram waits
    assert u.poll_at(0) == i.neighbor_retry_ms
    assert u.poll_at(i.neighbor_retry_ms + 5) == 0
    assert not u.dispatch(i, 2000)
    assert u.dispatch(i, 3000)         # given up: dropped
    assert u.tx_dropped == 1 and u.poll_at(3000) == -1


class _Rounds:
    # (a method: a closure over this many names allocates its call's
    # arguments on MicroPython)
    def __init__(self):
        self.ia, self.ib = _ip_pair()
        self.s = self.ia.add_socket(IcmpSocket())
        self.s.bind(9)
        self.ua = self.ia.add_socket(UdpSocket())
        self.ua.bind(5000, A)
        self.ub = self.ib.add_socket(UdpSocket())
        self.ub.bind(7)
        self.payload = bytes(range(32))
        self.buf = bytearray(128)

    def round(self, t):
        self.s.send_echo(B, t, self.payload, 32)
        self.ua.send_to(self.payload, 32, B, 7)
        self.ia.poll(t)
        self.ib.poll(t)
        self.ia.poll(t)
        # both lengths in one int: a tuple would allocate
        return self.s.recv_into(self.buf) * 1000 + self.ub.recv_into(self.buf)


def test_echo_and_udp_heap_locked():
    r = _Rounds()
    assert r.round(0) == 40032         # one warm-up round outside the lock
    for t in range(1, 4):
        assert heap_locked(lambda: r.round(t)) == 40032
    assert bytes(r.buf[:32]) == r.payload
    assert bytes(r.ub.peer_addr) == A and r.ub.peer_port == 5000
