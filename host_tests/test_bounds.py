# runtimes: cpython unix wasm
# Issue 9 item 4: every low-level call that takes (buf, off, n) or (buf, n)
# and an address checks them once per call (smolnet/socket/span.py):
# OSError(EINVAL) for a number outside the buffer or a short address,
# TypeError for a read-only buffer a call would write into. Nothing is
# queued, sent or consumed by a refused call, and the good bytes around it
# arrive exactly (before the checks, the viper copy wrote past the
# bytearray and sent heap memory onto the wire).
from netpair import NetPair, IP_B
from support import raises, errno_of
from smolnet.socket import errno
from smolnet.socket.tcp import TcpSocket, ESTABLISHED
from smolnet.socket.udp import UdpSocket
from smolnet.socket.icmp import IcmpSocket
from smolnet.socket.span import span, writable, address


def _einval(fn, *args):
    assert errno_of(raises(OSError, fn, *args)) == errno.EINVAL


def test_span_rules():
    b = bytearray(10)
    assert span(b, 0, -1) == 10 and span(b, 4, -1) == 6 and span(b, 10, 0) == 0
    assert span(b, 3, 7) == 10 - 3
    for off, n in ((0, 11), (5, 6), (11, 0), (-1, 1), (0, -2), (10, 1)):
        _einval(span, b, off, n)
    assert writable(memoryview(b), 2, 3) == 3
    raises(TypeError, writable, b"0123456789", 0, 1)
    raises(TypeError, writable, memoryview(b"0123456789"), 0, -1)
    assert writable(b"", 0, -1) == 0            # nothing to write: nothing checked
    assert address(b"\xc0\x00\x02\x01", 0, -1) == 4 and address(bytes(20), 4, 16) == 16
    for a, aoff, alen in ((b"\xc0\x00\x02", 0, -1), (bytes(4), 1, 4), (bytes(8), 0, 5),
                          (bytes(16), 1, 16), (bytes(4), -1, 4)):
        _einval(address, a, aoff, alen)


def _connected():
    p = NetPair()
    b = TcpSocket(1024, 1024)
    b.listen(80)
    p.b.add_socket(b)
    a = TcpSocket(1024, 1024)
    a.connect(IP_B, 80)
    p.a.add_socket(a)
    p.run(2000, 10)                  # ARP, then the handshake
    assert a.state == ESTABLISHED and b.state == ESTABLISHED
    return p, a, b


def test_tcp_send_refuses_numbers_past_the_buffer():
    p, a, b = _connected()
    buf = bytearray(b"0123456789")
    for off, n in ((0, 11), (5, 6), (11, 0), (-1, 1), (0, -2), (0, 1 << 20)):
        _einval(a.send, buf, off, n)
    assert a.send_pending() == 0                # nothing was queued
    assert a.send(buf, 8, 2) == 2 and a.send(buf, 0, 3) == 3 and a.send(b"XY") == 2
    for _ in range(10):
        p.step()
    got = bytearray(16)
    assert b.recv_into(got) == 7 and bytes(got[:7]) == b"89012XY"


def test_tcp_recv_into_and_peek_into_check_before_copying():
    p, a, b = _connected()
    a.send(b"hello world")
    for _ in range(10):
        p.step()
    buf = bytearray(5)
    for off, n in ((0, 6), (3, 3), (6, 0), (-1, 2), (0, -5), (0, 1 << 20)):
        _einval(b.recv_into, buf, off, n)
        _einval(b.peek_into, buf, off, n)
    _einval(b.peek_into, buf, 0, 5, -1)          # `at` before the data
    raises(TypeError, b.recv_into, b"xxxxx")
    raises(TypeError, b.recv_into, memoryview(b"xxxxx"), 0, 5)
    raises(TypeError, b.peek_into, b"xxxxx")
    assert b.recv_avail() == 11                  # nothing consumed
    assert b.peek_into(buf, 1, 4, 6) == 4 and buf == bytearray(b"\x00worl")
    assert b.recv_into(buf, 2, 3) == 3 and bytes(buf[2:]) == b"hel"
    big = bytearray(20)
    assert b.recv_into(memoryview(big)[4:], 0, -1) == 8 and bytes(big[4:12]) == b"lo world"


