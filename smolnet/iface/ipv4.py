# IPv4 for the Interface: receive (RFC 791 header, RFC 1122 3.2.1.3
# address filtering, fragments to reasm4.py), ICMPv4 (echo answered in
# place, errors per RFC 1122 3.2.2), transmit (source selection, next hop,
# neighbor resolution) and ARP (RFC 826). Functions taking the Interface,
# as ipv6.py's are for IPv6, so interface.py only dispatches. ARP stays in
# this module (IPv6 has nd.py): it is two functions, and it shares the
# address table walks with the rest. Nothing here allocates per packet.
from micropython import const
from ..fast import copy, equal, fill, sum16, swap16, swap, ip4_header
from ..wire import ethernet, arp, ipv4, icmpv4, ipaddr
from ..wire.ipaddr import is_subnet_broadcast4, same_prefix
from .neighbor import lookup as neighbor_lookup

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
# the header fields read here on every packet: a getter would be a call,
# ipv4.X a dict lookup
# copies of smolnet/wire/ipv4.py's layout and check() results (_HLEN is HEADER_LEN there)
_HLEN = const(20)
_VER_IHL = const(0)
_TOS = const(1)
_TOTAL_LEN = const(2)
_IDENT = const(4)
_FLAGS_FRAG = const(6)
_FLAG_DF = const(0x40)
_FLAG_MF = const(0x20)
_TTL = const(8)
_PROTO = const(9)
_CHECKSUM = const(10)
_SRC = const(12)
_DST = const(16)
_OK = const(0)
_ERR_VERSION = const(2)
_ERR_CHECKSUM = const(4)
# copies of smolnet/wire/icmpv4.py's message types and codes (_ICMP_HLEN is HEADER_LEN there)
_TYPE_ECHO_REPLY = const(0)
_TYPE_DEST_UNREACHABLE = const(3)
_TYPE_ECHO_REQUEST = const(8)
_CODE_PROTO_UNREACHABLE = const(2)
_CODE_PORT_UNREACHABLE = const(3)
_ICMP_HLEN = const(8)
# copy of smolnet/wire/ethernet.py's ETHERTYPE_IPV4
_ETHERTYPE_IPV4 = const(0x0800)
# copy of smolnet/wire/tcp.py's CHECKSUM (_TCP_CHECKSUM is CHECKSUM there)
_TCP_CHECKSUM = const(16)
# copy of smolnet/wire/udp.py's CHECKSUM (_UDP_CHECKSUM is CHECKSUM there)
_UDP_CHECKSUM = const(6)
# copy of smolnet/wire/icmpv4.py's _CHECKSUM (_ICMP_CHECKSUM is _CHECKSUM there)
_ICMP_CHECKSUM = const(2)
# copy of smolnet/fast/__init__.py's IP4_SWAP
_IP4_SWAP = const(0x1000000)
_MIN_FRAME = const(60)       # Ethernet minimum without FCS: pad short frames
# copy of smolnet/iface/interface.py's _DUE_NOW (inlined here; test_const_copies.py checks)
_DUE_NOW = const(-2)

# Every function on the per-packet path keeps its frame within the 11
# words MicroPython keeps on the C stack (arguments + locals + the deepest
# value stack; tools/frame_sizes.py): a larger one comes from the heap on
# every call. Hence index loops (a range loop costs two words more), hot
# functions imported by name (a call through a module costs one more),
# few locals, and the rare branches in functions of their own. A field's
# second byte is at off + (FIELD + 1): MicroPython folds constants only
# when they are grouped (off + FIELD + 1 is two additions at run time).


