# IPv4 for the Interface: receive (RFC 791 header, RFC 1122 3.2.1.3
# address filtering, fragments to reasm4.py), ICMPv4 (echo answered in
# place, errors per RFC 1122 3.2.2), transmit (source selection, next hop,
# neighbor resolution) and ARP (RFC 826). Functions taking the Interface,
# as ipv6.py's are for IPv6, so interface.py only dispatches. ARP stays in
# this module (IPv6 has nd.py): it is two functions, and it shares the
# address table walks with the rest. Nothing here allocates per packet.
from micropython import const
from ..fast import copy, equal, fill
from ..wire import ethernet, arp, ipv4, icmpv4, udp, ipaddr, checksum
from ..wire.ipaddr import is_subnet_broadcast4

_ETH = const(14)
_ICMP_QUOTE_MAX = const(548)  # RFC 1812 4.3.2.3: error datagram <= 576 bytes
# copies of smolnet/iface/interface.py's rx_cast values (inlined here; test_const_copies.py checks)
_CAST_UNICAST = const(0)
_CAST_BROADCAST = const(1)
_CAST_MULTICAST = const(2)
# copy of smolnet/iface/interface.py's _TMR_RUN (inlined here; test_const_copies.py checks)
_TMR_RUN = const(-2)
# copies of smolnet/wire/ipv4.py's protocol numbers
_PROTO_ICMP = const(1)
_PROTO_IGMP = const(2)
_PROTO_TCP = const(6)
_PROTO_UDP = const(17)
# copy of smolnet/wire/tcp.py's CHECKSUM (_TCP_CHECKSUM is CHECKSUM there)
_TCP_CHECKSUM = const(16)


# --- the address table (Interface.addrs4, plens4, n4) ----------------------------
# Both run for every IPv4 frame: index loops, not `for i in range()`, and
# is_subnet_broadcast4 imported by name, not looked up on ipaddr, keep
# their frames within 11 words, on the C stack (tools/frame_sizes.py: a
# range loop costs two more, a call through a module one more)
def _is_mine(iface, buf, off):
    i = 0
    while i < iface.n4:
        if equal(iface.addrs4, 4 * i, buf, off, 4):
            return True
        i += 1
    return False


def _is_subnet_broadcast(iface, buf, off):
    i = 0
    while i < iface.n4:
        if is_subnet_broadcast4(buf, off, iface.addrs4, 4 * i, iface.plens4[i]):
            return True
        i += 1
    return False


def _is_joined(iface, buf, off):
    # 224.0.0.1, all systems (RFC 1112 4), and the groups joined
    if buf[off] == 224 and buf[off + 1] == 0 and buf[off + 2] == 0 and buf[off + 3] == 1:
        return True
    return iface.igmp is not None and iface.igmp.joined(buf, off)


