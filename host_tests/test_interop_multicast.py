"""Multicast against the Linux kernel's bridge, the strictest peer a host has
on a LAN: with snooping on, the bridge forwards a group's traffic to a port
only after it has parsed that port's IGMP / MLD reports, and as its own
querier it asks for them again and forgets members that do not answer. So
each test here checks smolnet's reports by their effect: `bridge mdb`
entries appear for smolnet's port, stay while the querier keeps asking, and
go when smolnet leaves.

    namespace: br0 (192.0.2.1/24, 2001:db8::1/64; snooping, querier)
                 +-- veth-k  <->  veth-s  smolnet (unix port, AF_PACKET)

Groups come from MCAST-TEST-NET 233.252.0.0/24 (RFC 5771) and ff05::db8:7.
CPython pytest, root only.
"""
import json
import sys
import time

from netns import (start_server, counters, pcap_errors, pcap_count,
                   KERNEL_IF, KERNEL_IP)
from test_apps_kernel import run_example

GROUP4 = "233.252.0.7"
GROUP6 = "ff05::db8:7"
SMOLNET_IP6 = "2001:db8::2"


def make_bridge(ns, igmp=3, mld=2, query_cs=12500, membership_cs=26000):
    """Put the kernel's end of the veth into a snooping bridge that is its
    own querier (times in centiseconds, as ip-link(8) takes them)."""
    ns.run("ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", 1,
           "mcast_querier", 1, "mcast_query_use_ifaddr", 1,
           "mcast_igmp_version", igmp, "mcast_mld_version", mld,
           "mcast_query_interval", query_cs, "mcast_query_response_interval", 50,
           "mcast_startup_query_interval", 50, "mcast_membership_interval", membership_cs,
           "mcast_last_member_interval", 50)
    ns.run("ip", "addr", "flush", "dev", KERNEL_IF)
    ns.run("ip", "link", "set", KERNEL_IF, "master", "br0")
    ns.run("ip", "addr", "add", "%s/24" % KERNEL_IP, "dev", "br0")
    ns.run("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "br0", "nodad")
    ns.run("ip", "link", "set", "br0", "up")
    ns.offloads_off("br0")
    # IPv6 on br0 is ready (its multicast route, a link-local address for
    # the MLD querier) only once the bridge has carrier and DAD is done
    deadline = time.monotonic() + 10
    while True:
        routes = ns.run("ip", "-6", "route", "show", "table", "local", "dev", "br0").stdout
        ll = ns.run("ip", "-6", "addr", "show", "dev", "br0", "scope", "link").stdout
        if "multicast ff00::/8" in routes and "inet6 fe80" in ll and "tentative" not in ll:
            return
        if time.monotonic() > deadline:
            raise AssertionError("br0 IPv6 not ready:\n%s\n%s" % (routes, ll))
        time.sleep(0.05)


def mdb(ns):
    """{(port, group)} the bridge has learned (its own host port too)."""
    out = ns.run("bridge", "-j", "mdb", "show", "dev", "br0").stdout
    found = set()
    for block in json.loads(out or "[]"):
        for e in block.get("mdb", []):
            found.add((e.get("port"), e.get("grp")))
    return found


def wait_mdb(ns, want, present=True, timeout=10):
    """Wait until every (port, group) of want is in the bridge's table
    (present) or none is; the table at the end for the failure message."""
    deadline = time.monotonic() + timeout
    while True:
        now = mdb(ns)
        ok = want <= now if present else not (want & now)
        if ok or time.monotonic() > deadline:
            return ok, now
        time.sleep(0.1)


SEND = """
import socket, sys
group, port = sys.argv[1], int(sys.argv[2])
if ":" in group:
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("br0"))
    u.bind(("2001:db8::1", 0))
else:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.1"))
u.settimeout(float(sys.argv[3]))
u.sendto(b"to the group", (group, port))
try:
    data, addr = u.recvfrom(100)
    print(data, addr[0], addr[1])
except socket.timeout:
    print("no answer")
"""


def kernel_send(ns, group, port=6969, wait=5.0):
    return ns.run(sys.executable, "-c", SEND, group, port, wait, timeout=30).stdout.strip()


def assert_only_bad_queries_dropped(st, pcap, out):
    """No IGMP message was refused, and the only MLD ones were the
    bridge's queries from its global address (it sends some before its
    link-local address is up), which RFC 3810 5.1.14 says to discard."""
    assert st.get("drop_bad_igmp", 0) == 0, out
    global_queries = pcap_count(pcap, "icmpv6.type == 130 && !(ipv6.src == fe80::/10)")
    assert st.get("drop_bad_mld", 0) <= global_queries, out


def join_server(ns, *extra):
    return start_server(ns, "--ip6", "%s/64" % SMOLNET_IP6, "--join",
                        "%s,%s" % (GROUP4, GROUP6), *extra)


def test_snooping_bridge_learns_smolnet_groups_and_forwards_them(netns):
    ns = netns
    make_bridge(ns)
    server = join_server(ns)
    want = {(KERNEL_IF, GROUP4), (KERNEL_IF, GROUP6)}
    ok, table = wait_mdb(ns, want)
    assert ok, table
    # traffic to the groups reaches smolnet, which answers from its own address
    assert kernel_send(ns, GROUP4) == "b'hello\\n' 192.0.2.2 6969"
    assert kernel_send(ns, GROUP6) == "b'hello\\n' %s 6969" % SMOLNET_IP6
    # a group smolnet did not join is not answered
    assert kernel_send(ns, "233.252.0.8", wait=0.5) == "no answer"
    time.sleep(1.1)  # the join's repeat is due within 1 s (RFC 3376 5.1, RFC 3810 6.1)
    out = ns.stop(server)
    # stopping leaves both groups: the bridge forgets them at once (after
    # its last-member queries) instead of after 260 s of silence
    ok, table = wait_mdb(ns, want, present=False, timeout=5)
    assert ok, table
    st = counters(out, "iface")
    assert st.get("drop_internal_error", 0) == 0, out
    pcap = ns.path("server.pcap")
    assert pcap_errors(pcap) == []
    assert_only_bad_queries_dropped(st, pcap, out)
    # IGMPv3 / MLDv2 state changes: CHANGE_TO_EXCLUDE {} (4) on join, sent
    # Robustness (2) times; CHANGE_TO_INCLUDE {} (3) on leave (its repeat
    # would come after the server has exited)
    assert pcap_count(pcap, "igmp.type == 0x22 && igmp.record_type == 4 && "
                            "igmp.maddr == %s" % GROUP4) >= 2
    assert pcap_count(pcap, "igmp.type == 0x22 && igmp.record_type == 3 && "
                            "igmp.maddr == %s" % GROUP4) >= 1
    assert pcap_count(pcap, "icmpv6.type == 143 && icmpv6.mldr.mar.record_type == 4 && "
                            "icmpv6.mldr.mar.multicast_address == %s" % GROUP6) >= 2
    assert pcap_count(pcap, "icmpv6.type == 143 && icmpv6.mldr.mar.record_type == 3 && "
                            "icmpv6.mldr.mar.multicast_address == %s" % GROUP6) >= 1
    # every IGMP / MLD message smolnet sent: TTL / hop limit 1, router alert
    assert pcap_count(pcap, "igmp && ip.src == 192.0.2.2 && ip.ttl != 1") == 0
    assert pcap_count(pcap, "igmp && ip.src == 192.0.2.2 && !ip.opt.ra") == 0
    assert pcap_count(pcap, "icmpv6.type == 143 && eth.src == 02:00:00:00:00:01 && "
                            "(ipv6.hlim != 1 || !ipv6.opt.router_alert)") == 0


def test_smolnet_answers_the_queriers_so_the_bridge_keeps_its_groups(netns):
    ns = netns
    # a query every second; a member unheard for 3 s is forgotten
    make_bridge(ns, query_cs=100, membership_cs=300)
    server = join_server(ns)
    want = {(KERNEL_IF, GROUP4), (KERNEL_IF, GROUP6)}
    ok, table = wait_mdb(ns, want)
    assert ok, table
    time.sleep(8)   # well past the 3 s membership interval, twice over
    table = mdb(ns)
    assert want <= table, table
    assert kernel_send(ns, GROUP4) == "b'hello\\n' 192.0.2.2 6969"
    out = ns.stop(server)
    st = counters(out, "iface")
    assert st.get("igmp_queries", 0) >= 5 and st.get("mld_queries", 0) >= 5, out
    pcap = ns.path("server.pcap")
    assert pcap_errors(pcap) == []
    # answers to general queries: MODE_IS_EXCLUDE {} (2) for the group
    assert pcap_count(pcap, "igmp.type == 0x22 && igmp.record_type == 2 && "
                            "igmp.maddr == %s" % GROUP4) >= 5
    assert pcap_count(pcap, "icmpv6.type == 143 && icmpv6.mldr.mar.record_type == 2 && "
                            "icmpv6.mldr.mar.multicast_address == %s" % GROUP6) >= 5


def test_older_queriers_get_igmpv2_and_mldv1(netns):
    ns = netns
    make_bridge(ns, igmp=2, mld=1, query_cs=100, membership_cs=300)
    server = join_server(ns)
    want = {(KERNEL_IF, GROUP4), (KERNEL_IF, GROUP6)}
    ok, table = wait_mdb(ns, want)
    assert ok, table
    time.sleep(5)   # queries heard: smolnet now speaks the querier's version
    table = mdb(ns)
    assert want <= table, table
    out = ns.stop(server)
    ok, table = wait_mdb(ns, want, present=False, timeout=5)
    assert ok, table
    pcap = ns.path("server.pcap")
    assert pcap_errors(pcap) == []
    # RFC 3376 7.2.1 / RFC 3810 8.2.1: v2 reports and a v2 leave to
    # 224.0.0.2; MLDv1 reports and a Done to ff02::2
    assert pcap_count(pcap, "igmp.type == 0x16 && igmp.maddr == %s && "
                            "ip.dst == %s" % (GROUP4, GROUP4)) >= 2
    assert pcap_count(pcap, "igmp.type == 0x17 && igmp.maddr == %s && "
                            "ip.dst == 224.0.0.2" % GROUP4) >= 1
    assert pcap_count(pcap, "icmpv6.type == 131 && icmpv6.mld.multicast_address == %s"
                      % GROUP6) >= 2
    assert pcap_count(pcap, "icmpv6.type == 132 && icmpv6.mld.multicast_address == %s && "
                            "ipv6.dst == ff02::2" % GROUP6) >= 1
    assert_only_bad_queries_dropped(counters(out, "iface"), pcap, out)


def test_readme_multicast_receiver(netns):
    """The README's drop-in socket example: IP_ADD_MEMBERSHIP, one
    datagram, IP_DROP_MEMBERSHIP."""
    ns = netns
    make_bridge(ns)
    p = run_example(ns, "multicast_receiver", wait_for="joined")
    ok, table = wait_mdb(ns, {(KERNEL_IF, GROUP4)})
    assert ok, table
    assert kernel_send(ns, GROUP4, port=5007, wait=0.5) == "no answer"
    out = ns.wait(p, timeout=20)
    assert "b'to the group' ('192.0.2.1'," in out, out
    ok, table = wait_mdb(ns, {(KERNEL_IF, GROUP4)}, present=False, timeout=5)
    assert ok, table
