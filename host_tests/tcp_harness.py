# A fake Interface for TCP socket tests, and segment templates in the style of
# smoltcp's tcp.rs tests: feed a socket exact segments, assert the exact
# segments it emits. Runs on CPython and MicroPython (allocation does not
# matter here).
#
#   s = new_socket()                   # 64-byte buffers, no options, no delayed ACK
#   send(s, SEG(seq=REMOTE_SEQ, flags=SYN))          # peer -> socket
#   expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=1460)])
#
# Sequence numbers in Seg are absolute 32-bit values (taken mod 2**32).
import smolnet  # noqa: F401  (on CPython: installs the micropython/time shim)
from smolnet.wire import tcp as wire
from smolnet.fast import sum16
import smolnet.socket.tcp as tcpmod
from smolnet.socket.tcp import TcpSocket
import support
from support import errno_of

M32 = 0xFFFFFFFF
FIN = wire.FIN
SYN = wire.SYN
RST = wire.RST
PSH = wire.PSH

LOCAL_ADDR = bytes([192, 0, 2, 2])
REMOTE_ADDR = bytes([192, 0, 2, 1])
OTHER_ADDR = bytes([192, 0, 2, 9])
LOCAL_PORT = 80
REMOTE_PORT = 49500
LOCAL_SEQ = 10000
REMOTE_SEQ = (-10001) & M32
BASE_MSS = 1460
_L4 = 20              # where the fake IP header ends in rx_buf / tx_buf
_TX_L4 = 34           # as after Ethernet + IPv4


def _put32(b, off, v):
    v &= M32
    b[off] = v >> 24
    b[off + 1] = (v >> 16) & 0xFF
    b[off + 2] = (v >> 8) & 0xFF
    b[off + 3] = v & 0xFF


def _get32(b, off):
    return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]


class Seg:
    """One TCP segment as a test sees it. ack=None means no ACK flag."""

    def __init__(self, seq=0, ack=None, flags=0, win=256, data=b"", mss=None,
                 ws=None, sack_perm=False, ts=None, sack=None,
                 sport=REMOTE_PORT, dport=LOCAL_PORT, urg=0):
        self.seq = seq & M32
        self.ack = None if ack is None else ack & M32
        self.flags = flags & ~wire.ACK_FLAG
        self.win = win
        self.data = bytes(data)
        self.mss = mss
        self.ws = ws
        self.sack_perm = sack_perm
        self.ts = ts
        self.sack = None if not sack else [(a & M32, b & M32) for a, b in sack]
        self.sport = sport
        self.dport = dport
        self.urg = urg

    def with_(self, **kw):
        d = dict(seq=self.seq, ack=self.ack, flags=self.flags, win=self.win,
                 data=self.data, mss=self.mss, ws=self.ws, sack_perm=self.sack_perm,
                 ts=self.ts, sack=self.sack, sport=self.sport, dport=self.dport,
                 urg=self.urg)
        for k in kw:
            d[k] = kw[k]
        return Seg(**d)

    def key(self, strict=False):
        f = self.flags if strict else self.flags & ~PSH
        return (self.sport, self.dport, self.seq, self.ack, f, self.win, self.data,
                self.mss, self.ws, self.sack_perm, self.ts, self.sack)

    def __eq__(self, other):
        return isinstance(other, Seg) and self.key() == other.key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        names = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")
        fl = "|".join(names[i] for i in range(6) if self.flags & (1 << i))
        r = "Seg(%d->%d seq=%d ack=%s %s win=%d len=%d" % (
            self.sport, self.dport, self.seq, self.ack, fl, self.win, len(self.data))
        if self.mss is not None:
            r += " mss=%d" % self.mss
        if self.ws is not None:
            r += " ws=%d" % self.ws
        if self.sack_perm:
            r += " sack_perm"
        if self.ts is not None:
            r += " ts=%r" % (self.ts,)
        if self.sack:
            r += " sack=%r" % (self.sack,)
        return r + ")"

    def encode(self, buf, off):
        """Write the segment at buf[off:]; returns its length."""
        opts = bytearray()
        if self.mss is not None:
            opts += bytes([2, 4, self.mss >> 8, self.mss & 0xFF])
        if self.sack_perm:
            opts += bytes([1, 1, 4, 2])
        if self.ts is not None:
            t = bytearray(12)
            t[0] = 1
            t[1] = 1
            t[2] = 8
            t[3] = 10
            _put32(t, 4, self.ts[0])
            _put32(t, 8, self.ts[1])
            opts += t
        if self.ws is not None:
            opts += bytes([1, 3, 3, self.ws])
        if self.sack:
            t = bytearray(4 + 8 * len(self.sack))
            t[0] = 1
            t[1] = 1
            t[2] = 5
            t[3] = 2 + 8 * len(self.sack)
            for i in range(len(self.sack)):
                _put32(t, 4 + 8 * i, self.sack[i][0])
                _put32(t, 8 + 8 * i, self.sack[i][1])
            opts += t
        hlen = 20 + len(opts)
        flags = self.flags | (wire.ACK_FLAG if self.ack is not None else 0)
        wire.put_header(buf, off, self.sport, self.dport, flags, hlen, self.win)
        _put32(buf, off + 4, self.seq)
        _put32(buf, off + 8, self.ack if self.ack is not None else 0)
        for i in range(len(opts)):
            buf[off + 20 + i] = opts[i]
        for i in range(len(self.data)):
            buf[off + hlen + i] = self.data[i]
        return hlen + len(self.data)


