# The Interface: turns frames from a Device into socket input and socket
# output into frames. One rx buffer and one tx buffer, both preallocated;
# headers are parsed and answered in place (ARP and echo replies reuse the
# received frame). Nothing on the per-frame path allocates.
#
# The socket contract (duck-typed; see smolnet/socket/udp.py for an example):
#   sock.proto                            IP protocol number served
#   sock.accepts(iface, l4_off) -> int    0 not mine, 1 wildcard, 2 exact
#   sock.process(iface, l4_off, l4_len, now)   one validated inbound packet;
#       context: iface.rx_buf, rx_src_off, rx_dst_off, rx_alen, rx_cast
#   sock.dispatch(iface, now) -> bool     emit at most one packet
#   sock.poll_at(now) -> int              ms until dispatch is due, -1 never
# and, to transmit from dispatch() (or from process() for a stateless
# answer to the packet in hand, as the Interface answers a closed port: a
# TcpListener's SYN cookie SYN-ACK, which a queue for dispatch() would let a
# SYN flood fill):
#   off = iface.tx_begin(dst, doff, alen, src_or_None, soff, now)
#       L4 offset in iface.tx_buf; -1 neighbor pending (ARP/NS sent, keep
#       the packet), -2 no route. Sets iface.tx_src and iface.tx_room.
#   iface.tx_finish(proto, l4_len, payload_off=-1, payload_sum=0) -> bool
#       IP header, L4 checksum, send. payload_off >= 0: the L4 bytes from
#       payload_off to l4_len were already summed into payload_sum (a folded
#       sum16, e.g. TCP sums its payload while copying it in): only the bytes
#       before them are read again.
# alen 4 is IPv4 (here); alen 16 is IPv6, whose logic lives in ipv6.py,
# nd.py and addr6.py (loaded only when Config.ipv6 is on).
from micropython import const
from time import ticks_diff
from ..config import Config
from ..fast import copy, equal, fill
from ..phy.device import MEDIUM_ETHERNET
from ..wire import ethernet, arp, ipv4, icmpv4, udp, ipaddr, checksum
from .neighbor import NeighborCache
from .route import Routes
from .stats import Stats

_ETH = const(14)
_MIN_FRAME = const(60)       # Ethernet minimum without FCS: pad short frames
_ICMP_QUOTE_MAX = const(548)  # RFC 1812 4.3.2.3: error datagram <= 576 bytes
_CAST_UNICAST = const(0)
_CAST_BROADCAST = const(1)
_CAST_MULTICAST = const(2)
# copies of smolnet/wire/ipv4.py's protocol numbers (inlined here; test_const_copies.py checks)
_PROTO_ICMP = const(1)
_PROTO_IGMP = const(2)
_PROTO_TCP = const(6)
_PROTO_UDP = const(17)
# copy of smolnet/wire/tcp.py's CHECKSUM (_TCP_CHECKSUM is CHECKSUM there)
_TCP_CHECKSUM = const(16)


