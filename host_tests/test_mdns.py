# runtimes: cpython unix wasm
# The mDNS responder (smolnet/apps/mdns.py, RFC 6762) between two Interfaces
# on a Loopback pair: B answers "board.local"; A listens on 224.0.0.251:5353
# and asks as a one-shot querier and as a full mDNS querier, over IPv4 and
# IPv6 (the pair has both; B's IPv6 address is its link-local one).
from netpair import NetPair
from smolnet.apps.mdns import MdnsResponder, GROUP, GROUP6, PORT, READY, PROBING
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.wire import dns, ipaddr

NAME = b"\x05board\x05local\x00"
A_B = ipaddr.parse4("192.0.2.2")
AAAA_B = ipaddr.parse6("fe80::ff:fe00:2")


def _setup(ipv6=True):
    p = NetPair(config=None if ipv6 else Config(strict=True, ipv6=False))
    r = MdnsResponder(p.b, "board")
    p.a.join_multicast(GROUP)
    lis = UdpSocket(rx_slots=16, rx_bytes=4096)
    lis.bind(PORT)
    p.a.add_socket(lis)
    return p, r, lis


def _run(p, r, ms, step=10):
    for _ in range(0, ms, step):
        p.step(step)
        r.serve(p.clock.t)


def _drain(sock):
    out = []
    buf = bytearray(600)
    while True:
        n = sock.recv_into(buf)
        if n < 0:
            return out
        out.append(bytes(buf[:n]))


def _query(ident, qclass=1, qtype=1, name=NAME):
    return (bytes([ident >> 8, ident & 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]) + name
            + bytes([0, qtype, qclass >> 8, qclass & 0xFF]))


def _records(msg):
    """[(section, type, class, ttl, rdata)] of every record after the
    questions; section 1 answer, 2 authority, 3 additional."""
    p = 12
    for _ in range(dns.qdcount(msg, 0)):
        p = dns.skip_name(msg, len(msg), p) + 4
    out = []
    counts = ((1, dns.ancount(msg, 0)), (2, (msg[8] << 8) | msg[9]), (3, (msg[10] << 8) | msg[11]))
    for section, k in counts:
        for _ in range(k):
            end = dns.skip_name(msg, len(msg), p)
            t, c, ttl, rd = _a_record(msg, p, (msg[end + 8] << 8) | msg[end + 9])
            out.append((section, t, c, ttl, rd))
            p = end + 10 + len(rd)
    assert p == len(msg), (p, msg)
    return out


def _a_record(msg, p, rdlen=4):
    # (type, class, ttl, address) of the record at p
    end = dns.skip_name(msg, len(msg), p)
    t = (msg[end] << 8) | msg[end + 1]
    c = (msg[end + 2] << 8) | msg[end + 3]
    ttl = (msg[end + 4] << 24) | (msg[end + 5] << 16) | (msg[end + 6] << 8) | msg[end + 7]
    return t, c, ttl, bytes(msg[end + 10:end + 10 + rdlen])


def test_probes_three_times_then_announces_twice():
    p, r, lis = _setup()
    _run(p, r, 3000)
    got = _drain(lis)
    assert r.state == READY and r.conflicts == 0
    probes = [m for m in got if not dns.flags(m, 0) & dns.FLAG_QR]
    answers = [m for m in got if dns.flags(m, 0) & dns.FLAG_QR]
    assert len(probes) == 3 and len(answers) == 2, got
    for m in probes:
        # question: board.local ANY, QU; authority: our A and AAAA records
        # (8.1), the second name a pointer to the first (RFC 1035 4.1.4)
        assert m[4:6] == b"\x00\x01" and m[8:10] == b"\x00\x02"
        assert m[12:12 + len(NAME)] == NAME
        assert m[12 + len(NAME):16 + len(NAME)] == b"\x00\xff\x80\x01"
        assert m[16 + len(NAME):18 + len(NAME)] == b"\xc0\x0c"
        assert _records(m) == [(2, 1, 1, 120, A_B), (2, 28, 1, 120, AAAA_B)]
    for m in answers:
        assert dns.flags(m, 0) == dns.FLAG_QR | dns.FLAG_AA and dns.ancount(m, 0) == 2
        assert _a_record(m, 12) == (1, 0x8001, 120, A_B)
        assert _records(m) == [(1, 1, 0x8001, 120, A_B), (1, 28, 0x8001, 120, AAAA_B)]