def parse(buf, off, n):
    hlen = wire.header_len(buf, off)
    o = wire.Options()
    assert wire.parse_options(buf, off, hlen, o)
    f = wire.flags(buf, off)
    s = Seg(seq=_get32(buf, off + 4),
            ack=_get32(buf, off + 8) if f & wire.ACK_FLAG else None,
            flags=f, win=wire.window(buf, off), data=bytes(buf[off + hlen:off + n]),
            sport=wire.src_port(buf, off), dport=wire.dst_port(buf, off))
    if o.mss:
        s.mss = o.mss
    if o.ws >= 0:
        s.ws = o.ws
    s.sack_perm = o.sack_perm
    if o.ts:
        s.ts = (_get32(buf, o.ts_off), _get32(buf, o.ts_off + 4))
    if o.sack_n:
        s.sack = [(_get32(buf, o.sack_off + 8 * i), _get32(buf, o.sack_off + 8 * i + 4))
                  for i in range(o.sack_n)]
    return s


class Stats:
    def __init__(self):
        self.drop = 0


class _NoNeighbors:
    gen = 0


class FakeIface:
    """Implements the Interface side of the socket contract
    (/work/notes/iface_contract.md) and records what the socket sends."""

    def __init__(self, mtu=1500, local=LOCAL_ADDR):
        self.rx_buf = bytearray(2048)
        self.tx_buf = bytearray(2048)
        self.tx_src = bytearray(16)
        self.rx_src_off = 12
        self.rx_dst_off = 16
        self.rx_alen = 4
        self.rx_cast = 0
        self.ip_mtu = mtu
        self.tx_room = 0
        # nothing tx_begin answers here is to be kept (interface.py's
        # tx_until): every segment goes through tx_begin, and is recorded
        self.tx_until = -1
        self.neighbors = _NoNeighbors()
        self.local = local
        self.neighbor_pending = False
        self.no_route = False
        self.refuse = False
        self.sent = []
        self.raw = []
        self.dsts = []
        self.srcs = []
        self.stats = Stats()
        self.neighbor_retry_ms = 1000
        self.sockets = []
        self.summed = 0          # segments whose payload sum came with them

    def add_socket(self, sock):
        if sock not in self.sockets:
            self.sockets.append(sock)
        return sock

    def tx_begin(self, dst, doff, alen, src, soff, now):
        if self.no_route:
            return -2
        if self.neighbor_pending:
            return -1
        self._dst = bytes(dst[doff:doff + alen])
        if src is not None:
            self.tx_src[0:alen] = src[soff:soff + alen]
        else:
            self.tx_src[0:len(self.local)] = self.local
        self.tx_room = self.ip_mtu - 20
        return _TX_L4

    def tx_finish(self, proto, l4_len, payload_off=-1, payload_sum=0):
        assert proto == 6
        assert l4_len <= self.tx_room
        b = self.tx_buf
        if payload_off >= 0:
            # the socket summed its payload while copying it: check that sum
            assert 20 <= payload_off <= l4_len
            n = l4_len - payload_off
            assert payload_sum == sum16(b, _TX_L4 + payload_off, n, 0), "payload sum"
            self.summed = self.summed + 1
        ps = wire.pseudo_sum(self.tx_src, 0, self._dst, 0, len(self._dst), l4_len)
        wire.fill_checksum(b, _TX_L4, l4_len, ps)
        assert sum16(b, _TX_L4, l4_len, ps) == 0xFFFF   # the checksum verifies
        self.sent.append(parse(b, _TX_L4, l4_len))
        self.raw.append(bytes(b[_TX_L4:_TX_L4 + l4_len]))
        self.dsts.append(self._dst)
        self.srcs.append(bytes(self.tx_src[0:len(self._dst)]))
        return True

    def put(self, seg, src=REMOTE_ADDR, dst=LOCAL_ADDR):
        """Place seg in rx_buf as if it had just arrived; returns l4 length."""
        b = self.rx_buf
        for i in range(4):
            b[12 + i] = src[i]
            b[16 + i] = dst[i]
        self.rx_alen = 4
        return seg.encode(b, _L4)


