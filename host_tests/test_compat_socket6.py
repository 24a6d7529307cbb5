# runtimes: cpython unix wasm
# IPv6 in the drop-in socket module, over two Interfaces on a Loopback pair
# (2001:db8::1 and 2001:db8::2 beside 192.0.2.1 and .2): AF_INET6 UDP and
# TCP with CPython's 4-tuples, the two families side by side on one port,
# getaddrinfo for literals and AAAA names, IPV6_JOIN_GROUP, and the NIC's
# ipconfig('addr6'). A fake clock whose sleep() advances it.
from smolnet.compat import socket, network, stack
from smolnet.config import Config
from smolnet.socket import errno
from smolnet.socket.udp import UdpSocket
from netpair import NetPair, compat_nets
from support import raises, heap_locked

EAFNOSUPPORT = 97
ENOPROTOOPT = 92
A6 = "2001:db8::1"
B6 = "2001:db8::2"


def _nets(config=None):
    p, a, b = compat_nets(config)
    if p.a.ip6 is not None:
        p.a.add_ip(A6 + "/64")
        p.b.add_ip(B6 + "/64")
    return p, a, b


def _udp6(net, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 0, net)
    s.bind(("::", port))
    return s


def test_constants_and_inet6_text():
    assert (socket.AF_INET6, socket.IPPROTO_IPV6) == (10, 41)
    assert (socket.IPV6_JOIN_GROUP, socket.IPV6_LEAVE_GROUP) == (20, 21)   # Linux's
    assert (socket.IPV6_ADD_MEMBERSHIP, socket.IPV6_DROP_MEMBERSHIP) == (20, 21)
    b = socket.inet_pton(socket.AF_INET6, "2001:DB8:0:0::1")
    assert b == b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01"
    assert socket.inet_ntop(socket.AF_INET6, b) == "2001:db8::1"      # RFC 5952
    assert socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, "::")) == "::"
    assert socket.inet_pton(socket.AF_INET6, "::ffff:192.0.2.1")[12:] == b"\xc0\x00\x02\x01"
    for bad in ("2001:db8::1::2", "2001:db8:::1", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", ""):
        raises(ValueError, socket.inet_pton, socket.AF_INET6, bad)
    raises(ValueError, socket.inet_ntop, socket.AF_INET6, b"\x00" * 4)
    assert raises(OSError, socket.inet_pton, 99, "::").args[0] == EAFNOSUPPORT
    assert socket.AF_INET6 == 10 and socket.IPV6_JOIN_GROUP == 20


def test_getaddrinfo_literals():
    _nets()
    g = socket.getaddrinfo
    assert g("2001:DB8::0:1", 80) == [(10, 1, 0, "", ("2001:db8::1", 80, 0, 0))]
    assert g(B6, "443", socket.AF_INET6)[0][-1] == (B6, 443, 0, 0)
    assert g("fe80::1%eth0", 7)[0][-1] == ("fe80::1", 7, 0, 0)      # zone dropped
    assert g("", 7, socket.AF_INET6)[0][-1] == ("::", 7, 0, 0)
    assert g("", 7)[0][-1] == ("0.0.0.0", 7)                       # unchanged
    assert g("192.0.2.1", 80, socket.AF_INET) == [(2, 1, 0, "", ("192.0.2.1", 80))]
    # a literal of the other family: not found, as lwIP's getaddrinfo
    assert raises(OSError, g, "192.0.2.1", 80, socket.AF_INET6).args[0] == -2
    assert raises(OSError, g, B6, 80, socket.AF_INET).args[0] == -2
    assert raises(OSError, g, B6, 80, 99).args[0] == EAFNOSUPPORT


def test_getaddrinfo_names_family_and_preference():
    p, a, b = _nets()
    asked = []

    def r4(name):
        asked.append((4, name))
        if name == "v6only.example":
            raise OSError(-2)
        return "192.0.2.9"

    def r6(name):
        asked.append((6, name))
        if name == "v4only.example":
            raise OSError(-2)
        return "2001:db8::9"

    a.resolver, a.resolver6 = r4, r6
    g = socket.getaddrinfo
    assert g("dual.example", 80)[0][-1] == ("192.0.2.9", 80)            # IPv4 first
    assert g("dual.example", 80, socket.AF_INET6) == \
        [(10, 1, 0, "", ("2001:db8::9", 80, 0, 0))]
    assert g("v6only.example", 80)[0][-1] == ("2001:db8::9", 80, 0, 0)  # falls back
    assert g("v4only.example", 80, socket.AF_INET)[0][-1] == ("192.0.2.9", 80)
    assert raises(OSError, g, "v4only.example", 80, socket.AF_INET6).args[0] == -2
    network.ipconfig(prefer=6)
    try:
        assert network.ipconfig("prefer") == 6
        del asked[:]
        assert g("dual.example", 80)[0][-1] == ("2001:db8::9", 80, 0, 0)
        assert g("v4only.example", 80)[0][-1] == ("192.0.2.9", 80)
        assert asked == [(6, "dual.example"), (6, "v4only.example"), (4, "v4only.example")]
    finally:
        network.ipconfig(prefer=4)
    raises(ValueError, network.ipconfig, prefer=5)
    a.resolver6 = None                       # only an IPv4 resolver (the old API)
    assert raises(OSError, g, "dual.example", 80, socket.AF_INET6).args[0] == -2
    assert g("dual.example", 80)[0][-1] == ("192.0.2.9", 80)


# --- a DNS server on B for the resolver that Net.set_dns installs ---------------

_NAMES = {"dual.example": {1: b"\xc0\x00\x02\x09", 28: bytes(
              socket.inet_pton(socket.AF_INET6, "2001:db8::9"))},
          "six.example": {28: bytes(socket.inet_pton(socket.AF_INET6, "2001:db8::6"))}}


class _StubDns(UdpSocket):
    """Answers A/AAAA queries from _NAMES: NXDOMAIN for a name it does not
    know, an empty answer (NODATA) for a known name without that type."""

    def __init__(self):
        UdpSocket.__init__(self)
        self.bind(53)
        self.log = []

    def process(self, iface, l4_off, l4_len, now):
        UdpSocket.process(self, iface, l4_off, l4_len, now)
        q = bytearray(512)
        self.recv_into(q)
        i, labels = 12, []
        while q[i]:
            labels.append(bytes(q[i + 1:i + 1 + q[i]]).decode())
            i += 1 + q[i]
        qtype = (q[i + 1] << 8) | q[i + 2]
        name = ".".join(labels)
        self.log.append((name, qtype))
        r = bytearray(q[:i + 5])
        r[2], r[3] = 0x81, 0x80
        r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0
        rec = _NAMES.get(name)
        if rec is None:
            r[3] |= 3                                        # NXDOMAIN
        elif qtype in rec:
            r[7] = 1
            d = rec[qtype]
            r += bytes((0xC0, 12, 0, qtype, 0, 1, 0, 0, 0, 60, 0, len(d))) + d
        self.send_to(r, len(r), self.peer_addr, self.peer_port)


def test_getaddrinfo_asks_aaaa_through_dns():
    p, a, b = _nets()
    srv = p.b.add_socket(_StubDns())
    a.set_dns(["192.0.2.2"])
    g = socket.getaddrinfo
    assert g("dual.example", 80)[0][-1] == ("192.0.2.9", 80)
    assert g("dual.example", 80, socket.AF_INET6)[0][-1] == ("2001:db8::9", 80, 0, 0)
    assert g("six.example", 80)[0][-1] == ("2001:db8::6", 80, 0, 0)     # A: no data
    assert raises(OSError, g, "nope.example", 80).args[0] == -2
    # the AAAA fallback only follows "no data", not "no such name"
    assert srv.log == [("dual.example", 1), ("dual.example", 28), ("six.example", 1),
                       ("six.example", 28), ("nope.example", 1)]
    a.set_dns([])
    assert a.resolver is None and a.resolver6 is None


# --- datagrams ----------------------------------------------------------------

def test_udp6_sendto_recvfrom_and_names():
    p, a, b = _nets()
    srv = _udp6(b, 7)
    cli = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    assert cli.sendto(b"hello", (B6, 7)) == 5
    data, addr = srv.recvfrom(100)
    assert data == b"hello" and addr[0] == A6 and addr[2:] == (0, 0)
    assert 49152 <= addr[1] <= 65535
    assert cli.getsockname() == ("::", addr[1], 0, 0)
    assert srv.getsockname() == ("::", 7, 0, 0)
    srv.sendto(b"HELLO, longer", addr)
    assert cli.recvfrom(5) == (b"HELLO", (B6, 7, 0, 0))
    # connect with the 4-tuple; a bound address shows in getsockname
    c2 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    c2.bind((A6, 0))
    assert raises(OSError, c2.getpeername).args[0] == errno.ENOTCONN
    c2.connect((B6, 7, 0, 0))
    assert c2.getpeername() == (B6, 7, 0, 0) and c2.getsockname()[0] == A6
    c2.send(b"x")
    assert srv.recvfrom(10)[0] == b"x"
    for s in (cli, c2, srv):
        s.close()


def test_families_share_a_port_and_stay_apart():
    p, a, b = _nets()
    s6 = _udp6(b, 5000)
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0, b)
    s4.bind(("0.0.0.0", 5000))                 # no EADDRINUSE: another family
    again = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 0, b)
    assert raises(OSError, again.bind, ("::", 5000)).args[0] == errno.EADDRINUSE
    c4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    c4.sendto(b"four", ("192.0.2.2", 5000))
    c6.sendto(b"six", (B6, 5000))
    assert s4.recvfrom(10) == (b"four", ("192.0.2.1", c4.getsockname()[1]))
    assert s6.recvfrom(10)[0] == b"six"
    s4.setblocking(False)
    s6.setblocking(False)
    assert raises(OSError, s4.recv, 10).args[0] == errno.EAGAIN
    assert raises(OSError, s6.recv, 10).args[0] == errno.EAGAIN
    # TCP: two servers on port 80, each takes its own family
    L6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, 0, b)
    L6.bind(("::", 80))
    L6.listen(2)
    L4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, b)
    L4.bind(("", 80))
    L4.listen(2)
    t4 = socket.socket()
    t4.connect(("192.0.2.2", 80))
    t6 = socket.socket(socket.AF_INET6)
    t6.connect((B6, 80))
    k6, addr6 = L6.accept()
    k4, addr4 = L4.accept()
    assert addr6 == (A6, t6.getsockname()[1], 0, 0) and addr4 == ("192.0.2.1", t4.getsockname()[1])
    for s in (s6, s4, again, c4, c6, L6, L4, t4, t6, k6, k4):
        s.close()


