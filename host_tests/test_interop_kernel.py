"""The Linux kernel talks to smolnet: tools/server.py on every target of
host_tests/targets.py (the MicroPython unix port on a veth end with
AF_PACKET; real firmware on QEMU's MPS2 AN385 and SABRE Lite with a TAP);
the kernel owns the other end (192.0.2.1). Every pcap is validated by tshark
with checksum checks on.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import collections
import sys

import pytest

from netns import (counters, pcap_errors, pcap_fields, kernel_ping, assert_all_answered,
                   KERNEL_IP, SMOLNET_IP)
from targets import SERVER_MAC

SMOLNET_IP6 = "2001:db8::2"       # beside the kernel's 2001:db8::1 (netns.py)

pytestmark = pytest.mark.root

def stop_server(target, server):
    """Stop the server (SIGINT, or Ctrl-C on a board); its output and
    interface counters, after tshark found its pcap clean."""
    out, rc = target.stop_server(server)
    assert rc == 0 and "stopped" in out, out
    stats = counters(out, "iface")
    assert stats.get("drop_internal_error", 0) == 0, out
    problems = pcap_errors(target.pcap)
    assert problems == [], "tshark found problems in server.pcap: %s" % problems
    return out, stats


def test_kernel_pings_smolnet_50_times_up_to_1472_bytes(target):
    ns = target.ns
    server = target.start_server()
    sizes = (0, 56, 512, 1000, 1472)
    sent = collections.Counter()
    for size in sizes:
        p = kernel_ping(ns, SMOLNET_IP, 10, size)
        assert_all_answered(p, 10)
        sent[size] = p.transmitted
    out, stats = stop_server(target, server)
    # every request the kernel sent was answered, none was dropped
    assert stats["icmp_echo_replies"] == sum(sent.values()) >= 50, out
    assert stats["rx_frames"] == stats["tx_frames"] + stats.get("drop_unknown_ethertype", 0), out
    # the pcap holds the requests and their replies, of each size
    rows = pcap_fields(target.pcap, ["ip.src", "icmp.type", "ip.len"], "icmp")
    seen = collections.Counter((src, t, int(n)) for src, t, n in rows)
    for size in sizes:
        assert seen[(KERNEL_IP, "8", size + 28)] == sent[size], seen
        assert seen[(SMOLNET_IP, "0", size + 28)] == sent[size], seen
    assert sum(seen.values()) == 2 * sum(sent.values()), seen


def test_arping_gets_three_answers(target):
    ns = target.ns
    server = target.start_server()
    r = ns.run("arping", "-c", 3, "-w", 5, "-I", ns.kernel_if, SMOLNET_IP, check=False)
    assert "Received 3 response(s)" in r.stdout, r.stdout
    assert SERVER_MAC.upper() in r.stdout.upper(), r.stdout
    assert r.returncode == 0, r.stdout
    out, stats = stop_server(target, server)
    assert stats["arp_replies"] == 3, out
    rows = pcap_fields(target.pcap, ["arp.opcode", "arp.src.proto_ipv4",
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


def test_udp_hello_with_socat(target):
    ns = target.ns
    server = target.start_server()
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:6969" % SMOLNET_IP,
               input="request from socat\n", check=False)
    assert r.returncode == 0, r.stdout
    assert r.stdout == "hello\n"
    # and 10 more from a Python socket, one after the other
    r = ns.run(sys.executable, "-c", UDP_CLIENT, SMOLNET_IP, 10)
    assert r.stdout.splitlines() == ["b'hello\\n'"] * 10, r.stdout
    out, stats = stop_server(target, server)
    udp = counters(out, "udp6969")
    assert udp["requests"] == 11 and udp["replies"] == 11, out
    rows = pcap_fields(target.pcap, ["ip.src", "udp.srcport", "udp.dstport",
                                                "udp.length", "data.data"], "udp")
    replies = [r for r in rows if r[0] == SMOLNET_IP]
    requests = [r for r in rows if r[0] == KERNEL_IP]
    assert len(requests) == 11 and len(replies) == 11, rows
    for q, a in zip(requests, replies):
        assert a[1] == "6969" and a[2] == q[1], (q, a)   # back to the sender's port
        assert a[3] == "14" and a[4] == b"hello\n".hex(), a


def test_closed_udp_port_gets_port_unreachable(target):
    ns = target.ns
    server = target.start_server()
    # socat: its connected socket reads ECONNREFUSED from the ICMP error
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:19" % SMOLNET_IP, input="x\n",
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
    out, stats = stop_server(target, server)
    assert stats["icmp_errors_sent"] == 2 and stats["drop_no_socket"] == 2, out
    rows = pcap_fields(target.pcap, ["ip.src", "icmp.type", "icmp.code",
                                                "udp.dstport"], "icmp")
    assert [r[:3] for r in rows] == [[SMOLNET_IP, "3", "3"]] * 2, rows
    # the error quotes the offending datagram: its destination port is there
    assert sorted(r[3] for r in rows) == ["19", "9"], rows


UDP_ECHO_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 7))
bad = 0
sizes = [int(x) for x in sys.argv[2].split(",")]
for n in sizes:
    msg = bytes((n + i) % 256 for i in range(n))
    s.send(msg)
    if s.recv(2048) != msg:
        bad += 1
print("echoed", len(sizes), "bad", bad)
"""


