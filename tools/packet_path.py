"""Which smolnet functions run for every packet, and which of them take
their call frame from the heap on a board.

    .venv/bin/python tools/packet_path.py [--all] [SCENARIO ...]

Runs the per-packet scenarios of tools/bench/board_cm3.py (ping, UDP echo,
a TCP bulk transfer, all over a Loopback pair), over IPv4 and over IPv6
(ping6, udp6_64, tcp6: 2001:db8::1/64 and ::2/64), on CPython with a
profiler hook, past their start-up (ARP or ND, handshake), and counts each
Python-level call per packet. Every counted round must have exchanged its
packets (a scenario that only queued them, e.g. waiting for a neighbor,
raises instead of reporting a path that never ran). The functions are then
looked up in the frame table of tools/frame_sizes.py (the board's own
compiler): any of them over 11 words of state allocates its frame from the
GC heap on every packet, which costs time that depends on the heap's
layout and which heap_lock cannot see.

The fast/ twins are left out: on CPython they are host.py's, on a board
viper.py's or thumb.py's, which run on the C stack; and so is the CPython
shim (smolnet/_cpython.py: ticks_diff and the like are built-ins on a board).

host_tests/test_packet_path.py holds the packet path to it.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tools"))

from smolnet.config import Config  # noqa: E402
from smolnet.iface.interface import Interface  # noqa: E402
from smolnet.phy.loopback import Loopback  # noqa: E402
from smolnet.socket.icmp import IcmpSocket, Icmpv6Socket  # noqa: E402
from smolnet.socket.tcp import TcpSocket  # noqa: E402
from smolnet.socket.udp import UdpSocket  # noqa: E402
from smolnet.wire import ipaddr  # noqa: E402

IP_B = ipaddr.parse4("192.0.2.2")
IP6_B = ipaddr.parse6("2001:db8::2")
WARM = 20           # rounds before counting: ARP or ND, the handshake, slow start


class Counter:
    """sys.setprofile hook: calls per (module path, qualified name)."""

    def __init__(self):
        self.calls = {}

    def __call__(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            path = os.path.relpath(code.co_filename, ROOT)
            if path.startswith("smolnet" + os.sep):
                key = (path.replace(os.sep, "/"), code.co_qualname)
                self.calls[key] = self.calls.get(key, 0) + 1


def _pair(v6=False):
    # IPv6 is on in both families' scenarios (Config's default): the IPv4
    # ones pay for whatever it adds to an IPv4 packet's path. The IPv6
    # scenarios have no DAD (Config.dad_transmits 0) nor RAs: the first
    # packet's neighbor solicitation is their whole start-up
    a, b = Loopback.pair(slots=4)
    ia = Interface(a, Config(reassembly_slots=0))
    ib = Interface(b, Config(reassembly_slots=0))
    if v6:
        ia.add_ip("2001:db8::1/64")
        ib.add_ip("2001:db8::2/64")
    else:
        ia.add_ip("192.0.2.1/24")
        ib.add_ip("192.0.2.2/24")
    return ia, ib


def _exchanged(name, got, rounds):
    if got < rounds:
        raise RuntimeError("%s: %d of %d counted rounds exchanged their packets"
                           % (name, got, rounds))


def ping_over(v6):
    def run(counter, rounds):
        ia, ib = _pair(v6)
        s = ia.add_socket(Icmpv6Socket() if v6 else IcmpSocket())
        s.bind(1)
        dst = IP6_B if v6 else IP_B
        payload = bytes(56)
        buf = bytearray(128)
        got = 0
        for k in range(WARM + rounds):
            if k == WARM:
                sys.setprofile(counter)
            s.send_echo(dst, k, payload, 56)
            ia.poll(k)
            ib.poll(k)
            ia.poll(k)
            if s.recv_into(buf) >= 0 and k >= WARM:
                got += 1
        sys.setprofile(None)
        _exchanged("ping", got, rounds)
        return rounds
    return run


def udp_echo(size, v6=False):
    def run(counter, rounds):
        ia, ib = _pair(v6)
        ua = ia.add_socket(UdpSocket())
        ua.bind(40000)
        ub = ib.add_socket(UdpSocket())
        ub.bind(7)
        dst = IP6_B if v6 else IP_B
        req = bytearray(size)
        buf = bytearray(1536)
        got = 0
        for k in range(WARM + rounds):
            if k == WARM:
                sys.setprofile(counter)
            ua.send_to(req, size, dst, 7)
            ia.poll(k)
            ib.poll(k)
            m = ub.recv_into(buf)
            if m >= 0:
                # peer_addr's bytes, the address family's length
                ub.send_to(buf, m, ub.peer_addr, ub.peer_port)
            ib.poll(k)
            ia.poll(k)
            if ua.recv_into(buf) == size and k >= WARM:
                got += 1
        sys.setprofile(None)
        _exchanged("udp echo", got, rounds)
        return rounds
    return run


def tcp_bulk(v6=False):
    def run(counter, rounds):
        """Per 1460-byte segment (1440 over IPv6), both ends: the sender's
        send() and polls, the receiver's polls and recv_into()."""
        ia, ib = _pair(v6)
        a = ia.add_socket(TcpSocket(4096, 4096))
        b = ib.add_socket(TcpSocket(4096, 4096))
        b.listen(5001)
        a.connect(IP6_B if v6 else IP_B, 5001)
        data = bytearray(1460)
        buf = bytearray(4096)
        start = None
        sent = got = 0
        now = 0
        while start is None or a.tx_segments < start + rounds:
            now += 1
            if start is None and a.tx_segments >= WARM:
                start = a.tx_segments
                sys.setprofile(counter)
            if a.may_send():
                m = a.send(data, 0, 1460)
                if start is not None:
                    sent += m
            ia.poll(now)
            ib.poll(now)
            m = b.recv_into(buf, 0, 4096)
            if start is not None and m > 0:
                got += m
        sys.setprofile(None)
        n = a.tx_segments - start
        # data flowed (segments of 1 KB or more on average: the window
        # splits some), and what was sent arrived, but for what the two
        # 4096-byte buffers may still hold
        if got < 1024 * n or sent - got > 8192:
            raise RuntimeError("tcp: %d bytes sent in %d segments, %d received"
                               % (sent, n, got))
        return n
    return run


