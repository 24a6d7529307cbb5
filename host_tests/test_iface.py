# runtimes: cpython unix wasm
# The Interface between two smolnet instances on a Loopback pair: ARP, ping,
# UDP, ICMP errors, routes, counters, and bad frames dropped and counted.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.socket.icmp import IcmpSocket
from smolnet.socket import errno
from smolnet.wire import ipaddr
from netpair import NetPair, IP_A, IP_B
from vectors import (ARP_REQUEST_BYTES, ECHO_REQUEST_BYTES, UDP_HELLO_BYTES,
                     KERNEL_MAC, PEER_MAC)
from support import raises
from prng import Prng


def _udp_pair(p, port_a=1000, port_b=6969):
    ua = p.a.add_socket(UdpSocket())
    ua.bind(port_a)
    ub = p.b.add_socket(UdpSocket())
    ub.bind(port_b)
    return ua, ub


def test_ping_round_trip_byte_exact():
    p = NetPair()
    s = p.a.add_socket(IcmpSocket())
    s.bind(0x1234)
    payload = bytes(range(56))
    s.send_echo(IP_B, 7, payload, 56)
    p.run(5)
    buf = bytearray(100)
    n = s.recv_into(buf)
    assert n == 64
    assert buf[0] == 0 and buf[1] == 0            # echo reply, code 0
    assert (buf[4] << 8 | buf[5]) == 0x1234
    assert (buf[6] << 8 | buf[7]) == 7
    assert bytes(buf[8:64]) == payload
    assert bytes(s.peer_addr[:4]) == IP_B
    assert p.b.stats.icmp_echo_replies == 1
    assert p.a.stats.arp_requests == 1 and p.b.stats.arp_replies == 1


def test_ping_sizes_up_to_1472():
    p = NetPair()
    s = p.a.add_socket(IcmpSocket(rx_bytes=3000, tx_bytes=3000))
    s.bind(1)
    buf = bytearray(1500)
    for size in (0, 1, 55, 56, 1000, 1471, 1472):
        data = bytes((i * 7) & 0xFF for i in range(size))
        s.send_echo(IP_B, size, data, size)
        p.run(4)
        n = s.recv_into(buf)
        assert n == 8 + size
        assert bytes(buf[8:n]) == data


def test_udp_request_response():
    p = NetPair()
    ua, ub = _udp_pair(p)
    ua.sendto(b"ping", ("192.0.2.2", 6969))
    p.run(5)
    buf = bytearray(64)
    n = ub.recv_into(buf)
    assert bytes(buf[:n]) == b"ping"
    assert bytes(ub.peer_addr[:4]) == IP_A and ub.peer_port == 1000
    ub.send_to(b"pong", 4, ub.peer_addr, ub.peer_port)
    p.run(3)
    assert ua.recvfrom() == (b"pong", ("192.0.2.2", 6969))
    assert ua.recvfrom() is None


def test_first_packet_held_until_arp_resolves():
    p = NetPair()
    ua, ub = _udp_pair(p)
    for i in range(3):
        ua.sendto(b"dgram%d" % i, ("192.0.2.2", 6969))
    p.a.poll(0)                      # ARP request goes out, datagrams wait
    assert p.a.stats.arp_requests == 1
    assert p.a.stats.tx_neighbor_pending >= 1
    assert len(ua.tx) == 3
    p.run(5)
    got = [ub.recvfrom()[0] for _ in range(3)]
    assert got == [b"dgram0", b"dgram1", b"dgram2"]
    assert p.a.stats.arp_requests == 1


def test_arp_rate_limited_and_given_up():
    # B is gone: nobody answers. One request per second, then the
    # datagram is dropped with EHOSTUNREACH (after 3 s, like Linux).
    p = NetPair()
    p.b.clear_ips()
    ua, _ = _udp_pair(p)
    ua.sendto(b"x", ("192.0.2.2", 6969))
    for t in range(0, 999, 10):
        p.a.poll(t)
    assert p.a.stats.arp_requests == 1
    assert p.a.poll_delay(500) > 0               # waits, does not spin
    p.a.poll(1000)
    assert p.a.stats.arp_requests == 2
    p.a.poll(2000)
    p.a.poll(3000)
    assert len(ua.tx) == 0
    assert ua.tx_dropped == 1 and ua.error == errno.EHOSTUNREACH