def test_family_filter_receives_without_allocating():
    # the facade's UdpSocket subclass sits on the packet path: a datagram of
    # each family reaching it (or passing it by) allocates nothing
    p, a, b = _nets()
    s6 = _udp6(b, 6000)
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0, b)
    s4.bind(("", 6000))
    u = UdpSocket()
    u.bind(4000)
    p.a.add_socket(u)
    for dst in (B6, "192.0.2.2"):               # neighbors found first
        u.sendto(b"first", (dst, 6000))
    assert s6.recvfrom(20)[0] == b"first" and s4.recvfrom(20)[0] == b"first"
    for dst in (B6, "192.0.2.2"):
        u.sendto(b"datagram", (dst, 6000))
        p.a.poll(p.clock.t)                     # out on the Loopback
        heap_locked(lambda: p.b.poll(p.clock.t))
    assert s6._s.can_recv() and s4._s.can_recv()
    assert s6.recvfrom(20)[0] == b"datagram" and s4.recvfrom(20)[0] == b"datagram"
    s6.close()
    s4.close()


# --- streams ------------------------------------------------------------------

def test_tcp6_client_and_server():
    p, a, b = _nets()
    L = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, 0, b)
    L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    L.bind((B6, 8080, 0, 0))
    L.listen(1)
    assert L.getsockname() == (B6, 8080, 0, 0)
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.connect(socket.getaddrinfo(B6, 8080)[0][-1])
    k, peer = L.accept()
    assert peer == c.getsockname() and peer[0] == A6
    assert k.getpeername() == peer and k.getsockname() == (B6, 8080, 0, 0)
    assert c.getpeername() == (B6, 8080, 0, 0)
    data = bytes(range(256)) * 40
    c.sendall(data)
    got = b""
    while len(got) < len(data):
        got += k.recv(4096)
    assert got == data
    k.write(b"line one\nline two\n")
    assert c.readline() == b"line one\n"
    assert c.recvfrom(100) == (b"line two\n", (B6, 8080, 0, 0))
    k.close()
    assert c.recv(10) == b""
    c.close()
    L.close()


