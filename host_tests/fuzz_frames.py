# A frame fuzzer for a whole Interface (issue 9): mutated frames of every
# protocol smolnet parses -- Ethernet, ARP, IPv4 with options and fragments,
# IPv6 with extension headers, ICMPv4/v6, ND, UDP, TCP with options,
# DHCPv4, DNS, IGMP, MLD -- go into interface B while it has live sockets:
# a TCP listener, an established TCP connection, a bound UDP socket, a DHCP
# client (configure=False) and a DNS query waiting for its answer. Then:
# poll() never raised (Config(strict=True) re-raises internal errors), the
# listener still accepts, the live connection and the UDP socket still move
# bytes exactly.
#
# Seeds are real frames: built here from the protocols' layouts, or taken
# from what B itself sent (its DHCP DISCOVER and DNS query, answered with a
# matching OFFER/response so the parsers go deep), and the IGMP/MLD
# captures of host_tests/vectors_*.py. Mutations: bit flips, boundary
# bytes and 16-bit values, truncation, extension, a chunk moved; then most
# frames get their IPv4 header and L4 checksums fixed so they reach the
# layer above. Two things a valid frame may legitimately do are kept out,
# since no TCP or ARP can tell them from the real peer: a frame for the live
# connection's 4-tuple with a good checksum (blind in-window injection) and
# an ARP claim of A's address with another MAC (ARP spoofing).
#
# Seeded (an LCG: the same frames on CPython and both MicroPython ports).
# The normal test run does a few thousand frames (host_tests/test_fuzz_frames.py);
# `make fuzz` runs this file with FUZZ_ITERATIONS / FUZZ_SEED, printing a
# progress line every 10,000 frames:
#   micropython host_tests/fuzz_frames.py [iterations [seed]]
import smolnet  # noqa: F401
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.tcp import TcpSocket
from smolnet.socket.tcp_listen import TcpListener
from smolnet.socket.udp import UdpSocket
from smolnet.socket.dns import DnsSocket
from smolnet.socket.dhcpv4 import Dhcpv4Socket
import smolnet.socket.tcp as tcp
from prng import Lcg

MAC_A = b"\x02\x00\x00\x00\x00\x01"
MAC_B = b"\x02\x00\x00\x00\x00\x02"
IP_A = bytes((192, 0, 2, 1))
IP_B = bytes((192, 0, 2, 2))
IP6_A = bytes((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,))
IP6_B = bytes((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,))
LL6_A = bytes((0xfe, 0x80) + (0,) * 13 + (1,))
PORT_LISTEN = 80
PORT_UDP = 7
LIVE_PORT_A = 40000
BOUNDARY = (0, 1, 0x7F, 0x80, 0xFE, 0xFF)
BOUNDARY16 = (0, 1, 0x7FFF, 0x8000, 0xFFFF, 20, 40, 60, 576, 1280, 1500)


# --- building frames -----------------------------------------------------------
def _sum(b, acc=0):
    n = len(b)
    for i in range(0, n - 1, 2):
        acc += (b[i] << 8) | b[i + 1]
    if n & 1:
        acc += b[n - 1] << 8
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def _csum(b, acc=0):
    return ~_sum(b, acc) & 0xFFFF


def _u16(v):
    return bytes(((v >> 8) & 0xFF, v & 0xFF))


def _u32(v):
    return bytes(((v >> 24) & 0xFF, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF))


def eth(dst, src, etype, payload):
    return bytes(dst) + bytes(src) + _u16(etype) + bytes(payload)


def ipv4(src, dst, proto, payload, opts=b"", ident=1, frag=0, ttl=64):
    ihl = 5 + len(opts) // 4
    h = bytearray(bytes((0x40 | ihl, 0)) + _u16(ihl * 4 + len(payload)) + _u16(ident) +
                  _u16(frag) + bytes((ttl, proto, 0, 0)) + bytes(src) + bytes(dst) + bytes(opts))
    c = _csum(h)
    h[10] = c >> 8
    h[11] = c & 0xFF
    return bytes(h) + bytes(payload)


def ipv6(src, dst, nh, payload, hlim=64):
    return bytes((0x60, 0, 0, 0)) + _u16(len(payload)) + bytes((nh, hlim)) + \
        bytes(src) + bytes(dst) + bytes(payload)


