# A Multicast DNS responder (RFC 6762) for one name: the board answers
# "<hostname>.local" with its addresses (A, and AAAA when the Interface has
# IPv6), as MicroPython's lwIP ports do.
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
# legacy queriers. With IPv6 it also listens on [ff02::fb]:5353, probes and
# announces on both groups, answers a query on the group it came by, and
# answers AAAA (and ANY) questions; every response carries all our address
# records, the asked-for type as answers, the others as additional records
# (6.2: "all addresses that are valid on the interface"). Records after the
# first name point back to it (RFC 1035 4.1.4 compression).
#
# Everything it sends leaves with IP TTL / hop limit 255 (11: a receiver may
# check it to know the message came from the link).
#
# Deviations, each counted or said: the first probe goes at once (8.1 asks for
# a random 0-250 ms delay; a board coming up alone rarely races another); no NSEC for a type we lack (6.1: an
# AAAA question without IPv6 goes unanswered), no known-answer suppression, no
# simultaneous-probe tiebreaking (8.2: a conflicting probe is ignored, only
# answers count); at most _MAX6 IPv6 addresses are told. serve() allocates nothing, idle or
# answering (the addresses are copied from the Interface's tables in place).
from micropython import const
from time import ticks_diff
from ..socket.udp import UdpSocket
from ..wire import dns
from ..fast import copy
from ..wire import ipaddr

PORT = const(5353)
GROUP = "224.0.0.251"
GROUP6 = "ff02::fb"
TYPE_ANY = const(255)
_CACHE_FLUSH = const(0x8000)   # in an answer's class (10.2)
_QU = const(0x8000)            # in a question's class (5.4)
_PROBE_MS = const(250)
_ANNOUNCE_MS = const(1000)
_LEGACY_TTL = const(10)
_MAX6 = const(6)               # IPv6 addresses told (the message stays < 512)
_PTR0 = const(0xC00C)          # a compressed name: the one at offset 12
# copy of smolnet/iface/addr6.py's TENTATIVE (inlined; test_const_copies.py checks)
_TENTATIVE = const(1)

PROBING = const(0)
ANNOUNCING = const(1)
READY = const(2)