# --- receive ------------------------------------------------------------------
def rx(iface, off, n, now):
    b = iface.rx_buf
    st = iface.stats
    r = ipv4.check(b, off, n)
    if r != ipv4.OK:
        if r == ipv4.ERR_CHECKSUM:
            st.drop_bad_checksum += 1
        elif r == ipv4.ERR_VERSION:
            st.drop_bad_ip_version += 1
        else:
            st.drop_bad_ip_length += 1
        return
    src = off + ipv4.SRC
    dst = off + ipv4.DST
    if _is_mine(iface, b, dst):
        cast = _CAST_UNICAST
    elif ipaddr.is_broadcast4(b, dst) or _is_subnet_broadcast(iface, b, dst):
        cast = _CAST_BROADCAST
    elif ipaddr.is_multicast4(b, dst) and _is_joined(iface, b, dst):
        cast = _CAST_MULTICAST
    elif iface.config.any_ip and not ipaddr.is_multicast4(b, dst) and \
            not ipaddr.is_unspecified4(b, dst):
        cast = _CAST_UNICAST    # any-IP: every unicast destination is ours
    else:
        st.drop_not_for_us += 1
        return
    # RFC 1122 3.2.1.3: discard a source that is broadcast or multicast
    if ipaddr.is_multicast4(b, src) or ipaddr.is_broadcast4(b, src) or \
            _is_subnet_broadcast(iface, b, src):
        st.drop_bad_src += 1
        return
    if ipv4.is_fragment(b, off):
        # held until whole; the rebuilt datagram comes back through here
        if iface.reasm4 is None:
            st.drop_fragment += 1
        else:
            iface.timers_at = _TMR_RUN      # its expiry is one of poll()'s timers
            iface.reasm4.rx(iface, off, cast, now)
        return
    hl = ipv4.header_len(b, off)
    l4 = off + hl
    l4len = ipv4.total_len(b, off) - hl
    iface.rx_ip_off = off
    iface.rx_src_off = src
    iface.rx_dst_off = dst
    iface.rx_alen = 4
    iface.rx_cast = cast
    p = ipv4.protocol(b, off)
    if p == _PROTO_UDP:
        iface.rx_udp(l4, l4len, now)
    elif p == _PROTO_ICMP:
        _rx_icmp(iface, l4, l4len, now)
    elif p == _PROTO_TCP:
        iface.rx_tcp(l4, l4len, now)
    elif p == _PROTO_IGMP and iface.igmp is not None:
        iface.timers_at = _TMR_RUN          # a query schedules reports
        iface.igmp.rx(iface, l4, l4len, now)
    else:
        st.drop_unknown_protocol += 1
        # RFC 1122 3.2.2.1: protocol unreachable for unknown transports
        if cast == _CAST_UNICAST:
            icmp_error(iface, icmpv4.TYPE_DEST_UNREACHABLE, icmpv4.CODE_PROTO_UNREACHABLE, now)


def _rx_icmp(iface, l4, l4len, now):
    b = iface.rx_buf
    st = iface.stats
    if not icmpv4.check(b, l4, l4len):
        st.drop_bad_checksum += 1
        return
    t = icmpv4.msg_type(b, l4)
    if t == icmpv4.TYPE_ECHO_REQUEST:
        if iface.rx_cast != _CAST_UNICAST:
            st.drop_icmp_broadcast += 1  # RFC 1122 3.2.2.6 MAY discard
            return
        _echo_reply(iface, l4, l4len)
        return
    s = iface.find_socket(_PROTO_ICMP, l4)
    if s is not None:
        s.process(iface, l4, l4len, now)
    elif icmpv4.is_error(t):
        st.icmp_errors_received += 1
    else:
        st.drop_no_socket += 1


def _echo_reply(iface, l4, l4len):
    # reply in place: swap addresses, flip the type, patch the checksum
    b = iface.rx_buf
    ip = iface.rx_ip_off
    lh = iface.link_hlen
    if l4 != ip + ipv4.HEADER_LEN:  # drop the request's IP options
        copy(b, ip + ipv4.HEADER_LEN, b, l4, l4len)
        l4 = ip + ipv4.HEADER_LEN
    s = iface.scratch
    copy(s, 0, b, iface.rx_src_off, 4)
    copy(s, 4, b, iface.rx_dst_off, 4)
    iface.ident4 = (iface.ident4 + 1) & 0xFFFF
    ipv4.emit(b, ip, s, 4, s, 0, _PROTO_ICMP, l4len, iface.ttl, iface.ident4, False)
    icmpv4.set_type(b, l4, icmpv4.TYPE_ECHO_REPLY)
    # RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m = 0x0800 -> m' = 0
    c = (b[l4 + 2] << 8) | b[l4 + 3]
    c = (~c & 0xFFFF) + 0xF7FF
    c = (c & 0xFFFF) + (c >> 16)
    c = ~c & 0xFFFF
    b[l4 + 2] = c >> 8
    b[l4 + 3] = c & 0xFF
    if lh:
        copy(b, 0, b, 6, 6)
        copy(b, 6, iface.mac, 0, 6)
    iface.stats.icmp_echo_replies += 1
    iface.send_frame(b, lh + ipv4.HEADER_LEN + l4len)


# --- ICMPv4 errors (RFC 1122 3.2.2) ------------------------------------------------
def port_unreachable(iface, now):
    """RFC 1122 4.1.3.1, for a UDP datagram no socket wanted."""
    icmp_error(iface, icmpv4.TYPE_DEST_UNREACHABLE, icmpv4.CODE_PORT_UNREACHABLE, now)


