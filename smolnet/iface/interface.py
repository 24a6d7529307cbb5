# The Interface: turns frames from a Device into socket input and socket
# output into frames. One rx buffer and one tx buffer, both preallocated;
# headers are parsed and answered in place (ARP and echo replies reuse the
# received frame). Nothing on the per-frame path allocates.
#
# This class keeps the engine (poll, timers, dispatch by ethertype), what
# both IP versions share (UDP and TCP delivery, the ICMP error rate limit,
# sending a frame) and the configuration. Each IP version is a module of
# functions taking the Interface: ipv4.py (with ARP and ICMPv4), and
# ipv6.py (with nd.py, mld.py and addr6.py; loaded only when Config.ipv6
# is on).
#
# The socket contract (duck-typed; see smolnet/socket/udp.py for an example):
#   sock.proto                            IP protocol number served
#   sock.accepts(iface, l4_off) -> int    0 not mine, 1 wildcard, 2 exact
#   sock.process(iface, l4_off, l4_len, now)   one validated inbound packet;
#       context: iface.rx_buf, rx_src_off, rx_dst_off, rx_alen, rx_cast
#   sock.dispatch(iface, now) -> bool     emit at most one packet
#   sock.poll_at(now) -> int              ms until dispatch is due, -1 never
#   sock.due_at                           the Interface's note of when to
#       dispatch it next: ticks, _DUE_NEVER (until something happens) or
#       _DUE_NOW (the next poll). poll() dispatches a socket only when due,
#       until dispatch() says False, then notes poll_at(); add_socket(), a
#       packet delivered to it and a neighbor that becomes reachable set
#       _DUE_NOW, and so must the socket's own calls that give dispatch()
#       work (a send, a close...): `self.due_at = -2`. Work a socket finds
#       on its own, a timer, must show in poll_at(). A socket whose
#       process() knows that the packet gave dispatch() nothing to do and
#       that nothing else waits (a datagram socket with an empty tx ring)
#       may put it back to _DUE_NEVER: `self.due_at = -1`; so may a
#       dispatch() that sent the last packet it had (it is then asked
#       neither again nor poll_at() in that poll).
#       A socket whose poll_at() says 0 whenever dispatch() has anything
#       to do (TcpSocket) may set _DUE_ASK (`self.due_at = -3`) in
#       dispatch(): after a packet sent, the Interface then asks poll_at()
#       whether another is due now instead of calling dispatch() again (a
#       dispatch() that finds nothing costs more, and poll_at() follows it
#       anyway).
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
#   iface.tx_until, iface.neighbors.gen: a socket may keep the answer of its
#       last tx_begin() (the link header in tx_buf[:14] and tx_src) while
#       neighbors.gen stays what it was and for neighbors.ttl_ms after the
#       ticks in tx_until (-1: not to be kept), and meanwhile write them
#       itself (with tx_dst, tx_alen, tx_room) instead of calling
#       tx_begin() (tcp_emit.emit, datagram.begin_head: IPv4 over
#       Ethernet, the only answers with a tx_until)
#   until = iface.keep_answer(hdr)  after such a tx_begin(): its link
#       header into hdr[0:14], its source into hdr[14:18]; the ticks until
#       which the answer holds
# alen 4 is IPv4 (ipv4.py); alen 16 is IPv6 (ipv6.py).
#
# The protocol module contract: what ipv4.py, ipv6.py, nd.py, mld.py,
# igmp.py, reasm4.py and reasm6.py may use besides the above. Every name
# with an underscore is this class's own: no other module touches one
# (host_tests/test_layering.py checks).
#   config, device, mac, link_hlen (0: no link header), mtu, ip_mtu, ttl,
#   stats, neighbors (neighbor.py, ARP's and ND's), routes (IPv4), sockets,
#   ip6 (addr6.Ip6State; None without IPv6)
#   addrs4, plens4, n4   the IPv4 addresses: n4 of them, 4 bytes each in
#                        addrs4, their prefix lengths in plens4
#   ident4               the IPv4 Identification last sent
#   igmp, reasm4, reasm6 igmp.Igmp and the reassemblers; None when off
#   rx_ip_off, rx_src_off, rx_dst_off, rx_alen, rx_cast
#                        the context of the packet being delivered, set by
#                        ipv4.rx() and ipv6.rx() (and by the reassemblers
#                        for the error they send); rx_cast: _CAST_* below.
#                        As in both headers, rx_dst_off is rx_src_off +
#                        rx_alen (the pseudo-header sums them as one run)
#   tx_dst, tx_alen      the destination and family (4 or 16) of the
#                        packet in tx_buf: with tx_src and tx_room, set by
#                        tx_begin() or a module's begin_reply(). tx_begin()
#                        copies its dst and src (zeros for None) there
#                        first, then calls the family's tx_begin(iface,
#                        now), which picks a source when tx_src is zeros
#   tx_hops              the TTL / hop limit of the packet in tx_buf when
#                        its socket sets one (set just before tx_finish(),
#                        which reads it and puts it back to 0: the default,
#                        Config.ttl or 1 for multicast)
#   scratch              16 bytes for the duration of one call
#   send_frame(buf, n) -> bool   pad to the Ethernet minimum, send, count
#   find_socket(proto, l4) -> sock or None   the best sock.accepts()
#   rx_udp(l4, l4len, now), rx_tcp(l4, l4len, now)
#       the datagram or segment at l4 of the packet in context: checksum,
#       deliver, or answer a closed port (ICMP port unreachable, RST)
#   timers_at            when poll() next runs the protocol timers (ND, MLD,
#                        IGMP, reassembly): a module whose state a frame
#                        changes sets it to _TMR_RUN before handing it over
#   icmp_allowed(now) -> bool    the ICMP error rate limit both families
#       share (RFC 1812 4.3.2.8, RFC 4443 2.4 (f)): True takes a token
from micropython import const
from time import ticks_add, ticks_diff
from ..config import Config
from ..fast import copy, equal, fill, sum16
from ..wire import ipaddr
from . import ipv4 as v4
from .ipv4 import rx as v4_rx, tx_begin as v4_tx_begin, header as v4_header, \
    l4_checksum as v4_l4_checksum, find_socket as _find_socket, send_frame as _send_frame
