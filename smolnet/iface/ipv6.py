# IPv6 for the Interface: receive (RFC 8200 header and extension headers,
# ICMPv6 echo and errors per RFC 4443) and transmit (source selection,
# next hop, neighbor resolution). Functions taking the Interface, so
# interface.py only dispatches; Neighbor Discovery itself is in nd.py and
# the address/route tables in addr6.py. Nothing here allocates per packet.
from micropython import const
from ..fast import copy, equal, sum16, swap16
from ..wire import ethernet, ipv6, icmpv6, udp
from ..wire.ipv6 import fill_header
from . import nd
from .nd import rx as nd_rx
from .mld import rx as mld_rx
from .neighbor import lookup as neighbor_lookup
# the Interface's find_socket() and send_frame(), as functions (see there)
from .ipv4 import find_socket, send_frame

# copies of smolnet/iface/interface.py's rx_cast values (inlined here; test_const_copies.py checks)
_CAST_UNICAST = const(0)
_CAST_MULTICAST = const(2)
# copy of smolnet/iface/interface.py's _TMR_RUN (inlined here; test_const_copies.py checks)
_TMR_RUN = const(-2)
# copies of smolnet/wire/ipv4.py's protocol numbers
_PROTO_ICMP = const(1)
_PROTO_TCP = const(6)
_PROTO_UDP = const(17)
# copy of smolnet/wire/ipv6.py's NH_ICMPV6 (_PROTO_ICMPV6 is NH_ICMPV6 there)
_PROTO_ICMPV6 = const(58)
# the header fields read here on every packet: a getter would be a call,
# ipv6.X a dict lookup
# copies of smolnet/wire/ipv6.py's layout (_HLEN is HEADER_LEN there)
_HLEN = const(40)
_PAYLOAD_LEN = const(4)
_NEXT_HEADER = const(6)
_SRC = const(8)
_DST = const(24)
# copies of smolnet/wire/icmpv6.py's message types
_TYPE_ECHO_REQUEST = const(128)
_TYPE_ECHO_REPLY = const(129)
_TYPE_MLD_QUERY = const(130)
_TYPE_MLD_DONE = const(132)
_TYPE_ROUTER_SOLICIT = const(133)
_TYPE_REDIRECT = const(137)
_TYPE_MLD2_REPORT = const(143)
# copy of smolnet/wire/icmpv6.py's HEADER_LEN (_ICMP_HLEN is HEADER_LEN there)
_ICMP_HLEN = const(8)
# copy of smolnet/wire/tcp.py's CHECKSUM (_TCP_CHECKSUM is CHECKSUM there)
_TCP_CHECKSUM = const(16)
_ICMP_CHECKSUM = const(2)   # RFC 4443 2.1: the checksum's place in an ICMPv6 message
_MCAST_HOPS = const(1)   # RFC 3493 5.2: multicast leaves with hop limit 1
# copy of smolnet/wire/ipv6.py's _FRAG_OFF
_FRAG_OFF = const(2)     # RFC 8200 4.5: the Fragment header's offset and M flag
# copy of smolnet/wire/ethernet.py's ETHERTYPE_IPV6
_ETHERTYPE_IPV6 = const(0x86DD)
_UNSPECIFIED = b"\0" * 16    # ::, for fast.equal (one native call, not a loop of 16)

# Every function on the per-packet path keeps its frame within the 11
# words MicroPython keeps on the C stack (arguments + locals + the deepest
# value stack; tools/frame_sizes.py): a larger one comes from the heap on
# every call. Hence hot functions imported by name (a call through a
# module costs one more word), few locals, cheap byte tests before the
# address walks, and the rare branches (multicast, extension headers,
# errors) in functions of their own.


