# runtimes: cpython unix wasm
# IPv6 fragment reassembly (smolnet/iface/reasm6.py, RFC 8200 4.5): fragments
# built here as the Linux kernel lays them out (1448 data bytes each on a
# 1500 MTU) are fed to an Interface on a Loopback device, in every order,
# with duplicates, overlaps (RFC 5722), oversize and missing pieces; the
# Parameter Problems of RFC 8200 4.5 and RFC 7112 and the timeout's Time
# Exceeded are checked byte for byte; TCP runs through a fragmenting link;
# and a steady stream of fragmented datagrams is received under heap_lock.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.socket.tcp import TcpSocket
from smolnet.wire import ipv6, icmpv6, udp, ethernet, checksum
from vectors import KERNEL_MAC, PEER_MAC
from support import TICKS_MAX
from reasm_helpers import tcp_both_ways, steady_stream, send as _send, recv as _recv
from prng import Prng

K6 = b"\x20\x01\x0d\xb8" + bytes(11) + b"\x01"     # 2001:db8::1, the sender
P6 = b"\x20\x01\x0d\xb8" + bytes(11) + b"\x02"     # 2001:db8::2, smolnet
PIECE = 1448                  # data per fragment, as Linux cuts on a 1500 MTU
# a Hop-by-Hop header holding only a PadN (RFC 8200 4.2), next header 44
HBH = b"\x2c\x00\x01\x04\x00\x00\x00\x00"


def _data(n, seed=1):
    return bytes(Prng(seed).fill(bytearray(n)))


def _udp_msg(data, sport=5000, dport=6969):
    u = bytearray(udp.HEADER_LEN + len(data))
    udp.emit(u, 0, sport, dport, len(data))
    u[udp.HEADER_LEN:] = data
    udp.fill_checksum(u, 0, len(u), checksum.pseudo6(K6, 0, P6, 0, 17, len(u)))
    return bytes(u)


def _frame(payload, ident, fo, more, nh=17, hbh=False, src=K6, dst=P6, dst_mac=PEER_MAC):
    """One Ethernet frame carrying bytes of an IPv6 packet's fragmentable
    part at offset fo, behind a Fragment header (and a Hop-by-Hop header)."""
    ext = HBH if hbh else b""
    frag = bytes((nh, 0, fo >> 8, (fo & 0xF8) | (1 if more else 0))) + \
        ident.to_bytes(4, "big")
    f = bytearray(14 + 40)
    ethernet.emit(f, 0, dst_mac, 0, KERNEL_MAC, 0, ethernet.ETHERTYPE_IPV6)
    ipv6.emit(f, 14, src, 0, dst, 0, 0 if hbh else 44, len(ext) + 8 + len(payload), 64)
    return bytes(f) + ext + frag + payload


def _fragments(msg, ident, piece=PIECE, **kw):
    out = []
    fo = 0
    while fo < len(msg):
        chunk = msg[fo:fo + piece]
        out.append(_frame(chunk, ident, fo, fo + len(chunk) < len(msg), **kw))
        fo += len(chunk)
    return out


def _iface(config=None, rx_bytes=8192):
    """(interface, the test's end of the cable, a UDP socket on 6969)"""
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC, slots=32)
    i = Interface(dev, config or Config(strict=True, multicast_groups=0))
    i.add_ip("2001:db8::2/64")
    u = i.add_socket(UdpSocket(rx_bytes=rx_bytes))
    u.bind(6969)
    return i, peer, u


def _errors(peer):
    """The ICMPv6 errors the interface sent (MLD and ND left out)."""
    out = []
    buf = bytearray(1514)
    while True:
        n = peer.recv_into(buf)
        if n <= 0:
            return out
        if buf[12] == 0x86 and buf[13] == 0xDD and buf[20] == 58 and buf[54] < 128:
            out.append(bytes(buf[:n]))


def _icmp_error_frame(t, code, param, quote):
    """The exact frame smolnet sends: back to the sender's MAC, hop limit
    64, the quote cut at 1232 bytes (RFC 4443 2.4 (c): 1280 in all)."""
    quote = quote[:1232]
    m = bytearray(8 + len(quote))
    icmpv6.emit_error(m, 0, t, code, param, quote, 0, len(quote))
    icmpv6.fill_checksum(m, 0, len(m), checksum.pseudo6(P6, 0, K6, 0, 58, len(m)))
    f = bytearray(54)
    ethernet.emit(f, 0, KERNEL_MAC, 0, PEER_MAC, 0, ethernet.ETHERTYPE_IPV6)
    ipv6.emit(f, 14, P6, 0, K6, 0, 58, len(m), 64)
    return bytes(f) + bytes(m)


