# runtimes: cpython unix wasm
# The DHCPv4 client socket on a Loopback pair against a tiny scripted server
# written here: exact messages, a fake clock. Retransmission timing (RFC 2131
# 4.1), NAK, renewing at T1 (unicast), rebinding at T2 (broadcast), expiry,
# leases of days and "infinite", and a renewal under heap_lock.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.dhcpv4 import (Dhcpv4Socket, STOPPED, DISCOVERING, REQUESTING, BOUND,
                                   RENEWING, REBINDING, EVENT_CONFIGURED, EVENT_DECONFIGURED)
from smolnet.wire import dhcpv4 as dh
from smolnet.wire import ethernet, ipv4, udp, arp, checksum, ipaddr
from wire_names import DHCP
from support import FakeClock, TICKS_MAX, heap_locked

CLIENT_MAC = b"\x02\x00\x00\x00\x00\x05"
SERVER_MAC = b"\x02\x00\x00\x00\x00\x0a"
SERVER_IP = ipaddr.parse4("192.0.2.1")
OTHER_SERVER_IP = ipaddr.parse4("192.0.2.9")
LEASED = ipaddr.parse4("192.0.2.57")
BCAST = ipaddr.parse4("255.255.255.255")
ANY = ipaddr.parse4("0.0.0.0")
PRL = bytes((1, 3, 6, 51, 58, 59))


class Msg:
    """A DHCP message from the client, as the server saw it."""

    def __init__(self, frame, t):
        self.t = t
        self.frame = frame
        self.eth_dst = frame[0:6]
        self.ip_src = frame[26:30]
        self.ip_dst = frame[30:34]
        l4 = 14 + ipv4.header_len(frame, 14)
        self.sport = udp.src_port(frame, l4)
        self.dport = udp.dst_port(frame, l4)
        ul = udp.length(frame, l4)
        ps = checksum.pseudo4(frame, 26, frame, 30, 17, ul)
        self.udp_ok = udp.check(frame, l4, len(frame) - l4, ps, False)
        self.ip_ok = ipv4.check(frame, 14, len(frame) - 14) == ipv4.OK
        self.d = frame[l4 + 8:l4 + ul]
        d = self.d
        self.ok = dh.check(d, 0, len(d))
        self.mtype = dh.message_type(d, 0, len(d))
        self.xid = d[4:8]
        self.secs = dh.secs(d, 0)
        self.flags = dh.flags(d, 0)
        self.ciaddr = d[12:16]

    def opt(self, code):
        v = dh.find_option(self.d, 0, len(self.d), code)
        return None if v < 0 else self.d[v:v + self.d[v - 1]]

    def option_codes(self):
        out = []
        p = dh.OPTIONS
        while self.d[p] != 255:
            out.append(self.d[p])
            p += 2 + self.d[p + 1]
        return out


