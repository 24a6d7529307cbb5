# runtimes: cpython unix wasm
# IGMP through the Interface (smolnet.iface.igmp): join_multicast and
# leave_multicast send the reports Linux sends (vectors_igmp.py) with our
# addresses, queries of every version are answered within their Max Resp
# Time, older queriers switch the reports to v2/v1 until their timer runs
# out (RFC 3376 7.2.1), datagrams to a joined group reach a UdpSocket, bad
# input is counted, and answering queries allocates nothing.
from support import raises, errno_of, heap_locked, FakeClock, TICKS_MAX
from time import ticks_diff
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.wire import igmp, ipv4, ethernet, udp, checksum
from vectors_igmp import (V3_JOIN_BYTES, V3_LEAVE_BYTES, V2_REPORT_BYTES, V2_LEAVE_BYTES,
                          V1_REPORT_BYTES, QUERY_V3_GENERAL_BYTES, QUERY_V3_GROUP_BYTES,
                          QUERY_V2_GENERAL_BYTES, QUERY_V1_GENERAL_BYTES, QUERIER_MAC,
                          QUERIER_IP, GROUP, GROUP2)

MAC = b"\x02\x00\x00\x00\x00\x01"
IP = b"\xc0\x00\x02\x02"                      # 192.0.2.2, the Interface
G1 = "233.252.0.1"
G2 = "233.252.0.2"
G3 = "233.252.0.3"
GROUP3 = b"\xe9\xfc\x00\x03"
V3_ROUTERS = b"\xe0\x00\x00\x16"
ALL_ROUTERS = b"\xe0\x00\x00\x02"
ZERO4 = bytes(4)
_ETH = 14
_L4 = 14 + 24


class Host:
    """An Interface at 192.0.2.2 (IPv4 only, so MLD stays out of the way)
    on a Loopback pair; `peer` is the querier's end of the cable."""

    def __init__(self, groups=4, t0=0, addr=True, mtu=1514, seed=7):
        self.dev, self.peer = Loopback.pair(mac_a=MAC, mac_b=QUERIER_MAC, mtu=mtu)
        self.i = Interface(self.dev, Config(strict=True, ipv6=False, multicast_groups=groups))
        if addr:
            self.i.add_ip("192.0.2.2/24")
        if groups:
            self.i.igmp.rand.seed(seed)
        self.clock = FakeClock(t0)
        self.buf = bytearray(1600)

    def feed(self, frame):
        self.peer.send(frame, len(frame))

    def run(self, ms, step=1):
        """Poll every `step` ms for `ms` ms; the frames sent, as
        (ms since the start, bytes)."""
        out = []
        t0 = self.clock.now
        for _ in range(0, ms, step):
            self.i.poll(self.clock.now)
            while True:
                n = self.peer.recv_into(self.buf)
                if not n:
                    break
                out.append((ticks_diff(self.clock.now, t0), bytes(self.buf[:n])))
            self.clock.advance(step)
        return out

    def settle(self, ms=12000):
        return self.run(ms, 10)


def _ours(kernel_frame, ident, src=IP):
    """What we send where the kernel sent kernel_frame: our MAC, source
    address and IP ident; padded to the Ethernet minimum."""
    f = bytearray(kernel_frame)
    f[6:12] = MAC
    f[_ETH + 4] = ident >> 8
    f[_ETH + 5] = ident & 0xFF
    f[_ETH + 12:_ETH + 16] = src
    ipv4.fill_checksum(f, _ETH)
    return bytes(f) + bytes(60 - len(f)) if len(f) < 60 else bytes(f)


def _msg(frame):
    """(IP destination, IGMP type, [(record type, group)] or [group])."""
    assert ipv4.check(frame, _ETH, len(frame) - _ETH) == ipv4.OK
    assert ipv4.header_len(frame, _ETH) == 24 and ipv4.ttl(frame, _ETH) == 1
    assert bytes(frame[_ETH + 20:_ETH + 24]) == b"\x94\x04\x00\x00"   # Router Alert
    n = ipv4.total_len(frame, _ETH) - 24
    assert igmp.check(frame, _L4, n)
    dst = bytes(frame[_ETH + 16:_ETH + 20])
    mac = bytearray(6)
    ethernet.ipv4_multicast_mac(mac, 0, dst, 0)
    assert frame[0:6] == mac and frame[6:12] == MAC
    t = igmp.msg_type(frame, _L4)
    if t != igmp.TYPE_V3_REPORT:
        return dst, t, [bytes(frame[_L4 + 4:_L4 + 8])]
    recs = []
    r = _L4 + igmp.RECORDS
    for _ in range(igmp.num_records(frame, _L4)):
        recs.append((igmp.record_type(frame, r), bytes(frame[r + 4:r + 8])))
        r += igmp.record_len(frame, r)
    return dst, t, recs