def l4_fix(proto, src, dst, seg, at):
    """seg with its checksum (at offset `at`) set over the pseudo-header."""
    seg = bytearray(seg)
    seg[at] = 0
    seg[at + 1] = 0
    ph = bytes(src) + bytes(dst)
    if len(src) == 4:
        ph += bytes((0, proto)) + _u16(len(seg))
    else:
        ph += _u32(len(seg)) + bytes((0, 0, 0, proto))
    c = _csum(seg, _sum(ph))
    if proto == 17 and c == 0:
        c = 0xFFFF
    seg[at] = c >> 8
    seg[at + 1] = c & 0xFF
    return bytes(seg)


def tcp_seg(sport, dport, seq, ack, flags, opts=b"", data=b"", win=8192):
    hl = (20 + len(opts)) // 4
    return _u16(sport) + _u16(dport) + _u32(seq) + _u32(ack) + \
        bytes((hl << 4, flags)) + _u16(win) + b"\x00\x00\x00\x00" + bytes(opts) + bytes(data)


def udp_dgram(sport, dport, data):
    return _u16(sport) + _u16(dport) + _u16(8 + len(data)) + b"\x00\x00" + bytes(data)


def v4(proto, seg, src=IP_A, dst=IP_B, at=None, **kw):
    if at is not None:
        seg = l4_fix(proto, src, dst, seg, at)
    return eth(MAC_B, MAC_A, 0x0800, ipv4(src, dst, proto, seg, **kw))


def v6(nh, seg, src=IP6_A, dst=IP6_B, at=None, proto=None, ext=b"", dmac=MAC_B):
    if at is not None:
        seg = l4_fix(proto if proto is not None else nh, src, dst, seg, at)
    return eth(dmac, MAC_A, 0x86DD, ipv6(src, dst, nh, bytes(ext) + bytes(seg)))


TCP_OPTS = bytes((2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10)) + _u32(12345) + _u32(0) + \
    bytes((1, 1, 5, 10)) + _u32(1000) + _u32(2000)


