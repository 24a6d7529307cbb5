# IPv6 fragment reassembly (RFC 8200 4.5, RFC 5722, RFC 7112).
#
# The slots, the overlap and duplicate policy, eviction and the timer are
# reasm.py's, shared with IPv4. A slot holds the datagram as the packet
# RFC 8200 4.5 rebuilds, laid out as a received frame:
#     [link header][IPv6 header][unfragmentable part][fragmentable part]
# The unfragmentable part (the extension headers before the Fragment
# header) is repeated in every fragment, so the first fragment to arrive,
# whichever it is, fixes where the data starts; its contents are taken from
# the first fragment (offset 0), with the Next Header field that named the
# Fragment header set to the Fragment header's Next Header. A fragment whose
# unfragmentable part has another length contradicts the ones held: the
# datagram is dropped, as for an overlap. When the last hole closes, the
# Payload Length is set and ipv6.rx runs again on the slot buffer (with
# iface.rx_buf pointing at it, as reasm4.py does): the extension headers
# are walked again and the upper layer gets one packet, copied once.
#
# Errors (RFC 8200 4.5), through ipv6.icmp_error and its rate limit:
# - a fragment other than the last whose length is not a multiple of 8:
#   Parameter Problem code 0 pointing at the Payload Length field
# - a fragment that would make the Payload Length exceed 65535: Parameter
#   Problem code 0 pointing at the Fragment Offset field
# - a first fragment without the whole header chain up to and including
#   the upper-layer header (RFC 7112 5): Parameter Problem code 3, pointer 0
# - 60 s (Config.reassembly_timeout6_ms) without completion, fragment zero
#   received: Time Exceeded code 1, quoting fragment zero as it came
#
# Config.reassembly_slots and reassembly_size size this pool as IPv4's
# (a second one: a datagram of either family never waits for the other's).
# RFC 8200 5 asks for 1500-byte reassembled packets at least; the default
# 4096 gives that, counting the 40-byte header and the unfragmentable part.
#
# Memory: rx(), expire() and delay() allocate nothing. Not interrupt-safe.
from micropython import const
from ..fast import copy
from ..wire import ipv6, icmpv6
from . import ipv6 as v6
from .reasm import Reassembler

# copy of smolnet/wire/ipv6.py's _PAYLOAD_LEN (inlined here; test_const_copies.py checks)
_PAYLOAD_LEN = const(4)       # RFC 8200 3
_ADDRS_LEN = const(32)        # source and destination, adjacent
# RFC 8200 4.5 Fragment header: next header, reserved, offset (13 bits,
# 8-byte units) and M flag, identification (32 bits)
# copy of smolnet/wire/ipv6.py's _FRAG_OFF
_FRAG_OFF = const(2)
_FRAG_IDENT = const(4)
_IDENT_LEN = const(4)
_FLAG_M = const(1)
_MAX_PAYLOAD = const(65535)
# copies of smolnet/wire/ipv4.py's protocol numbers (inlined here; test_const_copies.py checks)
_PROTO_TCP = const(6)
_PROTO_UDP = const(17)
# copy of smolnet/wire/ipv6.py's NH_ICMPV6 (_PROTO_ICMPV6 is NH_ICMPV6 there)
_PROTO_ICMPV6 = const(58)
_CODE_REASSEMBLY = const(1)       # RFC 4443 3.3: fragment reassembly time exceeded
_CODE_CHAIN_INCOMPLETE = const(3)  # RFC 7112 5 (RFC 8200 4.5)
# copy of smolnet/iface/interface.py's rx_cast value
_CAST_UNICAST = const(0)