class Interface:
    def __init__(self, device, config=None):
        cfg = config if config is not None else Config()
        self.config = cfg
        self.device = device
        self.medium = device.medium
        eth = self.medium == MEDIUM_ETHERNET
        mac = cfg.mac if cfg.mac is not None else device.mac
        if eth and (mac is None or len(mac) != 6):
            raise ValueError("an Ethernet interface needs a 6-byte MAC address")
        self.mac = bytes(mac) if eth else None
        self.link_hlen = _ETH if eth else 0
        self.mtu = device.mtu
        self.ip_mtu = self.mtu - self.link_hlen
        self.rx_buf = bytearray(self.mtu)
        self.tx_buf = bytearray(self.mtu)
        self.tx_src = bytearray(16)
        self.tx_room = 0
        self._tx_dst = bytearray(16)
        self._tx_alen = 4            # family of the packet tx_begin started
        self._scratch = bytearray(16)
        self._ip4 = bytearray(4 * cfg.addrs)
        self._plen4 = bytearray(cfg.addrs)
        self._n4 = 0
        self.neighbors = NeighborCache(cfg.neighbors, cfg.neighbor_ttl_ms, cfg.neighbor_retry_ms)
        self.neighbor_retry_ms = cfg.neighbor_retry_ms
        self.routes = Routes(cfg.routes)
        self.stats = Stats()
        self.sockets = []
        self.ttl = cfg.ttl
        self._rx_more = False       # the last poll() left frames in the device
        self._ident = 0
        self._icmp_tokens = cfg.icmp_error_burst
        self._icmp_refill = 0
        # context of the packet being delivered (see the contract above)
        self.rx_src_off = 0
        self.rx_dst_off = 0
        self.rx_alen = 4
        self.rx_cast = _CAST_UNICAST
        self.rx_ip_off = 0
        # IPv6 (RFC 8200): its state, and its code as a module so builds
        # without IPv6 need not carry it
        self.ip6 = None
        self.routes6 = None
        self._v6 = None
        self._nd = None
        if cfg.ipv6:
            from . import ipv6 as v6mod, nd
            from .addr6 import Ip6State
            self._v6 = v6mod
            self._nd = nd
            self.ip6 = Ip6State(cfg, self.mac)
            self.routes6 = self.ip6.routes
        # IPv4 multicast groups and IGMP (RFC 3376); MLD for IPv6 lives
        # with the IPv6 code (ipv6.py, mld.py)
        self._igmp = None
        if cfg.multicast_groups:
            from .igmp import Igmp
            self._igmp = Igmp(cfg)
        # IPv4 fragment reassembly (reasm4.py); off: fragments are dropped
        self._reasm = None
        self._reasm6 = None      # IPv6's (reasm6.py), called from ipv6.py
        if cfg.reassembly_slots and cfg.reassembly_size:
            from .reasm4 import Reassembler4
            self._reasm = Reassembler4(cfg, self.link_hlen)
            if cfg.ipv6:
                from .reasm6 import Reassembler6
                self._reasm6 = Reassembler6(cfg, self.link_hlen)

    # --- configuration (allocates; not for the hot path) ----------------
    def add_ip(self, cidr):
        """Add an address: "192.0.2.2/24" or "2001:db8::2/64" (no prefix
        length: /32 or /128)."""
        if ":" in cidr:
            return self._add_ip6(cidr)
        addr, plen = ipaddr.parse_cidr4(cidr)
        for i in range(self._n4):
            if equal(self._ip4, 4 * i, addr, 0, 4):
                self._plen4[i] = plen
                return
        if self._n4 == len(self._plen4):
            raise OSError(12)  # ENOMEM: Config.addrs is full
        copy(self._ip4, 4 * self._n4, addr, 0, 4)
        self._plen4[self._n4] = plen
        self._n4 += 1

    def _need6(self):
        if self.ip6 is None:
            raise OSError(95)  # EOPNOTSUPP: Config(ipv6=False)
        return self.ip6

    def _add_ip6(self, cidr):
        self._need6().add_cidr(cidr)

    def remove_ip(self, cidr):
        if ":" in cidr:
            return self._need6().remove_cidr(cidr)
        addr, _ = ipaddr.parse_cidr4(cidr)
        for i in range(self._n4):
            if equal(self._ip4, 4 * i, addr, 0, 4):
                last = self._n4 - 1
                copy(self._ip4, 4 * i, self._ip4, 4 * last, 4)
                self._plen4[i] = self._plen4[last]
                self._n4 = last
                return True
        return False

    def clear_ips(self):
        """Forget every address but the automatic IPv6 link-local one."""
        self._n4 = 0
        if self.ip6 is not None:
            self.ip6.clear()

    def ips(self):
        """The IPv4 addresses, 'a.b.c.d/len' (IPv6: ips6())."""
        return ["%s/%d" % (ipaddr.fmt4(self._ip4, 4 * i), self._plen4[i])
                for i in range(self._n4)]

    def ips6(self):
        """The IPv6 addresses, 'addr/len', with 'tentative' or 'deprecated'
        after those not preferred (RFC 4862 5.5.4)."""
        return self.ip6.addrs.entries() if self.ip6 is not None else []

    def ip4(self, i=0):
        """The i-th IPv4 address as bytes, or None."""
        return bytes(self._ip4[4 * i:4 * i + 4]) if i < self._n4 else None

    def join_multicast(self, group):
        """Join a multicast group, '233.252.0.1' or 'ff05::db8:1': frames
        to it are accepted from now on, and the membership is reported to
        routers (IGMP, RFC 3376; MLD, RFC 3810) at the next poll() and
        whenever they ask. Joining twice is harmless. OSError(EINVAL) for a
        unicast address, OSError(ENOMEM) when Config.multicast_groups are
        all taken."""
        if ":" in group:
            self._need6()
            return self._v6.mld_join(self, ipaddr.parse6(group))
        return self._need_igmp().join(ipaddr.parse4(group))

    def leave_multicast(self, group):
        """Leave a group joined with join_multicast (routers are told at
        the next poll()). False if it was not joined."""
        if ":" in group:
            self._need6()
            return self._v6.mld_leave(self, ipaddr.parse6(group))
        return self._need_igmp().leave(ipaddr.parse4(group))

    def multicast_groups(self):
        """The groups joined with join_multicast, as strings (IPv4 first)."""
        g = self._igmp.groups() if self._igmp is not None else []
        if self._v6 is not None:
            g += self._v6.mld_groups(self)
        return g

    def _need_igmp(self):
        if self._igmp is None:
            raise OSError(95)  # EOPNOTSUPP: Config(multicast_groups=0)
        return self._igmp

    def add_socket(self, sock):
        if sock not in self.sockets:
            self.sockets.append(sock)
        return sock

    def remove_socket(self, sock):
        if sock in self.sockets:
            self.sockets.remove(sock)

    # --- the engine -----------------------------------------------------
    def poll(self, now):
        """Do all work that is due. True if anything was received or sent."""
        # split in parts that each keep their frame within MicroPython's 11
        # words on the C stack (tools/frame_sizes.py checks): a larger frame
        # would be taken from the heap on every poll, idle ones included
        did = self._timers(now)
        if self._rx_safe(now):
            did = True
        if self._dispatch(now):
            did = True
        return did

    def _timers(self, now):
        did = False
        if self._nd is not None:
            self._nd.poll(self, now)   # DAD, router solicitations, lifetimes, MLD
        if self._igmp is not None and self._igmp.poll(self, now):
            did = True
        r = self._reasm
        if r is not None and r.busy and r.expire(self, now):
            did = True
        r = self._reasm6
        if r is not None and r.busy and r.expire(self, now):
            did = True
        return did

    def _rx_safe(self, now):
        try:
            return self._rx_burst(now)
        except Exception:  # a bug, not bad input: count, keep running
            # (no `as e`: it would cost the frame another exception entry
            # and push it onto the heap; Config(strict=True) shows it)
            self.stats.drop_internal_error += 1
            if self.config.strict:
                raise
            self._rx_more = True    # the rest of the burst on the next poll
            return True

    def _rx_burst(self, now):
        dev = self.device
        buf = self.rx_buf
        budget = self.config.rx_budget
        while budget > 0:
            n = dev.recv_into(buf)
            if n <= 0:
                break
            budget -= 1
            self.stats.rx_frames += 1
            self._rx_frame(n, now)
        # out of budget: frames may still wait in the device, and a MAC that
        # raises its interrupt on an edge will not raise it again until it
        # is drained, so poll_delay() must ask for another poll at once
        self._rx_more = budget == 0
        return budget != self.config.rx_budget

    def _dispatch(self, now):
        # an index, not `for s in` (an iterator takes 4 words of the frame),
        # and tx_burst read in place: 11 words, on the C stack
        did = False
        socks = self.sockets
        i = 0
        while i < len(socks):
            s = socks[i]
            k = 0
            while k < self.config.tx_burst and s.dispatch(self, now):
                k += 1
                did = True
            i += 1
        return did

    def poll_delay(self, now):
        """ms until poll() is due again; -1: nothing is due until a frame arrives."""
        if self._rx_more:
            return 0
        d = -1
        if self._nd is not None:
            d = self._nd.delay(self, now)
        if self._igmp is not None:
            t = self._igmp.delay(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
        r = self._reasm
        if r is not None and r.busy:
            t = r.delay(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
        r = self._reasm6
        if r is not None and r.busy:
            t = r.delay(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
        return self._sockets_delay(d, now)

    def _sockets_delay(self, d, now):
        socks = self.sockets
        i = 0
        n = len(socks)
        while i < n:
            t = socks[i].poll_at(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
                if d == 0:
                    break
            i += 1
        return d

    # --- receive --------------------------------------------------------
    def _rx_frame(self, n, now):
        b = self.rx_buf
        if self.link_hlen == 0:
            if n >= 1 and b[0] >> 4 == 4:
                self._rx_ipv4(0, n, now)
            elif n >= 1 and b[0] >> 4 == 6 and self._v6 is not None:
                self._v6.rx(self, 0, n, now)
            else:
                self.stats.drop_unknown_ethertype += 1
            return
        if n < _ETH:
            self.stats.drop_short += 1
            return
        # MAC filter: ours, broadcast or multicast (the IP layer filters groups)
        if not (b[0] & 1 or equal(b, 0, self.mac, 0, 6)):
            self.stats.drop_not_for_us += 1
            return
        et = ethernet.ethertype(b, 0)
        if et == ethernet.ETHERTYPE_IPV4:
            self._rx_ipv4(_ETH, n - _ETH, now)
        elif et == ethernet.ETHERTYPE_ARP:
            self._rx_arp(_ETH, n - _ETH, now)
        elif et == ethernet.ETHERTYPE_IPV6 and self._v6 is not None:
            self._v6.rx(self, _ETH, n - _ETH, now)
        else:
            self.stats.drop_unknown_ethertype += 1

    def _is_mine4(self, buf, off):
        for i in range(self._n4):
            if equal(self._ip4, 4 * i, buf, off, 4):
                return True
        return False

    def _rx_arp(self, off, n, now):
        b = self.rx_buf
        st = self.stats
        if not arp.check(b, off, n):
            st.drop_bad_arp += 1
            return
        spa = off + arp.SPA
        sha = off + arp.SHA
        for_us = self._is_mine4(b, off + arp.TPA)
        # never learn a broadcast/multicast MAC or the 0.0.0.0 of a probe
        # (RFC 5227 2.1.1)
        if not b[sha] & 1 and not ipaddr.is_unspecified4(b, spa):
            if for_us:
                self.neighbors.fill(b, spa, 4, b, sha, now)
            else:
                self.neighbors.update(b, spa, 4, b, sha, now)
        if not for_us:
            st.drop_not_for_us += 1
            return
        if arp.operation(b, off) != arp.OP_REQUEST:
            return
        # answer in place: the request becomes the reply
        s = self._scratch
        copy(s, 0, b, sha, 6)
        copy(s, 6, b, spa, 4)
        copy(s, 10, b, off + arp.TPA, 4)
        arp.emit(b, off, arp.OP_REPLY, self.mac, 0, s, 10, s, 0, s, 6)
        ethernet.emit(b, 0, s, 0, self.mac, 0, ethernet.ETHERTYPE_ARP)
        st.arp_replies += 1
        self._send(b, _ETH + arp.LEN)

    def _rx_ipv4(self, off, n, now):
        b = self.rx_buf
        st = self.stats
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
        if self._is_mine4(b, dst):
            cast = _CAST_UNICAST
        elif ipaddr.is_broadcast4(b, dst) or self._is_subnet_broadcast(b, dst):
            cast = _CAST_BROADCAST
        elif ipaddr.is_multicast4(b, dst) and self._is_joined4(b, dst):
            cast = _CAST_MULTICAST
        elif self.config.any_ip and not ipaddr.is_multicast4(b, dst) and \
                not ipaddr.is_unspecified4(b, dst):
            cast = _CAST_UNICAST    # any-IP: every unicast destination is ours
        else:
            st.drop_not_for_us += 1
            return
        # RFC 1122 3.2.1.3: discard a source that is broadcast or multicast
        if ipaddr.is_multicast4(b, src) or ipaddr.is_broadcast4(b, src) or \
                self._is_subnet_broadcast(b, src):
            st.drop_bad_src += 1
            return
        if ipv4.is_fragment(b, off):
            # held until whole; the rebuilt datagram comes back through here
            if self._reasm is None:
                st.drop_fragment += 1
            else:
                self._reasm.rx(self, off, cast, now)
            return
        hl = ipv4.header_len(b, off)
        l4 = off + hl
        l4len = ipv4.total_len(b, off) - hl
        self.rx_ip_off = off
        self.rx_src_off = src
        self.rx_dst_off = dst
        self.rx_alen = 4
        self.rx_cast = cast
        p = ipv4.protocol(b, off)
        if p == _PROTO_UDP:
            self._rx_udp(l4, l4len, now)
        elif p == _PROTO_ICMP:
            self._rx_icmp4(l4, l4len, now)
        elif p == _PROTO_TCP:
            self._rx_tcp(l4, l4len, now)
        elif p == _PROTO_IGMP and self._igmp is not None:
            self._igmp.rx(self, l4, l4len, now)
        else:
            st.drop_unknown_protocol += 1
            # RFC 1122 3.2.2.1: protocol unreachable for unknown transports
            if cast == _CAST_UNICAST:
                self._icmp_error(icmpv4.TYPE_DEST_UNREACHABLE,
                                 icmpv4.CODE_PROTO_UNREACHABLE, now)

    def _is_subnet_broadcast(self, buf, off):
        for i in range(self._n4):
            if ipaddr.is_subnet_broadcast4(buf, off, self._ip4, 4 * i, self._plen4[i]):
                return True
        return False

    def _is_joined4(self, buf, off):
        # 224.0.0.1, all systems (RFC 1112 4), and the groups joined
        if buf[off] == 224 and buf[off + 1] == 0 and buf[off + 2] == 0 and buf[off + 3] == 1:
            return True
        return self._igmp is not None and self._igmp.joined(buf, off)

    def _find_socket(self, proto, l4):
        best = None
        best_score = 0
        for s in self.sockets:
            if s.proto == proto:
                sc = s.accepts(self, l4)
                if sc > best_score:
                    best = s
                    best_score = sc
                    if sc == 2:
                        break
        return best

    def _rx_udp(self, l4, l4len, now):
        b = self.rx_buf
        st = self.stats
        if l4len < udp.HEADER_LEN:
            st.drop_malformed += 1
            return
        ul = udp.length(b, l4)
        if ul < udp.HEADER_LEN or ul > l4len:
            st.drop_malformed += 1
            return
        v4 = self.rx_alen == 4
        # RFC 8200 8.1: the IPv6 pseudo-header, and a zero checksum is invalid
        ps = checksum.pseudo(b, self.rx_src_off, b, self.rx_dst_off, self.rx_alen, _PROTO_UDP, ul)
        if not udp.check(b, l4, l4len, ps, v4):
            st.drop_bad_checksum += 1
            return
        s = self._find_socket(_PROTO_UDP, l4)
        if s is None:
            st.drop_no_socket += 1
            # RFC 1122 4.1.3.1: port unreachable, but never for broadcast or
            # multicast datagrams (3.2.2; RFC 4443 2.4 (e.3) on IPv6)
            if self.rx_cast == _CAST_UNICAST:
                if v4:
                    self._icmp_error(icmpv4.TYPE_DEST_UNREACHABLE,
                                     icmpv4.CODE_PORT_UNREACHABLE, now)
                else:
                    self._v6.port_unreachable(self, now)
            return
        s.process(self, l4, ul, now)

    def _rx_tcp(self, l4, l4len, now):
        b = self.rx_buf
        st = self.stats
        if l4len < 20 or (b[l4 + 12] >> 4) * 4 < 20 or (b[l4 + 12] >> 4) * 4 > l4len:
            st.drop_malformed += 1
            return
        ps = checksum.pseudo(b, self.rx_src_off, b, self.rx_dst_off, self.rx_alen, _PROTO_TCP,
                             l4len)
        if not checksum.verify(b, l4, l4len, ps):
            st.drop_bad_checksum += 1
            return
        s = self._find_socket(_PROTO_TCP, l4)
        if s is None:
            st.drop_no_socket += 1
            if self.rx_cast == _CAST_UNICAST:
                self._tcp_rst_reply(l4, l4len, now)
            return
        s.process(self, l4, l4len, now)

    def _tcp_rst_reply(self, l4, l4len, now):
        # RFC 9293 3.10.7.1: a segment to a closed port gets a RST; the
        # segment layout is TCP's business (smolnet.wire.tcp, imported late
        # so builds without TCP do not load it)
        b = self.rx_buf
        if b[l4 + 13] & 0x04:  # never answer a RST
            return
        try:
            from ..wire import tcp
        except ImportError:
            return
        off = self._begin_reply() if self.rx_alen == 4 else self._v6.begin_reply(self)
        if off < 0:
            return
        n = tcp.emit_rst_reply(self.tx_buf, off, b, l4, l4len)
        if n > 0:
            self.tx_finish(_PROTO_TCP, n)

    def _rx_icmp4(self, l4, l4len, now):
        b = self.rx_buf
        st = self.stats
        if not icmpv4.check(b, l4, l4len):
            st.drop_bad_checksum += 1
            return
        t = icmpv4.msg_type(b, l4)
        if t == icmpv4.TYPE_ECHO_REQUEST:
            if self.rx_cast != _CAST_UNICAST:
                st.drop_icmp_broadcast += 1  # RFC 1122 3.2.2.6 MAY discard
                return
            self._echo_reply(l4, l4len)
            return
        s = self._find_socket(_PROTO_ICMP, l4)
        if s is not None:
            s.process(self, l4, l4len, now)
        elif icmpv4.is_error(t):
            st.icmp_errors_received += 1
        else:
            st.drop_no_socket += 1

    def _echo_reply(self, l4, l4len):
        # reply in place: swap addresses, flip the type, patch the checksum
        b = self.rx_buf
        ip = self.rx_ip_off
        lh = self.link_hlen
        if l4 != ip + ipv4.HEADER_LEN:  # drop the request's IP options
            copy(b, ip + ipv4.HEADER_LEN, b, l4, l4len)
            l4 = ip + ipv4.HEADER_LEN
        s = self._scratch
        copy(s, 0, b, self.rx_src_off, 4)
        copy(s, 4, b, self.rx_dst_off, 4)
        self._ident = (self._ident + 1) & 0xFFFF
        ipv4.emit(b, ip, s, 4, s, 0, _PROTO_ICMP, l4len, self.ttl, self._ident, False)
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
            copy(b, 6, self.mac, 0, 6)
        self.stats.icmp_echo_replies += 1
        self._send(b, lh + ipv4.HEADER_LEN + l4len)

    # --- ICMP errors ----------------------------------------------------
    def _icmp_allowed(self, now):
        cfg = self.config
        if self._icmp_tokens < cfg.icmp_error_burst:
            k = ticks_diff(now, self._icmp_refill) // cfg.icmp_error_interval_ms
            if k > 0:
                self._icmp_tokens += k
                if self._icmp_tokens > cfg.icmp_error_burst:
                    self._icmp_tokens = cfg.icmp_error_burst
                self._icmp_refill = now
        if self._icmp_tokens == 0:
            return False
        if self._icmp_tokens == cfg.icmp_error_burst:
            self._icmp_refill = now
        self._icmp_tokens -= 1
        return True

    def _begin_reply(self):
        """Start a reply to the packet in rx_buf: link header back to its
        sender's MAC, IPv4 addresses swapped. Returns the L4 offset."""
        b = self.rx_buf
        t = self.tx_buf
        lh = self.link_hlen
        if lh:
            ethernet.emit(t, 0, b, 6, self.mac, 0, ethernet.ETHERTYPE_IPV4)
        copy(self.tx_src, 0, b, self.rx_dst_off, 4)
        copy(self._tx_dst, 0, b, self.rx_src_off, 4)
        self._tx_alen = 4
        self.tx_room = self.ip_mtu - ipv4.HEADER_LEN
        return lh + ipv4.HEADER_LEN

    def _icmp_error(self, t, code, now):
        # RFC 1122 3.2.2: not about ICMP errors, non-first fragments or
        # sources that are not a single host
        b = self.rx_buf
        ip = self.rx_ip_off
        if ipaddr.is_unspecified4(b, self.rx_src_off):
            return
        if ipv4.protocol(b, ip) == _PROTO_ICMP:
            l4 = ip + ipv4.header_len(b, ip)
            if icmpv4.is_error(icmpv4.msg_type(b, l4)):
                return
        if not self._icmp_allowed(now):
            self.stats.icmp_errors_rate_limited += 1
            return
        q = ipv4.total_len(b, ip)
        if q > _ICMP_QUOTE_MAX:
            q = _ICMP_QUOTE_MAX
        if q > self.ip_mtu - ipv4.HEADER_LEN - icmpv4.HEADER_LEN:
            q = self.ip_mtu - ipv4.HEADER_LEN - icmpv4.HEADER_LEN
        off = self._begin_reply()
        n = icmpv4.emit_error(self.tx_buf, off, t, code, b, ip, q)
        self.stats.icmp_errors_sent += 1
        self.tx_finish(_PROTO_ICMP, n)

    # --- transmit -------------------------------------------------------
    def tx_begin(self, dst, doff, alen, src, soff, now):
        if alen != 4:
            if alen == 16 and self._v6 is not None:
                return self._v6.tx_begin(self, dst, doff, src, soff, now)
            self.stats.tx_no_route += 1
            return -2  # no IPv6 in this Config
        t = self.tx_buf
        lh = self.link_hlen
        on_link = self._pick_source(dst, doff, src, soff)
        if lh:
            if ipaddr.is_broadcast4(dst, doff) or self._is_subnet_broadcast(dst, doff):
                copy(t, 0, ethernet.BROADCAST, 0, 6)
            elif ipaddr.is_multicast4(dst, doff):
                ethernet.ipv4_multicast_mac(t, 0, dst, doff)
            else:
                nh, nhoff = dst, doff
                if not on_link:
                    g = self.routes.lookup(dst, doff)
                    if g < 0:
                        self.stats.tx_no_route += 1
                        return -2
                    nh, nhoff = self.routes.gws, g
                i = self.neighbors.lookup(nh, nhoff, 4, now)
                if i < 0:
                    self.stats.tx_neighbor_pending += 1
                    self._arp_request(nh, nhoff, now)
                    return -1
                copy(t, 0, self.neighbors.macs, 6 * i, 6)
            copy(t, 6, self.mac, 0, 6)
            ethernet.set_ethertype(t, 0, ethernet.ETHERTYPE_IPV4)
        copy(self._tx_dst, 0, dst, doff, 4)
        self._tx_alen = 4
        self.tx_room = self.ip_mtu - ipv4.HEADER_LEN
        return lh + ipv4.HEADER_LEN

    def _pick_source(self, dst, doff, src, soff):
        """Sets tx_src; True if dst is on a connected prefix."""
        on_link = -1
        for i in range(self._n4):
            if ipaddr.same_prefix(dst, doff, self._ip4, 4 * i, self._plen4[i]):
                on_link = i
                break
        if src is not None and not ipaddr.is_unspecified4(src, soff):
            copy(self.tx_src, 0, src, soff, 4)
        elif on_link >= 0:
            copy(self.tx_src, 0, self._ip4, 4 * on_link, 4)
        elif self._n4:
            copy(self.tx_src, 0, self._ip4, 0, 4)
        else:
            fill(self.tx_src, 0, 4, 0)  # no address yet (DHCP): 0.0.0.0
        return on_link >= 0

    def _arp_request(self, nh, nhoff, now):
        if not self.neighbors.request_due(nh, nhoff, 4, now):
            return
        t = self.tx_buf
        ethernet.emit(t, 0, ethernet.BROADCAST, 0, self.mac, 0, ethernet.ETHERTYPE_ARP)
        z = self._scratch
        fill(z, 0, 6, 0)
        arp.emit(t, _ETH, arp.OP_REQUEST, self.mac, 0, self.tx_src, 0, z, 0, nh, nhoff)
        self.stats.arp_requests += 1
        self._send(t, _ETH + arp.LEN)

    def tx_finish(self, proto, l4len, payload_off=-1, payload_sum=0):
        if self._tx_alen == 16:
            return self._v6.tx_finish(self, proto, l4len, payload_off, payload_sum)
        t = self.tx_buf
        ip = self.link_hlen
        l4 = ip + ipv4.HEADER_LEN
        self._ident = (self._ident + 1) & 0xFFFF
        # RFC 1112 6.1: multicast leaves with TTL 1 unless asked otherwise
        ttl = 1 if self._tx_dst[0] & 0xF0 == 0xE0 else self.ttl
        ipv4.emit(t, ip, self.tx_src, 0, self._tx_dst, 0, proto, l4len, ttl,
                  self._ident, proto == _PROTO_TCP)
        if proto == _PROTO_UDP:
            ps = checksum.pseudo4(self.tx_src, 0, self._tx_dst, 0, _PROTO_UDP, l4len)
            udp.fill_checksum(t, l4, l4len, ps)
        elif proto == _PROTO_TCP:
            ps = checksum.pseudo4(self.tx_src, 0, self._tx_dst, 0, _PROTO_TCP, l4len)
            t[l4 + _TCP_CHECKSUM] = 0
            t[l4 + _TCP_CHECKSUM + 1] = 0
            ps = checksum.sum_with_part(t, l4, l4len, ps, payload_off, payload_sum)
            checksum.put(t, l4 + _TCP_CHECKSUM, checksum.finish(ps))
        elif proto == _PROTO_ICMP:
            icmpv4.fill_checksum(t, l4, l4len)
        return self._send(t, l4 + l4len)

    def _send(self, buf, n):
        if self.link_hlen and n < _MIN_FRAME:
            fill(buf, n, _MIN_FRAME - n, 0)
            n = _MIN_FRAME
        if self.device.send(buf, n) is False:
            self.stats.tx_device_full += 1
            return False
        self.stats.tx_frames += 1
        return True