def _static_seeds():
    s = []
    # ARP request and reply (RFC 826)
    s.append(eth(b"\xff" * 6, MAC_A, 0x0806, bytes((0, 1, 8, 0, 6, 4, 0, 1)) + MAC_A + IP_A +
                 bytes(6) + IP_B))
    s.append(eth(MAC_B, MAC_A, 0x0806, bytes((0, 1, 8, 0, 6, 4, 0, 2)) + MAC_A + IP_A +
                 MAC_B + IP_B))
    # ICMPv4 echo, a destination unreachable quoting a TCP header
    s.append(v4(1, bytes((8, 0, 0, 0, 0, 7, 0, 1)) + bytes(range(32)), at=2))
    quote = ipv4(IP_B, IP_A, 6, tcp_seg(PORT_LISTEN, 5555, 1, 2, 0x12))[:28]
    s.append(v4(1, bytes((3, 4, 0, 0, 0, 0, 5, 0xdc)) + quote, at=2))
    # UDP to the bound port and a closed one; IPv4 options; fragments
    s.append(v4(17, udp_dgram(5000, PORT_UDP, b"hello fuzz"), at=6))
    s.append(v4(17, udp_dgram(5000, 9, b"closed"), at=6))
    s.append(v4(17, udp_dgram(5000, PORT_UDP, b"opts"), at=6,
                opts=bytes((0x94, 4, 0, 0, 1, 7, 4, 0))))
    d = l4_fix(17, IP_A, IP_B, udp_dgram(5000, PORT_UDP, bytes(range(40))), 6)
    s.append(eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 17, d[:24], ident=9, frag=0x2000)))
    s.append(eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 17, d[24:], ident=9, frag=3)))
    # TCP: a SYN with every option, an ACK and a RST for no connection
    s.append(v4(6, tcp_seg(5001, PORT_LISTEN, 777, 0, 0x02, TCP_OPTS[:20]), at=16))
    s.append(v4(6, tcp_seg(5002, PORT_LISTEN, 778, 99, 0x10, TCP_OPTS[8:]), at=16))
    s.append(v4(6, tcp_seg(5003, PORT_LISTEN, 779, 0, 0x04), at=16))
    # IGMP queries (v1/v2/v3) to all-hosts
    all_hosts = bytes((224, 0, 0, 1))
    mac_ah = b"\x01\x00\x5e\x00\x00\x01"
    ra = bytes((0x94, 4, 0, 0))
    for q in (bytes((0x11, 0, 0, 0)) + bytes(4),
              bytes((0x11, 100, 0, 0)) + bytes(4),
              bytes((0x11, 100, 0, 0)) + bytes(4) + bytes((2, 125, 0, 1)) + IP_A):
        q = bytearray(q)
        c = _csum(q)
        q[2] = c >> 8
        q[3] = c & 0xFF
        s.append(eth(mac_ah, MAC_A, 0x0800, ipv4(IP_A, all_hosts, 2, q, opts=ra, ttl=1)))
    # IPv6: echo, NS, NA, RA, UDP, TCP SYN; extension headers
    s.append(v6(58, bytes((128, 0, 0, 0, 0, 7, 0, 1)) + bytes(24), at=2))
    sn = bytes((0xff, 2) + (0,) * 9 + (1, 0xff, 0, 0, 2))
    s.append(v6(58, bytes((135, 0, 0, 0, 0, 0, 0, 0)) + IP6_B + bytes((1, 1)) + MAC_A,
                at=2, dst=sn, dmac=b"\x33\x33\xff\x00\x00\x02"))
    s.append(v6(58, bytes((136, 0, 0, 0, 0x60, 0, 0, 0)) + IP6_A + bytes((2, 1)) + MAC_A, at=2))
    ra6 = bytes((134, 0, 0, 0, 64, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0)) + \
        bytes((3, 4, 64, 0xc0)) + _u32(3600) + _u32(1800) + bytes(4) + IP6_B[:8] + bytes(8) + \
        bytes((5, 1, 0, 0)) + _u32(1500) + bytes((1, 1)) + MAC_A
    all_nodes = bytes((0xff, 2) + (0,) * 13 + (1,))
    s.append(v6(58, ra6, src=LL6_A, dst=all_nodes, at=2, dmac=b"\x33\x33\x00\x00\x00\x01"))
    s.append(v6(17, udp_dgram(5000, PORT_UDP, b"six"), at=6))
    s.append(v6(6, tcp_seg(5004, PORT_LISTEN, 1, 0, 0x02, TCP_OPTS[:20]), at=16))
    # hop-by-hop (router alert + padding), destination options, routing
    # (type 0, which must be refused) and a fragment header, then UDP
    hbh = bytes((60, 0, 5, 2, 0, 0, 1, 0))
    dst_opts = bytes((43, 0, 1, 4, 0, 0, 0, 0))
    rth = bytes((44, 2, 0, 0, 0, 0, 0, 0)) + IP6_B
    frag = bytes((17, 0, 0, 0, 0, 0, 0, 5))
    s.append(v6(0, udp_dgram(5000, PORT_UDP, b"ext"), ext=hbh + dst_opts + rth + frag,
                at=6, proto=17))
    s.append(v6(44, udp_dgram(5000, PORT_UDP, b"frag1"), ext=bytes((17, 0, 0, 1, 0, 0, 0, 6)),
                at=6, proto=17))
    # MLD queries (RFC 2710, RFC 3810) from the captures
    import vectors_mld as vm
    for v in (vm.MLD1_GENERAL_QUERY_BYTES, vm.MLD2_GENERAL_QUERY_BYTES,
              vm.MLD2_SPECIFIC_QUERY_BYTES, vm.MLD2_SOURCE_QUERY_BYTES):
        s.append(bytes(v))
    return s


# --- answers to what B asked -------------------------------------------------------
def _dhcp_reply(discover, msg_type):
    """An OFFER / ACK from A for B's DHCP DISCOVER frame (RFC 2131)."""
    bootp = discover[14 + 20 + 8:]
    r = bytearray(bootp[:240])
    r[0] = 2                                   # BOOTREPLY
    r[16:20] = bytes((192, 0, 2, 50))          # yiaddr
    r[20:24] = IP_A                            # siaddr
    opts = bytes((53, 1, msg_type, 54, 4)) + IP_A + bytes((51, 4)) + _u32(3600) + \
        bytes((1, 4, 255, 255, 255, 0, 3, 4)) + IP_A + bytes((6, 8)) + IP_A + IP_A + \
        bytes((58, 4)) + _u32(1800) + bytes((59, 4)) + _u32(3150) + bytes((0, 255))
    u = l4_fix(17, IP_A, b"\xff" * 4, udp_dgram(67, 68, bytes(r) + opts), 6)
    return eth(b"\xff" * 6, MAC_A, 0x0800, ipv4(IP_A, b"\xff" * 4, 17, u))


