"""IPv4 reassembly against the Linux kernel: the kernel sends UDP datagrams
of 1473 to 4000 bytes, which it fragments itself on the 1500-byte veth
(IP_PMTUDISC_DONT), to smolnet on MicroPython's unix port (AF_PACKET on the
other end). smolnet prints the length and SHA-256 of each datagram its
UdpSocket gets and answers with them; both sides must agree byte for byte.
A datagram past Config.reassembly_size and a ping too big to answer are
dropped and counted; a lone first fragment (sent through a raw socket)
brings back ICMP Time Exceeded, code 1. tshark reassembles the same
fragments from smolnet's pcap and finds no errors in it.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import hashlib
import sys

import pytest

from netns import (counters, pcap_errors, pcap_fields,
                   SMOLNET_IP, KERNEL_IP, PREFIX)
from reasm_interop import start, KERNEL_TX

pytestmark = pytest.mark.root

TIMEOUT_MS = 700        # the reassembly timeout the smolnet side is given

# a lone first fragment: 1480 bytes of a UDP datagram that never ends;
# then the ICMP error it brings back (raw ICMP socket, first one that is
# not an echo)
KERNEL_FRAGMENT_ZERO = r"""
import socket, struct, sys, time
src, dst = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2])
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
icmp.settimeout(5)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
data = struct.pack("!HHHH", 40000, 6969, 8 + 3000, 0) + bytes(1472)
hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), 0x5A5A, 0x2000, 64, 17, 0,
                  src, dst)
raw.sendto(hdr + data, (sys.argv[2], 0))
t0 = time.monotonic()
while True:
    p = icmp.recv(2000)
    ihl = (p[0] & 15) * 4
    if p[ihl] != 0:
        break
q = p[ihl + 8:]
print("icmp", p[ihl], p[ihl + 1], "after %.1f" % (time.monotonic() - t0),
      "quote-ident %04x" % struct.unpack("!H", q[4:6])[0],
      "quote-flags %04x" % struct.unpack("!H", q[6:8])[0],
      "quote-len", len(q), flush=True)
"""


def _start(ns):
    return start(ns, "%s/%d" % (SMOLNET_IP, PREFIX),
                 {"ipv6": 0, "reassembly_timeout_ms": TIMEOUT_MS})


def test_kernel_fragments_reach_a_udp_socket_byte_exact(netns):
    ns = netns
    p = _start(ns)
    # a ping whose reply would need fragmenting is not answered (first:
    # the "bye" at the end of the datagrams stops smolnet)
    ping = ns.run("ping", "-c", 1, "-s", 2000, "-W", 1, SMOLNET_IP, check=False)
    assert ping.returncode != 0, ping.stdout
    sizes = [3000, 4000, 1473, 3999, 2952, 4000]
    r = ns.run(sys.executable, "-c", KERNEL_TX, SMOLNET_IP,
               *([str(n) for n in sizes] + ["-5000"]), timeout=60)
    lines = r.stdout.splitlines()
    assert len(lines) == len(sizes) + 1, r.stdout
    for n, line in zip(sizes, lines):
        parts = line.split()
        # sent N DIGEST answer ok N DIGEST: smolnet hashed the same bytes
        assert parts[:2] == ["sent", str(n)] and parts[3:] == ["answer", "ok", str(n), parts[2]], \
            r.stdout
    assert lines[-1].split()[3:] == ["answer", "none"], r.stdout    # past 4096
    out = ns.wait(p, timeout=20)
    assert "stopped" in out, out
    got = [line.split() for line in out.splitlines() if line.startswith("got ")]
    assert [(int(g[1]), g[2]) for g in got] == \
        [(n, hashlib.sha256(bytes(((i * 131) ^ (i >> 8) ^ n) & 0xFF for i in range(n)))
          .hexdigest()) for n in sizes], out
    st = counters(out, "iface")
    assert st["reasm_ok"] == len(sizes) + 1, out              # and the ping
    assert st["drop_reasm_too_big"] == 2, out                 # 5000: fragments 3 and 4
    assert st["drop_too_big_to_answer"] == 1, out
    for k in ("drop_internal_error", "drop_reasm_overlap", "drop_reasm_full",
              "drop_bad_checksum", "drop_malformed", "drop_fragment", "reasm_timeouts"):
        assert st[k] == 0, (k, out)
    # tshark: nothing wrong, and its own reassembly agrees
    pcap = ns.path("reasm.pcap")
    assert pcap_errors(pcap) == []
    rows = pcap_fields(pcap, ["udp.length", "ip.fragment.count", "ip.reassembled.length"],
                       "udp && ip.src == %s && udp.dstport == 6969" % KERNEL_IP)
    want = [[str(n + 8), str((n + 8 + 1479) // 1480), str(n + 8)] for n in sizes + [5000]]
    assert rows[:len(want)] == want, rows
    assert rows[len(want):] == [["11", "", ""]], rows          # bye, whole


def test_lone_first_fragment_gets_time_exceeded(netns):
    ns = netns
    p = _start(ns)
    r = ns.run(sys.executable, "-c", KERNEL_FRAGMENT_ZERO, KERNEL_IP, SMOLNET_IP,
               timeout=30)
    parts = r.stdout.split()
    # ICMP 11/1 about our fragment, after the timeout; the quote is its
    # header (MF still set) and 528 data bytes (576 in all, RFC 1812 4.3.2.3)
    assert parts[:3] == ["icmp", "11", "1"], r.stdout
    assert float(parts[4]) >= TIMEOUT_MS / 1000.0 - 0.1, r.stdout
    assert parts[5:] == ["quote-ident", "5a5a", "quote-flags", "2000", "quote-len", "548"], \
        r.stdout
    ns.run(sys.executable, "-c", "import socket; s = socket.socket(socket.AF_INET, "
           "socket.SOCK_DGRAM); s.sendto(b'bye', ('%s', 6969))" % SMOLNET_IP)
    out = ns.wait(p, timeout=20)
    st = counters(out, "iface")
    assert st["reasm_timeouts"] == 1 and st["icmp_errors_sent"] == 1, out
    pcap = ns.path("reasm.pcap")
    assert pcap_errors(pcap) == []
    rows = pcap_fields(pcap, ["ip.src", "icmp.type", "icmp.code"], "icmp")
    assert rows == [[SMOLNET_IP, "11", "1"]], rows
