# UDP socket: bind to a port, queue datagrams in and out.
#
# Any-port mode (bind(0, any_port=True)), for an any-IP Interface
# (Config.any_ip, netstack-smoltcp style): the socket takes datagrams to
# every port (and every address), recv_into records each one's original
# destination in local_addr/local_port, and send_to(..., src=, sport=)
# answers from it. Each queued datagram then carries that address and port
# in a _META-byte header in front of its payload in the ring (rx: where it
# was sent to; tx: where it is sent from), so the rings hold _META bytes
# less per datagram.
#
# Allocation: recv_into, send_to, can_recv/can_send and the Interface hooks
# (accepts/process/dispatch/poll_at) allocate nothing. recvfrom/sendto are
# conveniences that allocate (bytes and address tuples) and are not for the
# hot path.
from micropython import const
from ..wire import udp, ipaddr
from ..fast import copy, equal
from .datagram import DatagramSocket
from . import errno
from .span import span, writable, address

PROTO = const(17)
# any-port header in front of each queued payload: address length, port
# (big-endian), address (4 or 16 bytes), padding
_META = const(20)
_M_ALEN = const(0)
_M_PORT = const(1)
_M_ADDR = const(3)


class UdpSocket(DatagramSocket):
    proto = PROTO
    # IP TTL / IPv6 hop limit of every datagram this socket sends, unicast
    # and multicast alike (smoltcp's set_hop_limit); 0: the Interface's
    # (Config.ttl, 1 for multicast). A class default: no per-socket RAM
    # until set.
    hop_limit = 0

    def __init__(self, rx_slots=4, rx_bytes=1536, tx_slots=4, tx_bytes=1536):
        super().__init__(rx_slots, rx_bytes, tx_slots, tx_bytes)
        self.port = 0
        self.local = bytearray(16)   # bound local address
        self.local_alen = 0          # 0: bound to any address
        self.any_port = False
        self._meta = 0               # _META in any-port mode, else 0
        # any-port mode: the destination of the last datagram read (one of
        # two preallocated buffers, so len() is the family, like peer_addr)
        self._local4 = bytearray(4)
        self._local6 = bytearray(16)
        self.local_addr = self._local4
        self.local_port = 0
        self._src = bytearray(16)    # source of the datagram being sent

    # --- user API -------------------------------------------------------
    def bind(self, port, addr=None, any_port=False):
        """Bind to a local port (1..65535) and optionally a local address.
        any_port (port 0): take datagrams to every port (see the top of
        the file); a socket bound to a given port wins over it only if it
        was added to the Interface first (both score as wildcards)."""
        if any_port:
            if port:
                raise OSError(errno.EINVAL)
        elif not 0 < port < 65536:
            raise OSError(errno.EINVAL)
        if self.port or self.any_port:
            raise OSError(errno.EINVAL)  # already bound
        if addr is not None:
            a = ipaddr.parse(addr) if isinstance(addr, str) else addr
            address(a, 0, -1)
            copy(self.local, 0, a, 0, len(a))
            self.local_alen = len(a)
        self.port = port
        self.any_port = any_port
        self._meta = _META if any_port else 0

    def is_open(self):
        return self.port != 0 or self.any_port

    def close(self):
        self.port = 0
        self.any_port = False
        self._meta = 0
        self.local_alen = 0
        self.rx.clear()
        self.tx.clear()
        self.due_at = -2     # what dispatch() has to do changed (interface.py)

    def can_send(self, n=0):
        return self.tx.fits(n + self._meta)

    def send_to(self, buf, n, addr, port, aoff=0, alen=-1, src=None, sport=0):
        """Queue n bytes of buf for addr:port (addr: 4 or 16 bytes at aoff).
        Any-port mode: from src:sport (src: None lets the Interface pick,
        or an address of addr's family, e.g. local_addr; sport 1..65535,
        e.g. local_port). Raises OSError(EAGAIN) if the tx ring has no room:
        check can_send(n) first on the hot path. Returns n (-1: all of buf).
        n past buf, or an address not of 4/16 bytes there: OSError(EINVAL)."""
        if not self.port and not self.any_port:
            raise OSError(errno.EINVAL)  # bind() first
        if not 0 < port < 65536:
            raise OSError(errno.EINVAL)
        if not self.any_port:
            if src is not None or sport:
                raise OSError(errno.EINVAL)  # only in any-port mode
            return self._queue(buf, n, addr, aoff, alen, port)  # checks n, addr
        alen = address(addr, aoff, alen)
        n = span(buf, 0, n)
        if not 0 < sport < 65536 or (src is not None and len(src) != alen):
            raise OSError(errno.EINVAL)
        if n + _META > self.tx.capacity():
            raise OSError(errno.EMSGSIZE)
        t = self.tx
        off = t.reserve(n + _META, addr, aoff, alen, port)
        if off < 0:
            raise OSError(errno.EAGAIN)
        self.due_at = -2     # the Interface's next poll dispatches it (interface.py)
        d = t.data
        if src is None:
            d[off + _M_ALEN] = 0
        else:
            d[off + _M_ALEN] = alen
            copy(d, off + _M_ADDR, src, 0, alen)
        d[off + _M_PORT] = sport >> 8
        d[off + _M_PORT + 1] = sport & 0xFF
        copy(d, off + _META, buf, 0, n)
        return n

    def recv_into(self, buf, off=0, n=-1):
        """As DatagramSocket.recv_into; in any-port mode it also sets
        local_addr and local_port to where the datagram was sent."""
        if not self._meta:
            return DatagramSocket.recv_into(self, buf, off, n)
        n = writable(buf, off, n)
        r = self.rx
        if r.is_empty():
            return -1
        h = r.head_off()
        d = r.data
        a = d[h + _M_ALEN]
        self.local_addr = self._local4 if a == 4 else self._local6
        copy(self.local_addr, 0, d, h + _M_ADDR, a)
        self.local_port = (d[h + _M_PORT] << 8) | d[h + _M_PORT + 1]
        k = r.head_len() - _META
        if k > n:
            k = n
        copy(buf, off, d, h + _META, k)
        self._pop_peer(r)
        return k

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
        if self.any_port:
            if not udp.dst_port(iface.rx_buf, l4_off):
                return 0
        elif not self.port or udp.dst_port(iface.rx_buf, l4_off) != self.port:
            return 0
        if self.local_alen == 0:
            return 1
        if self.local_alen == iface.rx_alen and \
                equal(self.local, 0, iface.rx_buf, iface.rx_dst_off, self.local_alen):
            return 2
        return 0

    def process(self, iface, l4_off, l4_len, now):
        b = iface.rx_buf
        n = udp.length(b, l4_off) - udp.HEADER_LEN
        if not self._meta:
            self._deliver(iface, l4_off + udp.HEADER_LEN, n, udp.src_port(b, l4_off))
            return
        # any-port: the destination goes in a header before the payload
        a = iface.rx_alen
        off = self.rx.reserve(n + _META, b, iface.rx_src_off, a, udp.src_port(b, l4_off))
        if off < 0:
            self.rx_dropped += 1
            iface.stats.drop_socket_full += 1
            return
        d = self.rx.data
        d[off + _M_ALEN] = a
        copy(d, off + _M_PORT, b, l4_off + 2, 2)   # the UDP destination port
        copy(d, off + _M_ADDR, b, iface.rx_dst_off, a)
        copy(d, off + _META, b, l4_off + udp.HEADER_LEN, n)

    def dispatch(self, iface, now):
        t = self.tx
        if t.is_empty():
            return False
        m = self._meta
        h = t.head_off()
        src = self.local if self.local_alen else None
        sport = self.port
        if m:
            d = t.data
            a = d[h + _M_ALEN]
            if a:
                copy(self._src, 0, d, h + _M_ADDR, a)
                src = self._src
            sport = (d[h + _M_PORT] << 8) | d[h + _M_PORT + 1]
        off = self._begin(iface, src, now)
        if off < 0:
            return off == -2
        n = t.head_len() - m
        if n > iface.tx_room - udp.HEADER_LEN:
            self._drop_head(errno.EMSGSIZE)
            return True
        buf = iface.tx_buf
        udp.emit(buf, off, sport, t.head_port(), n)
        copy(buf, off + udp.HEADER_LEN, t.data, h + m, n)
        t.pop()
        iface.tx_hops = self.hop_limit
        iface.tx_finish(PROTO, n + udp.HEADER_LEN)
        return True
