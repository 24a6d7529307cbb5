# IPv6 for the Interface: receive (RFC 8200 header and extension headers,
# ICMPv6 echo and errors per RFC 4443) and transmit (source selection,
# next hop, neighbor resolution). Functions taking the Interface, so
# interface.py only dispatches; Neighbor Discovery itself is in nd.py and
# the address/route tables in addr6.py. Nothing here allocates per packet.
from micropython import const
from ..fast import copy
from ..wire import ethernet, ipv6, icmpv6, udp, checksum
from . import nd, mld

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
_HLEN = const(40)
# copy of smolnet/wire/tcp.py's CHECKSUM (_TCP_CHECKSUM is CHECKSUM there)
_TCP_CHECKSUM = const(16)
_MCAST_HOPS = const(1)   # RFC 3493 5.2: multicast leaves with hop limit 1
# copy of smolnet/wire/ipv6.py's _FRAG_OFF
_FRAG_OFF = const(2)     # RFC 8200 4.5: the Fragment header's offset and M flag


# --- receive ------------------------------------------------------------------
def rx(iface, off, n, now):
    b = iface.rx_buf
    st = iface.stats
    r = ipv6.check(b, off, n)
    if r != ipv6.OK:
        if r == ipv6.ERR_VERSION:
            st.drop_bad_ip_version += 1
        else:
            st.drop_bad_ip_length += 1
        return
    src = off + ipv6.SRC
    dst = off + ipv6.DST
    addrs = iface.ip6.addrs
    if ipv6.is_multicast(b, dst):
        if not addrs.joined(b, dst):
            st.drop_not_for_us += 1
            return
        cast = _CAST_MULTICAST
    elif addrs.mine(b, dst) >= 0:
        cast = _CAST_UNICAST
    elif iface.config.any_ip and not ipv6.is_unspecified(b, dst):
        cast = _CAST_UNICAST    # any-IP: every unicast destination is ours
    else:
        # includes our tentative addresses: RFC 4862 5.4 drops what is sent
        # to them (DAD's own messages go to the solicited-node group)
        st.drop_not_for_us += 1
        return
    # RFC 4291 2.7: a multicast address is never a source; 2.5.3: nor is
    # the loopback address on a link
    if ipv6.is_multicast(b, src) or ipv6.is_loopback(b, src):
        st.drop_bad_src += 1
        return
    iface.rx_ip_off = off
    iface.rx_src_off = src
    iface.rx_dst_off = dst
    iface.rx_alen = 16
    iface.rx_cast = cast
    _walk(iface, off, off + _HLEN + ipv6.payload_len(b, off), cast, now)


def _walk(iface, off, end, cast, now):
    """Follow the next-header chain (RFC 8200 4.1) to the upper layer."""
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
                                                 cast == _CAST_UNICAST):
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
                    r.rx(iface, off, nhp, p, end, cast, now)
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


def _rx_icmp6(iface, l4, l4len, now):
    b = iface.rx_buf
    st = iface.stats
    ps = checksum.pseudo6(b, iface.rx_src_off, b, iface.rx_dst_off, _PROTO_ICMPV6, l4len)
    if not icmpv6.check(b, l4, l4len, ps):
        st.drop_bad_checksum += 1
        return
    t = icmpv6.msg_type(b, l4)
    if t == icmpv6.TYPE_ECHO_REQUEST:
        if l4len < icmpv6.HEADER_LEN:
            st.drop_malformed += 1
            return
        _echo_reply(iface, l4, l4len)
        return
    if t >= icmpv6.TYPE_ROUTER_SOLICIT and t <= icmpv6.TYPE_REDIRECT:
        iface.timers_at = _TMR_RUN          # DAD, router discovery, lifetimes
        nd.rx(iface, t, l4, l4len, now)
        return
    if (t >= icmpv6.TYPE_MLD_QUERY and t <= icmpv6.TYPE_MLD_DONE) or \
            t == icmpv6.TYPE_MLD2_REPORT:
        iface.timers_at = _TMR_RUN          # a query schedules reports
        mld.rx(iface, t, l4, l4len, now)
        return
    s = iface.find_socket(_PROTO_ICMPV6, l4)
    if s is not None:
        s.process(iface, l4, l4len, now)
    elif icmpv6.is_error(t):
        st.icmp_errors_received += 1
    elif t == icmpv6.TYPE_ECHO_REPLY:
        st.drop_no_socket += 1
    else:
        # unknown informational messages: RFC 4443 2.4 (b) says discard them
        st.drop_icmp6_unhandled += 1