def test_without_ipv6_only_the_a_record():
    p, r, lis = _setup(ipv6=False)
    assert r.group6 is None and GROUP6 not in p.b.multicast_groups()
    _run(p, r, 3000)
    got = _drain(lis)
    assert len(got) == 5
    assert _records(got[0]) == [(2, 1, 1, 120, A_B)]
    assert _records(got[-1]) == [(1, 1, 0x8001, 120, A_B)]
    for qtype, n in ((28, 0), (1, 1), (255, 1)):
        msg = _query(0, 1, qtype)
        lis.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
        _run(p, r, 50)
        got = _drain(lis)
        assert len(got) == n, qtype
        if n:
            assert _records(got[0]) == [(1, 1, 0x8001, 120, A_B)]


def test_aaaa_questions_on_both_groups():
    # A listens on ff02::fb too: probes and announcements come on both
    # groups; a question is answered on the group it came by, the asked-for
    # type as the answer, the other as an additional record (RFC 6762 6.2)
    p, r, lis = _setup()
    p.a.join_multicast(GROUP6)
    _run(p, r, 3000)
    got = _drain(lis)
    assert len(got) == 10
    assert bytes(r.group6) == ipaddr.parse6(GROUP6)
    g6 = ipaddr.parse6(GROUP6)
    for group in (ipaddr.parse4(GROUP), g6):
        for qtype, want in ((28, [(1, 28, 0x8001, 120, AAAA_B), (3, 1, 0x8001, 120, A_B)]),
                            (1, [(1, 1, 0x8001, 120, A_B), (3, 28, 0x8001, 120, AAAA_B)])):
            msg = _query(0, 1, qtype)
            lis.send_to(msg, len(msg), group, PORT)
            _run(p, r, 50)
            got = _drain(lis)
            assert len(got) == 1 and _records(got[0]) == want, (group, qtype)
            assert len(lis.peer_addr) == len(group)     # answered by the same family
    # a one-shot querier over IPv6 asking AAAA: unicast, its ID and question
    q = UdpSocket()
    q.bind(40001)
    p.a.add_socket(q)
    msg = _query(0x5678, 1, 28)
    q.send_to(msg, len(msg), g6, PORT)
    _run(p, r, 50)
    buf = bytearray(600)
    n = q.recv_into(buf)
    assert n > 0 and bytes(q.peer_addr) == AAAA_B and q.peer_port == PORT
    m = bytes(buf[:n])
    assert m[:2] == b"\x56\x78" and dns.qdcount(m, 0) == 1
    assert _records(m) == [(1, 28, 1, 10, AAAA_B)]
    r.close()
    assert GROUP6 not in p.b.multicast_groups() and GROUP not in p.b.multicast_groups()


def test_answers_a_one_shot_querier_by_unicast():
    p, r, lis = _setup()
    _run(p, r, 3000)
    _drain(lis)
    q = UdpSocket()
    q.bind(40000)
    p.a.add_socket(q)
    msg = _query(0x1234)
    q.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
    _run(p, r, 50)
    buf = bytearray(600)
    n = q.recv_into(buf)
    assert n > 0 and q.peer_port == PORT and bytes(q.peer_addr) == ipaddr.parse4("192.0.2.2")
    m = bytes(buf[:n])
    # RFC 6762 6.7: the query's ID, the question again, TTL <= 10, no flush bit
    assert m[:2] == b"\x12\x34" and dns.qdcount(m, 0) == 1 and dns.ancount(m, 0) == 1
    qend = 12 + len(NAME) + 4
    assert m[12:qend] == NAME + b"\x00\x01\x00\x01"
    assert _a_record(m, qend) == (1, 1, 10, ipaddr.parse4("192.0.2.2"))
    assert _drain(lis) == []           # not multicast
    assert r.queries == 1