# --- receive ------------------------------------------------------------------
def rx(iface, off, n, now):
    """The IPv6 packet at off in rx_buf, n bytes with any link padding."""
    b = iface.rx_buf
    # RFC 8200 3: version 6, the payload within what came (n from here on:
    # the payload's length)
    if n < _HLEN or b[off] >> 4 != 6 or \
            _HLEN + ((b[off + _PAYLOAD_LEN] << 8) | b[off + (_PAYLOAD_LEN + 1)]) > n:
        if n >= _HLEN and b[off] >> 4 != 6:
            iface.stats.drop_bad_ip_version += 1
        else:
            iface.stats.drop_bad_ip_length += 1
        return
    n = (b[off + _PAYLOAD_LEN] << 8) | b[off + (_PAYLOAD_LEN + 1)]
    # the destination: one of our addresses first (the common case; our
    # tentative ones are not, RFC 4862 5.4: DAD's own messages go to the
    # solicited-node group), then groups and any-IP
    if b[off + _DST] != 0xFF and iface.ip6.addrs.mine(b, off + _DST) >= 0:
        iface.rx_cast = _CAST_UNICAST
    elif not _rx_cast_other(iface, b, off + _DST):
        return
    # RFC 4291 2.7: a multicast address is never a source; 2.5.3: nor is
    # the loopback address on a link (::1: walked only when it starts 0, ends 1)
    if b[off + _SRC] == 0xFF or (b[off + _SRC] == 0 and b[off + (_SRC + 15)] == 1 and
                                ipv6.is_loopback(b, off + _SRC)):
        iface.stats.drop_bad_src += 1
        return
    iface.rx_ip_off = off
    iface.rx_src_off = off + _SRC
    iface.rx_dst_off = off + _DST
    iface.rx_alen = 16
    # the upper layer right after the header (the common case), else the
    # extension headers first
    p = b[off + _NEXT_HEADER]
    if p == _PROTO_UDP:
        iface.rx_udp(off + _HLEN, n, now)
    elif p == _PROTO_TCP:
        iface.rx_tcp(off + _HLEN, n, now)
    elif p == _PROTO_ICMPV6:
        _rx_icmp6(iface, off + _HLEN, n, now)
    else:
        _walk(iface, off, off + _HLEN + n, now)


def _rx_cast_other(iface, b, dst):
    """Sets rx_cast for a destination that is none of our addresses; False
    (counted) if the packet is not for us."""
    if b[dst] == 0xFF:
        if iface.ip6.addrs.joined(b, dst):
            iface.rx_cast = _CAST_MULTICAST
            return True
    elif iface.config.any_ip and not ipv6.is_unspecified(b, dst):
        iface.rx_cast = _CAST_UNICAST    # any-IP: every unicast destination is ours
        return True
    iface.stats.drop_not_for_us += 1
    return False


def _walk(iface, off, end, now):
    """Follow the next-header chain (RFC 8200 4.1) to the upper layer: for
    a packet whose IPv6 header names an extension header (or a protocol
    we do not speak)."""
    b = iface.rx_buf
    st = iface.stats
    nhp = off + ipv6.NEXT_HEADER   # where the current next-header value sits
    nh = b[nhp]
    p = off + _HLEN
    while True:
        if nh == _PROTO_UDP:
            iface.rx_udp(p, end - p, now)
            return
        if nh == _PROTO_TCP:
            iface.rx_tcp(p, end - p, now)
            return
        if nh == _PROTO_ICMPV6:
            _rx_icmp6(iface, p, end - p, now)
            return
        if nh == ipv6.NH_HOPOPT or nh == ipv6.NH_DSTOPTS or nh == ipv6.NH_ROUTING:
            if nh == ipv6.NH_HOPOPT and nhp != off + ipv6.NEXT_HEADER:
                # RFC 8200 4.1: Hop-by-Hop only right after the IPv6 header
                st.drop_ext_header += 1
                icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM,
                           icmpv6.CODE_UNKNOWN_NEXT_HEADER, nhp - off, now)
                return
            if p + 8 > end or p + ipv6.ext_len(b, p) > end:
                st.drop_malformed += 1
                return
            hl = ipv6.ext_len(b, p)
            if nh == ipv6.NH_ROUTING:
                # RFC 8200 4.4: a host knows no routing type; with segments
                # left it must not go on (parameter problem at the type field,
                # RFC 5095 for type 0); with none left, skip the header
                if ipv6.routing_segments_left(b, p):
                    st.drop_ext_header += 1
                    icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM, icmpv6.CODE_BAD_HEADER_FIELD,
                               p - off + ipv6.routing_type_off(), now)
                    return
            else:
                r = ipv6.scan_options(b, p, hl)
                if r != ipv6.OPT_SKIP:
                    # RFC 8200 4.2: the option type's two high bits decide
                    st.drop_ext_header += 1
                    act = r >> 16
                    if act == ipv6.OPT_ERROR or (act == ipv6.OPT_ERROR_UNICAST and
                                                 iface.rx_cast == _CAST_UNICAST):
                        icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM, icmpv6.CODE_UNKNOWN_OPTION,
                                   p - off + (r & 0xFFFF), now)
                    return
        elif nh == ipv6.NH_FRAGMENT:
            if p + ipv6.FRAG_LEN > end:
                st.drop_malformed += 1
                return
            if not ipv6.frag_is_atomic(b, p):
                # held until whole (reasm6.py); the rebuilt packet comes
                # back through rx()
                r = iface.reasm6
                if r is None:
                    st.drop_fragment += 1
                else:
                    iface.timers_at = _TMR_RUN  # its expiry is one of poll()'s timers
                    r.rx(iface, off, nhp, p, end, iface.rx_cast, now)
                return
            hl = ipv6.FRAG_LEN         # RFC 6946: an atomic fragment is whole
        else:
            st.drop_unknown_protocol += 1
            # RFC 8200 4: an unknown next header gets a parameter problem
            # pointing at the field naming it (no next header, 59, is just
            # the end of the packet: RFC 8200 4.7)
            if nh != ipv6.NH_NONE:
                icmp_error(iface, icmpv6.TYPE_PARAM_PROBLEM, icmpv6.CODE_UNKNOWN_NEXT_HEADER,
                           nhp - off, now)
            return
        nhp = p
        nh = b[p]
        p += hl