def _dns_reply(query):
    """A response from A to B's DNS query frame: the question, an A record
    (a compression pointer to it) and an AAAA one."""
    ip = 14
    ihl = (query[ip] & 0x0F) * 4
    u = ip + ihl
    sport = (query[u] << 8) | query[u + 1]
    msg = bytearray(query[u + 8:])
    msg[2] = 0x81                              # QR, RD
    msg[3] = 0x80                              # RA, NOERROR
    msg[6] = 0
    msg[7] = 2                                 # two answers
    ans = bytes((0xc0, 12, 0, 1, 0, 1)) + _u32(60) + _u16(4) + bytes((198, 51, 100, 7)) + \
        bytes((0xc0, 12, 0, 28, 0, 1)) + _u32(60) + _u16(16) + IP6_A
    d = l4_fix(17, IP_A, IP_B, udp_dgram(53, sport, bytes(msg) + ans), 6)
    return eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 17, d))


# --- the two interfaces ---------------------------------------------------------
class Tap:
    """A device wrapper that keeps a copy of every frame sent (host side)."""

    def __init__(self, dev):
        self.dev = dev
        self.mac = dev.mac
        self.mtu = dev.mtu
        self.medium = dev.medium
        self.poll_obj = None
        self.flag = None
        self.sent = []
        self.keep = True

    def recv_into(self, buf):
        return self.dev.recv_into(buf)

    def send(self, buf, n):
        if self.keep:
            self.sent.append(bytes(buf[:n]))
        return self.dev.send(buf, n)


class World:
    def __init__(self):
        self.t = 0
        da, db = Loopback.pair(mac_a=MAC_A, mac_b=MAC_B, slots=32)
        self.dev_a = da          # raw: what it sends arrives at B unrecorded
        self.tap_a = Tap(da)
        self.tap_b = Tap(db)
        self.a = Interface(self.tap_a, Config(strict=True))
        self.a.add_ip("192.0.2.1/24")
        self.a.add_ip("2001:db8::1/64")
        self.b = Interface(self.tap_b, Config(strict=True))
        self.b.add_ip("192.0.2.2/24")
        self.b.add_ip("2001:db8::2/64")
        b = self.b
        self.listener = b.add_socket(TcpListener(2, 2048, 2048))
        self.listener.listen(PORT_LISTEN)
        b.join_multicast("233.252.0.1")          # IGMP and MLD reports to answer
        b.join_multicast("ff05::db8:1")
        self.udp = b.add_socket(UdpSocket())
        self.udp.bind(PORT_UDP)
        self.dhcp = b.add_socket(Dhcpv4Socket(configure=False))
        self.dns = b.add_socket(DnsSocket(["192.0.2.1"], timeout_ms=100000000,
                                          retransmit_ms=1000, max_retransmit_ms=1000))
        self.query = self.dns.start_query(b"fuzz.example")
        # the live connection, A:LIVE_PORT_A -> B:80
        self.client = self.a.add_socket(TcpSocket(2048, 2048))
        self.client.connect(IP_B, PORT_LISTEN, local_port=LIVE_PORT_A)
        self.run(200)
        self.server = self.listener.accept()
        assert self.server is not None and self.client.state == tcp.ESTABLISHED
        self.live_port_b = PORT_LISTEN
        self.run(5000)          # DHCP DISCOVER and the DNS query go out
        self.seeds = _static_seeds() + self._answers() + self._captured_tcp()
        self.tap_a.keep = False
        self.tap_b.keep = False

    def step(self, ms=1):
        self.a.poll(self.t)
        self.b.poll(self.t)
        self.t += ms

    def run(self, ms, step=10):
        for _ in range(0, ms, step):
            self.step(step)

    def _answers(self):
        out = []
        for f in self.tap_b.sent:
            if len(f) > 42 and f[12] == 8 and f[13] == 0 and f[23] == 17:
                dport = (f[36] << 8) | f[37]
                if dport == 67:
                    out.append(_dhcp_reply(f, 2))
                    out.append(_dhcp_reply(f, 5))
                elif dport == 53:
                    out.append(_dns_reply(f))
        assert len(out) >= 3, "no DHCP DISCOVER / DNS query seen"
        return out

    def _captured_tcp(self):
        """Frames A sent on the live connection (its handshake ACK and
        data), as seeds: mutated, they stay near its sequence space."""
        self.tap_a.sent = []
        self.client.send(b"seed data " * 20)
        self.run(100)
        out = [f for f in self.tap_a.sent if len(f) > 54 and f[23] == 6]
        # and the same without its data: a pure ACK with A's options
        f = out[0]
        end = 34 + (f[46] >> 4) * 4
        a = bytearray(f[:end])
        a[16] = (end - 14) >> 8
        a[17] = (end - 14) & 0xFF
        fix_checksums(a)
        out.append(bytes(a))
        buf = bytearray(4096)
        self.server.recv_into(buf)
        return out

    # --- the checks after the fuzzing ---------------------------------------
    def check(self):
        self.run(6000, 20)      # half-open entries of fuzzed SYNs time out
        assert self.b.stats.drop_internal_error == 0
        assert self.client.state == tcp.ESTABLISHED, self.client.state_name()
        assert self.server.state == tcp.ESTABLISHED, self.server.state_name()
        _transfer(self, self.client, self.server, 5000)
        _transfer(self, self.server, self.client, 5000)
        # the listener still accepts, several times over
        for k in range(3):
            c = self.a.add_socket(TcpSocket(2048, 2048))
            c.connect(IP_B, PORT_LISTEN, local_port=41000 + k)
            s = None
            for _ in range(300):
                self.step(10)
                s = s or self.listener.accept()
                if s is not None and c.state == tcp.ESTABLISHED:
                    break
            assert s is not None and c.state == tcp.ESTABLISHED, "listener lost"
            _transfer(self, c, s, 3000)
            c.abort()
            s.abort()
            self.run(100)
            self.a.remove_socket(c)
            self.b.remove_socket(s)
        # the UDP socket
        u = self.a.add_socket(UdpSocket())
        u.bind(5999)
        while self.udp.recv_into(bytearray(1600)) > 0:
            pass
        msg = bytes(range(200))
        u.send_to(msg, len(msg), IP_B, PORT_UDP)
        self.run(100)
        buf = bytearray(1600)
        n = self.udp.recv_into(buf)
        assert bytes(buf[:n]) == msg, "UDP lost"


