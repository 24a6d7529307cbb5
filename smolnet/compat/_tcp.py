# Stream (TCP) half of smolnet.compat.socket: connect, listen/accept, the
# data calls and close, each with lwIP's blocking and error rules (see the
# notes at the top of socket.py). Functions take the facade socket `so`;
# so._s is the smolnet TcpSocket (or TcpListener once listening).
# Loaded on the first stream call, so UDP-only programs never import TCP.
from micropython import const
from ..socket.tcp import TcpSocket
from ..socket.tcp_listen import TcpListener
from . import ports, _inet

# copies of smolnet/socket/errno.py's constants
_EAGAIN = const(11)
_EBADF = const(9)
_ECONNABORTED = const(103)
_ECONNREFUSED = const(111)
_ECONNRESET = const(104)
_EINPROGRESS = const(115)
_ENOMEM = const(12)
_ENOTCONN = const(107)
_ETIMEDOUT = const(110)

# copies of smolnet/compat/socket.py's kinds of socket (inlined here; test_const_copies.py checks)
_NEW = const(0)
_TCP = const(3)
_LISTEN = const(4)
# copies of smolnet/socket/tcp.py's states
_CLOSED = const(0)
_SYN_SENT = const(2)
_ESTABLISHED = const(4)
_CLOSE_WAIT = const(7)
# copies of smolnet/compat/socket.py's poll flags
_POLLIN = const(0x01)
_POLLOUT = const(0x04)
_POLLERR = const(0x08)
_POLLHUP = const(0x10)

_MIN_ROOM = const(16)      # lwIP waits for 16 bytes of room before a send


class _Listener(TcpListener):
    """A TcpListener that takes new connections of one family only (alen
    4 or 16), so an AF_INET and an AF_INET6 server can share a port.
    Segments of connections already under way match exactly anyway."""

    def __init__(self, alen, backlog, rx_size, tx_size, **options):
        TcpListener.__init__(self, backlog, rx_size, tx_size, **options)
        self.family_alen = alen

    def accepts(self, iface, l4_off):
        r = TcpListener.accepts(self, iface, l4_off)
        if r == 1 and iface.rx_alen != self.family_alen:
            return 0
        return r


def _error(e):
    # lwIP reports a refused connection as a reset (ERR_RST) and a
    # connection that ran out of retransmissions as aborted (ERR_ABRT)
    if e == _ECONNREFUSED:
        return _ECONNRESET
    if e == _ETIMEDOUT:
        return _ECONNABORTED
    return e if e else _ENOTCONN


def _fail(so, reading=False):
    """Raise the connection's error once; later calls get EBADF (lwIP's
    check_connected sets _ERR_BADF). A reset that a read reports is the
    exception: later reads return b"" and poll says IN|HUP, as lwIP's
    lwip_tcp_receive moves to STATE_PEER_RST_HANDLED."""
    e = _error(so._s.error)
    if reading and e == _ECONNRESET:
        so._rst_read = True
    else:
        so._dead = True
    raise OSError(e)


def _stream(so):
    if so._kind == _TCP:
        return so._s
    raise OSError(_ENOTCONN)


def _new_socket(net, nodelay):
    pool = net.tcp_pool
    while pool:
        s = pool.pop()
        if s.state == _CLOSED and not s.rst_pending:
            s.nodelay = nodelay
            return s
    try:
        return TcpSocket(net.tcp_rx_size, net.tcp_tx_size, nodelay=nodelay, **net.tcp_options)
    except MemoryError:
        raise OSError(_ENOMEM)         # lwIP: tcp_new() found no memory


# --- opening ------------------------------------------------------------------

def connect(so, a, port):
    net = so._net
    s = _new_socket(net, so._nodelay)
    s.connect(a, port, so._port, so._laddr)
    so._s = s
    so._kind = _TCP
    so._port = s.local_port
    so._peer = (bytes(a), port)
    so._iface.add_socket(s)
    net.poll()
    t = so._timeout
    if t == 0:
        raise OSError(_EINPROGRESS)
    if not net.wait(lambda: s.state != _SYN_SENT, t):
        # lwip_socket_connect since v1.23: ETIMEDOUT when a timeout runs
        # out (EINPROGRESS only for timeout 0); the SYN goes on, so a
        # later connect() says EALREADY
        raise OSError(_ETIMEDOUT)
    if s.state == _CLOSED:
        _fail(so)