def _rx_icmp6(iface, l4, n, now):
    # RFC 4443 2.3: the pseudo-header (the addresses, one run in the IPv6
    # header; the length; 58) and the message sum to all ones. The 58 is
    # left out of the sums (sum16 starts below 2**16, and with n it may
    # not): without it they sum to 0xFFFF - 58. One local (four arguments
    # and t.process()'s six words fill the frame's 11): t is the sum, then
    # the type, then the socket
    t = sum16(iface.rx_buf, iface.rx_src_off, 32, n)
    if n < 4 or sum16(iface.rx_buf, l4, n, t) != 0xFFFF - _PROTO_ICMPV6:
        iface.stats.drop_bad_checksum += 1
        return
    t = iface.rx_buf[l4]
    if t == _TYPE_ECHO_REQUEST:
        if n < _ICMP_HLEN:
            iface.stats.drop_malformed += 1
        else:
            _echo_reply(iface, l4, n)
        return
    if t >= _TYPE_ROUTER_SOLICIT and t <= _TYPE_REDIRECT:
        iface.timers_at = _TMR_RUN          # DAD, router discovery, lifetimes
        nd_rx(iface, t, l4, n, now)
        return
    if (t >= _TYPE_MLD_QUERY and t <= _TYPE_MLD_DONE) or t == _TYPE_MLD2_REPORT:
        iface.timers_at = _TMR_RUN          # a query schedules reports
        mld_rx(iface, t, l4, n, now)
        return
    t = find_socket(iface, _PROTO_ICMPV6, l4)
    if t is not None:
        t.process(iface, l4, n, now)
        return
    t = iface.rx_buf[l4]
    if t < 128:                 # RFC 4443 2.1: an error (icmpv6.is_error)
        iface.stats.icmp_errors_received += 1
    elif t == _TYPE_ECHO_REPLY:
        iface.stats.drop_no_socket += 1
    else:
        # unknown informational messages: RFC 4443 2.4 (b) says discard them
        iface.stats.drop_icmp6_unhandled += 1