def test_tcp6_refused_is_a_reset_as_lwip():
    p, a, b = _nets()
    c = socket.socket(socket.AF_INET6)
    c.settimeout(2)
    assert raises(OSError, c.connect, (B6, 9)).args[0] == errno.ECONNRESET
    c.close()


def test_bad_addresses_and_families():
    p, a, b = _nets()
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    # an IPv4 literal on an IPv6 socket: EINVAL (lwIP's ERR_VAL); a name:
    # ValueError as for IPv4 (numeric addresses only)
    assert raises(OSError, s.sendto, b"x", ("192.0.2.2", 7)).args[0] == errno.EINVAL
    assert raises(OSError, s.bind, ("0.0.0.0", 7)).args[0] == errno.EINVAL
    raises(ValueError, s.connect, ("example.com", 7))
    raises(TypeError, s.connect, B6)
    raises(TypeError, s.connect, (B6,))
    s.bind((B6 + "%1", 0, 0))                # zone and a 3-tuple accepted
    s.close()
    t = socket.socket(socket.AF_INET6)
    assert raises(OSError, t.connect, ("192.0.2.2", 80)).args[0] == errno.EINVAL
    t.close()
    raises(ValueError, socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect, (B6, 7))
    assert raises(OSError, socket.socket, socket.AF_INET6, socket.SOCK_RAW, 1).args[0] == \
        errno.EINVAL
    assert raises(OSError, socket.socket, 1).args[0] == EAFNOSUPPORT
    p, a, b = _nets(Config(strict=True, ipv6=False))
    assert raises(OSError, socket.socket, socket.AF_INET6).args[0] == EAFNOSUPPORT
    a.resolver, a.resolver6 = (lambda n: "192.0.2.9"), (lambda n: "2001:db8::9")
    assert raises(OSError, socket.getaddrinfo, "x.example", 1, socket.AF_INET6).args[0] == -2
    a.resolver = None                          # no AAAA fallback without IPv6
    assert raises(OSError, socket.getaddrinfo, "x.example", 1).args[0] == -2


