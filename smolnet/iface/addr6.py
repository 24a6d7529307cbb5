# IPv6 state of an Interface: its addresses (RFC 4291, RFC 4862), its
# routes and on-link prefixes (RFC 4861 5.1-5.2), and a seconds clock for
# the lifetimes routers advertise. Fixed tables sized from Config; the
# lookups on the packet path allocate nothing. Configuration methods
# (add, remove, entries) allocate and raise on bad input.
#
# Lifetimes are kept as deadlines on a seconds counter (Ip6State.secs) that
# the Interface advances from its millisecond ticks: advertised lifetimes run
# to days (a prefix's default valid lifetime is 30 days), past what ticks
# (wrapping at 2**30 ms, 12 days) can hold as a deadline. FOREVER (-1) is
# an infinite lifetime.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, equal
from ..wire import ipv6, ipaddr
from ..wire.ipaddr import same_prefix
from .mld import Mld

TENTATIVE = const(1)   # DAD running: not usable yet (RFC 4862 5.4)
PREFERRED = const(2)
DEPRECATED = const(3)  # preferred lifetime over: only for existing talk

MANUAL = const(0)      # add_ip()
LINK_LOCAL = const(1)  # the automatic fe80:: address
SLAAC = const(2)       # formed from a router's prefix (RFC 4862 5.5.3)

FOREVER = const(-1)
GONE = const(-2)       # learn_router/learn_prefix: a lifetime of 0, remove it
_LIFE_CAP = const(0x10000000)  # seconds (8.5 years): longer counts as forever

GATEWAY = const(0)     # static route through a gateway
ONLINK = const(1)      # on-link prefix from a router advertisement
ROUTER = const(2)      # default router from a router advertisement

TIMER_NONE = const(-1)
TIMER_NOW = const(-2)

_STATE_NAMES = ("", "tentative", "preferred", "deprecated")


def deadline(now_s, life):
    """The seconds-clock deadline of a lifetime (FOREVER stays FOREVER)."""
    if life < 0 or life >= _LIFE_CAP:
        return FOREVER
    return now_s + life