class Server:
    """Reads what the client sends, answers ARP for its address, and sends
    DHCP messages built field by field."""

    def __init__(self, dev, clock, ip=SERVER_IP):
        self.dev = dev
        self.clock = clock
        self.ip = ip
        self.buf = bytearray(1600)
        self.out = bytearray(1600)
        self.answer_arp = True
        self.arp_requests = 0
        self.other = 0

    def drain(self):
        """Every DHCP message waiting, oldest first (ARP handled on the way)."""
        msgs = []
        while True:
            n = self.dev.recv_into(self.buf)
            if n == 0:
                return msgs
            b = self.buf
            et = ethernet.ethertype(b, 0)
            if et == ethernet.ETHERTYPE_ARP:
                self.arp_requests += 1
                if self.answer_arp and b[14 + arp.TPA:14 + arp.TPA + 4] in (SERVER_IP,
                                                                            OTHER_SERVER_IP):
                    self._arp_reply(b)
                continue
            l4 = 14 + ipv4.header_len(b, 14)
            if et == ethernet.ETHERTYPE_IPV4 and ipv4.protocol(b, 14) == 17 and \
                    udp.dst_port(b, l4) == 67:
                msgs.append(Msg(bytes(b[:n]), self.clock.now))
            else:
                self.other += 1

    def _arp_reply(self, req):
        o = self.out
        ethernet.emit(o, 0, req, 6, SERVER_MAC, 0, ethernet.ETHERTYPE_ARP)
        arp.emit(o, 14, arp.OP_REPLY, SERVER_MAC, 0, req, 14 + arp.TPA, req, 14 + arp.SHA,
                 req, 14 + arp.SPA)
        self.dev.send(o, 60)

    def send(self, mtype, xid, yiaddr=LEASED, sid=SERVER_IP, lease=3600, t1=None, t2=None,
             mask=b"\xff\xff\xff\x00", router=SERVER_IP, dns=(SERVER_IP,), chaddr=CLIENT_MAC,
             op=dh.OP_REPLY, to=None, src=None, extra=b"", cut=0):
        d = bytearray(400)
        p = dh.emit_header(d, 0, op, xid, 0, 0, 0x8000, None, 0, chaddr, 0)
        if mtype != dh.NAK:
            d[DHCP.YIADDR:DHCP.YIADDR + 4] = yiaddr
        p = dh.put_u8(d, p, DHCP.OPT_MESSAGE_TYPE, mtype)
        if sid is not None:
            p = dh.put_bytes(d, p, DHCP.OPT_SERVER_ID, sid, 0, 4)
        if mtype != dh.NAK:
            if lease is not None:
                p = dh.put_bytes(d, p, DHCP.OPT_LEASE_TIME, _u32(lease), 0, 4)
            if t1 is not None:
                p = dh.put_bytes(d, p, DHCP.OPT_T1, _u32(t1), 0, 4)
            if t2 is not None:
                p = dh.put_bytes(d, p, DHCP.OPT_T2, _u32(t2), 0, 4)
            if mask is not None:
                p = dh.put_bytes(d, p, DHCP.OPT_SUBNET_MASK, mask, 0, 4)
            if router is not None:
                p = dh.put_bytes(d, p, DHCP.OPT_ROUTER, router, 0, 4)
            if dns:
                blob = b"".join(dns)
                p = dh.put_bytes(d, p, DHCP.OPT_DNS, blob, 0, len(blob))
        d[p:p + len(extra)] = extra
        p += len(extra)
        n = dh.put_end(d, 0, p) - cut
        self.send_payload(d, n, to, src)

    def send_payload(self, d, n, to=None, src=None):
        o = self.out
        dst = to if to is not None else BCAST
        mac = ethernet.BROADCAST if dst == BCAST else CLIENT_MAC
        ethernet.emit(o, 0, mac, 0, SERVER_MAC, 0, ethernet.ETHERTYPE_IPV4)
        ipv4.emit(o, 14, src or self.ip, 0, dst, 0, 17, 8 + n, 64, 1, False)
        udp.emit(o, 34, 67, 68, n)
        o[42:42 + n] = d[:n]
        udp.fill_checksum(o, 34, 8 + n, checksum.pseudo4(src or self.ip, 0, dst, 0, 17, 8 + n))
        self.dev.send(o, 42 + n)


def _u32(v):
    return bytes(((v >> 24) & 0xFF, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF))


def _setup(start=1000, config=None, **kw):
    a, b = Loopback.pair(mac_a=CLIENT_MAC, mac_b=SERVER_MAC)
    iface = Interface(a, config or Config(strict=True))
    kw.setdefault("seed", 4321)
    sock = iface.add_socket(Dhcpv4Socket(**kw))
    clock = FakeClock(start)
    return iface, sock, Server(b, clock), clock