def _transfer(w, src, dst, n):
    """n pattern bytes src -> dst, compared byte for byte."""
    data = bytes((i * 7 + n) & 0xFF for i in range(n))
    got = bytearray()
    buf = bytearray(1024)
    sent = 0
    for _ in range(2000):
        if sent < n:
            sent += src.send(data, sent, n - sent)
        w.step(10)
        k = dst.recv_into(buf)
        while k > 0:
            got += buf[:k]
            k = dst.recv_into(buf)
        if len(got) >= n:
            break
    assert bytes(got) == data, "stream differs after %d of %d bytes" % (len(got), n)


# --- mutation --------------------------------------------------------------------
def mutate(r, seed):
    f = bytearray(seed)
    for _ in range(1 + r.below(4)):
        k = r.below(8)
        n = len(f)
        if n == 0:
            f.append(r.below(256))
            continue
        i = r.below(n)
        if k == 0:
            f[i] ^= 1 << r.below(8)
        elif k == 1:
            f[i] = BOUNDARY[r.below(len(BOUNDARY))]
        elif k == 2:
            f[i] = r.below(256)
        elif k == 3 and n > 1:
            v = BOUNDARY16[r.below(len(BOUNDARY16))]
            i = r.below(n - 1)
            f[i] = v >> 8
            f[i + 1] = v & 0xFF
        elif k == 4:
            f = f[:r.below(n) + 1]             # truncate
        elif k == 5:
            for _ in range(r.below(64)):
                f.append(r.below(256))
        elif k == 6:
            j = r.below(n)
            m = r.below(16) + 1
            f = f[:i] + f[j:j + m] + f[i:]      # insert a copy of a chunk
        else:
            # a header length field: IPv4 IHL / total length, TCP offset
            j = 14 + r.below(3) * 20 + (0, 2, 12)[r.below(3)]
            if j < n:
                f[j] = r.below(256)
    return f


