# runtimes: cpython unix wasm
# Any-IP mode (Config.any_ip, netstack-smoltcp style): an Interface on a
# MEDIUM_IP link (a TUN, here one end of a Loopback pair) takes TCP and UDP
# to every address and port. One any-port TcpListener accepts connections to
# several destinations, each accepted socket's local address and port being
# the SYN's destination; an any-port UdpSocket records each datagram's
# destination and answers from it. Without any_ip the same packets are
# dropped as not for us. The UDP and TCP steady states allocate nothing
# (heap_lock on the MicroPython ports).
from smolnet.config import Config
from smolnet.iface.interface import Interface
from smolnet.phy.device import MEDIUM_IP
from smolnet.phy.loopback import Loopback
from smolnet.socket.tcp import TcpSocket
from smolnet.socket.tcp_listen import TcpListener
from smolnet.socket.udp import UdpSocket
from smolnet.wire import ipaddr
from smolnet.fast import copy, equal
from support import heap_locked, raises

CLIENT4 = "192.0.2.1"
CLIENT6 = "2001:db8::1"
# original destinations: nothing is configured for them on the any-IP side
DESTS = (("198.51.100.7", 8080), ("198.51.100.200", 443), ("2001:db8:100::5", 80))


class Recorder:
    """A device wrapper keeping a copy of the last packet sent."""

    def __init__(self, dev):
        self.dev = dev
        self.medium = dev.medium
        self.mtu = dev.mtu
        self.mac = dev.mac
        self.poll_obj = None
        self.flag = None
        self.last = bytearray(dev.mtu)
        self.last_len = 0

    def recv_into(self, buf):
        return self.dev.recv_into(buf)

    def send(self, buf, n):
        copy(self.last, 0, buf, 0, n)
        self.last_len = n
        return self.dev.send(buf, n)


class Pair:
    def __init__(self, any_ip=True):
        a, b = Loopback.pair(None, None, medium=MEDIUM_IP, mtu=1500)
        self.client = Interface(a, Config())
        self.client.add_ip(CLIENT4 + "/24")
        self.client.add_ip(CLIENT6 + "/64")
        self.rec = Recorder(b)
        self.server = Interface(self.rec, Config(any_ip=any_ip))
        self.now = 0

    def step(self, k=1):
        for _ in range(k):
            self.client.poll(self.now)
            self.server.poll(self.now)
            self.now += 1


def _addr(s):
    return ipaddr.parse(s)


def test_tcp_any_address_any_port():
    p = Pair()
    lst = p.server.add_socket(TcpListener(backlog=4, rx_size=1024, tx_size=1024))
    lst.listen(0, any_port=True)
    clients = []
    for host, port in DESTS:
        c = p.client.add_socket(TcpSocket(1024, 1024))
        c.connect(host, port)
        clients.append(c)
    p.step(10)
    got = []
    buf = bytearray(256)
    for _ in DESTS:
        s = lst.accept()
        assert s is not None
        got.append(s)
    assert lst.accept() is None
    for host, port in DESTS:
        a = _addr(host)
        match = [s for s in got if s.local_port == port]
        assert len(match) == 1
        s = match[0]
        assert s.alen == len(a) and equal(s.local_addr, 0, a, 0, len(a))
        me = _addr(CLIENT4 if len(a) == 4 else CLIENT6)
        assert equal(s.remote_addr, 0, me, 0, len(a))
        banner = b"you reached " + host.encode() + b":" + str(port).encode() + b"\n"
        assert s.send(banner) == len(banner)
    p.step(10)
    for i in range(len(DESTS)):
        c = clients[i]
        host, port = DESTS[i]
        assert c.is_connected()
        n = c.recv_into(buf)
        want = b"you reached " + host.encode() + b":" + str(port).encode() + b"\n"
        assert bytes(buf[:n]) == want
    assert p.server.stats.drop_not_for_us == 0


def test_tcp_listener_any_port_api():
    lst = TcpListener(backlog=1, rx_size=256, tx_size=256)
    raises(OSError, lst.listen, 80, None, True)   # any_port takes port 0
    raises(OSError, lst.listen, 0)
    lst.listen(0, any_port=True)
    raises(OSError, lst.listen, 80)               # listening already
    lst.close()
    lst.listen(80)


def _udp_pair():
    p = Pair()
    srv = p.server.add_socket(UdpSocket())
    srv.bind(0, any_port=True)
    cli = p.client.add_socket(UdpSocket())
    cli.bind(5353)
    return p, srv, cli


