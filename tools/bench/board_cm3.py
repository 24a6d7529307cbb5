# Per-packet costs and heap figures of smolnet on a Cortex-M3, run ON the
# MPS2 AN385 firmware (frozen smolnet, MicroPython v1.28.0) by
# tools/bench/bench_firmware.py under qemu-system-arm -icount shift=0: the
# guest's clock then advances 1 ns per executed instruction, so every
# time.ticks_us() difference here is thousands of Cortex-M3 instructions
# ("virtual us"), identical from run to run whatever the host's load.
# Prints one JSON object per line (tools/bench/README.md). Plain MicroPython:
# no host module, nothing from tools/.
import gc
import time

gc.collect()
_HEAP0 = gc.mem_alloc()

from smolnet.phy.loopback import Loopback  # noqa: E402
from smolnet.iface.interface import Interface  # noqa: E402
from smolnet.config import Config  # noqa: E402
from smolnet.socket.udp import UdpSocket  # noqa: E402
from smolnet.socket.icmp import IcmpSocket  # noqa: E402
from smolnet.socket.tcp import TcpSocket  # noqa: E402
from smolnet.wire import ipaddr  # noqa: E402

gc.collect()
_HEAP_IMPORTS = gc.mem_alloc() - _HEAP0
IP_B = ipaddr.parse4("192.0.2.2")
ticks_us = time.ticks_us
diff = time.ticks_diff


def emit(name, value, unit):
    print('{"name": "%s", "value": %s, "unit": "%s"}' % (name, value, unit))


def pair(config=None):
    a, b = Loopback.pair(slots=4)
    ia = Interface(a, config)
    ia.add_ip("192.0.2.1/24")
    ib = Interface(b, config)
    ib.add_ip("192.0.2.2/24")
    return ia, ib


def small():
    # two Interfaces must fit the 140 KiB heap beside the sockets
    return Config(reassembly_slots=0)


def ping_us(n):
    ia, ib = pair(small())
    s = ia.add_socket(IcmpSocket())
    s.bind(1)
    payload = bytes(56)
    buf = bytearray(128)
    for k in range(n + 5):
        if k == 5:
            t0 = ticks_us()
        s.send_echo(IP_B, k, payload, 56)
        ia.poll(k)
        ib.poll(k)
        ia.poll(k)
        s.recv_into(buf)
    return diff(ticks_us(), t0) // n


def udp_echo_us(size, n):
    ia, ib = pair(small())
    ua = ia.add_socket(UdpSocket())
    ua.bind(40000)
    ub = ib.add_socket(UdpSocket())
    ub.bind(7)
    req = bytearray(size)
    buf = bytearray(1536)
    for k in range(n + 5):
        if k == 5:
            t0 = ticks_us()
        ua.send_to(req, size, IP_B, 7)
        ia.poll(k)
        ib.poll(k)
        m = ub.recv_into(buf)
        if m >= 0:      # none in the first rounds, while ARP resolves
            ub.send_to(buf, m, ub.peer_addr, ub.peer_port)
        ib.poll(k)
        ia.poll(k)
        ua.recv_into(buf)
    return diff(ticks_us(), t0) // n


def tcp_per_segment(total):
    """Both ends of a bulk transfer over a Loopback pair: virtual us per
    1460-byte segment in the sender's polls, the receiver's polls (the
    application's send/recv included on its side), and both."""
    ia, ib = pair(small())
    a = ia.add_socket(TcpSocket(4096, 4096))
    b = ib.add_socket(TcpSocket(4096, 4096))
    b.listen(5001)
    a.connect(IP_B, 5001)
    data = bytearray(1460)
    buf = bytearray(4096)
    sent = got = 0
    t_tx = t_rx = 0
    now = 0
    while got < total:
        now += 1
        t0 = ticks_us()
        if a.may_send() and sent < total:
            sent += a.send(data, 0, min(1460, total - sent))
        ia.poll(now)
        t1 = ticks_us()
        ib.poll(now)
        n = b.recv_into(buf, 0, 4096)
        if n > 0:
            got += n
        t2 = ticks_us()
        t_tx += diff(t1, t0)
        t_rx += diff(t2, t1)
        if now > 200000:
            raise RuntimeError("tcp transfer stalled at %d bytes" % got)
    segs = a.tx_segments
    return t_tx // segs, t_rx // segs, (t_tx + t_rx) // segs


