# ICMP sockets, bound to an echo identifier: what ping is built on.
# IcmpSocket speaks ICMPv4 (RFC 792), Icmpv6Socket ICMPv6 (RFC 4443 4):
# the same code with other type numbers, protocol and address length.
#
# Inbound: echo replies carrying the bound identifier are queued whole (ICMP
# header included) with their source address. Outbound: whole ICMP messages
# queued by the user; the checksum is filled in on the way out.
# Allocation: recv_into, send_to, send_echo and the Interface hooks allocate
# nothing.
from micropython import const
from ..wire import icmpv4
from ..wire.icmpv4 import emit_header
from ..fast import copy
from ..storage.packet_ring import reserve, pop
from .datagram import DatagramSocket, parked, queue_parked, begin_head
from . import errno
from .span import span

PROTO = const(1)
# copy of smolnet/wire/icmpv4.py's header length (_HDR is HEADER_LEN there)
_HDR = const(8)


class IcmpSocket(DatagramSocket):
    proto = PROTO
    echo_request = icmpv4.TYPE_ECHO_REQUEST
    echo_reply = icmpv4.TYPE_ECHO_REPLY
    alen = 4

    def __init__(self, rx_slots=4, rx_bytes=1536, tx_slots=4, tx_bytes=1536):
        DatagramSocket.__init__(self, rx_slots, rx_bytes, tx_slots, tx_bytes)
        # the family's numbers (class attributes, which Icmpv6Socket
        # overrides) copied into the instance: every echo reads them, and
        # a class attribute read through an instance first misses among
        # its names (about 0.47 virtual us on the Cortex-M3 against 0.14).
        # With them the table has 19 names in 23 slots, not 15 in 17, and
        # the per-echo method names find an empty slot sooner too
        c = type(self)
        self.alen = c.alen
        self.echo_request = c.echo_request
        self.echo_reply = c.echo_reply
        self.proto = c.proto
        self.ident = -1
        # (DatagramSocket's _quiet)
        self._quiet = type(self).dispatch is IcmpSocket.dispatch and \
            type(self).poll_at is DatagramSocket.poll_at

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
        self.due_at = -2     # what dispatch() has to do changed (interface.py)

    def send_to(self, buf, n, addr, aoff=0):
        """Queue a whole ICMP message (checksum field is filled on send)."""
        if span(buf, 0, n) < _HDR:
            raise OSError(errno.EINVAL)
        parked.buf = buf
        parked.n = n
        parked.addr = addr
        parked.aoff = aoff
        parked.alen = self.alen
        parked.port = 0
        return queue_parked(self)

    def send_echo(self, addr, seq, payload, n, aoff=0):
        """Queue an echo request with the bound identifier and n bytes of
        payload. Allocation-free; raises OSError(EAGAIN) when full."""
        if self.ident < 0:
            raise OSError(errno.EINVAL)
        # span() and address() written out (two calls fewer a datagram): n
        # bytes of payload, alen bytes of addr at aoff
        if n == -1:
            n = len(payload)
        elif n < 0 or n > len(payload):
            raise OSError(errno.EINVAL)
        if aoff < 0 or aoff + self.alen > len(addr):
            raise OSError(errno.EINVAL)
        # six parameters leave five words of the frame: a call with three
        # arguments, so two of them are parked for _queue_echo
        parked.aoff = aoff
        parked.seq = seq & 0xFFFF
        return _queue_echo(self, addr, payload, n)

    # --- Interface hooks ------------------------------------------------
    def accepts(self, iface, l4_off):
        # an echo reply (the type, byte 0) with our identifier (bytes 4-5)
        b = iface.rx_buf
        if self.ident < 0 or b[l4_off] != self.echo_reply:
            return 0
        return 2 if (b[l4_off + 4] << 8) | b[l4_off + 5] == self.ident else 0

    def process(self, iface, l4_off, l4_len, now):
        # queued whole, header included, with its source (port 0)
        # a packet in gives dispatch() no work: unless datagrams wait to go,
        # the Interface need not dispatch it (DatagramSocket's _quiet)
        if self._quiet and not self.tx.count:
            self.due_at = -1
        if reserve(self.rx, l4_len, 0, iface.rx_alen) < 0:
            self._rx_full(iface)
            return
        copy(self.rx.data, self.rx.tail_off, iface.rx_buf, l4_off, l4_len)
        copy(self.rx.addr, self.rx.tail_addr, iface.rx_buf, iface.rx_src_off, iface.rx_alen)

    def dispatch(self, iface, now):
        if not self.tx.count:
            return False
        off = begin_head(self, iface, now)
        if off < 0:
            return self._not_sent(iface, off, now)
        self._waiting_since = -1
        n = self.tx.head_len
        if n > iface.tx_room:
            self._drop_head(errno.EMSGSIZE)
            return True
        copy(iface.tx_buf, off, self.tx.data, self.tx.head_off, n)
        pop(self.tx)
        if self._quiet and not self.tx.count:
            self.due_at = -1     # its last: not dispatched again (DatagramSocket's _quiet)
        iface.tx_finish(self.proto, n)
        return True


def _queue_echo(s, addr, payload, n):
    # (from send_echo, which checked the numbers; a function: half a
    # method call's cost)
    if reserve(s.tx, _HDR + n, 0, s.alen) < 0:
        raise OSError(errno.EAGAIN)
    s.due_at = -2     # the Interface's next poll dispatches it (interface.py)
    copy(s.tx.addr, s.tx.tail_addr, addr, parked.aoff, s.alen)
    # the echo header has the same layout in ICMPv4 and ICMPv6
    emit_header(s.tx.data, s.tx.tail_off, s.echo_request, 0, s.ident, parked.seq)
    copy(s.tx.data, s.tx.tail_off + _HDR, payload, 0, n)
    return n


class Icmpv6Socket(IcmpSocket):
    """Echo over IPv6: addresses are 16 bytes, types 128/129 (RFC 4443 4)."""
    proto = 58
    echo_request = 128
    echo_reply = 129
    alen = 16
