# runtimes: cpython unix wasm
# The DNS resolver socket on a Loopback pair: interface A (192.0.2.1) runs
# the DnsSocket, interface B answers on UDP port 53 with bytes dnsmasq sent
# (test_wire_dns) or built here. Exact queries, retransmission over
# servers, errors, spoofed and malformed answers, a query under heap_lock.
from smolnet.socket.dns import (DnsSocket, PENDING, OK, ERR_NXDOMAIN, ERR_NODATA,
                                ERR_SERVFAIL, ERR_TRUNCATED, ERR_TIMEOUT, ERR_NO_SERVER)
from smolnet.socket.udp import UdpSocket
from smolnet.socket import errno
from smolnet.wire import dns, ipaddr
from smolnet.fast import copy
from netpair import NetPair
from support import raises, errno_of, heap_locked, TICKS_MAX
from time import ticks_add, ticks_diff
from test_wire_dns import (QUERY_A, ANSWER_A, ANSWER_CNAME_A, ANSWER_CNAME_AAAA,
                           ANSWER_MULTI, ANSWER_NXDOMAIN, ANSWER_REFUSED)

S1 = "192.0.2.2"
S2 = "192.0.2.3"


class World:
    """NetPair with a resolver on A and DNS servers on B at S1 and S2."""

    def __init__(self, servers=(S1,), t0=0, **kw):
        self.p = NetPair(t0=t0)
        self.p.b.add_ip(S2 + "/24")
        kw.setdefault("seed", 99)
        self.r = self.p.a.add_socket(DnsSocket(list(servers), **kw))
        self.srv = {}
        for s in (S1, S2):
            u = UdpSocket()
            u.bind(53, s)
            self.srv[s] = self.p.b.add_socket(u)
        self.buf = bytearray(1500)
        self.log = []   # (time, server, query bytes)

    @property
    def t(self):
        return self.p.clock.t

    def step(self, ms=1):
        # NetPair.step wraps at 2**30; the runtime's ticks may wrap later
        t = self.p.clock.t
        self.p.a.poll(t)
        self.p.b.poll(t)
        self.p.clock.t = ticks_add(t, ms)

    def queries(self, server):
        """Queries waiting at server (bytes each; port and address kept)."""
        out = []
        u = self.srv[server]
        while True:
            n = u.recv_into(self.buf)
            if n < 0:
                return out
            out.append(bytes(self.buf[:n]))
            self.log.append((self.t, server, out[-1]))
            self.last_peer = (bytes(u.peer_addr), u.peer_port)

    def answer(self, server, msg, ident=None, port=None):
        """Send msg from server to the resolver, with the id of the last
        query seen unless given."""
        b = bytearray(msg)
        if ident is None:
            ident = dns.ident(self.log[-1][2], 0)
        b[0] = ident >> 8
        b[1] = ident & 0xFF
        if port is None:
            u = self.srv[server]
        else:
            u = UdpSocket()
            u.bind(port, server)
            self.p.b.add_socket(u)
        u.send_to(b, len(b), ipaddr.parse4("192.0.2.1"), self.r.port)

    def run(self, ms, step=1):
        got = []
        for _ in range(0, ms, step):
            self.step(step)
            for s in (S1, S2):
                for q in self.queries(s):
                    got.append((self.t, s, q))
        return got


def _ask(w, name=b"smolnet.example", qtype=dns.TYPE_A):
    h = w.r.start_query(name, qtype)
    got = w.run(5)
    assert len(got) == 1, got
    return h, got[0][2]


def test_query_exact_and_answer():
    w = World()
    assert w.p.a.poll_delay(w.t) == -1
    h = w.r.start_query("smolnet.example")
    assert w.r.status(h) == PENDING and w.p.a.poll_delay(w.t) == 0
    got = w.run(5)
    assert len(got) == 1
    t, s, q = got[0]
    want = bytearray(QUERY_A)
    want[0] = q[0]
    want[1] = q[1]
    assert s == S1 and q == bytes(want)
    assert w.last_peer == (ipaddr.parse4("192.0.2.1"), w.r.port)
    assert 49152 <= w.r.port <= 65535
    w.answer(S1, ANSWER_A)
    w.run(3)
    assert w.r.status(h) == OK and w.r.address_count(h) == 1
    out = bytearray(6)
    assert w.r.address_into(h, 0, out, 2) == 4
    assert bytes(out[2:]) == ipaddr.parse4("192.0.2.77")
    assert w.r.addresses(h) == [ipaddr.parse4("192.0.2.77")]
    assert w.r.result(h) == [ipaddr.parse4("192.0.2.77")]    # and frees the slot
    raises(ValueError, w.r.status, h)
    assert w.r.pending() == 0 and w.p.a.poll_delay(w.t) == -1
    assert w.r.tx_count == 1 and w.r.rx_ignored == 0 and w.r.rx_malformed == 0


