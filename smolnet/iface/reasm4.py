# IPv4 fragment reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2).
#
# A few preallocated slots. Each holds one datagram laid out exactly as the
# frame the Interface would have received had it come unfragmented:
#     [link header][20-byte IPv4 header][payload, up to reassembly_size - 20]
# Each fragment's data is copied once, straight to its offset. When the last
# hole closes, the header (the first fragment's, MF and offset cleared,
# total length set) is completed in place and the Interface's own IPv4
# receive path runs again on the slot buffer, with iface.rx_buf pointing at
# it for the call: sockets read iface.rx_buf when they are called, so they
# see one bigger packet and nothing is copied a second time. Replies the
# Interface builds from rx_buf (port unreachable, RST, echo reply) go to the
# link address in the kept link header, as for any received frame.
#
# The rebuilt header has no options: smolnet interprets none (wire/ipv4.py),
# and a fixed 20-byte header keeps the payload at one offset whichever
# fragment comes first.
#
# Policy:
# - holes: a storage.Assembler per slot, RFC 815's hole list in spirit,
#   bounded at _MAX_RANGES separate pieces (more: the datagram is dropped)
# - overlap: any overlap drops the whole datagram. RFC 791 lets later data
#   overwrite earlier, but overlapping fragments are how filters are evaded
#   and stacks confused; RFC 5722 forbids them in IPv6 for that reason and
#   Linux drops them in IPv4 too. A fragment lying wholly inside data already
#   held and equal to it is a duplicate (the network repeats packets): it is
#   ignored, as RFC 8200 4.5 allows for exact duplicates.
# - the timer starts with the first fragment and is not stretched by later
#   ones or by TTL (RFC 1122 3.3.2: a fixed value); on expiry the datagram
#   is dropped and, if fragment zero was received and the datagram was not
#   broadcast or multicast, the sender gets ICMP Time Exceeded code 1
#   (RFC 792; RFC 1122 3.2.2, 3.3.2) through the Interface's rate limiter.
# - all slots busy: the oldest datagram is evicted for the new one. Keeping
#   the old one instead would let a single lost fragment block all
#   fragmented traffic for the whole timeout on a one-slot board; Linux
#   also evicts the oldest queues when its reassembly memory is full.
#
# Memory: rx(), expire() and delay() allocate nothing. Not interrupt-safe.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, equal
from ..storage.assembler import Assembler
from ..wire import ipv4, icmpv4

# RFC 791 3.1 header fields the codec has no setter for
_VER_IHL = const(0)
_TOTAL_LEN = const(2)
_FLAGS_FRAG = const(6)
_FLAG_DF = const(0x40)
_FLAG_MF = const(0x20)
_V4_NO_OPTIONS = const(0x45)

_KEY = const(8)             # source and destination, adjacent in the header
_MAX_RANGES = const(8)      # separate pieces one datagram may arrive in
_MIN_EMTU_R = const(576)    # RFC 1122 3.3.2: EMTU_R >= 576
_MAX_DATAGRAM = const(65535)
_PROTO_ICMP = const(1)
_CAST_UNICAST = const(0)
_CODE_REASSEMBLY = const(1)  # RFC 792: fragment reassembly time exceeded


