# A Multicast DNS responder (RFC 6762) for one name: the board answers
# "<hostname>.local" with its IPv4 address, as MicroPython's lwIP ports do.
#
#   r = MdnsResponder(iface, "board")      # joins 224.0.0.251, binds 5353
#
# It is a UDP socket of the Interface (port 5353) that does its own work in
# dispatch(): every iface.poll() runs it (a poll loop, the asyncio driver,
# the REPL's interactive()), and poll_delay() knows its probe timers.
#
# At start it probes three times, 250 ms apart (RFC 6762 8.1: a query for the
# name, type ANY, with the record it wants in the authority section); an
# answer from another host for the name is a conflict: it takes the name with
# "-2" (then "-3", ...) and probes again (9). Then it announces twice, 1 s
# apart (8.3), and from then on answers queries for the name's A (or ANY)
# record: multicast to 224.0.0.251:5353, or unicast to the asker when the
# question has its unicast-response bit (5.4) or comes from a port other than
# 5353 (a one-shot "legacy" querier, 6.7: same ID, the question repeated,
# TTL at most 10 s). Records carry the cache-flush bit (10.2), except to
# legacy queriers.
#
# Deviations, each counted or said: the first probe goes at once (8.1 asks for
# a random 0-250 ms delay; a board coming up alone rarely races another);
# responses leave with IP TTL 1 like all of smolnet's multicast, where 11 asks
# for 255 (Linux's resolvers accept them); no AAAA, no known-answer
# suppression, no simultaneous-probe tiebreaking (8.2: a conflicting probe is
# ignored, only answers count). Idle, serve() allocates nothing; an answer
# allocates a little (the address is looked up afresh each time).
from micropython import const
from time import ticks_diff
from ..socket.udp import UdpSocket
from ..wire import dns
from ..wire import ipaddr

PORT = const(5353)
GROUP = "224.0.0.251"
TYPE_ANY = const(255)
_CACHE_FLUSH = const(0x8000)   # in an answer's class (10.2)
_QU = const(0x8000)            # in a question's class (5.4)
_PROBE_MS = const(250)
_ANNOUNCE_MS = const(1000)
_LEGACY_TTL = const(10)

PROBING = const(0)
ANNOUNCING = const(1)
READY = const(2)