def test_udp_send_to_and_recv_into():
    p = NetPair()
    u = UdpSocket()
    u.bind(4000)
    p.a.add_socket(u)
    v = UdpSocket()
    v.bind(7)
    p.b.add_socket(v)
    buf = bytearray(b"0123456789")
    for n in (11, -2, 1 << 20):
        _einval(u.send_to, buf, n, IP_B, 7)
    for a, aoff, alen in ((b"\xc0\x00\x02", 0, -1), (IP_B, 1, -1), (IP_B, 0, 5),
                          (bytes(16), 2, 16)):
        _einval(u.send_to, buf, 4, a, 7, aoff, alen)
    assert u.tx.is_empty()
    _einval(u.bind, 0, None, True)               # already bound
    w = UdpSocket()
    _einval(w.bind, 9, b"\xc0\x00\x02")          # short local address
    _einval(w.bind, 9, bytes(17))
    assert u.send_to(buf, 3, IP_B, 7) == 3 and u.send_to(buf, -1, IP_B, 7) == 10
    assert u.send_to(buf, 5, IP_B, 7) == 5 and u.send_to(buf, 0, IP_B, 7) == 0
    for _ in range(5):
        p.step()
    got = bytearray(4)
    # recv_into(buf, off=0, n=-1), as TcpSocket.recv_into (issue 10 item 4)
    _einval(v.recv_into, got, 0, 5)
    _einval(v.recv_into, got, 0, -3)
    _einval(v.recv_into, got, 5)
    _einval(v.recv_into, got, -1)
    _einval(v.recv_into, got, 1, 4)
    raises(TypeError, v.recv_into, b"xxxx")
    assert v.recv_into(got, 0, 3) == 3 and got == bytearray(b"012\x00")
    assert v.recv_into(got) == 4 and got == bytearray(b"0123")   # the rest dropped
    assert v.recv_into(got, 2) == 2 and got == bytearray(b"0101")  # at off 2
    assert v.recv_into(got) == 0                 # an empty datagram: 0 ...
    assert v.recv_into(got) == -1                # ... none waiting: -1


def test_udp_any_port_checks_too():
    p = NetPair()
    u = UdpSocket()
    u.bind(0, None, True)
    p.a.add_socket(u)
    buf = bytearray(8)
    _einval(u.send_to, buf, 9, IP_B, 7, 0, -1, None, 4000)
    _einval(u.send_to, buf, 8, b"\xc0\x00", 7, 0, -1, None, 4000)
    _einval(u.send_to, buf, 8, IP_B, 7, 0, -1, b"\xc0\x00\x02", 4000)
    assert u.tx.is_empty()
    raises(TypeError, u.recv_into, b"abc")
    _einval(u.recv_into, bytearray(2), 3)


def test_icmp_send_to_and_send_echo():
    s = IcmpSocket()
    s.bind(1)
    msg = bytearray(12)
    _einval(s.send_to, msg, 13, IP_B)
    _einval(s.send_to, msg, -2, IP_B)
    _einval(s.send_to, msg, 12, b"\xc0\x00\x02")
    _einval(s.send_to, msg, 12, IP_B, 1)
    _einval(s.send_echo, IP_B, 1, b"abc", 4)
    _einval(s.send_echo, IP_B, 1, b"abc", -2)
    _einval(s.send_echo, b"\xc0", 1, b"abc", 3)
    assert s.tx.is_empty()
    assert s.send_echo(IP_B, 1, b"abc", 3) == 3 and s.send_to(msg, -1, IP_B) == 12
    raises(TypeError, s.recv_into, b"xx")


def test_tcp_addresses_are_4_or_16_bytes():
    t = TcpSocket(64, 64)
    for a in (b"\xc0\x00\x02", bytes(5), bytes(17)):
        _einval(t.connect, a, 80)
        _einval(t.connect, IP_B, 80, 0, a)        # local address
    assert t.state == 0