def _echo_reply(iface, l4, n):
    """Answer in place (RFC 4443 4.2): drop any extension headers, swap the
    addresses, flip the type. To a multicast request (4.1: SHOULD answer)
    the source is one of our unicast addresses, chosen for the requester."""
    b = iface.rx_buf
    # nobody to answer from :: (walked only when it starts with 0)
    if b[iface.rx_src_off] == 0 and ipv6.is_unspecified(b, iface.rx_src_off):
        iface.stats.drop_bad_src += 1
        return
    if _HLEN + n > iface.ip_mtu:
        # reassembled past the link MTU: the reply would need fragmenting,
        # which smolnet does not do on transmit
        iface.stats.drop_too_big_to_answer += 1
        return
    if l4 != iface.rx_ip_off + _HLEN:
        copy(b, iface.rx_ip_off + _HLEN, b, l4, n)
        l4 = iface.rx_ip_off + _HLEN
    b[l4] = _TYPE_ECHO_REPLY                       # icmpv6.set_type(), inlined
    if iface.rx_cast == _CAST_UNICAST:
        # the addresses swapped (through scratch), which leaves the
        # pseudo-header's sum as it was: the checksum is patched for the
        # type alone. RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m = 0x80cc ->
        # m' = 0x81cc (type 128 -> 129, cc the code): ~m + m' is 0x0100
        copy(iface.scratch, 0, b, iface.rx_src_off, 16)
        copy(b, iface.rx_src_off, b, iface.rx_dst_off, 16)
        copy(b, iface.rx_dst_off, iface.scratch, 0, 16)
        c = (b[l4 + _ICMP_CHECKSUM] << 8) | b[l4 + (_ICMP_CHECKSUM + 1)]
        c = (~c & 0xFFFF) + 0x0100
        c = (c & 0xFFFF) + (c >> 16)
        c = ~c & 0xFFFF
        b[l4 + _ICMP_CHECKSUM] = c >> 8
        b[l4 + (_ICMP_CHECKSUM + 1)] = c & 0xFF
    elif not _reply_from_group(iface, l4, n):
        return
    fill_header(b, iface.rx_ip_off, _PROTO_ICMPV6, n, iface.ip6.hop_limit)
    if iface.link_hlen:
        copy(b, 0, b, 6, 6)
        copy(b, 6, iface.mac, 0, 6)
    iface.stats.icmp_echo_replies += 1
    send_frame(iface, b, iface.link_hlen + _HLEN + n)


def _reply_from_group(iface, l4, n):
    """A multicast echo request's reply: to the requester, from the address
    source selection picks for it, the checksum summed anew (the
    pseudo-header changed). False (counted) if we have no usable address."""
    b = iface.rx_buf
    copy(b, iface.rx_dst_off, b, iface.rx_src_off, 16)
    i = iface.ip6.addrs.select(b, iface.rx_dst_off)
    if i < 0:
        iface.stats.drop_bad_src += 1
        return False
    copy(b, iface.rx_src_off, iface.ip6.addrs.addrs, 16 * i, 16)
    # the pseudo-header's sum (RFC 8200 8.1): the addresses, one run, 58
    # and the length
    i = sum16(b, iface.rx_src_off, 32, _PROTO_ICMPV6) + n
    i = (i & 0xFFFF) + (i >> 16)
    icmpv6.fill_checksum(b, l4, n, i)
    return True


# --- multicast groups (Interface.join_multicast and friends) -------------------
def mld_join(iface, addr):
    """Join the group addr (16 bytes): reported at the next poll (MLD,
    mld.py). True if new, False if joined already; OSError(EINVAL) for
    ff02::1, scopes 0/1 or a unicast address, OSError(ENOMEM) when
    Config.multicast_groups are joined."""
    return iface.ip6.mld.join(addr)


def mld_leave(iface, addr):
    """Leave a group joined with mld_join; False if it was not joined."""
    return iface.ip6.mld.leave(addr)


def mld_groups(iface):
    """The groups joined with mld_join, as strings (allocates)."""
    return iface.ip6.mld.joined_groups()


# --- ICMPv6 errors (RFC 4443 2.4) ------------------------------------------------
def port_unreachable(iface, now):
    """RFC 4443 3.1 code 4, for a UDP datagram no socket wanted."""
    icmp_error(iface, icmpv6.TYPE_DEST_UNREACHABLE, icmpv6.CODE_PORT_UNREACHABLE, 0, now)


def icmp_error(iface, t, code, param, now):
    """An error about the packet in rx_buf, unless 2.4 (e) forbids one or
    the rate limit (2.4 (f), the token bucket IPv4 uses too) says no."""
    b = iface.rx_buf
    ip = iface.rx_ip_off
    lh = iface.link_hlen
    # (e.3)/(e.4)/(e.5): not for multicast (IPv6 or link layer), except
    # packet too big and an option whose type asks for it (code 2)
    if iface.rx_cast != _CAST_UNICAST or (lh and b[0] & 1):
        if t != icmpv6.TYPE_PACKET_TOO_BIG and not (
                t == icmpv6.TYPE_PARAM_PROBLEM and code == icmpv6.CODE_UNKNOWN_OPTION):
            return
    # (e.6): the source must name one node
    if ipv6.is_unspecified(b, iface.rx_src_off):
        return
    end = ip + _HLEN + ipv6.payload_len(b, ip)
    # (e.1)/(e.2): never about an error or a redirect
    if _carries_icmp_error(b, ip, end):
        return
    if not iface.icmp_allowed(now):
        iface.stats.icmp_errors_rate_limited += 1
        return
    q = end - ip
    if q > icmpv6.QUOTE_MAX:
        q = icmpv6.QUOTE_MAX
    off = begin_reply(iface)
    if off < 0:
        return
    room = iface.tx_room - icmpv6.HEADER_LEN
    if q > room:
        q = room
    n = icmpv6.emit_error(iface.tx_buf, off, t, code, param, b, ip, q)
    iface.stats.icmp_errors_sent += 1
    tx_finish(iface, _PROTO_ICMPV6, n)


