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
# The policy (overlap, duplicates, eviction, the timer) is reasm.py's,
# shared with IPv6. Here: the key (RFC 791 3.2: source, destination,
# protocol, identification), the header, and the error sent on expiry
# (ICMP Time Exceeded code 1, RFC 792; RFC 1122 3.2.2, 3.3.2; never for
# broadcast or multicast datagrams).
#
# Memory: rx(), expire() and delay() allocate nothing. Not interrupt-safe.
from micropython import const
from ..fast import copy
from ..wire import ipv4, icmpv4
from . import ipv4 as v4
from .reasm import Reassembler

# RFC 791 3.1 header fields the codec has no setter for:
# copies of smolnet/wire/ipv4.py's offsets and flags (inlined here; test_const_copies.py checks)
_VER_IHL = const(0)
_TOTAL_LEN = const(2)
_IDENT = const(4)
_FLAGS_FRAG = const(6)
_FLAG_DF = const(0x40)
_FLAG_MF = const(0x20)
# version 4, IHL 5: a header without options
_V4_NO_OPTIONS = const(0x45)

_MIN_EMTU_R = const(576)    # RFC 1122 3.3.2: EMTU_R >= 576
_MAX_DATAGRAM = const(65535)
# copy of smolnet/wire/ipv4.py's PROTO_ICMP (inlined here; test_const_copies.py checks)
_PROTO_ICMP = const(1)
# copy of smolnet/iface/interface.py's rx_cast value
_CAST_UNICAST = const(0)
_CODE_REASSEMBLY = const(1)  # RFC 792: fragment reassembly time exceeded


class Reassembler4(Reassembler):
    def __init__(self, cfg, link_hlen):
        size = cfg.reassembly_size
        if size < _MIN_EMTU_R or size > _MAX_DATAGRAM:
            raise ValueError("reassembly_size: 576..65535 (RFC 1122 3.3.2), or 0 for none")
        super().__init__(cfg, link_hlen, size, 8, 2, cfg.reassembly_timeout_ms)
        self._cap = size - ipv4.HEADER_LEN      # payload bytes a slot holds

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
        i = self._find(b, off + ipv4.SRC, off + _IDENT, ipv4.protocol(b, off))
        if end > self._cap:
            st.drop_reasm_too_big += 1   # it can never be rebuilt: free its slot
            if i >= 0:
                self._free(i)
            return
        if i < 0:
            i = self._claim(iface, b, off + ipv4.SRC, off + _IDENT, ipv4.protocol(b, off),
                            cast, self._lh + ipv4.HEADER_LEN, now)
        if not self._place(iface, i, b, off + hl, fo, size, more):
            return
        if fo == 0:
            self._keep_header(i, b, off, size)
        if self._complete(i):
            self._deliver(iface, i, now)

    def _keep_header(self, i, b, off, size):
        # the link header says where replies go (v4.begin_reply);
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
            v4.rx(iface, ip, tl, now)   # checks it again and dispatches
        finally:
            iface.rx_buf = saved
            self._free(i)

    # --- timer (reasm.Reassembler.expire) ------------------------------------
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
            v4.icmp_error(iface, icmpv4.TYPE_TIME_EXCEEDED, _CODE_REASSEMBLY, now)
        finally:
            iface.rx_buf = saved


def _set_total_len(buf, ip, n):
    buf[ip + _TOTAL_LEN] = n >> 8
    buf[ip + _TOTAL_LEN + 1] = n & 0xFF