def _exchange(iface, srv, clock):
    """Poll until quiet (the server answering ARP in between, as a driver
    woken by each frame would); the DHCP messages the client sent."""
    msgs = []
    for _ in range(10):
        iface.poll(clock.now)
        got = srv.drain()
        msgs += got
        if not got and iface.device.pending() == 0:
            return msgs
    return msgs


def _run(iface, srv, clock, ms, replies=None):
    """Jump from timer to timer (poll_delay) for ms; every message sent."""
    msgs = _exchange(iface, srv, clock)
    left = ms
    while left > 0:
        d = iface.poll_delay(clock.now)
        assert d != 0 or iface.device.pending(), "poll_delay 0 with nothing to do"
        if d < 0 or d > left:
            d = left
        d = max(d, 1)
        clock.advance(d)
        left -= d
        msgs += _exchange(iface, srv, clock)
    return msgs


def _bind(iface, sock, srv, clock, **ack):
    disc = _exchange(iface, srv, clock)
    assert [m.mtype for m in disc] == [dh.DISCOVER]
    srv.send(DHCP.OFFER, disc[0].xid, **ack)
    req = _exchange(iface, srv, clock)
    assert [m.mtype for m in req] == [dh.REQUEST]
    assert sock.state == REQUESTING
    srv.send(dh.ACK, req[0].xid, **ack)
    assert _exchange(iface, srv, clock) == []
    assert sock.state == BOUND
    return req[0]


def test_discover_exact():
    iface, sock, srv, clock = _setup()
    assert sock.state == DISCOVERING and not sock.configured
    assert iface.poll_delay(clock.now) == 0
    msgs = _exchange(iface, srv, clock)
    assert len(msgs) == 1
    m = msgs[0]
    assert m.eth_dst == ethernet.BROADCAST and m.frame[6:12] == CLIENT_MAC
    assert m.ip_src == ANY and m.ip_dst == BCAST            # RFC 2131 4.1
    assert m.ip_ok and m.udp_ok and m.sport == 68 and m.dport == 67
    assert m.ok and len(m.d) == 300                          # BOOTP minimum (RFC 1542)
    assert m.d[0:4] == b"\x01\x01\x06\x00"                   # BOOTREQUEST, Ethernet
    assert m.xid == bytes(sock._xid)
    assert m.secs == 0 and m.flags == 0x8000                 # BROADCAST flag
    assert m.d[12:28] == bytes(16)                           # ciaddr..giaddr zero
    assert m.d[28:34] == CLIENT_MAC and m.d[34:44] == bytes(10)
    assert m.option_codes() == [53, 61, 57, 55]
    assert m.opt(53) == b"\x01"
    assert m.opt(61) == b"\x01" + CLIENT_MAC
    assert m.opt(57) == b"\x05\xdc"                          # 1500
    assert m.opt(55) == PRL
    assert sock.tx_count == 1


def test_hostname_and_client_id_options():
    iface, sock, srv, clock = _setup(hostname="smolboard", client_id=b"\xffabc")
    m = _exchange(iface, srv, clock)[0]
    assert m.option_codes() == [53, 61, 57, 12, 55]
    assert m.opt(12) == b"smolboard" and m.opt(61) == b"\xffabc"


