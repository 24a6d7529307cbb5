# The `socket` module of MicroPython's lwIP ports (rp2, stm32, mimxrt,
# esp8266), over smolnet. Existing code runs unchanged after one line:
#
#   import smolnet.compat.socket as socket
#   socket.install()             # sys.modules["socket"] = ["usocket"] = this module
#   socket.use(iface)            # or repl.up(...) / network.LAN(...).active(True)
#
# (smolnet.socket is the package of state machines underneath, not this.)
#
# Behaviour copied from extmod/modlwip.c of MicroPython v1.28, call by call
# (each errno below checked against it):
#   - blocking (default), non-blocking (setblocking(False) = settimeout(0))
#     or a timeout in seconds; a blocking call runs the Interface while it
#     waits (the whole stack is single-threaded);
#   - would-block: OSError(EAGAIN) from recv/recvfrom/accept/send, None from
#     the stream methods read/readinto/readline/write; a timeout that expires:
#     OSError(ETIMEDOUT), connect() included (lwip_socket_connect, since
#     v1.23); connect: OSError(EINPROGRESS) only when non-blocking;
#     b"" at end of stream;
#   - connect again: EISCONN when connected, EALREADY otherwise (connecting,
#     listening, closed by the peer), as lwIP's state check gives;
#   - connection errors as lwIP maps them: refused -> ECONNRESET (ERR_RST),
#     reset -> ECONNRESET, retransmissions exhausted -> ECONNABORTED
#     (ERR_ABRT); the error is raised once, later calls get EBADF (lwIP's
#     check_connected sets _ERR_BADF), except after a reset that a read
#     reported: reads then return b"" and poll says IN|HUP (lwIP's
#     STATE_PEER_RST_HANDLED);
#   - bind to a port in use: EADDRINUSE (ERR_USE; SO_REUSEADDR on both
#     sockets allows it for UDP; for TCP while the other is in TIME-WAIT);
#     bind twice: EINVAL (ERR_VAL);
#   - addresses: the host str or bytes (else TypeError), the port an int
#     (else TypeError) in 0..65535 (else OverflowError, as CPython: lwIP
#     truncates to 16 bits); a host that is not a literal: ValueError;
#   - out of memory for a socket's buffers: OSError(ENOMEM), as lwIP when
#     tcp_new/udp_new/pbuf_alloc fail, never MemoryError;
#   - a datagram larger than one IP packet holds (smolnet does not fragment
#     what it sends): OSError(EMSGSIZE) from sendto/send/write;
#   - send/sendto/sendall/write take str too (its UTF-8 bytes), as lwIP's
#     buffer protocol does; readinto needs a writable buffer (TypeError);
#   - recv(0) on a stream: b"" at once (Linux; lwIP first waits for data);
#     recv(-1) and settimeout(-1): ValueError, as CPython (lwIP would
#     allocate -1 bytes, or wait for ever); listen(-1): a backlog of 0
#     (one connection), as lwIP and CPython clamp it;
#   - getaddrinfo returns lwIP's shape: [(AF_INET, SOCK_STREAM, 0, '',
#     (ip, port))], the host str or bytes; names need a resolver (smolnet's
#     DNS, set by network's ifconfig/ipconfig), else OSError(-2).
# The deviations kept are listed in README.md, "The socket module".
# IPv6 (MicroPython's modlwip leaves it out; CPython's shapes where it has
# none, _inet.py has the details): socket(AF_INET6, ...) takes (host, port)
# or (host, port, flowinfo, scope_id) and gives back (host, port, 0, 0);
# "::" is the wildcard; sockets are IPv6-only; getaddrinfo(host, port,
# AF_INET6) asks AAAA, and af=0 still answers one address, IPv4 first
# (network.ipconfig(prefer=6) turns the order), the other family only when
# the name has no address of the first; IPV6_JOIN_GROUP/IPV6_LEAVE_GROUP
# with a 20-byte ipv6_mreq.
# Socket objects are io.IOBase subclasses whose ioctl answers the stream
# poll request, so select.poll and MicroPython's asyncio (open_connection,
# start_server, Stream) can wait on them. While asyncio waits on a socket,
# that ioctl also runs the Interface (at most once per millisecond), so an
# asyncio program works even without smolnet.aio.Driver.
# Not a hot path: the calls allocate their results as MicroPython's do.
import io
from micropython import const
from ..wire import ipaddr
from .stack import use, current, clear, Net  # noqa: F401  (module API)
from . import ports, stack, _inet
from ..socket.span import writable