class Reassembler6(Reassembler):
    def __init__(self, cfg, link_hlen):
        size = cfg.reassembly_size
        super().__init__(cfg, link_hlen, size, _ADDRS_LEN, _IDENT_LEN,
                         cfg.reassembly_timeout6_ms)
        self._size = size                       # header and payload a slot holds
        self._nhp = [0] * self.slots            # from the IPv6 header: the field naming 44
        self._frag = bytearray(ipv6.FRAG_LEN * self.slots)  # fragment zero's header
        self._delivering = False

    # --- receive ------------------------------------------------------------
    def rx(self, iface, off, nhp, p, end, cast, now):
        """One fragment in iface.rx_buf: IPv6 header at off, Fragment header
        at p, packet end at end, the field holding 44 at nhp; _walk has
        checked everything before p."""
        b = iface.rx_buf
        st = iface.stats
        if self._delivering:
            # a Fragment header inside a rebuilt packet: nobody sends that
            # and the slot being delivered must not be reused under it
            st.drop_ext_header += 1
            return
        data = p + ipv6.FRAG_LEN
        size = end - data
        fo = ((b[p + _FRAG_OFF] << 8) | b[p + _FRAG_OFF + 1]) & 0xFFF8
        more = b[p + _FRAG_OFF + 1] & _FLAG_M
        unfrag = p - off - ipv6.HEADER_LEN     # extension headers before p
        if more and (size == 0 or size & 7):
            st.drop_malformed += 1
            if size:
                v6.icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM, icmpv6.CODE_BAD_HEADER_FIELD,
                              _PAYLOAD_LEN, now)
            return
        if unfrag + fo + size > _MAX_PAYLOAD:
            st.drop_malformed += 1
            v6.icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM, icmpv6.CODE_BAD_HEADER_FIELD,
                          p - off + _FRAG_OFF, now)
            return
        if fo == 0 and not _chain_complete(b, data, end, b[p]):
            st.drop_ext_header += 1
            v6.icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM, _CODE_CHAIN_INCOMPLETE, 0, now)
            return
        i = self._find(b, off + ipv6.SRC, p + _FRAG_IDENT, 0)
        if ipv6.HEADER_LEN + unfrag + fo + size > self._size:
            st.drop_reasm_too_big += 1   # it can never be rebuilt: free its slot
            if i >= 0:
                self._free(i)
            return
        base = self._lh + ipv6.HEADER_LEN + unfrag
        if i < 0:
            i = self._claim(iface, b, off + ipv6.SRC, p + _FRAG_IDENT, 0, cast, base, now)
        elif self._base[i] != base:
            st.drop_reasm_overlap += 1   # another unfragmentable part: see above
            self._free(i)
            return
        if not self._place(iface, i, b, data, fo, size, more):
            return
        if fo == 0:
            self._keep_header(i, b, off, nhp, p, size)
        if self._complete(i):
            self._deliver(iface, i, now)

    def _keep_header(self, i, b, off, nhp, p, size):
        # the link header says where replies go (ipv6.begin_reply); then
        # RFC 8200 4.5's unfragmentable part, its last Next Header set to
        # the Fragment header's; the Fragment header itself is kept aside
        # for the Time Exceeded quote
        buf = self._bufs[i]
        lh = self._lh
        copy(buf, 0, b, off - lh, p - off + lh)
        self._nhp[i] = nhp - off
        buf[lh + nhp - off] = b[p]
        copy(self._frag, ipv6.FRAG_LEN * i, b, p, ipv6.FRAG_LEN)
        self._first[i] = size

    def _deliver(self, iface, i, now):
        buf = self._bufs[i]
        ip = self._lh
        plen = self._base[i] - ip - ipv6.HEADER_LEN + self._total[i]
        _set_payload_len(buf, ip, plen)
        iface.stats.reasm_ok += 1
        saved = iface.rx_buf
        iface.rx_buf = buf
        self._delivering = True
        try:
            v6.rx(iface, ip, ipv6.HEADER_LEN + plen, now)  # walks it again
        finally:
            self._delivering = False
            iface.rx_buf = saved
            self._free(i)

    # --- timer (reasm.Reassembler.expire) ------------------------------------
    def _time_exceeded(self, iface, i, now):
        # RFC 8200 4.5: quote fragment zero as it came. The slot lacks its
        # Fragment header, so the fragment is rebuilt in rx_buf, which is
        # free here (poll() expires datagrams before it reads a frame) and
        # big enough (the fragment came in a frame).
        buf = self._bufs[i]
        r = iface.rx_buf
        ip = self._lh
        base = self._base[i]
        n = self._first[i]
        copy(r, 0, buf, 0, base)
        r[ip + self._nhp[i]] = ipv6.NH_FRAGMENT
        copy(r, base, self._frag, ipv6.FRAG_LEN * i, ipv6.FRAG_LEN)
        copy(r, base + ipv6.FRAG_LEN, buf, base, n)
        _set_payload_len(r, ip, base - ip - ipv6.HEADER_LEN + ipv6.FRAG_LEN + n)
        iface.rx_ip_off = ip
        iface.rx_src_off = ip + ipv6.SRC
        iface.rx_dst_off = ip + ipv6.DST
        iface.rx_alen = 16
        iface.rx_cast = _CAST_UNICAST
        v6.icmp_error(iface, icmpv6.TYPE_TIME_EXCEEDED, _CODE_REASSEMBLY, 0, now)


def _chain_complete(b, p, end, nh):
    """True if fragment zero's data (b[p:end], starting with header nh)
    holds every extension header that follows the Fragment header and the
    upper-layer header's fixed part (RFC 7112 5)."""
    while nh == ipv6.NH_HOPOPT or nh == ipv6.NH_DSTOPTS or nh == ipv6.NH_ROUTING:
        if p + 2 > end:
            return False
        nh = b[p]
        p += ipv6.ext_len(b, p)
    if nh == _PROTO_UDP:
        p += 8
    elif nh == _PROTO_TCP:
        p += 20
    elif nh == _PROTO_ICMPV6:
        p += 4          # type, code, checksum
    elif nh != ipv6.NH_NONE:
        p += 1          # unknown to us: at least its first byte
    return p <= end


def _set_payload_len(buf, ip, n):
    buf[ip + _PAYLOAD_LEN] = n >> 8
    buf[ip + _PAYLOAD_LEN + 1] = n & 0xFF
