# smolnet's test server, in the manner of smoltcp's examples/server.rs.
#
#   micropython tools/server.py --iface veth-s --ip 192.0.2.2/24 [--pcap f.pcap]
#   python3 tools/server.py --tap tap0 ...            (CPython, TAP device)
#
# Answers ARP and ping (the Interface does that by itself) and serves the
# table SERVICES below: smoltcp's server ports
#   udp 7     echo (RFC 862): every datagram comes back as it was
#   udp 6969  any datagram gets "hello\n" back (also to --join groups)
#   tcp 6969  sends "hello\n" and closes
#   tcp 6970  echoes each line reversed (a line longer than 1024 bytes is
#             reversed in 1024-byte pieces); closes when the client does
#   tcp 6971  sink: reads and discards everything, counting the bytes that
#             are not the test pattern (byte i = i % 251) where they should be
#   tcp 6972  fountain: sends the test pattern (byte i = i % 251) without end
#   tcp 80    HTTP: GET / a small page, GET /bytes/N N pattern bytes
#   udp 5353  with --mdns HOST: HOST.local by multicast DNS (RFC 6762)
# Every TCP port serves connection after connection, up to --conns at once
# (more wait in a --backlog queue); other TCP ports answer RST.
#
# Runs until Ctrl-C / SIGINT (or SIGTERM on CPython, or --duration), then
# prints its counters. Prints "ready" once it is listening.
# --stats S prints the counters every S seconds as well: a process killed
# with SIGKILL (or SIGTERM on MicroPython, which has no signal module) cannot
# print anything on its way out.
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.socket.udp import UdpSocket
from smolnet.apps.tcpserver import TcpServer
from smolnet.apps.http import HttpHandler

HELLO = b"hello\n"


class UdpHello:
    """UDP: any datagram gets "hello\\n" back (smoltcp's server, port 6969)."""

    def __init__(self, iface, port, opts=None):
        self.name = "udp%d" % port
        self.sock = UdpSocket()
        self.sock.bind(port)
        iface.add_socket(self.sock)
        self.buf = bytearray(1536)
        self.requests = 0
        self.replies = 0
        self.dropped = 0

    def serve(self, now):
        s = self.sock
        while True:
            n = s.recv_into(self.buf)
            if n < 0:
                return
            self.requests += 1
            if s.can_send(len(HELLO)):
                s.send_to(HELLO, len(HELLO), s.peer_addr, s.peer_port, 0, s.peer_alen)
                self.replies += 1
            else:
                self.dropped += 1

    def counters(self):
        return "%s: requests=%d replies=%d dropped=%d rx_dropped=%d tx_dropped=%d" % (
            self.name, self.requests, self.replies, self.dropped, self.sock.rx_dropped,
            self.sock.tx_dropped)


class UdpEcho(UdpHello):
    """UDP: every datagram back to its sender as it came (RFC 862)."""

    def serve(self, now):
        s = self.sock
        while True:
            n = s.recv_into(self.buf)
            if n < 0:
                return
            self.requests += 1
            if s.can_send(n):
                s.send_to(self.buf, n, s.peer_addr, s.peer_port, 0, s.peer_alen)
                self.replies += 1
            else:
                self.dropped += 1


class Mdns:
    """--mdns HOST: HOST.local answered by multicast DNS."""

    def __init__(self, iface, host):
        from smolnet.apps.mdns import MdnsResponder
        self.r = MdnsResponder(iface, host)

    def serve(self, now):
        self.r.serve(now)

    def counters(self):
        r = self.r
        return "mdns: name=%s queries=%d conflicts=%d ignored=%d" % (
            r.name, r.queries, r.conflicts, r.ignored)


# --- TCP ---------------------------------------------------------------------
# Handlers for smolnet.apps.tcpserver.TcpServer: per-connection state is made
# once per slot (new_state), so serving allocates nothing per segment.
_SCRATCH = bytearray(2048)     # where discarded input goes (one server thread)


