# ping(8) on smolnet, in the manner of smoltcp's examples/ping.rs.
#
#   micropython tools/ping.py --iface veth-s --ip 192.0.2.2/24 -c 10 -i 0.2 192.0.2.1
#
# Sends ICMP echo requests through an IcmpSocket, prints a line per reply and
# ping(8)'s summary. Exit status as ping(8): 0 if any reply came back, 1 if
# none did, 2 on other errors.
import sys
import time
import common
from common import say, ticks_ms, ticks_diff
from time import ticks_add
from smolnet.socket.icmp import IcmpSocket, Icmpv6Socket
from smolnet.wire import icmpv4, ipaddr
from smolnet.fast import equal
from time import ticks_us


def options():
    p = common.Options("ping.py", "Send ICMP echo requests to ADDRESS from a smolnet interface.",
                       "ADDRESS")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x02",
                            default_ip="192.0.2.3/24")
    p.add("-c", "count", int, 0, "stop after sending COUNT requests (0: until Ctrl-C)", "COUNT")
    p.add("-i", "interval", float, 1.0, "seconds between requests", "S")
    p.add("-s", "size", int, 56, "payload bytes", "SIZE")
    p.add("-W", "timeout", float, 2.0, "seconds to wait for replies after the last request",
          "S")
    p.add("-q", "quiet", None, None, "only the summary")
    return p


class Pinger:
    def __init__(self, iface, dst, size, ident):
        self.iface = iface
        self.dst = dst
        self.size = size
        self.sock = Icmpv6Socket() if len(dst) == 16 else IcmpSocket()
        self.sock.bind(ident)
        iface.add_socket(self.sock)
        # payload: a byte pattern ping(8) would also accept
        self.payload = bytearray([(0x10 + i) & 0xFF for i in range(size)])
        self.rx = bytearray(icmpv4.HEADER_LEN + size + 64)
        self.sent_at = {}       # seq -> ticks_us when queued
        self.transmitted = 0
        self.received = 0
        self.duplicates = 0
        self.corrupted = 0
        self.errors = 0
        self.rtts = []          # ms, floats: this is a host tool

    def send(self):
        seq = (self.transmitted + 1) & 0xFFFF
        if not self.sock.can_send(icmpv4.HEADER_LEN + self.size):
            return False
        self.sock.send_echo(self.dst, seq, self.payload, self.size)
        self.sent_at[seq] = ticks_us()
        self.transmitted += 1
        return True

    def receive(self, quiet):
        s = self.sock
        while True:
            n = s.recv_into(self.rx)
            if n < 0:
                return
            b = self.rx
            seq = icmpv4.seq(b, 0)
            src = ipaddr.fmt(s.peer_addr, 0, s.peer_alen)
            t0 = self.sent_at.pop(seq, None)
            if t0 is None:
                self.duplicates += 1
                if not quiet:
                    say("%d bytes from %s: icmp_seq=%d (DUP!)" % (n, src, seq))
                continue
            rtt = ticks_diff(ticks_us(), t0) / 1000
            ok = n == icmpv4.HEADER_LEN + self.size and equal(
                b, icmpv4.HEADER_LEN, self.payload, 0, self.size)
            self.received += 1
            self.rtts.append(rtt)
            if not ok:
                self.corrupted += 1
            if not quiet:
                say("%d bytes from %s: icmp_seq=%d time=%.3f ms%s" % (
                    n, src, seq, rtt, "" if ok else " (wrong data)"))

    def outstanding(self):
        return len(self.sent_at)

    def summary(self, target, elapsed_ms):
        say("")
        say("--- %s ping statistics ---" % target)
        tx = self.transmitted
        loss = 0 if tx == 0 else (tx - self.received) * 100.0 / tx
        loss_s = ("%d" % loss) if loss == int(loss) else ("%.3g" % loss)
        extra = ""
        if self.duplicates:
            extra += ", +%d duplicates" % self.duplicates
        if self.corrupted:
            extra += ", %d corrupted" % self.corrupted
        say("%d packets transmitted, %d received%s, %s%% packet loss, time %dms" % (
            tx, self.received, extra, loss_s, elapsed_ms))
        r = self.rtts
        if r:
            avg = sum(r) / len(r)
            mdev = (sum([(x - avg) * (x - avg) for x in r]) / len(r)) ** 0.5
            say("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms" % (min(r), avg, max(r), mdev))


def main(argv):
    p = options()
    opts = p.parse(argv)
    if len(opts.args) != 1:
        common.fail("ping.py", "give one ADDRESS (try --help)")
    target = opts.args[0]
    try:
        dst = ipaddr.parse(target)
    except ValueError:
        common.fail("ping.py", "not an IPv4 or IPv6 address: %s" % target)
    limit = 1452 if len(dst) == 16 else 1472
    if not 0 <= opts.size <= limit:
        common.fail("ping.py", "-s must be 0..%d (one Ethernet frame)" % limit)
    if len(dst) == 16 and not getattr(opts, "ip6", None):
        opts.ip6 = "auto"   # a link-local address at least (and SLAAC from RAs)
    common.install_sigterm()
    link = common.Link(opts, "ping.py", default_mac=b"\x02\x00\x00\x00\x00\x02")
    iface = common.make_interface(opts, link)
    pinger = Pinger(iface, dst, opts.size, time.ticks_us() & 0xFFFF)
    loop = common.Loop(iface, link)
    say("PING %s (%s) %d(%d) bytes of data." % (target, target, opts.size, opts.size + 28))
    interval = int(opts.interval * 1000)
    linger = int(opts.timeout * 1000)
    start = ticks_ms()
    next_send = start
    last_send = start
    try:
        while True:
            now = ticks_ms()
            done_sending = opts.count and pinger.transmitted >= opts.count
            if not done_sending and ticks_diff(now, next_send) >= 0:
                if pinger.send():
                    last_send = now
                next_send = ticks_add(now, interval)
            pinger.receive(opts.quiet)
            if done_sending and (pinger.outstanding() == 0
                                 or ticks_diff(now, last_send) >= linger):
                break
            wait = linger if done_sending else ticks_diff(next_send, now)
            loop.step(wait if wait > 0 else 0)
    except KeyboardInterrupt:
        pass
    pinger.receive(opts.quiet)
    pinger.summary(target, ticks_diff(ticks_ms(), start))
    say(common.stats_line(iface))
    for line in link.counters():
        say(line)
    link.close()
    sys.exit(0 if pinger.received else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
