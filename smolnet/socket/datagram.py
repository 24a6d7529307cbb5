# What datagram sockets (UDP, ICMP) share: an rx and a tx PacketRing, the
# peer of the last datagram read, and the rule for a datagram whose next hop
# is not resolved yet: keep it at the head of the queue, retry once per
# neighbor_retry_ms, give up after _GIVE_UP_MS (three ARP/ND tries one second
# apart, as Linux does) with EHOSTUNREACH. Nothing here allocates.
#
# Frames: a MicroPython function whose locals and value stack pass 11 words
# takes its frame from the heap on every call (tools/frame_sizes.py). The
# per-datagram functions here and in udp.py/icmp.py keep within them: they
# read the rings' fields in place (packet_ring.py), and send_to() (nine
# parameters, two words to spare: no call with arguments fits) parks its
# datagram in `parked` for queue_parked() instead of passing it on.
#
# A socket has few instance attributes: a method call (or a class
# attribute read through self) looks through all of them first.
from micropython import const
from time import ticks_add, ticks_diff
from ..storage.packet_ring import PacketRing, reserve, pop
from ..fast import copy, equal
from . import errno
from .span import writable

_GIVE_UP_MS = const(3000)
# copies of smolnet/iface/interface.py's link header and IPv4 header lengths
_ETH = const(14)
_IP4_HLEN = const(20)


class _Kept:
    """tx_begin()'s last answer for a socket's datagrams (begin_head): the
    link header (14 bytes), the source picked and the destination (4 each)
    in hdr, the neighbor cache's gen then and until when it holds (the
    contract in interface.py). One object: one name more in the socket's
    table, not three. gen -1: nothing kept."""
    def __init__(self):
        self.hdr = bytearray(_ETH + 8)
        self.gen = -1
        self.until = 0


class _Parked:
    """The datagram being queued, from send_to() (or send_echo()) to
    queue_parked(): one for every socket (`parked`), as that runs to its
    end before another send_to() can start. (An instance: storing into a
    class's attributes costs four times as much.)"""
    def __init__(self):
        self.buf = self.addr = self.src = None
        self.n = self.aoff = self.alen = self.port = self.sport = self.seq = 0


parked = _Parked()


class DatagramSocket:
    # counters and the last error: class defaults, which an instance
    # shadows from its first drop or error on. Every method call looks
    # through the instance's names first, in a table that only grows when
    # full: with these three out, an IcmpSocket has 14 names in a table of
    # 17 and a UdpSocket 19 in one of 23 (due_at included), not 17 of 17
    # and 22 of 23, and a method call finds an empty slot sooner
    rx_dropped = 0      # datagrams that found the rx ring full
    tx_dropped = 0      # datagrams given up (no route, unresolved, too big)
    error = 0           # last asynchronous error (errno), 0 if none

    def __init__(self, rx_slots, rx_bytes, tx_slots, tx_bytes):
        self.rx = PacketRing(rx_slots, rx_bytes)
        self.tx = PacketRing(tx_slots, tx_bytes)
        # source of the last datagram read: one of two preallocated buffers,
        # so len(peer_addr) is 4 or 16 and it can go straight back to send_to
        self._peer4 = bytearray(4)
        self._peer6 = bytearray(16)
        self.peer_addr = self._peer4
        self.peer_alen = 4
        self.peer_port = 0
        self._waiting_since = -1  # ticks when the head met an unresolved neighbor
        self._retry_at = -1      # then: when dispatch() tries it again
        # bytes of a header in front of every payload in both rings, which
        # the subclass writes and reads (UdpSocket's any-port mode)
        self._meta = 0
        self._from = None        # the source address to send from; None: the Interface's
        self._kept = _Kept()     # tx_begin()'s answer for the last datagram sent
        # _quiet (set by the subclass): its dispatch() does nothing but send
        # the tx ring and poll_at() looks at nothing else (UdpSocket's and
        # IcmpSocket's own; a subclass that overrides either is not quiet,
        # e.g. MdnsResponder, which serves its queries in dispatch()). Then
        # a packet in gives dispatch() no work and the last one sent leaves
        # none: due_at goes back to never (the Interface's contract,
        # interface.py), and the Interface neither dispatches the socket
        # after a packet in nor asks poll_at() after its last packet out
        self._quiet = False

    def can_recv(self):
        return self.rx.count > 0

    def can_send(self, n=0):
        return self.tx.fits(n + self._meta)

    def recv_into(self, buf, off=0, n=-1):
        """Copy the oldest datagram into buf[off:] (at most n bytes, or all
        that fit if n is -1); the rest of a longer one is discarded. Sets
        peer_addr, peer_alen and peer_port (and, in UdpSocket's any-port
        mode, local_addr and local_port: where it was sent to). Returns
        the number of bytes copied (0 for an empty datagram), or -1 if none
        waits: the signature and the -1 of TcpSocket.recv_into. off/n past
        buf: OSError(EINVAL); a read-only buf: TypeError (span.py)."""
        n = writable(buf, off, n)
        r = self.rx
        if not r.count:
            return -1
        if self._meta:
            self._read_meta(r)
        if n > r.head_len - self._meta:
            n = r.head_len - self._meta
        copy(buf, off, r.data, r.head_off + self._meta, n)
        # its sender
        self.peer_alen = r.head_alen
        self.peer_addr = self._peer4 if r.head_alen == 4 else self._peer6
        copy(self.peer_addr, 0, r.addr, r.head_addr, r.head_alen)
        self.peer_port = r.head_port
        pop(r)
        return n

    def _rx_full(self, iface):
        self.rx_dropped += 1
        iface.stats.drop_socket_full += 1

    def _not_sent(self, iface, off, now):
        """The head datagram could not begin (off from begin_head): -1, its
        neighbor is being resolved: it stays queued and is tried again
        after neighbor_retry_ms, until _GIVE_UP_MS; -2, no route: dropped.
        Returns dispatch()'s answer: True when it was dropped."""
        if off == -1:
            if self._waiting_since < 0:
                self._waiting_since = now
            elif ticks_diff(now, self._waiting_since) >= _GIVE_UP_MS:
                self._drop_head(errno.EHOSTUNREACH)
                return True
            self._retry_at = ticks_add(now, iface.neighbor_retry_ms)
            return False
        self._drop_head(errno.EHOSTUNREACH)
        return True

    def _drop_head(self, err):
        pop(self.tx)
        self.tx_dropped += 1
        self.error = err
        self._waiting_since = -1

    def poll_at(self, now):
        if not self.tx.count:
            return -1
        if self._waiting_since >= 0:
            d = ticks_diff(self._retry_at, now)
            return d if d > 0 else 0
        return 0


