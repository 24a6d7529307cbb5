# runtimes: cpython unix wasm
# IPv4 fragment reassembly (smolnet/iface/reasm4.py): fragments built here
# as the Linux kernel lays them out (1480 data bytes each on a 1500 MTU) are
# fed to an Interface on a Loopback device, in every order, with duplicates,
# overlaps, oversize and missing pieces; the timeout's ICMP Time Exceeded is
# checked byte for byte; TCP runs through a fragmenting link; and a steady
# stream of fragmented datagrams is received under heap_lock.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.socket.tcp import TcpSocket
from smolnet.wire import ipv4, icmpv4, udp, ethernet, checksum
from vectors import UDP_HELLO_BYTES, KERNEL_MAC, PEER_MAC, KERNEL_IP, PEER_IP
from support import raises, TICKS_MAX
from netpair import IP_B
from reasm_helpers import tcp_both_ways, steady_stream, send as _send, recv as _recv
from prng import Prng

BCAST = b"\xff\xff\xff\xff"
PIECE = 1480                  # data per fragment, as Linux cuts on a 1500 MTU


def _data(n, seed=1):
    return bytes(Prng(seed).fill(bytearray(n)))


def _udp_msg(data, sport=5000, dport=6969, src=KERNEL_IP, dst=PEER_IP):
    """A UDP message (header and data) with its checksum."""
    u = bytearray(udp.HEADER_LEN + len(data))
    udp.emit(u, 0, sport, dport, len(data))
    u[udp.HEADER_LEN:] = data
    udp.fill_checksum(u, 0, len(u), checksum.pseudo4(src, 0, dst, 0, 17, len(u)))
    return bytes(u)


def _frame(payload, ident, fo, more, proto=17, src=KERNEL_IP, dst=PEER_IP,
           dst_mac=PEER_MAC, df=False):
    """One Ethernet frame carrying bytes of an IPv4 datagram at offset fo."""
    f = bytearray(14 + 20 + len(payload))
    ethernet.emit(f, 0, dst_mac, 0, KERNEL_MAC, 0, ethernet.ETHERTYPE_IPV4)
    ipv4.emit(f, 14, src, 0, dst, 0, proto, len(payload), 64, ident, df)
    f[20] = (f[20] & 0x40) | (0x20 if more else 0) | (fo >> 11)
    f[21] = (fo >> 3) & 0xFF
    ipv4.fill_checksum(f, 14)
    f[34:] = payload
    return bytes(f)


def _fragments(msg, ident, piece=PIECE, **kw):
    """The datagram carrying msg, cut into fragments of piece bytes."""
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
    i = Interface(dev, config or Config(strict=True))
    i.add_ip("192.0.2.2/24")
    u = i.add_socket(UdpSocket(rx_bytes=rx_bytes))
    u.bind(6969)
    return i, peer, u


def _out(peer):
    """The frames the interface sent."""
    out = []
    buf = bytearray(1514)
    while True:
        n = peer.recv_into(buf)
        if n <= 0:
            return out
        out.append(bytes(buf[:n]))


def test_udp_4000_in_every_order():
    data = _data(4000)
    frames = _fragments(_udp_msg(data), 0x1234)
    assert len(frames) == 3 and len(frames[0]) == 1514
    orders = ((0, 1, 2), (2, 1, 0), (1, 0, 2), (2, 0, 1), (1, 2, 0), (0, 2, 1))
    for order in orders:
        i, peer, u = _iface()
        _send(peer, frames, order)
        i.poll(0)
        assert _recv(u) == data, order
        assert u.peer_port == 5000 and bytes(u.peer_addr) == KERNEL_IP
        st = i.stats
        assert st.reasm_ok == 1 and st.drops() == 0, (order, st)
        assert i.reasm4.busy == 0 and i.poll_delay(0) == -1