def _discard(sock):
    k = 0
    while True:
        n = sock.recv_into(_SCRATCH)
        if n <= 0:
            return k
        k += n


def _peer_closed(sock):
    # a FIN came in (CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT) or the
    # connection is gone: what is buffered is all there will be
    st = sock.state
    return st == 0 or st >= 7


def _close_at_eof(sock):
    # the client closed its side and everything was read: close ours
    if sock.at_eof() and sock.may_send():
        sock.close()


class Hello:
    """6969: "hello\n", then close."""

    def new_state(self):
        return None

    def open(self, sock, st, now):
        sock.send(HELLO)
        sock.close()

    def step(self, sock, st, now):
        _discard(sock)

    def counters(self):
        return ""


LINE_MAX = 1024


class _Line:
    def __init__(self):
        self.buf = bytearray(LINE_MAX + 1)


class ReverseEcho:
    """6970: each line comes back reversed (its newline stays at the end)."""

    def __init__(self):
        self.lines = 0

    def new_state(self):
        return _Line()

    def open(self, sock, st, now):
        pass

    def step(self, sock, st, now):
        b = st.buf
        while True:
            avail = sock.recv_avail()
            if avail == 0:
                break
            i = sock.find(10, LINE_MAX if avail > LINE_MAX else avail)
            if i >= 0:
                n = i + 1               # the line and its newline
            elif avail >= LINE_MAX or _peer_closed(sock):
                n = LINE_MAX if avail > LINE_MAX else avail   # a piece, no newline
            else:
                break                   # wait for the rest of the line
            if sock.send_free() < n + 1:
                break                   # back-pressure: the line stays queued
            sock.recv_into(b, 0, n)
            k = n - 1 if b[n - 1] == 10 else n
            _reverse(b, k)
            if k == n:
                b[n] = 10
                n += 1
            sock.send(b, 0, n)
            self.lines += 1
        if sock.recv_avail() == 0:
            _close_at_eof(sock)

    def counters(self):
        return "lines=%d" % self.lines


def _reverse(b, n):
    i = 0
    j = n - 1
    while i < j:
        t = b[i]
        b[i] = b[j]
        b[j] = t
        i += 1
        j -= 1


class _Pos:
    def __init__(self):
        self.pos = 0


class Sink:
    """6971: reads and discards; counts the reads that were not the test
    pattern at their stream position (a client sending the pattern, as the
    interop tests do, must leave not_pattern=0: byte-exact)."""

    def __init__(self):
        self.bytes = 0
        self.not_pattern = 0

    def new_state(self):
        return _Pos()

    def open(self, sock, st, now):
        st.pos = 0

    def step(self, sock, st, now):
        while True:
            n = sock.recv_into(_SCRATCH)
            if n <= 0:
                break
            if not common.check_pattern(_SCRATCH, n, st.pos):
                self.not_pattern += 1
            st.pos = (st.pos + n) % common.PATTERN_PERIOD
            self.bytes += n
        _close_at_eof(sock)

    def counters(self):
        return "bytes=%d not_pattern=%d" % (self.bytes, self.not_pattern)


class Fountain:
    """6972: the test pattern, without end; input is discarded, and a
    client that closes its side gets a FIN back."""

    def __init__(self):
        self.bytes = 0

    def new_state(self):
        return _Pos()

    def open(self, sock, st, now):
        st.pos = 0

    def step(self, sock, st, now):
        _discard(sock)
        if sock.at_eof():
            _close_at_eof(sock)
            return
        if sock.may_send():
            k = common.send_pattern(sock, st.pos % common.PATTERN_PERIOD, sock.send_free())
            st.pos = st.pos % common.PATTERN_PERIOD + k
            self.bytes += k

    def counters(self):
        return "bytes=%d" % self.bytes


PAGE = b"""<!DOCTYPE html>
<html><head><title>smolnet</title></head>
<body><h1>smolnet</h1>
<p>A TCP/IP stack in MicroPython answered this request.</p>
<p><a href="/bytes/1000">/bytes/1000</a>: 1000 bytes of the test pattern.</p>
</body></html>
"""


