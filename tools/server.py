# smolnet's test server, in the manner of smoltcp's examples/server.rs.
#
#   micropython tools/server.py --iface veth-s --ip 192.0.2.2/24 [--pcap f.pcap]
#   python3 tools/server.py --tap tap0 ...            (CPython, TAP device)
#
# Answers ARP and ping (the Interface does that by itself) and serves the
# table SERVICES below. Runs until Ctrl-C / SIGINT (or SIGTERM on CPython, or
# --duration), then prints its counters. Prints "ready" once it is listening.
# --stats S prints the counters every S seconds as well: a process killed
# with SIGKILL (or SIGTERM on MicroPython, which has no signal module) cannot
# print anything on its way out.
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.socket.udp import UdpSocket

HELLO = b"hello\n"


class UdpHello:
    """UDP: any datagram gets "hello\\n" back (smoltcp's server, port 6969)."""

    def __init__(self, iface, port):
        self.name = "udp%d" % port
        self.sock = UdpSocket()
        self.sock.bind(port)
        iface.add_socket(self.sock)
        self.buf = bytearray(1536)
        self.requests = 0
        self.replies = 0
        self.dropped = 0

    def serve(self, now):
        s = self.sock
        while True:
            n = s.recv_into(self.buf)
            if n < 0:
                return
            self.requests += 1
            if s.can_send(len(HELLO)):
                s.send_to(HELLO, len(HELLO), s.peer_addr, s.peer_port, 0, s.peer_alen)
                self.replies += 1
            else:
                self.dropped += 1

    def counters(self):
        return "%s: requests=%d replies=%d dropped=%d rx_dropped=%d tx_dropped=%d" % (
            self.name, self.requests, self.replies, self.dropped, self.sock.rx_dropped,
            self.sock.tx_dropped)


# (kind, port, class): later issues add smoltcp's TCP ports 6969-6972 and HTTP
SERVICES = [
    ("udp", 6969, UdpHello),
]


def options():
    p = common.Options("server.py", "Answers ping and ARP; UDP 6969 answers \"hello\\n\".")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x01",
                            default_ip="192.0.2.2/24")
    p.add("--duration", "duration", float, 0, "stop after this many seconds (0: run until killed)",
          "S")
    p.add("--stats", "stats", float, 0, "also print the counters every S seconds", "S")
    return p


def report(iface, link, services):
    say(common.stats_line(iface))
    for s in services:
        say(s.counters())
    for line in link.counters():
        say(line)


def main(argv):
    opts = options().parse(argv)
    common.install_sigterm()
    link = common.Link(opts, "server.py", default_mac=b"\x02\x00\x00\x00\x00\x01")
    iface = common.make_interface(opts, link)
    services = [cls(iface, port) for kind, port, cls in SERVICES]
    loop = common.Loop(iface, link)
    say("smolnet server on %s, mac %s, ip %s; services: %s" % (
        link.name, common.fmt_mac(iface.mac), " ".join(iface.ips()),
        " ".join(["%s/%d" % (k, p) for k, p, c in SERVICES])))
    say("ready")
    start = ticks_ms()
    last_stats = start
    dur_ms = int(opts.duration * 1000)
    stats_ms = int(opts.stats * 1000)
    try:
        while True:
            # wake for --duration and --stats as well as for frames and timers
            cap = 1000
            if dur_ms:
                cap = min(cap, max(0, dur_ms - ticks_diff(ticks_ms(), start)))
            if stats_ms:
                cap = min(cap, max(0, stats_ms - ticks_diff(ticks_ms(), last_stats)))
            loop.step(cap)
            now = ticks_ms()
            for s in services:
                s.serve(now)
            if dur_ms and ticks_diff(now, start) >= dur_ms:
                break
            if stats_ms and ticks_diff(now, last_stats) >= stats_ms:
                last_stats = now
                report(iface, link, services)
    except KeyboardInterrupt:
        pass
    # finish what is queued (replies to the last requests) before stopping
    for _ in range(4):
        if not iface.poll(ticks_ms()):
            break
    say("stopped")
    report(iface, link, services)
    link.close()


if __name__ == "__main__":
    main(sys.argv[1:])