def test_duplicates_ignored():
    data = _data(4000, seed=2)
    frames = _fragments(_udp_msg(data), 7)
    for order, dups in (((0, 0, 1, 2), 1), ((2, 1, 2, 1, 0), 2), ((1, 0, 1, 0, 1, 2), 3)):
        i, peer, u = _iface()
        _send(peer, frames, order)
        i.poll(0)
        assert _recv(u) == data and _recv(u) is None
        assert i.stats.drop_reasm_duplicate == dups and i.stats.reasm_ok == 1
    # the same bytes cut differently lie inside what is held: duplicates too
    msg = _udp_msg(data)
    i, peer, u = _iface()
    _send(peer, [frames[0], frames[1], _frame(msg[8:1000], 7, 8, True), frames[2]])
    i.poll(0)
    assert _recv(u) == data and i.stats.drop_reasm_duplicate == 1


def test_frame_sized_and_tiny_fragments():
    # a datagram that would have fitted in one frame, cut in pieces of 8
    # bytes and more by some router (the last piece holds 4 bytes)
    data = _data(100, seed=3)
    msg = _udp_msg(data)
    for piece in (8, 64, 104):
        i, peer, u = _iface()
        frames = _fragments(msg, 99, piece=piece)
        _send(peer, frames, range(len(frames) - 1, -1, -1))
        i.poll(0)
        assert _recv(u) == data, piece
    # 8 separate pieces at most: fragments 0, 2, 4, ... of 8 bytes arrive
    # first and leave 8 holes; one more separate piece drops the datagram
    frames = _fragments(_udp_msg(_data(200)), 5, piece=8)
    i, peer, u = _iface()
    _send(peer, frames, (0, 2, 4, 6, 8, 10, 12, 14))
    i.poll(0)
    assert i.reasm4.busy == 1 and i.stats.drops() == 0
    _send(peer, frames, (16,))
    i.poll(0)
    assert i.stats.drop_reasm_full == 1 and i.reasm4.busy == 0


def test_two_datagrams_interleaved():
    a = _data(3000, seed=4)
    b = _data(4000, seed=5)
    fa = _fragments(_udp_msg(a, sport=1111), 0x0101)
    fb = _fragments(_udp_msg(b, sport=2222), 0x0202)
    i, peer, u = _iface(Config(strict=True, reassembly_slots=2))
    _send(peer, [fa[0], fb[2], fb[0], fa[1], fb[1], fa[2]])
    i.poll(0)
    assert _recv(u) == b and u.peer_port == 2222      # completed first
    assert _recv(u) == a and u.peer_port == 1111
    assert i.stats.reasm_ok == 2 and i.stats.drops() == 0
    # same ident and addresses, other protocol: another datagram
    c = _fragments(_udp_msg(a), 0x0303)
    d = _fragments(b"\x08\x00" + bytes(2998), 0x0303, proto=1)
    _send(peer, [c[0], d[0], c[1], c[2]])
    i.poll(0)
    assert _recv(u) == a and i.reasm4.busy == 1


def test_no_free_slot_evicts_the_oldest():
    a = _data(3000, seed=6)
    b = _data(4000, seed=7)
    fa = _fragments(_udp_msg(a), 1)
    fb = _fragments(_udp_msg(b), 2)
    i, peer, u = _iface()                    # one slot, the default
    _send(peer, [fa[0]])
    i.poll(0)
    _send(peer, fb)
    i.poll(5)                                # a's fragment is evicted
    assert _recv(u) == b
    assert i.stats.drop_reasm_full == 1 and i.stats.reasm_ok == 1
    _send(peer, fa[1:])                      # too late: a is incomplete
    i.poll(10)
    assert _recv(u) is None and i.reasm4.busy == 1
    # with two slots the oldest of two goes
    i, peer, u = _iface(Config(strict=True, reassembly_slots=2))
    fc = _fragments(_udp_msg(a), 3)
    _send(peer, [fa[0]])
    i.poll(0)
    _send(peer, [fb[0]])
    i.poll(1)
    _send(peer, [fc[0]])                     # evicts a (the oldest)
    i.poll(2)
    _send(peer, fb[1:] + fa[1:])
    i.poll(3)
    assert _recv(u) == b and _recv(u) is None
    assert i.stats.drop_reasm_full == 1