# copies of smolnet/socket/errno.py's constants
_EADDRINUSE = const(98)
_EAGAIN = const(11)
_EALREADY = const(114)
_EBADF = const(9)
_EHOSTUNREACH = const(113)
_EINVAL = const(22)
_EISCONN = const(106)
_EMSGSIZE = const(90)
_ENOMEM = const(12)
_ENOTCONN = const(107)
_EOPNOTSUPP = const(95)
_ETIMEDOUT = const(110)

AF_INET = const(2)
AF_INET6 = const(10)
SOCK_STREAM = const(1)
SOCK_DGRAM = const(2)
SOCK_RAW = const(3)
SOL_SOCKET = const(1)
SO_REUSEADDR = const(0x04)
SO_KEEPALIVE = const(0x08)
SO_BROADCAST = const(0x20)
IPPROTO_IP = const(0)
IPPROTO_ICMP = const(1)
IPPROTO_TCP = const(6)
IPPROTO_UDP = const(17)
IP_ADD_MEMBERSHIP = const(0x400)
IP_DROP_MEMBERSHIP = const(0x401)
IPPROTO_IPV6 = const(41)
IPV6_JOIN_GROUP = const(20)        # Linux's (and CPython's) numbers; lwIP's 12
IPV6_LEAVE_GROUP = const(21)       # and 13 are taken too
IPV6_ADD_MEMBERSHIP = const(20)
IPV6_DROP_MEMBERSHIP = const(21)
TCP_NODELAY = const(0x01)
MSG_PEEK = const(0x01)
MSG_DONTWAIT = const(0x08)

_POLL = const(3)           # MP_STREAM_POLL
_CLOSE = const(4)          # MP_STREAM_CLOSE
_POLLIN = const(0x01)
_POLLOUT = const(0x04)
_POLLERR = const(0x08)
_POLLHUP = const(0x10)
_POLLNVAL = const(0x20)
_EAFNOSUPPORT = const(97)

_NEW = const(0)            # kinds of socket
_UDP = const(1)
_ICMP = const(2)
_TCP = const(3)            # connecting / connected stream
_LISTEN = const(4)

# copies of smolnet/socket/tcp.py's states (_T_X is X there; test_const_copies.py checks)
_T_CLOSED = const(0)       # TcpSocket states used here
_T_LISTEN = const(1)
_T_SYN_SENT = const(2)
_T_ESTABLISHED = const(4)
_T_CLOSE_WAIT = const(7)
_T_TIME_WAIT = const(10)


def install():
    """Make `import socket` / `import usocket` give this module (from now
    on: run it before importing the libraries). The host's own socket
    module is loaded for smolnet's AF_PACKET device first, so the unix port
    keeps its raw socket."""
    import sys
    try:
        from ..phy import afpacket  # noqa: F401  (binds the real socket module)
    except ImportError:
        pass                        # a board: no host socket module
    me = sys.modules[__name__]
    sys.modules["socket"] = me
    sys.modules["usocket"] = me


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    """One answer, as lwIP gives: [(AF_INET, SOCK_STREAM, 0, '', (ip, port))]
    or, for an IPv6 address, [(AF_INET6, SOCK_STREAM, 0, '', (ip, port, 0,
    0))]. af: 0 (either family), AF_INET or AF_INET6. A literal of the
    other family than af, or a name that does not resolve: OSError(-2)."""
    port = int(port)
    host = _inet.text(host) if host is not None else ""
    if af != 0 and af != AF_INET and af != AF_INET6:
        raise OSError(_EAFNOSUPPORT)
    if not host:
        host = "::" if af == AF_INET6 else "0.0.0.0"
    fam, ip = _inet.literal(host)
    if fam == 0:
        try:
            n = current()
        except OSError:
            n = None
        fam, ip = _inet.lookup(n, host, af, stack._reg.prefer)
    elif af != 0 and fam != af:
        raise OSError(-2)      # lwIP's getaddrinfo: EAI_NONAME for the other family
    if fam == AF_INET6:
        return [(AF_INET6, SOCK_STREAM, 0, "", (ip, port, 0, 0))]
    return [(AF_INET, SOCK_STREAM, 0, "", (ip, port))]