# --- the address table (Interface.addrs4, plens4, n4) ----------------------------
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
    """The IPv4 packet at off in rx_buf, n bytes with any link padding."""
    b = iface.rx_buf
    # the usual header (version 4, IHL 5: 20 bytes, no options) is
    # checked here, anything else by ipv4.check (its verdict counted); n:
    # the payload's length from here on (total length minus the header's)
    if n >= _HLEN and b[off] == 0x45 and sum16(b, off, _HLEN, 0) == 0xFFFF and \
            _HLEN <= (b[off + _TOTAL_LEN] << 8) | b[off + (_TOTAL_LEN + 1)] <= n:
        n = ((b[off + _TOTAL_LEN] << 8) | b[off + (_TOTAL_LEN + 1)]) - _HLEN
    else:
        n = _rx_check(iface, off, n)
        if n < 0:
            return
    # the destination: our first address (the common case), then the
    # others, broadcasts and groups
    if iface.n4 and equal(iface.addrs4, 0, b, off + _DST, 4) or _is_mine(iface, b, off + _DST):
        iface.rx_cast = _CAST_UNICAST
    elif not _rx_cast_other(iface, b, off + _DST):
        return
    # RFC 1122 3.2.1.3: discard a source that is multicast or broadcast.
    # The address table is walked only for a last byte ending in binary 11:
    # every broadcast ends so (host bits all ones, two at least: RFC 3021)
    if b[off + _SRC] & 0xF0 == 0xE0 or (b[off + (_SRC + 3)] & 3 == 3 and (
            ipaddr.is_broadcast4(b, off + _SRC) or _is_subnet_broadcast(iface, b, off + _SRC))):
        iface.stats.drop_bad_src += 1
        return
    if b[off + _FLAGS_FRAG] & (_FLAG_MF | 0x1F) or b[off + (_FLAGS_FRAG + 1)]:
        _rx_fragment(iface, off, now)   # MF or an offset: RFC 791 3.1
        return
    iface.rx_ip_off = off
    iface.rx_src_off = off + _SRC
    iface.rx_dst_off = off + _DST
    iface.rx_alen = 4
    # past the header (IHL: its 32-bit words); b: the protocol from here on
    b = b[off + _PROTO]
    off += (iface.rx_buf[off] & 0x0F) << 2
    if b == _PROTO_UDP:
        iface.rx_udp(off, n, now)
    elif b == _PROTO_TCP:
        iface.rx_tcp(off, n, now)
    elif b == _PROTO_ICMP:
        _rx_icmp(iface, off, n, now)
    else:
        _rx_other(iface, off, n, now)


def _rx_check(iface, off, n):
    """A header with options, or a bad one: the payload's length, or -1
    (counted) when ipv4.check rejects it."""
    b = iface.rx_buf
    n = ipv4.check(b, off, n)
    if n == _OK:
        return ((b[off + _TOTAL_LEN] << 8) | b[off + (_TOTAL_LEN + 1)]) - \
            ((b[off + _VER_IHL] & 0x0F) << 2)
    if n == _ERR_CHECKSUM:
        iface.stats.drop_bad_checksum += 1
    elif n == _ERR_VERSION:
        iface.stats.drop_bad_ip_version += 1
    else:
        iface.stats.drop_bad_ip_length += 1
    return -1


def _rx_cast_other(iface, b, dst):
    """Sets rx_cast for a destination that is none of our addresses; False
    (counted) if the packet is not for us."""
    if b[dst + 3] & 3 == 3 and (ipaddr.is_broadcast4(b, dst) or _is_subnet_broadcast(iface, b, dst)):
        iface.rx_cast = _CAST_BROADCAST
    elif b[dst] & 0xF0 == 0xE0 and _is_joined(iface, b, dst):      # 224.0.0.0/4
        iface.rx_cast = _CAST_MULTICAST
    elif iface.config.any_ip and b[dst] & 0xF0 != 0xE0 and not ipaddr.is_unspecified4(b, dst):
        iface.rx_cast = _CAST_UNICAST    # any-IP: every unicast destination is ours
    else:
        iface.stats.drop_not_for_us += 1
        return False
    return True


def _rx_fragment(iface, off, now):
    # held until whole; the rebuilt datagram comes back through rx()
    if iface.reasm4 is None:
        iface.stats.drop_fragment += 1
    else:
        iface.timers_at = _TMR_RUN      # its expiry is one of poll()'s timers
        iface.reasm4.rx(iface, off, iface.rx_cast, now)


def _rx_other(iface, l4, l4len, now):
    # neither UDP nor TCP nor ICMP: IGMP, or a protocol we do not speak
    if iface.rx_buf[iface.rx_ip_off + _PROTO] == _PROTO_IGMP and iface.igmp is not None:
        iface.timers_at = _TMR_RUN          # a query schedules reports
        iface.igmp.rx(iface, l4, l4len, now)
        return
    iface.stats.drop_unknown_protocol += 1
    # RFC 1122 3.2.2.1: protocol unreachable for unknown transports
    if iface.rx_cast == _CAST_UNICAST:
        icmp_error(iface, _TYPE_DEST_UNREACHABLE, _CODE_PROTO_UNREACHABLE, now)