def test_full_exchange_configures_interface():
    iface, sock, srv, clock = _setup()
    disc = _exchange(iface, srv, clock)[0]
    srv.send(DHCP.OFFER, disc.xid, dns=(SERVER_IP, ipaddr.parse4("198.51.100.53")))
    req = _exchange(iface, srv, clock)
    assert len(req) == 1
    r = req[0]
    assert r.mtype == dh.REQUEST and r.xid == disc.xid      # the offer's xid
    assert r.ip_src == ANY and r.ip_dst == BCAST and r.flags == 0x8000
    assert r.ciaddr == ANY                                   # SELECTING: 4.3.2
    assert r.opt(50) == LEASED and r.opt(54) == SERVER_IP
    assert r.option_codes() == [53, 61, 50, 54, 57, 55]
    assert r.secs == disc.secs
    assert iface.ips() == []
    srv.send(dh.ACK, r.xid, dns=(SERVER_IP, ipaddr.parse4("198.51.100.53")))
    _exchange(iface, srv, clock)
    assert sock.state == BOUND and sock.configured
    assert sock.changed == 1 and sock.event == EVENT_CONFIGURED
    L = sock.lease
    assert bytes(L.address) == LEASED and L.prefix == 24
    assert L.router_addr() == SERVER_IP
    assert L.dns_servers() == [SERVER_IP, ipaddr.parse4("198.51.100.53")]
    assert L.lease_s == 3600 and L.t1_s == 1800 and L.t2_s == 3150   # defaults
    assert bytes(L.server) == SERVER_IP and bytes(L.server_addr) == SERVER_IP
    assert L.cidr() == "192.0.2.57/24"
    assert iface.ips() == ["192.0.2.57/24"]
    assert iface.routes.entries() == [("0.0.0.0/0", "192.0.2.1")]
    # bound: the next thing due is T1
    assert iface.poll_delay(clock.now) == 1800 * 1000


def test_events_only_leaves_interface_alone():
    iface, sock, srv, clock = _setup(configure=False)
    _bind(iface, sock, srv, clock)
    assert sock.configured and sock.changed == 1
    assert iface.ips() == [] and iface.routes.entries() == []
    assert sock.lease.cidr() == "192.0.2.57/24"


def test_discover_backoff_4_8_16_32_64_64_with_jitter():
    iface, sock, srv, clock = _setup(start=TICKS_MAX - 3000)   # ticks wrap on the way
    t0 = clock.now
    msgs = _run(iface, srv, clock, 200000)
    times = [(m.t - t0) & TICKS_MAX for m in msgs]
    assert all(m.mtype == dh.DISCOVER for m in msgs)
    assert len(set([bytes(m.xid) for m in msgs])) == 1
    gaps = [times[i + 1] - times[i] for i in range(len(times) - 1)]
    want = [4000, 8000, 16000, 32000, 64000, 64000]
    assert len(gaps) >= len(want)
    for g, w in zip(gaps, want):
        assert w - 1000 <= g <= w + 1000, (gaps, want)      # RFC 2131 4.1: +-1 s
    assert len(set(gaps)) > 1                                # jitter is there
    # secs: time since the first DISCOVER
    for m, t in zip(msgs, times):
        assert m.secs == t // 1000


def test_request_retransmitted_then_back_to_discover():
    iface, sock, srv, clock = _setup()
    disc = _exchange(iface, srv, clock)[0]
    again = _run(iface, srv, clock, 5500)[0]              # the first retransmission
    assert again.xid == disc.xid and 3 <= again.secs <= 5
    srv.send(DHCP.OFFER, disc.xid)
    t0 = clock.now
    msgs = _run(iface, srv, clock, 150000)
    kinds = [m.mtype for m in msgs]
    assert kinds[:5] == [dh.REQUEST] * 5 and kinds[5] == dh.DISCOVER, kinds
    times = [m.t - t0 for m in msgs]
    # 4, 8, 16, 32, 64 s apart, each +-1 s
    for k, (got, nominal) in enumerate(zip(times, (0, 4000, 12000, 28000, 60000, 124000))):
        assert abs(got - nominal) <= 1000 * k, times
    assert all(m.secs == again.secs for m in msgs[:5])     # the DISCOVER's (4.4.1)
    assert msgs[5].xid != disc.xid and msgs[5].secs == 0
    assert sock.state == DISCOVERING and sock.changed == 0