def test_multicast_and_unicast_response_bit():
    p, r, lis = _setup()
    _run(p, r, 3000)
    _drain(lis)
    for qclass, want_multicast in ((1, True), (0x8001, False)):
        msg = _query(0, qclass)
        lis.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
        _run(p, r, 50)
        got = _drain(lis)
        assert len(got) == 1 and dns.flags(got[0], 0) & dns.FLAG_QR, got
        assert _a_record(got[0], 12)[3] == ipaddr.parse4("192.0.2.2")
    # ANY and AAAA work too, other names and types are not ours
    for name, qtype, n in ((NAME, 255, 1), (b"\x05other\x05local\x00", 1, 0), (NAME, 28, 1),
                           (NAME, 16, 0)):
        msg = _query(0, 1, qtype, name)
        lis.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
        _run(p, r, 50)
        assert len(_drain(lis)) == n, (name, qtype)
    # case does not matter (RFC 6762 16)
    msg = _query(0, 1, 1, b"\x05BOARD\x05Local\x00")
    lis.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
    _run(p, r, 50)
    assert len(_drain(lis)) == 1


def test_conflict_while_probing_takes_another_name():
    p, r, lis = _setup()
    _run(p, r, 100)                    # probing has begun
    assert r.state == PROBING
    # another host answers for board.local
    ans = (b"\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" + NAME
           + b"\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\x00\x02\x63")
    lis.send_to(ans, len(ans), ipaddr.parse4(GROUP), PORT)
    _run(p, r, 3000)
    assert r.conflicts == 1 and r.name == "board-2.local" and r.state == READY
    got = _drain(lis)
    assert any(b"\x07board-2\x05local\x00" in m for m in got)


def test_runs_from_the_interfaces_poll_alone():
    # no serve() calls: a socket of the Interface, its timers in poll_delay()
    p, r, lis = _setup()
    assert p.b.poll_delay(p.clock.t) == 0
    for _ in range(300):
        p.step(10)
    assert r.state == READY and len(_drain(lis)) == 5
    assert p.b.poll_delay(p.clock.t) == -1      # nothing due until a query
    msg = _query(0)
    lis.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
    for _ in range(3):
        p.step(1)
    assert r.queries == 1 and len(_drain(lis)) == 1
    r.close()
    assert r not in p.b.sockets and GROUP not in p.b.multicast_groups()


def test_bad_datagrams_are_counted_not_raised():
    p, r, lis = _setup()
    _run(p, r, 3000)
    for junk in (b"", b"\x00" * 5, b"\x00\x00\x00\x00\x00\x05" + b"\xff" * 20,
                 _query(0)[:-3], b"\x00\x00\x78\x00" + bytes(8)):
        lis.send_to(junk, len(junk), ipaddr.parse4(GROUP), PORT)
        _run(p, r, 20)
    assert r.ignored >= 3 and r.queries == 0
    assert p.b.stats.drop_internal_error == 0


def test_getaddrinfo_resolves_a_local_name_by_mdns():
    # the socket module on A asks for board.local: a one-shot query to
    # 224.0.0.251, B's responder answers by unicast (RFC 6762 5.1, 6.7)
    from smolnet.compat import socket
    from netpair import compat_nets
    p, a, b = compat_nets()
    r = MdnsResponder(p.b, "board")
    a.wait(lambda: r.state == READY, 5000)
    assert socket.getaddrinfo("board.local", 80)[0][-1] == ("192.0.2.2", 80)
    assert socket.getaddrinfo("BOARD.LOCAL", 80)[0][-1] == ("192.0.2.2", 80)
    assert r.queries == 2
    t0 = p.clock.t
    try:
        socket.getaddrinfo("nobody.local", 80)
        raised = None
    except OSError as e:
        raised = e.args[0]
    assert raised == -2 and 2000 <= p.clock.t - t0 <= 2100
    assert len(p.a.sockets) == 0        # the query's socket is gone