def test_arp_cache_learns_and_expires():
    p = NetPair()
    ua, ub = _udp_pair(p)
    ua.sendto(b"x", ("192.0.2.2", 6969))
    p.run(3)
    assert p.a.neighbors.lookup(IP_B, 0, 4, p.clock.t) >= 0
    assert p.b.neighbors.lookup(IP_A, 0, 4, p.clock.t) >= 0   # learned from the request
    ents = p.a.neighbors.entries(p.clock.t)
    assert ents[0][0] == IP_B and ents[0][1] == p.dev_b.mac
    assert p.a.neighbors.lookup(IP_B, 0, 4, p.clock.t + 60000) == -1


def test_arp_reply_to_kernel_request_bytes():
    # feed the kernel's who-has for 192.0.2.2 to B and check the reply
    dev, peer = _wire()
    i = Interface(dev, Config(strict=True))
    i.add_ip("192.0.2.2/24")
    peer.send(ARP_REQUEST_BYTES, len(ARP_REQUEST_BYTES))
    i.poll(0)
    out = bytearray(100)
    n = peer.recv_into(out)
    assert n == 60                               # padded to the Ethernet minimum
    want = bytes.fromhex(
        "0200000000aa 020000000001 0806 0001 0800 06 04 0002"
        "020000000001 c0000202 0200000000aa c0000201".replace(" ", ""))
    assert bytes(out[:42]) == want
    assert bytes(out[42:60]) == bytes(18)


def test_echo_reply_to_kernel_request_bytes():
    dev, peer = _wire()
    i = Interface(dev, Config(strict=True))
    i.add_ip("192.0.2.2/24")
    peer.send(ECHO_REQUEST_BYTES, len(ECHO_REQUEST_BYTES))
    i.poll(0)
    out = bytearray(200)
    n = peer.recv_into(out)
    assert n == len(ECHO_REQUEST_BYTES)
    r = ECHO_REQUEST_BYTES
    assert bytes(out[0:6]) == KERNEL_MAC and bytes(out[6:12]) == PEER_MAC
    assert bytes(out[26:30]) == r[30:34] and bytes(out[30:34]) == r[26:30]
    assert out[34] == 0                          # echo reply
    assert bytes(out[38:n]) == r[38:]            # ident, seq, data unchanged
    from smolnet.wire import ipv4, icmpv4
    assert ipv4.check(out, 14, n - 14) == ipv4.OK
    assert icmpv4.check(out, 34, n - 34)         # incremental checksum right


def test_echo_reply_to_a_request_sent_to_a_group_mac():
    # an echo request to our IP address in a broadcast frame: the reply
    # goes to its sender's MAC address from ours (the in-place exchange of
    # the MAC addresses is only for a frame to ours)
    dev, peer = _wire()
    i = Interface(dev, Config(strict=True))
    i.add_ip("192.0.2.2/24")
    r = bytearray(ECHO_REQUEST_BYTES)
    r[0:6] = b"\xff" * 6
    peer.send(r, len(r))
    i.poll(0)
    out = bytearray(200)
    n = peer.recv_into(out)
    assert n == len(r)
    assert bytes(out[0:6]) == KERNEL_MAC and bytes(out[6:12]) == PEER_MAC
    assert bytes(out[26:30]) == r[30:34] and bytes(out[30:34]) == r[26:30]
    from smolnet.wire import ipv4, icmpv4
    assert ipv4.check(out, 14, n - 14) == ipv4.OK
    assert icmpv4.check(out, 34, n - 34)


def test_port_unreachable_for_closed_port():
    p = NetPair()
    ua = p.a.add_socket(UdpSocket())
    ua.bind(1000)
    ua.sendto(b"anyone?", ("192.0.2.2", 7777))
    p.run(5)
    assert p.b.stats.drop_no_socket == 1
    assert p.b.stats.icmp_errors_sent == 1
    assert p.a.stats.icmp_errors_received == 1


def test_no_icmp_error_for_broadcast():
    p = NetPair()
    ua = p.a.add_socket(UdpSocket())
    ua.bind(1000)
    ua.sendto(b"all", ("255.255.255.255", 7777))
    ua.sendto(b"subnet", ("192.0.2.255", 7777))
    p.run(5)
    assert p.b.stats.drop_no_socket == 2
    assert p.b.stats.icmp_errors_sent == 0
    assert p.a.stats.arp_requests == 0           # broadcast needs no ARP


