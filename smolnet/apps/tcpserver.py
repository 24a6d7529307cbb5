# A poll-driven TCP server: one listening port and a fixed pool of
# connection slots, each with its own preallocated handler state. What a
# board's small services (and smolnet's tools/server.py) are built from.
#
#   srv = TcpServer(iface, 80, handler, conns=4, backlog=4, rx_size=4096)
#   while True:
#       iface.poll(now)
#       srv.serve(now)
#
# The handler is any object with
#   handler.new_state()        -> per-slot state (made once per slot, at start)
#   handler.open(sock, st, now)     a connection was accepted into the slot
#   handler.step(sock, st, now)     called on every serve() while the slot is
#                                   busy; reads, writes, closes the socket
# open() and step() should not allocate per segment: their state lives in
# `st`, made by new_state().
#
# Memory never grows: `backlog` sockets wait in the TcpListener for
# handshakes, `conns` sockets serve accepted connections, and they are
# traded (accept() takes the slot's closed socket as its spare). When every
# slot is busy a connection waits in the listener's queue; a slot whose
# socket sits in TIME-WAIT is taken back at once for it (as Linux recycles
# TIME-WAIT buckets when its table is full; RFC 6191 discusses the risk,
# which the peer's new ISN and timestamps keep small). A slot whose handler
# closed its side but whose peer never closes is aborted after
# fin_timeout_ms (Linux: tcp_fin_timeout, 60 s).
#
# Dead clients (powered off, unplugged, spoofed) are reclaimed within a
# bound: a server cannot tell an idle client from a vanished one without
# asking, so its sockets have keepalive on by default (SERVER_OPTIONS,
# any of which the caller's options override). A slot whose peer vanished
# is freed at the latest, counted from the later of the peer's last segment
# and our last new data:
#   idle:                     keepalive_ms + keepalive_count * interval = 60 s
#   data unacknowledged:      user_timeout_ms (RFC 9293 3.8.3)           = 60 s
#   zero window, unanswered:  user_timeout_ms after the first probe      = 60 s
#   we closed, peer did not:  fin_timeout_ms                             = 60 s
# and a half-open handshake whose peer never answers ARP after 3 s.
from micropython import const
from time import ticks_diff
from ..socket.tcp import TcpSocket
from ..socket.tcp_listen import TcpListener

# copies of smolnet/socket/tcp.py's states (inlined here; test_const_copies.py checks)
_CLOSED = const(0)
_FIN_WAIT_1 = const(5)
_CLOSE_WAIT = const(7)
_LAST_ACK = const(9)
_TIME_WAIT = const(10)

# TcpSocket options a server's sockets get unless the caller says otherwise
SERVER_OPTIONS = (("keepalive_ms", 30000), ("keepalive_interval_ms", 10000),
                  ("keepalive_count", 3), ("user_timeout_ms", 60000))


def _closing(st):
    # FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK: our side is closed
    return _FIN_WAIT_1 <= st <= _LAST_ACK and st != _CLOSE_WAIT


class _Slot:
    def __init__(self, sock, st):
        self.sock = sock        # busy: the connection; free: the next spare
        self.st = st
        self.busy = False
        self.closing = False    # our FIN is queued or sent ...
        self.since = 0          # ... since (ms)


class TcpServer:
    def __init__(self, iface, port, handler, conns=4, backlog=4, rx_size=4096,
                 tx_size=4096, addr=None, fin_timeout_ms=60000, **options):
        if conns < 1:
            raise ValueError("conns")
        self.iface = iface
        self.port = port
        self.handler = handler
        self.fin_timeout_ms = fin_timeout_ms
        for k, v in SERVER_OPTIONS:
            if k not in options:
                options[k] = v
        self.listener = TcpListener(backlog, rx_size, tx_size, **options)
        self.listener.listen(port, addr)
        iface.add_socket(self.listener)
        self.slots = [_Slot(TcpSocket(rx_size, tx_size, **options), handler.new_state())
                      for _ in range(conns)]
        self.accepted = 0
        self.reclaimed = 0      # TIME-WAIT slots taken back for a new connection
        self.timed_out = 0      # aborted after fin_timeout_ms
        self.errors = 0         # handlers that met an OSError (connection aborted)
        self.active = 0

    def serve(self, now):
        """Accept waiting connections, run the handler on every busy slot,
        free the slots whose connection is over."""
        h = self.handler
        for sl in self.slots:
            if sl.busy:
                s = sl.sock
                st = s.state
                if st != _CLOSED and st != _TIME_WAIT:
                    try:
                        h.step(s, sl.st, now)
                    except OSError:
                        # the socket refused a call (its connection is
                        # gone): drop the connection, keep serving
                        s.abort()
                        self.errors += 1
                    st = s.state
                    if _closing(st):
                        if not sl.closing:
                            sl.closing = True
                            sl.since = now
                        elif ticks_diff(now, sl.since) >= self.fin_timeout_ms:
                            s.abort()
                            self.timed_out += 1
                            st = s.state
                if st == _CLOSED and not s.rst_pending:
                    self._free(sl)
        if self.listener.pending():
            self._accept(now)

    def _free(self, sl):
        self.iface.remove_socket(sl.sock)
        sl.busy = False
        self.active -= 1

    def _accept(self, now):
        while self.listener.pending():
            sl = self._take()
            if sl is None:
                return
            s = self.listener.accept(sl.sock)
            sl.sock = s
            sl.busy = True
            sl.closing = False
            self.accepted += 1
            self.active += 1
            self.iface.add_socket(s)      # (accept() does it once the listener saw a poll)
            # a request may be waiting already: answer now, not after the
            # next wait (which may last until a delayed-ACK timer)
            try:
                self.handler.open(s, sl.st, now)
                self.handler.step(s, sl.st, now)
            except OSError:
                s.abort()
                self.errors += 1

    def _take(self):
        tw = None
        for sl in self.slots:
            if not sl.busy:
                if sl.sock.state == _CLOSED and not sl.sock.rst_pending:
                    return sl
            elif tw is None and sl.sock.state == _TIME_WAIT:
                tw = sl
        if tw is not None:
            tw.sock.abort()               # TIME-WAIT: silently back to CLOSED
            self._free(tw)
            self.reclaimed += 1
            return tw
        return None

    def close(self):
        """Stop listening and reset every connection."""
        self.listener.close()
        for sl in self.slots:
            if sl.busy:
                sl.sock.abort()

    def counters(self):
        L = self.listener
        s = "accepted=%d active=%d reclaimed=%d timed_out=%d errors=%d syn_dropped=%d" % (
            self.accepted, self.active, self.reclaimed, self.timed_out, self.errors,
            L.syn_dropped)
        ck = L.cookies
        if ck is not None and (ck.sent or ck.bad):
            s += " syn_cookies=%d cookies_ok=%d cookies_bad=%d cookie_unresolved=%d " \
                "evicted=%d" % (ck.sent, ck.accepted, ck.bad, ck.unresolved, L.evicted)
        return s