SCENARIOS = {"ping": ping_over(False), "udp64": udp_echo(64), "udp1472": udp_echo(1472),
             "tcp": tcp_bulk(), "ping6": ping_over(True), "udp6_64": udp_echo(64, True),
             "tcp6": tcp_bulk(True)}


def per_packet(name, rounds=200):
    """{(module, qualified name): calls per packet} of one scenario; a
    packet is a ping round trip, a UDP echo or a TCP segment, both ends."""
    counter = Counter()
    n = SCENARIOS[name](counter, rounds)
    return {k: v / n for k, v in counter.calls.items()
            if not k[0].startswith("smolnet/fast/") and k[0] != "smolnet/_cpython.py"}


def with_frames(calls, tool=None):
    """[(module, name, calls, frame row or None)] for the calls, frame rows
    from tools/frame_sizes.py."""
    import frame_sizes
    tool = tool or frame_sizes._mpy_tool()
    table = {}
    for module in sorted({m for m, _ in calls}):
        for row in frame_sizes.frames(os.path.join(ROOT, module), tool):
            table[(module, row["function"].split(".", 1)[-1])] = row
    return [(m, f, n, table.get((m, f))) for (m, f), n in calls.items()]


def main(argv):
    import frame_sizes
    show_all = "--all" in argv
    names = [a for a in argv if not a.startswith("--")] or list(SCENARIOS)
    tool = frame_sizes._mpy_tool()
    for name in names:
        rows = with_frames(per_packet(name), tool)
        heap = [r for r in rows if r[3] and r[3]["bytes"] > frame_sizes.LIMIT_BYTES]
        print("%s: %.1f calls per packet, %.1f of them with a heap frame (%d functions)"
              % (name, sum(r[2] for r in rows), sum(r[2] for r in heap), len(heap)))
        for m, f, n, row in sorted(rows, key=lambda r: (-r[2], r[0], r[1])):
            over = row and row["bytes"] > frame_sizes.LIMIT_BYTES
            if show_all or over:
                print("  %6.2f  %-55s %s" % (n, "%s: %s" % (m, f),
                                            "%d bytes HEAP" % row["bytes"] if over else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
