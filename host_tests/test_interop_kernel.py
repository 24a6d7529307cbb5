"""The Linux kernel talks to smolnet: tools/server.py on the MicroPython unix
port, attached with AF_PACKET to one end of a veth pair in a fresh network
namespace; the kernel owns the other end (192.0.2.1). Every pcap smolnet
writes is validated by tshark with checksum checks on.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import collections
import sys

import pytest

from netns import (start_server, counters, pcap_errors, pcap_fields,
                   kernel_ping, assert_all_answered, KERNEL_IF, KERNEL_IP, SMOLNET_IP)

pytestmark = pytest.mark.root

SERVER_MAC = "02:00:00:00:00:01"


def stop_server(ns, server):
    """Stop the server with SIGINT; its counters (iface, udp6969) and the
    pcap's problems according to tshark."""
    out = ns.stop(server)
    assert server.returncode == 0 and "stopped" in out, out
    stats = counters(out, "iface")
    assert stats.get("drop_internal_error", 0) == 0, out
    problems = pcap_errors(ns.path("server.pcap"))
    assert problems == [], "tshark found problems in server.pcap: %s" % problems
    return out, stats


def test_kernel_pings_smolnet_50_times_up_to_1472_bytes(netns):
    ns = netns
    server = start_server(ns)
    sizes = (0, 56, 512, 1000, 1472)
    sent = collections.Counter()
    for size in sizes:
        p = kernel_ping(ns, SMOLNET_IP, 10, size)
        assert_all_answered(p, 10)
        sent[size] = p.transmitted
    out, stats = stop_server(ns, server)
    # every request the kernel sent was answered, none was dropped
    assert stats["icmp_echo_replies"] == sum(sent.values()) >= 50, out
    assert stats["rx_frames"] == stats["tx_frames"] + stats.get("drop_unknown_ethertype", 0), out
    # the pcap holds the requests and their replies, of each size
    rows = pcap_fields(ns.path("server.pcap"), ["ip.src", "icmp.type", "ip.len"], "icmp")
    seen = collections.Counter((src, t, int(n)) for src, t, n in rows)
    for size in sizes:
        assert seen[(KERNEL_IP, "8", size + 28)] == sent[size], seen
        assert seen[(SMOLNET_IP, "0", size + 28)] == sent[size], seen
    assert sum(seen.values()) == 2 * sum(sent.values()), seen


def test_arping_gets_three_answers(netns):
    ns = netns
    server = start_server(ns)
    r = ns.run("arping", "-c", 3, "-w", 5, "-I", KERNEL_IF, SMOLNET_IP, check=False)
    assert "Received 3 response(s)" in r.stdout, r.stdout
    assert SERVER_MAC.upper() in r.stdout.upper(), r.stdout
    assert r.returncode == 0, r.stdout
    out, stats = stop_server(ns, server)
    assert stats["arp_replies"] == 3, out
    rows = pcap_fields(ns.path("server.pcap"), ["arp.opcode", "arp.src.proto_ipv4",
                                                "arp.src.hw_mac"], "arp")
    replies = [r for r in rows if r[0] == "2"]
    assert len(replies) == 3, rows
    assert all(r[1] == SMOLNET_IP and r[2] == SERVER_MAC for r in replies), rows


UDP_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 6969))
for i in range(int(sys.argv[2])):
    s.send(b"request %d" % i)
    print(s.recv(100))
"""


def test_udp_hello_with_socat(netns):
    ns = netns
    server = start_server(ns)
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:6969" % SMOLNET_IP,
               input="request from socat\n", check=False)
    assert r.returncode == 0, r.stdout
    assert r.stdout == "hello\n"
    # and 10 more from a Python socket, one after the other
    r = ns.run(sys.executable, "-c", UDP_CLIENT, SMOLNET_IP, 10)
    assert r.stdout.splitlines() == ["b'hello\\n'"] * 10, r.stdout
    out, stats = stop_server(ns, server)
    udp = counters(out, "udp6969")
    assert udp["requests"] == 11 and udp["replies"] == 11, out
    rows = pcap_fields(ns.path("server.pcap"), ["ip.src", "udp.srcport", "udp.dstport",
                                                "udp.length", "data.data"], "udp")
    replies = [r for r in rows if r[0] == SMOLNET_IP]
    requests = [r for r in rows if r[0] == KERNEL_IP]
    assert len(requests) == 11 and len(replies) == 11, rows
    for q, a in zip(requests, replies):
        assert a[1] == "6969" and a[2] == q[1], (q, a)   # back to the sender's port
        assert a[3] == "14" and a[4] == b"hello\n".hex(), a


def test_closed_udp_port_gets_port_unreachable(netns):
    ns = netns
    server = start_server(ns)
    # socat: its connected socket reads ECONNREFUSED from the ICMP error
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:7" % SMOLNET_IP, input="x\n",
               check=False)
    assert r.returncode != 0 and "Connection refused" in r.stdout, r.stdout
    # and a Python socket sees the same errno
    probe = ("import socket, sys\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "s.settimeout(2)\n"
             "s.connect((sys.argv[1], 9))\n"
             "s.send(b'x')\n"
             "try:\n"
             "    s.recv(100)\n"
             "    print('answered')\n"
             "except ConnectionRefusedError:\n"
             "    print('ECONNREFUSED')\n"
             "except OSError as e:\n"
             "    print('error', e)\n")
    r = ns.run(sys.executable, "-c", probe, SMOLNET_IP)
    assert r.stdout.strip() == "ECONNREFUSED", r.stdout
    out, stats = stop_server(ns, server)
    assert stats["icmp_errors_sent"] == 2 and stats["drop_no_socket"] == 2, out
    rows = pcap_fields(ns.path("server.pcap"), ["ip.src", "icmp.type", "icmp.code",
                                                "udp.dstport"], "icmp")
    assert [r[:3] for r in rows] == [[SMOLNET_IP, "3", "3"]] * 2, rows
    # the error quotes the offending datagram: its destination port is there
    assert sorted(r[3] for r in rows) == ["7", "9"], rows
