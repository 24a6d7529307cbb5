# The facade's view of the network: which Interface its sockets live on, and
# how a blocking call runs that Interface while it waits.
#
#   net = use(iface)            # the default for smolnet.compat.socket
#   net.poll()                  # one round of every Interface it drives
#   net.wait(cond, timeout_ms)  # poll until cond() or the time is up
#
# Waiting sleeps as long as nothing is due: until a frame can arrive (select
# on the device's poll_obj, an fd on the unix port) or poll_delay() expires,
# at most idle_ms when the device cannot tell (boards in poll mode,
# Loopback). Tests pass a fake clock and a sleep(ms) that advances it, so
# timeouts are deterministic; `others` are further Interfaces polled on
# every round (the peer of a Loopback pair in the same process).
# Not on a hot path: waiting allocates a little (closures, poll results).
from time import ticks_ms, ticks_diff

_ENODEV = 19
_IDLE_MS = 10


def _default_tcp_buffer():
    """8 KB per direction, or 2 KB on a board-sized heap (under 256 KB free
    when the first NIC comes up: a listener of backlog 5, as asyncio's
    start_server makes, preallocates 5 connections)."""
    try:
        from gc import mem_free
    except ImportError:            # (CPython's gc has none)
        return 8192
    free = mem_free()
    return 2048 if 0 <= free < 262144 else 8192


