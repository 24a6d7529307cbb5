# DNS resolver (RFC 1035 stub resolver), a socket like any other: add it to
# the Interface, start queries, poll their results. After smoltcp's dns
# socket.
#
#   dns = iface.add_socket(DnsSocket(["192.0.2.1"]))
#   h = dns.start_query(b"smolnet.example")       # bytes: allocation-free
#   ... iface.poll(now) until dns.status(h) != PENDING ...
#   if dns.status(h) == OK: n = dns.address_into(h, 0, buf)
#   dns.free(h)
#
# Each query has a slot with its own buffers. A query goes to the servers in
# turn: a retransmission every retransmit_ms, doubling after each round over
# the servers (to max_retransmit_ms), until timeout_ms. A response counts
# when it comes from port 53 of one of our servers to our port, with the
# query's id and its question (RFC 5452 9.1); the id is random and so is
# our port. A server failure (SERVFAIL, REFUSED, NOTIMP) moves on to the
# next server; a truncated answer is an error (no TCP fallback). There is
# no cache.
#
# Allocation: start_query with a bytes name, status, address_count,
# address_into, free and the Interface hooks allocate nothing. A str name,
# addresses(), result() and set_servers() allocate.
from micropython import const
from time import ticks_add, ticks_diff
from ..wire import dns, udp, ipaddr
from ..fast import copy, equal
from ..rand import Rand16, entropy_seed

# copies of smolnet/wire/dns.py's constants
_FLAG_QR = const(0x8000)
_FLAG_TC = const(0x200)
_HEADER_LEN = const(12)
_NAME_MAX = const(255)
_PORT = const(53)
_RCODE_MASK = const(15)
_RCODE_NOERROR = const(0)
_RCODE_NXDOMAIN = const(3)
_TYPE_A = const(1)
_TYPE_AAAA = const(28)
# copies of smolnet/socket/errno.py's constants
_EIO = const(5)
_ENOBUFS = const(105)
_ENOENT = const(2)
_ETIMEDOUT = const(110)

PROTO = const(17)

# status(): 0 pending, 1 done, below 0 failed
PENDING = const(0)
OK = const(1)
ERR_NXDOMAIN = const(-1)    # no such name
ERR_NODATA = const(-2)      # the name has no address of that type
ERR_SERVFAIL = const(-3)    # every server failed or refused
ERR_TRUNCATED = const(-4)   # the answer needs TCP
ERR_TIMEOUT = const(-5)
ERR_NO_SERVER = const(-6)   # no server configured

_FREE = const(0)
_PENDING = const(1)
_DONE = const(2)

_ARP_GIVE_UP_MS = const(3000)   # a server that does not answer ARP is skipped
_UDP_HDR = const(8)
_MAX_DOUBLINGS = const(6)


class _Query:
    def __init__(self, max_addrs):
        self.state = _FREE
        self.result = PENDING
        self.ident = 0
        self.qtype = _TYPE_A
        self.name = bytearray(_NAME_MAX + 1)
        self.nlen = 0
        self.addrs = bytearray(16 * max_addrs)
        self.count = 0
        self.alen = 4
        self.server = 0       # index of the server the next send goes to
        self.sends = 0
        self.failures = 0     # servers that answered with a failure
        self.at = -1          # tick of the next send; -1 as soon as possible
        self.deadline = -1    # set at the first send
        self.arp_since = -1


