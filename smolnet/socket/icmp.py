# ICMP socket, bound to an echo identifier: what ping is built on.
#
# Inbound: echo replies carrying the bound identifier are queued whole (ICMP
# header included) with their source address. Outbound: whole ICMP messages
# queued by the user; the checksum is filled in on the way out.
# Allocation: recv_into, send_to, send_echo and the Interface hooks allocate
# nothing.
from micropython import const
from time import ticks_add, ticks_diff
from ..storage.packet_ring import PacketRing
from ..wire import icmpv4
from ..fast import copy
from . import errno

PROTO = const(1)
_GIVE_UP_MS = const(3000)


class IcmpSocket:
    proto = PROTO

    def __init__(self, rx_slots=4, rx_bytes=1536, tx_slots=4, tx_bytes=1536):
        self.rx = PacketRing(rx_slots, rx_bytes)
        self.tx = PacketRing(tx_slots, tx_bytes)
        self.ident = -1
        # source of the last datagram received: one of two preallocated
        # buffers, so len(peer_addr) is 4 or 16 and it can be passed straight
        # back to send_to
        self._peer4 = bytearray(4)
        self._peer6 = bytearray(16)
        self.peer_addr = self._peer4
        self.peer_alen = 4
        self.rx_dropped = 0
        self.tx_dropped = 0
        self._waiting_since = -1
        self._retry_at = -1

    def bind(self, ident):
        if not 0 <= ident < 65536:
            raise OSError(errno.EINVAL)
        self.ident = ident

    def is_open(self):
        return self.ident >= 0

    def close(self):
        self.ident = -1
        self.rx.clear()
        self.tx.clear()

    def can_recv(self):
        return not self.rx.is_empty()

    def can_send(self, n=0):
        return self.tx.fits(n)

    def recv_into(self, buf, n=-1):
        """Copy the oldest ICMP message (header included); -1 if none."""
        r = self.rx
        if r.is_empty():
            return -1
        if n < 0:
            n = len(buf)
        k = r.head_len()
        if k > n:
            k = n
        copy(buf, 0, r.data, r.head_off(), k)
        self.peer_alen = r.head_alen()
        self.peer_addr = self._peer4 if self.peer_alen == 4 else self._peer6
        copy(self.peer_addr, 0, r.addr_buf(), r.head_addr_off(), self.peer_alen)
        r.pop()
        return k

    def send_to(self, buf, n, addr, aoff=0, alen=4):
        """Queue a whole ICMP message (checksum field is filled on send)."""
        if n < icmpv4.HEADER_LEN:
            raise OSError(errno.EINVAL)
        if n > self.tx.capacity():
            raise OSError(errno.EMSGSIZE)
        if not self.tx.push(buf, 0, n, addr, aoff, alen, 0):
            raise OSError(errno.EAGAIN)
        return n

    def send_echo(self, addr, seq, payload, n, aoff=0):
        """Queue an echo request with the bound identifier and n bytes of
        payload. Allocation-free; raises OSError(EAGAIN) when full."""
        if self.ident < 0:
            raise OSError(errno.EINVAL)
        total = icmpv4.HEADER_LEN + n
        off = self.tx.reserve(total, addr, aoff, 4, 0)
        if off < 0:
            raise OSError(errno.EAGAIN)
        d = self.tx.data
        icmpv4.emit_header(d, off, icmpv4.TYPE_ECHO_REQUEST, 0, self.ident, seq & 0xFFFF)
        copy(d, off + icmpv4.HEADER_LEN, payload, 0, n)
        return n

    # --- Interface hooks ------------------------------------------------
    def accepts(self, iface, l4_off):
        b = iface.rx_buf
        if self.ident < 0 or icmpv4.msg_type(b, l4_off) != icmpv4.TYPE_ECHO_REPLY:
            return 0
        return 2 if icmpv4.ident(b, l4_off) == self.ident else 0

    def process(self, iface, l4_off, l4_len, now):
        b = iface.rx_buf
        if not self.rx.push(b, l4_off, l4_len, b, iface.rx_src_off, iface.rx_alen, 0):
            self.rx_dropped += 1
            iface.stats.drop_socket_full += 1

    def dispatch(self, iface, now):
        t = self.tx
        if t.is_empty():
            return False
        off = iface.tx_begin(t.addr_buf(), t.head_addr_off(), t.head_alen(), None, 0, now)
        if off == -1:
            if self._waiting_since < 0:
                self._waiting_since = now
            elif ticks_diff(now, self._waiting_since) >= _GIVE_UP_MS:
                self._drop_head()
                return True
            self._retry_at = ticks_add(now, iface.neighbor_retry_ms)
            return False
        self._waiting_since = -1
        self._retry_at = -1
        n = t.head_len()
        if off < 0 or n > iface.tx_room:
            self._drop_head()
            return True
        copy(iface.tx_buf, off, t.data, t.head_off(), n)
        t.pop()
        iface.tx_finish(PROTO, n)
        return True

    def _drop_head(self):
        self.tx.pop()
        self.tx_dropped += 1
        self._waiting_since = -1

    def poll_at(self, now):
        if self.tx.is_empty():
            return -1
        if self._retry_at >= 0:
            d = ticks_diff(self._retry_at, now)
            return d if d > 0 else 0
        return 0