def test_cname_aaaa_and_several_addresses():
    w = World()
    for name, qtype, msg, want in (
            ("alias.example", dns.TYPE_A, ANSWER_CNAME_A, ["192.0.2.77"]),
            ("alias.example", dns.TYPE_AAAA, ANSWER_CNAME_AAAA, ["2001:db8::77"]),
            ("multi.example", dns.TYPE_A, ANSWER_MULTI, ["192.0.2.78", "192.0.2.79"])):
        h, q = _ask(w, name, qtype)
        w.answer(S1, msg)
        w.run(3)
        assert w.r.status(h) == OK
        assert [ipaddr.fmt(a) for a in w.r.addresses(h)] == want
        w.r.free(h)


def test_error_answers():
    w = World()
    h, q = _ask(w, "nope.example")
    w.answer(S1, ANSWER_NXDOMAIN)
    w.run(3)
    assert w.r.status(h) == ERR_NXDOMAIN
    assert errno_of(raises(OSError, w.r.result, h)) == errno.ENOENT
    # NOERROR without records of the type
    h, q = _ask(w)
    nodata = bytearray(ANSWER_A[:33])
    nodata[7] = 0
    w.answer(S1, nodata)
    w.run(3)
    assert w.r.status(h) == ERR_NODATA
    w.r.free(h)
    # truncated: no TCP here
    h, q = _ask(w)
    tc = bytearray(ANSWER_A)
    tc[2] |= 0x02
    w.answer(S1, tc)
    w.run(3)
    assert w.r.status(h) == ERR_TRUNCATED
    assert errno_of(raises(OSError, w.r.result, h)) == errno.EIO
    # REFUSED by the only server
    h, q = _ask(w, "nope.example")
    w.answer(S1, ANSWER_REFUSED)
    w.run(3)
    assert w.r.status(h) == ERR_SERVFAIL
    w.r.free(h)


def test_stray_and_spoofed_answers_ignored():
    w = World()
    h, q = _ask(w)
    ident = dns.ident(q, 0)
    w.answer(S1, ANSWER_A, ident=ident ^ 1)                 # other id
    w.answer(S1, ANSWER_CNAME_A, ident=ident)               # other question
    w.answer(S2, ANSWER_A, ident=ident)                     # not one of our servers
    w.answer(S1, ANSWER_A, ident=ident, port=5353)          # not from port 53
    query_back = bytearray(q)                               # QR clear: a query
    w.answer(S1, query_back, ident=ident)
    iq = bytearray(ANSWER_A)                                # opcode IQUERY
    iq[2] |= 0x08
    w.answer(S1, iq, ident=ident)
    w.run(5)
    assert w.r.status(h) == PENDING
    # the one from port 5353 is not for the resolver at all (accepts() says
    # no): B's datagram gets ICMP port unreachable from A
    assert w.r.rx_ignored == 5
    assert w.p.a.stats.drop_no_socket == 1
    w.answer(S1, ANSWER_A, ident=ident)
    w.run(3)
    assert w.r.status(h) == OK


def test_malformed_answers_dropped_query_waits():
    w = World()
    h, q = _ask(w)
    ident = dns.ident(q, 0)
    w.answer(S1, ANSWER_A[:11], ident=ident)                # shorter than a header
    bad = bytearray(ANSWER_A)
    bad[7] = 2                                              # ancount past the records
    w.answer(S1, bad, ident=ident)
    loop = bytearray(ANSWER_A)
    loop[33] = 0xC0                                         # the answer's name points
    loop[34] = 33                                           # at itself
    w.answer(S1, loop, ident=ident)
    w.run(5)
    assert w.r.status(h) == PENDING
    assert w.r.rx_malformed == 3 and w.r.rx_ignored == 0
    assert w.p.a.stats.drop_malformed == 3
    w.answer(S1, ANSWER_A, ident=ident)
    w.run(3)
    assert w.r.status(h) == OK


def test_retransmit_over_servers_then_timeout():
    w = World(servers=(S1, S2), t0=TICKS_MAX - 2000)
    t0 = w.t
    h = w.r.start_query(b"smolnet.example")
    got = w.run(12000, step=10)
    # logged a step after they went out
    sends = [(ticks_diff(t, t0) - 10, s) for t, s, q in got]
    # 1 s, then doubling after each round over the servers; ARP costs the
    # first send to each server one poll
    assert sends == [(10, S1), (1020, S2), (3020, S1), (5020, S2), (9020, S1)], sends
    assert len(set([q for t, s, q in got])) == 1            # the same query each time
    assert w.r.status(h) == ERR_TIMEOUT
    assert errno_of(raises(OSError, w.r.result, h)) == errno.ETIMEDOUT
    assert w.p.a.poll_delay(w.t) == -1


