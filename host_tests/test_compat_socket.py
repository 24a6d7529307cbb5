# runtimes: cpython unix wasm
# The drop-in socket module over two Interfaces on a Loopback pair: UDP and
# raw ICMP, lwIP's errno for each misuse, the stream protocol, ioctl poll.
# A fake clock whose sleep() advances it makes every timeout exact.
import sys
from smolnet.compat import socket as socket
from smolnet.socket import errno
from smolnet.socket.udp import UdpSocket
from netpair import compat_nets
from support import raises, is_32bit

_MP = sys.implementation.name == "micropython"


def _udp(net, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0, net)
    s.bind(("0.0.0.0", port))
    return s


def test_getaddrinfo_has_lwips_shape():
    r = socket.getaddrinfo("192.0.2.1", 80)
    assert r == [(2, 1, 0, "", ("192.0.2.1", 80))]
    assert socket.getaddrinfo("0.0.0.0", 8080, 0, socket.SOCK_STREAM)[0][-1] == ("0.0.0.0", 8080)
    assert socket.getaddrinfo("", 7)[0][-1] == ("0.0.0.0", 7)
    p, a, b = compat_nets()
    e = raises(OSError, socket.getaddrinfo, "example.com", 80)
    assert e.args[0] == -2                      # lwIP: host not found
    a.resolver = lambda name: "192.0.2.9"
    assert socket.getaddrinfo("example.com", 80)[0][-1] == ("192.0.2.9", 80)


def test_constants_are_lwips():
    assert (socket.AF_INET, socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW) == (2, 1, 2, 3)
    assert (socket.SOL_SOCKET, socket.SO_REUSEADDR, socket.IPPROTO_TCP, socket.TCP_NODELAY) == \
        (1, 4, 6, 1)
    assert socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, "192.0.2.7")) == \
        "192.0.2.7"


def test_the_socket_module_is_compat_socket_only():
    # issue 10 item 4: smolnet.socket is the state machines, nothing else;
    # the drop-in is smolnet.compat.socket (usocket: the same API)
    import smolnet.socket as s
    for name in ("socket", "getaddrinfo", "install", "use", "AF_INET"):
        assert raises(AttributeError, getattr, s, name)
    assert socket.AF_INET == 2 and socket.SOCK_DGRAM == 2
    from smolnet.compat import usocket
    assert usocket.socket is socket.socket and usocket.getaddrinfo is socket.getaddrinfo


def test_install_makes_socket_and_usocket_this_module():
    import sys
    saved = sys.modules.get("socket"), sys.modules.get("usocket")
    try:
        socket.install()
        assert sys.modules["socket"] is socket and sys.modules["usocket"] is socket
    finally:
        for name, mod in zip(("socket", "usocket"), saved):
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


def test_udp_sendto_recvfrom():
    p, a, b = compat_nets()
    srv = _udp(b, 7)
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # default net: a
    assert cli.sendto(b"hello", ("192.0.2.2", 7)) == 5
    data, addr = srv.recvfrom(100)
    assert data == b"hello" and addr[0] == "192.0.2.1" and 49152 <= addr[1] <= 65535
    srv.sendto(b"HELLO, longer", addr)
    assert cli.recvfrom(5) == (b"HELLO", ("192.0.2.2", 7))   # truncated as lwIP
    cli.close()
    srv.close()


def test_udp_would_block_and_timeout():
    p, a, b = compat_nets()
    s = _udp(a, 5000)
    s.setblocking(False)
    assert raises(OSError, s.recv, 10).args[0] == errno.EAGAIN
    assert raises(OSError, s.recvfrom, 10).args[0] == errno.EAGAIN
    assert s.read(10) is None
    assert s.readinto(bytearray(4)) is None
    s.settimeout(0.5)
    t0 = p.clock.t
    assert raises(OSError, s.recv, 10).args[0] == errno.ETIMEDOUT
    assert 500 <= p.clock.t - t0 < 520
    s.settimeout(None)
    assert s._timeout == -1
    s.close()


def test_bind_port_in_use():
    p, a, b = compat_nets()
    s1 = _udp(a, 6000)
    s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert raises(OSError, s2.bind, ("0.0.0.0", 6000)).args[0] == errno.EADDRINUSE
    # SO_REUSEADDR on both lets the second bind through, as lwIP's udp_bind
    s3 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s3.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    assert raises(OSError, s3.bind, ("0.0.0.0", 6000)).args[0] == errno.EADDRINUSE
    s1.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s3.bind(("0.0.0.0", 6000))
    # a port the low-level API holds is in use too
    raw = p.a.add_socket(UdpSocket())
    raw.bind(6001)
    assert raises(OSError, s2.bind, ("0.0.0.0", 6001)).args[0] == errno.EADDRINUSE
    s2.bind(("0.0.0.0", 6002))
    for s in (s1, s2, s3):
        s.close()