def test_udp_any_address_any_port():
    p, srv, cli = _udp_pair()
    buf = bytearray(256)
    targets = (("198.51.100.9", 53), ("198.51.100.77", 9999), ("2001:db8:100::9", 5300))
    for host, port in targets:
        msg = b"to " + host.encode()
        cli.send_to(msg, len(msg), _addr(host), port)
        p.step(3)
        n = srv.recv_into(buf)
        assert bytes(buf[:n]) == msg
        a = _addr(host)
        assert len(srv.local_addr) == len(a) and bytes(srv.local_addr) == a
        assert srv.local_port == port
        assert srv.peer_port == 5353
        me = _addr(CLIENT4 if len(a) == 4 else CLIENT6)
        assert bytes(srv.peer_addr) == me
        # answer from the original destination
        reply = b"you reached " + host.encode() + b"\n"
        srv.send_to(reply, len(reply), srv.peer_addr, srv.peer_port,
                    src=srv.local_addr, sport=srv.local_port)
        p.step(3)
        # on the wire: IP source = the original destination, UDP 53 -> 5353
        w = p.rec.last
        if len(a) == 4:
            assert w[0] >> 4 == 4 and bytes(w[12:16]) == a and bytes(w[16:20]) == me
            u = 20
        else:
            assert w[0] >> 4 == 6 and bytes(w[8:24]) == a and bytes(w[24:40]) == me
            u = 40
        assert (w[u] << 8 | w[u + 1]) == port and (w[u + 2] << 8 | w[u + 3]) == 5353
        assert bytes(w[u + 8:p.rec.last_len]) == reply
        n = cli.recv_into(buf)
        assert bytes(buf[:n]) == reply
        assert bytes(cli.peer_addr) == a and cli.peer_port == port
    assert p.client.stats.drop_bad_checksum == 0
    assert p.server.stats.drop_bad_checksum == 0


def test_udp_any_port_api():
    u = UdpSocket()
    raises(OSError, u.bind, 53, None, True)
    u.bind(0, any_port=True)
    assert u.is_open()
    raises(OSError, u.bind, 53)
    a = _addr("198.51.100.1")
    raises(OSError, u.send_to, b"x", 1, a, 53)                    # no sport
    raises(OSError, u.send_to, b"x", 1, a, 53, 0, -1, bytes(16), 53)  # family
    assert u.send_to(b"x", 1, a, 53, sport=9) == 1                # source: the iface's
    u.close()
    assert not u.is_open()
    u.bind(53)
    raises(OSError, u.send_to, b"x", 1, a, 53, sport=9)           # any-port only


def test_without_any_ip_dropped():
    p = Pair(any_ip=False)
    lst = p.server.add_socket(TcpListener(backlog=2, rx_size=256, tx_size=256))
    lst.listen(0, any_port=True)
    srv = p.server.add_socket(UdpSocket())
    srv.bind(0, any_port=True)
    cli = p.client.add_socket(UdpSocket())
    cli.bind(5353)
    cli.send_to(b"hi", 2, _addr("198.51.100.9"), 53)
    c = p.client.add_socket(TcpSocket(256, 256))
    c.connect("198.51.100.7", 8080)
    p.step(5)
    assert p.server.stats.drop_not_for_us >= 2
    assert not srv.can_recv()
    assert lst.pending() == 0 and not c.is_connected()


def _udp_rounds(p, srv, cli, dst, msg, buf, count, res):
    ok = 0
    for _ in range(count):
        cli.send_to(msg, 32, dst, 53)
        p.step(2)
        n = srv.recv_into(buf)
        if n == 32:
            srv.send_to(buf, n, srv.peer_addr, srv.peer_port,
                        src=srv.local_addr, sport=srv.local_port)
        p.step(2)
        n = cli.recv_into(buf)
        if n == 32 and cli.peer_port == 53 and equal(buf, 0, msg, 0, 32):
            ok += 1
    res[0] = ok


def test_udp_steady_state_no_allocation():
    for host in ("198.51.100.9", "2001:db8:100::9"):
        p, srv, cli = _udp_pair()
        dst = _addr(host)
        msg = bytes(range(32))
        buf = bytearray(64)
        res = [0]
        _udp_rounds(p, srv, cli, dst, msg, buf, 5, res)   # warm up
        assert res[0] == 5
        # one captured variable: calling a closure over more allocates
        ctx = (p, srv, cli, dst, msg, buf, res)
        heap_locked(lambda: _udp_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5],
                                        200, ctx[6]))
        assert res[0] == 200


def _tcp_rounds(p, c, s, msg, buf, count, res):
    ok = 0
    for _ in range(count):
        c.send(msg, 0, 32)
        p.step(2)
        n = s.recv_into(buf)
        if n > 0:
            s.send(buf, 0, n)
        p.step(2)
        n = c.recv_into(buf)
        if n == 32 and equal(buf, 0, msg, 0, 32):
            ok += 1
    res[0] = ok


def test_tcp_steady_state_no_allocation():
    # an echo through a connection the any-port listener accepted (the
    # listener still sees every segment first)
    for host, port in (DESTS[0], DESTS[2]):
        p = Pair()
        lst = p.server.add_socket(TcpListener(backlog=2, rx_size=1024, tx_size=1024))
        lst.listen(0, any_port=True)
        c = p.client.add_socket(TcpSocket(1024, 1024))
        c.connect(host, port)
        p.step(6)
        s = lst.accept()
        assert s is not None and s.local_port == port
        msg = bytes(range(32))
        buf = bytearray(64)
        res = [0]
        _tcp_rounds(p, c, s, msg, buf, 5, res)   # warm up
        assert res[0] == 5
        ctx = (p, c, s, msg, buf, res)
        heap_locked(lambda: _tcp_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], 200, ctx[5]))
        assert res[0] == 200