def test_udp_echo_1_to_1472_bytes(target):
    """Every size from 1 to the full 1472-byte payload of a 1500-byte MTU,
    (a step of 7 on the boards), back byte-exact, one at a time."""
    ns = target.ns
    server = target.start_server()
    sizes = list(range(1, 1473, 1 if target.name == "unix" else 7)) + [1472]
    r = ns.run(sys.executable, "-c", UDP_ECHO_CLIENT, SMOLNET_IP,
               ",".join(map(str, sizes)), timeout=120)
    assert r.stdout.split() == ["echoed", str(len(sizes)), "bad", "0"], r.stdout
    out, stats = stop_server(target, server)
    udp = counters(out, "udp7")
    assert udp["requests"] == udp["replies"] == len(sizes), out
    assert udp["dropped"] == 0, out
    lengths = [int(n) for (n,) in pcap_fields(target.pcap, ["udp.length"],
                                             "udp.srcport == 7")]
    assert sorted(lengths) == sorted(n + 8 for n in sizes), lengths


MDNS_CLIENT = r"""
import socket, struct, sys, time
kernel_ip, name = sys.argv[1], sys.argv[2]
qname = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"

def query(ident, qclass):
    return struct.pack(">HHHHHH", ident, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, qclass)

def address(msg):
    # the A record after the questions: its last 4 bytes, its TTL
    return socket.inet_ntoa(msg[-4:]), struct.unpack(">I", msg[-10:-6])[0]

# a one-shot querier (RFC 6762 6.7): from an ephemeral port, the answer
# comes back by unicast with our ID
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(kernel_ip))
s.settimeout(1)
for _ in range(20):
    s.sendto(query(0x4242, 1), ("224.0.0.251", 5353))
    try:
        m, src = s.recvfrom(1500)
        break
    except socket.timeout:
        continue
print("one-shot", m[:2].hex(), address(m), src[1])
# a full mDNS querier on port 5353, member of 224.0.0.251: the answer is multicast
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
r.bind(("", 5353))
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.251") + socket.inet_aton(kernel_ip))
r.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(kernel_ip))
r.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
r.settimeout(2)
r.sendto(query(0, 1), ("224.0.0.251", 5353))
while True:
    m, src = r.recvfrom(1500)
    if m[2] & 0x80:            # a response (our own query is not looped back)
        break
print("multicast", address(m), src[1])
"""