def _carries_icmp_error(b, ip, end):
    """True if the packet is an ICMPv6 error or redirect, or if that cannot
    be told (a chain that runs off the end): better no error than one
    about an error."""
    nh = b[ip + ipv6.NEXT_HEADER]
    p = ip + _HLEN
    while p < end:
        if nh == _PROTO_ICMPV6:
            t = b[p]
            return icmpv6.is_error(t) or t == icmpv6.TYPE_REDIRECT
        if nh == ipv6.NH_HOPOPT or nh == ipv6.NH_DSTOPTS or nh == ipv6.NH_ROUTING:
            if p + 2 > end:
                return True
            nh = b[p]
            p += ipv6.ext_len(b, p)
        elif nh == ipv6.NH_FRAGMENT:
            if p + ipv6.FRAG_LEN > end:
                return True
            if b[p + _FRAG_OFF] or b[p + (_FRAG_OFF + 1)] & 0xF8:
                # a later fragment cannot tell; RFC 8200 4.5 asks for
                # errors about fragments (length, offset), as Linux sends
                return False
            nh = b[p]
            p += ipv6.FRAG_LEN
        else:
            return False
    return nh == _PROTO_ICMPV6


def begin_reply(iface):
    """Start a reply to the packet in rx_buf: back to the sender's MAC, to
    its address, from the address it was sent to (or, if that was a group,
    the address source selection picks). The L4 offset, or -1 if we have no
    usable source address."""
    copy(iface.tx_dst, 0, iface.rx_buf, iface.rx_src_off, 16)
    if iface.rx_cast == _CAST_UNICAST:
        copy(iface.tx_src, 0, iface.rx_buf, iface.rx_dst_off, 16)
    else:
        i = iface.ip6.addrs.select(iface.rx_buf, iface.rx_src_off)
        if i < 0:
            return -1
        copy(iface.tx_src, 0, iface.ip6.addrs.addrs, 16 * i, 16)
    if iface.link_hlen:
        ethernet.emit(iface.tx_buf, 0, iface.rx_buf, 6, iface.mac, 0, _ETHERTYPE_IPV6)
    iface.tx_alen = 16
    iface.tx_room = (iface.ip6.mtu or iface.ip_mtu) - _HLEN
    return iface.link_hlen + _HLEN


# --- transmit ----------------------------------------------------------------
def tx_begin(iface, now):
    """IPv6 half of Interface.tx_begin (same contract), which has put the
    destination in tx_dst and the source asked for in tx_src (:: if none)."""
    iface.tx_until = -1      # an answer no socket keeps (interface.py)
    # the source: unless one was asked for, RFC 6724's choice for tx_dst
    # (none usable yet: tx_src stays ::)
    if equal(iface.tx_src, 0, _UNSPECIFIED, 0, 16):
        k = iface.ip6.addrs.select(iface.tx_dst, 0)
        if k >= 0:
            copy(iface.tx_src, 0, iface.ip6.addrs.addrs, 16 * k, 16)
    if iface.link_hlen:
        nh = iface.tx_dst       # the next hop: nh at i
        i = 0
        if nh[0] == 0xFF:
            ipv6.multicast_mac(iface.tx_buf, 0, nh, 0)  # RFC 2464 7
        else:
            # RFC 4861 5.2: on-link destinations directly, the rest through
            # a router; none: unreachable (RFC 4943: no on-link assumption)
            if not iface.ip6.addrs.on_link(nh, 0):
                i = iface.ip6.routes.lookup(nh, 0)
                if i < 0:
                    iface.stats.tx_no_route += 1
                    return -2
                if iface.ip6.routes.is_onlink(i):
                    i = 0
                else:
                    nh = iface.ip6.routes.gws
                    i *= 16
            k = neighbor_lookup(iface.neighbors, nh, i, 16, now)
            if k < 0:
                iface.stats.tx_neighbor_pending += 1
                _solicit(iface, nh, i, now)
                return -1
            copy(iface.tx_buf, 0, iface.neighbors.macs, 6 * k, 6)
        copy(iface.tx_buf, 6, iface.mac, 0, 6)
        iface.tx_buf[12] = _ETHERTYPE_IPV6 >> 8     # ethernet.set_ethertype, inlined
        iface.tx_buf[13] = _ETHERTYPE_IPV6 & 0xFF
    iface.tx_room = (iface.ip6.mtu or iface.ip_mtu) - _HLEN
    return iface.link_hlen + _HLEN