def test_udp_3000_in_every_order():
    data = _data(3000)
    frames = _fragments(_udp_msg(data), 0x12345678)
    assert len(frames) == 3 and len(frames[0]) == 1510
    orders = ((0, 1, 2), (2, 1, 0), (1, 0, 2), (2, 0, 1), (1, 2, 0), (0, 2, 1))
    for order in orders:
        i, peer, u = _iface()
        _send(peer, frames, order)
        i.poll(0)
        assert _recv(u) == data, order
        assert u.peer_port == 5000 and bytes(u.peer_addr) == K6
        st = i.stats
        assert st.reasm_ok == 1 and st.drops() == 0, (order, st)
        assert i.reasm6.busy == 0 and i.poll_delay(0) == -1


def test_identification_compared_as_32_bits():
    # identifications that differ only in their top bits (heap ints on a
    # 32-bit port if they were ever made into one) are two datagrams
    a = _data(2000, seed=2)
    b = _data(2500, seed=3)
    fa = _fragments(_udp_msg(a, sport=1111), 0xFFFFFFFE)
    fb = _fragments(_udp_msg(b, sport=2222), 0x7FFFFFFE)
    i, peer, u = _iface(Config(strict=True, multicast_groups=0, reassembly_slots=2))
    _send(peer, [fa[0], fb[1], fb[0], fa[1]])
    i.poll(0)
    assert _recv(u) == b and _recv(u) == a
    assert i.stats.reasm_ok == 2 and i.stats.drops() == 0


def test_duplicates_ignored():
    data = _data(4000, seed=4)
    frames = _fragments(_udp_msg(data), 7)
    for order, dups in (((0, 0, 1, 2), 1), ((2, 1, 2, 1, 0), 2), ((1, 0, 1, 0, 1, 2), 3)):
        i, peer, u = _iface()
        _send(peer, frames, order)
        i.poll(0)
        assert _recv(u) == data and _recv(u) is None
        assert i.stats.drop_reasm_duplicate == dups and i.stats.reasm_ok == 1


def test_overlap_drops_the_datagram():
    # RFC 5722: any overlap discards the datagram, same bytes or not
    data = _data(4000, seed=5)
    msg = _udp_msg(data)
    frames = _fragments(msg, 42)
    cases = (
        [frames[0], _frame(msg[1440:2888], 42, 1440, True)],
        [frames[1], _frame(bytes(1448), 42, 1448, True)],
        [frames[0], _frame(bytes(80), 42, 800, True)],
        [frames[2], _frame(msg[2896:3896], 42, 2896, False)],   # two ends
        [frames[2], _frame(bytes(16), 42, 4008, True)],         # past the end
        # the unfragmentable part changes length between fragments
        [frames[0], _frame(msg[1448:2888], 42, 1448, True, hbh=True)],
    )
    for k, case in enumerate(cases):
        i, peer, u = _iface()
        _send(peer, case)
        i.poll(0)
        assert i.stats.drop_reasm_overlap == 1, (k, i.stats)
        assert i.reasm6.busy == 0
        _send(peer, frames)
        i.poll(1)
        assert _recv(u) == data, k


def test_unfragmentable_part_from_the_first_fragment():
    # a Hop-by-Hop header before the Fragment header stays in the rebuilt
    # packet, its next header now the Fragment header's (UDP); what a port
    # unreachable quotes shows it
    msg = _udp_msg(_data(3000, seed=6), dport=7777)
    frames = _fragments(msg, 0x55, piece=1440, hbh=True)
    i, peer, u = _iface()
    _send(peer, frames, (2, 1, 0))
    i.poll(0)
    out = _errors(peer)
    assert len(out) == 1 and i.stats.drop_no_socket == 1 and i.stats.reasm_ok == 1
    f = out[0]
    assert f[54] == icmpv6.TYPE_DEST_UNREACHABLE and f[55] == icmpv6.CODE_PORT_UNREACHABLE
    q = f[62:]
    assert q[6] == 0 and ipv6.payload_len(q, 0) == 8 + len(msg)
    assert q[40:48] == b"\x11" + HBH[1:]
    assert q[48:] == msg[:len(q) - 48]
    # and a datagram whose sockets exist arrives whole
    i, peer, u = _iface()
    data = _data(3000, seed=7)
    _send(peer, _fragments(_udp_msg(data), 0x56, piece=1440, hbh=True))
    i.poll(0)
    assert _recv(u) == data and i.stats.drops() == 0


def test_bad_length_parameter_problem():
    # RFC 8200 4.5: a non-last fragment whose length is not a multiple of
    # 8 bytes: Parameter Problem code 0 pointing at the Payload Length
    msg = _udp_msg(_data(3000, seed=8))
    bad = _frame(msg[:1001], 9, 0, True)
    i, peer, u = _iface()
    _send(peer, [bad])
    i.poll(0)
    assert _errors(peer) == [_icmp_error_frame(4, 0, 4, bad[14:])]
    assert i.stats.drop_malformed == 1 and i.reasm6.busy == 0
    # an empty non-last fragment: dropped quietly
    _send(peer, [_frame(b"", 9, 8, True)])
    i.poll(1)
    assert _errors(peer) == [] and i.stats.drop_malformed == 2