# The per-datagram helpers of the subclasses' send_to() and dispatch():
# functions of the socket rather than methods, as a function costs half a
# method call to call (which looks through the socket's attributes first).
def queue_parked(s):
    """Queue the datagram in `parked` on socket s: n bytes of buf for port
    at alen bytes of addr[aoff:] (checked here), behind the s._meta bytes
    of header s writes (_write_meta). Returns the byte count."""
    q = parked
    # span() and address() written out (two calls fewer a datagram)
    n = q.n
    if n == -1:
        n = len(q.buf)
    elif n < 0 or n > len(q.buf):
        raise OSError(errno.EINVAL)
    alen = q.alen
    if alen == -1:
        alen = len(q.addr) - q.aoff
    if q.aoff < 0 or (alen != 4 and alen != 16) or q.aoff + alen > len(q.addr):
        raise OSError(errno.EINVAL)
    t = s.tx
    if n + s._meta > t.size:
        raise OSError(errno.EMSGSIZE)
    if reserve(t, n + s._meta, q.port, alen) < 0:
        raise OSError(errno.EAGAIN)
    s.due_at = -2     # the Interface's next poll dispatches it (interface.py)
    copy(t.addr, t.tail_addr, q.addr, q.aoff, alen)
    copy(t.data, t.tail_off + s._meta, q.buf, 0, n)
    if s._meta:
        s._write_meta(t.tail_off, alen)
    q.buf = q.addr = None    # queued: no hold on the caller's buffers
    return n


def begin_head(s, iface, now):
    """tx_begin for socket s's head datagram, from s._from: its L4 offset
    in iface.tx_buf, or -1/-2 (s._not_sent). (Apart from dispatch(): its
    frame has no word left for tx_begin's eight.) The answer for an IPv4
    datagram whose source the Interface picks (s._from None) is kept
    (s._kept) and used again for the next one to the same destination
    while nothing it depends on changed (iface.neighbors.gen) and the
    neighbor entry it came from lives (iface.tx_until): the contract in
    interface.py, as TCP keeps its own (tcp_emit.emit)"""
    # (no local: tx_begin's call takes the eight words the arguments leave)
    if s._kept.gen == iface.neighbors.gen and ticks_diff(s._kept.until, now) > 0 and \
            s.tx.head_alen == 4 and s._from is None and \
            equal(s._kept.hdr, _ETH + 4, s.tx.addr, s.tx.head_addr, 4):
        # written where tx_begin writes its answer; here, not in a
        # function: a call fewer a datagram
        iface.tx_alen = 4
        copy(iface.tx_dst, 0, s._kept.hdr, _ETH + 4, 4)
        copy(iface.tx_src, 0, s._kept.hdr, _ETH, 4)
        copy(iface.tx_buf, 0, s._kept.hdr, 0, _ETH)
        iface.tx_room = iface.ip_mtu - _IP4_HLEN
        return _ETH + _IP4_HLEN
    now = iface.tx_begin(s.tx.addr, s.tx.head_addr, s.tx.head_alen, s._from, 0, now)
    if now >= 0 and iface.tx_until != -1 and s._from is None:
        _keep(s._kept, iface)
    return now


def _keep(k, iface):
    # tx_begin's answer, to be kept, and the destination it was for
    k.until = iface.keep_answer(k.hdr)
    copy(k.hdr, _ETH + 4, iface.tx_dst, 0, 4)
    k.gen = iface.neighbors.gen