class MdnsResponder(UdpSocket):
    label = "MdnsResponder"          # what repl.netstat() shows for it
    def __init__(self, iface, hostname, ttl=120):
        # rings for two queries and two messages (an announcement goes to
        # both groups): every byte counts on a 140 KiB board, where the
        # responder comes with network.LAN
        UdpSocket.__init__(self, rx_slots=2, rx_bytes=768, tx_slots=2, tx_bytes=768)
        self.iface = iface
        self.ttl = ttl
        self.base = hostname
        self.tries = 1
        self.qname = None
        self.qlen = 0
        self._name(hostname)
        # one buffer for the query being read and the message being built:
        # an answer is built only once the query has given what it needs
        # (its ID, type, unicast bit; the asker's address is the socket's)
        self.buf = bytearray(512)        # a query (longer ones are cut)
        self.group = ipaddr.parse4(GROUP)
        self.hop_limit = 255             # every response, unicast too (11)
        self.bind(PORT)
        iface.add_socket(self)
        iface.join_multicast(GROUP)
        # IPv6 as the Interface has it when the responder starts
        self.group6 = None
        if iface.ip6 is not None:
            self.group6 = ipaddr.parse6(GROUP6)
            iface.join_multicast(GROUP6)
        self.state = PROBING
        self.left = 3               # probes or announcements still to send
        self.next_at = None         # now at the first serve()
        self.queries = 0            # questions for our name answered
        self.conflicts = 0
        self.ignored = 0            # datagrams that were not for us or malformed
        self._first = 0             # the name is written in full (at 12) already
        self._ttl = ttl             # of the records of the message being built
        self._cls = dns.CLASS_IN    # and their class (with the cache-flush bit)

    def _name(self, host):
        name = host + ".local"
        b = name.encode()
        # the encoded name is a byte longer, plus the root; encode_name may
        # write up to 256 bytes of a name too long to encode
        q = bytearray(min(len(b), 254) + 2)
        n = dns.encode_name(q, 0, b, len(b))
        if n < 0:
            raise ValueError("hostname: not a valid DNS name")
        self.name = name
        self.qname = q
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
            self._to_groups(self._probe())
            self.left -= 1
            if self.left == 0:
                self.state = ANNOUNCING
                self.left = 2
            self.next_at = now + _PROBE_MS
            return
        self._to_groups(self._answer(0, TYPE_ANY, self.ttl, True))
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
            if (qclass & ~_QU) == dns.CLASS_IN and self._have(qtype) \
                    and dns.name_equal(b, 0, n, p, self.qname, 0, self.qlen, 0):
                self._reply(qtype, qclass & _QU)
                return
            p = end + 4

    def _have(self, qtype):
        # a question we answer: ANY, A, or AAAA while we have an IPv6 address
        if qtype == TYPE_ANY:
            return True
        if qtype == dns.TYPE_A:
            return self._n4() > 0
        return qtype == dns.TYPE_AAAA and self._n6() > 0

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

    def rename(self, hostname):
        """Answer hostname.local from now on (or the same name for a new
        address): probe and announce again (RFC 6762 8.3: whenever a host's
        records change), conflicts counted afresh."""
        self.base = hostname
        self.tries = 1
        self._name(hostname)
        self.state = PROBING
        self.left = 3
        self.next_at = None
        self.due_at = -2     # the Interface's next poll starts probing (interface.py)

    def _conflict(self):
        self.conflicts += 1
        self.tries += 1
        self._name("%s-%d" % (self.base, self.tries))
        self.state = PROBING
        self.left = 3

    def _reply(self, qtype, qu):
        s = self
        self.queries += 1
        if s.peer_port != PORT:       # a one-shot querier (6.7)
            ident = dns.ident(self.buf, 0)
            self._send(self._legacy(ident, qtype), s.peer_addr, s.peer_port)
            return
        n = self._answer(0, qtype, self.ttl, True)
        if qu:
            self._send(n, s.peer_addr, PORT)
        elif len(s.peer_addr) == 16:  # asked on the IPv6 group: answered there
            self._send(n, self.group6, PORT)
        else:
            self._send(n, self.group, PORT)

    # --- messages -------------------------------------------------------------
    def _header(self, ident, flags, qd):
        # ID, flags, question count; the record counts from _counts()
        o = self.buf
        o[0] = ident >> 8
        o[1] = ident & 0xFF
        o[2] = flags >> 8
        o[3] = flags & 0xFF
        o[4] = 0
        o[5] = qd
        return dns.HEADER_LEN

    def _counts(self, an, ns, ar):
        # answer, authority, additional record counts (each < 256 here)
        o = self.buf
        o[6] = 0
        o[7] = an
        o[8] = 0
        o[9] = ns
        o[10] = 0
        o[11] = ar

    def _put_name(self, p):
        # the name in full the first time, then a pointer to it
        o = self.buf
        if self._first:
            o[p] = _PTR0 >> 8
            o[p + 1] = _PTR0 & 0xFF
            return p + 2
        copy(o, p, self.qname, 0, self.qlen)
        self._first = p
        return p + self.qlen

    def _put_question(self, p, qtype, qclass):
        p = self._put_name(p)
        o = self.buf
        o[p] = qtype >> 8
        o[p + 1] = qtype & 0xFF
        o[p + 2] = qclass >> 8
        o[p + 3] = qclass & 0xFF
        return p + 4

    def _put_rr(self, p, rtype, a, aoff):
        # one A or AAAA record with the TTL and class _new_message() chose
        o = self.buf
        p = self._put_name(p)
        alen = 16 if rtype == dns.TYPE_AAAA else 4
        o[p] = 0
        o[p + 1] = rtype
        o[p + 2] = self._cls >> 8
        o[p + 3] = self._cls & 0xFF
        o[p + 4] = self._ttl >> 24
        o[p + 5] = (self._ttl >> 16) & 0xFF
        o[p + 6] = (self._ttl >> 8) & 0xFF
        o[p + 7] = self._ttl & 0xFF
        o[p + 8] = 0
        o[p + 9] = alen
        p += 10
        copy(o, p, a, aoff, alen)
        return p + alen

    def _n4(self):
        # the first IPv4 address only (what a DHCP lease gives); read in
        # place: Interface.ip4() would make a bytes object per answer
        return 1 if self.iface.n4 else 0

    def _n6(self):
        # usable (not tentative, RFC 4862 5.4) IPv6 addresses, at most _MAX6
        v6 = self.iface.ip6
        if v6 is None or self.group6 is None:
            return 0
        k = 0
        for i in range(v6.addrs.n):
            if v6.addrs.state[i] != _TENTATIVE:
                k += 1
        return k if k < _MAX6 else _MAX6

    def _new_message(self, ttl, flush):
        # a new message: its records' TTL and class, the name not yet written
        self._first = 0
        self._ttl = ttl
        self._cls = dns.CLASS_IN | (_CACHE_FLUSH if flush else 0)

    def _put_records(self, p, rtype):
        """Our records of rtype (A, AAAA), written at p (as many as
        _n4()/_n6() count)."""
        if rtype == dns.TYPE_A:
            if not self._n4():
                return p
            return self._put_rr(p, dns.TYPE_A, self.iface.addrs4, 0)
        left = self._n6()
        v6 = self.iface.ip6
        i = 0
        while left > 0:
            if v6.addrs.state[i] != _TENTATIVE:
                p = self._put_rr(p, dns.TYPE_AAAA, v6.addrs.addrs, 16 * i)
                left -= 1
            i += 1
        return p

    def _probe(self):
        # question: the name, ANY, QU; authority: every record we will claim
        self._new_message(self.ttl, False)
        p = self._header(0, 0, 1)
        self._counts(0, self._n4() + self._n6(), 0)
        p = self._put_question(p, TYPE_ANY, _QU | dns.CLASS_IN)
        p = self._put_records(p, dns.TYPE_A)
        return self._put_records(p, dns.TYPE_AAAA)

    def _answer(self, ident, qtype, ttl, flush):
        """The asked-for records as answers, our others as additional ones
        (RFC 6762 6.2); ANY: all as answers."""
        self._new_message(ttl, flush)
        n4 = self._n4()
        n6 = self._n6()
        if qtype == TYPE_ANY:
            an, ar = n4 + n6, 0
        elif qtype == dns.TYPE_AAAA:
            an, ar = n6, n4
        else:
            an, ar = n4, n6
        p = self._header(ident, dns.FLAG_QR | dns.FLAG_AA, 0)
        self._counts(an, 0, ar)
        first = dns.TYPE_AAAA if qtype == dns.TYPE_AAAA else dns.TYPE_A
        p = self._put_records(p, first)
        return self._put_records(p, dns.TYPE_A if first == dns.TYPE_AAAA else dns.TYPE_AAAA)

    def _legacy(self, ident, qtype):
        # a one-shot querier's answer (6.7): its ID and question, TTL <= 10,
        # no cache-flush bit; the asked-for records only
        self._new_message(_LEGACY_TTL, False)
        rtype = dns.TYPE_AAAA if qtype == dns.TYPE_AAAA else dns.TYPE_A
        an = self._n6() if rtype == dns.TYPE_AAAA else self._n4()
        p = self._header(ident, dns.FLAG_QR | dns.FLAG_AA, 1)
        self._counts(an, 0, 0)
        p = self._put_question(p, qtype, dns.CLASS_IN)
        return self._put_records(p, rtype)

    def _to_groups(self, n):
        self._send(n, self.group, PORT)
        if self.group6 is not None:
            self._send(n, self.group6, PORT)

    def _send(self, n, addr, port):
        if self.can_send(n):
            self.send_to(self.buf, n, addr, port)

    def close(self):
        """Leave the groups and the Interface."""
        self.iface.leave_multicast(GROUP)
        if self.group6 is not None:
            self.iface.leave_multicast(GROUP6)
        UdpSocket.close(self)
        self.iface.remove_socket(self)