def test_broadcast_udp_delivered():
    p = NetPair()
    ua, ub = _udp_pair(p)
    ua.sendto(b"hi all", ("255.255.255.255", 6969))
    ua.sendto(b"hi net", ("192.0.2.255", 6969))
    p.run(5)
    assert ub.recvfrom()[0] == b"hi all"
    assert ub.recvfrom()[0] == b"hi net"


def test_broadcast_ping_ignored():
    p = NetPair()
    s = p.a.add_socket(IcmpSocket())
    s.bind(5)
    s.send_echo(ipaddr.parse4("255.255.255.255"), 1, b"", 0)
    p.run(5)
    assert p.b.stats.drop_icmp_broadcast == 1
    assert not s.can_recv()


def test_icmp_error_rate_limit():
    p = NetPair(config=Config(strict=True, icmp_error_burst=3, icmp_error_interval_ms=1000))
    ua = p.a.add_socket(UdpSocket(tx_slots=10, tx_bytes=1000))
    ua.bind(1000)
    for i in range(6):
        ua.sendto(b"x", ("192.0.2.2", 9))
    p.run(5)
    assert p.b.stats.icmp_errors_sent == 3
    assert p.b.stats.icmp_errors_rate_limited == 3
    p.run(2000, step=100)
    for i in range(2):
        ua.sendto(b"x", ("192.0.2.2", 9))
    p.run(5)
    assert p.b.stats.icmp_errors_sent == 5


def test_route_through_gateway():
    p = NetPair()
    p.b.add_ip("198.51.100.1/24")   # B plays the router for 198.51.100.0/24
    ua = p.a.add_socket(UdpSocket())
    ua.bind(1000)
    ua.sendto(b"far", ("198.51.100.9", 53))
    p.run(3)
    assert p.a.stats.tx_no_route == 1 and ua.tx_dropped == 1
    p.a.routes.add_default("192.0.2.2")
    ub = p.b.add_socket(UdpSocket())
    ub.bind(53, "198.51.100.1")
    ua.sendto(b"via gw", ("198.51.100.1", 53))
    p.run(5)
    assert ub.recvfrom() == (b"via gw", ("192.0.2.1", 1000))
    assert p.a.routes.entries() == [("0.0.0.0/0", "192.0.2.2")]


def test_udp_bind_rules():
    s = UdpSocket()
    raises(OSError, s.bind, 0)
    raises(OSError, s.bind, 70000)
    e = raises(OSError, s.send_to, b"x", 1, IP_B, 9)
    assert e.args[0] == errno.EINVAL
    s.bind(1234)
    assert s.is_open()
    raises(OSError, s.bind, 1235)
    e = raises(OSError, s.send_to, b"x" * 2000, 2000, IP_B, 9)
    assert e.args[0] == errno.EMSGSIZE
    for i in range(4):
        s.send_to(b"12345", 5, IP_B, 9)
    e = raises(OSError, s.send_to, b"12345", 5, IP_B, 9)
    assert e.args[0] == errno.EAGAIN
    assert not s.can_send(5)


def test_udp_rx_full_counted_not_lost_silently():
    p = NetPair()
    ua = p.a.add_socket(UdpSocket(tx_slots=8, tx_bytes=4000))
    ua.bind(1000)
    ub = p.b.add_socket(UdpSocket(rx_slots=2))
    ub.bind(6969)
    for i in range(5):
        ua.sendto(b"d%d" % i, ("192.0.2.2", 6969))
    p.run(5)
    assert len(ub.rx) == 2
    assert ub.rx_dropped == 3 and p.b.stats.drop_socket_full == 3
    assert ub.recvfrom()[0] == b"d0"


def test_specific_bind_beats_wildcard():
    p = NetPair()
    ua = p.a.add_socket(UdpSocket())
    ua.bind(1000)
    wild = p.b.add_socket(UdpSocket())
    wild.bind(6969)
    exact = p.b.add_socket(UdpSocket())
    exact.bind(6969, "192.0.2.2")
    ua.sendto(b"x", ("192.0.2.2", 6969))
    ua.sendto(b"y", ("255.255.255.255", 6969))
    p.run(5)
    assert exact.recvfrom()[0] == b"x"
    assert wild.recvfrom()[0] == b"y"


def _wire():
    """(device for the Interface, the test's end of the cable)"""
    return Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)


