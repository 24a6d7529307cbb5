"""The Linux kernel talks IPv6 to smolnet: tools/server.py on the MicroPython
unix port with --ip6 2001:db8::2/64, attached with AF_PACKET to veth-s in a
fresh namespace; the kernel has 2001:db8::1/64 on veth-k and finds smolnet
with Neighbor Discovery. Every pcap smolnet writes is validated by tshark
with checksum checks on.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import collections
import re
import sys

import pytest

from netns import (start_server, counters, pcap_errors, pcap_fields,
                   kernel_ping, assert_all_answered, KERNEL_IF, KERNEL_IP6)

pytestmark = pytest.mark.root

SMOLNET_IP6 = "2001:db8::2"
SMOLNET_LL = "fe80::ff:fe00:1"        # EUI-64 of the server's 02:00:00:00:00:01
SERVER_MAC = "02:00:00:00:00:01"


def server6(ns):
    return start_server(ns, "--ip6", SMOLNET_IP6 + "/64")


def stop_server(ns, server):
    out = ns.stop(server)
    assert server.returncode == 0 and "stopped" in out, out
    stats = counters(out, "iface")
    assert stats.get("drop_internal_error", 0) == 0, out
    assert stats.get("drop_bad_checksum", 0) == 0, out
    problems = pcap_errors(ns.path("server.pcap"))
    assert problems == [], "tshark found problems in server.pcap: %s" % problems
    return out, stats


def test_kernel_pings_smolnet_over_ipv6_up_to_1452_bytes(netns):
    ns = netns
    server = server6(ns)
    sizes = (0, 56, 512, 1000, 1452)
    sent = collections.Counter()
    for size in sizes:
        p = kernel_ping(ns, SMOLNET_IP6, 10, size)
        assert_all_answered(p, 10)
        sent[size] = p.transmitted
    # the kernel resolved smolnet through Neighbor Discovery
    r = ns.run("ip", "-6", "neigh", "show", "dev", KERNEL_IF)
    assert re.search(r"2001:db8::2 lladdr %s" % SERVER_MAC, r.stdout), r.stdout
    out, stats = stop_server(ns, server)
    assert stats["icmp_echo_replies"] == sum(sent.values()) >= 50, out
    assert stats.get("nd_adverts", 0) >= 1, out
    rows = pcap_fields(ns.path("server.pcap"), ["ipv6.src", "icmpv6.type", "ipv6.plen"],
                       "icmpv6.type == 128 or icmpv6.type == 129")
    seen = collections.Counter((src, t, int(n)) for src, t, n in rows)
    for size in sizes:
        assert seen[(KERNEL_IP6, "128", size + 8)] == sent[size], seen
        assert seen[(SMOLNET_IP6, "129", size + 8)] == sent[size], seen
    # every advertisement smolnet sent was a solicited answer with its MAC
    nas = pcap_fields(ns.path("server.pcap"), ["ipv6.src", "ipv6.hlim", "icmpv6.nd.na.flag.s",
                                               "icmpv6.opt.linkaddr"], "icmpv6.type == 136")
    mine = [n for n in nas if n[0] == SMOLNET_IP6]
    assert mine and all(n[1] == "255" and n[2] in ("1", "True") and n[3] == SERVER_MAC
                        for n in mine), nas


def test_kernel_pings_link_local_and_all_nodes(netns):
    ns = netns
    server = server6(ns)
    p = kernel_ping(ns, "%s%%%s" % (SMOLNET_LL, KERNEL_IF), 5)
    assert_all_answered(p, 5)
    # all-nodes: the kernel answers itself and smolnet answers too, from a
    # unicast address (RFC 4443 4.1) chosen for the requester: the kernel
    # asks from 2001:db8::1, so the reply comes from 2001:db8::2
    r = ns.run("ping", "-6", "-c", 3, "-i", 0.2, "-w", 3, "ff02::1%%%s" % KERNEL_IF,
               check=False, timeout=15)
    assert re.search(r"bytes from %s: icmp_seq=1 " % SMOLNET_IP6, r.stdout), r.stdout
    assert "DUP" in r.stdout or "duplicates" in r.stdout, r.stdout
    out, stats = stop_server(ns, server)
    assert stats["icmp_echo_replies"] >= 6, out


UDP6_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 6969))
for i in range(int(sys.argv[2])):
    s.send(b"request %d" % i)
    print(s.recv(100))
"""