def fix_checksums(f):
    """Recompute the IPv4 header checksum and the L4 checksum (TCP, UDP,
    ICMP, ICMPv6, IGMP) where the frame's own lengths allow."""
    if len(f) < 34:
        return
    et = (f[12] << 8) | f[13]
    if et == 0x0800:
        ihl = (f[14] & 0x0F) * 4
        if ihl < 20 or 14 + ihl > len(f):
            return
        f[24] = 0
        f[25] = 0
        c = _csum(f[14:14 + ihl])
        f[24] = c >> 8
        f[25] = c & 0xFF
        tot = (f[16] << 8) | f[17]
        if (f[20] & 0x3F) or f[21]:
            return                             # a fragment: no L4 header to fix
        _fix_l4(f, f[23], f[26:30], f[30:34], 14 + ihl, 14 + tot)
    elif et == 0x86DD and len(f) >= 54:
        plen = (f[18] << 8) | f[19]
        nh = f[20]
        p = 54
        while nh in (0, 43, 60) and p + 8 <= len(f):
            nh = f[p]
            p += (f[p + 1] + 1) * 8
        _fix_l4(f, nh, f[22:38], f[38:54], p, 54 + plen)


def _fix_l4(f, proto, src, dst, start, end):
    if end > len(f):
        end = len(f)
    at = {6: 16, 17: 6, 1: 2, 58: 2, 2: 2}.get(proto)
    if at is None or start + at + 2 > end:
        return
    seg = bytes(f[start:end])
    if proto == 1 or proto == 2:
        seg = bytearray(seg)
        seg[at] = 0
        seg[at + 1] = 0
        c = _csum(seg)
        seg[at] = c >> 8
        seg[at + 1] = c & 0xFF
    else:
        seg = l4_fix(proto, src, dst, seg, at)
    f[start:end] = seg


def _hits_live(w, f):
    """True if f is an IPv4 TCP segment for the live connection with a good
    checksum that could change its byte stream: data, SYN, FIN or RST (see
    the top of the file). Pure ACKs with any numbers, window and options go
    in: with nothing in flight no ACK can take a byte away."""
    if len(f) < 54 or f[12] != 8 or f[13] != 0 or f[23] != 6:
        return False
    ihl = (f[14] & 0x0F) * 4
    t = 14 + ihl
    if ihl < 20 or t + 20 > len(f) or bytes(f[26:30]) != IP_A or bytes(f[30:34]) != IP_B:
        return False
    if ((f[t] << 8) | f[t + 1]) != LIVE_PORT_A or ((f[t + 2] << 8) | f[t + 3]) != PORT_LISTEN:
        return False
    end = 14 + ((f[16] << 8) | f[17])
    if end > len(f):
        end = len(f)
    seg = bytes(f[t:end])
    if (f[20] & 0x3F) or f[21]:
        return True                            # a fragment: keep it out
    ph = IP_A + IP_B + bytes((0, 6)) + _u16(len(seg))
    if _sum(seg, _sum(ph)) != 0xFFFF:
        return False                           # dropped for its checksum
    return (seg[13] & 0x07) != 0 or len(seg) > (seg[12] >> 4) * 4 if len(seg) > 13 else True


def _arp_spoof(f):
    return len(f) >= 42 and f[12] == 8 and f[13] == 6 and bytes(f[28:32]) == IP_A and \
        bytes(f[22:28]) != MAC_A


def fuzz(iterations, seed, progress=0, out=print):
    """Run the fuzzer; returns the World (already checked). Raises with the
    iteration, seed and frame on any failure."""
    w = World()
    r = Lcg(seed)
    seeds = w.seeds
    skipped = 0
    for it in range(iterations):
        f = mutate(r, seeds[r.below(len(seeds))])
        if r.below(4):
            fix_checksums(f)
        if _hits_live(w, f) or _arp_spoof(f):
            skipped += 1
            continue
        w.dev_a.send(f, len(f))      # straight into B's queue
        try:
            w.b.poll(w.t)
            w.a.poll(w.t)
        except Exception as e:
            raise AssertionError("poll raised %r at iteration %d (seed %d), frame %s" %
                                 (e, it, seed, bytes(f).hex()))
        if it & 7 == 0:
            w.t += 1 + r.below(50)
        if progress and (it + 1) % progress == 0:
            out("fuzz: %d frames, seed %d, %d skipped, t=%d ms, b: %s" % (
                it + 1, seed, skipped, w.t, _stats(w.b)))
    w.check()
    return w


def _stats(iface):
    st = iface.stats
    return "rx=%d drops=%d" % (st.rx_frames, st.drop_malformed + st.drop_bad_checksum)


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 100000
    seed = int(argv[2]) if len(argv) > 2 else 1
    fuzz(n, seed, progress=10000)
    print("fuzz: %d frames, seed %d: poll() never raised; listener, live connection "
          "and UDP all still work" % (n, seed))


if __name__ == "__main__":
    import sys
    main(sys.argv)