class MdnsResponder(UdpSocket):
    def __init__(self, iface, hostname, ttl=120):
        UdpSocket.__init__(self, rx_slots=2, rx_bytes=1024, tx_slots=2, tx_bytes=512)
        self.iface = iface
        self.ttl = ttl
        self.base = hostname
        self.tries = 1
        self.qname = bytearray(256)      # encode_name may need 256
        self.qlen = 0
        self._name(hostname)
        self.buf = bytearray(512)        # a query (longer ones are cut)
        self.out = bytearray(300)        # our longest message: a probe
        self.group = ipaddr.parse4(GROUP)
        self.bind(PORT)
        iface.add_socket(self)
        iface.join_multicast(GROUP)
        self.state = PROBING
        self.left = 3               # probes or announcements still to send
        self.next_at = None         # now at the first serve()
        self.queries = 0            # questions for our name answered
        self.conflicts = 0
        self.ignored = 0            # datagrams that were not for us or malformed

    def _name(self, host):
        name = host + ".local"
        b = name.encode()
        n = dns.encode_name(self.qname, 0, b, len(b))
        if n < 0:
            raise ValueError("hostname: not a valid DNS name")
        self.name = name
        self.qlen = n

    # --- the socket contract: the Interface's poll runs the responder --------
    def dispatch(self, iface, now):
        self.serve(now)
        return UdpSocket.dispatch(self, iface, now)

    def poll_at(self, now):
        if not self.rx.is_empty() or self.next_at is None:
            return 0
        t = UdpSocket.poll_at(self, now)
        if self.state != READY:
            d = ticks_diff(self.next_at, now)
            d = d if d > 0 else 0
            if t < 0 or d < t:
                t = d
        return t

    # --- timers -----------------------------------------------------------
    def serve(self, now):
        """Take queries, answer them; probe and announce when due (dispatch()
        calls it; a caller may too)."""
        if self.next_at is None:
            self.next_at = now
        while True:
            n = UdpSocket.recv_into(self, self.buf)
            if n < 0:
                break
            self._rx(n, now)
        if self.state != READY and ticks_diff(now, self.next_at) >= 0:
            self._tick(now)

    def _tick(self, now):
        if self.state == PROBING:
            self._send(self._probe(), self.group, PORT)
            self.left -= 1
            if self.left == 0:
                self.state = ANNOUNCING
                self.left = 2
            self.next_at = now + _PROBE_MS
            return
        self._send(self._answer(0, False, self.ttl, True), self.group, PORT)
        self.left -= 1
        if self.left == 0:
            self.state = READY
        self.next_at = now + _ANNOUNCE_MS

    # --- receive ------------------------------------------------------------
    def _rx(self, n, now):
        b = self.buf
        if n < dns.HEADER_LEN or dns.opcode(dns.flags(b, 0)) != 0:
            self.ignored += 1
            return
        if dns.flags(b, 0) & dns.FLAG_QR:
            self._rx_response(n)
            return
        if self.state != READY:
            return                    # not ours to answer yet (8.1)
        p = dns.HEADER_LEN
        for _ in range(dns.qdcount(b, 0)):
            end = dns.skip_name(b, n, p)
            if end < 0 or end + 4 > n:
                self.ignored += 1
                return
            qtype = (b[end] << 8) | b[end + 1]
            qclass = (b[end + 2] << 8) | b[end + 3]
            if (qclass & ~_QU) == dns.CLASS_IN and (qtype == dns.TYPE_A or qtype == TYPE_ANY) \
                    and dns.name_equal(b, 0, n, p, self.qname, 0, self.qlen, 0):
                self._reply(qclass & _QU)
                return
            p = end + 4

    def _rx_response(self, n):
        # an answer for our name from someone else while we probe: taken
        if self.state == READY:
            return
        b = self.buf
        p = dns.HEADER_LEN
        for _ in range(dns.qdcount(b, 0)):
            p = dns.skip_name(b, n, p)
            if p < 0:
                return
            p += 4
        for _ in range(dns.ancount(b, 0)):
            if p < 0 or p >= n:
                return
            if dns.name_equal(b, 0, n, p, self.qname, 0, self.qlen, 0):
                self._conflict()
                return
            end = dns.skip_name(b, n, p)
            if end < 0 or end + 10 > n:
                return
            p = end + 10 + ((b[end + 8] << 8) | b[end + 9])

    def _conflict(self):
        self.conflicts += 1
        self.tries += 1
        self._name("%s-%d" % (self.base, self.tries))
        self.state = PROBING
        self.left = 3

    def _reply(self, qu):
        s = self
        self.queries += 1
        if s.peer_port != PORT:       # a one-shot querier (6.7)
            ident = dns.ident(self.buf, 0)
            self._send(self._answer(ident, True, _LEGACY_TTL, False), s.peer_addr, s.peer_port)
        elif qu:
            self._send(self._answer(0, False, self.ttl, True), s.peer_addr, PORT)
        else:
            self._send(self._answer(0, False, self.ttl, True), self.group, PORT)

    # --- messages -------------------------------------------------------------
    def _header(self, ident, flags, qd, an, ns):
        o = self.out
        for i, v in enumerate((ident, flags, qd, an, ns, 0)):
            o[2 * i] = v >> 8
            o[2 * i + 1] = v & 0xFF
        return dns.HEADER_LEN

    def _put_name(self, p):
        o = self.out
        o[p:p + self.qlen] = self.qname[:self.qlen]
        return p + self.qlen

    def _put_a(self, p, ttl, flush):
        o = self.out
        p = self._put_name(p)
        cls = dns.CLASS_IN | (_CACHE_FLUSH if flush else 0)
        for v in (dns.TYPE_A, cls, ttl >> 16, ttl & 0xFFFF, 4):
            o[p] = v >> 8
            o[p + 1] = v & 0xFF
            p += 2
        ips = self.iface.ips()
        a = ipaddr.parse4(ips[0].split("/")[0]) if ips else bytes(4)
        o[p:p + 4] = a
        return p + 4

    def _probe(self):
        p = self._header(0, 0, 1, 0, 1)
        p = self._put_name(p)
        o = self.out
        o[p] = TYPE_ANY >> 8
        o[p + 1] = TYPE_ANY & 0xFF
        o[p + 2] = (_QU | dns.CLASS_IN) >> 8
        o[p + 3] = dns.CLASS_IN
        return self._put_a(p + 4, self.ttl, False)

    def _answer(self, ident, legacy, ttl, flush):
        flags = dns.FLAG_QR | dns.FLAG_AA
        p = self._header(ident, flags, 1 if legacy else 0, 1, 0)
        if legacy:
            p = self._put_name(p)
            o = self.out
            o[p] = 0
            o[p + 1] = dns.TYPE_A
            o[p + 2] = 0
            o[p + 3] = dns.CLASS_IN
            p += 4
        return self._put_a(p, ttl, flush)

    def _send(self, n, addr, port):
        if self.can_send(n):
            self.send_to(self.out, n, addr, port)

    def close(self):
        """Leave the group and the Interface."""
        self.iface.leave_multicast(GROUP)
        UdpSocket.close(self)
        self.iface.remove_socket(self)