def listen(so, backlog):
    net = so._net
    if not so._port:
        so._port = ports.ephemeral_port(so._iface, 6)
    opts = dict(net.tcp_options)
    opts["nodelay"] = so._nodelay
    # accepted connections the server closes first spend TIME-WAIT in the
    # listener's compact records: their sockets come back to the pool at once
    try:
        # slots made as SYNs come (prealloc=False), as lwIP makes a PCB per
        # SYN: an idle listener holds no buffers, and accept() allocates
        # nothing (asyncio's start_server listens with a backlog of 5 and
        # retries an accept() that fails with ENOMEM for ever)
        L = _Listener(16 if so._af == 10 else 4, backlog if backlog > 0 else 1,
                      net.tcp_rx_size, net.tcp_tx_size, time_wait=net.tcp_time_wait,
                      prealloc=False, **opts)
    except MemoryError:
        raise OSError(_ENOMEM)         # lwIP: tcp_listen()'s ERR_MEM
    L.listen(so._port, so._laddr)
    so._s = L
    so._kind = _LISTEN
    so._iface.add_socket(L)


def accept(so):
    L = so._s
    so._wait(lambda: L.pending() > 0)
    net = so._net
    spare = net.tcp_pool.pop() if net.tcp_pool else None
    if spare is not None and (spare.state != _CLOSED or spare.rst_pending):
        spare = None
    try:
        s = L.accept(spare)      # the spare (if any) takes the slot: no allocation
    except MemoryError:
        raise OSError(_ENOMEM)         # the connection stays queued
    if s not in so._iface.sockets:
        so._iface.add_socket(s)
    c = so.__class__(so._af, 1, 0, net)
    c._s = s
    c._kind = _TCP
    c._port = s.local_port
    c._timeout = so._timeout
    c._nodelay = so._nodelay
    a = bytes(s.remote_addr[:s.alen])
    c._peer = (a, s.remote_port)
    return c, _inet.sockaddr(so._af, a, s.remote_port)


# --- sending ------------------------------------------------------------------

def _can_write(s):
    return s.state == _CLOSED or (s.may_send() and s.send_free() > 0)


def send(so, buf, off, n, nonblock_none):
    """One lwIP-style send: waits (blocking) until there is room, queues as
    much as fits, returns the count. Would-block: EAGAIN, or None for the
    stream write when nonblock_none."""
    if so._kind == _NEW:
        raise OSError(_ENOTCONN)
    s = _stream(so)
    if s.state == _CLOSED:
        _fail(so)
    if not s.may_send():
        raise OSError(_ENOTCONN if s.state == _SYN_SENT else _EBADF)
    if s.send_free() == 0:
        if so._timeout == 0:
            if nonblock_none:
                return None
            raise OSError(_EAGAIN)
        need = n if n < _MIN_ROOM else _MIN_ROOM
        so._wait(lambda: s.state == _CLOSED or not s.may_send() or s.send_free() >= need)
        if s.state == _CLOSED:
            _fail(so)
        if not s.may_send():
            raise OSError(_EBADF)
    k = s.send(buf, off, n)
    so._net.poll()
    return k


def sendall(so, data):
    s = _stream(so)
    n = len(data)
    if so._timeout == 0 and s.state != _CLOSED and n > s.send_free():
        raise OSError(_EAGAIN)   # lwIP: all or nothing when non-blocking
    done = 0
    while done < n:
        done += send(so, data, done, n - done, False)


def write(so, buf, off, n):
    """Stream write: everything (blocking) or what fits (non-blocking: None
    if nothing did)."""
    done = 0
    while done < n:
        try:
            k = send(so, buf, off + done, n - done, True)
        except OSError as e:
            if done and e.args[0] == _ETIMEDOUT:
                break
            raise
        if k is None:
            break
        done += k
        if so._timeout == 0 and done < n and so._s.send_free() == 0:
            break
    if done == 0 and n and so._timeout == 0:
        return None
    return done


# --- receiving ----------------------------------------------------------------

def _readable(s):
    return s.recv_avail() > 0 or not s.may_recv()


def _wait_data(so, s, partial, stream=True):
    """Wait for data or the end of the stream. False when it would block
    and this is a stream call (they return None, not EAGAIN) or `partial`
    data is already in hand (no ETIMEDOUT then either)."""
    if _readable(s):
        return True
    if so._timeout == 0:
        if partial or stream:
            return False
        raise OSError(_EAGAIN)
    try:
        so._wait(lambda: _readable(s))
    except OSError:
        if partial:
            return False
        raise
    return True