def icmp_error(iface, t, code, now):
    """An error about the packet in rx_buf: not about ICMP errors, non-first
    fragments or sources that are not a single host (3.2.2), and within the
    rate limit (Interface.icmp_allowed)."""
    b = iface.rx_buf
    ip = iface.rx_ip_off
    if ipaddr.is_unspecified4(b, iface.rx_src_off):
        return
    if ipv4.protocol(b, ip) == _PROTO_ICMP:
        l4 = ip + ipv4.header_len(b, ip)
        if icmpv4.is_error(icmpv4.msg_type(b, l4)):
            return
    if not iface.icmp_allowed(now):
        iface.stats.icmp_errors_rate_limited += 1
        return
    q = ipv4.total_len(b, ip)
    if q > _ICMP_QUOTE_MAX:
        q = _ICMP_QUOTE_MAX
    if q > iface.ip_mtu - ipv4.HEADER_LEN - icmpv4.HEADER_LEN:
        q = iface.ip_mtu - ipv4.HEADER_LEN - icmpv4.HEADER_LEN
    off = begin_reply(iface)
    n = icmpv4.emit_error(iface.tx_buf, off, t, code, b, ip, q)
    iface.stats.icmp_errors_sent += 1
    tx_finish(iface, _PROTO_ICMP, n)


def begin_reply(iface):
    """Start a reply to the packet in rx_buf: link header back to its
    sender's MAC, IPv4 addresses swapped. Returns the L4 offset."""
    b = iface.rx_buf
    t = iface.tx_buf
    lh = iface.link_hlen
    if lh:
        ethernet.emit(t, 0, b, 6, iface.mac, 0, ethernet.ETHERTYPE_IPV4)
    copy(iface.tx_src, 0, b, iface.rx_dst_off, 4)
    copy(iface.tx_dst, 0, b, iface.rx_src_off, 4)
    iface.tx_alen = 4
    iface.tx_room = iface.ip_mtu - ipv4.HEADER_LEN
    return lh + ipv4.HEADER_LEN


# --- transmit ----------------------------------------------------------------
def tx_begin(iface, dst, doff, src, soff, now):
    """IPv4 half of Interface.tx_begin (same contract)."""
    t = iface.tx_buf
    lh = iface.link_hlen
    on_link = _pick_source(iface, dst, doff, src, soff)
    if lh:
        if ipaddr.is_broadcast4(dst, doff) or _is_subnet_broadcast(iface, dst, doff):
            copy(t, 0, ethernet.BROADCAST, 0, 6)
        elif ipaddr.is_multicast4(dst, doff):
            ethernet.ipv4_multicast_mac(t, 0, dst, doff)
        else:
            nh, nhoff = dst, doff
            if not on_link:
                g = iface.routes.lookup(dst, doff)
                if g < 0:
                    iface.stats.tx_no_route += 1
                    return -2
                nh, nhoff = iface.routes.gws, g
            i = iface.neighbors.lookup(nh, nhoff, 4, now)
            if i < 0:
                iface.stats.tx_neighbor_pending += 1
                _arp_request(iface, nh, nhoff, now)
                return -1
            copy(t, 0, iface.neighbors.macs, 6 * i, 6)
        copy(t, 6, iface.mac, 0, 6)
        ethernet.set_ethertype(t, 0, ethernet.ETHERTYPE_IPV4)
    copy(iface.tx_dst, 0, dst, doff, 4)
    iface.tx_alen = 4
    iface.tx_room = iface.ip_mtu - ipv4.HEADER_LEN
    return lh + ipv4.HEADER_LEN


def _pick_source(iface, dst, doff, src, soff):
    """Sets tx_src; True if dst is on a connected prefix."""
    on_link = -1
    for i in range(iface.n4):
        if ipaddr.same_prefix(dst, doff, iface.addrs4, 4 * i, iface.plens4[i]):
            on_link = i
            break
    if src is not None and not ipaddr.is_unspecified4(src, soff):
        copy(iface.tx_src, 0, src, soff, 4)
    elif on_link >= 0:
        copy(iface.tx_src, 0, iface.addrs4, 4 * on_link, 4)
    elif iface.n4:
        copy(iface.tx_src, 0, iface.addrs4, 0, 4)
    else:
        fill(iface.tx_src, 0, 4, 0)  # no address yet (DHCP): 0.0.0.0
    return on_link >= 0