def _mreq6(group, ifindex=0):
    return socket.inet_pton(socket.AF_INET6, group) + bytes((0, 0, 0, ifindex))


def test_ipv6_multicast_membership():
    p, a, b = _nets()
    srv = _udp6(b, 7000)
    other = _udp6(b, 7001)
    g = "ff05::db8:1"
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, _mreq6(g, 1))
    assert g in p.b.multicast_groups()
    e = raises(OSError, srv.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, _mreq6(g))
    assert e.args[0] == errno.EADDRINUSE
    other.setsockopt(socket.IPPROTO_IPV6, 12, _mreq6(g))     # lwIP's number for it
    cli = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    cli.sendto(b"to the group", (g, 7000))
    assert srv.recvfrom(100) == (b"to the group", (A6, cli.getsockname()[1], 0, 0))
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, _mreq6(g))
    assert g in p.b.multicast_groups()                       # `other` still holds it
    e = raises(OSError, srv.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, _mreq6(g))
    assert e.args[0] == errno.EADDRNOTAVAIL
    other.close()                                            # memberships end with it
    assert g not in p.b.multicast_groups()
    for bad in (b"\xff" * 8, socket.inet_pton(socket.AF_INET6, g), 5):
        e = raises(OSError, srv.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, bad)
        assert e.args[0] == errno.EINVAL
    e = raises(OSError, srv.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
               _mreq6(B6))                                   # not a multicast address
    assert e.args[0] == errno.EINVAL
    e = raises(OSError, srv.setsockopt, socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
               b"\xe9\xfc\x00\x01\x00\x00\x00\x00")
    assert e.args[0] == ENOPROTOOPT                          # the socket is IPv6 only
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0, b)
    e = raises(OSError, s4.setsockopt, socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, _mreq6(g))
    assert e.args[0] == ENOPROTOOPT
    for s in (srv, cli, s4):
        s.close()


