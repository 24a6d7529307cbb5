# runtimes: cpython unix wasm
# MLD through the Interface (smolnet/iface/mld.py), driven by a fake clock
# the way a driver polls (whenever poll_delay says): joins and leaves give
# the Linux kernel's own MLDv2 / MLDv1 frames byte for byte (vectors_mld.py;
# an Interface on MAC 02:00:00:00:00:aa has the kernel's fe80::ff:fe00:aa),
# repeated within the Unsolicited Report Interval; queries of both versions
# from the kernel's bridge are answered with every group, solicited-node
# groups included; the MLDv1 compatibility mode lasts until its timer runs
# out; UDP to a joined group reaches its socket; bad MLD is counted, never
# raised; queries are answered under heap_lock.
from time import ticks_add, ticks_diff
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.wire import ipaddr, ipv6, icmpv6, checksum, mld, udp
from vectors_mld import (MLD2_JOIN_BYTES, MLD2_LEAVE_BYTES, MLD1_REPORT_BYTES, MLD1_DONE_BYTES,
                         MLD2_GENERAL_QUERY_BYTES, MLD2_CURRENT_STATE_BYTES,
                         MLD2_SPECIFIC_QUERY_BYTES, MLD2_SPECIFIC_QUERY_S_BYTES,
                         MLD2_SOURCE_QUERY_BYTES, MLD2_ALLOW_BYTES, MLD1_GENERAL_QUERY_BYTES,
                         MLD1_REPORT_SN_BYTES, MLD1_SPECIFIC_QUERY_BYTES,
                         MLD2_QUERY_FLOATS_BYTES, HOST_MAC, HOST_B_MAC, BRIDGE_MAC, GROUP,
                         GROUP2, SOURCE)
from support import raises, errno_of, heap_locked, TICKS_MAX

LL_A = ipaddr.parse6("fe80::ff:fe00:aa")
BRIDGE_LL = ipaddr.parse6("fe80::ff:fe00:cc")
ALL_NODES = ipaddr.parse6("ff02::1")
MLDV2_ROUTERS = ipaddr.parse6("ff02::16")
ALL_ROUTERS = ipaddr.parse6("ff02::2")
SN_A = ipaddr.parse6("ff02::1:ff00:aa")     # solicited-node group of fe80::ff:fe00:aa
SN_1 = ipaddr.parse6("ff02::1:ff00:1")      # ... of 2001:db8::1
GROUP3 = ipaddr.parse6("ff05::db8:3")
UNSPEC = bytes(16)


def _host(mac=HOST_MAC, cfg=None, ip=None, mtu=1500):
    dev, peer = Loopback.pair(mac_a=mac, mac_b=BRIDGE_MAC, slots=32, mtu=mtu)
    i = Interface(dev, cfg or Config(strict=True))
    if ip:
        i.add_ip(ip)
    return i, peer


def _out(peer):
    buf = bytearray(1600)
    n = peer.recv_into(buf)
    return bytes(buf[:n]) if n else None


def _drive(i, peer, t0, t1):
    """Poll from tick t0 to t1 as a driver does, whenever poll_delay asks:
    [(tick, frame sent)]."""
    out = []
    t = t0
    while True:
        i.poll(t)
        f = _out(peer)
        while f is not None:
            out.append((t, f))
            f = _out(peer)
        d = i.poll_delay(t)
        if d < 0:
            return out
        nt = ticks_add(t, d if d > 0 else 1)
        if ticks_diff(nt, t1) > 0:
            return out
        t = nt


def _feed(i, peer, frame, t):
    peer.send(frame, len(frame))
    i.poll(t)


def _feed_all(i, peer, frames, t):
    """Several frames taken in by one poll."""
    for f in frames:
        peer.send(f, len(f))
    i.poll(t)


def _frames(got):
    return [f for _, f in got]


def _kind(f):
    """The ICMPv6 type of a frame we sent (MLD behind its Hop-by-Hop header)."""
    return f[62] if f[20] == ipv6.NH_HOPOPT else f[54]