def test_connected_udp_stream_methods():
    p, a, b = compat_nets()
    srv = _udp(b, 9)
    other = _udp(b, 10)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect(("192.0.2.2", 9))
    assert c.send(b"abc") == 3
    assert c.write(b"0123456789", 4) == 4            # write(buf, n)
    assert c.write(b"0123456789", 2, 3) == 3         # write(buf, off, n)
    assert srv.recv(10) == b"abc"
    assert srv.recv(10) == b"0123"
    data, addr = srv.recvfrom(10)
    assert data == b"234"
    other.sendto(b"not from the peer", addr)
    srv.sendto(b"reply", addr)
    assert c.recv(100) == b"reply"                  # the other one was filtered
    srv.sendto(b"again", addr)
    buf = bytearray(8)
    assert c.readinto(buf) == 5 and buf[:5] == b"again"
    assert c.makefile("rwb") is c
    for s in (srv, other, c):
        s.close()


def test_closed_socket_is_ebadf():
    p, a, b = compat_nets()
    s = _udp(a, 7000)
    s.close()
    s.close()                                        # twice is fine
    assert raises(OSError, s.sendto, b"x", ("192.0.2.2", 7)).args[0] == errno.EBADF
    assert raises(OSError, s.recv, 1).args[0] == errno.EBADF
    assert s.ioctl(3, 1 | 4) == 0x20                 # POLLNVAL


def test_bad_arguments():
    p, a, b = compat_nets()
    assert raises(OSError, socket.socket, 1).args[0] == 97     # AF_UNIX (AF_INET6: test_compat_socket6)
    assert raises(OSError, socket.socket, socket.AF_INET, 99).args[0] == errno.EINVAL
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raises(ValueError, s.sendto, b"x", ("example.com", 7))   # lwIP: numeric only
    s.close()
    socket.clear()
    assert raises(OSError, socket.socket).args[0] == 19      # no interface chosen


def test_no_route_is_ehostunreach():
    p, a, b = compat_nets()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    e = raises(OSError, s.sendto, b"x", ("198.51.100.1", 9))
    assert e.args[0] == errno.EHOSTUNREACH
    s.close()


def test_ioctl_poll_flags():
    p, a, b = compat_nets()
    r = _udp(a, 8000)
    w = _udp(b, 8001)
    assert r.ioctl(3, 1) == 0                        # nothing to read
    assert r.ioctl(3, 4) == 4                        # room to write
    assert r.ioctl(10, 0) == -1                      # no file descriptor
    w.sendto(b"x", ("192.0.2.1", 8000))
    assert r.ioctl(3, 1 | 4) == 1 | 4
    fresh = socket.socket()
    assert fresh.ioctl(3, 1 | 4) == 0x10             # new stream socket: HUP, as lwIP
    for s in (r, w, fresh):
        s.close()


def test_select_poll_waits_on_a_facade_socket():
    if not _MP:
        return          # CPython's select.poll needs a file descriptor
    import select
    p, a, b = compat_nets()
    r = _udp(a, 8100)
    w = _udp(b, 8101)
    poller = select.poll()
    poller.register(r, select.POLLIN)
    assert poller.poll(0) == []
    w.sendto(b"ping", ("192.0.2.1", 8100))
    ev = poller.poll(0)
    assert len(ev) == 1 and ev[0][0] is r and ev[0][1] & select.POLLIN
    assert r.recv(10) == b"ping"
    r.close()
    w.close()


def test_raw_icmp_echo_like_uping():
    # micropython-lib's uping: SOCK_RAW/IPPROTO_ICMP, send an echo request,
    # receive the reply with its IPv4 header in front
    p, a, b = compat_nets()
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)
    req = bytearray(b"\x08\x00\x00\x00\x12\x34\x00\x01" + bytes(range(16)))
    s.settimeout(1)
    assert s.sendto(req, ("192.0.2.2", 1)) == 24
    resp = s.recv(100)
    assert len(resp) == 20 + 24
    assert resp[0] == 0x45 and resp[9] == 1 and resp[8] == 64
    assert bytes(resp[12:16]) == bytes([192, 0, 2, 2])
    assert resp[20] == 0 and resp[24:26] == b"\x12\x34" and resp[28:] == bytes(range(16))
    s.close()


def test_addresses_are_validated_as_lwip_reads_them():
    # issue 9 item 6: ports are ints 0..65535, hosts str or bytes
    p, a, b = compat_nets()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for port in (-1, 65536, 70000):
        raises(OverflowError, s.bind, ("0.0.0.0", port))
        raises(OverflowError, s.sendto, b"x", ("192.0.2.2", port))
    raises(TypeError, s.bind, ("0.0.0.0", "80"))
    raises(TypeError, s.bind, (1234, 80))          # was AttributeError
    raises(TypeError, s.connect, (None, 80))
    assert s._port == 0                            # nothing was bound
    s.bind((b"0.0.0.0", 6500))                     # bytes host, as lwIP
    assert s.getsockname() == ("0.0.0.0", 6500)
    t = _udp(b, 6501)
    assert s.sendto(b"via bytes", (b"192.0.2.2", 6501)) == 9
    assert t.recv(20) == b"via bytes"
    raises(ValueError, socket.inet_ntop, socket.AF_INET, b"123")   # was IndexError
    raises(ValueError, socket.inet_ntop, socket.AF_INET, b"12345")
    s.close()
    t.close()