# --- the NIC and the REPL -------------------------------------------------------

def test_nic_ipconfig_addr6():
    stack.clear()
    p = NetPair()
    nic = network.LAN(p.a)
    ll = nic.ipconfig("addr6")
    assert len(ll) == 1 and ll[0][0].startswith("fe80::") and ll[0][1:] == (0x30, 0, 0)
    nic.ipconfig(addr6="2001:db8::2")                       # /64 assumed
    assert nic.ipconfig("addr6")[1] == ("2001:db8::2", 0x30, 0, 0)
    assert "2001:db8::2/64" in p.a.ips6()
    nic.ipconfig(addr6="2001:db8:1::2/48")                  # replaces the static one
    assert [x[0] for x in nic.ipconfig("addr6")][1:] == ["2001:db8:1::2"]
    assert "2001:db8:1::2/48" in p.a.ips6()
    raises(ValueError, nic.ipconfig, addr6="192.0.2.7")
    nic.ipconfig(addr6=None)
    assert nic.ipconfig("addr6") == ll
    # a SLAAC address reports the seconds left of its lifetimes, and its state
    # in lwIP's codes (tentative + probes sent, deprecated, preferred)
    from smolnet.iface import addr6
    s6 = p.a.ip6
    au = socket.inet_pton(socket.AF_INET6, "2001:db8:7::1")
    i = s6.addrs.add(au, 0, 64, addr6.SLAAC, addr6.PREFERRED)
    s6.addrs.pref_s[i] = s6.secs + 50
    s6.addrs.valid_s[i] = s6.secs + 100
    assert nic.ipconfig("addr6")[-1] == ("2001:db8:7::1", 0x30, 50, 100)
    s6.addrs.state[i] = addr6.DEPRECATED
    s6.addrs.pref_s[i] = s6.secs
    s6.addrs.valid_s[i] = addr6.FOREVER
    assert nic.ipconfig("addr6")[-1] == ("2001:db8:7::1", 0x10, 0, 0xFFFFFFFF)
    s6.addrs.state[i] = addr6.TENTATIVE
    s6.dad_transmits, s6.addrs.dad_left[i] = 3, 2
    assert nic.ipconfig("addr6")[-1][1] == 0x09
    nic.ipconfig(addr6=None)                       # static ones only: SLAAC stays
    assert nic.ipconfig("addr6")[-1][0] == "2001:db8:7::1"
    q = NetPair(config=Config(ipv6=False))
    n4 = network.LAN(q.a)
    assert n4.ipconfig("addr6") == []
    assert raises(OSError, n4.ipconfig, addr6="2001:db8::2").args[0] == errno.EOPNOTSUPP


def test_repl_up_prints_ipv6_addresses():
    from smolnet import repl
    p = NetPair()
    lines = []
    repl.set_output(lines.append)
    try:
        repl.up(p.a, "2001:db8::5/64", driver=False, install=False)
        assert lines[0].startswith("Loopback up: 192.0.2.1/24 mac ")
        assert lines[1:] == ["  inet6 2001:db8::5/64"]
        assert socket.getaddrinfo("2001:db8::5", 1, socket.AF_INET6)[0][-1][0] == "2001:db8::5"
        repl.down()
    finally:
        repl.set_output()


def test_udp6_datagram_past_the_mtu_is_emsgsize():
    # one IPv6 packet (the link's MTU, or a smaller one a router announced)
    p, a, b = _nets()
    t = _udp6(b, 7300)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    room = p.a.ip_mtu - 40 - 8
    assert raises(OSError, s.sendto, bytes(room + 1), (B6, 7300)).args[0] == errno.EMSGSIZE
    assert s.sendto(bytes(room), (B6, 7300)) == room
    assert len(t.recv(2000)) == room
    p.a.ip6.mtu = 1280
    assert raises(OSError, s.sendto, bytes(1280 - 48 + 1), (B6, 7300)).args[0] == errno.EMSGSIZE
    s.close()
    t.close()