def test_overlap_drops_the_datagram():
    data = _data(4000, seed=8)
    msg = _udp_msg(data)
    frames = _fragments(msg, 42)
    cases = (
        # partial overlap, same bytes: still dropped
        [frames[0], _frame(msg[1472:2952], 42, 1472, True)],
        # the same range with other bytes
        [frames[1], _frame(bytes(1480), 42, 1480, True)],
        # inside what is held, other bytes
        [frames[0], _frame(bytes(80), 42, 800, True)],
        # two last fragments ending in different places
        [frames[2], _frame(msg[2960:3960], 42, 2960, False)],
        # data past the end the last fragment set
        [frames[2], _frame(bytes(16), 42, 4008, True)],
        # a last fragment ending before data already held
        [frames[1], _frame(msg[1480:1488], 42, 1480, False)],
    )
    for k, case in enumerate(cases):
        i, peer, u = _iface()
        _send(peer, case)
        i.poll(0)
        assert i.stats.drop_reasm_overlap == 1, (k, i.stats)
        assert i.reasm4.busy == 0
        _send(peer, frames)                  # the rest starts a new datagram
        i.poll(1)
        assert _recv(u) == data, k           # which completes on its own


def test_too_big_and_malformed():
    data = _data(4000, seed=9)
    frames = _fragments(_udp_msg(data), 9)
    i, peer, u = _iface(Config(strict=True, reassembly_size=2048))
    _send(peer, frames)
    i.poll(0)
    assert _recv(u) is None
    assert i.stats.drop_reasm_too_big == 2 and i.reasm4.busy == 0
    # a 3000-byte datagram fits 4096 but not 3000 (its header counts)
    d3 = _data(2972)
    i, peer, u = _iface(Config(strict=True, reassembly_size=3000))
    _send(peer, _fragments(_udp_msg(d3), 1))
    i.poll(0)
    assert _recv(u) == d3                    # 20 + 8 + 2972 = 3000
    _send(peer, _fragments(_udp_msg(_data(2973)), 2))
    i.poll(0)
    assert _recv(u) is None and i.stats.drop_reasm_too_big == 1
    # past 65535 bytes (the ping of death); a non-last fragment whose length
    # is not a multiple of 8; an empty non-last fragment
    i, peer, u = _iface(Config(strict=True, reassembly_size=65535))
    _send(peer, [_frame(bytes(1480), 3, 65528 - 1480 * 2, True),
                 _frame(bytes(100), 4, 65528, False),
                 _frame(bytes(100), 5, 0, True),
                 _frame(b"", 6, 8, True)])
    i.poll(0)
    assert i.stats.drop_malformed == 3 and i.reasm4.busy == 1
    assert raises(ValueError, _iface, Config(reassembly_size=575))
    assert raises(ValueError, _iface, Config(reassembly_size=65536))


def test_reassembly_off_counts_fragments():
    frames = _fragments(_udp_msg(_data(4000)), 9)
    for cfg in (Config(reassembly_slots=0), Config(reassembly_size=0)):
        i, peer, u = _iface(cfg)
        assert i.reasm4 is None
        _send(peer, frames)
        i.poll(0)
        assert _recv(u) is None and i.stats.drop_fragment == 3
        assert i.stats.drops() == 3


def test_only_fragments_for_us():
    frames = _fragments(_udp_msg(_data(4000)), 9, dst=b"\xc0\x00\x02\x07")
    i, peer, u = _iface()
    _send(peer, frames)
    i.poll(0)
    assert i.stats.drop_not_for_us == 3 and i.reasm4.busy == 0