def site(method, path):
    """The HTTP app on port 80."""
    if path == "/" or path == "/index.html":
        return 200, "text/html; charset=utf-8", PAGE
    if path.startswith("/bytes/"):
        try:
            n = int(path[7:])
        except ValueError:
            n = -1
        if n < 0:
            return 400, "text/plain", b"usage: /bytes/N, N >= 0\n"
        return 200, "application/octet-stream", common.PatternBody(n)
    return None


# buffer kinds of SERVICES (see _size): not sizes, so no size is taken for one
SMALL = -1            # --small: the ports that move little data
BIG = -2              # --tcp-buffer: the bulk directions


class TcpService:
    """One TCP port of SERVICES: a TcpServer around a handler. rx and tx
    are the socket buffer sizes: SMALL, BIG or bytes (see _size)."""

    def __init__(self, iface, port, handler, opts, rx, tx):
        self.name = "tcp%d" % port
        self.handler = handler
        kw = {}
        if opts is not None:
            kw = dict(conns=opts.conns, backlog=opts.backlog, time_wait_ms=opts.time_wait)
        self.server = TcpServer(iface, port, handler, rx_size=_size(rx, opts),
                                tx_size=_size(tx, opts), **kw)

    def serve(self, now):
        self.server.serve(now)

    def counters(self):
        h = self.handler.counters()
        return "%s: %s%s" % (self.name, self.server.counters(), " " + h if h else "")


def _size(kind, opts):
    """A buffer size of SERVICES: BIG (--tcp-buffer), SMALL (--small) or bytes."""
    if kind == BIG:
        return opts.tcp_buffer if opts is not None else 16384
    if kind == SMALL:
        return opts.small if opts is not None else 2048
    return kind


def _tcp(handler_cls, rx, tx):
    def make(iface, port, opts=None):
        return TcpService(iface, port, handler_cls(), opts, rx, tx)
    return make


def _http(iface, port, opts=None):
    return TcpService(iface, port, HttpHandler(site), opts, SMALL, BIG)


# (kind, port, factory(iface, port, opts)): smoltcp's server ports and HTTP.
# Buffers: SMALL (--small), BIG (--tcp-buffer: the bulk directions) or bytes.
SERVICES = [
    ("udp", 7, UdpEcho),
    ("udp", 6969, UdpHello),
    ("tcp", 6969, _tcp(Hello, SMALL, SMALL)),
    ("tcp", 6970, _tcp(ReverseEcho, 2 * LINE_MAX, 2 * LINE_MAX)),   # not --small: a
    # 1024-byte piece must fit both rings at once
    ("tcp", 6971, _tcp(Sink, BIG, SMALL)),
    ("tcp", 6972, _tcp(Fountain, SMALL, BIG)),
    ("tcp", 80, _http),
]


def chosen_services(names):
    """The rows of SERVICES --services names ('all', 'none' or 'udp7,tcp80')."""
    if names == "all":
        return SERVICES
    want = [n for n in names.split(",") if n and n != "none"]
    have = ["%s%d" % (k, p) for k, p, c in SERVICES]
    for n in want:
        if n not in have:
            common.fail("server.py", "--services: no %s (there are %s)" % (n, ",".join(have)))
    return [row for row, n in zip(SERVICES, have) if n in want]