def test_replies_not_for_us_ignored():
    iface, sock, srv, clock = _setup()
    disc = _exchange(iface, srv, clock)[0]
    wrong = bytes((disc.xid[0] ^ 1,)) + disc.xid[1:]
    srv.send(DHCP.OFFER, wrong)                                       # other xid
    srv.send(DHCP.OFFER, disc.xid, chaddr=b"\x02\x00\x00\x00\x00\x99")  # other client
    srv.send(DHCP.OFFER, disc.xid, op=dh.OP_REQUEST)                  # not a reply
    srv.send(DHCP.OFFER, disc.xid, sid=None)                          # no server id
    srv.send(DHCP.OFFER, disc.xid, yiaddr=ipaddr.parse4("224.0.0.9"))  # not unicast
    srv.send(DHCP.OFFER, disc.xid, yiaddr=ANY)
    srv.send(dh.ACK, disc.xid)                                      # ACK while discovering
    assert _exchange(iface, srv, clock) == []
    assert sock.state == DISCOVERING and sock.rx_ignored == 7
    # an ACK from another server while requesting
    srv.send(DHCP.OFFER, disc.xid)
    req = _exchange(iface, srv, clock)[0]
    srv.send(dh.ACK, req.xid, sid=OTHER_SERVER_IP)
    _exchange(iface, srv, clock)
    assert sock.state == REQUESTING and sock.rx_ignored == 8
    # a second offer while requesting
    srv.send(DHCP.OFFER, disc.xid, yiaddr=ipaddr.parse4("192.0.2.58"))
    _exchange(iface, srv, clock)
    assert sock.state == REQUESTING and sock.rx_ignored == 9
    assert iface.stats.drop_internal_error == 0


def test_malformed_replies_counted_never_raise():
    iface, sock, srv, clock = _setup()
    disc = _exchange(iface, srv, clock)[0]
    srv.send(DHCP.OFFER, disc.xid, cut=70)                       # cut inside the options
    srv.send(DHCP.OFFER, disc.xid, extra=b"\x0c\xf0abc")         # option past the end
    d = bytearray(300)
    dh.emit_header(d, 0, dh.OP_REPLY, disc.xid, 0, 0, 0, None, 0, CLIENT_MAC, 0)
    d[236] = 0                                                 # bad magic cookie
    srv.send_payload(d, 300)
    srv.send_payload(d, 100)                                   # shorter than a header
    srv.send_payload(d, 0)                                     # empty datagram
    _exchange(iface, srv, clock)
    assert sock.rx_malformed == 5 and iface.stats.drop_malformed == 5
    assert sock.state == DISCOVERING
    srv.send(DHCP.OFFER, disc.xid)
    _exchange(iface, srv, clock)
    assert sock.state == REQUESTING


def test_nak_while_requesting_starts_over():
    iface, sock, srv, clock = _setup()
    disc = _exchange(iface, srv, clock)[0]
    srv.send(DHCP.OFFER, disc.xid)
    req = _exchange(iface, srv, clock)[0]
    srv.send(dh.NAK, req.xid)
    msgs = _exchange(iface, srv, clock)
    assert sock.state == DISCOVERING and sock.naks == 1
    assert [m.mtype for m in msgs] == [dh.DISCOVER] and msgs[0].xid != disc.xid
    assert sock.changed == 0 and iface.ips() == []


def test_renew_at_t1_unicast_to_server():
    iface, sock, srv, clock = _setup()
    req = _bind(iface, sock, srv, clock, lease=3600, t1=1000, t2=2000)
    t_req = req.t
    clock.advance(999999)
    assert _exchange(iface, srv, clock) == [] and sock.state == BOUND
    assert iface.poll_delay(clock.now) == 1
    clock.advance(1)
    msgs = _exchange(iface, srv, clock)
    assert sock.state == RENEWING
    assert srv.arp_requests == 1                            # the server's MAC first
    assert len(msgs) == 1
    r = msgs[0]
    assert r.t - t_req == 1000000
    assert r.mtype == dh.REQUEST and r.xid != req.xid
    assert r.eth_dst == SERVER_MAC and r.ip_src == LEASED and r.ip_dst == SERVER_IP
    assert r.ciaddr == LEASED and r.flags == 0               # RFC 2131 4.3.2, 4.4.5
    assert r.opt(50) is None and r.opt(54) is None
    assert r.udp_ok and r.secs == 0
    clock.advance(3000)
    srv.send(dh.ACK, r.xid, to=LEASED, lease=3600, t1=1000, t2=2000)
    assert _exchange(iface, srv, clock) == []
    assert sock.state == BOUND and sock.changed == 1        # nothing changed
    assert iface.ips() == ["192.0.2.57/24"]
    # the new lease runs from when the REQUEST went out
    assert iface.poll_delay(clock.now) == 1000 * 1000 - 3000