class Addrs6:
    def __init__(self, size):
        if not 0 < size < 256:
            raise ValueError("Config.addrs6: 1 to 255")  # select() packs an index in 8 bits
        self.size = size
        self.n = 0
        self.addrs = bytearray(16 * size)
        self.plens = bytearray(size)
        self.state = bytearray(size)
        self.origin = bytearray(size)
        self.valid_s = [FOREVER] * size      # seconds-clock deadlines
        self.pref_s = [FOREVER] * size
        self.dad_left = bytearray(size)      # DAD probes still to send
        self.dad_at = [0] * size             # ticks of the next DAD step, -1 at once
        # bumped on every address added or removed: MLD (mld.py) follows
        # the solicited-node groups of our addresses with it
        self.gen = 0
        self.groups = None                   # the Mld table: groups joined by the user

    def find(self, buf, off):
        """Index of addr (any state), or -1."""
        a = self.addrs
        for i in range(self.n):
            if equal(a, 16 * i, buf, off, 16):
                return i
        return -1

    # The lookups below run for every packet (mine on receive, on_link and
    # select on transmit, Routes6.lookup for packets through a router):
    # each keeps its frame within the 11 words MicroPython keeps on the C
    # stack (tools/frame_sizes.py), with index loops (a range loop costs
    # two words more) and no more locals than their calls leave room for.
    def mine(self, buf, off):
        """Index of a usable (not tentative) address equal to buf[off:], or -1."""
        # the last bytes compared first: most addresses differ there, and
        # that costs no call
        i = 0
        while i < self.n:
            if self.state[i] != TENTATIVE and self.addrs[16 * i + 15] == buf[off + 15] and \
                    equal(self.addrs, 16 * i, buf, off, 16):
                return i
            i += 1
        return -1

    def joined(self, buf, off):
        """A multicast group we listen to: all-nodes, the solicited-node
        group of any of our addresses, tentative ones included (RFC 4862
        5.4.2: joined before DAD starts), or a group joined with
        Interface.join_multicast (hot path: allocates nothing)."""
        if ipv6.is_all_nodes(buf, off):
            return True
        if ipv6.is_solicited_node(buf, off):
            i = 0
            while i < self.n:
                if equal(self.addrs, 16 * i + 13, buf, off + 13, 3):
                    return True
                i += 1
        return self.groups is not None and self.groups.listening(buf, off)

    def on_link(self, buf, off):
        """dst is link-local, or in the prefix of an address given with
        add_ip (as Linux adds a prefix route for it). SLAAC addresses do not
        make their prefix on-link (RFC 5942): the RA's L flag does."""
        if buf[off] == 0xFE and buf[off + 1] & 0xC0 == 0x80:    # ipv6.is_link_local, inlined
            return True
        # the prefix's whole bytes in one native compare; same_prefix only
        # for a prefix that ends inside a byte
        i = 0
        while i < self.n:
            if self.origin[i] == MANUAL and self.plens[i] < 128 and \
                    equal(buf, off, self.addrs, 16 * i, self.plens[i] >> 3) and \
                    (not self.plens[i] & 7 or
                     same_prefix(buf, off, self.addrs, 16 * i, self.plens[i])):
                return True
            i += 1
        return False

    def select(self, dst, doff):
        """Source address for dst, RFC 6724 5 simplified: never tentative
        (rule 1 aside: a destination of ours is not sent to the wire);
        link-local for link-local and link-scope multicast destinations
        (rule 2, scope); preferred before deprecated (rule 3); then the
        longest matching prefix (rule 8). Returns an index or -1."""
        # the rules in two steps: scope and preference for each address,
        # the common prefix only between addresses they tie (with a
        # link-local and a global address, never)
        best = -1               # the best rank so far << 8 | its index
        i = 0
        while i < self.n:
            if self.state[i] != TENTATIVE:
                # rule 3, then rule 2: the address is link-local exactly
                # when dst is link-local or link-scope multicast
                k = 256 if self.state[i] == PREFERRED else 0
                if (self.addrs[16 * i] == 0xFE and self.addrs[16 * i + 1] & 0xC0 == 0x80) == (
                        (dst[doff] == 0xFE and dst[doff + 1] & 0xC0 == 0x80) or
                        (dst[doff] == 0xFF and dst[doff + 1] & 0x0F <= 2)):
                    k += 512
                if k > best >> 8:
                    best = (k << 8) | i
                elif k == best >> 8:
                    # a tie: the longer common prefix wins, else the first
                    k = _common_bits(self.addrs, 16 * (best & 0xFF), dst, doff)
                    if _common_bits(self.addrs, 16 * i, dst, doff) > k:
                        best = (best & ~0xFF) | i
            i += 1
        return best & 0xFF if best >= 0 else -1

    def add(self, buf, off, plen, origin, state):
        """Add (or update the prefix of) an address; its index, or -1 when
        the table is full."""
        i = self.find(buf, off)
        if i < 0:
            if self.n == self.size:
                return -1
            i = self.n
            self.n += 1
            self.gen += 1
            copy(self.addrs, 16 * i, buf, off, 16)
        self.plens[i] = plen
        self.origin[i] = origin
        self.state[i] = state
        self.valid_s[i] = FOREVER
        self.pref_s[i] = FOREVER
        self.dad_left[i] = 0
        return i

    def remove_at(self, i):
        self.gen += 1
        last = self.n - 1
        if i != last:
            copy(self.addrs, 16 * i, self.addrs, 16 * last, 16)
            self.plens[i] = self.plens[last]
            self.state[i] = self.state[last]
            self.origin[i] = self.origin[last]
            self.valid_s[i] = self.valid_s[last]
            self.pref_s[i] = self.pref_s[last]
            self.dad_left[i] = self.dad_left[last]
            self.dad_at[i] = self.dad_at[last]
        self.n = last

    def find_slaac(self, prefix, poff):
        """The SLAAC address formed from this /64, or -1."""
        a = self.addrs
        for i in range(self.n):
            if self.origin[i] == SLAAC and equal(a, 16 * i, prefix, poff, 8):
                return i
        return -1

    def entries(self):
        """['addr/plen state', ...] for display (allocates)."""
        out = []
        for i in range(self.n):
            s = "%s/%d" % (ipaddr.fmt6(self.addrs, 16 * i), self.plens[i])
            if self.state[i] != PREFERRED:
                s += " " + _STATE_NAMES[self.state[i]]
            out.append(s)
        return out


def _common_bits(a, aoff, b, boff):
    # rule 8's measure: the bits of prefix a[aoff:] and b[boff:] share
    n = 0
    while n < 128:
        x = a[aoff] ^ b[boff]
        if x:
            while not x & 0x80:
                n += 1
                x <<= 1
            return n
        n += 8
        aoff += 1
        boff += 1
    return n