def _echo_reply(iface, l4, l4len):
    """Answer in place (RFC 4443 4.2): drop any extension headers, swap the
    addresses, flip the type. To a multicast request (4.1: SHOULD answer)
    the source is one of our unicast addresses, chosen for the requester."""
    b = iface.rx_buf
    ip = iface.rx_ip_off
    src = ip + ipv6.SRC
    dst = ip + ipv6.DST
    if ipv6.is_unspecified(b, src):
        iface.stats.drop_bad_src += 1  # nobody to answer
        return
    if _HLEN + l4len > iface.ip_mtu:
        # reassembled past the link MTU: the reply would need fragmenting,
        # which smolnet does not do on transmit
        iface.stats.drop_too_big_to_answer += 1
        return
    if l4 != ip + _HLEN:
        copy(b, ip + _HLEN, b, l4, l4len)
        l4 = ip + _HLEN
    if iface.rx_cast == _CAST_UNICAST:
        s = iface.scratch
        copy(s, 0, b, src, 16)
        copy(b, src, b, dst, 16)
        copy(b, dst, s, 0, 16)
    else:
        copy(b, dst, b, src, 16)
        i = iface.ip6.addrs.select(b, dst)
        if i < 0:
            iface.stats.drop_bad_src += 1
            return
        copy(b, src, iface.ip6.addrs.addrs, 16 * i, 16)
    v6 = iface.ip6
    b[ip] = 0x60
    b[ip + 1] = 0
    b[ip + 2] = 0
    b[ip + 3] = 0
    b[ip + 4] = l4len >> 8
    b[ip + 5] = l4len & 0xFF
    b[ip + ipv6.NEXT_HEADER] = _PROTO_ICMPV6
    b[ip + ipv6.NEXT_HEADER + 1] = v6.hop_limit
    icmpv6.set_type(b, l4, icmpv6.TYPE_ECHO_REPLY)
    icmpv6.fill_checksum(b, l4, l4len, checksum.pseudo6(b, src, b, dst, _PROTO_ICMPV6, l4len))
    lh = iface.link_hlen
    if lh:
        copy(b, 0, b, 6, 6)
        copy(b, 6, iface.mac, 0, 6)
    iface.stats.icmp_echo_replies += 1
    iface.send_frame(b, lh + _HLEN + l4len)


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
            if b[p + _FRAG_OFF] or b[p + _FRAG_OFF + 1] & 0xF8:
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
    b = iface.rx_buf
    t = iface.tx_buf
    lh = iface.link_hlen
    copy(iface.tx_dst, 0, b, iface.rx_src_off, 16)
    if iface.rx_cast == _CAST_UNICAST:
        copy(iface.tx_src, 0, b, iface.rx_dst_off, 16)
    else:
        a = iface.ip6.addrs
        i = a.select(b, iface.rx_src_off)
        if i < 0:
            return -1
        copy(iface.tx_src, 0, a.addrs, 16 * i, 16)
    if lh:
        ethernet.emit(t, 0, b, 6, iface.mac, 0, ethernet.ETHERTYPE_IPV6)
    iface.tx_alen = 16
    iface.tx_room = mtu(iface) - _HLEN
    return lh + _HLEN


# --- transmit ----------------------------------------------------------------
def mtu(iface):
    m = iface.ip6.mtu
    return m if m else iface.ip_mtu


def tx_begin(iface, now):
    """IPv6 half of Interface.tx_begin (same contract), which has put the
    destination in tx_dst and the source asked for in tx_src (:: if none)."""
    t = iface.tx_buf
    lh = iface.link_hlen
    v6 = iface.ip6
    dst = iface.tx_dst
    _pick_source(iface)
    if lh:
        if ipv6.is_multicast(dst, 0):
            ethernet.ipv6_multicast_mac(t, 0, dst, 0)  # RFC 2464 7
        else:
            nh = dst
            nhoff = 0
            # RFC 4861 5.2: on-link destinations directly, the rest through
            # a router; none: unreachable (RFC 4943: no on-link assumption)
            if not v6.addrs.on_link(dst, 0):
                r = v6.routes
                i = r.lookup(dst, 0)
                if i < 0:
                    iface.stats.tx_no_route += 1
                    return -2
                if not r.is_onlink(i):
                    nh = r.gws
                    nhoff = 16 * i
            j = iface.neighbors.lookup(nh, nhoff, 16, now)
            if j < 0:
                iface.stats.tx_neighbor_pending += 1
                if nh is dst:
                    # solicit() puts the solicited-node group in tx_dst
                    copy(iface.scratch, 0, dst, 0, 16)
                    nh = iface.scratch
                nd.solicit(iface, nh, nhoff, now)
                return -1
            copy(t, 0, iface.neighbors.macs, 6 * j, 6)
        copy(t, 6, iface.mac, 0, 6)
        ethernet.set_ethertype(t, 0, ethernet.ETHERTYPE_IPV6)
    iface.tx_room = mtu(iface) - _HLEN
    return lh + _HLEN


def _pick_source(iface):
    # unless one was asked for (tx_src not ::), RFC 6724's choice for tx_dst
    if not ipv6.is_unspecified(iface.tx_src, 0):
        return
    a = iface.ip6.addrs
    i = a.select(iface.tx_dst, 0)
    if i >= 0:
        copy(iface.tx_src, 0, a.addrs, 16 * i, 16)
    # else no usable address yet: tx_src stays ::


def tx_finish(iface, proto, l4len, payload_off=-1, payload_sum=0):
    """IPv6 half of Interface.tx_finish: header, pseudo-header checksum
    (RFC 8200 8.1: mandatory for UDP too), send. An ICMP socket's proto 1
    means ICMPv6 here. payload_off/payload_sum: a TCP payload summed already
    (see Interface.tx_finish)."""
    t = iface.tx_buf
    ip = iface.link_hlen
    l4 = ip + _HLEN
    if proto == _PROTO_ICMP:
        proto = _PROTO_ICMPV6
    d = iface.tx_dst
    hl = iface.tx_hops or (_MCAST_HOPS if ipv6.is_multicast(d, 0) else iface.ip6.hop_limit)
    iface.tx_hops = 0
    ipv6.emit(t, ip, iface.tx_src, 0, d, 0, proto, l4len, hl)
    ps = checksum.pseudo6(iface.tx_src, 0, d, 0, proto, l4len)
    if proto == _PROTO_UDP:
        udp.fill_checksum(t, l4, l4len, ps)
    elif proto == _PROTO_TCP:
        t[l4 + _TCP_CHECKSUM] = 0
        t[l4 + _TCP_CHECKSUM + 1] = 0
        ps = checksum.sum_with_part(t, l4, l4len, ps, payload_off, payload_sum)
        checksum.put(t, l4 + _TCP_CHECKSUM, checksum.finish(ps))
    elif proto == _PROTO_ICMPV6:
        icmpv6.fill_checksum(t, l4, l4len, ps)
    return iface.send_frame(t, l4 + l4len)