def _mld(f, src=LL_A):
    """Check the framing of an MLD message we sent (33:33 MAC of the
    destination, hop limit 1, Hop-by-Hop Router Alert, the source, a good
    checksum) and return (type, records) for a v2 report, (type, group)
    for v1."""
    assert f[12:14] == b"\x86\xdd" and ipv6.hop_limit(f, 14) == 1
    assert ipv6.next_header(f, 14) == ipv6.NH_HOPOPT
    assert f[54:62] == b"\x3a\x00\x05\x02\x00\x00\x01\x00"
    assert f[22:38] == src
    n = ipv6.payload_len(f, 14) - 8
    assert len(f) == 62 + n
    assert icmpv6.check(f, 62, n, checksum.pseudo6(f, 22, f, 38, 58, n))
    mac = bytearray(6)
    ipv6.multicast_mac(mac, 0, f, 38)
    assert f[0:6] == mac and f[6:12] in (HOST_MAC, HOST_B_MAC)
    t = f[62]
    if t == mld.TYPE_V2_REPORT:
        assert f[38:54] == MLDV2_ROUTERS and mld.report_check(f, 62, n)
        recs = []
        p = 70
        for _ in range(mld.num_records(f, 62)):
            assert mld.record_num_sources(f, p) == 0
            recs.append((f[p], bytes(f[p + 4:p + 20])))
            p += 20
        return t, recs
    assert n == 24
    if t == mld.TYPE_V1_DONE:
        assert f[38:54] == ALL_ROUTERS
    else:
        assert t == mld.TYPE_V1_REPORT and f[38:54] == f[70:86]
    return t, bytes(f[70:86])


def _query(body, dst=ALL_NODES, src=BRIDGE_LL, hops=1, hbh=True, ra=True, dst_mac=None):
    """A query (or any MLD body) from the bridge, checksum filled."""
    ln = len(body) + (8 if hbh else 0)
    f = bytearray(54 + ln)
    if dst_mac is None:
        ipv6.multicast_mac(f, 0, dst, 0)
    else:
        f[0:6] = dst_mac
    f[6:12] = BRIDGE_MAC
    f[12:14] = b"\x86\xdd"
    ipv6.emit(f, 14, src, 0, dst, 0, ipv6.NH_HOPOPT if hbh else 58, ln, hops)
    p = 54
    if hbh:
        ipv6.emit_router_alert(f, 54, 58)
        if not ra:
            f[56:62] = b"\x01\x04\x00\x00\x00\x00"   # a PadN where the option was
        p = 62
    f[p:] = body
    icmpv6.fill_checksum(f, p, len(body), checksum.pseudo6(src, 0, dst, 0, 58, len(body)))
    return bytes(f)