def test_renew_backoff_rebind_and_expiry():
    iface, sock, srv, clock = _setup()
    req = _bind(iface, sock, srv, clock)                    # 3600 s, T1 1800, T2 3150
    msgs = _run(iface, srv, clock, 3601 * 1000)
    got = [((m.t - req.t) // 1000, m.mtype, m.ip_dst == BCAST) for m in msgs]
    want = [(1800, dh.REQUEST, False), (2475, dh.REQUEST, False), (2812, dh.REQUEST, False),
            (2981, dh.REQUEST, False), (3065, dh.REQUEST, False), (3125, dh.REQUEST, False),
            (3150, dh.REQUEST, True), (3375, dh.REQUEST, True), (3487, dh.REQUEST, True),
            (3547, dh.REQUEST, True), (3600, dh.DISCOVER, True)]
    assert got == want, got
    renew = msgs[0:6]
    rebind = msgs[6:10]
    assert len(set([bytes(m.xid) for m in renew])) == 1
    assert rebind[0].xid != renew[0].xid
    for m in rebind:
        assert m.ip_src == LEASED and m.ciaddr == LEASED and m.eth_dst == ethernet.BROADCAST
        assert m.opt(50) is None and m.opt(54) is None
    assert msgs[10].ip_src == ANY and msgs[10].flags == 0x8000
    # expired: the address and route are gone
    assert sock.state == DISCOVERING and not sock.configured
    assert sock.changed == 2 and sock.event == EVENT_DECONFIGURED
    assert iface.ips() == [] and iface.routes.entries() == []


def test_rebind_answered_by_another_server():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=1000, t1=100, t2=200)
    srv.answer_arp = False                                  # the server is gone
    msgs = _run(iface, srv, clock, 200 * 1000)
    assert sock.state == REBINDING
    assert msgs[-1].ip_dst == BCAST
    srv.send(dh.ACK, msgs[-1].xid, sid=OTHER_SERVER_IP, src=OTHER_SERVER_IP, to=LEASED,
             lease=1000, t1=100, t2=200)
    _exchange(iface, srv, clock)
    assert sock.state == BOUND and sock.changed == 1
    assert bytes(sock.lease.server) == OTHER_SERVER_IP
    assert bytes(sock.lease.server_addr) == OTHER_SERVER_IP


def test_renewing_ignores_other_servers_acks():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=1000, t1=100, t2=200)
    msgs = _run(iface, srv, clock, 100 * 1000)
    assert sock.state == RENEWING
    srv.send(dh.ACK, msgs[-1].xid, sid=OTHER_SERVER_IP, to=LEASED)
    _exchange(iface, srv, clock)
    assert sock.state == RENEWING


def test_renewal_server_without_arp_counts_as_lost():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=1000, t1=100, t2=200)
    srv.answer_arp = False
    msgs = _run(iface, srv, clock, 160 * 1000)
    assert msgs == [] and sock.state == RENEWING
    assert sock.tx_no_route == 1                            # given up after 3 s of ARP
    assert 3 <= srv.arp_requests <= 4
    # the retry is due 60 s after the first attempt
    d = iface.poll_delay(clock.now)
    assert 0 < d <= 1000 * 1000


