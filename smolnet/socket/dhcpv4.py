# DHCPv4 client (RFC 2131, options RFC 2132), a socket like any other: add
# it to the Interface and poll. In the manner of smoltcp's dhcpv4 socket.
#
#   dhcp = iface.add_socket(Dhcpv4Socket())
#   while not dhcp.configured: iface.poll(ticks_ms()) ...
#   dhcp.lease.cidr(), dhcp.lease.router_addr(), dhcp.lease.dns_servers()
#
# States: DISCOVERING -> REQUESTING -> BOUND -> RENEWING (at T1, unicast to
# the server) -> REBINDING (at T2, broadcast) -> lease expiry -> DISCOVERING.
# On BOUND the socket configures the Interface (add_ip with the mask's
# prefix, a default route through the router) unless made with
# configure=False; either way `changed` counts configuration events (the
# last in `event`) for the user to poll.
#
# Time: ms ticks for retransmissions (seconds at most); the lease is counted
# in whole seconds from a tick base, so leases of days or years never make
# an int past 2**30 on 32-bit MicroPython.
#
# Allocation: the Interface hooks allocate nothing in the steady state (the
# renewals and their ACKs). A configuration change (new lease, other
# address, lost lease) allocates: strings for add_ip/remove_ip.
from micropython import const
from time import ticks_add, ticks_diff
from ..wire import dhcpv4 as dh
from ..wire import udp, ipaddr
from ..fast import copy, equal, fill
from ..rand import Rand16, entropy_seed

# copies of smolnet/wire/dhcpv4.py's constants
_ACK = const(5)
_CLIENT_PORT = const(68)
_DISCOVER = const(1)
_FLAG_BROADCAST = const(128)
_HEADER_LEN = const(240)
_INFINITE = const(-1)
_MIN_LEN = const(0x12c)
_NAK = const(6)
_OFFER = const(2)
_OPT_CLIENT_ID = const(61)
_OPT_DNS = const(6)
_OPT_HOSTNAME = const(12)
_OPT_LEASE_TIME = const(51)
_OPT_MAX_SIZE = const(57)
_OPT_MESSAGE_TYPE = const(53)
_OPT_PARAM_REQUEST = const(55)
_OPT_REQUESTED_IP = const(50)
_OPT_ROUTER = const(3)
_OPT_SERVER_ID = const(54)
_OPT_SUBNET_MASK = const(1)
_OPT_T1 = const(58)
_OPT_T2 = const(59)
_OP_REPLY = const(2)
_OP_REQUEST = const(1)
_REQUEST = const(3)
_SERVER_PORT = const(67)
_YIADDR = const(16)
# copies of smolnet/socket/errno.py's constants
_ENOMEM = const(12)
_EOPNOTSUPP = const(95)

PROTO = const(17)

STOPPED = const(0)
DISCOVERING = const(1)
REQUESTING = const(2)
BOUND = const(3)
RENEWING = const(4)
REBINDING = const(5)
STATE_NAMES = ("stopped", "discovering", "requesting", "bound", "renewing", "rebinding")

_EVENT_NONE = const(0)
EVENT_CONFIGURED = const(1)     # a lease was acquired or its configuration changed
EVENT_DECONFIGURED = const(2)   # the lease was lost (expired, NAK, reset, close)

_FIRST_RETX_MS = const(4000)   # RFC 2131 4.1: 4 s, doubling up to 64 s, +-1 s
_MAX_RETX_MS = const(64000)
_JITTER_MS = const(1000)
_MIN_RETX_S = const(60)        # RFC 2131 4.4.5: renew/rebind retries >= 60 s apart
_DEFAULT_LEASE_S = const(120)  # if an ACK has no lease time (it must, RFC 2131 4.3.1)
_CAP_MS = const(86400000)      # poll_at never further than a day (ticks_diff range)
_ARP_GIVE_UP_MS = const(3000)  # a renewal whose server does not answer ARP is lost
_UDP_HDR = const(8)

