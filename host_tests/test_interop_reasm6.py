"""IPv6 reassembly against the Linux kernel: the kernel sends UDP datagrams
of 1453 to 4000 bytes to 2001:db8::2, which it fragments itself on the
1500-byte veth (a source always fragments IPv6 UDP past the MTU unless
IPV6_DONTFRAG is set), to smolnet on MicroPython's unix port (AF_PACKET on
the other end). smolnet prints the length and SHA-256 of each datagram its
UdpSocket gets and answers with them; both sides must agree byte for byte.
A datagram past Config.reassembly_size and a ping too big to answer are
dropped and counted; a lone first fragment (sent through AF_PACKET) brings
back ICMPv6 Time Exceeded, code 1. tshark reassembles the same fragments
from smolnet's pcap and finds no errors in it.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import hashlib
import sys

import pytest

from netns import counters, pcap_errors, pcap_fields, KERNEL_IF, KERNEL_IP6
from reasm_interop import start, KERNEL_TX

pytestmark = pytest.mark.root

SMOLNET_IP6 = "2001:db8::2"
SMOLNET_MAC = "02:00:00:00:00:01"
TIMEOUT_MS = 700        # the IPv6 reassembly timeout the smolnet side is given

# a lone first fragment, framed by hand on veth-k: 1448 bytes of a UDP
# datagram that never ends; then the ICMPv6 error it brings back (raw
# ICMPv6 socket, first message that is not ND or an echo)
KERNEL_FRAGMENT_ZERO = r"""
import socket, struct, sys, time
ifname, smac, dmac, src, dst = sys.argv[1:6]
mac = lambda t: bytes(int(x, 16) for x in t.split(":"))
s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
icmp.settimeout(5)
data = struct.pack("!HHHH", 40000, 6969, 8 + 3000, 0) + bytes(1440)
frag = struct.pack("!BBHI", 17, 0, 1, 0x5A5A5A5A)           # offset 0, M set
ip = struct.pack("!IHBB16s16s", 0x60000000, len(frag) + len(data), 44, 64, s6, d6)
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind((ifname, 0))
raw.send(mac(dmac) + mac(smac) + b"\x86\xdd" + ip + frag + data)
t0 = time.monotonic()
while True:
    p = icmp.recv(2000)
    if p[0] < 128:
        break
q = p[8:]
print("icmp6", p[0], p[1], "after %.1f" % (time.monotonic() - t0),
      "quote-nh", q[6], "quote-frag %08x" % struct.unpack("!I", q[40:44])[0],
      "quote-ident %08x" % struct.unpack("!I", q[44:48])[0],
      "quote-len", len(q), flush=True)
"""


def _start(ns):
    return start(ns, SMOLNET_IP6 + "/64", {"reassembly_timeout6_ms": TIMEOUT_MS})


def _data_hash(n):
    return hashlib.sha256(bytes(((i * 131) ^ (i >> 8) ^ n) & 0xFF for i in range(n))).hexdigest()


def test_kernel_fragments_reach_a_udp_socket_byte_exact(netns):
    ns = netns
    p = _start(ns)
    # a ping whose reply would need fragmenting is not answered (first:
    # the "bye" at the end of the datagrams stops smolnet)
    ping = ns.run("ping", "-6", "-c", 1, "-s", 2000, "-W", 1, SMOLNET_IP6, check=False)
    assert ping.returncode != 0, ping.stdout
    sizes = [3000, 4000, 1453, 3999, 2952, 4040]
    r = ns.run(sys.executable, "-c", KERNEL_TX, SMOLNET_IP6,
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
    assert [(int(g[1]), g[2]) for g in got] == [(n, _data_hash(n)) for n in sizes], out
    st = counters(out, "iface")
    assert st["reasm_ok"] == len(sizes) + 1, out              # and the ping
    assert st["drop_reasm_too_big"] == 2, out                 # 5000: fragments 3 and 4
    assert st["drop_too_big_to_answer"] == 1, out
    for k in ("drop_internal_error", "drop_reasm_overlap", "drop_reasm_full",
              "drop_bad_checksum", "drop_malformed", "drop_fragment", "reasm_timeouts",
              "drop_ext_header"):
        assert st[k] == 0, (k, out)
    # tshark: nothing wrong, and its own reassembly agrees (1448 data
    # bytes per fragment on a 1500 MTU)
    pcap = ns.path("reasm.pcap")
    assert pcap_errors(pcap) == []
    rows = pcap_fields(pcap, ["udp.length", "ipv6.fragment.count", "ipv6.reassembled.length"],
                       "udp && ipv6.src == %s && udp.dstport == 6969" % KERNEL_IP6)
    want = [[str(n + 8), str((n + 8 + 1447) // 1448), str(n + 8)] for n in sizes]
    assert rows[:len(want)] == want, rows
    assert rows[-1] == ["11", "", ""], rows                    # bye, whole


def test_lone_first_fragment_gets_time_exceeded(netns):
    ns = netns
    p = _start(ns)
    kmac = ns.run("cat", "/sys/class/net/%s/address" % KERNEL_IF).stdout.strip()
    r = ns.run(sys.executable, "-c", KERNEL_FRAGMENT_ZERO, KERNEL_IF, kmac, SMOLNET_MAC,
               KERNEL_IP6, SMOLNET_IP6, timeout=30)
    parts = r.stdout.split()
    # ICMPv6 3/1 about our fragment, after the timeout; the quote is the
    # fragment as sent (Fragment header and all), cut at 1232 bytes
    # (RFC 4443 2.4 (c): 1280 in all)
    assert parts[:3] == ["icmp6", "3", "1"], r.stdout
    assert float(parts[4]) >= TIMEOUT_MS / 1000.0 - 0.1, r.stdout
    assert parts[5:] == ["quote-nh", "44", "quote-frag", "11000001", "quote-ident", "5a5a5a5a",
                         "quote-len", "1232"], r.stdout
    ns.run(sys.executable, "-c", "import socket; s = socket.socket(socket.AF_INET6, "
           "socket.SOCK_DGRAM); s.sendto(b'bye', ('%s', 6969))" % SMOLNET_IP6)
    out = ns.wait(p, timeout=20)
    st = counters(out, "iface")
    assert st["reasm_timeouts"] == 1 and st["icmp_errors_sent"] == 1, out
    pcap = ns.path("reasm.pcap")
    assert pcap_errors(pcap) == []
    rows = pcap_fields(pcap, ["ipv6.src", "icmpv6.type", "icmpv6.code"],
                       "icmpv6.type < 128")
    assert rows == [[SMOLNET_IP6, "3", "1"]], rows
