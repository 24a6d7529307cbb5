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
from ..wire import ipaddr
from ..wire.udp import src_port, emit
from ..fast import copy, equal
from ..storage.packet_ring import reserve, pop
from .datagram import DatagramSocket, parked, queue_parked, begin_head
from . import errno
from .errno import EINVAL
from .span import address

PROTO = const(17)
# copy of smolnet/wire/udp.py's header length (_HDR is HEADER_LEN there)
_HDR = const(8)
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
        DatagramSocket.__init__(self, rx_slots, rx_bytes, tx_slots, tx_bytes)
        self.port = 0
        self.local = bytearray(16)   # bound local address
        self.local_alen = 0          # 0: bound to any address
        self.any_port = False
        # any-port mode: the destination of the last datagram read
        self.local_addr = bytearray(4)
        self.local_port = 0
        # (DatagramSocket's _quiet)
        self._quiet = type(self).dispatch is UdpSocket.dispatch and \
            type(self).poll_at is DatagramSocket.poll_at

    # --- user API -------------------------------------------------------
    def bind(self, port, addr=None, any_port=False):
        """Bind to a local port (1..65535) and optionally a local address.
        any_port (port 0): take datagrams to every port (see the top of
        the file); a socket bound to a given port wins over it only if it
        was added to the Interface first (both score as wildcards)."""
        if any_port:
            if port:
                raise OSError(EINVAL)
        elif not 0 < port < 65536:
            raise OSError(EINVAL)
        if self.port or self.any_port:
            raise OSError(EINVAL)  # already bound
        if addr is not None:
            a = ipaddr.parse(addr) if isinstance(addr, str) else addr
            self.local_alen = address(a, 0, -1)
            copy(self.local, 0, a, 0, self.local_alen)
            self._from = self.local
        self.port = port
        self.any_port = any_port
        self._meta = _META if any_port else 0
        if any_port:
            # what only this mode uses: local_addr is one of two buffers,
            # so len() is the family, like peer_addr; the source and port
            # of the datagram being sent
            self._local4 = self.local_addr = bytearray(4)
            self._local6 = bytearray(16)
            self._src = bytearray(16)
            self._sport = 0

    def is_open(self):
        return self.port != 0 or self.any_port

    def close(self):
        self.port = 0
        self.any_port = False
        self._meta = 0
        self.local_alen = 0
        self._from = None
        self.rx.clear()
        self.tx.clear()
        self.due_at = -2     # what dispatch() has to do changed (interface.py)

    def send_to(self, buf, n, addr, port, aoff=0, alen=-1, src=None, sport=0):
        """Queue n bytes of buf for addr:port (addr: 4 or 16 bytes at aoff).
        Any-port mode: from src:sport (src: None lets the Interface pick,
        or an address of addr's family, e.g. local_addr; sport 1..65535,
        e.g. local_port). Raises OSError(EAGAIN) if the tx ring has no room:
        check can_send(n) first on the hot path. Returns n (-1: all of buf).
        n past buf, or an address not of 4/16 bytes there: OSError(EINVAL)."""
        # the checks that need no call here (nine parameters leave two
        # words of the frame), the rest in queue_parked() (datagram.py)
        if not self.port and not self.any_port:
            raise OSError(EINVAL)  # bind() first
        if port <= 0 or port > 65535:
            raise OSError(EINVAL)
        if self.any_port:
            if sport <= 0 or sport > 65535:
                raise OSError(EINVAL)
            if src is not None:
                if alen == -1:
                    alen = len(addr) - aoff
                if len(src) != alen:
                    raise OSError(EINVAL)
            parked.src = src
            parked.sport = sport
        elif src is not None or sport:
            raise OSError(EINVAL)  # only in any-port mode
        parked.buf = buf
        parked.n = n
        parked.addr = addr
        parked.aoff = aoff
        parked.alen = alen
        parked.port = port
        return queue_parked(self)

    # conveniences (allocate)
    def sendto(self, data, address):
        a = ipaddr.parse(address[0]) if isinstance(address[0], str) else address[0]
        return self.send_to(data, -1, a, address[1])

    def recvfrom(self, bufsize=1536):
        b = bytearray(bufsize)
        n = self.recv_into(b)
        if n < 0:
            return None
        return bytes(b[:n]), (ipaddr.fmt(self.peer_addr, 0, self.peer_alen), self.peer_port)

    # --- any-port mode: the header in front of each queued payload ------
    def _write_meta(self, off, alen):
        # (from queue_parked) where the datagram is sent from
        d = self.tx.data
        src = parked.src
        if src is None:
            d[off + _M_ALEN] = 0
        else:
            d[off + _M_ALEN] = alen
            copy(d, off + _M_ADDR, src, 0, alen)
            parked.src = None
        d[off + _M_PORT] = parked.sport >> 8
        d[off + (_M_PORT + 1)] = parked.sport & 0xFF

    def _read_meta(self, r):
        # (from recv_into) where the datagram was sent to
        d = r.data
        h = r.head_off
        a = d[h + _M_ALEN]
        self.local_addr = self._local4 if a == 4 else self._local6
        copy(self.local_addr, 0, d, h + _M_ADDR, a)
        self.local_port = (d[h + _M_PORT] << 8) | d[h + (_M_PORT + 1)]

    def _process_meta(self, iface, l4_off, l4_len):
        # (from process) the destination goes in the header
        l4_len -= _HDR
        r = self.rx
        if reserve(r, l4_len + _META, src_port(iface.rx_buf, l4_off), iface.rx_alen) < 0:
            self._rx_full(iface)
            return
        copy(r.addr, r.tail_addr, iface.rx_buf, iface.rx_src_off, iface.rx_alen)
        r.data[r.tail_off + _M_ALEN] = iface.rx_alen
        copy(r.data, r.tail_off + _M_PORT, iface.rx_buf, l4_off + 2, 2)   # the UDP destination port
        copy(r.data, r.tail_off + _M_ADDR, iface.rx_buf, iface.rx_dst_off, iface.rx_alen)
        copy(r.data, r.tail_off + _META, iface.rx_buf, l4_off + _HDR, l4_len)

    def _dispatch_meta(self):
        # (from dispatch) the head datagram's source: _from (else the bound
        # address, if any) and _sport
        d = self.tx.data
        h = self.tx.head_off
        a = d[h + _M_ALEN]
        self._from = self.local if self.local_alen else None
        if a:
            copy(self._src, 0, d, h + _M_ADDR, a)
            self._from = self._src
        self._sport = (d[h + _M_PORT] << 8) | d[h + (_M_PORT + 1)]

    # --- Interface hooks ------------------------------------------------
    def accepts(self, iface, l4_off):
        b = iface.rx_buf
        p = (b[l4_off + 2] << 8) | b[l4_off + 3]    # the destination port
        if not p or (p != self.port and not self.any_port):
            return 0
        if self.local_alen == 0:
            return 1
        if self.local_alen == iface.rx_alen and \
                equal(self.local, 0, iface.rx_buf, iface.rx_dst_off, self.local_alen):
            return 2
        return 0

    def process(self, iface, l4_off, l4_len, now):
        # l4_len is the UDP length (Interface.rx_udp checked it against the
        # IP payload); the payload is queued with its source address and port
        # a packet in gives dispatch() no work: unless datagrams wait to go,
        # the Interface need not dispatch it (DatagramSocket's _quiet)
        if self._quiet and not self.tx.count:
            self.due_at = -1
        if self._meta:
            self._process_meta(iface, l4_off, l4_len)
            return
        l4_len -= _HDR
        # now (not needed here): the source port (src_port(), inlined; no
        # word of the frame is left for a local)
        now = (iface.rx_buf[l4_off] << 8) | iface.rx_buf[l4_off + 1]
        if reserve(self.rx, l4_len, now, iface.rx_alen) < 0:
            self._rx_full(iface)
            return
        copy(self.rx.data, self.rx.tail_off, iface.rx_buf, l4_off + _HDR, l4_len)
        copy(self.rx.addr, self.rx.tail_addr, iface.rx_buf, iface.rx_src_off, iface.rx_alen)

    def dispatch(self, iface, now):
        if not self.tx.count:
            return False
        if self._meta:
            self._dispatch_meta()
        off = begin_head(self, iface, now)
        if off < 0:
            return self._not_sent(iface, off, now)
        self._waiting_since = -1
        n = self.tx.head_len - self._meta
        if n > iface.tx_room - _HDR:
            self._drop_head(errno.EMSGSIZE)
            return True
        # from the bound port, or in any-port mode (port 0) the datagram's
        emit(iface.tx_buf, off, self.port or self._sport, self.tx.head_port, n)
        copy(iface.tx_buf, off + _HDR, self.tx.data, self.tx.head_off + self._meta, n)
        pop(self.tx)
        if self._quiet and not self.tx.count:
            self.due_at = -1     # its last: not dispatched again (DatagramSocket's _quiet)
        iface.tx_hops = self.hop_limit
        iface.tx_finish(PROTO, n + _HDR)
        return True