IFACE = [None]


def iface_of(s):
    i = getattr(s, "_test_iface", None)
    if i is None:
        i = FakeIface()
        s._test_iface = i
    return i


def new_socket(rx=64, tx=64, **kw):
    """A socket as the state tests like it: small buffers, no options, ACKs
    at once, ISS = LOCAL_SEQ, timestamps offset 0 (TSval = now)."""
    d = dict(ack_delay_ms=0, timestamps=False, sack=False, window_scale=False,
             iss=LOCAL_SEQ, ts_offset=0)
    for k in kw:
        d[k] = kw[k]
    s = TcpSocket(rx, tx, **d)
    s._test_iface = FakeIface()
    return s


def send(s, seg, now=0, src=REMOTE_ADDR, dst=LOCAL_ADDR, accept=True, iface=None):
    """Deliver seg to s (as the Interface would). With accept=True the
    socket must claim it; returns what accepts() said."""
    i = iface if iface is not None else iface_of(s)
    n = i.put(seg, src, dst)
    a = s.accepts(i, _L4)
    if accept:
        assert a > 0, "socket did not accept %r" % (seg,)
    if a > 0:
        s.process(i, _L4, n, now)
    return a


def recv(s, now=0, limit=64, iface=None):
    """Every segment the socket emits now (dispatch until it says no)."""
    i = iface if iface is not None else iface_of(s)
    start = len(i.sent)
    k = 0
    while k < limit and s.dispatch(i, now):
        k += 1
    return i.sent[start:]


def expect(s, segs, now=0, iface=None):
    got = recv(s, now, iface=iface)
    assert got == segs, "expected %r\n got %r" % (segs, got)


def expect_none(s, now=0, iface=None):
    expect(s, [], now, iface=iface)


# Templates: what the peer sends (SEND) and what the socket sends (RECV)
SEND = Seg(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 1, win=256)
RECV = Seg(seq=LOCAL_SEQ + 1, ack=REMOTE_SEQ + 1, win=64, sport=LOCAL_PORT, dport=REMOTE_PORT)


def SEG(**kw):
    return SEND.with_(**kw)


def SEG_R(**kw):
    return RECV.with_(**kw)


# --- sockets in each state, reached through real segments -----------------
def socket_listen(**kw):
    s = new_socket(**kw)
    s.listen(LOCAL_PORT)
    return s


def socket_syn_received(**kw):
    s = socket_listen(**kw)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    assert s.state == tcpmod.SYN_RECEIVED
    return s


def syn_ack(s, **kw):
    """The SYN-ACK a fresh socket from new_socket() answers a plain SYN with."""
    w = s.rx.free()
    d = dict(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS,
             win=w if w < 65535 else 65535)
    for k in kw:
        d[k] = kw[k]
    return SEG_R(**d)


def socket_established(**kw):
    s = socket_syn_received(**kw)
    expect(s, [syn_ack(s)])
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 1))
    assert s.state == tcpmod.ESTABLISHED
    return s


def socket_syn_sent(**kw):
    s = new_socket(**kw)
    s.connect(REMOTE_ADDR, REMOTE_PORT, local_port=LOCAL_PORT)
    assert s.state == tcpmod.SYN_SENT
    return s


def socket_fin_wait_1(**kw):
    s = socket_established(**kw)
    s.close()
    expect(s, [SEG_R(flags=FIN)])
    assert s.state == tcpmod.FIN_WAIT_1
    return s


def socket_fin_wait_2(**kw):
    s = socket_fin_wait_1(**kw)
    send(s, SEG(ack=LOCAL_SEQ + 2))
    assert s.state == tcpmod.FIN_WAIT_2
    return s


def socket_close_wait(**kw):
    s = socket_established(**kw)
    send(s, SEG(flags=FIN))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 2)])
    assert s.state == tcpmod.CLOSE_WAIT
    return s


def socket_last_ack(**kw):
    s = socket_close_wait(**kw)
    s.close()
    expect(s, [SEG_R(flags=FIN, ack=REMOTE_SEQ + 2)])
    assert s.state == tcpmod.LAST_ACK
    return s