def test_nak_while_renewing_deconfigures():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=1000, t1=100, t2=200)
    msgs = _run(iface, srv, clock, 100 * 1000)
    srv.send(dh.NAK, msgs[-1].xid, to=LEASED)
    again = _exchange(iface, srv, clock)
    assert sock.state == DISCOVERING and sock.naks == 1
    assert sock.changed == 2 and sock.event == EVENT_DECONFIGURED
    assert iface.ips() == [] and iface.routes.entries() == []
    assert [m.mtype for m in again] == [dh.DISCOVER]


def test_renewal_with_new_address_reconfigures():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=1000, t1=100, t2=200)
    msgs = _run(iface, srv, clock, 100 * 1000)
    new = ipaddr.parse4("192.0.2.60")
    srv.send(dh.ACK, msgs[-1].xid, to=LEASED, yiaddr=new, mask=b"\xff\xff\xfe\x00",
             router=ipaddr.parse4("192.0.2.254"), dns=())
    _exchange(iface, srv, clock)
    assert sock.state == BOUND and sock.changed == 2 and sock.event == EVENT_CONFIGURED
    assert iface.ips() == ["192.0.2.60/23"]
    assert iface.routes.entries() == [("0.0.0.0/0", "192.0.2.254")]
    assert sock.lease.dns_servers() == []


def test_user_route_kept_on_expiry():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=100)
    iface.routes.add_default("192.0.2.200")                 # the user's own
    _run(iface, srv, clock, 101 * 1000)
    assert sock.state == DISCOVERING
    assert iface.routes.entries() == [("0.0.0.0/0", "192.0.2.200")]


def test_defaults_and_sanity_of_times():
    cases = (
        # (lease, t1, t2) offered -> (lease_s, t1_s, t2_s)
        ((3600, None, None), (3600, 1800, 3150)),
        ((3600, 3000, 2000), (3600, 1800, 2000)),      # T1 after T2: default T1
        ((3600, 100, 5000), (3600, 100, 3150)),        # T2 past the lease: default T2
        ((None, None, None), (120, 60, 105)),          # no lease time
        ((10, None, None), (10, 5, 9)),
        ((2, None, None), (2, 1, 2)),
    )
    for (lease, t1, t2), want in cases:
        iface, sock, srv, clock = _setup()
        _bind(iface, sock, srv, clock, lease=lease, t1=t1, t2=t2)
        L = sock.lease
        assert (L.lease_s, L.t1_s, L.t2_s) == want, (lease, t1, t2)


def test_max_lease_cap():
    iface, sock, srv, clock = _setup(max_lease_s=20)
    _bind(iface, sock, srv, clock, lease=3600, t1=1800, t2=3150)
    L = sock.lease
    assert (L.lease_s, L.t1_s, L.t2_s) == (20, 10, 18)


def test_mask_missing_or_bad_falls_back_to_class():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, mask=None, yiaddr=ipaddr.parse4("10.1.2.3"))
    assert iface.ips() == ["10.1.2.3/8"]
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, mask=b"\xff\x00\xff\x00")
    assert iface.ips() == ["192.0.2.57/24"]