def test_past_65535_parameter_problem():
    # RFC 8200 4.5: past 65535 bytes of payload once rebuilt: Parameter
    # Problem code 0 pointing at the Fragment Offset field (42 + 2)
    big = _frame(bytes(16), 3, 65528 - 8, False)
    i, peer, u = _iface(Config(strict=True, multicast_groups=0, reassembly_size=65535))
    _send(peer, [big])
    i.poll(0)
    assert _errors(peer) == [_icmp_error_frame(4, 0, 42, big[14:])]
    assert i.stats.drop_malformed == 1
    # with the Hop-by-Hop header counted, the field is 8 bytes further
    ok = _frame(bytes(16), 4, 8, True, hbh=True)
    big = _frame(bytes(16), 5, 65528 - 16, True, hbh=True)
    _send(peer, [ok, big])
    i.poll(1)
    assert _errors(peer) == [_icmp_error_frame(4, 0, 50, big[14:])]
    assert i.stats.drop_malformed == 2 and i.reasm6.busy == 1


def test_first_fragment_without_the_upper_layer_header():
    # RFC 7112 5 / RFC 8200 4.5: the first fragment holds the header chain
    # through the upper-layer header: else Parameter Problem code 3, pointer 0
    dst_opts = b"\x11\x01" + bytes(14)      # 16 bytes of Destination Options
    cut = _frame(dst_opts, 11, 0, True, nh=60)     # no UDP header at all
    i, peer, u = _iface()
    _send(peer, [cut])
    i.poll(0)
    assert _errors(peer) == [_icmp_error_frame(4, 3, 0, cut[14:])]
    assert i.stats.drop_ext_header == 1 and i.reasm6.busy == 0
    # 8 bytes of UDP header after the options: complete
    whole = _frame(dst_opts + bytes(8), 12, 0, True, nh=60)
    _send(peer, [whole])
    i.poll(1)
    assert _errors(peer) == [] and i.reasm6.busy == 1


def _timeout_case(order, t0):
    frames = _fragments(_udp_msg(_data(4000, seed=10)), 0x42424242)
    i, peer, u = _iface()
    _send(peer, frames, order)
    i.poll(t0)
    assert i.reasm6.busy == 1
    assert i.poll_delay(t0) == 60000                     # RFC 8200 4.5
    assert i.poll_delay(t0 + 59000 & TICKS_MAX) == 1000
    i.poll(t0 + 59999 & TICKS_MAX)
    assert i.reasm6.busy == 1 and _errors(peer) == []
    i.poll(t0 + 60000 & TICKS_MAX)
    assert i.reasm6.busy == 0 and i.stats.reasm_timeouts == 1
    assert i.poll_delay(t0 + 60000 & TICKS_MAX) == -1
    return i, frames, _errors(peer)


def test_timeout_sends_time_exceeded():
    for t0 in (0, TICKS_MAX - 1000):          # and across the tick wrap
        i, frames, out = _timeout_case((0, 2), t0)
        # code 1, quoting fragment zero as it came (Fragment header and all)
        assert out == [_icmp_error_frame(3, 1, 0, frames[0][14:])]
        assert i.stats.icmp_errors_sent == 1


def test_timeout_quiet_without_fragment_zero():
    i, frames, out = _timeout_case((1, 2), 0)
    assert out == [] and i.stats.icmp_errors_sent == 0


def test_too_big_for_the_slot():
    data = _data(4000, seed=9)
    frames = _fragments(_udp_msg(data), 9)
    i, peer, u = _iface(Config(strict=True, multicast_groups=0, reassembly_size=2048))
    _send(peer, frames)
    i.poll(0)
    assert _recv(u) is None
    assert i.stats.drop_reasm_too_big == 2 and i.reasm6.busy == 0
    # 40 + 8 + 2952 = 3000 fits a 3000-byte slot; one byte more does not
    d = _data(2952)
    i, peer, u = _iface(Config(strict=True, multicast_groups=0, reassembly_size=3000))
    _send(peer, _fragments(_udp_msg(d), 1))
    i.poll(0)
    assert _recv(u) == d
    _send(peer, _fragments(_udp_msg(_data(2953)), 2))
    i.poll(0)
    assert _recv(u) is None and i.stats.drop_reasm_too_big == 1