def _rx_icmp(iface, l4, l4len, now):
    # the checksum covers the whole message (RFC 792; icmpv4.check, inlined)
    if l4len < _ICMP_HLEN or sum16(iface.rx_buf, l4, l4len, 0) != 0xFFFF:
        iface.stats.drop_bad_checksum += 1
        return
    if iface.rx_buf[l4] == _TYPE_ECHO_REQUEST:       # the type: the first byte
        if iface.rx_cast != _CAST_UNICAST:
            iface.stats.drop_icmp_broadcast += 1  # RFC 1122 3.2.2.6 MAY discard
            return
        _echo_reply(iface, l4, l4len)
        return
    s = find_socket(iface, _PROTO_ICMP, l4)
    if s is not None:
        s.process(iface, l4, l4len, now)
    elif icmpv4.is_error(iface.rx_buf[l4]):
        iface.stats.icmp_errors_received += 1
    else:
        iface.stats.drop_no_socket += 1


def _echo_reply(iface, l4, l4len):
    # reply in place: flip the type, patch the checksum, the IP header
    # rewritten into the reply's, the link addresses swapped. One local
    # (fast.ip4_header's call takes seven words of the frame's 11): the IP
    # header's offset read again from rx_ip_off
    b = iface.rx_buf
    if l4 != iface.rx_ip_off + _HLEN:
        _drop_options(iface, l4, l4len)     # the request's IP options
        l4 = iface.rx_ip_off + _HLEN
    b[l4] = _TYPE_ECHO_REPLY                         # icmpv4.set_type(), inlined
    # RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') with m = 0x0800, m' = 0,
    # which is HC + 0x0800 with the carry added back, but for the one HC
    # (0xF7FF) where that gives 0xFFFF and eqn. 3 gives 0
    l4 = ((b[l4 + 2] << 8) | b[l4 + 3]) + 0x0800     # l4: the checksum from here on
    l4 = (l4 & 0xFFFF) + (l4 >> 16)
    if l4 == 0xFFFF:
        l4 = 0
    b[iface.rx_ip_off + (_HLEN + 2)] = l4 >> 8
    b[iface.rx_ip_off + (_HLEN + 3)] = l4 & 0xFF
    # the IP header as ipv4.fill_header writes one, in one fast.ip4_header
    # call: the addresses exchanged in place (IP4_SWAP), TOS 0, a new
    # identification, no flags (it was no fragment: RFC 791's offset is 0
    # already), our TTL; the version, the length (no options) and the
    # protocol as they were. l4: its TTL and protocol from here on, l4len
    # its length and identification
    iface.ident4 = (iface.ident4 + 1) & 0xFFFF
    l4 = (iface.ttl << 8) | (_IP4_SWAP | _PROTO_ICMP)
    l4len = ((_HLEN + l4len) << 16) | iface.ident4
    ip4_header(b, iface.rx_ip_off, b, b, l4len, l4)
    if iface.link_hlen:
        if b[0] & 1:
            # to a group MAC address (its IP destination was ours): back
            # to the sender, from our own
            copy(b, 0, b, 6, 6)
            copy(b, 6, iface.mac, 0, 6)
        else:
            swap(b, 0, 6, 6)    # to ours (the Interface's MAC filter): exchanged
    iface.stats.icmp_echo_replies += 1
    send_frame(iface, b, iface.link_hlen + (l4len >> 16))


def _drop_options(iface, l4, l4len):
    # (the rare echo request with IP options) its message moved up to
    # follow a 20-byte header, whose length fields say so
    b = iface.rx_buf
    ip = iface.rx_ip_off
    copy(b, ip + _HLEN, b, l4, l4len)
    b[ip + _VER_IHL] = 0x45
    l4len += _HLEN
    b[ip + _TOTAL_LEN] = l4len >> 8
    b[ip + (_TOTAL_LEN + 1)] = l4len & 0xFF