def _solicit(iface, nh, i, now):
    # resolve the next hop (the held packet stays with its socket):
    # nd.solicit() puts the solicited-node group in tx_dst, so a next hop
    # that is tx_dst itself is handed over as a copy
    if nh is iface.tx_dst:
        copy(iface.scratch, 0, nh, 0, 16)
        nh = iface.scratch
    nd.solicit(iface, nh, i, now)


def tx_finish(iface, proto, l4len, payload_off=-1, payload_sum=0):
    """IPv6 half of Interface.tx_finish: header, pseudo-header checksum
    (RFC 8200 8.1: mandatory for UDP too), send. An ICMP socket's proto 1
    means ICMPv6 here. payload_off/payload_sum: a TCP payload summed already
    (see Interface.tx_finish)."""
    # five arguments leave six words of the frame: no locals
    if proto == _PROTO_ICMP:
        proto = _PROTO_ICMPV6
    # the header: tx_src and tx_dst copied in, then the rest; multicast
    # leaves with hop limit 1 unless asked otherwise (a socket's hop_limit)
    copy(iface.tx_buf, iface.link_hlen + _SRC, iface.tx_src, 0, 16)
    copy(iface.tx_buf, iface.link_hlen + _DST, iface.tx_dst, 0, 16)
    if not iface.tx_hops:
        iface.tx_hops = _MCAST_HOPS if iface.tx_dst[0] == 0xFF else iface.ip6.hop_limit
    fill_header(iface.tx_buf, iface.link_hlen, proto, l4len, iface.tx_hops)
    iface.tx_hops = 0
    if proto == _PROTO_UDP or proto == _PROTO_TCP or proto == _PROTO_ICMPV6:
        _l4_checksum(iface, proto, l4len, payload_off, payload_sum)
    return send_frame(iface, iface.tx_buf, iface.link_hlen + _HLEN + l4len)


def _l4_checksum(iface, proto, l4len, part_at, part_sum):
    # UDP's, TCP's or ICMPv6's checksum: the pseudo-header (RFC 8200 8.1),
    # whose addresses are the IPv6 header's, one run of 32 bytes; the
    # message's bytes before part_at; and part_sum, what the bytes from
    # part_at sum to (Interface.tx_finish's payload_off and payload_sum).
    # No locals (five arguments): part_at, part_sum and proto are reused
    if part_at < 0:
        part_at = l4len                 # nothing summed yet: all of it here
    elif part_at & 1:
        part_sum = swap16(part_sum)     # RFC 1071 2(B)
    part_sum += proto + l4len
    part_sum = (part_sum & 0xFFFF) + (part_sum >> 16)   # sum16 starts from 16 bits
    part_sum = sum16(iface.tx_buf, iface.link_hlen + _SRC, 32, part_sum)
    if proto == _PROTO_UDP:
        udp.fill_checksum(iface.tx_buf, iface.link_hlen + _HLEN, part_at, part_sum)
        return
    # TCP's or ICMPv6's: the field zeroed, the message summed, the field set
    proto = iface.link_hlen + _HLEN + (_TCP_CHECKSUM if proto == _PROTO_TCP else _ICMP_CHECKSUM)
    iface.tx_buf[proto] = 0
    iface.tx_buf[proto + 1] = 0
    part_sum = ~sum16(iface.tx_buf, iface.link_hlen + _HLEN, part_at, part_sum) & 0xFFFF
    iface.tx_buf[proto] = part_sum >> 8
    iface.tx_buf[proto + 1] = part_sum & 0xFF
