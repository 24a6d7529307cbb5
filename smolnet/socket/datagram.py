# What datagram sockets (UDP, ICMP) share: an rx and a tx PacketRing, the
# peer of the last datagram read, and the rule for a datagram whose next hop
# is not resolved yet: keep it at the head of the queue, retry once per
# neighbor_retry_ms, give up after _GIVE_UP_MS (three ARP/ND tries one second
# apart, as Linux does) with EHOSTUNREACH. Nothing here allocates.
from micropython import const
from time import ticks_add, ticks_diff
from ..storage.packet_ring import PacketRing
from ..fast import copy
from . import errno
from .span import span, writable, address

_GIVE_UP_MS = const(3000)


class DatagramSocket:
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
        self.rx_dropped = 0      # datagrams that found the rx ring full
        self.tx_dropped = 0      # datagrams given up (no route, unresolved, too big)
        self.error = 0           # last asynchronous error (errno), 0 if none
        self._waiting_since = -1  # ticks when the head met an unresolved neighbor
        self._retry_at = -1

    def can_recv(self):
        return not self.rx.is_empty()

    def can_send(self, n=0):
        return self.tx.fits(n)

    def recv_into(self, buf, off=0, n=-1):
        """Copy the oldest datagram into buf[off:] (at most n bytes, or all
        that fit if n is -1); the rest of a longer one is discarded. Sets
        peer_addr, peer_alen and peer_port. Returns the number of bytes
        copied (0 for an empty datagram), or -1 if none waits: the signature
        and the -1 of TcpSocket.recv_into. off/n past buf: OSError(EINVAL);
        a read-only buf: TypeError (span.py)."""
        n = writable(buf, off, n)
        r = self.rx
        if r.is_empty():
            return -1
        k = r.head_len()
        if k > n:
            k = n
        copy(buf, off, r.data, r.head_off(), k)
        self._pop_peer(r)
        return k

    def _pop_peer(self, r):
        """Take the sender of the oldest datagram (peer_*), and drop it."""
        self.peer_alen = r.head_alen()
        self.peer_addr = self._peer4 if self.peer_alen == 4 else self._peer6
        copy(self.peer_addr, 0, r.addr_buf(), r.head_addr_off(), self.peer_alen)
        self.peer_port = r.head_port()
        r.pop()

    def _queue(self, buf, n, addr, aoff, alen, port):
        n = span(buf, 0, n)
        alen = address(addr, aoff, alen)
        if n > self.tx.capacity():
            raise OSError(errno.EMSGSIZE)
        if not self.tx.push(buf, 0, n, addr, aoff, alen, port):
            raise OSError(errno.EAGAIN)
        self.due_at = -2     # the Interface's next poll dispatches it (interface.py)
        return n

    def _deliver(self, iface, off, n, port):
        """Queue n bytes of the packet being received (iface context)."""
        b = iface.rx_buf
        if not self.rx.push(b, off, n, b, iface.rx_src_off, iface.rx_alen, port):
            self.rx_dropped += 1
            iface.stats.drop_socket_full += 1

    def _begin(self, iface, src, now):
        """tx_begin for the head datagram: its L4 offset, or -1 to wait
        (the head stays queued), or -2 when it was dropped (the caller
        returns True: something changed)."""
        t = self.tx
        off = iface.tx_begin(t.addr_buf(), t.head_addr_off(), t.head_alen(), src, 0, now)
        if off == -1:
            if self._waiting_since < 0:
                self._waiting_since = now
            elif ticks_diff(now, self._waiting_since) >= _GIVE_UP_MS:
                self._drop_head(errno.EHOSTUNREACH)
                return -2
            self._retry_at = ticks_add(now, iface.neighbor_retry_ms)
            return -1
        self._waiting_since = -1
        self._retry_at = -1
        if off < 0:
            self._drop_head(errno.EHOSTUNREACH)
            return -2
        return off

    def _drop_head(self, err):
        self.tx.pop()
        self.tx_dropped += 1
        self.error = err
        self._waiting_since = -1

    def poll_at(self, now):
        if self.tx.is_empty():
            return -1
        if self._retry_at >= 0:
            d = ticks_diff(self._retry_at, now)
            return d if d > 0 else 0
        return 0