class Routes6:
    """Routes through gateways (static or default routers from RAs) and the
    on-link prefixes RAs announce, longest prefix first."""

    def __init__(self, size):
        self.size = size
        self.count = 0
        self.nets = bytearray(16 * size)
        self.plens = bytearray(size)
        self.gws = bytearray(16 * size)
        self.kind = bytearray(size)
        self.until_s = [FOREVER] * size

    # --- configuration (allocates) -------------------------------------
    def add(self, cidr, gateway):
        """Route cidr ('2001:db8:1::/48', '::/0') through gateway (an
        address string or 16 bytes; a link-local router is usual)."""
        net, plen = ipv6.parse_cidr6(cidr)
        gw = ipaddr.parse6(gateway) if isinstance(gateway, str) else gateway
        if len(gw) != 16:
            raise ValueError("gateway must be an IPv6 address")
        self.remove(cidr)
        i = self._slot(net, 0, plen, GATEWAY, FOREVER)
        if i < 0:
            raise OSError(12)  # ENOMEM: the table is full (Config.routes6)
        copy(self.gws, 16 * i, gw, 0, 16)

    def add_default(self, gateway):
        self.add("::/0", gateway)

    def remove(self, cidr):
        net, plen = ipv6.parse_cidr6(cidr)
        for i in range(self.count):
            if self.kind[i] == GATEWAY and self.plens[i] == plen and \
                    ipaddr.same_prefix(self.nets, 16 * i, net, 0, 128):
                self._remove_at(i)
                return True
        return False

    def clear(self):
        self.count = 0

    def entries(self):
        """[(prefix, gateway or 'on-link', origin)] for display (allocates)."""
        out = []
        for i in range(self.count):
            k = self.kind[i]
            out.append(("%s/%d" % (ipaddr.fmt6(self.nets, 16 * i), self.plens[i]),
                        "on-link" if k == ONLINK else ipaddr.fmt6(self.gws, 16 * i),
                        "static" if k == GATEWAY else "ra"))
        return out

    # --- packet path ------------------------------------------------------
    def lookup(self, dst, doff):
        """Index of the best route for dst, or -1. Among equal prefixes a
        static route wins over a learned one."""
        best = -1
        best_len = -1
        for i in range(self.count):
            p = self.plens[i]
            if (p > best_len or (p == best_len and self.kind[i] == GATEWAY)) and \
                    ipaddr.same_prefix(dst, doff, self.nets, 16 * i, p):
                best, best_len = i, p
        return best

    def is_onlink(self, i):
        return self.kind[i] == ONLINK

    def _find(self, kind, buf, off, plen):
        # ROUTER entries are keyed by the router's address, ONLINK by prefix
        for i in range(self.count):
            if self.kind[i] != kind:
                continue
            if kind == ROUTER:
                if equal(self.gws, 16 * i, buf, off, 16):
                    return i
            elif self.plens[i] == plen and ipaddr.same_prefix(self.nets, 16 * i, buf, off, plen):
                return i
        return -1

    def _slot(self, net, noff, plen, kind, until):
        if self.count == self.size:
            return -1
        i = self.count
        self.count += 1
        for k in range(16):
            self.nets[16 * i + k] = 0
            self.gws[16 * i + k] = 0
        _copy_prefix(self.nets, 16 * i, net, noff, plen)
        self.plens[i] = plen
        self.kind[i] = kind
        self.until_s[i] = until
        return i

    def _remove_at(self, i):
        last = self.count - 1
        if i != last:
            copy(self.nets, 16 * i, self.nets, 16 * last, 16)
            copy(self.gws, 16 * i, self.gws, 16 * last, 16)
            self.plens[i] = self.plens[last]
            self.kind[i] = self.kind[last]
            self.until_s[i] = self.until_s[last]
        self.count = last

    def learn_router(self, buf, off, until):
        """A default router from an RA (RFC 4861 6.3.4): until is its
        deadline; GONE (a lifetime of 0) removes it."""
        i = self._find(ROUTER, buf, off, 0)
        if until == GONE:
            if i >= 0:
                self._remove_at(i)
            return
        if i < 0:
            i = self._slot(buf, off, 0, ROUTER, until)
            if i < 0:
                return  # full: static routes and earlier routers win
            copy(self.gws, 16 * i, buf, off, 16)
        self.until_s[i] = until

    def learn_prefix(self, buf, off, plen, until):
        """An on-link prefix from an RA (L flag); GONE removes it."""
        i = self._find(ONLINK, buf, off, plen)
        if until == GONE:
            if i >= 0:
                self._remove_at(i)
            return
        if i < 0:
            i = self._slot(buf, off, plen, ONLINK, until)
            if i < 0:
                return
        self.until_s[i] = until

    def expire(self, now_s):
        """Drop learned entries past their deadline; the next deadline."""
        nxt = FOREVER
        i = 0
        while i < self.count:
            u = self.until_s[i]
            if u >= 0 and u <= now_s:
                self._remove_at(i)
                continue
            if u >= 0 and (nxt < 0 or u < nxt):
                nxt = u
            i += 1
        return nxt


