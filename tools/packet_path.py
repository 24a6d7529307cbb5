"""Which smolnet functions run for every packet, and which of them take
their call frame from the heap on a board.

    .venv/bin/python tools/packet_path.py [--all] [SCENARIO ...]

Runs the per-packet scenarios of tools/bench/board_cm3.py (ping, UDP echo,
a TCP bulk transfer, all over a Loopback pair) on CPython with a profiler
hook, past their start-up (ARP, handshake), and counts each Python-level
call per packet. The functions are then looked up in the frame table of
tools/frame_sizes.py (the board's own compiler): any of them over 11 words
of state allocates its frame from the GC heap on every packet, which costs
time that depends on the heap's layout and which heap_lock cannot see.

The fast/ twins are left out: on CPython they are host.py's, on a board
viper.py's, which run on the C stack.

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
from smolnet.socket.icmp import IcmpSocket  # noqa: E402
from smolnet.socket.tcp import TcpSocket  # noqa: E402
from smolnet.socket.udp import UdpSocket  # noqa: E402
from smolnet.wire import ipaddr  # noqa: E402

IP_B = ipaddr.parse4("192.0.2.2")
WARM = 20           # rounds before counting: ARP, the handshake, slow start


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
    a, b = Loopback.pair(slots=4)
    ia = Interface(a, Config(reassembly_slots=0))
    ia.add_ip("192.0.2.1/24")
    ib = Interface(b, Config(reassembly_slots=0))
    ib.add_ip("192.0.2.2/24")
    return ia, ib


def ping(counter, rounds):
    ia, ib = _pair()
    s = ia.add_socket(IcmpSocket())
    s.bind(1)
    payload = bytes(56)
    buf = bytearray(128)
    for k in range(WARM + rounds):
        if k == WARM:
            sys.setprofile(counter)
        s.send_echo(IP_B, k, payload, 56)
        ia.poll(k)
        ib.poll(k)
        ia.poll(k)
        s.recv_into(buf)
    sys.setprofile(None)
    return rounds


def udp_echo(size):
    def run(counter, rounds):
        ia, ib = _pair()
        ua = ia.add_socket(UdpSocket())
        ua.bind(40000)
        ub = ib.add_socket(UdpSocket())
        ub.bind(7)
        req = bytearray(size)
        buf = bytearray(1536)
        for k in range(WARM + rounds):
            if k == WARM:
                sys.setprofile(counter)
            ua.send_to(req, size, IP_B, 7)
            ia.poll(k)
            ib.poll(k)
            m = ub.recv_into(buf)
            if m >= 0:
                ub.send_to(buf, m, ub.peer_addr, ub.peer_port)
            ib.poll(k)
            ia.poll(k)
            ua.recv_into(buf)
        sys.setprofile(None)
        return rounds
    return run


def tcp_bulk(counter, rounds):
    """Per 1460-byte segment, both ends: the sender's send() and polls, the
    receiver's polls and recv_into()."""
    ia, ib = _pair()
    a = ia.add_socket(TcpSocket(4096, 4096))
    b = ib.add_socket(TcpSocket(4096, 4096))
    b.listen(5001)
    a.connect(IP_B, 5001)
    data = bytearray(1460)
    buf = bytearray(4096)
    start = None
    now = 0
    while start is None or a.tx_segments < start + rounds:
        now += 1
        if start is None and a.tx_segments >= WARM:
            start = a.tx_segments
            sys.setprofile(counter)
        if a.may_send():
            a.send(data, 0, 1460)
        ia.poll(now)
        ib.poll(now)
        b.recv_into(buf, 0, 4096)
    sys.setprofile(None)
    return a.tx_segments - start


SCENARIOS = {"ping": ping, "udp64": udp_echo(64), "udp1472": udp_echo(1472),
             "tcp": tcp_bulk}


def per_packet(name, rounds=200):
    """{(module, qualified name): calls per packet} of one scenario; a
    packet is a ping round trip, a UDP echo or a TCP segment, both ends."""
    counter = Counter()
    n = SCENARIOS[name](counter, rounds)
    return {k: v / n for k, v in counter.calls.items() if not k[0].startswith("smolnet/fast/")}


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
