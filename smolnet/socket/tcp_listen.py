# A listening socket with a bounded accept queue.
#
# TcpListener(backlog, rx_size, tx_size, **options) preallocates `backlog`
# TcpSockets (each with its buffers); with prealloc=False it makes them only
# as SYNs need them, up to `backlog`, and accept() hands its slot's socket
# out without making another (what a board short of RAM wants: an idle
# listener then holds no buffers; lwIP's listening PCB does the same). A SYN
# that finds no memory for a new slot is dropped and counted (syn_nomem;
# the peer retries). A SYN for the listening port takes a
# free one (it answers SYN-ACK and completes the handshake on its own); its
# header and options are checked first, so a malformed SYN never holds a
# slot. A SYN finding none free gets a SYN cookie (tcp_cookie.py, RFC 4987
# 3.6: no state kept), and the ACK returning a good cookie takes a free slot
# or evicts the oldest half-open connection (RFC 4987 3.4); with
# syn_cookies=False, or in a build without tcp_cookie.py (the manifest's
# cookies option), it is dropped and counted (the peer retries). A
# half-open connection whose peer never answers ARP/ND (a spoofed source)
# frees its slot after the neighbor timeout (3 s). accept() hands out the oldest
# established connection and puts a fresh socket in its slot: the one the
# caller passes (recycled, no allocation) or a new one (allocates, which is
# fine at connection setup; none with prealloc=False). Memory never grows
# beyond backlog sockets plus those the user holds.
#
# The Interface sees only the listener: it forwards segments for pending
# connections (exact 4-tuple match) and emits for them. An accepted socket
# is registered with the Interface by accept() itself.
#
# TIME-WAIT: with time_wait=n the listener keeps n compact TIME-WAIT records
# (tcp_timewait.py). An accepted connection that reaches TIME-WAIT (the
# server closed first) moves into one as soon as its receive buffer is
# empty, and the socket is CLOSED, ready to be the spare of the next
# accept(): a server then cycles through many connections with a fixed set
# of sockets while the earlier ones are still in TIME-WAIT. The records
# answer for those 4-tuples (retransmitted FINs get their ACK). time_wait=0
# (the default): accepted sockets stay in TIME-WAIT themselves for 2MSL.
from micropython import const
from time import ticks_diff
from ..fast import equal
from ..wire import tcp as wire
from .tcp import TcpSocket, PROTO
from .tcp_conn import sack_state, rack_class
from .tcp_timewait import TimeWaitTable

# copies of smolnet/socket/errno.py's constants
_EINVAL = const(22)

# copies of smolnet/socket/tcp.py's states (inlined here; test_const_copies.py checks)
_CLOSED = const(0)
_LISTEN = const(1)
_ESTABLISHED = const(4)
_CLOSE_WAIT = const(7)
# copies of smolnet/wire/tcp.py's flags (_ACK is ACK_FLAG there; test_const_copies.py checks)
_SYN = const(0x02)
_RST = const(0x04)
_ACK = const(0x10)


def _cookies(want):
    """SYN cookies (tcp_cookie.py, RFC 4987) for a TcpListener: None (the
    default) if the build has them (firmware/manifest.py's cookies option),
    True: a ValueError without, False: none (a full queue drops SYNs and
    counts them in syn_dropped)."""
    if want is False:
        return None
    try:
        from .tcp_cookie import Cookies
    except ImportError:
        if want:
            raise _no_cookies()
        return None
    return Cookies()


def _no_cookies():
    # (apart from _cookies: the call would take its frame past 11 words)
    from .. import left_out
    return ValueError(left_out("syn_cookies=True: ", "socket.tcp_cookie", "cookies"))


