# A DHCPv4 client on smolnet, in the manner of smoltcp's examples/dhcp_client.rs.
#
#   micropython tools/dhcp.py --iface veth-s [--once] [--pcap f.pcap]
#
# Gets a lease with a Dhcpv4Socket, which configures the interface (address,
# default route); prints a line on every change, then keeps the lease
# (renewing, rebinding) and answers ping and ARP at the leased address until
# Ctrl-C, --duration or, with --once, as soon as it is bound. Lines:
#   state: discovering|requesting|bound|renewing|rebinding
#   bound: address=A/P router=R dns=D1,D2 lease=S t1=S t2=S server=A
#   renewed: (the same fields)       lost: address=A/P
# Exit status: 0 if a lease was held when it stopped (or at --once), 1 if not.
# acquire() is the blocking helper other tools use (dig.py --dhcp).
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.socket.dhcpv4 import Dhcpv4Socket, STATE_NAMES, BOUND
from smolnet.wire import ipaddr


def options():
    p = common.Options("dhcp.py", "Get an IPv4 address with DHCP and keep it.")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x05", want_ip=False)
    p.add("--once", "once", None, None, "exit as soon as a lease is bound")
    p.add("--timeout", "timeout", float, 30, "give up if not bound within S seconds (0: never)",
          "S")
    p.add("--duration", "duration", float, 0, "stop after S seconds (0: until Ctrl-C)", "S")
    p.add("--hostname", "hostname", str, None, "send this host name (option 12)", "NAME")
    p.add("--max-lease", "max_lease", int, 0,
          "treat leases as at most S seconds (renew sooner; 0: as the server says)", "S")
    p.add("--events-only", "events_only", None, None,
          "only report leases, do not configure the interface")
    return p


def lease_fields(lease):
    dns = ",".join([ipaddr.fmt4(a) for a in lease.dns_servers()]) or "-"
    return "address=%s router=%s dns=%s lease=%d t1=%d t2=%d server=%s" % (
        lease.cidr(), ipaddr.fmt4(lease.router) if lease.has_router else "-", dns,
        lease.lease_s, lease.t1_s, lease.t2_s, ipaddr.fmt4(lease.server))


class Watcher:
    """Prints the socket's state changes and configuration events."""

    def __init__(self, sock):
        self.sock = sock
        self.state = -1
        self.changed = 0

    def check(self):
        s = self.sock
        if s.state != self.state:
            renewed = self.state > BOUND and s.state == BOUND and s.changed == self.changed
            self.state = s.state
            say("state: %s" % STATE_NAMES[s.state])
            if renewed:
                say("renewed: " + lease_fields(s.lease))
        if s.changed != self.changed:
            self.changed = s.changed
            if s.configured:
                say("bound: " + lease_fields(s.lease))
            else:
                say("lost: address=%s" % s.lease.cidr())


def acquire(iface, loop, sock, timeout_ms, watcher=None):
    """Poll until sock is bound or timeout_ms passes (0: forever). True if bound."""
    start = ticks_ms()
    while not sock.configured:
        if watcher is not None:
            watcher.check()
        left = timeout_ms - ticks_diff(ticks_ms(), start)
        if timeout_ms and left <= 0:
            return False
        loop.step(min(left, 1000) if timeout_ms else 1000)
    if watcher is not None:
        watcher.check()
    return True


def counters(sock):
    return "dhcp: state=%s changed=%d tx=%d naks=%d rx_malformed=%d rx_ignored=%d" % (
        STATE_NAMES[sock.state], sock.changed, sock.tx_count, sock.naks, sock.rx_malformed,
        sock.rx_ignored)


def main(argv):
    opts = options().parse(argv)
    common.install_sigterm()
    link = common.Link(opts, "dhcp.py", default_mac=b"\x02\x00\x00\x00\x00\x05")
    opts.ip = opts.gw = None
    iface = common.make_interface(opts, link)
    sock = Dhcpv4Socket(configure=not opts.events_only, hostname=opts.hostname,
                        max_lease_s=opts.max_lease)
    iface.add_socket(sock)
    loop = common.Loop(iface, link)
    w = Watcher(sock)
    say("dhcp on %s, mac %s" % (link.name, common.fmt_mac(iface.mac)))
    start = ticks_ms()
    dur_ms = int(opts.duration * 1000)
    try:
        ok = acquire(iface, loop, sock, int(opts.timeout * 1000), w)
        if not ok:
            say("no lease within %ss" % opts.timeout)
        elif not opts.once:
            say("ips: %s routes: %s" % (" ".join(iface.ips()), iface.routes.entries()))
            while not dur_ms or ticks_diff(ticks_ms(), start) < dur_ms:
                cap = 1000
                if dur_ms:
                    cap = max(0, min(cap, dur_ms - ticks_diff(ticks_ms(), start)))
                loop.step(cap)
                w.check()
    except KeyboardInterrupt:
        pass
    say(counters(sock))
    say(common.stats_line(iface))
    for line in link.counters():
        say(line)
    link.close()
    sys.exit(0 if sock.configured else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