def test_mdns_name_resolves_from_the_kernel(target):
    """server.py --mdns board: the kernel's one-shot and full mDNS queries
    for board.local get smolnet's address (RFC 6762 6.7, 6)."""
    ns = target.ns
    # smaller TCP buffers: every port and the responder on a 140 KiB heap
    server = target.start_server("--mdns", "board", "--tcp-buffer", "1024", "--small", "512")
    r = ns.run(sys.executable, "-c", MDNS_CLIENT, KERNEL_IP, "board.local", timeout=60)
    lines = r.stdout.splitlines()
    assert lines == ["one-shot 4242 ('%s', 10) 5353" % SMOLNET_IP,
                     "multicast ('%s', 120) 5353" % SMOLNET_IP], r.stdout
    out, stats = stop_server(target, server)
    m = counters(out, "mdns")
    assert m["queries"] >= 2 and m["conflicts"] == 0, out


MDNS6_CLIENT = r"""
import socket, struct, sys
ifname = sys.argv[1]
qname = b"\x05board\x05local\x00"
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1)
q = struct.pack(">HHHHHH", 0x6666, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", 28, 1)
for _ in range(20):
    s.sendto(q, ("ff02::fb", 5353, 0, socket.if_nametoindex(ifname)))
    try:
        m, src = s.recvfrom(1500)
        break
    except socket.timeout:
        continue
# the records after the question: type and address of each AAAA
p = 12 + len(qname) + 4
for _ in range(struct.unpack(">H", m[6:8])[0]):
    t, c, ttl, n = struct.unpack(">HHIH", m[p + 2:p + 12])
    print(m[:2].hex(), t, ttl, socket.inet_ntop(socket.AF_INET6, m[p + 12:p + 12 + n]))
    p += 12 + n
"""


def _answers(dig_out):
    return [ln.strip() for ln in dig_out.splitlines() if ln.strip() and not ln.startswith(";")]


def test_mdns_dig_asks_for_a_and_aaaa(target):
    """server.py --mdns board with IPv6: dig, a real resolver, asks the
    board's port 5353 by unicast for A and AAAA (RFC 6762 5.5, answered as a
    one-shot querier, 6.7); a one-shot AAAA question to ff02::fb is answered
    with both IPv6 addresses (link-local and 2001:db8::2)."""
    ns = target.ns
    # IPv6 and every port do not fit a 140 KiB heap together: UDP echo only
    server = target.start_server("--mdns", "board", "--ip6", "%s/64" % SMOLNET_IP6,
                                 "--services", "udp7")
    dig = ("dig", "-p", "5353", "+tries=40", "+time=1", "+norecurse", "+short")
    r4 = ns.run(*dig, "@" + SMOLNET_IP, "board.local", "A", timeout=60, check=False)
    r6 = ns.run(*dig, "@" + SMOLNET_IP6, "board.local", "AAAA", timeout=60, check=False)
    m6 = ns.run(sys.executable, "-c", MDNS6_CLIENT, ns.kernel_if, timeout=60, check=False)
    out, stats = stop_server(target, server)
    # (";; communications error" lines: asked while the board still probes)
    assert _answers(r4.stdout) == [SMOLNET_IP], r4.stdout
    assert sorted(_answers(r6.stdout)) == [SMOLNET_IP6, "fe80::ff:fe00:1"], r6.stdout
    lines = sorted(m6.stdout.splitlines())
    assert lines == ["6666 28 10 %s" % SMOLNET_IP6, "6666 28 10 fe80::ff:fe00:1"], m6.stdout
    # RFC 6762 11: every message with IP TTL / hop limit 255, unicast too
    ttl4 = pcap_fields(target.pcap, ["ip.ttl"], "ip && udp.srcport == 5353")
    hlim = pcap_fields(target.pcap, ["ipv6.hlim"], "ipv6 && udp.srcport == 5353")
    assert ttl4 and hlim and {tuple(x) for x in ttl4 + hlim} == {("255",)}, (ttl4, hlim)
    m = counters(out, "mdns")
    assert m["queries"] == 3 and m["conflicts"] == 0, out