def options():
    p = common.Options("server.py", "Answers ping and ARP and serves smoltcp's server ports: "
                       "UDP 7 echo, UDP/TCP 6969 hello, TCP 6970 reverse echo, 6971 sink, 6972 fountain, "
                       "80 HTTP.")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x01",
                            default_ip="192.0.2.2/24")
    p.add("--duration", "duration", float, 0, "stop after this many seconds (0: run until killed)",
          "S")
    p.add("--stats", "stats", float, 0, "also print the counters every S seconds", "S")
    p.add("--services", "services", str, "all",
          "the SERVICES ports to serve, e.g. udp7,tcp80, or none (default: all)", "LIST")
    p.add("--conns", "conns", int, 4, "TCP connections served at once per port", "N")
    p.add("--backlog", "backlog", int, 4, "TCP handshakes queued per port", "N")
    p.add("--tcp-buffer", "tcp_buffer", int, 16384,
          "TCP buffer of the bulk directions (6971 in, 6972 and 80 out)", "BYTES")
    p.add("--small", "small", int, 2048,
          "TCP buffers of the ports that move little data (6969, 6970, 80 in, 6971 out, "
          "6972 in)", "BYTES")
    p.add("--time-wait", "time_wait", int, 60000, "TCP TIME-WAIT (2*MSL)", "MS")
    p.add("--mdns", "mdns", str, "",
          "answer HOST.local by multicast DNS (RFC 6762; smolnet/apps/mdns.py)", "HOST")
    p.add("--join", "join", str, "",
          "multicast groups to join, comma-separated (UDP 6969 answers them too)", "GROUPS")
    return p


def report(iface, link, services):
    say(common.stats_line(iface))
    if common.MICROPYTHON:
        # the heap after a collection: flat under a SYN flood (tcp_cookie.py)
        import gc
        gc.collect()
        say("mem: alloc=%d free=%d" % (gc.mem_alloc(), gc.mem_free()))
    for s in services:
        say(s.counters())
    for line in link.counters():
        say(line)
    if common.MICROPYTHON:
        import gc
        gc.collect()
        say("memory: free=%d alloc=%d" % (gc.mem_free(), gc.mem_alloc()))


def main(argv):
    opts = options().parse(argv)
    common.install_sigterm()
    link = common.Link(opts, "server.py", default_mac=b"\x02\x00\x00\x00\x00\x01")
    iface = common.make_interface(opts, link)
    for g in opts.join.split(","):
        if g:
            iface.join_multicast(g)    # reported by IGMP / MLD from the first poll
    # the responder first: on a 140 KiB heap its buffers find room before the
    # TCP ports' rings fragment it
    mdns = [Mdns(iface, opts.mdns)] if opts.mdns else []
    chosen = chosen_services(opts.services)
    services = [make(iface, port, opts) for kind, port, make in chosen] + mdns
    loop = common.Loop(iface, link)
    say("smolnet server on %s, mac %s, ip %s; services: %s" % (
        link.name, common.fmt_mac(iface.mac), " ".join(iface.ips()),
        " ".join(["%s/%d" % (k, p) for k, p, c in chosen])))
    if opts.join:
        say("multicast groups: %s" % " ".join(iface.multicast_groups()))
    if common.MICROPYTHON:
        import gc
        gc.collect()
        say("memory: free=%d alloc=%d" % (gc.mem_free(), gc.mem_alloc()))
    say("ready")
    start = ticks_ms()
    last_stats = start
    dur_ms = int(opts.duration * 1000)
    stats_ms = int(opts.stats * 1000)
    try:
        while True:
            # wake for --duration and --stats as well as for frames and timers
            cap = 1000
            if dur_ms:
                cap = min(cap, max(0, dur_ms - ticks_diff(ticks_ms(), start)))
            if stats_ms:
                cap = min(cap, max(0, stats_ms - ticks_diff(ticks_ms(), last_stats)))
            loop.step(cap)
            now = ticks_ms()
            for s in services:
                s.serve(now)
            if dur_ms and ticks_diff(now, start) >= dur_ms:
                break
            if stats_ms and ticks_diff(now, last_stats) >= stats_ms:
                last_stats = now
                report(iface, link, services)
    except KeyboardInterrupt:
        pass
    # leave the groups (routers and snooping switches stop forwarding them
    # now rather than after their membership timeout), and finish what is
    # queued (replies to the last requests) before stopping
    for g in iface.multicast_groups():
        iface.leave_multicast(g)
    for _ in range(4):
        if not iface.poll(ticks_ms()):
            break
    say("stopped")
    report(iface, link, services)
    link.close()


if __name__ == "__main__":
    main(sys.argv[1:])