def _timeout_case(order, t0, dst=PEER_IP, dst_mac=PEER_MAC):
    frames = _fragments(_udp_msg(_data(4000, seed=10), dst=dst), 0x4242, dst=dst,
                        dst_mac=dst_mac)
    i, peer, u = _iface()
    _send(peer, frames, order)
    i.poll(t0)
    assert i.reasm4.busy == 1
    assert i.poll_delay(t0) == 30000
    assert i.poll_delay(t0 + 29000 & TICKS_MAX) == 1000
    i.poll(t0 + 29999 & TICKS_MAX)
    assert i.reasm4.busy == 1 and _out(peer) == []
    i.poll(t0 + 30000 & TICKS_MAX)
    assert i.reasm4.busy == 0 and i.stats.reasm_timeouts == 1
    assert i.poll_delay(t0 + 30000 & TICKS_MAX) == -1
    return i, frames, _out(peer)


def test_timeout_sends_time_exceeded():
    for t0 in (0, TICKS_MAX - 1000):          # and across the tick wrap
        i, frames, out = _timeout_case((0, 2), t0)
        assert len(out) == 1
        f = out[0]
        assert f[0:6] == KERNEL_MAC and f[6:12] == PEER_MAC
        assert ipv4.check(f, 14, len(f) - 14) == ipv4.OK
        assert f[26:30] == PEER_IP and f[30:34] == KERNEL_IP
        assert ipv4.protocol(f, 14) == 1
        n = ipv4.total_len(f, 14) - 20
        assert icmpv4.check(f, 34, n)
        assert f[34] == icmpv4.TYPE_TIME_EXCEEDED and f[35] == 1   # RFC 792 code 1
        # the quote: fragment zero's header as it came, and its first data
        # bytes, 576 bytes in all (RFC 1812 4.3.2.3)
        assert n == 8 + 548
        assert f[42:42 + 548] == frames[0][14:14 + 548]
        assert i.stats.icmp_errors_sent == 1


def test_timeout_quiet_without_fragment_zero_or_for_broadcast():
    i, frames, out = _timeout_case((1, 2), 0)
    assert out == [] and i.stats.icmp_errors_sent == 0
    i, frames, out = _timeout_case((0,), 0, dst=BCAST, dst_mac=b"\xff" * 6)
    assert out == [] and i.stats.icmp_errors_sent == 0


def test_port_unreachable_quotes_the_rebuilt_header():
    msg = _udp_msg(_data(4000), dport=7777)
    frames = _fragments(msg, 0x55)
    i, peer, u = _iface()
    _send(peer, frames, (2, 1, 0))
    i.poll(0)
    out = _out(peer)
    assert len(out) == 1 and i.stats.drop_no_socket == 1
    f = out[0]
    assert f[34] == icmpv4.TYPE_DEST_UNREACHABLE and f[35] == icmpv4.CODE_PORT_UNREACHABLE
    q = f[42:]
    assert ipv4.check(q, 0, len(q)) == ipv4.ERR_LENGTH       # quote is cut short
    assert ipv4.total_len(q, 0) == 4028 and not ipv4.is_fragment(q, 0)
    assert q[20:len(q)] == msg[:len(q) - 20]


def _echo(n, ident):
    m = bytearray(8 + n)
    icmpv4.emit_header(m, 0, icmpv4.TYPE_ECHO_REQUEST, 0, 0x77, 3)
    m[8:] = _data(n, seed=11)
    icmpv4.fill_checksum(m, 0, len(m))
    return bytes(m)


def test_fragmented_echo_request():
    # fits the link once whole: answered in place from the slot buffer
    req = _echo(1000, 1)
    i, peer, u = _iface()
    _send(peer, _fragments(req, 31, piece=512, proto=1))
    i.poll(0)
    out = _out(peer)
    assert len(out) == 1 and i.stats.icmp_echo_replies == 1
    f = out[0]
    assert len(f) == 14 + 20 + 1008 and f[0:6] == KERNEL_MAC
    assert ipv4.check(f, 14, len(f) - 14) == ipv4.OK and not ipv4.is_fragment(f, 14)
    assert f[34] == icmpv4.TYPE_ECHO_REPLY and icmpv4.check(f, 34, 1008)
    assert f[38:] == req[4:]
    # past the MTU once whole: a reply would need fragmenting
    _send(peer, _fragments(_echo(3000, 2), 32, proto=1))
    i.poll(1)
    assert _out(peer) == [] and i.stats.drop_too_big_to_answer == 1
    assert i.reasm4.busy == 0