from .neighbor import NeighborCache, moved as _moved
from .route import Routes
from .stats import Stats

_ETH = const(14)
# copy of smolnet/phy/device.py's MEDIUM_ETHERNET
_MEDIUM_ETHERNET = const(1)
# copies of smolnet/wire/ethernet.py's EtherType field and values (_ETH_TYPE is TYPE there)
_ETH_TYPE = const(12)
_ETHERTYPE_IPV4 = const(0x0800)
_ETHERTYPE_ARP = const(0x0806)
_ETHERTYPE_IPV6 = const(0x86DD)
# rx_cast: how the packet being delivered was addressed (ipv4.py, ipv6.py
# and nd.py keep copies)
_CAST_UNICAST = const(0)
_CAST_BROADCAST = const(1)
_CAST_MULTICAST = const(2)
# copies of smolnet/wire/ipv4.py's protocol numbers and header length (_IP4_HLEN is HEADER_LEN there)
_PROTO_ICMP = const(1)
_PROTO_TCP = const(6)
_PROTO_UDP = const(17)
_IP4_HLEN = const(20)
# copies of smolnet/wire/udp.py's layout (_UDP_HLEN is HEADER_LEN there, _UDP_LENGTH is _LENGTH there, _UDP_CHECKSUM is CHECKSUM there)
_UDP_HLEN = const(8)
_UDP_LENGTH = const(4)
_UDP_CHECKSUM = const(6)
# timers_at, the protocol timers' next deadline (ND, MLD, IGMP, reassembly):
# ticks, or one of these (ipv4.py and ipv6.py keep a copy of _TMR_RUN)
_TMR_NONE = const(-1)      # nothing scheduled: skipped until something changes
_TMR_RUN = const(-2)       # something changed (a frame, a call): run them
_TMR_STALE = const(-3)     # they ran: the next poll computes their deadline
# sock.due_at beside a ticks deadline (the socket contract above)
_DUE_NEVER = const(-1)
_DUE_NOW = const(-2)
_DUE_ASK = const(-3)


