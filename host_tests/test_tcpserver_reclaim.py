# runtimes: cpython unix wasm
# TcpServer reclaims the slots of clients that vanish (issue 9): keepalive
# is on by default for a server's sockets (an idle dead client is found in
# keepalive_ms + keepalive_count * keepalive_interval_ms = 60 s), and the
# user timeout (60 s) ends a connection whose peer stopped answering while
# data waits, zero-window probes included. Two Interfaces on a Loopback
# pair; the client "vanishes" by never being polled again.
from netpair import NetPair, IP_B
from smolnet.socket.tcp import TcpSocket
from smolnet.apps.tcpserver import TcpServer
import smolnet.socket.tcp as tcp
import smolnet.socket.errno as errno

_STEP = 100


class Reader:
    """Reads and drops whatever comes; never writes."""

    def new_state(self):
        return bytearray(64)

    def open(self, sock, st, now):
        pass

    def step(self, sock, st, now):
        while sock.recv_into(st) > 0:
            pass


class Fountain:
    """Writes for ever."""

    def new_state(self):
        return bytes(200)

    def open(self, sock, st, now):
        pass

    def step(self, sock, st, now):
        if sock.may_send():
            sock.send(st)


def _connect(handler, rx=512, **kw):
    p = NetPair()
    srv = TcpServer(p.b, 7, handler, conns=1, backlog=1, rx_size=512, tx_size=512, **kw)
    c = TcpSocket(rx, 512)
    p.a.add_socket(c)
    c.connect(IP_B, 7)
    for _ in range(200):
        p.step()
        srv.serve(p.clock.t)
        if c.state == tcp.ESTABLISHED and srv.active == 1:
            break
    assert c.state == tcp.ESTABLISHED and srv.active == 1
    return p, srv, c


def _server_alone(p, srv, limit_ms):
    """Poll only the server's side (the client is gone) until its slot is
    free; returns that time, or -1."""
    end = p.clock.t + limit_ms
    while p.clock.t < end:
        t = p.clock.t
        p.b.poll(t)
        srv.serve(t)
        if srv.active == 0:
            return t
        p.clock.t = t + _STEP
    return -1


def _server_socket(srv):
    return srv.slots[0].sock


def test_server_defaults_keepalive_on():
    p = NetPair()
    srv = TcpServer(p.b, 7, Reader(), conns=1, backlog=1)
    s = _server_socket(srv)
    assert (s.keepalive_ms, s.keepalive_interval_ms, s.keepalive_count, s.user_timeout_ms) == \
        (30000, 10000, 3, 60000)
    assert srv.listener.slots[0].keepalive_ms == 30000
    srv2 = TcpServer(p.b, 8, Reader(), conns=1, backlog=1, keepalive_ms=0)
    assert _server_socket(srv2).keepalive_ms == 0     # the caller's choice wins


def test_idle_client_vanishes_reclaimed_by_keepalive():
    p, srv, c = _connect(Reader())
    gone = p.clock.t
    s = _server_socket(srv)
    last = s.last_rx
    t = _server_alone(p, srv, 120000)
    assert t >= 0, "slot never freed"
    # three probes (at 30, 40, 50 s after the last segment), then the abort
    assert last + 60000 <= t <= last + 60000 + _STEP
    assert t - gone <= 60000 + _STEP
    assert s.state == tcp.CLOSED and s.error == errno.ETIMEDOUT
    assert srv.active == 0


def test_zero_window_client_vanishes_reclaimed_by_user_timeout():
    p, srv, c = _connect(Fountain(), rx=256)
    s = _server_socket(srv)
    for _ in range(50):                   # the client never reads: window 0
        p.step(_STEP)
        srv.serve(p.clock.t)
    assert s.snd_wnd == 0 and s.state == tcp.ESTABLISHED and c.recv_avail() == 256
    gone = p.clock.t
    t = _server_alone(p, srv, 200000)
    assert t >= 0, "slot never freed"
    # probes back off (RTO doubling); the first unanswered one starts the
    # 60 s user timeout
    assert gone + 60000 <= t <= gone + 62000 + _STEP, t - gone
    assert s.error == errno.ETIMEDOUT and srv.active == 0


def test_live_idle_client_kept():
    # keepalive probes are answered: the connection stays
    p, srv, c = _connect(Reader())
    for _ in range(1500):                 # 150 s
        p.step(_STEP)
        srv.serve(p.clock.t)
    assert srv.active == 1 and c.state == tcp.ESTABLISHED
    assert _server_socket(srv).state == tcp.ESTABLISHED


def test_http_client_vanishes_mid_request():
    # the HTTP app (on TcpServer) waits for the rest of a request that never
    # comes: keepalive finds the client gone
    from smolnet.apps.http import HttpHandler
    p, srv, c = _connect(HttpHandler(lambda method, path: (200, "text/plain", b"hi\n")))
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")          # no blank line yet
    for _ in range(5):
        p.step(_STEP)
        srv.serve(p.clock.t)
    s = _server_socket(srv)
    assert s.state == tcp.ESTABLISHED and srv.handler.requests == 0
    last = s.last_rx
    t = _server_alone(p, srv, 120000)
    assert last + 60000 <= t <= last + 60000 + _STEP
    assert srv.active == 0 and s.error == errno.ETIMEDOUT


def test_iperf3_server_sockets_reclaim_a_vanished_client():
    # tools/iperf3_server.py's sockets are the socket module's, made with
    # apps/iperf3.reclaim_vanished(net): an idle connection whose client
    # vanished is given up by keepalive within 60 s, as TcpServer's are
    from smolnet.compat import socket
    from smolnet.apps.iperf3 import reclaim_vanished
    from netpair import compat_nets
    p, a, b = compat_nets()
    reclaim_vanished(b)
    socket.use(a)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, b)
    srv.bind(("0.0.0.0", 5201))
    srv.listen(1)
    c = socket.socket()
    c.connect(("192.0.2.2", 5201))
    s, _ = srv.accept()
    c.send(b"cookie")
    assert s.recv(6) == b"cookie"
    b.others.remove(p.a)            # the client vanishes: never polled again
    s.settimeout(120)
    t0 = p.clock.t
    try:
        s.recv(10)
        got = None
    except OSError as e:
        got = e.args[0]
    dt = p.clock.t - t0
    assert got == errno.ECONNABORTED, got      # as lwIP reports an abort
    assert 60000 <= dt <= 61000, dt
    assert s._s.state == tcp.CLOSED
    s.close()
    srv.close()
    c.close()