def test_late_answer_from_first_server_accepted():
    w = World(servers=(S1, S2))
    h = w.r.start_query(b"smolnet.example")
    got = w.run(1100, step=10)
    assert [s for t, s, q in got] == [S1, S2]
    w.answer(S1, ANSWER_A, ident=dns.ident(got[0][2], 0))
    w.run(3)
    assert w.r.status(h) == OK


def test_server_failure_moves_to_next_server():
    w = World(servers=(S1, S2))
    h = w.r.start_query(b"smolnet.example")
    got = w.run(5)
    assert [s for t, s, q in got] == [S1]
    fail = bytearray(ANSWER_A[:12])                         # SERVFAIL, no question
    fail[3] = 0x82
    fail[5] = 0
    fail[7] = 0
    w.answer(S1, fail)
    got = w.run(5)
    assert [s for t, s, q in got] == [S2]                   # at once, not after 1 s
    w.answer(S2, ANSWER_A)
    w.run(3)
    assert w.r.status(h) == OK


def test_concurrent_queries_answered_out_of_order():
    w = World(slots=3)
    h1 = w.r.start_query(b"smolnet.example")
    h2 = w.r.start_query(b"alias.example")
    h3 = w.r.start_query(b"multi.example")
    got = w.run(5)
    assert len(got) == 3
    ids = [dns.ident(q, 0) for t, s, q in got]
    assert len(set(ids)) == 3
    w.answer(S1, ANSWER_MULTI, ident=ids[2])
    w.answer(S1, ANSWER_A, ident=ids[0])
    w.answer(S1, ANSWER_CNAME_A, ident=ids[1])
    w.run(3)
    assert [w.r.status(h) for h in (h1, h2, h3)] == [OK, OK, OK]
    assert w.r.address_count(h3) == 2
    assert errno_of(raises(OSError, w.r.start_query, b"x.example")) == errno.ENOBUFS
    w.r.free(h2)
    assert w.r.start_query(b"x.example") == h2


def test_api_misuse():
    w = World()
    for bad in ("", ".", "a..b", "x" * 64 + ".example"):
        raises(ValueError, w.r.start_query, bad)
    raises(ValueError, w.r.start_query, "a.example", 15)   # MX: not a resolver type
    raises(ValueError, w.r.status, 0)                       # free slot
    raises(ValueError, w.r.status, 99)
    h, q = _ask(w)
    raises(IndexError, w.r.address_into, h, 0, bytearray(4))
    assert w.r.result(h) is None                            # still pending
    raises(ValueError, DnsSocket, ["2001:db8::1"])
    n = DnsSocket()
    h = n.start_query("a.example")
    assert n.status(h) == ERR_NO_SERVER
    n.set_servers("192.0.2.9")
    assert n.servers() == [ipaddr.parse4("192.0.2.9")]
    n.set_servers([ipaddr.parse4("192.0.2.1"), "192.0.2.2", "192.0.2.3", "192.0.2.4"])
    assert len(n.servers()) == 3                            # max_servers


def test_random_ids_and_ports():
    ports = set()
    for seed in range(1, 9):
        ports.add(DnsSocket(seed=seed).port)
    assert len(ports) >= 7
    assert DnsSocket().port != 0
    w = World()
    ids = set()
    for _ in range(8):
        h, q = _ask(w)
        ids.add(dns.ident(q, 0))
        w.r.free(h)
    assert len(ids) == 8


# --- allocation -------------------------------------------------------------
_RR = bytes.fromhex("c00c00010001000000000004c000024d")   # A 192.0.2.77


def _serve(u, buf, peer):
    """Answer every query at u in place: flags, one A record (no heap)."""
    while True:
        n = u.recv_into(buf)
        if n < 0:
            return
        buf[2] = 0x85
        buf[3] = 0x80
        buf[7] = 1
        copy(buf, n, _RR, 0, 16)
        u.send_to(buf, n + 16, u.peer_addr, u.peer_port)


def _one_query(w, name, buf, out, res):
    r = w.r
    h = r.start_query(name)
    k = 0
    while r.status(h) == PENDING and k < 20:
        w.step(1)
        _serve(w.srv[S1], buf, None)
        k += 1
    res[0] = r.status(h)
    res[1] = r.address_into(h, 0, out, 0) if res[0] == OK else -1
    r.free(h)


def test_query_without_allocation():
    w = World()
    buf = bytearray(600)
    out = bytearray(4)
    res = [0, 0]
    name = b"smolnet.example"
    _one_query(w, name, buf, out, res)                     # warm-up: ARP
    assert res[0] == OK
    for _ in range(3):
        res[0] = res[1] = 0
        heap_locked(lambda: _one_query(w, name, buf, out, res))
        assert res == [OK, 4] and bytes(out) == ipaddr.parse4("192.0.2.77")
    heap_locked(lambda: w.p.a.poll_delay(w.t))
    assert w.p.a.stats.drops() == 0 and w.r.rx_ignored == 0
