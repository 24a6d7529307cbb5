# UDP socket: bind to a port, queue datagrams in and out.
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

PROTO = const(17)


class UdpSocket(DatagramSocket):
    proto = PROTO

    def __init__(self, rx_slots=4, rx_bytes=1536, tx_slots=4, tx_bytes=1536):
        super().__init__(rx_slots, rx_bytes, tx_slots, tx_bytes)
        self.port = 0
        self.local = bytearray(16)   # bound local address
        self.local_alen = 0          # 0: bound to any address

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

    def send_to(self, buf, n, addr, port, aoff=0, alen=-1):
        """Queue n bytes of buf for addr:port (addr: 4 or 16 bytes at aoff).
        Raises OSError(EAGAIN) if the tx ring has no room: check can_send(n)
        first on the hot path. Returns n."""
        if not self.port:
            raise OSError(errno.EINVAL)  # bind() first
        if not 0 < port < 65536:
            raise OSError(errno.EINVAL)
        if alen < 0:
            alen = len(addr) - aoff
        return self._queue(buf, n, addr, aoff, alen, port)

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
        if self.local_alen == iface.rx_alen and \
                equal(self.local, 0, iface.rx_buf, iface.rx_dst_off, self.local_alen):
            return 2
        return 0

    def process(self, iface, l4_off, l4_len, now):
        n = udp.length(iface.rx_buf, l4_off) - udp.HEADER_LEN
        self._deliver(iface, l4_off + udp.HEADER_LEN, n, udp.src_port(iface.rx_buf, l4_off))

    def dispatch(self, iface, now):
        t = self.tx
        if t.is_empty():
            return False
        off = self._begin(iface, self.local if self.local_alen else None, now)
        if off < 0:
            return off == -2
        n = t.head_len()
        if n > iface.tx_room - udp.HEADER_LEN:
            self._drop_head(errno.EMSGSIZE)
            return True
        buf = iface.tx_buf
        udp.emit(buf, off, self.port, t.head_port(), n)
        copy(buf, off + udp.HEADER_LEN, t.data, t.head_off(), n)
        t.pop()
        iface.tx_finish(PROTO, n + udp.HEADER_LEN)
        return True
