# Loopback benchmarks for the foundation: ICMP echo and UDP request/response
# round trips per second between two Interfaces on a Loopback pair, and the
# heap an Interface with the default Config takes. Prints one JSON object per
# line (see tools/bench/README.md). Runs on the unix port (and CPython).
import sys
import gc
import time

sys.path.insert(0, ".")
sys.path.insert(0, "host_tests")

from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.socket.udp import UdpSocket
from smolnet.socket.icmp import IcmpSocket
from smolnet.wire import ipaddr

IP_B = ipaddr.parse4("192.0.2.2")


def emit(name, value, unit):
    print('{"name": "%s", "value": %s, "unit": "%s"}' % (name, value, unit))


def pair():
    a, b = Loopback.pair()
    ia = Interface(a)
    ia.add_ip("192.0.2.1/24")
    ib = Interface(b)
    ib.add_ip("192.0.2.2/24")
    return ia, ib


def ping_rounds(ia, ib, s, payload, buf, n):
    t = 0
    for k in range(n):
        s.send_echo(IP_B, k, payload, 56)
        ia.poll(t)
        ib.poll(t)
        ia.poll(t)
        s.recv_into(buf)
        t += 1


def udp_rounds(ia, ib, ua, ub, req, buf, n):
    t = 0
    for k in range(n):
        ua.send_to(req, 32, IP_B, 6969)
        ia.poll(t)
        ib.poll(t)
        m = ub.recv_into(buf)
        if m >= 0:
            ub.send_to(buf, m, ub.peer_addr, ub.peer_port)
        ib.poll(t)
        ia.poll(t)
        ua.recv_into(buf)
        t += 1


def rate(fn, n):
    t0 = time.ticks_ms()
    fn(n)
    dt = time.ticks_diff(time.ticks_ms(), t0)
    return int(n * 1000 / dt) if dt > 0 else 0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    ia, ib = pair()
    s = ia.add_socket(IcmpSocket())
    s.bind(1)
    payload = bytes(56)
    buf = bytearray(128)
    ping_rounds(ia, ib, s, payload, buf, 10)
    emit("loopback_icmp_echo_round_trips", rate(lambda k: ping_rounds(ia, ib, s, payload, buf, k), n), "per s")

    ia, ib = pair()
    ua = ia.add_socket(UdpSocket())
    ua.bind(40000)
    ub = ib.add_socket(UdpSocket())
    ub.bind(6969)
    req = bytearray(32)
    udp_rounds(ia, ib, ua, ub, req, buf, 10)
    emit("loopback_udp_round_trips", rate(lambda k: udp_rounds(ia, ib, ua, ub, req, buf, k), n), "per s")

    if hasattr(gc, "mem_alloc"):
        dev, _ = Loopback.pair()
        gc.collect()
        m0 = gc.mem_alloc()
        i = Interface(dev)
        i.add_ip("192.0.2.1/24")
        gc.collect()
        m1 = gc.mem_alloc()
        emit("interface_heap_default_config", m1 - m0, "bytes")
        i.add_socket(UdpSocket())
        gc.collect()
        emit("udp_socket_heap_default", gc.mem_alloc() - m1, "bytes")


main()