def _q2(code=1000, group=None, qrv=2, qqic=125, sources=b"", **kw):
    b = bytearray(28 + len(sources))
    mld.emit_query_v2(b, 0, code, group, 0, 0, qrv, qqic, sources, 0, len(sources) // 16)
    if "dst" not in kw:
        kw["dst"] = group if group is not None else ALL_NODES
    return _query(b, **kw)


def _q1(delay=1000, group=None, **kw):
    b = bytearray(24)
    mld.emit_query_v1(b, 0, delay, group, 0)
    return _query(b, **kw)


# --- joins and leaves -------------------------------------------------------------
def test_join_is_the_kernels_report_repeated_within_a_second():
    i, peer = _host()
    assert i.join_multicast("ff05::db8:1") is True
    assert i.multicast_groups() == ["ff05::db8:1"]
    assert i.poll_delay(0) == 0
    got = _drive(i, peer, 0, 10000)
    assert _frames(got) == [MLD2_JOIN_BYTES, MLD2_JOIN_BYTES]
    assert got[0][0] == 0 and 0 < got[1][0] <= 1000     # RFC 3810 6.1, 9.11
    assert i.poll_delay(got[1][0]) == -1                 # nothing more is due
    assert i.stats.mld_reports == 2 and i.stats.tx_frames == 2
    # joined already: nothing new
    assert i.join_multicast("ff05::db8:1") is False
    assert _drive(i, peer, 10000, 20000) == []


def test_leave_is_to_in_repeated():
    i, peer = _host()
    i.join_multicast("ff05::db8:1")
    _drive(i, peer, 0, 5000)
    assert i.leave_multicast("ff05::db8:1") is True
    assert i.multicast_groups() == []
    got = _drive(i, peer, 5000, 20000)
    assert _frames(got) == [MLD2_LEAVE_BYTES, MLD2_LEAVE_BYTES]
    assert got[0][0] == 5000 and got[1][0] <= 6000
    assert i.leave_multicast("ff05::db8:1") is False
    # a leave before the join went out: only the leave is announced
    i.join_multicast("ff05::db8:1")
    i.leave_multicast("ff05::db8:1")
    assert _frames(_drive(i, peer, 30000, 40000)) == [MLD2_LEAVE_BYTES, MLD2_LEAVE_BYTES]
    # joins of several groups at once share one report
    i.join_multicast("ff05::db8:1")
    i.join_multicast("ff05::db8:2")
    got = _drive(i, peer, 50000, 60000)
    assert _mld(got[0][1]) == (143, [(4, GROUP), (4, GROUP2)])
    assert len(got) in (2, 3)
    assert sorted(g for f in _frames(got[1:]) for _, g in _mld(f)[1]) == [GROUP, GROUP2]


def test_join_errors():
    i, peer = _host(cfg=Config(strict=True, multicast_groups=2))
    for g in ("ff02::1", "ff01::db8:1", "ff00::db8:1", "ff11::1", "2001:db8::1", "fe80::1",
              "::"):
        assert errno_of(raises(OSError, i.join_multicast, g)) == 22   # EINVAL
    assert i.join_multicast("ff02::db8:1") is True      # link scope is fine
    assert i.join_multicast("ff0e::db8:1") is True
    assert errno_of(raises(OSError, i.join_multicast, "ff05::db8:1")) == 12   # ENOMEM
    assert i.join_multicast("ff02::db8:1") is False     # joined already: no error
    assert i.leave_multicast("ff05::db8:1") is False
    assert i.leave_multicast("ff02::1:ff00:aa") is False  # ours, but not joined by the user
    assert i.leave_multicast("ff02::db8:1") is True
    assert i.join_multicast("ff05::db8:1") is True
    assert i.multicast_groups() == ["ff05::db8:1", "ff0e::db8:1"] or \
        i.multicast_groups() == ["ff0e::db8:1", "ff05::db8:1"]
    j, _ = _host(cfg=Config(strict=True, multicast_groups=0))
    assert errno_of(raises(OSError, j.join_multicast, "ff05::db8:1")) == 12
    k, _ = _host(cfg=Config(strict=True, ipv6=False))
    assert errno_of(raises(OSError, k.join_multicast, "ff05::db8:1")) == 95   # EOPNOTSUPP
    assert i.stats.drops() == 0


def test_user_join_of_a_solicited_node_group():
    # our own group, heard anyway: joining it reports it (it was never
    # announced), leaving it announces nothing (we still hear it)
    i, peer = _host()
    assert i.join_multicast("ff02::1:ff00:aa") is True
    got = _drive(i, peer, 0, 5000)
    assert [_mld(f) for f in _frames(got)] == [(143, [(4, SN_A)])] * 2
    assert i.leave_multicast("ff02::1:ff00:aa") is True
    assert _drive(i, peer, 5000, 10000) == []
    assert i.multicast_groups() == []


# --- queries ------------------------------------------------------------------------
def test_general_query_answered_with_every_group():
    # an Interface like veth-b (02:00:00:00:00:bb, 2001:db8::2) answers the
    # bridge's general query as the kernel did: MODE_IS_EXCLUDE {} for its
    # solicited-node groups (ours lists them the other way round; swapping
    # two 20-byte records leaves the checksum as it is)
    i, peer = _host(mac=HOST_B_MAC, ip="2001:db8::2/64")
    _feed(i, peer, MLD2_GENERAL_QUERY_BYTES, 0)
    assert i.stats.mld_queries == 1
    assert 0 <= i.poll_delay(0) <= 10000
    got = _drive(i, peer, 0, 30000)
    k = MLD2_CURRENT_STATE_BYTES
    assert _frames(got) == [k[:70] + k[90:110] + k[70:90]]
    assert got[0][0] <= 10000                   # Max Response Code 10000 ms
    assert i.ip6.mld.robustness == 2 and i.ip6.mld.query_interval_ms == 3000  # QRV, QQIC
    # with a group of the user's too; never ff02::1
    i.join_multicast("ff05::db8:1")
    _drive(i, peer, 30000, 40000)
    _feed(i, peer, MLD2_GENERAL_QUERY_BYTES, 40000)
    got = _drive(i, peer, 40000, 60000)
    assert len(got) == 1 and ticks_diff(got[0][0], 40000) <= 10000
    t, recs = _mld(got[0][1], src=ipaddr.parse6("fe80::ff:fe00:bb"))
    assert sorted(recs) == sorted([(2, GROUP), (2, ipaddr.parse6("ff02::1:ff00:bb")),
                                   (2, ipaddr.parse6("ff02::1:ff00:2"))])
    assert i.stats.mld_queries == 2 and i.stats.drops() == 0


def test_general_query_v1_form():
    # the bridge as an MLDv1 querier: one MLDv1 report per group, to the
    # group, within its 3000 ms; the one for fe80::ff:fe00:bb's group is
    # the kernel's own
    i, peer = _host(mac=HOST_B_MAC, ip="2001:db8::2/64")
    _feed(i, peer, MLD1_GENERAL_QUERY_BYTES, 0)
    assert i.ip6.mld.v1_mode()
    got = _drive(i, peer, 0, 10000)
    assert len(got) == 2 and got[0][0] <= 3000 and got[1][0] <= 3000
    assert MLD1_REPORT_SN_BYTES in _frames(got)
    ll_b = ipaddr.parse6("fe80::ff:fe00:bb")
    assert sorted(_mld(f, src=ll_b) for f in _frames(got)) == \
        [(131, ipaddr.parse6("ff02::1:ff00:2")), (131, ipaddr.parse6("ff02::1:ff00:bb"))]


def test_specific_queries():
    i, peer = _host()
    for g in ("ff05::db8:1", "ff05::db8:2", "ff05::db8:3"):
        i.join_multicast(g)
    _drive(i, peer, 0, 5000)
    # the bridge's query for ff05::db8:1 (and its repeat with S set):
    # one record for that group, within 1000 ms
    for q in (MLD2_SPECIFIC_QUERY_BYTES, MLD2_SPECIFIC_QUERY_S_BYTES):
        _feed(i, peer, q, 10000)
        got = _drive(i, peer, 10000, 20000)
        assert len(got) == 1 and ticks_diff(got[0][0], 10000) <= 1000
        assert _mld(got[0][1]) == (143, [(2, GROUP)])
    # a source-specific query is answered the same way (no source filters)
    _feed(i, peer, MLD2_SOURCE_QUERY_BYTES, 20000)
    got = _drive(i, peer, 20000, 30000)
    assert [_mld(f) for f in _frames(got)] == [(143, [(2, GROUP2)])]
    # a query about a group we did not join, to ff02::1: counted, unanswered
    _feed(i, peer, _q2(group=ipaddr.parse6("ff05::db8:9"), dst=ALL_NODES), 30000)
    assert _drive(i, peer, 30000, 40000) == []
    # ... and to that group: not even heard
    _feed(i, peer, _q2(group=ipaddr.parse6("ff05::db8:9")), 40000)
    assert i.stats.drop_not_for_us == 1
    # a query to our unicast address counts too (RFC 3810 5.1.15)
    i.add_ip("2001:db8::1/64")
    _feed(i, peer, _q2(group=GROUP3, dst=ipaddr.parse6("2001:db8::1"), dst_mac=HOST_MAC), 50000)
    assert [_mld(f) for f in _frames(_drive(i, peer, 50000, 60000))] == [(143, [(2, GROUP3)])]
    assert i.stats.mld_queries == 5 and i.stats.drop_bad_mld == 0


def test_general_answer_pending_covers_specific_queries():
    # RFC 3810 6.2 rule 1: a general answer due sooner makes a specific
    # query moot; several specific answers due together share one report
    i, peer = _host()
    for g in ("ff05::db8:1", "ff05::db8:2", "ff05::db8:3"):
        i.join_multicast(g)
    _drive(i, peer, 0, 5000)
    _feed_all(i, peer, (_q2(code=0), _q2(code=5000, group=GROUP)), 10000)
    got = _drive(i, peer, 10000, 30000)
    assert len(got) == 1 and len(_mld(got[0][1])[1]) == 4
    _feed_all(i, peer, (_q2(code=0, group=GROUP, dst=ALL_NODES),
                        _q2(code=0, group=GROUP3, dst=ALL_NODES)), 30000)
    got = _drive(i, peer, 30000, 40000)
    assert [_mld(f) for f in _frames(got)] == [(143, [(2, GROUP), (2, GROUP3)])]


def test_v1_querier_mode_until_its_timer_runs_out():
    i, peer = _host()
    _feed(i, peer, MLD1_GENERAL_QUERY_BYTES, 0)
    m = i.ip6.mld
    assert m.v1_mode()
    got = _drive(i, peer, 0, 5000)
    assert [_mld(f) for f in _frames(got)] == [(131, SN_A)]
    # 8.2.1, 9.12: Robustness (2) * Query Interval (125 s) + 3 s
    assert i.poll_delay(5000) == 253000 - 5000
    # joins and leaves the MLDv1 way: the kernel's report and done
    i.join_multicast("ff05::db8:1")
    got = _drive(i, peer, 5000, 30000)
    assert _frames(got) == [MLD1_REPORT_BYTES, MLD1_REPORT_BYTES]
    assert got[0][0] == 5000 and got[1][0] <= 15000      # RFC 2710 7.10: 10 s
    i.leave_multicast("ff05::db8:1")
    got = _drive(i, peer, 30000, 252999)
    assert _frames(got) == [MLD1_DONE_BYTES]
    # an MLDv2 query heard meanwhile is answered the MLDv1 way
    i.join_multicast("ff05::db8:1")
    _drive(i, peer, 100000, 150000)
    _feed(i, peer, MLD2_SPECIFIC_QUERY_BYTES, 150000)
    got = _drive(i, peer, 150000, 200000)
    assert _frames(got) == [MLD1_REPORT_BYTES]
    # the timer runs out: MLDv2 again
    got = _drive(i, peer, 200000, 253000)
    assert got == [] and not m.v1_mode() and i.poll_delay(253000) == -1
    i.leave_multicast("ff05::db8:1")
    assert _frames(_drive(i, peer, 253001, 260000)) == [MLD2_LEAVE_BYTES] * 2
    # a v1 specific query starts it again (sent to ff02::1, as the bridge does)
    i.join_multicast("ff05::db8:1")
    _drive(i, peer, 260000, 270000)
    _feed(i, peer, MLD1_SPECIFIC_QUERY_BYTES, 270000)
    assert m.v1_mode()
    got = _drive(i, peer, 270000, 280000)
    assert _frames(got) == [MLD1_REPORT_BYTES] and ticks_diff(got[0][0], 270000) <= 1000


def test_mode_change_cancels_pending_reports():
    # RFC 3810 8.2.1: the switch to MLDv1 drops the pending repeats
    i, peer = _host()
    i.join_multicast("ff05::db8:1")
    i.poll(0)
    assert _out(peer) == MLD2_JOIN_BYTES
    _feed(i, peer, _q1(delay=0, group=GROUP3, dst=ALL_NODES), 1)
    assert _drive(i, peer, 1, 10000) == []


def test_v1_report_of_another_listener_suppresses_ours():
    # veth-b's twin hears veth-a's MLDv1 report for a group both joined
    i, peer = _host(mac=HOST_B_MAC, ip="2001:db8::2/64")
    _feed(i, peer, MLD1_GENERAL_QUERY_BYTES, 0)
    _drive(i, peer, 0, 5000)
    i.join_multicast("ff05::db8:1")
    _drive(i, peer, 5000, 30000)
    sent = i.stats.mld_reports
    _feed_all(i, peer, (_q1(delay=10000), MLD1_REPORT_BYTES), 30000)
    got = _drive(i, peer, 30000, 50000)
    ll_b = ipaddr.parse6("fe80::ff:fe00:bb")
    assert sorted(_mld(f, src=ll_b)[1] for f in _frames(got)) == \
        [ipaddr.parse6("ff02::1:ff00:2"), ipaddr.parse6("ff02::1:ff00:bb")]
    assert i.ip6.mld.suppressed == 1 and i.stats.mld_reports == sent + 2
    # RFC 2710 4: not the last to report, so no done
    i.leave_multicast("ff05::db8:1")
    assert _drive(i, peer, 50000, 60000) == []
    # an MLDv2 host does not suppress (RFC 3810 6.2): the report is counted
    # as a message for routers
    j, jpeer = _host(mac=HOST_B_MAC)
    j.join_multicast("ff05::db8:1")
    _drive(j, jpeer, 0, 5000)
    _feed_all(j, jpeer, (_q2(code=3000, group=GROUP), MLD1_REPORT_BYTES), 5000)
    assert len(_drive(j, jpeer, 5000, 10000)) == 1 and j.ip6.mld.suppressed == 0


def test_robustness_follows_qrv_and_float_delays():
    i, peer = _host()
    _feed(i, peer, _q2(code=0, qrv=3, qqic=0), 0)
    m = i.ip6.mld
    assert m.robustness == 3 and m.query_interval_ms == 125000
    _drive(i, peer, 0, 1000)
    i.join_multicast("ff05::db8:1")
    got = _drive(i, peer, 1000, 10000)
    assert _frames(got) == [MLD2_JOIN_BYTES] * 3 and ticks_diff(got[2][0], 1000) <= 2000
    _feed(i, peer, _q2(code=0, qrv=0, qqic=0x8F), 10000)     # QRV 0: kept
    assert m.robustness == 3 and m.query_interval_ms == 1000 * (0x1F << 3)
    _drive(i, peer, 10000, 11000)
    # 0xea60 read as a float: up to 3457024 ms, across the tick wrap
    t0 = ticks_add(TICKS_MAX, -1000)
    _feed(i, peer, MLD2_QUERY_FLOATS_BYTES, t0)
    d = i.poll_delay(t0)
    assert 0 <= d <= 3457024
    got = _drive(i, peer, t0, ticks_add(t0, 4000000))
    assert len(got) == 1 and ticks_diff(got[0][0], t0) == d
    assert sorted(_mld(got[0][1])[1]) == sorted([(2, GROUP), (2, SN_A)])


def test_answer_split_over_the_mtu():
    # 70 groups and our solicited-node group: 61 records fit a 1280-byte
    # packet (40 + 8 + 8 + 61 * 20), so the answer takes two reports
    i, peer = _host(cfg=Config(strict=True, multicast_groups=70))
    for k in range(70):
        i.join_multicast("ff05::db8:1:%x" % k)
    got = _drive(i, peer, 0, 10000)
    assert len(_mld(got[0][1])[1]) == 70 and len(got[0][1]) == 62 + 8 + 1400
    i.ip6.mtu = 1280
    _feed(i, peer, _q2(code=0), 10000)
    got = _drive(i, peer, 10000, 20000)
    recs = [_mld(f)[1] for f in _frames(got)]
    assert [len(r) for r in recs] == [61, 10] and len(got[0][1]) == 14 + 56 + 61 * 20
    groups = [g for r in recs for _, g in r]
    assert len(set(groups)) == 71 and SN_A in groups and ALL_NODES not in groups


# --- our addresses' groups --------------------------------------------------------
def test_solicited_node_groups_announced_when_asked():
    # Mld.announce_own: each address's group is reported as it comes (from
    # :: while the link-local address is tentative, before its DAD probe:
    # RFC 3810 5.2.13, RFC 4862 5.4.2) and goes; the default stays quiet
    i, peer = _host(cfg=Config(strict=True, dad_transmits=1))
    i.ip6.mld.announce_own = True
    assert i.poll_delay(0) == 0
    got = _drive(i, peer, 0, 5000)
    assert [_kind(f) for f in _frames(got)] == [143, 135, 143]    # report, DAD probe, report
    assert _mld(got[0][1], src=UNSPEC) == (143, [(4, SN_A)])
    assert _mld(got[2][1], src=UNSPEC) == (143, [(4, SN_A)])   # repeated before DAD ends
    i.add_ip("2001:db8::1/64")
    got = _drive(i, peer, 10000, 20000)
    mlds = [_mld(f) for f in _frames(got) if _kind(f) == 143]
    assert mlds == [(143, [(4, SN_1)])] * 2 and len(got) == 3
    # an address sharing a group adds nothing, and its removal takes nothing
    i.add_ip("2001:db8::ff:fe00:aa/64")
    got = _drive(i, peer, 20000, 30000)
    assert [_kind(f) for f in _frames(got)] == [135]
    i.remove_ip("2001:db8::ff:fe00:aa/64")
    assert _drive(i, peer, 30000, 40000) == []
    i.remove_ip("2001:db8::1/64")
    got = _drive(i, peer, 40000, 50000)
    assert [_mld(f) for f in _frames(got)] == [(143, [(3, SN_1)])] * 2
    # by default: nothing unasked, no timer, yet the groups are answered for
    j, jpeer = _host(cfg=Config(strict=True), ip="2001:db8::1/64")
    assert j.poll_delay(0) == -1 and _drive(j, jpeer, 0, 5000) == []
    _feed(j, jpeer, _q2(code=0), 5000)
    got = _drive(j, jpeer, 5000, 6000)
    assert sorted(_mld(got[0][1])[1]) == sorted([(2, SN_A), (2, SN_1)])


def test_udp_to_a_joined_group():
    i, peer = _host(ip="2001:db8::1/64")
    s = i.add_socket(UdpSocket(rx_slots=4, rx_bytes=2000))
    s.bind(5000)
    src = ipaddr.parse6("2001:db8::99")
    body = bytearray(8 + 5)
    udp.emit(body, 0, 40000, 5000, 5)
    body[8:] = b"hello"
    udp.fill_checksum(body, 0, len(body), checksum.pseudo6(src, 0, GROUP, 0, 17, len(body)))
    h = bytearray(40)
    ipv6.emit(h, 0, src, 0, GROUP, 0, 17, len(body), 5)
    f = bytes.fromhex("33330db80001") + BRIDGE_MAC + b"\x86\xdd" + bytes(h) + bytes(body)
    _feed(i, peer, f, 0)
    assert i.stats.drop_not_for_us == 1 and s.recvfrom() is None
    i.join_multicast("ff05::db8:1")
    _feed(i, peer, f, 1)
    assert s.recvfrom() == (b"hello", ("2001:db8::99", 40000))
    i.leave_multicast("ff05::db8:1")
    _feed(i, peer, f, 2)
    assert i.stats.drop_not_for_us == 2 and s.recvfrom() is None
    # no port unreachable for a group (RFC 4443 2.4 (e.3))
    i.join_multicast("ff05::db8:1")
    s.close()
    i.remove_socket(s)
    _feed(i, peer, f, 3)
    assert i.stats.drop_no_socket == 1 and i.stats.icmp_errors_sent == 0


# --- bad input --------------------------------------------------------------------
def test_bad_mld_counted_not_raised():
    i, peer = _host(ip="2001:db8::1/64")
    i.join_multicast("ff05::db8:1")
    _drive(i, peer, 0, 5000)
    short = bytearray(28)
    mld.emit_query_v2(short, 0, 0, None, 0, 0, 2, 125)
    with_src = bytearray(44)
    mld.emit_query_v2(with_src, 0, 0, None, 0, 0, 2, 125, SOURCE, 0, 1)
    bad_report = bytearray(MLD2_ALLOW_BYTES[62:])
    bad_report[7] = 2                                       # two records, one there
    bad = [
        _q2(code=0, hops=64),                               # not hop limit 1
        _q2(code=0, hops=255),
        _q2(code=0, src=ipaddr.parse6("2001:db8::99")),     # not link-local (5.1.14)
        _q2(code=0, src=UNSPEC),
        _q2(code=0, hbh=False),                             # no Router Alert
        _q2(code=0, ra=False),
        _query(short[:26]),                                 # neither 24 nor >= 28 (8.1)
        _query(short[:20]),
        _query(short[:8]),
        _query(with_src[:43]),                              # a source announced, not there
        _query(with_src),                                   # a general query with sources
        _q2(code=0, group=ipaddr.parse6("2001:db8::1"), dst=ALL_NODES),   # not a group
        _query(bad_report, dst=GROUP),                      # records past the end
        _query(MLD1_REPORT_BYTES[62:82], dst=GROUP),        # a short v1 report
        _query(MLD1_REPORT_BYTES[62:], dst=GROUP, hops=255),
        _query(MLD1_REPORT_BYTES[62:], dst=GROUP, src=ipaddr.parse6("2001:db8::99")),
    ]
    for k, f in enumerate(bad):
        _feed(i, peer, f, 5000 + k)
        assert i.stats.drop_bad_mld == k + 1
    assert _drive(i, peer, 6000, 30000) == []
    assert i.stats.mld_queries == 0 and i.stats.drop_internal_error == 0
    # a bad checksum is the ICMPv6 layer's drop; another host's done or v2
    # report is for routers
    f = bytearray(_q2(code=0))
    f[-1] ^= 1
    _feed(i, peer, bytes(f), 30000)
    assert i.stats.drop_bad_checksum == 1
    _feed(i, peer, _query(MLD2_ALLOW_BYTES[62:], dst=GROUP), 30001)
    _feed(i, peer, _query(MLD1_DONE_BYTES[62:], dst=GROUP, src=UNSPEC), 30002)
    assert i.stats.drop_icmp6_unhandled == 2 and i.stats.drop_bad_mld == len(bad)
    assert _drive(i, peer, 30003, 40000) == []


# --- allocation -----------------------------------------------------------------------
def _answer_rounds(i, peer, sock, queries, buf, res, rounds):
    # feed each query, poll whenever poll_delay asks until nothing is due
    # (a pending MLDv1 querier timer ends the wait too), count the frames
    # sent and the datagrams the socket got; res[1] carries the clock
    t = res[1]
    for _ in range(rounds):
        for q in queries:
            peer.send(q, len(q))
            d = 0
            while d >= 0 and d < 20000:
                t = ticks_add(t, d if d > 0 else 1)
                i.poll(t)
                while peer.recv_into(buf) > 0:
                    res[0] += 1
                while sock.recv_into(buf) >= 0:
                    res[2] += 1
                d = i.poll_delay(t)
    res[1] = t


def _idle(i, peer, buf, res):
    # poll until nothing is due at all (the MLDv1 querier timer included)
    t = res[1]
    d = i.poll_delay(t)
    while d >= 0:
        t = ticks_add(t, d if d > 0 else 1)
        i.poll(t)
        while peer.recv_into(buf) > 0:
            res[0] += 1
        d = i.poll_delay(t)
    res[1] = t


def test_queries_answered_without_allocation():
    i, peer = _host(ip="2001:db8::1/64")
    for g in ("ff05::db8:1", "ff05::db8:2"):
        i.join_multicast(g)
    s = i.add_socket(UdpSocket(rx_slots=4, rx_bytes=2000))
    s.bind(5000)
    src = ipaddr.parse6("2001:db8::99")
    body = bytearray(12)
    udp.emit(body, 0, 40000, 5000, 4)
    udp.fill_checksum(body, 0, 12, checksum.pseudo6(src, 0, GROUP2, 0, 17, 12))
    h = bytearray(40)
    ipv6.emit(h, 0, src, 0, GROUP2, 0, 17, 12, 5)
    to_group = bytes.fromhex("33330db80002") + BRIDGE_MAC + b"\x86\xdd" + bytes(h) + bytes(body)
    v2 = (MLD2_GENERAL_QUERY_BYTES, MLD2_SPECIFIC_QUERY_BYTES, MLD2_SOURCE_QUERY_BYTES,
          _q2(code=0), to_group)
    v1 = (MLD1_GENERAL_QUERY_BYTES, MLD1_SPECIFIC_QUERY_BYTES, to_group)
    buf = bytearray(1600)
    res = [0, 0, 0]
    _answer_rounds(i, peer, s, v2, buf, res, 2)       # warm-up, the join repeats too
    res[0] = res[2] = 0
    ctx = (i, peer, s, v2, buf, res)
    heap_locked(lambda: _answer_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5], 100))
    # the general queries: one report each; specific, source-specific: one
    assert res[0] == 4 * 100 and res[2] == 100
    assert i.stats.mld_queries == 4 * 102 and i.stats.drops() == 0
    # MLDv1 mode: a report per group (ff05::db8:1, :2 and the solicited-
    # node groups of fe80::ff:fe00:aa and 2001:db8::1), then one for :1
    _answer_rounds(i, peer, s, v1, buf, res, 1)
    res[0] = res[2] = 0
    ctx = (i, peer, s, v1, buf, res)
    heap_locked(lambda: _answer_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5], 100))
    assert res[0] == 5 * 100 and res[2] == 100
    # a leave and a join: a done and two reports, then the MLDv1 querier
    # timer runs out; in MLDv2 mode again a leave and a join, repeated
    i.leave_multicast("ff05::db8:1")
    i.join_multicast("ff05::db8:3")
    res[0] = 0
    heap_locked(lambda: _idle(ctx[0], ctx[1], ctx[4], ctx[5]))
    assert res[0] == 3 and not i.ip6.mld.v1_mode()
    i.leave_multicast("ff05::db8:3")
    i.join_multicast("ff05::db8:1")
    res[0] = 0
    heap_locked(lambda: _idle(ctx[0], ctx[1], ctx[4], ctx[5]))
    assert 2 <= res[0] <= 3 and i.stats.mld_reports > 900
    assert i.stats.drops() == 0 and i.stats.drop_internal_error == 0