def test_lease_of_days_counts_down_in_seconds():
    # 30 days: every timer and poll_delay stays a small int; the Interface
    # is woken at least once a day; ticks wrap on the way
    for start in (0, TICKS_MAX - 5000):
        iface, sock, srv, clock = _setup(start=start)
        day = 86400
        _bind(iface, sock, srv, clock, lease=30 * day)
        L = sock.lease
        assert (L.lease_s, L.t1_s, L.t2_s) == (30 * day, 15 * day, 30 * day - 30 * day // 8)
        polls = 0
        while sock.state == BOUND:
            d = iface.poll_delay(clock.now)
            assert 0 < d <= day * 1000
            clock.advance(d)
            iface.poll(clock.now)
            polls += 1
        assert 15 <= polls <= 16
        assert sock.state == RENEWING
        msgs = _exchange(iface, srv, clock)
        assert msgs[0].mtype == dh.REQUEST
        srv.send(dh.ACK, msgs[0].xid, to=LEASED, lease=30 * day)
        _exchange(iface, srv, clock)
        assert sock.state == BOUND and sock.changed == 1
        assert iface.poll_delay(clock.now) == day * 1000


def test_huge_and_infinite_leases():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=0x80000000)         # 68 years: clamped
    assert sock.lease.lease_s == 0x3FFFFFFF
    assert iface.poll_delay(clock.now) == 86400 * 1000
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock, lease=0xFFFFFFFF)         # RFC 2131 3.3: infinite
    L = sock.lease
    assert L.lease_s == -1 and L.t1_s == -1 and L.t2_s == -1
    assert iface.poll_delay(clock.now) == -1
    clock.advance(1 << 28)
    assert _exchange(iface, srv, clock) == [] and sock.state == BOUND


def test_discover_from_zero_even_with_another_address():
    iface, sock, srv, clock = _setup()
    iface.add_ip("198.51.100.5/24")
    m = _exchange(iface, srv, clock)[0]
    assert m.ip_src == ANY and m.udp_ok


def test_reset_and_close():
    iface, sock, srv, clock = _setup()
    _bind(iface, sock, srv, clock)
    sock.reset()
    assert sock.state == DISCOVERING and sock.changed == 2
    assert iface.ips() == [] and iface.routes.entries() == []
    assert [m.mtype for m in _exchange(iface, srv, clock)] == [dh.DISCOVER]
    sock.close()
    assert sock.state == STOPPED and sock.changed == 2     # was not configured
    assert iface.poll_delay(clock.now) == -1
    clock.advance(100000)
    assert _exchange(iface, srv, clock) == []
    sock.reset()
    assert [m.mtype for m in _exchange(iface, srv, clock)] == [dh.DISCOVER]


def test_bad_arguments():
    from support import raises
    raises(ValueError, Dhcpv4Socket, hostname=b"")
    raises(ValueError, Dhcpv4Socket, client_id=b"\x01")


def _locked_poll(iface, clock):
    return iface.poll(clock.now)


def test_renewal_without_allocation():
    iface, sock, srv, clock = _setup(start=TICKS_MAX - 100000)
    _bind(iface, sock, srv, clock, lease=600, t1=300, t2=500)
    # first renewal unlocked (warm-up), then three under heap_lock: the
    # timer, ARP for the server, the REQUEST and the ACK
    for k in range(4):
        d = iface.poll_delay(clock.now)
        assert d == 300 * 1000 - (3000 if k else 0)
        clock.advance(d)
        poll = _locked_poll
        if k:
            heap_locked(lambda: poll(iface, clock))
        else:
            poll(iface, clock)
        assert sock.state == RENEWING
        srv.drain()                                  # ARP request answered
        assert heap_locked(lambda: poll(iface, clock)) if k else poll(iface, clock)
        msgs = srv.drain()
        assert len(msgs) == 1 and msgs[0].mtype == dh.REQUEST
        clock.advance(3000)
        srv.send(dh.ACK, msgs[0].xid, to=LEASED, lease=600, t1=300, t2=500)
        if k:
            heap_locked(lambda: poll(iface, clock))
            heap_locked(lambda: iface.poll_delay(clock.now))
        else:
            poll(iface, clock)
        assert sock.state == BOUND and sock.changed == 1
    assert iface.stats.drops() == 0


def test_needs_an_ethernet_interface():
    from smolnet.phy.device import MEDIUM_IP
    from smolnet.socket import errno
    iface = Interface(Loopback(mac=None, medium=MEDIUM_IP), Config(strict=True))
    sock = iface.add_socket(Dhcpv4Socket())
    iface.poll(0)
    assert sock.state == STOPPED and sock.error == errno.EOPNOTSUPP
    assert iface.poll_delay(0) == -1