def _copy_prefix(dst, doff, src, soff, plen):
    i = 0
    while plen >= 8:
        dst[doff + i] = src[soff + i]
        i += 1
        plen -= 8
    if plen:
        dst[doff + i] = src[soff + i] & ((0xFF << (8 - plen)) & 0xFF)


class Ip6State:
    """Everything IPv6 an Interface keeps, sized from Config."""

    def __init__(self, cfg, mac):
        self.addrs = Addrs6(cfg.addrs6)
        self.routes = Routes6(cfg.routes6)
        self.hop_limit = cfg.ttl            # RFC 8200 3; an RA may change it
        self.mtu = 0                        # 0: the link's; an RA's MTU option
        self.dad_transmits = cfg.dad_transmits
        self.retrans_ms = cfg.neighbor_retry_ms
        self.accept_ra = cfg.accept_ra
        self.slaac = cfg.slaac
        self.rs_left = cfg.router_solicitations
        self.rs_at = -1                     # ticks of the next RS, -1 at once
        # ticks of the next DAD/RS step; TIMER_NONE, or TIMER_NOW: at the
        # next poll (set where no time is at hand: add_ip, start-up)
        self.timer_at = TIMER_NONE
        self.secs = 0                       # the seconds clock
        self._sec_tick = 0
        self._clock_started = False
        self.next_expiry = FOREVER          # earliest lifetime deadline (seconds)
        # MLD (RFC 3810): the groups we report
        self.mld = Mld(cfg, mac)
        self.addrs.groups = self.mld
        if mac is not None:
            ll = bytearray(16)
            ipv6.link_local_from_mac(ll, 0, mac, 0)
            self.add(ll, 0, 64, LINK_LOCAL)
        if self.rs_left:
            self.timer_at = TIMER_NOW

    def add(self, buf, off, plen, origin):
        """Add an address: tentative with DAD scheduled if Config asks for
        DAD, else preferred at once. Its index, or -1 (table full)."""
        a = self.addrs
        if self.dad_transmits:
            i = a.add(buf, off, plen, origin, TENTATIVE)
            if i >= 0:
                a.dad_left[i] = self.dad_transmits
                a.dad_at[i] = -1
                self.timer_at = TIMER_NOW
            return i
        return a.add(buf, off, plen, origin, PREFERRED)

    # --- configuration (allocates, raises) --------------------------------
    def add_cidr(self, cidr):
        addr, plen = ipv6.parse_cidr6(cidr)
        if ipv6.is_multicast(addr, 0) or ipv6.is_unspecified(addr, 0):
            raise ValueError("not a unicast address: %s" % cidr)
        i = self.addrs.find(addr, 0)
        if i >= 0:
            self.addrs.plens[i] = plen
            return
        if self.add(addr, 0, plen, MANUAL) < 0:
            raise OSError(12)  # ENOMEM: Config.addrs6 is full

    def remove_cidr(self, cidr):
        addr, _ = ipv6.parse_cidr6(cidr)
        i = self.addrs.find(addr, 0)
        if i < 0:
            return False
        self.addrs.remove_at(i)
        return True

    def clear(self):
        """Forget every address but the automatic link-local one."""
        a = self.addrs
        i = 0
        while i < a.n:
            if a.origin[i] == LINK_LOCAL:
                i += 1
            else:
                a.remove_at(i)

    def expiry_ms(self, now):
        """ms until the seconds clock reaches next_expiry (at most an hour);
        -1 if nothing expires."""
        if self.next_expiry < 0:
            return -1
        left = self.next_expiry - self.clock(now)
        if left <= 0:
            return 0
        if left > 3600:
            return 3600000
        ms = left * 1000 - ticks_diff(now, self._sec_tick)
        return ms if ms > 0 else 0

    def clock(self, now):
        """The seconds clock at tick now (advances it)."""
        if not self._clock_started:
            self._clock_started = True
            self._sec_tick = now
            return self.secs
        d = ticks_diff(now, self._sec_tick)
        if d >= 1000:
            k = d // 1000
            self.secs += k
            self._sec_tick = ticks_add(self._sec_tick, k * 1000)
        return self.secs