class Net:
    def __init__(self, iface, clock=None, sleep=None, idle_ms=_IDLE_MS):
        self.iface = iface
        self.others = []
        self.clock = clock if clock is not None else ticks_ms
        self._sleep = sleep
        self.idle_ms = idle_ms
        self.resolver = None       # name -> address string: set_dns() installs one
        self.resolver6 = None      # the same for IPv6 addresses (AAAA)
        self.nodata = False        # the last failed lookup found the name, not the type
        self.dns = None            # the DnsSocket behind it
        self.dns_timeout_ms = 5000
        self.rounds = 0
        self._last = -1
        # what facade sockets are made with (change before creating them)
        self.udp_slots = 4
        self.udp_bytes = 4 * 1536
        self.tcp_rx_size = self.tcp_tx_size = _default_tcp_buffer()
        self.tcp_options = {}      # more TcpSocket(...) keywords
        self.tcp_time_wait = 8     # TIME-WAIT records per listening socket
                                   # (tcp_timewait.py); 0: sockets keep it
        self.sockets = []          # open facade sockets
        self.closing = []          # closed TCP sockets still finishing
        self.tcp_pool = []         # finished ones, buffers kept for reuse
        self._scratch = bytearray(512)
        self._members = {}         # multicast group -> sockets that joined it (_mcast.py)
        self._poller = None
        self._poll_obj = getattr(iface.device, "poll_obj", None)
        if self._poll_obj is not None and sleep is None:
            try:
                import select
                self._poller = select.poll()
                self._poller.register(self._poll_obj, select.POLLIN)
            except (ImportError, AttributeError, OSError, TypeError):
                self._poller = None

    def set_dns(self, servers, timeout_ms=5000):
        """Resolve names through smolnet's DNS client with these servers
        (addresses as str or bytes); an empty list turns resolving off."""
        if not servers:
            self.resolver = None
            self.resolver6 = None
            return
        if self.dns is None:
            from ..socket.dns import DnsSocket
            # _query() waits for its answer and frees the slot before the
            # next can start: two slots (one spare) instead of the default
            # four, 1 KB less heap on a board
            self.dns = self.iface.add_socket(DnsSocket(slots=2))
        self.dns.set_servers(servers)
        self.dns_timeout_ms = timeout_ms
        self.resolver = self._resolve
        self.resolver6 = self._resolve6

    def _resolve(self, name):
        """name -> dotted IPv4 string; OSError(-2) as lwIP when it does not
        resolve (no such name, no data, no answer in time)."""
        return self._query(name, False)

    def _resolve6(self, name):
        """name -> IPv6 address string (an AAAA query), else OSError(-2)."""
        return self._query(name, True)

    def _query(self, name, v6):
        from ..socket.dns import PENDING, ERR_NODATA
        from ..wire import ipaddr, dns as wdns
        d = self.dns
        h = d.start_query(name, wdns.TYPE_AAAA if v6 else wdns.TYPE_A)
        self.wait(lambda: d.status(h) != PENDING, self.dns_timeout_ms + 1000)
        st = d.status(h)
        self.nodata = st == ERR_NODATA
        if st == PENDING:
            d.free(h)                 # no answer in time: cancel it
            raise OSError(-2)
        try:
            r = d.result(h)           # frees the slot
        except OSError:
            raise OSError(-2)
        if not r:
            self.nodata = True
            raise OSError(-2)
        return ipaddr.fmt(r[0])

    def also_poll(self, iface):
        if iface not in self.others:
            self.others.append(iface)

    def poll(self):
        now = self.clock()
        did = self.iface.poll(now)
        for o in self.others:
            if o.poll(now):
                did = True
        self.rounds += 1
        self._last = now
        if self.closing:
            self._reap()
        return did

    def tick(self):
        """poll() unless one ran this millisecond (asyncio asks every ms)."""
        if self.clock() != self._last:
            self.poll()

    def _reap(self):
        # closed TCP sockets leave the Interface once their FIN/RST is out
        # and TIME-WAIT is over; their buffers go to the pool
        keep = []
        for s in self.closing:
            slots = getattr(s, "slots", None)
            if slots is None:
                # data for a closed socket is taken and dropped, as lwIP's
                # tcp_recv_null does (the peer is not reset)
                while s.recv_avail():
                    s.recv_into(self._scratch)
            done = True
            for x in (slots if slots is not None else (s,)):
                if x.state != 0 or x.rst_pending:
                    done = False
            if done:
                self.iface.remove_socket(s)
                if slots is None and len(self.tcp_pool) < 4 and \
                        s.rx.size == self.tcp_rx_size and s.tx.size == self.tcp_tx_size:
                    self.tcp_pool.append(s)
            else:
                keep.append(s)
        self.closing = keep

    def _due(self):
        now = self.clock()
        d = self.iface.poll_delay(now)
        for o in self.others:
            e = o.poll_delay(now)
            if e >= 0 and (d < 0 or e < d):
                d = e
        return d

    def idle(self, ms):
        """Sleep up to ms (returns early when a frame arrives)."""
        if ms <= 0:
            return
        if self._sleep is not None:
            self._sleep(ms)
        elif self._poller is not None:
            self._poller.poll(ms)
        else:
            import time
            time.sleep_ms(ms)     # (CPython: the shim's; looked up now, a test may replace it)

    def wait(self, cond, timeout_ms=-1):
        """Run the Interface(s) until cond() is true: True; False if
        timeout_ms (>= 0) passed first."""
        t0 = self.clock()
        while True:
            did = self.poll()
            if cond():
                return True
            left = -1
            if timeout_ms >= 0:
                left = timeout_ms - ticks_diff(self.clock(), t0)
                if left <= 0:
                    return False
            if did:
                continue          # more may be waiting: go round at once
            d = self._due()
            cap = self.idle_ms if (self._poller is None or self.others) else -1
            if cap >= 0 and (d < 0 or d > cap):
                d = cap
            if left >= 0 and (d < 0 or d > left):
                d = left
            if d < 0:
                d = 1000          # nothing due and no deadline: re-check now and then
            self.idle(d)


class _Registry:
    net = None
    prefer = 4        # network.ipconfig(prefer=): the family getaddrinfo asks first


_reg = _Registry()


def use(iface, clock=None, sleep=None, idle_ms=_IDLE_MS):
    """Make iface the Interface the socket facade uses; returns its Net."""
    n = iface if isinstance(iface, Net) else Net(iface, clock, sleep, idle_ms)
    _reg.net = n
    return n


def current():
    """The default Net; OSError(ENODEV) if no Interface was chosen yet."""
    n = _reg.net
    if n is None:
        raise OSError(_ENODEV, "no smolnet interface: call smolnet.compat.socket.use(iface)")
    return n


def clear():
    _reg.net = None