def test_udp_over_ipv6_with_socat(netns):
    ns = netns
    server = server6(ns)
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP6:[%s]:6969" % SMOLNET_IP6,
               input="request from socat\n", check=False)
    assert r.returncode == 0, r.stdout
    assert r.stdout == "hello\n"
    r = ns.run(sys.executable, "-c", UDP6_CLIENT, SMOLNET_IP6, 10)
    assert r.stdout.splitlines() == ["b'hello\\n'"] * 10, r.stdout
    out, stats = stop_server(ns, server)
    udp = counters(out, "udp6969")
    assert udp["requests"] == 11 and udp["replies"] == 11, out
    rows = pcap_fields(ns.path("server.pcap"), ["ipv6.src", "udp.srcport", "udp.dstport",
                                                "udp.length", "data.data"], "udp")
    replies = [r for r in rows if r[0] == SMOLNET_IP6]
    requests = [r for r in rows if r[0] == KERNEL_IP6]
    assert len(requests) == 11 and len(replies) == 11, rows
    for q, a in zip(requests, replies):
        assert a[1] == "6969" and a[2] == q[1], (q, a)
        assert a[3] == "14" and a[4] == b"hello\n".hex(), a


def test_closed_udp_port_over_ipv6_refused(netns):
    ns = netns
    server = server6(ns)
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP6:[%s]:19" % SMOLNET_IP6, input="x\n",
               check=False)
    assert r.returncode != 0 and "Connection refused" in r.stdout, r.stdout
    out, stats = stop_server(ns, server)
    assert stats["icmp_errors_sent"] == 1 and stats["drop_no_socket"] == 1, out
    rows = pcap_fields(ns.path("server.pcap"), ["ipv6.src", "icmpv6.type", "icmpv6.code",
                                                "udp.dstport"],
                       "icmpv6.type == 1")
    assert rows == [[SMOLNET_IP6, "1", "4", "19"]], rows


TCP6_FOUNTAIN = """
import socket, sys
n = int(sys.argv[2])
s = socket.create_connection((sys.argv[1], 6972), timeout=5)
got = bytearray()
while len(got) < n:
    d = s.recv(65536)
    if not d:
        break
    got += d
s.close()
bad = [i for i in range(min(n, len(got))) if got[i] != i % 251][:1]
print(len(got) >= n, bad)
"""


def test_tcp_over_ipv6_with_the_kernel(netns):
    # smolnet's TCP (same socket contract) over IPv6: the server's hello,
    # reverse echo, a 1 MB upload to the sink and 1 MB from the fountain
    ns = netns
    server = server6(ns)
    dst = "TCP6:[%s]" % SMOLNET_IP6
    r = ns.run("socat", "-t", 2, "-T", 5, "-", dst + ":6969", input="", check=False)
    assert r.stdout.startswith("hello"), r.stdout
    r = ns.run("socat", "-t", 2, "-T", 5, "-", dst + ":6970", input="abc\n", check=False)
    assert r.stdout == "cba\n", r.stdout
    r = ns.run("sh", "-c", "head -c 1000000 /dev/zero | socat -T 5 - %s:6971" % dst,
               check=False, timeout=60)
    assert r.returncode == 0, r.stdout
    r = ns.run(sys.executable, "-c", TCP6_FOUNTAIN, SMOLNET_IP6, 1000000, timeout=60)
    assert r.stdout.strip() == "True []", r.stdout
    out, stats = stop_server(ns, server)
    rows = pcap_fields(ns.path("server.pcap"), ["ipv6.src"], "tcp")
    assert sum(1 for r in rows if r[0] == SMOLNET_IP6) > 700, len(rows)


def test_smolnet_ping_pings_the_kernel_over_ipv6(netns):
    # tools/ping.py with an IPv6 target: Icmpv6Socket, Neighbor Discovery for
    # the kernel's address, replies from 2001:db8::1
    from netns import tool_cmd, link_args
    ns = netns
    for size in (56, 1452):
        args = link_args(ns) + ["--ip", "192.0.2.2/24", "--ip6", SMOLNET_IP6 + "/64",
                                "-c", "10", "-i", "0.01", "-s", str(size), "-W", "1",
                                "--pcap", ns.path("ping6.pcap"), KERNEL_IP6]
        r = ns.run(*tool_cmd("ping", args), check=False, timeout=30)
        out = r.stdout
        assert r.returncode == 0, out
        assert "10 packets transmitted, 10 received, 0% packet loss" in out, out
        replies = re.findall(r"^(\d+) bytes from 2001:db8::1: icmp_seq=(\d+) ", out, re.M)
        assert [int(s) for n, s in replies] == list(range(1, 11)), out
        assert all(int(n) == size + 8 for n, s in replies), out
        problems = pcap_errors(ns.path("ping6.pcap"))
        assert problems == [], problems
        rows = pcap_fields(ns.path("ping6.pcap"), ["ipv6.src", "icmpv6.type"], "icmpv6")
        assert rows.count([SMOLNET_IP6, "128"]) == 10 and rows.count([KERNEL_IP6, "129"]) == 10, rows