def inet_pton(af, s):
    if af == AF_INET6:
        return ipaddr.parse6(s)
    if af != AF_INET:
        raise OSError(_EAFNOSUPPORT)
    return ipaddr.parse4(s)


def inet_ntop(af, b):
    if af != AF_INET and af != AF_INET6:
        raise OSError(_EAFNOSUPPORT)
    if len(b) != (16 if af == AF_INET6 else 4):
        raise ValueError("invalid length of packed IP address string")
    return ipaddr.fmt(b)


class socket(io.IOBase):
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0, net=None):
        self._kind = _NEW
        self._s = None
        if af != AF_INET and af != AF_INET6:
            raise OSError(_EAFNOSUPPORT)
        self._net = net if net is not None else current()
        self._iface = self._net.iface
        if af == AF_INET6 and self._iface.ip6 is None:
            raise OSError(_EAFNOSUPPORT)       # Config(ipv6=False)
        self._af = af
        self._type = type
        self._timeout = -1          # ms; -1 blocking, 0 non-blocking
        self._reuse = False
        self._nodelay = False
        self._closed = False
        self._dead = False          # an error was reported: now EBADF
        self._rst_read = False      # a read reported a reset: now b"" (lwIP)
        self._port = 0
        self._laddr = None          # bound local address (bytes) or None
        self._peer = None           # connected peer (address bytes, port)
        self._groups = None         # multicast groups joined through this socket
        if type == SOCK_DGRAM:
            n = self._net
            try:
                self._s = _inet.FamilyUdp(_inet.alen_of(af), n.udp_slots, n.udp_bytes,
                                          n.udp_slots, n.udp_bytes)
            except MemoryError:
                raise OSError(_ENOMEM)     # lwIP: udp_new() found no memory
            self._kind = _UDP
        elif type == SOCK_RAW and proto == IPPROTO_ICMP and af == AF_INET:
            try:
                from ._ping import PingSocket
            except ImportError:
                # the manifest option raw=True; lwIP's ports, built without
                # MICROPY_PY_LWIP_SOCK_RAW, say EINVAL too
                from .. import left_out
                raise OSError(_EINVAL, left_out("SOCK_RAW: ", "compat._ping", "raw"))
            self._s = PingSocket()
            self._kind = _ICMP
        elif type != SOCK_STREAM:
            raise OSError(_EINVAL)
        self._net.sockets.append(self)

    def __repr__(self):
        return "<socket %s>" % _describe(self)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    # --- options ----------------------------------------------------------
    def settimeout(self, t):
        """None: blocking; 0: non-blocking; else seconds (int or float).
        A negative timeout is ValueError, as CPython (lwIP would turn it
        into an unsigned wait of about 49 days)."""
        if t is None:
            self._timeout = -1
            return
        if not isinstance(t, (int, float)):
            raise TypeError("timeout must be a number or None")
        if t < 0:
            raise ValueError("Timeout value out of range")
        self._timeout = int(t * 1000)

    def setblocking(self, flag):
        self._timeout = -1 if flag else 0

    def setsockopt(self, level, opt, value):
        if opt == SO_REUSEADDR:
            self._reuse = bool(value)
        elif opt == TCP_NODELAY and level == IPPROTO_TCP:
            self._nodelay = bool(value)
            if self._kind == _TCP:
                self._s.nodelay = self._nodelay
                self._s.due_at = -2      # Nagle may hold data it now sends
        elif (level == IPPROTO_IP and (opt == IP_ADD_MEMBERSHIP or opt == IP_DROP_MEMBERSHIP)) \
                or (level == IPPROTO_IPV6 and (opt == IPV6_JOIN_GROUP or opt == IPV6_LEAVE_GROUP
                                               or opt == 12 or opt == 13)):
            self._check_open()
            _mcast()[0](self, level, opt, value)
        # SO_BROADCAST, SO_KEEPALIVE and the rest: accepted, as lwIP does

    def makefile(self, mode="rb", buffering=0):
        return self

    # --- helpers ----------------------------------------------------------
    def _check_open(self):
        if self._closed or self._dead:
            raise OSError(_EBADF)

    def _wait(self, cond):
        """Block (running the Interface) until cond(); raises EAGAIN when
        non-blocking and ETIMEDOUT when the timeout expires."""
        if cond():
            return
        t = self._timeout
        if t == 0:
            raise OSError(_EAGAIN)
        if not self._net.wait(cond, t):
            raise OSError(_ETIMEDOUT)

    def _in_use(self, proto, port):
        for o in self._net.sockets:
            # an AF_INET and an AF_INET6 socket may share a port (lwIP's
            # pcbs of two IP types, Linux with IPV6_V6ONLY)
            if o is not self and o._port == port and not o._closed and o._af == self._af and \
                    _proto_of(o) == proto and not (self._reuse and o._reuse) and \
                    not (proto == 6 and o._kind == _TCP and o._s.state == _T_TIME_WAIT):
                return True
        # sockets of the low-level API on the same Interface
        for s in self._iface.sockets:
            if s.proto == proto and (getattr(s, "port", 0) or getattr(s, "local_port", 0)) == port \
                    and not _owned(self._net, s):
                return True
        return False

    # --- bind / connect / listen / accept -----------------------------------
    def _addr(self, address):
        return _inet.parse_sockaddr(self._af, address)

    def bind(self, address):
        self._check_open()
        a, port = self._addr(address)
        proto = 17 if self._kind == _UDP else 6
        if self._kind == _ICMP:
            return
        if self._port:
            raise OSError(_EINVAL)
        if port == 0:
            port = ports.ephemeral_port(self._iface, proto)
        elif self._in_use(proto, port):
            raise OSError(_EADDRINUSE)
        self._laddr = None if a == _inet.any_addr(self._af) else a
        self._port = port
        if self._kind == _UDP:
            self._s.bind(port, self._laddr)
            self._iface.add_socket(self._s)

    def _autobind(self):
        if not self._port:
            self.bind(("", 0))

    def connect(self, address):
        self._check_open()
        a, port = self._addr(address)
        k = self._kind
        if k == _UDP:
            self._autobind()
            self._peer = (a, port)
            return
        if k == _ICMP:
            self._peer = (a, 0)
            return
        if k == _TCP:
            # lwIP: EISCONN in STATE_CONNECTED only; connecting, closed by
            # the peer or failed: EALREADY
            raise OSError(_EISCONN if self._s.state == _T_ESTABLISHED else _EALREADY)
        if k == _LISTEN:
            raise OSError(_EALREADY)       # lwIP: state is not NEW
        from . import _tcp
        _tcp.connect(self, a, port)

    def listen(self, backlog=2):
        """backlog < 0 counts as 0 (lwIP and CPython clamp it): one
        connection waits at a time, as with 0 and 1."""
        if not isinstance(backlog, int):
            raise TypeError("backlog must be int")
        self._check_open()
        if self._type != SOCK_STREAM:
            raise OSError(_EOPNOTSUPP)
        if self._kind != _NEW:
            raise OSError(_EINVAL)
        from . import _tcp
        _tcp.listen(self, backlog)

    def accept(self):
        self._check_open()
        if self._type != SOCK_STREAM:
            raise OSError(_EOPNOTSUPP)
        if self._kind != _LISTEN:
            raise OSError(_EINVAL)
        from . import _tcp
        return _tcp.accept(self)

    # --- datagrams and stream data ------------------------------------------
    def sendto(self, data, address):
        self._check_open()
        data = _data(data)
        k = self._kind
        if k == _TCP:
            return self.send(data)
        if k == _UDP:
            a, port = self._addr(address)
            return self._send_dgram(data, len(data), a, port)
        if k == _ICMP:
            a, _ = self._addr(address)
            return self._s.send_for(self, data, a)
        raise OSError(_ENOTCONN)

    def send(self, data):
        self._check_open()
        data = _data(data)
        k = self._kind
        if k == _TCP or k == _NEW or k == _LISTEN:
            from . import _tcp
            return _tcp.send(self, data, 0, len(data), False)
        if self._peer is None:
            raise OSError(_ENOTCONN)
        if k == _ICMP:
            return self._s.send_for(self, data, self._peer[0])
        return self._send_dgram(data, len(data), self._peer[0], self._peer[1])

    def sendall(self, data):
        self._check_open()
        if self._kind == _UDP or self._kind == _ICMP:
            raise NotImplementedError
        from . import _tcp
        _tcp.sendall(self, _data(data))

    def recv(self, bufsize, flags=0):
        self._check_open()
        if _size(bufsize) == 0 and self._kind == _TCP:
            return b""          # Linux answers at once; lwIP waits for data first
        if self._kind == _UDP or self._kind == _ICMP:
            return self._recv_dgram(bufsize, flags)[0]
        from . import _tcp
        return _tcp.recv(self, bufsize, flags)

    def recvfrom(self, bufsize, flags=0):
        self._check_open()
        if _size(bufsize) == 0 and self._kind == _TCP:
            return b"", self._peer_tuple()           # at once, as recv(0)
        if self._kind == _UDP or self._kind == _ICMP:
            return self._recv_dgram(bufsize, flags)
        from . import _tcp
        data = _tcp.recv(self, bufsize, flags)
        return data, self._peer_tuple()

    def _peer_tuple(self):
        if self._peer is None:
            return _inet.sockaddr(self._af, _inet.any_addr(self._af), 0)
        return _inet.sockaddr(self._af, self._peer[0], self._peer[1])

    def getpeername(self):
        """(host, port) or (host, port, 0, 0); OSError(ENOTCONN) if none."""
        self._check_open()
        if self._peer is None:
            raise OSError(_ENOTCONN)
        return self._peer_tuple()

    def getsockname(self):
        """The local address: the bound one, else the one a connection
        uses, else the wildcard; port 0 before bind/connect."""
        self._check_open()
        a = self._laddr
        s = self._s
        if a is None and self._kind == _TCP and s.local_set:
            a = bytes(s.local_addr[:s.alen])
        if a is None:
            a = _inet.any_addr(self._af)
        return _inet.sockaddr(self._af, a, self._port)

    def _send_dgram(self, data, n, a, port):
        self._autobind()
        s = self._s
        # one IP packet's worth: smolnet sends no fragments (lwIP with
        # IP_FRAG off, and Linux with IP_PMTUDISC_DO, answer the same)
        i = self._iface
        if self._af == AF_INET6:
            room = (i.ip6.mtu or i.ip_mtu) - 40 - 8     # a router's MTU option counts
        else:
            room = i.ip_mtu - 20 - 8
        if n > room or n > s.tx.capacity():
            raise OSError(_EMSGSIZE)
        self._wait(lambda: s.can_send(n))
        dropped = s.tx_dropped
        s.send_to(data, n, a, port)
        self._net.poll()
        if s.tx_dropped != dropped and s.error == _EHOSTUNREACH and s.tx.is_empty():
            raise OSError(_EHOSTUNREACH)    # no route: lwIP's ERR_RTE
        if self._timeout != 0:
            # the datagram may wait for ARP: see it out (UdpSocket gives up
            # after 3 s) so a script may exit right after sendto
            self._net.wait(s.tx.is_empty, self._timeout)
        return n

    def _recv_dgram(self, bufsize, flags):
        s = self._s
        peer = self._peer
        while True:
            if flags & MSG_DONTWAIT and not s.can_recv():
                raise OSError(_EAGAIN)
            self._wait(s.can_recv)
            if self._kind == _ICMP:
                return s.recv_with_header(bufsize), (ipaddr.fmt4(s.peer_addr), 0)
            buf = bytearray(bufsize)
            n = s.recv_into(buf, 0, bufsize)
            if peer is None or (s.peer_port == peer[1] and bytes(s.peer_addr) == peer[0]):
                return bytes(buf[:n]), _inet.sockaddr(self._af, s.peer_addr, s.peer_port)
            # connected UDP: datagrams from elsewhere are dropped (lwIP's
            # udp_connect filters them the same way)

    # --- stream protocol (read/readinto/readline/write) ---------------------
    def read(self, n=-1):
        self._check_open()
        if self._kind == _UDP or self._kind == _ICMP:
            try:
                return self._recv_dgram(1536 if n < 0 else n, 0)[0]
            except OSError as e:
                if e.args[0] == _EAGAIN:
                    return None
                raise
        from . import _tcp
        return _tcp.read(self, n)

    def readinto(self, buf, n=-1):
        self._check_open()
        writable(buf, 0, -1)      # bytes / read-only memoryview: TypeError
        if n < 0 or n > len(buf):
            n = len(buf)
        if self._kind == _UDP or self._kind == _ICMP:
            d = self.read(n)
            if d is None:
                return None
            buf[:len(d)] = d
            return len(d)
        from . import _tcp
        return _tcp.readinto(self, buf, n)

    def readline(self, limit=-1):
        self._check_open()
        from . import _tcp
        return _tcp.readline(self, limit)

    def write(self, buf, off_or_n=-1, n=-1):
        """write(buf), write(buf, n) or write(buf, off, n), as MicroPython
        streams take them. Returns the bytes written; None if none could be
        (non-blocking)."""
        self._check_open()
        buf = _data(buf)
        off = 0
        if n >= 0:
            off = off_or_n
        elif off_or_n >= 0:
            n = off_or_n
        if off > len(buf):
            off = len(buf)
        if n < 0 or n > len(buf) - off:
            n = len(buf) - off
        if self._kind == _UDP or self._kind == _ICMP:
            if self._peer is None:
                raise OSError(_ENOTCONN)
            data = buf if off == 0 and n == len(buf) else bytes(buf[off:off + n])
            try:
                if self._kind == _ICMP:
                    return self._s.send_for(self, data, self._peer[0])
                return self._send_dgram(data, n, self._peer[0], self._peer[1])
            except OSError as e:
                if e.args[0] == _EAGAIN:
                    return None
                raise
        from . import _tcp
        return _tcp.write(self, buf, off, n)

    # --- poll and close -------------------------------------------------------
    def ioctl(self, req, arg):
        if req == _POLL:
            if not self._closed:
                self._net.tick()
            return self._poll_flags(arg)
        if req == _CLOSE:
            self.close()
            return 0
        return -1           # no file descriptor (MP_STREAM_GET_FILENO etc.)

    def _poll_flags(self, flags):
        if self._closed or self._dead:
            return _POLLNVAL
        k = self._kind
        r = 0
        if k == _UDP or k == _ICMP:
            if flags & _POLLIN and self._s.can_recv():
                r |= _POLLIN
            if flags & _POLLOUT and self._s.can_send(1):
                r |= _POLLOUT
            return r
        if k == _NEW:
            return _POLLHUP       # as lwIP: a fresh stream socket is "hung up"
        from . import _tcp
        return _tcp.poll_flags(self, flags)

    def close(self):
        if getattr(self, "_closed", True):
            return
        self._closed = True
        n = self._net
        if self in n.sockets:
            n.sockets.remove(self)
        if self._groups:
            for g in self._groups:       # memberships end with the socket
                _mcast()[1](n, g)
            self._groups = None
        k = self._kind
        if k == _UDP or k == _ICMP:
            self._iface.remove_socket(self._s)
            self._s.close()
        elif k == _TCP or k == _LISTEN:
            from . import _tcp
            _tcp.close(self)


