# runtimes: cpython unix wasm
# The steady state allocates nothing: after a warm-up, ping and UDP
# request/response loops between two Interfaces run under
# micropython.heap_lock() (a no-op on CPython, where only the results are
# checked). On the 32-bit webassembly port this also proves no value on the
# path grows past a small int.
#
# A caveat heap_lock cannot see: on ports without a Python stack (unix, most
# boards) a call whose frame exceeds 11 words takes it from the heap and frees
# it on return (py/objfun.c VM_MAX_STATE_ON_STACK); under heap_lock it falls
# back to the C stack. That costs time, not memory: nothing is retained and no
# garbage builds up. The webassembly port uses a Python stack and never does.
from smolnet.socket.udp import UdpSocket
from smolnet.socket.icmp import IcmpSocket
from smolnet.fast import equal
from netpair import NetPair, IP_B
from support import heap_locked

_ROUNDS = 1000


def _ping_rounds(p, s, payload, buf, count, res):
    ok = 0
    for k in range(count):
        s.send_echo(IP_B, k, payload, 56)
        p.step()
        p.step()
        n = s.recv_into(buf)
        if n == 64 and buf[0] == 0 and equal(buf, 8, payload, 0, 56):
            ok += 1
    res[0] = ok


def test_1000_pings_without_allocation():
    p = NetPair()
    s = p.a.add_socket(IcmpSocket())
    s.bind(77)
    payload = bytes(range(56))
    buf = bytearray(128)
    res = [0]
    # warm-up: resolve ARP (the first reply comes a poll late), first use
    _ping_rounds(p, s, payload, buf, 5, res)
    p.run(5)
    while s.recv_into(buf) >= 0:
        pass
    _ping_rounds(p, s, payload, buf, 5, res)
    assert res[0] == 5
    ctx = (p, s, payload, buf, res)
    heap_locked(lambda: _ping_rounds(ctx[0], ctx[1], ctx[2], ctx[3], _ROUNDS, ctx[4]))
    assert res[0] == _ROUNDS
    assert p.b.stats.icmp_echo_replies == _ROUNDS + 10
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0


def _udp_rounds(p, ua, ub, req, buf, count, res):
    ok = 0
    for k in range(count):
        req[0] = k & 0xFF
        ua.send_to(req, 32, IP_B, 6969)
        p.step()
        n = ub.recv_into(buf)
        if n == 32:
            buf[1] = 0xEE                              # the server's mark
            ub.send_to(buf, n, ub.peer_addr, ub.peer_port)
        p.step()                                       # B sends the answer
        p.step()                                       # A receives it
        m = ua.recv_into(buf)
        if m == 32 and buf[0] == k & 0xFF and buf[1] == 0xEE and equal(buf, 2, req, 2, 30):
            ok += 1
    res[0] = ok


def test_1000_udp_exchanges_without_allocation():
    p = NetPair()
    ua = p.a.add_socket(UdpSocket())
    ua.bind(40000)
    ub = p.b.add_socket(UdpSocket())
    ub.bind(6969)
    req = bytearray(range(32))
    buf = bytearray(64)
    res = [0]
    _udp_rounds(p, ua, ub, req, buf, 5, res)          # warm-up: ARP, first use
    p.run(5)
    while ua.recv_into(buf) >= 0 or ub.recv_into(buf) >= 0:
        pass
    _udp_rounds(p, ua, ub, req, buf, 5, res)
    assert res[0] == 5
    # one captured name: calling a closure over more than 5 heap-allocates
    # its argument array (py/objclosure.c), which would be the test's fault
    ctx = (p, ua, ub, req, buf, res)
    heap_locked(lambda: _udp_rounds(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], _ROUNDS, ctx[5]))
    assert res[0] == _ROUNDS
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0