def test_unfragmented_path_unchanged():
    i, peer, u = _iface()
    _send(peer, [UDP_HELLO_BYTES])
    i.poll(0)
    assert _recv(u) == b"hello"
    st = i.stats
    assert st.drops() == 0 and st.reasm_ok == 0 and i.reasm4.busy == 0
    # DF set with offset 0 and MF clear is not a fragment either
    i, peer, u = _iface()
    _send(peer, [_frame(_udp_msg(b"whole"), 3, 0, False, df=True)])
    i.poll(0)
    assert _recv(u) == b"whole" and i.stats.reasm_ok == 0


class Fragmenter:
    """A link through a router with a small MTU: IPv4 frames longer than
    14 + 20 + piece bytes leave as fragments of `piece` data bytes.
    Allocates (slices); not for the heap_lock tests."""

    def __init__(self, dev, piece):
        self.dev = dev
        self.piece = piece
        self.mac = dev.mac
        self.mtu = dev.mtu
        self.medium = dev.medium
        self.poll_obj = None
        self.flag = None
        self.fragmented = 0

    def recv_into(self, buf):
        return self.dev.recv_into(buf)

    def send(self, buf, n):
        if buf[12] != 8 or buf[13] != 0 or ipv4.total_len(buf, 14) <= 20 + self.piece:
            return self.dev.send(buf, n)
        assert ipv4.header_len(buf, 14) == 20
        msg = bytes(buf[34:14 + ipv4.total_len(buf, 14)])
        for f in _fragments(msg, ipv4.ident(buf, 14), piece=self.piece,
                            proto=ipv4.protocol(buf, 14), src=bytes(buf[26:30]),
                            dst=bytes(buf[30:34]), dst_mac=bytes(buf[0:6])):
            f = bytearray(f)
            f[6:12] = buf[6:12]
            if not self.dev.send(f, len(f)):
                return False
        self.fragmented += 1
        return True


def test_tcp_through_fragments():
    da, db = Loopback.pair(slots=64)
    fa = Fragmenter(da, 512)
    fb = Fragmenter(db, 600)
    ia = Interface(fa, Config(strict=True))
    ia.add_ip("192.0.2.1/24")
    ib = Interface(fb, Config(strict=True))
    ib.add_ip("192.0.2.2/24")
    a = ia.add_socket(TcpSocket(16384, 16384))
    b = ib.add_socket(TcpSocket(16384, 16384))
    b.listen(5001)
    a.connect(IP_B, 5001, local_port=40001)
    data = _data(20000, seed=12)
    back = _data(9000, seed=13)
    assert tcp_both_ways(ia, ib, a, b, data, back) == (data, back)
    assert fa.fragmented > 0 and fb.fragmented > 0
    assert ib.stats.reasm_ok == fa.fragmented and ia.stats.reasm_ok == fb.fragmented
    assert ia.stats.drops() == 0 and ib.stats.drops() == 0


def test_steady_stream_without_allocation():
    frames = _fragments(_udp_msg(_data(4000, seed=14)), 0x0F0F)
    i, peer, u = _iface()
    rounds = steady_stream(i, peer, u, frames, 42, PIECE - 8, 30000, 14 + 20 + 8 + 548)
    st = i.stats
    assert st.reasm_ok == rounds + 6 and st.reasm_timeouts == 2
    assert st.drop_reasm_duplicate == (rounds + 6) // 3
    assert st.icmp_errors_sent == 2