def test_idle_responder_allocates_nothing():
    # ready and idle: every poll runs the responder (dispatch, poll_at),
    # with nothing to answer: no allocation
    from support import heap_locked
    p, r, lis = _setup()
    _run(p, r, 3000)
    _drain(lis)
    t = [p.clock.t]

    def idle_polls():
        for _ in range(50):
            t[0] += 10
            p.b.poll(t[0])
            p.b.poll_delay(t[0])
            r.serve(t[0])
        return r.state

    assert heap_locked(idle_polls) == READY


def _serve_5(p, r):
    # _run(p, r, 50) without its range object
    k = 5
    while k:
        p.step(10)
        r.serve(p.clock.t)
        k -= 1


def test_answers_allocate_nothing():
    # A, AAAA and ANY questions on the IPv4 group, answered with the
    # addresses read in place: no allocation from question to answer
    from support import heap_locked
    p, r, lis = _setup()
    _run(p, r, 3000)
    _drain(lis)
    for qtype, answers in ((1, 1), (28, 1), (255, 2)):
        msg = _query(0, 1, qtype)
        lis.send_to(msg, len(msg), ipaddr.parse4(GROUP), PORT)
        heap_locked(lambda: _serve_5(p, r))
        got = _drain(lis)
        assert len(got) == 1 and dns.ancount(got[0], 0) == answers, qtype
    assert r.queries >= 3


def _frames_from_b(p, ms):
    # B runs alone; what it sends waits in A's receive queue: take it raw
    out = []
    buf = bytearray(1600)
    for _ in range(0, ms, 10):
        p.b.poll(p.clock.t)
        p.clock.t += 10
        while True:
            n = p.dev_a.recv_into(buf)
            if n <= 0:
                break
            out.append(bytes(buf[:n]))
    return out


def _udp_hops(frames, sport):
    # [(family, TTL or hop limit)] of the UDP datagrams from port sport
    out = []
    for f in frames:
        if f[12:14] == b"\x08\x00" and f[23] == 17 and f[34:36] == bytes([sport >> 8, sport & 255]):
            out.append((4, f[22]))
        elif f[12:14] == b"\x86\xdd" and f[20] == 17 and f[54:56] == bytes([sport >> 8, sport & 255]):
            out.append((6, f[21]))
    return out


def test_everything_leaves_with_hop_limit_255():
    # RFC 6762 11: IP TTL / hop limit 255 on every mDNS message, so a
    # receiver can tell it came from the link
    p = NetPair()
    MdnsResponder(p.b, "board")
    hops = _udp_hops(_frames_from_b(p, 3000), PORT)
    assert sorted(set(hops)) == [(4, 255), (6, 255)] and len(hops) == 10, hops


def test_udp_hop_limit_is_per_socket():
    # a plain socket's datagrams: Config.ttl unicast, 1 multicast; a socket
    # with hop_limit set: that, both ways
    p = NetPair()
    warm = UdpSocket()                 # B learns A's MAC first (ARP)
    warm.bind(999)
    p.b.add_socket(warm)
    warm.send_to(b"x", 1, ipaddr.parse("192.0.2.1"), 9)
    p.run(50)
    plain, set_ = UdpSocket(), UdpSocket()
    plain.bind(1000)
    set_.bind(1001)
    set_.hop_limit = 9
    for s in (plain, set_):
        p.b.add_socket(s)
        for dst in ("192.0.2.1", "233.252.0.1", "ff02::1"):
            s.send_to(b"x", 1, ipaddr.parse(dst), 9)
    frames = _frames_from_b(p, 20)
    assert sorted(_udp_hops(frames, 1000)) == [(4, 1), (4, 64), (6, 1)]
    assert sorted(_udp_hops(frames, 1001)) == [(4, 9), (4, 9), (6, 9)]