def send_frame(iface, buf, n):
    """Interface.send_frame() (the contract in interface.py), a function
    here for the same reason as find_socket() below: a call costs less."""
    if iface.link_hlen and n < _MIN_FRAME:
        fill(buf, n, _MIN_FRAME - n, 0)
        n = _MIN_FRAME
    if iface.device.send(buf, n) is False:
        iface.stats.tx_device_full += 1
        return False
    iface.stats.tx_frames += 1
    return True


def find_socket(iface, proto, l4):
    """Interface.find_socket() (the contract in interface.py): the first
    exact match (2), else the first wildcard (1). Here, a function, for
    this module and interface.py (which imports it) to call: the method's
    name is looked for among the Interface's 43 instance names first, and
    its hash lands in their longest run (39 slots probed)."""
    # an index loop and no local for the list keep the frame within 11 words
    best = None
    i = 0
    while i < len(iface.sockets):
        s = iface.sockets[i]
        if s.proto == proto:
            sc = s.accepts(iface, l4)
            if sc == 2:
                best = s
                break
            if sc == 1 and best is None:
                best = s
        i += 1
    if best is not None:
        best.due_at = _DUE_NOW      # the packet is for it: dispatch it next
    return best


# --- ICMPv4 errors (RFC 1122 3.2.2) ------------------------------------------------
def port_unreachable(iface, now):
    """RFC 1122 4.1.3.1, for a UDP datagram no socket wanted."""
    icmp_error(iface, _TYPE_DEST_UNREACHABLE, _CODE_PORT_UNREACHABLE, now)


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
def tx_begin(iface, now, pick):
    """IPv4 half of Interface.tx_begin (same contract), which has put the
    destination in tx_dst and, unless pick, the source asked for in tx_src
    (0.0.0.0: none asked for after all)."""
    pick = _pick_source(iface, pick)    # pick: True if tx_dst is on a connected prefix
    if iface.link_hlen:
        nh = iface.tx_dst       # the next hop: nh at i
        i = 0
        # the table is walked only for a last byte ending in binary 11 (see rx())
        if nh[3] & 3 == 3 and (ipaddr.is_broadcast4(nh, 0) or _is_subnet_broadcast(iface, nh, 0)):
            copy(iface.tx_buf, 0, ethernet.BROADCAST, 0, 6)
            iface.tx_until = -1
        elif nh[0] & 0xF0 == 0xE0:
            ethernet.ipv4_multicast_mac(iface.tx_buf, 0, nh, 0)     # 224.0.0.0/4
            iface.tx_until = -1
        else:
            if not pick:
                i = iface.routes.lookup(nh, 0)
                if i < 0:
                    iface.stats.tx_no_route += 1
                    return -2
                nh = iface.routes.gws
            pick = neighbor_lookup(iface.neighbors, nh, i, 4, now)    # pick: its entry from here
            if pick < 0:
                iface.stats.tx_neighbor_pending += 1
                _arp_request(iface, nh, i, now)
                return -1
            copy(iface.tx_buf, 0, iface.neighbors.macs, 6 * pick, 6)
            # the answer holds while the entry lives (neighbor.lookup):
            # its stamp, for a socket that keeps the answer
            iface.tx_until = iface.neighbors.stamp[pick]
        copy(iface.tx_buf, 6, iface.mac, 0, 6)
        iface.tx_buf[12] = _ETHERTYPE_IPV4 >> 8     # ethernet.set_ethertype, inlined
        iface.tx_buf[13] = _ETHERTYPE_IPV4 & 0xFF
    else:
        iface.tx_until = -1
    iface.tx_room = iface.ip_mtu - _HLEN
    return iface.link_hlen + _HLEN


def _pick_source(iface, pick):
    """The source in tx_src if pick (or tx_src is 0.0.0.0: none asked for):
    our address whose prefix holds tx_dst, else the first, else 0.0.0.0 (no
    address yet: DHCP). True if tx_dst is on a connected prefix."""
    # the prefix's whole bytes in one native compare; same_prefix only for
    # a prefix that ends inside a byte
    i = 0
    while i < iface.n4:
        if equal(iface.tx_dst, 0, iface.addrs4, 4 * i, iface.plens4[i] >> 3) and \
                (not iface.plens4[i] & 7 or
                 same_prefix(iface.tx_dst, 0, iface.addrs4, 4 * i, iface.plens4[i])):
            break
        i += 1
    if not pick:
        s = iface.tx_src
        pick = not (s[0] or s[1] or s[2] or s[3])
    if pick:
        if i < iface.n4:
            copy(iface.tx_src, 0, iface.addrs4, 4 * i, 4)
        elif iface.n4:
            copy(iface.tx_src, 0, iface.addrs4, 0, 4)
        else:
            fill(iface.tx_src, 0, 4, 0)
    return i < iface.n4