# option 55: subnet mask, router, DNS, lease time, T1, T2
_PARAMS = b"\x01\x03\x06\x33\x3a\x3b"


class Lease:
    """What the server gave, in preallocated buffers (valid while the
    socket is configured). lease_s, t1_s, t2_s are seconds, -1 = infinite."""

    def __init__(self, max_dns):
        self.address = bytearray(4)
        self.prefix = 0
        self.router = bytearray(4)
        self.has_router = False
        self.dns = bytearray(4 * max_dns)   # dns_count addresses, 4 bytes each
        self.dns_count = 0
        self.server = bytearray(4)          # the server identifier (option 54)
        self.server_addr = bytearray(4)     # where its reply came from: renewals go there
        self.lease_s = 0
        self.t1_s = 0
        self.t2_s = 0

    # conveniences (allocate)
    def cidr(self):
        return "%s/%d" % (ipaddr.fmt4(self.address), self.prefix)

    def router_addr(self):
        return bytes(self.router) if self.has_router else None

    def dns_servers(self):
        return [bytes(self.dns[4 * i:4 * i + 4]) for i in range(self.dns_count)]

    def __repr__(self):
        return "Lease(%s router=%s dns=%s lease=%ds t1=%ds t2=%ds server=%s)" % (
            self.cidr(), ipaddr.fmt4(self.router) if self.has_router else None,
            ",".join([ipaddr.fmt4(a) for a in self.dns_servers()]),
            self.lease_s, self.t1_s, self.t2_s, ipaddr.fmt4(self.server))


def _usable(buf, off):
    """A unicast host address a server may hand out."""
    b0 = buf[off]
    return b0 != 0 and b0 != 127 and b0 < 224


def _classful(buf, off):
    # RFC 2131 gives no default mask; RFC 1122 3.3.1.1 falls back to the
    # address class when none is known
    b0 = buf[off]
    return 8 if b0 < 128 else (16 if b0 < 192 else 24)