def _feed(frame):
    dev, peer = _wire()
    i = Interface(dev, Config(strict=True))
    i.add_ip("192.0.2.2/24")
    u = i.add_socket(UdpSocket())
    u.bind(6969)
    peer.send(frame, len(frame))
    i.poll(0)
    return i, u


def test_bad_frames_counted():
    good = UDP_HELLO_BYTES
    i, u = _feed(good)
    assert u.recvfrom()[0] == b"hello"
    assert i.stats.drops() == 0

    def mut(pos, val):
        b = bytearray(good)
        b[pos] = val
        return b

    cases = (
        (good[:13], "drop_short"),
        (mut(0, 0x04), "drop_not_for_us"),           # unicast MAC not ours
        (mut(13, 0x01), "drop_unknown_ethertype"),
        (mut(14, 0x55), "drop_bad_ip_version"),
        (good[:30], "drop_bad_ip_length"),
        (mut(22, 63), "drop_bad_checksum"),           # IP header checksum
        (mut(45, ord("j")), "drop_bad_checksum"),     # UDP payload
        (mut(23, 99), "drop_bad_checksum"),
    )
    for frame, counter in cases:
        i, u = _feed(frame)
        assert i.stats.drops() == 1, (counter, i.stats)
        assert not u.can_recv()
        assert getattr(i.stats, counter) == 1, (counter, i.stats)


def _fix_ip_checksum(b):
    from smolnet.wire import ipv4
    ipv4.fill_checksum(b, 14)
    return b


def test_ip_level_drops():
    good = bytearray(UDP_HELLO_BYTES)
    frag = bytearray(good)
    frag[20] = 0x20                                   # more fragments
    i, u = _feed(_fix_ip_checksum(frag))
    # 13 bytes cannot be a non-last fragment (RFC 791: multiples of 8);
    # reassembly itself is tested in test_reasm4
    assert i.stats.drop_malformed == 1 and i.stats.drops() == 1
    other = bytearray(good)
    other[33] = 3                                     # to 192.0.2.3
    i, u = _feed(_fix_ip_checksum(other))
    assert i.stats.drop_not_for_us == 1
    bsrc = bytearray(good)
    bsrc[26:30] = b"\xe0\x00\x00\x05"                 # multicast source
    i, u = _feed(_fix_ip_checksum(bsrc))
    assert i.stats.drop_bad_src == 1
    proto = bytearray(good)
    proto[23] = 132                                   # SCTP
    i, u = _feed(_fix_ip_checksum(proto))
    assert i.stats.drop_unknown_protocol == 1
    assert i.stats.icmp_errors_sent == 1              # protocol unreachable
    short_udp = bytearray(good)
    short_udp[39] = 30                                # UDP length > IP payload
    i, u = _feed(short_udp)
    assert i.stats.drop_malformed == 1


def test_random_garbage_never_raises():
    # mutate valid frames at random and feed noise: every frame is either
    # delivered or counted as a drop, and poll() never raises (strict mode
    # would re-raise an internal error)
    r = Prng(2024)
    dev, peer = _wire()
    i = Interface(dev, Config(strict=True))
    i.add_ip("192.0.2.2/24")
    u = i.add_socket(UdpSocket(rx_slots=64, rx_bytes=8000))
    u.bind(6969)
    s = i.add_socket(IcmpSocket())
    s.bind(0x2051)
    seeds = (UDP_HELLO_BYTES, ECHO_REQUEST_BYTES, ARP_REQUEST_BYTES)
    buf = bytearray(200)
    for k in range(600):
        base = seeds[k % 3]
        f = bytearray(base)
        for _ in range(1 + r.below(3)):
            f[r.below(len(f))] = r.byte()
        if k % 7 == 0:
            f = f[:1 + r.below(len(f) - 1)]   # a 0-byte frame is no frame
        if k % 11 == 0:
            f = bytearray(r.byte() for _ in range(1 + r.below(120)))
        peer.send(f, len(f))
        i.poll(k)
        while peer.recv_into(buf):   # discard whatever it answered
            pass
        while u.recv_into(buf) >= 0:
            pass
    st = i.stats
    assert st.drop_internal_error == 0
    assert st.rx_frames == 600
    assert st.drops() > 300


def test_poll_delay():
    p = NetPair()
    assert p.a.poll_delay(0) == -1
    ua, ub = _udp_pair(p)
    assert p.a.poll_delay(0) == -1
    ua.sendto(b"x", ("192.0.2.2", 6969))
    assert p.a.poll_delay(0) == 0
    p.a.poll(0)                                   # ARP sent, datagram waits
    d = p.a.poll_delay(0)
    assert 0 < d <= 1000
    p.run(5)
    assert p.a.poll_delay(p.clock.t) == -1