def tx_finish(iface, proto, l4len, payload_off=-1, payload_sum=0):
    """IPv4 half of Interface.tx_finish: header, checksums, send. (The
    Interface runs these steps itself, a call fewer for every packet sent;
    this is for the errors sent from here.)"""
    # five arguments leave six words of the frame: no locals
    header(iface, proto, l4len)
    if proto == _PROTO_UDP or proto == _PROTO_TCP or proto == _PROTO_ICMP:
        l4_checksum(iface, proto, l4len, payload_off, payload_sum)
    return send_frame(iface, iface.tx_buf, iface.link_hlen + _HLEN + l4len)


def header(iface, proto, l4len):
    # the IPv4 header of the packet in tx_buf (ipv4.fill_header's, every
    # packet sent has one), in one fast.ip4_header call: tx_src and tx_dst
    # (tx_src may have changed since tx_begin: DHCP's 0.0.0.0), then the
    # rest. No locals (that call's seven words and the three arguments
    # fill the frame's 11): l4len becomes the length and identification,
    # proto the flags, TTL and protocol
    iface.ident4 = (iface.ident4 + 1) & 0xFFFF
    l4len = ((l4len + _HLEN) << 16) | iface.ident4
    # DF on TCP, as Linux sends it (path MTU discovery, RFC 1191)
    if proto == _PROTO_TCP:
        proto = (_FLAG_DF << 16) | _PROTO_TCP
    # the socket's TTL (tx_hops, put back to 0 here), else ours; RFC 1112
    # 6.1: multicast leaves with TTL 1 unless asked otherwise (mDNS: 255)
    if iface.tx_hops:
        proto |= iface.tx_hops << 8
        iface.tx_hops = 0
    elif iface.tx_dst[0] & 0xF0 == 0xE0:
        proto |= 1 << 8
    else:
        proto |= iface.ttl << 8
    ip4_header(iface.tx_buf, iface.link_hlen, iface.tx_src, iface.tx_dst, l4len, proto)


def l4_checksum(iface, proto, l4len, part_at, part_sum):
    # the ICMP, UDP or TCP checksum: for UDP and TCP over the pseudo-header
    # (RFC 768, RFC 9293 3.1), whose addresses are the IPv4 header's, one
    # run of 8 bytes; then the message's bytes before part_at; and
    # part_sum, what the bytes from part_at sum to (Interface.tx_finish's
    # payload_off and payload_sum). No locals (five arguments): the
    # arguments are reused
    if part_at < 0:
        part_at = l4len                 # nothing summed yet: all of it here
    elif part_at & 1:
        part_sum = swap16(part_sum)     # RFC 1071 2(B)
    if proto != _PROTO_ICMP:
        part_sum += proto + l4len
        part_sum = (part_sum & 0xFFFF) + (part_sum >> 16)   # sum16 starts from 16 bits
        part_sum = sum16(iface.tx_buf, iface.link_hlen + _SRC, 8, part_sum)
    # l4len: the checksum's offset in tx_buf from here on
    l4len = iface.link_hlen + _HLEN + (_UDP_CHECKSUM if proto == _PROTO_UDP else
                                       _TCP_CHECKSUM if proto == _PROTO_TCP else _ICMP_CHECKSUM)
    iface.tx_buf[l4len] = 0
    iface.tx_buf[l4len + 1] = 0
    part_sum = ~sum16(iface.tx_buf, iface.link_hlen + _HLEN, part_at, part_sum) & 0xFFFF
    if part_sum == 0 and proto == _PROTO_UDP:
        part_sum = 0xFFFF               # RFC 768: a computed zero is sent as all ones
    iface.tx_buf[l4len] = part_sum >> 8
    iface.tx_buf[l4len + 1] = part_sum & 0xFF


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
    send_frame(iface, b, _ETH + arp.LEN)


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
    send_frame(iface, t, _ETH + arp.LEN)