def _query_frame(body, dst):
    f = bytearray(_L4 + len(body))
    ethernet.ipv4_multicast_mac(f, 0, dst, 0)
    f[6:12] = QUERIER_MAC
    ethernet.set_ethertype(f, 0, ethernet.ETHERTYPE_IPV4)
    igmp.emit_router_alert(f, _ETH, QUERIER_IP, 0, dst, 0, ipv4.PROTO_IGMP, len(body), 1, 0,
                           igmp.TOS_INTERNETWORK_CONTROL)
    f[_L4:] = body
    return f


def v3_query(code, group=ZERO4, qrv=2, qqic=125, sources=b""):
    b = bytearray(12 + len(sources))
    igmp.emit_v3_query(b, 0, code, group, 0, False, qrv, qqic, sources, 0, len(sources) // 4)
    return _query_frame(b, group if group != ZERO4 else b"\xe0\x00\x00\x01")


def v2_query(code, group=ZERO4):
    b = bytearray(8)
    igmp.emit_query(b, 0, code, group, 0)
    return _query_frame(b, group if group != ZERO4 else b"\xe0\x00\x00\x01")


def _v2_report_from_other(group):
    b = bytearray(8)
    igmp.emit_v2(b, 0, igmp.TYPE_V2_REPORT, group, 0)
    return _query_frame(b, group)


# --- join and leave --------------------------------------------------------
def test_join_sends_v3_report_exact_and_repeats_once_within_1s():
    h = Host(t0=TICKS_MAX - 300)     # the repeat's timer crosses the tick wrap
    assert h.i.join_multicast(G1) is True
    assert h.i.multicast_groups() == [G1]
    assert h.i.poll_delay(h.clock.now) == 0
    sent = h.run(1001)
    assert len(sent) == 2
    assert sent[0] == (0, _ours(V3_JOIN_BYTES, 1))   # at the first poll
    assert 0 < sent[1][0] <= 1000 and sent[1][1] == _ours(V3_JOIN_BYTES, 2)
    assert h.i.stats.igmp_reports == 2
    assert h.i.poll_delay(h.clock.now) == -1 and h.i.igmp._idle
    assert h.settle() == []
    assert h.i.join_multicast(G1) is False           # already joined: nothing new
    assert h.settle() == []


def test_leave_sends_to_in_twice():
    h = Host()
    h.i.join_multicast(G1)
    h.settle()
    assert h.i.leave_multicast(G1) is True
    assert h.i.multicast_groups() == []
    assert h.i.leave_multicast(G1) is False
    sent = h.run(1001)
    assert len(sent) == 2
    assert sent[0] == (0, _ours(V3_LEAVE_BYTES, 3))
    assert sent[1][0] <= 1000 and sent[1][1] == _ours(V3_LEAVE_BYTES, 4)
    assert h.settle() == [] and h.i.stats.igmp_reports == 4
    assert h.i.leave_multicast(G1) is False


def test_join_and_leave_of_several_groups_share_reports():
    h = Host()
    h.i.join_multicast(G1)
    h.i.join_multicast(G2)
    sent = h.run(1001)
    # the first report carries both; the repeats come at each group's own
    # random time (one report, or two if they fall apart)
    assert _msg(sent[0][1]) == (V3_ROUTERS, igmp.TYPE_V3_REPORT,
                                [(igmp.CHANGE_TO_EXCLUDE, GROUP), (igmp.CHANGE_TO_EXCLUDE, GROUP2)])
    recs = []
    for _, f in sent[1:]:
        recs += _msg(f)[2]
    assert sorted(recs) == [(igmp.CHANGE_TO_EXCLUDE, GROUP), (igmp.CHANGE_TO_EXCLUDE, GROUP2)]
    h.settle()
    h.i.leave_multicast(G2)
    h.i.join_multicast(G3)                           # a free slot: G2's TO_IN{} still go
    sent = h.run(1001)
    recs = []
    for _, f in sent:
        recs += _msg(f)[2]
    assert recs.count((igmp.CHANGE_TO_INCLUDE, GROUP2)) == 2
    assert recs.count((igmp.CHANGE_TO_EXCLUDE, GROUP3)) == 2
    assert sorted(h.i.multicast_groups()) == [G1, G3]


def test_rejoin_while_leaving():
    h = Host()
    h.i.join_multicast(G1)
    h.settle()
    h.i.leave_multicast(G1)
    sent = h.run(1)                                  # the first TO_IN{} goes
    assert _msg(sent[0][1])[2] == [(igmp.CHANGE_TO_INCLUDE, GROUP)]
    assert h.i.join_multicast(G1) is True            # back before the repeat
    sent = h.settle()
    assert [_msg(f)[2] for _, f in sent] == [[(igmp.CHANGE_TO_EXCLUDE, GROUP)]] * 2
    assert h.i.multicast_groups() == [G1]


def test_reports_split_at_the_mtu():
    # room for 3 records: 14 + 24 + 8 + 3 * 8 bytes
    h = Host(groups=5, mtu=70)
    for k in range(5):
        h.i.join_multicast("233.252.0.%d" % (k + 1))
    sent = h.run(1)
    assert [len(_msg(f)[2]) for _, f in sent] == [3, 2]
    assert len(sent[0][1]) == 70


def test_source_is_zero_without_an_address():
    h = Host(addr=False)                             # RFC 3376 4.2.13
    h.i.join_multicast(G1)
    assert h.run(1) == [(0, _ours(V3_JOIN_BYTES, 1, src=ZERO4))]


# --- queries -----------------------------------------------------------------
def _two_groups(h):
    h.i.join_multicast(G1)
    h.i.join_multicast(G2)
    h.settle()


def test_v3_general_query_answered_within_max_resp_time():
    h = Host()
    _two_groups(h)
    h.feed(QUERY_V3_GENERAL_BYTES)                   # Max Resp Code 10: 1 s
    sent = h.run(1001)
    assert h.i.stats.igmp_queries == 1
    assert len(sent) == 1 and sent[0][0] <= 1000
    assert _msg(sent[0][1]) == (V3_ROUTERS, igmp.TYPE_V3_REPORT,
                                [(igmp.MODE_IS_EXCLUDE, GROUP), (igmp.MODE_IS_EXCLUDE, GROUP2)])
    assert h.settle() == []
    # a float code: 0x8F is 248 tenths, 24.8 s; many seeds, all in time
    late = 0
    for seed in range(1, 9):
        h.i.igmp.rand.seed(seed)
        h.feed(v3_query(0x8F))
        sent = h.run(24801, 50)
        assert len(sent) == 1 and sent[0][0] <= 24800
        late = max(late, sent[0][0])
    assert late > 5000                               # spread, not all at once
    assert h.i.igmp.mode() == 3


def test_no_groups_no_answers():
    h = Host()                                       # 224.0.0.1 is never reported
    for q in (QUERY_V3_GENERAL_BYTES, QUERY_V2_GENERAL_BYTES, QUERY_V1_GENERAL_BYTES):
        h.feed(q)
    assert h.run(11000, 10) == []
    assert h.i.stats.igmp_queries == 3 and h.i.stats.igmp_reports == 0


def test_v3_group_specific_query():
    h = Host()
    _two_groups(h)
    h.feed(QUERY_V3_GROUP_BYTES)
    sent = h.run(1001)
    assert len(sent) == 1 and sent[0][0] <= 1000
    assert _msg(sent[0][1])[2] == [(igmp.MODE_IS_EXCLUDE, GROUP)]
    # group-and-source-specific: answered like group-specific (no source lists)
    h.feed(v3_query(20, GROUP2, sources=b"\xc0\x00\x02\x05"))
    sent = h.run(2001)
    assert len(sent) == 1 and _msg(sent[0][1])[2] == [(igmp.MODE_IS_EXCLUDE, GROUP2)]
    # a query about a group we are not in never gets past the IP layer
    before = h.i.stats.drop_not_for_us
    h.feed(v3_query(10, GROUP3))
    assert h.run(1001) == [] and h.i.stats.drop_not_for_us == before + 1
    assert h.i.stats.igmp_queries == 2


def test_v3_answers_of_a_general_query_come_first():
    # RFC 3376 5.2 rule 1: a group query whose delay ends after a pending
    # general answer schedules nothing more
    h = Host()
    _two_groups(h)
    h.feed(v3_query(1))                              # general, within 100 ms
    h.run(1)
    h.feed(v3_query(0x8F, GROUP))                    # group, within 24.8 s
    sent = h.run(30000, 10)
    assert len(sent) == 1 and sent[0][0] <= 100
    assert _msg(sent[0][1])[2] == [(igmp.MODE_IS_EXCLUDE, GROUP), (igmp.MODE_IS_EXCLUDE, GROUP2)]


def test_v2_querier_switches_to_v2_until_its_timer_expires():
    h = Host()
    h.i.join_multicast(G1)
    h.settle()
    n = h.i.stats.igmp_reports
    h.feed(QUERY_V2_GENERAL_BYTES)                   # Max Resp Time 1 s
    sent = h.run(1001)
    assert h.i.igmp.mode() == 2
    assert len(sent) == 1 and sent[0][0] <= 1000
    assert sent[0][1] == _ours(V2_REPORT_BYTES, n + 1)
    # a join now: v2 reports to the group, repeated within 10 s (RFC 2236 8.10)
    h.i.join_multicast(G2)
    sent = h.run(10001, 10)
    assert [_msg(f) for _, f in sent] == [(GROUP2, igmp.TYPE_V2_REPORT, [GROUP2])] * 2
    # leaves: one Leave Group to 224.0.0.2 each
    h.i.leave_multicast(G1)
    sent = h.run(1001)
    assert sent == [(0, _ours(V2_LEAVE_BYTES, n + 4))]
    # a v2 group-specific query: that group only, v2 (and it restarts the
    # v2 querier timer)
    t_query = h.clock.now
    h.feed(v2_query(10, GROUP2))
    sent = h.run(1001)
    assert [_msg(f) for _, f in sent] == [(GROUP2, igmp.TYPE_V2_REPORT, [GROUP2])]
    # a v3 query while the v2 querier is present is answered in v2
    h.feed(QUERY_V3_GENERAL_BYTES)
    sent = h.run(1001)
    assert [_msg(f)[1] for _, f in sent] == [igmp.TYPE_V2_REPORT]
    # Older Version Querier Present Timeout: 2 * 125 s + 1 s from the last
    # v2 query (RFC 3376 8.12)
    left = 251000 - ticks_diff(h.clock.now, t_query)
    assert h.i.poll_delay(h.clock.now) == left
    assert h.run(left - 100, 100) == []
    assert h.i.igmp.mode() == 2
    h.run(200, 100)
    assert h.i.igmp.mode() == 3
    assert h.i.poll_delay(h.clock.now) == -1
    h.i.leave_multicast(G2)                          # v3 again: TO_IN{}
    sent = h.run(1001)
    assert [_msg(f)[2] for _, f in sent] == [[(igmp.CHANGE_TO_INCLUDE, GROUP2)]] * 2


def test_mode_change_cancels_pending_reports():
    h = Host()
    h.i.join_multicast(G1)
    assert [_msg(f)[1] for _, f in h.run(1)] == [igmp.TYPE_V3_REPORT]
    h.feed(QUERY_V2_GENERAL_BYTES)                   # a v2 querier before the repeat
    sent = h.run(2000)
    # RFC 3376 7.2.1: the switch cancelled the v3 repeat; the query's v2
    # answer is all that is sent
    assert [_msg(f)[1] for _, f in sent] == [igmp.TYPE_V2_REPORT]


def test_v1_querier():
    h = Host()
    _two_groups(h)
    h.feed(QUERY_V1_GENERAL_BYTES)                   # code 0 means 10 s (RFC 2236 4)
    sent = h.run(10001, 10)
    assert h.i.igmp.mode() == 1
    assert sorted(_msg(f) for _, f in sent) == [(GROUP, igmp.TYPE_V1_REPORT, [GROUP]),
                                                (GROUP2, igmp.TYPE_V1_REPORT, [GROUP2])]
    for _, f in sent:
        if f[_L4 + 4:_L4 + 8] == GROUP:
            assert f == _ours(V1_REPORT_BYTES, ipv4.ident(f, _ETH))
    # v1 has no leave
    assert h.i.leave_multicast(G1) is True
    assert h.run(3000, 10) == [] and h.i.multicast_groups() == [G2]
    # a v2 query meanwhile does not end v1 mode (7.2.1: v1 wins)
    h.feed(QUERY_V2_GENERAL_BYTES)
    sent = h.run(1001)
    assert [_msg(f)[1] for _, f in sent] == [igmp.TYPE_V1_REPORT]


def test_v2_general_query_times_each_group_apart():
    # RFC 2236 3: each group's delay timer gets its own random value
    apart = 0
    for seed in range(1, 6):
        h = Host(seed=seed)
        _two_groups(h)
        h.feed(v2_query(100))
        sent = h.run(10001)
        assert len(sent) == 2 and sent[1][0] <= 10000
        if sent[0][0] != sent[1][0]:
            apart += 1
    assert apart >= 4


def test_v2_report_suppression_and_leave_rule():
    h = Host()
    _two_groups(h)
    h.feed(v2_query(100))                            # answers due within 10 s
    h.run(1)
    h.feed(_v2_report_from_other(GROUP))             # another member answers G1
    sent = h.run(10001, 10)
    # RFC 2236 3: our G1 answer is suppressed, G2's goes
    assert [_msg(f)[2] for _, f in sent] == [[GROUP2]]
    assert h.i.igmp.suppressed == 1
    # not the last reporter of G1: its leave may be (and is) skipped
    h.i.leave_multicast(G1)
    h.i.leave_multicast(G2)
    sent = h.run(1001)
    assert [_msg(f) for _, f in sent] == [(ALL_ROUTERS, igmp.TYPE_V2_LEAVE, [GROUP2])]


def test_querier_learns_robustness_and_interval():
    h = Host()
    h.i.join_multicast(G1)
    h.settle()
    h.feed(v3_query(10, qrv=3, qqic=60))
    h.run(1001)
    assert h.i.igmp.robustness == 3 and h.i.igmp.query_interval_ms == 60000
    h.i.leave_multicast(G1)                          # QRV 3: three TO_IN{}
    assert len(h.run(2001)) == 3
    h.feed(QUERY_V2_GENERAL_BYTES)                   # 3 * 60 s + 1 s
    h.run(1)
    assert 180000 <= h.i.poll_delay(h.clock.now) <= 181000


# --- multicast datagrams --------------------------------------------------------
def _udp_to_group(port, data):
    b = bytearray(8 + len(data))
    udp.emit(b, 0, 40000, port, len(data))
    b[8:] = data
    udp.fill_checksum(b, 0, len(b), checksum.pseudo4(QUERIER_IP, 0, GROUP, 0, 17, len(b)))
    f = bytearray(14 + 20 + len(b))
    ethernet.ipv4_multicast_mac(f, 0, GROUP, 0)
    f[6:12] = QUERIER_MAC
    ethernet.set_ethertype(f, 0, ethernet.ETHERTYPE_IPV4)
    ipv4.emit(f, 14, QUERIER_IP, 0, GROUP, 0, 17, len(b), 1, 9, False)
    f[34:] = b
    return f


def test_udp_to_a_joined_group():
    h = Host()
    s = h.i.add_socket(UdpSocket())
    s.bind(5000)
    st = h.i.stats
    h.feed(_udp_to_group(5000, b"before"))
    h.run(1)
    assert s.recvfrom() is None and st.drop_not_for_us == 1
    h.i.join_multicast(G1)
    h.settle()
    h.feed(_udp_to_group(5000, b"member"))
    h.run(1)
    assert s.recvfrom() == (b"member", ("192.0.2.9", 40000))
    h.feed(_udp_to_group(5001, b"no port"))          # no socket: no ICMP error
    assert h.run(2) == [] and st.drop_no_socket == 1
    h.i.leave_multicast(G1)
    h.feed(_udp_to_group(5000, b"after"))
    h.run(1)
    assert s.recvfrom() is None and st.drop_not_for_us == 2


# --- API errors and bad input ---------------------------------------------------
def test_api_errors():
    h = Host(groups=2)
    for bad in ("192.0.2.1", "224.0.0.1", "0.0.0.0", "255.255.255.255", "240.0.0.1"):
        assert errno_of(raises(OSError, h.i.join_multicast, bad)) == 22
    assert h.i.leave_multicast("192.0.2.1") is False
    assert h.i.join_multicast(G1) and h.i.join_multicast(G2)
    assert errno_of(raises(OSError, h.i.join_multicast, G3)) == 12   # ENOMEM
    h.i.leave_multicast(G1)
    assert h.i.join_multicast(G3) is True            # a leaving group's slot is reused
    assert sorted(h.i.multicast_groups()) == [G2, G3]
    off = Host(groups=0)
    assert off.i.igmp is None
    assert errno_of(raises(OSError, off.i.join_multicast, G1)) == 95  # EOPNOTSUPP
    assert off.i.multicast_groups() == []
    # IGMP to a host without the IGMP module: an unknown protocol, counted
    off.feed(QUERY_V3_GENERAL_BYTES)
    off.run(1)
    assert off.i.stats.drop_unknown_protocol == 1


def test_link_local_groups_are_reported_too():
    h = Host()
    assert h.i.join_multicast("224.0.0.251") is True  # mDNS; only 224.0.0.1 is special
    sent = h.run(1)
    assert _msg(sent[0][1])[2] == [(igmp.CHANGE_TO_EXCLUDE, b"\xe0\x00\x00\xfb")]


def _with_igmp(frame, body):
    """frame's headers with a different IGMP body (IP length and checksum
    fixed up)."""
    f = bytearray(frame[:_L4]) + bytearray(body)
    tl = 24 + len(body)
    f[_ETH + 2] = tl >> 8
    f[_ETH + 3] = tl & 0xFF
    ipv4.fill_checksum(f, _ETH)
    return f


def test_bad_igmp_counted_never_raised():
    h = Host()                                       # strict: an exception would escape
    _two_groups(h)
    st = h.i.stats
    q = bytes(QUERY_V3_GENERAL_BYTES[_L4:])
    bad_sum = bytearray(q)
    bad_sum[9] ^= 1
    ten = bytearray(10)                              # a 10-byte query (RFC 3376 7.1)
    ten[0:8] = q[0:8]
    igmp.fill_checksum(ten, 0, 10)
    many = bytearray(q)                              # 1 source announced, none there
    many[11] = 1
    igmp.fill_checksum(many, 0, 12)
    unicast = bytearray(8)                           # a query about 192.0.2.1
    igmp.emit_query(unicast, 0, 10, b"\xc0\x00\x02\x01", 0)
    bodies = (q[:7], q[:1], b"", bad_sum, ten, many, unicast)
    for body in bodies:
        h.feed(_with_igmp(QUERY_V3_GENERAL_BYTES, body))
    assert h.run(2000) == []
    assert st.drop_bad_igmp == len(bodies) and st.igmp_queries == 0
    # ignored without a count: v3 reports, leaves, unknown types, DVMRP (0x13)
    for t in (igmp.TYPE_V3_REPORT, igmp.TYPE_V2_LEAVE, 0x13, 0x30, 0x00):
        b = bytearray(q)
        b[0] = t
        igmp.fill_checksum(b, 0, 12)
        h.feed(_with_igmp(QUERY_V3_GENERAL_BYTES, b))
    assert h.run(2000) == []
    assert st.drop_bad_igmp == len(bodies) and st.drop_internal_error == 0
    assert h.i.stats.igmp_queries == 0


# --- allocation -------------------------------------------------------------------
def _query_burst(h, queries, count, res):
    # feed queries round robin, poll through their answer windows, count
    # the answers
    got = 0
    buf = h.buf
    for k in range(count):
        q = queries[k % len(queries)]
        h.peer.send(q, len(q))
        for _ in range(24):
            h.i.poll(h.clock.now)
            while h.peer.recv_into(buf):
                got += 1
            h.clock.advance(50)
    res[0] = got


def test_queries_answered_without_allocation():
    h = Host(t0=TICKS_MAX - 20000)                   # and across the tick wrap
    h.i.join_multicast(G1)
    h.i.join_multicast(G2)
    h.i.join_multicast(G3)
    queries = [bytearray(QUERY_V3_GENERAL_BYTES), bytearray(QUERY_V3_GROUP_BYTES),
               v3_query(0x82), v2_query(10), v2_query(10, GROUP), bytearray(QUERY_V1_GENERAL_BYTES),
               v3_query(5, GROUP2, sources=b"\xc0\x00\x02\x05")]
    res = [0]
    _query_burst(h, queries, 14, res)                # warm-up (and the joins' reports)
    h.settle(300000)
    assert h.i.igmp.mode() == 3
    ctx = (h, queries, res)
    before = h.i.stats.igmp_reports
    heap_locked(lambda: _query_burst(ctx[0], ctx[1], 70, ctx[2]))
    assert res[0] > 40 and res[0] == h.i.stats.igmp_reports - before
    assert h.i.stats.igmp_queries >= 84 and h.i.stats.drop_bad_igmp == 0
    # joins and leaves themselves, once the table exists, allocate nothing either
    g = GROUP3
    assert heap_locked(lambda: h.i.igmp.leave(g)) is True
    assert heap_locked(lambda: h.i.igmp.join(g)) is True