def test_getaddrinfo_takes_bytes_hosts():
    # issue 12 item 1: examples/network/http_client.py passes b"..."
    p, a, b = compat_nets()
    assert socket.getaddrinfo(b"192.0.2.1", 80) == [(2, 1, 0, "", ("192.0.2.1", 80))]
    a.resolver = lambda name: "192.0.2.9" if name == "example.com" else None
    assert socket.getaddrinfo(b"example.com", 80)[0][-1] == ("192.0.2.9", 80)
    raises(TypeError, socket.getaddrinfo, 1234, 80)


def test_datagram_past_the_mtu_is_emsgsize():
    # issue 9 item 6: it was accepted, then dropped on the way out
    p, a, b = compat_nets()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = _udp(b, 6600)
    room = p.a.ip_mtu - 20 - 8                     # one IPv4 packet, no fragments
    e = raises(OSError, s.sendto, bytes(room + 1), ("192.0.2.2", 6600))
    assert e.args[0] == errno.EMSGSIZE
    assert s.sendto(bytes(room), ("192.0.2.2", 6600)) == room
    assert len(t.recv(2000)) == room
    s.connect(("192.0.2.2", 6600))
    assert raises(OSError, s.send, bytes(room + 1)).args[0] == errno.EMSGSIZE
    assert raises(OSError, s.write, bytes(room + 1)).args[0] == errno.EMSGSIZE
    s.close()
    t.close()


def test_str_data_is_sent_as_lwip_does():
    # lwIP reads a str through the buffer protocol: its UTF-8 bytes go out
    p, a, b = compat_nets()
    t = _udp(b, 6700)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert s.sendto("h\u00e9", ("192.0.2.2", 6700)) == 3
    assert t.recv(10) == "h\u00e9".encode()
    raises(TypeError, s.sendto, 12, ("192.0.2.2", 6700))
    s.close()
    t.close()


def test_readinto_refuses_immutable_buffers():
    # issue 9 item 5: readinto wrote into bytes (flash, with frozen code)
    p, a, b = compat_nets()
    r = _udp(a, 6800)
    w = _udp(b, 6801)
    w.sendto(b"data", ("192.0.2.1", 6800))
    const = b"xxxxxxxx"
    raises(TypeError, r.readinto, const)
    raises(TypeError, r.readinto, memoryview(const))
    assert const == b"xxxxxxxx"
    buf = bytearray(8)
    assert r.readinto(memoryview(buf)) == 4 and buf[:4] == b"data"
    r.close()
    w.close()


def test_timeout_recv_sizes_and_out_of_memory():
    p, a, b = compat_nets()
    s = _udp(a, 6900)
    raises(ValueError, s.settimeout, -1)          # CPython; lwIP: ~49 days
    raises(ValueError, s.settimeout, -0.5)
    raises(TypeError, s.settimeout, "1")
    assert s._timeout == -1
    s.settimeout(0.25)
    assert s._timeout == 250
    raises(ValueError, s.recv, -1)
    raises(ValueError, s.recvfrom, -1)
    raises(TypeError, s.recv, "10")
    s.close()
    # a socket's buffers that do not fit: ENOMEM, as lwIP's udp_new/tcp_new
    a.udp_bytes = (1 << 29) if is_32bit else (1 << 50)
    assert raises(OSError, socket.socket, socket.AF_INET, socket.SOCK_DGRAM).args[0] == errno.ENOMEM
    # TCP: a socket or listener whose buffers cannot be allocated (sizes
    # past TcpSocket's limit are ValueError, so the allocation fails here)
    from smolnet.compat import _tcp

    def oom(*args, **kw):
        raise MemoryError("memory allocation failed")

    saved = (_tcp.TcpSocket, _tcp._Listener)
    _tcp.TcpSocket = _tcp._Listener = oom
    try:
        c = socket.socket()
        assert raises(OSError, c.connect, ("192.0.2.2", 80)).args[0] == errno.ENOMEM
        assert raises(OSError, c.listen, 1).args[0] == errno.ENOMEM
        c.close()
    finally:
        _tcp.TcpSocket, _tcp._Listener = saved


def test_ip_membership_argument_errors_are_lwips():
    # modlwip.c: the ip_mreq through the buffer protocol (TypeError), its
    # length checked with ValueError; IGMP's own errors as OSError
    p, a, b = compat_nets()
    s = _udp(a, 7100)
    for bad in (b"\xe9\xfc\x00\x01", bytes(9)):
        raises(ValueError, s.setsockopt, socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, bad)
    raises(TypeError, s.setsockopt, socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, 5)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, bytes([233, 252, 0, 1]) + bytes(4))
    assert "233.252.0.1" in p.a.multicast_groups()
    s.close()
    assert "233.252.0.1" not in p.a.multicast_groups()