class Interface:
    def __init__(self, device, config=None):
        cfg = config if config is not None else Config()
        self.config = cfg
        self.device = device
        self.medium = device.medium
        eth = self.medium == _MEDIUM_ETHERNET
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
        self.tx_dst = bytearray(16)
        self.tx_alen = 4             # family of the packet tx_begin started
        # the stamp (ticks) of the neighbor entry the last tx_begin() used:
        # its answer holds, if nothing changes meanwhile (neighbors.gen),
        # until neighbors.ttl_ms after it; -1 when it is not to be kept
        # (not IPv4 through a neighbor). tcp_emit._route keeps the answer
        # for its peer
        self.tx_until = -1
        self.scratch = bytearray(16)
        self.addrs4 = bytearray(4 * cfg.addrs)
        self.plens4 = bytearray(cfg.addrs)
        self.n4 = 0
        self.neighbors = NeighborCache(cfg.neighbors, cfg.neighbor_ttl_ms, cfg.neighbor_retry_ms)
        self.neighbor_retry_ms = cfg.neighbor_retry_ms
        self.routes = Routes(cfg.routes, self.neighbors)
        self.stats = Stats()
        self.sockets = []
        self.ttl = cfg.ttl
        self.tx_hops = 0
        self._rx_more = False       # the last poll() left frames in the device
        self.timers_at = _TMR_RUN
        self._learned = 0           # neighbors.learned when sockets last woke
        self.ident4 = 0
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
        self.igmp = None
        if cfg.multicast_groups:
            from .igmp import Igmp
            self.igmp = Igmp(cfg)
        # IPv4 fragment reassembly (reasm4.py); off: fragments are dropped
        self.reasm4 = None
        self.reasm6 = None       # IPv6's (reasm6.py), called from ipv6.py
        if cfg.reassembly_slots and cfg.reassembly_size:
            from .reasm4 import Reassembler4
            self.reasm4 = Reassembler4(cfg, self.link_hlen)
            if cfg.ipv6:
                from .reasm6 import Reassembler6
                self.reasm6 = Reassembler6(cfg, self.link_hlen)

    # --- configuration (allocates; not for the hot path) ----------------
    def add_ip(self, cidr):
        """Add an address: "192.0.2.2/24" or "2001:db8::2/64" (no prefix
        length: /32 or /128)."""
        if ":" in cidr:
            return self._add_ip6(cidr)
        self.timers_at = _TMR_RUN
        _moved(self.neighbors)       # sources, on-link prefixes: tx_begin's answers
        addr, plen = ipaddr.parse_cidr4(cidr)
        for i in range(self.n4):
            if equal(self.addrs4, 4 * i, addr, 0, 4):
                self.plens4[i] = plen
                return
        if self.n4 == len(self.plens4):
            raise OSError(12)  # ENOMEM: Config.addrs is full
        copy(self.addrs4, 4 * self.n4, addr, 0, 4)
        self.plens4[self.n4] = plen
        self.n4 += 1

    def _need6(self):
        if self.ip6 is None:
            raise OSError(95)  # EOPNOTSUPP: Config(ipv6=False)
        return self.ip6

    def _add_ip6(self, cidr):
        self._need6().add_cidr(cidr)
        self.timers_at = _TMR_RUN      # DAD, MLD: the next poll() starts them

    def remove_ip(self, cidr):
        self.timers_at = _TMR_RUN
        _moved(self.neighbors)       # sources, on-link prefixes: tx_begin's answers
        if ":" in cidr:
            return self._need6().remove_cidr(cidr)
        addr, _ = ipaddr.parse_cidr4(cidr)
        for i in range(self.n4):
            if equal(self.addrs4, 4 * i, addr, 0, 4):
                last = self.n4 - 1
                copy(self.addrs4, 4 * i, self.addrs4, 4 * last, 4)
                self.plens4[i] = self.plens4[last]
                self.n4 = last
                return True
        return False

    def clear_ips(self):
        """Forget every address but the automatic IPv6 link-local one."""
        self.n4 = 0
        self.timers_at = _TMR_RUN
        _moved(self.neighbors)
        if self.ip6 is not None:
            self.ip6.clear()

    def ips(self):
        """The IPv4 addresses, 'a.b.c.d/len' (IPv6: ips6())."""
        return ["%s/%d" % (ipaddr.fmt4(self.addrs4, 4 * i), self.plens4[i])
                for i in range(self.n4)]

    def ips6(self):
        """The IPv6 addresses, 'addr/len', with 'tentative' or 'deprecated'
        after those not preferred (RFC 4862 5.5.4)."""
        return self.ip6.addrs.entries() if self.ip6 is not None else []

    def ip4(self, i=0):
        """The i-th IPv4 address as bytes, or None."""
        return bytes(self.addrs4[4 * i:4 * i + 4]) if i < self.n4 else None

    def join_multicast(self, group):
        """Join a multicast group, '233.252.0.1' or 'ff05::db8:1': frames
        to it are accepted from now on, and the membership is reported to
        routers (IGMP, RFC 3376; MLD, RFC 3810) at the next poll() and
        whenever they ask. Joining twice is harmless. OSError(EINVAL) for a
        unicast address, OSError(ENOMEM) when Config.multicast_groups are
        all taken."""
        self.timers_at = _TMR_RUN      # the report goes at the next poll()
        if ":" in group:
            self._need6()
            return self._v6.mld_join(self, ipaddr.parse6(group))
        return self._need_igmp().join(ipaddr.parse4(group))

    def leave_multicast(self, group):
        """Leave a group joined with join_multicast (routers are told at
        the next poll()). False if it was not joined."""
        self.timers_at = _TMR_RUN
        if ":" in group:
            self._need6()
            return self._v6.mld_leave(self, ipaddr.parse6(group))
        return self._need_igmp().leave(ipaddr.parse4(group))

    def multicast_groups(self):
        """The groups joined with join_multicast, as strings (IPv4 first)."""
        g = self.igmp.groups() if self.igmp is not None else []
        if self._v6 is not None:
            g += self._v6.mld_groups(self)
        return g

    def _need_igmp(self):
        if self.igmp is None:
            raise OSError(95)  # EOPNOTSUPP: Config(multicast_groups=0)
        return self.igmp

    def add_socket(self, sock):
        if sock not in self.sockets:
            self.sockets.append(sock)
        sock.due_at = _DUE_NOW
        return sock

    def remove_socket(self, sock):
        if sock in self.sockets:
            self.sockets.remove(sock)

    # --- the engine -----------------------------------------------------
    def poll(self, now):
        """Do all work that is due. True if anything was received or sent."""
        # the protocol timers only when due (or after a change): the rest of
        # an idle poll is one look at the device and one at each socket.
        # The receive burst and one socket's dispatch are module functions
        # (a call to one costs half a method call on the Interface, whose
        # many attributes are searched first); the loop over the sockets is
        # here: the frame keeps within MicroPython's 11 words on the C
        # stack (tools/frame_sizes.py), so it is never taken from the heap
        did = False
        t = self.timers_at
        if t < _TMR_NONE or (t >= 0 and ticks_diff(now, t) >= 0):
            did = self._timers(now)
        if _rx_safe(self, now):
            did = True
        # only the sockets that are due (their due_at: the contract above);
        # an index, not `for s in` (an iterator takes 4 words of the frame).
        # n: the count, taken again after a dispatch only (which may close
        # or add sockets), not on every step of an idle poll
        socks = self.sockets
        n = len(socks)
        i = 0
        while i < n:
            t = socks[i].due_at
            if t != _DUE_NEVER and (t == _DUE_NOW or ticks_diff(now, t) >= 0):
                if _dispatch_one(self, socks[i], now):
                    did = True
                n = len(socks)
            i += 1
        return did

    def _timers(self, now):
        if self.timers_at == _TMR_STALE:
            # they ran on an earlier poll and nothing changed since: from
            # here on they wait for their earliest deadline
            d = self._timers_delay(now, True)
            if d != 0:
                self.timers_at = _TMR_NONE if d < 0 else ticks_add(now, d)
                return False
        self.timers_at = _TMR_STALE
        did = False
        if self._nd is not None:
            self._nd.poll(self, now)   # DAD, router solicitations, lifetimes, MLD
        if self.igmp is not None and self.igmp.poll(self, now):
            did = True
        r = self.reasm4
        if r is not None and r.busy and r.expire(self, now):
            did = True
        r = self.reasm6
        if r is not None and r.busy and r.expire(self, now):
            did = True
        return did

    def _wake_sockets(self):
        # a neighbor became reachable: a socket holding a packet for it
        # sends at once, as it did when every poll dispatched every socket
        self._learned = self.neighbors.learned
        for s in self.sockets:
            s.due_at = _DUE_NOW

    def poll_delay(self, now):
        """ms until poll() is due again; -1: nothing is due until a frame arrives."""
        if self._rx_more:
            return 0
        return self._sockets_delay(self._timers_delay(now, False), now)

    def _timers_delay(self, now, exact):
        # exact: to the tick (nd.wait()), for poll() to skip them until then
        d = -1
        if self._nd is not None:
            d = self._nd.wait(self, now) if exact else self._nd.delay(self, now)
        if self.igmp is not None:
            t = self.igmp.delay(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
        r = self.reasm4
        if r is not None and r.busy:
            t = r.delay(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
        r = self.reasm6
        if r is not None and r.busy:
            t = r.delay(now)
            if t >= 0 and (d < 0 or t < d):
                d = t
        return d

    def _sockets_delay(self, d, now):
        # what poll() will do: a socket noted due now is asked (poll_at()
        # may still say later, e.g. a socket just added), the others' notes
        # are their poll_at() as of their last dispatch
        socks = self.sockets
        i = 0
        n = len(socks)
        while i < n:
            t = socks[i].due_at
            if t == _DUE_NOW:
                t = socks[i].poll_at(now)
            elif t != _DUE_NEVER:
                t = ticks_diff(t, now)
                if t < 0:
                    t = 0
            if t >= 0 and (d < 0 or t < d):
                d = t
                if d == 0:
                    break
            i += 1
        return d

    # --- what both IP versions deliver through (the contract above) ------
    def find_socket(self, proto, l4):
        return _find_socket(self, proto, l4)

    def rx_udp(self, l4, n, now):
        # n: the IP payload's length, then the datagram's (RFC 768: the
        # payload may hold more). One local: four arguments and
        # s.process()'s six words fill the rest of the frame's 11
        if n < _UDP_HLEN:
            self.stats.drop_malformed += 1
            return
        # s: the UDP length (udp.length(), inlined), then the pseudo-
        # header's sum, then the socket
        s = (self.rx_buf[l4 + _UDP_LENGTH] << 8) | self.rx_buf[l4 + (_UDP_LENGTH + 1)]
        if s < _UDP_HLEN or s > n:
            self.stats.drop_malformed += 1
            return
        n = s
        # the checksum, over the pseudo-header (RFC 768) too, whose
        # addresses are the IP header's, source then destination: one run
        if self.rx_buf[l4 + _UDP_CHECKSUM] or self.rx_buf[l4 + (_UDP_CHECKSUM + 1)]:
            s = sum16(self.rx_buf, self.rx_src_off, 2 * self.rx_alen, _PROTO_UDP + n)
            if sum16(self.rx_buf, l4, n, s) != 0xFFFF:
                self.stats.drop_bad_checksum += 1
                return
        elif self.rx_alen != 4:
            # RFC 768: a zero checksum is none (IPv4); RFC 8200 8.1: on
            # IPv6 it is invalid
            self.stats.drop_bad_checksum += 1
            return
        s = _find_socket(self, _PROTO_UDP, l4)
        if s is None:
            self.stats.drop_no_socket += 1
            # RFC 1122 4.1.3.1: port unreachable, but never for broadcast or
            # multicast datagrams (3.2.2; RFC 4443 2.4 (e.3) on IPv6)
            if self.rx_cast == _CAST_UNICAST:
                if self.rx_alen == 4:
                    v4.port_unreachable(self, now)
                else:
                    self._v6.port_unreachable(self, now)
            return
        s.process(self, l4, n, now)

    def rx_tcp(self, l4, l4len, now):
        if l4len < 20 or (self.rx_buf[l4 + 12] >> 4) * 4 < 20 or \
                (self.rx_buf[l4 + 12] >> 4) * 4 > l4len:
            self.stats.drop_malformed += 1
            return
        # the checksum over the pseudo-header (RFC 9293 3.1, RFC 8200 8.1),
        # whose addresses are the IP header's, one run; s: its sum, then
        # the socket
        s = sum16(self.rx_buf, self.rx_src_off, 2 * self.rx_alen, _PROTO_TCP + l4len)
        if sum16(self.rx_buf, l4, l4len, s) != 0xFFFF:
            self.stats.drop_bad_checksum += 1
            return
        s = _find_socket(self, _PROTO_TCP, l4)
        if s is None:
            self.stats.drop_no_socket += 1
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
        off = v4.begin_reply(self) if self.rx_alen == 4 else self._v6.begin_reply(self)
        if off < 0:
            return
        n = tcp.emit_rst_reply(self.tx_buf, off, b, l4, l4len)
        if n > 0:
            self.tx_finish(_PROTO_TCP, n)

    # --- the ICMP error rate limit, both families' ---------------------
    def icmp_allowed(self, now):
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

    # --- transmit -------------------------------------------------------
    def tx_begin(self, dst, doff, alen, src, soff, now):
        # seven arguments leave four words of the frame's 11: calls of at
        # most three arguments, and no locals. So the addresses are copied
        # to tx_dst and tx_src here, and the family's half works from them
        # (IPv4's picks the source itself when none is asked for: tx_src
        # is not zeroed first)
        if alen == 4:
            self.tx_alen = 4
            _take_dst(self, dst, doff)
            if src is None:
                return v4_tx_begin(self, now, True)
            _take_src(self, src, soff)
            return v4_tx_begin(self, now, False)
        if alen == 16 and self._v6 is not None:
            self.tx_alen = 16
            _take_dst(self, dst, doff)
            _take_src(self, src, soff)
            return self._v6.tx_begin(self, now)
        self.stats.tx_no_route += 1
        return -2  # no IPv6 in this Config

    def keep_answer(self, hdr):
        # (the contract above; tx_until is set only for IPv4 over Ethernet,
        # so the link header is 14 bytes)
        copy(hdr, 0, self.tx_buf, 0, _ETH)
        copy(hdr, _ETH, self.tx_src, 0, 4)
        return ticks_add(self.tx_until, self.neighbors.ttl_ms)

    def tx_finish(self, proto, l4len, payload_off=-1, payload_sum=0):
        if self.tx_alen != 4:
            # the module's function loaded, then called: a method call on
            # the module would cost the frame a twelfth word
            # (tools/frame_sizes.py)
            return (self._v6.tx_finish)(self, proto, l4len, payload_off, payload_sum)
        # ipv4.tx_finish's steps, run from here: a call fewer on every
        # IPv4 packet sent
        v4_header(self, proto, l4len)
        if proto == _PROTO_UDP or proto == _PROTO_TCP or proto == _PROTO_ICMP:
            v4_l4_checksum(self, proto, l4len, payload_off, payload_sum)
        return _send_frame(self, self.tx_buf, self.link_hlen + _IP4_HLEN + l4len)

    def send_frame(self, buf, n):
        return _send_frame(self, buf, n)


# --- the engine's per-poll parts (module functions: see poll()) -------------
def _rx_safe(iface, now):
    # a try block takes 9 words of the frame (3 for the handler, 6 more of
    # value stack): room for the two arguments and no more, hence its own
    # function around the burst
    try:
        return _rx_burst(iface, now)
    except Exception:  # a bug, not bad input: count, keep running
        # (no `as e`: it would cost the frame another exception entry
        # and push it onto the heap; Config(strict=True) shows it)
        iface.stats.drop_internal_error += 1
        if iface.config.strict:
            raise
        iface.timers_at = _TMR_RUN
        iface._rx_more = True    # the rest of the burst on the next poll
        return True


def _rx_burst(iface, now):
    # the frames waiting in the device, up to Config.rx_budget (at least
    # one); an empty device, most polls, costs one recv_into and no more
    dev = iface.device
    buf = iface.rx_buf
    n = dev.recv_into(buf)
    if n <= 0:
        iface._rx_more = False
        return False
    budget = iface.config.rx_budget
    k = 0                       # frames taken
    while True:
        k += 1
        iface.stats.rx_frames += 1
        _rx_frame(iface, n, now)
        if k >= budget:
            break
        n = dev.recv_into(buf)
        if n <= 0:
            break
    # out of budget: frames may still wait in the device, and a MAC that
    # raises its interrupt on an edge will not raise it again until it
    # is drained, so poll_delay() must ask for another poll at once
    iface._rx_more = k >= budget
    if iface.neighbors.learned != iface._learned:
        iface._wake_sockets()
    return True


def _rx_frame(iface, n, now):
    # one frame from the device (a function, not a method: the name is
    # looked for among the Interface's 43 instance names first, and
    # this one's hash lands in their longest run: 41 slots probed)
    b = iface.rx_buf
    if iface.link_hlen == 0:
        if n >= 1 and b[0] >> 4 == 4:
            v4_rx(iface, 0, n, now)
        elif n >= 1 and b[0] >> 4 == 6 and iface._v6 is not None:
            iface._v6.rx(iface, 0, n, now)
        else:
            iface.stats.drop_unknown_ethertype += 1
        return
    if n < _ETH:
        iface.stats.drop_short += 1
        return
    # MAC filter: ours, broadcast or multicast (the IP layer filters groups)
    if not (b[0] & 1 or equal(b, 0, iface.mac, 0, 6)):
        iface.stats.drop_not_for_us += 1
        return
    n -= _ETH
    b = (b[_ETH_TYPE] << 8) | b[_ETH_TYPE + 1]    # the EtherType: ethernet.ethertype(), inlined
    if b == _ETHERTYPE_IPV4:
        v4_rx(iface, _ETH, n, now)
    elif b == _ETHERTYPE_ARP:
        v4.rx_arp(iface, _ETH, n, now)
    elif b == _ETHERTYPE_IPV6 and iface._v6 is not None:
        iface._v6.rx(iface, _ETH, n, now)
    else:
        iface.stats.drop_unknown_ethertype += 1


def _dispatch_one(iface, s, now):
    # socket s is due: it emits up to Config.tx_burst packets. After one,
    # a socket that said _DUE_ASK is asked poll_at() whether another is due
    # now (0), which costs less than a dispatch() that finds nothing, whose
    # poll_at() would come next anyway (the contract above)
    k = 0
    burst = iface.config.tx_burst
    t = 0
    while k < burst and s.dispatch(iface, now):
        k += 1
        t = s.due_at
        if t == _DUE_NEVER:
            return True     # that was its last packet (the contract above)
        if t == _DUE_ASK and k < burst:
            t = s.poll_at(now)
            if t != 0:
                break
        t = 0
    if t == 0:
        if k == burst:
            # more may wait: the next poll dispatches it again
            s.due_at = _DUE_NOW
            return True
        # dispatch() found nothing (more) to send now
        t = s.poll_at(now)
    # its next deadline
    s.due_at = _DUE_NEVER if t < 0 else _DUE_NOW if t == 0 else ticks_add(now, t)
    return k > 0


def _take_dst(iface, dst, doff):
    # tx_begin's destination (tx_alen bytes) to tx_dst
    copy(iface.tx_dst, 0, dst, doff, iface.tx_alen)


def _take_src(iface, src, soff):
    # tx_begin's source to tx_src; none asked for: the unspecified address
    if src is None:
        fill(iface.tx_src, 0, iface.tx_alen, 0)
    else:
        copy(iface.tx_src, 0, src, soff, iface.tx_alen)

