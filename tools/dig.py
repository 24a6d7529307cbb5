# A dig(1) of sorts on smolnet's DNS resolver.
#
#   micropython tools/dig.py --iface veth-s --ip 192.0.2.3/24 --server 192.0.2.1 NAME...
#   micropython tools/dig.py --iface veth-s --dhcp NAME...    (address and servers by DHCP)
#
# Resolves each NAME with a DnsSocket and prints one line per address,
#   NAME A 192.0.2.77
# or one line per failure,
#   NAME A error: no such name
# then the counters. Exit status 0 if every name resolved, 1 if not, 2 on
# other errors. resolve() is the blocking helper (for tools, never for a
# socket: it runs the interface until the answer is in).
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.socket.dns import (DnsSocket, PENDING, OK, ERR_TIMEOUT, ERR_NXDOMAIN, ERR_NODATA,
                                 ERR_SERVFAIL, ERR_TRUNCATED, ERR_NO_SERVER)
from smolnet.wire import ipaddr, dns as dnswire

# DnsSocket.status() codes as words (here, not in the resolver: a board has
# no use for them)
ERRORS = {ERR_NXDOMAIN: "no such name", ERR_NODATA: "no address of that type",
          ERR_SERVFAIL: "server failure", ERR_TRUNCATED: "truncated answer",
          ERR_TIMEOUT: "timed out", ERR_NO_SERVER: "no DNS server"}


def options():
    p = common.Options("dig.py", "Resolve names with smolnet's DNS resolver.", "NAME...")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x06",
                            default_ip="192.0.2.3/24")
    p.add("--server", "server", str, None, "DNS server (default: the DHCP lease's, "
          "else the gateway)", "ADDR")
    p.add("--dhcp", "dhcp", None, None, "get the address and DNS servers by DHCP first")
    p.add("-t", "qtype", str, "A", "record type: A or AAAA", "TYPE")
    p.add("--timeout", "timeout", float, 10, "seconds per name", "S")
    return p


def resolve(iface, loop, sock, name, qtype=dnswire.TYPE_A, timeout_ms=10000):
    """Block until name resolves: (status, [addresses as bytes]). status is
    OK or one of smolnet.socket.dns's ERR_* codes."""
    h = sock.start_query(name, qtype)
    start = ticks_ms()
    while sock.status(h) == PENDING:
        left = timeout_ms - ticks_diff(ticks_ms(), start)
        if left <= 0:
            sock.free(h)
            return ERR_TIMEOUT, []   # the socket's own timer did not fire yet
        loop.step(min(left, 1000))
    st = sock.status(h)
    addrs = sock.addresses(h) if st == OK else []
    sock.free(h)
    return st, addrs


def main(argv):
    opts = options().parse(argv)
    if not opts.args:
        common.fail("dig.py", "give at least one NAME (try --help)")
    qtype = {"A": dnswire.TYPE_A, "AAAA": dnswire.TYPE_AAAA}.get(opts.qtype.upper())
    if qtype is None:
        common.fail("dig.py", "-t must be A or AAAA")
    common.install_sigterm()
    link = common.Link(opts, "dig.py", default_mac=b"\x02\x00\x00\x00\x00\x06")
    if opts.dhcp:
        opts.ip = None
    iface = common.make_interface(opts, link)
    loop = common.Loop(iface, link)
    servers = [opts.server] if opts.server else []
    ok = True
    try:
        if opts.dhcp:
            import dhcp
            from smolnet.socket.dhcpv4 import Dhcpv4Socket
            d = iface.add_socket(Dhcpv4Socket())
            if not dhcp.acquire(iface, loop, d, int(opts.timeout * 1000)):
                common.fail("dig.py", "no DHCP lease", 1)
            say("dhcp: " + dhcp.lease_fields(d.lease))
            if not servers:
                servers = d.lease.dns_servers()
        if not servers and opts.gw:
            servers = [opts.gw]
        if not servers:
            common.fail("dig.py", "no DNS server: give --server, --dhcp or --gw")
        sock = iface.add_socket(DnsSocket(servers, timeout_ms=int(opts.timeout * 1000)))
        for name in opts.args:
            st, addrs = resolve(iface, loop, sock, name, qtype, int(opts.timeout * 1000) + 500)
            if st == OK:
                for a in addrs:
                    say("%s %s %s" % (name, opts.qtype.upper(), ipaddr.fmt(a)))
            else:
                ok = False
                say("%s %s error: %s" % (name, opts.qtype.upper(), ERRORS.get(st, str(st))))
        say("dns: tx=%d rx_malformed=%d rx_ignored=%d" % (sock.tx_count, sock.rx_malformed,
                                                          sock.rx_ignored))
    except KeyboardInterrupt:
        ok = False
    say(common.stats_line(iface))
    for line in link.counters():
        say(line)
    link.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