class DnsSocket:
    proto = PROTO

    def __init__(self, servers=(), slots=4, max_addrs=4, max_servers=3, timeout_ms=10000,
                 retransmit_ms=1000, max_retransmit_ms=8000, port=0, seed=None):
        self._rand = Rand16(entropy_seed() if seed is None else seed)
        self.port = port if port else 49152 + self._rand.below(16384)
        self.timeout_ms = timeout_ms
        self.retransmit_ms = retransmit_ms
        self.max_retransmit_ms = max_retransmit_ms
        self._max_addrs = max_addrs
        self._servers = bytearray(4 * max_servers)
        self._nservers = 0
        self._q = [_Query(max_addrs) for _ in range(slots)]
        # counters
        self.rx_malformed = 0
        self.rx_ignored = 0    # not an answer to a query of ours
        self.tx_count = 0
        self.set_servers(servers)

    # --- user API -------------------------------------------------------
    def set_servers(self, servers):
        """Servers: a list of addresses (str or 4 bytes); a str alone is
        one server. Queries in flight use the new list from their next send."""
        if isinstance(servers, str) or (isinstance(servers, (bytes, bytearray))
                                        and len(servers) == 4):
            servers = [servers]
        k = 0
        for s in servers:
            a = ipaddr.parse4(s) if isinstance(s, str) else s
            if len(a) != 4:
                raise ValueError("DNS servers are IPv4 addresses")
            if k * 4 == len(self._servers):
                break
            copy(self._servers, 4 * k, a, 0, 4)
            k += 1
        self._nservers = k
        self.due_at = -2     # the Interface's next poll dispatches it (interface.py)

    def servers(self):
        return [bytes(self._servers[4 * i:4 * i + 4]) for i in range(self._nservers)]

    def start_query(self, name, qtype=_TYPE_A):
        """Start resolving name (str, or bytes for no allocation) to
        addresses of qtype (dns.TYPE_A, dns.TYPE_AAAA). Returns a handle.
        OSError(ENOBUFS) if every slot is busy, ValueError for a bad name."""
        if qtype != _TYPE_A and qtype != _TYPE_AAAA:
            raise ValueError("qtype: TYPE_A or TYPE_AAAA")
        if isinstance(name, str):
            name = name.encode()
        h = -1
        for i in range(len(self._q)):
            if self._q[i].state == _FREE:
                h = i
                break
        if h < 0:
            raise OSError(_ENOBUFS)
        q = self._q[h]
        n = dns.encode_name(q.name, 0, name, len(name))
        if n < 0:
            raise ValueError("bad DNS name")
        q.nlen = n
        q.qtype = qtype
        q.alen = 16 if qtype == _TYPE_AAAA else 4
        q.ident = self._rand.next()
        q.count = 0
        q.server = 0
        q.sends = 0
        q.failures = 0
        q.at = -1
        q.deadline = -1
        q.arp_since = -1
        q.state = _PENDING
        q.result = PENDING
        self.due_at = -2     # the Interface's next poll sends it (interface.py)
        if self._nservers == 0:
            self._finish(q, ERR_NO_SERVER)
        return h

    def status(self, h):
        """PENDING (0), OK (1), or an ERR_* code (negative)."""
        return self._slot(h).result

    def address_count(self, h):
        return self._slot(h).count

    def address_into(self, h, i, buf, off=0):
        """Copy the i-th address into buf[off:]; returns its length (4, 16)."""
        q = self._slot(h)
        if not 0 <= i < q.count:
            raise IndexError("no such address")
        copy(buf, off, q.addrs, i * q.alen, q.alen)
        return q.alen

    def addresses(self, h):
        q = self._slot(h)
        return [bytes(q.addrs[i * q.alen:(i + 1) * q.alen]) for i in range(q.count)]

    def result(self, h):
        """None while pending; then the list of addresses (bytes), and the
        slot is freed; a failure raises OSError(ENOENT for a name that
        does not resolve, ETIMEDOUT, EIO) after freeing the slot."""
        q = self._slot(h)
        r = q.result
        if r == PENDING:
            return None
        out = self.addresses(h)
        self.free(h)
        if r == OK:
            return out
        if r == ERR_TIMEOUT:
            raise OSError(_ETIMEDOUT)
        if r == ERR_NXDOMAIN or r == ERR_NODATA:
            raise OSError(_ENOENT)
        raise OSError(_EIO)

    def free(self, h):
        """Release the slot (a pending query is cancelled)."""
        q = self._slot(h)   # (a store to self._slot(h).state allocates a bound method)
        q.state = _FREE
        self.due_at = -2     # what dispatch() has to do changed (interface.py)

    def pending(self):
        n = 0
        for q in self._q:
            if q.state == _PENDING:
                n += 1
        return n

    def _slot(self, h):
        if not 0 <= h < len(self._q) or self._q[h].state == _FREE:
            raise ValueError("no such query")
        return self._q[h]

    def _finish(self, q, result):
        q.state = _DONE
        q.result = result

    # --- Interface hooks ------------------------------------------------
    def accepts(self, iface, l4_off):
        b = iface.rx_buf
        if udp.dst_port(b, l4_off) != self.port or udp.src_port(b, l4_off) != _PORT:
            return 0
        return 2

    def _from_server(self, buf, off):
        for i in range(self._nservers):
            if equal(self._servers, 4 * i, buf, off, 4):
                return True
        return False

    def process(self, iface, l4_off, l4_len, now):
        b = iface.rx_buf
        m = l4_off + _UDP_HDR
        n = udp.length(b, l4_off) - _UDP_HDR
        if n < _HEADER_LEN:
            self.rx_malformed += 1
            iface.stats.drop_malformed += 1
            return
        fl = dns.flags(b, m)
        ident = dns.ident(b, m)
        q = None
        for x in self._q:
            if x.state == _PENDING and x.ident == ident:
                q = x
                break
        if q is None or not fl & _FLAG_QR or dns.opcode(fl) != 0 or \
                iface.rx_alen != 4 or not self._from_server(b, iface.rx_src_off):
            self.rx_ignored += 1
            return
        rc = fl & _RCODE_MASK
        # the question must be ours; a server refusing a query may send none
        if dns.question_end(b, m, n, q.name, 0, q.nlen, q.qtype) < 0 and \
                (rc == _RCODE_NOERROR or rc == _RCODE_NXDOMAIN or dns.qdcount(b, m) != 0):
            self.rx_ignored += 1
            return
        if fl & _FLAG_TC:
            self._finish(q, ERR_TRUNCATED)
        elif rc == _RCODE_NOERROR:
            k = dns.answers(b, m, n, q.name, 0, q.nlen, q.qtype, q.addrs, 0, self._max_addrs)
            if k < 0:
                self.rx_malformed += 1
                iface.stats.drop_malformed += 1
                return
            q.count = k
            self._finish(q, OK if k else ERR_NODATA)
        elif rc == _RCODE_NXDOMAIN:
            self._finish(q, ERR_NXDOMAIN)
        else:
            # SERVFAIL, REFUSED, NOTIMP, FORMERR: another server may do better
            q.failures += 1
            if q.failures >= self._nservers:
                self._finish(q, ERR_SERVFAIL)
            else:
                q.at = -1   # at once: q.server already names the next one

    def dispatch(self, iface, now):
        for q in self._q:
            if q.state != _PENDING:
                continue
            if q.deadline >= 0 and ticks_diff(now, q.deadline) >= 0:
                self._finish(q, ERR_TIMEOUT)
                continue
            # while a server's MAC is being resolved, try on every poll: the
            # ARP reply wakes us (tx_begin itself limits the ARP requests)
            if q.arp_since < 0 and q.at >= 0 and ticks_diff(now, q.at) < 0:
                continue
            if self._send(iface, q, now):
                return True
        return False

    def poll_at(self, now):
        best = -1
        for q in self._q:
            if q.state != _PENDING:
                continue
            if q.at < 0:
                return 0
            d = ticks_diff(q.at, now)
            if q.deadline >= 0:
                e = ticks_diff(q.deadline, now)
                if e < d:
                    d = e
            if d <= 0:
                return 0
            if best < 0 or d < best:
                best = d
        return best

    def _send(self, iface, q, now):
        if self._nservers == 0:
            self._finish(q, ERR_NO_SERVER)
            return False
        if q.deadline < 0:
            q.deadline = ticks_add(now, self.timeout_ms)
        if q.server >= self._nservers:
            q.server = 0
        soff = 4 * q.server
        off = iface.tx_begin(self._servers, soff, 4, None, 0, now)
        if off == -1:
            if q.arp_since < 0:
                q.arp_since = now
            if ticks_diff(now, q.arp_since) < _ARP_GIVE_UP_MS:
                q.at = ticks_add(now, iface.neighbor_retry_ms)
                return False
            off = -2   # this server is not there: on to the next
        q.arp_since = -1
        if off >= 0 and iface.tx_room >= _UDP_HDR + _HEADER_LEN + q.nlen + 4:
            b = iface.tx_buf
            n = dns.emit_query(b, off + _UDP_HDR, q.ident, q.name, 0, q.nlen, q.qtype)
            udp.emit(b, off, self.port, _PORT, n)
            iface.tx_finish(PROTO, n + _UDP_HDR)
            self.tx_count += 1
        # next: the next server, after a delay that doubles each round
        q.sends += 1
        q.server = (q.server + 1) % self._nservers
        r = q.sends // self._nservers
        if r > _MAX_DOUBLINGS:
            r = _MAX_DOUBLINGS
        delay = self.retransmit_ms << r
        if delay > self.max_retransmit_ms:
            delay = self.max_retransmit_ms
        q.at = ticks_add(now, delay)
        return True