def _eof_or_error(so, s):
    if s.state == _CLOSED and s.error and not so._rst_read:
        _fail(so, True)
    return b""


def recv(so, bufsize, flags):
    if so._kind != _TCP:
        raise OSError(_ENOTCONN)
    s = so._s
    if not _readable(s) and flags & 0x08:        # MSG_DONTWAIT
        raise OSError(_EAGAIN)
    _wait_data(so, s, False, False)
    avail = s.recv_avail()
    if avail == 0:
        return _eof_or_error(so, s)
    k = avail if avail < bufsize else bufsize
    buf = bytearray(k)
    if flags & 0x01:                             # MSG_PEEK
        s.peek_into(buf, 0, k)
    else:
        s.recv_into(buf, 0, k)
        so._net.poll()                           # window update, if due
    return bytes(buf)


def readinto(so, buf, n):
    """Stream readinto: fills n bytes (blocking) unless the stream ends;
    non-blocking: what is there, None if nothing."""
    s = _stream(so)
    done = 0
    while done < n:
        if not _wait_data(so, s, done > 0):
            break
        if s.recv_avail() == 0:
            if done == 0:
                _eof_or_error(so, s)
            break
        done += s.recv_into(buf, done, n - done)
    if done:
        so._net.poll()
    elif n and so._timeout == 0 and s.may_recv():
        return None
    return done


def read(so, n):
    s = _stream(so)
    if n < 0:
        out = bytearray()
        while True:
            if not _wait_data(so, s, len(out) > 0):
                if not out:
                    return None
                break
            avail = s.recv_avail()
            if avail == 0:
                if not out:
                    return _eof_or_error(so, s)
                break
            chunk = bytearray(avail)
            s.recv_into(chunk, 0, avail)
            out += chunk
            so._net.poll()
            if so._timeout == 0 and s.recv_avail() == 0:
                break
        return bytes(out)
    buf = bytearray(n)
    k = readinto(so, buf, n)
    if k is None:
        return None
    return bytes(buf) if k == n else bytes(buf[:k])


def readline(so, limit):
    if so._kind != _TCP:
        return so.read(limit)
    s = so._s
    out = bytearray()
    while limit < 0 or len(out) < limit:
        if not _wait_data(so, s, len(out) > 0):
            break
        avail = s.recv_avail()
        if avail == 0:
            if not out:
                return _eof_or_error(so, s)
            break
        m = avail if limit < 0 or avail < limit - len(out) else limit - len(out)
        i = s.find(10, m)
        take = i + 1 if i >= 0 else m
        chunk = bytearray(take)
        s.recv_into(chunk, 0, take)
        out += chunk
        if i >= 0:
            break
    if not out and so._timeout == 0 and s.may_recv():
        return None
    so._net.poll()
    return bytes(out)


# --- poll and close -------------------------------------------------------------

def poll_flags(so, flags):
    s = so._s
    if so._rst_read:
        return (flags & _POLLIN) | _POLLHUP      # lwIP's STATE_PEER_RST_HANDLED
    r = 0
    if so._kind == _LISTEN:
        if flags & _POLLIN and s.pending():
            r |= _POLLIN
        return r
    st = s.state
    if st == _SYN_SENT:
        return 0
    if flags & _POLLIN and _readable(s):
        r |= _POLLIN
    if flags & _POLLOUT and _can_write(s):
        r |= _POLLOUT
    if st == _CLOSED:
        if s.error == _ECONNRESET or s.error == _ECONNREFUSED:
            # lwIP's ERR_RST: ERR|HUP, and readers are woken too (their
            # read raises), writers when asked
            r |= _POLLERR | _POLLHUP | (flags & (_POLLIN | _POLLOUT))
        elif s.error:
            r |= _POLLERR
    return r


def close(so):
    s = so._s
    net = so._net
    if so._kind == _LISTEN:
        s.close()
    elif s.recv_avail() and (s.state == _ESTABLISHED or s.state == _CLOSE_WAIT):
        s.abort()        # unread data: reset, as lwIP's tcp_close does
    else:
        s.close()
    net.closing.append(s)
    net.poll()