def _mcast():
    """(membership, leave) of compat/_mcast.py, the group options (the
    manifest option multicast=True); without it OSError(EOPNOTSUPP), as an
    Interface without IGMP answers. (from ._mcast: `from . import _mcast`
    would raise AttributeError through compat/__init__.py's __getattr__.)"""
    try:
        from ._mcast import membership, leave
    except ImportError:
        raise _no_mcast()
    return membership, leave


def _no_mcast():
    # (apart from _mcast: the call would take its frame past 11 words)
    from .. import left_out
    return OSError(_EOPNOTSUPP, left_out("", "compat._mcast", "multicast"))


def _data(d):
    """What send/sendto/write take: a buffer, or a str (its UTF-8 bytes, as
    lwIP reads a str through the buffer protocol); else TypeError."""
    if isinstance(d, str):
        return d.encode()
    len(d)                # an object without a length: TypeError
    return d


def _size(bufsize):
    """recv's bufsize: an int >= 0 (ValueError for a negative one, as
    CPython; lwIP would try to allocate it)."""
    if not isinstance(bufsize, int):
        raise TypeError("bufsize must be int")
    if bufsize < 0:
        raise ValueError("negative buffersize in recv")
    return bufsize


def _proto_of(o):
    k = o._kind
    return 17 if k == _UDP else (1 if k == _ICMP else 6)


def _owned(net, s):
    for o in net.sockets:
        if o._s is s:
            return True
    return False


def _describe(o):
    if o._closed:
        return "closed"
    k = o._kind
    name = ("new", "udp", "icmp", "tcp", "listen")[k]
    if k == _TCP:
        name = "tcp " + o._s.state_name()
    return "%s port=%d timeout=%d" % (name, o._port, o._timeout)