def test_interface_config_errors():
    dev = Loopback(mac=None)
    raises(ValueError, Interface, dev)
    i = Interface(Loopback(), Config(addrs=1))
    i.add_ip("192.0.2.9/24")
    i.add_ip("192.0.2.9/25")       # same address: prefix updated
    assert i.ips() == ["192.0.2.9/25"]
    e = raises(OSError, i.add_ip, "198.51.100.1/24")
    assert e.args[0] == errno.ENOMEM
    raises(ValueError, i.add_ip, "192.0.2.300/24")
    assert i.remove_ip("192.0.2.9")
    assert i.ips() == []


def test_config_board_profile():
    # IPv4 only, nothing optional preallocated; keywords override
    c = Config.board()
    assert c.ipv6 is False and c.multicast_groups == 0 and c.reassembly_slots == 0
    assert c.addrs == Config().addrs
    c = Config.board(neighbors=4, reassembly_slots=0)
    assert c.neighbors == 4 and c.ipv6 is False
    i = Interface(Loopback(), Config.board())
    i.add_ip("192.0.2.9/24")
    assert i.ips() == ["192.0.2.9/24"]
    e = raises(OSError, i.add_ip, "2001:db8::1/64")
    assert e.args[0] == 95                         # EOPNOTSUPP: no IPv6


def test_fault_injection_20_percent_drop():
    # 200 UDP request/responses across a link dropping 20% each way; the
    # client retries after 20 ms without an answer. Every exchange completes
    # with the right bytes.
    p = NetPair(fault_a={"drop_chance": 20, "seed": 11},
                fault_b={"drop_chance": 20, "seed": 12})
    ua, ub = _udp_pair(p)
    buf = bytearray(64)
    done = 0
    retries = 0
    for k in range(200):
        msg = b"req%03d" % k
        got = None
        for attempt in range(30):
            ua.sendto(msg, ("192.0.2.2", 6969))
            for _ in range(20):
                p.step()
                n = ub.recv_into(buf)
                if n > 0:
                    ub.send_to(b"re:" + bytes(buf[:n]), 3 + n, ub.peer_addr, ub.peer_port)
                m = ua.recv_into(buf)
                if m > 0 and bytes(buf[:m]) == b"re:" + msg:
                    got = True
                    break
            if got:
                break
            retries += 1
        assert got, k
        done += 1
        while ua.recv_into(buf) >= 0:   # late duplicates of earlier answers
            pass
    assert done == 200
    assert retries > 20                  # the link really lost packets
    assert p.fa.dropped > 40 and p.fb.dropped > 40
    assert p.a.stats.drop_internal_error == 0 and p.b.stats.drop_internal_error == 0


def test_routes_remove_via_only_that_gateway():
    p = NetPair()
    r = p.a.routes
    r.add_default("192.0.2.2")
    assert not r.remove_via("0.0.0.0/0", "192.0.2.9")
    assert r.entries() == [("0.0.0.0/0", "192.0.2.2")]
    assert r.remove_via("0.0.0.0/0", ipaddr.parse4("192.0.2.2"))
    assert r.entries() == []


def test_poll_delay_zero_while_frames_wait_beyond_the_budget():
    # a MAC whose interrupt is an edge says nothing more until it is drained:
    # frames left behind by the rx budget must make poll_delay() 0
    p = NetPair(config=Config(strict=True, rx_budget=2))
    ua = p.a.add_socket(UdpSocket(tx_slots=8))
    ua.bind(1000)
    ub = p.b.add_socket(UdpSocket(rx_slots=8))
    ub.bind(6969)
    p.a.neighbors.fill(IP_B, 0, 4, p.dev_b.mac, 0, 0)
    for i in range(5):
        ua.sendto(b"d%d" % i, ("192.0.2.2", 6969))
    p.a.poll(0)                                  # five frames now wait at B
    assert p.b.poll_delay(0) == -1               # nothing known yet: B not polled
    p.b.poll(0)                                  # takes two of them
    assert len(ub.rx) == 2 and p.b.poll_delay(0) == 0
    p.b.poll(0)
    p.b.poll(0)                                  # the last one: budget not used up
    assert len(ub.rx) == 5 and p.b.poll_delay(0) == -1