class Reassembler4:
    def __init__(self, cfg, link_hlen):
        size = cfg.reassembly_size
        if size < _MIN_EMTU_R or size > _MAX_DATAGRAM:
            raise ValueError("reassembly_size: 576..65535 (RFC 1122 3.3.2), or 0 for none")
        n = cfg.reassembly_slots
        self.slots = n
        self.timeout_ms = cfg.reassembly_timeout_ms
        self._lh = link_hlen
        self._cap = size - ipv4.HEADER_LEN      # payload bytes a slot holds
        self._bufs = [bytearray(link_hlen + size) for _ in range(n)]
        self._holes = [Assembler(_MAX_RANGES) for _ in range(n)]
        self._keys = bytearray(_KEY * n)
        self._ident = [0] * n
        self._proto = [0] * n
        self._cast = [0] * n
        self._total = [0] * n      # payload length; -1 until the last fragment
        self._first = [0] * n      # data bytes of fragment zero; 0 until it comes
        self._deadline = [0] * n
        self._used = bytearray(n)
        self.busy = 0              # slots in use

    # --- receive ------------------------------------------------------------
    def rx(self, iface, off, cast, now):
        """One fragment in iface.rx_buf at off, already checked by the
        Interface (header, addressed to us as `cast`, sane source)."""
        b = iface.rx_buf
        st = iface.stats
        hl = ipv4.header_len(b, off)
        size = ipv4.total_len(b, off) - hl
        fo = ipv4.frag_offset(b, off)
        more = b[off + _FLAGS_FRAG] & _FLAG_MF
        end = fo + size
        # RFC 791 3.2: all fragments but the last carry a multiple of 8
        # bytes; no datagram ends past 65535 (the "ping of death")
        if (more and (size == 0 or size & 7)) or end + ipv4.HEADER_LEN > _MAX_DATAGRAM:
            st.drop_malformed += 1
            return
        i = self._find(b, off)
        if end > self._cap:
            st.drop_reasm_too_big += 1   # it can never be rebuilt: free its slot
            if i >= 0:
                self._free(i)
            return
        if i < 0:
            i = self._claim(iface, b, off, cast, now)
        if not self._place(iface, i, b, off + hl, fo, size, more):
            return
        if fo == 0:
            self._keep_header(i, b, off, size)
        if not more:
            self._total[i] = end
        t = self._total[i]
        h = self._holes[i]
        if t >= 0 and h.count() == 1 and h.start(0) == 0 and h.end(0) == t:
            self._deliver(iface, i, now)

    def _place(self, iface, i, b, data, fo, size, more):
        """Copy the fragment's data into slot i unless it contradicts what
        is held (then the datagram is dropped) or duplicates it. True if
        the data was new."""
        st = iface.stats
        h = self._holes[i]
        end = fo + size
        n = h.count()
        t = self._total[i]
        # RFC 791 3.2: the last fragment fixes the length; data past it, or
        # a second last fragment ending elsewhere, contradicts it
        if (t >= 0 and (end > t or (not more and end != t))) or \
                (not more and n and end < h.end(n - 1)):
            st.drop_reasm_overlap += 1
            self._free(i)
            return False
        buf = self._bufs[i]
        base = self._lh + ipv4.HEADER_LEN
        for k in range(n):
            s = h.start(k)
            e = h.end(k)
            if s < end and fo < e:
                if s <= fo and end <= e and equal(buf, base + fo, b, data, size):
                    st.drop_reasm_duplicate += 1
                    return False
                st.drop_reasm_overlap += 1    # see the policy above
                self._free(i)
                return False
        if not h.add(fo, size):
            st.drop_reasm_full += 1           # too many separate pieces
            self._free(i)
            return False
        copy(buf, base + fo, b, data, size)
        return True

    def _keep_header(self, i, b, off, size):
        # the link header says where replies go (Interface._begin_reply);
        # the IP header, as fragment zero's with its own length and no
        # options, is what a Time Exceeded quotes until the datagram is whole
        buf = self._bufs[i]
        ip = self._lh
        copy(buf, 0, b, off - ip, ip)
        copy(buf, ip, b, off, ipv4.HEADER_LEN)
        buf[ip + _VER_IHL] = _V4_NO_OPTIONS
        _set_total_len(buf, ip, ipv4.HEADER_LEN + size)
        ipv4.fill_checksum(buf, ip)
        self._first[i] = size

    def _deliver(self, iface, i, now):
        buf = self._bufs[i]
        ip = self._lh
        tl = ipv4.HEADER_LEN + self._total[i]
        _set_total_len(buf, ip, tl)
        buf[ip + _FLAGS_FRAG] &= _FLAG_DF     # MF and the offset cleared
        buf[ip + _FLAGS_FRAG + 1] = 0
        ipv4.fill_checksum(buf, ip)
        st = iface.stats
        st.reasm_ok += 1
        # an echo request is answered in place, from this buffer: one past
        # the link MTU would need the reply fragmented, which smolnet does
        # not do on transmit
        if tl > iface.ip_mtu and ipv4.protocol(buf, ip) == _PROTO_ICMP and \
                icmpv4.msg_type(buf, ip + ipv4.HEADER_LEN) == icmpv4.TYPE_ECHO_REQUEST:
            st.drop_too_big_to_answer += 1
            self._free(i)
            return
        saved = iface.rx_buf
        iface.rx_buf = buf
        try:
            iface._rx_ipv4(ip, tl, now)   # checks it again and dispatches
        finally:
            iface.rx_buf = saved
            self._free(i)

    # --- slots --------------------------------------------------------------
    def _find(self, b, off):
        """The slot of the datagram this fragment belongs to (RFC 791 3.2:
        source, destination, protocol, identification), or -1."""
        if self.busy == 0:
            return -1
        ident = ipv4.ident(b, off)
        proto = ipv4.protocol(b, off)
        keys = self._keys
        for k in range(self.slots):
            if self._used[k] and self._ident[k] == ident and self._proto[k] == proto and \
                    equal(keys, _KEY * k, b, off + ipv4.SRC, _KEY):
                return k
        return -1

    def _claim(self, iface, b, off, cast, now):
        used = self._used
        i = -1
        for k in range(self.slots):
            if not used[k]:
                i = k
                break
        if i < 0:   # all busy: evict the oldest (see the policy above)
            i = 0
            dl = self._deadline
            for k in range(1, self.slots):
                if ticks_diff(dl[k], dl[i]) < 0:
                    i = k
            iface.stats.drop_reasm_full += 1
            self._free(i)
        copy(self._keys, _KEY * i, b, off + ipv4.SRC, _KEY)
        self._ident[i] = ipv4.ident(b, off)
        self._proto[i] = ipv4.protocol(b, off)
        self._cast[i] = cast
        self._total[i] = -1
        self._first[i] = 0
        self._deadline[i] = ticks_add(now, self.timeout_ms)
        self._holes[i].clear()
        used[i] = 1
        self.busy += 1
        return i

    def _free(self, i):
        if self._used[i]:
            self._used[i] = 0
            self.busy -= 1

    # --- timer --------------------------------------------------------------
    def expire(self, iface, now):
        """Drop datagrams whose time is up. True if any was."""
        did = False
        for i in range(self.slots):
            if self._used[i] and ticks_diff(now, self._deadline[i]) >= 0:
                iface.stats.reasm_timeouts += 1
                if self._first[i] and self._cast[i] == _CAST_UNICAST:
                    self._time_exceeded(iface, i, now)
                self._free(i)
                did = True
        return did

    def _time_exceeded(self, iface, i, now):
        # quote fragment zero as kept (its header and data: RFC 792)
        buf = self._bufs[i]
        ip = self._lh
        saved = iface.rx_buf
        iface.rx_buf = buf
        iface.rx_ip_off = ip
        iface.rx_src_off = ip + ipv4.SRC
        iface.rx_dst_off = ip + ipv4.DST
        iface.rx_alen = 4
        iface.rx_cast = _CAST_UNICAST
        try:
            iface._icmp_error(icmpv4.TYPE_TIME_EXCEEDED, _CODE_REASSEMBLY, now)
        finally:
            iface.rx_buf = saved

    def delay(self, now):
        """ms until the next datagram times out; -1 if none is held."""
        d = -1
        for i in range(self.slots):
            if self._used[i]:
                t = ticks_diff(self._deadline[i], now)
                if t < 0:
                    t = 0
                if d < 0 or t < d:
                    d = t
        return d


def _set_total_len(buf, ip, n):
    buf[ip + _TOTAL_LEN] = n >> 8
    buf[ip + _TOTAL_LEN + 1] = n & 0xFF