class TcpListener:
    proto = PROTO

    def __init__(self, backlog=4, rx_size=4096, tx_size=4096, time_wait=0,
                 syn_cookies=None, prealloc=True, **options):
        if backlog < 1:
            raise ValueError("backlog")
        self.tw = TimeWaitTable(time_wait) if time_wait > 0 else None
        if self.tw is not None:
            self.tw.owner = self
        self.cookies = _cookies(syn_cookies)
        self.rx_size = rx_size
        self.tx_size = tx_size
        self.options = options
        self.backlog = backlog
        self.prealloc = prealloc
        self.slots = []
        self.port = 0
        self.any_port = False       # listen(0, any_port=True): every port
        self.addr = None
        self.syn_dropped = 0        # SYNs that found the queue full
        self.syn_bad = 0            # SYNs with a bad header or options
        self.syn_nomem = 0          # SYNs that found no memory for a slot (prealloc=False)
        self.evicted = 0            # half-open slots given to a cookie ACK (tcp_cookie.ack)
        self.opt = wire.Options()   # scratch for checking a SYN's options
        self.accepted = 0
        self.iface = None
        self._next = 0              # round-robin start for dispatch
        self._first_slots()

    def _first_slots(self):
        if self.prealloc:
            while len(self.slots) < self.backlog:
                self.slots.append(self._new())
        elif self.options.get("sack", True):
            # slots will be made inside Interface.poll(), where importing
            # the SACK modules failed on the Cortex-M3 firmware (_new): now
            from .tcp_sack import Scoreboard  # noqa: F401
            rack_class()

    def _new(self):
        s = TcpSocket(self.rx_size, self.tx_size, **self.options)
        s.child = True
        if s.sack:
            # its SACK state now, from the caller: a slot's listen() runs
            # deep inside Interface.poll(), where importing the SACK
            # modules failed on the Cortex-M3 firmware (asyncio server)
            sack_state(s)
        return s

    def listen(self, port, addr=None, any_port=False):
        """Take SYNs for port (and local address addr, or any). any_port
        (port 0): SYNs for every port, e.g. on an any-IP interface
        (Config.any_ip): each accepted socket's local_addr/local_port are
        the SYN's destination. A listener for a given port wins over an
        any-port one only if it was added to the Interface first (both
        score as wildcards)."""
        if any_port:
            if port:
                raise OSError(_EINVAL)
        elif not 0 < port < 65536:
            raise OSError(_EINVAL)
        if self.port or self.any_port:
            raise OSError(_EINVAL)
        self.any_port = any_port
        if isinstance(addr, str):
            from ..wire import ipaddr
            addr = ipaddr.parse(addr)
        self.port = port
        self.addr = addr

    def close(self):
        """Stop listening; connections not yet accepted are reset."""
        self.port = 0
        self.any_port = False
        self.due_at = -2     # the slots' RSTs go at the next poll (interface.py)
        for s in self.slots:
            s.abort()
        if self.cookies is not None:
            self.cookies.clear()

    def pending(self):
        """Connections ready for accept()."""
        k = 0
        for s in self.slots:
            if _ready(s):
                k += 1
        return k

    def accept(self, spare=None):
        """The oldest established connection, or None. `spare` (a CLOSED
        TcpSocket with the listener's buffer sizes) takes its slot; without
        it a new socket is allocated, or with prealloc=False the slot goes
        (the next SYN makes one)."""
        best = -1
        for i in range(len(self.slots)):
            s = self.slots[i]
            if _ready(s) and (best < 0 or
                              ticks_diff(s.estab_time, self.slots[best].estab_time) < 0):
                best = i
        if best < 0:
            return None
        s = self.slots[best]
        if spare is None and not self.prealloc:
            self.slots.pop(best)
        else:
            if spare is None:
                spare = self._new()
            elif spare.state != _CLOSED or spare.rst_pending:
                raise OSError(_EINVAL)
            spare.child = True
            self.slots[best] = spare
        self.due_at = -2     # what dispatch() has to do changed (interface.py)
        s.child = False
        s.passive = False
        s.tw_keeper = self.tw
        self.accepted += 1
        if self.iface is not None:
            self.iface.add_socket(s)
        return s

    # --- Interface hooks --------------------------------------------------
    def accepts(self, iface, l4_off):
        b = iface.rx_buf
        tw = self.tw
        if tw is not None:
            o = tw.find(iface, l4_off)
            if o >= 0 and not tw.reopen(o, b, l4_off):
                return 2
        if not self.port and not self.any_port:
            # closed: still let pending RSTs out, take nothing in
            return 0
        for s in self.slots:
            if s.state > _LISTEN and s.accepts(iface, l4_off) == 2:
                return 2
        dp = (b[l4_off + 2] << 8) | b[l4_off + 3]
        if dp != self.port and not (self.any_port and dp):
            return 0
        a = self.addr
        if a is not None and (len(a) != iface.rx_alen or
                              not equal(a, 0, b, iface.rx_dst_off, len(a))):
            return 0
        f = b[l4_off + 13]
        if f & _ACK:
            # an ACK for no slot may complete a handshake we answered with a
            # SYN cookie (process() checks it and sends the RST if not)
            ck = self.cookies
            return 1 if ck is not None and ck.armed and not f & (_SYN | _RST) else 0
        return 1

    def process(self, iface, l4_off, l4_len, now):
        self.iface = iface
        tw = self.tw
        if tw is not None:
            o = tw.find(iface, l4_off)
            if o >= 0:
                tw.process(o, iface, l4_off, l4_len, now)
                return
        for s in self.slots:
            if s.state > _LISTEN and s.accepts(iface, l4_off) == 2:
                s.process(iface, l4_off, l4_len, now)
                return
        f = iface.rx_buf[l4_off + 13] & (_SYN | _RST | _ACK)
        if f != _SYN and (f != _ACK or self.cookies is None):
            return
        if not self._syn_ok(iface.rx_buf, l4_off, l4_len):
            self.syn_bad += 1     # before a slot is taken: nothing to give back
            return
        if f == _ACK:
            # (here self.cookies is one: the cookies option is there)
            from .tcp_cookie import ack
            ack(self, iface, l4_off, l4_len, now)
            return
        s = self._closed_slot()
        if s is not None:
            p = self.port
            if self.any_port:   # the SYN's own destination port
                p = (iface.rx_buf[l4_off + 2] << 8) | iface.rx_buf[l4_off + 3]
            s.listen(p, self.addr)
            s.process(iface, l4_off, l4_len, now)
            if s.state == _LISTEN:
                # the socket dropped the SYN after all: the slot is free
                # again (a slot left in LISTEN would be lost for good)
                s._reset()
            return
        if self.cookies is not None and self.slots:
            # every slot taken: answer statelessly (RFC 4987 3.6)
            self.cookies.syn(self.slots[0], iface, l4_off, self.opt, now)
            return
        self.syn_dropped += 1     # backlog full: the peer will retry

    def _closed_slot(self):
        """A CLOSED slot; with prealloc=False a new one while fewer than
        backlog exist (None when memory is short: counted, the SYN
        dropped)."""
        for s in self.slots:
            if s.state == _CLOSED and not s.rst_pending:
                return s
        if len(self.slots) >= self.backlog:
            return None
        try:
            s = self._new()
            self.slots.append(s)
        except MemoryError:
            self.syn_nomem += 1
            return None
        return s

    def _syn_ok(self, b, l4_off, l4_len):
        """The header length and options of a SYN (or cookie ACK) parse
        (RFC 9293 3.2: a bad option length drops the segment), checked
        before it takes a slot; the options land in self.opt."""
        hlen = (b[l4_off + 12] >> 4) << 2
        if hlen < 20 or hlen > l4_len:
            return False
        if hlen == 20:
            self.opt.clear()
            return True
        return wire.parse_options(b, l4_off, hlen, self.opt)

    def dispatch(self, iface, now):
        self.iface = iface
        n = len(self.slots)
        i = self._next
        for _ in range(n):
            if i >= n:
                i = 0
            if self.slots[i].dispatch(iface, now):
                self._next = i + 1
                return True
            i += 1
        if self.tw is not None:
            return self.tw.dispatch(iface, now)
        return False

    def poll_at(self, now):
        t = -1 if self.tw is None else self.tw.poll_at(now)
        for s in self.slots:
            d = s.poll_at(now)
            if d >= 0 and (t < 0 or d < t):
                t = d
        return t


def _ready(s):
    st = s.state
    return st == _ESTABLISHED or st == _CLOSE_WAIT
