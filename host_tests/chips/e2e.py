# End-to-end checks for board drivers: a smolnet Interface on each end of a
# chip model's wire (the other end a WireDevice or another modelled chip),
# a fake clock, and ARP / ping / UDP exchanges checked byte for byte.
# (TCP end to end comes with issue 3.)
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.socket.icmp import IcmpSocket
from smolnet.wire import ipaddr

IP_A = ipaddr.parse4("192.0.2.1")
IP_B = ipaddr.parse4("192.0.2.2")


class Pair:
    """Interfaces a (192.0.2.1) and b (192.0.2.2) over two devices."""

    def __init__(self, dev_a, dev_b):
        self.t = 0
        self.a = Interface(dev_a, Config(strict=True))
        self.a.add_ip("192.0.2.1/24")
        self.b = Interface(dev_b, Config(strict=True))
        self.b.add_ip("192.0.2.2/24")

    def run(self, steps):
        # each poll also moves the chip models' clocks (SPI transactions)
        for _ in range(steps):
            self.a.poll(self.t)
            self.b.poll(self.t)
            self.t += 1


def pattern(n, seed):
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


def ping(pair, src, dst_ip, sizes, ident=0x4242):
    """Echo requests from interface src to dst_ip; every reply byte-exact."""
    s = src.add_socket(IcmpSocket(rx_bytes=3000, tx_bytes=3000))
    s.bind(ident)
    buf = bytearray(1500)
    for seq, size in enumerate(sizes):
        data = pattern(size, seq)
        s.send_echo(dst_ip, seq, data, size)
        n = -1
        for _ in range(40):
            pair.run(1)
            n = s.recv_into(buf)
            if n >= 0:
                break
        assert n == 8 + size, (size, n)
        assert buf[0] == 0 and buf[1] == 0                  # echo reply
        assert (buf[4] << 8 | buf[5]) == ident
        assert (buf[6] << 8 | buf[7]) == seq
        assert bytes(buf[8:n]) == data
        assert bytes(s.peer_addr[:4]) == dst_ip
    src.remove_socket(s)


def udp_exchange(pair, sizes, rounds=3):
    """Datagrams a:1000 -> b:6969 and echoed back; all byte-exact."""
    ua = pair.a.add_socket(UdpSocket(rx_slots=8, rx_bytes=6000, tx_slots=8, tx_bytes=6000))
    ua.bind(1000)
    ub = pair.b.add_socket(UdpSocket(rx_slots=8, rx_bytes=6000, tx_slots=8, tx_bytes=6000))
    ub.bind(6969)
    buf = bytearray(1500)
    for r in range(rounds):
        for size in sizes:
            data = pattern(size, r + size)
            ua.send_to(data, size, IP_B, 6969)
            n = -1
            for _ in range(40):
                pair.run(1)
                n = ub.recv_into(buf)
                if n >= 0:
                    break
            assert n == size and bytes(buf[:n]) == data, (size, n)
            assert bytes(ub.peer_addr[:4]) == IP_A and ub.peer_port == 1000
            ub.send_to(buf, n, ub.peer_addr, ub.peer_port)
            n = -1
            for _ in range(40):
                pair.run(1)
                n = ua.recv_into(buf)
                if n >= 0:
                    break
            assert n == size and bytes(buf[:n]) == data, (size, n)
    pair.a.remove_socket(ua)
    pair.b.remove_socket(ub)


def full_check(pair):
    """ARP both ways, ping both ways, UDP both ways; no drops."""
    ping(pair, pair.a, IP_B, (0, 56, 1472))
    assert pair.a.stats.arp_requests == 1 and pair.b.stats.arp_replies == 1
    ping(pair, pair.b, IP_A, (56, 1000, 1472, 1))
    assert pair.b.stats.arp_requests == 0            # learned from a's request
    udp_exchange(pair, (1, 18, 100, 512, 1472))
    assert pair.a.stats.drops() == 0, pair.a.stats
    assert pair.b.stats.drops() == 0, pair.b.stats


class _RoundTrip:
    # a bound method, not a closure: calling a closure over more than a few
    # variables allocates its argument array on MicroPython
    def __init__(self, pair, ua, ub, data, size):
        self.pair = pair
        self.ua = ua
        self.ub = ub
        self.data = data
        self.size = size
        self.buf = bytearray(1500)
        self.got_b = 0
        self.got_a = 0

    def run(self):
        ua = self.ua
        ub = self.ub
        ua.send_to(self.data, self.size, IP_B, 6970)
        self.pair.run(5)
        self.got_b = ub.recv_into(self.buf)
        ub.send_to(self.buf, self.got_b, ub.peer_addr, ub.peer_port)
        self.pair.run(5)
        self.got_a = ua.recv_into(self.buf)


def udp_heap_locked(pair, rounds=20, size=1000):
    """After a warm-up, UDP round trips with the heap locked around both
    Interfaces' polls, the drivers and the chip models (support.heap_locked:
    on MicroPython any allocation fails the test; CPython: a plain run)."""
    from support import heap_locked
    ua = pair.a.add_socket(UdpSocket())
    ua.bind(1001)
    ub = pair.b.add_socket(UdpSocket())
    ub.bind(6970)
    data = pattern(size, 9)
    rt = _RoundTrip(pair, ua, ub, data, size)
    step = rt.run
    step()              # warm-up: first use of each buffer, ARP
    for _ in range(rounds):
        heap_locked(step)
        assert rt.got_b == size and rt.got_a == size and bytes(rt.buf[:size]) == data
    pair.a.remove_socket(ua)
    pair.b.remove_socket(ub)