class Dhcpv4Socket:
    proto = PROTO

    def __init__(self, configure=True, max_dns=3, hostname=None, client_id=None,
                 request_retries=4, max_lease_s=0, seed=None):
        """configure: apply leases to the Interface (else only report them).
        hostname, client_id: bytes for options 12 and 61 (client_id default:
        type 1 and the MAC, RFC 2132 9.14). request_retries: REQUESTs
        retransmitted before starting over (RFC 2131 4.4.1). max_lease_s: cap
        on the lease (0: none), to renew sooner than the server asks."""
        if isinstance(hostname, str):
            hostname = hostname.encode()
        if isinstance(client_id, str):
            client_id = client_id.encode()
        if hostname is not None and not 0 < len(hostname) < 256:
            raise ValueError("hostname: 1..255 bytes")
        if client_id is not None and not 1 < len(client_id) < 256:
            raise ValueError("client_id: 2..255 bytes")
        self.configure = configure
        self.hostname = hostname
        self.client_id = client_id
        self.request_retries = request_retries
        self.max_lease_s = max_lease_s
        self.lease = Lease(max_dns)
        # the longest message we build: header, type, client id, requested
        # address and server id, max size, host name, parameters, end
        n = _HEADER_LEN + 3 + (2 + len(client_id) if client_id else 9) + 12 + 4 + \
            (2 + len(hostname) if hostname else 0) + 2 + len(_PARAMS) + 1
        self._msg_max = n if n > _MIN_LEN else _MIN_LEN
        self._max_dns = max_dns
        self.state = DISCOVERING
        self.changed = 0            # configuration events so far
        self.event = _EVENT_NONE     # the last one
        self.error = 0              # errno if applying a lease failed (ENOMEM: table full)
        # counters
        self.rx_malformed = 0
        self.rx_ignored = 0         # well-formed but not for us or not now
        self.naks = 0
        self.tx_count = 0
        self.tx_no_route = 0
        self._rand = Rand16(entropy_seed() if seed is None else seed)
        self._xid = bytearray(4)
        self._offer = bytearray(4)       # REQUESTING: the address offered
        self._server_id = bytearray(4)   # REQUESTING: the server chosen
        self._iface = None
        self._applied = None             # the cidr string given to add_ip
        self._route = False              # we added the default route
        self._due = True                 # a message waits for tick _at
        self._at = -1                    # -1: as soon as possible
        self._tries = 0
        self._begin = -1                 # tick the current exchange began (secs field)
        self._secs_field = 0
        self._sent_at = 0
        self._arp_since = -1
        # the lease clock: _secs whole seconds since the lease began, _t0 the
        # tick of the last whole second; _next_s the next lease event
        self._t0 = 0
        self._secs = 0
        self._next_s = -1
        self._new_xid()

    # --- user API -------------------------------------------------------
    @property
    def configured(self):
        return self.state >= BOUND

    def state_name(self):
        return STATE_NAMES[self.state]

    def reset(self):
        """Drop the lease (deconfiguring the Interface) and start over."""
        self._restart(-1)
        self.due_at = -2     # the Interface's next poll sends (interface.py)

    def close(self):
        """Drop the lease and stop."""
        self._deconfigure()
        self.state = STOPPED
        self._due = False
        self.due_at = -2     # what dispatch() has to do changed (interface.py)

    # --- Interface hooks ------------------------------------------------
    def accepts(self, iface, l4_off):
        b = iface.rx_buf
        if self.state == STOPPED or iface.mac is None or iface.rx_alen != 4 or \
                udp.dst_port(b, l4_off) != _CLIENT_PORT or \
                udp.src_port(b, l4_off) != _SERVER_PORT:
            return 0
        return 2

    def process(self, iface, l4_off, l4_len, now):
        self._iface = iface
        b = iface.rx_buf
        d = l4_off + _UDP_HDR
        n = udp.length(b, l4_off) - _UDP_HDR
        if not dh.check(b, d, n):
            self.rx_malformed += 1
            iface.stats.drop_malformed += 1
            return
        if dh.op(b, d) != _OP_REPLY or not dh.xid_equal(b, d, self._xid, 0) or \
                not dh.chaddr_equal(b, d, iface.mac, 0):
            self.rx_ignored += 1
            return
        mt = dh.message_type(b, d, n)
        sid = dh.option_addr(b, d, n, _OPT_SERVER_ID)
        st = self.state
        if sid < 0:   # RFC 2131 4.3.1: servers always send their identifier
            self.rx_ignored += 1
        elif st == DISCOVERING and mt == _OFFER:
            self._take_offer(iface, b, d, sid, now)
        elif st == REQUESTING and (mt == _ACK or mt == _NAK) and \
                equal(b, sid, self._server_id, 0, 4):
            self._answer(iface, b, d, n, mt, sid, now)
        elif (st == RENEWING or st == REBINDING) and (mt == _ACK or mt == _NAK):
            # renewing talks to our server; rebinding accepts any (4.4.5)
            if st == RENEWING and not equal(b, sid, self.lease.server, 0, 4):
                self.rx_ignored += 1
            else:
                self._answer(iface, b, d, n, mt, sid, now)
        else:
            self.rx_ignored += 1   # a second offer, a late ACK: not now

    def dispatch(self, iface, now):
        self._iface = iface
        st = self.state
        if st == STOPPED:
            return False
        if iface.mac is None:   # DHCP needs a hardware address (chaddr)
            self.state = STOPPED
            self.error = _EOPNOTSUPP
            return False
        if st >= BOUND:
            self._tick(now)
            if not self._due and self._next_s >= 0 and self._secs >= self._next_s:
                self._lease_timer(now)
        if not self._due:
            return False
        # while the server's MAC is being resolved, try on every poll: the
        # ARP reply wakes us (tx_begin itself limits the ARP requests)
        if self._arp_since < 0 and self._at >= 0 and ticks_diff(now, self._at) < 0:
            return False
        if self.state == REQUESTING and self._tries > self.request_retries:
            self._restart(now)   # RFC 2131 4.4.1: no answer, back to INIT
        return self._send(iface, now)

    def poll_at(self, now):
        st = self.state
        if st == STOPPED:
            return -1
        if self._due:
            if self._at < 0:
                return 0
            d = ticks_diff(self._at, now)
            return d if d > 0 else 0
        if self._next_s < 0:
            return -1
        rem = self._next_s - self._secs
        if rem > _CAP_MS // 1000:
            return _CAP_MS
        d = rem * 1000 - ticks_diff(now, self._t0)
        return d if d > 0 else 0

    # --- receiving --------------------------------------------------------
    def _take_offer(self, iface, b, d, sid, now):
        yi = d + _YIADDR
        if not _usable(b, yi):
            self.rx_ignored += 1
            return
        copy(self._offer, 0, b, yi, 4)
        copy(self._server_id, 0, b, sid, 4)
        self.state = REQUESTING
        self._tries = 0
        self._due = True
        self._at = -1
        self._sent_at = now

    def _answer(self, iface, b, d, n, mt, sid, now):
        if mt == _NAK:
            self.naks += 1
            self._restart(now)   # RFC 2131 4.4.1/4.4.5: stop using it, start over
            return
        if not _usable(b, d + _YIADDR):
            self.rx_ignored += 1
            return
        self._bind(iface, b, d, n, sid, now)

    def _bind(self, iface, b, d, n, sid, now):
        L = self.lease
        yi = d + _YIADDR
        m = dh.option_addr(b, d, n, _OPT_SUBNET_MASK)
        plen = dh.mask_prefix(b, m) if m >= 0 else -1
        if plen < 0 or plen > 30:
            plen = _classful(b, yi)
        r = dh.option_addr(b, d, n, _OPT_ROUTER)
        if r >= 0 and not _usable(b, r):
            r = -1
        changed = self.state < BOUND or not equal(L.address, 0, b, yi, 4) or \
            L.prefix != plen or L.has_router != (r >= 0) or \
            (r >= 0 and not equal(L.router, 0, b, r, 4)) or self._dns(b, d, n, False)
        if changed:
            self._unapply()
        copy(L.address, 0, b, yi, 4)
        L.prefix = plen
        L.has_router = r >= 0
        if r >= 0:
            copy(L.router, 0, b, r, 4)
        self._dns(b, d, n, True)
        copy(L.server, 0, b, sid, 4)
        copy(L.server_addr, 0, b, iface.rx_src_off, 4)
        self._take_times(b, d, n)
        # RFC 2131 4.4.1: the lease runs from the time the request was sent
        self.state = BOUND
        self._due = False
        self._arp_since = -1
        self._t0 = self._sent_at
        self._secs = 0
        self._tick(now)
        self._next_s = L.t1_s
        if changed:
            self._apply()
            self.changed += 1
            self.event = EVENT_CONFIGURED

    def _take_times(self, b, d, n):
        L = self.lease
        lease = dh.option_time(b, d, n, _OPT_LEASE_TIME)
        if lease == -2 or lease == 0:
            lease = _DEFAULT_LEASE_S
        cap = self.max_lease_s
        if cap > 0 and (lease == _INFINITE or lease > cap):
            lease = cap
        if lease == _INFINITE:
            L.lease_s = L.t1_s = L.t2_s = _INFINITE
            return
        t1 = dh.option_time(b, d, n, _OPT_T1)
        t2 = dh.option_time(b, d, n, _OPT_T2)
        # RFC 2131 4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease
        # (lease - lease // 8: no product past 2**30)
        if t2 < 0 or t2 > lease:
            t2 = lease - lease // 8
        if t1 < 0 or t1 > t2:
            t1 = lease // 2
            if t1 > t2:
                t1 = t2
        L.lease_s = lease
        L.t1_s = t1
        L.t2_s = t2

    def _dns(self, b, d, n, take):
        """The option's servers, unicast only (some send 0.0.0.0 for an
        empty slot), up to max_dns: taken into the lease (take), else
        compared with it (True: they differ)."""
        L = self.lease
        v = dh.find_option(b, d, n, _OPT_DNS)
        k = 0
        if v >= 0:
            end = v + (b[v - 1] & 0xFC)
            while v < end and k < self._max_dns:
                if _usable(b, v):
                    if take:
                        copy(L.dns, 4 * k, b, v, 4)
                    elif k >= L.dns_count or not equal(L.dns, 4 * k, b, v, 4):
                        return True
                    k += 1
                v += 4
        if take:
            L.dns_count = k
        return k != L.dns_count

    # --- the lease clock ------------------------------------------------
    def _tick(self, now):
        if self.lease.lease_s == _INFINITE:
            return
        e = ticks_diff(now, self._t0)
        if e >= 1000:
            k = e // 1000
            self._secs += k
            self._t0 = ticks_add(self._t0, k * 1000)

    def _lease_timer(self, now):
        L = self.lease
        s = self._secs
        if s >= L.lease_s:
            self._restart(now)   # expired: stop using the address (4.4.5)
            return
        st = REBINDING if s >= L.t2_s else RENEWING
        if st != self.state:
            self.state = st
            self._new_xid()
            self._begin = now
        self._due = True
        self._at = -1

    # --- sending ----------------------------------------------------------
    def _send(self, iface, now):
        st = self.state
        L = self.lease
        if st == RENEWING:
            dst = L.server_addr
        else:
            dst = ipaddr.BROADCAST4
        src = L.address if st >= BOUND else None
        off = iface.tx_begin(dst, 0, 4, src, 0, now)
        if off == -1:
            # the server's MAC is not known yet (RENEWING): ARP is on its way
            if self._arp_since < 0:
                self._arp_since = now
            if ticks_diff(now, self._arp_since) < _ARP_GIVE_UP_MS:
                self._at = ticks_add(now, iface.neighbor_retry_ms)
                return False
            off = -2
        self._arp_since = -1
        if off < 0 or iface.tx_room < _UDP_HDR + self._msg_max:
            self.tx_no_route += 1   # counts as sent and lost
            self._sent(now)
            return True
        b = iface.tx_buf
        n = self._build(iface, b, off + _UDP_HDR, now)
        udp.emit(b, off, _CLIENT_PORT, _SERVER_PORT, n)
        if src is None:
            # RFC 2131 4.1: 0.0.0.0 until an address is bound, even when
            # the Interface has other addresses it would pick
            fill(iface.tx_src, 0, 4, 0)
        iface.tx_finish(PROTO, n + _UDP_HDR)
        self.tx_count += 1
        self._sent(now)
        return True

    def _build(self, iface, b, d, now):
        st = self.state
        L = self.lease
        if self._begin < 0:
            self._begin = now
        if st != REQUESTING:
            # seconds since this exchange began; a REQUEST answering an
            # offer repeats the DISCOVER's value (RFC 2131 4.4.1)
            s = ticks_diff(now, self._begin) // 1000
            self._secs_field = s if s < 0xFFFF else 0xFFFF
        # bound: our address in ciaddr; before, we cannot receive unicast:
        # ask for broadcast replies (RFC 2131 4.1)
        bound = st >= BOUND
        p = dh.emit_header(b, d, _OP_REQUEST, self._xid, 0, self._secs_field,
                           0 if bound else _FLAG_BROADCAST << 8, L.address if bound else None,
                           0, iface.mac, 0)
        p = dh.put_u8(b, p, _OPT_MESSAGE_TYPE, _DISCOVER if st == DISCOVERING else _REQUEST)
        cid = self.client_id
        if cid is not None:
            p = dh.put_bytes(b, p, _OPT_CLIENT_ID, cid, 0, len(cid))
        else:
            b[p] = _OPT_CLIENT_ID
            b[p + 1] = 7
            b[p + 2] = 1   # hardware type Ethernet
            copy(b, p + 3, iface.mac, 0, 6)
            p += 9
        if st == REQUESTING:
            # RFC 2131 4.3.2: SELECTING names the offer and the server;
            # RENEWING/REBINDING put the address in ciaddr instead
            p = dh.put_bytes(b, p, _OPT_REQUESTED_IP, self._offer, 0, 4)
            p = dh.put_bytes(b, p, _OPT_SERVER_ID, self._server_id, 0, 4)
        p = dh.put_u16(b, p, _OPT_MAX_SIZE, iface.ip_mtu if iface.ip_mtu > 576 else 576)
        h = self.hostname
        if h is not None:
            p = dh.put_bytes(b, p, _OPT_HOSTNAME, h, 0, len(h))
        p = dh.put_bytes(b, p, _OPT_PARAM_REQUEST, _PARAMS, 0, len(_PARAMS))
        return dh.put_end(b, d, p)

    def _sent(self, now):
        st = self.state
        self._sent_at = now
        if st == DISCOVERING or st == REQUESTING:
            # RFC 2131 4.1: 4 s before the first retransmission, doubling to
            # 64 s, each randomized by -1..+1 s
            k = self._tries
            self._tries = k + 1
            delay = _FIRST_RETX_MS << k if k < 5 else _MAX_RETX_MS
            if delay > _MAX_RETX_MS:
                delay = _MAX_RETX_MS
            delay += self._rand.below(2 * _JITTER_MS + 1) - _JITTER_MS
            self._at = ticks_add(now, delay)
            return
        # RENEWING/REBINDING: half the time left to T2 (or to the end of the
        # lease), at least 60 s, never past that moment (RFC 2131 4.4.5)
        L = self.lease
        self._due = False
        s = self._secs
        end = L.t2_s if st == RENEWING else L.lease_s
        w = (end - s) // 2
        if w < _MIN_RETX_S:
            w = _MIN_RETX_S
        nxt = s + w
        self._next_s = nxt if nxt < end else end

    # --- state changes ----------------------------------------------------
    def _new_xid(self):
        r = self._rand
        x = self._xid
        v = r.next()
        x[0] = v >> 8
        x[1] = v & 0xFF
        v = r.next()
        x[2] = v >> 8
        x[3] = v & 0xFF

    def _restart(self, now):
        self._deconfigure()
        self.state = DISCOVERING
        self._new_xid()
        self._tries = 0
        self._due = True
        self._at = -1
        self._begin = -1 if now < 0 else now
        self._arp_since = -1
        self._next_s = -1

    def _deconfigure(self):
        if self.state >= BOUND:
            self._unapply()
            self.changed += 1
            self.event = EVENT_DECONFIGURED

    def _apply(self):
        iface = self._iface
        if not self.configure or iface is None:
            return
        L = self.lease
        try:
            cidr = L.cidr()
            iface.add_ip(cidr)
            self._applied = cidr
            if L.has_router:
                iface.routes.add_default(L.router)
                self._route = True
        except OSError as e:   # ENOMEM: the Interface's tables are full
            self.error = e.args[0] if e.args else _ENOMEM

    def _unapply(self):
        iface = self._iface
        if iface is None:
            return
        if self._applied is not None:
            iface.remove_ip(self._applied)
            self._applied = None
        if self._route:
            self._route = False
            # only the default route we added: the user may have replaced it
            iface.routes.remove_via("0.0.0.0/0", self.lease.router)

