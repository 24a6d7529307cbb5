# UDP socket: bind to a port, queue datagrams in and out.
#
# Allocation: recv_into, send_to, can_recv/can_send and the Interface hooks
# (accepts/process/dispatch/poll_at) allocate nothing. recvfrom/sendto are
# conveniences that allocate (bytes and address tuples) and are not for the
# hot path.
from micropython import const
from ..storage.packet_ring import PacketRing
from ..wire import udp, ipaddr
from ..fast import copy, equal
from time import ticks_add, ticks_diff
from . import errno

PROTO = const(17)
_NEIGHBOR_GIVE_UP_MS = const(3000)  # three ARP tries one second apart, as Linux


class UdpSocket:
    proto = PROTO

    def __init__(self, rx_slots=4, rx_bytes=1536, tx_slots=4, tx_bytes=1536):
        self.rx = PacketRing(rx_slots, rx_bytes)
        self.tx = PacketRing(tx_slots, tx_bytes)
        self.port = 0
        self.local = bytearray(16)   # bound local address (all zero: any)
        self.local_alen = 0          # 0 = unbound address (any)
        # source of the last datagram received: one of two preallocated
        # buffers, so len(peer_addr) is 4 or 16 and it can be passed straight
        # back to send_to
        self._peer4 = bytearray(4)
        self._peer6 = bytearray(16)
        self.peer_addr = self._peer4  # source of the last datagram received
        self.peer_alen = 4
        self.peer_port = 0
        self.rx_dropped = 0          # datagrams that found the rx ring full
        self.tx_dropped = 0          # datagrams given up (no route / unresolved)
        self.error = 0               # last asynchronous error (errno), 0 if none
        self._waiting_since = -1     # ticks when the head packet met an unresolved neighbor
        self._retry_at = -1

    # --- user API -------------------------------------------------------
    def bind(self, port, addr=None):
        """Bind to a local port (1..65535) and optionally a local address."""
        if not 0 < port < 65536:
            raise OSError(errno.EINVAL)
        if self.port:
            raise OSError(errno.EINVAL)  # already bound
        if addr is not None:
            a = ipaddr.parse(addr) if isinstance(addr, str) else addr
            copy(self.local, 0, a, 0, len(a))
            self.local_alen = len(a)
        self.port = port

    def is_open(self):
        return self.port != 0

    def close(self):
        self.port = 0
        self.local_alen = 0
        self.rx.clear()
        self.tx.clear()

    def can_recv(self):
        return not self.rx.is_empty()

    def can_send(self, n=0):
        return self.tx.fits(n)

    def recv_into(self, buf, n=-1):
        """Copy the oldest datagram into buf (at most n bytes, or len(buf));
        the rest of a longer datagram is discarded. Sets peer_addr/peer_alen/
        peer_port. Returns the number of bytes copied, or -1 if none waits."""
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
        self.peer_port = r.head_port()
        r.pop()
        return k

    def send_to(self, buf, n, addr, port, aoff=0, alen=-1):
        """Queue n bytes of buf for addr:port (addr bytes-like of 4 bytes).
        Raises OSError(EAGAIN) if the tx ring has no room: check can_send(n)
        first on the hot path. Returns n."""
        if not self.port:
            raise OSError(errno.EINVAL)  # bind() first (or use sendto)
        if not 0 < port < 65536:
            raise OSError(errno.EINVAL)
        if alen < 0:
            alen = len(addr) - aoff
        if n > self.tx.capacity():
            raise OSError(errno.EMSGSIZE)
        if not self.tx.push(buf, 0, n, addr, aoff, alen, port):
            raise OSError(errno.EAGAIN)
        return n

    # conveniences (allocate)
    def sendto(self, data, address):
        host, port = address
        a = ipaddr.parse(host) if isinstance(host, str) else host
        return self.send_to(data, len(data), a, port)

    def recvfrom(self, bufsize=1536):
        b = bytearray(bufsize)
        n = self.recv_into(b)
        if n < 0:
            return None
        return bytes(b[:n]), (ipaddr.fmt(self.peer_addr, 0, self.peer_alen), self.peer_port)

    # --- Interface hooks ------------------------------------------------
    def accepts(self, iface, l4_off):
        if not self.port or udp.dst_port(iface.rx_buf, l4_off) != self.port:
            return 0
        if self.local_alen == 0:
            return 1
        if self.local_alen != iface.rx_alen:
            return 0
        if equal(self.local, 0, iface.rx_buf, iface.rx_dst_off, self.local_alen):
            return 2
        return 0

    def process(self, iface, l4_off, l4_len, now):
        b = iface.rx_buf
        n = udp.length(b, l4_off) - udp.HEADER_LEN
        if not self.rx.push(b, l4_off + udp.HEADER_LEN, n, b, iface.rx_src_off,
                            iface.rx_alen, udp.src_port(b, l4_off)):
            self.rx_dropped += 1
            iface.stats.drop_socket_full += 1

    def dispatch(self, iface, now):
        t = self.tx
        if t.is_empty():
            return False
        off = iface.tx_begin(t.addr_buf(), t.head_addr_off(), t.head_alen(),
                             self.local if self.local_alen else None, 0, now)
        if off == -1:
            # neighbor unresolved: keep the datagram, give up after a while
            if self._waiting_since < 0:
                self._waiting_since = now
            elif ticks_diff(now, self._waiting_since) >= _NEIGHBOR_GIVE_UP_MS:
                self._drop_head(errno.EHOSTUNREACH)
                return True
            self._retry_at = ticks_add(now, iface.neighbor_retry_ms)
            return False
        self._waiting_since = -1
        self._retry_at = -1
        n = t.head_len()
        if off < 0 or n > iface.tx_room - udp.HEADER_LEN:
            self._drop_head(errno.EHOSTUNREACH if off < 0 else errno.EMSGSIZE)
            return True
        buf = iface.tx_buf
        udp.emit(buf, off, self.port, t.head_port(), n)
        copy(buf, off + udp.HEADER_LEN, t.data, t.head_off(), n)
        t.pop()
        iface.tx_finish(PROTO, n + udp.HEADER_LEN)
        return True

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