def test_reassembly_off_counts_fragments():
    frames = _fragments(_udp_msg(_data(4000)), 9)
    for cfg in (Config(reassembly_slots=0), Config(reassembly_size=0)):
        i, peer, u = _iface(cfg)
        assert i.reasm6 is None
        _send(peer, frames)
        i.poll(0)
        assert _recv(u) is None and i.stats.drop_fragment == 3
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, Config(ipv6=False))
    assert i.reasm6 is None and i.reasm4 is not None


def _echo(n):
    m = bytearray(8 + n)
    m[0] = icmpv6.TYPE_ECHO_REQUEST
    m[4:8] = b"\x00\x77\x00\x03"
    m[8:] = _data(n, seed=11)
    icmpv6.fill_checksum(m, 0, len(m), checksum.pseudo6(K6, 0, P6, 0, 58, len(m)))
    return bytes(m)


def test_fragmented_echo_request():
    req = _echo(1000)
    i, peer, u = _iface()
    _send(peer, _fragments(req, 31, piece=512, nh=58))
    i.poll(0)
    out = []
    buf = bytearray(1514)
    while True:
        n = peer.recv_into(buf)
        if n <= 0:
            break
        if buf[20] == 58 and buf[54] == icmpv6.TYPE_ECHO_REPLY:
            out.append(bytes(buf[:n]))
    assert len(out) == 1 and i.stats.icmp_echo_replies == 1
    f = out[0]
    assert len(f) == 14 + 40 + 1008 and f[0:6] == KERNEL_MAC and f[20] == 58
    assert icmpv6.check(f, 54, 1008, checksum.pseudo6(P6, 0, K6, 0, 58, 1008))
    assert f[58:] == req[4:]
    # past the MTU once whole: a reply would need fragmenting
    _send(peer, _fragments(_echo(3000), 32, nh=58))
    i.poll(1)
    assert i.stats.drop_too_big_to_answer == 1 and i.stats.icmp_echo_replies == 1
    assert i.reasm6.busy == 0


class Fragmenter6:
    """A link that cuts IPv6 packets longer than 14 + 40 + piece bytes into
    fragments of `piece` data bytes, as a sender would (Allocates)."""

    def __init__(self, dev, piece):
        self.dev = dev
        self.piece = piece
        self.mac = dev.mac
        self.mtu = dev.mtu
        self.medium = dev.medium
        self.poll_obj = None
        self.flag = None
        self.fragmented = 0
        self.ident = 0xFFFFFF00

    def recv_into(self, buf):
        return self.dev.recv_into(buf)

    def send(self, buf, n):
        if buf[12] != 0x86 or buf[13] != 0xDD or n <= 54 + self.piece:
            return self.dev.send(buf, n)
        msg = bytes(buf[54:n])
        self.ident = (self.ident + 1) & 0xFFFFFFFF
        for f in _fragments(msg, self.ident, piece=self.piece, nh=buf[20],
                            src=bytes(buf[22:38]), dst=bytes(buf[38:54]),
                            dst_mac=bytes(buf[0:6])):
            f = bytearray(f)
            f[6:12] = buf[6:12]
            f[21] = buf[21]
            if not self.dev.send(f, len(f)):
                return False
        self.fragmented += 1
        return True


def test_tcp_through_fragments():
    da, db = Loopback.pair(slots=64)
    fa = Fragmenter6(da, 512)
    fb = Fragmenter6(db, 600)
    ia = Interface(fa, Config(strict=True, multicast_groups=0))
    ia.add_ip("2001:db8::1/64")
    ib = Interface(fb, Config(strict=True, multicast_groups=0))
    ib.add_ip("2001:db8::2/64")
    a = ia.add_socket(TcpSocket(16384, 16384))
    b = ib.add_socket(TcpSocket(16384, 16384))
    b.listen(5001)
    a.connect(P6, 5001, local_port=40001)
    data = _data(20000, seed=12)
    back = _data(9000, seed=13)
    assert tcp_both_ways(ia, ib, a, b, data, back) == (data, back)
    assert fa.fragmented > 0 and fb.fragmented > 0
    assert ib.stats.reasm_ok == fa.fragmented and ia.stats.reasm_ok == fb.fragmented
    assert ia.stats.drops() == 0 and ib.stats.drops() == 0


def test_steady_stream_without_allocation():
    frames = _fragments(_udp_msg(_data(4000, seed=14)), 0xF0F0F0F0)
    i, peer, u = _iface()
    # the first data byte after Ethernet, IPv6, Fragment and UDP headers
    rounds = steady_stream(i, peer, u, frames, 70, PIECE - 8, 60000, 14 + 40 + 8 + 1232)
    st = i.stats
    assert st.reasm_ok == rounds + 6 and st.reasm_timeouts == 2
    assert st.drop_reasm_duplicate == (rounds + 6) // 3
    assert st.icmp_errors_sent == 2