def idle_poll_us(nsockets, n=200):
    dev, _ = Loopback.pair(slots=2)
    i = Interface(dev, small())
    i.add_ip("192.0.2.1/24")
    socks = []
    for k in range(nsockets):
        if k % 2:
            u = i.add_socket(UdpSocket())
            u.bind(7000 + k)
        else:
            t = i.add_socket(TcpSocket(512, 512))
            t.listen(8000 + k)
        socks.append(i)
    i.poll(0)
    t0 = ticks_us()
    for k in range(n):
        i.poll(k + 1)
    return diff(ticks_us(), t0) // n


def holes(n, size):
    """Leave n holes of `size` bytes of data and the bytearray's own block
    (GC blocks are 16 bytes) at the bottom of the
    free heap, each between two live blocks, where the allocator's search
    for more than one block starts: an allocation that fits none of them
    (a heap call frame) walks past them all, about 7 virtual us for 250."""
    gc.collect()
    keep = [None] * (2 * n)
    for k in range(2 * n):
        keep[k] = bytearray(size if k % 2 == 0 else 12)
    for k in range(0, 2 * n, 2):
        keep[k] = None
    gc.collect()
    return keep


def tcp_layouts(total):
    """The TCP figure (both ends) on the heap as the scripts leave it, then
    with 250 holes of two and of three blocks below the free space
    (holes()): the same work, so any spread is the allocator's (heap call
    frames)."""
    gc.collect()
    figures = [tcp_per_segment(total)[2]]
    for size in (16, 32):
        keep = holes(250, size)
        figures.append(tcp_per_segment(total)[2])
        del keep
        gc.collect()
    return figures


def heap_of(make):
    gc.collect()
    m0 = gc.mem_alloc()
    obj = make()
    gc.collect()
    return gc.mem_alloc() - m0, obj


def board_profile(dev):
    """README's board profile (smolnet.config.Config.board): an Interface,
    four TCP sockets of 2 KB each way, two UDP sockets of 1 KB of rings,
    DHCP and DNS; with the modules they import (DHCP's and DNS's here).
    The device is not counted: a board's driver has its own buffers."""
    from smolnet.socket.dhcpv4 import Dhcpv4Socket
    from smolnet.socket.dns import DnsSocket
    i = Interface(dev, Config.board())
    for _ in range(4):
        i.add_socket(TcpSocket(2048, 2048))
    for _ in range(2):
        i.add_socket(UdpSocket(2, 512, 2, 512))
    i.add_socket(Dhcpv4Socket())
    i.add_socket(DnsSocket(slots=2))
    return i


def main():
    emit("cm3_heap_imports", _HEAP_IMPORTS, "bytes")
    # first, so that DHCP's and DNS's imports are counted; the Loopback's
    # and ICMP's of the imports above are in (a board has a driver instead)
    dev = Loopback.pair(slots=2)[0]
    h = heap_of(lambda: board_profile(dev))[0]
    emit("cm3_heap_board_profile", _HEAP_IMPORTS + h, "bytes")
    h = heap_of(lambda: Interface(dev))[0]
    emit("cm3_heap_interface_default", h, "bytes")
    h = heap_of(lambda: Interface(dev, Config(reassembly_slots=0, ipv6=False)))[0]
    emit("cm3_heap_interface_small", h, "bytes")
    h = heap_of(lambda: TcpSocket(2048, 2048))[0]
    emit("cm3_heap_tcp_socket_beyond_buffers", h - 4096, "bytes")
    h = heap_of(lambda: UdpSocket())[0]
    emit("cm3_heap_udp_socket_default", h, "bytes")
    dev = None
    gc.collect()
    emit("cm3_ping_round_trip_both_ends", ping_us(50), "virtual us")
    gc.collect()
    emit("cm3_udp_echo_64_both_ends", udp_echo_us(64, 50), "virtual us")
    gc.collect()
    emit("cm3_udp_echo_1472_both_ends", udp_echo_us(1472, 50), "virtual us")
    gc.collect()
    tx, rx, both = tcp_per_segment(146000)
    emit("cm3_tcp_segment_send_side", tx, "virtual us")
    emit("cm3_tcp_segment_receive_side", rx, "virtual us")
    emit("cm3_tcp_segment_both_ends", both, "virtual us")
    layouts = tcp_layouts(146000)
    emit("cm3_tcp_segment_both_ends_heap_holes", max(layouts), "virtual us")
    emit("cm3_tcp_segment_layout_spread", (max(layouts) - min(layouts)) * 1000 // min(layouts),
         "per mille")
    gc.collect()
    emit("cm3_idle_poll_1_socket", idle_poll_us(1), "virtual us")
    gc.collect()
    emit("cm3_idle_poll_6_sockets", idle_poll_us(6), "virtual us")


main()