def tx_finish(iface, proto, l4len, payload_off=-1, payload_sum=0):
    """IPv4 half of Interface.tx_finish: header, checksums, send."""
    t = iface.tx_buf
    ip = iface.link_hlen
    l4 = ip + ipv4.HEADER_LEN
    d = iface.tx_dst
    iface.ident4 = (iface.ident4 + 1) & 0xFFFF
    # RFC 1112 6.1: multicast leaves with TTL 1 unless asked otherwise
    # (a socket's hop_limit, e.g. mDNS's 255)
    ttl = iface.tx_hops or (1 if d[0] & 0xF0 == 0xE0 else iface.ttl)
    iface.tx_hops = 0
    ipv4.emit(t, ip, iface.tx_src, 0, d, 0, proto, l4len, ttl, iface.ident4, proto == _PROTO_TCP)
    if proto == _PROTO_UDP:
        ps = checksum.pseudo4(iface.tx_src, 0, d, 0, _PROTO_UDP, l4len)
        udp.fill_checksum(t, l4, l4len, ps)
    elif proto == _PROTO_TCP:
        ps = checksum.pseudo4(iface.tx_src, 0, d, 0, _PROTO_TCP, l4len)
        t[l4 + _TCP_CHECKSUM] = 0
        t[l4 + _TCP_CHECKSUM + 1] = 0
        ps = checksum.sum_with_part(t, l4, l4len, ps, payload_off, payload_sum)
        checksum.put(t, l4 + _TCP_CHECKSUM, checksum.finish(ps))
    elif proto == _PROTO_ICMP:
        icmpv4.fill_checksum(t, l4, l4len)
    return iface.send_frame(t, l4 + l4len)


# --- ARP (RFC 826) -------------------------------------------------------------
def rx_arp(iface, off, n, now):
    b = iface.rx_buf
    st = iface.stats
    if not arp.check(b, off, n):
        st.drop_bad_arp += 1
        return
    spa = off + arp.SPA
    sha = off + arp.SHA
    for_us = _is_mine(iface, b, off + arp.TPA)
    # never learn a broadcast/multicast MAC or the 0.0.0.0 of a probe
    # (RFC 5227 2.1.1)
    if not b[sha] & 1 and not ipaddr.is_unspecified4(b, spa):
        if for_us:
            iface.neighbors.fill(b, spa, 4, b, sha, now)
        else:
            iface.neighbors.update(b, spa, 4, b, sha, now)
    if not for_us:
        st.drop_not_for_us += 1
        return
    if arp.operation(b, off) != arp.OP_REQUEST:
        return
    # answer in place: the request becomes the reply
    s = iface.scratch
    copy(s, 0, b, sha, 6)
    copy(s, 6, b, spa, 4)
    copy(s, 10, b, off + arp.TPA, 4)
    arp.emit(b, off, arp.OP_REPLY, iface.mac, 0, s, 10, s, 0, s, 6)
    ethernet.emit(b, 0, s, 0, iface.mac, 0, ethernet.ETHERTYPE_ARP)
    st.arp_replies += 1
    iface.send_frame(b, _ETH + arp.LEN)


def _arp_request(iface, nh, nhoff, now):
    """Resolve nh (the held packet stays with its socket), at most one
    request per neighbor per Config.neighbor_retry_ms."""
    if not iface.neighbors.request_due(nh, nhoff, 4, now):
        return
    t = iface.tx_buf
    ethernet.emit(t, 0, ethernet.BROADCAST, 0, iface.mac, 0, ethernet.ETHERTYPE_ARP)
    z = iface.scratch
    fill(z, 0, 6, 0)
    arp.emit(t, _ETH, arp.OP_REQUEST, iface.mac, 0, iface.tx_src, 0, z, 0, nh, nhoff)
    iface.stats.arp_requests += 1
    iface.send_frame(t, _ETH + arp.LEN)