def socket_closing(**kw):
    s = socket_fin_wait_1(**kw)
    send(s, SEG(flags=FIN, ack=LOCAL_SEQ + 1))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)])
    assert s.state == tcpmod.CLOSING
    return s


def socket_time_wait(**kw):
    s = socket_fin_wait_2(**kw)
    send(s, SEG(flags=FIN, ack=LOCAL_SEQ + 2))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)])
    assert s.state == tcpmod.TIME_WAIT
    return s


class Link:
    """Two sockets wired back to back through their fake Interfaces (no IP
    layer): run() moves every emitted segment across until both are quiet.
    drop(seg_index) may be set to a function deciding which segments are
    lost (by their running number)."""

    def __init__(self, a, b, addr_a=REMOTE_ADDR, addr_b=LOCAL_ADDR):
        a._test_iface = FakeIface(local=addr_a)
        b._test_iface = FakeIface(local=addr_b)
        self.a = a
        self.b = b
        self.addr_a = addr_a
        self.addr_b = addr_b
        self.count = 0
        self.drop = None
        self.log_a = []          # (seq, data length) of what a sent, in order

    def _move(self, src, dst, sa, da, now, log):
        i = iface_of(src)
        start = len(i.raw)
        k = 0
        while k < 64 and src.dispatch(i, now):
            k += 1
        moved = 0
        for j in range(start, len(i.raw)):
            raw = i.raw[j]
            if log is not None:
                log.append((i.sent[j].seq, len(i.sent[j].data)))
            self.count += 1
            if self.drop is not None and self.drop(self.count):
                continue
            d = iface_of(dst)
            b = d.rx_buf
            for q in range(4):
                b[12 + q] = sa[q]
                b[16 + q] = da[q]
            d.rx_alen = 4
            b[20:20 + len(raw)] = raw
            if dst.accepts(d, 20) > 0:
                dst.process(d, 20, len(raw), now)
            moved += 1
        del i.raw[start:]            # keep memory flat on long transfers
        del i.sent[start:]
        del i.dsts[start:]
        del i.srcs[start:]
        return moved

    def run(self, now=0, rounds=100):
        for _ in range(rounds):
            m = self._move(self.a, self.b, self.addr_a, self.addr_b, now, self.log_a)
            m += self._move(self.b, self.a, self.addr_b, self.addr_a, now, None)
            if m == 0:
                return


def connect_pair(**kw):
    """A (client, REMOTE_ADDR:REMOTE_PORT) and B (server, LOCAL_ADDR:80),
    connected over a Link."""
    da = dict(kw)
    da.setdefault("iss", REMOTE_SEQ)
    db = dict(kw)
    db.setdefault("iss", LOCAL_SEQ)
    a = new_socket(**da)
    b = new_socket(**db)
    link = Link(a, b)
    b.listen(LOCAL_PORT)
    a.connect(LOCAL_ADDR, LOCAL_PORT, local_port=REMOTE_PORT)
    link.run()
    assert a.state == tcpmod.ESTABLISHED and b.state == tcpmod.ESTABLISHED
    return a, b, link


def raises(errno_value, f, *args):
    """f(*args) raises OSError(errno_value) (support.raises, errno checked)."""
    n = errno_of(support.raises(OSError, f, *args))
    assert n == errno_value, "errno %r, expected %r" % (n, errno_value)


def recv_all(s, n=4096):
    b = bytearray(n)
    k = s.recv_into(b)
    return bytes(b[:k]) if k > 0 else b""       # -1: nothing waiting


# --- a TcpListener and the segments of a handshake from port `port` ---------
LISTENER_OPTS = dict(ack_delay_ms=0, timestamps=False, sack=False, window_scale=False,
                     iss=LOCAL_SEQ, ts_offset=0)


def new_listener(backlog=2, **kw):
    """A TcpListener on LOCAL_PORT with 64-byte buffers and LISTENER_OPTS
    (kw override them), and the FakeIface to drive it with."""
    from smolnet.socket.tcp_listen import TcpListener
    d = dict(LISTENER_OPTS)
    for k in kw:
        d[k] = kw[k]
    L = TcpListener(backlog, 64, 64, **d)
    L.listen(LOCAL_PORT)
    return L, FakeIface()


def syn_from(port, seq=REMOTE_SEQ, **kw):
    return SEG(seq=seq, ack=None, flags=SYN, sport=port, **kw)


def synack_to(port):
    return SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, dport=port)
